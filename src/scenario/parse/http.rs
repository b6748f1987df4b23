//! The parts of an `http` action: method, URL, headers, JSON body (its `${…}` checked
//! and flow params filled in), `expect` (status and JSON fields) and `capture`.
//! Parses only: the request is made by the runner, its response checked in `check`.

use super::super::actions::{MATCHERS, METHODS};
use super::super::model::{HttpCall, HttpMethod, Template, TextMatch};
use super::super::yaml::{Node, NodeKind};
use super::fields::{did_you_mean, one_of};
use super::{Known, Loader, Scope};

/// `status` and `(path, matcher)` expectations of a response.
type Expectations = (Option<u16>, Vec<(String, TextMatch)>);

impl Loader<'_> {
    /// `http: URL` (a GET), or the long form; `None` when any part has a problem.
    pub(super) fn http(
        &mut self,
        scope: &Scope,
        v: &Node,
        long: bool,
        known: &mut Known,
    ) -> Option<HttpCall> {
        if !long {
            return Some(get(self.template(scope, v, known, "a URL")?));
        }
        let method = self.method(scope, v.get("method"));
        let url = v
            .get("url")
            .and_then(|u| self.template(scope, u, known, "a URL"));
        let headers = self.headers(scope, v.get("headers"), known);
        let json = match v.get("json") {
            Some(j) => Some(self.json_body(scope, j, known)?),
            None => None,
        };
        let expect = match v.get("expect") {
            Some(e) => self.expectations(scope, e, known),
            None => Some((None, Vec::new())),
        };
        let capture = self.capture(scope, v.get("capture"), known);
        let (expect_status, expect_json) = expect?;
        Some(HttpCall {
            method: method?,
            url: url?,
            headers: headers?,
            json,
            expect_status,
            expect_json,
            capture: capture?,
        })
    }

    /// The method, `GET` when absent.
    fn method(&mut self, scope: &Scope, node: Option<&Node>) -> Option<HttpMethod> {
        let Some(m) = node else {
            return Some(HttpMethod::Get);
        };
        let text = self.text(scope, m, "an HTTP method").unwrap_or_default();
        if let Some(method) = HttpMethod::parse(&text) {
            return Some(method);
        }
        let upper = text.to_ascii_uppercase();
        let help = did_you_mean(&upper, METHODS)
            .unwrap_or_else(|| format!("methods are {}", one_of(&METHODS)));
        let msg = format!("unknown HTTP method `{text}`");
        self.error(&scope.file, m, msg, Some(help));
        None
    }

    fn headers(
        &mut self,
        scope: &Scope,
        node: Option<&Node>,
        known: &Known,
    ) -> Option<Vec<(String, Template)>> {
        let Some(h) = node else {
            return Some(Vec::new());
        };
        let Some(entries) = h.as_map() else {
            self.expected(scope, h, "a mapping of header names to values");
            return None;
        };
        let mut ok = true;
        let mut headers = Vec::new();
        for (k, val) in entries {
            let name = k.as_str().unwrap_or_default().to_string();
            match self.template(scope, val, known, "a header value") {
                Some(t) => headers.push((name, t)),
                None => ok = false,
            }
        }
        ok.then_some(headers)
    }

    /// `expect: { status: 200, json: { path: value or matcher } }`.
    fn expectations(&mut self, scope: &Scope, e: &Node, known: &Known) -> Option<Expectations> {
        if e.as_map().is_none() {
            self.expected(scope, e, "a mapping with `status` and/or `json`");
            return None;
        }
        self.check_keys(scope, e, &["status", "json"], "`expect`");
        let status = match e.get("status") {
            Some(s) => self.status(scope, s).map(Some),
            None => Some(None),
        };
        let json = match e.get("json") {
            Some(j) => self.json_expectations(scope, j, known),
            None => Some(Vec::new()),
        };
        Some((status?, json?))
    }

    fn status(&mut self, scope: &Scope, s: &Node) -> Option<u16> {
        let code = self
            .text(scope, s, "a status code")
            .and_then(|t| t.parse::<u16>().ok().filter(|c| (100..=599).contains(c)));
        if code.is_none() && s.as_str().is_some() {
            let msg = "invalid HTTP status: expected a number from 100 to 599".into();
            self.error(&scope.file, s, msg, None);
        }
        code
    }

    fn json_expectations(
        &mut self,
        scope: &Scope,
        j: &Node,
        known: &Known,
    ) -> Option<Vec<(String, TextMatch)>> {
        let Some(entries) = j.as_map() else {
            self.expected(scope, j, "a mapping of JSON paths to expected values");
            return None;
        };
        let mut ok = true;
        let mut out = Vec::new();
        for (k, m) in entries {
            let path = k.as_str().unwrap_or_default().to_string();
            if !self.json_path_ok(scope, k, &path) {
                ok = false;
                continue;
            }
            let matcher = if m.as_map().is_some() {
                let unknown = self.check_keys(scope, m, &MATCHERS, "a JSON expectation");
                self.matcher_in(scope, m, known, !unknown)
            } else {
                self.template(scope, m, known, "a value or `{ equals: … }`")
                    .map(TextMatch::Equals)
            };
            match matcher {
                Some(mt) => out.push((path, mt)),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// `capture: { var: json.path }`; each var is known to the actions after this one.
    fn capture(
        &mut self,
        scope: &Scope,
        node: Option<&Node>,
        known: &mut Known,
    ) -> Option<Vec<(String, String)>> {
        let Some(c) = node else {
            return Some(Vec::new());
        };
        let Some(entries) = c.as_map() else {
            self.expected(scope, c, "a mapping of variable names to JSON paths");
            return None;
        };
        let mut ok = true;
        let mut capture = Vec::new();
        for (k, p) in entries {
            let name = k.as_str().unwrap_or_default().to_string();
            if !self.definable(scope, k, &name, "captured into") {
                ok = false;
                continue;
            }
            match self.text(scope, p, "a JSON path such as `items.0.id`") {
                Some(path) if self.json_path_ok(scope, p, &path) => {
                    capture.push((name.clone(), path));
                }
                _ => ok = false,
            }
            known.add(&name);
        }
        ok.then_some(capture)
    }

    fn json_path_ok(&mut self, scope: &Scope, node: &Node, path: &str) -> bool {
        if !path.is_empty() && !path.split('.').any(str::is_empty) {
            return true;
        }
        let msg = format!("invalid JSON path `{path}`");
        let help = Some("use dotted keys and indexes, like `items.0.id`".into());
        self.error(&scope.file, node, msg, help);
        false
    }

    /// A JSON body: `${…}` checked, flow params filled in, its size counted as expanded
    /// text.
    fn json_body(&mut self, scope: &Scope, j: &Node, known: &Known) -> Option<serde_json::Value> {
        let mut value = j.to_json();
        if !self.spend_bytes(scope, j, json_weight(&value)) {
            return None;
        }
        self.json_templates(scope, j, &mut value, known);
        Some(value)
    }

    /// Checks `${…}` in the string leaves of a JSON body and fills in flow params there.
    fn json_templates(
        &mut self,
        scope: &Scope,
        node: &Node,
        value: &mut serde_json::Value,
        known: &Known,
    ) {
        match (&node.kind, value) {
            (NodeKind::Scalar { value: raw, plain }, v) => {
                let serde_json::Value::String(s) = v else {
                    return;
                };
                self.check_refs(scope, node, raw, known);
                let Some(substituted) = self.substitute(scope, node, s) else {
                    return;
                };
                // A plain scalar that was only a param (`qty: ${seats}`) takes the type
                // of what it became.
                *v = if substituted != *s {
                    Node {
                        kind: NodeKind::Scalar {
                            value: substituted,
                            plain: *plain,
                        },
                        line: node.line,
                        col: node.col,
                    }
                    .to_json()
                } else {
                    serde_json::Value::String(substituted)
                };
            }
            (NodeKind::Seq(items), serde_json::Value::Array(values)) => {
                for (n, v) in items.iter().zip(values.iter_mut()) {
                    self.json_templates(scope, n, v, known);
                }
            }
            (NodeKind::Map(entries), serde_json::Value::Object(map)) => {
                for (k, n) in entries {
                    if let Some(v) = map.get_mut(k.as_str().unwrap_or_default()) {
                        self.json_templates(scope, n, v, known);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Roughly how much memory a JSON value takes: its strings and a word per value.
fn json_weight(value: &serde_json::Value) -> usize {
    use serde_json::Value;
    let own = std::mem::size_of::<Value>();
    own + match value {
        Value::String(s) => s.len(),
        Value::Array(items) => items.iter().map(json_weight).sum(),
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + json_weight(v)).sum(),
        _ => 0,
    }
}

/// `http: URL`: a GET without expectations.
fn get(url: Template) -> HttpCall {
    HttpCall {
        method: HttpMethod::Get,
        url,
        headers: Vec::new(),
        json: None,
        expect_status: None,
        expect_json: Vec::new(),
        capture: Vec::new(),
    }
}
