//! `--retries N`: the default walkthrough against the mock, with a fault armed in the mock
//! Polar (by a small scenario's `http:` step to its control plane) that makes the checkout
//! of "New user to checkout" fail exactly once. The scenario runs again from its start as a
//! new visitor and passes: it is `flaky`, its slot verified with the flag, both attempts'
//! screenshots and clips kept and hashed in the manifest, `walkthrough verify` clean, exit 0;
//! with `--fail-on-flaky` the same run exits 5.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// Fails the next checkout creation: 503 three times, the demo app's request and its two
/// retries of a 5xx (`DemoAppOptions::default`, `max_retries: 2`), so the app shows no
/// checkout once; the retry's checkout is created as usual.
const ARM: &str = r#"name: Polar fails the next checkout creation
steps:
  - name: Arm a 503 for the next POST /v1/checkouts/ (the app's retries included)
    do:
      - http:
          method: POST
          url: "${polar.control_url}/faults"
          json: { kind: status, status: 503, method: POST, path: /v1/checkouts/, remaining: 3 }
          expect: { status: 201 }
"#;

const SCENARIO: &str = "New user to checkout";

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The default scenarios, with the fault armed first.
fn scenarios(dir: &Path) -> PathBuf {
    let root = dir.join("scenarios");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"),
        &root,
    );
    std::fs::write(root.join("00-arm-a-fault.yaml"), ARM).unwrap();
    root
}

fn walkthrough(args: &[&str], paths: &[PathBuf], out: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--quiet"])
        .args(args)
        .args(paths)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn scenario<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("{name} in {report:#}"))
}

fn clips(steps: &Value) -> Vec<String> {
    steps
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["clip"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_scenario_that_fails_once_is_flaky_with_both_attempts_evidence_and_the_run_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = scenarios(tmp.path());
    let out = tmp.path().join("run");
    let output = walkthrough(&["--retries", "1", "--video", "on"], &[root], &out);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let retry = stderr
        .lines()
        .find(|l| l.starts_with(&format!("↻ retry 2/2 of {SCENARIO} after: step ")))
        .unwrap_or_else(|| panic!("a retry line in {stderr}"));
    assert!(
        retry.contains("“Upgrade opens Polar checkout” failed: "),
        "{retry}"
    );
    assert!(stderr.contains("1 scenario(s) flaky"), "{stderr}");

    let report = read_json(&out.join("report.json"));
    assert_eq!(report["run"]["status"], "passed");
    assert_eq!(report["run"]["retries"], 1);
    let checkout = scenario(&report, SCENARIO);
    assert_eq!(checkout["status"], "flaky", "{checkout:#}");
    let attempts = checkout["attempts"]
        .as_array()
        .expect("its earlier attempt");
    assert_eq!(attempts.len(), 1);
    let first = &attempts[0];
    assert_eq!(first["attempt"], 1);
    assert_eq!(first["status"], "failed");
    assert!(
        first["reason"]
            .as_str()
            .unwrap()
            .contains("Upgrade opens Polar checkout"),
        "{first:#}"
    );
    let failed: Vec<&Value> = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 1, "{first:#}");
    // Every scenario but the retried one passed the first time.
    for s in report["scenarios"].as_array().unwrap() {
        if s["name"] != SCENARIO {
            assert!(s.get("attempts").is_none(), "{s:#}");
            assert!(["passed", "not_runnable"].contains(&s["status"].as_str().unwrap()));
        }
    }

    // The slot is verified, with the flag; the others without it.
    for slot in report["slots"].as_array().unwrap() {
        assert_eq!(slot["status"], "verified", "{slot:#}");
        let flaky = slot["id"] == "new-user-to-checkout";
        assert_eq!(
            slot.get("flaky").is_some_and(|f| f == true),
            flaky,
            "{slot:#}"
        );
    }

    // Both attempts keep their own clips and screenshots: the first in the scenario's
    // folder, the retry in attempt-2/.
    let first_clips = clips(&first["steps"]);
    let last_clips = clips(&checkout["steps"]);
    assert!(!first_clips.is_empty() && !last_clips.is_empty());
    assert!(
        failed[0]["clip"].is_string() && failed[0]["screenshot"].is_string(),
        "{:#}",
        failed[0]
    );
    assert!(first["video"].is_string(), "{first:#}");
    for clip in &last_clips {
        assert!(clip.contains("/attempt-2/"), "{clip}");
    }
    let manifest = read_json(&out.join("manifest.json"));
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    let files = first_clips
        .iter()
        .chain(&last_clips)
        .map(String::as_str)
        .chain([
            failed[0]["screenshot"].as_str().unwrap(),
            first["video"].as_str().unwrap(),
            checkout["video"].as_str().unwrap(),
        ]);
    for file in files {
        assert!(out.join(file).is_file(), "{file}");
        assert!(listed.contains(&file), "{file} in the manifest");
    }
    let verify = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .arg("verify")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );

    // CI readers see a flaky test, not a failed one; the summary and the page say so.
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<flakyFailure ").count(), 1, "{junit}");
    assert!(!junit.contains("<failure "), "{junit}");
    assert!(junit.contains(r#"<property name="slot_flaky" value="true"/>"#));
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains("| `new-user-to-checkout` | ✅ verified (flaky) |"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("| {SCENARIO} | 🔁 flaky (2 attempts) |")),
        "{summary}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains(r#"data-testid="attempt" data-attempt="1" data-status="failed""#));
    assert!(html.contains(r#"data-testid="slot-flaky""#));
}

#[test]
fn fail_on_flaky_turns_the_same_flake_into_exit_5() {
    let tmp = tempfile::tempdir().unwrap();
    let root = scenarios(tmp.path());
    let out = tmp.path().join("run");
    let paths = [
        root.join("00-arm-a-fault.yaml"),
        root.join("01-new-user-to-checkout.yaml"),
    ];
    let output = walkthrough(
        &[
            "--retries",
            "1",
            "--fail-on-flaky",
            "--video",
            "off",
            "--timeout",
            "5s",
        ],
        &paths,
        &out,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("the run fails (--fail-on-flaky)"),
        "{stderr}"
    );
    let report = read_json(&out.join("report.json"));
    assert_eq!(report["run"]["status"], "failed");
    assert_eq!(report["run"]["fail_on_flaky"], true);
    assert_eq!(scenario(&report, SCENARIO)["status"], "flaky");
    let junit = std::fs::read_to_string(out.join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<failure message="flaky (--fail-on-flaky): attempt 1 of 2 failed: "#),
        "{junit}"
    );
    assert!(!junit.contains("<flakyFailure "), "{junit}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("**Failed because flaky:**"), "{summary}");
}
