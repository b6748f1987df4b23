//! The Polar client against wiremock stubs that answer as Polar does: paths, auth header,
//! query filters and bodies on the wire; 429 after Retry-After; bounded 5xx retries; typed
//! errors with Polar's bodies; timeouts; the token never in errors.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use walkthrough::polar::types::{
    CheckoutCreate, CustomerSessionCreate, SubscriptionListParams, SubscriptionStatus,
    SubscriptionUpdate, WebhookEndpointCreate, WebhookFormat,
};
use walkthrough::polar::{PolarClient, PolarError, RetryPolicy};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "polar_oat_CLIENTTESTTOKEN0123456789abcdefghijklm";

fn client(server: &MockServer) -> PolarClient {
    PolarClient::builder(server.uri(), TOKEN)
        .timeout(Duration::from_millis(500))
        .retry(RetryPolicy {
            max_retries: 2,
            base_backoff: Duration::from_millis(10),
            max_retry_after: Duration::from_millis(1500),
        })
        .build()
        .unwrap()
}

fn subscription(status: &str) -> Value {
    json!({
        "created_at": "2026-01-01T00:00:00Z", "modified_at": "2026-01-02T03:04:05.123456Z",
        "id": "d8f2c1a0-0000-4000-8000-0000000000aa", "amount": 6000, "currency": "usd",
        "recurring_interval": "month", "recurring_interval_count": 1, "status": status,
        "current_period_start": "2026-01-01T00:00:00Z", "current_period_end": "2026-02-01T00:00:00Z",
        "cancel_at_period_end": false, "canceled_at": null, "started_at": "2026-01-01T00:00:00Z",
        "ends_at": null, "ended_at": null, "customer_id": "c1", "product_id": "p1",
        "seats": 3, "metadata": {}, "customer": {"id": "c1", "external_id": "ws-1", "email": null}
    })
}

#[tokio::test]
async fn requests_carry_the_bearer_token_and_documented_paths() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(query_param("external_customer_id", "ws 1/2"))
        .and(query_param("status", "past_due"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"items": [subscription("past_due")], "pagination": {"total_count": 1, "max_page": 1}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1/subscriptions/sub-1"))
        .and(body_json(json!({"cancel_at_period_end": true})))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription("active")))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/v1/subscriptions/sub-1"))
        .and(body_json(
            json!({"seats": 5, "proration_behavior": "invoice"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription("active")))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/v1/subscriptions/sub-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(subscription("canceled")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/external/ws-1/state"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c1", "type": "team", "external_id": "ws-1", "email": null,
            "active_subscriptions": [{"id": "s1", "created_at": "2026-01-01T00:00:00Z", "modified_at": null,
                "status": "active", "amount": 2000, "currency": "usd", "recurring_interval": "month",
                "current_period_start": "2026-01-01T00:00:00Z", "current_period_end": "2026-02-01T00:00:00Z",
                "cancel_at_period_end": false, "ends_at": null, "product_id": "p1", "metadata": {}, "meters": []}],
            "granted_benefits": [], "active_meters": []
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/checkouts/"))
        .and(body_json(json!({"products": ["p1"], "seats": 2, "min_seats": 2, "max_seats": 2, "external_customer_id": "ws-1"})))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "id": "ch1", "created_at": "2026-01-01T00:00:00Z", "modified_at": null, "status": "open",
            "url": "https://sandbox.polar.sh/checkout/polar_c_1", "expires_at": "2026-01-02T00:00:00Z",
            "success_url": null, "amount": 4000, "seats": 2, "min_seats": 2, "max_seats": 2,
            "total_amount": 4000, "currency": "usd", "product_id": "p1", "customer_id": null,
            "external_customer_id": "ws-1", "metadata": {}
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/webhooks/endpoints"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "created_at": "2026-01-01T00:00:00Z", "modified_at": null, "id": "we1",
            "url": "https://example.com/hook", "name": null, "format": "raw",
            "secret": "whsec_abc", "organization_id": "o1", "events": ["subscription.updated"], "enabled": true
        })))
        .mount(&server)
        .await;
    let c = client(&server);

    let list = c
        .list_subscriptions(&SubscriptionListParams {
            external_customer_id: Some("ws 1/2".into()),
            status: vec![SubscriptionStatus::PastDue],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(list.items[0].status, SubscriptionStatus::PastDue);
    assert_eq!(list.items[0].seats, Some(3));
    assert_eq!(list.items[0].amount, 6000);
    let sub = c
        .update_subscription(
            "sub-1",
            &SubscriptionUpdate::Cancel {
                cancel_at_period_end: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(sub.customer.unwrap().external_id.as_deref(), Some("ws-1"));
    c.update_subscription(
        "sub-1",
        &SubscriptionUpdate::Seats {
            seats: 5,
            proration_behavior: Some(walkthrough::polar::types::ProrationBehavior::Invoice),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        c.revoke_subscription("sub-1").await.unwrap().status,
        SubscriptionStatus::Canceled
    );
    let state = c.get_customer_state_external("ws-1").await.unwrap();
    assert_eq!(state.active_subscriptions[0].id, "s1");
    let checkout = c
        .create_checkout(&CheckoutCreate {
            products: vec!["p1".into()],
            seats: Some(2),
            min_seats: Some(2),
            max_seats: Some(2),
            external_customer_id: Some("ws-1".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(checkout.url, "https://sandbox.polar.sh/checkout/polar_c_1");
    let ep = c
        .create_webhook_endpoint(&WebhookEndpointCreate {
            url: "https://example.com/hook".into(),
            name: None,
            format: WebhookFormat::Raw,
            events: vec!["subscription.updated".into()],
        })
        .await
        .unwrap();
    assert_eq!(ep.secret, "whsec_abc");
    assert!(!format!("{ep:?}").contains("whsec_abc"));
    let _ = CustomerSessionCreate::ExternalCustomerId {
        external_customer_id: "x".into(),
        return_url: None,
    };
}

#[tokio::test]
async fn rate_limits_wait_for_retry_after_and_5xx_retries_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/checkouts/ch1"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/checkouts/ch1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "ch1", "created_at": "2026-01-01T00:00:00Z", "status": "succeeded",
            "url": "u", "expires_at": "2026-01-02T00:00:00Z", "amount": 2000, "total_amount": 2000,
            "currency": "usd", "product_id": "p1", "brand_new_field": 1
        })))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/subscriptions/boom"))
        .respond_with(ResponseTemplate::new(500).set_body_string("Internal Server Error"))
        .mount(&server)
        .await;
    let c = client(&server);

    let t = Instant::now();
    let checkout = c.get_checkout("ch1").await.unwrap();
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(950),
        "honoured Retry-After: {waited:?}"
    );
    assert_eq!(checkout.status.as_str(), "succeeded");

    let err = c.get_subscription("boom").await.unwrap_err();
    assert_eq!(err.status(), Some(500));
    let reqs = server.received_requests().await.unwrap();
    assert_eq!(
        reqs.iter()
            .filter(|r| r.url.path() == "/v1/subscriptions/boom")
            .count(),
        3,
        "1 try + 2 retries"
    );
}

#[tokio::test]
async fn errors_keep_status_and_polar_body_and_never_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/products/missing"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error":"ResourceNotFound","detail":"Not found"})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/products/other-env"))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            r#"{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/products/slow"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/products/garbled"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
        .mount(&server)
        .await;
    let c = client(&server);

    match c.get_product("missing").await.unwrap_err() {
        PolarError::Api {
            status,
            error,
            detail,
            body,
        } => {
            assert_eq!(status, 404);
            assert_eq!(error.as_deref(), Some("ResourceNotFound"));
            assert_eq!(detail.as_deref(), Some("Not found"));
            assert!(body.contains("ResourceNotFound"));
        }
        other => panic!("{other:?}"),
    }
    let e = c.get_product("other-env").await.unwrap_err();
    assert_eq!(e.status(), Some(401));
    assert!(e.to_string().contains("invalid_token"));
    let t = Instant::now();
    assert!(matches!(
        c.get_product("slow").await.unwrap_err(),
        PolarError::Timeout
    ));
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "timeouts are not retried"
    );
    assert!(matches!(
        c.get_product("garbled").await.unwrap_err(),
        PolarError::Decode(_)
    ));
    let unreachable = PolarClient::builder("http://127.0.0.1:9", TOKEN)
        .build()
        .unwrap();
    let e = unreachable.get_product("x").await.unwrap_err();
    assert!(matches!(e, PolarError::Transport(_)), "{e:?}");
    for e in [e, c.get_product("other-env").await.unwrap_err()] {
        assert!(!format!("{e} {e:?}").contains(TOKEN));
    }
}
