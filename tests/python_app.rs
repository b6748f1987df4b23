//! "Point it at my Python app": `walkthrough run` with no flags in `examples/python-app/` (a
//! Starlette product on Polar's official Python SDK, `polar-sdk`, configured with
//! `environment="sandbox"` and no base URL) reads its walkthrough.yaml, answers
//! `sandbox-api.polar.sh` with the mock (`intercept_polar: sandbox`), starts the app, runs
//! the six lifecycle scenarios, verifies six slots, and leaves nothing running. One run: it
//! is among the suite's slowest tests (23-40 s on a shared 2-core machine). Needs the
//! example's virtualenv, which scripts/setup-tests.sh installs.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::processes::{new_tag, wait_gone, TagGuard, TAG_VAR};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/python-app")
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

#[test]
fn the_python_app_on_polars_sandbox_names_passes_six_verified_slots_from_its_own_folder() {
    assert!(
        example().join(".venv/bin/python").exists(),
        "the example's virtualenv is missing: run scripts/setup-tests.sh"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let started = Instant::now();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .current_dir(example())
        .env(TAG_VAR, &tag)
        // The app's database for this test only (it reads DATABASE_PATH).
        .env("DATABASE_PATH", dir.path().join("app.sqlite"))
        .output()
        .unwrap();
    eprintln!(
        "walkthrough run took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");

    let r = report(&out);
    let slots: Vec<(&str, &str)> = r["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(slots.len(), 6);
    assert!(slots.iter().all(|(_, s)| *s == "verified"), "{slots:?}");
    assert_eq!(r["run"]["target"], "mock");
    assert_eq!(r["run"]["app"]["command"], ".venv/bin/python server.py");

    // The app reached the mock under Polar's sandbox names, through the run's proxy: the
    // run says it answers them, and its note for an app that never called through the
    // proxy is absent.
    assert!(
        stderr.contains("sandbox-api.polar.sh, sandbox.polar.sh answered by the mock"),
        "{stderr}"
    );
    assert!(!stderr.contains("made no call"), "{stderr}");

    // Every delivery was verified by the SDK's validate_event and answered 2xx, the paid
    // checkout's `checkout.updated` among them.
    let deliveries: Vec<&Value> = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["deliveries"].as_array().unwrap())
        .collect();
    for kind in [
        "checkout.updated",
        "subscription.active",
        "subscription.past_due",
    ] {
        assert!(
            deliveries.iter().any(|d| d["event_type"] == kind),
            "no {kind} among {deliveries:#?}"
        );
    }
    let refused: Vec<&&Value> = deliveries
        .iter()
        .filter(|d| d["succeeded"] != true)
        .collect();
    assert!(refused.is_empty(), "{refused:#?}");

    // The app's own output is kept, redacted: its first line, the Polar environment by name.
    let log = std::fs::read_to_string(out.join("logs/app.log")).unwrap();
    assert!(log.starts_with("{\"app_url\":\"http://127.0.0.1:"), "{log}");
    assert!(
        log.contains("listening on") && log.contains("Polar sandbox"),
        "{log}"
    );
    assert!(!log.contains("polar_oat_"), "the token never reaches a log");
    assert!(!log.contains("internal error"), "{log}");
    let left = wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "left running: {left:?}");
}
