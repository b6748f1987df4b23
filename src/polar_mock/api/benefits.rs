//! Benefits and their grants: `GET /v1/benefits/`, `GET /v1/benefits/{id}`,
//! `GET /v1/benefits/{id}/grants`, `GET /v1/benefit-grants/`, and the portal's
//! `GET /v1/customer-portal/benefit-grants/` (+ `{id}`) and `GET /v1/customer-portal/meters/`.
//! The benefits are the seed's (`custom` only); the grants are the world's.

use serde_json::Value;

use super::input::{admits, bool_filter, path_uuid, uuid_filters};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::BenefitGrant;

pub(crate) const ROUTES: &[Route] = &[
    Route::new("benefits:list", "GET", "/v1/benefits/", Auth::Org, list),
    Route::new("benefits:get", "GET", "/v1/benefits/{id}", Auth::Org, get),
    Route::new(
        "benefits:grants",
        "GET",
        "/v1/benefits/{id}/grants",
        Auth::Org,
        benefit_grants,
    ),
    Route::new(
        "benefit-grants:list",
        "GET",
        "/v1/benefit-grants/",
        Auth::Org,
        grants,
    ),
    Route::new(
        "customer_portal:benefit-grants:list",
        "GET",
        "/v1/customer-portal/benefit-grants/",
        Auth::Customer,
        portal_grants,
    ),
    Route::new(
        "customer_portal:benefit-grants:get",
        "GET",
        "/v1/customer-portal/benefit-grants/{id}",
        Auth::Customer,
        portal_grant,
    ),
    Route::new(
        "customer_portal:customer_meters:list",
        "GET",
        "/v1/customer-portal/meters/",
        Auth::Customer,
        portal_meters,
    ),
];

/// Filters `id`, `type`, `query` (description); `organization_id`, `sorting` and
/// `metadata[…]` are accepted (one organization, the seed's order).
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["id", "organization_id"])?;
    let text = q
        .iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.to_lowercase());
    let items = ctx
        .shared
        .catalog
        .benefits
        .iter()
        .filter(|b| {
            admits(&q, "id", b["id"].as_str())
                && admits(&q, "type", b["type"].as_str())
                && text.as_ref().is_none_or(|t| {
                    b["description"]
                        .as_str()
                        .is_some_and(|d| d.to_lowercase().contains(t))
                })
        })
        .cloned()
        .collect();
    ctx.page(items)
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.id()?;
    let b = ctx
        .shared
        .catalog
        .benefit(&id)
        .ok_or_else(ApiError::not_found)?;
    Reply::ok(b.clone())
}

/// Whether a grant passes the `is_granted` and `customer_id` filters
/// (`server/polar/benefit/endpoints.py` `grants`, `benefit/grant/endpoints.py` `list`).
fn org_filter(q: &[(String, String)], g: &BenefitGrant) -> bool {
    bool_filter(q, "is_granted").is_none_or(|x| g.is_granted() == x)
        && admits(q, "customer_id", Some(&g.customer_id))
}

/// The grants of one benefit; filters `is_granted`, `customer_id`.
fn benefit_grants(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.id()?;
    ctx.shared
        .catalog
        .benefit(&id)
        .ok_or_else(ApiError::not_found)?;
    let q = ctx.query();
    uuid_filters(&q, &["customer_id", "member_id"])?;
    let r = ctx.render();
    let items = r
        .grants
        .iter()
        .filter(|g| g.benefit_id == id && org_filter(&q, g))
        .map(|g| render::grant(&r, g))
        .collect();
    ctx.page(items)
}

/// Every grant of the organization; filters `is_granted`, `customer_id`,
/// `external_customer_id`.
fn grants(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["customer_id", "organization_id"])?;
    let r = ctx.render();
    let items = r
        .grants
        .iter()
        .filter(|g| {
            let external = r
                .customers
                .iter()
                .find(|c| c.id == g.customer_id)
                .and_then(|c| c.external_id.as_deref());
            org_filter(&q, g) && admits(&q, "external_customer_id", external)
        })
        .map(|g| render::grant(&r, g))
        .collect();
    ctx.page(items)
}

/// The session customer's grants that are not revoked, of public benefits
/// (`customer_portal/service/benefit_grant.py` 248-260), newest grant first.
fn portal_grants(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let q = ctx.query();
    uuid_filters(
        &q,
        &["benefit_id", "subscription_id", "order_id", "checkout_id"],
    )?;
    let r = ctx.render();
    let customer_id = &r.customers[ci].id;
    let mut found: Vec<&BenefitGrant> = r
        .grants
        .iter()
        .filter(|g| {
            &g.customer_id == customer_id
                && readable(&r, g)
                && admits(&q, "benefit_id", Some(&g.benefit_id))
                && admits(&q, "subscription_id", Some(&g.subscription_id))
                && admits(
                    &q,
                    "type",
                    r.benefit_doc(&g.benefit_id)
                        .and_then(|b| b["type"].as_str()),
                )
        })
        .collect();
    found.sort_by_key(|g| std::cmp::Reverse(g.granted_at));
    let items = found
        .into_iter()
        .map(|g| render::portal_grant(&r, g))
        .collect();
    ctx.page(items)
}

fn readable(r: &render::Render, g: &BenefitGrant) -> bool {
    !g.is_revoked()
        && r.benefit_doc(&g.benefit_id)
            .is_some_and(|b| b["visibility"] == "public")
}

/// One of the session customer's readable grants; anything else is not found.
fn portal_grant(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let id = path_uuid(ctx.param(0))?.to_string();
    let r = ctx.render();
    let g = r
        .grants
        .iter()
        .find(|g| g.id == id && g.customer_id == r.customers[ci].id && readable(&r, g))
        .ok_or_else(ApiError::not_found)?;
    Reply::ok(render::portal_grant(&r, g))
}

/// The customer's meters: the mock models no meters (no product has a metered price and
/// no benefit is a meter credit), so the page is empty, which is what Polar answers a
/// customer without any.
fn portal_meters(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    ctx.customer_index()?;
    let q = ctx.query();
    uuid_filters(&q, &["meter_id"])?;
    ctx.page(Vec::<Value>::new())
}
