//! `walkthrough verify RUN_DIR`: re-hashes every file of a run folder against its
//! `manifest.json` and names each file that changed, went missing or was added since.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run folder (it holds manifest.json).
    pub run_dir: PathBuf,
}

pub async fn run(args: Args) -> i32 {
    match crate::evidence::manifest::verify_folder(&args.run_dir) {
        Ok(problems) if problems.is_empty() => {
            println!(
                "ok: every file matches {}",
                args.run_dir.join("manifest.json").display()
            );
            super::exit::PASSED
        }
        Ok(problems) => {
            for p in &problems {
                println!("{p}");
            }
            eprintln!(
                "error: {} file(s) of {} differ from its manifest",
                problems.len(),
                args.run_dir.display()
            );
            super::exit::CHECK_FAILED
        }
        Err(e) => {
            eprintln!("error: {e}");
            super::exit::USAGE
        }
    }
}
