//! Fault injection: an HTTP fault is a wiremock mock above every route, for one method and
//! path prefix and a number of calls; it answers exactly those calls and nothing else, latency
//! delays the normal answer, clearing disarms at once, and the control plane and the Rust API
//! arm the same faults. Webhook faults drop or duplicate the next events of a type.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use walkthrough::polar_mock::{DeliveryConfig, Fault, FaultKind, MockConfig, MockPolar};

fn fault(kind: FaultKind) -> Fault {
    Fault {
        kind,
        path: None,
        method: None,
        latency_ms: None,
        status: None,
        retry_after: None,
        event_type: None,
        remaining: 1,
    }
}

async fn call(
    mock: &MockPolar,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut rb = reqwest::Client::new()
        .request(method, format!("{}{path}", mock.base_url()))
        .bearer_auth(mock.token());
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn an_http_fault_answers_one_route_for_a_number_of_calls() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let create = json!({"products": [mock.product_id()], "seats": 2});
    mock.inject_fault(Fault {
        path: Some("/v1/checkouts/".into()),
        method: Some("post".into()),
        status: Some(503),
        remaining: 2,
        ..fault(FaultKind::Status)
    })
    .await
    .unwrap();
    assert_eq!(mock.faults()[0].remaining, 2);
    // Another method on the same path and another path are not faulted.
    let (s, _) = call(&mock, reqwest::Method::GET, "/v1/checkouts/", None).await;
    assert_eq!(s, 200);
    let (s, _) = call(&mock, reqwest::Method::GET, "/v1/products/", None).await;
    assert_eq!(s, 200);
    let (s, b) = call(
        &mock,
        reqwest::Method::POST,
        "/v1/checkouts/",
        Some(create.clone()),
    )
    .await;
    assert_eq!((s, b["detail"].as_str()), (503, Some("Injected fault")));
    assert_eq!(mock.faults()[0].remaining, 1);
    let (s, _) = call(
        &mock,
        reqwest::Method::POST,
        "/v1/checkouts/",
        Some(create.clone()),
    )
    .await;
    assert_eq!(s, 503);
    assert!(mock.faults().is_empty(), "spent faults are not listed");
    let (s, b) = call(&mock, reqwest::Method::POST, "/v1/checkouts/", Some(create)).await;
    assert_eq!((s, b["seats"].as_i64()), (201, Some(2)));
    assert_eq!(
        mock.state_json()["checkouts"].as_array().unwrap().len(),
        1,
        "faulted calls changed nothing"
    );

    // Latency: the normal answer, later; the gate still applies (a bad token is refused).
    mock.inject_fault(Fault {
        path: Some("/v1/products/".into()),
        latency_ms: Some(300),
        remaining: 2,
        ..fault(FaultKind::Latency)
    })
    .await
    .unwrap();
    let t = Instant::now();
    let (s, b) = call(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/products/{}", mock.product_id()),
        None,
    )
    .await;
    assert_eq!((s, b["name"].as_str()), (200, Some("Tegy Pro")));
    assert!(t.elapsed() >= Duration::from_millis(300));
    let r = reqwest::Client::new()
        .get(format!("{}/v1/products/", mock.base_url()))
        .bearer_auth("polar_oat_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Clearing disarms at once; control routes are never faulted.
    mock.inject_fault(Fault {
        path: Some("/".into()),
        status: Some(500),
        remaining: 5,
        ..fault(FaultKind::Status)
    })
    .await
    .unwrap();
    let state = reqwest::get(format!("{}/state", mock.control_url()))
        .await
        .unwrap();
    assert_eq!(state.status(), 200);
    let (s, _) = call(&mock, reqwest::Method::GET, "/v1/products/", None).await;
    assert_eq!(s, 500);
    mock.clear_faults();
    let (s, _) = call(&mock, reqwest::Method::GET, "/v1/products/", None).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn the_control_plane_arms_validates_lists_and_clears_faults() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let faults = format!("{}/faults", mock.control_url());
    for bad in [
        json!({"kind": "status"}),
        json!({"kind": "status", "path": "/__control/state"}),
        json!({"kind": "explode", "path": "/v1/"}),
        json!({"kind": "rate_limit", "path": "/v1/", "remaining": 0}),
    ] {
        let r = c.post(&faults).json(&bad).send().await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
    }
    let r = c
        .post(&faults)
        .json(&json!({"kind": "rate_limit", "path": "/v1/subscriptions/", "retry_after": 3, "remaining": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let listed: Value = r.json().await.unwrap();
    assert_eq!(
        (listed[0]["kind"].as_str(), listed[0]["remaining"].as_u64()),
        (Some("rate_limit"), Some(3))
    );
    let (s, _) = call(&mock, reqwest::Method::GET, "/v1/subscriptions/", None).await;
    assert_eq!(s, 429);
    let listed: Value = c.get(&faults).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed[0]["remaining"], 2);
    assert_eq!(c.delete(&faults).send().await.unwrap().status(), 200);
    let (s, _) = call(&mock, reqwest::Method::GET, "/v1/subscriptions/", None).await;
    assert_eq!(s, 200, "a cleared fault answers nothing");
    let listed: Value = c.get(&faults).send().await.unwrap().json().await.unwrap();
    assert_eq!(listed, json!([]));
}

/// Records `(webhook-id, type)` of every request and answers 204.
async fn receiver(seen: Arc<Mutex<Vec<(String, String)>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 16384];
            loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                let Some(pos) = text.find("\r\n\r\n") else {
                    if n == 0 {
                        break;
                    } else {
                        continue;
                    }
                };
                let head = text[..pos].to_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if buf.len() < pos + 4 + len && n != 0 {
                    continue;
                }
                let id = head
                    .lines()
                    .find_map(|l| l.strip_prefix("webhook-id:").map(|v| v.trim().to_string()))
                    .unwrap_or_default();
                let body: Value = serde_json::from_slice(&buf[pos + 4..]).unwrap_or(Value::Null);
                seen.lock()
                    .unwrap()
                    .push((id, body["type"].as_str().unwrap_or("").to_string()));
                break;
            }
            let _ = sock
                .write_all(
                    b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    format!("http://{addr}/hooks")
}

#[tokio::test]
async fn webhook_faults_drop_or_duplicate_the_next_events_of_a_type() {
    let delivery = DeliveryConfig {
        initial_backoff: Duration::from_millis(20),
        ..DeliveryConfig::default()
    };
    let mock = MockPolar::start_with(MockConfig::default(), delivery, false)
        .await
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let url = receiver(seen.clone()).await;
    let (s, _) = call(&mock, reqwest::Method::POST, "/v1/webhooks/endpoints",
        Some(json!({"url": url, "format": "raw", "events": ["checkout.created", "customer.created"]}))).await;
    assert_eq!(s, 201);
    mock.inject_fault(Fault {
        event_type: Some("checkout.created".into()),
        ..fault(FaultKind::DropWebhook)
    })
    .await
    .unwrap();
    let c = reqwest::Client::new();
    c.post(format!("{}/faults", mock.control_url()))
        .json(&json!({"kind": "duplicate_webhook", "event_type": "customer.created"}))
        .send()
        .await
        .unwrap();
    let create = json!({"products": [mock.product_id()]});
    for _ in 0..2 {
        call(
            &mock,
            reqwest::Method::POST,
            "/v1/checkouts/",
            Some(create.clone()),
        )
        .await;
    }
    call(
        &mock,
        reqwest::Method::POST,
        "/v1/customers/",
        Some(json!({"email": "dup@acme.dev"})),
    )
    .await;
    assert!(mock.settle(Duration::from_secs(5)).await);
    let got = seen.lock().unwrap().clone();
    let kinds: Vec<&str> = got.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["checkout.created", "customer.created", "customer.created"],
        "{got:?}"
    );
    assert_eq!(
        got[1].0, got[2].0,
        "a duplicate carries the same webhook-id"
    );
    let dropped: Vec<_> = mock
        .deliveries()
        .into_iter()
        .filter(|d| d.error.as_deref() == Some("dropped by an injected fault"))
        .collect();
    assert_eq!(dropped.len(), 1);
    assert_eq!(
        (
            dropped[0].event_type.as_str(),
            dropped[0].succeeded,
            dropped[0].will_retry
        ),
        ("checkout.created", false, false)
    );
    assert!(mock.faults().is_empty());
}
