//! `run --target sandbox` without a sandbox: nothing here calls a real Polar host. The
//! cleanup runs against the mock over HTTP; the CLI's usage and configuration errors; and a
//! `targets: [mock]` scenario reported not runnable (never run, never faked) while the
//! rest of the run passes, with `POLAR_API_URL` pointed at a local mock.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use walkthrough::demo_app::fixture_pages::StaticSite;
use walkthrough::polar::cleanup::revoke_run_subscriptions;
use walkthrough::polar::PolarClient;
use walkthrough::polar_mock::{MockConfig, MockPolar};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The binary with no POLAR_* variable inherited from the environment.
fn walkthrough() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    cmd.current_dir(root());
    for (k, _) in std::env::vars() {
        if k.starts_with("POLAR_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

async fn output(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

async fn call(mock: &MockPolar, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(
            method.parse().unwrap(),
            format!("{}{path}", mock.base_url()),
        )
        .bearer_auth(mock.token());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Buys a subscription on the mock as `email`: a checkout through the REST API, paid on
/// the public confirm endpoint the hosted page uses. Returns the subscription id.
async fn subscribe(mock: &MockPolar, email: &str) -> String {
    let (s, checkout) = call(
        mock,
        "POST",
        "/v1/checkouts/",
        Some(json!({"products": [mock.product_id()], "seats": 1, "customer_email": email})),
    )
    .await;
    assert_eq!(s, 201, "{checkout}");
    let secret = checkout["client_secret"].as_str().unwrap();
    let (s, confirmed) = call(
        mock,
        "POST",
        &format!("/v1/checkouts/client/{secret}/confirm"),
        Some(json!({
            "customer_email": email, "customer_name": "Run Buyer",
            "customer_billing_address": {"country": "DE"},
            "card": {"number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"},
        })),
    )
    .await;
    assert_eq!(s, 200, "{confirmed}");
    let customer = confirmed["customer_id"].as_str().unwrap().to_string();
    let (s, subs) = call(
        mock,
        "GET",
        &format!("/v1/subscriptions/?customer_id={customer}"),
        None,
    )
    .await;
    assert_eq!(s, 200, "{subs}");
    let items = subs["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{subs}");
    assert_eq!(items[0]["status"], "active", "{subs}");
    items[0]["id"].as_str().unwrap().to_string()
}

async fn status_of(mock: &MockPolar, id: &str) -> String {
    let (s, sub) = call(mock, "GET", &format!("/v1/subscriptions/{id}"), None).await;
    assert_eq!(s, 200, "{sub}");
    sub["status"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn cleanup_revokes_the_runs_subscriptions_and_nobody_elses() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let ours = "walkthrough+20260101-000000-abcdef@acme.dev";
    let theirs = "walkthrough+20260101-000000-123456@acme.dev";
    let our_sub = subscribe(&mock, ours).await;
    let their_sub = subscribe(&mock, theirs).await;

    let client = PolarClient::builder(mock.base_url(), mock.token())
        .build()
        .unwrap();
    let done = revoke_run_subscriptions(&client, ours).await.unwrap();
    assert_eq!(done.revoked, vec![our_sub.clone()]);
    assert_eq!(done.customers.len(), 1);
    assert!(done.failed.is_empty(), "{:?}", done.failed);
    assert_eq!(status_of(&mock, &our_sub).await, "canceled");
    assert_eq!(status_of(&mock, &their_sub).await, "active");

    // A second cleanup finds nothing left to revoke.
    let again = revoke_run_subscriptions(&client, ours).await.unwrap();
    assert!(again.revoked.is_empty(), "{again:?}");
    // An email nobody used revokes nothing.
    let none = revoke_run_subscriptions(&client, "nobody@acme.dev")
        .await
        .unwrap();
    assert!(none.customers.is_empty() && none.revoked.is_empty());
    assert_eq!(status_of(&mock, &their_sub).await, "active");
}

#[tokio::test]
async fn sandbox_needs_an_app_url_and_the_polar_variables() {
    // Each refused run still writes its (failed) report: into a temporary folder, never into
    // the checkout's recordings/.
    let scratch = tempfile::tempdir().unwrap();
    let folder = |name: &str| scratch.path().join(name).display().to_string();
    for app in [None, Some("fixtures")] {
        let mut cmd = walkthrough();
        cmd.args(["run", "fixtures/scenarios", "--target", "sandbox"])
            .args(["--out", &folder(app.unwrap_or("none"))]);
        if let Some(app) = app {
            cmd.args(["--app", app]);
        }
        cmd.env("POLAR_ACCESS_TOKEN", "polar_oat_unused123")
            .env("POLAR_PRODUCT_ID", "p");
        let out = output(cmd).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{app:?}: {stderr}");
        assert!(
            stderr.contains("--target sandbox needs --app URL"),
            "{stderr}"
        );
    }

    let mut cmd = walkthrough();
    cmd.args([
        "run",
        "fixtures/scenarios",
        "--target",
        "sandbox",
        "--app",
        "http://127.0.0.1:9/",
        "--out",
        &folder("no-token"),
    ])
    .env("POLAR_PRODUCT_ID", "p");
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("POLAR_ACCESS_TOKEN is not set"), "{stderr}");
    assert!(stderr.contains("fix:"), "{stderr}");

    let mut cmd = walkthrough();
    cmd.args(["run", "fixtures/scenarios", "--target", "sandbox"])
        .args(["--app", "http://127.0.0.1:9/"])
        .args(["--out", &folder("no-product")])
        .env("POLAR_ACCESS_TOKEN", "polar_oat_unused123");
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("POLAR_PRODUCT_ID is not set"), "{stderr}");
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mock_only_scenario_is_not_runnable_on_the_sandbox_and_the_run_passes() {
    let site = StaticSite::start(&root().join("fixtures/pages"))
        .await
        .unwrap();
    // POLAR_API_URL points at a local mock: the run's cleanup talks to it, not to Polar.
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let scenarios = tempfile::tempdir().unwrap();
    write(
        scenarios.path(),
        "01-open.yaml",
        "name: Open the fixture pages\nslot: new-user-to-checkout\nsteps:\n  - name: Open\n    do:\n      - open: /index.html\n      - expect_text: { in: { css: h1 }, equals: Fixture pages }\n",
    );
    write(
        scenarios.path(),
        "02-mock-only.yaml",
        "name: Advance a period\nslot: payment-recovery\ntargets: [mock]\nsteps:\n  - name: Would need the control plane\n    do:\n      - open: /index.html\n      - expect_text: { in: { css: h1 }, equals: Not this }\n",
    );
    let out_dir = tempfile::tempdir().unwrap();
    let mut cmd = walkthrough();
    cmd.arg("run")
        .arg(scenarios.path())
        .args(["--quiet", "--target", "sandbox", "--app"])
        .arg(format!("{}/", site.url()))
        .arg("--out")
        .arg(out_dir.path())
        .env("POLAR_ACCESS_TOKEN", mock.token())
        .env("POLAR_PRODUCT_ID", mock.product_id())
        .env("POLAR_API_URL", mock.base_url());
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("- not runnable on this target (targets: mock)"),
        "{stderr}"
    );
    assert!(stderr.contains("cleanup: no live subscription"), "{stderr}");
    assert!(
        !stderr.contains(&mock.token()),
        "the token leaked: {stderr}"
    );

    let report: Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["run"]["target"], "sandbox");
    assert_eq!(report["run"]["status"], "passed");
    let s = report["scenarios"].as_array().unwrap();
    assert_eq!(s[0]["status"], "passed", "{}", s[0]);
    assert_eq!(s[1]["status"], "not_runnable", "{}", s[1]);
    assert_eq!(s[1]["steps"], json!([]), "never run, never faked");
    let slot = report["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "payment-recovery")
        .unwrap();
    assert_eq!(slot["status"], "not_runnable", "{slot}");
    assert_eq!(slot["reason"], "not runnable on target sandbox");

    let junit = std::fs::read_to_string(out_dir.path().join("junit.xml")).unwrap();
    assert!(
        junit.contains(r#"<skipped message="not runnable on target sandbox"/>"#),
        "{junit}"
    );
    let cleanup: Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("cleanup.json")).unwrap())
            .unwrap();
    assert_eq!(cleanup["revoked"], json!([]));
    assert!(cleanup["email"]
        .as_str()
        .unwrap()
        .contains(report["run"]["id"].as_str().unwrap()));
}

/// The production target against the mock standing in for production, with the demo app on
/// it: the default scenarios' production smoke runs and passes (the verifier, the billing UI),
/// every other scenario is not runnable, and a step that would write to Polar's API is
/// refused before it is sent — the order the mock counts stays zero.
#[tokio::test(flavor = "multi_thread")]
async fn production_runs_only_the_smoke_and_refuses_a_write() {
    use walkthrough::demo_app::{DemoApp, DemoAppConfig};
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let app = DemoApp::start(DemoAppConfig {
        port: None,
        db_path: None,
        enforce: true,
        polar_api_url: mock.base_url(),
        polar_token: mock.token(),
        product_id: mock.product_id(),
        webhook_secret: None,
    })
    .await
    .unwrap();
    let scenarios = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root().join("scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            std::fs::copy(&path, scenarios.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let flows = scenarios.path().join("flows");
    std::fs::create_dir_all(&flows).unwrap();
    for entry in std::fs::read_dir(root().join("scenarios/flows")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, flows.join(path.file_name().unwrap())).unwrap();
    }
    write(
        scenarios.path(),
        "07-would-write.yaml",
        "name: A smoke that would buy\ntargets: [production]\nsteps:\n  - name: Create a checkout on production\n    do:\n      - http:\n          method: POST\n          url: ${polar.api_url}/v1/checkouts/\n          json: { products: [\"${polar.product_id}\"] }\n          expect: { status: 201 }\n",
    );
    let out_dir = tempfile::tempdir().unwrap();
    let mut cmd = walkthrough();
    cmd.arg("run")
        .arg(scenarios.path())
        .args([
            "--quiet",
            "--video",
            "off",
            "--target",
            "production",
            "--app",
        ])
        .arg(format!("{}/", app.url()))
        .arg("--out")
        .arg(out_dir.path())
        .env("POLAR_ACCESS_TOKEN", mock.token())
        .env("POLAR_PRODUCT_ID", mock.product_id())
        .env("POLAR_API_URL", mock.base_url());
    let out = output(cmd).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("cleanup: none on production (read-only)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("production runs only scenarios that name it"),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&mock.token()),
        "the token leaked: {stderr}"
    );

    let report: Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("report.json")).unwrap())
            .unwrap();
    assert_eq!(report["run"]["target"], "production");
    let by_name = |name: &str| {
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no scenario {name}"))
            .clone()
    };
    let smoke = by_name("Production smoke");
    assert_eq!(smoke["status"], "passed", "{smoke:#}");
    let verifier = smoke["steps"][0].to_string();
    assert!(verifier.contains("production"), "{verifier}");
    for name in [
        "New user to checkout",
        "Checkout return to active",
        "Continue using the product",
        "Cancel in the customer portal",
        "Payment failure and recovery",
    ] {
        let s = by_name(name);
        assert_eq!(s["status"], "not_runnable", "{s:#}");
        assert_eq!(s["steps"], json!([]), "never run, never faked");
    }
    let write = by_name("A smoke that would buy");
    assert_eq!(write["status"], "failed", "{write:#}");
    let message = write["steps"][0]["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains("refused, the production target is read-only")
            && message.contains("POST /v1/checkouts/"),
        "{write:#}"
    );
    // Nothing reached the stand-in's write path: no checkout exists.
    let (status, checkouts) = call(&mock, "GET", "/v1/checkouts/", None).await;
    assert_eq!(status, 200);
    assert_eq!(checkouts["items"], json!([]), "{checkouts}");
}

/// The production target's client reads and never writes: a GET reaches the stand-in, a
/// checkout is refused before it is sent.
#[tokio::test]
async fn a_read_only_client_refuses_writes_before_sending_them() {
    use walkthrough::polar::types::CheckoutCreate;
    use walkthrough::polar::PolarError;
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let client = PolarClient::builder(mock.base_url(), mock.token())
        .read_only(true)
        .build()
        .unwrap();
    let product = client.get_product(&mock.product_id()).await.unwrap();
    assert_eq!(product.name, "Tegy Pro");
    let body = CheckoutCreate {
        products: vec![mock.product_id()],
        ..Default::default()
    };
    let refused = client.create_checkout(&body).await.unwrap_err();
    assert!(
        matches!(&refused, PolarError::ReadOnly { method, path } if method == "POST" && path == "/v1/checkouts/"),
        "{refused:?}"
    );
    let (_, checkouts) = call(&mock, "GET", "/v1/checkouts/", None).await;
    assert_eq!(checkouts["items"], json!([]), "{checkouts}");
}
