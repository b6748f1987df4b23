//! The demo app over real HTTP against small wiremock stubs that answer as Polar does
//! (bodies and error shapes from API.md): webhook verification, the entitlement projection
//! (every status, transitions, out-of-order and late deliveries, refresh), 402 enforcement
//! before persistence, checkout, portal, Polar failures, and webhook endpoint registration.

#![recursion_limit = "256"]

use std::time::Duration;

use serde_json::{json, Value};
use walkthrough::demo_app::{DemoApp, DemoAppConfig, DemoAppOptions};
use walkthrough::polar::webhook::sign;
use walkthrough::polar::RetryPolicy;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "polar_oat_TESTTOKENabcdefghijklmnopqrstuvwxyz0123";
const SECRET: &str = "whsec_ovyN6cPrTv56AApvzCaJno08SSmGJmgbWilb33N2JuK";
const PRODUCT: &str = "0c6a4e1e-5d1b-4b8e-9a57-2b6f5b0b8e11";
const ORG: &str = "7a3e4c8f-4a44-4bd4-8d0c-3f1c6e2a9b01";
const CUSTOMER: &str = "992fae2a-2a17-4b7a-8d9d-e3b2d4a9b0c1";

fn product_json() -> Value {
    json!({
        "id": PRODUCT, "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
        "trial_interval": null, "trial_interval_count": null,
        "name": "Tegy Team", "description": "Chat for teams", "visibility": "public",
        "recurring_interval": "month", "recurring_interval_count": 1,
        "meter_interval": null, "meter_interval_count": null,
        "is_recurring": true, "is_archived": false, "organization_id": ORG, "metadata": {},
        "prices": [{
            "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
            "id": "5d0f7b5e-7c11-4c53-b7a4-5c3d0b7f2e21", "source": "catalog",
            "amount_type": "seat_based", "price_currency": "usd", "tax_behavior": null,
            "is_archived": false, "product_id": PRODUCT,
            "seat_tiers": {"seat_tier_type": "volume",
                "tiers": [{"min_seats": 1, "max_seats": null, "price_per_seat": 2000}],
                "minimum_seats": 1, "maximum_seats": null}
        }],
        "benefits": [], "medias": [], "attached_custom_fields": []
    })
}

fn subscription_json(
    id: &str,
    workspace: &str,
    status: &str,
    cancel: bool,
    modified_at: &str,
    seats: i64,
) -> Value {
    json!({
        "created_at": "2026-01-01T00:00:00Z", "modified_at": modified_at, "id": id,
        "amount": 2000 * seats, "currency": "usd", "recurring_interval": "month",
        "recurring_interval_count": 1, "status": status,
        "current_period_start": "2026-01-01T00:00:00Z", "current_period_end": "2026-02-01T00:00:00Z",
        "current_meter_period_start": null, "current_meter_period_end": null,
        "trial_start": null, "trial_end": null, "cancel_at_period_end": cancel,
        "canceled_at": if cancel { json!("2026-01-10T00:00:00Z") } else { Value::Null },
        "started_at": "2026-01-01T00:00:00Z",
        "ends_at": if cancel { json!("2026-02-01T00:00:00Z") } else { Value::Null },
        "ended_at": null, "past_due_at": null, "pause_at_period_end": false, "paused_at": null,
        "resumes_at": null, "customer_id": CUSTOMER, "product_id": PRODUCT, "discount_id": null,
        "checkout_id": null, "seats": seats, "customer_cancellation_reason": null,
        "customer_cancellation_comment": null, "metadata": {"workspace_id": workspace},
        "custom_field_data": {},
        "customer": {"id": CUSTOMER, "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
            "metadata": {}, "external_id": workspace, "email": "buyer@example.com",
            "email_verified": false, "type": "team", "name": null, "billing_name": null,
            "billing_address": null, "tax_id": null, "locale": null, "organization_id": ORG,
            "deleted_at": null, "first_user_event_at": null, "avatar_url": ""},
        "product": product_json(), "discount": null, "prices": [], "meters": [],
        "pending_update": null
    })
}

fn customer_state_json(workspace: &str, active: &[Value]) -> Value {
    json!({
        "id": CUSTOMER, "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
        "metadata": {}, "external_id": workspace, "email": "buyer@example.com",
        "email_verified": false, "type": "team", "name": null, "billing_name": null,
        "billing_address": null, "tax_id": null, "locale": null, "organization_id": ORG,
        "default_payment_method_id": null, "deleted_at": null, "first_user_event_at": null,
        "avatar_url": "", "active_subscriptions": active, "granted_benefits": [],
        "active_meters": []
    })
}

fn fast() -> DemoAppOptions {
    DemoAppOptions {
        polar_timeout: Duration::from_millis(800),
        polar_retry: RetryPolicy {
            max_retries: 1,
            base_backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_millis(50),
        },
        ..DemoAppOptions::default()
    }
}

async fn start(polar: &MockServer, enforce: bool) -> DemoApp {
    DemoApp::start_with(
        DemoAppConfig {
            port: None,
            db_path: None,
            enforce,
            polar_api_url: polar.uri(),
            polar_token: TOKEN.into(),
            product_id: PRODUCT.into(),
            webhook_secret: Some(SECRET.into()),
        },
        fast(),
    )
    .await
    .expect("demo app starts")
}

/// A user agent that keeps the session cookie.
struct User {
    http: reqwest::Client,
    base: String,
    cookie: String,
    workspace: String,
}

impl User {
    async fn visit(app: &DemoApp) -> User {
        let http = reqwest::Client::new();
        let resp = http.get(format!("{}/new", app.url())).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        let cookie = resp
            .headers()
            .get("set-cookie")
            .expect("first visit sets a session cookie")
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let html = resp.text().await.unwrap();
        assert!(html.contains(r#"data-testid="billing-dialog""#));
        let mut u = User {
            http,
            base: app.url(),
            cookie,
            workspace: String::new(),
        };
        u.workspace = u.get("/api/billing/status").await.1["workspace_id"]
            .as_str()
            .unwrap()
            .to_string();
        u
    }

    async fn get(&self, p: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{p}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, p: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{p}", self.base))
            .header("cookie", &self.cookie)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn status(&self) -> Value {
        let (code, body) = self.get("/api/billing/status").await;
        assert_eq!(code, 200, "{body}");
        body
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn envelope(event_type: &str, timestamp: &str, data: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": event_type, "timestamp": timestamp, "data": data})).unwrap()
}

async fn deliver_raw(
    app: &DemoApp,
    id: &str,
    ts: i64,
    body: &[u8],
    signature: Option<String>,
) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/api/polar/webhooks", app.url()))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .body(body.to_vec());
    if let Some(sig) = signature {
        req = req.header("webhook-signature", sig);
    }
    let r = req.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

async fn deliver(app: &DemoApp, id: &str, body: &[u8]) -> (u16, Value) {
    let ts = now();
    deliver_raw(app, id, ts, body, Some(sign(SECRET, id, ts, body))).await
}

async fn deliver_sub(
    app: &DemoApp,
    id: &str,
    event: &str,
    event_ts: &str,
    sub: Value,
) -> (u16, Value) {
    deliver(app, id, &envelope(event, event_ts, sub)).await
}

async fn polar_with_product() -> MockServer {
    let polar = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/products/{PRODUCT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(product_json()))
        .mount(&polar)
        .await;
    polar
}

#[tokio::test]
async fn webhook_signatures_are_enforced_and_rejections_store_nothing() {
    let polar = polar_with_product().await;
    let app = start(&polar, false).await;
    let user = User::visit(&app).await;
    let sub = subscription_json(
        "sub-1",
        &user.workspace,
        "active",
        false,
        "2026-01-01T00:00:01Z",
        1,
    );
    let body = envelope("subscription.active", "2026-01-01T00:00:01Z", sub);
    let ts = now();

    // Wrong secret.
    let (code, res) = deliver_raw(
        &app,
        "wh-1",
        ts,
        &body,
        Some(sign("whsec_other", "wh-1", ts, &body)),
    )
    .await;
    assert_eq!(code, 401, "{res}");
    assert_eq!(res["error"], "invalid_signature");
    // Missing signature header.
    assert_eq!(deliver_raw(&app, "wh-1", ts, &body, None).await.0, 401);
    // Stale: signed correctly, but 6 minutes old (and 6 minutes in the future).
    for skew in [-360, 360] {
        let old = ts + skew;
        let (code, _) = deliver_raw(
            &app,
            "wh-1",
            old,
            &body,
            Some(sign(SECRET, "wh-1", old, &body)),
        )
        .await;
        assert_eq!(code, 401, "skew {skew}");
    }
    // Tampered: signature of the original body, different body.
    let mut tampered = body.clone();
    let pos = tampered.windows(6).position(|w| w == b"active").unwrap();
    tampered[pos..pos + 6].copy_from_slice(b"paused");
    let (code, _) = deliver_raw(
        &app,
        "wh-1",
        ts,
        &tampered,
        Some(sign(SECRET, "wh-1", ts, &body)),
    )
    .await;
    assert_eq!(code, 401);
    // Signature for another webhook id.
    let (code, _) = deliver_raw(
        &app,
        "wh-1",
        ts,
        &body,
        Some(sign(SECRET, "wh-2", ts, &body)),
    )
    .await;
    assert_eq!(code, 401);
    assert_eq!(
        user.status().await["status"],
        "free",
        "rejections changed nothing"
    );

    // Garbage, correctly signed: not JSON → 400, nothing stored.
    let (code, res) = deliver(&app, "wh-garbage", b"\x00not json{").await;
    assert_eq!(code, 400, "{res}");
    assert_eq!(res["error"], "invalid_payload");
    // JSON, but the subscription data is not a Subscription.
    let (code, _) = deliver(
        &app,
        "wh-shape",
        &envelope(
            "subscription.updated",
            "2026-01-01T00:00:00Z",
            json!({"id": 3}),
        ),
    )
    .await;
    assert_eq!(code, 400);
    // Oversized (over 256 KiB), correctly signed → 413.
    let big = format!(
        r#"{{"type":"order.created","timestamp":"2026-01-01T00:00:00Z","data":{{"pad":"{}"}}}}"#,
        "x".repeat(300 * 1024)
    );
    let (code, _) = deliver(&app, "wh-big", big.as_bytes()).await;
    assert_eq!(code, 413);

    // The rejected id was not recorded: the valid delivery with it is processed.
    let (code, res) = deliver(&app, "wh-1", &body).await;
    assert_eq!(code, 200, "{res}");
    assert_eq!(res["status"], "processed");
    assert_eq!(user.status().await["status"], "active");

    // A repeated webhook-id is acknowledged with no second effect, even with another body.
    let past_due = envelope(
        "subscription.past_due",
        "2026-01-02T00:00:00Z",
        subscription_json(
            "sub-1",
            &user.workspace,
            "past_due",
            false,
            "2026-01-02T00:00:00Z",
            1,
        ),
    );
    let (code, res) = deliver(&app, "wh-1", &past_due).await;
    assert_eq!(code, 200);
    assert_eq!(res["status"], "duplicate");
    assert_eq!(user.status().await["status"], "active");
    // The same body under a new id does take effect.
    assert_eq!(
        deliver(&app, "wh-3", &past_due).await.1["status"],
        "processed"
    );
    assert_eq!(user.status().await["status"], "past_due");
    app.shutdown().await;
}

#[tokio::test]
async fn every_status_and_transition_is_projected_and_late_deliveries_cannot_regress() {
    let polar = polar_with_product().await;
    let app = start(&polar, false).await;
    let user = User::visit(&app).await;
    let ws = user.workspace.clone();
    let s = user.status().await;
    assert_eq!(
        (s["status"].as_str(), s["entitled"].as_bool()),
        (Some("free"), Some(false))
    );
    assert_eq!(s["members"], 1);

    // A lifecycle: active → canceling → uncanceled → past_due → recovered → revoked.
    let steps: &[(&str, &str, bool, &str, bool)] = &[
        ("subscription.created", "active", false, "active", true),
        ("subscription.canceled", "active", true, "canceling", true),
        ("subscription.uncanceled", "active", false, "active", true),
        (
            "subscription.past_due",
            "past_due",
            false,
            "past_due",
            false,
        ),
        ("subscription.active", "active", false, "active", true),
        ("subscription.revoked", "canceled", false, "inactive", false),
    ];
    for (i, (event, status, cancel, want, entitled)) in steps.iter().enumerate() {
        let t = format!("2026-01-0{}T00:00:00Z", i + 1);
        let (code, res) = deliver_sub(
            &app,
            &format!("life-{i}"),
            event,
            &t,
            subscription_json("sub-L", &ws, status, *cancel, &t, 2),
        )
        .await;
        assert_eq!(code, 200, "{res}");
        let st = user.status().await;
        assert_eq!(st["status"], *want, "after {event}: {st}");
        assert_eq!(st["entitled"], *entitled, "after {event}");
        assert_eq!(st["seats"], 2);
        assert_eq!(st["subscription_id"], "sub-L");
    }
    let st = user.status().await;
    assert_eq!(
        st["ends_at"], "2026-02-01T00:00:00.000000Z",
        "inactive shows when it ended"
    );

    // Every other Polar status, each on a fresh subscription of a fresh workspace.
    for (status, cancel, want) in [
        ("trialing", false, "active"),
        ("trialing", true, "canceling"),
        ("unpaid", false, "inactive"),
        ("paused", false, "inactive"),
        ("incomplete", false, "inactive"),
        ("incomplete_expired", false, "inactive"),
    ] {
        let u = User::visit(&app).await;
        let t = "2026-01-01T00:00:00Z";
        let (code, _) = deliver_sub(
            &app,
            &format!("st-{status}-{cancel}"),
            "subscription.updated",
            t,
            subscription_json(
                &format!("sub-{status}-{cancel}"),
                &u.workspace,
                status,
                cancel,
                t,
                1,
            ),
        )
        .await;
        assert_eq!(code, 200);
        assert_eq!(u.status().await["status"], want, "{status} cancel={cancel}");
    }

    // Out of order: the newer revoke arrives first, the older "active" arrives late.
    let u = User::visit(&app).await;
    let newer = subscription_json(
        "sub-O",
        &u.workspace,
        "canceled",
        false,
        "2026-03-02T00:00:00Z",
        1,
    );
    let older = subscription_json(
        "sub-O",
        &u.workspace,
        "active",
        false,
        "2026-03-01T00:00:00Z",
        1,
    );
    deliver_sub(
        &app,
        "ooo-2",
        "subscription.revoked",
        "2026-03-02T00:00:00Z",
        newer,
    )
    .await;
    let (_, res) = deliver_sub(
        &app,
        "ooo-1",
        "subscription.active",
        "2026-03-01T00:00:00Z",
        older,
    )
    .await;
    assert!(
        res["outcome"].as_str().unwrap().starts_with("stale"),
        "{res}"
    );
    assert_eq!(
        u.status().await["status"],
        "inactive",
        "a late delivery cannot resurrect access"
    );

    // Same modified_at, older event timestamp: also ignored.
    let u2 = User::visit(&app).await;
    let t = "2026-04-01T00:00:00Z";
    deliver_sub(
        &app,
        "tie-2",
        "subscription.past_due",
        "2026-04-01T00:00:05Z",
        subscription_json("sub-T", &u2.workspace, "past_due", false, t, 1),
    )
    .await;
    deliver_sub(
        &app,
        "tie-1",
        "subscription.updated",
        "2026-04-01T00:00:01Z",
        subscription_json("sub-T", &u2.workspace, "active", false, t, 1),
    )
    .await;
    assert_eq!(u2.status().await["status"], "past_due");

    // An event for a workspace the app doesn't know is acknowledged and changes nothing.
    let (code, res) = deliver_sub(
        &app,
        "stranger",
        "subscription.active",
        t,
        subscription_json("sub-X", "not-a-workspace", "active", false, t, 1),
    )
    .await;
    assert_eq!(code, 200);
    assert_eq!(res["outcome"], "ignored: unknown workspace");
    app.shutdown().await;
}

#[tokio::test]
async fn refresh_makes_polar_the_source_of_truth() {
    let polar = polar_with_product().await;
    let app = start(&polar, false).await;
    let user = User::visit(&app).await;
    let ws = user.workspace.clone();

    // No customer in Polar yet: refresh answers free.
    Mock::given(method("GET"))
        .and(path(format!("/v1/customers/external/{ws}/state")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error":"ResourceNotFound","detail":"Not found"})),
        )
        .up_to_n_times(1)
        .mount(&polar)
        .await;
    let (code, st) = user.post("/api/billing/refresh", json!({})).await;
    assert_eq!(code, 200, "{st}");
    assert_eq!(st["status"], "free");
    assert_eq!(st["plan"], "Tegy Team");

    // A webhook said active (a stale local view: the renewal failed and that delivery is late).
    deliver_sub(
        &app,
        "w1",
        "subscription.active",
        "2026-01-01T00:00:00Z",
        subscription_json("sub-R", &ws, "active", false, "2026-01-01T00:00:00Z", 3),
    )
    .await;
    // And a subscription Polar no longer has for this customer.
    deliver_sub(
        &app,
        "w2",
        "subscription.created",
        "2026-01-01T00:00:00Z",
        subscription_json("sub-GONE", &ws, "active", false, "2026-01-01T00:00:00Z", 1),
    )
    .await;
    assert_eq!(user.status().await["status"], "active");

    let past_due = subscription_json("sub-R", &ws, "past_due", false, "2026-02-01T00:00:10Z", 3);
    Mock::given(method("GET"))
        .and(path(format!("/v1/customers/external/{ws}/state")))
        .respond_with(ResponseTemplate::new(200).set_body_json(customer_state_json(&ws, &[])))
        .mount(&polar)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/"))
        .and(query_param("external_customer_id", ws.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"items": [past_due.clone()], "pagination": {"total_count": 1, "max_page": 1}}),
        ))
        .mount(&polar)
        .await;
    let (code, st) = user.post("/api/billing/refresh", json!({})).await;
    assert_eq!(code, 200, "{st}");
    assert_eq!(st["status"], "past_due", "{st}");
    assert_eq!(st["entitled"], false);
    assert_eq!(st["customer_id"], CUSTOMER);
    assert_eq!(st["source"], "refresh");
    assert_eq!(st["reconciled"]["applied"], 1);
    assert_eq!(
        st["reconciled"]["removed"], 1,
        "sub-GONE is not in Polar: removed"
    );

    // A late webhook older than what refresh read cannot undo it.
    deliver_sub(
        &app,
        "w3",
        "subscription.updated",
        "2026-02-01T00:00:00Z",
        subscription_json("sub-R", &ws, "active", false, "2026-02-01T00:00:00Z", 3),
    )
    .await;
    assert_eq!(user.status().await["status"], "past_due");
    // A newer webhook (recovery) does apply.
    deliver_sub(
        &app,
        "w4",
        "subscription.active",
        "2026-02-03T00:00:00Z",
        subscription_json("sub-R", &ws, "active", false, "2026-02-03T00:00:00Z", 3),
    )
    .await;
    let st = user.status().await;
    assert_eq!(st["status"], "active");
    assert_eq!(st["amount"], 6000);
    assert_eq!(st["price_per_seat"], 2000);
    app.shutdown().await;
}

#[tokio::test]
async fn enforcement_answers_402_before_the_turn_is_stored() {
    let polar = polar_with_product().await;
    let app = start(&polar, true).await;
    let user = User::visit(&app).await;
    let ws = user.workspace.clone();

    let (code, body) = user
        .post("/api/turns", json!({"prompt": "hello there"}))
        .await;
    assert_eq!(code, 402, "{body}");
    assert_eq!(body["error"], "billing_required");
    assert_eq!(body["billing"]["status"], "free");
    assert!(body.get("turn").is_none(), "no assistant content");
    assert_eq!(
        user.get("/api/turns").await.1["turns"],
        json!([]),
        "nothing stored"
    );

    let t = |d: u32| format!("2026-01-{d:02}T00:00:00Z");
    let cases: &[(&str, bool, u16)] = &[
        ("active", false, 201),
        ("active", true, 201),
        ("past_due", false, 402),
        ("canceled", false, 402),
    ];
    let mut stored = 0;
    for (i, (status, cancel, want)) in cases.iter().enumerate() {
        let ts = t(i as u32 + 1);
        deliver_sub(
            &app,
            &format!("e{i}"),
            "subscription.updated",
            &ts,
            subscription_json("sub-E", &ws, status, *cancel, &ts, 1),
        )
        .await;
        let (code, body) = user
            .post("/api/turns", json!({"prompt": format!("turn {i}")}))
            .await;
        assert_eq!(code, *want, "{status} cancel={cancel}: {body}");
        if code == 201 {
            stored += 1;
            assert_eq!(
                body["turn"]["reply"],
                walkthrough::demo_app::assistant_reply(&format!("turn {i}"))
            );
        } else {
            assert_eq!(body["error"], "billing_required");
        }
        assert_eq!(
            user.get("/api/turns").await.1["turns"]
                .as_array()
                .unwrap()
                .len(),
            stored
        );
    }
    assert_eq!(stored, 2);

    // Without enforcement a free workspace chats freely; bad prompts are 400 either way.
    let open = start(&polar, false).await;
    let u = User::visit(&open).await;
    let (code, body) = u.post("/api/turns", json!({"prompt": "hi"})).await;
    assert_eq!(code, 201, "{body}");
    assert_eq!(
        body["turn"]["reply"],
        "You said: \u{201c}hi\u{201d} (1 word). This is the demo assistant's deterministic reply."
    );
    assert_eq!(u.post("/api/turns", json!({"prompt": "  "})).await.0, 400);
    assert_eq!(u.post("/api/turns", json!({"nope": 1})).await.0, 400);
    app.shutdown().await;
    open.shutdown().await;
}

#[tokio::test]
async fn checkout_and_portal_go_through_polar() {
    let polar = polar_with_product().await;
    let app = start(&polar, false).await;
    let user = User::visit(&app).await;
    let ws = user.workspace.clone();
    for email in ["a@example.com", "b@example.com"] {
        let (code, body) = user.post("/api/members", json!({"email": email})).await;
        assert_eq!(code, 201, "{body}");
    }
    assert_eq!(
        user.post("/api/members", json!({"email": "a@example.com"}))
            .await
            .1["added"],
        false
    );
    assert_eq!(
        user.post("/api/members", json!({"email": "nope"})).await.0,
        400
    );
    assert_eq!(user.status().await["members"], 3);

    Mock::given(method("POST"))
        .and(path("/v1/checkouts/"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "4b3c1b2a-0000-4000-8000-000000000001", "created_at": "2026-01-01T00:00:00Z",
            "modified_at": null, "status": "open", "client_secret": "polar_c_x",
            "url": "https://sandbox.polar.sh/checkout/polar_c_x", "expires_at": "2026-01-02T00:00:00Z",
            "success_url": "http://x/new", "amount": 6000, "seats": 3, "min_seats": 3, "max_seats": 3,
            "total_amount": 6000, "currency": "usd", "product_id": PRODUCT, "customer_id": null,
            "external_customer_id": ws, "metadata": {}
        })))
        .mount(&polar)
        .await;
    let (code, body) = user.post("/api/billing/checkout", json!({})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["url"], "https://sandbox.polar.sh/checkout/polar_c_x");
    assert_eq!(body["seats"], 3);
    let sent: Value = polar
        .received_requests()
        .await
        .unwrap()
        .iter()
        .find(|r| r.url.path() == "/v1/checkouts/")
        .map(|r| {
            assert_eq!(
                r.headers.get("authorization").unwrap().to_str().unwrap(),
                format!("Bearer {TOKEN}")
            );
            serde_json::from_slice(&r.body).unwrap()
        })
        .expect("a checkout was created");
    assert_eq!(sent["products"], json!([PRODUCT]));
    assert_eq!(
        (
            sent["seats"].as_i64(),
            sent["min_seats"].as_i64(),
            sent["max_seats"].as_i64()
        ),
        (Some(3), Some(3), Some(3))
    );
    assert_eq!(sent["external_customer_id"], ws);
    assert_eq!(
        sent["success_url"],
        format!(
            "{}/new?billing=success&checkout_id={{CHECKOUT_ID}}",
            app.url()
        )
    );
    assert_eq!(sent["metadata"]["workspace_id"], ws);

    // Portal: 422 (no customer yet) → a clear 409; then a session → its portal URL.
    Mock::given(method("POST"))
        .and(path("/v1/customer-sessions/"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"error":"PolarRequestValidationError","detail":[{"type":"value_error","loc":["body","external_customer_id"],"msg":"Customer does not exist.","input":ws}]})))
        .up_to_n_times(1)
        .mount(&polar)
        .await;
    let (code, body) = user.post("/api/billing/portal", json!({})).await;
    assert_eq!(code, 409, "{body}");
    assert_eq!(body["error"], "no_billing_customer");
    let portal = "https://sandbox.polar.sh/acme/portal?customer_session_token=polar_cst_abc&email=buyer%40example.com";
    Mock::given(method("POST"))
        .and(path("/v1/customer-sessions/"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "created_at": "2026-01-01T00:00:00Z", "modified_at": null, "id": "cs-1",
            "token": "polar_cst_abc", "expires_at": "2026-01-01T01:00:00Z",
            "return_url": null, "customer_portal_url": portal, "customer_id": CUSTOMER, "customer": {}
        })))
        .mount(&polar)
        .await;
    let (code, body) = user.post("/api/billing/portal", json!({})).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["url"], portal);
    let reqs = polar.received_requests().await.unwrap();
    let cs: Value = serde_json::from_slice(
        &reqs
            .iter()
            .rev()
            .find(|r| r.url.path() == "/v1/customer-sessions/")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        cs,
        json!({"external_customer_id": ws, "return_url": format!("{}/new?billing=portal", app.url())})
    );

    // Plans come from the Polar product.
    let (code, plans) = user.get("/api/billing/plans").await;
    assert_eq!(code, 200);
    assert_eq!(plans["plans"][0]["name"], "Tegy Team");
    assert_eq!(plans["plans"][0]["price_per_seat"], 2000);
    assert_eq!(plans["plans"][0]["interval"], "month");
    app.shutdown().await;
}

#[tokio::test]
async fn polar_failures_are_clear_and_never_leak_secrets() {
    let polar = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/products/{PRODUCT}")))
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", "Bearer realm=\"polar\", error=\"invalid_token\"")
                .set_body_raw(r#"{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}"#, "application/json"),
        )
        .mount(&polar)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checkouts/"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .mount(&polar)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customer-sessions/"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream down"))
        .mount(&polar)
        .await;
    Mock::given(method("GET"))
        .and(path_regex_state())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(3)))
        .mount(&polar)
        .await;
    let app = start(&polar, false).await;
    let user = User::visit(&app).await;

    let (code, body) = user.get("/api/billing/plans").await;
    assert_eq!(code, 502, "{body}");
    assert_eq!(body["polar_status"], 401);
    assert!(
        body["message"].as_str().unwrap().contains("access token"),
        "{body}"
    );
    let (code, body) = user.post("/api/billing/checkout", json!({})).await;
    assert_eq!(code, 502);
    assert_eq!(body["polar_status"], 429);
    assert!(body["message"].as_str().unwrap().contains("rate limiting"));
    let (code, body) = user.post("/api/billing/portal", json!({})).await;
    assert_eq!(code, 502);
    assert_eq!(body["polar_status"], 503);
    let started = std::time::Instant::now();
    let (code, body) = user.post("/api/billing/refresh", json!({})).await;
    assert_eq!(code, 504, "{body}");
    assert_eq!(body["error"], "polar_timeout");
    assert!(started.elapsed() < Duration::from_secs(3));

    // Retries were bounded: one retry each for 429 and 5xx.
    let reqs = polar.received_requests().await.unwrap();
    assert_eq!(
        reqs.iter()
            .filter(|r| r.url.path() == "/v1/checkouts/")
            .count(),
        2
    );
    assert_eq!(
        reqs.iter()
            .filter(|r| r.url.path() == "/v1/customer-sessions/")
            .count(),
        2
    );

    // The app still serves, and no response carries the token or the webhook secret.
    let page = reqwest::get(format!("{}/new", app.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let status = user.status().await.to_string();
    for text in [page, status, body.to_string()] {
        assert!(!text.contains(TOKEN) && !text.contains(SECRET));
    }
    let shown = format!(
        "{:?}",
        DemoAppConfig {
            port: None,
            db_path: None,
            enforce: false,
            polar_api_url: polar.uri(),
            polar_token: TOKEN.into(),
            product_id: PRODUCT.into(),
            webhook_secret: Some(SECRET.into()),
        }
    );
    assert!(!shown.contains(TOKEN) && !shown.contains(SECRET), "{shown}");
    app.shutdown().await;
}

fn path_regex_state() -> wiremock::matchers::PathRegexMatcher {
    wiremock::matchers::path_regex(r"^/v1/customers/external/.+/state$")
}

#[tokio::test]
async fn without_a_secret_the_app_registers_its_webhook_endpoint() {
    let polar = polar_with_product().await;
    let generated = "whsec_GeneratedByPolarForThisEndpoint0123456789ab";
    Mock::given(method("POST"))
        .and(path("/v1/webhooks/endpoints"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
            "id": "e1d2c3b4-0000-4000-8000-000000000002", "url": "http://127.0.0.1/api/polar/webhooks",
            "name": "walkthrough demo app", "format": "raw", "secret": generated,
            "organization_id": ORG, "events": ["subscription.updated"], "enabled": true
        })))
        .mount(&polar)
        .await;
    let app = DemoApp::start_with(
        DemoAppConfig {
            port: None,
            db_path: Some(tempfile::tempdir().unwrap().keep().join("app.db")),
            enforce: false,
            polar_api_url: polar.uri(),
            polar_token: TOKEN.into(),
            product_id: PRODUCT.into(),
            webhook_secret: None,
        },
        fast(),
    )
    .await
    .unwrap();
    assert_eq!(app.webhook_secret(), generated);
    let reqs = polar.received_requests().await.unwrap();
    let reg: Value = serde_json::from_slice(
        &reqs
            .iter()
            .find(|r| r.url.path() == "/v1/webhooks/endpoints")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(reg["url"], format!("{}/api/polar/webhooks", app.url()));
    assert_eq!(reg["format"], "raw");
    assert!(reg["events"]
        .as_array()
        .unwrap()
        .contains(&json!("subscription.past_due")));

    // Deliveries signed with the generated secret are accepted; the configured one is not.
    let user = User::visit(&app).await;
    let t = "2026-01-01T00:00:00Z";
    let body = envelope(
        "subscription.active",
        t,
        subscription_json("sub-W", &user.workspace, "active", false, t, 1),
    );
    let ts = now();
    assert_eq!(
        deliver_raw(&app, "g1", ts, &body, Some(sign(SECRET, "g1", ts, &body)))
            .await
            .0,
        401
    );
    assert_eq!(
        deliver_raw(
            &app,
            "g1",
            ts,
            &body,
            Some(sign(generated, "g1", ts, &body))
        )
        .await
        .0,
        200
    );
    assert_eq!(user.status().await["status"], "active");
    app.shutdown().await;

    // A registration failure is a clear start-up error.
    let failing = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/webhooks/endpoints"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"error":"RequestValidationError","detail":[{"type":"url_scheme","loc":["body","url"],"msg":"URL scheme should be 'https'","input":"http://x"}]})))
        .mount(&failing)
        .await;
    let err = DemoApp::start_with(
        DemoAppConfig {
            port: None,
            db_path: None,
            enforce: false,
            polar_api_url: failing.uri(),
            polar_token: TOKEN.into(),
            product_id: PRODUCT.into(),
            webhook_secret: None,
        },
        fast(),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("register its webhook endpoint") && err.contains("https"),
        "{err}"
    );
    assert!(!err.contains(TOKEN));
}
