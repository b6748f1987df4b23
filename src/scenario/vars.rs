//! `${name}` templates: parsing, rendering against [`Vars`], secrets and redaction.
//! Pure string work plus reading the environment for `${env.NAME}` and the clock for
//! `${time.now…}`; never builds a value longer than [`super::limits::MAX_VALUE_BYTES`].
//! Must not import the parser.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{SecondsFormat, Utc};

use super::limits::{human_bytes, MAX_VALUE_BYTES};
use super::model::{ActionKind, Location, Scenario, Template, TextMatch, WaitFor};
use crate::duration::{self, Zero};

/// One piece of a template: literal text, or a `${name}` reference at byte `offset`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    Var { name: String, offset: usize },
}

/// Why a text is not a valid variable name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum NameError {
    #[error("empty variable name in `${{}}`")]
    Empty,
    #[error(
        "`{0}` is not a valid variable name (use letters, digits, `_`, `-`, separated by dots)"
    )]
    Invalid(String),
}

/// What is wrong with a template's syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TemplateErrorKind {
    #[error("unclosed `${{`: a variable reference ends with `}}`")]
    Unclosed,
    #[error(transparent)]
    Name(#[from] NameError),
    /// A `${time.…}` that is not `time.now` with an optional `+`/`-` duration.
    #[error("{0}")]
    Time(String),
}

/// A template syntax problem and the byte offset in the raw text where it starts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}")]
pub(crate) struct TemplateError {
    pub offset: usize,
    pub kind: TemplateErrorKind,
}

/// Why a template could not be rendered when it ran.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RenderError {
    #[error(transparent)]
    Syntax(#[from] TemplateError),
    #[error("environment variable `{0}` is not set")]
    EnvUnset(String),
    #[error("variable `{0}` has no value")]
    NoValue(String),
    #[error("`${{{0}}}` makes the value longer than {limit}", limit = human_bytes(MAX_VALUE_BYTES as u64))]
    TooLong(String),
    #[error("the text is longer than {limit}", limit = human_bytes(MAX_VALUE_BYTES as u64))]
    TextTooLong,
    #[error("the strings of the JSON body together are longer than {limit}", limit = human_bytes(MAX_VALUE_BYTES as u64))]
    BodyTooLong,
}

/// A value would be longer than [`MAX_VALUE_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("longer than {limit}", limit = human_bytes(MAX_VALUE_BYTES as u64))]
pub(crate) struct TooLong;

/// `out` with `piece` appended, unless that makes it longer than [`MAX_VALUE_BYTES`].
fn append(out: &mut String, piece: &str) -> Result<(), TooLong> {
    if out.len().saturating_add(piece.len()) > MAX_VALUE_BYTES {
        return Err(TooLong);
    }
    out.push_str(piece);
    Ok(())
}

/// Splits `raw` into text and `${name}` references. `$${` is a literal `${`.
pub(crate) fn parse_template(raw: &str) -> Result<Vec<Piece>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < raw.len() {
        if raw[i..].starts_with("$${") {
            text.push_str("${");
            i += 3;
        } else if raw[i..].starts_with("${") {
            let Some(end) = raw[i + 2..].find('}') else {
                return Err(TemplateError {
                    offset: i,
                    kind: TemplateErrorKind::Unclosed,
                });
            };
            let name = raw[i + 2..i + 2 + end].trim();
            if let Some(Err(e)) = time_offset(name) {
                return Err(TemplateError {
                    offset: i,
                    kind: TemplateErrorKind::Time(e),
                });
            }
            let checked = match time_offset(name) {
                Some(_) => Ok(()),
                None => check_name(name),
            };
            if let Err(e) = checked {
                return Err(TemplateError {
                    offset: i,
                    kind: e.into(),
                });
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Var {
                name: name.to_string(),
                offset: i,
            });
            i += 2 + end + 1;
        } else {
            let ch = raw[i..].chars().next().unwrap_or('\0');
            text.push(ch);
            i += ch.len_utf8().max(1);
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// What a `${time.…}` may be, for messages.
const TIME_FORMS: &str =
    "`time.now`, or `time.now+30s` / `time.now-1h` (a duration in ms, s, m or h, at most 1h)";

/// The offset from now that a `time.…` variable name stands for (`time.now` is zero,
/// `time.now+30s` thirty seconds later, `time.now-1h` an hour earlier), or why the name is
/// not one; `None` for a name outside `time.`. The duration is read by the project's one
/// duration parser ([`crate::duration`]), so its units and limit are those of `timeout:`.
pub(crate) fn time_offset(name: &str) -> Option<Result<chrono::Duration, String>> {
    let rest = name.strip_prefix("time.")?;
    let wrong = |why: String| Some(Err(format!("`${{{name}}}` {why}; expected {TIME_FORMS}")));
    let Some(after) = rest.strip_prefix("now") else {
        return wrong("is not a time".into());
    };
    let after = after.trim();
    if after.is_empty() {
        return Some(Ok(chrono::Duration::zero()));
    }
    let (sign, amount) = if let Some(a) = after.strip_prefix('+') {
        (1, a)
    } else if let Some(a) = after.strip_prefix('-') {
        (-1, a)
    } else {
        return wrong(format!(
            "has `{after}` after `now`, not `+` or `-` and a duration"
        ));
    };
    match duration::parse(amount, Zero::Allowed) {
        Ok(d) => match chrono::Duration::from_std(d) {
            Ok(d) => Some(Ok(d * sign)),
            Err(e) => wrong(e.to_string()),
        },
        Err(e) => wrong(format!("has a bad duration: {e}")),
    }
}

/// `${time.now…}` as it renders at this moment: UTC, ISO 8601 in whole seconds with `Z`
/// (`2026-12-07T18:30:00Z`; fractions of a second are dropped).
fn time_now(offset: chrono::Duration) -> String {
    (Utc::now() + offset).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A variable name: dot-separated words of letters, digits, `_` and `-`, not starting with a digit.
pub(crate) fn check_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    let ok = name.split('.').all(|part| {
        !part.is_empty()
            && !part.starts_with(|c: char| c.is_ascii_digit() || c == '-')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if ok {
        Ok(())
    } else {
        Err(NameError::Invalid(name.to_string()))
    }
}

/// Replaces `${param}` for names in `params` with their value; leaves everything else,
/// escapes included, as written. Refuses to build a value longer than
/// [`MAX_VALUE_BYTES`] (flows passing `${x}${x}` down a chain double it at every level).
pub(crate) fn substitute_params(
    raw: &str,
    params: &BTreeMap<String, String>,
) -> Result<String, TooLong> {
    if raw.len() > MAX_VALUE_BYTES {
        return Err(TooLong);
    }
    if params.is_empty() || !raw.contains("${") {
        return Ok(raw.to_string());
    }
    let mut out = String::new();
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        let (piece, len) = if rest.starts_with("$${") {
            ("$${", 3)
        } else if let Some((value, len)) = param_at(rest, params) {
            (value, len)
        } else {
            let ch = rest.chars().next().map_or(1, char::len_utf8);
            (&rest[..ch], ch)
        };
        append(&mut out, piece)?;
        i += len;
    }
    Ok(out)
}

/// The value of the `${param}` that `rest` starts with, and the reference's length.
fn param_at<'p>(rest: &str, params: &'p BTreeMap<String, String>) -> Option<(&'p str, usize)> {
    let inner = rest.strip_prefix("${")?;
    let end = inner.find('}')?;
    let value = params.get(inner[..end].trim())?;
    Some((value.as_str(), 2 + end + 1))
}

pub use crate::redact::is_secret_env_name;

/// Variable values for one scenario run: scenario vars, `${env.NAME}`, `--var`, `${run.*}`
/// and values captured by `http` actions. Knows which values are secret.
///
/// `Debug` never shows secret values.
#[derive(Clone, Default)]
pub struct Vars {
    values: BTreeMap<String, String>,
    secret_names: BTreeSet<String>,
    /// Environment variables referenced by the scenario whose names mark them secret.
    secret_env: BTreeSet<String>,
}

impl fmt::Debug for Vars {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (k, v) in &self.values {
            if self.secret_names.contains(k) {
                map.entry(k, &"[redacted]");
            } else {
                map.entry(k, v);
            }
        }
        map.finish()
    }
}

impl Vars {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a plain value (`run.id`, `run.email`, a `--var`, a capture…). A name once
    /// marked secret stays secret.
    pub fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_string(), value.to_string());
    }

    /// Sets a value that must never appear in logs or reports.
    pub fn set_secret(&mut self, name: &str, value: &str) {
        self.set(name, value);
        self.secret_names.insert(name.to_string());
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Adds the scenario's own vars (rendered in order) and marks its secret vars. A name
    /// that is already set (a `--var`) keeps its value: the command line overrides the file.
    /// Also remembers every secret-named `${env.NAME}` the scenario uses, for [`Vars::redact`].
    pub fn extend_from_scenario(&mut self, scenario: &Scenario) -> Result<(), String> {
        for t in scenario_templates(scenario) {
            if let Ok(pieces) = parse_template(&t) {
                for p in pieces {
                    if let Piece::Var { name, .. } = p {
                        if let Some(env) = name.strip_prefix("env.") {
                            if is_secret_env_name(env) {
                                self.secret_env.insert(env.to_string());
                            }
                        }
                    }
                }
            }
        }
        for (name, template) in &scenario.vars {
            let secret = scenario.secret_vars.iter().any(|s| s == name);
            if self.values.contains_key(name) {
                if secret {
                    self.secret_names.insert(name.clone());
                }
                continue;
            }
            let value = self
                .render(template)
                .map_err(|e| format!("var `{name}`: {e}"))?;
            if secret {
                self.set_secret(name, &value);
            } else {
                self.set(name, &value);
            }
        }
        Ok(())
    }

    /// Replaces every `${name}`; `${env.NAME}` reads the environment. The error is the
    /// message for the failed action: what is missing, and where the template is.
    pub fn render(&self, template: &Template) -> Result<String, String> {
        self.render_str(&template.raw)
            .map_err(|e| format!("{e} (at {})", template.location))
    }

    /// Renders `raw`; never builds a value longer than [`MAX_VALUE_BYTES`].
    pub(crate) fn render_str(&self, raw: &str) -> Result<String, RenderError> {
        let mut out = String::new();
        for piece in parse_template(raw)? {
            match piece {
                Piece::Text(t) => append(&mut out, &t).map_err(|_| RenderError::TextTooLong)?,
                Piece::Var { name, .. } => {
                    let env;
                    let time;
                    let value = if let Some(Ok(offset)) = time_offset(&name) {
                        time = time_now(offset);
                        time.as_str()
                    } else if let Some(var) = name.strip_prefix("env.") {
                        env = std::env::var(var)
                            .map_err(|_| RenderError::EnvUnset(var.to_string()))?;
                        env.as_str()
                    } else {
                        match self.values.get(&name) {
                            Some(v) => v.as_str(),
                            None => return Err(RenderError::NoValue(name)),
                        }
                    };
                    append(&mut out, value).map_err(|_| RenderError::TooLong(name))?;
                }
            }
        }
        Ok(out)
    }

    /// Renders every string leaf of a JSON value. The rendered leaves together hold at
    /// most [`MAX_VALUE_BYTES`]: a body is one value.
    pub fn render_json(
        &self,
        value: &serde_json::Value,
        at: &Location,
    ) -> Result<serde_json::Value, String> {
        let mut used = 0;
        self.render_json_leaves(value, &mut used)
            .map_err(|e| format!("{e} (at {at})"))
    }

    fn render_json_leaves(
        &self,
        value: &serde_json::Value,
        used: &mut usize,
    ) -> Result<serde_json::Value, RenderError> {
        use serde_json::Value;
        Ok(match value {
            Value::String(s) => {
                let rendered = self.render_str(s)?;
                *used += rendered.len();
                if *used > MAX_VALUE_BYTES {
                    return Err(RenderError::BodyTooLong);
                }
                Value::String(rendered)
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.render_json_leaves(v, used))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => {
                let mut out = serde_json::Map::new();
                for (k, v) in map {
                    out.insert(k.clone(), self.render_json_leaves(v, used)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }

    /// Replaces every secret value in `text` with `[redacted]` (longest first; empty
    /// values are ignored): `secret: true` vars, values set with [`Vars::set_secret`], and
    /// secret-named environment variables (`*TOKEN*`, `*SECRET*`, `*PASSWORD*`, `*KEY*`)
    /// the scenario refers to.
    /// Through the one redactor ([`crate::redact::Redactor`]), which also blanks
    /// secret-shaped text (`Bearer …`, Polar's token prefixes, token-like query values).
    pub fn redact(&self, text: &str) -> String {
        let mut redactor = crate::redact::Redactor::new();
        let values = self
            .secret_names
            .iter()
            .filter_map(|n| self.values.get(n).cloned())
            .chain(self.secret_env.iter().filter_map(|n| std::env::var(n).ok()));
        for value in values {
            redactor.add_declared_secret(&value);
        }
        redactor.redact(text)
    }
}

/// Every template text of a scenario (vars, actions, http bodies), for secret scanning.
fn scenario_templates(scenario: &Scenario) -> Vec<String> {
    let mut out: Vec<String> = scenario.vars.iter().map(|(_, t)| t.raw.clone()).collect();
    fn json(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|v| json(v, out)),
            serde_json::Value::Object(m) => m.values().for_each(|v| json(v, out)),
            _ => {}
        }
    }
    fn tm(m: &TextMatch, out: &mut Vec<String>) {
        match m {
            TextMatch::Equals(t) | TextMatch::Contains(t) | TextMatch::Matches(t) => {
                out.push(t.raw.clone())
            }
        }
    }
    fn actions(list: &[super::model::Action], out: &mut Vec<String>) {
        for a in list {
            match &a.kind {
                ActionKind::Open { url } => out.push(url.raw.clone()),
                ActionKind::Fill { value, .. } => out.push(value.raw.clone()),
                ActionKind::Type { text, .. } => out.push(text.raw.clone()),
                ActionKind::Select { option, .. } => out.push(option.raw.clone()),
                ActionKind::Press { key, .. } => out.push(key.raw.clone()),
                ActionKind::ExpectText { matcher, .. } | ActionKind::ExpectUrl { matcher } => {
                    tm(matcher, out)
                }
                ActionKind::WithinFrame { actions: a, .. }
                | ActionKind::Eventually { actions: a, .. } => actions(a, out),
                ActionKind::Screenshot { name } => out.push(name.raw.clone()),
                ActionKind::WaitFor {
                    what: WaitFor::Text(t),
                } => out.push(t.raw.clone()),
                ActionKind::Http(h) => {
                    out.push(h.url.raw.clone());
                    out.extend(h.headers.iter().map(|(_, t)| t.raw.clone()));
                    if let Some(j) = &h.json {
                        json(j, out);
                    }
                }
                _ => {}
            }
        }
    }
    for s in scenario.given.iter().chain(&scenario.steps) {
        actions(&s.actions, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn t(raw: &str) -> Template {
        Template {
            raw: raw.into(),
            location: Location {
                file: PathBuf::from("s.yaml"),
                line: 3,
                column: 7,
            },
        }
    }

    #[test]
    fn parses_references_and_escapes() {
        let p = parse_template("a ${x} $${y} ${ run.id }").unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Text("a ".into()),
                Piece::Var {
                    name: "x".into(),
                    offset: 2
                },
                Piece::Text(" ${y} ".into()),
                Piece::Var {
                    name: "run.id".into(),
                    offset: 13
                },
            ]
        );
        let err = |raw: &str| parse_template(raw).unwrap_err();
        assert_eq!(
            err("a ${x"),
            TemplateError {
                offset: 2,
                kind: TemplateErrorKind::Unclosed
            }
        );
        assert_eq!(
            err("a ${x").to_string(),
            "unclosed `${`: a variable reference ends with `}`"
        );
        assert_eq!(err("${}").kind, NameError::Empty.into());
        assert_eq!(err("${}").to_string(), "empty variable name in `${}`");
        assert_eq!(
            err("x ${a b}").kind,
            NameError::Invalid("a b".into()).into()
        );
        assert_eq!(err("x ${a b}").offset, 2);
    }

    #[test]
    fn renders_vars_env_and_escapes() {
        let mut v = Vars::new();
        v.set("run.email", "u1@example.com");
        std::env::set_var("WALKTHROUGH_TEST_PLAIN", "from-env");
        assert_eq!(
            v.render(&t(
                "to ${run.email} / ${env.WALKTHROUGH_TEST_PLAIN} / $${run.email}"
            ))
            .unwrap(),
            "to u1@example.com / from-env / ${run.email}"
        );
        let err = v
            .render(&t("${env.WALKTHROUGH_TEST_SURELY_UNSET}"))
            .unwrap_err();
        assert!(err.contains("`WALKTHROUGH_TEST_SURELY_UNSET`"), "{err}");
        assert!(err.contains("s.yaml:3:7"), "{err}");
        let err = v.render(&t("${nope}")).unwrap_err();
        assert!(err.contains("`nope`"), "{err}");
    }

    #[test]
    fn time_now_renders_utc_iso_8601_when_rendered_with_its_offset() {
        let v = Vars::new();
        let parse = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap();
        let before = Utc::now();
        let now = v.render(&t("${time.now}")).unwrap();
        let later = v.render(&t("at ${time.now+30s}")).unwrap();
        let minutes = v.render(&t("${ time.now+2m }")).unwrap();
        let earlier = v.render(&t("${time.now-1h}")).unwrap();
        let after = Utc::now();
        let shape = regex::Regex::new(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$").unwrap();
        for s in [&now, &minutes, &earlier] {
            assert!(shape.is_match(s), "{s}");
        }
        let later = later.strip_prefix("at ").unwrap();
        assert!(shape.is_match(later), "{later}");
        let within = |s: &str, secs: i64| {
            let at = parse(s).with_timezone(&Utc);
            let lo = before + chrono::Duration::seconds(secs - 1);
            let hi = after + chrono::Duration::seconds(secs);
            assert!(lo <= at && at <= hi, "{s} not {secs}s from now");
        };
        within(&now, 0);
        within(later, 30);
        within(&minutes, 120);
        within(&earlier, -3600);
    }

    #[test]
    fn a_malformed_time_is_a_syntax_error_saying_what_is_expected() {
        let err = |raw: &str| parse_template(raw).unwrap_err();
        for (raw, why) in [
            (
                "x ${time.now+30}",
                "`${time.now+30}` has a bad duration: `30` has no unit",
            ),
            ("x ${time.now*2s}", "`${time.now*2s}` has `*2s` after `now`"),
            ("x ${time.today}", "`${time.today}` is not a time"),
            ("x ${time.now+3d}", "unknown unit `d`"),
            ("x ${time.now+2h}", "at most 1h"),
        ] {
            let e = err(raw);
            assert_eq!(e.offset, 2, "{raw}");
            let msg = e.to_string();
            assert!(msg.contains(why), "{raw}: {msg}");
            assert!(
                msg.contains("expected `time.now`, or `time.now+30s`"),
                "{msg}"
            );
        }
        assert_eq!(time_offset("run.id"), None);
        assert_eq!(
            time_offset("time.now-500ms"),
            Some(Ok(chrono::Duration::milliseconds(-500)))
        );
    }

    #[test]
    fn render_json_renders_string_leaves_only() {
        let mut v = Vars::new();
        v.set("n", "3");
        let at = t("").location;
        let out = v
            .render_json(
                &serde_json::json!({"a": "${n}", "b": [1, "x${n}"], "c": true}),
                &at,
            )
            .unwrap();
        assert_eq!(
            out,
            serde_json::json!({"a": "3", "b": [1, "x3"], "c": true})
        );
        assert!(v.render_json(&serde_json::json!(["${m}"]), &at).is_err());
    }

    #[test]
    fn redacts_secrets_longest_first_and_ignores_empty() {
        let mut v = Vars::new();
        v.set_secret("short", "abc");
        v.set_secret("long", "abcdef");
        v.set_secret("empty", "");
        v.set("plain", "visible");
        assert_eq!(
            v.redact("abcdef abc visible"),
            "[redacted] [redacted] visible"
        );
        assert!(!format!("{v:?}").contains("abcdef"));
        assert!(format!("{v:?}").contains("visible"));
    }

    #[test]
    fn secret_env_names_are_redacted_when_the_scenario_uses_them() {
        std::env::set_var("WALKTHROUGH_TEST_API_TOKEN", "tok-123456");
        std::env::set_var("WALKTHROUGH_TEST_REGION", "eu-west");
        let scenario = Scenario {
            name: "s".into(),
            slot: None,
            file: "s.yaml".into(),
            location: t("").location,
            vars: vec![
                ("auth".into(), t("Bearer ${env.WALKTHROUGH_TEST_API_TOKEN}")),
                ("region".into(), t("${env.WALKTHROUGH_TEST_REGION}")),
                ("pw".into(), t("hunter2")),
            ],
            secret_vars: vec!["pw".into()],
            targets: vec![],
            allow_rejected_webhooks: false,
            given: vec![],
            steps: vec![],
        };
        let mut v = Vars::new();
        v.extend_from_scenario(&scenario).unwrap();
        assert_eq!(v.get("auth"), Some("Bearer tok-123456"));
        assert_eq!(
            v.redact("auth=Bearer tok-123456 region=eu-west pw=hunter2"),
            "auth=Bearer [redacted] region=eu-west pw=[redacted]"
        );
    }

    #[test]
    fn secret_env_names_used_only_in_given_steps_are_redacted_too() {
        use crate::scenario::model::{Action, Step};
        std::env::set_var("WALKTHROUGH_TEST_GIVEN_TOKEN", "given-tok-98765");
        let open = Action {
            kind: ActionKind::Open {
                url: t("/login?t=${env.WALKTHROUGH_TEST_GIVEN_TOKEN}"),
            },
            location: t("").location,
            timeout: None,
        };
        let scenario = Scenario {
            name: "s".into(),
            slot: None,
            file: "s.yaml".into(),
            location: t("").location,
            vars: vec![],
            secret_vars: vec![],
            targets: vec![],
            allow_rejected_webhooks: false,
            given: vec![Step {
                name: "log in".into(),
                location: t("").location,
                actions: vec![open],
            }],
            steps: vec![],
        };
        let mut v = Vars::new();
        v.extend_from_scenario(&scenario).unwrap();
        assert_eq!(v.redact("t=given-tok-98765"), "t=[redacted]");
    }

    #[test]
    fn cli_values_override_scenario_vars_and_later_vars_see_earlier() {
        let scenario = Scenario {
            name: "s".into(),
            slot: None,
            file: "s.yaml".into(),
            location: t("").location,
            vars: vec![
                ("seats".into(), t("1")),
                ("label".into(), t("${seats} seats")),
            ],
            secret_vars: vec![],
            targets: vec![],
            allow_rejected_webhooks: false,
            given: vec![],
            steps: vec![],
        };
        let mut v = Vars::new();
        v.set("seats", "5");
        v.extend_from_scenario(&scenario).unwrap();
        assert_eq!(v.get("label"), Some("5 seats"));
        let mut v = Vars::new();
        v.extend_from_scenario(&scenario).unwrap();
        assert_eq!(v.get("label"), Some("1 seats"));
    }

    #[test]
    fn substituting_params_never_builds_a_value_over_the_cap() {
        let mut p = BTreeMap::new();
        p.insert("x".to_string(), "y".repeat(MAX_VALUE_BYTES / 2));
        assert_eq!(
            substitute_params("${x}${x}", &p).unwrap().len(),
            MAX_VALUE_BYTES
        );
        assert_eq!(substitute_params("${x}${x}!", &p), Err(TooLong));
        let long = "z".repeat(MAX_VALUE_BYTES + 1);
        assert_eq!(substitute_params(&long, &BTreeMap::new()), Err(TooLong));
    }

    #[test]
    fn substitutes_params_but_keeps_escapes_and_other_refs() {
        let mut p = BTreeMap::new();
        p.insert("seats".to_string(), "${count}".to_string());
        assert_eq!(
            substitute_params("${seats} $${seats} ${other} ü", &p).unwrap(),
            "${count} $${seats} ${other} ü"
        );
    }
}
