//! REST behaviour through reqwest: Polar's exact 401s, 404/422 bodies, seat-based amounts and
//! bounds, faults injected from the control plane, reset, fixtures loaded by path, and the
//! hosted pages' structure.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use walkthrough::polar_mock::{MockConfig, MockPolar};

#[tokio::test]
async fn auth_errors_are_polars_exact_bodies_and_headers() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let url = format!("{}/v1/products/{}", mock.base_url(), mock.product_id());

    let r = c
        .get(&url)
        .bearer_auth("polar_oat_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.headers()["www-authenticate"],
        "Bearer realm=\"polar\", error=\"invalid_token\", error_description=\"The access token provided is expired, revoked, malformed, or invalid for other reasons.\""
    );
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(
        r.text().await.unwrap(),
        "{\"error\": \"invalid_token\", \"error_description\": \"The access token provided is expired, revoked, malformed, or invalid for other reasons.\"}"
    );

    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"polar\"");
    assert_eq!(
        r.text().await.unwrap(),
        "{\"error\":\"Unauthorized\",\"detail\":\"Unauthorized\"}"
    );

    let r = c.get(&url).bearer_auth(mock.token()).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["polar-version"], "2026-04");
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["name"], "Tegy Pro");
    assert_eq!(p["visibility"], "public");
    assert_eq!(p["recurring_interval"], "month");
    assert_eq!(p["prices"][0]["amount_type"], "seat_based");
    assert_eq!(
        p["prices"][0]["seat_tiers"]["tiers"][0]["price_per_seat"],
        2000
    );

    let r = c
        .get(format!(
            "{}/v1/products/00000000-0000-4000-8000-000000000000",
            mock.base_url()
        ))
        .bearer_auth(mock.token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "ResourceNotFound", "detail": "Not found"})
    );
}

#[tokio::test]
async fn checkout_amounts_bounds_and_validation() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let post = |body: Value| {
        c.post(format!("{}/v1/checkouts/", mock.base_url()))
            .bearer_auth(mock.token())
            .json(&body)
            .send()
    };
    let pid = mock.product_id();
    let b: Value = post(json!({"products": [pid], "seats": 3}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            b["amount"].as_i64(),
            b["total_amount"].as_i64(),
            b["seats"].as_i64()
        ),
        (Some(6000), Some(6000), Some(3))
    );
    assert!(b["client_secret"].as_str().unwrap().starts_with("polar_c_"));
    let b: Value = post(json!({"products": [pid]}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (b["amount"].as_i64(), b["seats"].as_i64()),
        (Some(2000), Some(1))
    );
    assert_eq!(
        b["success_url"],
        format!(
            "{}/checkout/{}/confirmation",
            mock.base_url(),
            b["client_secret"].as_str().unwrap()
        )
    );

    let r = post(json!({"products": [pid], "seats": 5, "min_seats": 1, "max_seats": 4}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], "PolarRequestValidationError");
    assert_eq!(b["detail"][0]["loc"], json!(["body", "seats"]));
    assert_eq!(b["detail"][0]["msg"], "Maximum 4 seats allowed.");

    let r = post(json!({"products": ["00000000-0000-4000-8000-000000000000"]}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["detail"][0]["msg"], "Product does not exist.");
    assert_eq!(b["detail"][0]["loc"], json!(["body", "products", 0]));

    let r = post(json!({"seats": 2})).await.unwrap();
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], "RequestValidationError");
    assert_eq!(b["detail"][0]["type"], "missing");

    let r = post(json!({"products": [pid], "customer_billing_address": {"line1": "x"}}))
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn faults_reset_and_fixtures_by_path() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let control = mock.control_url();
    let products = format!("{}/v1/products/", mock.base_url());

    let r = c.post(format!("{control}/faults")).json(&json!({"path": "/v1/products/", "kind": "rate_limit", "retry_after": 7, "remaining": 2})).send().await.unwrap();
    assert_eq!(r.status(), 201);
    for _ in 0..2 {
        let r = c
            .get(&products)
            .bearer_auth(mock.token())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "7");
        assert_eq!(r.text().await.unwrap(), "");
    }
    assert_eq!(
        c.get(&products)
            .bearer_auth(mock.token())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    c.post(format!("{control}/faults"))
        .json(&json!({"path": "/v1/", "method": "GET", "kind": "status", "status": 503}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        c.get(&products)
            .bearer_auth(mock.token())
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    c.post(format!("{control}/faults"))
        .json(&json!({"path": "/v1/products/", "kind": "latency", "latency_ms": 300}))
        .send()
        .await
        .unwrap();
    let t = Instant::now();
    assert_eq!(
        c.get(&products)
            .bearer_auth(mock.token())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert!(t.elapsed() >= Duration::from_millis(300));

    // Reset forgets checkouts and restores the clock.
    c.post(format!("{}/v1/checkouts/", mock.base_url()))
        .bearer_auth(mock.token())
        .json(&json!({"products": [mock.product_id()]}))
        .send()
        .await
        .unwrap();
    c.post(format!("{control}/clock/advance"))
        .json(&json!({"seconds": 86400}))
        .send()
        .await
        .unwrap();
    let s: Value = c
        .get(format!("{control}/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            s["checkouts"].as_array().unwrap().len(),
            s["clock_offset_seconds"].as_i64()
        ),
        (1, Some(86400))
    );
    c.post(format!("{control}/reset")).send().await.unwrap();
    let s: Value = c
        .get(format!("{control}/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            s["checkouts"].as_array().unwrap().len(),
            s["clock_offset_seconds"].as_i64()
        ),
        (0, Some(0))
    );

    // A different fixture set by path.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("seed.json"), json!({
        "organization": {"id": "11111111-1111-4111-8111-111111111111", "slug": "acme", "name": "Acme", "token": "polar_oat_acme"},
        "products": [{"id": "22222222-2222-4222-8222-222222222222", "name": "Acme Team", "recurring_interval": "month", "recurring_interval_count": 1,
            "prices": [{"id": "33333333-3333-4333-8333-333333333333", "amount_type": "seat_based",
                "seat_tiers": {"seat_tier_type": "graduated", "tiers": [{"min_seats": 1, "max_seats": 10, "price_per_seat": 1000}, {"min_seats": 11, "max_seats": null, "price_per_seat": 800}]}}]}]
    }).to_string()).unwrap();
    let other = MockPolar::start(MockConfig {
        port: None,
        fixtures_dir: Some(dir.path().to_path_buf()),
    })
    .await
    .unwrap();
    assert_eq!(
        (other.organization_slug(), other.token(), other.product_id()),
        (
            "acme".into(),
            "polar_oat_acme".into(),
            "22222222-2222-4222-8222-222222222222".into()
        )
    );
    let b: Value = c
        .post(format!("{}/v1/checkouts/", other.base_url()))
        .bearer_auth(other.token())
        .json(&json!({"products": [other.product_id()], "seats": 14}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(b["amount"], 13200, "graduated: 10 × $10 + 4 × $8");
    assert!(MockPolar::start(MockConfig {
        port: None,
        fixtures_dir: Some(dir.path().join("missing"))
    })
    .await
    .is_err());
}

#[tokio::test]
async fn hosted_pages_carry_polars_labels_and_test_ids() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let b: Value = c.post(format!("{}/v1/checkouts/", mock.base_url())).bearer_auth(mock.token())
        .json(&json!({"products": [mock.product_id()], "seats": 3, "customer_email": "a@b.co", "customer_billing_address": {"country": "US"}}))
        .send().await.unwrap().json().await.unwrap();
    let page = c
        .get(b["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for needle in [
        ">Email</label>",
        ">Cardholder name</label>",
        "<label>Billing address</label>",
        "role=\"combobox\"",
        "<span>Seats</span>",
        "title=\"Secure payment input frame\"",
        "<div>Subscribe now</div></button>",
        "data-testid=\"checkout-error\"",
        "<span>United States</span>",
        "placeholder=\"Street address\" autocomplete=\"billing address-line1\" data-field=\"line1\" value=\"\">",
        "placeholder=\"State\" autocomplete=\"billing address-level1\" data-field=\"state\" value=\"\">",
        "$60<span> / mo</span>",
    ] {
        assert!(page.contains(needle), "checkout page lacks {needle}");
    }
    // No external resources: the only absolute URLs are the mock's own card listener.
    let card = mock.card_origin();
    assert!(card.starts_with("http://127.0.0.1:"), "{card}");
    assert_eq!(
        page.matches("http://").count(),
        page.matches(card.as_str()).count(),
        "no external resources"
    );
    assert!(!page.contains("https://"), "no external resources");
    let frame_src = format!("{card}/card-frame");
    assert!(page.contains(&format!("src=\"{frame_src}\"")));
    let frame = c
        .get(&frame_src)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (label, stable) in [
        ("Card number", "cardNumber"),
        ("Expiration date", "cardExpiry"),
        ("Security code", "cardCvc"),
    ] {
        assert!(frame.contains(&format!(">{label}</label>")));
        assert!(frame.contains(&format!("data-elements-stable-field-name=\"{stable}\"")));
    }
    let r = c
        .get(format!(
            "{}/tegy/portal?customer_session_token=polar_cst_nope",
            mock.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// No silent gaps: every operation Polar has and the mock does not model answers 501 naming
/// it (a literal path such as `/v1/orders/export` is not taken for an id); paths Polar does not
/// have answer FastAPI's 404; `Polar-Version` picks one of the served versions, and any other
/// answers Polar's 404 before routing.
#[tokio::test]
async fn unmodelled_operations_answer_501_and_versions_are_polars() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let ops = walkthrough::polar_mock::operations();
    let (modelled, unmodelled): (Vec<_>, Vec<_>) = ops.iter().partition(|o| o.modelled);
    assert!(modelled.len() >= 45, "{} modelled", modelled.len());
    assert!(unmodelled.len() > 100, "{} unmodelled", unmodelled.len());
    let concrete = |path: &str| {
        path.split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "00000000-0000-4000-8000-000000000000"
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    for op in &ops {
        let method = reqwest::Method::from_bytes(op.method.as_bytes()).unwrap();
        let r = c
            .request(method, format!("{}{}", mock.base_url(), concrete(&op.path)))
            .bearer_auth(mock.token())
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if op.modelled {
            assert_ne!(status, 501, "{} {} is modelled: {body}", op.method, op.path);
        } else {
            assert_eq!(status, 501, "{} {}: {body}", op.method, op.path);
            assert_eq!(body["operation"], op.id.as_str());
            assert_eq!(
                body["detail"],
                format!(
                    "{} ({} {}) is not modelled by the mock",
                    op.id, op.method, op.path
                )
            );
        }
    }
    let get = |path: &str, version: Option<&str>| {
        let mut rb = c
            .get(format!("{}{path}", mock.base_url()))
            .bearer_auth(mock.token());
        if let Some(v) = version {
            rb = rb.header("Polar-Version", v);
        }
        rb.send()
    };
    let r = get("/v1/no-such-thing", None).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
    for v in ["2026-04", "2026-10", "2027-01"] {
        let r = get("/v1/products/", Some(v)).await.unwrap();
        assert_eq!(
            (
                r.status().as_u16(),
                r.headers()["polar-version"].to_str().unwrap()
            ),
            (200, v)
        );
    }
    let r = get("/v1/products/", Some("2099-01")).await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"detail": "Not Found"})
    );
    let p: Value = get(
        &format!("/v1/products/{}", mock.product_id()),
        Some("2027-01"),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let price = &p["prices"][0];
    assert_eq!(price["tiers"]["tiers"][0]["unit_amount"], "2000");
    assert_eq!(
        (
            price["minimum_units"].as_i64(),
            price["maximum_units"].is_null()
        ),
        (Some(1), true)
    );
}

/// docs/mock-polar.md lists each of Polar's operations once, with the mock's state for it:
/// "modelled" or "partly: …" exactly for the operations a route models, "not modelled (501)"
/// for the rest.
#[test]
fn docs_list_every_operation_with_its_state() {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/mock-polar.md"))
        .unwrap();
    let table = doc
        .split("## Polar's operations")
        .nth(1)
        .expect("the operations section");
    let mut rows = std::collections::BTreeMap::new();
    for line in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split(" | ").map(str::trim).collect();
        let route = cells[1].trim_matches('`').to_string();
        assert!(
            rows.insert(route.clone(), cells[2].to_string()).is_none(),
            "{route} listed twice"
        );
    }
    let ops = walkthrough::polar_mock::operations();
    assert_eq!(
        rows.len(),
        ops.len(),
        "the table has {} rows for {} operations",
        rows.len(),
        ops.len()
    );
    for op in ops {
        let route = format!("{} {}", op.method, op.path);
        let state = rows
            .get(&route)
            .unwrap_or_else(|| panic!("{route} is not in the table"));
        let listed_modelled = state == "modelled" || state.starts_with("partly: ");
        assert_eq!(
            listed_modelled, op.modelled,
            "{route}: the table says {state:?}"
        );
        if !op.modelled {
            assert_eq!(state, "not modelled (501)", "{route}");
        }
    }
}

/// Polar validates `customer_email` and a customer's `email` with `EmailStrDNS`
/// (`server/polar/kit/email.py:17-36`): reserved and special-use domains get pydantic's exact
/// 422 on every endpoint that uses it, under each union member's name or tag where the body
/// is a union; a normal domain passes.
#[tokio::test]
async fn emails_on_reserved_domains_get_polars_422_on_every_validated_endpoint() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let base = mock.base_url().to_string();
    let call = |method: reqwest::Method, path: String, body: Value| {
        c.request(method, format!("{base}{path}"))
            .bearer_auth(mock.token())
            .json(&body)
            .send()
    };
    let pid = mock.product_id().to_string();
    let ok = "buyer+run-1@acme.dev";
    let r = call(
        reqwest::Method::POST,
        "/v1/checkouts/".into(),
        json!({"products": [pid], "customer_email": ok}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let checkout: Value = r.json().await.unwrap();
    assert_eq!(checkout["customer_email"], ok);
    let secret = checkout["client_secret"].as_str().unwrap().to_string();
    let r = call(
        reqwest::Method::POST,
        "/v1/customers/".into(),
        json!({"email": "owner+run-1@acme.dev", "external_id": "ws-email"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 201);
    let customer_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    let special = "The part after the @-sign is a special-use or reserved name that cannot be used with email.";
    let no_period = "The part after the @-sign is not valid. It should have a period.";
    let null_mx = "The domain name example.com does not accept email.";
    let cases = [
        (
            "x@example.com",
            format!("x@example.com is not a valid email address: {null_mx}"),
            json!({"email": "x@example.com", "reason": null_mx}),
        ),
        (
            "x@foo.test",
            format!("value is not a valid email address: {special}"),
            json!({"reason": special}),
        ),
        (
            "x@localhost",
            format!("value is not a valid email address: {no_period}"),
            json!({"reason": no_period}),
        ),
        (
            "x@host.invalid",
            format!("value is not a valid email address: {special}"),
            json!({"reason": special}),
        ),
    ];
    for (email, msg, ctx) in cases {
        let item = |loc: Value| json!({"type": "value_error", "loc": loc, "msg": msg, "input": email, "ctx": ctx});
        let one = |loc: Value| json!({"error": "RequestValidationError", "detail": [item(loc)]});
        let body = json!({"products": [pid], "customer_email": email});
        let missing = |member: &str, key: &str| json!({"type": "missing", "loc": ["body", member, key], "msg": "Field required", "input": body});
        let union = json!({"error": "RequestValidationError", "detail": [
            item(json!(["body", "CheckoutProductsCreate", "customer_email"])),
            item(json!(["body", "CheckoutProductCreate", "customer_email"])),
            missing("CheckoutProductCreate", "product_id"),
            item(json!(["body", "CheckoutPriceCreate", "customer_email"])),
            missing("CheckoutPriceCreate", "product_price_id"),
        ]});
        let attempts = [
            (
                reqwest::Method::POST,
                "/v1/checkouts/".to_string(),
                body.clone(),
                union,
            ),
            (
                reqwest::Method::PATCH,
                format!("/v1/checkouts/client/{secret}"),
                json!({"customer_email": email}),
                one(json!(["body", "customer_email"])),
            ),
            (
                reqwest::Method::POST,
                format!("/v1/checkouts/client/{secret}/confirm"),
                json!({"customer_email": email, "customer_name": "Ada", "confirmation_token_id": "pm_card_visa",
                       "customer_billing_address": {"country": "DE"}}),
                one(json!(["body", "customer_email"])),
            ),
            (
                reqwest::Method::POST,
                "/v1/customers/".to_string(),
                json!({"email": email}),
                one(json!(["body", "individual", "email"])),
            ),
            (
                reqwest::Method::POST,
                "/v1/customers/".to_string(),
                json!({"type": "team", "email": email}),
                one(json!(["body", "team", "email"])),
            ),
            (
                reqwest::Method::PATCH,
                format!("/v1/customers/{customer_id}"),
                json!({"email": email}),
                one(json!(["body", "email"])),
            ),
            (
                reqwest::Method::PATCH,
                "/v1/customers/external/ws-email".to_string(),
                json!({"email": email}),
                one(json!(["body", "email"])),
            ),
        ];
        for (method, path, body, expected) in attempts {
            let r = call(method.clone(), path.clone(), body).await.unwrap();
            assert_eq!(r.status(), 422, "{method} {path} {email}");
            assert_eq!(
                r.json::<Value>().await.unwrap(),
                expected,
                "{method} {path}"
            );
        }
    }
    // Nothing was changed by the refusals, and a normal domain passes everywhere.
    let r = call(
        reqwest::Method::PATCH,
        format!("/v1/checkouts/client/{secret}"),
        json!({"customer_email": "other+run-1@acme.dev"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["customer_email"],
        "other+run-1@acme.dev"
    );
    let r = call(
        reqwest::Method::PATCH,
        format!("/v1/customers/{customer_id}"),
        json!({"email": "owner+run-2@acme.dev"}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let r = call(
        reqwest::Method::POST,
        format!("/v1/checkouts/client/{secret}/confirm"),
        json!({"customer_name": "Ada", "confirmation_token_id": "pm_card_visa",
               "customer_billing_address": {"country": "DE"}}),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
