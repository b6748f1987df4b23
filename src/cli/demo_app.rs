//! `walkthrough demo-app`: runs the demo app on loopback until Ctrl-C. The first line on stdout
//! is one JSON object `{"app_url", "polar_url", "webhook_secret"}` (a local development
//! secret, printed here and nowhere else).

use std::path::PathBuf;

use crate::demo_app::{DemoApp, DemoAppConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (default: an ephemeral port).
    #[arg(long)]
    pub port: Option<u16>,
    /// Reject turns from workspaces without an active subscription (HTTP 402).
    #[arg(long, env = "DEMO_APP_ENFORCE")]
    pub enforce: bool,
    /// SQLite file (default: a temporary file removed on exit).
    #[arg(long, env = "DEMO_APP_DB")]
    pub db: Option<PathBuf>,
    /// Polar API base URL (a mock, https://sandbox-api.polar.sh or https://api.polar.sh).
    #[arg(long, env = "POLAR_API_URL")]
    pub polar_url: Option<String>,
    /// Polar organization access token.
    #[arg(long, env = "POLAR_ACCESS_TOKEN", hide_env_values = true)]
    pub polar_token: Option<String>,
    /// The seat-based Polar product to sell.
    #[arg(long, env = "POLAR_PRODUCT_ID")]
    pub product_id: Option<String>,
    /// Webhook secret (default: register an endpoint with Polar and use the secret it returns).
    #[arg(long, env = "POLAR_WEBHOOK_SECRET", hide_env_values = true)]
    pub webhook_secret: Option<String>,
}

/// The Polar the app talks to.
struct PolarTarget {
    url: String,
    token: String,
    product_id: String,
}

/// Resolves the Polar target from the flags.
///
/// EMBEDDED MOCK GOES HERE: when `--polar-url` is absent, start
/// `polar_mock::MockPolar::start(polar_mock::MockConfig { port: None, fixtures_dir: None })`,
/// keep it alive for the app's lifetime, and return its `base_url()`, `token()` and
/// `product_id()`. Until then, the Polar flags are required.
fn resolve_polar(args: &Args) -> Result<PolarTarget, String> {
    let mut missing = Vec::new();
    if args.polar_url.is_none() {
        missing.push("--polar-url");
    }
    if args.polar_token.is_none() {
        missing.push("--polar-token");
    }
    if args.product_id.is_none() {
        missing.push("--product-id");
    }
    if !missing.is_empty() {
        return Err(format!(
            "missing {}: the embedded mock Polar is not available in this build, so give the Polar API URL, an organization token and the product id",
            missing.join(", ")
        ));
    }
    Ok(PolarTarget {
        url: args.polar_url.clone().unwrap_or_default(),
        token: args.polar_token.clone().unwrap_or_default(),
        product_id: args.product_id.clone().unwrap_or_default(),
    })
}

pub async fn run(args: Args) -> i32 {
    let target = match resolve_polar(&args) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("error: {msg}");
            return super::exit::USAGE;
        }
    };
    let config = DemoAppConfig {
        port: args.port,
        db_path: args.db.clone(),
        enforce: args.enforce,
        polar_api_url: target.url.clone(),
        polar_token: target.token,
        product_id: target.product_id,
        webhook_secret: args.webhook_secret.clone(),
    };
    let app = match DemoApp::start(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e}");
            return super::exit::SETUP_FAILED;
        }
    };
    let line = serde_json::json!({
        "app_url": app.url(),
        "polar_url": target.url,
        "webhook_secret": app.webhook_secret(),
    });
    println!("{line}");
    eprintln!(
        "demo app listening on {} (enforcement {}); Ctrl-C to stop",
        app.url(),
        if args.enforce { "on" } else { "off" }
    );
    let _ = tokio::signal::ctrl_c().await;
    app.shutdown().await;
    super::exit::PASSED
}
