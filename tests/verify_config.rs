//! `walkthrough verify-config` as a process against wiremock replicas of Polar's two answers
//! in the product's billing status report: production passes, the sandbox answers 401
//! `invalid_token` because the environment holds a production token.

use std::process::Command;

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "polar_oat_productiontokenvalue1234567890abcdef";
const PRODUCT: &str = "9b1d5c7e-2f3a-4c1b-8e6d-0a9f8e7d6c5b";

fn product(visibility: &str, interval: &str, amount_type: &str) -> Value {
    json!({
        "id": PRODUCT, "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
        "trial_interval": null, "trial_interval_count": null,
        "name": "Tegy Pro", "description": "Chat for teams", "visibility": visibility,
        "recurring_interval": interval, "recurring_interval_count": 1,
        "is_recurring": true, "is_archived": false,
        "organization_id": "1d5c7e9b-2f3a-4c1b-8e6d-0a9f8e7d6c5b", "metadata": {},
        "prices": [{
            "id": "5c7e9b1d-2f3a-4c1b-8e6d-0a9f8e7d6c5b", "created_at": "2026-01-01T00:00:00Z",
            "modified_at": null, "source": "catalog", "amount_type": amount_type,
            "price_currency": "usd", "is_archived": false, "product_id": PRODUCT,
            "tax_behavior": null,
            "seat_tiers": {"seat_tier_type": "volume", "minimum_seats": 1, "maximum_seats": null, "tiers": [{"min_seats": 1, "max_seats": null, "price_per_seat": 2000}]}
        }],
        "benefits": [], "medias": [], "attached_custom_fields": []
    })
}

async fn polar_replica(answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/products/{PRODUCT}")))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

fn verify(env: &[(&str, String)], json: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    cmd.arg("verify-config");
    if json {
        cmd.arg("--json");
    }
    for var in [
        "POLAR_SERVER",
        "POLAR_API_URL",
        "POLAR_ACCESS_TOKEN",
        "POLAR_PRODUCT_ID",
        "POLAR_WEBHOOK_SECRET",
        "POLAR_PRODUCT_NAME",
    ] {
        cmd.env_remove(var);
    }
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    let out = cmd.output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains(TOKEN), "the token is never printed");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(TOKEN));
    (out.status.code().unwrap_or(-1), text)
}

#[tokio::test(flavor = "multi_thread")]
async fn production_configuration_passes_in_the_runbook_format() {
    let server = polar_replica(ResponseTemplate::new(200).set_body_json(product(
        "public",
        "month",
        "seat_based",
    )))
    .await;
    // Only the right bearer token gets the product.
    let uri = server.uri();
    let env = vec![
        ("POLAR_SERVER", String::from("production")),
        ("POLAR_API_URL", String::from(uri.as_str())),
        ("POLAR_ACCESS_TOKEN", String::from(TOKEN)),
        ("POLAR_PRODUCT_ID", String::from(PRODUCT)),
        ("POLAR_WEBHOOK_SECRET", String::from("whsec_x")),
    ];
    let (code, text) = tokio::task::spawn_blocking(move || verify(&env, false))
        .await
        .unwrap();
    assert_eq!(code, 0, "{text}");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("api url:"))
        .collect();
    assert_eq!(
        lines,
        [
            "server: production",
            "access token: configured",
            "webhook secret: configured",
            "product lookup: ok",
            "product name: Tegy Pro",
            "product visibility: public",
            "product recurring interval: month",
            "product price mode: seat_based",
        ]
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].headers.get("authorization").unwrap(),
        &format!("Bearer {TOKEN}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_production_token_against_the_sandbox_fails_with_invalid_token_and_says_why() {
    let body = r#"{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}"#;
    let server = polar_replica(
        ResponseTemplate::new(401)
            .insert_header("content-type", "application/json")
            .insert_header(
                "www-authenticate",
                r#"Bearer realm="polar", error="invalid_token", error_description="The access token provided is expired, revoked, malformed, or invalid for other reasons.""#,
            )
            .set_body_raw(body, "application/json"),
    )
    .await;
    let uri = server.uri();
    let env = vec![
        ("POLAR_API_URL", String::from(uri.as_str())),
        ("POLAR_ACCESS_TOKEN", String::from(TOKEN)),
        ("POLAR_PRODUCT_ID", String::from(PRODUCT)),
    ];
    let (code, text) = tokio::task::spawn_blocking(move || verify(&env, false))
        .await
        .unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.starts_with("server: sandbox\n"),
        "sandbox is the default: {text}"
    );
    assert!(
        text.contains("\nproduct lookup: failed\nerror status: 401\nerror: invalid_token\n"),
        "{text}"
    );
    let hint = text.lines().find(|l| l.starts_with("hint: ")).unwrap();
    assert!(hint.contains("most likely belongs to production"), "{hint}");
    assert!(hint.contains("POLAR_SERVER=production"), "{hint}");
    assert!(text.contains("webhook secret: missing"));

    let env = vec![
        ("POLAR_API_URL", String::from(uri.as_str())),
        ("POLAR_ACCESS_TOKEN", String::from(TOKEN)),
        ("POLAR_PRODUCT_ID", String::from(PRODUCT)),
    ];
    let (code, json) = tokio::task::spawn_blocking(move || verify(&env, true))
        .await
        .unwrap();
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["product_lookup"], "failed");
    assert_eq!(v["error_status"], "401");
    assert_eq!(v["error"], "invalid_token");
    assert_eq!(v["ok"], false);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_product_that_is_not_seat_based_monthly_and_public_fails_each_check() {
    let server = polar_replica(
        ResponseTemplate::new(200).set_body_json(product("private", "year", "fixed")),
    )
    .await;
    let uri = server.uri();
    let env = vec![
        ("POLAR_SERVER", String::from("production")),
        ("POLAR_API_URL", String::from(uri.as_str())),
        ("POLAR_ACCESS_TOKEN", String::from(TOKEN)),
        ("POLAR_PRODUCT_ID", String::from(PRODUCT)),
    ];
    let (code, json) = tokio::task::spawn_blocking(move || verify(&env, true))
        .await
        .unwrap();
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["product_visibility"], "private (expected public)");
    assert_eq!(v["product_recurring_interval"], "year (expected month)");
    assert_eq!(v["product_price_mode"], "fixed (expected seat_based)");
    assert_eq!(
        v["failed"],
        json!([
            "product visibility",
            "product recurring interval",
            "product price mode"
        ])
    );
}

#[test]
fn a_missing_token_is_reported_as_missing() {
    let (code, text) = verify(&[("POLAR_PRODUCT_ID", String::from(PRODUCT))], false);
    assert_eq!(code, 1);
    assert!(text.contains("access token: missing"), "{text}");
}
