//! Benefits and grants in the mock over real HTTP, as Polar has them: a product's `custom`
//! benefit is granted when its subscription becomes active (`benefit_grant.created` after the
//! subscription's and order's events), cycled when a renewal is paid, revoked when the
//! subscription is (and when it falls past due), each followed by `customer.state_changed`;
//! customer state lists the grant; the portal lists and gets it; the portal's meters page is
//! empty; `POST /v1/events/ingest` counts valid events and refuses bad ones. Every grant
//! webhook and new answer is validated against Polar's OpenAPI document when it is present
//! (`../shared/polar/openapi-2026-04.json` or `POLAR_OPENAPI`).

use std::path::{Path, PathBuf};

use reqwest::Method as M;
use serde_json::{json, Value};
use walkthrough::polar_mock::{MockConfig, MockPolar};

const BENEFIT: &str = "7c3e9a41-5b2d-4f18-9e6a-2d4c8b1f0a73";
const PRODUCT: &str = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";

/// A seed with one monthly fixed-price product (not seat-based) carrying the benefit.
fn seed(dir: &Path) -> PathBuf {
    let path = dir.join("seed.json");
    let seed = json!({
        "organization": {"id": "5b6a3c1e-2f4d-4e8a-9b7c-1d2e3f4a5b6c", "slug": "tegy", "name": "Tegy",
            "token": "polar_oat_MockTegyLocalOnly0000000000000000000mock01"},
        "products": [{
            "id": PRODUCT, "name": "Tegy Solo", "recurring_interval": "month",
            "recurring_interval_count": 1,
            "benefits": [{"id": BENEFIT, "type": "custom", "description": "Tegy Pro workspace",
                "properties": {"note": "Welcome"}}],
            "prices": [{"id": "2b3c4d5e-6f70-4182-93a4-b5c6d7e8f901", "amount_type": "fixed",
                "price_amount": 2000, "price_currency": "usd"}]
        }]
    });
    std::fs::write(&path, seed.to_string()).unwrap();
    path
}

/// Polar's OpenAPI document, when it is beside the checkout.
fn openapi() -> Option<Value> {
    let path = std::env::var_os("POLAR_OPENAPI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/polar/openapi-2026-04.json")
        });
    let text = std::fs::read_to_string(&path).ok()?;
    serde_json::from_str(&text).ok()
}

fn validate(doc: &Option<Value>, schema: Value, instance: &Value, what: &str) {
    let Some(doc) = doc else {
        eprintln!("polar_mock_benefits: no OpenAPI document; {what} not validated");
        return;
    };
    let wrapped = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [schema], "components": doc["components"]});
    let v = jsonschema::validator_for(&wrapped).unwrap();
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance:#}");
}

fn response_schema(doc: &Option<Value>, method: &str, path: &str) -> Value {
    doc.as_ref().map_or(Value::Null, |d| {
        d["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
            .clone()
    })
}

struct Api {
    mock: MockPolar,
    http: reqwest::Client,
}

impl Api {
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
        let r = self
            .http
            .post(format!("{}{path}", self.mock.control_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap_or(Value::Null)
    }

    async fn events(&self) -> Vec<Value> {
        let r = self
            .http
            .get(format!("{}/events", self.mock.control_url()))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// A paid checkout of `product`; returns (customer id, subscription id, session token).
    async fn subscribe(&self, product: &str, body: Value) -> (String, String, String) {
        let mut create = json!({"products": [product]});
        if let (Some(c), Some(b)) = (create.as_object_mut(), body.as_object()) {
            c.extend(b.clone());
        }
        let (s, ck) = self
            .call(M::POST, "/v1/checkouts/", None, Some(create))
            .await;
        assert_eq!(s, 201, "{ck}");
        let secret = ck["client_secret"].as_str().unwrap();
        let (s, done) = self
            .call(M::POST, &format!("/v1/checkouts/client/{secret}/confirm"), Some(""),
                Some(json!({"customer_email": "ada@acme.dev", "customer_name": "Ada",
                    "customer_billing_address": {"country": "DE"}, "confirmation_token_id": "pm_card_visa"})))
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
        (
            customer,
            sid,
            done["customer_session_token"].as_str().unwrap().to_string(),
        )
    }
}

/// The event types from `from` on, in order.
fn kinds(events: &[Value], from: usize) -> Vec<String> {
    events[from..]
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

fn check_grant_webhooks(doc: &Option<Value>, events: &[Value]) {
    for e in events
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("benefit_grant."))
    {
        let kind = e["type"].as_str().unwrap();
        let payload = json!({"type": kind, "timestamp": e["timestamp"], "data": e["data"]});
        let schema = doc.as_ref().map_or(Value::Null, |d| {
            d["webhooks"][kind]["post"]["requestBody"]["content"]["application/json"]["schema"]
                .clone()
        });
        validate(doc, schema, &payload, kind);
        assert_eq!(e["data"]["benefit"]["id"], BENEFIT);
        assert_eq!(e["data"]["benefit"]["type"], "custom");
    }
}

#[tokio::test]
async fn a_subscription_grants_cycles_and_revokes_its_products_custom_benefit() {
    let doc = openapi();
    let dir = tempfile::tempdir().unwrap();
    let mock = MockPolar::start(MockConfig {
        fixtures_dir: Some(seed(dir.path())),
        ..MockConfig::default()
    })
    .await
    .unwrap();
    let api = Api {
        mock,
        http: reqwest::Client::new(),
    };

    // The benefit, and the product carrying it.
    let (s, list) = api.call(M::GET, "/v1/benefits/", None, None).await;
    assert_eq!(s, 200);
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/benefits/"),
        &list,
        "GET /v1/benefits/",
    );
    assert_eq!(list["items"][0]["id"], BENEFIT);
    assert_eq!(list["items"][0]["properties"]["note"], "Welcome");
    let (s, one) = api
        .call(M::GET, &format!("/v1/benefits/{BENEFIT}"), None, None)
        .await;
    assert_eq!(
        (s, &one["description"]),
        (200, &json!("Tegy Pro workspace"))
    );
    let (s, _) = api
        .call(
            M::GET,
            "/v1/benefits/00000000-0000-4000-8000-000000000000",
            None,
            None,
        )
        .await;
    assert_eq!(s, 404);
    let (_, product) = api
        .call(M::GET, &format!("/v1/products/{PRODUCT}"), None, None)
        .await;
    assert_eq!(product["benefits"][0]["id"], BENEFIT);
    let (_, carrying) = api
        .call(
            M::GET,
            &format!("/v1/products/?benefit_id={BENEFIT}"),
            None,
            None,
        )
        .await;
    assert_eq!(carrying["items"].as_array().unwrap().len(), 1);

    // Active: the grant comes after the subscription's, order's and checkout's events.
    let (customer, sid, cst) = api.subscribe(PRODUCT, json!({})).await;
    let events = api.events().await;
    let k = kinds(&events, 0);
    let created = k
        .iter()
        .position(|t| t == "benefit_grant.created")
        .expect("benefit_grant.created");
    assert!(created > k.iter().position(|t| t == "subscription.active").unwrap());
    assert!(created > k.iter().position(|t| t == "order.paid").unwrap());
    assert_eq!(k[created + 1], "customer.state_changed");
    assert_eq!(
        events[created + 1]["data"]["granted_benefits"][0]["benefit_id"],
        BENEFIT
    );
    let grant = &events[created]["data"];
    assert_eq!(
        (
            grant["is_granted"].as_bool(),
            grant["subscription_id"].as_str()
        ),
        (Some(true), Some(sid.as_str()))
    );
    let grant_id = grant["id"].as_str().unwrap().to_string();

    // Customer state, the organization's grant lists.
    let (_, state) = api
        .call(
            M::GET,
            &format!("/v1/customers/{customer}/state"),
            None,
            None,
        )
        .await;
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/customers/{id}/state"),
        &state,
        "customer state",
    );
    assert_eq!(state["granted_benefits"][0]["id"], grant_id.as_str());
    assert_eq!(state["granted_benefits"][0]["benefit_type"], "custom");
    let (_, all) = api
        .call(
            M::GET,
            &format!("/v1/benefit-grants/?customer_id={customer}"),
            None,
            None,
        )
        .await;
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/benefit-grants/"),
        &all,
        "GET /v1/benefit-grants/",
    );
    assert_eq!(all["items"][0]["id"], grant_id.as_str());
    let (_, of) = api
        .call(
            M::GET,
            &format!("/v1/benefits/{BENEFIT}/grants?is_granted=true"),
            None,
            None,
        )
        .await;
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/benefits/{id}/grants"),
        &of,
        "benefit grants",
    );
    assert_eq!(of["items"].as_array().unwrap().len(), 1);

    // The portal: the grant, one grant, no meters.
    let (s, mine) = api
        .call(
            M::GET,
            "/v1/customer-portal/benefit-grants/",
            Some(&cst),
            None,
        )
        .await;
    assert_eq!(s, 200, "{mine}");
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/customer-portal/benefit-grants/"),
        &mine,
        "portal grants",
    );
    assert_eq!(mine["items"][0]["benefit"]["organization"]["slug"], "tegy");
    let (s, g) = api
        .call(
            M::GET,
            &format!("/v1/customer-portal/benefit-grants/{grant_id}"),
            Some(&cst),
            None,
        )
        .await;
    assert_eq!(s, 200);
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/customer-portal/benefit-grants/{id}"),
        &g,
        "portal grant",
    );
    let (s, meters) = api
        .call(M::GET, "/v1/customer-portal/meters/", Some(&cst), None)
        .await;
    assert_eq!(
        (s, meters["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    validate(
        &doc,
        response_schema(&doc, "get", "/v1/customer-portal/meters/"),
        &meters,
        "portal meters",
    );

    // Renewal paid: the grant is cycled after the cycle order is paid.
    let before = api.events().await.len();
    api.control("/advance-period", json!({"subscription_id": sid}))
        .await;
    let events = api.events().await;
    let k = kinds(&events, before);
    let cycled = k
        .iter()
        .position(|t| t == "benefit_grant.cycled")
        .expect("benefit_grant.cycled");
    assert!(
        cycled > k.iter().rposition(|t| t == "order.paid").unwrap(),
        "{k:?}"
    );
    assert!(!k.contains(&"benefit_grant.created".to_string()), "{k:?}");

    // Past due revokes (grace period 0), recovery grants the same grant again.
    api.control("/next-charge", json!({"outcome": "fail"}))
        .await;
    let before = api.events().await.len();
    api.control("/advance-period", json!({"subscription_id": sid}))
        .await;
    let k = kinds(&api.events().await, before);
    let past_due = k
        .iter()
        .position(|t| t == "subscription.past_due")
        .expect("past_due");
    let revoked = k
        .iter()
        .position(|t| t == "benefit_grant.revoked")
        .expect("revoked at past due");
    assert!(revoked > past_due, "{k:?}");
    let (_, state) = api
        .call(
            M::GET,
            &format!("/v1/customers/{customer}/state"),
            None,
            None,
        )
        .await;
    assert_eq!(state["granted_benefits"], json!([]));
    let before = api.events().await.len();
    api.control("/next-charge", json!({"outcome": "succeed"}))
        .await;
    api.control("/advance-period", json!({"subscription_id": sid}))
        .await;
    let events = api.events().await;
    let k = kinds(&events, before);
    let again = k
        .iter()
        .position(|t| t == "benefit_grant.created")
        .expect("granted again");
    assert!(
        again > k.iter().position(|t| t == "subscription.active").unwrap(),
        "{k:?}"
    );
    assert_eq!(events[before + again]["data"]["id"], grant_id.as_str());

    // Revoked: the grant is revoked after subscription.revoked; the portal no longer lists it.
    let before = api.events().await.len();
    let (s, _) = api
        .call(M::DELETE, &format!("/v1/subscriptions/{sid}"), None, None)
        .await;
    assert_eq!(s, 200);
    let events = api.events().await;
    let k = kinds(&events, before);
    let revoked = k
        .iter()
        .position(|t| t == "benefit_grant.revoked")
        .expect("benefit_grant.revoked");
    assert!(
        revoked > k.iter().position(|t| t == "subscription.revoked").unwrap(),
        "{k:?}"
    );
    assert_eq!(k[revoked + 1], "customer.state_changed");
    let g = &events[before + revoked]["data"];
    assert_eq!(
        (g["is_revoked"].as_bool(), g["is_granted"].as_bool()),
        (Some(true), Some(false))
    );
    // (The clock moved two periods: a new customer session.)
    let (_, session) = api
        .call(
            M::POST,
            "/v1/customer-sessions/",
            None,
            Some(json!({"customer_id": customer})),
        )
        .await;
    let cst = session["token"].as_str().unwrap().to_string();
    let (_, mine) = api
        .call(
            M::GET,
            "/v1/customer-portal/benefit-grants/",
            Some(&cst),
            None,
        )
        .await;
    assert_eq!(mine["items"], json!([]), "{mine}");
    let (s, _) = api
        .call(
            M::GET,
            &format!("/v1/customer-portal/benefit-grants/{grant_id}"),
            Some(&cst),
            None,
        )
        .await;
    assert_eq!(s, 404);

    check_grant_webhooks(&doc, &api.events().await);
}

#[tokio::test]
async fn a_seat_based_subscription_grants_nothing_without_seats() {
    let api = Api {
        mock: MockPolar::start(MockConfig::default()).await.unwrap(),
        http: reqwest::Client::new(),
    };
    let pid = api.mock.product_id();
    let (_, product) = api
        .call(M::GET, &format!("/v1/products/{pid}"), None, None)
        .await;
    assert_eq!(product["benefits"][0]["description"], "Tegy Pro workspace");
    let (customer, _, _) = api.subscribe(&pid, json!({"seats": 2})).await;
    let k = kinds(&api.events().await, 0);
    assert!(!k.iter().any(|t| t.starts_with("benefit_grant.")), "{k:?}");
    let (_, state) = api
        .call(
            M::GET,
            &format!("/v1/customers/{customer}/state"),
            None,
            None,
        )
        .await;
    assert_eq!(state["granted_benefits"], json!([]));
}

#[tokio::test]
async fn events_ingest_counts_valid_events_and_refuses_bad_ones() {
    let doc = openapi();
    let api = Api {
        mock: MockPolar::start(MockConfig::default()).await.unwrap(),
        http: reqwest::Client::new(),
    };
    let pid = api.mock.product_id();
    let (customer, _, _) = api.subscribe(&pid, json!({"seats": 1})).await;
    let body = json!({"events": [
        {"name": "message.sent", "customer_id": customer, "metadata": {"tokens": 12}},
        {"name": "message.sent", "external_customer_id": "ws-1"},
    ]});
    let (s, b) = api
        .call(M::POST, "/v1/events/ingest", None, Some(body))
        .await;
    assert_eq!((s, &b), (200, &json!({"inserted": 2, "duplicates": 0})));
    validate(
        &doc,
        response_schema(&doc, "post", "/v1/events/ingest"),
        &b,
        "ingest",
    );
    let missing = "00000000-0000-4000-8000-000000000000";
    let (s, b) = api
        .call(
            M::POST,
            "/v1/events/ingest",
            None,
            Some(json!({"events": [{"name": "x", "customer_id": missing}]})),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(
        b["detail"][0]["loc"],
        json!(["body", "events", 0, "customer_id"])
    );
    assert_eq!(b["detail"][0]["msg"], "Customer not found.");
    let (s, b) = api
        .call(
            M::POST,
            "/v1/events/ingest",
            None,
            Some(json!({"events": [{"customer_id": customer}]})),
        )
        .await;
    assert_eq!(
        (s, &b["detail"][0]["loc"]),
        (422, &json!(["body", "events", 0, "name"]))
    );
    let (s, _) = api
        .call(M::POST, "/v1/events/ingest", None, Some(json!({})))
        .await;
    assert_eq!(s, 422);
    let (s, _) = api
        .call(
            M::POST,
            "/v1/events/ingest",
            Some(""),
            Some(json!({"events": []})),
        )
        .await;
    assert_eq!(s, 401);
}
