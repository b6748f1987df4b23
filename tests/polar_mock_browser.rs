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
    assert_eq!(
        text_of(
            &browser,
            &t(By::Css, "button[aria-label='Click to edit seat count']")
        )
        .await,
        "3"
    );
    let row = text_of(&browser, &id("detail-row-3 seats")).await;
    assert!(row.contains("3 seats · $20 per seat"), "{row}");
    assert_eq!(text_of(&browser, &id("checkout-amount")).await, "$60 / mo");

    browser
        .fill(&t(By::Label, "Email"), "ada@acme.dev", WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Cardholder name"), "Ada Lovelace", WAIT)
        .await
        .unwrap();
    browser
        .select(&t(By::Text, "Country"), "Germany", WAIT)
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
        .select(&t(By::Text, "Country"), "Germany", WAIT)
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

/// A checkout for 3 seats (`bounds`: extra fields such as fixed min/max seats), opened in the
/// browser; its id.
async fn open_checkout(browser: &Browser, mock: &MockPolar, bounds: Value) -> String {
    let mut body = json!({"products": [mock.product_id()], "seats": 3});
    body.as_object_mut()
        .unwrap()
        .extend(bounds.as_object().unwrap().clone());
    let (status, checkout) = rest(mock, reqwest::Method::POST, "/v1/checkouts/", Some(body)).await;
    assert_eq!(status, 201, "{checkout}");
    browser
        .goto(checkout["url"].as_str().unwrap())
        .await
        .unwrap();
    checkout["id"].as_str().unwrap().to_string()
}

async fn visible(browser: &Browser, locator: &walkthrough::browser::Locator) -> bool {
    support::count_visible(browser, locator).await > 0
}

/// Which of the address inputs (by placeholder) are visible.
async fn shown<'a>(browser: &Browser, placeholders: &[&'a str]) -> Vec<&'a str> {
    let mut out = vec![];
    for p in placeholders {
        if visible(browser, &css(&format!("input[placeholder='{p}']"))).await {
            out.push(*p);
        }
    }
    out
}

fn css(selector: &str) -> walkthrough::browser::Locator {
    t(By::Css, selector)
}

/// The page presents Polar's contract (HOSTED-PAGES.md §1, §5): the title, the seat
/// selector (a bare count when fixed, else the stepper, whose changes reach the server and
/// the breakdown), the per-country address fields, the business fields.
#[tokio::test]
async fn the_checkout_page_presents_polars_page_contract() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");

    // Fixed seats: `<span>Seats</span>` + `<span>3</span>`, no stepper; the title.
    open_checkout(&browser, &mock, json!({"min_seats": 3, "max_seats": 3})).await;
    let title = browser
        .eval_json("return document.title;", vec![])
        .await
        .unwrap();
    assert_eq!(title, "Tegy | Tegy Pro");
    let seats = text_of(&browser, &id("checkout-seats")).await;
    assert_eq!(seats.split_whitespace().collect::<Vec<_>>(), ["Seats", "3"]);
    let spans = browser
        .eval_json(
            "return Array.from(document.querySelectorAll('[data-testid=checkout-seats] > span')).map(s => s.textContent);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(spans, json!(["Seats", "3"]));
    assert!(!visible(&browser, &css("button[aria-label='Increase seats']")).await);
    let row = text_of(&browser, &id("detail-row-3 seats")).await;
    assert!(
        row.contains("3 seats · $20 per seat") && row.contains("$60 / mo"),
        "{row}"
    );
    assert!(text_of(&browser, &id("detail-row-Taxes"))
        .await
        .contains('—'));
    assert!(text_of(&browser, &id("detail-row-Monthly"))
        .await
        .contains("$60 / mo"));

    // The stepper: + and the edited count reach the server; the rows and the hero follow.
    let checkout_id = open_checkout(&browser, &mock, json!({})).await;
    browser
        .click(&css("button[aria-label='Increase seats']"), WAIT)
        .await
        .unwrap();
    let row = wait_text(&browser, &id("detail-row-4 seats"), |s| {
        s.contains("$80 / mo")
    })
    .await;
    assert!(row.contains("4 seats · $20 per seat"), "{row}");
    assert_eq!(text_of(&browser, &id("checkout-amount")).await, "$80 / mo");
    assert!(text_of(&browser, &id("detail-row-Monthly"))
        .await
        .contains("$80 / mo"));
    let seats_on_server = || async {
        let (_, c) = rest(
            &mock,
            reqwest::Method::GET,
            &format!("/v1/checkouts/{checkout_id}"),
            None,
        )
        .await;
        c["seats"].clone()
    };
    assert_eq!(seats_on_server().await, 4);
    browser
        .click(&css("button[aria-label='Decrease seats']"), WAIT)
        .await
        .unwrap();
    wait_text(&browser, &id("detail-row-3 seats"), |s| {
        s.contains("$60 / mo")
    })
    .await;
    browser
        .click(&css("button[aria-label='Click to edit seat count']"), WAIT)
        .await
        .unwrap();
    browser.fill(&id("seats-input"), "5", WAIT).await.unwrap();
    browser
        .press("Enter", Some(&id("seats-input")), WAIT)
        .await
        .unwrap();
    wait_text(&browser, &id("detail-row-5 seats"), |s| {
        s.contains("$100 / mo")
    })
    .await;
    assert_eq!(seats_on_server().await, 5);

    // Per-country fields, as the server's billing_address_fields say.
    let address = [
        "Street address",
        "Apartment or unit number",
        "Postal code",
        "City",
        "State",
    ];
    assert!(shown(&browser, &address).await.is_empty());
    browser
        .select(&t(By::Text, "Country"), "Germany", WAIT)
        .await
        .unwrap();
    let chosen = text_of(&browser, &id("checkout-country")).await;
    assert!(chosen.starts_with("Germany"), "{chosen}");
    assert!(
        shown(&browser, &address).await.is_empty(),
        "Germany: the country only"
    );
    browser
        .select(&id("checkout-country"), "United States", WAIT)
        .await
        .unwrap();
    browser
        .wait_visible(&css("input[placeholder='Street address']"), WAIT)
        .await
        .unwrap();
    assert_eq!(shown(&browser, &address).await, address);
    let native = browser
        .eval_json(
            "return document.querySelector('select[aria-hidden=true]').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(native, "US");

    // The business checkbox adds the business fields.
    assert!(!visible(&browser, &t(By::Label, "Business name")).await);
    browser
        .click(&t(By::Text, "I'm purchasing as a business"), WAIT)
        .await
        .unwrap();
    browser
        .wait_visible(&t(By::Label, "Business name"), WAIT)
        .await
        .unwrap();
    browser
        .wait_visible(&t(By::Label, "Tax ID (Optional)"), WAIT)
        .await
        .unwrap();
    browser.close().await;
}

/// The card frame is another origin than the page (its script cannot read the frame), and
/// Stripe's 0341 is declined at checkout, as 0002 is.
#[tokio::test]
async fn the_card_frame_is_cross_origin_and_0341_is_declined_at_checkout() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");
    let checkout_id = open_checkout(&browser, &mock, json!({})).await;
    let look = browser
        .eval_json(
            "const f = document.querySelector(\"iframe[title='Secure payment input frame']\");
             let doc = 'readable';
             try { doc = f.contentDocument === null ? 'null' : 'readable'; } catch (e) { doc = 'threw'; }
             return { doc, page: location.origin, frame: new URL(f.src).origin };",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(look["doc"], "null", "{look}");
    assert_eq!(look["page"], mock.base_url());
    assert_eq!(look["frame"], mock.card_origin());
    assert_ne!(look["page"], look["frame"]);

    // The frame formats as Stripe's fields do.
    browser
        .enter_frame(&css("iframe[title='Secure payment input frame']"), WAIT)
        .await
        .unwrap();
    browser
        .type_text(&t(By::Label, "Card number"), "4000000000000341", WAIT)
        .await
        .unwrap();
    browser
        .type_text(&t(By::Label, "Expiration date"), "1234", WAIT)
        .await
        .unwrap();
    let values = browser
        .eval_json(
            "return [document.getElementById('card-number').value, document.getElementById('card-expiry').value, location.origin];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        values,
        json!(["4000 0000 0000 0341", "12 / 34", mock.card_origin()])
    );
    browser
        .fill(&t(By::Label, "Security code"), "123", WAIT)
        .await
        .unwrap();
    browser.leave_frame().await.unwrap();

    browser
        .fill(&t(By::Label, "Email"), "ada@acme.dev", WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Cardholder name"), "Ada Lovelace", WAIT)
        .await
        .unwrap();
    browser
        .select(&t(By::Text, "Country"), "Germany", WAIT)
        .await
        .unwrap();
    browser
        .click(&t(By::Text, "Subscribe now"), WAIT)
        .await
        .unwrap();
    let error = wait_text(&browser, &id("checkout-error"), |s| !s.is_empty()).await;
    assert_eq!(error, "Your card was declined.");
    let (_, c) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/checkouts/{checkout_id}"),
        None,
    )
    .await;
    assert_eq!(c["status"], "open", "a declined checkout stays open");
    assert!(mock.state_json()["subscriptions"]
        .as_array()
        .is_none_or(|s| s.is_empty()));
    browser.close().await;
}
