//! The step observer against the real mock Polar, the real demo app and headless Chromium:
//! the entitlement is read inside the page with the browser's cookie session (before: no
//! subscription; after a paid checkout: active), the webhooks the mock delivered in the
//! step's window are reported with their outcome, and a page on another origin yields no
//! state rather than someone else's.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures_util::FutureExt;
use serde_json::{json, Value};

use walkthrough::browser::{Browser, BrowserOptions};
use walkthrough::demo_app::{DemoApp, DemoAppConfig};
use walkthrough::polar_mock::{MockConfig, MockPolar};
use walkthrough::runner::Observer;
use walkthrough::testbed::observer::AppObserver;

#[tokio::test]
async fn reports_state_before_and_after_and_the_step_webhooks() {
    let mock = Arc::new(MockPolar::start(MockConfig::default()).await.unwrap());
    let app = DemoApp::start(DemoAppConfig {
        port: None,
        db_path: None,
        enforce: false,
        polar_api_url: mock.base_url(),
        polar_token: mock.token(),
        product_id: mock.product_id(),
        webhook_secret: None,
    })
    .await
    .expect("demo app starts against the mock");
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");
    // An assertion that fails inside still lets the browser and the app close first.
    let result = std::panic::AssertUnwindSafe(scenario(&browser, &mock, &app.url()))
        .catch_unwind()
        .await;
    browser.close().await;
    app.shutdown().await;
    match result {
        Ok(outcome) => outcome.unwrap(),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

async fn scenario(browser: &Browser, mock: &Arc<MockPolar>, app_url: &str) -> Result<(), String> {
    let base = url::Url::parse(app_url).unwrap();
    let observer = AppObserver::new(&base, Some(mock.clone()));

    // Not on the app yet: no state to borrow.
    browser.goto("about:blank").await.unwrap();
    let none = observer.before_step(browser).await;
    assert_eq!(none, None, "another origin must give no state");

    browser
        .goto(base.join("/new").unwrap().as_str())
        .await
        .unwrap();
    let before = observer
        .before_step(browser)
        .await
        .ok_or("no state on the app's origin")?;
    assert_eq!(before["entitled"], false, "{before}");
    let workspace = before["workspace_id"].clone();

    let since = Utc::now();
    // The page starts a checkout with its own session; the buyer pays on the mock.
    browser
        .eval_json(
            "window.__checkout = null;
             fetch('/api/billing/checkout', {method: 'POST', credentials: 'same-origin'})
               .then((r) => r.json()).then((b) => { window.__checkout = b; });
             return null;",
            vec![],
        )
        .await
        .unwrap();
    let checkout = poll(browser, "return window.__checkout;").await?;
    let checkout_url = checkout["url"].as_str().ok_or(format!("{checkout}"))?;
    let client_secret = checkout_url.rsplit('/').next().unwrap();
    let paid = reqwest::Client::new()
        .post(format!(
            "{}/v1/checkouts/client/{client_secret}/confirm",
            mock.base_url()
        ))
        .json(
            &json!({"customer_email": "owner@acme.dev", "customer_name": "Olga Owner",
            "customer_billing_address": {"country": "DE"}, "seats": checkout["seats"],
            "card": {"number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(paid.status(), 200);

    let (after, hooks) = observer.after_step(browser, since).await;
    let after = after.ok_or("no state after the step")?;
    assert_eq!(after["workspace_id"], workspace, "same cookie session");
    assert_eq!(after["status"], "active", "{after}");
    assert_eq!(after["entitled"], true, "{after}");
    assert!(!hooks.is_empty(), "the purchase delivered webhooks");
    assert!(
        hooks.iter().any(|h| h.event_type == "subscription.active"),
        "{hooks:?}"
    );
    assert!(hooks
        .iter()
        .all(|h| h.succeeded && h.status_code.is_some_and(|c| (200..300).contains(&c))));
    assert!(hooks
        .iter()
        .all(|h| chrono::DateTime::parse_from_rfc3339(&h.at).unwrap() >= since));

    // A later window sees none of them.
    let (_, later) = observer.after_step(browser, Utc::now()).await;
    assert!(later.is_empty(), "{later:?}");
    Ok(())
}

async fn poll(browser: &Browser, script: &str) -> Result<Value, String> {
    let started = Instant::now();
    loop {
        let v = browser.eval_json(script, vec![]).await.unwrap();
        if !v.is_null() {
            return Ok(v);
        }
        if started.elapsed() > Duration::from_secs(10) {
            return Err(format!("timed out waiting for {script}"));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
