//! Values inside actions and files: key checks with "did you mean", plain text,
//! templates and their `${…}` references, durations, locators and text matchers.
//! Must not know about steps, flows or files.

use std::time::Duration;

use super::super::actions::{locator_kind, LOCATORS, MATCHERS};
use super::super::model::{Locator, Template, TextMatch};
use super::super::vars::{parse_template, time_offset, Piece};
use super::super::yaml::{Node, NodeKind};
use super::{Known, Loader, Scope};
use crate::duration::Zero;

/// The closest candidate to `word`, when it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| format!("did you mean `{c}`?"))
}

/// "`a`, `b` or `c`".
pub(crate) fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Every locator kind, in the order messages list them.
pub(super) fn locator_words() -> Vec<&'static str> {
    LOCATORS.iter().map(|(w, _)| *w).collect()
}

impl Loader<'_> {
    /// Reports keys of `map` outside `allowed`, with "did you mean"; whether there were any.
    pub(super) fn check_keys(
        &mut self,
        scope: &Scope,
        map: &Node,
        allowed: &[&str],
        what: &str,
    ) -> bool {
        let mut unknown = false;
        for (k, _) in map.as_map().unwrap_or_default() {
            let Some(name) = k.as_str() else { continue };
            if allowed.contains(&name) {
                continue;
            }
            let help = did_you_mean(name, allowed.iter().copied())
                .unwrap_or_else(|| format!("expected {}", one_of(allowed)));
            let msg = format!("unknown key `{name}` in {what}");
            self.error(&scope.file, k, msg, Some(help));
            unknown = true;
        }
        unknown
    }

    /// A scalar's text, flow params substituted.
    pub(super) fn text(&mut self, scope: &Scope, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) => self.substitute(scope, node, s),
            None => {
                self.expected(scope, node, what);
                None
            }
        }
    }

    /// A scalar as a template: `${…}` references checked, flow params substituted.
    pub(super) fn template(
        &mut self,
        scope: &Scope,
        node: &Node,
        known: &Known,
        what: &str,
    ) -> Option<Template> {
        let Some(raw) = node.as_str() else {
            self.expected(scope, node, what);
            return None;
        };
        self.check_refs(scope, node, raw, known);
        Some(Template {
            raw: self.substitute(scope, node, raw)?,
            location: scope.at(node),
        })
    }

    /// Checks every `${name}` in `raw` (text of `node`) against what is known here.
    pub(super) fn check_refs(&mut self, scope: &Scope, node: &Node, raw: &str, known: &Known) {
        let pieces = match parse_template(raw) {
            Ok(pieces) => pieces,
            Err(e) => {
                let at = self.ref_location(scope, node, &raw[e.offset..]);
                self.push(at, e.to_string(), None);
                return;
            }
        };
        for p in pieces {
            let Piece::Var { name, offset } = p else {
                continue;
            };
            // `${time.…}` was checked by `parse_template`: it is the clock, always known.
            if time_offset(&name).is_some() {
                continue;
            }
            let problem = if let Some(env) = name.strip_prefix("env.") {
                if !env.contains('.') {
                    continue;
                }
                (
                    format!("`{name}` is not a valid environment variable name"),
                    None,
                )
            } else if scope.params.contains_key(&name) || known.contains(&name) {
                continue;
            } else {
                let candidates = known
                    .names
                    .iter()
                    .chain(scope.params.keys())
                    .map(String::as_str);
                let help = did_you_mean(&name, candidates).unwrap_or_else(|| {
                    format!("define it under `vars:`, pass `--var {name}=…`, or read the environment with `${{env.NAME}}`")
                });
                (format!("unknown variable `{name}`"), Some(help))
            };
            let at = self.ref_location(scope, node, &raw[offset..]);
            self.push(at, problem.0, problem.1);
        }
    }

    /// Where `fragment` (starting with `${`) stands on the node's line, when it can be
    /// found from the node's column; else the node's own location.
    fn ref_location(&self, scope: &Scope, node: &Node, fragment: &str) -> super::Location {
        let mut at = scope.at(node);
        let head: String = fragment.chars().take_while(|&c| c != '}').collect();
        let Some(line) = self.source_line(&scope.file, node.line) else {
            return at;
        };
        let start: usize = line
            .chars()
            .take(node.col.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        if let Some(pos) = line.get(start..).and_then(|rest| rest.find(&head)) {
            at.column = node.col + line[start..start + pos].chars().count();
        }
        at
    }

    pub(super) fn duration(&mut self, scope: &Scope, node: &Node, zero: Zero) -> Option<Duration> {
        let text = self.text(scope, node, "a duration such as `10s`")?;
        match crate::duration::parse(&text, zero) {
            Ok(d) => Some(d),
            Err(e) => {
                let help = Some("durations look like `500ms`, `10s` or `2m`".into());
                self.error(&scope.file, node, e.to_string(), help);
                None
            }
        }
    }

    /// The one locator among the keys of `map` that are in `kinds`; `None` (reported
    /// when `required`) if there is none, and an error for several.
    pub(super) fn locator_in(
        &mut self,
        scope: &Scope,
        map: &Node,
        kinds: &[&str],
        known: &Known,
        required: bool,
    ) -> Option<Locator> {
        let found: Vec<&(Node, Node)> = map
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(|s| kinds.contains(&s)))
            .collect();
        let [(k, v), rest @ ..] = found.as_slice() else {
            if required {
                let msg = "missing target: say which element".into();
                let help = Some(format!("add one of {}", one_of(kinds)));
                self.error(&scope.file, map, msg, help);
            }
            return None;
        };
        let first = k.as_str().unwrap_or_default();
        for (extra, _) in rest {
            let msg = format!(
                "a target has one locator, found `{first}` and `{}`",
                extra.as_str().unwrap_or_default()
            );
            self.error(&scope.file, extra, msg, Some("keep one of them".into()));
        }
        let by = locator_kind(first)?;
        let value = self.template(scope, v, known, "a string")?;
        if value.raw.trim().is_empty() {
            self.error(&scope.file, v, "empty locator".into(), None);
        }
        Some(Locator { by, value })
    }

    /// A locator on its own (`in:`, `frame:`): a string (a text locator) or a mapping
    /// with one locator kind.
    pub(super) fn locator(&mut self, scope: &Scope, node: &Node, known: &Known) -> Option<Locator> {
        match &node.kind {
            NodeKind::Scalar { .. } if !node.is_null() => Some(Locator {
                by: super::super::model::By::Text,
                value: self.template(scope, node, known, "a string")?,
            }),
            NodeKind::Map(_) => {
                let kinds = locator_words();
                let unknown = self.check_keys(scope, node, &kinds, "a target");
                self.locator_in(scope, node, &kinds, known, !unknown)
            }
            _ => {
                self.expected(scope, node, "a target such as `Billing` or `{ testid: … }`");
                None
            }
        }
    }

    /// One of `equals`, `contains`, `matches` among the keys of `map`.
    pub(super) fn matcher_in(
        &mut self,
        scope: &Scope,
        map: &Node,
        known: &Known,
        report_missing: bool,
    ) -> Option<TextMatch> {
        let found: Vec<&(Node, Node)> = map
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(|s| MATCHERS.contains(&s)))
            .collect();
        let [(k, v), rest @ ..] = found.as_slice() else {
            if report_missing {
                let msg = "missing the expected text".into();
                let help = Some(format!("add one of {}", one_of(&MATCHERS)));
                self.error(&scope.file, map, msg, help);
            }
            return None;
        };
        for (extra, _) in rest {
            let msg = format!(
                "expect one of `equals`, `contains`, `matches`, found `{}` and `{}`",
                k.as_str().unwrap_or_default(),
                extra.as_str().unwrap_or_default()
            );
            self.error(&scope.file, extra, msg, None);
        }
        let t = self.template(scope, v, known, "a string")?;
        Some(match k.as_str().unwrap_or_default() {
            "equals" => TextMatch::Equals(t),
            "contains" => TextMatch::Contains(t),
            _ => {
                self.check_regex(scope, v, &t.raw);
                TextMatch::Matches(t)
            }
        })
    }

    fn check_regex(&mut self, scope: &Scope, node: &Node, pattern: &str) {
        if pattern.contains("${") {
            return;
        }
        let Err(e) = regex::Regex::new(pattern) else {
            return;
        };
        let text = e.to_string();
        let reason = text
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or(&text)
            .trim()
            .trim_start_matches("error: ")
            .to_string();
        let msg = format!("invalid regular expression: {reason}");
        self.error(&scope.file, node, msg, None);
    }
}
