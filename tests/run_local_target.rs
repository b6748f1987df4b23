//! `walkthrough run` as a user runs it: without `--app` the demo app runs against the mock
//! Polar (target "mock", the `polar.*` vars set, `--enforce` reaching the app);
//! `--app fixtures` still serves the fixture pages.

use std::path::Path;
use std::process::Command;

const SMOKE: &str = r#"name: Local target smoke
slot: new-user-to-checkout
steps:
  - name: The demo app shows Billing as Free
    do:
      - open: /new
      - click: { testid: account-menu }
      - click: Billing
      - expect_text: { in: { testid: billing-status }, equals: Free }
      - click: Close
  - name: Turns are refused without a subscription
    do:
      - fill: { testid: prompt-input, value: hello }
      - click: Send
      - expect_text: { in: { testid: chat-error }, contains: no active subscription }
      - expect_visible: { testid: billing-dialog }
  - name: The mock knows the app
    do:
      - http:
          url: "${polar.control_url}/state"
          expect:
            status: 200
            json:
              products.0.id: "${polar.product_id}"
              webhook_endpoints.0.url: "${app.url}/api/polar/webhooks"
      - http:
          url: "${polar.api_url}/v1/products/${polar.product_id}"
          expect: { status: 401 }
  - name: Upgrade opens the mock checkout
    do:
      - click: Upgrade
      - expect_url: "${polar.checkout_base}/"
      - expect_text: { in: { testid: checkout-product-name }, equals: Tegy Pro }
      - open: "${polar.api_url}/${polar.organization_slug}/portal?customer_session_token=x"
      - expect_visible: { testid: portal-session-expired }
"#;

const FIXTURES: &str = r#"name: Fixture site
slot: production-smoke
steps:
  - name: The fixture index
    do:
      - open: /index.html
      - expect_text: Fixture pages
"#;

fn run(dir: &Path, args: &[&str]) -> (Option<i32>, String, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .arg("run")
        .args(args)
        .arg("--out")
        .arg(dir.join("out"))
        .arg("--quiet")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = std::fs::read_to_string(dir.join("out/report.json"))
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap_or(serde_json::Value::Null);
    (out.status.code(), stderr, report)
}

#[test]
fn the_default_app_is_the_demo_app_on_the_mock() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("smoke.yaml");
    std::fs::write(&scenario, SMOKE).unwrap();
    let (code, stderr, report) = run(dir.path(), &[scenario.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{stderr}\n{report:#}");
    assert_eq!(report["run"]["target"], "mock", "{report:#}");
}

#[test]
fn the_fixture_site_is_still_reachable() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("fixtures.yaml");
    std::fs::write(&scenario, FIXTURES).unwrap();
    let (code, stderr, report) = run(
        dir.path(),
        &[scenario.to_str().unwrap(), "--app", "fixtures"],
    );
    assert_eq!(code, Some(0), "{stderr}\n{report:#}");
    assert_eq!(report["run"]["target"], "none", "{report:#}");
    assert_eq!(report["run"]["app"]["source"], "fixtures", "{report:#}");
}

#[test]
fn targets_name_where_polar_is_so_a_mock_only_scenario_does_not_run_without_the_mock() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("mock-only.yaml");
    let text = FIXTURES.replace(
        "slot: production-smoke\n",
        "slot: production-smoke\ntargets: [mock]\n",
    );
    std::fs::write(&scenario, text).unwrap();
    let (code, stderr, report) = run(
        dir.path(),
        &[scenario.to_str().unwrap(), "--app", "fixtures"],
    );
    assert_eq!(code, Some(0), "{stderr}\n{report:#}");
    assert_eq!(report["run"]["target"], "none");
    assert_eq!(
        report["scenarios"][0]["status"], "not_runnable",
        "{report:#}"
    );
    assert_eq!(report["slots"][5]["status"], "not_runnable", "{report:#}");
    assert_eq!(
        report["scenarios"][0]["steps"].as_array().map(Vec::len),
        Some(0),
        "never run, never faked"
    );
}

#[test]
fn an_app_url_with_nothing_listening_fails_in_seconds_naming_the_url() {
    let dir = tempfile::tempdir().unwrap();
    let port = walkthrough::process::free_port().unwrap();
    let project = dir.path().join("walkthrough.yaml");
    std::fs::write(
        &project,
        format!("scenarios: [s.yaml]\napp:\n  url: http://127.0.0.1:{port}\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("s.yaml"), SMOKE).unwrap();
    let started = std::time::Instant::now();
    let (code, stderr, _) = run(dir.path(), &["--config", project.to_str().unwrap()]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(15),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains(&format!("nothing answers at http://127.0.0.1:{port}/")),
        "{stderr}"
    );
}
