//! `walkthrough mock-polar [--port P] [--fixtures DIR]`: runs the Polar mock on loopback,
//! prints one JSON line (`base_url`, `token`, `organization_slug`, `product_id`) on stdout,
//! then logs requests to stderr until interrupted.

use std::io::Write as _;
use std::path::PathBuf;

use crate::polar_mock::{DeliveryConfig, MockConfig, MockPolar};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (a free one when omitted).
    #[arg(long)]
    port: Option<u16>,
    /// Directory holding `seed.json` (defaults to the built-in fixtures/polar seed).
    #[arg(long = "fixtures", value_name = "DIR")]
    fixtures: Option<PathBuf>,
}

pub async fn run(args: Args) -> i32 {
    let config = MockConfig {
        port: args.port,
        fixtures_dir: args.fixtures,
    };
    let mock = match MockPolar::start_with(config, DeliveryConfig::default(), true).await {
        Ok(m) => m,
        Err(err) => {
            eprintln!("error: {err}");
            return super::exit::SETUP_FAILED;
        }
    };
    let line = serde_json::json!({
        "base_url": mock.base_url(),
        "token": mock.token(),
        "organization_slug": mock.organization_slug(),
        "product_id": mock.product_id(),
    });
    let mut out = std::io::stdout();
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        return super::exit::SETUP_FAILED;
    }
    eprintln!(
        "mock Polar listening on {} (control plane {}); Ctrl-C to stop",
        mock.base_url(),
        mock.control_url()
    );
    let _ = tokio::signal::ctrl_c().await;
    drop(mock);
    super::exit::INTERRUPTED
}
