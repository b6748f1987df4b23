//! `walkthrough init`: writes the starter files into the current folder and says what to
//! edit next.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> i32 {
    match crate::starter::write(std::path::Path::new(".")) {
        Ok(written) => {
            for path in &written {
                println!("wrote {}", path.display());
            }
            println!(
                "\nnext:\n  1. walkthrough.yaml: how your app starts (app.command, app.ready) and the \
                 environment names it reads (app.env)\n  2. scenarios/: the locators marked ADAPT, \
                 for your app's pages\n  3. walkthrough check, then walkthrough run"
            );
            super::exit::PASSED
        }
        Err(e @ crate::starter::InitError::Exists(_)) => {
            eprintln!("error: {e}");
            super::exit::USAGE
        }
        Err(e) => {
            eprintln!("error: {e}");
            super::exit::EVIDENCE_FAILED
        }
    }
}
