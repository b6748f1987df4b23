//! The configuration verifier: is this Polar configuration usable for seat-based billing?
//! Reads `POLAR_SERVER`, `POLAR_API_URL`, `POLAR_ACCESS_TOKEN`, `POLAR_PRODUCT_ID` and
//! `POLAR_WEBHOOK_SECRET` through a lookup function, looks the product up, and returns
//! ordered `key: value` facts in the product team's runbook format. Never holds the token
//! in its output. Must not import the mock, the demo app or the runner.

use serde_json::{json, Map, Value};

use super::client::{PolarClient, PolarError, PolarServer};
use super::types::{AmountType, Product};

/// One line of the verifier's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fact {
    pub key: &'static str,
    pub value: String,
    /// False when this fact makes the configuration unusable.
    pub ok: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub facts: Vec<Fact>,
}

impl Verification {
    pub fn passed(&self) -> bool {
        self.facts.iter().all(|f| f.ok)
    }

    /// `key: value` lines, in order.
    pub fn render_text(&self) -> String {
        self.facts
            .iter()
            .map(|f| format!("{}: {}\n", f.key, f.value))
            .collect()
    }

    /// The same facts as a JSON object (keys in snake_case) plus `ok` and `failed`.
    pub fn render_json(&self) -> Value {
        let mut map = Map::new();
        for f in &self.facts {
            map.insert(f.key.replace(' ', "_"), json!(f.value));
        }
        map.insert("ok".into(), json!(self.passed()));
        map.insert(
            "failed".into(),
            json!(self
                .facts
                .iter()
                .filter(|f| !f.ok)
                .map(|f| f.key)
                .collect::<Vec<_>>()),
        );
        Value::Object(map)
    }
}

/// What the product must look like, besides existing.
#[derive(Debug, Clone, Default)]
pub struct Expectations {
    /// When set, the product's name must equal it.
    pub product_name: Option<String>,
}

/// Runs every check. `lookup` reads configuration variables (the environment in the CLI).
pub async fn verify(
    lookup: impl Fn(&str) -> Option<String>,
    expect: &Expectations,
) -> Verification {
    let get = |k: &str| lookup(k).filter(|v| !v.trim().is_empty());
    let mut facts = Vec::new();
    let mut fact = |key: &'static str, value: String, ok: bool| facts.push(Fact { key, value, ok });

    let server_name = get("POLAR_SERVER").unwrap_or_else(|| "sandbox".into());
    let Some(server) = PolarServer::parse(&server_name) else {
        fact(
            "server",
            format!("{server_name} (unknown; expected sandbox or production)"),
            false,
        );
        return Verification { facts };
    };
    let server_word = match server {
        PolarServer::Sandbox => "sandbox",
        PolarServer::Production => "production",
    };
    fact("server", server_word.into(), true);
    let base = get("POLAR_API_URL").unwrap_or_else(|| server.base_url().to_string());
    if get("POLAR_API_URL").is_some() {
        fact("api url", base.clone(), true);
    }
    let token = get("POLAR_ACCESS_TOKEN");
    fact(
        "access token",
        if token.is_some() {
            "configured"
        } else {
            "missing"
        }
        .into(),
        token.is_some(),
    );
    let product_id = get("POLAR_PRODUCT_ID");
    if product_id.is_none() {
        fact("product id", "missing".into(), false);
    }
    fact(
        "webhook secret",
        if get("POLAR_WEBHOOK_SECRET").is_some() {
            "configured"
        } else {
            "missing"
        }
        .into(),
        true,
    );
    let (Some(token), Some(product_id)) = (token, product_id) else {
        fact(
            "hint",
            "set POLAR_ACCESS_TOKEN (an organization access token created in the same \
             environment as POLAR_SERVER) and POLAR_PRODUCT_ID"
                .into(),
            false,
        );
        return Verification { facts };
    };
    let client = match PolarClient::builder(base.clone(), token).build() {
        Ok(c) => c,
        Err(e) => {
            fact("product lookup", "failed".into(), false);
            fact("error", e.to_string(), false);
            return Verification { facts };
        }
    };
    match client.get_product(&product_id).await {
        Ok(product) => product_facts(&product, expect, &mut fact),
        Err(err) => {
            fact("product lookup", "failed".into(), false);
            lookup_error_facts(&err, server, &product_id, &mut fact);
        }
    }
    Verification { facts }
}

fn product_facts(
    product: &Product,
    expect: &Expectations,
    fact: &mut impl FnMut(&'static str, String, bool),
) {
    fact("product lookup", "ok".into(), true);
    match &expect.product_name {
        Some(want) if want != &product.name => fact(
            "product name",
            format!("{} (expected {want})", product.name),
            false,
        ),
        _ => fact(
            "product name",
            product.name.clone(),
            !product.name.is_empty(),
        ),
    }
    let visibility = product.visibility.as_str();
    fact(
        "product visibility",
        if visibility == "public" {
            visibility.into()
        } else {
            format!("{visibility} (expected public)")
        },
        visibility == "public",
    );
    let interval = product
        .recurring_interval
        .as_ref()
        .map(|i| i.as_str().to_string())
        .unwrap_or_else(|| "none".into());
    let count = product.recurring_interval_count.unwrap_or(1);
    let monthly = interval == "month" && count == 1;
    fact(
        "product recurring interval",
        if monthly {
            interval
        } else if count != 1 {
            format!("every {count} {interval} (expected month)")
        } else {
            format!("{interval} (expected month)")
        },
        monthly,
    );
    let live: Vec<&str> = product
        .prices
        .iter()
        .filter(|p| !p.is_archived)
        .map(|p| p.amount_type.as_str())
        .collect();
    let seat_based = product.seat_based_price().is_some();
    let mode = if seat_based {
        AmountType::SeatBased.as_str().to_string()
    } else if live.is_empty() {
        "no active price (expected seat_based)".into()
    } else {
        format!("{} (expected seat_based)", live.join(", "))
    };
    fact("product price mode", mode, seat_based);
    if product.is_archived {
        fact("product archived", "yes (expected no)".into(), false);
    }
}

fn lookup_error_facts(
    err: &PolarError,
    server: PolarServer,
    product_id: &str,
    fact: &mut impl FnMut(&'static str, String, bool),
) {
    let (this, other, other_var) = match server {
        PolarServer::Sandbox => ("sandbox", "production", "POLAR_SERVER=production"),
        PolarServer::Production => ("production", "sandbox", "POLAR_SERVER=sandbox"),
    };
    match err {
        PolarError::Api {
            status,
            error,
            detail,
            ..
        } => {
            fact("error status", status.to_string(), false);
            fact(
                "error",
                error
                    .clone()
                    .or_else(|| detail.clone())
                    .unwrap_or_else(|| "unknown".into()),
                false,
            );
            let hint = match status {
                401 => Some(format!(
                    "the {this} server rejected the token. Polar's production and sandbox are \
                     separate deployments and a token works only where it was created, so this \
                     token most likely belongs to {other}: set {other_var} to use it there, or \
                     create an organization access token in the {this} dashboard and set \
                     POLAR_ACCESS_TOKEN"
                )),
                403 => Some(
                    "the token lacks a scope: create it with products:read (and the scopes in \
                     the README)"
                        .to_string(),
                ),
                404 | 422 => Some(format!(
                    "no product {product_id} in this {this} organization: check POLAR_PRODUCT_ID \
                     (products, like tokens, exist in one environment only)"
                )),
                429 => Some("rate limited by Polar; try again in a minute".to_string()),
                _ => None,
            };
            if let Some(hint) = hint {
                fact("hint", hint, false);
            }
        }
        other => fact("error", other.to_string(), false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_token_is_reported_without_calling_polar() {
        let v = verify(
            |k| (k == "POLAR_PRODUCT_ID").then(|| "p".to_string()),
            &Expectations::default(),
        )
        .await;
        let text = v.render_text();
        assert!(!v.passed());
        assert!(
            text.starts_with("server: sandbox\naccess token: missing\n"),
            "{text}"
        );
        assert!(text.contains("webhook secret: missing"));
        assert!(!text.contains("product lookup"), "{text}");
    }

    #[tokio::test]
    async fn an_unknown_server_is_a_failure() {
        let v = verify(
            |k| (k == "POLAR_SERVER").then(|| "staging".to_string()),
            &Expectations::default(),
        )
        .await;
        assert!(!v.passed());
        assert_eq!(
            v.render_json()["server"],
            "staging (unknown; expected sandbox or production)"
        );
    }
}
