//! The mock's server: wiremock, used plainly. At start every route — the API's, the hosted
//! pages', the control plane's — a 501 for each of Polar's operations no route models, and two
//! catch-all 404s are mounted once, each a `Mock` whose method and path-regex matchers are the
//! router. One responder answers them all, in the order Polar's stack would: the fault book
//! (faults are data it consults: latency, injected statuses, rate limits), Polar's middleware
//! (unsupported `Polar-Version`, unknown bearer tokens), then the route's handler. The events
//! the request emitted are then rendered and handed to the webhook dispatcher (`outbound`).
//!
//! Priorities (lower is tried first): 3 + the number of path parameters for routes and
//! unmodelled operations (so `/v1/orders/export` wins over `/v1/orders/{id}`), 200 and 250 the
//! catch-alls. No `.expect()` on mocks (its Drop panics).
//!
//! The card frame (Stripe's cross-origin iframe stand-in) has a listener of its own, a second
//! `MockServer` on another loopback port, so it is another origin than the pages that embed
//! it: `mount_card_frame` mounts its one page there.
//!
//! Owns wiremock (the only module of the mock that may use it).

use std::sync::Arc;

use regex::Regex;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::answer::{invalid_token, not_found_route, not_modelled, unauthorized, ApiError, Reply};
use super::api::input::percent_decode;
use super::api::operations::{self, template_regex, Operation};
use super::faults::HttpEffect;
use super::handler::{Auth, Ctx, Req, Route, Shared};
use super::outbound::publish;
use super::world::{ApiVersion, World};
use super::{api, control, hosted};

fn priority_of(template: &str) -> u8 {
    3 + template.matches('{').count() as u8
}

/// What a mounted mock answers for.
enum Target {
    Route {
        route: Route,
        /// The path template with the organization's slug filled in, as a regex.
        regex: Regex,
    },
    /// One of Polar's operations the mock does not model (501).
    Unmodelled(Operation),
    /// Nothing matched (FastAPI's 404).
    CatchAll,
}

struct Responder {
    shared: Arc<Shared>,
    target: Arc<Target>,
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let req = plain(request);
        let effect = self.shared.faults.http_effect(&req.method, &req.path);
        let template = match effect {
            Some(HttpEffect::Status(status)) => template(
                Reply::Plain(
                    status,
                    serde_json::json!({"error": "InternalServerError", "detail": "Injected fault"}),
                ),
                ApiVersion::DEFAULT,
            ),
            Some(HttpEffect::RateLimit { retry_after }) => ResponseTemplate::new(429)
                .insert_header("Retry-After", retry_after.to_string().as_str()),
            Some(HttpEffect::Delay(delay)) => self.answer(&req).set_delay(delay),
            None => self.answer(&req),
        };
        if self.shared.log_requests {
            eprintln!("{} {}", req.method, req.path);
        }
        template
    }
}

impl Responder {
    /// The answer without faults: the middleware, then the target; then the request's events
    /// leave for the dispatcher.
    fn answer(&self, req: &Req) -> ResponseTemplate {
        let mut world = self.shared.lock();
        let api = req.path.starts_with("/v1/");
        let version = requested_version(req);
        let reply = match gate(&world, req) {
            Some(reply) => reply,
            None => match &*self.target {
                Target::Route { route, regex } => {
                    call(route, regex, &mut world, &self.shared, req, version)
                }
                Target::Unmodelled(op) => not_modelled(&op.id, &op.method, &op.path),
                Target::CatchAll => not_found_route(),
            },
        };
        publish(&self.shared, &mut world);
        drop(world);
        let unsupported = api && version.is_err();
        let t = template(reply, version.unwrap_or(ApiVersion::DEFAULT));
        if api && !unsupported {
            t.insert_header(
                "Polar-Version",
                version.unwrap_or(ApiVersion::DEFAULT).as_str(),
            )
        } else {
            t
        }
    }
}

/// Runs a route's handler once its caller is authorized.
fn call(
    route: &Route,
    regex: &Regex,
    world: &mut World,
    shared: &Shared,
    req: &Req,
    version: Result<ApiVersion, ()>,
) -> Reply {
    let token = req.bearer();
    let customer = match route.auth {
        Auth::Org => {
            if token.as_deref() != Some(world.organization.token.as_str()) {
                return unauthorized();
            }
            None
        }
        Auth::Customer => {
            let ci = token
                .as_deref()
                .and_then(|t| world.session(t))
                .map(|s| s.customer_id.clone())
                .and_then(|id| world.customer_index(&id));
            match ci {
                Some(ci) => Some(ci),
                None => return unauthorized(),
            }
        }
        Auth::Public | Auth::None => None,
    };
    let params = regex
        .captures(&req.path)
        .map(|c| {
            c.iter()
                .skip(1)
                .map(|m| percent_decode(m.map(|m| m.as_str()).unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    let mut ctx = Ctx {
        world,
        shared,
        req,
        params,
        version: version.unwrap_or(ApiVersion::DEFAULT),
        customer,
    };
    (route.handler)(&mut ctx).unwrap_or_else(Reply::Error)
}

/// The request as plain data.
fn plain(request: &Request) -> Req {
    Req {
        method: request.method.as_str().to_string(),
        path: request.url.path().to_string(),
        query: request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
        headers: request
            .headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_ascii_lowercase(), v.to_str().ok()?.into())))
            .collect(),
        body: request.body.clone(),
    }
}

/// The version a request asked for; `Err` for a malformed or unsupported header.
fn requested_version(req: &Req) -> Result<ApiVersion, ()> {
    match req.header("polar-version") {
        None => Ok(ApiVersion::DEFAULT),
        Some(v) => ApiVersion::parse(v).ok_or(()),
    }
}

/// Polar's middleware, before routing: an unsupported `Polar-Version` → 404
/// `{"detail":"Not Found"}`; a credential that is neither the organization token nor a live
/// customer session token → 401 `invalid_token`.
fn gate(world: &World, req: &Req) -> Option<Reply> {
    if !req.path.starts_with("/v1/") {
        return None;
    }
    if requested_version(req).is_err() {
        return Some(not_found_route());
    }
    match credential(req) {
        None => None,
        Some(t) if t == world.organization.token || world.session(&t).is_some() => None,
        Some(_) => Some(invalid_token()),
    }
}

/// The credential a request carries: `None` without one (no `Authorization` header, or a
/// bare `Bearer` with an empty token); the token of a bearer header; anything else as is (an
/// unknown credential).
fn credential(req: &Req) -> Option<String> {
    let header = req.header("authorization")?.trim();
    if header.is_empty() || header.eq_ignore_ascii_case("bearer") {
        return None;
    }
    match req.bearer() {
        Some(t) if t.is_empty() => None,
        Some(t) => Some(t),
        None => Some(header.to_string()),
    }
}

/// A reply as wiremock sends it; JSON replies reshaped for `version`.
fn template(reply: Reply, version: ApiVersion) -> ResponseTemplate {
    let json = |status: u16, body: &serde_json::Value| {
        ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
    };
    match reply {
        Reply::Json(status, v) => json(status, &version.adapt(v)),
        Reply::Plain(status, v) => json(status, &v),
        Reply::NoContent => ResponseTemplate::new(204),
        Reply::Html(status, body) => {
            ResponseTemplate::new(status).set_body_raw(body, "text/html; charset=utf-8")
        }
        Reply::Bytes {
            status,
            content_type,
            body,
        } => ResponseTemplate::new(status).set_body_raw(body, content_type),
        Reply::Text {
            status,
            content_type,
            body,
            headers,
        } => headers.into_iter().fold(
            ResponseTemplate::new(status).set_body_raw(body, content_type),
            |t, (name, value)| t.insert_header(name, value.as_str()),
        ),
        Reply::Redirect(location) => {
            ResponseTemplate::new(307).insert_header("Location", location.as_str())
        }
        Reply::Error(ApiError { status, body }) => json(status, &body),
    }
}

/// Every route of every room.
pub(crate) fn routes() -> Vec<Route> {
    [api::routes(), hosted::routes(), control::routes()].concat()
}

/// Mounts everything, once: every route, a 501 for each of Polar's operations no route
/// models, and the catch-alls.
pub(crate) async fn mount(server: &MockServer, shared: &Arc<Shared>) {
    let slug = shared.lock().organization.slug.clone();
    for route in routes() {
        let template = route.path.replace("{org_slug}", &slug);
        let re = template_regex(&template);
        let Ok(regex) = Regex::new(&re) else { continue };
        let target = Target::Route { route, regex };
        mount_one(
            server,
            shared,
            method(route.method),
            &re,
            target,
            priority_of(&template),
            route.op,
        )
        .await;
    }
    for op in operations::operations()
        .into_iter()
        .filter(|op| !op.modelled)
    {
        let re = template_regex(&op.path);
        let priority = priority_of(&op.path);
        let name = format!("not modelled: {}", op.id);
        let verb = method(op.method.as_str());
        mount_one(
            server,
            shared,
            verb,
            &re,
            Target::Unmodelled(op),
            priority,
            &name,
        )
        .await;
    }
    for (prefix, priority) in [("^/v1/", 200), ("^/", 250)] {
        Mock::given(path_regex(prefix))
            .respond_with(Responder {
                shared: shared.clone(),
                target: Arc::new(Target::CatchAll),
            })
            .with_priority(priority)
            .named("catch-all")
            .mount(server)
            .await;
    }
}

async fn mount_one(
    server: &MockServer,
    shared: &Arc<Shared>,
    verb: wiremock::matchers::MethodExactMatcher,
    regex: &str,
    target: Target,
    priority: u8,
    name: &str,
) {
    Mock::given(verb)
        .and(path_regex(regex))
        .respond_with(Responder {
            shared: shared.clone(),
            target: Arc::new(target),
        })
        .with_priority(priority)
        .named(name.to_string())
        .mount(server)
        .await;
}

/// The card frame's listener: `GET /card-frame` answers the frame (which talks only to pages
/// of `shared.base_url`'s origin), anything else wiremock's 404. The page is the same for every
/// checkout and portal, so it is rendered once; a template that does not render is an error.
pub(crate) async fn mount_card_frame(
    card: &MockServer,
    shared: &Shared,
) -> Result<(), super::MockError> {
    let html = hosted::card_frame_html(&shared.base_url)?;
    Mock::given(method("GET"))
        .and(path_regex(format!("^{}$", hosted::CARD_FRAME_PATH)))
        .respond_with(ResponseTemplate::new(200).set_body_raw(html, "text/html; charset=utf-8"))
        .named("card frame")
        .mount(card)
        .await;
    Ok(())
}
