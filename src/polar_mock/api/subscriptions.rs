//! Subscriptions: list, get, update (cancel, uncancel, revoke, seats, billing period end) and
//! revoke (DELETE).

use serde_json::{json, Map, Value};

use super::input::{
    admits, bool_filter, forbid_extra, future_datetime_field, int_field, str_field, uuid_filters,
};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{not_modelled, ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Req, Route};
use crate::polar_mock::world::World;

pub(crate) const ROUTES: &[Route] = &[
    Route::new(
        "subscriptions:list",
        "GET",
        "/v1/subscriptions/",
        Auth::Org,
        list,
    ),
    Route::new(
        "subscriptions:get",
        "GET",
        "/v1/subscriptions/{id}",
        Auth::Org,
        get,
    ),
    Route::new(
        "subscriptions:update",
        "PATCH",
        "/v1/subscriptions/{id}",
        Auth::Org,
        update,
    ),
    Route::new(
        "subscriptions:revoke",
        "DELETE",
        "/v1/subscriptions/{id}",
        Auth::Org,
        revoke,
    ),
];

/// Newest first; filters `customer_id`, `external_customer_id`, `product_id`,
/// `organization_id`, `status`, `active`, `cancel_at_period_end` (ids repeatable).
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(
        &q,
        &[
            "customer_id",
            "product_id",
            "organization_id",
            "discount_id",
        ],
    )?;
    let state = &*ctx.world;
    let active = bool_filter(&q, "active");
    let canceling = bool_filter(&q, "cancel_at_period_end");
    let mut found: Vec<_> = state
        .subscriptions
        .iter()
        .filter(|s| {
            let external = state
                .customers
                .iter()
                .find(|c| c.id == s.customer_id)
                .and_then(|c| c.external_id.as_deref());
            admits(&q, "customer_id", Some(&s.customer_id))
                && admits(&q, "product_id", Some(&s.product_id))
                && admits(&q, "organization_id", Some(state.org_id()))
                && admits(&q, "external_customer_id", external)
                && admits(&q, "status", Some(s.status.as_str()))
                && active.is_none_or(|a| s.active() == a)
                && canceling.is_none_or(|c| s.cancel_at_period_end == c)
        })
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.started_at));
    let items = found
        .iter()
        .map(|s| render::subscription(&ctx.render(), s))
        .collect();
    ctx.page(items)
}

pub(crate) fn index(state: &World, id: &str) -> Result<usize, ApiError> {
    let id = super::input::path_uuid(id)?;
    state.subscription_index(id).ok_or_else(ApiError::not_found)
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    Reply::ok(render::subscription(
        &ctx.render(),
        &ctx.world.subscriptions[i],
    ))
}

/// The `SubscriptionUpdate` variants Polar has and the mock does not model, by their key.
const UNMODELLED_VARIANTS: &[&str] = &[
    "product_id",
    "discount_id",
    "trial_end",
    "metadata",
    "pause_at_period_end",
    "resume",
    "pending_update",
    "units",
];

/// Exactly one variant: `{seats, proration_behavior?}`, `{revoke: true, …reason}`,
/// `{cancel_at_period_end, …reason}`, `{current_billing_period_end}` (Polar's
/// `SubscriptionUpdateBillingPeriod`, `server/polar/subscription/schemas.py` 401-411: a
/// future datetime; the scheduler renews once the mock's clock passes it). The other variants
/// answer 501.
fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    let body = ctx.body()?;
    let state = &mut *ctx.world;
    let reason = str_field(&body, "customer_cancellation_reason", 64)?;
    let comment = str_field(&body, "customer_cancellation_comment", 5000)?;
    const REASONS: [&str; 2] = [
        "customer_cancellation_reason",
        "customer_cancellation_comment",
    ];
    if body.is_empty() {
        // `SubscriptionUpdateBase` with nothing set: no change.
    } else if body.contains_key("seats") {
        forbid_extra(&body, &["seats", "proration_behavior"])?;
        let seats = int_field(&body, "seats", 1, 10000)?.ok_or_else(|| {
            ApiError::validation(
                "RequestValidationError",
                "int_type",
                json!(["body", "seats"]),
                "Input should be a valid integer",
                Value::Null,
            )
        })?;
        state.update_seats(i, seats)?;
    } else if body.contains_key("revoke") {
        forbid_extra(&body, &["revoke", REASONS[0], REASONS[1]])?;
        if body["revoke"] != json!(true) {
            return Err(ApiError::validation(
                "RequestValidationError",
                "literal_error",
                json!(["body", "revoke"]),
                "Input should be True",
                body["revoke"].clone(),
            ));
        }
        state.revoke(i, reason, comment)?;
    } else if body.contains_key("current_billing_period_end") {
        forbid_extra(&body, &["current_billing_period_end"])?;
        let now = state.now();
        let end = future_datetime_field(&body, "current_billing_period_end", now)?;
        state.update_period_end(i, end)?;
    } else if body.contains_key("cancel_at_period_end") {
        forbid_extra(&body, &["cancel_at_period_end", REASONS[0], REASONS[1]])?;
        match body["cancel_at_period_end"] {
            Value::Bool(true) => state.cancel(i, reason, comment)?,
            Value::Bool(false) => state.uncancel(i)?,
            ref v => {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "bool_type",
                    json!(["body", "cancel_at_period_end"]),
                    "Input should be a valid boolean",
                    v.clone(),
                ))
            }
        }
    } else {
        return Ok(unmodelled_variant(ctx.req, &body));
    }
    let r = ctx.render();
    Reply::ok(render::subscription(&r, &r.subscriptions[i]))
}

/// 501 naming the variant (by its keys) the mock does not model, e.g. a plan change.
fn unmodelled_variant(req: &Req, body: &Map<String, Value>) -> Reply {
    let known: Vec<&str> = body
        .keys()
        .map(String::as_str)
        .filter(|k| UNMODELLED_VARIANTS.contains(k))
        .collect();
    let keys: Vec<&str> = if known.is_empty() {
        body.keys().map(String::as_str).collect()
    } else {
        known
    };
    let what = format!("subscriptions:update with {{{}}}", keys.join(", "));
    not_modelled(&what, "PATCH", &req.path)
}

fn revoke(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    ctx.world.revoke(i, None, None)?;
    Reply::ok(render::subscription(
        &ctx.render(),
        &ctx.world.subscriptions[i],
    ))
}
