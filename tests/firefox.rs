//! Firefox through geckodriver, like Chromium: the browser module on the fixture pages
//! (forms, iframes, late elements, a second origin, typing, the exact viewport), a new
//! visitor's cookies forgotten on every site, nothing left running after `close`, and
//! `walkthrough run --browser firefox` passing the six lifecycle slots with video, and what
//! Polar's real pages need (ARIA comboboxes, frames in frames).

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::{geckodriver, id, label, t, text, text_of, WAIT};
use walkthrough::browser::{Browser, BrowserError, BrowserKind, BrowserOptions, By, Chosen};
use walkthrough::demo_app::fixture_pages::StaticSite;
use walkthrough::process::group_members;

fn options(logs: &Path) -> BrowserOptions {
    let mut options = BrowserOptions::new(logs);
    options.browser = BrowserKind::Firefox;
    options.geckodriver = geckodriver();
    options
}

/// The value of `document.cookie` on the current page.
async fn cookies(browser: &Browser) -> String {
    let value = browser
        .eval_json("return document.cookie;", vec![])
        .await
        .unwrap();
    value.as_str().unwrap_or_default().to_string()
}

/// One Firefox session through every kind of page the Chromium tests use (a session costs
/// seconds, so they share it).
#[tokio::test(flavor = "multi_thread")]
async fn firefox_drives_the_fixture_pages_like_chromium() {
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .expect("fixture site");
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&options(logs.path()))
        .await
        .expect("Firefox ESR (apt) and geckodriver (scripts/setup-tests.sh) are installed");
    assert_eq!(browser.kind(), BrowserKind::Firefox);
    assert_eq!(browser.name(), "firefox");
    assert!(browser.version().starts_with(|c: char| c.is_ascii_digit()));
    let url = |page: &str| format!("{}/{page}", site.url());

    // The exact viewport, and PNG screenshots of it.
    browser.goto(&url("index.html")).await.unwrap();
    assert_eq!(browser.viewport().await.unwrap(), (1280, 800));
    let png = browser.screenshot().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1280, 800));

    // A form by label, a select, a click by text.
    browser.goto(&url("form.html")).await.unwrap();
    browser
        .fill(&label("Email"), "ada@example.com", WAIT)
        .await
        .unwrap();
    browser
        .fill(&label("Full name"), "Ada", WAIT)
        .await
        .unwrap();
    browser.fill(&label("Seats"), "3", WAIT).await.unwrap();
    browser
        .select(&label("Billing country"), "Germany", WAIT)
        .await
        .unwrap();
    browser.click(&text("Create account"), WAIT).await.unwrap();
    let result = browser.wait_visible(&id("result"), WAIT).await.unwrap();
    assert_eq!(
        result.text,
        "Welcome Ada <ada@example.com> from DE with 3 seat(s)"
    );

    // Into the card frame and out again.
    browser.goto(&url("frame.html")).await.unwrap();
    let frame = t(By::Css, "iframe[title='Secure payment input frame']");
    browser.enter_frame(&frame, WAIT).await.unwrap();
    let card = t(By::Css, "[data-elements-stable-field-name=cardNumber]");
    browser
        .fill(&card, "4242 4242 4242 4242", WAIT)
        .await
        .unwrap();
    browser.click(&text("Pay"), WAIT).await.unwrap();
    let status = browser
        .wait_visible(&id("card-status"), WAIT)
        .await
        .unwrap();
    assert_eq!(status.text, "Card accepted");
    assert!(browser
        .probe(&id("outside"))
        .await
        .unwrap()
        .matches
        .is_empty());
    browser.leave_frame().await.unwrap();
    assert!(browser.probe(&id("outside")).await.unwrap().any_visible());

    // Late elements are waited for; missing ones time out; a bad selector is the scenario's.
    browser.goto(&url("late.html")).await.unwrap();
    browser.click(&text("Load results"), WAIT).await.unwrap();
    let started = std::time::Instant::now();
    let late = browser.wait_visible(&id("late"), WAIT).await.unwrap();
    assert_eq!(late.text, "Loaded late");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let err = browser
        .wait_visible(&id("never"), Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(err, BrowserError::NotFound { .. }), "{err}");
    let err = browser.probe(&t(By::Css, "p[")).await.unwrap_err();
    assert!(err.to_string().contains("not a valid locator"), "{err}");

    // fill is one edit, type is every key; a disabled field says why.
    browser.goto(&url("typing.html")).await.unwrap();
    browser
        .fill(&label("Plain"), "new value", WAIT)
        .await
        .unwrap();
    let events = browser
        .eval_json(
            "return JSON.parse(document.querySelector('[data-testid=log]').textContent).plain;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        (events["input"].as_u64(), events["keydown"].as_u64()),
        (Some(1), Some(0))
    );
    browser
        .type_text(&label("Plain"), "abc", WAIT)
        .await
        .unwrap();
    let value = browser
        .eval_json("return document.getElementById('plain').value;", vec![])
        .await
        .unwrap();
    assert_eq!(value, "abc");
    let err = browser
        .fill(&label("Locked"), "x", Duration::from_millis(300))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("disabled"), "{err}");

    // A second origin and back.
    browser.goto(&url("origin.html")).await.unwrap();
    browser.click(&id("to-second"), WAIT).await.unwrap();
    // Only the second page has this link ("Second origin" as text would also match the
    // first page's "Go to the second origin" before the navigation).
    browser.wait_visible(&id("back"), WAIT).await.unwrap();
    assert!(browser
        .current_url()
        .await
        .unwrap()
        .starts_with("http://localhost:"));

    // A new visitor: cookies on both sites (127.0.0.1 and localhost are two cookie hosts)
    // are gone, and the tab is left blank.
    let first = url::Url::parse(&format!("{}/", site.url())).unwrap();
    let second = url::Url::parse(&first.as_str().replace("127.0.0.1", "localhost")).unwrap();
    for site_url in [&first, &second] {
        browser
            .goto(site_url.join("index.html").unwrap().as_str())
            .await
            .unwrap();
        // Firefox now and then drops a cookie a script writes just after a navigation
        // (about one run in four here); what this part tests is that clearing them works.
        let mut tries = 0;
        while cookies(&browser).await != "visitor=ada" && tries < 20 {
            browser
                .eval_json("document.cookie = 'visitor=ada; path=/'; return 1;", vec![])
                .await
                .unwrap();
            tries += 1;
            if cookies(&browser).await != "visitor=ada" {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        assert_eq!(cookies(&browser).await, "visitor=ada", "{site_url}");
    }
    browser
        .clear_cookies(&[first.clone(), second.clone()])
        .await
        .unwrap();
    assert_eq!(browser.current_url().await.unwrap(), "about:blank");
    for site_url in [&first, &second] {
        browser
            .goto(site_url.join("index.html").unwrap().as_str())
            .await
            .unwrap();
        assert_eq!(cookies(&browser).await, "", "{site_url} forgot its visitor");
    }

    // What Polar's real pages need: a Radix-like country combobox (no accessible name, a
    // portal listbox) chosen by a click, one whose options ignore the pointer chosen by the
    // keyboard, and a card field two untitled frames deep.
    browser
        .goto(&format!("{}/combobox.html", site.url()))
        .await
        .unwrap();
    let how = browser
        .select(&t(By::Text, "Country"), "Sweden", WAIT)
        .await
        .unwrap();
    assert_eq!(how, Chosen::Click);
    let how = browser
        .select(&t(By::Label, "Province"), "Quebec", WAIT)
        .await
        .unwrap();
    assert_eq!(how, Chosen::Keyboard);
    assert_eq!(
        text_of(&browser, &id("chosen")).await,
        "country=Sweden, province=Quebec"
    );

    browser
        .goto(&format!("{}/nested.html", site.url()))
        .await
        .unwrap();
    browser
        .enter_frame(&t(By::Css, "body > iframe:last-of-type"), WAIT)
        .await
        .unwrap();
    browser
        .enter_frame(&t(By::Css, "iframe[src*='/embed/payment-method']"), WAIT)
        .await
        .unwrap();
    browser
        .fill(&label("Card number"), "4242 4242 4242 4242", WAIT)
        .await
        .unwrap();
    browser.click(&t(By::Text, "Pay"), WAIT).await.unwrap();
    assert_eq!(text_of(&browser, &id("card-status")).await, "Card accepted");

    // Nothing of the session outlives close.
    let pgid = browser.driver_pid().expect("a driver was started");
    assert!(
        group_members(pgid).len() >= 2,
        "geckodriver and firefox run in the driver's group"
    );
    browser.close().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(group_members(pgid), Vec::<i32>::new());
}

#[tokio::test]
async fn a_missing_geckodriver_is_a_setup_error_with_a_fix() {
    let logs = tempfile::tempdir().unwrap();
    let mut options = options(logs.path());
    options.geckodriver = "/nonexistent/geckodriver".into();
    let err = match Browser::launch(&options).await {
        Ok(_) => panic!("launch must fail"),
        Err(e) => e,
    };
    let text = err.to_string();
    assert!(
        text.contains("geckodriver not found") && text.contains("cargo install geckodriver"),
        "{text}"
    );
}

/// `walkthrough run --browser firefox ARGS` into `out` (no `$DISPLAY`: a headed run starts
/// its own Xvfb), tagged `tag`; it must pass. Its report.
fn firefox_run(tag: &str, out: &Path, args: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(support::processes::TAG_VAR, tag)
        .env("WALKTHROUGH_GECKODRIVER", geckodriver())
        .env_remove("DISPLAY")
        .arg("run")
        .args(args)
        .args(["--browser", "firefox", "--quiet", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

/// The mission on Firefox: the six lifecycle scenarios as one journey, every slot verified,
/// video grabbed from the Xvfb the run starts for Firefox (no `$DISPLAY` here) with each
/// clip as long as its step, the report, JUnit and HTML naming the browser, and the X
/// server, ffmpeg and Firefox gone after.
#[test]
fn the_default_run_verifies_all_six_slots_in_firefox() {
    let out = tempfile::tempdir().unwrap();
    let tag = support::processes::new_tag();
    let _guard = support::processes::TagGuard(tag.clone());
    let report = firefox_run(&tag, out.path(), &[]);
    assert_eq!(report["run"]["browser"]["name"], "firefox");
    assert_eq!(report["run"]["video_source"], "x11grab");
    for slot in report["slots"].as_array().unwrap() {
        assert_eq!(slot["status"], "verified", "{slot:#}");
    }
    // The sandbox canary of Polar's pages does not run on the mock: no video of its own.
    let ran = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "not_runnable");
    for s in ran {
        assert_eq!(s["video_source"], "x11grab", "{}", s["name"]);
        // Every grab counts, changed or not: 20 a second for 15 fps.
        let fps = s["video_fps"].as_f64().expect("an effective frame rate");
        assert!(fps >= 10.0, "{}: {fps} fps", s["name"]);
        for step in s["steps"].as_array().unwrap() {
            assert_eq!(step["clip_ok"], true, "{}: {step:#}", s["name"]);
            // Within two frame intervals of the step (15 fps).
            let clip = step["clip_duration_ms"].as_f64().unwrap();
            let took = step["duration_ms"].as_f64().unwrap();
            assert!(
                (clip - took).abs() <= 2000.0 / 15.0 + 1.0,
                "{clip} ms vs {took} ms"
            );
        }
    }
    let junit = std::fs::read_to_string(out.path().join("junit.xml")).unwrap();
    assert!(junit.contains(r#"<property name="browser" value="firefox"/>"#));
    assert!(junit.contains(r#"<property name="video_source" value="x11grab"/>"#));
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    assert!(html.contains("firefox") && html.contains("<code>x11grab</code>"));
    let left = support::processes::wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "still running: {left:?}");
}

/// Headless Firefox has no screen to grab and no screencast: it is recorded from
/// screenshots over the BiDi socket while each step runs, each clip as long as its step,
/// and nothing is left running after.
#[test]
fn headless_firefox_is_recorded_from_bidi_screenshots() {
    let out = tempfile::tempdir().unwrap();
    let tag = support::processes::new_tag();
    let _guard = support::processes::TagGuard(tag.clone());
    let report = firefox_run(
        &tag,
        out.path(),
        &[
            "fixtures/scenarios/01-form.yaml",
            "--app",
            "fixtures",
            "--headless",
        ],
    );
    assert_eq!(report["run"]["video_source"], "bidi-screenshots");
    let scenario = &report["scenarios"][0];
    assert_eq!(scenario["video_source"], "bidi-screenshots");
    assert!(
        scenario["video_fps"].as_f64().unwrap() > 1.0,
        "{scenario:#}"
    );
    for step in scenario["steps"].as_array().unwrap() {
        assert_eq!(step["clip_ok"], true, "{step:#}");
        let clip = step["clip_duration_ms"].as_f64().unwrap();
        let took = step["duration_ms"].as_f64().unwrap();
        assert!(
            (clip - took).abs() <= 2000.0 / 15.0 + 1.0,
            "{clip} ms vs {took} ms"
        );
    }
    let left = support::processes::wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "still running: {left:?}");
}

/// Without video Firefox stays headless (on an Xvfb it starts later and nothing is grabbed),
/// and the console says so.
#[test]
fn firefox_without_video_runs_headless() {
    let out = tempfile::tempdir().unwrap();
    let tag = support::processes::new_tag();
    let _guard = support::processes::TagGuard(tag.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(support::processes::TAG_VAR, &tag)
        .env("WALKTHROUGH_GECKODRIVER", geckodriver())
        .env_remove("DISPLAY")
        .args([
            "run",
            "fixtures/scenarios/01-form.yaml",
            "--app",
            "fixtures",
        ])
        .args(["--browser", "firefox", "--video", "off", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains(", headless"), "{stderr}");
    assert!(!stderr.contains("Xvfb"), "{stderr}");
    let left = support::processes::wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "still running: {left:?}");
}
