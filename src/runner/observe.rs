//! What the product did during a step: an optional [`Observer`] the runner asks for the
//! app's state before and after each step and for the webhooks delivered in between.
//! The runner only defines the interface; the testbed provides the concrete observer.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::browser::Browser;
use crate::outcome::WebhookRecord;

/// A boxed future borrowing the observer and the browser (no `async_trait` needed).
pub type ObserveFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Asked by the runner around every executed step. Either method may return nothing when
/// the testbed does not expose it (another origin in the browser, no mock); failures to
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
