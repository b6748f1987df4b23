//! Polar's card and renewal rules through the mock over real HTTP: a customer's several cards
//! and its default, deleting the card a subscription is billed with (the subscription moves
//! to the default card), `PATCH /v1/subscriptions/{id} {current_billing_period_end}` renewed by
//! the mock's scheduler with its webhooks delivered to a registered endpoint, and the PATCH's
//! refusals with Polar's status codes and bodies.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use walkthrough::polar_mock::{DeliveryConfig, MockConfig, MockPolar};

use reqwest::Method as M;

/// A receiver that answers 204 to every request and keeps each payload's `type`.
async fn start_receiver(types: Arc<Mutex<Vec<String>>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 8192];
            loop {
                let n = sock.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&buf[..pos]).to_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if buf.len() >= pos + 4 + len {
                    let body: Value =
                        serde_json::from_slice(&buf[pos + 4..pos + 4 + len]).unwrap_or_default();
                    let kind = body["type"].as_str().unwrap_or_default().to_string();
                    types.lock().unwrap().push(kind);
                    break;
                }
            }
            let _ = sock
                .write_all(
                    b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await;
        }
    });
    format!("http://{addr}/webhooks")
}

struct Api {
    mock: MockPolar,
    http: reqwest::Client,
}

impl Api {
    async fn start() -> Api {
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
        Api {
            mock,
            http: reqwest::Client::new(),
        }
    }

    /// `path` under the base URL, with `token` (the organization's when `None`).
    async fn call(
        &self,
        m: M,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let org = self.mock.token();
        let mut rb = self
            .http
            .request(m, format!("{}{path}", self.mock.base_url()))
            .bearer_auth(token.unwrap_or(&org));
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}{path}", self.mock.control_url()))
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A paid checkout for `email` with a Stripe test payment method; returns (customer id,
    /// subscription id, customer session token).
    async fn subscribe(&self, email: &str, pm: &str) -> (String, String, String) {
        let (s, ck) = self
            .call(
                M::POST,
                "/v1/checkouts/",
                None,
                Some(json!({"products": [self.mock.product_id()], "seats": 1})),
            )
            .await;
        assert_eq!(s, 201, "{ck}");
        let secret = ck["client_secret"].as_str().unwrap();
        let (s, done) = self
            .call(
                M::POST,
                &format!("/v1/checkouts/client/{secret}/confirm"),
                Some(""),
                Some(json!({"customer_email": email, "customer_name": "Ada",
                    "customer_billing_address": {"country": "DE"}, "confirmation_token_id": pm})),
            )
            .await;
        assert_eq!(s, 200, "{done}");
        let customer = done["customer_id"].as_str().unwrap().to_string();
        let (_, subs) = self
            .call(
                M::GET,
                &format!("/v1/subscriptions/?customer_id={customer}"),
                None,
                None,
            )
            .await;
        let sid = subs["items"][0]["id"].as_str().unwrap().to_string();
        let cst = done["customer_session_token"].as_str().unwrap().to_string();
        (customer, sid, cst)
    }

    /// A new customer session token (a session lives an hour of the mock's clock).
    async fn session(&self, customer: &str) -> String {
        let (s, b) = self
            .call(
                M::POST,
                "/v1/customer-sessions/",
                None,
                Some(json!({"customer_id": customer})),
            )
            .await;
        assert_eq!(s, 201, "{b}");
        b["token"].as_str().unwrap().to_string()
    }

    /// The mock's clock.
    async fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let state: Value = self
            .http
            .get(format!("{}/state", self.mock.control_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state["now"].as_str().unwrap().parse().unwrap()
    }

    async fn subscription(&self, sid: &str) -> Value {
        self.call(M::GET, &format!("/v1/subscriptions/{sid}"), None, None)
            .await
            .1
    }
}

const PMS: &str = "/v1/customer-portal/customers/me/payment-methods";

#[tokio::test]
async fn several_cards_a_default_and_deleting_the_subscriptions_card_moves_it_to_the_default() {
    let api = Api::start().await;
    let (customer, sid, cst) = api.subscribe("cards@acme.dev", "pm_card_visa").await;
    let (_, c) = api
        .call(M::GET, &format!("/v1/customers/{customer}"), None, None)
        .await;
    let checkout_card = c["default_payment_method_id"].as_str().unwrap().to_string();

    // A failing card as the new default, a working one only saved.
    let back = "https://app.example.com/settings";
    let (s, b) = api
        .call(
            M::POST,
            PMS,
            Some(&cst),
            Some(json!({"confirmation_token_id": "pm_card_chargeCustomerFail", "set_default": true, "return_url": back})),
        )
        .await;
    assert_eq!((s, b["status"].as_str()), (201, Some("succeeded")), "{b}");
    let failing = b["payment_method"]["id"].as_str().unwrap().to_string();
    let (s, b) = api
        .call(
            M::POST,
            PMS,
            Some(&cst),
            Some(json!({"confirmation_token_id": "pm_card_visa", "set_default": false, "return_url": back})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let spare = b["payment_method"]["id"].as_str().unwrap().to_string();

    // Three cards in the portal, newest first; the organization's list marks the default.
    let (s, list) = api.call(M::GET, PMS, Some(&cst), None).await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [spare.as_str(), failing.as_str(), checkout_card.as_str()]
    );
    let (_, org_list) = api
        .call(
            M::GET,
            &format!("/v1/customers/{customer}/payment-methods"),
            None,
            None,
        )
        .await;
    let defaults: Vec<(&str, bool)> = org_list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                p["is_default"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        defaults,
        [
            (spare.as_str(), false),
            (failing.as_str(), true),
            (checkout_card.as_str(), false)
        ]
    );

    // Deleting the checkout's card moves the subscription to the default (the failing card).
    let (s, _) = api
        .call(
            M::DELETE,
            &format!("{PMS}/{checkout_card}"),
            Some(&cst),
            None,
        )
        .await;
    assert_eq!(s, 204);
    let (s, b) = api
        .call(
            M::DELETE,
            &format!("{PMS}/{checkout_card}"),
            Some(&cst),
            None,
        )
        .await;
    assert_eq!((s, b["error"].as_str()), (404, Some("ResourceNotFound")));
    // Then the spare card becomes the default: an active subscription keeps its card.
    let (s, me) = api
        .call(
            M::PATCH,
            "/v1/customer-portal/customers/me",
            Some(&cst),
            Some(json!({"default_payment_method_id": spare})),
        )
        .await;
    assert_eq!(
        (s, me["default_payment_method_id"].as_str()),
        (200, Some(spare.as_str()))
    );
    let (s, b) = api
        .call(
            M::PATCH,
            "/v1/customer-portal/customers/me",
            Some(&cst),
            Some(json!({"default_payment_method_id": "00000000-0000-4000-8000-000000000000"})),
        )
        .await;
    assert_eq!(
        (s, b["detail"][0]["msg"].as_str()),
        (422, Some("Payment method not found."))
    );

    // The renewal charges the subscription's card — the failing one it moved to — not the
    // default: past due.
    let out = api
        .control("/advance-period", json!({"subscription_id": sid}))
        .await;
    assert_eq!(out["subscriptions"][0]["status"], "past_due", "{out}");

    // Deleting that card moves the subscription to the default (the spare Visa), which the
    // last dunning retry then charges successfully. (The clock moved a month: a new session.)
    let cst = api.session(&customer).await;
    let (s, _) = api
        .call(M::DELETE, &format!("{PMS}/{failing}"), Some(&cst), None)
        .await;
    assert_eq!(s, 204);
    let out = api
        .control("/advance-period", json!({"subscription_id": sid}))
        .await;
    assert_eq!(out["subscriptions"][0]["status"], "active", "{out}");

    // The last card a subscription needs cannot be deleted.
    let cst = api.session(&customer).await;
    let (s, b) = api
        .call(M::DELETE, &format!("{PMS}/{spare}"), Some(&cst), None)
        .await;
    assert_eq!(
        (s, b),
        (
            400,
            json!({"error": "PaymentMethodInUseByActiveSubscription",
                "detail": "This payment method is still needed to bill a subscription. Add another one or cancel the subscription first."})
        )
    );
}

/// Waits up to `limit` for `done` to hold of the subscription.
async fn eventually(api: &Api, sid: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let start = Instant::now();
    loop {
        let s = api.subscription(sid).await;
        if done(&s) || start.elapsed() > limit {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_period_end_set_by_patch_is_renewed_by_the_scheduler_with_its_webhooks() {
    let api = Api::start().await;
    let types = Arc::new(Mutex::new(Vec::new()));
    let url = start_receiver(types.clone()).await;
    let events = [
        "subscription.cycled",
        "subscription.updated",
        "subscription.past_due",
        "order.created",
        "order.paid",
    ];
    let (s, _) = api
        .call(
            M::POST,
            "/v1/webhooks/endpoints",
            None,
            Some(json!({"url": url, "format": "raw", "events": events})),
        )
        .await;
    assert_eq!(s, 201);
    let (_, paying, _) = api.subscribe("paying@acme.dev", "pm_card_visa").await;
    // Stripe's 0341 is declined at checkout; a subscription fails its renewal once 0341 is
    // its card: saved as the default in the portal, the checkout's card deleted
    // (HOSTED-PAGES.md §3.2).
    let (failing_customer, failing, cst) = api.subscribe("failing@acme.dev", "pm_card_visa").await;
    let (_, c) = api
        .call(
            M::GET,
            &format!("/v1/customers/{failing_customer}"),
            None,
            None,
        )
        .await;
    let checkout_card = c["default_payment_method_id"].as_str().unwrap().to_string();
    let (s, b) = api
        .call(
            M::POST,
            PMS,
            Some(&cst),
            Some(
                json!({"confirmation_token_id": "pm_card_chargeCustomerFail", "set_default": true,
                "return_url": "https://app.example.com/settings"}),
            ),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, _) = api
        .call(
            M::DELETE,
            &format!("{PMS}/{checkout_card}"),
            Some(&cst),
            None,
        )
        .await;
    assert_eq!(s, 204);

    for sid in [&paying, &failing] {
        let end = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
        let (s, b) = api
            .call(
                M::PATCH,
                &format!("/v1/subscriptions/{sid}"),
                None,
                Some(json!({"current_billing_period_end": end})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let got = chrono::DateTime::parse_from_rfc3339(b["current_period_end"].as_str().unwrap());
        let want = chrono::DateTime::parse_from_rfc3339(&end).unwrap();
        assert!((got.unwrap() - want).num_milliseconds().abs() < 1000, "{b}");
    }

    let renewed = |s: &Value| s["current_period_start"] != s["started_at"];
    let s = eventually(&api, &paying, Duration::from_secs(5), renewed).await;
    assert_eq!(
        (s["status"].as_str(), renewed(&s)),
        (Some("active"), true),
        "{s}"
    );
    let s = eventually(&api, &failing, Duration::from_secs(5), |s| {
        s["status"] == "past_due"
    })
    .await;
    assert_eq!(s["status"], "past_due", "{s}");

    let (_, orders) = api
        .call(
            M::GET,
            &format!("/v1/orders/?subscription_id={paying}"),
            None,
            None,
        )
        .await;
    let reasons: Vec<(&str, &str)> = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["billing_reason"].as_str().unwrap(),
                o["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        reasons.contains(&("subscription_cycle", "paid")),
        "{reasons:?}"
    );

    assert!(api.mock.settle(Duration::from_secs(10)).await);
    let seen = types.lock().unwrap().clone();
    for kind in events {
        assert!(
            seen.iter().any(|k| k == kind),
            "{kind} not delivered: {seen:?}"
        );
    }
    // One renewal each: the scheduler does not renew a period twice.
    let cycled = seen.iter().filter(|k| *k == "subscription.cycled").count();
    assert_eq!(cycled, 2, "{seen:?}");
}

#[tokio::test]
async fn a_period_end_patch_is_refused_in_the_past_and_for_canceling_or_inactive_subscriptions() {
    let api = Api::start().await;
    let (_, sid, _) = api.subscribe("refused@acme.dev", "pm_card_visa").await;
    let path = format!("/v1/subscriptions/{sid}");
    let patch = |end: String| json!({"current_billing_period_end": end});

    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let (s, b) = api
        .call(M::PATCH, &path, None, Some(patch(past.clone())))
        .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(
        b["detail"][0],
        json!({"type": "datetime_future", "loc": ["body", "current_billing_period_end"],
            "msg": "Input should be in the future", "input": past})
    );

    let future = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let (s, _) = api
        .call(
            M::PATCH,
            &path,
            None,
            Some(json!({"cancel_at_period_end": true})),
        )
        .await;
    assert_eq!(s, 200);
    let canceled = json!({"error": "AlreadyCanceledSubscription",
        "detail": "This subscription is already canceled or will be at the end of the period."});
    let (s, b) = api
        .call(M::PATCH, &path, None, Some(patch(future.clone())))
        .await;
    assert_eq!((s, b), (403, canceled.clone()));

    // Past due is not active.
    api.call(
        M::PATCH,
        &path,
        None,
        Some(json!({"cancel_at_period_end": false})),
    )
    .await;
    api.control("/next-charge", json!({"outcome": "fail"}))
        .await;
    let out = api
        .control("/advance-period", json!({"subscription_id": sid}))
        .await;
    assert_eq!(out["subscriptions"][0]["status"], "past_due");
    // The clock moved to the period end: "the future" is the mock's.
    let future = (api.now().await + chrono::Duration::days(3)).to_rfc3339();
    let (s, b) = api
        .call(M::PATCH, &path, None, Some(patch(future.clone())))
        .await;
    assert_eq!(
        (s, b),
        (
            403,
            json!({"error": "InactiveSubscription", "detail": format!("Subscription {sid} is not active.")})
        )
    );

    // Revoked.
    let (s, _) = api.call(M::DELETE, &path, None, None).await;
    assert_eq!(s, 200);
    let (s, b) = api.call(M::PATCH, &path, None, Some(patch(future))).await;
    assert_eq!((s, b), (403, canceled));
}
