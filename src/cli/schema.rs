//! `walkthrough schema`: prints the JSON Schema of scenario files, for editors.

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> i32 {
    match serde_json::to_string_pretty(&crate::scenario::json_schema()) {
        Ok(text) => {
            println!("{text}");
            super::exit::PASSED
        }
        Err(err) => {
            eprintln!("error: could not print the schema: {err}");
            super::exit::SETUP_FAILED
        }
    }
}
