//! `walkthrough mock-polar`: runs the Polar mock on loopback, prints one JSON line
//! (`base_url`, `token`, `organization_slug`, `product_id`) on stdout, then logs requests to
//! stderr until interrupted. With `--env-file FILE --app-url URL` it also registers the app's
//! webhook endpoint and writes the app's environment to FILE, for a dev server started by hand.

use std::io::Write as _;
use std::path::PathBuf;

use crate::polar_mock::{DeliveryConfig, MockConfig, MockPolar};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (a free one when omitted).
    #[arg(long)]
    port: Option<u16>,
    /// The seed: a JSON file, or a directory holding `seed.json` [default: the project
    /// file's `polar.seed`, else the built-in fixtures/polar seed].
    #[arg(long = "fixtures", value_name = "PATH")]
    fixtures: Option<PathBuf>,
    /// Write the app's environment (`NAME=value` lines) to FILE: the project file's
    /// `app.env` when there is one, else POLAR_API_URL, POLAR_ACCESS_TOKEN, POLAR_PRODUCT_ID,
    /// POLAR_ORGANIZATION_ID, POLAR_WEBHOOK_SECRET and POLAR_CONTROL_URL.
    #[arg(long, value_name = "FILE", requires = "app_url")]
    env_file: Option<PathBuf>,
    /// The app's base URL; its webhook endpoint (the project file's `app.webhook_path`, else
    /// /api/polar/webhooks) is registered on the mock.
    #[arg(long, value_name = "URL", requires = "env_file")]
    app_url: Option<url::Url>,
    /// The project file [default: walkthrough.yaml in this folder or the nearest parent].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Registers the app and writes its environment file; the exit code when that fails.
async fn write_env(args: &Args, mock: &MockPolar) -> Option<i32> {
    let (Some(file), Some(app)) = (&args.env_file, &args.app_url) else {
        return None;
    };
    let spec = match super::run::load_project(args.config.as_ref()) {
        Ok(project) => project.and_then(|p| p.app),
        Err(e) => {
            if let crate::harness::RunError::InvalidProject(d) = &e {
                eprint!("{}", d.render());
            }
            eprintln!("error: {e}");
            return Some(e.exit_code());
        }
    };
    let path = spec
        .as_ref()
        .and_then(|a| a.webhook_path.clone())
        .unwrap_or_else(|| "/api/polar/webhooks".into());
    let env = spec.as_ref().map(|a| &a.env[..]);
    let env = match crate::testbed::project_app::dev_env(mock, app, &path, env).await {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: {e}");
            return Some(super::exit::SETUP_FAILED);
        }
    };
    let text: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    if let Err(e) = std::fs::write(file, text) {
        eprintln!("error: cannot write {}: {e}", file.display());
        return Some(super::exit::EVIDENCE_FAILED);
    }
    eprintln!(
        "wrote {} ({} variables, with the mock's local token and webhook secret); the app's webhook endpoint is {}",
        file.display(),
        env.len(),
        app.join(&path).map(|u| u.to_string()).unwrap_or(path)
    );
    None
}

pub async fn run(args: Args) -> i32 {
    let seed = match &args.fixtures {
        Some(path) => Some(path.clone()),
        None => match super::run::load_project(args.config.as_ref()) {
            Ok(project) => project.and_then(|p| p.polar_seed),
            Err(e) => {
                if let crate::harness::RunError::InvalidProject(d) = &e {
                    eprint!("{}", d.render());
                }
                eprintln!("error: {e}");
                return e.exit_code();
            }
        },
    };
    let config = MockConfig {
        port: args.port,
        fixtures_dir: seed,
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
    if let Some(code) = write_env(&args, &mock).await {
        return code;
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
