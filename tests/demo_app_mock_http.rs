//! The demo app against the real mock Polar over HTTP (no browser, no stubs): the checkout it
//! creates, the portal session it opens, webhooks as the mock delivers them (signed, verified,
//! projected), signatures it refuses, and refresh reconciling from the mock as the source of
//! truth.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use walkthrough::demo_app::{DemoApp, DemoAppConfig};
use walkthrough::polar_mock::{DeliveryConfig, MockConfig, MockPolar};
use walkthrough::testbed::local::{start_local, LocalTestbed};

const SETTLE: Duration = Duration::from_secs(10);

/// One browser-less user of the app: keeps the session cookie.
struct User {
    http: reqwest::Client,
    app: String,
    cookie: String,
}

impl User {
    async fn new(app: &str) -> User {
        let http = reqwest::Client::new();
        let resp = http.get(format!("{app}/new")).send().await.unwrap();
        let cookie = resp
            .headers()
            .get("set-cookie")
            .expect("a first visit sets the session cookie")
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        User {
            http,
            app: app.to_string(),
            cookie,
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.app))
            .header("cookie", &self.cookie);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn status(&self) -> Value {
        let (code, body) = self
            .call(reqwest::Method::GET, "/api/billing/status", None)
            .await;
        assert_eq!(code, 200, "{body}");
        body
    }

    async fn add_members(&self, n: usize) {
        for i in 0..n {
            let (code, body) = self
                .call(
                    reqwest::Method::POST,
                    "/api/members",
                    Some(json!({"email": format!("m{i}@acme.dev")})),
                )
                .await;
            assert_eq!(code, 201, "{body}");
        }
    }
}

async fn mock_call(
    mock: &MockPolar,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", mock.base_url()))
        .bearer_auth(mock.token());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Pays a checkout URL's client secret on the mock's public confirm API.
async fn pay(mock: &MockPolar, checkout_url: &str, card: &str) -> Value {
    let secret = checkout_url.rsplit('/').next().unwrap();
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/v1/checkouts/client/{secret}/confirm",
            mock.base_url()
        ))
        .json(&json!({
            "customer_email": "owner@acme.dev",
            "customer_name": "Owner",
            "customer_billing_address": {"country": "DE"},
            "card": {"number": card, "expiry": "12/34", "cvc": "123"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

/// Waits until the user's billing status has `want`.
async fn wait_status(user: &User, want: &str) -> Value {
    let started = Instant::now();
    loop {
        let s = user.status().await;
        if s["status"] == want {
            return s;
        }
        assert!(started.elapsed() < SETTLE, "never {want}: {s}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn buy(testbed: &LocalTestbed, user: &User, extra_members: usize, card: &str) -> Value {
    user.add_members(extra_members).await;
    let (code, checkout) = user
        .call(reqwest::Method::POST, "/api/billing/checkout", None)
        .await;
    assert_eq!(code, 200, "{checkout}");
    pay(&testbed.mock, checkout["url"].as_str().unwrap(), card).await;
    checkout
}

#[tokio::test]
async fn checkout_then_webhooks_project_the_entitlement() {
    let testbed = start_local(true).await.unwrap();
    let user = User::new(&testbed.app_url()).await;
    let workspace = user.status().await["workspace_id"]
        .as_str()
        .unwrap()
        .to_string();

    // The checkout the app creates on the mock: 3 seats, fixed, tied to the workspace.
    user.add_members(2).await;
    let (code, checkout) = user
        .call(reqwest::Method::POST, "/api/billing/checkout", None)
        .await;
    assert_eq!(code, 200, "{checkout}");
    assert_eq!(checkout["seats"], 3);
    assert_eq!(checkout["amount"], 6000);
    let (_, c) = mock_call(
        &testbed.mock,
        reqwest::Method::GET,
        &format!(
            "/v1/checkouts/{}",
            checkout["checkout_id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(c["external_customer_id"], workspace.as_str());
    assert_eq!(c["metadata"]["workspace_id"], workspace.as_str());
    assert_eq!(
        (c["min_seats"].clone(), c["max_seats"].clone()),
        (json!(3), json!(3))
    );
    assert_eq!(
        c["success_url"],
        format!(
            "{}/new?billing=success&checkout_id={}",
            testbed.app_url(),
            c["id"].as_str().unwrap()
        )
    );

    // Paid: the mock's webhooks alone make the workspace active (no refresh called).
    pay(
        &testbed.mock,
        checkout["url"].as_str().unwrap(),
        "4242 4242 4242 4242",
    )
    .await;
    let s = wait_status(&user, "active").await;
    assert!(s["source"].as_str().unwrap().starts_with("webhook:"), "{s}");
    assert_eq!(
        (s["seats"].clone(), s["amount"].clone()),
        (json!(3), json!(6000))
    );
    let (code, _) = user
        .call(
            reqwest::Method::POST,
            "/api/turns",
            Some(json!({"prompt": "hi"})),
        )
        .await;
    assert_eq!(code, 201);

    // Canceled through the API: the webhook makes it canceling, still entitled.
    let sub_id = s["subscription_id"].as_str().unwrap().to_string();
    let (code, _) = mock_call(
        &testbed.mock,
        reqwest::Method::PATCH,
        &format!("/v1/subscriptions/{sub_id}"),
        Some(json!({"cancel_at_period_end": true})),
    )
    .await;
    assert_eq!(code, 200);
    let s = wait_status(&user, "canceling").await;
    assert_eq!(s["entitled"], true);
    assert!(s["ends_at"].is_string(), "{s}");

    // Revoked by the control plane: inactive, turns refused with 402.
    let resp = reqwest::Client::new()
        .post(format!(
            "{}/subscriptions/{sub_id}/revoke",
            testbed.mock.control_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    wait_status(&user, "inactive").await;
    let (code, body) = user
        .call(
            reqwest::Method::POST,
            "/api/turns",
            Some(json!({"prompt": "hi again"})),
        )
        .await;
    assert_eq!(code, 402, "{body}");
    assert_eq!(body["error"], "billing_required");

    // Every delivery was signed with the registered secret and accepted.
    assert!(testbed.mock.settle(SETTLE).await);
    let deliveries = testbed.mock.deliveries();
    assert!(deliveries.len() >= 8, "{deliveries:?}");
    assert!(
        deliveries.iter().all(|d| d.status_code == Some(200)),
        "{deliveries:?}"
    );
    testbed.shutdown().await;
}

#[tokio::test]
async fn the_portal_session_opens_the_customers_portal() {
    let testbed = start_local(false).await.unwrap();
    let user = User::new(&testbed.app_url()).await;

    // No customer yet.
    let (code, body) = user
        .call(reqwest::Method::POST, "/api/billing/portal", None)
        .await;
    assert_eq!(code, 409, "{body}");
    assert_eq!(body["error"], "no_billing_customer");

    buy(&testbed, &user, 0, "4242 4242 4242 4242").await;
    let (code, body) = user
        .call(reqwest::Method::POST, "/api/billing/portal", None)
        .await;
    assert_eq!(code, 200, "{body}");
    let url = body["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!(
            "{}/tegy/portal?customer_session_token=polar_cst_",
            testbed.mock.base_url()
        )),
        "{url}"
    );
    let page = reqwest::get(url).await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("owner@acme.dev"));
    assert!(html.contains(&format!(
        "href=\"{}/new?billing=portal\"",
        testbed.app_url()
    )));
    testbed.shutdown().await;
}

#[tokio::test]
async fn refresh_reconciles_when_webhooks_are_refused() {
    // The app verifies with a secret that is not the endpoint's: every delivery is refused,
    // so only refresh can bring the truth from Polar.
    let mock = MockPolar::start_with(
        MockConfig::default(),
        DeliveryConfig {
            max_attempts: 1,
            ..DeliveryConfig::default()
        },
        false,
    )
    .await
    .unwrap();
    let app = DemoApp::start(DemoAppConfig {
        port: None,
        db_path: None,
        enforce: true,
        polar_api_url: mock.base_url(),
        polar_token: mock.token(),
        product_id: mock.product_id(),
        webhook_secret: Some("whsec_not-the-endpoint-secret".into()),
    })
    .await
    .unwrap();
    let (code, _) = mock_call(
        &mock,
        reqwest::Method::POST,
        "/v1/webhooks/endpoints",
        Some(json!({
            "url": format!("{}/api/polar/webhooks", app.url()),
            "format": "raw",
            "events": ["subscription.created", "subscription.active", "subscription.updated"]
        })),
    )
    .await;
    assert_eq!(code, 201);
    let user = User::new(&app.url()).await;
    user.add_members(1).await;
    let (_, checkout) = user
        .call(reqwest::Method::POST, "/api/billing/checkout", None)
        .await;
    pay(
        &mock,
        checkout["url"].as_str().unwrap(),
        "4242 4242 4242 4242",
    )
    .await;
    assert!(mock.settle(SETTLE).await);
    let deliveries = mock.deliveries();
    assert!(!deliveries.is_empty());
    assert!(
        deliveries.iter().all(|d| d.status_code == Some(401)),
        "a wrong secret is refused: {deliveries:?}"
    );
    assert_eq!(user.status().await["status"], "free");

    let (code, s) = user
        .call(reqwest::Method::POST, "/api/billing/refresh", None)
        .await;
    assert_eq!(code, 200, "{s}");
    assert_eq!(s["status"], "active");
    assert_eq!(s["source"], "refresh");
    assert_eq!(s["seats"], 2);
    assert_eq!(s["reconciled"]["applied"], 1, "{s}");

    // Polar forgets everything: refresh removes the local subscription.
    let resp = reqwest::Client::new()
        .post(format!("{}/reset", mock.control_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let (_, s) = user
        .call(reqwest::Method::POST, "/api/billing/refresh", None)
        .await;
    assert_eq!(s["status"], "free", "{s}");
    assert_eq!(s["reconciled"]["removed"], 1, "{s}");
    app.shutdown().await;
}
