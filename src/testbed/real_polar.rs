//! Polar's real servers as a target: `run --target sandbox` (Polar's sandbox and a deployed
//! app, and the cleanup that revokes what the run bought) and `run --target production` (the
//! live app and Polar's production API, read-only: the client refuses every request but
//! GET, and nothing is cleaned up because nothing was made). Described by `POLAR_*`
//! variables.

use super::TestbedError;
use crate::polar::cleanup::Cleanup;
use crate::polar::PolarClient;
use crate::scenario::PolarTarget;

/// The sandbox's API when `POLAR_API_URL` is not set.
pub const SANDBOX_API_URL: &str = "https://sandbox-api.polar.sh";
/// Production's API when `POLAR_API_URL` is not set.
pub const PRODUCTION_API_URL: &str = "https://api.polar.sh";

/// `run --target sandbox|production`: Polar's API there (or `POLAR_API_URL`) and the app at
/// `--app`. Built from `POLAR_*` variables; holds the token, so its `Debug` hides it.
#[derive(Clone)]
pub struct RealPolarTestbed {
    /// [`PolarTarget::Sandbox`] or [`PolarTarget::Production`].
    pub target: PolarTarget,
    pub api_url: String,
    pub product_id: String,
    pub organization_slug: Option<String>,
    token: String,
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for RealPolarTestbed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RealPolarTestbed")
            .field("target", &self.target)
            .field("api_url", &self.api_url)
            .field("product_id", &self.product_id)
            .field("organization_slug", &self.organization_slug)
            .finish_non_exhaustive()
    }
}

impl RealPolarTestbed {
    /// Reads `POLAR_ACCESS_TOKEN` and `POLAR_PRODUCT_ID` (required), `POLAR_API_URL`
    /// (default [`SANDBOX_API_URL`] or [`PRODUCTION_API_URL`]), `POLAR_ORGANIZATION_SLUG` and
    /// `POLAR_WEBHOOK_SECRET`, for `target` (the sandbox unless it is production). A missing
    /// required variable is an error naming it and the fix.
    pub fn from_env(
        target: PolarTarget,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<RealPolarTestbed, TestbedError> {
        let production = target == PolarTarget::Production;
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let token = get("POLAR_ACCESS_TOKEN").ok_or(TestbedError::MissingVariable {
            name: "POLAR_ACCESS_TOKEN",
            fix: if production {
                "create an organization access token with read scopes only in the production \
                 dashboard (https://polar.sh, Settings → Developers) and export \
                 POLAR_ACCESS_TOKEN (see docs/sandbox.md#production-smoke)"
            } else {
                "create an organization access token in the sandbox dashboard \
                 (https://sandbox.polar.sh, Settings → Developers) and export \
                 POLAR_ACCESS_TOKEN (see docs/sandbox.md)"
            },
        })?;
        let product_id = get("POLAR_PRODUCT_ID").ok_or(TestbedError::MissingVariable {
            name: "POLAR_PRODUCT_ID",
            fix: if production {
                "export POLAR_PRODUCT_ID with the id of the production product the app sells \
                 (see docs/sandbox.md#production-smoke)"
            } else {
                "export POLAR_PRODUCT_ID with the id of the sandbox product the app sells \
                 (see docs/sandbox.md)"
            },
        })?;
        let default_api = if production {
            PRODUCTION_API_URL
        } else {
            SANDBOX_API_URL
        };
        let api_url = get("POLAR_API_URL")
            .unwrap_or_else(|| default_api.to_string())
            .trim_end_matches('/')
            .to_string();
        Ok(RealPolarTestbed {
            target: if production {
                PolarTarget::Production
            } else {
                PolarTarget::Sandbox
            },
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
            ("polar.server", self.target.as_str().to_string()),
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

    /// A client for the API with this token; read-only (GET only) on production.
    pub fn client(&self) -> Result<PolarClient, TestbedError> {
        PolarClient::builder(self.api_url.clone(), self.token.clone())
            .read_only(self.target == PolarTarget::Production)
            .build()
            .map_err(TestbedError::Client)
    }

    /// Revokes the subscriptions of the run's customer (`email` is `${run.email}`) and
    /// prints the revoked ids. Returns what it did, for the report. On production nothing
    /// was bought, and nothing is touched.
    pub async fn cleanup(&self, email: &str) -> Result<Cleanup, TestbedError> {
        if self.target == PolarTarget::Production {
            eprintln!("cleanup: none on production (read-only)");
            return Ok(Cleanup::default());
        }
        let client = self.client()?;
        let done = crate::polar::cleanup::revoke_run_subscriptions(&client, email)
            .await
            .map_err(|source| TestbedError::Cleanup {
                email: email.to_string(),
                source,
            })?;
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

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: std::collections::HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn sandbox_target_reads_polar_variables_and_keeps_the_token_secret() {
        let t = RealPolarTestbed::from_env(
            PolarTarget::Sandbox,
            env(&[
                ("POLAR_ACCESS_TOKEN", "polar_oat_secretvalue123"),
                ("POLAR_PRODUCT_ID", "prod-1"),
                ("POLAR_ORGANIZATION_SLUG", "acme"),
                ("POLAR_WEBHOOK_SECRET", "whsec_abcdef123"),
            ]),
        )
        .expect("sandbox testbed");
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

        let t = RealPolarTestbed::from_env(
            PolarTarget::Sandbox,
            env(&[
                ("POLAR_ACCESS_TOKEN", "polar_oat_x123456"),
                ("POLAR_PRODUCT_ID", "prod-1"),
                ("POLAR_API_URL", "http://127.0.0.1:9/"),
            ]),
        )
        .unwrap();
        assert_eq!(t.api_url, "http://127.0.0.1:9");
        assert!(t
            .vars()
            .iter()
            .all(|(k, _)| *k != "polar.organization_slug"));
        assert_eq!(t.secrets(), vec!["polar_oat_x123456"]);
    }

    #[test]
    fn production_defaults_to_polars_api_and_says_where_the_token_comes_from() {
        let t = RealPolarTestbed::from_env(
            PolarTarget::Production,
            env(&[
                ("POLAR_ACCESS_TOKEN", "polar_oat_p"),
                ("POLAR_PRODUCT_ID", "p"),
            ]),
        )
        .unwrap();
        assert_eq!(t.api_url, PRODUCTION_API_URL);
        let server = t.vars().into_iter().find(|(k, _)| *k == "polar.server");
        assert_eq!(server.map(|v| v.1).as_deref(), Some("production"));
        let e = RealPolarTestbed::from_env(PolarTarget::Production, env(&[]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("production dashboard"), "{e}");
    }

    #[test]
    fn sandbox_target_names_the_missing_variable_and_the_fix() {
        let e = RealPolarTestbed::from_env(PolarTarget::Sandbox, env(&[("POLAR_PRODUCT_ID", "p")]))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("POLAR_ACCESS_TOKEN is not set"), "{e}");
        assert!(e.contains("fix:"), "{e}");
        let e = RealPolarTestbed::from_env(
            PolarTarget::Sandbox,
            env(&[
                ("POLAR_ACCESS_TOKEN", "polar_oat_x"),
                ("POLAR_PRODUCT_ID", "  "),
            ]),
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("POLAR_PRODUCT_ID is not set"), "{e}");
    }
}
