//! `Subscription` (the API's and `subscription.*` webhooks'), the core fields shared with
//! customer state and orders, and the portal's `CustomerSubscription`.
//!
//! Each shape also carries the deprecated fields Polar's server sends but its OpenAPI document
//! hides (`SkipJsonSchema`): `price_id` on all, `user_id` and `price` on `Subscription` and
//! `CustomerSubscription`, `user` on `Subscription`, `user_id` on `OrderSubscription`.

use serde_json::{json, Map, Value};

use super::legacy_user;
use super::product::{portal_product, product};
use super::{customer, without};
use super::{opt_ts, ts, Render};
use crate::polar_mock::world::Subscription;

/// The fields every subscription shape shares (`SubscriptionBase` plus metadata).
pub(crate) fn subscription_core(state: &Render, s: &Subscription) -> Map<String, Value> {
    let product = state.product(&s.product_id).cloned().unwrap_or(Value::Null);
    let v = json!({
        "created_at": ts(s.created_at),
        "modified_at": opt_ts(s.modified_at),
        "id": s.id,
        "amount": s.amount,
        "currency": s.currency,
        "recurring_interval": product["recurring_interval"].as_str().unwrap_or("month"),
        "recurring_interval_count": product["recurring_interval_count"].as_i64().unwrap_or(1),
        "status": s.status,
        "current_period_start": ts(s.current_period_start),
        "current_period_end": ts(s.current_period_end),
        "current_meter_period_start": null,
        "current_meter_period_end": null,
        "trial_start": null,
        "trial_end": null,
        "cancel_at_period_end": s.cancel_at_period_end,
        "canceled_at": opt_ts(s.canceled_at),
        "started_at": opt_ts(s.started_at),
        "ends_at": opt_ts(s.ends_at),
        "ended_at": opt_ts(s.ended_at),
        "past_due_at": opt_ts(s.past_due_at),
        "pause_at_period_end": false,
        "paused_at": null,
        "resumes_at": null,
        "customer_id": s.customer_id,
        "product_id": s.product_id,
        "discount_id": null,
        "checkout_id": s.checkout_id,
        "seats": s.seats,
        "units": null,
        "customer_cancellation_reason": s.cancellation_reason,
        "customer_cancellation_comment": s.cancellation_comment,
        // `SubscriptionBase.price_id`, hidden (`server/polar/subscription/schemas.py` 167-175).
        "price_id": s.price.id,
        "metadata": s.metadata,
        "custom_field_data": {},
    });
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub(crate) fn subscription(state: &Render, s: &Subscription) -> Value {
    let mut m = subscription_core(state, s);
    let customer = state
        .customer(&s.customer_id)
        .or_else(|| state.customers.iter().find(|c| c.id == s.customer_id))
        .map(|c| customer(state, c))
        .unwrap_or(Value::Null);
    let p = state
        .product(&s.product_id)
        .map(|p| product(state, p))
        .unwrap_or(Value::Null);
    // Hidden `user_id` and `user` (`server/polar/subscription/schemas.py` 235-253): the
    // customer's legacy user, which is the customer itself for customers made after users.
    let user = state
        .customers
        .iter()
        .find(|c| c.id == s.customer_id)
        .map(legacy_user)
        .unwrap_or(Value::Null);
    m.insert("customer".into(), customer);
    m.insert("user_id".into(), json!(s.customer_id));
    m.insert("user".into(), user);
    m.insert("product".into(), p);
    m.insert("discount".into(), Value::Null);
    // Hidden `price`, the first price (`server/polar/subscription/schemas.py` 256-264).
    m.insert("price".into(), state.price(&s.price));
    m.insert("prices".into(), json!([state.price(&s.price)]));
    m.insert("meters".into(), json!([]));
    m.insert("pending_update".into(), Value::Null);
    Value::Object(m)
}

/// `CustomerSubscription`: what the customer portal lists.
pub(crate) fn customer_subscription(state: &Render, s: &Subscription) -> Value {
    let mut m = subscription_core(state, s);
    m.remove("metadata");
    m.remove("custom_field_data");
    let p = state
        .product(&s.product_id)
        .map(|p| portal_product(state, p))
        .unwrap_or(Value::Null);
    // Hidden `user_id` and `price` (`server/polar/customer_portal/schemas/subscription.py`
    // 55-75).
    m.insert("user_id".into(), json!(s.customer_id));
    m.insert("product".into(), p);
    m.insert("price".into(), state.price(&s.price));
    m.insert("prices".into(), json!([state.price(&s.price)]));
    m.insert("meters".into(), json!([]));
    m.insert("pending_update".into(), Value::Null);
    Value::Object(m)
}

/// `OrderSubscription` / `CustomerOrderSubscription` (the latter without metadata, and without
/// `OrderSubscription`'s hidden `user_id`, `server/polar/order/schemas.py` 221-230).
pub(crate) fn order_subscription(state: &Render, s: &Subscription, portal: bool) -> Value {
    let mut v = Value::Object(subscription_core(state, s));
    if portal {
        without(v, &["metadata", "custom_field_data"])
    } else {
        v["user_id"] = json!(s.customer_id);
        without(v, &["custom_field_data"])
    }
}
