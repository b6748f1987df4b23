//! Customer seats in the mock over real HTTP, at Polar's rules
//! (`server/polar/customer_seat/service.py`, `endpoints.py`, `checkout/service.py` 1518-1580):
//! seats need the organization's `seat_based_pricing_enabled`; a checkout without its own
//! `success_url` claims the buyer's seat and one with it leaves seats to the app;
//! `POST /v1/customer-seats` with `immediate_claim` claims and grants the product's benefit to
//! the holder (`customer_seat.claimed`, `benefit_grant.created`, `customer.state_changed`),
//! without it the seat is pending (`customer_seat.assigned`, no grant); the list counts free
//! seats; revoking a seat revokes its holder's grant; a renewal cycles it; a revoked
//! subscription revokes every seat. Answers and webhooks are validated against Polar's
//! OpenAPI document when it is present.

use std::path::{Path, PathBuf};

use reqwest::Method as M;
use serde_json::{json, Value};
use walkthrough::polar_mock::{MockConfig, MockPolar};

const BENEFIT: &str = "7c3e9a41-5b2d-4f18-9e6a-2d4c8b1f0a73";

/// The built-in seed (Tegy Pro, seat-based) with seat-based pricing enabled.
fn seats_seed(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/polar/seed.json"
    ))
    .unwrap();
    let mut seed: Value = serde_json::from_str(&text).unwrap();
    seed["organization"]["feature_settings"] = json!({"seat_based_pricing_enabled": true});
    let path = dir.join("seed.json");
    std::fs::write(&path, seed.to_string()).unwrap();
    path
}

fn openapi() -> Option<Value> {
    let path = std::env::var_os("POLAR_OPENAPI")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/polar/openapi-2026-04.json")
        });
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

fn validate(doc: &Option<Value>, schema_ref: &str, instance: &Value, what: &str) {
    let Some(doc) = doc else {
        eprintln!("polar_mock_seats: no OpenAPI document; {what} not validated");
        return;
    };
    let wrapped = json!({"$schema": "https://json-schema.org/draft/2020-12/schema",
        "allOf": [{"$ref": format!("#/components/schemas/{schema_ref}")}],
        "components": doc["components"]});
    let v = jsonschema::validator_for(&wrapped).unwrap();
    let errors: Vec<String> = v
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:?}\n{instance:#}");
}

struct Api {
    mock: MockPolar,
    http: reqwest::Client,
    doc: Option<Value>,
}

impl Api {
    async fn start(seed: Option<PathBuf>) -> Api {
        let mock = MockPolar::start(MockConfig {
            fixtures_dir: seed,
            ..MockConfig::default()
        })
        .await
        .unwrap();
        Api {
            mock,
            http: reqwest::Client::new(),
            doc: openapi(),
        }
    }

    async fn call(&self, m: M, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut rb = self
            .http
            .request(m, format!("{}{path}", self.mock.base_url()))
            .bearer_auth(self.mock.token());
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn control(&self, path: &str, body: Value) {
        self.http
            .post(format!("{}{path}", self.mock.control_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
    }

    async fn events(&self) -> Vec<Value> {
        let url = format!("{}/events", self.mock.control_url());
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A paid checkout of 3 seats (with `success_url` when given); returns (customer id,
    /// subscription id).
    async fn subscribe(&self, success_url: Option<&str>) -> (String, String) {
        let mut create = json!({"products": [self.mock.product_id()], "seats": 3});
        if let Some(u) = success_url {
            create["success_url"] = json!(u);
        }
        let (s, ck) = self.call(M::POST, "/v1/checkouts/", Some(create)).await;
        assert_eq!(s, 201, "{ck}");
        let secret = ck["client_secret"].as_str().unwrap();
        let confirm = json!({"customer_email": "ada@acme.dev", "customer_name": "Ada",
            "customer_billing_address": {"country": "DE"}, "confirmation_token_id": "pm_card_visa"});
        let url = format!(
            "{}/v1/checkouts/client/{secret}/confirm",
            self.mock.base_url()
        );
        let done: Value = self
            .http
            .post(url)
            .json(&confirm)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let customer = done["customer_id"].as_str().unwrap().to_string();
        let (_, subs) = self
            .call(
                M::GET,
                &format!("/v1/subscriptions/?customer_id={customer}"),
                None,
            )
            .await;
        (
            customer,
            subs["items"][0]["id"].as_str().unwrap().to_string(),
        )
    }

    async fn seats(&self, sid: &str) -> Value {
        let (s, list) = self
            .call(
                M::GET,
                &format!("/v1/customer-seats?subscription_id={sid}"),
                None,
            )
            .await;
        assert_eq!(s, 200, "{list}");
        validate(&self.doc, "SeatsList", &list, "GET /v1/customer-seats");
        list
    }

    async fn assign(&self, body: Value) -> (u16, Value) {
        let (s, seat) = self.call(M::POST, "/v1/customer-seats", Some(body)).await;
        if s == 200 {
            validate(&self.doc, "CustomerSeat", &seat, "POST /v1/customer-seats");
        }
        (s, seat)
    }

    async fn granted(&self, customer: &str) -> Value {
        let (_, state) = self
            .call(M::GET, &format!("/v1/customers/{customer}/state"), None)
            .await;
        state["granted_benefits"].clone()
    }
}

/// The event types from `from` on, in order.
fn kinds(events: &[Value], from: usize) -> Vec<String> {
    events[from..]
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

/// Every `customer_seat.*` webhook matches Polar's payload schema.
fn check_seat_webhooks(doc: &Option<Value>, events: &[Value]) {
    for e in events {
        let kind = e["type"].as_str().unwrap();
        let name = match kind {
            "customer_seat.assigned" => "WebhookCustomerSeatAssignedPayload",
            "customer_seat.claimed" => "WebhookCustomerSeatClaimedPayload",
            "customer_seat.revoked" => "WebhookCustomerSeatRevokedPayload",
            _ => continue,
        };
        let payload = json!({"type": kind, "timestamp": e["timestamp"], "data": e["data"]});
        validate(doc, name, &payload, kind);
    }
}

#[tokio::test]
async fn without_the_feature_seats_answer_403_and_the_buyer_gets_no_seat() {
    let api = Api::start(None).await;
    let (customer, sid) = api.subscribe(None).await;
    let (s, b) = api
        .assign(json!({"subscription_id": sid, "email": "ada@acme.dev", "immediate_claim": true}))
        .await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(
        b["detail"],
        "Seat-based pricing is not enabled for this organization"
    );
    let (s, _) = api
        .call(
            M::GET,
            &format!("/v1/customer-seats?subscription_id={sid}"),
            None,
        )
        .await;
    assert_eq!(s, 403);
    assert_eq!(api.granted(&customer).await, json!([]));
}

#[tokio::test]
async fn a_checkout_without_success_url_claims_the_buyers_seat() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start(Some(seats_seed(dir.path()))).await;
    let (customer, sid) = api.subscribe(None).await;
    let list = api.seats(&sid).await;
    assert_eq!(
        (
            list["total_seats"].as_i64(),
            list["available_seats"].as_i64()
        ),
        (Some(3), Some(2))
    );
    let seat = &list["seats"][0];
    assert_eq!(seat["status"], "claimed");
    assert_eq!(seat["customer_id"], customer.as_str());
    assert_eq!(seat["customer_email"], "ada@acme.dev");
    let events = api.events().await;
    let k = kinds(&events, 0);
    let claimed = k
        .iter()
        .position(|t| t == "customer_seat.claimed")
        .expect("claimed");
    let created = k
        .iter()
        .position(|t| t == "benefit_grant.created")
        .expect("grant");
    assert!(claimed < created, "{k:?}");
    assert_eq!(k[created + 1], "customer.state_changed", "{k:?}");
    assert_eq!(api.granted(&customer).await[0]["benefit_id"], BENEFIT);
    check_seat_webhooks(&api.doc, &events);
}

#[tokio::test]
async fn an_app_with_its_own_success_url_assigns_claims_and_revokes_seats() {
    let dir = tempfile::tempdir().unwrap();
    let api = Api::start(Some(seats_seed(dir.path()))).await;
    let (customer, sid) = api
        .subscribe(Some("https://app.acme.dev/new?billing=success"))
        .await;
    let list = api.seats(&sid).await;
    assert_eq!(list["seats"], json!([]));
    assert_eq!(list["available_seats"], 3);
    assert!(!kinds(&api.events().await, 0)
        .iter()
        .any(|t| t.starts_with("benefit_grant.")));

    // The buyer, claimed at once: the seat's webhook, then the holder's grant and state.
    let from = api.events().await.len();
    let (s, own) = api
        .assign(
            json!({"subscription_id": sid, "email": "ada@acme.dev", "immediate_claim": true,
            "metadata": {"workspace": "w1"}}),
        )
        .await;
    assert_eq!(s, 200, "{own}");
    assert_eq!(
        (own["status"].as_str(), own["customer_id"].as_str()),
        (Some("claimed"), Some(customer.as_str()))
    );
    assert_eq!(own["seat_metadata"], json!({"workspace": "w1"}));
    assert!(own["claimed_at"].is_string() && own["invitation_token_expires_at"].is_null());
    assert_eq!(
        kinds(&api.events().await, from),
        [
            "customer_seat.claimed",
            "benefit_grant.created",
            "customer.state_changed"
        ]
    );
    assert_eq!(api.granted(&customer).await[0]["benefit_id"], BENEFIT);

    // The same holder twice is refused; an unknown external id is not found.
    let (s, b) = api
        .assign(json!({"subscription_id": sid, "email": "ada@acme.dev"}))
        .await;
    assert_eq!(
        (s, b["detail"].as_str()),
        (400, Some("Seat already assigned to customer ada@acme.dev"))
    );
    let (s, b) = api
        .assign(json!({"subscription_id": sid, "external_customer_id": "nobody"}))
        .await;
    assert_eq!(
        (s, b["detail"].as_str()),
        (404, Some("Customer not found: nobody"))
    );
    let (s, _) = api
        .assign(json!({"subscription_id": sid, "email": "x@acme.dev", "customer_id": customer}))
        .await;
    assert_eq!(s, 422);

    // A teammate by email, not claimed: a new customer, a pending seat, no grant.
    let from = api.events().await.len();
    let (s, mate) = api
        .assign(json!({"subscription_id": sid, "email": "grace@acme.dev"}))
        .await;
    assert_eq!(
        (s, mate["status"].as_str()),
        (200, Some("pending")),
        "{mate}"
    );
    assert!(mate["invitation_token_expires_at"].is_string());
    assert_eq!(
        kinds(&api.events().await, from),
        ["customer.created", "customer_seat.assigned"]
    );
    let mate_customer = mate["customer_id"].as_str().unwrap().to_string();
    assert_eq!(api.granted(&mate_customer).await, json!([]));
    let (s, third) = api
        .assign(json!({"subscription_id": sid, "email": "linus@acme.dev", "immediate_claim": true}))
        .await;
    assert_eq!(s, 200);
    assert_eq!(api.seats(&sid).await["available_seats"], 0);
    let (s, b) = api
        .assign(json!({"subscription_id": sid, "email": "ken@acme.dev"}))
        .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (400, Some("SeatNotAvailable")),
        "{b}"
    );

    // Revoking the third seat revokes its holder's grant; the seat is reused next.
    let third_customer = third["customer_id"].as_str().unwrap().to_string();
    assert_eq!(api.granted(&third_customer).await[0]["benefit_id"], BENEFIT);
    let from = api.events().await.len();
    let third_id = third["id"].as_str().unwrap();
    let (s, gone) = api
        .call(M::DELETE, &format!("/v1/customer-seats/{third_id}"), None)
        .await;
    assert_eq!((s, gone["status"].as_str()), (200, Some("revoked")));
    assert!(gone["customer_id"].is_null() && gone["revoked_at"].is_string());
    assert_eq!(
        kinds(&api.events().await, from),
        [
            "customer_seat.revoked",
            "benefit_grant.revoked",
            "customer.state_changed"
        ]
    );
    assert_eq!(api.granted(&third_customer).await, json!([]));
    let (s, again) = api
        .assign(json!({"subscription_id": sid, "email": "ken@acme.dev"}))
        .await;
    assert_eq!((s, again["id"].as_str()), (200, Some(third_id)));

    // A paid renewal cycles the claimed seat's grant.
    let from = api.events().await.len();
    api.control("/advance-period", json!({"subscription_id": sid}))
        .await;
    let k = kinds(&api.events().await, from);
    assert!(k.contains(&"benefit_grant.cycled".to_string()), "{k:?}");

    // A revoked subscription revokes every live seat and the buyer's grant.
    let from = api.events().await.len();
    let (s, _) = api
        .call(M::DELETE, &format!("/v1/subscriptions/{sid}"), None)
        .await;
    assert_eq!(s, 200);
    let k = kinds(&api.events().await, from);
    assert_eq!(
        k.iter().filter(|t| *t == "customer_seat.revoked").count(),
        3,
        "{k:?}"
    );
    assert!(k.contains(&"benefit_grant.revoked".to_string()), "{k:?}");
    assert_eq!(api.granted(&customer).await, json!([]));
    let list = api.seats(&sid).await;
    assert!(list["seats"]
        .as_array()
        .unwrap()
        .iter()
        .all(|s| s["status"] == "revoked"));
    check_seat_webhooks(&api.doc, &api.events().await);
}
