//! `GET /v1/products/` and `GET /v1/products/{id}`.

use super::input::{admits, bool_filter, uuid_filters};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};

pub(crate) const ROUTES: &[Route] = &[
    Route::new("products:list", "GET", "/v1/products/", Auth::Org, list),
    Route::new("products:get", "GET", "/v1/products/{id}", Auth::Org, get),
];

/// Filters `id`, `organization_id`, `query` (name), `is_archived`, `is_recurring`,
/// `visibility`, `benefit_id` (repeatable: the products carrying one of those benefits);
/// `sorting` and `metadata[…]` are accepted and ignored.
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["id", "organization_id", "benefit_id"])?;
    let name = q
        .iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.to_lowercase());
    let archived = bool_filter(&q, "is_archived");
    let recurring = bool_filter(&q, "is_recurring");
    let r = ctx.render();
    let items = ctx
        .shared
        .catalog
        .products
        .iter()
        .filter(|p| {
            admits(&q, "id", p["id"].as_str())
                && admits(&q, "organization_id", p["organization_id"].as_str())
                && admits(&q, "visibility", p["visibility"].as_str())
                && archived.is_none_or(|a| p["is_archived"].as_bool() == Some(a))
                && recurring.is_none_or(|r| p["is_recurring"].as_bool() == Some(r))
                && name.as_ref().is_none_or(|n| {
                    p["name"]
                        .as_str()
                        .is_some_and(|x| x.to_lowercase().contains(n))
                })
                && carries(&q, p)
        })
        .map(|p| render::product(&r, p))
        .collect();
    ctx.page(items)
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.id()?;
    let p = ctx
        .shared
        .catalog
        .product(&id)
        .ok_or_else(ApiError::not_found)?;
    Reply::ok(render::product(&ctx.render(), p))
}

/// Whether the product passes the `benefit_id` filter.
fn carries(q: &[(String, String)], p: &serde_json::Value) -> bool {
    let wanted: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "benefit_id")
        .map(|(_, v)| v.as_str())
        .collect();
    wanted.is_empty()
        || p["benefits"].as_array().is_some_and(|bs| {
            bs.iter()
                .any(|b| b["id"].as_str().is_some_and(|id| wanted.contains(&id)))
        })
}
