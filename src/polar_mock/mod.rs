//! `polar_mock`: a stateful local stand-in for Polar on loopback — the REST API under `/v1/`
//! in every API version the official SDKs ship (`Polar-Version` 2026-04, 2026-10, 2027-01),
//! the hosted checkout and customer portal pages, signed webhooks delivered by a tokio task,
//! and a control plane under `/__control/`.
//!
//! Built on wiremock: one `Mock` per route (`server`), whose matchers are the router, over
//! shared state (`state`, rendered by `render`, reshaped per version by `version`); a 501 mock
//! for each of Polar's operations the mock does not model (`operations`); faults as mocks at
//! the highest priority with `up_to_n_times` (`faults`). No `.expect()` on mocks (its Drop
//! panics).
//!
//! Owns wiremock (the only module that may use it). Uses `crate::polar::webhook` for signing
//! and `crate::polar::types` for seat pricing. Must not import the browser, the runner, the
//! demo app or the evidence writers.

mod delivery;
mod error;
mod faults;
mod fixtures;
mod hosted;
mod input;
mod operations;
mod render;
mod routes;
mod server;
mod state;
mod version;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use wiremock::MockServer;

pub use delivery::{Delivery, DeliveryConfig};
pub use faults::{Fault, FaultError, FaultKind};
pub use operations::{operations, Operation};
pub use state::CardBehavior;
pub use version::ApiVersion;

use delivery::DeliveryLog;
use server::Shared;
use state::State;

/// Where to listen and which seed to load.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// Port on 127.0.0.1; a free one when `None`.
    pub port: Option<u16>,
    /// A seed file, or a directory with `seed.json`; the built-in `fixtures/polar/seed.json`
    /// when `None`.
    pub fixtures_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("invalid fixtures: {0}")]
    Fixtures(String),
    #[error("invalid fault: {0}")]
    Fault(#[from] FaultError),
    #[error("cannot mount a mock: {0}")]
    Mount(String),
    #[error("the mock has stopped")]
    Stopped,
}

/// A running mock. Dropping it stops the server and the webhook dispatcher.
pub struct MockPolar {
    server: Arc<MockServer>,
    shared: Arc<Shared>,
    dispatcher: tokio::task::JoinHandle<()>,
    token: String,
    slug: String,
    organization_id: String,
    product_id: String,
}

impl MockPolar {
    /// Starts on 127.0.0.1 with Polar's delivery policy (10 attempts, backoff from 1 s).
    pub async fn start(config: MockConfig) -> Result<MockPolar, MockError> {
        Self::start_with(config, DeliveryConfig::default(), false).await
    }

    /// Starts with a chosen delivery policy; `log_requests` prints one line per request to
    /// stderr (method and path; never headers or bodies).
    pub async fn start_with(
        config: MockConfig,
        delivery: DeliveryConfig,
        log_requests: bool,
    ) -> Result<MockPolar, MockError> {
        let seed = fixtures::load(config.fixtures_dir.as_deref())?;
        let port = config.port.unwrap_or(0);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|source| MockError::Bind { port, source })?;
        let server = Arc::new(
            MockServer::builder()
                .listener(listener)
                .disable_request_recording()
                .start()
                .await,
        );
        let token = seed.organization.token.clone();
        let slug = seed.organization.slug.clone();
        let organization_id = seed.organization.id.clone();
        let state = State::new(server.uri(), seed);
        let product_id = state
            .products
            .first()
            .and_then(|p| p["id"].as_str())
            .unwrap_or_default()
            .to_string();
        let log = DeliveryLog::default();
        let (tx, dispatcher) = delivery::spawn(log.clone(), delivery);
        let shared = Shared::new(state, log, tx, log_requests);
        server::mount(&server, &shared, &slug).await;
        Ok(MockPolar {
            server,
            shared,
            dispatcher,
            token,
            slug,
            organization_id,
            product_id,
        })
    }

    /// e.g. `http://127.0.0.1:41234`; API paths are `/v1/…`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    /// The organization access token the mock accepts (`polar_oat_…`).
    pub fn token(&self) -> String {
        self.token.clone()
    }

    pub fn organization_slug(&self) -> String {
        self.slug.clone()
    }

    /// The first seeded product ("Tegy Pro" in the default fixtures).
    /// The seeded organization's id.
    pub fn organization_id(&self) -> String {
        self.organization_id.clone()
    }

    pub fn product_id(&self) -> String {
        self.product_id.clone()
    }

    /// `base_url + "/__control"`.
    pub fn control_url(&self) -> String {
        format!("{}/__control", self.server.uri())
    }

    /// Every webhook delivery attempt so far, with its outcome, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.shared.log.snapshot()
    }

    /// Events queued or in flight to some endpoint.
    pub fn pending_deliveries(&self) -> usize {
        self.shared.log.pending.load(Ordering::SeqCst)
    }

    /// Waits until no delivery is queued or in flight (or `timeout` passes); returns whether
    /// the queue drained.
    pub async fn settle(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if self.pending_deliveries() == 0 {
                return true;
            }
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The same JSON as `GET /__control/state`.
    pub fn state_json(&self) -> serde_json::Value {
        let state = self.shared.lock();
        routes::control_snapshot(&state, &self.shared)
    }

    /// Arms a fault (as `POST /__control/faults` does): HTTP faults are mounted before this
    /// returns.
    pub async fn inject_fault(&self, fault: Fault) -> Result<(), MockError> {
        fault.validate()?;
        if let Some(mock) = self.shared.faults.add(self.shared.clone(), fault) {
            self.server.register(mock).await;
        }
        Ok(())
    }

    /// The faults still armed, with what remains of each.
    pub fn faults(&self) -> Vec<Fault> {
        self.shared.faults.list()
    }

    /// Disarms every fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }
}

impl Drop for MockPolar {
    fn drop(&mut self) {
        self.dispatcher.abort();
    }
}
