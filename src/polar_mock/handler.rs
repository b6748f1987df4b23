//! What a route is and what its handler sees: `Route` (Polar's operation id, method, path
//! template, who may call it, handler), `Req` (the request as plain data), `Ctx` (the request,
//! the world under its lock, the mock's shared parts) and `Shared` itself. The API, the
//! hosted pages and the control plane each give a table of routes; the server mounts them.
//!
//! Must not import wiremock (the server turns its requests into `Req`) or any room's routes.

use std::sync::{Mutex, MutexGuard};

use super::answer::{ApiError, Reply};
use super::faults::FaultBook;
use super::fixtures::Catalog;
use super::webhooks::Webhooks;
use super::world::{ApiVersion, World};

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

/// An HTTP request as plain data.
#[derive(Debug, Clone, Default)]
pub(crate) struct Req {
    pub method: String,
    pub path: String,
    /// The decoded query pairs, in order.
    pub query: Vec<(String, String)>,
    /// Header names in lowercase, values as text (headers that are not text are left out).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The token of `Authorization: Bearer <token>`.
    pub fn bearer(&self) -> Option<String> {
        let (scheme, tok) = self.header("authorization")?.split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| tok.trim().to_string())
    }

    /// The first value of a query parameter.
    pub fn query_value(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// What every responder shares: the world, the product catalog's documents, the fault book,
/// the webhooks on their way out.
pub(crate) struct Shared {
    world: Mutex<World>,
    pub catalog: Catalog,
    pub base_url: String,
    /// The card frame's own listener (`http://127.0.0.1:{card port}`): another origin than
    /// `base_url`, as Stripe's iframe is another origin than Polar's page.
    pub card_origin: String,
    /// Where the hosted pages are said to live when not on `base_url` (a run that answers as
    /// Polar's own names: `https://sandbox.polar.sh`); the links the API hands out use it.
    page_origin: Mutex<Option<String>>,
    pub faults: FaultBook,
    pub webhooks: Webhooks,
    pub log_requests: bool,
}

impl Shared {
    pub fn new(
        world: World,
        catalog: Catalog,
        origins: (String, String),
        webhooks: Webhooks,
        log_requests: bool,
    ) -> Shared {
        let (base_url, card_origin) = origins;
        Shared {
            world: Mutex::new(world),
            catalog,
            base_url,
            card_origin,
            page_origin: Mutex::new(None),
            faults: FaultBook::default(),
            webhooks,
            log_requests,
        }
    }

    /// The origin of the hosted pages in the links the API hands out (checkout, portal,
    /// confirmation): the page origin when one is set, else `base_url`.
    pub fn page_base(&self) -> String {
        self.page_origin
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_else(|| self.base_url.clone())
    }

    pub fn set_page_origin(&self, origin: Option<String>) {
        *self.page_origin.lock().unwrap_or_else(|e| e.into_inner()) = origin;
    }

    pub fn lock(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One request as a handler sees it.
pub(crate) struct Ctx<'a> {
    pub world: &'a mut World,
    pub shared: &'a Shared,
    pub req: &'a Req,
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

    pub fn query(&self) -> Vec<(String, String)> {
        self.req.query.clone()
    }

    /// The portal session's customer index (always set on `Auth::Customer` routes).
    pub fn customer_index(&self) -> Result<usize, ApiError> {
        self.customer.ok_or_else(ApiError::not_found)
    }
}
