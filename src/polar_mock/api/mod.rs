//! Polar's REST API as the mock serves it: one module per resource, each a table of `Route`s
//! (Polar's operation id, method, path template, who may call it, handler); `input` reads
//! requests the way Polar's FastAPI/pydantic layer does, `render` writes Polar's JSON shapes,
//! `version` reshapes them per `Polar-Version`, `operations` lists Polar's operations and
//! which of them the mock models.
//!
//! Handlers read the request through `Ctx` and answer with a `Reply` in the 2026-04 shape; the
//! server reshapes it for the request's version. They change the world only through its
//! transitions. Must not import wiremock, the hosted pages or the control plane.

mod benefits;
mod checkouts;
mod customer_portal;
mod customer_seats;
mod customers;
mod events;
pub(crate) mod input;
pub(crate) mod operations;
mod orders;
mod products;
pub(crate) mod render;
mod subscriptions;
pub(crate) mod version;
mod webhook_endpoints;

use serde_json::{Map, Value};

use super::answer::{ApiError, Reply};
use super::handler::{Ctx, Route};
use render::Render;

/// Every route of the API, in no particular order (priorities come from the path templates).
pub(crate) fn routes() -> Vec<Route> {
    [
        products::ROUTES,
        checkouts::ROUTES,
        customers::ROUTES,
        subscriptions::ROUTES,
        orders::ROUTES,
        webhook_endpoints::ROUTES,
        customer_portal::ROUTES,
        benefits::ROUTES,
        customer_seats::ROUTES,
        events::ROUTES,
    ]
    .concat()
}

/// What the API's handlers read from a request beyond `Ctx` itself.
pub(crate) trait Request {
    /// The first path parameter, which must be a UUID.
    fn id(&self) -> Result<String, ApiError>;
    /// The JSON object body.
    fn body(&self) -> Result<Map<String, Value>, ApiError>;
    /// A page of `items` per the request's `page` and `limit`.
    fn page(&self, items: Vec<Value>) -> Result<Reply, ApiError>;
    /// A renderer over the world as it is now.
    fn render(&self) -> Render<'_>;
}

impl Request for Ctx<'_> {
    fn id(&self) -> Result<String, ApiError> {
        input::path_uuid(self.param(0)).map(str::to_string)
    }

    fn body(&self) -> Result<Map<String, Value>, ApiError> {
        input::body_json(self.req)
    }

    fn page(&self, items: Vec<Value>) -> Result<Reply, ApiError> {
        let (page, limit) = input::page_params(self.req)?;
        Reply::ok(input::paginate(items, page, limit))
    }

    fn render(&self) -> Render<'_> {
        Render::new(self.world, self.shared)
    }
}
