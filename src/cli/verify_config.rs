//! `walkthrough verify-config`: tells at a glance whether the Polar configuration in the
//! environment is usable, one `key: value` fact per line (or `--json`). Exit 0 only when
//! every check passes, 1 when one fails. The token is never printed.

use crate::polar::verify::{verify, Expectations};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the facts as one JSON object instead of lines.
    #[arg(long)]
    pub json: bool,
    /// Also require the product to have exactly this name (e.g. "Tegy Pro").
    #[arg(long, value_name = "NAME", env = "POLAR_PRODUCT_NAME")]
    pub product_name: Option<String>,
}

/// Exit code when a check fails.
pub const CHECK_FAILED: i32 = 1;

pub async fn run(args: Args) -> i32 {
    let expect = Expectations {
        product_name: args.product_name,
    };
    let verification = verify(|k| std::env::var(k).ok(), &expect).await;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&verification.render_json()).unwrap_or_default()
        );
    } else {
        print!("{}", verification.render_text());
    }
    if verification.passed() {
        super::exit::PASSED
    } else {
        CHECK_FAILED
    }
}
