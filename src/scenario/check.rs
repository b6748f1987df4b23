//! Run-time checks the model knows how to make on data the runner hands it:
//! [`TextMatch::check`] on text and [`HttpCall::evaluate`] on an HTTP response.

use super::model::{HttpCall, TextMatch};
use super::Vars;

/// Longest found text shown in an error before it is cut.
const SHOWN: usize = 200;

/// Trims and folds every run of whitespace into one space.
pub(crate) fn fold_ws(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn shown(s: &str) -> String {
    let folded = fold_ws(s);
    if folded.chars().count() > SHOWN {
        let cut: String = folded.chars().take(SHOWN).collect();
        format!("`{cut}…` ({} characters)", folded.chars().count())
    } else {
        format!("`{folded}`")
    }
}

impl TextMatch {
    /// Ok when `actual` matches; the error says what was expected and what was found.
    /// `equals` and `contains` compare after trimming and folding whitespace; `matches`
    /// is a regular-expression search in the text as found. Secrets are redacted.
    pub fn check(&self, actual: &str, vars: &Vars) -> Result<(), String> {
        let result = match self {
            TextMatch::Equals(t) => {
                let expected = vars.render(t)?;
                if fold_ws(actual) == fold_ws(&expected) {
                    Ok(())
                } else {
                    Err(format!(
                        "expected text equal to `{}`, found {}",
                        fold_ws(&expected),
                        shown(actual)
                    ))
                }
            }
            TextMatch::Contains(t) => {
                let expected = vars.render(t)?;
                if fold_ws(actual).contains(&fold_ws(&expected)) {
                    Ok(())
                } else {
                    Err(format!(
                        "expected text containing `{}`, found {}",
                        fold_ws(&expected),
                        shown(actual)
                    ))
                }
            }
            TextMatch::Matches(t) => {
                let pattern = vars.render(t)?;
                let re = regex::Regex::new(&pattern)
                    .map_err(|e| format!("invalid regular expression `{pattern}`: {e}"))?;
                if re.is_match(actual) {
                    Ok(())
                } else {
                    Err(format!(
                        "expected text matching `{pattern}`, found {}",
                        shown(actual)
                    ))
                }
            }
        };
        result.map_err(|e| vars.redact(&e))
    }
}

/// Follows a dotted path (`items.0.id`) into a JSON value.
pub(crate) fn json_path<'a>(
    value: &'a serde_json::Value,
    path: &str,
) -> Option<&'a serde_json::Value> {
    let mut cur = value;
    for part in path.split('.') {
        cur = match cur {
            serde_json::Value::Object(map) => map.get(part)?,
            serde_json::Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// JSON strings unquoted, every other value as JSON text.
fn json_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl HttpCall {
    /// Checks the status and JSON expectations against a response; on success returns the
    /// captures as `(var name, value)`. The error lists every expectation that failed and why.
    pub fn evaluate(
        &self,
        status: u16,
        body: &serde_json::Value,
        vars: &Vars,
    ) -> Result<Vec<(String, String)>, String> {
        let mut failures = Vec::new();
        if let Some(expected) = self.expect_status {
            if expected != status {
                failures.push(format!("expected status {expected}, got {status}"));
            }
        }
        for (path, matcher) in &self.expect_json {
            match json_path(body, path) {
                None => failures.push(format!("`{path}`: not found in the response body")),
                Some(v) => {
                    if let Err(e) = matcher.check(&json_text(v), vars) {
                        failures.push(format!("`{path}`: {e}"));
                    }
                }
            }
        }
        let mut captures = Vec::new();
        for (name, path) in &self.capture {
            match json_path(body, path) {
                None => failures.push(format!(
                    "capture `{name}`: `{path}` not found in the response body"
                )),
                Some(v) => captures.push((name.clone(), json_text(v))),
            }
        }
        if failures.is_empty() {
            Ok(captures)
        } else {
            Err(vars.redact(&format!(
                "{} {}: {}",
                self.method,
                self.url.raw,
                failures.join("; ")
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::{Location, Template};
    use serde_json::json;

    fn t(raw: &str) -> Template {
        Template {
            raw: raw.into(),
            location: Location {
                file: "s.yaml".into(),
                line: 1,
                column: 1,
            },
        }
    }

    #[test]
    fn equals_and_contains_fold_whitespace() {
        let v = Vars::new();
        assert!(TextMatch::Equals(t("Free  plan"))
            .check("  Free\n plan ", &v)
            .is_ok());
        let err = TextMatch::Equals(t("Free"))
            .check("Pro plan", &v)
            .unwrap_err();
        assert_eq!(err, "expected text equal to `Free`, found `Pro plan`");
        assert!(TextMatch::Contains(t("1 seat"))
            .check("You have\n1   seat left", &v)
            .is_ok());
        let err = TextMatch::Contains(t("Active"))
            .check("Canceled", &v)
            .unwrap_err();
        assert!(err.contains("containing `Active`") && err.contains("`Canceled`"));
    }

    #[test]
    fn matches_is_a_regex_search_and_long_text_is_cut() {
        let v = Vars::new();
        assert!(TextMatch::Matches(t(r"\$\d+/mo"))
            .check("Total $60/mo", &v)
            .is_ok());
        let long = "x".repeat(500);
        let err = TextMatch::Matches(t("^y")).check(&long, &v).unwrap_err();
        assert!(err.contains("(500 characters)"), "{err}");
        assert!(err.len() < 300);
        assert!(TextMatch::Matches(t("(")).check("a", &v).is_err());
    }

    #[test]
    fn expected_values_are_rendered_and_secrets_redacted() {
        let mut v = Vars::new();
        v.set("email", "a@b.c");
        v.set_secret("tok", "s3cr3t");
        assert!(TextMatch::Contains(t("${email}"))
            .check("hi a@b.c", &v)
            .is_ok());
        let err = TextMatch::Equals(t("${tok}"))
            .check("other", &v)
            .unwrap_err();
        assert!(
            !err.contains("s3cr3t") && err.contains("[redacted]"),
            "{err}"
        );
    }

    fn call() -> HttpCall {
        HttpCall {
            method: crate::scenario::HttpMethod::Get,
            url: t("http://x/subs"),
            headers: vec![],
            json: None,
            expect_status: Some(200),
            expect_json: vec![
                ("items.0.status".into(), TextMatch::Equals(t("active"))),
                ("items.0.seats".into(), TextMatch::Equals(t("3"))),
            ],
            capture: vec![
                ("sub_id".into(), "items.0.id".into()),
                ("sub".into(), "items.0".into()),
            ],
        }
    }

    #[test]
    fn http_evaluate_checks_and_captures() {
        let body = json!({"items": [{"id": "sub_1", "status": "active", "seats": 3}]});
        let caps = call().evaluate(200, &body, &Vars::new()).unwrap();
        assert_eq!(caps[0], ("sub_id".into(), "sub_1".into()));
        assert_eq!(caps[1].0, "sub");
        let back: serde_json::Value = serde_json::from_str(&caps[1].1).unwrap();
        assert_eq!(back, body["items"][0]);
    }

    #[test]
    fn http_evaluate_reports_every_failure() {
        let body = json!({"items": [{"status": "canceled", "seats": 3}]});
        let err = call().evaluate(404, &body, &Vars::new()).unwrap_err();
        assert!(err.contains("expected status 200, got 404"), "{err}");
        assert!(
            err.contains("`items.0.status`: expected text equal to `active`"),
            "{err}"
        );
        assert!(err.contains("`items.0.id` not found"), "{err}");
        assert!(!err.contains("items.0.seats"), "{err}");
    }

    #[test]
    fn json_path_walks_objects_and_arrays() {
        let v = json!({"a": [{"b": 1}, {"b": 2}]});
        assert_eq!(json_path(&v, "a.1.b"), Some(&json!(2)));
        assert_eq!(json_path(&v, "a.2.b"), None);
        assert_eq!(json_path(&v, "a.x"), None);
    }
}
