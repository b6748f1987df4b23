//! The customer portal's API (`Authorization: Bearer polar_cst_…`): session introspection,
//! the customer and its default card, payment methods (list, add, delete), subscriptions (list, get, cancel/uncancel,
//! cancel at period end by DELETE) and orders (list, get, retry a past-due one's payment).
//! The hosted portal pages use the subscription update, the payment methods, the customer
//! update (the default card) and the retry.

use serde_json::{json, Value};

use super::input::{admits, bool_field, card_field, is_uuid, path_uuid, str_field, uuid_error};
use super::render;
use super::subscriptions::index as subscription_index;
use super::Request as _;
use crate::polar_mock::answer::{not_modelled, ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::RetryWith;

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
        "customer_portal:customers:update",
        "PATCH",
        "/v1/customer-portal/customers/me",
        Auth::Customer,
        update_me,
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
        "customer_portal:customers:delete_payment_method",
        "DELETE",
        "/v1/customer-portal/customers/me/payment-methods/{id}",
        Auth::Customer,
        delete_payment_method,
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
    Route::new(
        "customer_portal:orders:confirm_retry_payment",
        "POST",
        "/v1/customer-portal/orders/{id}/confirm-payment",
        Auth::Customer,
        confirm_retry_payment,
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
    let items = render::payment_methods(&ctx.world.customers[ci], false);
    ctx.page(items)
}

/// Saves a card (`CustomerPaymentMethodCreate`). The card comes from `confirmation_token_id`
/// (a Stripe test payment method, `pm_card_visa`, …) or, from the mock's portal page,
/// `card: {number, expiry, cvc}`. With `set_default` (Polar requires it; the page's form
/// leaves it out and means `true`) it becomes the default and past-due subscriptions are
/// retried at once. 201 `{status: "succeeded", payment_method}`; 400
/// `PaymentMethodSetupFailed` (declined or invalid); 402 `PaymentFailed` (the retry failed).
fn add_payment_method(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let body = ctx.body()?;
    let now = ctx.world.now();
    let card = card_field(&body, now, "PaymentMethodSetupFailed")?;
    let set_default = bool_field(&body, "set_default")?.unwrap_or(true);
    let id = ctx.world.add_payment_method(ci, card, set_default)?;
    let c = &ctx.world.customers[ci];
    let pm = c
        .card(&id)
        .map(|card| render::payment_method(c, card, false))
        .unwrap_or(Value::Null);
    Reply::created(json!({"status": "succeeded", "payment_method": pm}))
}

/// Deletes a saved card: 204; 404 `ResourceNotFound` (not this customer's); 400
/// `PaymentMethodInUseByActiveSubscription` (a subscription needs it and there is no other
/// card). Subscriptions billed with it move to the default card.
fn delete_payment_method(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let id = path_uuid(ctx.param(0))?.to_string();
    ctx.world.delete_payment_method(ci, &id)?;
    Ok(Reply::NoContent)
}

/// `CustomerPortalCustomerUpdate` with `default_payment_method_id`: the saved card becomes
/// the default and past-due subscriptions are retried with it (Polar enqueues the retry and
/// answers 200 whatever it gives). `null` → 422 `missing`; another customer's or an unknown
/// card → 422 `invalid` "Payment method not found." (`customer_portal/service/customer.py`
/// 88-118). The other fields (`billing_name`, `billing_address`, `tax_id`) answer 501.
fn update_me(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let ci = ctx.customer_index()?;
    let body = ctx.body()?;
    let others: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "default_payment_method_id")
        .collect();
    if !others.is_empty() {
        let what = format!(
            "customer_portal:customers:update with {{{}}}",
            others.join(", ")
        );
        return Ok(not_modelled(&what, "PATCH", ctx.req.path.as_str()));
    }
    let loc = json!(["body", "default_payment_method_id"]);
    match body.get("default_payment_method_id") {
        None => {}
        Some(Value::Null) => {
            return Err(ApiError::validation(
                "PolarRequestValidationError",
                "missing",
                loc,
                "Default payment method cannot be reset to null.",
                Value::Null,
            ))
        }
        Some(v) => {
            let id = v
                .as_str()
                .filter(|s| is_uuid(s))
                .ok_or_else(|| uuid_error(loc.clone(), v.as_str().unwrap_or_default()))?;
            ctx.world.set_default_payment_method(ci, id).map_err(|_| {
                ApiError::validation(
                    "PolarRequestValidationError",
                    "invalid",
                    loc,
                    "Payment method not found.",
                    v.clone(),
                )
            })?;
        }
    }
    Reply::ok(render::portal_customer(&ctx.world.customers[ci]))
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
            return Ok(not_modelled(
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

/// The session customer's order `id` (another customer's is not found).
fn own_order(ctx: &Ctx<'_>) -> Result<usize, ApiError> {
    let ci = ctx.customer_index()?;
    let id = path_uuid(ctx.param(0))?;
    ctx.world
        .order_index(id)
        .filter(|oi| ctx.world.orders[*oi].customer_id == ctx.world.customers[ci].id)
        .ok_or_else(ApiError::not_found)
}

fn order(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let oi = own_order(ctx)?;
    Reply::ok(render::customer_order(&ctx.render(), &ctx.world.orders[oi]))
}

/// "Retry payment" of a past-due order (`CustomerOrderConfirmPayment`: exactly one of
/// `payment_method_id`, a saved card, and `confirmation_token_id` — or, from the mock's page,
/// `card: {number, expiry, cvc}` — Polar's `customer_portal/endpoints/order.py` 276-313 and
/// `customer_portal/schemas/order.py` 79-116). 200 `{status: "succeeded"|"failed",
/// client_secret: null, error}`: the charge is decided in the request, what it changes
/// follows in a background job (webhooks within the scheduler's next tick). 422
/// `OrderNotEligibleForRetry` / `PaymentRetryValidationError`, 409 `PaymentAlreadyInProgress`.
fn confirm_retry_payment(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let oi = own_order(ctx)?;
    let body = ctx.body()?;
    let saved = str_field(&body, "payment_method_id", 64)?;
    let new = body.contains_key("confirmation_token_id") || body.contains_key("card");
    let with = match (saved, new) {
        (Some(id), false) => RetryWith::Saved(id),
        (None, true) => RetryWith::New(card_field(
            &body,
            ctx.world.now(),
            "PaymentRetryValidationError",
        )?),
        (None, false) => {
            return Err(ApiError::new(
                422,
                "PaymentRetryValidationError",
                "Either confirmation_token_id or payment_method_id must be provided",
            ))
        }
        (Some(_), true) => {
            return Err(ApiError::new(
                422,
                "PaymentRetryValidationError",
                "Only one of confirmation_token_id or payment_method_id can be provided",
            ))
        }
    };
    let paid = ctx.world.confirm_retry_payment(oi, with)?;
    Reply::ok(if paid {
        json!({"status": "succeeded", "client_secret": null, "error": null})
    } else {
        json!({"status": "failed", "client_secret": null, "error": "Your card was declined."})
    })
}
