//! Webhook delivery: Polar's order per endpoint (an event waits while an earlier one to the
//! same endpoint is pending and younger than a minute), Standard Webhooks signing with
//! Polar's key rule (`crate::polar::webhook::sign`), a 10 s timeout, retries with exponential
//! backoff, and a record of every attempt.

use crate::http_client::{ClientOptions, HttpClient, HttpError, HttpRequest, Method, Url};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::sync::Notify;

use super::Outgoing;
use crate::polar::webhook;
use crate::polar_mock::wire::ts;

/// One delivery attempt of one event to one endpoint, and its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// The event id, sent as `webhook-id` (the same on every attempt).
    pub event_id: String,
    /// The event type, e.g. `subscription.active`.
    pub event_type: String,
    /// The payload's `timestamp` (the mock's clock).
    pub event_timestamp: String,
    pub endpoint_id: String,
    pub endpoint_url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// Why the attempt failed without a status (connection refused, timeout, …).
    pub error: Option<String>,
    /// The start of what the endpoint answered when it did not accept the delivery (at most
    /// 300 characters), which is often the bug a user is hunting.
    pub response_excerpt: Option<String>,
    /// A 2xx answer.
    pub succeeded: bool,
    /// Whether another attempt follows this failed one.
    pub will_retry: bool,
    /// Wall-clock time the attempt started and finished (RFC 3339, UTC).
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
}

/// How the dispatcher retries. Polar: 10 attempts, exponential backoff capped at 20 min,
/// 10 s timeout; an event waits for earlier pending events to its endpoint only while they
/// are younger than a minute (`WEBHOOK_FIFO_GUARD_MAX_AGE`, `server/polar/config.py:92-93`).
/// Tests shorten the backoff and the guard.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    pub timeout: Duration,
    /// How long an undelivered event holds back the later events to its endpoint.
    pub fifo_guard_max_age: Duration,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        DeliveryConfig {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(20 * 60),
            timeout: Duration::from_secs(10),
            fifo_guard_max_age: Duration::from_secs(60),
        }
    }
}

#[derive(Clone, Default)]
pub(crate) struct DeliveryLog {
    pub records: Arc<Mutex<Vec<Delivery>>>,
    /// Events queued or in flight (not yet delivered or given up).
    pub pending: Arc<AtomicUsize>,
}

impl DeliveryLog {
    pub fn snapshot(&self) -> Vec<Delivery> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
    pub fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
    /// Records an event a `drop_webhook` fault kept from being sent: one failed attempt,
    /// no retry.
    pub(crate) fn record_dropped(&self, out: &Outgoing) {
        let now = ts(chrono::Utc::now());
        self.push(Delivery {
            event_id: out.event_id.clone(),
            event_type: out.kind.clone(),
            event_timestamp: out.timestamp.clone(),
            endpoint_id: out.endpoint_id.clone(),
            endpoint_url: out.url.clone(),
            attempt: 1,
            status_code: None,
            error: Some("dropped by an injected fault".into()),
            response_excerpt: None,
            succeeded: false,
            will_retry: false,
            started_at: now.clone(),
            finished_at: now,
            duration_ms: 0,
        });
    }

    fn push(&self, d: Delivery) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(d);
    }
}

/// Starts the dispatcher; send each routed event on the returned sender (count it in
/// `log.pending` first).
pub(crate) fn spawn(
    log: DeliveryLog,
    config: DeliveryConfig,
) -> (UnboundedSender<Outgoing>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = unbounded_channel();
    let handle = tokio::spawn(dispatch(rx, log, config));
    (tx, handle)
}

async fn dispatch(mut rx: UnboundedReceiver<Outgoing>, log: DeliveryLog, config: DeliveryConfig) {
    let client = HttpClient::with_options(ClientOptions {
        timeout: config.timeout,
        follow_redirects: false,
    });
    let mut queues: HashMap<String, Arc<EndpointQueue>> = HashMap::new();
    while let Some(out) = rx.recv().await {
        let queue = queues.entry(out.endpoint_id.clone()).or_default().clone();
        let turn = queue.enqueue();
        let (client, log, config) = (client.clone(), log.clone(), config.clone());
        tokio::spawn(async move {
            deliver(&client, &log, &config, &out, &queue, turn).await;
            queue.finished(turn);
            log.pending.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

/// The events of one endpoint not yet delivered or given up, in the order they were queued.
/// Polar's rule (`server/polar/webhook/tasks.py:87-101`, `webhook/service.py:460-465`): before
/// each attempt, an event waits while an earlier event to the same endpoint is pending and
/// was created less than `fifo_guard_max_age` ago. So a healthy endpoint gets its events in
/// order, and one that keeps failing holds the later ones back for a minute, not for its
/// whole retry series.
#[derive(Default)]
struct EndpointQueue {
    pending: Mutex<Vec<(u64, Instant)>>,
    next: std::sync::atomic::AtomicU64,
    changed: Notify,
}

impl EndpointQueue {
    fn enqueue(&self) -> u64 {
        let turn = self.next.fetch_add(1, Ordering::SeqCst);
        self.lock().push((turn, Instant::now()));
        turn
    }

    fn finished(&self, turn: u64) {
        self.lock().retain(|(t, _)| *t != turn);
        self.changed.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, Instant)>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until no earlier pending event younger than `max_age` is left.
    async fn wait_turn(&self, turn: u64, max_age: Duration) {
        loop {
            // Registered before the look, so a `finished` in between still wakes it.
            let changed = self.changed.notified();
            let wait = self
                .lock()
                .iter()
                .filter(|(t, _)| *t < turn)
                .filter_map(|(_, at)| max_age.checked_sub(at.elapsed()))
                .filter(|left| !left.is_zero())
                .min();
            let Some(wait) = wait else { return };
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

async fn deliver(
    client: &HttpClient,
    log: &DeliveryLog,
    config: &DeliveryConfig,
    out: &Outgoing,
    queue: &EndpointQueue,
    turn: u64,
) {
    let max = config.max_attempts.max(1);
    let mut backoff = config.initial_backoff;
    for attempt in 1..=max {
        queue.wait_turn(turn, config.fifo_guard_max_age).await;
        let started = chrono::Utc::now();
        let clock = Instant::now();
        let unix = started.timestamp();
        let signature = webhook::sign(&out.secret, &out.event_id, unix, out.body.as_bytes());
        let result = match Url::parse(&out.url) {
            Ok(url) => {
                let request = HttpRequest::new(Method::Post, url)
                    .with_header("user-agent", "polar.sh webhooks")
                    .with_header("webhook-id", &out.event_id)
                    .with_header("webhook-timestamp", &unix.to_string())
                    .with_header("webhook-signature", &signature)
                    .with_body("application/json", out.body.clone().into_bytes());
                client.send(request).await.map_err(|e| describe(&e))
            }
            Err(e) => Err(format!("not a URL: {e}")),
        };
        let (status_code, error, response_excerpt) = match result {
            Ok(resp) if resp.is_success() => (Some(resp.status), None, None),
            Ok(resp) => (Some(resp.status), None, Some(excerpt(&resp.text()))),
            Err(err) => (None, Some(err), None),
        };
        let succeeded = status_code.is_some_and(|s| (200..300).contains(&s));
        let will_retry = !succeeded && attempt < max;
        log.push(Delivery {
            event_id: out.event_id.clone(),
            event_type: out.kind.clone(),
            event_timestamp: out.timestamp.clone(),
            endpoint_id: out.endpoint_id.clone(),
            endpoint_url: out.url.clone(),
            attempt,
            status_code,
            error,
            response_excerpt,
            succeeded,
            will_retry,
            started_at: ts(started),
            finished_at: ts(chrono::Utc::now()),
            duration_ms: clock.elapsed().as_millis() as u64,
        });
        if !will_retry {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(config.max_backoff);
    }
}

fn describe(err: &HttpError) -> String {
    match err {
        HttpError::Timeout(_) => "timeout".into(),
        HttpError::Connect(_) => "connection failed".into(),
        HttpError::Other(text) => text.clone(),
    }
}

/// At most 300 characters of an answer, on one line.
fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(300) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}
