//! Webhooks on their way out: delivery (one FIFO worker per endpoint, Standard Webhooks
//! signing with Polar's key rule, retries with backoff, a record of every attempt), and the
//! book of what was sent — each event as emitted (for `/__control/events`) and each copy sent
//! to an endpoint (for Polar's deliveries list and redelivery).
//!
//! Rendering is not done here: events arrive rendered (by the API room, at the end of the
//! request that caused them). Must not import wiremock, the world's transitions or the API.

mod delivery;

use std::sync::atomic::Ordering;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

pub(crate) use delivery::{spawn, DeliveryLog};
pub use delivery::{Delivery, DeliveryConfig};

use super::world::ApiVersion;

/// One event on its way to one endpoint, its body rendered in the endpoint's version.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub event_id: String,
    pub kind: String,
    pub timestamp: String,
    pub body: String,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
}

/// A webhook event as emitted: the data in the 2026-04 shape (what `/__control/events` lists).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct EventRecord {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: String,
    pub data: Value,
}

/// An event as sent to one endpoint (Polar's `WebhookEvent`), kept for the deliveries list and
/// redelivery.
#[derive(Debug, Clone)]
pub(crate) struct SentEvent {
    pub event_id: String,
    pub endpoint_id: String,
    pub kind: String,
    pub timestamp: String,
    pub created_at: DateTime<Utc>,
    pub api_version: ApiVersion,
    pub body: String,
}

#[derive(Default)]
pub(crate) struct Book {
    pub events: Vec<EventRecord>,
    pub sent: Vec<SentEvent>,
}

/// The webhook side of a running mock: the dispatcher's queue, the attempts log, the book.
pub(crate) struct Webhooks {
    pub log: DeliveryLog,
    book: Mutex<Book>,
    tx: UnboundedSender<Outgoing>,
}

impl Webhooks {
    pub fn new(log: DeliveryLog, tx: UnboundedSender<Outgoing>) -> Webhooks {
        Webhooks {
            log,
            book: Mutex::new(Book::default()),
            tx,
        }
    }

    pub fn book(&self) -> MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues one delivery (counted as pending until its worker is done with it).
    pub fn send(&self, out: Outgoing) {
        self.log.pending.fetch_add(1, Ordering::SeqCst);
        if self.tx.send(out).is_err() {
            self.log.pending.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// Queues `event_id` again, with the same body and `webhook-id`, for every endpoint that
    /// `live` still knows (it gives the endpoint's URL and secret) and that was sent it.
    /// Returns whether the event was sent anywhere.
    pub fn redeliver(
        &self,
        event_id: &str,
        live: impl Fn(&str) -> Option<(String, String)>,
    ) -> bool {
        let sent: Vec<SentEvent> = self
            .book()
            .sent
            .iter()
            .filter(|s| s.event_id == event_id)
            .cloned()
            .collect();
        for s in &sent {
            let Some((url, secret)) = live(&s.endpoint_id) else {
                continue;
            };
            self.send(Outgoing {
                event_id: s.event_id.clone(),
                kind: s.kind.clone(),
                timestamp: s.timestamp.clone(),
                body: s.body.clone(),
                endpoint_id: s.endpoint_id.clone(),
                url,
                secret,
            });
        }
        !sent.is_empty()
    }

    /// Whether an event `matching` was delivered to some endpoint with a 2xx answer.
    pub fn delivered(&self, matching: impl Fn(&EventRecord) -> bool) -> bool {
        let ids: Vec<String> = self
            .book()
            .events
            .iter()
            .filter(|e| matching(e))
            .map(|e| e.id.clone())
            .collect();
        !ids.is_empty()
            && self
                .log
                .snapshot()
                .iter()
                .any(|d| d.succeeded && ids.contains(&d.event_id))
    }

    /// Forgets every event sent and every attempt (the control plane's reset).
    pub fn clear(&self) {
        let mut book = self.book();
        book.events.clear();
        book.sent.clear();
        self.log.clear();
    }
}
