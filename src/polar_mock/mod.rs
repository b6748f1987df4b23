//! `polar_mock`: a stateful local stand-in for Polar on loopback — the REST API under `/v1/`
//! in every API version the official SDKs ship (`Polar-Version` 2026-04, 2026-10, 2027-01),
//! the hosted checkout and customer portal pages, signed webhooks delivered by a tokio task,
//! and a control plane under `/__control/`.
//!
//! Rooms, each with its own `//!` saying what it owns and must not import:
//! - `world/` — Polar's state machine: typed records and status enums, transitions split by
//!   resource, Stripe's test cards, the outbox of typed events, refusals without status codes.
//!   No HTTP, no JSON, no other room.
//! - `api/` — the REST handlers (one table of routes per resource), request readers, Polar's
//!   JSON shapes (`render`) and API versions (`version`), Polar's operation list.
//! - `hosted/` — the pages a browser walks: checkout, card frame, portal, invoices.
//! - `control/` — the control plane; `faults` — the fault book, faults as data.
//! - `webhooks/` — delivery (signing, retries), the attempts log, the book of events sent.
//! - `handler` (what a route and its context are), `answer` (what a handler answers, Polar's
//!   errors), `fixtures` (the seed and the product catalog), `wire` (Polar's datetimes).
//! - `server` — the wiring: wiremock, every route mounted once at start, one responder that
//!   consults the fault book, Polar's middleware, then the handler, and publishes the events.
//! - `outbound` — publishing the world's events (render, record, queue for delivery), shared
//!   by the server and `scheduler`, the task that renews subscriptions whose period ended.
//!
//! Owns wiremock (only `server` uses it). Uses `crate::polar::webhook` for signing and
//! `crate::polar::types` for prices and statuses. Must not import the browser, the runner,
//! the demo app or the evidence writers.

mod answer;
mod api;
mod control;
mod faults;
mod fixtures;
mod handler;
mod hosted;
mod outbound;
mod scheduler;
mod server;
mod webhooks;
mod wire;
mod world;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use wiremock::MockServer;

pub use api::operations::{operations, Operation};
pub use faults::{Fault, FaultError, FaultKind};
pub use webhooks::{Delivery, DeliveryConfig};
pub use world::{ApiVersion, CardBehavior};

use fixtures::Catalog;
use handler::Shared;
use webhooks::{DeliveryLog, Webhooks};
use world::World;

/// Where to listen and which seed to load.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// Port on 127.0.0.1; a free one when `None`.
    pub port: Option<u16>,
    /// A seed file, or a directory with `seed.json`; the built-in `fixtures/polar/seed.json`
    /// when `None`.
    pub fixtures_dir: Option<PathBuf>,
}

/// Reads and checks a seed (a JSON file, or a directory holding `seed.json`) as
/// [`MockPolar::start`] will.
pub fn check_seed(path: &std::path::Path) -> Result<(), MockError> {
    fixtures::load(Some(path))
        .map(|_| ())
        .map_err(|e| MockError::Fixtures(e.to_string()))
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("invalid fixtures: {0}")]
    Fixtures(String),
    #[error("invalid fault: {0}")]
    Fault(#[from] FaultError),
    /// A page template that does not render (a defect of the mock itself).
    #[error("a page of the mock does not render: {0}")]
    Page(String),
}

/// A running mock. Dropping it stops the server, the webhook dispatcher and the scheduler.
pub struct MockPolar {
    server: Arc<MockServer>,
    /// The card frame's own origin (Stripe's iframe stand-in).
    card_server: Arc<MockServer>,
    shared: Arc<Shared>,
    dispatcher: tokio::task::JoinHandle<()>,
    scheduler: tokio::task::JoinHandle<()>,
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
        let seed = fixtures::load(config.fixtures_dir.as_deref())
            .map_err(|e| MockError::Fixtures(e.to_string()))?;
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
        let card_server = Arc::new(
            MockServer::builder()
                .disable_request_recording()
                .start()
                .await,
        );
        let organization = seed.organization.organization();
        let token = organization.token.clone();
        let slug = organization.slug.clone();
        let organization_id = organization.id.clone();
        let mut world = World::new(organization, Vec::new());
        let catalog = Catalog::new(&seed, &wire::ts(world.org_created_at));
        world.products = catalog
            .world_products()
            .map_err(|e| MockError::Fixtures(e.to_string()))?;
        world.benefits = catalog.world_benefits();
        world.seat_based_pricing_enabled = seed
            .organization
            .feature_settings
            .seat_based_pricing_enabled;
        let product_id = world
            .products
            .first()
            .map(|p| p.id.clone())
            .unwrap_or_default();
        let log = DeliveryLog::default();
        let (tx, dispatcher) = webhooks::spawn(log.clone(), delivery);
        let webhooks = Webhooks::new(log, tx);
        let shared = Arc::new(Shared::new(
            world,
            catalog,
            (server.uri(), card_server.uri()),
            webhooks,
            log_requests,
        ));
        server::mount(&server, &shared).await;
        server::mount_card_frame(&card_server, &shared).await?;
        let scheduler = scheduler::spawn(shared.clone());
        Ok(MockPolar {
            server,
            card_server,
            shared,
            dispatcher,
            scheduler,
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

    /// Where the links the API hands out (checkout, customer portal, the checkout's default
    /// success URL) send the browser: `base_url`, or the origin set with
    /// [`MockPolar::set_page_origin`].
    pub fn page_base(&self) -> String {
        self.shared.page_base()
    }

    /// Says the hosted pages live at `origin` (e.g. `https://sandbox.polar.sh`, answered by
    /// a proxy in front of this mock) in every link the API hands out from now on; the pages
    /// themselves answer on both. `None` goes back to `base_url`.
    pub fn set_page_origin(&self, origin: Option<String>) {
        self.shared.set_page_origin(origin);
    }

    /// The loopback address the API and pages listen on (what a proxy in front forwards to).
    pub fn address(&self) -> std::net::SocketAddr {
        *self.server.address()
    }

    /// The origin of the card frame's own listener, e.g. `http://127.0.0.1:41235`: another
    /// origin than `base_url`, so the pages read the card only through `postMessage`, as
    /// Polar's pages read Stripe's cross-origin iframe.
    pub fn card_origin(&self) -> String {
        self.card_server.uri()
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
        self.shared.webhooks.log.snapshot()
    }

    /// Events queued or in flight to some endpoint.
    pub fn pending_deliveries(&self) -> usize {
        self.shared.webhooks.log.pending.load(Ordering::SeqCst)
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
        let world = self.shared.lock();
        control::snapshot(&world, &self.shared)
    }

    /// Arms a fault (as `POST /__control/faults` does); it applies from the next request on.
    pub async fn inject_fault(&self, fault: Fault) -> Result<(), MockError> {
        fault.validate()?;
        self.shared.faults.add(fault);
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
        self.scheduler.abort();
    }
}
