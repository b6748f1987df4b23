//! `walkthrough demo-app` as a process: without `--polar-url` it starts the embedded mock
//! Polar, prints `{app_url, polar_url, webhook_secret}` as its first line, serves the app
//! wired to the mock (webhook endpoint registered, deliveries verified), and on SIGINT
//! exits cleanly with nothing left listening. Usage errors exit 2.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn walkthrough() -> Command {
    Command::new(env!("CARGO_BIN_EXE_walkthrough"))
}

/// Waits for the child to exit, at most `timeout`.
fn wait_exit(child: &mut std::process::Child, timeout: Duration) -> Option<i32> {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status.code().unwrap_or(-1));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

/// Kills the child if the test fails before it stops it.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// The session cookie of a first visit, as `name=value`.
fn cookie_of(resp: &reqwest::Response) -> String {
    let set = resp
        .headers()
        .get("set-cookie")
        .expect("first visit sets the session cookie")
        .to_str()
        .unwrap();
    set.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn embedded_mock_serves_the_app_and_sigint_stops_everything() {
    let mut child = walkthrough()
        .args(["demo-app", "--enforce"])
        .env_remove("POLAR_API_URL")
        .env_remove("POLAR_ACCESS_TOKEN")
        .env_remove("POLAR_PRODUCT_ID")
        .env_remove("POLAR_WEBHOOK_SECRET")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as i32;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let stderr = child.stderr.take().unwrap();
    let mut child = KillOnDrop(child);
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let line: serde_json::Value = serde_json::from_str(first.trim())
        .unwrap_or_else(|e| panic!("first line is JSON ({e}): {first:?}"));
    let app = line["app_url"].as_str().unwrap().to_string();
    let polar = line["polar_url"].as_str().unwrap().to_string();
    let secret = line["webhook_secret"].as_str().unwrap().to_string();
    assert!(app.starts_with("http://127.0.0.1:"), "{app}");
    assert!(polar.starts_with("http://127.0.0.1:"), "{polar}");
    assert_ne!(app, polar);
    assert!(
        secret.starts_with("whsec_"),
        "the mock's generated secret: {secret:?}"
    );

    let http = reqwest::Client::new();
    // The app answers; a first visit creates a workspace.
    let resp = http
        .get(format!("{app}/api/billing/status"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = cookie_of(&resp);
    let status: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(status["status"], "free");
    assert_eq!(status["enforce"], true);
    // --enforce reached the app: a free workspace's turn is refused.
    let turn = http
        .post(format!("{app}/api/turns"))
        .header("cookie", &cookie)
        .json(&serde_json::json!({"prompt": "hello"}))
        .send()
        .await
        .unwrap();
    assert_eq!(turn.status(), 402);
    // The plan comes from the embedded mock's seed.
    let plans: serde_json::Value = http
        .get(format!("{app}/api/billing/plans"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(plans["plans"][0]["name"], "Tegy Pro", "{plans}");
    // The app registered its webhook endpoint with the mock, and a checkout reaches it.
    let state: serde_json::Value = http
        .get(format!("{polar}/__control/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoints = state["webhook_endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 1);
    assert_eq!(endpoints[0]["url"], format!("{app}/api/polar/webhooks"));
    assert!(
        !state.to_string().contains(&secret),
        "the control plane never shows the secret"
    );
    // Checkout through the app, paid on the mock's confirm API: the mock delivers signed
    // webhooks the app verifies with the secret it was given, and the workspace turns active.
    let checkout: serde_json::Value = http
        .post(format!("{app}/api/billing/checkout"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let url = checkout["url"].as_str().unwrap();
    assert!(url.starts_with(&format!("{polar}/checkout/")), "{checkout}");
    let client_secret = url.rsplit('/').next().unwrap();
    let confirm = http
        .post(format!(
            "{polar}/v1/checkouts/client/{client_secret}/confirm"
        ))
        .json(&serde_json::json!({
            "customer_email": "owner@acme.dev",
            "customer_name": "Owner",
            "customer_billing_address": {"country": "DE"},
            "card": {"number": "4242 4242 4242 4242", "expiry": "12/34", "cvc": "123"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let deliveries: serde_json::Value = http
            .get(format!("{polar}/__control/deliveries"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ok = deliveries.as_array().unwrap().iter().any(|d| {
            d["event_type"] == "subscription.active"
                && d["status_code"] == 200
                && d["succeeded"] == true
        });
        if ok {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "subscription.active was delivered and accepted: {deliveries}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status: serde_json::Value = http
        .get(format!("{app}/api/billing/status"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "active", "{status}");
    assert!(
        status["source"].as_str().unwrap().starts_with("webhook:"),
        "projected from a delivered webhook, not a refresh: {status}"
    );

    // SIGINT: the process exits 0, and neither server answers any more.
    assert!(walkthrough::process::signal_process(pid, libc::SIGINT));
    let code = wait_exit(&mut child.0, Duration::from_secs(10));
    assert_eq!(code, Some(0), "exits 0 on Ctrl-C");
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut err).unwrap();
    assert!(
        !rest.contains(&secret) && !err.contains(&secret),
        "the secret appears only on the first line"
    );
    assert!(err.contains("embedded mock Polar"), "{err}");
    for url in [&app, &polar] {
        assert!(
            http.get(url.as_str())
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_err(),
            "{url} still answers after exit"
        );
    }
    assert!(!walkthrough::process::is_alive(pid));
}

#[test]
fn polar_flags_without_polar_url_are_a_usage_error() {
    let out = walkthrough()
        .args(["demo-app", "--product-id", "p"])
        .env_remove("POLAR_API_URL")
        .env_remove("POLAR_ACCESS_TOKEN")
        .env_remove("POLAR_WEBHOOK_SECRET")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--product-id needs --polar-url"), "{err}");

    let out = walkthrough()
        .args(["demo-app", "--polar-url", "http://127.0.0.1:9"])
        .env_remove("POLAR_ACCESS_TOKEN")
        .env_remove("POLAR_PRODUCT_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("missing --polar-token, --product-id"), "{err}");
}
