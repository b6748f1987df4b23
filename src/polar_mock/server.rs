//! The wiremock side of the mock: one `Mock` per route (its method and path-regex matchers are
//! the router), a gate mock standing for Polar's middleware (unsupported `Polar-Version`,
//! unknown bearer tokens), a 501 mock per Polar operation the mock does not model, catch-all
//! 404s, and `Shared`, the state behind every responder. Faults are mounted at the highest
//! priority by `super::faults`.
//!
//! Priorities (lower is tried first): 1 faults, 2 the gate, 3 + the number of path parameters
//! for routes and unmodelled operations (so `/v1/orders/export` wins over `/v1/orders/{id}`),
//! 200 and 250 the catch-alls.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use regex::Regex;
use tokio::sync::mpsc::UnboundedSender;
use wiremock::matchers::{method, path_regex, MethodExactMatcher, PathRegexMatcher};
use wiremock::{Match, Mock, MockServer, Request, Respond, ResponseTemplate};

use super::delivery::DeliveryLog;
use super::error::{invalid_token, json_reply, not_found_route, not_modelled, unauthorized};
use super::faults::{Faults, WebhookEffect};
use super::input::{bearer, percent_decode};
use super::operations::{self, Operation};
use super::routes::{self, Auth, Ctx, Reply, Route};
use super::state::{Outgoing, State};
use super::version::ApiVersion;
use super::MockError;

/// What every responder shares: the state, the delivery log and dispatcher, the faults.
pub(crate) struct Shared {
    me: Weak<Shared>,
    state: Mutex<State>,
    pub log: DeliveryLog,
    tx: UnboundedSender<Outgoing>,
    pub faults: Faults,
    server: OnceLock<Weak<MockServer>>,
    routes: OnceLock<Vec<Arc<Mounted>>>,
    unmodelled: OnceLock<Vec<Operation>>,
    log_requests: bool,
}

impl Shared {
    pub fn new(
        state: State,
        log: DeliveryLog,
        tx: UnboundedSender<Outgoing>,
        log_requests: bool,
    ) -> Arc<Shared> {
        Arc::new_cyclic(|me| Shared {
            me: me.clone(),
            state: Mutex::new(state),
            log,
            tx,
            faults: Faults::default(),
            server: OnceLock::new(),
            routes: OnceLock::new(),
            unmodelled: OnceLock::new(),
            log_requests,
        })
    }

    /// This `Shared` as an `Arc` (for responders mounted later), unless it is being dropped.
    pub fn arc(&self) -> Option<Arc<Shared>> {
        self.me.upgrade()
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands the events a request produced to the dispatcher (applying webhook faults) and
    /// logs the request line.
    pub fn finish(
        &self,
        state: &mut State,
        req: &Request,
        template: ResponseTemplate,
    ) -> ResponseTemplate {
        for out in state.outbox.drain(..) {
            match self.faults.webhook_effect(&out.event.kind) {
                WebhookEffect::Drop => self.log.record_dropped(&out),
                WebhookEffect::Duplicate => {
                    self.send(out.clone());
                    self.send(out);
                }
                WebhookEffect::Deliver => self.send(out),
            }
        }
        if self.log_requests {
            eprintln!("{} {}", req.method, req.url.path());
        }
        template
    }

    fn send(&self, out: Outgoing) {
        self.log.pending.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(out).is_err() {
            self.log.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Answers `req` as the mounted mocks below the faults would: the gate, then the routes,
    /// the unmodelled operations and the catch-alls (used by latency faults, which delay the
    /// normal answer).
    pub fn answer(&self, req: &Request) -> ResponseTemplate {
        if let Some(t) = self.gate_answer(req) {
            return t;
        }
        if let Some(m) = self
            .routes
            .get()
            .and_then(|rs| rs.iter().find(|m| m.matches(req)))
        {
            return m.call(self, req);
        }
        let path = req.url.path();
        if let Some(op) = self.unmodelled.get().and_then(|ops| {
            ops.iter()
                .find(|op| op.method == req.method.as_str() && op.regex().is_match(path))
        }) {
            return self.not_modelled_answer(op, req);
        }
        let mut state = self.lock();
        self.finish(&mut state, req, catch_all(req))
    }

    fn gate_answer(&self, req: &Request) -> Option<ResponseTemplate> {
        let mut state = self.lock();
        let t = gate(&state, req)?;
        Some(self.finish(&mut state, req, t))
    }

    fn not_modelled_answer(&self, op: &Operation, req: &Request) -> ResponseTemplate {
        let mut state = self.lock();
        let t = with_version(not_modelled(&op.id, &op.method, &op.path), req);
        self.finish(&mut state, req, t)
    }

    /// Mounts `mock` from inside a responder. Wiremock holds its mock-set lock while a
    /// responder runs, so the mount is done by a helper thread; this returns once the
    /// registration is queued on that (fair) lock, which makes it effective before the next
    /// request is matched.
    pub fn mount_from_responder(&self, mock: Mock) -> Result<(), MockError> {
        let server = self
            .server
            .get()
            .and_then(Weak::upgrade)
            .ok_or(MockError::Stopped)?;
        let (queued, wait) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("polar-mock-mount".into())
            .spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().build() else {
                    return;
                };
                rt.block_on(FirstPoll {
                    inner: Box::pin(server.register(mock)),
                    queued: Some(queued),
                });
            })
            .map_err(|e| MockError::Mount(e.to_string()))?;
        wait.recv_timeout(Duration::from_secs(5))
            .map_err(|_| MockError::Mount("the mount was not queued within 5 s".into()))
    }
}

/// Polls `inner` and reports after its first poll (when a lock acquisition is queued).
struct FirstPoll<F> {
    inner: Pin<Box<F>>,
    queued: Option<std::sync::mpsc::Sender<()>>,
}

impl<F: Future> Future for FirstPoll<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let out = self.inner.as_mut().poll(cx);
        if let Some(tx) = self.queued.take() {
            let _ = tx.send(());
        }
        out
    }
}

/// The version a `/v1/` request asked for; `Err` for a malformed or unsupported header.
pub(crate) fn requested_version(req: &Request) -> Result<ApiVersion, ()> {
    match req.headers.get("polar-version") {
        None => Ok(ApiVersion::DEFAULT),
        Some(v) => v.to_str().ok().and_then(ApiVersion::parse).ok_or(()),
    }
}

/// Polar's middleware, before routing: an unsupported `Polar-Version` → 404
/// `{"detail":"Not Found"}`; a credential that is neither the organization token nor a live
/// customer session token → 401 `invalid_token`.
fn gate(state: &State, req: &Request) -> Option<ResponseTemplate> {
    if !req.url.path().starts_with("/v1/") {
        return None;
    }
    if requested_version(req).is_err() {
        return Some(not_found_route());
    }
    match credential(req) {
        None => {}
        Some(t) if t == state.seed.organization.token || state.session(&t).is_some() => {}
        Some(_) => return Some(with_version(invalid_token(), req)),
    }
    None
}

/// The credential a request carries: `None` without one (no `Authorization` header, or a
/// bare `Bearer` with an empty token); the token of a bearer header; anything else as is (an
/// unknown credential).
fn credential(req: &Request) -> Option<String> {
    let header = req
        .headers
        .get("authorization")?
        .to_str()
        .unwrap_or("?")
        .trim();
    if header.is_empty() || header.eq_ignore_ascii_case("bearer") {
        return None;
    }
    match bearer(req) {
        Some(t) if t.is_empty() => None,
        Some(t) => Some(t),
        None => Some(header.to_string()),
    }
}

fn with_version(t: ResponseTemplate, req: &Request) -> ResponseTemplate {
    let v = requested_version(req).unwrap_or(ApiVersion::DEFAULT);
    t.insert_header("Polar-Version", v.as_str())
}

fn catch_all(req: &Request) -> ResponseTemplate {
    if req.url.path().starts_with("/v1/") {
        with_version(not_found_route(), req)
    } else {
        not_found_route()
    }
}

/// `/v1/products/{id}` → `^/v1/products/([^/]+)$`.
pub(crate) fn template_regex(template: &str) -> String {
    let mut out = String::from("^");
    for (i, seg) in template.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        if seg.starts_with('{') && seg.ends_with('}') {
            out.push_str("([^/]+)");
        } else {
            out.push_str(&regex::escape(seg));
        }
    }
    out.push('$');
    out
}

pub(crate) fn priority_of(template: &str) -> u8 {
    3 + template.matches('{').count() as u8
}

/// A route as mounted: its matchers (also used by `Shared::answer`) and its parameters.
pub(crate) struct Mounted {
    route: Route,
    template: String,
    method: MethodExactMatcher,
    path: PathRegexMatcher,
    regex: Regex,
}

impl Mounted {
    fn new(route: Route, slug: &str) -> Mounted {
        let template = route.path.replace("{org_slug}", slug);
        let re = template_regex(&template);
        Mounted {
            route,
            method: method(route.method),
            path: path_regex(re.as_str()),
            regex: Regex::new(&re).unwrap_or_else(|_| Regex::new("^$").expect("valid")),
            template,
        }
    }

    fn matches(&self, req: &Request) -> bool {
        self.method.matches(req) && self.path.matches(req)
    }

    fn call(&self, shared: &Shared, req: &Request) -> ResponseTemplate {
        let mut state = shared.lock();
        let template = match gate(&state, req) {
            Some(t) => t,
            None => self.run(&mut state, shared, req),
        };
        shared.finish(&mut state, req, template)
    }

    fn run(&self, state: &mut State, shared: &Shared, req: &Request) -> ResponseTemplate {
        let api = self.template.starts_with("/v1/");
        let version = requested_version(req).unwrap_or(ApiVersion::DEFAULT);
        let token = bearer(req);
        let customer = match self.route.auth {
            Auth::Org => {
                if token.as_deref() != Some(state.seed.organization.token.as_str()) {
                    return with_version(unauthorized(), req);
                }
                None
            }
            Auth::Customer => {
                let ci = token
                    .as_deref()
                    .and_then(|t| state.session(t))
                    .map(|s| s.customer_id.clone())
                    .and_then(|id| state.customer_index(&id));
                match ci {
                    Some(ci) => Some(ci),
                    None => return with_version(unauthorized(), req),
                }
            }
            Auth::Public | Auth::None => None,
        };
        let params = self
            .regex
            .captures(req.url.path())
            .map(|c| {
                c.iter()
                    .skip(1)
                    .map(|m| percent_decode(m.map(|m| m.as_str()).unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        let mut ctx = Ctx {
            state,
            shared,
            req,
            params,
            version,
            customer,
        };
        let reply = (self.route.handler)(&mut ctx).unwrap_or_else(Reply::Error);
        let t = reply.into_template(version);
        if api {
            t.insert_header("Polar-Version", version.as_str())
        } else {
            t
        }
    }
}

struct RouteResponder {
    shared: Arc<Shared>,
    mounted: Arc<Mounted>,
}

impl Respond for RouteResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.mounted.call(&self.shared, req)
    }
}

/// Matches `/v1/` requests Polar's middleware would refuse.
struct GateMatcher(Arc<Shared>);

impl Match for GateMatcher {
    fn matches(&self, req: &Request) -> bool {
        req.url.path().starts_with("/v1/") && gate(&self.0.lock(), req).is_some()
    }
}

struct GateResponder(Arc<Shared>);

impl Respond for GateResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.0.gate_answer(req).unwrap_or_else(|| catch_all(req))
    }
}

struct NotModelledResponder {
    shared: Arc<Shared>,
    op: Operation,
}

impl Respond for NotModelledResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.shared.not_modelled_answer(&self.op, req)
    }
}

struct CatchAll(Arc<Shared>);

impl Respond for CatchAll {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let mut state = self.0.lock();
        self.0.finish(&mut state, req, catch_all(req))
    }
}

/// Mounts everything below the faults: the gate, every route, a 501 for each of Polar's
/// operations no route models, and the catch-alls.
pub(crate) async fn mount(server: &Arc<MockServer>, shared: &Arc<Shared>, slug: &str) {
    let _ = shared.server.set(Arc::downgrade(server));
    let table = routes::all();
    let mut mounted: Vec<Arc<Mounted>> = table
        .iter()
        .map(|r| Arc::new(Mounted::new(*r, slug)))
        .collect();
    mounted.sort_by_key(|m| priority_of(&m.template));
    let unmodelled: Vec<Operation> = operations::polar_operations()
        .into_iter()
        .filter(|op| {
            !table
                .iter()
                .any(|r| r.method == op.method && r.path == op.path)
        })
        .collect();
    Mock::given(GateMatcher(shared.clone()))
        .respond_with(GateResponder(shared.clone()))
        .with_priority(2)
        .named("polar middleware")
        .mount(server)
        .await;
    for m in &mounted {
        Mock::given(method(m.route.method))
            .and(path_regex(template_regex(&m.template)))
            .respond_with(RouteResponder {
                shared: shared.clone(),
                mounted: m.clone(),
            })
            .with_priority(priority_of(&m.template))
            .named(m.route.op)
            .mount(server)
            .await;
    }
    for op in &unmodelled {
        Mock::given(method(op.method.as_str()))
            .and(path_regex(template_regex(&op.path)))
            .respond_with(NotModelledResponder {
                shared: shared.clone(),
                op: op.clone(),
            })
            .with_priority(priority_of(&op.path))
            .named(format!("not modelled: {}", op.id))
            .mount(server)
            .await;
    }
    for (prefix, priority) in [("^/v1/", 200), ("^/", 250)] {
        Mock::given(path_regex(prefix))
            .respond_with(CatchAll(shared.clone()))
            .with_priority(priority)
            .named("catch-all")
            .mount(server)
            .await;
    }
    let _ = shared.routes.set(mounted);
    let _ = shared.unmodelled.set(unmodelled);
}

/// A JSON reply in `version`'s shape.
pub(crate) fn json_in(
    version: ApiVersion,
    status: u16,
    body: serde_json::Value,
) -> ResponseTemplate {
    json_reply(status, &version.adapt(body))
}
