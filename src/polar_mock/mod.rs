//! `polar_mock`: a stateful local stand-in for Polar on loopback — the REST API under `/v1/`,
//! the hosted checkout and customer portal pages, signed webhooks delivered by a tokio task,
//! and a control plane under `/__control/`. Built on wiremock's `MockServer` with one custom
//! responder over shared state (no `.expect()` on mocks: its Drop panics).
//!
//! Owns wiremock (the only module that may use it). Uses `crate::polar::webhook` for signing.
//! Must not import the browser, the runner, the demo app or the evidence writers.

mod api;
mod control;
mod delivery;
mod fixtures;
mod pages;
mod state;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub use delivery::{Delivery, DeliveryConfig};
pub use state::CardBehavior;

use delivery::DeliveryLog;
use state::{Outgoing, State};

/// Where to listen and which seed to load.
#[derive(Debug, Clone, Default)]
pub struct MockConfig {
    /// Port on 127.0.0.1; a free one when `None`.
    pub port: Option<u16>,
    /// A directory with `seed.json`; the built-in `fixtures/polar/seed.json` when `None`.
    pub fixtures_dir: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot bind 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error("invalid fixtures: {0}")]
    Fixtures(String),
}

/// A running mock. Dropping it stops the server and the webhook dispatcher.
pub struct MockPolar {
    server: MockServer,
    state: Arc<Mutex<State>>,
    log: DeliveryLog,
    dispatcher: tokio::task::JoinHandle<()>,
    token: String,
    slug: String,
    product_id: String,
}

impl MockPolar {
    /// Starts on 127.0.0.1 with Polar's delivery policy (10 attempts, backoff from 1 s).
    pub async fn start(config: MockConfig) -> Result<MockPolar, MockError> {
        Self::start_with(config, DeliveryConfig::default(), false).await
    }

    /// Starts with a chosen delivery policy; `log_requests` prints one line per request to
    /// stderr (method, path, status; never headers or bodies).
    pub async fn start_with(
        config: MockConfig,
        delivery: DeliveryConfig,
        log_requests: bool,
    ) -> Result<MockPolar, MockError> {
        let seed = fixtures::load(config.fixtures_dir.as_deref())?;
        let port = config.port.unwrap_or(0);
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))
            .map_err(|source| MockError::Bind { port, source })?;
        let server = MockServer::builder()
            .listener(listener)
            .disable_request_recording()
            .start()
            .await;
        let base_url = server.uri();
        let token = seed.organization.token.clone();
        let slug = seed.organization.slug.clone();
        let state = State::new(base_url, seed, log_requests);
        let product_id = state
            .products
            .first()
            .and_then(|p| p["id"].as_str())
            .unwrap_or_default()
            .to_string();
        let state = Arc::new(Mutex::new(state));
        let log = DeliveryLog::default();
        let (tx, dispatcher) = delivery::spawn(log.clone(), delivery);
        Mock::given(any())
            .respond_with(Router {
                state: state.clone(),
                log: log.clone(),
                tx,
            })
            .mount(&server)
            .await;
        Ok(MockPolar {
            server,
            state,
            log,
            dispatcher,
            token,
            slug,
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
    pub fn product_id(&self) -> String {
        self.product_id.clone()
    }

    /// `base_url + "/__control"`.
    pub fn control_url(&self) -> String {
        format!("{}/__control", self.server.uri())
    }

    /// Every webhook delivery attempt so far, with its outcome, in the order they finished.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.snapshot()
    }

    /// Events queued or in flight to some endpoint.
    pub fn pending_deliveries(&self) -> usize {
        self.log.pending.load(Ordering::SeqCst)
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
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        control::snapshot(&state, &self.log)
    }
}

impl Drop for MockPolar {
    fn drop(&mut self) {
        self.dispatcher.abort();
    }
}

/// The one responder: routes every request over the shared state.
struct Router {
    state: Arc<Mutex<State>>,
    log: DeliveryLog,
    tx: UnboundedSender<Outgoing>,
}

impl Respond for Router {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let path = req.url.path().to_string();
        let method = req.method.as_str().to_string();
        let mut delay = None;
        let response = if path.starts_with("/__control") {
            let segs: Vec<&str> = path
                .trim_start_matches("/__control")
                .trim_start_matches('/')
                .split('/')
                .filter(|s| !s.is_empty())
                .collect();
            control::handle(&mut state, &self.log, req, &segs)
        } else {
            match control::take_fault(&mut state, &method, &path) {
                Some(control::FaultEffect::Respond(r)) => r,
                other => {
                    if let Some(control::FaultEffect::Delay(d)) = other {
                        delay = Some(d);
                    }
                    route(&mut state, req, &path)
                }
            }
        };
        // Hand new webhook events to the dispatcher (FIFO per endpoint).
        for out in state.outbox.drain(..) {
            self.log.pending.fetch_add(1, Ordering::SeqCst);
            if self.tx.send(out).is_err() {
                self.log.pending.fetch_sub(1, Ordering::SeqCst);
            }
        }
        if state.log_requests {
            eprintln!("{method} {path}");
        }
        match delay {
            Some(d) => response.set_delay(d),
            None => response,
        }
    }
}

fn html(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "text/html; charset=utf-8")
}

fn route(state: &mut State, req: &Request, path: &str) -> ResponseTemplate {
    let method = req.method.as_str();
    if let Some(rest) = path.strip_prefix("/v1/") {
        if let Some(v) = req.headers.get("polar-version") {
            let v = v.to_str().unwrap_or("");
            if v != "2026-04" && v != "2026-10" {
                return api::json_reply(404, &serde_json::json!({"detail": "Not Found"}));
            }
        }
        let version = req
            .headers
            .get("polar-version")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("2026-04")
            .to_string();
        let segs: Vec<&str> = rest.split('/').collect();
        return api::handle(state, req, &segs).insert_header("Polar-Version", version.as_str());
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segs.as_slice()) {
        ("GET", ["checkout", secret]) => match state.checkout_by_secret(secret) {
            Some(i) => html(200, pages::checkout(state, i)),
            None => html(404, pages::page("Not found", "<main><section data-testid=\"not-found\"><h1>Checkout not found</h1></section></main>")),
        },
        ("GET", ["checkout", secret, "card-frame"]) if state.checkout_by_secret(secret).is_some() => {
            html(200, pages::card_frame())
        }
        ("GET", ["checkout", secret, "confirmation"]) => match state.checkout_by_secret(secret) {
            Some(i) => html(200, pages::confirmation(state, i)),
            None => html(404, pages::page("Not found", "<h1>Not found</h1>")),
        },
        ("GET", ["portal", "card-frame"]) => html(200, pages::card_frame()),
        ("GET", [slug, "portal"]) if *slug == state.seed.organization.slug => {
            let token = req
                .url
                .query_pairs()
                .find(|(k, _)| k == "customer_session_token")
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default();
            match pages::portal(state, &token) {
                Some(page) => html(200, page),
                None => html(401, pages::portal_expired()),
            }
        }
        ("GET", ["favicon.ico"]) => ResponseTemplate::new(204),
        _ => api::json_reply(404, &serde_json::json!({"detail": "Not Found"})),
    }
}
