//! The mock's hosted pages in real headless Chromium over real HTTP: a checkout created via
//! REST is paid through the page (card fields inside the "Secure payment input frame"), a
//! declined card shows a visible error and stays, the success redirect carries the customer
//! session token; the customer portal cancels and uncancels at period end and leads back to
//! the return URL.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{fill_card, id, t, text_of, wait_text, wait_url, WAIT};
use walkthrough::browser::{Browser, BrowserOptions, By};
use walkthrough::demo_app::fixture_pages::StaticSite;
use walkthrough::polar_mock::{MockConfig, MockPolar};

async fn rest(
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

#[tokio::test]
async fn checkout_and_portal_in_a_real_browser() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .unwrap();
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");

    // A checkout for 3 seats, created as the app would.
    let success = format!("{}/index.html?checkout_id={{CHECKOUT_ID}}", site.url());
    let (status, checkout) = rest(
        &mock,
        reqwest::Method::POST,
        "/v1/checkouts/",
        Some(json!({
            "products": [mock.product_id()],
            "seats": 3,
            "success_url": success,
            "external_customer_id": "workspace-1",
        })),
    )
    .await;
    assert_eq!(status, 201, "{checkout}");
    let checkout_id = checkout["id"].as_str().unwrap().to_string();
    browser
        .goto(checkout["url"].as_str().unwrap())
        .await
        .unwrap();

    // The summary: product, seats, price.
    assert_eq!(
        text_of(&browser, &id("checkout-product-name")).await,
        "Tegy Pro"
    );
    assert_eq!(text_of(&browser, &t(By::Label, "Seats")).await, "3");
    assert_eq!(
        text_of(&browser, &id("checkout-seat-summary")).await,
        "3 seats × $20.00"
    );
    assert_eq!(
        text_of(&browser, &id("checkout-amount")).await,
        "$60.00 / month"
    );

    browser
        .fill(&t(By::Label, "Email"), "ada@acme.dev", WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Cardholder name"), "Ada Lovelace", WAIT)
        .await
        .unwrap();
    browser
        .select(&t(By::Label, "Billing country"), "Germany", WAIT)
        .await
        .unwrap();

    // A declined card: a visible error, and the page stays.
    fill_card(&browser, "4000 0000 0000 0002").await;
    browser
        .click(&t(By::Text, "Subscribe now"), WAIT)
        .await
        .unwrap();
    let error = wait_text(&browser, &id("checkout-error"), |s| !s.is_empty()).await;
    assert_eq!(error, "Your card was declined.");
    assert!(browser.current_url().await.unwrap().contains("/checkout/"));
    let (_, c) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/checkouts/{checkout_id}"),
        None,
    )
    .await;
    assert_eq!(c["status"], "open", "a declined checkout stays open");

    // The good card: redirected to success_url with the customer session token.
    fill_card(&browser, "4242 4242 4242 4242").await;
    browser
        .click(&t(By::Text, "Subscribe now"), WAIT)
        .await
        .unwrap();
    let landed = wait_url(&browser, |u| u.starts_with(site.url())).await;
    let landed = url::Url::parse(&landed).unwrap();
    let query: std::collections::HashMap<String, String> =
        landed.query_pairs().into_owned().collect();
    assert_eq!(query.get("checkout_id"), Some(&checkout_id));
    assert!(query
        .get("customer_session_token")
        .is_some_and(|t| t.starts_with("polar_cst_")));
    let (_, c) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/checkouts/{checkout_id}"),
        None,
    )
    .await;
    assert_eq!(c["status"], "succeeded");
    assert_eq!(c["customer_email"], "ada@acme.dev");
    assert_eq!(c["customer_billing_address"]["country"], "DE");
    let customer_id = c["customer_id"].as_str().unwrap().to_string();

    // The portal, through a customer session as the app would open it.
    let back = format!("{}/second.html", site.url());
    let (status, session) = rest(
        &mock,
        reqwest::Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": customer_id, "return_url": back})),
    )
    .await;
    assert_eq!(status, 201, "{session}");
    browser
        .goto(session["customer_portal_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, &id("portal-customer-email")).await,
        "ada@acme.dev"
    );
    assert_eq!(
        text_of(&browser, &id("subscription-status")).await,
        "Active"
    );
    assert_eq!(
        text_of(&browser, &id("subscription-seats")).await,
        "3 seats"
    );
    assert_eq!(
        text_of(&browser, &id("subscription-amount")).await,
        "$60.00 / month"
    );
    let renews = text_of(&browser, &id("subscription-renewal")).await;
    assert!(renews.starts_with("Renews on "), "{renews}");
    let date = renews.trim_start_matches("Renews on ").to_string();

    browser
        .click(&t(By::Text, "Cancel subscription"), WAIT)
        .await
        .unwrap();
    wait_text(&browser, &id("subscription-status"), |s| s == "Canceling").await;
    assert_eq!(
        text_of(&browser, &id("subscription-renewal")).await,
        format!("Ends on {date}")
    );
    assert_eq!(
        text_of(&browser, &id("portal-message")).await,
        "Your subscription will be canceled at the end of the period."
    );
    let (_, subs) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/subscriptions/?customer_id={customer_id}"),
        None,
    )
    .await;
    assert_eq!(subs["items"][0]["cancel_at_period_end"], true);
    assert_eq!(subs["items"][0]["status"], "active");

    browser
        .click(&t(By::Text, "Uncancel subscription"), WAIT)
        .await
        .unwrap();
    wait_text(&browser, &id("subscription-status"), |s| s == "Active").await;
    assert_eq!(
        text_of(&browser, &id("subscription-renewal")).await,
        format!("Renews on {date}")
    );
    let (_, subs) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/subscriptions/?customer_id={customer_id}"),
        None,
    )
    .await;
    assert_eq!(subs["items"][0]["cancel_at_period_end"], false);

    // Back to the product.
    browser
        .click(&t(By::Text, "← Back to Tegy"), WAIT)
        .await
        .unwrap();
    wait_url(&browser, |u| u == back).await;

    // An invalid token gets the expired page, not someone's portal.
    browser
        .goto(&format!(
            "{}/tegy/portal?customer_session_token=polar_cst_nope",
            mock.base_url()
        ))
        .await
        .unwrap();
    browser
        .wait_visible(&id("portal-session-expired"), WAIT)
        .await
        .unwrap();

    browser.close().await;
}

/// Pays checkout `checkout` in the page and returns how long the page took to land on
/// `site` (the success URL) after "Subscribe now", and the URL it landed on.
async fn pay_and_time(
    browser: &Browser,
    checkout: &Value,
    email: &str,
    site: &str,
) -> (Duration, String) {
    browser
        .goto(checkout["url"].as_str().unwrap())
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Email"), email, WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Cardholder name"), "Ada Lovelace", WAIT)
        .await
        .unwrap();
    browser
        .select(&t(By::Label, "Billing country"), "Germany", WAIT)
        .await
        .unwrap();
    fill_card(browser, "4242 4242 4242 4242").await;
    let clicked = Instant::now();
    browser
        .click(&t(By::Text, "Subscribe now"), WAIT)
        .await
        .unwrap();
    loop {
        let url = browser.current_url().await.unwrap();
        if url.starts_with(site) {
            return (clicked.elapsed(), url);
        }
        assert!(
            clicked.elapsed() < Duration::from_secs(40),
            "the page stayed at {url}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Polar's page goes on to the success URL once the checkout succeeded, its order exists and
/// the merchant's endpoint answered 2xx to `checkout.updated`; when the endpoint does not,
/// it gives up after 15 s and goes through its confirmation page, which sends the buyer on
/// once the checkout succeeded. A succeeded checkout's own URL redirects to its success URL.
#[tokio::test]
async fn after_paying_the_page_waits_for_the_apps_answer_to_checkout_updated() {
    use wiremock::matchers::{body_string_contains, method};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .unwrap();
    let app = MockServer::start().await;
    let answer = |status: u16| {
        Mock::given(method("POST"))
            .and(body_string_contains("\"type\":\"checkout.updated\""))
            .respond_with(ResponseTemplate::new(status))
    };
    answer(200).mount(&app).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&app)
        .await;
    let (status, _) = rest(
        &mock,
        reqwest::Method::POST,
        "/v1/webhooks/endpoints",
        Some(
            json!({"url": format!("{}/hook", app.uri()), "format": "raw",
            "events": ["checkout.updated", "order.paid"]}),
        ),
    )
    .await;
    assert_eq!(status, 201);
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");
    let success = format!("{}/index.html?checkout_id={{CHECKOUT_ID}}", site.url());
    let new_checkout = || async {
        let (status, checkout) = rest(
            &mock,
            reqwest::Method::POST,
            "/v1/checkouts/",
            Some(json!({"products": [mock.product_id()], "seats": 3, "success_url": success})),
        )
        .await;
        assert_eq!(status, 201, "{checkout}");
        checkout
    };

    // The app answers 2xx: on at once.
    let accepted = new_checkout().await;
    let (took, landed) = pay_and_time(&browser, &accepted, "grace@hopper.dev", site.url()).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    let id = accepted["id"].as_str().unwrap();
    assert!(landed.contains(&format!("checkout_id={id}")), "{landed}");

    // A succeeded checkout's page is a redirect to its success URL.
    let resp = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(accepted["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 307);
    assert_eq!(
        resp.headers()["location"].to_str().unwrap(),
        success.replace("{CHECKOUT_ID}", id)
    );

    // The app refuses checkout.updated: 15 s of waiting, then the confirmation page, then on.
    app.reset().await;
    answer(500).mount(&app).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&app)
        .await;
    let refused = new_checkout().await;
    let (took, landed) = pay_and_time(&browser, &refused, "ada@lovelace.dev", site.url()).await;
    assert!(
        took >= Duration::from_secs(15) && took < Duration::from_secs(30),
        "{took:?}"
    );
    assert!(
        landed.contains("customer_session_token=polar_cst_"),
        "{landed}"
    );
    assert!(mock
        .deliveries()
        .iter()
        .any(|d| d.event_type == "checkout.updated" && d.status_code == Some(500)));
}
