//! `WebhookEndpoint` and `WebhookDelivery` (one delivery attempt with the event it carried).

use serde_json::{json, Value};

use super::{
    checkout, customer, customer_state, grant_webhook, opt_ts, order, seat, subscription, ts,
    Render,
};
use crate::polar_mock::webhooks::{Delivery, SentEvent};
use crate::polar_mock::wire::derived_id;
use crate::polar_mock::world::{ApiVersion, Emitted, Endpoint, Subject};

/// The body Polar posts: `{"type", "timestamp", "api_version", "data"}`, compact.
pub(crate) fn payload(kind: &str, timestamp: &str, version: ApiVersion, data: &Value) -> String {
    json!({
        "type": kind,
        "timestamp": timestamp,
        "api_version": version.as_str(),
        "data": version.adapt(data.clone()),
    })
    .to_string()
}

/// The `data` of an emitted event in the 2026-04 shape; `r` reads the world as it was when
/// the event was emitted.
pub(crate) fn event_data(r: &Render, e: &Emitted) -> Value {
    let data = match &e.subject {
        Subject::Checkout(id) => r
            .checkouts
            .iter()
            .find(|c| &c.id == id)
            .map(|c| checkout(r, c)),
        Subject::Customer(id) => r
            .customers
            .iter()
            .find(|c| &c.id == id)
            .map(|c| customer(r, c)),
        Subject::CustomerState(id) => r.customer(id).map(|c| customer_state(r, c)),
        Subject::Subscription(id) => r
            .subscriptions
            .iter()
            .find(|s| &s.id == id)
            .map(|s| subscription(r, s)),
        Subject::Order(id) => r.orders.iter().find(|o| &o.id == id).map(|o| order(r, o)),
        Subject::BenefitGrant(id) => r
            .grants
            .iter()
            .find(|g| &g.id == id)
            .map(|g| grant_webhook(r, g)),
        Subject::Seat(id) => r.seats.iter().find(|s| &s.id == id).map(|s| seat(r, s)),
    };
    data.unwrap_or(Value::Null)
}

pub(crate) fn endpoint(state: &Render, e: &Endpoint) -> Value {
    json!({
        "created_at": ts(e.created_at),
        "modified_at": opt_ts(e.modified_at),
        "id": e.id,
        "url": e.url,
        "name": e.name,
        "api_version": e.api_version.as_str(),
        "format": e.format,
        "secret": e.secret,
        "organization_id": state.org_id(),
        "events": e.events,
        "enabled": e.enabled,
        // The mock signs with Polar's original key rule (the secret's UTF-8 bytes).
        "uses_standard_webhook_signature": false,
    })
}

/// One attempt (`d`) of the event `sent` to an endpoint; `latest` is the last attempt's
/// outcome so far, for the event's `last_http_code` and `succeeded`.
pub(crate) fn delivery(d: &Delivery, sent: &SentEvent, latest: &Delivery) -> Value {
    json!({
        "created_at": d.started_at,
        "modified_at": null,
        "id": derived_id(&[&d.event_id, &d.endpoint_id, &d.attempt.to_string(), &d.started_at]),
        "succeeded": d.succeeded,
        "http_code": d.status_code,
        "response": d.error,
        "webhook_event": {
            "created_at": ts(sent.created_at),
            "modified_at": null,
            "id": sent.event_id,
            "last_http_code": latest.status_code,
            "succeeded": latest.succeeded,
            "skipped": false,
            "api_version": sent.api_version.as_str(),
            "payload": sent.body,
            "type": sent.kind,
            "is_archived": false,
        },
    })
}
