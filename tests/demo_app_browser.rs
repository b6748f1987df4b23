//! The demo app and the mock Polar wired together (`testbed::local::start_local`), driven in
//! real headless Chromium over real HTTP: a new workspace buys 3 seats through the mock's
//! hosted checkout, comes back active (webhooks delivered by the mock, signed, verified by
//! the app), chats, cancels in the portal and sees "Canceling" after Refresh; with
//! enforcement, a failed renewal makes it past due, turns are refused with the billing dialog
//! open, and updating the card in the portal recovers it.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::{
    count_visible, fill_card, id, label, text, text_of, wait_text, wait_text_for, wait_url, WAIT,
};
use walkthrough::browser::{Browser, BrowserOptions};
use walkthrough::testbed::local::{start_local, LocalTestbed};

/// Webhook-driven state may take a few polls.
const EVENTUALLY: Duration = Duration::from_secs(15);

async fn launch() -> (Browser, tempfile::TempDir) {
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");
    (browser, logs)
}

async fn control(testbed: &LocalTestbed, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", testbed.mock.control_url()))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

/// The one subscription in the mock.
fn subscription(testbed: &LocalTestbed) -> Value {
    let state = testbed.mock.state_json();
    let subs = state["subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "{state}");
    subs[0].clone()
}

/// `/new` → members up to `seats` → Billing shows Free → Upgrade → the mock's checkout for
/// `seats` seats → paid with `card` → back at `/new?billing=success` → Active.
async fn buy_seats(browser: &Browser, testbed: &LocalTestbed, seats: usize, card: &str) {
    let app = testbed.app_url();
    browser.goto(&format!("{app}/new")).await.unwrap();
    browser
        .wait_visible(
            &support::t(walkthrough::browser::By::Css, "body[data-ready=true]"),
            WAIT,
        )
        .await
        .unwrap();
    browser.click(&id("account-menu"), WAIT).await.unwrap();
    browser.click(&text("Billing"), WAIT).await.unwrap();
    wait_text(browser, &id("billing-status"), |s| s == "Free").await;
    wait_text(browser, &id("billing-seats"), |s| s == "1").await;
    browser.click(&id("billing-close"), WAIT).await.unwrap();

    for n in 2..=seats {
        browser
            .fill(&label("Member email"), &format!("member{n}@acme.dev"), WAIT)
            .await
            .unwrap();
        browser.click(&text("Add member"), WAIT).await.unwrap();
        let want = n.to_string();
        wait_text(browser, &id("member-count"), |s| s == want).await;
    }

    browser.click(&id("account-menu"), WAIT).await.unwrap();
    browser.click(&text("Billing"), WAIT).await.unwrap();
    let want = seats.to_string();
    wait_text(browser, &id("billing-seats"), |s| s == want).await;
    assert_eq!(text_of(browser, &id("billing-plan")).await, "Tegy Pro");
    browser.click(&text("Upgrade"), WAIT).await.unwrap();

    // The mock's hosted checkout: right product and seats.
    wait_url(browser, |u| {
        u.starts_with(&format!("{}/checkout/", testbed.mock.base_url()))
    })
    .await;
    assert_eq!(
        text_of(browser, &id("checkout-product-name")).await,
        "Tegy Pro"
    );
    // Fixed seats: Polar's bare count beside "Seats", and the seat row of the breakdown.
    let selector = text_of(browser, &id("checkout-seats")).await;
    assert_eq!(
        selector.split_whitespace().collect::<Vec<_>>(),
        ["Seats", want.as_str()]
    );
    let row = text_of(browser, &id(&format!("detail-row-{seats} seats"))).await;
    assert!(
        row.contains(&format!("{seats} seats · $20 per seat")),
        "{row}"
    );
    assert_eq!(
        text_of(browser, &id("checkout-amount")).await,
        format!("${} / mo", 20 * seats)
    );
    browser
        .fill(&label("Email"), "owner@acme.dev", WAIT)
        .await
        .unwrap();
    browser
        .fill(&label("Cardholder name"), "Owner", WAIT)
        .await
        .unwrap();
    browser
        .select(&text("Country"), "Germany", WAIT)
        .await
        .unwrap();
    fill_card(browser, card).await;
    browser.click(&text("Subscribe now"), WAIT).await.unwrap();

    // Back in the app, which confirms the purchase.
    let back = wait_url(browser, |u| {
        u.starts_with(&format!("{app}/new?billing=success"))
    })
    .await;
    assert!(back.contains("checkout_id="), "{back}");
    // The portal session token Polar appends is dropped from the address bar.
    let shown = wait_url(browser, |u| !u.contains("customer_session_token")).await;
    assert!(shown.contains("billing=success&checkout_id="), "{shown}");
    wait_text_for(browser, &id("billing-status"), EVENTUALLY, |s| {
        s == "Active"
    })
    .await;
    wait_text(browser, &id("billing-notice"), |s| {
        s == "Purchase complete. Your subscription is active."
    })
    .await;
    assert_eq!(text_of(browser, &id("billing-seats")).await, want);
}

/// Sends a prompt and waits for the assistant's answer.
async fn chat(browser: &Browser, prompt: &str) {
    let before = count_visible(browser, &id("turn-assistant")).await;
    browser
        .fill(&id("prompt-input"), prompt, WAIT)
        .await
        .unwrap();
    browser.click(&text("Send"), WAIT).await.unwrap();
    let started = std::time::Instant::now();
    while count_visible(browser, &id("turn-assistant")).await != before + 1 {
        assert!(
            started.elapsed() < WAIT,
            "no assistant answer: {}",
            browser.page_text().await.unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(browser
        .probe(&id("chat-error"))
        .await
        .unwrap()
        .first_visible()
        .is_none());
}

/// Every delivery the mock made was accepted by the app (so every signature verified).
fn assert_deliveries_accepted(testbed: &LocalTestbed, must_include: &[&str]) {
    let deliveries = testbed.mock.deliveries();
    for d in &deliveries {
        assert!(
            d.succeeded && d.status_code == Some(200),
            "the app refused a delivery: {d:?}"
        );
    }
    for event in must_include {
        assert!(
            deliveries.iter().any(|d| d.event_type == *event),
            "{event} was delivered"
        );
    }
}

#[tokio::test]
async fn new_user_buys_seats_chats_and_cancels_in_the_portal() {
    let testbed = start_local(false).await.unwrap();
    let (browser, _logs) = launch().await;

    buy_seats(&browser, &testbed, 3, "4242 4242 4242 4242").await;
    assert!(testbed.mock.settle(EVENTUALLY).await);
    assert_deliveries_accepted(&testbed, &["subscription.created", "subscription.active"]);
    let sub = subscription(&testbed);
    assert_eq!(sub["seats"], 3);
    assert_eq!(sub["amount"], 6000);

    // A turn under the active entitlement.
    browser.click(&text("Close"), WAIT).await.unwrap();
    chat(&browser, "Summarise our Q3 plan").await;

    // Portal: cancel at period end, back to the app.
    browser.click(&id("account-menu"), WAIT).await.unwrap();
    browser.click(&text("Billing"), WAIT).await.unwrap();
    browser.click(&text("Manage billing"), WAIT).await.unwrap();
    wait_url(&browser, |u| {
        u.contains("/tegy/portal/overview?customer_session_token=")
    })
    .await;
    // 3 seats × $20: Polar's card shows the amount.
    assert_eq!(
        text_of(&browser, &id("subscription-amount")).await,
        "$60 / mo"
    );
    browser
        .click(&text("Manage subscription"), WAIT)
        .await
        .unwrap();
    browser
        .click(&support::label("Cancel subscription"), WAIT)
        .await
        .unwrap();
    browser
        .click(
            &support::t(
                walkthrough::browser::By::Xpath,
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
    browser.click(&text("Back to Tegy"), WAIT).await.unwrap();
    wait_url(&browser, |u| u.ends_with("/new?billing=portal")).await;
    browser.click(&text("Refresh"), WAIT).await.unwrap();
    wait_text_for(&browser, &id("billing-status"), EVENTUALLY, |s| {
        s == "Canceling"
    })
    .await;
    let end = subscription(&testbed)["current_period_end"]
        .as_str()
        .unwrap()[..10]
        .to_string();
    assert_eq!(text_of(&browser, &id("billing-date")).await, end);
    assert!(browser
        .wait_visible(
            &support::t(walkthrough::browser::By::Css, "dt#billing-date-label"),
            WAIT
        )
        .await
        .unwrap()
        .text
        .starts_with("Ends"));
    assert!(testbed.mock.settle(EVENTUALLY).await);
    assert_deliveries_accepted(&testbed, &["subscription.canceled"]);

    // Still entitled while canceling: another turn succeeds.
    browser.click(&text("Close"), WAIT).await.unwrap();
    chat(&browser, "And Q4?").await;

    browser.close().await;
    testbed.shutdown().await;
}

#[tokio::test]
async fn past_due_blocks_turns_until_the_card_is_updated() {
    let testbed = start_local(true).await.unwrap();
    let (browser, _logs) = launch().await;

    // Stripe's 0341 is declined at checkout (Polar's too), so the renewal is made to fail.
    buy_seats(&browser, &testbed, 2, "4242 4242 4242 4242").await;
    browser.click(&text("Close"), WAIT).await.unwrap();
    chat(&browser, "hello").await;

    // The renewal fails: past due, delivered to the app.
    control(&testbed, "/next-charge", json!({"outcome": "fail"})).await;
    let advanced = control(&testbed, "/advance-period", json!({})).await;
    assert_eq!(
        advanced["subscriptions"][0]["status"], "past_due",
        "{advanced}"
    );
    assert!(testbed.mock.settle(EVENTUALLY).await);
    assert_deliveries_accepted(&testbed, &["subscription.past_due"]);

    // A turn is refused (402): the error shows, the dialog opens, no answer is added.
    let answers = count_visible(&browser, &id("turn-assistant")).await;
    browser
        .fill(&id("prompt-input"), "are we still on?", WAIT)
        .await
        .unwrap();
    browser.click(&text("Send"), WAIT).await.unwrap();
    let error = text_of(&browser, &id("chat-error")).await;
    assert!(error.contains("no active subscription"), "{error}");
    browser
        .wait_visible(&id("billing-dialog"), WAIT)
        .await
        .unwrap();
    assert_eq!(
        text_of(&browser, &id("billing-notice")).await,
        "Your workspace needs an active subscription to keep chatting."
    );
    wait_text(&browser, &id("billing-status"), |s| s == "Past due").await;
    assert_eq!(
        count_visible(&browser, &id("turn-assistant")).await,
        answers
    );
    assert_eq!(
        text_of(&browser, &id("prompt-input")).await,
        "are we still on?",
        "the prompt stays in the box"
    );

    // Recover in the portal with a good card.
    browser.click(&text("Manage billing"), WAIT).await.unwrap();
    wait_url(&browser, |u| u.contains("/tegy/portal/overview?")).await;
    let row = text_of(&browser, &id("inactive-subscription")).await;
    assert!(row.contains("Past Due"), "{row}");
    // Billing → Add Payment Method: the new default card retries the past-due order.
    browser.click(&text("Billing"), WAIT).await.unwrap();
    browser
        .click(&text("Add Payment Method"), WAIT)
        .await
        .unwrap();
    browser
        .enter_frame(
            &support::t(walkthrough::browser::By::Css, "body > iframe:not([title])"),
            WAIT,
        )
        .await
        .unwrap();
    fill_card(&browser, "4242 4242 4242 4242").await;
    browser
        .click(
            &support::t(
                walkthrough::browser::By::Xpath,
                "//button[normalize-space()='Add payment method']",
            ),
            WAIT,
        )
        .await
        .unwrap();
    browser.top_frame().await.unwrap();
    let methods = wait_text(&browser, &id("payment-methods"), |s| s.contains("4242")).await;
    assert!(methods.contains("Default Method"), "{methods}");
    // The retry with the new default card is a background job (as Polar enqueues it): the
    // Overview, which shows the state it was loaded with, is opened until it shows Active.
    let started = std::time::Instant::now();
    loop {
        browser.click(&text("Overview"), WAIT).await.unwrap();
        let probe = browser.probe(&id("subscription-status")).await.unwrap();
        if probe.first_visible().is_some_and(|m| m.text == "Active") {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "never Active: {}",
            browser.page_text().await.unwrap_or_default()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(testbed.mock.settle(EVENTUALLY).await);
    assert_deliveries_accepted(&testbed, &["subscription.active"]);

    browser.click(&text("Back to Tegy"), WAIT).await.unwrap();
    wait_url(&browser, |u| u.ends_with("/new?billing=portal")).await;
    wait_text_for(&browser, &id("billing-status"), EVENTUALLY, |s| {
        s == "Active"
    })
    .await;
    browser.click(&text("Close"), WAIT).await.unwrap();
    chat(&browser, "are we still on?").await;
    assert_eq!(subscription(&testbed)["status"], "active");

    browser.close().await;
    testbed.shutdown().await;
}
