//! The browser module against real headless Chromium and the fixture pages served on an
//! ephemeral loopback port: forms, iframes, late elements, a second origin, viewport size,
//! and that no driver or browser process outlives `close`.

use std::path::Path;
use std::time::Duration;

use walkthrough::browser::{Browser, BrowserError, BrowserOptions, Target, TargetKind};
use walkthrough::demo_app::fixture_pages::StaticSite;
use walkthrough::process::group_members;

const WAIT: Duration = Duration::from_secs(5);

async fn setup() -> (StaticSite, Browser, tempfile::TempDir) {
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .expect("fixture site");
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed by scripts/setup.sh");
    (site, browser, logs)
}

fn t(kind: TargetKind, value: &str) -> Target {
    Target {
        kind,
        value: value.to_string(),
    }
}

#[tokio::test]
async fn form_is_filled_by_label_and_submitted_by_text() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/form.html", site.url()))
        .await
        .unwrap();
    browser
        .fill(&t(TargetKind::Label, "Email"), "ada@example.com", WAIT)
        .await
        .unwrap();
    // A label that wraps its input, and an aria-label.
    browser
        .fill(&t(TargetKind::Label, "Full name"), "Ada", WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(TargetKind::Label, "Seats"), "3", WAIT)
        .await
        .unwrap();
    browser
        .select(&t(TargetKind::Label, "Billing country"), "Germany", WAIT)
        .await
        .unwrap();
    browser
        .click(&t(TargetKind::Text, "Create account"), WAIT)
        .await
        .unwrap();
    let result = browser
        .wait_visible(&t(TargetKind::TestId, "result"), WAIT)
        .await
        .unwrap();
    assert_eq!(
        result.text,
        "Welcome Ada <ada@example.com> from DE with 3 seat(s)"
    );
    let err = browser
        .select(
            &t(TargetKind::Label, "Billing country"),
            "Narnia",
            Duration::from_millis(300),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no option \"Narnia\""), "{err}");
    browser.close().await;
}

#[tokio::test]
async fn iframe_is_entered_and_left() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/frame.html", site.url()))
        .await
        .unwrap();
    browser
        .enter_frame(
            &t(
                TargetKind::Css,
                "iframe[title='Secure payment input frame']",
            ),
            WAIT,
        )
        .await
        .unwrap();
    browser
        .fill(
            &t(
                TargetKind::Css,
                "[data-elements-stable-field-name=cardNumber]",
            ),
            "4242 4242 4242 4242",
            WAIT,
        )
        .await
        .unwrap();
    browser
        .click(&t(TargetKind::Text, "Pay"), WAIT)
        .await
        .unwrap();
    let status = browser
        .wait_visible(&t(TargetKind::TestId, "card-status"), WAIT)
        .await
        .unwrap();
    assert_eq!(status.text, "Card accepted");
    // Inside the frame the parent's elements are out of reach…
    assert!(browser
        .probe(&t(TargetKind::TestId, "outside"))
        .await
        .unwrap()
        .matches
        .is_empty());
    browser.leave_frame().await.unwrap();
    // …and back outside they are there again.
    assert!(browser
        .probe(&t(TargetKind::TestId, "outside"))
        .await
        .unwrap()
        .any_visible());
    browser.close().await;
}

#[tokio::test]
async fn late_elements_are_waited_for_and_missing_ones_time_out() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/late.html", site.url()))
        .await
        .unwrap();
    browser
        .click(&t(TargetKind::Text, "Load results"), WAIT)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let late = browser
        .wait_visible(&t(TargetKind::TestId, "late"), WAIT)
        .await
        .unwrap();
    assert_eq!(late.text, "Loaded late");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "it really was late"
    );
    let err = browser
        .wait_visible(&t(TargetKind::TestId, "never"), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, BrowserError::NotFound { .. }), "{err}");
    let err = browser.probe(&t(TargetKind::Css, "p[")).await.unwrap_err();
    assert!(err.to_string().contains("not a valid locator"), "{err}");
    browser.close().await;
}

#[tokio::test]
async fn navigates_to_a_second_origin_and_back() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/origin.html", site.url()))
        .await
        .unwrap();
    let first = browser.current_url().await.unwrap();
    assert!(first.starts_with("http://127.0.0.1:"), "{first}");
    browser
        .click(&t(TargetKind::TestId, "to-second"), WAIT)
        .await
        .unwrap();
    let second = browser
        .wait_visible(&t(TargetKind::Text, "Second origin"), WAIT)
        .await;
    assert!(second.is_ok(), "second origin loaded");
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .starts_with("http://localhost:"));
    browser
        .click(&t(TargetKind::Text, "Back to the first origin"), WAIT)
        .await
        .unwrap();
    browser
        .wait_visible(&t(TargetKind::Text, "First origin"), WAIT)
        .await
        .unwrap();
    let back = browser.current_url().await.unwrap();
    assert!(
        back.starts_with("http://127.0.0.1:") && back.contains("returned=1"),
        "{back}"
    );
    browser.close().await;
}

#[tokio::test]
async fn viewport_is_exactly_1280x800_and_screenshots_are_png() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/index.html", site.url()))
        .await
        .unwrap();
    assert_eq!(browser.viewport().await.unwrap(), (1280, 800));
    let png = browser.screenshot().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // The IHDR chunk holds width and height.
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 800));
    browser.close().await;
}

#[tokio::test]
async fn close_leaves_no_driver_or_browser_process() {
    let (_site, browser, _logs) = setup().await;
    let pgid = browser.driver_pid().expect("a driver was started");
    assert!(
        group_members(pgid).len() >= 2,
        "chromedriver and chromium run in the driver's group"
    );
    browser.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(group_members(pgid), Vec::<i32>::new());
}

#[tokio::test]
async fn a_missing_driver_is_a_setup_error_with_a_fix() {
    let logs = tempfile::tempdir().unwrap();
    let mut options = BrowserOptions::new(logs.path());
    options.chromedriver = "/nonexistent/chromedriver".into();
    let err = match Browser::launch(&options).await {
        Ok(_) => panic!("launch must fail"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(matches!(err, BrowserError::Setup { .. }));
    assert!(
        text.contains("chromedriver not found") && text.contains("fix:"),
        "{text}"
    );
}

/// The events and value a field of fixtures/pages/typing.html ended with.
async fn field(browser: &Browser, id: &str) -> (String, serde_json::Value) {
    let value = browser
        .eval_json(
            &format!("return document.getElementById('{id}').value;"),
            vec![],
        )
        .await
        .unwrap();
    let log = browser
        .eval_json(
            "return JSON.parse(document.querySelector('[data-testid=log]').textContent);",
            vec![],
        )
        .await
        .unwrap();
    (
        value.as_str().unwrap_or_default().to_string(),
        log[id].clone(),
    )
}

#[tokio::test]
async fn fill_sets_the_value_in_one_edit_and_type_sends_every_key() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/typing.html", site.url()))
        .await
        .unwrap();
    // fill: the old text is replaced in one edit; input and change fire once, no keys.
    browser
        .fill(&t(TargetKind::Label, "Plain"), "new value", WAIT)
        .await
        .unwrap();
    let (value, events) = field(&browser, "plain").await;
    assert_eq!(value, "new value");
    assert_eq!(events["input"], 1, "{events}");
    assert_eq!(events["change"], 1, "{events}");
    assert_eq!(events["keydown"], 0, "{events}");
    // A page's mask formats what fill inserts, once.
    browser
        .fill(&t(TargetKind::Label, "Card"), "4242424242424242", WAIT)
        .await
        .unwrap();
    let (value, events) = field(&browser, "card").await;
    assert_eq!(value, "4242 4242 4242 4242");
    assert_eq!(events["input"], 1, "{events}");
    // type: one keystroke per character, each an input.
    browser
        .type_text(&t(TargetKind::Label, "Plain"), "abc", WAIT)
        .await
        .unwrap();
    let (value, events) = field(&browser, "plain").await;
    assert_eq!(value, "abc");
    assert_eq!(events["keydown"], 3, "{events}");
    // A disabled field is not filled: the error says why, after the timeout.
    let err = browser
        .fill(
            &t(TargetKind::Label, "Locked"),
            "x",
            Duration::from_millis(300),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("disabled"), "{err}");
    browser.close().await;
}
