//! The routes: Polar's REST operations the mock models (one module per resource), the hosted
//! pages, and the control plane. Each is a `Route` (Polar's operation id, method, path
//! template, who may call it, handler); `super::server` mounts one wiremock mock per route.
//!
//! Handlers read the request through `Ctx` and answer with a `Reply` in the 2026-04 shape;
//! the reply is reshaped for the request's `Polar-Version` on the way out. Must not mount
//! mocks themselves except through `Shared` (the fault routes of the control plane).

mod checkouts;
mod control;
mod customer_portal;
mod customers;
mod orders;
mod products;
mod subscriptions;
mod webhooks;

pub(crate) use control::snapshot as control_snapshot;

use serde_json::{Map, Value};
use wiremock::{Request, ResponseTemplate};

use super::error::{html_reply, ApiError};
use super::input;
use super::server::{json_in, Shared};
use super::state::State;
use super::version::ApiVersion;

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <organization access token>`.
    Org,
    /// `Authorization: Bearer <customer session token>` (the customer portal).
    Customer,
    /// No token needed (the checkout's client endpoints).
    Public,
    /// Not part of Polar's API (hosted pages, control plane).
    None,
}

pub(crate) type Handler = fn(&mut Ctx<'_>) -> Result<Reply, ApiError>;

#[derive(Clone, Copy)]
pub(crate) struct Route {
    /// Polar's operation id (`products:get`), or `page:…` / `control:…`.
    pub op: &'static str,
    pub method: &'static str,
    /// `/v1/products/{id}`; `{org_slug}` is replaced by the organization's slug.
    pub path: &'static str,
    pub auth: Auth,
    pub handler: Handler,
}

impl Route {
    pub const fn new(
        op: &'static str,
        method: &'static str,
        path: &'static str,
        auth: Auth,
        handler: Handler,
    ) -> Route {
        Route {
            op,
            method,
            path,
            auth,
            handler,
        }
    }
}

/// What a handler answers.
pub(crate) enum Reply {
    /// JSON in the 2026-04 shape, reshaped for the request's version.
    Json(u16, Value),
    /// 204 with no body.
    NoContent,
    Html(u16, String),
    /// A body of another type (the invoice PDF): status, content type, bytes.
    Bytes(u16, &'static str, Vec<u8>),
    /// Exactly this response (control plane answers, binary bodies).
    Raw(ResponseTemplate),
    Error(ApiError),
}

impl Reply {
    pub fn ok(v: Value) -> Result<Reply, ApiError> {
        Ok(Reply::Json(200, v))
    }

    pub fn created(v: Value) -> Result<Reply, ApiError> {
        Ok(Reply::Json(201, v))
    }

    pub fn into_template(self, version: ApiVersion) -> ResponseTemplate {
        match self {
            Reply::Json(status, v) => json_in(version, status, v),
            Reply::NoContent => ResponseTemplate::new(204),
            Reply::Html(status, body) => html_reply(status, body),
            Reply::Bytes(status, content_type, body) => {
                ResponseTemplate::new(status).set_body_raw(body, content_type)
            }
            Reply::Raw(t) => t,
            Reply::Error(e) => e.into_template(),
        }
    }
}

/// One request as a handler sees it.
pub(crate) struct Ctx<'a> {
    pub state: &'a mut State,
    pub shared: &'a Shared,
    pub req: &'a Request,
    /// The path parameters in template order, percent-decoded.
    pub params: Vec<String>,
    pub version: ApiVersion,
    /// The customer (index) of the customer session, on `Auth::Customer` routes.
    pub customer: Option<usize>,
}

impl Ctx<'_> {
    pub fn param(&self, i: usize) -> &str {
        self.params.get(i).map(String::as_str).unwrap_or("")
    }

    /// The first path parameter, which must be a UUID.
    pub fn id(&self) -> Result<String, ApiError> {
        input::path_uuid(self.param(0)).map(str::to_string)
    }

    pub fn body(&self) -> Result<Map<String, Value>, ApiError> {
        input::body_json(self.req)
    }

    pub fn query(&self) -> Vec<(String, String)> {
        input::query(self.req)
    }

    /// A page of `items` per the request's `page` and `limit`.
    pub fn page(&self, items: Vec<Value>) -> Result<Reply, ApiError> {
        let (page, limit) = input::page_params(self.req)?;
        Reply::ok(input::paginate(items, page, limit))
    }

    /// The portal session's customer index (always set on `Auth::Customer` routes).
    pub fn customer_index(&self) -> Result<usize, ApiError> {
        self.customer.ok_or_else(ApiError::not_found)
    }
}

/// Every route, in no particular order (priorities come from the path templates).
pub(crate) fn all() -> Vec<Route> {
    [
        products::ROUTES,
        checkouts::ROUTES,
        customers::ROUTES,
        subscriptions::ROUTES,
        orders::ROUTES,
        webhooks::ROUTES,
        customer_portal::ROUTES,
        super::hosted::ROUTES,
        control::ROUTES,
    ]
    .concat()
}
