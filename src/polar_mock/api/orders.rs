//! Orders: list, get, and invoices (generate, then a URL to a PDF the mock serves at
//! `/invoices/{order_id}.pdf`).

use serde_json::json;

use super::input::{admits, path_uuid, uuid_filters};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::{OrderStatus, World};

pub(crate) const ROUTES: &[Route] = &[
    Route::new("orders:list", "GET", "/v1/orders/", Auth::Org, list),
    Route::new("orders:get", "GET", "/v1/orders/{id}", Auth::Org, get),
    Route::new(
        "orders:invoice",
        "GET",
        "/v1/orders/{id}/invoice",
        Auth::Org,
        invoice,
    ),
    Route::new(
        "orders:generate_invoice",
        "POST",
        "/v1/orders/{id}/invoice",
        Auth::Org,
        generate_invoice,
    ),
];

/// Newest first; filters `organization_id`, `product_id`, `customer_id`,
/// `external_customer_id`, `checkout_id`, `subscription_id`, `status`, `product_billing_type`
/// (all repeatable); `discount_id` matches nothing (no discounts are modelled).
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(
        &q,
        &[
            "organization_id",
            "product_id",
            "customer_id",
            "checkout_id",
            "subscription_id",
            "discount_id",
        ],
    )?;
    let state = &*ctx.world;
    let no_discount = !q.iter().any(|(k, _)| k == "discount_id");
    let mut found: Vec<_> = state
        .orders
        .iter()
        .filter(|o| {
            let external = state
                .customers
                .iter()
                .find(|c| c.id == o.customer_id)
                .and_then(|c| c.external_id.as_deref());
            admits(&q, "organization_id", Some(state.org_id()))
                && admits(&q, "product_id", Some(&o.product_id))
                && admits(&q, "customer_id", Some(&o.customer_id))
                && admits(&q, "external_customer_id", external)
                && admits(&q, "checkout_id", o.checkout_id.as_deref())
                && admits(&q, "subscription_id", Some(&o.subscription_id))
                && admits(&q, "status", Some(o.status.as_str()))
                && admits(&q, "product_billing_type", Some("recurring"))
                && no_discount
        })
        .collect();
    found.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    let items = found
        .iter()
        .map(|o| render::order(&ctx.render(), o))
        .collect();
    ctx.page(items)
}

fn index(state: &World, id: &str) -> Result<usize, ApiError> {
    let id = path_uuid(id)?;
    state.order_index(id).ok_or_else(ApiError::not_found)
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let oi = index(ctx.world, ctx.param(0))?;
    Reply::ok(render::order(&ctx.render(), &ctx.world.orders[oi]))
}

/// `OrderInvoice`: generated on first request for a paid order; an unpaid order has none
/// (404).
fn invoice(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let oi = index(ctx.world, ctx.param(0))?;
    if ctx.world.orders[oi].status != OrderStatus::Paid {
        return Err(ApiError::not_found());
    }
    ctx.world.generate_invoice(oi)?;
    let url = format!(
        "{}/invoices/{}.pdf",
        ctx.shared.base_url, ctx.world.orders[oi].id
    );
    Reply::ok(json!({"url": url}))
}

/// 202 `{}`; 409 `OrderNotEligibleForInvoice` for an unpaid order.
fn generate_invoice(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let oi = index(ctx.world, ctx.param(0))?;
    ctx.world.generate_invoice(oi)?;
    Ok(Reply::Json(202, json!({})))
}
