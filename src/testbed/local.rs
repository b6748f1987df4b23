//! The default testbed of `walkthrough run` (no `--app`, no project app): the stateful
//! Polar mock and the demo app wired to it (the app registers its webhook endpoint with the
//! mock and verifies what the mock delivers), both as in-process tokio tasks on loopback,
//! plus the scenario variables that describe them.

use crate::demo_app::{DemoApp, DemoAppConfig};
use crate::polar_mock::{MockConfig, MockPolar};

use super::TestbedError;
use std::sync::Arc;

/// The mock Polar and the demo app billed through it.
pub struct LocalTestbed {
    /// Shared so the run can read deliveries and state while the app uses it.
    pub mock: Arc<MockPolar>,
    pub app: DemoApp,
    /// Whether the app answers 402 to turns without an entitlement.
    pub enforce: bool,
}

impl std::fmt::Debug for LocalTestbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTestbed")
            .field("polar", &self.mock.base_url())
            .field("app", &self.app.url())
            .field("enforce", &self.enforce)
            .finish()
    }
}

/// Starts the mock (on a free port, built-in seed) and the demo app wired to it. The app
/// registers its webhook endpoint with the mock, so deliveries are signed with a secret
/// only the two of them know.
pub async fn start_local(enforce: bool) -> Result<LocalTestbed, TestbedError> {
    start_local_with(MockConfig::default(), None, enforce).await
}

/// [`start_local`] with a chosen mock config and app port.
pub async fn start_local_with(
    mock_config: MockConfig,
    app_port: Option<u16>,
    enforce: bool,
) -> Result<LocalTestbed, TestbedError> {
    let mock = MockPolar::start(mock_config).await?;
    let mock = Arc::new(mock);
    let app = DemoApp::start(DemoAppConfig {
        port: app_port,
        db_path: None,
        enforce,
        polar_api_url: mock.base_url(),
        polar_token: mock.token(),
        product_id: mock.product_id(),
        webhook_secret: None,
    })
    .await?;
    Ok(LocalTestbed { mock, app, enforce })
}

impl LocalTestbed {
    /// The demo app's base URL, `http://127.0.0.1:PORT`.
    pub fn app_url(&self) -> String {
        self.app.url()
    }

    /// The scenario variables this testbed provides (names from `scenario::PROVIDED_VARS`).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let base = self.mock.base_url();
        vec![
            ("polar.api_url", base.clone()),
            ("polar.control_url", self.mock.control_url()),
            ("polar.checkout_base", format!("{base}/checkout")),
            ("polar.organization_slug", self.mock.organization_slug()),
            ("polar.product_id", self.mock.product_id()),
        ]
    }

    /// Stops the app (in-flight requests finish, its temporary database is removed), then
    /// the mock's server and webhook dispatcher (deliveries still queued are dropped: the
    /// app is gone). The mock stops when its last `Arc` goes, so callers that cloned it
    /// must drop their clones too.
    pub async fn shutdown(self) {
        let LocalTestbed { mock, app, .. } = self;
        app.shutdown().await;
        drop(mock);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn the_app_is_wired_to_the_mock_and_everything_stops() {
        let testbed = start_local(true).await.expect("local testbed");
        let vars = testbed.vars();
        let names: Vec<&str> = vars.iter().map(|(k, _)| *k).collect();
        for name in &names {
            assert!(crate::scenario::PROVIDED_VARS.contains(name), "{name}");
        }
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).unwrap().1.clone();
        assert_eq!(get("polar.organization_slug"), "tegy");
        assert!(get("polar.checkout_base").ends_with("/checkout"));
        assert_eq!(
            get("polar.control_url"),
            format!("{}/__control", get("polar.api_url"))
        );

        // The app registered its endpoint with the mock.
        let state = testbed.mock.state_json();
        let endpoints = state["webhook_endpoints"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(endpoints.len(), 1, "{state}");
        assert_eq!(
            endpoints[0]["url"].as_str().unwrap(),
            format!("{}/api/polar/webhooks", testbed.app_url())
        );

        // The app answers and enforces.
        let http = reqwest::Client::new();
        let status: serde_json::Value = http
            .get(format!("{}/api/billing/status", testbed.app_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["status"], "free");
        assert_eq!(status["enforce"], true);

        let app_url = testbed.app_url();
        let mock_url = get("polar.api_url");
        let mock = Arc::downgrade(&testbed.mock);
        testbed.shutdown().await;
        assert!(mock.upgrade().is_none(), "the mock was dropped");
        tokio::time::sleep(Duration::from_millis(100)).await;
        for url in [app_url, mock_url] {
            assert!(
                reqwest::get(format!("{url}/healthz")).await.is_err(),
                "{url} still answers after shutdown"
            );
        }
    }
}
