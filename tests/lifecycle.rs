//! The mission in one command: `walkthrough run` with no arguments runs the six lifecycle
//! scenarios as one journey against the embedded demo app and mock Polar, video on, and
//! ends with all six evidence slots verified.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

#[test]
fn the_default_run_verifies_all_six_slots() {
    let out = tempfile::tempdir().unwrap();
    let history = tempfile::tempdir().unwrap();
    let history_file = history.path().join("history.jsonl");
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet", "--out"])
        .arg(out.path())
        .arg("--history")
        .arg(&history_file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("report.json"),
        "the report path is printed: {stdout}"
    );

    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    assert_eq!(report["run"]["status"], "passed");
    assert_eq!(report["run"]["target"], "mock");
    assert_eq!(report["run"]["video"], "on");
    let slots = report["slots"].as_array().unwrap();
    let ids: Vec<&str> = slots.iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, walkthrough::scenario::SLOT_IDS);
    for slot in slots {
        assert_eq!(slot["status"], "verified", "{slot:#}");
    }

    // One journey: after the first scenario no `given` step ran.
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 7);
    // The sandbox canary of Polar's pages comes first and does not run on the mock.
    assert_eq!(scenarios[0]["status"], "not_runnable", "{:#}", scenarios[0]);
    assert!(scenarios[0]["steps"].as_array().is_none_or(Vec::is_empty));
    let scenarios = &scenarios[1..];
    for s in scenarios {
        for step in s["steps"].as_array().unwrap() {
            assert_eq!(step["given"], false, "{}: {}", s["name"], step["name"]);
            let clip = step["clip"].as_str().expect("every step has a clip");
            assert!(out.path().join(clip).is_file(), "{clip}");
            assert_eq!(step["clip_ok"], true, "{}", step["name"]);
        }
    }

    // The checkout showed the workspace's three seats and USD 60 per month.
    let checkout = &scenarios[0]["steps"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(checkout["status"], "passed");
    assert!(checkout["screenshots"][0]["path"].is_string());

    // The purchase step saw the signed webhooks land and the entitlement turn active.
    let paid = scenarios[1]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "The browser returns to the product and billing becomes active")
        .unwrap()
        .clone();
    let after = &paid["state_after"];
    assert_eq!(after["status"], "active", "{paid:#}");
    let webhooks: Vec<String> = scenarios[1]["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["succeeded"] == true && w["step"].is_u64())
        .map(|w| w["event_type"].as_str().unwrap_or_default().to_string())
        .collect();
    for event in [
        "subscription.created",
        "subscription.active",
        "customer.state_changed",
    ] {
        assert!(
            webhooks.iter().any(|w| w == event),
            "{event} in {webhooks:?}"
        );
    }

    // Evidence files all exist and the manifest covers them.
    for file in ["index.html", "junit.xml", "summary.md", "manifest.json"] {
        assert!(out.path().join(file).is_file(), "{file}");
    }
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<PathBuf> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| PathBuf::from(f["path"].as_str().unwrap()))
        .collect();
    assert!(listed
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "mp4")));

    // The run's line of history: its slots, and how long the entitlement took to turn
    // active after the first webhook the app accepted (the demo app activates on them).
    let lines: Vec<Value> = std::fs::read_to_string(&history_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["run_id"], report["run"]["id"]);
    assert_eq!(lines[0]["status"], "passed");
    let slot = |id: &str| {
        lines[0]["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .unwrap_or_else(|| panic!("no slot {id}: {}", lines[0]))
            .clone()
    };
    let active = slot("checkout-return-to-active");
    assert_eq!(active["status"], "verified", "{active}");
    let activation = active["activation_ms"]
        .as_u64()
        .expect("an activation time");
    assert!(activation < 30_000, "{active}");
    assert!(!active["steps"].as_array().unwrap().is_empty());
}

#[test]
fn a_shard_runs_its_scenarios_alone_through_their_given_steps() {
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run", "--quiet", "--video", "off", "--shard", "1/3", "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.path().join("report.json")).unwrap()).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    // Scenarios 0, 3 and 6 of seven: the sandbox canary (not run on the mock), then two slots.
    let slots: Vec<Option<&str>> = scenarios.iter().map(|s| s["slot"].as_str()).collect();
    assert_eq!(
        slots,
        [None, Some("continue-using"), Some("production-smoke")]
    );
    assert_eq!(scenarios[0]["status"], "not_runnable");
    // Continue-using did not follow its journey predecessor: it bought the seats itself.
    let steps = scenarios[1]["steps"].as_array().unwrap();
    assert!(
        steps.iter().filter(|s| s["given"] == true).count() >= 4,
        "{steps:#?}"
    );
    assert!(steps.iter().all(|s| s["status"] == "passed"));
    let by_slot: Vec<(&str, &str)> = report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(by_slot[0], ("new-user-to-checkout", "missing"));
}
