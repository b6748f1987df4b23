//! `WebhookEndpoint` and `WebhookDelivery` (one delivery attempt with the event it carried).

use serde_json::{json, Value};

use crate::polar_mock::delivery::Delivery;
use crate::polar_mock::state::{derived_id, opt_ts, ts, Endpoint, SentEvent, State};

pub(crate) fn endpoint(state: &State, e: &Endpoint) -> Value {
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
