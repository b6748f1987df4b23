//! A run's report reads at a glance, in real Chromium at 1280×800 and 1400×900: a real run
//! (`walkthrough run`, the default journey on the demo app and the mock, video on), and the
//! same report with long unbroken text in every place that can hold it (step names, file
//! names, error messages, URLs, state values, event ids). Neither page scrolls sideways;
//! every `<video>` has a poster that loads; no moment shows a fraction of a second or the
//! raw RFC 3339 form; the state tables show the changed fields and fold the unchanged ones.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use walkthrough::browser::{Browser, BrowserOptions};
use walkthrough::evidence::html::render_html;
use walkthrough::outcome::RunOutcome;
use walkthrough::viewport::Viewport;

/// The default journey into `out`, video on.
fn run_default(out: &Path) {
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--overwrite", "--out"])
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

/// `report.json` with long unbroken text put wherever the page shows text, rendered next to
/// the real `index.html` (so its screenshots and clips load the same).
fn long_text_page(out: &Path) -> String {
    let mut report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let long = |what: &str| format!("{what}-{}", "x".repeat(240));
    let url = format!(
        "http://127.0.0.1:4000/{}?token=[redacted]",
        "a/".repeat(150)
    );
    report["run"]["id"] = json!(long("run"));
    report["run"]["app"]["url"] = json!(url);
    let scenario = &mut report["scenarios"][1];
    scenario["file"] = json!(format!("scenarios/{}.yaml", long("file")));
    let step = &mut scenario["steps"][0];
    step["name"] = json!(long("name"));
    step["status"] = json!("failed");
    step["error"] = json!({
        "message": format!("expected url to contain /new but was {url}"),
        "file": format!("scenarios/flows/{}.yaml", long("flow")),
        "line": 7, "column": 9,
        "source_line": format!("      - expect_url: {url}"),
    });
    let state = json!({"status": "active", "note": long("note"), "url": url});
    step["state_before"] = state.clone();
    step["state_after"] = json!({"status": "past_due", "note": long("changed"), "url": url});
    for d in report["scenarios"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .flat_map(|s| s["deliveries"].as_array_mut().unwrap())
    {
        d["endpoint_url"] = json!(url);
        d["event_id"] = json!(long("evt"));
        d["status_code"] = json!(403);
        d["succeeded"] = json!(false);
        d["response_excerpt"] = json!(format!("{{\"error\":\"{}\"}}", long("signature")));
    }
    let report: RunOutcome = serde_json::from_value(report).unwrap();
    let html = render_html(&report);
    let page = out.join("index-long.html");
    std::fs::write(&page, html).unwrap();
    url::Url::from_file_path(page).unwrap().to_string()
}

/// What a glance at the page sees. Posters are loaded as images (polled for up to 15 s).
async fn glance(browser: &Browser, url: &str) -> Value {
    browser.goto(url).await.expect("the report opens");
    let seen = browser
        .eval_json(
            r#"
            const d = document.documentElement;
            // No fraction of a second anywhere; the RFC 3339 form only in the raw states.
            const text = document.body.textContent;
            const prose = document.body.cloneNode(true);
            prose.querySelectorAll('[data-testid=state] details > pre').forEach((e) => e.remove());
            const raw = text.match(/\d\d:\d\d:\d\d[.,]\d/)
              || prose.textContent.match(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
            const vids = Array.from(document.querySelectorAll('video'));
            const posters = [...new Set(vids.map((v) => v.poster).filter(Boolean))];
            window.__posters = {};
            for (const p of posters) {
              const i = new Image();
              i.onload = () => { window.__posters[p] = i.naturalWidth; };
              i.onerror = () => { window.__posters[p] = 0; };
              i.src = p;
            }
            const shown = (e) => e.checkVisibility();
            const folds = Array.from(document.querySelectorAll('[data-testid=state-unchanged]'));
            const tables = Array.from(document.querySelectorAll('[data-testid=state] > table.state'));
            return {
              scroll_width: d.scrollWidth,
              client_width: d.clientWidth,
              inner_width: window.innerWidth,
              raw_time: raw && raw[0],
              videos: vids.length,
              without_poster: vids.filter((v) => !v.getAttribute('poster')).map((v) => v.getAttribute('src')),
              posters: posters.length,
              folds: folds.length,
              folds_open: folds.filter((f) => f.open).length,
              folded_rows_shown: folds.flatMap((f) => Array.from(f.querySelectorAll('tr'))).filter(shown).length,
              summaries: folds.map((f) => f.querySelector('summary').textContent),
              // Where fields are folded, the table starts with a changed one or says none did.
              first_rows_changed: tables
                .filter((t) => t.parentElement.querySelector('[data-testid=state-unchanged]'))
                .map((t) => t.querySelector('tbody tr'))
                .map((r) => r.classList.contains('changed') || r.querySelector('[data-testid=state-same]') !== null),
              started: Array.from(document.querySelectorAll('.sub')).map((s) => s.textContent).find((t) => t.includes('started')),
            };"#,
            vec![],
        )
        .await
        .expect("the glance runs");
    let started = Instant::now();
    loop {
        let loaded = browser
            .eval_json("return window.__posters;", vec![])
            .await
            .unwrap();
        let done = loaded.as_object().unwrap().len() as u64 == seen["posters"].as_u64().unwrap();
        if done || started.elapsed() > Duration::from_secs(15) {
            let mut seen = seen;
            seen["loaded"] = loaded;
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_runs_report_reads_at_a_glance_at_1280_and_1400_px() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_path_buf();
    tokio::task::spawn_blocking(move || run_default(&dir))
        .await
        .unwrap();
    let real = url::Url::from_file_path(out.path().join("index.html"))
        .unwrap()
        .to_string();
    let long = long_text_page(out.path());

    // Every clip's poster is a file of the run, in the manifest.
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let manifest = std::fs::read_to_string(out.path().join("manifest.json")).unwrap();
    let mut clips = 0;
    for step in report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["steps"].as_array().unwrap())
    {
        if step["clip"].is_string() {
            clips += 1;
            let poster = step["clip_poster"].as_str().expect("a clip has a poster");
            let bytes = std::fs::read(out.path().join(poster)).unwrap();
            assert_eq!(&bytes[..3], b"\xFF\xD8\xFF", "{poster} is a JPEG");
            assert!(manifest.contains(&format!("\"{poster}\"")), "{poster}");
        }
    }
    assert!(clips >= 20, "{clips} clips");

    for (width, height) in [(1280, 800), (1400, 900)] {
        let logs = tempfile::tempdir().unwrap();
        let mut options = BrowserOptions::new(logs.path());
        options.viewport = Viewport::new(width, height).unwrap();
        let browser = Browser::launch(&options)
            .await
            .expect("Chromium and chromedriver are installed");
        let pages = [glance(&browser, &real).await, glance(&browser, &long).await];
        browser.close().await;
        for (page, seen) in ["index.html", "index-long.html"].iter().zip(pages) {
            let at = format!("{page} at {width}×{height}: {seen:#}");
            assert_eq!(seen["inner_width"], width, "{at}");
            assert_glance(&seen, &at);
        }
    }
}

/// What every page must look like at every width (`at` says which, with what was seen).
fn assert_glance(seen: &Value, at: &str) {
    assert!(
        seen["scroll_width"].as_u64() <= seen["client_width"].as_u64(),
        "a horizontal scrollbar: {at}"
    );
    assert_eq!(seen["raw_time"], Value::Null, "{at}");
    // The clips of 23 steps, each scenario's video, each slot's clip.
    assert!(seen["videos"].as_u64().unwrap() >= 23 + 6 + 6, "{at}");
    assert_eq!(seen["without_poster"], json!([]), "{at}");
    let loaded = seen["loaded"].as_object().unwrap();
    assert_eq!(
        loaded.len() as u64,
        seen["posters"].as_u64().unwrap(),
        "{at}"
    );
    assert!(loaded.values().all(|w| w.as_u64() > Some(0)), "{at}");
    // State tables: changed rows first, the unchanged folded and closed.
    assert!(seen["folds"].as_u64().unwrap() >= 5, "{at}");
    assert_eq!(seen["folds_open"], 0, "{at}");
    assert_eq!(seen["folded_rows_shown"], 0, "{at}");
    let summaries = seen["summaries"].as_array().unwrap();
    assert!(
        summaries
            .iter()
            .all(|s| s.as_str().unwrap().ends_with(" unchanged fields") || s == "1 unchanged field"),
        "{at}"
    );
    let first = seen["first_rows_changed"].as_array().unwrap();
    assert!(first.iter().all(|c| c == true), "{at}");
    let readable = regex::Regex::new(r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC").unwrap();
    assert!(readable.is_match(seen["started"].as_str().unwrap()), "{at}");
}
