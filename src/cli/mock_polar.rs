//! `walkthrough mock-polar` (in progress).

#[derive(Debug, clap::Args)]
pub struct Args {}

pub async fn run(_args: Args) -> i32 {
    eprintln!("error: not built yet");
    super::exit::SETUP_FAILED
}
