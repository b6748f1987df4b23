//! The mock's hosted pages in real headless Chromium over real HTTP: a checkout created via
//! REST is paid through the page (card fields inside the "Secure payment input frame"), a
//! declined card shows a visible error and stays, the success redirect carries the customer
//! session token; the customer portal presents Polar's page contract: the redirect to the
//! Overview tab, the tabs, the subscription card (no cancel button), "Manage subscription" →
//! the "Cancel Subscription" dialog → "To Be Cancelled" and the toast, "Uncancel", the back
//! link; the Billing tab's cards (the untitled payment-method embed with the nested card
//! frame, "Make default", delete), and a past-due subscription recovered through "Retry
//! payment" in the "Inactive Subscriptions" table.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{count_visible, fill_card, id, t, text_of, wait_text, wait_url, WAIT};
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
    // `/tegy/portal?…` answers 307 to the Overview tab, the token kept.
    let overview = wait_url(&browser, |u| u.contains("/tegy/portal/overview?")).await;
    assert!(
        overview.contains("customer_session_token=polar_cst_"),
        "{overview}"
    );
    assert_eq!(
        text_of(&browser, &id("portal-customer-email")).await,
        "ada@acme.dev"
    );
    // The card: Polar's header, rows and buttons, and no cancel button.
    let card = id("subscription");
    assert_eq!(
        text_of(&browser, &t(By::Css, "[data-testid=subscription] h3")).await,
        "Tegy Pro"
    );
    assert_eq!(
        text_of(&browser, &id("subscription-amount")).await,
        "$60 / mo"
    );
    assert_eq!(
        text_of(&browser, &id("subscription-status")).await,
        "Active"
    );
    let card_text = text_of(&browser, &card).await;
    assert!(card_text.contains("Start Date"), "{card_text}");
    assert!(card_text.contains("Renewal Date"), "{card_text}");
    assert!(
        !card_text.contains("Cancel"),
        "no cancel button on the card: {card_text}"
    );
    assert!(!card_text.contains("Uncancel"), "{card_text}");
    let (_, subs) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/subscriptions/?customer_id={customer_id}"),
        None,
    )
    .await;
    let period_end = chrono::DateTime::parse_from_rfc3339(
        subs["items"][0]["current_period_end"].as_str().unwrap(),
    )
    .unwrap();
    let date = period_end.format("%B %-d, %Y").to_string();
    assert!(
        card_text.contains(&format!("Renewal Date {date}"))
            || card_text.contains(&format!("Renewal Date\n{date}")),
        "{card_text}"
    );

    // Manage subscription → the inline modal → "Cancel Subscription" → the dialog.
    browser
        .click(&t(By::Text, "Manage subscription"), WAIT)
        .await
        .unwrap();
    let modal = text_of(&browser, &id("manage-subscription")).await;
    for row in ["Amount", "$60 / mo", "Status", "Start Date", "Renewal Date"] {
        assert!(modal.contains(row), "{row}: {modal}");
    }
    browser
        .click(&t(By::Label, "Cancel subscription"), WAIT)
        .await
        .unwrap();
    let dialog = text_of(
        &browser,
        &t(
            By::Xpath,
            "//*[@role='dialog'][.//h3[contains(., 'sorry to see you go')]]",
        ),
    )
    .await;
    assert!(dialog.starts_with("Cancel Subscription"), "{dialog}");
    assert!(dialog.contains("We're sorry to see you go!"), "{dialog}");
    assert!(dialog.contains("I've changed my mind"), "{dialog}");
    assert_eq!(
        count_visible(&browser, &t(By::Css, "[role=dialog] input[type=radio]")).await,
        8
    );
    browser
        .click(&t(By::Label, "Too expensive"), WAIT)
        .await
        .unwrap();
    browser
        .fill(
            &t(By::Label, "Anything else you want to share? (Optional)"),
            "Budget cuts",
            WAIT,
        )
        .await
        .unwrap();
    browser
        .click(
            &t(
                By::Xpath,
                "//*[@role='dialog'][.//h3[contains(., 'sorry to see you go')]]//button[normalize-space()='Cancel Subscription']",
            ),
            WAIT,
        )
        .await
        .unwrap();
    wait_text(&browser, &id("subscription-status"), |s| {
        s == "To Be Cancelled"
    })
    .await;
    let toast = text_of(&browser, &t(By::Css, ".toast")).await;
    assert!(toast.contains("Subscription Cancelled"), "{toast}");
    assert!(
        toast.contains("Subscription was cancelled successfully"),
        "{toast}"
    );
    let card_text = text_of(&browser, &card).await;
    assert!(card_text.contains("Expiry Date"), "{card_text}");
    assert!(card_text.contains(&date), "{card_text}");
    let (_, subs) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/subscriptions/?customer_id={customer_id}"),
        None,
    )
    .await;
    assert_eq!(subs["items"][0]["cancel_at_period_end"], true);
    assert_eq!(subs["items"][0]["status"], "active");
    assert_eq!(
        subs["items"][0]["customer_cancellation_reason"],
        "too_expensive"
    );
    assert_eq!(
        subs["items"][0]["customer_cancellation_comment"],
        "Budget cuts"
    );

    browser.click(&t(By::Text, "Uncancel"), WAIT).await.unwrap();
    wait_text(&browser, &id("subscription-status"), |s| s == "Active").await;
    let card_text = text_of(&browser, &card).await;
    assert!(card_text.contains("Renewal Date"), "{card_text}");
    assert!(!card_text.contains("Uncancel"), "{card_text}");
    let (_, subs) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/subscriptions/?customer_id={customer_id}"),
        None,
    )
    .await;
    assert_eq!(subs["items"][0]["cancel_at_period_end"], false);

    // The tabs keep the token: Orders lists the checkout's order, Billing the card.
    browser.click(&t(By::Text, "Orders"), WAIT).await.unwrap();
    wait_url(&browser, |u| {
        u.contains("/tegy/portal/orders?customer_session_token=polar_cst_")
    })
    .await;
    let order = text_of(&browser, &id("order")).await;
    assert!(
        order.contains("Tegy Pro") && order.contains("Paid") && order.contains("$60"),
        "{order}"
    );
    browser.click(&t(By::Text, "Billing"), WAIT).await.unwrap();
    wait_url(&browser, |u| {
        u.contains("/tegy/portal/settings?customer_session_token=polar_cst_")
    })
    .await;
    let pm = text_of(&browser, &id("payment-method")).await;
    assert!(
        pm.contains("Visa •••• 4242") && pm.contains("Default Method"),
        "{pm}"
    );
    browser.click(&t(By::Text, "Overview"), WAIT).await.unwrap();
    wait_url(&browser, |u| u.contains("/tegy/portal/overview?")).await;

    // Back to the product.
    browser
        .click(&t(By::Text, "Back to Tegy"), WAIT)
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

/// A customer with an active subscription paid with 4242 through the checkout API; returns
/// (customer id, subscription id).
async fn subscribed_customer(mock: &MockPolar) -> (String, String) {
    let (status, checkout) = rest(
        mock,
        reqwest::Method::POST,
        "/v1/checkouts/",
        Some(json!({"products": [mock.product_id()], "seats": 3})),
    )
    .await;
    assert_eq!(status, 201, "{checkout}");
    let secret = checkout["client_secret"].as_str().unwrap();
    let (status, body) = rest(
        mock,
        reqwest::Method::POST,
        &format!("/v1/checkouts/client/{secret}/confirm"),
        Some(
            json!({"customer_email": "ada@acme.dev", "customer_name": "Ada",
            "customer_billing_address": {"country": "DE"}, "seats": 3,
            "card": {"number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"}}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let customer_id = body["customer_id"].as_str().unwrap().to_string();
    let (_, subs) = rest(
        mock,
        reqwest::Method::GET,
        &format!("/v1/subscriptions/?customer_id={customer_id}"),
        None,
    )
    .await;
    let sid = subs["items"][0]["id"].as_str().unwrap().to_string();
    (customer_id, sid)
}

/// Polls the subscription through the API until its status is `want` (the scheduler ticks
/// every 200 ms).
async fn wait_status(mock: &MockPolar, sid: &str, want: &str) {
    let started = Instant::now();
    loop {
        let (_, s) = rest(
            mock,
            reqwest::Method::GET,
            &format!("/v1/subscriptions/{sid}"),
            None,
        )
        .await;
        if s["status"] == want {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "still {}",
            s["status"]
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The delete button of the card labelled `label`: the button without text in the row that
/// holds the label (Polar's is an X icon without a name).
fn delete_button(label: &str) -> walkthrough::browser::Locator {
    t(
        By::Xpath,
        &format!("//*[normalize-space()='{label}']/ancestor::div[.//button][1]//button[not(normalize-space())]"),
    )
}

#[tokio::test]
async fn billing_tab_cards_and_retry_payment_in_a_real_browser() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let (customer_id, sid) = subscribed_customer(&mock).await;
    let (_, session) = rest(
        &mock,
        reqwest::Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": customer_id})),
    )
    .await;
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");
    browser
        .goto(session["customer_portal_url"].as_str().unwrap())
        .await
        .unwrap();
    browser.click(&t(By::Text, "Billing"), WAIT).await.unwrap();
    assert_eq!(
        text_of(&browser, &t(By::Css, "h3.text-2xl")).await,
        "Billing Settings"
    );

    // Add Payment Method: Polar's embed in a full-screen iframe with no title or name, on
    // the portal's origin, the card frame nested inside.
    browser
        .click(&t(By::Text, "Add Payment Method"), WAIT)
        .await
        .unwrap();
    let embed = t(By::Css, "body > iframe:not([title]):not([name])");
    browser.wait_visible(&embed, WAIT).await.unwrap();
    let src = browser
        .eval_json("return document.querySelector('body > iframe').src", vec![])
        .await
        .unwrap();
    let src = src.as_str().unwrap().to_string();
    assert!(
        src.starts_with(&format!(
            "{}/embed/payment-method?session_token=polar_cst_",
            mock.base_url()
        )),
        "{src}"
    );
    browser.enter_frame(&embed, WAIT).await.unwrap();
    fill_card(&browser, "4000 0000 0000 0341").await;
    browser
        .click(
            &t(
                By::Xpath,
                "//button[normalize-space()='Add payment method']",
            ),
            WAIT,
        )
        .await
        .unwrap();
    browser.top_frame().await.unwrap();
    wait_text(&browser, &id("payment-methods"), |s| s.contains("0341")).await;
    assert_eq!(
        count_visible(&browser, &t(By::Css, "body > iframe")).await,
        0,
        "the embed closed"
    );
    let list = text_of(&browser, &id("payment-methods")).await;
    assert!(
        list.contains("Visa •••• 0341") && list.contains("Visa •••• 4242"),
        "{list}"
    );
    assert!(list.contains("Expires 12/2034"), "{list}");
    let default_of = |row: &str| {
        t(
            By::Xpath,
            &format!("//*[@data-testid='payment-method'][contains(., '{row}')]"),
        )
    };
    assert!(
        text_of(&browser, &default_of("0341"))
            .await
            .contains("Default Method"),
        "set_default: true"
    );
    assert!(text_of(&browser, &default_of("4242"))
        .await
        .contains("Make default"));

    // Make default, both ways; the customer's default follows.
    let make_default = |row: &str| {
        t(By::Xpath, &format!("//*[@data-testid='payment-method'][contains(., '{row}')]//button[normalize-space()='Make default']"))
    };
    browser.click(&make_default("4242"), WAIT).await.unwrap();
    wait_text(&browser, &default_of("4242"), |s| {
        s.contains("Default Method")
    })
    .await;
    assert!(text_of(&browser, &t(By::Css, ".toast"))
        .await
        .contains("Default payment method updated"));
    browser.click(&make_default("0341"), WAIT).await.unwrap();
    wait_text(&browser, &default_of("0341"), |s| {
        s.contains("Default Method")
    })
    .await;
    let (_, customer) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/customers/{customer_id}"),
        None,
    )
    .await;
    let (_, pms) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/customers/{customer_id}/payment-methods"),
        None,
    )
    .await;
    let _ = (customer, pms);

    // Delete the 4242 card: the subscription moves to the default (0341).
    browser
        .click(&delete_button("Visa •••• 4242"), WAIT)
        .await
        .unwrap();
    wait_text(&browser, &id("payment-methods"), |s| !s.contains("4242")).await;
    assert!(text_of(&browser, &t(By::Css, ".toast"))
        .await
        .contains("Payment method deleted"));

    // The renewal (Polar's recipe: the period end a moment away) fails: past due.
    let end = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let (status, body) = rest(
        &mock,
        reqwest::Method::PATCH,
        &format!("/v1/subscriptions/{sid}"),
        Some(json!({"current_billing_period_end": end})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    wait_status(&mock, &sid, "past_due").await;

    // Overview: no current subscription; the inactive table with "Past Due".
    browser.click(&t(By::Text, "Overview"), WAIT).await.unwrap();
    let row = text_of(&browser, &id("inactive-subscription")).await;
    assert!(
        row.contains("Tegy Pro") && row.contains("Past Due") && row.contains("—"),
        "{row}"
    );
    assert_eq!(
        text_of(&browser, &id("no-subscriptions")).await,
        "No Subscriptions Found"
    );

    // Retry payment with the saved 0341: it fails, and says so.
    browser
        .click(&t(By::Text, "Retry payment"), WAIT)
        .await
        .unwrap();
    let dialog = text_of(&browser, &id("retry-payment-dialog")).await;
    assert!(dialog.starts_with("Update Payment Method"), "{dialog}");
    browser
        .click(&t(By::Text, "Visa •••• 0341"), WAIT)
        .await
        .unwrap();
    let error = wait_text(
        &browser,
        &t(
            By::Css,
            "[data-testid=retry-payment-dialog] .retry-error [role=alert]",
        ),
        |s| !s.is_empty(),
    )
    .await;
    assert_eq!(error, "Your card was declined.");
    assert!(text_of(&browser, &t(By::Css, ".toast"))
        .await
        .contains("Payment Failed"));

    // Try again with a new 4242 card: paid; the subscription recovers in the background.
    browser
        .click(&t(By::Text, "Try Again"), WAIT)
        .await
        .unwrap();
    browser
        .click(&t(By::Text, "Use a Different Card"), WAIT)
        .await
        .unwrap();
    fill_card(&browser, "4242 4242 4242 4242").await;
    browser.click(&t(By::Text, "Pay Now"), WAIT).await.unwrap();
    let toast = wait_text(&browser, &t(By::Css, ".toast"), |s| {
        s.contains("Payment Successful")
    })
    .await;
    assert!(
        toast.contains("Your payment has been processed successfully!"),
        "{toast}"
    );
    wait_status(&mock, &sid, "active").await;
    browser
        .goto(&browser.current_url().await.unwrap())
        .await
        .unwrap();
    wait_text(&browser, &id("subscription-status"), |s| s == "Active").await;
    let (_, orders) = rest(
        &mock,
        reqwest::Method::GET,
        &format!("/v1/orders/?customer_id={customer_id}"),
        None,
    )
    .await;
    assert!(
        orders["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["status"] == "paid"),
        "{orders}"
    );

    browser.close().await;
}
