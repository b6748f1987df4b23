//! `walkthrough schema [scenario|project]`: prints the JSON Schema of scenario files or of
//! the project file (`walkthrough.yaml`), for editors.

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Which {
    /// Scenario and flow files.
    #[default]
    Scenario,
    /// The project file, walkthrough.yaml.
    Project,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Which file's schema.
    #[arg(value_enum, default_value = "scenario")]
    which: Which,
}

pub async fn run(args: Args) -> i32 {
    let schema = match args.which {
        Which::Scenario => crate::scenario::json_schema(),
        Which::Project => crate::project::json_schema(),
    };
    match serde_json::to_string_pretty(&schema) {
        Ok(text) => {
            use std::io::Write as _;
            // A reader that stops early (`| head`) is not an error.
            let _ = writeln!(std::io::stdout(), "{text}");
            super::exit::PASSED
        }
        Err(err) => {
            eprintln!("error: could not print the schema: {err}");
            super::exit::SETUP_FAILED
        }
    }
}
