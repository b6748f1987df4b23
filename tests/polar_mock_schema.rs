//! Every response body the mock returns (each endpoint, success and error statuses) and every
//! webhook payload type it emits validates against Polar's own OpenAPI 3.1 document, with
//! `#/components/schemas/…` refs resolved inside it.
//!
//! The full document (`../shared/polar/openapi-2026-04.json`, or `POLAR_OPENAPI`) lives outside
//! the repository. When it is there the test uses it; otherwise (a checkout alone, as in the
//! GitHub workflow) it uses the committed subset `fixtures/polar/openapi-2026-04.subset.json`,
//! cut by `scripts/openapi-subset.py` from the operations and webhooks listed in
//! `fixtures/polar/openapi-subset.txt`, and says so on stderr. The test validates against nothing
//! outside that list and exercises all of it, and `committed_subset_is_cut_from_polars_document`
//! regenerates the subset from the full document and compares bytes, so none of the three drift.

use std::collections::{BTreeSet, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use walkthrough::polar_mock::{MockConfig, MockPolar};

const SUBSET: &str = "fixtures/polar/openapi-2026-04.subset.json";
const SUBSET_LIST: &str = "fixtures/polar/openapi-subset.txt";
const SUBSET_SCRIPT: &str = "scripts/openapi-subset.py";

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Where the full document is expected: `POLAR_OPENAPI`, else `shared/` beside the checkout.
fn full_doc_path() -> PathBuf {
    std::env::var_os("POLAR_OPENAPI")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo("../shared/polar/openapi-2026-04.json"))
}

/// Says something in the test output even when the test passes (libtest captures `eprintln!`
/// of passing tests, not writes to the process's stderr).
fn announce(message: &str) {
    let _ = writeln!(std::io::stderr(), "polar_mock_schema: {message}");
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not JSON: {err}", path.display()))
}

/// The full document when it exists, else the committed subset (announced, never silent).
fn load_doc() -> Value {
    let full = full_doc_path();
    if full.is_file() {
        announce(&format!(
            "validating against the full document {}",
            full.display()
        ));
        read_json(&full)
    } else {
        announce(&format!(
            "the full document is absent at {}; validating against the committed subset {SUBSET}",
            full.display()
        ));
        read_json(&repo(SUBSET))
    }
}

/// The entries of `fixtures/polar/openapi-subset.txt`: `("GET /v1/products/", …)` for
/// operations and `webhook TYPE` for webhooks, exactly as written there.
fn subset_list() -> BTreeSet<String> {
    let path = repo(SUBSET_LIST);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

struct Checker {
    doc: Value,
    cache: HashMap<String, jsonschema::Validator>,
    checked: BTreeSet<String>,
    /// The subset list; validating against anything outside it fails, so the subset covers the test.
    listed: BTreeSet<String>,
    /// The list entries validated against so far.
    used: BTreeSet<String>,
}

impl Checker {
    fn validate_against(&mut self, key: &str, schema: &Value, instance: &Value, what: &str) {
        if !self.cache.contains_key(key) {
            let wrapped = json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "allOf": [schema],
                "components": self.doc["components"],
            });
            let v = jsonschema::validator_for(&wrapped)
                .unwrap_or_else(|err| panic!("cannot compile the schema for {key}: {err}"));
            self.cache.insert(key.to_string(), v);
        }
        let v = &self.cache[key];
        let errors: Vec<String> = v
            .iter_errors(instance)
            .take(10)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what} does not validate against {key}:\n{}\nbody: {}",
            errors.join("\n"),
            serde_json::to_string_pretty(instance).unwrap_or_default()
        );
        self.checked.insert(key.to_string());
    }

    /// Validates a response against `paths[path][method].responses[status]`.
    fn response(&mut self, method: &str, path: &str, status: u16, body: &Value) {
        let entry = format!("{} {path}", method.to_uppercase());
        assert!(
            self.listed.contains(&entry),
            "`{entry}` is not in {SUBSET_LIST}: add it there and run {SUBSET_SCRIPT}"
        );
        self.used.insert(entry);
        let schema = self.doc["paths"][path][method]["responses"][status.to_string()]["content"]
            ["application/json"]["schema"]
            .clone();
        assert!(
            !schema.is_null(),
            "the OpenAPI document declares no {status} JSON body for {} {path}",
            method.to_uppercase()
        );
        let key = format!("{} {path} {status}", method.to_uppercase());
        self.validate_against(&key, &schema, body, &key.clone());
    }

    fn webhook(&mut self, payload: &Value) {
        let kind = payload["type"].as_str().unwrap_or_default().to_string();
        let entry = format!("webhook {kind}");
        assert!(
            self.listed.contains(&entry),
            "`{entry}` is not in {SUBSET_LIST}: add it there and run {SUBSET_SCRIPT}"
        );
        self.used.insert(entry);
        let schema = self.doc["webhooks"][&kind]["post"]["requestBody"]["content"]
            ["application/json"]["schema"]
            .clone();
        assert!(!schema.is_null(), "no webhook schema for {kind}");
        let key = format!("webhook {kind}");
        self.validate_against(&key, &schema, payload, &key.clone());
    }
}

struct Api {
    client: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{}", self.base, path);
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut rb = self.client.request(m, url).bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn responses_and_webhooks_validate_against_polars_openapi_document() {
    let doc = load_doc();
    let mut ck = Checker {
        doc,
        cache: HashMap::new(),
        checked: BTreeSet::new(),
        listed: subset_list(),
        used: BTreeSet::new(),
    };
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let api = Api {
        client: reqwest::Client::new(),
        base: mock.base_url(),
        token: mock.token(),
    };
    let pid = mock.product_id();
    let missing = "00000000-0000-4000-8000-000000000000";

    // Webhook endpoint for every event (nothing listens; delivery failures don't matter here).
    let (s, b) = api
        .call("POST", "/v1/webhooks/endpoints", Some(json!({"url": "http://127.0.0.1:9/hook", "format": "raw", "events": ["checkout.created"]})))
        .await;
    assert_eq!(s, 201);
    ck.response("post", "/v1/webhooks/endpoints", 201, &b);
    let (s, b) = api
        .call(
            "POST",
            "/v1/webhooks/endpoints",
            Some(json!({"format": "raw", "events": []})),
        )
        .await;
    assert_eq!(s, 422);
    ck.response("post", "/v1/webhooks/endpoints", 422, &b);
    let (s, b) = api.call("GET", "/v1/webhooks/endpoints", None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/webhooks/endpoints", 200, &b);

    // Products.
    let (s, b) = api.call("GET", "/v1/products/", None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/products/", 200, &b);
    let (s, b) = api.call("GET", "/v1/products/?limit=0", None).await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/products/", 422, &b);
    let (s, b) = api.call("GET", &format!("/v1/products/{pid}"), None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/products/{id}", 200, &b);
    let (s, b) = api
        .call("GET", &format!("/v1/products/{missing}"), None)
        .await;
    assert_eq!(s, 404);
    ck.response("get", "/v1/products/{id}", 404, &b);
    let (s, b) = api.call("GET", "/v1/products/not-a-uuid", None).await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/products/{id}", 422, &b);

    // Checkouts.
    let create = json!({
        "products": [pid], "seats": 3, "min_seats": 1, "max_seats": 10,
        "success_url": "http://127.0.0.1:1/new?billing=success&checkout_id={CHECKOUT_ID}",
        "customer_email": "buyer@acme.dev", "customer_name": "Ada Buyer",
        "customer_billing_address": {"country": "US", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "state": "IL"},
        "external_customer_id": "workspace-1", "metadata": {"workspace_id": "workspace-1", "seats": 3},
    });
    let (s, checkout) = api.call("POST", "/v1/checkouts/", Some(create)).await;
    assert_eq!(s, 201);
    ck.response("post", "/v1/checkouts/", 201, &checkout);
    // The validator has teeth: a wrong enum value or a missing required field is rejected.
    let mut broken = checkout.clone();
    broken["status"] = json!("paid");
    assert!(!ck.cache["POST /v1/checkouts/ 201"].is_valid(&broken));
    let mut broken = checkout.clone();
    broken.as_object_mut().unwrap().remove("client_secret");
    assert!(!ck.cache["POST /v1/checkouts/ 201"].is_valid(&broken));
    for bad in [
        json!({}),
        json!({"products": [missing]}),
        json!({"products": [pid], "seats": 0}),
        json!({"products": [pid], "seats": 5, "max_seats": 2}),
    ] {
        let (s, b) = api.call("POST", "/v1/checkouts/", Some(bad)).await;
        assert_eq!(s, 422);
        ck.response("post", "/v1/checkouts/", 422, &b);
    }
    let cid = checkout["id"].as_str().unwrap().to_string();
    let (s, b) = api.call("GET", &format!("/v1/checkouts/{cid}"), None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/checkouts/{id}", 200, &b);
    let (s, b) = api
        .call("GET", &format!("/v1/checkouts/{missing}"), None)
        .await;
    assert_eq!(s, 404);
    ck.response("get", "/v1/checkouts/{id}", 404, &b);
    let (s, b) = api.call("GET", "/v1/checkouts/nope", None).await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/checkouts/{id}", 422, &b);

    // Pay through the hosted page's call.
    let secret = checkout["client_secret"].as_str().unwrap();
    let (s, _) = api
        .call("POST", &format!("/v1/checkouts/client/{secret}/confirm"), Some(json!({
            "customer_email": "buyer@acme.dev", "customer_name": "Ada Buyer",
            "customer_billing_address": {"country": "US", "line1": "1 Main St", "city": "Springfield", "postal_code": "12345", "state": "IL"},
            "seats": 3, "card": {"number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"},
        })))
        .await;
    assert_eq!(s, 200);

    // Customer sessions and state.
    let (s, b) = api
        .call(
            "POST",
            "/v1/customer-sessions/",
            Some(json!({"external_customer_id": "workspace-1"})),
        )
        .await;
    assert_eq!(s, 201);
    ck.response("post", "/v1/customer-sessions/", 201, &b);
    let customer_id = b["customer_id"].as_str().unwrap().to_string();
    let (s, b) = api
        .call(
            "POST",
            "/v1/customer-sessions/",
            Some(json!({"customer_id": missing})),
        )
        .await;
    assert_eq!(s, 422);
    ck.response("post", "/v1/customer-sessions/", 422, &b);
    let (s, b) = api
        .call("GET", &format!("/v1/customers/{customer_id}/state"), None)
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/customers/{id}/state", 200, &b);
    // The customer list (the sandbox cleanup finds a run's customer by email).
    let (s, b) = api
        .call("GET", "/v1/customers/?email=BUYER@acme.dev", None)
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/customers/", 200, &b);
    assert_eq!(b["items"].as_array().map(Vec::len), Some(1), "{b}");
    assert_eq!(b["items"][0]["id"], json!(customer_id));
    let (s, b) = api
        .call("GET", "/v1/customers/?email=nobody@acme.dev", None)
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["items"], json!([]));
    ck.response("get", "/v1/customers/", 200, &b);
    let (s, b) = api.call("GET", "/v1/customers/?limit=0", None).await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/customers/", 422, &b);
    let (s, b) = api
        .call("GET", &format!("/v1/customers/{missing}/state"), None)
        .await;
    assert_eq!(s, 404);
    ck.response("get", "/v1/customers/{id}/state", 404, &b);
    let (s, b) = api.call("GET", "/v1/customers/x/state", None).await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/customers/{id}/state", 422, &b);
    let (s, b) = api
        .call("GET", "/v1/customers/external/workspace-1/state", None)
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/customers/external/{external_id}/state", 200, &b);
    let (s, b) = api
        .call("GET", "/v1/customers/external/nobody/state", None)
        .await;
    assert_eq!(s, 404);
    ck.response("get", "/v1/customers/external/{external_id}/state", 404, &b);

    // Subscriptions.
    let (s, b) = api
        .call(
            "GET",
            "/v1/subscriptions/?external_customer_id=workspace-1",
            None,
        )
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/subscriptions/", 200, &b);
    let (s, b) = api
        .call("GET", "/v1/subscriptions/?customer_id=zzz", None)
        .await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/subscriptions/", 422, &b);
    let (s, list) = api.call("GET", "/v1/subscriptions/", None).await;
    assert_eq!(s, 200);
    let sid = list["items"][0]["id"].as_str().unwrap().to_string();
    let one = format!("/v1/subscriptions/{sid}");
    let (s, b) = api.call("GET", &one, None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/subscriptions/{id}", 200, &b);
    let (s, b) = api
        .call("GET", &format!("/v1/subscriptions/{missing}"), None)
        .await;
    assert_eq!(s, 404);
    ck.response("get", "/v1/subscriptions/{id}", 404, &b);
    let (s, b) = api.call("GET", "/v1/subscriptions/1", None).await;
    assert_eq!(s, 422);
    ck.response("get", "/v1/subscriptions/{id}", 422, &b);
    for patch in [json!({"seats": 4}), json!({"cancel_at_period_end": true})] {
        let (s, b) = api.call("PATCH", &one, Some(patch)).await;
        assert_eq!(s, 200);
        ck.response("patch", "/v1/subscriptions/{id}", 200, &b);
    }
    let (s, b) = api
        .call("PATCH", &one, Some(json!({"cancel_at_period_end": true})))
        .await;
    assert_eq!(s, 403);
    ck.response("patch", "/v1/subscriptions/{id}", 403, &b);
    let (s, b) = api
        .call("PATCH", &one, Some(json!({"seats": 2, "metadata": {}})))
        .await;
    assert_eq!(s, 422);
    ck.response("patch", "/v1/subscriptions/{id}", 422, &b);
    let (s, b) = api
        .call(
            "PATCH",
            &format!("/v1/subscriptions/{missing}"),
            Some(json!({"revoke": true})),
        )
        .await;
    assert_eq!(s, 404);
    ck.response("patch", "/v1/subscriptions/{id}", 404, &b);
    let (s, b) = api
        .call("PATCH", &one, Some(json!({"cancel_at_period_end": false})))
        .await;
    assert_eq!(s, 200);
    ck.response("patch", "/v1/subscriptions/{id}", 200, &b);

    // A failed renewal (past_due), then an explicit success recovers...
    let control = mock.control_url();
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{control}/next-charge"))
        .json(&json!({"outcome": "fail"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = http
        .post(format!("{control}/advance-period"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (_, b) = api.call("GET", &one, None).await;
    assert_eq!(b["status"], "past_due");
    ck.response("get", "/v1/subscriptions/{id}", 200, &b);
    http.post(format!("{control}/next-charge"))
        .json(&json!({"outcome": "succeed"}))
        .send()
        .await
        .unwrap();
    http.post(format!("{control}/advance-period"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (_, b) = api.call("GET", &one, None).await;
    assert_eq!(b["status"], "active");
    // ... and DELETE revokes.
    let (s, b) = api.call("DELETE", &one, None).await;
    assert_eq!(s, 200);
    ck.response("delete", "/v1/subscriptions/{id}", 200, &b);
    let (s, b) = api.call("DELETE", &one, None).await;
    assert_eq!(s, 403);
    ck.response("delete", "/v1/subscriptions/{id}", 403, &b);
    let (s, b) = api
        .call("DELETE", &format!("/v1/subscriptions/{missing}"), None)
        .await;
    assert_eq!(s, 404);
    ck.response("delete", "/v1/subscriptions/{id}", 404, &b);
    let (s, b) = api.call("DELETE", "/v1/subscriptions/x", None).await;
    assert_eq!(s, 422);
    ck.response("delete", "/v1/subscriptions/{id}", 422, &b);

    newer_operations(&mut ck, &api, &customer_id, &pid).await;

    // Every event the mock emitted, as the payload it signs and sends.
    let events: Vec<Value> = http
        .get(format!("{control}/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut kinds = BTreeSet::new();
    for e in &events {
        let payload = json!({"type": e["type"], "timestamp": e["timestamp"], "data": e["data"]});
        ck.webhook(&payload);
        kinds.insert(e["type"].as_str().unwrap().to_string());
    }
    let expected: BTreeSet<String> = [
        "checkout.created",
        "checkout.updated",
        "customer.created",
        "customer.updated",
        "customer.deleted",
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
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(
        kinds, expected,
        "every webhook type the mock emits was validated"
    );
    assert_eq!(
        ck.used, ck.listed,
        "{SUBSET_LIST} lists exactly what this test validates against"
    );
    assert!(
        ck.checked.len() >= 40,
        "validated {} distinct operation/status pairs",
        ck.checked.len()
    );
}

/// The operations the mock gained with the official SDKs as reference, checked against the
/// OpenAPI document too: customers, the checkout list and client calls, orders and invoices,
/// webhook endpoint management and deliveries, and the portal's customer and subscription.
/// `paying` is a customer with a subscription and a card.
async fn newer_operations(ck: &mut Checker, api: &Api, paying: &str, pid: &str) {
    let missing = "00000000-0000-4000-8000-000000000000";
    let (s, c) = api
        .call(
            "POST",
            "/v1/customers/",
            Some(json!({"email": "schema@acme.dev", "external_id": "schema-1", "name": "Schema"})),
        )
        .await;
    assert_eq!(s, 201);
    ck.response("post", "/v1/customers/", 201, &c);
    let (s, b) = api
        .call(
            "POST",
            "/v1/customers/",
            Some(json!({"email": "schema@acme.dev"})),
        )
        .await;
    assert_eq!(s, 422);
    ck.response("post", "/v1/customers/", 422, &b);
    let id = c["id"].as_str().unwrap().to_string();
    for (path, status) in [
        (format!("/v1/customers/{id}"), 200),
        (format!("/v1/customers/{missing}"), 404),
    ] {
        let (s, b) = api.call("GET", &path, None).await;
        assert_eq!(s, status);
        ck.response("get", "/v1/customers/{id}", status, &b);
    }
    let (s, b) = api
        .call(
            "PATCH",
            &format!("/v1/customers/{id}"),
            Some(json!({"name": "Schema Two"})),
        )
        .await;
    assert_eq!(s, 200);
    ck.response("patch", "/v1/customers/{id}", 200, &b);
    for (ext, status) in [("schema-1", 200), ("nobody", 404)] {
        let (s, b) = api
            .call("GET", &format!("/v1/customers/external/{ext}"), None)
            .await;
        assert_eq!(s, status);
        ck.response("get", "/v1/customers/external/{external_id}", status, &b);
    }
    let (s, b) = api
        .call(
            "GET",
            &format!("/v1/customers/{paying}/payment-methods"),
            None,
        )
        .await;
    assert_eq!((s, b["items"].as_array().map(Vec::len)), (200, Some(1)));
    ck.response("get", "/v1/customers/{id}/payment-methods", 200, &b);

    // A checkout for the new customer, through the client calls.
    let (s, ch) = api
        .call(
            "POST",
            "/v1/checkouts/",
            Some(json!({"products": [pid], "customer_id": id})),
        )
        .await;
    assert_eq!(s, 201);
    let (s, b) = api
        .call("GET", &format!("/v1/checkouts/?customer_id={id}"), None)
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/checkouts/", 200, &b);
    let client = format!(
        "/v1/checkouts/client/{}",
        ch["client_secret"].as_str().unwrap()
    );
    let (s, b) = api.call("GET", &client, None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/checkouts/client/{client_secret}", 200, &b);
    let (s, b) = api.call("PATCH", &client, Some(json!({"seats": 2}))).await;
    assert_eq!(s, 200);
    ck.response("patch", "/v1/checkouts/client/{client_secret}", 200, &b);
    let (s, b) = api
        .call("POST", &format!("{client}/confirm"), Some(json!({"confirmation_token_id": "pm_card_visa", "customer_billing_address": {"country": "DE"}})))
        .await;
    assert_eq!(s, 200, "{b}");
    ck.response(
        "post",
        "/v1/checkouts/client/{client_secret}/confirm",
        200,
        &b,
    );

    // Orders and invoices.
    let (s, orders) = api
        .call("GET", &format!("/v1/orders/?customer_id={paying}"), None)
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/orders/", 200, &orders);
    let oid = orders["items"][0]["id"].as_str().unwrap().to_string();
    for (path, status) in [
        (format!("/v1/orders/{oid}"), 200),
        (format!("/v1/orders/{missing}"), 404),
    ] {
        let (s, b) = api.call("GET", &path, None).await;
        assert_eq!(s, status);
        ck.response("get", "/v1/orders/{id}", status, &b);
    }
    let paid = orders["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["status"] == "paid")
        .unwrap();
    let (s, b) = api
        .call(
            "GET",
            &format!("/v1/orders/{}/invoice", paid["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/orders/{id}/invoice", 200, &b);

    // Webhook endpoint management and deliveries.
    let (_, eps) = api.call("GET", "/v1/webhooks/endpoints", None).await;
    let ep = format!(
        "/v1/webhooks/endpoints/{}",
        eps["items"][0]["id"].as_str().unwrap()
    );
    let (s, b) = api.call("GET", &ep, None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/webhooks/endpoints/{id}", 200, &b);
    let (s, b) = api
        .call("PATCH", &ep, Some(json!({"name": "schema"})))
        .await;
    assert_eq!(s, 200);
    ck.response("patch", "/v1/webhooks/endpoints/{id}", 200, &b);
    let (s, b) = api.call("PATCH", &format!("{ep}/secret"), None).await;
    assert_eq!(s, 200);
    ck.response("patch", "/v1/webhooks/endpoints/{id}/secret", 200, &b);
    let (s, b) = api.call("GET", "/v1/webhooks/deliveries", None).await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/webhooks/deliveries", 200, &b);

    // The portal, with the new customer's session.
    let (_, session) = api
        .call(
            "POST",
            "/v1/customer-sessions/",
            Some(json!({"customer_id": id})),
        )
        .await;
    let portal = Api {
        client: api.client.clone(),
        base: api.base.clone(),
        token: session["token"].as_str().unwrap().to_string(),
    };
    let (s, b) = portal
        .call("GET", "/v1/customer-portal/customers/me", None)
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/customer-portal/customers/me", 200, &b);
    let (_, subs) = portal
        .call("GET", "/v1/customer-portal/subscriptions/", None)
        .await;
    let sub = subs["items"][0]["id"].as_str().unwrap();
    let (s, b) = portal
        .call(
            "GET",
            &format!("/v1/customer-portal/subscriptions/{sub}"),
            None,
        )
        .await;
    assert_eq!(s, 200);
    ck.response("get", "/v1/customer-portal/subscriptions/{id}", 200, &b);

    // Deleting the customer (customer.deleted; its subscription is revoked).
    let (s, _) = api
        .call("DELETE", &format!("/v1/customers/{id}"), None)
        .await;
    assert_eq!(s, 204);
}

fn refs_in(node: &Value, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                found.insert(r.clone());
            }
            map.values().for_each(|v| refs_in(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| refs_in(v, found)),
        _ => {}
    }
}

/// The committed subset holds exactly the listed operations and webhooks, resolves every `$ref`
/// inside itself, and — whenever Polar's full document is present — is byte for byte what
/// `scripts/openapi-subset.py` cuts from it.
#[test]
fn committed_subset_is_cut_from_polars_document() {
    let committed_bytes = std::fs::read(repo(SUBSET))
        .unwrap_or_else(|err| panic!("cannot read the committed subset {SUBSET}: {err}"));
    let subset: Value = serde_json::from_slice(&committed_bytes)
        .unwrap_or_else(|err| panic!("{SUBSET} is not JSON: {err}"));

    // Exactly the listed entries, nothing more or less.
    let mut present = BTreeSet::new();
    for (path, item) in subset["paths"].as_object().expect("subset has paths") {
        for method in item.as_object().unwrap().keys() {
            if method != "parameters" {
                present.insert(format!("{} {path}", method.to_uppercase()));
            }
        }
    }
    for kind in subset["webhooks"]
        .as_object()
        .expect("subset has webhooks")
        .keys()
    {
        present.insert(format!("webhook {kind}"));
    }
    assert_eq!(
        present,
        subset_list(),
        "{SUBSET} does not hold what {SUBSET_LIST} lists: run {SUBSET_SCRIPT}"
    );

    // Self-contained: every reference resolves to a schema the subset carries.
    let mut refs = BTreeSet::new();
    refs_in(&subset, &mut refs);
    assert!(refs.len() > 50, "only {} refs in the subset", refs.len());
    for r in &refs {
        let name = r
            .strip_prefix("#/components/schemas/")
            .unwrap_or_else(|| panic!("unexpected $ref {r} in {SUBSET}"));
        assert!(
            subset["components"]["schemas"].get(name).is_some(),
            "{SUBSET} lacks the schema {name} that {r} points to: run {SUBSET_SCRIPT}"
        );
    }
    let recorded_sha = subset["x-subset-of"]["sha256"]
        .as_str()
        .expect("the subset names its source's SHA-256 in x-subset-of");
    assert_eq!(recorded_sha.len(), 64, "{recorded_sha}");

    let full = full_doc_path();
    if !full.is_file() {
        announce(&format!(
            "the full document is absent at {}; checked the committed subset {SUBSET} against \
             {SUBSET_LIST} and for dangling refs only, not against Polar's document \
             (recorded source SHA-256 {recorded_sha})",
            full.display()
        ));
        return;
    }

    let full_bytes =
        std::fs::read(&full).unwrap_or_else(|err| panic!("cannot read {}: {err}", full.display()));
    let full_sha = format!("{:x}", Sha256::digest(&full_bytes));
    assert_eq!(
        recorded_sha,
        full_sha,
        "{SUBSET} was cut from another version of {}: run {SUBSET_SCRIPT}",
        full.display()
    );
    let out = std::process::Command::new("python3")
        .arg(repo(SUBSET_SCRIPT))
        .arg("--source")
        .arg(&full)
        .arg("--list")
        .arg(repo(SUBSET_LIST))
        .args(["--out", "-"])
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "python3 is needed to regenerate the subset from {}: {err}",
                full.display()
            )
        });
    assert!(
        out.status.success(),
        "{SUBSET_SCRIPT} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout == committed_bytes,
        "{SUBSET} differs from what {SUBSET_SCRIPT} cuts from {} ({} bytes regenerated, {} \
         committed): run {SUBSET_SCRIPT} and commit the result",
        full.display(),
        out.stdout.len(),
        committed_bytes.len()
    );
    announce(&format!(
        "the committed subset {SUBSET} is byte for byte what {SUBSET_SCRIPT} cuts from {}",
        full.display()
    ));
}
