//! What leaves the world: the events in its outbox, rendered in Polar's shapes, recorded in
//! the book of events sent, and queued for the webhook dispatcher (webhook faults applied).
//! One function, used by the server after each request and by the scheduler after each pass.
//!
//! Must not import wiremock.

use super::api::render::{self, Render};
use super::faults::WebhookEffect;
use super::handler::Shared;
use super::webhooks::{EventRecord, Outgoing, SentEvent};
use super::wire::ts;
use super::world::World;

/// Renders the events the world emitted (each from the world as it was then), records them,
/// and queues one delivery per subscribed endpoint, applying webhook faults.
pub(crate) fn publish(shared: &Shared, world: &mut World) {
    for event in world.take_outbox() {
        let r = Render::new(&event.world, shared);
        let data = render::event_data(&r, &event);
        let kind = event.kind.as_str();
        let timestamp = ts(event.at);
        let mut outgoing = Vec::new();
        {
            let mut book = shared.webhooks.book();
            book.events.push(EventRecord {
                id: event.id.clone(),
                kind: kind.to_string(),
                timestamp: timestamp.clone(),
                data: data.clone(),
            });
            for ep in event
                .world
                .endpoints
                .iter()
                .filter(|e| e.enabled && e.events.iter().any(|k| k == kind))
            {
                let body = render::payload(kind, &timestamp, ep.api_version, &data);
                book.sent.push(SentEvent {
                    event_id: event.id.clone(),
                    endpoint_id: ep.id.clone(),
                    kind: kind.to_string(),
                    timestamp: timestamp.clone(),
                    created_at: event.at,
                    api_version: ep.api_version,
                    body: body.clone(),
                });
                outgoing.push(Outgoing {
                    event_id: event.id.clone(),
                    kind: kind.to_string(),
                    timestamp: timestamp.clone(),
                    body,
                    endpoint_id: ep.id.clone(),
                    url: ep.url.clone(),
                    secret: ep.secret.clone(),
                });
            }
        }
        for out in outgoing {
            match shared.faults.webhook_effect(kind) {
                WebhookEffect::Drop => shared.webhooks.log.record_dropped(&out),
                WebhookEffect::Duplicate => {
                    shared.webhooks.send(out.clone());
                    shared.webhooks.send(out);
                }
                WebhookEffect::Deliver => shared.webhooks.send(out),
            }
        }
    }
}
