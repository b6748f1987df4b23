//! The control plane under `/__control/` (no auth; loopback only): reset, the clock and
//! billing periods, charge outcomes, revocation, faults, and read access to state, events and
//! webhook deliveries. Every route is documented in `docs/mock-polar.md`. Faults are armed in
//! the fault book (`super::faults`), which every responder consults; nothing is mounted here.
//!
//! Must not import wiremock.

use chrono::Duration;
use serde_json::{json, Value};

use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::api::render::{self, Render};
use crate::polar_mock::faults::Fault;
use crate::polar_mock::handler::{Auth, Ctx, Route, Shared};
use crate::polar_mock::wire::ts;
use crate::polar_mock::world::{ApiVersion, World};

pub(crate) fn routes() -> Vec<Route> {
    ROUTES.to_vec()
}

const ROUTES: &[Route] = &[
    Route::new("control:index", "GET", "/__control", Auth::None, index),
    Route::new("control:index", "GET", "/__control/", Auth::None, index),
    Route::new(
        "control:reset",
        "POST",
        "/__control/reset",
        Auth::None,
        reset,
    ),
    Route::new(
        "control:state",
        "GET",
        "/__control/state",
        Auth::None,
        state,
    ),
    Route::new(
        "control:events",
        "GET",
        "/__control/events",
        Auth::None,
        events,
    ),
    Route::new(
        "control:deliveries",
        "GET",
        "/__control/deliveries",
        Auth::None,
        deliveries,
    ),
    Route::new(
        "control:clock",
        "POST",
        "/__control/clock/advance",
        Auth::None,
        clock,
    ),
    Route::new(
        "control:advance_period",
        "POST",
        "/__control/advance-period",
        Auth::None,
        advance_period,
    ),
    Route::new(
        "control:next_charge",
        "POST",
        "/__control/next-charge",
        Auth::None,
        next_charge,
    ),
    Route::new(
        "control:revoke",
        "POST",
        "/__control/subscriptions/{id}/revoke",
        Auth::None,
        revoke,
    ),
    Route::new(
        "control:faults",
        "GET",
        "/__control/faults",
        Auth::None,
        list_faults,
    ),
    Route::new(
        "control:faults",
        "POST",
        "/__control/faults",
        Auth::None,
        add_fault,
    ),
    Route::new(
        "control:faults",
        "DELETE",
        "/__control/faults",
        Auth::None,
        clear_faults,
    ),
];

fn bad(msg: &str) -> ApiError {
    ApiError::new(400, "BadRequest", msg)
}

fn raw(status: u16, v: Value) -> Result<Reply, ApiError> {
    Ok(Reply::Plain(status, v))
}

/// The body as JSON; an empty body is `{}`.
fn body(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    if ctx.req.body.is_empty() {
        return Ok(json!({}));
    }
    serde_json::from_slice(&ctx.req.body).map_err(|_| bad("the body must be JSON"))
}

/// Everything the mock holds, for tests and evidence (webhook secrets left out).
pub(crate) fn snapshot(world: &World, shared: &Shared) -> Value {
    let state = &Render::new(world, shared);
    json!({
        "now": ts(state.now()),
        "clock_offset_seconds": state.clock_offset.num_seconds(),
        "next_charge": state.next_charge.map(|ok| if ok { "succeed" } else { "fail" }),
        "organization": {"id": state.organization.id, "slug": state.organization.slug, "name": state.organization.name},
        "products": shared.catalog.products.iter().map(|p| render::product(state, p)).collect::<Vec<_>>(),
        "checkouts": state.checkouts.iter().map(|c| render::checkout(state, c)).collect::<Vec<_>>(),
        "customers": state.customers.iter().map(|c| {
            let mut v = render::customer(state, c);
            v["payment_method"] = json!(c.default_card().map(|card| json!({"id": card.id, "last4": card.last4, "behavior": card.behavior})));
            v["payment_methods"] = json!(c.cards.iter().map(|card| json!({"id": card.id, "last4": card.last4, "behavior": card.behavior})).collect::<Vec<_>>());
            v
        }).collect::<Vec<_>>(),
        "subscriptions": state.subscriptions.iter().map(|s| render::subscription(state, s)).collect::<Vec<_>>(),
        "orders": state.orders.iter().map(|o| render::order(state, o)).collect::<Vec<_>>(),
        "webhook_endpoints": state.endpoints,
        "faults": shared.faults.list(),
        "events": shared.webhooks.book().events.len(),
        "webhooks_pending": shared.webhooks.log.pending.load(std::sync::atomic::Ordering::SeqCst),
    })
}

fn index(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let routes: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.path != "/__control/")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    raw(
        200,
        json!({
            "base_url": ctx.shared.base_url,
            "page_base": ctx.shared.page_base(),
            "organization_slug": ctx.world.organization.slug,
            "product_id": ctx.world.products.first().map(|p| p.id.clone()),
            "api_versions": ApiVersion::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(),
            "routes": routes,
        }),
    )
}

fn reset(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    ctx.world.reset();
    ctx.shared.faults.clear();
    ctx.shared.webhooks.clear();
    raw(200, json!({"reset": true}))
}

fn state(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    raw(200, snapshot(ctx.world, ctx.shared))
}

fn events(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    raw(200, json!(ctx.shared.webhooks.book().events))
}

fn deliveries(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    raw(200, json!(ctx.shared.webhooks.log.snapshot()))
}

fn clock(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let b = body(ctx)?;
    let Some(secs) = b.get("seconds").and_then(Value::as_i64).filter(|s| *s >= 0) else {
        return Err(bad("expected {\"seconds\": N} with N >= 0"));
    };
    ctx.world.clock_offset += Duration::seconds(secs);
    raw(200, json!({"now": ts(ctx.world.now())}))
}

/// For the given (or every billable) subscription: the end of its period and what Polar does
/// there (see `State::advance_period`).
fn advance_period(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let b = body(ctx)?;
    let state = &mut *ctx.world;
    let targets: Vec<usize> = match b.get("subscription_id").and_then(Value::as_str) {
        Some(id) => vec![state
            .subscription_index(id)
            .ok_or_else(ApiError::not_found)?],
        None => (0..state.subscriptions.len())
            .filter(|i| state.subscriptions[*i].billable())
            .collect(),
    };
    let mut results = Vec::new();
    for i in targets {
        let outcome = state.advance_period(i);
        let s = &state.subscriptions[i];
        results.push(json!({
            "subscription_id": s.id,
            "status": s.status,
            "current_period_end": ts(s.current_period_end),
            "error": outcome.err().map(|e| ApiError::from(e).body),
        }));
    }
    raw(
        200,
        json!({"now": ts(state.now()), "subscriptions": results}),
    )
}

fn next_charge(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let b = body(ctx)?;
    ctx.world.next_charge = match b.get("outcome").and_then(Value::as_str) {
        Some("fail") => Some(false),
        Some("succeed") => Some(true),
        Some("card") | None => None,
        Some(_) => return Err(bad("outcome must be fail, succeed or card")),
    };
    raw(200, json!({"next_charge": b.get("outcome")}))
}

fn revoke(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = ctx
        .world
        .subscription_index(ctx.param(0))
        .ok_or_else(ApiError::not_found)?;
    ctx.world.revoke(i, None, None).map_err(ApiError::from)?;
    let r = Render::new(ctx.world, ctx.shared);
    raw(200, render::subscription(&r, &r.subscriptions[i]))
}

fn list_faults(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    raw(200, json!(ctx.shared.faults.list()))
}

fn clear_faults(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    ctx.shared.faults.clear();
    raw(200, json!([]))
}

/// `{kind, path?, method?, latency_ms?, status?, retry_after?, event_type?, remaining?=1}`;
/// 201 with every armed fault.
fn add_fault(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let fault: Fault =
        serde_json::from_value(body(ctx)?).map_err(|err| bad(&format!("invalid fault: {err}")))?;
    fault.validate().map_err(|err| bad(&err.to_string()))?;
    ctx.shared.faults.add(fault);
    raw(201, json!(ctx.shared.faults.list()))
}
