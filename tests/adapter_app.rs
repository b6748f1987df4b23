//! An app written from Polar's Next.js docs, unchanged for the tool: `walkthrough run` with no
//! flags in `examples/adapter-app/` (Next.js on `@polar-sh/nextjs`, which takes no base URL,
//! only `server: "sandbox"`) answers Polar's sandbox names with the mock, seeds an organization
//! with seats on, runs the six lifecycle scenarios and verifies six slots; the app's access is
//! the benefit Polar granted for the buyer's claimed seat (`benefit_grant.created`, through the
//! adapter's `Entitlements`), taken back on past due and granted again after the recovery.
//! Needs Node 22 and the example's npm packages and build, which scripts/setup.sh makes.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::processes::{new_tag, wait_gone, TagGuard, TAG_VAR};

fn example() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/adapter-app")
}

/// `PATH` with the Node 22 of scripts/setup.sh first (the intercept needs Node >= 22.21).
fn path_with_node() -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let node22 = root.join(".tools/node22/node_modules/.bin");
    assert!(
        example().join(".next/BUILD_ID").is_file(),
        "the example is not installed and built: run scripts/setup.sh"
    );
    let system = std::env::var("PATH").unwrap_or_default();
    format!("{}:{system}", node22.display())
}

/// The webhook deliveries of `scenario` in the report: (event type, HTTP status, accepted).
fn deliveries(scenario: &Value) -> Vec<(String, u64, bool)> {
    scenario["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["event_type"].as_str().unwrap_or_default().to_string(),
                d["status_code"].as_u64().unwrap_or(0),
                d["succeeded"] == true,
            )
        })
        .collect()
}

fn scenario<'a>(report: &'a Value, slot: &str) -> &'a Value {
    let index = report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == slot)
        .and_then(|s| s["scenario_index"].as_u64())
        .unwrap_or_else(|| panic!("no scenario for {slot}"));
    &report["scenarios"][index as usize]
}

fn step<'a>(scenario: &'a Value, name: &str) -> &'a Value {
    scenario["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name:?} in {}", scenario["name"]))
}

/// The entitlement the app showed after a step was Polar's grant, taken from its webhook.
fn assert_granted_by_webhook(state: &Value) {
    assert_eq!(state["entitled"], true, "{state:#}");
    let grants = state["entitlements"].as_array().unwrap();
    assert_eq!(grants.len(), 1, "{state:#}");
    assert_eq!(
        grants[0]["granted_by"], "benefit_grant.created",
        "{state:#}"
    );
    assert_eq!(grants[0]["benefit"], "Tegy Pro workspace", "{state:#}");
}

fn assert_accepted(deliveries: &[(String, u64, bool)], event: &str) {
    assert!(
        deliveries
            .iter()
            .any(|(t, code, ok)| t == event && *ok && (200..300).contains(code)),
        "no accepted {event}: {deliveries:?}"
    );
    assert!(
        deliveries.iter().all(|(_, _, ok)| *ok),
        "a delivery was refused: {deliveries:?}"
    );
}

fn check_report(out: &Path) {
    let r: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    let slots: Vec<(&str, &str)> = r["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(slots.len(), 6);
    assert!(slots.iter().all(|(_, s)| *s == "verified"), "{slots:?}");

    // Bought: the buyer's seat brought the grant, which the app accepted and shows.
    let bought = scenario(&r, "checkout-return-to-active");
    assert_accepted(&deliveries(bought), "benefit_grant.created");
    let last = bought["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(last["state_after"]["status"], "active", "{last:#}");
    assert_eq!(last["state_after"]["seats"], 3, "{last:#}");
    assert_granted_by_webhook(&last["state_after"]);

    // Past due took the seat and the access; the recovery's new seat granted it again.
    let recovery = scenario(&r, "payment-recovery");
    let seen = deliveries(recovery);
    assert_accepted(&seen, "benefit_grant.revoked");
    let revoked = seen
        .iter()
        .position(|(t, _, _)| t == "benefit_grant.revoked");
    let granted = seen
        .iter()
        .rposition(|(t, _, _)| t == "benefit_grant.created");
    assert!(revoked < granted, "revoked, then granted again: {seen:?}");
    let blocked = step(
        recovery,
        "A turn is blocked with 402 and billing opens, with no assistant reply",
    );
    assert_eq!(blocked["state_after"]["entitled"], false, "{blocked:#}");
    assert_granted_by_webhook(&step(recovery, "Access is active again")["state_after"]);
}

#[test]
fn the_nextjs_adapter_app_passes_six_verified_slots_from_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .current_dir(example())
        .env("PATH", path_with_node())
        .env(TAG_VAR, &tag)
        // The app's database for this test only (it reads DATABASE_PATH).
        .env("DATABASE_PATH", dir.path().join("app.sqlite"))
        .output()
        .unwrap();
    eprintln!("walkthrough run took {:?}", started.elapsed());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("sandbox-api.polar.sh, sandbox.polar.sh answered by the mock"),
        "{stderr}"
    );
    assert!(!stderr.contains("made no call"), "{stderr}");
    let app_connections = stderr
        .split("the app opened ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok());
    assert!(app_connections.is_some_and(|n| n > 0), "{stderr}");
    check_report(&out);
    let log = std::fs::read_to_string(out.join("logs/app.log")).unwrap();
    assert!(log.contains("Ready in"), "{log}");
    assert!(!log.contains("polar_oat_"), "the token never reaches a log");
    let left = wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "left running: {left:?}");
}
