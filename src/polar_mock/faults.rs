//! Fault injection. An HTTP fault (`latency`, `status`, `rate_limit`) is a wiremock mock
//! mounted at priority 1 — above every route — matching the method and path prefix, limited
//! with `up_to_n_times(remaining)`; clearing deactivates it through a matcher. A webhook fault
//! (`drop_webhook`, `duplicate_webhook`) applies to the next `remaining` events of a type as
//! they leave for the dispatcher (no request reaches the mock for those, so there is nothing
//! for a mock to match).
//!
//! Control-plane paths are never faulted.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Match, Mock, Request, Respond, ResponseTemplate};

use super::error::json_reply;
use super::server::Shared;

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

struct Entry {
    fault: Fault,
    used: Arc<AtomicU32>,
    active: Arc<AtomicBool>,
}

impl Entry {
    fn remaining(&self) -> u32 {
        self.fault
            .remaining
            .saturating_sub(self.used.load(Ordering::SeqCst))
    }
}

/// The faults injected so far.
#[derive(Default)]
pub(crate) struct Faults {
    entries: Mutex<Vec<Entry>>,
}

impl Faults {
    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a validated fault; for an HTTP fault, returns the mock to mount.
    pub fn add(&self, shared: Arc<Shared>, fault: Fault) -> Option<Mock> {
        let used = Arc::new(AtomicU32::new(0));
        let active = Arc::new(AtomicBool::new(true));
        let mock = (!fault.is_webhook()).then(|| {
            let prefix = fault.path.clone().unwrap_or_default();
            let mut m = Mock::given(Active(active.clone()))
                .and(NotControl)
                .and(path_regex(format!("^{}", regex::escape(&prefix))));
            if let Some(verb) = &fault.method {
                m = m.and(method(verb.to_uppercase().as_str()));
            }
            m.respond_with(FaultResponder {
                shared,
                fault: fault.clone(),
                used: used.clone(),
            })
            .with_priority(1)
            .up_to_n_times(u64::from(fault.remaining))
            .named(format!("fault {:?} {prefix}", fault.kind))
        });
        self.entries().push(Entry {
            fault,
            used,
            active,
        });
        mock
    }

    /// The faults still armed, with what remains of each.
    pub fn list(&self) -> Vec<Fault> {
        self.entries()
            .iter()
            .filter(|e| e.active.load(Ordering::SeqCst) && e.remaining() > 0)
            .map(|e| Fault {
                remaining: e.remaining(),
                ..e.fault.clone()
            })
            .collect()
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        let mut entries = self.entries();
        for e in entries.iter() {
            e.active.store(false, Ordering::SeqCst);
        }
        entries.clear();
    }

    /// Consumes the first armed webhook fault matching `event_type`.
    pub fn webhook_effect(&self, event_type: &str) -> WebhookEffect {
        let entries = self.entries();
        let hit = entries.iter().find(|e| {
            e.fault.is_webhook()
                && e.active.load(Ordering::SeqCst)
                && e.remaining() > 0
                && e.fault
                    .event_type
                    .as_deref()
                    .is_none_or(|t| t == event_type)
        });
        match hit {
            None => WebhookEffect::Deliver,
            Some(e) => {
                e.used.fetch_add(1, Ordering::SeqCst);
                match e.fault.kind {
                    FaultKind::DuplicateWebhook => WebhookEffect::Duplicate,
                    _ => WebhookEffect::Drop,
                }
            }
        }
    }
}

/// Matches while the fault is armed.
struct Active(Arc<AtomicBool>);

impl Match for Active {
    fn matches(&self, _: &Request) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

struct NotControl;

impl Match for NotControl {
    fn matches(&self, req: &Request) -> bool {
        !req.url.path().starts_with("/__control")
    }
}

struct FaultResponder {
    shared: Arc<Shared>,
    fault: Fault,
    used: Arc<AtomicU32>,
}

impl Respond for FaultResponder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        self.used.fetch_add(1, Ordering::SeqCst);
        let injected = match self.fault.kind {
            FaultKind::Latency => {
                let delay = Duration::from_millis(self.fault.latency_ms.unwrap_or(1000));
                return self.shared.answer(req).set_delay(delay);
            }
            FaultKind::RateLimit => ResponseTemplate::new(429).insert_header(
                "Retry-After",
                self.fault.retry_after.unwrap_or(1).to_string().as_str(),
            ),
            _ => json_reply(
                self.fault.status.unwrap_or(500),
                &json!({"error": "InternalServerError", "detail": "Injected fault"}),
            ),
        };
        let mut state = self.shared.lock();
        self.shared.finish(&mut state, req, injected)
    }
}
