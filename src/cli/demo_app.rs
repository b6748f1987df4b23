//! `walkthrough demo-app`: runs the demo app on loopback until Ctrl-C. The first line on stdout
//! is one JSON object `{"app_url", "polar_url", "webhook_secret"}` (a local development
//! secret, printed here and nowhere else).

use std::io::Write as _;
use std::path::PathBuf;

use crate::demo_app::{DemoApp, DemoAppConfig};
use crate::polar_mock::{MockConfig, MockPolar};

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

/// Flags that do not go together.
#[derive(Debug, thiserror::Error)]
enum FlagsError {
    #[error("{0} needs --polar-url (without --polar-url the embedded mock Polar is used, and it brings its own)")]
    NeedsPolarUrl(&'static str),
    #[error("missing {} (needed with --polar-url; leave out --polar-url to use the embedded mock Polar)", .0.join(", "))]
    Missing(Vec<&'static str>),
}

/// Resolves the Polar target from the flags: `None` when `--polar-url` is absent (the
/// embedded mock is used); with `--polar-url`, the token and product id are required.
fn resolve_polar(args: &Args) -> Result<Option<PolarTarget>, FlagsError> {
    let Some(url) = args.polar_url.clone() else {
        for (flag, given) in [
            ("--polar-token", args.polar_token.is_some()),
            ("--product-id", args.product_id.is_some()),
            ("--webhook-secret", args.webhook_secret.is_some()),
        ] {
            if given {
                return Err(FlagsError::NeedsPolarUrl(flag));
            }
        }
        return Ok(None);
    };
    let mut missing = Vec::new();
    if args.polar_token.is_none() {
        missing.push("--polar-token");
    }
    if args.product_id.is_none() {
        missing.push("--product-id");
    }
    if !missing.is_empty() {
        return Err(FlagsError::Missing(missing));
    }
    Ok(Some(PolarTarget {
        url,
        token: args.polar_token.clone().unwrap_or_default(),
        product_id: args.product_id.clone().unwrap_or_default(),
    }))
}

pub async fn run(args: Args) -> i32 {
    let target = match resolve_polar(&args) {
        Ok(t) => t,
        Err(msg) => {
            eprintln!("error: {msg}");
            return super::exit::USAGE;
        }
    };
    // Without --polar-url: the embedded mock, alive as long as the app; the app registers
    // its webhook endpoint with it.
    let (app, polar_url, mock) = match target {
        None => {
            let mock = MockPolar::start(MockConfig::default()).await;
            let mock = match mock {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("error: cannot start the embedded mock Polar: {e}");
                    return super::exit::SETUP_FAILED;
                }
            };
            let config = app_config(&args, mock.base_url(), mock.token(), mock.product_id());
            match DemoApp::start(config).await {
                Ok(app) => (app, mock.base_url(), Some(mock)),
                Err(e) => {
                    eprintln!("error: {e}");
                    return super::exit::SETUP_FAILED;
                }
            }
        }
        Some(t) => {
            let config = app_config(&args, t.url.clone(), t.token, t.product_id);
            match DemoApp::start(config).await {
                Ok(app) => (app, t.url, None),
                Err(e) => {
                    eprintln!("error: {e}");
                    return super::exit::SETUP_FAILED;
                }
            }
        }
    };
    let line = serde_json::json!({
        "app_url": app.url(),
        "polar_url": polar_url,
        "webhook_secret": app.webhook_secret(),
    });
    let mut out = std::io::stdout();
    if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
        app.shutdown().await;
        return super::exit::SETUP_FAILED;
    }
    eprintln!(
        "demo app listening on {} (enforcement {}){}; Ctrl-C to stop",
        app.url(),
        if args.enforce { "on" } else { "off" },
        match &mock {
            Some(m) => format!(
                ", embedded mock Polar on {} (control plane {})",
                m.base_url(),
                m.control_url()
            ),
            None => String::new(),
        }
    );
    wait_for_stop().await;
    app.shutdown().await;
    drop(mock);
    super::exit::PASSED
}

fn app_config(args: &Args, url: String, token: String, product_id: String) -> DemoAppConfig {
    DemoAppConfig {
        port: args.port,
        db_path: args.db.clone(),
        enforce: args.enforce,
        polar_api_url: url,
        polar_token: token,
        product_id,
        webhook_secret: args.webhook_secret.clone(),
    }
}

/// Until SIGINT (Ctrl-C) or SIGTERM.
async fn wait_for_stop() {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
