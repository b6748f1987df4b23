//! The one redactor: known secret values (secret scenario vars, the Polar token, webhook
//! secrets, secret-named environment variables) and secret-shaped text
//! (`customer_session_token=…` and other token-like query values, Polar token prefixes,
//! `Bearer …`), in text and in JSON. Every evidence file, log and console error goes
//! through it, and so do the scenario vars' own messages (`Vars::redact`). Owns the rule for
//! secret-named environment variables. Imports no other module of the crate.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;

/// What replaces a secret.
pub const REDACTED: &str = "[redacted]";

/// Values shorter than this are not treated as secrets (they would blank out ordinary text).
const MIN_SECRET_LEN: usize = 6;

/// A query parameter whose name says it carries a credential: its value goes.
static QUERY_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)([?&;#][^=&#?\s"'<>]*(?:token|secret|password|passwd|api[_-]?key|signature|session|auth|code)[^=&#?\s"'<>]*=)[^&#\s"'<>]+"#,
    )
    .expect("valid regex")
});

/// Polar's credential prefixes (access tokens, customer/member sessions, checkout client
/// secrets, webhook secrets).
static PREFIXED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(polar_(?:oat|pat|cst|mst|at|rt|whs|c)_|whsec_)[A-Za-z0-9_+/=-]{6,}")
        .expect("valid regex")
});

static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}").expect("valid regex"));

/// Object keys whose string values are secrets whatever they look like.
static SECRET_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(token|secret|password|passwd|api[_-]?key)").expect("valid regex")
});

/// Whether an environment variable's name marks its value as a secret: the one rule for
/// scenario vars and for the evidence redactor.
pub fn is_secret_env_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    ["TOKEN", "SECRET", "PASSWORD", "KEY"]
        .iter()
        .any(|w| upper.contains(w))
}

/// Knows the run's secret values; `Debug` never shows them.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Longest first, so a secret that contains another is replaced whole.
    secrets: Vec<String>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secret values)", self.secrets.len())
    }
}

impl Redactor {
    /// Only the shape rules (query tokens, Polar prefixes, `Bearer`), no known values.
    pub fn new() -> Redactor {
        Redactor::default()
    }

    /// The shape rules plus the value of every environment variable whose name contains
    /// TOKEN, SECRET, PASSWORD or KEY (e.g. `POLAR_ACCESS_TOKEN`, `POLAR_WEBHOOK_SECRET`).
    pub fn from_env() -> Redactor {
        let mut r = Redactor::new();
        for (name, value) in std::env::vars() {
            if is_secret_env_name(&name) {
                r.add_secret(&value);
            }
        }
        r
    }

    /// Remembers one secret value (ignored when shorter than 6 characters).
    pub fn add_secret(&mut self, value: &str) {
        let value = value.trim();
        if value.chars().count() < MIN_SECRET_LEN || self.secrets.iter().any(|s| s == value) {
            return;
        }
        self.secrets.push(value.to_string());
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Remembers a value someone declared secret (a `secret: true` scenario var, a secret
    /// env var the scenario uses), however short; only an empty value is ignored.
    pub fn add_declared_secret(&mut self, value: &str) {
        if value.is_empty() || self.secrets.iter().any(|s| s == value) {
            return;
        }
        self.secrets.push(value.to_string());
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Builder form of [`Redactor::add_secret`].
    pub fn with_secret(mut self, value: &str) -> Redactor {
        self.add_secret(value);
        self
    }

    /// `text` with every known secret and every secret-shaped value replaced.
    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        let out = QUERY_SECRET.replace_all(&out, "${1}[redacted]");
        let out = PREFIXED.replace_all(&out, "${1}[redacted]");
        let out = BEARER.replace_all(&out, "${1}[redacted]");
        out.into_owned()
    }

    /// Every string leaf redacted; the string value of a secret-named key (`token`,
    /// `webhook_secret`, …) replaced whole. Timestamps are left alone.
    pub fn redact_json(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.redact_leaf(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.redact_json(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) if SECRET_KEY.is_match(k) && !s.is_empty() => {
                                Value::String(REDACTED.into())
                            }
                            other => self.redact_json(other),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A copy of any serialisable value with every string redacted (names, paths, errors,
    /// URLs, records, app state); `None` if it does not read back, which cannot happen for
    /// string-only changes — callers must then write nothing rather than the original.
    pub fn redact_serialized<T>(&self, value: &T) -> Option<T>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let json = serde_json::to_value(value).ok()?;
        serde_json::from_value(self.redact_json(&json)).ok()
    }

    fn redact_leaf(&self, s: &str) -> String {
        // A secret that happens to occur inside a timestamp must not break the report's types.
        if chrono::DateTime::parse_from_rfc3339(s).is_ok() {
            return s.to_string();
        }
        self.redact(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_values_are_replaced_longest_first() {
        let r = Redactor::new()
            .with_secret("hunter2-long")
            .with_secret("hunter2-long-and-longer")
            .with_secret("abc"); // too short: ignored
        assert_eq!(
            r.redact("pw hunter2-long-and-longer and hunter2-long, abc"),
            "pw [redacted] and [redacted], abc"
        );
        assert!(!format!("{r:?}").contains("hunter2"));
    }

    #[test]
    fn token_like_query_values_are_stripped() {
        let r = Redactor::new();
        assert_eq!(
            r.redact("at http://127.0.0.1:5/new?billing=success&customer_session_token=abcdef123&checkout_id=c1 now"),
            "at http://127.0.0.1:5/new?billing=success&customer_session_token=[redacted]&checkout_id=c1 now"
        );
        assert_eq!(
            r.redact("https://x/cb?code=s3cr3t#access_token=zzz&x=1"),
            "https://x/cb?code=[redacted]#access_token=[redacted]&x=1"
        );
        assert_eq!(r.redact("/a?page=2&q=token"), "/a?page=2&q=token");
    }

    #[test]
    fn polar_prefixes_and_bearer_are_stripped() {
        let r = Redactor::new();
        assert_eq!(
            r.redact("Authorization: Bearer eyJhbGciOi.payload.sig"),
            "Authorization: Bearer [redacted]"
        );
        assert_eq!(
            r.redact("token polar_oat_AbC123xyz and whsec_ovyN6cPrTv56AApvzCaJno08 ok"),
            "token polar_oat_[redacted] and whsec_[redacted] ok"
        );
        assert_eq!(r.redact("polar_cst_abcdefgh"), "polar_cst_[redacted]");
    }

    #[test]
    fn json_keys_and_leaves_are_redacted_but_timestamps_kept() {
        let r = Redactor::new().with_secret("2026-01");
        let v = json!({
            "webhook_secret": "anything-at-all",
            "nested": [{"url": "http://a/?customer_session_token=polar_cst_zzzzzzzz"}],
            "renews_at": "2026-01-01T00:00:00Z",
            "note": "month 2026-01",
            "seats": 3
        });
        let out = r.redact_json(&v);
        assert_eq!(out["webhook_secret"], "[redacted]");
        assert_eq!(
            out["nested"][0]["url"],
            "http://a/?customer_session_token=[redacted]"
        );
        assert_eq!(out["renews_at"], "2026-01-01T00:00:00Z");
        assert_eq!(out["note"], "month [redacted]");
        assert_eq!(out["seats"], 3);
    }
}
