//! A scenario file's top level: `name`, `slot`, `targets`, `allow_rejected_webhooks`, `vars`,
//! `given`, `steps`.
//! Must not read files itself (that is `files`) or know about single actions.

use std::collections::HashMap;
use std::path::Path;

use super::super::limits::{human_bytes, MAX_VALUE_BYTES};
use super::super::model::{Scenario, Template};
use super::super::vars::{check_name, parse_template, Piece};
use super::super::yaml::{Node, NodeKind};
use super::super::{SLOT_IDS, TARGETS};
use super::fields::{did_you_mean, one_of};
use super::{Known, Loader, Scope};

/// The keys of a scenario file.
pub(crate) const SCENARIO_KEYS: [&str; 7] = [
    "name",
    "slot",
    "targets",
    "allow_rejected_webhooks",
    "vars",
    "given",
    "steps",
];

/// The scenario's variables: `(name, value)` in file order, and the secret ones.
#[derive(Default)]
struct ScenarioVars {
    vars: Vec<(String, Template)>,
    secret: Vec<String>,
    /// How long each var gets at least once its `${…}` are filled in, as far as known
    /// before the run: `--var` values and earlier vars (runner, environment and
    /// captured values count as empty).
    sizes: HashMap<String, usize>,
}

/// The least length of `raw` once its `${…}` are filled in from `sizes`.
fn least_size(raw: &str, sizes: &HashMap<String, usize>) -> usize {
    let Ok(pieces) = parse_template(raw) else {
        return raw.len();
    };
    pieces.iter().fold(0, |n, p| {
        n.saturating_add(match p {
            Piece::Text(t) => t.len(),
            Piece::Var { name, .. } => sizes.get(name).copied().unwrap_or(0),
        })
    })
}

impl Loader<'_> {
    /// One scenario file, flows expanded; also the `slot` node, for duplicate slots.
    pub(super) fn scenario(&mut self, file: &Path) -> Option<(Scenario, Option<Node>)> {
        let root = self.scenario_root(file)?;
        self.budget = super::budget::Budget::default();
        let scope = Scope::top(file);
        if root.as_map().is_none() {
            self.expected(&scope, &root, "a mapping with `name` and `steps`");
            return None;
        }
        let typo = self.check_keys(&scope, &root, &SCENARIO_KEYS, "a scenario");
        let name = self.scenario_name(&scope, &root, typo);
        let slot_node = root.get("slot").cloned();
        let slot = slot_node.as_ref().and_then(|n| self.slot(&scope, n));
        let targets = match root.get("targets") {
            None => Vec::new(),
            Some(node) => self.targets(&scope, node),
        };
        let allow_rejected_webhooks = root
            .get("allow_rejected_webhooks")
            .is_some_and(|node| self.flag(&scope, node));
        let mut known = Known { names: Vec::new() };
        for name in &self.opts.provided_vars {
            known.add(name);
        }
        for (name, _) in &self.opts.cli_vars {
            known.add(name);
        }
        let mut vars = ScenarioVars::default();
        for (name, value) in &self.opts.cli_vars {
            vars.sizes.insert(name.clone(), value.len());
        }
        if let Some(vnode) = root.get("vars") {
            self.vars(&scope, vnode, &mut known, &mut vars);
        }
        // `given:` steps reach the scenario's starting state when it does not follow the
        // previous slot's scenario in one journey; they define vars like any step.
        let given = match root.get("given") {
            None => Vec::new(),
            Some(g) if g.is_null() || g.as_seq().is_some_and(|l| l.is_empty()) => Vec::new(),
            Some(g) => self.steps(&scope, g, &mut known),
        };
        let steps = self.scenario_steps(&scope, &root, typo, &mut known);
        let scenario = Scenario {
            name,
            slot,
            file: file.to_path_buf(),
            location: scope.at(&root),
            vars: vars.vars,
            secret_vars: vars.secret,
            targets,
            allow_rejected_webhooks,
            given,
            steps,
        };
        Some((scenario, slot_node))
    }

    /// The file's tree, or `None` when it cannot be read, is empty or is not YAML (all
    /// reported).
    fn scenario_root(&mut self, file: &Path) -> Option<Node> {
        match self.read_tree(file) {
            Err(e) => {
                self.whole_file(file, format!("cannot read `{}`: {e}", file.display()), None);
                None
            }
            Ok(parsed) => {
                if parsed.tree.is_none() && !parsed.yaml_problems {
                    let msg = "empty scenario file: expected a mapping with `name` and `steps`";
                    self.whole_file(file, msg.into(), None);
                }
                parsed.tree
            }
        }
    }

    fn scenario_name(&mut self, scope: &Scope, root: &Node, typo: bool) -> String {
        match root.get("name") {
            Some(n) => self
                .text(scope, n, "the scenario's name")
                .unwrap_or_default(),
            None if typo => String::new(),
            None => {
                let msg = "missing `name`: every scenario has a name".into();
                let help = Some("add `name: …` at the top of the file".into());
                self.error(&scope.file, root, msg, help);
                String::new()
            }
        }
    }

    fn slot(&mut self, scope: &Scope, node: &Node) -> Option<String> {
        let s = self.text(scope, node, "a slot id")?;
        if SLOT_IDS.contains(&s.as_str()) {
            return Some(s);
        }
        let help = did_you_mean(&s, SLOT_IDS)
            .unwrap_or_else(|| format!("slots are {}", one_of(&SLOT_IDS)));
        self.error(&scope.file, node, format!("unknown slot `{s}`"), Some(help));
        None
    }

    fn scenario_steps(
        &mut self,
        scope: &Scope,
        root: &Node,
        typo: bool,
        known: &mut Known,
    ) -> Vec<super::super::model::Step> {
        match root.get("steps") {
            None if typo => Vec::new(),
            None => {
                let msg = "missing `steps`: a scenario needs at least one step".into();
                self.error(&scope.file, root, msg, None);
                Vec::new()
            }
            Some(s) if s.is_null() || s.as_seq().is_some_and(|l| l.is_empty()) => {
                let msg = "`steps` is empty: a scenario needs at least one step".into();
                self.error(&scope.file, s, msg, None);
                Vec::new()
            }
            Some(s) => self.steps(scope, s, known),
        }
    }

    /// A plain `true` or `false`.
    fn flag(&mut self, scope: &Scope, node: &Node) -> bool {
        match node.to_json() {
            serde_json::Value::Bool(b) => b,
            _ => {
                self.expected(scope, node, "`true` or `false`");
                false
            }
        }
    }

    fn targets(&mut self, scope: &Scope, node: &Node) -> Vec<String> {
        let Some(items) = node.as_seq() else {
            self.expected(scope, node, "a list of targets, e.g. `[mock]`");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.text(scope, item, "a target name") else {
                continue;
            };
            if TARGETS.contains(&name.as_str()) {
                out.push(name);
                continue;
            }
            let help = did_you_mean(&name, TARGETS)
                .unwrap_or_else(|| format!("targets are {}", one_of(&TARGETS)));
            let msg = format!("unknown target `{name}`");
            self.error(&scope.file, item, msg, Some(help));
        }
        out
    }

    fn vars(&mut self, scope: &Scope, node: &Node, known: &mut Known, out: &mut ScenarioVars) {
        let Some(entries) = node.as_map() else {
            if !node.is_null() {
                self.expected(scope, node, "a mapping of variable names to values");
            }
            return;
        };
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            if !self.definable(scope, k, name, "redefined") {
                continue;
            }
            let Some((value_node, secret)) = self.var_value(scope, name, v) else {
                continue;
            };
            if let Some(t) = self.template(scope, value_node, known, "a string value") {
                self.var_size(scope, value_node, name, &t, out);
                out.vars.push((name.to_string(), t));
                if secret {
                    out.secret.push(name.to_string());
                }
            }
            known.add(name);
        }
    }

    /// Records how long var `name` gets at least; reports it when that is over
    /// [`MAX_VALUE_BYTES`] (once: it then counts as empty for the vars that use it).
    fn var_size(
        &mut self,
        scope: &Scope,
        node: &Node,
        name: &str,
        t: &Template,
        out: &mut ScenarioVars,
    ) {
        if out.sizes.contains_key(name) {
            return; // a `--var` overrides it
        }
        let size = least_size(&t.raw, &out.sizes);
        if size <= MAX_VALUE_BYTES {
            out.sizes.insert(name.to_string(), size);
            return;
        }
        let limit = human_bytes(MAX_VALUE_BYTES as u64);
        let msg = format!("`{name}` becomes longer than {limit} (at least {size} bytes) once its `${{…}}` are filled in");
        let help = Some("each `${name}` repeats the whole value of `name`".into());
        self.error(&scope.file, node, msg, help);
        out.sizes.insert(name.to_string(), 0);
    }

    /// Whether `name` (at `k`) may be set by the scenario; reports why not. `verb` ends
    /// "… is set by the runner and cannot be {verb}".
    pub(super) fn definable(&mut self, scope: &Scope, k: &Node, name: &str, verb: &str) -> bool {
        if let Err(e) = check_name(name) {
            self.error(&scope.file, k, e.to_string(), None);
            return false;
        }
        let reserved = name.starts_with("env.") || name.starts_with("time.");
        if reserved || self.opts.provided_vars.iter().any(|p| p == name) {
            let msg = format!("`{name}` is set by the runner and cannot be {verb}");
            let help = (verb == "redefined").then(|| "choose another name".to_string());
            self.error(&scope.file, k, msg, help);
            return false;
        }
        true
    }

    /// A var's value node and whether it is secret: `name: value` or
    /// `name: { value: …, secret: true }`.
    fn var_value<'n>(
        &mut self,
        scope: &Scope,
        name: &str,
        v: &'n Node,
    ) -> Option<(&'n Node, bool)> {
        if !matches!(v.kind, NodeKind::Map(_)) {
            return Some((v, false));
        }
        self.check_keys(scope, v, &["value", "secret"], "a variable");
        let secret = match v.get("secret") {
            None => false,
            Some(s) => match s.as_str() {
                Some("true") => true,
                Some("false") => false,
                _ => {
                    self.expected(scope, s, "`true` or `false`");
                    false
                }
            },
        };
        match v.get("value") {
            Some(val) => Some((val, secret)),
            None => {
                let msg = format!("missing `value` for variable `{name}`");
                self.error(&scope.file, v, msg, None);
                None
            }
        }
    }
}
