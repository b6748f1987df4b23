//! The command line: clap lives here and nowhere else. Each subcommand has its own file with
//! its `Args`; it turns them into a plan, calls one library function and maps the result to
//! the process exit code ([`exit`]). No domain work happens here.

mod check;
mod demo_app;
mod init;
mod merge;
mod mock_polar;
mod run;
mod schema;
mod verify;
mod verify_config;

use clap::{Parser, Subcommand};

pub use crate::harness::exit;

#[derive(Debug, Parser)]
#[command(
    name = "walkthrough",
    version,
    about = "Proves with video that a Polar billing lifecycle works end to end"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run scenarios in a real browser and write the evidence folder.
    Run(Box<run::Args>),
    /// Run the stateful local mock of Polar on loopback.
    MockPolar(mock_polar::Args),
    /// Run the demo app (a small product billed through Polar) on loopback.
    DemoApp(demo_app::Args),
    /// Check scenario files and print every problem found, without running anything.
    Check(check::Args),
    /// Check that the Polar configuration in the environment is usable (POLAR_* variables).
    VerifyConfig(verify_config::Args),
    /// Print the JSON Schema of scenario files or of the project file (for editors).
    Schema(schema::Args),
    /// Check a run folder against its manifest.json: names every changed, missing or added file.
    Verify(verify::Args),
    /// Merge run folders (shards, browsers, targets, reruns) into one verified folder with one report.
    Merge(merge::Args),
    /// Write a starter walkthrough.yaml, the six lifecycle scenarios and a CI workflow here.
    Init(init::Args),
}

/// Parses the command line, runs the command on a tokio runtime, returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            let _ = err.print();
            return match err.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::PASSED
                }
                _ => exit::USAGE,
            };
        }
    };
    crate::process::install_panic_hook();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return exit::SETUP_FAILED;
        }
    };
    runtime.block_on(async move {
        match cli.command {
            Command::Run(args) => run::run(*args).await,
            Command::MockPolar(args) => mock_polar::run(args).await,
            Command::DemoApp(args) => demo_app::run(args).await,
            Command::Check(args) => check::run(args).await,
            Command::Schema(args) => schema::run(args).await,
            Command::VerifyConfig(args) => verify_config::run(args).await,
            Command::Init(args) => init::run(args).await,
            Command::Verify(args) => verify::run(args).await,
            Command::Merge(args) => merge::run(args).await,
        }
    })
}
