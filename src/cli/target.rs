//! The default local target of `walkthrough run` and the embedded mock of `walkthrough
//! demo-app`: the stateful Polar mock and the demo app wired to it (the app registers its
//! webhook endpoint with the mock and verifies what the mock delivers), both as in-process
//! tokio tasks on loopback, plus the scenario variables that describe them.
//!
//! Also the sandbox target (`run --target sandbox`): Polar's sandbox and a deployed app,
//! described by `POLAR_*` variables, and the cleanup that revokes what the run created.
//!
//! Wires `polar_mock` to `demo_app`; that wiring is the CLI's job, so it lives here and in
//! no library module.

use crate::demo_app::{DemoApp, DemoAppConfig};
use crate::polar_mock::{MockConfig, MockPolar};
use std::sync::Arc;

/// The mock Polar and the demo app billed through it.
pub struct LocalTarget {
    /// Shared so the run can read deliveries and state while the app uses it.
    pub mock: Arc<MockPolar>,
    pub app: DemoApp,
    /// Whether the app answers 402 to turns without an entitlement.
    pub enforce: bool,
}

impl std::fmt::Debug for LocalTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalTarget")
            .field("polar", &self.mock.base_url())
            .field("app", &self.app.url())
            .field("enforce", &self.enforce)
            .finish()
    }
}

/// Starts the mock (on a free port, built-in seed) and the demo app wired to it. The app
/// registers its webhook endpoint with the mock, so deliveries are signed with a secret
/// only the two of them know.
pub async fn start_local(enforce: bool) -> Result<LocalTarget, String> {
    start_local_with(MockConfig::default(), None, enforce).await
}

/// [`start_local`] with a chosen mock config and app port.
pub async fn start_local_with(
    mock_config: MockConfig,
    app_port: Option<u16>,
    enforce: bool,
) -> Result<LocalTarget, String> {
    let mock = MockPolar::start(mock_config)
        .await
        .map_err(|e| format!("cannot start the mock Polar: {e}"))?;
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
    .await
    .map_err(|e| format!("cannot start the demo app against the mock Polar: {e}"))?;
    Ok(LocalTarget { mock, app, enforce })
}

impl LocalTarget {
    /// The demo app's base URL, `http://127.0.0.1:PORT`.
    pub fn app_url(&self) -> String {
        self.app.url()
    }

    /// The scenario variables this target provides (names from `scenario::PROVIDED_VARS`).
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
        let LocalTarget { mock, app, .. } = self;
        app.shutdown().await;
        drop(mock);
    }
}

/// The sandbox's API when `POLAR_API_URL` is not set.
pub const SANDBOX_API_URL: &str = "https://sandbox-api.polar.sh";

/// `run --target sandbox`: Polar's sandbox (or `POLAR_API_URL`) and the app at `--app`.
/// Built from `POLAR_*` variables; holds the token, so its `Debug` hides it.
#[derive(Clone)]
pub struct SandboxTarget {
    pub api_url: String,
    pub product_id: String,
    pub organization_slug: Option<String>,
    token: String,
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for SandboxTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxTarget")
            .field("api_url", &self.api_url)
            .field("product_id", &self.product_id)
            .field("organization_slug", &self.organization_slug)
            .finish_non_exhaustive()
    }
}

impl SandboxTarget {
    /// Reads `POLAR_ACCESS_TOKEN` and `POLAR_PRODUCT_ID` (required), `POLAR_API_URL`
    /// (default [`SANDBOX_API_URL`]), `POLAR_ORGANIZATION_SLUG` and `POLAR_WEBHOOK_SECRET`.
    /// A missing required variable is an error naming it and the fix.
    pub fn from_env(lookup: impl Fn(&str) -> Option<String>) -> Result<SandboxTarget, String> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = get("POLAR_ACCESS_TOKEN").ok_or(
            "POLAR_ACCESS_TOKEN is not set\n  fix: create an organization access token in the \
             sandbox dashboard (https://sandbox.polar.sh, Settings → Developers) and export \
             POLAR_ACCESS_TOKEN (see docs/sandbox.md)",
        )?;
        let product_id = get("POLAR_PRODUCT_ID").ok_or(
            "POLAR_PRODUCT_ID is not set\n  fix: export POLAR_PRODUCT_ID with the id of the \
             sandbox product the app sells (see docs/sandbox.md)",
        )?;
        let api_url = get("POLAR_API_URL")
            .unwrap_or_else(|| SANDBOX_API_URL.to_string())
            .trim_end_matches('/')
            .to_string();
        Ok(SandboxTarget {
            api_url,
            product_id,
            organization_slug: get("POLAR_ORGANIZATION_SLUG"),
            token,
            webhook_secret: get("POLAR_WEBHOOK_SECRET"),
        })
    }

    /// The run variables: `polar.server`, `polar.api_url`, `polar.product_id`,
    /// `polar.organization_slug` when known. The token is [`Self::secrets`]' first and is
    /// set apart, as a secret (`polar.token`).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("polar.server", "sandbox".to_string()),
            ("polar.api_url", self.api_url.clone()),
            ("polar.product_id", self.product_id.clone()),
        ];
        if let Some(slug) = &self.organization_slug {
            vars.push(("polar.organization_slug", slug.clone()));
        }
        vars
    }

    /// The access token (for `polar.token`, set as a secret).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Values the redactor must hide: the token and the webhook secret when set.
    pub fn secrets(&self) -> Vec<&str> {
        std::iter::once(self.token.as_str())
            .chain(self.webhook_secret.as_deref())
            .collect()
    }

    /// A client for the sandbox API with this token.
    pub fn client(&self) -> Result<crate::polar::PolarClient, String> {
        crate::polar::PolarClient::builder(self.api_url.clone(), self.token.clone())
            .build()
            .map_err(|e| format!("cannot build the Polar client: {e}"))
    }

    /// Revokes the subscriptions of the run's customer (`email` is `${run.email}`) and
    /// prints the revoked ids. Returns what it did, for the report.
    pub async fn cleanup(&self, email: &str) -> Result<crate::polar::cleanup::Cleanup, String> {
        let client = self.client()?;
        let done = crate::polar::cleanup::revoke_run_subscriptions(&client, email)
            .await
            .map_err(|e| format!("cleanup of {email} failed: {e}"))?;
        if done.revoked.is_empty() {
            eprintln!("cleanup: no live subscription for {email}");
        }
        for id in &done.revoked {
            eprintln!("cleanup: revoked subscription {id}");
        }
        for (id, err) in &done.failed {
            eprintln!("cleanup: could not revoke subscription {id}: {err}");
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn sandbox_target_reads_polar_variables_and_keeps_the_token_secret() {
        let t = SandboxTarget::from_env(env(&[
            ("POLAR_ACCESS_TOKEN", "polar_oat_secretvalue123"),
            ("POLAR_PRODUCT_ID", "prod-1"),
            ("POLAR_ORGANIZATION_SLUG", "acme"),
            ("POLAR_WEBHOOK_SECRET", "whsec_abcdef123"),
        ]))
        .expect("target");
        assert_eq!(t.api_url, SANDBOX_API_URL);
        let vars = t.vars();
        for (name, _) in &vars {
            assert!(crate::scenario::PROVIDED_VARS.contains(name), "{name}");
        }
        let get = |k: &str| vars.iter().find(|(n, _)| *n == k).map(|v| v.1.clone());
        assert_eq!(get("polar.server").as_deref(), Some("sandbox"));
        assert_eq!(get("polar.product_id").as_deref(), Some("prod-1"));
        assert_eq!(get("polar.organization_slug").as_deref(), Some("acme"));
        assert_eq!(get("polar.token"), None, "the token is not a plain var");
        assert_eq!(t.token(), "polar_oat_secretvalue123");
        assert_eq!(
            t.secrets(),
            vec!["polar_oat_secretvalue123", "whsec_abcdef123"]
        );
        assert!(!format!("{t:?}").contains("secretvalue"), "{t:?}");

        let t = SandboxTarget::from_env(env(&[
            ("POLAR_ACCESS_TOKEN", "polar_oat_x123456"),
            ("POLAR_PRODUCT_ID", "prod-1"),
            ("POLAR_API_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap();
        assert_eq!(t.api_url, "http://127.0.0.1:9");
        assert!(t
            .vars()
            .iter()
            .all(|(k, _)| *k != "polar.organization_slug"));
        assert_eq!(t.secrets(), vec!["polar_oat_x123456"]);
    }

    #[test]
    fn sandbox_target_names_the_missing_variable_and_the_fix() {
        let e = SandboxTarget::from_env(env(&[("POLAR_PRODUCT_ID", "p")])).unwrap_err();
        assert!(e.starts_with("POLAR_ACCESS_TOKEN is not set"), "{e}");
        assert!(e.contains("fix:"), "{e}");
        let e = SandboxTarget::from_env(env(&[
            ("POLAR_ACCESS_TOKEN", "polar_oat_x"),
            ("POLAR_PRODUCT_ID", "  "),
        ]))
        .unwrap_err();
        assert!(e.starts_with("POLAR_PRODUCT_ID is not set"), "{e}");
    }

    #[tokio::test]
    async fn the_app_is_wired_to_the_mock_and_everything_stops() {
        let target = start_local(true).await.expect("local target");
        let vars = target.vars();
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
        let state = target.mock.state_json();
        let endpoints = state["webhook_endpoints"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(endpoints.len(), 1, "{state}");
        assert_eq!(
            endpoints[0]["url"].as_str().unwrap(),
            format!("{}/api/polar/webhooks", target.app_url())
        );

        // The app answers and enforces.
        let http = reqwest::Client::new();
        let status: serde_json::Value = http
            .get(format!("{}/api/billing/status", target.app_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(status["status"], "free");
        assert_eq!(status["enforce"], true);

        let app_url = target.app_url();
        let mock_url = get("polar.api_url");
        let mock = Arc::downgrade(&target.mock);
        target.shutdown().await;
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
