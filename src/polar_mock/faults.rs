//! The fault book: faults kept as data and consulted by every responder before it answers.
//! An HTTP fault (`latency`, `status`, `rate_limit`) applies to the next `remaining` requests
//! whose method and path prefix match, the first armed fault winning; a webhook fault
//! (`drop_webhook`, `duplicate_webhook`) to the next `remaining` events of a type as they
//! leave for the dispatcher. Control-plane paths are never faulted.
//!
//! Plain data behind a lock: must not import wiremock, the world or any route.

use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Delays the normal answer by `latency_ms` (default 1000).
    Latency,
    /// Answers `status` (default 500) with `{"error":"InternalServerError","detail":"Injected fault"}`.
    Status,
    /// Answers 429 with an empty body and `Retry-After: retry_after` (default 1).
    RateLimit,
    /// Does not send the next matching webhook event (recorded as a failed delivery).
    DropWebhook,
    /// Sends the next matching webhook event twice (same `webhook-id`).
    DuplicateWebhook,
}

/// A fault for the next `remaining` matching requests (or webhook events).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub kind: FaultKind,
    /// HTTP faults: the path prefix to match, e.g. `/v1/checkouts/`.
    #[serde(default)]
    pub path: Option<String>,
    /// HTTP faults: the method to match (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    /// Webhook faults: the event type to match (any when absent).
    #[serde(default)]
    pub event_type: Option<String>,
    #[serde(default = "one")]
    pub remaining: u32,
}

fn one() -> u32 {
    1
}

/// Why a fault was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("{0:?} faults need a `path` starting with / (and not /__control)")]
    Path(FaultKind),
    #[error("`remaining` must be at least 1")]
    Remaining,
    #[error("`status` must be an HTTP status (100-599)")]
    Status,
}

impl Fault {
    fn is_webhook(&self) -> bool {
        matches!(
            self.kind,
            FaultKind::DropWebhook | FaultKind::DuplicateWebhook
        )
    }

    pub fn validate(&self) -> Result<(), FaultError> {
        if self.remaining == 0 {
            return Err(FaultError::Remaining);
        }
        if self.status.is_some_and(|s| !(100..=599).contains(&s)) {
            return Err(FaultError::Status);
        }
        if !self.is_webhook() {
            let ok = self
                .path
                .as_deref()
                .is_some_and(|p| p.starts_with('/') && !p.starts_with("/__control"));
            if !ok {
                return Err(FaultError::Path(self.kind));
            }
        }
        Ok(())
    }
}

/// What to do with a webhook event leaving for the dispatcher.
pub(crate) enum WebhookEffect {
    Deliver,
    Drop,
    Duplicate,
}

/// What an HTTP fault makes of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpEffect {
    /// The normal answer, this much later.
    Delay(Duration),
    /// 429 with an empty body and `Retry-After: seconds`.
    RateLimit { retry_after: u64 },
    /// `status` with `{"error":"InternalServerError","detail":"Injected fault"}`.
    Status(u16),
}

struct Entry {
    fault: Fault,
    used: u32,
}

impl Entry {
    fn remaining(&self) -> u32 {
        self.fault.remaining.saturating_sub(self.used)
    }
}

/// The faults armed so far.
#[derive(Default)]
pub(crate) struct FaultBook {
    entries: Mutex<Vec<Entry>>,
}

impl FaultBook {
    fn entries(&self) -> MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Arms a validated fault.
    pub fn add(&self, fault: Fault) {
        self.entries().push(Entry { fault, used: 0 });
    }

    /// The faults still armed, with what remains of each.
    pub fn list(&self) -> Vec<Fault> {
        self.entries()
            .iter()
            .filter(|e| e.remaining() > 0)
            .map(|e| Fault {
                remaining: e.remaining(),
                ..e.fault.clone()
            })
            .collect()
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        self.entries().clear();
    }

    /// Consumes the first armed HTTP fault matching the request, if any.
    pub fn http_effect(&self, method: &str, path: &str) -> Option<HttpEffect> {
        if path.starts_with("/__control") {
            return None;
        }
        let mut entries = self.entries();
        let hit = entries.iter_mut().find(|e| {
            !e.fault.is_webhook()
                && e.remaining() > 0
                && e.fault
                    .path
                    .as_deref()
                    .is_some_and(|prefix| path.starts_with(prefix))
                && e.fault
                    .method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
        })?;
        hit.used += 1;
        Some(match hit.fault.kind {
            FaultKind::Latency => {
                HttpEffect::Delay(Duration::from_millis(hit.fault.latency_ms.unwrap_or(1000)))
            }
            FaultKind::RateLimit => HttpEffect::RateLimit {
                retry_after: hit.fault.retry_after.unwrap_or(1),
            },
            _ => HttpEffect::Status(hit.fault.status.unwrap_or(500)),
        })
    }

    /// Consumes the first armed webhook fault matching `event_type`.
    pub fn webhook_effect(&self, event_type: &str) -> WebhookEffect {
        let mut entries = self.entries();
        let hit = entries.iter_mut().find(|e| {
            e.fault.is_webhook()
                && e.remaining() > 0
                && e.fault
                    .event_type
                    .as_deref()
                    .is_none_or(|t| t == event_type)
        });
        match hit {
            None => WebhookEffect::Deliver,
            Some(e) => {
                e.used += 1;
                match e.fault.kind {
                    FaultKind::DuplicateWebhook => WebhookEffect::Duplicate,
                    _ => WebhookEffect::Drop,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(kind: FaultKind, path: &str, remaining: u32) -> Fault {
        Fault {
            kind,
            path: Some(path.into()),
            method: None,
            latency_ms: None,
            status: Some(503),
            retry_after: None,
            event_type: None,
            remaining,
        }
    }

    #[test]
    fn the_first_armed_fault_answers_until_used_up() {
        let book = FaultBook::default();
        book.add(fault(FaultKind::Status, "/v1/checkouts/", 2));
        book.add(fault(FaultKind::RateLimit, "/v1/", 1));
        assert_eq!(
            book.http_effect("GET", "/v1/products/"),
            Some(HttpEffect::RateLimit { retry_after: 1 })
        );
        assert_eq!(
            book.http_effect("POST", "/v1/checkouts/"),
            Some(HttpEffect::Status(503))
        );
        assert_eq!(
            book.http_effect("POST", "/v1/checkouts/x"),
            Some(HttpEffect::Status(503))
        );
        assert_eq!(book.http_effect("POST", "/v1/checkouts/"), None);
        assert!(book.list().is_empty());
    }

    #[test]
    fn control_paths_and_other_methods_are_not_faulted() {
        let book = FaultBook::default();
        book.add(Fault {
            method: Some("post".into()),
            ..fault(FaultKind::Latency, "/", 5)
        });
        assert_eq!(book.http_effect("GET", "/v1/products/"), None);
        assert_eq!(book.http_effect("POST", "/__control/reset"), None);
        assert_eq!(
            book.http_effect("POST", "/v1/products/"),
            Some(HttpEffect::Delay(Duration::from_millis(1000)))
        );
        assert_eq!(book.list()[0].remaining, 4);
        book.clear();
        assert_eq!(book.http_effect("POST", "/v1/products/"), None);
    }
}
