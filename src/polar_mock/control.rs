//! The control plane under `/__control/` (no auth; loopback only): reset, the clock and
//! billing periods, charge outcomes, revocation, faults, and read access to state, events and
//! webhook deliveries. Every route is documented in `docs/mock-polar.md`.

use chrono::Duration;
use serde_json::{json, Value};
use wiremock::{Request, ResponseTemplate};

use super::api::json_reply;
use super::delivery::DeliveryLog;
use super::state::{ts, Fault, State};

fn bad(msg: &str) -> ResponseTemplate {
    json_reply(400, &json!({"error": "BadRequest", "detail": msg}))
}

fn body(req: &Request) -> Value {
    if req.body.is_empty() {
        return json!({});
    }
    serde_json::from_slice(&req.body).unwrap_or(Value::Null)
}

/// Everything the mock holds, for tests and evidence (webhook secrets left out).
pub(crate) fn snapshot(state: &State, log: &DeliveryLog) -> Value {
    json!({
        "now": ts(state.now()),
        "clock_offset_seconds": state.clock_offset.num_seconds(),
        "next_charge": state.next_charge.map(|ok| if ok { "succeed" } else { "fail" }),
        "organization": {"id": state.seed.organization.id, "slug": state.seed.organization.slug, "name": state.seed.organization.name},
        "products": state.products,
        "checkouts": state.checkouts.iter().map(|c| state.render_checkout(c)).collect::<Vec<_>>(),
        "customers": state.customers.iter().map(|c| {
            let mut v = state.render_customer(c);
            v["payment_method"] = json!(c.card.as_ref().map(|card| json!({"id": card.id, "last4": card.last4, "behavior": card.behavior})));
            v
        }).collect::<Vec<_>>(),
        "subscriptions": state.subscriptions.iter().map(|s| state.render_subscription(s)).collect::<Vec<_>>(),
        "orders": state.orders.iter().map(|o| state.render_order(o)).collect::<Vec<_>>(),
        "webhook_endpoints": state.endpoints,
        "faults": state.faults,
        "events": state.events.len(),
        "webhooks_pending": log.pending.load(std::sync::atomic::Ordering::SeqCst),
    })
}

fn targets(state: &State, b: &Value) -> Result<Vec<usize>, Box<ResponseTemplate>> {
    match b.get("subscription_id").and_then(Value::as_str) {
        Some(id) => state
            .subscription_index(id)
            .map(|i| vec![i])
            .ok_or_else(|| {
                Box::new(json_reply(
                    404,
                    &json!({"error": "ResourceNotFound", "detail": "Not found"}),
                ))
            }),
        None => Ok((0..state.subscriptions.len())
            .filter(|i| state.subscriptions[*i].billable())
            .collect()),
    }
}

pub(crate) fn handle(
    state: &mut State,
    log: &DeliveryLog,
    req: &Request,
    segs: &[&str],
) -> ResponseTemplate {
    let method = req.method.as_str();
    let b = body(req);
    if b.is_null() {
        return bad("the body must be JSON");
    }
    match (method, segs) {
        ("GET", [] | [""]) => json_reply(
            200,
            &json!({
                "base_url": state.base_url,
                "organization_slug": state.seed.organization.slug,
                "product_id": state.products.first().map(|p| p["id"].clone()),
                "routes": ["POST /__control/reset", "GET /__control/state", "GET /__control/events", "GET /__control/deliveries",
                           "POST /__control/advance-period", "POST /__control/clock/advance", "POST /__control/next-charge",
                           "POST /__control/subscriptions/{id}/revoke", "GET|POST|DELETE /__control/faults"],
            }),
        ),
        ("POST", ["reset"]) => {
            state.reset();
            log.clear();
            json_reply(200, &json!({"reset": true}))
        }
        ("GET", ["state"]) => json_reply(200, &snapshot(state, log)),
        ("GET", ["events"]) => json_reply(200, &json!(state.events)),
        ("GET", ["deliveries"]) => json_reply(200, &json!(log.snapshot())),
        ("POST", ["clock", "advance"]) => {
            let Some(secs) = b.get("seconds").and_then(Value::as_i64).filter(|s| *s >= 0) else {
                return bad("expected {\"seconds\": N} with N >= 0");
            };
            state.clock_offset += Duration::seconds(secs);
            json_reply(200, &json!({"now": ts(state.now())}))
        }
        ("POST", ["advance-period"]) => {
            let list = match targets(state, &b) {
                Ok(l) => l,
                Err(r) => return *r,
            };
            let mut results = Vec::new();
            for i in list {
                let outcome = state.advance_period(i);
                let s = &state.subscriptions[i];
                results.push(json!({
                    "subscription_id": s.id,
                    "status": s.status,
                    "current_period_end": ts(s.current_period_end),
                    "error": outcome.err().map(|e| e.body),
                }));
            }
            json_reply(
                200,
                &json!({"now": ts(state.now()), "subscriptions": results}),
            )
        }
        ("POST", ["next-charge"]) => {
            match b.get("outcome").and_then(Value::as_str) {
                Some("fail") => state.next_charge = Some(false),
                Some("succeed") => state.next_charge = Some(true),
                Some("card") | None => state.next_charge = None,
                Some(_) => return bad("outcome must be fail, succeed or card"),
            }
            json_reply(200, &json!({"next_charge": b.get("outcome")}))
        }
        ("POST", ["subscriptions", id, "revoke"]) => match state.subscription_index(id) {
            None => json_reply(
                404,
                &json!({"error": "ResourceNotFound", "detail": "Not found"}),
            ),
            Some(i) => match state.revoke(i, None, None) {
                Ok(()) => json_reply(200, &state.render_subscription(&state.subscriptions[i])),
                Err(e) => json_reply(e.status, &e.body),
            },
        },
        ("GET", ["faults"]) => json_reply(200, &json!(state.faults)),
        ("DELETE", ["faults"]) => {
            state.faults.clear();
            json_reply(200, &json!([]))
        }
        ("POST", ["faults"]) => match serde_json::from_value::<Fault>(b) {
            Ok(f)
                if ["latency", "status", "rate_limit"].contains(&f.kind.as_str())
                    && f.path.starts_with('/') =>
            {
                state.faults.push(f);
                json_reply(201, &json!(state.faults))
            }
            Ok(_) => bad("kind must be latency, status or rate_limit and path must start with /"),
            Err(err) => bad(&format!("invalid fault: {err}")),
        },
        _ => json_reply(404, &json!({"detail": "Not Found"})),
    }
}

/// Takes the first fault matching the request and turns it into a response (or a delay).
pub(crate) enum FaultEffect {
    Respond(ResponseTemplate),
    Delay(std::time::Duration),
}

pub(crate) fn take_fault(state: &mut State, method: &str, path: &str) -> Option<FaultEffect> {
    let i = state.faults.iter().position(|f| {
        f.remaining > 0
            && path.starts_with(&f.path)
            && f.method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    })?;
    let f = state.faults[i].clone();
    state.faults[i].remaining -= 1;
    if state.faults[i].remaining == 0 {
        state.faults.remove(i);
    }
    Some(match f.kind.as_str() {
        "latency" => FaultEffect::Delay(std::time::Duration::from_millis(
            f.latency_ms.unwrap_or(1000),
        )),
        "rate_limit" => FaultEffect::Respond(ResponseTemplate::new(429).insert_header(
            "Retry-After",
            f.retry_after.unwrap_or(1).to_string().as_str(),
        )),
        _ => {
            let status = f.status.unwrap_or(500);
            FaultEffect::Respond(json_reply(
                status,
                &json!({"error": "InternalServerError", "detail": "Injected fault"}),
            ))
        }
    })
}
