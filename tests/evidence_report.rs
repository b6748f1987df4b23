//! The evidence report end to end: a run outcome with real PNG screenshots and real MP4
//! clips (made by ffmpeg) is rendered into the five files; no planted secret survives in
//! any of them; the manifest checks out; and `index.html`, opened from file:// in real
//! Chromium, shows the six slots with their verdicts, loads every image and can play every
//! video.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

use walkthrough::browser::{Browser, BrowserOptions};
use walkthrough::evidence::{manifest, write_evidence};
use walkthrough::outcome::{
    BrowserInfo, ClipEvidence, RunInfo, RunOutcome as Report, RunStatus, ScenarioOutcome,
    StepDelivery, StepError as ErrorReport, StepOutcome, StepStatus as Status, WebhookRecord,
    SCHEMA_VERSION,
};
use walkthrough::redact::Redactor;
use walkthrough::run_folder::RunFolder;
use walkthrough::scenario::Location;

const SECRET: &str = "sup3r-s3cret-var-value";
const SESSION: &str = "polar_cst_Q1w2E3r4T5y6U7i8O9p0";
const FILES: [&str; 5] = [
    "report.json",
    "index.html",
    "junit.xml",
    "summary.md",
    "manifest.json",
];

fn ffmpeg(args: &[&str], out: &Path) {
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg is installed");
    assert!(status.success(), "ffmpeg failed for {}", out.display());
}

fn png(dir: &Path, rel: &str) -> String {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=320x240",
            "-frames:v",
            "1",
        ],
        &dir.join(rel),
    );
    rel.to_string()
}

fn mp4(dir: &Path, rel: &str) -> String {
    ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            "testsrc=duration=1:size=320x240:rate=10",
            "-pix_fmt",
            "yuv420p",
        ],
        &dir.join(rel),
    );
    rel.to_string()
}

fn step(name: &str, status: Status, shot: Option<String>, clip: Option<String>) -> StepOutcome {
    StepOutcome {
        name: name.into(),
        status,
        started_at: Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap(),
        duration: Duration::from_millis(1500),
        screenshot: shot,
        screenshot_problem: None,
        screenshots: Vec::new(),
        location: Location {
            file: "scenarios/x.yaml".into(),
            line: 6,
            column: 5,
        },
        error: None,
        clip: ClipEvidence {
            ok: clip.as_ref().map(|_| true),
            path: clip,
            ..ClipEvidence::default()
        },
        state_before: None,
        state_after: None,
        given: false,
    }
}

fn scenario(name: &str, slot: &str, status: &str, steps: Vec<StepOutcome>) -> ScenarioOutcome {
    ScenarioOutcome {
        name: name.into(),
        file: format!("scenarios/{slot}.yaml"),
        slot: Some(slot.into()),
        status: serde_json::from_value(json!(status)).unwrap(),
        started_at: Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap(),
        duration: Duration::from_millis(4200),
        steps,
        deliveries: Vec::new(),
        video: None,
        video_problem: None,
        capture: Default::default(),
    }
}

/// Three scenarios: one verified (with webhooks and state), one failed with a secret in
/// its error, one passed with a clip that failed its check.
fn outcome(dir: &Path) -> Report {
    let a = "scenarios/01-new-user-to-checkout";
    let mut open = step(
        "Open Billing",
        Status::Passed,
        Some(png(dir, &format!("{a}/01-open-billing.png"))),
        Some(mp4(dir, &format!("{a}/01-open-billing.mp4"))),
    );
    open.state_before = Some(json!({"status": "none", "entitled": false, "seats": 0}));
    open.state_after = Some(json!({"status": "active", "entitled": true, "seats": 3,
        "portal_token": "whatever-it-is-secret"}));
    let delivered = StepDelivery {
        step: 0,
        record: WebhookRecord {
            event_id: "evt_123".into(),
            event_type: "subscription.active".into(),
            endpoint_url: format!("http://127.0.0.1:9/api/polar/webhooks?token={SECRET}"),
            attempt: 1,
            status_code: Some(202),
            succeeded: true,
            error: None,
            will_retry: false,
            at: "2026-01-01T09:00:01Z".into(),
            latency_ms: 4,
            response_excerpt: None,
        },
    };
    let checkout = step(
        "Start checkout",
        Status::Passed,
        Some(png(dir, &format!("{a}/02-start-checkout.png"))),
        Some(mp4(dir, &format!("{a}/02-start-checkout.mp4"))),
    );
    let mut first = scenario(
        "New user to checkout",
        "new-user-to-checkout",
        "passed",
        vec![open, checkout],
    );
    first.deliveries = vec![delivered];
    first.video = Some(mp4(dir, &format!("{a}/scenario.mp4")));

    let b = "scenarios/02-payment-recovery";
    let mut pay = step(
        "Recover payment",
        Status::Failed,
        Some(png(dir, &format!("{b}/02-recover-payment.png"))),
        Some(mp4(dir, &format!("{b}/02-recover-payment.mp4"))),
    );
    pay.error = Some(ErrorReport {
        message: format!(
            "expected url to contain /new but was http://127.0.0.1:7/acme/portal?customer_session_token={SESSION}&email=a%40b.com (password {SECRET})"
        ),
        location: Location {
            file: "scenarios/payment-recovery.yaml".into(),
            line: 14,
            column: 9,
        },
        source_line: Some(format!("      - fill: {{ label: Card, with: \"{SECRET}\" }}")),
    });
    let second = scenario(
        "Payment recovery <after> 402",
        "payment-recovery",
        "failed",
        vec![
            step(
                "Block the workspace",
                Status::Passed,
                Some(png(dir, &format!("{b}/01-block.png"))),
                Some(mp4(dir, &format!("{b}/01-block.mp4"))),
            ),
            pay,
            step("See it active again", Status::Skipped, None, None),
        ],
    );

    let c = "scenarios/03-portal-cancellation";
    let mut cancel = step(
        "Cancel in the portal",
        Status::Passed,
        Some(png(dir, &format!("{c}/01-cancel.png"))),
        Some(mp4(dir, &format!("{c}/01-cancel.mp4"))),
    );
    cancel.clip.ok = Some(false);
    cancel.clip.problem = Some("0.3 s of video for a 1.5 s step".into());
    let third = scenario(
        "Portal cancellation",
        "portal-cancellation",
        "passed",
        vec![cancel],
    );

    let mut report = Report::new(RunInfo {
        id: "20260101-090000-abcdef".into(),
        started_at: Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap(),
        finished_at: Some(Utc.with_ymd_and_hms(2026, 1, 1, 9, 1, 0).unwrap()),
        target: "mock".into(),
        app: walkthrough::outcome::AppInfo {
            source: "url".into(),
            url: format!("http://127.0.0.1:7/?session_token={SECRET}"),
            command: None,
            state_probe: Some("GET /api/billing/status (app.state)".into()),
        },
        app_url: format!("http://127.0.0.1:7/?session_token={SECRET}"),
        browser: BrowserInfo {
            name: "chrome".into(),
            version: "140".into(),
        },
        tool_version: "0.1.0".into(),
        status: RunStatus::Failed,
        error: None,
        video: "on".into(),
        video_source: None,
    });
    report.scenarios = vec![first, second, third];
    report
}

async fn eval(browser: &Browser, script: &str) -> Value {
    browser
        .eval_json(script, vec![])
        .await
        .expect("script runs")
}

#[tokio::test]
async fn report_files_are_redacted_consistent_and_play_in_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let report = outcome(dir);
    std::fs::create_dir_all(dir.join("logs")).unwrap();
    std::fs::write(
        dir.join("logs/chromedriver.log"),
        format!("[INFO]: COMMAND Navigate {{\"url\": \"http://x/portal?customer_session_token={SESSION}\"}}\n"),
    )
    .unwrap();
    let redactor = Redactor::new().with_secret(SECRET);
    let written =
        write_evidence(&RunFolder::open(dir), &report, &redactor).expect("evidence is written");

    // Secrets: none of the five files (nor the driver log) keeps a planted secret.
    for name in FILES.iter().chain(["logs/chromedriver.log"].iter()) {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        for secret in [
            SECRET,
            SESSION,
            "Q1w2E3r4T5y6U7i8O9p0",
            "whatever-it-is-secret",
        ] {
            assert!(!text.contains(secret), "{name} leaks {secret}");
        }
    }
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.contains("customer_session_token=[redacted]"));

    // report.json: the documented fields, with slots.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["schema_version"], SCHEMA_VERSION);
    assert_eq!(json["run"]["video"], "on");
    let slots: Vec<(String, String)> = json["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        ("new-user-to-checkout", "verified"),
        ("checkout-return-to-active", "missing"),
        ("continue-using", "missing"),
        ("portal-cancellation", "unverified"),
        ("payment-recovery", "failed"),
        ("production-smoke", "missing"),
    ];
    assert_eq!(
        slots,
        expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
    );
    assert_eq!(json["slots"][0]["scenario"], "New user to checkout");
    assert_eq!(
        json["slots"][0]["clip"],
        "scenarios/01-new-user-to-checkout/scenario.mp4"
    );
    let first_step = &json["scenarios"][0]["steps"][0];
    assert_eq!(
        first_step["clip"],
        "scenarios/01-new-user-to-checkout/01-open-billing.mp4"
    );
    let delivery = &json["scenarios"][0]["deliveries"][0];
    assert_eq!(delivery["event_type"], "subscription.active");
    assert_eq!(delivery["step"], 0, "a delivery names its step");
    assert_eq!(first_step["state_before"]["status"], "none");
    assert_eq!(first_step["state_after"]["status"], "active");
    assert_eq!(first_step["state_after"]["portal_token"], "[redacted]");
    assert_eq!(written.slots.len(), 6);

    // junit.xml and summary.md agree with the verdicts.
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testsuite ").count(), 3);
    assert_eq!(junit.matches("<testcase ").count(), 6);
    assert!(junit.contains("scenarios/payment-recovery.yaml:14:9: expected url"));
    assert!(junit.contains("[[ATTACHMENT|scenarios/02-payment-recovery/02-recover-payment.png]]"));
    let summary = std::fs::read_to_string(dir.join("summary.md")).unwrap();
    assert!(
        summary.contains("| `payment-recovery` | ❌ failed | Payment recovery &lt;after&gt; 402 |")
    );

    // manifest.json: every artifact with its size and hash, and it checks out.
    let m: manifest::Manifest =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    for f in [
        "index.html",
        "report.json",
        "junit.xml",
        "summary.md",
        "logs/chromedriver.log",
    ] {
        assert!(m.files.iter().any(|e| e.path == f), "{f} not in manifest");
    }
    assert_eq!(
        m.files.iter().filter(|e| e.path.ends_with(".png")).count(),
        5
    );
    assert_eq!(
        m.files.iter().filter(|e| e.path.ends_with(".mp4")).count(),
        6
    );
    assert!(manifest::verify(dir, &m).unwrap().is_empty());

    // index.html from file:// in real Chromium.
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");
    let url = url::Url::from_file_path(dir.join("index.html")).unwrap();
    let checked = check_page(&browser, url.as_str()).await;
    browser.close().await;
    let (rows, media) = checked;
    assert_eq!(
        rows,
        json!(expected
            .iter()
            .map(|(id, status)| json!({"slot": id, "status": status}))
            .collect::<Vec<_>>())
    );
    // 5 step screenshots (the skipped step has none) load.
    assert_eq!(media["images"], 5, "{media}");
    assert_eq!(media["broken_images"], json!([]), "{media}");
    // 5 step clips + the scenario video + a clip for each of the 3 covered slots play.
    assert_eq!(media["videos"], 9, "{media}");
    assert_eq!(media["unplayable"], json!([]), "{media}");
}

/// The slot rows, then image and video health (polled until every medium has loaded or
/// 15 s pass).
async fn check_page(browser: &Browser, url: &str) -> (Value, Value) {
    browser
        .goto(url)
        .await
        .expect("the report opens from file://");
    let rows = eval(
        browser,
        "return Array.from(document.querySelectorAll('[data-testid=slot-table] [data-testid=slot-row]'))
            .map((r) => ({slot: r.dataset.slot, status: r.dataset.status}));",
    )
    .await;
    let error = eval(
        browser,
        "const e = document.querySelector('[data-testid=step-error] pre.source');
         return e ? e.textContent : null;",
    )
    .await;
    assert!(
        error
            .as_str()
            .is_some_and(|t| t.contains("fill: { label: Card")),
        "the failure shows its source line: {error}"
    );
    let probe = "const imgs = Array.from(document.images);
        const vids = Array.from(document.querySelectorAll('video'));
        return {
          images: imgs.length,
          broken_images: imgs.filter((i) => !(i.complete && i.naturalWidth > 0)).map((i) => i.getAttribute('src')),
          videos: vids.length,
          unplayable: vids.filter((v) => !(v.readyState >= 1 && v.duration > 0)).map((v) => [v.getAttribute('src'), v.readyState, v.duration, v.error && v.error.code]),
        };";
    let started = Instant::now();
    loop {
        let media = eval(browser, probe).await;
        let done = media["broken_images"] == json!([]) && media["unplayable"] == json!([]);
        if done || started.elapsed() > Duration::from_secs(15) {
            return (rows, media);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
