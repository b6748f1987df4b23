//! The full lifecycle through the mock's API, hosted-page calls and control plane —
//! checkout (declined, then paid) → active → cancel → uncancel → renewal fails → past_due →
//! recovered from the portal → revoked — asserting state at each step and the exact webhook
//! sequence seen by a receiver that verifies every signature with Polar's key rule. The
//! receiver fails the first delivery, so the retry (same webhook-id, attempt 2) is proven too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use walkthrough::polar::webhook::{verify, SignatureHeaders};
use walkthrough::polar_mock::{DeliveryConfig, MockConfig, MockPolar};

/// (webhook-id, type, signature verification outcome).
type Seen = (String, String, Result<(), String>);

#[derive(Clone, Default)]
struct Received {
    /// (webhook-id, type, verified) for every request, in arrival order.
    requests: Arc<Mutex<Vec<Seen>>>,
    secret: Arc<Mutex<String>>,
    /// An event type answered 500 every time (empty: none).
    always_reject: Arc<Mutex<String>>,
}

/// A minimal HTTP/1.1 receiver: answers 500 to the very first request and to every event of
/// the `always_reject` type, 204 otherwise.
async fn start_receiver(rx: Received) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut first = true;
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            let (head_end, len) = loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break (None, 0);
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..pos]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| {
                            l.strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    break (Some(pos + 4), len);
                }
            };
            let Some(start) = head_end else { continue };
            while buf.len() < start + len {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let head = String::from_utf8_lossy(&buf[..start]).to_string();
            let body = buf[start..start + len].to_vec();
            let header = |name: &str| {
                head.lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(name)
                            .then(|| v.trim().to_string())
                    })
                    .unwrap_or_default()
            };
            let headers = SignatureHeaders {
                id: header("webhook-id"),
                timestamp: header("webhook-timestamp"),
                signature: header("webhook-signature"),
            };
            let secret = rx.secret.lock().unwrap().clone();
            let now = chrono::Utc::now().timestamp();
            let verified = verify(&secret, &headers, &body, now, 300).map_err(|e| e.to_string());
            let kind = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["type"].as_str().map(str::to_string))
                .unwrap_or_default();
            let rejected = *rx.always_reject.lock().unwrap() == kind;
            rx.requests
                .lock()
                .unwrap()
                .push((headers.id.clone(), kind, verified));
            let status = if first || rejected {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            first = false;
            let _ = sock
                .write_all(
                    format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .as_bytes(),
                )
                .await;
        }
    });
    format!("http://{addr}/webhooks/polar")
}

async fn call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = client.request(method, url).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn checkout_cancel_uncancel_past_due_recover_revoke_with_exact_signed_webhooks() {
    let delivery = DeliveryConfig {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        timeout: Duration::from_secs(5),
        fifo_guard_max_age: Duration::from_secs(60),
    };
    let mock = MockPolar::start_with(MockConfig::default(), delivery, false)
        .await
        .unwrap();
    let base = mock.base_url();
    let token = mock.token();
    let c = reqwest::Client::new();
    use reqwest::Method as M;

    let rx = Received::default();
    let hook_url = start_receiver(rx.clone()).await;
    let all_events: Vec<&str> = vec![
        "checkout.created",
        "checkout.updated",
        "customer.created",
        "customer.state_changed",
        "subscription.created",
        "subscription.active",
        "subscription.updated",
        "subscription.canceled",
        "subscription.uncanceled",
        "subscription.cycled",
        "subscription.past_due",
        "subscription.revoked",
        "order.created",
        "order.updated",
        "order.paid",
    ];
    let (s, ep) = call(
        &c,
        M::POST,
        format!("{base}/v1/webhooks/endpoints"),
        &token,
        Some(json!({"url": hook_url, "format": "raw", "events": all_events})),
    )
    .await;
    assert_eq!(s, 201);
    let secret = ep["secret"].as_str().unwrap().to_string();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 49,
        "server-generated secret: {}",
        secret.len()
    );
    *rx.secret.lock().unwrap() = secret;

    // Checkout for 3 seats.
    let (s, checkout) = call(
        &c,
        M::POST,
        format!("{base}/v1/checkouts/"),
        &token,
        Some(json!({
            "products": [mock.product_id()], "seats": 3,
            "success_url": "http://127.0.0.1:1/new?billing=success&checkout_id={CHECKOUT_ID}",
            "customer_email": "owner@acme.dev", "external_customer_id": "ws-42",
            "customer_billing_address": {"country": "DE"}, "metadata": {"workspace": "ws-42"},
        })),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(checkout["amount"], 6000);
    let checkout_id = checkout["id"].as_str().unwrap().to_string();
    assert_eq!(
        checkout["success_url"],
        format!("http://127.0.0.1:1/new?billing=success&checkout_id={checkout_id}")
    );
    let secret_c = checkout["client_secret"].as_str().unwrap();
    assert_eq!(checkout["url"], format!("{base}/checkout/{secret_c}"));
    let confirm = format!("{base}/v1/checkouts/client/{secret_c}/confirm");
    let form = |number: &str| {
        json!({"customer_email": "owner@acme.dev", "customer_name": "Olga Owner",
        "customer_billing_address": {"country": "DE"}, "seats": 3,
        "card": {"number": number, "expiry": "12 / 34", "cvc": "123"}})
    };

    // Declined card: visible error, checkout stays open.
    let (s, b) = call(
        &c,
        M::POST,
        confirm.clone(),
        "",
        Some(form("4000 0000 0000 0002")),
    )
    .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("PaymentError")));
    let (_, b) = call(
        &c,
        M::GET,
        format!("{base}/v1/checkouts/{checkout_id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(b["status"], "open");

    // 4242 pays; its renewal is made to fail below.
    let (s, b) = call(
        &c,
        M::POST,
        confirm.clone(),
        "",
        Some(form("4242 4242 4242 4242")),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    // The confirm answer is the checkout as of confirmation, as Polar's is; the payment has
    // settled by the time it returns (checked through GET below).
    assert_eq!(b["status"], "confirmed");
    assert!(b["customer_session_token"]
        .as_str()
        .unwrap()
        .starts_with("polar_cst_"));
    let cst = b["customer_session_token"].as_str().unwrap().to_string();
    let (_, b) = call(
        &c,
        M::GET,
        format!("{base}/v1/checkouts/{checkout_id}"),
        &token,
        None,
    )
    .await;
    assert_eq!(b["status"], "succeeded");

    let (_, list) = call(
        &c,
        M::GET,
        format!("{base}/v1/subscriptions/?external_customer_id=ws-42"),
        &token,
        None,
    )
    .await;
    assert_eq!(list["pagination"]["total_count"], 1);
    let sub = list["items"][0].clone();
    assert_eq!(
        (
            sub["status"].as_str(),
            sub["seats"].as_i64(),
            sub["amount"].as_i64()
        ),
        (Some("active"), Some(3), Some(6000))
    );
    assert_eq!(sub["customer"]["type"], "team");
    assert_eq!(sub["metadata"]["workspace"], "ws-42");
    let sid = sub["id"].as_str().unwrap().to_string();
    let first_end = sub["current_period_end"].as_str().unwrap().to_string();
    let (_, st) = call(
        &c,
        M::GET,
        format!("{base}/v1/customers/external/ws-42/state"),
        &token,
        None,
    )
    .await;
    assert_eq!(st["active_subscriptions"][0]["id"], sid.as_str());
    let state = mock.state_json();
    assert_eq!(state["orders"][0]["status"], "paid");
    assert_eq!(state["orders"][0]["billing_reason"], "subscription_create");

    // Cancel at period end, then uncancel.
    let one = format!("{base}/v1/subscriptions/{sid}");
    let (s, b) = call(
        &c,
        M::PATCH,
        one.clone(),
        &token,
        Some(json!({"cancel_at_period_end": true})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (b["status"].as_str(), b["cancel_at_period_end"].as_bool()),
        (Some("active"), Some(true))
    );
    assert_eq!(b["ends_at"], b["current_period_end"]);
    let (s, b) = call(
        &c,
        M::PATCH,
        one.clone(),
        &token,
        Some(json!({"cancel_at_period_end": false})),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        (b["cancel_at_period_end"].as_bool(), b["ends_at"].is_null()),
        (Some(false), true)
    );

    // Renewal: the charge fails → past_due, and the customer state drops the subscription.
    let r = c
        .post(format!("{}/next-charge", mock.control_url()))
        .json(&json!({"outcome": "fail"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let r: Value = c
        .post(format!("{}/advance-period", mock.control_url()))
        .json(&json!({"subscription_id": sid}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["subscriptions"][0]["status"], "past_due");
    let (_, b) = call(&c, M::GET, one.clone(), &token, None).await;
    assert_eq!(b["status"], "past_due");
    assert!(
        b["current_period_start"].as_str().unwrap() == first_end,
        "the period advanced"
    );
    let (_, st) = call(
        &c,
        M::GET,
        format!("{base}/v1/customers/external/ws-42/state"),
        &token,
        None,
    )
    .await;
    assert_eq!(st["active_subscriptions"], json!([]));

    // Portal: update the payment method → immediate retry → active again.
    let (s, sess) = call(
        &c,
        M::POST,
        format!("{base}/v1/customer-sessions/"),
        &token,
        Some(json!({"external_customer_id": "ws-42"})),
    )
    .await;
    assert_eq!(s, 201);
    assert!(sess["customer_portal_url"]
        .as_str()
        .unwrap()
        .starts_with(&format!(
            "{base}/tegy/portal?customer_session_token=polar_cst_"
        )));
    // The checkout's session token expired when the clock moved a month; the new one works.
    let (s, _) = call(
        &c,
        M::POST,
        format!("{base}/v1/customer-portal/customers/me/payment-methods"),
        &cst,
        Some(json!({"card": {"number": "4242424242424242", "expiry": "01/30", "cvc": "999"}})),
    )
    .await;
    assert_eq!(s, 401);
    let fresh = sess["token"].as_str().unwrap().to_string();
    let (s, b) = call(
        &c,
        M::POST,
        format!("{base}/v1/customer-portal/customers/me/payment-methods"),
        &fresh,
        Some(json!({"card": {"number": "4242424242424242", "expiry": "01/30", "cvc": "999"}})),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    // The retry with the new default card is a background job (Polar enqueues it): the
    // request answered first; the scheduler's next pass recovers the subscription.
    let started = std::time::Instant::now();
    let b = loop {
        let (_, b) = call(&c, M::GET, one.clone(), &token, None).await;
        if b["status"] == "active" || started.elapsed() > Duration::from_secs(5) {
            break b;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        (b["status"].as_str(), b["past_due_at"].is_null()),
        (Some("active"), true)
    );

    // Revoke now.
    let (s, b) = call(&c, M::DELETE, one.clone(), &token, None).await;
    assert_eq!(s, 200);
    assert_eq!(b["status"], "canceled");
    assert!(!b["ended_at"].is_null());

    assert!(
        mock.settle(Duration::from_secs(10)).await,
        "deliveries drained"
    );
    let got = rx.requests.lock().unwrap().clone();
    for (id, kind, verified) in &got {
        assert!(
            verified.is_ok(),
            "signature of {kind} ({id}) did not verify: {verified:?}"
        );
    }
    // The first request failed (500) and was retried with the same webhook-id.
    assert_eq!(got[0].0, got[1].0);
    assert_eq!(got[0].1, "checkout.created");
    let sequence: Vec<&str> = got[1..].iter().map(|(_, k, _)| k.as_str()).collect();
    let expected = vec![
        "checkout.created",
        // declined
        "customer.created",
        "checkout.updated",
        "checkout.updated",
        // paid
        "checkout.updated",
        "subscription.created",
        "subscription.active",
        "subscription.updated",
        "order.created",
        "order.updated",
        "order.paid",
        "checkout.updated",
        "customer.state_changed",
        // cancel, uncancel
        "subscription.updated",
        "subscription.canceled",
        "customer.state_changed",
        "subscription.updated",
        "subscription.uncanceled",
        "customer.state_changed",
        // renewal fails
        "subscription.cycled",
        "subscription.updated",
        "order.created",
        "order.updated",
        "subscription.updated",
        "subscription.past_due",
        "customer.state_changed",
        // recovered
        "order.updated",
        "order.paid",
        "subscription.updated",
        "subscription.active",
        "customer.state_changed",
        // revoked
        "subscription.updated",
        "subscription.canceled",
        "subscription.revoked",
        "customer.state_changed",
    ];
    assert_eq!(sequence, expected);

    let deliveries = mock.deliveries();
    assert_eq!(deliveries.len(), got.len());
    assert_eq!(
        (
            deliveries[0].attempt,
            deliveries[0].status_code,
            deliveries[0].succeeded,
            deliveries[0].will_retry
        ),
        (1, Some(500), false, true)
    );
    assert_eq!(
        (
            deliveries[1].attempt,
            deliveries[1].status_code,
            deliveries[1].succeeded
        ),
        (2, Some(204), true)
    );
    assert!(deliveries[2..]
        .iter()
        .all(|d| d.attempt == 1 && d.succeeded));
    let over_http: Vec<Value> = c
        .get(format!("{}/deliveries", mock.control_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http.len(), deliveries.len());
}

#[tokio::test]
async fn unreachable_endpoint_is_retried_with_backoff_then_given_up() {
    let delivery = DeliveryConfig {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(150),
        timeout: Duration::from_secs(2),
        fifo_guard_max_age: Duration::from_secs(60),
    };
    let mock = MockPolar::start_with(MockConfig::default(), delivery, false)
        .await
        .unwrap();
    let c = reqwest::Client::new();
    // A port nobody listens on.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (s, _) = call(&c, reqwest::Method::POST, format!("{}/v1/webhooks/endpoints", mock.base_url()), &mock.token(),
        Some(json!({"url": format!("http://{dead}/hook"), "format": "raw", "events": ["checkout.created"]}))).await;
    assert_eq!(s, 201);
    let (s, _) = call(
        &c,
        reqwest::Method::POST,
        format!("{}/v1/checkouts/", mock.base_url()),
        &mock.token(),
        Some(json!({"products": [mock.product_id()]})),
    )
    .await;
    assert_eq!(s, 201);
    assert!(mock.settle(Duration::from_secs(10)).await);
    let d = mock.deliveries();
    assert_eq!(
        d.iter().map(|d| d.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert!(d
        .iter()
        .all(|d| !d.succeeded && d.status_code.is_none() && d.error.is_some()));
    assert_eq!(
        d.iter().map(|d| d.will_retry).collect::<Vec<_>>(),
        vec![true, true, false]
    );
    assert!(d
        .iter()
        .all(|x| x.event_id == d[0].event_id && x.event_type == "checkout.created"));
    // Backoff: the third attempt starts at least 100 + 150 ms after the first.
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    assert!((t(&d[2].started_at) - t(&d[0].started_at)).num_milliseconds() >= 250);
}

/// Polar holds an event back while an earlier one to the same endpoint is pending and younger
/// than `WEBHOOK_FIFO_GUARD_MAX_AGE` (`server/polar/webhook/tasks.py:87-101`,
/// `webhook/service.py:460-465`): one that keeps failing delays the later ones by that age,
/// not by its whole retry series, and they still arrive in order among themselves.
#[tokio::test]
async fn a_failing_event_holds_later_ones_back_only_for_the_fifo_guard() {
    let guard = Duration::from_millis(600);
    let delivery = DeliveryConfig {
        max_attempts: 8,
        initial_backoff: Duration::from_millis(300),
        max_backoff: Duration::from_millis(300),
        timeout: Duration::from_secs(5),
        fifo_guard_max_age: guard,
    };
    let mock = MockPolar::start_with(MockConfig::default(), delivery, false)
        .await
        .unwrap();
    let rx = Received::default();
    *rx.always_reject.lock().unwrap() = "checkout.created".into();
    let url = start_receiver(rx.clone()).await;
    let c = reqwest::Client::new();
    let (s, endpoint) = call(&c, reqwest::Method::POST, format!("{}/v1/webhooks/endpoints", mock.base_url()), &mock.token(),
        Some(json!({"url": url, "format": "raw", "events": ["checkout.created", "checkout.updated", "customer.created"]}))).await;
    assert_eq!(s, 201);
    *rx.secret.lock().unwrap() = endpoint["secret"].as_str().unwrap().to_string();
    let (s, checkout) = call(
        &c,
        reqwest::Method::POST,
        format!("{}/v1/checkouts/", mock.base_url()),
        &mock.token(),
        Some(json!({"products": [mock.product_id()], "seats": 3})),
    )
    .await;
    assert_eq!(s, 201, "{checkout}");
    let secret = checkout["client_secret"].as_str().unwrap();
    let paid = c
        .post(format!(
            "{}/v1/checkouts/client/{secret}/confirm",
            mock.base_url()
        ))
        .json(&json!({
            "customer_email": "fifo@acme.dev",
            "customer_name": "Fifo Buyer",
            "customer_billing_address": {"country": "DE"},
            "card": {"number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);
    assert!(mock.settle(Duration::from_secs(10)).await);

    let d = mock.deliveries();
    let t = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
    let failing: Vec<_> = d
        .iter()
        .filter(|x| x.event_type == "checkout.created")
        .collect();
    assert_eq!(
        failing.len(),
        8,
        "every attempt of the failing event: {d:#?}"
    );
    assert!(failing.iter().all(|x| !x.succeeded));
    let later: Vec<_> = d
        .iter()
        .filter(|x| x.event_type != "checkout.created")
        .collect();
    assert!(later.len() >= 3, "{d:#?}");
    assert!(
        later.iter().all(|x| x.succeeded && x.attempt == 1),
        "{later:#?}"
    );
    let first_later = later.iter().map(|x| t(&x.started_at)).min().unwrap();
    // Held back while the failing event was younger than the guard …
    let held = (first_later - t(&failing[0].started_at)).num_milliseconds();
    assert!(
        held >= 500,
        "a later event went out {held} ms after the failing one started"
    );
    // … and not for its whole retry series (8 attempts, 300 ms apart: over 2 s).
    let last_failing = t(&failing.last().unwrap().started_at);
    assert!(
        first_later < last_failing,
        "the later events waited for the failing one's whole retry series"
    );
    // In order among themselves: customer.created, then the checkout's updates.
    let kinds: Vec<&str> = later.iter().map(|x| x.event_type.as_str()).collect();
    assert_eq!(kinds[0], "customer.created", "{kinds:?}");
}
