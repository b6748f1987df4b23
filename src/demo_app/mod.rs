//! The demo app: a small Tegy-like chat product billed through Polar at a price per active
//! workspace seat per month, and the reference integration of a seat-based Polar billing
//! lifecycle (checkout, customer portal, webhooks projected into an entitlement, refresh
//! from Polar as the source of truth, optional 402 enforcement). See `docs/demo-app.md`.
//!
//! Also serves the fixture pages ([`fixture_pages`]), the other local app under test, on the
//! same framework. Both listen on 127.0.0.1 only, behind the slow-client limits of [`serve`].
//! Owns axum, rusqlite and the hyper server (nothing else in the crate may import them). Talks
//! to Polar only through [`crate::polar`]. Must not import the mock, the browser, the runner or
//! the CLI.

mod db;
pub mod fixture_pages;
mod page;
pub mod projection;
mod routes;
mod serve;
pub mod validate;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::polar::types::{WebhookEndpointCreate, WebhookFormat};
use crate::polar::{PolarClient, PolarError, RetryPolicy};

pub use routes::{assistant_reply, SESSION_COOKIE, WEBHOOK_MAX_BYTES};
pub use serve::HttpLimits;

/// The events the app asks Polar for when it registers its own webhook endpoint.
pub const WEBHOOK_EVENTS: &[&str] = &[
    "checkout.updated",
    "customer.state_changed",
    "subscription.created",
    "subscription.updated",
    "subscription.active",
    "subscription.canceled",
    "subscription.uncanceled",
    "subscription.revoked",
    "subscription.past_due",
];

/// How to start the app.
#[derive(Clone)]
pub struct DemoAppConfig {
    /// None: an ephemeral port.
    pub port: Option<u16>,
    /// None: a file in a temporary directory removed at shutdown.
    pub db_path: Option<PathBuf>,
    /// Reject turns from workspaces without an active entitlement (HTTP 402).
    pub enforce: bool,
    /// Polar API base URL (mock, sandbox or production).
    pub polar_api_url: String,
    /// Organization access token.
    pub polar_token: String,
    /// The seat-based product to sell.
    pub product_id: String,
    /// None: register an endpoint with Polar and use the secret it returns.
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for DemoAppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoAppConfig")
            .field("port", &self.port)
            .field("db_path", &self.db_path)
            .field("enforce", &self.enforce)
            .field("polar_api_url", &self.polar_api_url)
            .field("polar_token", &"<redacted>")
            .field("product_id", &self.product_id)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Knobs beyond [`DemoAppConfig`], mostly for tests.
#[derive(Debug, Clone, Copy)]
pub struct DemoAppOptions {
    pub polar_timeout: Duration,
    pub polar_retry: RetryPolicy,
    /// Slow-client limits of the app's HTTP server.
    pub http: HttpLimits,
}

impl Default for DemoAppOptions {
    fn default() -> Self {
        DemoAppOptions {
            polar_timeout: Duration::from_secs(10),
            polar_retry: RetryPolicy {
                max_retries: 2,
                base_backoff: Duration::from_millis(200),
                max_retry_after: Duration::from_secs(5),
            },
            http: HttpLimits::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DemoAppError {
    #[error("demo app configuration: {0}")]
    Config(String),
    #[error("demo app database: {0}")]
    Database(String),
    #[error("demo app could not listen on 127.0.0.1:{port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    #[error("demo app could not register its webhook endpoint with Polar: {0}")]
    WebhookRegistration(#[source] PolarError),
    #[error("demo app: {0}")]
    Io(#[from] std::io::Error),
}

/// A running demo app.
pub struct DemoApp {
    url: String,
    webhook_secret: String,
    shutdown: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<()>,
    _tempdir: Option<tempfile::TempDir>,
}

impl std::fmt::Debug for DemoApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoApp")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl DemoApp {
    /// Starts the app on 127.0.0.1 with default options.
    pub async fn start(config: DemoAppConfig) -> Result<DemoApp, DemoAppError> {
        DemoApp::start_with(config, DemoAppOptions::default()).await
    }

    /// Starts the app on 127.0.0.1.
    pub async fn start_with(
        config: DemoAppConfig,
        options: DemoAppOptions,
    ) -> Result<DemoApp, DemoAppError> {
        for (name, value) in [
            ("Polar API URL", &config.polar_api_url),
            ("Polar token", &config.polar_token),
            ("product id", &config.product_id),
        ] {
            if value.trim().is_empty() {
                return Err(DemoAppError::Config(format!("the {name} is empty")));
            }
        }
        if config
            .webhook_secret
            .as_deref()
            .is_some_and(|s| s.is_empty())
        {
            return Err(DemoAppError::Config("the webhook secret is empty".into()));
        }
        let polar = PolarClient::builder(config.polar_api_url.clone(), config.polar_token.clone())
            .timeout(options.polar_timeout)
            .retry(options.polar_retry)
            .build()
            .map_err(|e| DemoAppError::Config(e.to_string()))?;

        let (tempdir, db_path) = match &config.db_path {
            Some(p) => (None, p.clone()),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("demo-app-")
                    .tempdir_in(crate::process::temp_dir())?;
                let path = dir.path().join("demo-app.sqlite3");
                (Some(dir), path)
            }
        };
        let db = db::Db::open(&db_path).map_err(|e| DemoAppError::Database(e.to_string()))?;

        let port = config.port.unwrap_or(0);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| DemoAppError::Bind { port, source })?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());

        let webhook_secret = match config.webhook_secret {
            Some(s) => s,
            None => {
                let endpoint = polar
                    .create_webhook_endpoint(&WebhookEndpointCreate {
                        url: format!("{url}/api/polar/webhooks"),
                        name: Some("walkthrough demo app".into()),
                        format: WebhookFormat::Raw,
                        events: WEBHOOK_EVENTS.iter().map(|e| e.to_string()).collect(),
                    })
                    .await
                    .map_err(DemoAppError::WebhookRegistration)?;
                endpoint.secret
            }
        };

        let state = Arc::new(routes::AppState {
            db,
            polar,
            product_id: config.product_id,
            enforce: config.enforce,
            base_url: url.clone(),
            webhook_secret: webhook_secret.clone(),
            product_cache: std::sync::Mutex::new(None),
        });
        let app = routes::router(state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve::serve(
            listener,
            app,
            options.http,
            WEBHOOK_MAX_BYTES,
            async {
                let _ = rx.await;
            },
        ));
        Ok(DemoApp {
            url,
            webhook_secret,
            shutdown: tx,
            server,
            _tempdir: tempdir,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The secret the app verifies webhooks with. Only for the `demo-app` command's first
    /// output line (a local development secret); never log it.
    pub fn webhook_secret(&self) -> String {
        self.webhook_secret.clone()
    }

    /// Stops accepting connections, lets in-flight requests finish (at most 5 s), and removes
    /// the temporary database.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(());
        let mut server = self.server;
        if tokio::time::timeout(Duration::from_secs(5), &mut server)
            .await
            .is_err()
        {
            // Dropping the server's task closes the connections still open.
            server.abort();
            let _ = server.await;
        }
    }
}
