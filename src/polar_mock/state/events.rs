//! Webhook events: emission (the data rendered once in the 2026-04 shape, for the event log),
//! routing to every enabled endpoint subscribed to the type with the payload rendered in that
//! endpoint's API version, and redelivery of an event already sent.

use serde_json::{json, Value};

use super::{new_id, ts, Event, Outgoing, SentEvent, State};
use crate::polar_mock::render;
use crate::polar_mock::version::ApiVersion;

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

impl State {
    /// Records one event and queues it for every enabled endpoint subscribed to `kind`.
    pub fn emit(&mut self, kind: &str, data: Value) {
        let now = self.now();
        let timestamp = ts(now);
        let event = Event {
            id: new_id(),
            kind: kind.to_string(),
            timestamp: timestamp.clone(),
            body: payload(kind, &timestamp, ApiVersion::DEFAULT, &data),
            data,
        };
        let targets: Vec<usize> = (0..self.endpoints.len())
            .filter(|i| {
                let e = &self.endpoints[*i];
                e.enabled && e.events.iter().any(|k| k == kind)
            })
            .collect();
        for i in targets {
            let e = &self.endpoints[i];
            let body = payload(kind, &timestamp, e.api_version, &event.data);
            self.sent.push(SentEvent {
                event_id: event.id.clone(),
                endpoint_id: e.id.clone(),
                kind: kind.to_string(),
                created_at: now,
                api_version: e.api_version,
                body: body.clone(),
            });
            self.outbox.push(Outgoing {
                event: Event {
                    body,
                    ..event.clone()
                },
                endpoint_id: e.id.clone(),
                url: e.url.clone(),
                secret: e.secret.clone(),
            });
        }
        self.events.push(event);
    }

    /// Queues `event_id` again, with the same body and `webhook-id`, for every endpoint that
    /// still exists and was sent it. Returns whether the event was sent anywhere.
    pub fn redeliver(&mut self, event_id: &str) -> bool {
        let sent: Vec<SentEvent> = self
            .sent
            .iter()
            .filter(|s| s.event_id == event_id)
            .cloned()
            .collect();
        let Some(event) = self.events.iter().find(|e| e.id == event_id).cloned() else {
            return false;
        };
        for s in &sent {
            let Some(ep) = self.endpoints.iter().find(|e| e.id == s.endpoint_id) else {
                continue;
            };
            self.outbox.push(Outgoing {
                event: Event {
                    body: s.body.clone(),
                    ..event.clone()
                },
                endpoint_id: ep.id.clone(),
                url: ep.url.clone(),
                secret: ep.secret.clone(),
            });
        }
        !sent.is_empty()
    }

    pub(crate) fn emit_checkout(&mut self, kind: &str, i: usize) {
        let data = render::checkout(self, &self.checkouts[i]);
        self.emit(kind, data);
    }

    pub(crate) fn emit_customer(&mut self, kind: &str, ci: usize) {
        let data = render::customer(self, &self.customers[ci]);
        self.emit(kind, data);
    }

    pub(crate) fn emit_subscription(&mut self, kinds: &[&str], i: usize) {
        for kind in kinds {
            let data = render::subscription(self, &self.subscriptions[i]);
            self.emit(kind, data);
        }
    }

    pub(crate) fn emit_order(&mut self, kinds: &[&str], i: usize) {
        for kind in kinds {
            let data = render::order(self, &self.orders[i]);
            self.emit(kind, data);
        }
    }

    pub(crate) fn emit_state_changed(&mut self, customer_id: &str) {
        if let Some(c) = self.customer(customer_id) {
            let data = render::customer_state(self, c);
            self.emit("customer.state_changed", data);
        }
    }
}
