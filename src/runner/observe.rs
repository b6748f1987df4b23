//! What the product did during a step: an optional [`Observer`] the runner asks for the
//! app's state before and after each step and for the webhooks delivered in between.
//! The runner only defines the interface and the records; a concrete observer (mock Polar +
//! demo app) is wired by the CLI.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::browser::Browser;

/// A boxed future borrowing the observer and the browser (no `async_trait` needed).
pub type ObserveFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One webhook delivery attempt seen during a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecord {
    /// The event id (`webhook-id`), the same on every attempt.
    pub event_id: String,
    /// e.g. `subscription.active`.
    pub event_type: String,
    pub endpoint_url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// A 2xx answer.
    pub succeeded: bool,
    /// Why the attempt failed without a status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub will_retry: bool,
    /// When the attempt finished (RFC 3339, UTC).
    pub at: String,
}

/// What an observer saw around one step.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observation {
    /// The app's state (e.g. the workspace entitlement) when the step started.
    pub state_before: Option<Value>,
    /// The app's state when the step ended (after webhooks settled).
    pub state_after: Option<Value>,
    /// Webhook delivery attempts that finished during the step.
    pub webhooks: Vec<WebhookRecord>,
}

/// Asked by the runner around every executed step. Either method may return nothing when
/// the target does not expose it (another origin in the browser, no mock); failures to
/// observe never fail a step.
pub trait Observer: Send + Sync {
    /// The app's state before the step's first action.
    fn before_step<'a>(&'a self, browser: &'a Browser) -> ObserveFuture<'a, Option<Value>>;

    /// The app's state after the step, and the webhook attempts since `since`.
    fn after_step<'a>(
        &'a self,
        browser: &'a Browser,
        since: DateTime<Utc>,
    ) -> ObserveFuture<'a, (Option<Value>, Vec<WebhookRecord>)>;
}
