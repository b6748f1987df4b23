//! The customer portal's API (`Authorization: Bearer polar_cst_…`): session introspection,
//! the customer, payment methods (list, add), subscriptions (list, get, cancel/uncancel,
//! cancel at period end by DELETE) and orders (list, get). The hosted portal page uses the
//! subscription update and the payment-method add.

use serde_json::{json, Value};

use super::input::{admits, card_field, path_uuid, str_field};
use super::render;
use super::subscriptions::index as subscription_index;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};

pub(crate) const ROUTES: &[Route] = &[
    Route::new(
        "customer_portal:customer-session:introspect",
        "GET",
        "/v1/customer-portal/customer-session/introspect",
        Auth::Customer,
        introspect,
    ),
    Route::new(
        "customer_portal:customers:get",
        "GET",
        "/v1/customer-portal/customers/me",
        Auth::Customer,
        me,
    ),
    Route::new(
        "customer_portal:customers:list_payment_methods",
        "GET",
        "/v1/customer-portal/customers/me/payment-methods",
        Auth::Customer,
        payment_methods,
    ),
    Route::new(
        "customer_portal:customers:add_payment_method",
        "POST",
        "/v1/customer-portal/customers/me/payment-methods",
        Auth::Customer,
        add_payment_method,
    ),
    Route::new(
        "customer_portal:subscriptions:list",
        "GET",
        "/v1/customer-portal/subscriptions/",
        Auth::Customer,
        subscriptions,
    ),
    Route::new(
        "customer_portal:subscriptions:get",
        "GET",
        "/v1/customer-portal/subscriptions/{id}",
        Auth::Customer,
        subscription,
    ),
    Route::new(
        "customer_portal:subscriptions:update",
        "PATCH",
        "/v1/customer-portal/subscriptions/{id}",
        Auth::Customer,
        update_subscription,
    ),
    Route::new(
        "customer_portal:subscriptions:cancel",
        "DELETE",
        "/v1/customer-portal/subscriptions/{id}",
        Auth::Customer,
        cancel_subscription,
    ),
    Route::new(
        "customer_portal:orders:list",
        "GET",
        "/v1/customer-portal/orders/",
        Auth::Customer,
        orders,
    ),
    Route::new(
        "customer_portal:orders:get",
        "GET",
        "/v1/customer-portal/orders/{id}",
        Auth::Customer,
        order,
    ),
];

fn introspect(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let token = ctx.req.bearer().unwrap_or_default();
    let s = ctx.world.session(&token).ok_or_else(ApiError::not_found)?;
    Reply::ok(json!({
        "expires_at": crate::polar_mock::wire::ts(s.expires_at),
        "return_url": s.return_url,
    }))
}

fn me(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    Reply::ok(render::portal_customer(&ctx.world.customers[ci]))
}

fn payment_methods(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let c = &ctx.world.customers[ci];
    let items = c
        .card
        .iter()
        .map(|card| render::payment_method(c, card, false))
        .collect();
    ctx.page(items)
}

/// Saves a card as the default and retries past-due subscriptions at once. The card comes
/// from `confirmation_token_id` (a Stripe test payment method, `pm_card_visa`, …) or, from the
/// mock's portal page, `card: {number, expiry, cvc}`. 201 `{status: "succeeded",
/// payment_method}`; 400 `PaymentMethodSetupFailed` (declined or invalid); 402
/// `PaymentFailed` (the retry failed).
fn add_payment_method(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let body = ctx.body()?;
    let now = ctx.world.now();
    let card = card_field(&body, now, "PaymentMethodSetupFailed")?;
    ctx.world
        .update_payment_method(ci, card)
        .map_err(|e| match e {
            crate::polar_mock::world::PaymentMethodError::Declined => {
                ApiError::new(400, "PaymentMethodSetupFailed", &e.to_string())
            }
            crate::polar_mock::world::PaymentMethodError::RetryFailed => {
                ApiError::new(402, "PaymentFailed", &e.to_string())
            }
        })?;
    let c = &ctx.world.customers[ci];
    let pm = c
        .card
        .as_ref()
        .map(|card| render::payment_method(c, card, false))
        .unwrap_or(Value::Null);
    Reply::created(json!({"status": "succeeded", "payment_method": pm}))
}

/// The session customer's subscription `id` (another customer's is not found).
fn own_subscription(ctx: &Ctx<'_>) -> Result<usize, ApiError> {
    let ci = ctx.customer_index()?;
    let si = subscription_index(ctx.world, ctx.param(0))?;
    if ctx.world.subscriptions[si].customer_id != ctx.world.customers[ci].id {
        return Err(ApiError::not_found());
    }
    Ok(si)
}

/// Newest first; filters `product_id`, `active`.
fn subscriptions(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let q = ctx.query();
    let active = super::input::bool_filter(&q, "active");
    let state = &*ctx.world;
    let id = &state.customers[ci].id;
    let mut found: Vec<_> = state
        .subscriptions
        .iter()
        .filter(|s| {
            &s.customer_id == id
                && admits(&q, "product_id", Some(&s.product_id))
                && active.is_none_or(|a| s.active() == a)
        })
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.started_at));
    let items = found
        .iter()
        .map(|s| render::customer_subscription(&ctx.render(), s))
        .collect();
    ctx.page(items)
}

fn subscription(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let si = own_subscription(ctx)?;
    Reply::ok(render::customer_subscription(
        &ctx.render(),
        &ctx.world.subscriptions[si],
    ))
}

/// `{cancel_at_period_end: true|false, cancellation_reason?, cancellation_comment?}`.
fn update_subscription(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let si = own_subscription(ctx)?;
    let body = ctx.body()?;
    match body.get("cancel_at_period_end") {
        Some(Value::Bool(true)) => ctx.world.cancel(
            si,
            str_field(&body, "cancellation_reason", 64)?,
            str_field(&body, "cancellation_comment", 5000)?,
        )?,
        Some(Value::Bool(false)) => ctx.world.uncancel(si)?,
        _ => {
            return Ok(crate::polar_mock::answer::not_modelled(
                "customer_portal:subscriptions:update without cancel_at_period_end",
                "PATCH",
                ctx.req.path.as_str(),
            ))
        }
    }
    Reply::ok(render::customer_subscription(
        &ctx.render(),
        &ctx.world.subscriptions[si],
    ))
}

/// Cancels at the end of the period (the portal's DELETE does not revoke).
fn cancel_subscription(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let si = own_subscription(ctx)?;
    ctx.world.cancel(si, None, None)?;
    Reply::ok(render::customer_subscription(
        &ctx.render(),
        &ctx.world.subscriptions[si],
    ))
}

/// Newest first; filters `product_id`, `subscription_id`.
fn orders(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let q = ctx.query();
    let state = &*ctx.world;
    let id = &state.customers[ci].id;
    let mut found: Vec<_> = state
        .orders
        .iter()
        .filter(|o| {
            &o.customer_id == id
                && admits(&q, "product_id", Some(&o.product_id))
                && admits(&q, "subscription_id", Some(&o.subscription_id))
        })
        .collect();
    found.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    let items = found
        .iter()
        .map(|o| render::customer_order(&ctx.render(), o))
        .collect();
    ctx.page(items)
}

fn order(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let id = path_uuid(ctx.param(0))?;
    let oi = ctx
        .world
        .order_index(id)
        .filter(|oi| ctx.world.orders[*oi].customer_id == ctx.world.customers[ci].id)
        .ok_or_else(ApiError::not_found)?;
    Reply::ok(render::customer_order(&ctx.render(), &ctx.world.orders[oi]))
}
