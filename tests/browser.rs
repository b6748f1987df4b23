//! The browser module against real headless Chromium and the fixture pages served on an
//! ephemeral loopback port: forms, comboboxes, iframes (nested), late elements, a second
//! origin, viewport size,
//! and that no driver or browser process outlives `close`.

use std::path::Path;
use std::time::{Duration, Instant};

use walkthrough::browser::{
    Browser, BrowserError, BrowserOptions, By, Chosen, Locator, Presence, TextTest, Waited,
};
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

fn t(kind: By, value: &str) -> Locator {
    Locator {
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
        .fill(&t(By::Label, "Email"), "ada@example.com", WAIT)
        .await
        .unwrap();
    // A label that wraps its input, and an aria-label.
    browser
        .fill(&t(By::Label, "Full name"), "Ada", WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Seats"), "3", WAIT)
        .await
        .unwrap();
    browser
        .select(&t(By::Label, "Billing country"), "Germany", WAIT)
        .await
        .unwrap();
    browser
        .click(&t(By::Text, "Create account"), WAIT)
        .await
        .unwrap();
    let result = browser
        .wait_visible(&t(By::TestId, "result"), WAIT)
        .await
        .unwrap();
    assert_eq!(
        result.text,
        "Welcome Ada <ada@example.com> from DE with 3 seat(s)"
    );
    let err = browser
        .select(
            &t(By::Label, "Billing country"),
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
            &t(By::Css, "iframe[title='Secure payment input frame']"),
            WAIT,
        )
        .await
        .unwrap();
    browser
        .fill(
            &t(By::Css, "[data-elements-stable-field-name=cardNumber]"),
            "4242 4242 4242 4242",
            WAIT,
        )
        .await
        .unwrap();
    browser.click(&t(By::Text, "Pay"), WAIT).await.unwrap();
    let status = browser
        .wait_visible(&t(By::TestId, "card-status"), WAIT)
        .await
        .unwrap();
    assert_eq!(status.text, "Card accepted");
    // Inside the frame the parent's elements are out of reach…
    assert!(browser
        .probe(&t(By::TestId, "outside"))
        .await
        .unwrap()
        .matches
        .is_empty());
    browser.leave_frame().await.unwrap();
    // …and back outside they are there again.
    assert!(browser
        .probe(&t(By::TestId, "outside"))
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
        .click(&t(By::Text, "Load results"), WAIT)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let late = browser
        .wait_visible(&t(By::TestId, "late"), WAIT)
        .await
        .unwrap();
    assert_eq!(late.text, "Loaded late");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "it really was late"
    );
    let err = browser
        .wait_visible(&t(By::TestId, "never"), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, BrowserError::NotFound { .. }), "{err}");
    let err = browser.probe(&t(By::Css, "p[")).await.unwrap_err();
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
        .click(&t(By::TestId, "to-second"), WAIT)
        .await
        .unwrap();
    let second = browser
        .wait_visible(&t(By::Text, "Second origin"), WAIT)
        .await;
    assert!(second.is_ok(), "second origin loaded");
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .starts_with("http://localhost:"));
    browser
        .click(&t(By::Text, "Back to the first origin"), WAIT)
        .await
        .unwrap();
    browser
        .wait_visible(&t(By::Text, "First origin"), WAIT)
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
        .fill(&t(By::Label, "Plain"), "new value", WAIT)
        .await
        .unwrap();
    let (value, events) = field(&browser, "plain").await;
    assert_eq!(value, "new value");
    assert_eq!(events["input"], 1, "{events}");
    assert_eq!(events["change"], 1, "{events}");
    assert_eq!(events["keydown"], 0, "{events}");
    // A page's mask formats what fill inserts, once.
    browser
        .fill(&t(By::Label, "Card"), "4242424242424242", WAIT)
        .await
        .unwrap();
    let (value, events) = field(&browser, "card").await;
    assert_eq!(value, "4242 4242 4242 4242");
    assert_eq!(events["input"], 1, "{events}");
    // type: one keystroke per character, each an input.
    browser
        .type_text(&t(By::Label, "Plain"), "abc", WAIT)
        .await
        .unwrap();
    let (value, events) = field(&browser, "plain").await;
    assert_eq!(value, "abc");
    assert_eq!(events["keydown"], 3, "{events}");
    // A disabled field is not filled: the error says why, after the timeout.
    let err = browser
        .fill(&t(By::Label, "Locked"), "x", Duration::from_millis(300))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("disabled"), "{err}");
    browser.close().await;
}

/// The WebDriver commands the driver has logged so far, by name (`ExecuteAsyncScript`, …).
/// The session's own start is always among them, so an empty list means the log is not
/// being written, and every check on it would pass for nothing: that is a failure.
fn commands(logs: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(logs.join("chromedriver.log"))
        .expect("chromedriver writes its log into the session's log folder");
    let commands: Vec<String> = log
        .lines()
        .filter_map(|line| line.split("] COMMAND ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .map(str::to_string)
        .collect();
    assert!(
        !commands.is_empty(),
        "chromedriver's log names no command: is it still logging at this level?"
    );
    commands
}

/// The commands `during` sends (at least one: everything measured here talks to the driver).
async fn commands_of<F: std::future::Future>(logs: &Path, during: F) -> (F::Output, Vec<String>) {
    let before = commands(logs).len();
    let output = during.await;
    let sent = commands(logs)[before..].to_vec();
    assert!(!sent.is_empty(), "the driver logged no command for this");
    (output, sent)
}

#[tokio::test]
async fn a_late_element_is_found_by_a_wait_in_the_page_not_by_polling() {
    let (site, browser, logs) = setup().await;
    browser
        .goto(&format!("{}/waits.html", site.url()))
        .await
        .unwrap();
    browser.click(&t(By::Css, "#show"), WAIT).await.unwrap();
    let started = Instant::now();
    let (shown, sent) = commands_of(
        logs.path(),
        browser.wait_visible(&t(By::TestId, "shown"), WAIT),
    )
    .await;
    let took = started.elapsed();
    assert_eq!(shown.unwrap().text, "Shown late");
    assert!(took >= Duration::from_millis(200), "it was late: {took:?}");
    // One script call per second of waiting at most; polling every 100 ms would be 3+.
    assert!(sent.iter().all(|c| c == "ExecuteAsyncScript"), "{sent:?}");
    assert!(
        sent.len() as u128 <= took.as_millis() / 1000 + 1,
        "{sent:?} in {took:?}"
    );
    browser.close().await;
}

#[tokio::test]
async fn actions_find_scroll_and_act_in_one_script_then_click_with_a_pointer() {
    let (site, browser, logs) = setup().await;
    browser
        .goto(&format!("{}/form.html", site.url()))
        .await
        .unwrap();
    let (filled, sent) = commands_of(
        logs.path(),
        browser.fill(&t(By::Label, "Email"), "ada@example.com", WAIT),
    )
    .await;
    filled.unwrap();
    assert_eq!(sent, ["ExecuteAsyncScript"]);
    let (selected, sent) = commands_of(
        logs.path(),
        browser.select(&t(By::Label, "Billing country"), "Germany", WAIT),
    )
    .await;
    selected.unwrap();
    assert_eq!(sent, ["ExecuteAsyncScript"]);
    browser
        .fill(&t(By::Label, "Full name"), "Ada", WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Seats"), "3", WAIT)
        .await
        .unwrap();
    // The click is a WebDriver pointer action (real pointer events) after the one script.
    let (clicked, sent) = commands_of(
        logs.path(),
        browser.click(&t(By::Text, "Create account"), WAIT),
    )
    .await;
    clicked.unwrap();
    assert_eq!(sent, ["ExecuteAsyncScript", "PerformActions"]);
    let result = browser
        .wait_visible(&t(By::TestId, "result"), WAIT)
        .await
        .unwrap();
    assert_eq!(
        result.text,
        "Welcome Ada <ada@example.com> from DE with 3 seat(s)"
    );
    browser.close().await;
}

#[tokio::test]
async fn waits_go_on_across_a_navigation_and_a_frame_that_reloads() {
    let (site, browser, logs) = setup().await;
    let page = format!("{}/waits.html", site.url());
    browser.goto(&page).await.unwrap();
    // The page navigates 300 ms after the click; the new page shows the element later.
    browser.click(&t(By::Css, "#leave"), WAIT).await.unwrap();
    let (arrived, sent) = commands_of(
        logs.path(),
        browser.wait_visible(&t(By::TestId, "arrived"), WAIT),
    )
    .await;
    assert_eq!(arrived.unwrap().text, "Arrived");
    assert!(sent.iter().all(|c| c == "ExecuteAsyncScript"), "{sent:?}");
    assert!(browser.current_url().await.unwrap().contains("arrived=1"));
    // The same for a text wait on the whole page.
    browser.goto(&page).await.unwrap();
    browser.click(&t(By::Css, "#leave"), WAIT).await.unwrap();
    let waited = browser
        .wait_text(None, &TextTest::Contains("Arrived".into()), WAIT, |text| {
            text.contains("Arrived")
        })
        .await
        .unwrap();
    assert!(matches!(waited, Waited::Held(Some(_))), "{waited:?}");
    // Inside a frame that navigates itself.
    browser.goto(&page).await.unwrap();
    browser
        .enter_frame(&t(By::Css, "iframe"), WAIT)
        .await
        .unwrap();
    browser
        .click(&t(By::Text, "Reload the frame"), WAIT)
        .await
        .unwrap();
    let (again, sent) = commands_of(
        logs.path(),
        browser.wait_visible(&t(By::TestId, "again"), WAIT),
    )
    .await;
    assert!(sent.iter().all(|c| c == "ExecuteAsyncScript"), "{sent:?}");
    assert_eq!(again.unwrap().text, "Reloaded");
    browser.close().await;
}

#[tokio::test]
async fn text_waits_use_the_matcher_in_the_page_and_the_callers_check() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/waits.html", site.url()))
        .await
        .unwrap();
    let status = t(By::TestId, "status");
    browser.click(&t(By::Css, "#activate"), WAIT).await.unwrap();
    // Whitespace is folded: the page wrote "Active  since\n2026-01-01".
    let equals = TextTest::Equals("Active since 2026-01-01".into());
    let waited = browser
        .wait_text(Some(&status), &equals, WAIT, |_| true)
        .await
        .unwrap();
    assert!(
        matches!(&waited, Waited::Held(Some(text)) if text == "Active since 2026-01-01"),
        "{waited:?}"
    );
    // A pattern JavaScript cannot run as Rust does (an inline flag): the caller decides.
    let re = regex::Regex::new(r"(?i)^ACTIVE since \d{4}").unwrap();
    let pattern = TextTest::Matches(re.as_str().into());
    let waited = browser
        .wait_text(Some(&status), &pattern, WAIT, |text| re.is_match(text))
        .await
        .unwrap();
    assert!(matches!(waited, Waited::Held(_)), "{waited:?}");
    // The page's verdict is not the last word: the caller's check can refuse it.
    let started = Instant::now();
    let waited = browser
        .wait_text(
            None,
            &TextTest::Contains("Active".into()),
            Duration::from_millis(400),
            |_| false,
        )
        .await
        .unwrap();
    assert!(
        matches!(&waited, Waited::TimedOut(Ok(Some(text))) if text.contains("Active")),
        "{waited:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(400));
    // A field disabled for 300 ms is filled once it is enabled.
    browser.click(&t(By::Css, "#unlock"), WAIT).await.unwrap();
    browser
        .fill(&t(By::Label, "Code"), "X-42", WAIT)
        .await
        .unwrap();
    let value = browser
        .eval_json("return document.getElementById('code').value;", vec![])
        .await
        .unwrap();
    assert_eq!(value, "X-42");
    browser.close().await;
}

#[tokio::test]
async fn waits_that_never_hold_report_what_was_seen_and_the_time_waited() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/waits.html", site.url()))
        .await
        .unwrap();
    let short = Duration::from_millis(400);
    let err = browser
        .wait_visible(&t(By::TestId, "never"), short)
        .await
        .unwrap_err();
    let BrowserError::NotFound { locator, waited_ms } = &err else {
        panic!("{err}");
    };
    assert_eq!(locator, "{ testid: \"never\" }");
    assert!((400..3000).contains(waited_ms), "{err}");
    assert_eq!(
        err.to_string(),
        format!("no element matches {{ testid: \"never\" }} (waited {waited_ms} ms)")
    );
    let err = browser
        .wait_visible(&t(By::TestId, "ghost"), short)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("no element matches { testid: \"ghost\" } (found 1 hidden) (waited "),
        "{err}"
    );
    let err = browser
        .fill(&t(By::Label, "Code"), "x", short)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BrowserError::NotInteractable { reason, .. } if reason == "it is disabled"),
        "{err}"
    );
    let ghost = browser
        .wait_presence(&t(By::TestId, "ghost"), true, short)
        .await
        .unwrap();
    assert!(
        matches!(
            ghost,
            Waited::TimedOut(Ok(Presence {
                matches: 1,
                visible: 0
            }))
        ),
        "{ghost:?}"
    );
    let status = t(By::TestId, "status");
    let shown = browser.wait_presence(&status, false, short).await.unwrap();
    assert!(
        matches!(
            shown,
            Waited::TimedOut(Ok(Presence {
                matches: 1,
                visible: 1
            }))
        ),
        "{shown:?}"
    );
    let text = browser
        .wait_text(
            Some(&status),
            &TextTest::Equals("Active".into()),
            short,
            |_| true,
        )
        .await
        .unwrap();
    assert!(
        matches!(&text, Waited::TimedOut(Ok(Some(seen))) if seen == "Pending"),
        "{text:?}"
    );
    // A broken locator fails at once, without waiting.
    let started = Instant::now();
    let err = browser
        .wait_presence(&t(By::Css, "p["), true, WAIT)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is not a valid locator"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(2));
    browser.close().await;
}

/// Each expectation that never holds, as a scenario of its own: (file, action, message
/// up to the time waited; `None` when it fails at once without waiting).
const NEVER: &[(&str, &str, Option<&str>)] = &[
    (
        "text-in",
        "expect_text: { in: { testid: status }, equals: Active }",
        Some("expect_text: text of { testid: \"status\" }: expected text equal to `Active`, found `Pending`"),
    ),
    (
        "text-missing",
        "expect_text: { in: { testid: nothing }, contains: Active }",
        Some("expect_text: no visible element matches { testid: \"nothing\" }"),
    ),
    (
        "text-page",
        "expect_text: { matches: \"^Never$\" }",
        Some("expect_text: page text: expected text matching `^Never$`, found `Waits Each button"),
    ),
    (
        "visible",
        "expect_visible: { testid: ghost }",
        Some("expect_visible: { testid: \"ghost\" } matches 1 element(s), none visible"),
    ),
    (
        "hidden",
        "expect_hidden: { testid: status }",
        Some("expect_hidden: { testid: \"status\" } is still visible"),
    ),
    (
        "wait-text",
        "wait_for: Never shown",
        Some("wait_for: text \"Never shown\" did not appear"),
    ),
    (
        "wait-element",
        "wait_for: { testid: never }",
        Some("wait_for: no element matches { testid: \"never\" }"),
    ),
    (
        "click",
        "click: Nowhere",
        Some("click { text: \"Nowhere\" }: no element matches { text: \"Nowhere\" }"),
    ),
    (
        "fill",
        "fill: { label: Code, value: x }",
        Some("fill { label: \"Code\" }: { label: \"Code\" } is not interactable: it is disabled"),
    ),
    (
        "select",
        "select: { label: Code, option: x }",
        Some("select \"x\" in { label: \"Code\" }: { label: \"Code\" } is not interactable: not a <select> but a <input>"),
    ),
    (
        "broken",
        "expect_visible: { css: \"p[\" }",
        None,
    ),
];

#[tokio::test(flavor = "multi_thread")]
async fn scenario_expectations_that_never_hold_keep_their_messages_and_locations() {
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, action, _) in NEVER {
        let yaml = format!(
            "name: {name}\nsteps:\n  - name: Open\n    do:\n      - open: /waits.html\n  \
             - name: Never\n    do:\n      - {action}\n"
        );
        std::fs::write(dir.path().join(format!("{name}.yaml")), yaml).unwrap();
    }
    let out = dir.path().join("out");
    let args: Vec<String> = [
        "run",
        &dir.path().display().to_string(),
        "--quiet",
        "--video",
        "off",
        "--timeout",
        "500ms",
        "--app",
        &format!("{}/", site.url()),
        "--out",
        &out.display().to_string(),
    ]
    .iter()
    .map(|a| a.to_string())
    .collect();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_walkthrough"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let waited = regex::Regex::new(r" \(waited (\d+) ms\)$").unwrap();
    for scenario in report["scenarios"].as_array().unwrap() {
        let name = scenario["name"].as_str().unwrap();
        let (_, _, want) = NEVER.iter().find(|(n, _, _)| *n == name).unwrap();
        let error = &scenario["steps"][1]["error"];
        assert_eq!(error["line"], 8, "{name}: {error}");
        assert_eq!(error["column"], 9, "{name}: {error}");
        let message = error["message"].as_str().unwrap();
        match want {
            Some(want) => {
                assert!(message.starts_with(want), "{name}: {message}");
                let ms: u64 = waited.captures(message).expect(message)[1].parse().unwrap();
                assert!((500..5000).contains(&ms), "{name}: {message}");
            }
            None => {
                assert!(
                    message.starts_with("expect_visible: { css: \"p[\" } is not a valid locator: "),
                    "{message}"
                );
                assert!(!waited.is_match(message), "at once: {message}");
            }
        }
    }
    assert_eq!(report["scenarios"].as_array().unwrap().len(), NEVER.len());
}

#[tokio::test]
async fn a_click_waits_until_nothing_covers_its_target() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/waits.html", site.url()))
        .await
        .unwrap();
    let clicks = t(By::TestId, "clicks");
    // Covered for 300 ms more: the click waits, then a real pointer clicks it.
    browser.click(&t(By::Css, "#uncover"), WAIT).await.unwrap();
    browser.click(&t(By::Css, "#covered"), WAIT).await.unwrap();
    let said = browser.wait_visible(&clicks, WAIT).await.unwrap();
    assert_eq!(said.text, "Clicked covered by a pointer");
    // Covered for good: it is not clicked, and the error says what is in the way.
    let err = browser
        .click(&t(By::Css, "#buried"), Duration::from_millis(400))
        .await
        .unwrap_err();
    let BrowserError::NotInteractable { reason, .. } = &err else {
        panic!("{err}");
    };
    assert!(
        reason.starts_with(
            "element click intercepted: Element <button type=\"button\" id=\"buried\">...</button> \
             is not clickable at point ("
        ) && reason.ends_with("Other element would receive the click: <div class=\"cover\"></div>"),
        "{err}"
    );
    let said = browser.wait_visible(&clicks, WAIT).await.unwrap();
    assert_eq!(said.text, "Clicked covered by a pointer");
    browser.close().await;
}

#[tokio::test]
async fn patterns_evaluated_in_the_page_agree_with_rust_regex() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/index.html", site.url()))
        .await
        .unwrap();
    let cases = [
        (r"^a.b$", "a\u{2028}b"),
        (r"\d+", "\u{663}"),
        (r"^\w$", "é"),
        (r"a\sb", "a\u{85}b"),
        (r"^x$", "x\ny"),
        (r"\$60(\.00)? ?/ ?month", "USD $60.00 / month"),
        (r"Renews\s+[0-9]{4}-[0-9]{2}", "Renews\n 2026-01"),
        (r"[^a]", "\n"),
        (r"\x41\-\#", "A-#"),
        (r"\d", "abc"),
        (r"(?P<y>\d{4})", "in 2026"),
        // And where each of them must not match.
        (r"^a.b$", "a\nb"),
        (r"\d+", "x"),
        (r"^\w$", "-"),
        (r"a\sb", "a\u{200b}b"),
        (r"\x41\-\#", "A-"),
    ];
    for (pattern, text) in cases {
        browser
            .eval_json(
                "document.body.style.whiteSpace = 'pre'; document.body.textContent = arguments[0];",
                vec![serde_json::json!(text)],
            )
            .await
            .unwrap();
        let test = TextTest::Matches(pattern.to_string());
        let waited = browser
            .wait_text(None, &test, Duration::ZERO, |_| true)
            .await
            .unwrap();
        let (held, seen) = match waited {
            Waited::Held(Some(seen)) => (true, seen),
            Waited::TimedOut(Ok(Some(seen))) => (false, seen),
            other => panic!("{pattern}: {other:?}"),
        };
        assert_eq!(seen, text, "{pattern}");
        let rust = regex::Regex::new(pattern).unwrap().is_match(text);
        assert_eq!(held, rust, "{pattern} on {text:?}");
    }
    browser.close().await;
}

/// What a page's script says (a JSON value).
async fn js(browser: &Browser, script: &str) -> serde_json::Value {
    browser.eval_json(script, vec![]).await.unwrap()
}

#[tokio::test]
async fn select_opens_an_aria_combobox_and_clicks_its_option_in_the_portal_listbox() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/combobox.html", site.url()))
        .await
        .unwrap();
    // Found by its shown (placeholder) text: it has no accessible name.
    let how = browser
        .select(&t(By::Text, "Country"), "Sweden", WAIT)
        .await
        .unwrap();
    assert_eq!(how, Chosen::Click);
    let trigger = "document.querySelector('[data-picker=country]')";
    let state = js(
        &browser,
        &format!(
            "const b = {trigger}; return [b.innerText.trim(), b.getAttribute('aria-expanded'), \
             document.querySelector('[data-testid=country-native]').value, \
             document.querySelectorAll('[role=listbox]').length];"
        ),
    )
    .await;
    assert_eq!(
        state,
        serde_json::json!(["Sweden\n▾", "false", "Sweden", 0])
    );
    // Found again by css, and an option far down the list (scrolled to), by a unique prefix.
    let how = browser
        .select(&t(By::Css, "[data-picker=country]"), "united s", WAIT)
        .await
        .unwrap();
    assert_eq!(how, Chosen::Click);
    let chosen = browser
        .wait_visible(&t(By::TestId, "chosen"), WAIT)
        .await
        .unwrap();
    assert_eq!(chosen.text, "country=United States");
    // A missing option names what the listbox had; an ambiguous prefix names its matches.
    let err = browser
        .select(
            &t(By::TestId, "country"),
            "Narnia",
            Duration::from_millis(800),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with(
            "{ testid: \"country\" } is not interactable: no option \"Narnia\": the listbox \
             had options: Argentina, Australia, Austria, Belgium, Brazil, Canada, Chile, \
             Denmark, Finland, France, Germany, Greece, … (28 in all) (waited "
        ),
        "{err}"
    );
    let err = browser
        .select(&t(By::TestId, "country"), "Au", Duration::from_millis(800))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"Au\" starts several options: Australia, Austria; name one in full"),
        "{err}"
    );
    browser.close().await;
}

#[tokio::test]
async fn select_types_the_option_and_enter_when_clicking_it_does_not_choose_it() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/combobox.html", site.url()))
        .await
        .unwrap();
    // A combobox with a <label for>: found by its label; its options ignore the pointer.
    let how = browser
        .select(&t(By::Label, "Province"), "Quebec", WAIT)
        .await
        .unwrap();
    assert_eq!(how, Chosen::Keyboard);
    let chosen = browser
        .wait_visible(&t(By::TestId, "chosen"), WAIT)
        .await
        .unwrap();
    assert_eq!(chosen.text, "province=Quebec");
    // A native <select> is still set in the page, as before.
    browser
        .goto(&format!("{}/form.html", site.url()))
        .await
        .unwrap();
    let how = browser
        .select(&t(By::Label, "Billing country"), "Germany", WAIT)
        .await
        .unwrap();
    assert_eq!(how, Chosen::Native);
    browser.close().await;
}

#[tokio::test]
async fn frames_inside_frames_are_entered_by_css_without_a_title_and_left_level_by_level() {
    let (site, browser, _logs) = setup().await;
    browser
        .goto(&format!("{}/nested.html", site.url()))
        .await
        .unwrap();
    // The full-screen, untitled iframe the page adds last to <body>, on another origin…
    browser
        .enter_frame(&t(By::Css, "body > iframe:last-of-type"), WAIT)
        .await
        .unwrap();
    let middle = browser
        .wait_visible(&t(By::TestId, "origin"), WAIT)
        .await
        .unwrap();
    assert!(
        middle.text.starts_with("http://localhost:"),
        "{}",
        middle.text
    );
    // …and the untitled iframe inside it, back on the first origin.
    browser
        .enter_frame(&t(By::Css, "iframe[src*='/embed/payment-method']"), WAIT)
        .await
        .unwrap();
    browser
        .fill(&t(By::Label, "Card number"), "4242 4242 4242 4242", WAIT)
        .await
        .unwrap();
    browser.click(&t(By::Text, "Pay"), WAIT).await.unwrap();
    let status = browser
        .wait_visible(&t(By::TestId, "card-status"), WAIT)
        .await
        .unwrap();
    assert_eq!(status.text, "Card accepted");
    // One level up is the middle page, two levels up the top one.
    browser.leave_frame().await.unwrap();
    assert!(browser
        .probe(&t(By::TestId, "middle"))
        .await
        .unwrap()
        .any_visible());
    browser.leave_frame().await.unwrap();
    assert!(
        browser
            .probe(&t(By::TestId, "outside"))
            .await
            .unwrap()
            .matches
            .len()
            == 1
    );
    browser.close().await;
}

/// Runs `scenarios` (name → YAML) against the fixture pages with the real CLI; answers the
/// exit code and report.json.
async fn run_scenarios(scenarios: &[(&str, &str)]) -> (Option<i32>, serde_json::Value, String) {
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, yaml) in scenarios {
        std::fs::write(dir.path().join(format!("{name}.yaml")), yaml).unwrap();
    }
    let out = dir.path().join("out");
    let args: Vec<String> = vec![
        "run".into(),
        dir.path().display().to_string(),
        "--quiet".into(),
        "--video".into(),
        "off".into(),
        "--timeout".into(),
        "5s".into(),
        "--app".into(),
        format!("{}/", site.url()),
        "--out".into(),
        out.display().to_string(),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_walkthrough"))
            .args(&args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let report = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap())
        .unwrap_or_else(|e| panic!("{e}: {stderr}"));
    (output.status.code(), report, stderr)
}

const NESTED_SCENARIO: &str = r#"name: Portal payment method and country
steps:
  - name: Card two frames deep
    do:
      - open: /nested.html
      - within_frame:
          frame: { css: "body > iframe:last-of-type" }
          do:
            - fill: { label: Renew at, value: "${time.now+30s}" }
            - expect_text: { in: { label: Renew at }, matches: '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$' }
            - within_frame:
                frame: { css: "iframe[src*='/embed/payment-method']" }
                do:
                  - fill: { label: Card number, value: "4242 4242 4242 4242" }
                  - click: Pay
                  - expect_text: { in: { testid: card-status }, equals: Card accepted }
            - expect_visible: { testid: middle }
      - expect_text: { in: { testid: outside }, equals: Portal page }
  - name: Country from the combobox
    do:
      - open: /combobox.html
      - select: { text: Country, option: Sweden }
      - expect_text: { in: { testid: chosen }, equals: country=Sweden }
"#;

const MISSING_OPTION_SCENARIO: &str = "name: No such country
steps:
  - name: Country from the combobox
    do:
      - open: /combobox.html
      - select: { text: Country, option: Narnia, timeout: 1s }
";

#[tokio::test(flavor = "multi_thread")]
async fn scenarios_nest_within_frame_fill_a_time_and_select_in_a_combobox() {
    let (code, report, stderr) = run_scenarios(&[
        ("a-nested", NESTED_SCENARIO),
        ("b-missing", MISSING_OPTION_SCENARIO),
    ])
    .await;
    assert_eq!(code, Some(5), "{stderr}");
    let scenarios = report["scenarios"].as_array().unwrap();
    let nested = &scenarios[0];
    assert_eq!(nested["name"], "Portal payment method and country");
    for step in nested["steps"].as_array().unwrap() {
        assert_eq!(step["status"], "passed", "{step}");
    }
    let error = &scenarios[1]["steps"][0]["error"];
    assert_eq!(
        (error["line"].clone(), error["column"].clone()),
        (6.into(), 9.into())
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "select \"Narnia\" in { text: \"Country\" }: { text: \"Country\" } is not \
             interactable: no option \"Narnia\": the listbox had options: Argentina, "
        ),
        "{message}"
    );
}
