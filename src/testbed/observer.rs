//! The observer for runs on the mock: the app's entitlement (`GET` of its state path —
//! `/api/billing/status` for the demo app, `app.state` of a project file — fetched inside
//! the page so it uses the browser's cookie session) before and after every step, and the
//! webhooks the mock delivered during the step (after letting in-flight deliveries settle).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::browser::Browser;
use crate::outcome::WebhookRecord;
use crate::polar_mock::{Delivery, MockPolar};
use crate::runner::{ObserveFuture, Observer};

/// How long `after_step` waits for webhooks in flight.
const SETTLE: Duration = Duration::from_secs(2);

/// Watches the demo app's billing status and, when given, the mock's webhook deliveries.
pub struct AppObserver {
    status_url: String,
    mock: Option<Arc<MockPolar>>,
    settle: Duration,
}

impl AppObserver {
    /// `app_url` is the app's base URL (`http://127.0.0.1:P/`); the status endpoint is
    /// the demo app's `/api/billing/status` on it. Without a mock only the state is observed.
    pub fn new(app_url: &url::Url, mock: Option<Arc<MockPolar>>) -> AppObserver {
        AppObserver::with_path(app_url, Some("/api/billing/status"), mock)
    }

    fn with_path(app_url: &url::Url, path: Option<&str>, mock: Option<Arc<MockPolar>>) -> Self {
        let status_url = path
            .and_then(|p| app_url.join(p).ok())
            .map(|u| u.to_string())
            .unwrap_or_default();
        AppObserver {
            status_url,
            mock,
            settle: SETTLE,
        }
    }

    /// An app's own state path (`None`: no state is read), boxed.
    pub fn with_state_path(
        app_url: &url::Url,
        path: Option<&str>,
        mock: Option<Arc<MockPolar>>,
    ) -> Box<dyn Observer> {
        Box::new(AppObserver::with_path(app_url, path, mock))
    }

    /// Boxed for `RunContext::observer`.
    pub fn boxed(app_url: &url::Url, mock: Option<Arc<MockPolar>>) -> Box<dyn Observer> {
        Box::new(AppObserver::new(app_url, mock))
    }

    async fn state(&self, browser: &Browser) -> Option<Value> {
        if self.status_url.is_empty() {
            return None;
        }
        browser.fetch_json(&self.status_url).await.ok().flatten()
    }
}

impl Observer for AppObserver {
    fn before_step<'a>(&'a self, browser: &'a Browser) -> ObserveFuture<'a, Option<Value>> {
        Box::pin(self.state(browser))
    }

    fn after_step<'a>(
        &'a self,
        browser: &'a Browser,
        since: DateTime<Utc>,
    ) -> ObserveFuture<'a, (Option<Value>, Vec<WebhookRecord>)> {
        Box::pin(async move {
            let webhooks = match &self.mock {
                Some(mock) => {
                    mock.settle(self.settle).await;
                    deliveries_since(&mock.deliveries(), since, Utc::now())
                }
                None => Vec::new(),
            };
            (self.state(browser).await, webhooks)
        })
    }
}

/// The delivery attempts that finished in `[since, until]`, in order.
pub fn deliveries_since(
    deliveries: &[Delivery],
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<WebhookRecord> {
    deliveries
        .iter()
        .filter(|d| {
            DateTime::parse_from_rfc3339(&d.finished_at)
                .map(|t| {
                    let t = t.with_timezone(&Utc);
                    t >= since && t <= until
                })
                .unwrap_or(false)
        })
        .map(|d| WebhookRecord {
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            endpoint_url: d.endpoint_url.clone(),
            attempt: d.attempt,
            status_code: d.status_code,
            succeeded: d.succeeded,
            error: d.error.clone(),
            will_retry: d.will_retry,
            at: d.finished_at.clone(),
            latency_ms: d.duration_ms,
            response_excerpt: d.response_excerpt.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn delivery(id: &str, finished_at: &str) -> Delivery {
        Delivery {
            event_id: id.into(),
            event_type: "subscription.active".into(),
            event_timestamp: finished_at.into(),
            endpoint_id: "ep".into(),
            endpoint_url: "http://127.0.0.1:1/api/polar/webhooks".into(),
            attempt: 1,
            status_code: Some(202),
            error: None,
            response_excerpt: None,
            succeeded: true,
            will_retry: false,
            started_at: finished_at.into(),
            finished_at: finished_at.into(),
            duration_ms: 3,
        }
    }

    #[test]
    fn keeps_the_attempts_that_finished_inside_the_step() {
        let all = [
            delivery("before", "2026-01-01T00:00:09.999Z"),
            delivery("first", "2026-01-01T00:00:10Z"),
            delivery("inside", "2026-01-01T00:00:15.5+00:00"),
            delivery("after", "2026-01-01T00:00:21Z"),
            delivery("garbled", "yesterday"),
        ];
        let since = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 10).unwrap();
        let until = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 20).unwrap();
        let got = deliveries_since(&all, since, until);
        let ids: Vec<&str> = got.iter().map(|w| w.event_id.as_str()).collect();
        assert_eq!(ids, ["first", "inside"]);
        assert_eq!(got[0].status_code, Some(202));
        assert!(got[0].succeeded);
    }
}
