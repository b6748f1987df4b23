//! Flows: `use: path` (+ `with:` params) in a step list or a `do:` list. Reads each flow
//! file once, fills in its params for each use, detects `use:` cycles. Reads flow
//! files only through `files`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::super::limits::MAX_USE_DEPTH;
use super::super::model::Step;
use super::super::vars::check_name;
use super::super::yaml::{Node, NodeKind};
use super::fields::{did_you_mean, one_of};
use super::files::normalize;
use super::{Known, Loader, Scope};

const FLOW_KEYS: [&str; 4] = ["name", "description", "params", "steps"];
const USE_KEYS: [&str; 2] = ["use", "with"];

/// A flow file as read once: its params and steps, not yet filled in.
pub(super) struct FlowDef {
    file: PathBuf,
    /// `(name, default)`; no default means the param is required.
    params: Vec<(String, Option<Node>)>,
    steps: Option<Node>,
}

impl Loader<'_> {
    /// The steps a `use:` item expands to (none when it cannot be expanded; reported).
    pub(super) fn flow_steps(
        &mut self,
        scope: &Scope,
        item: &Node,
        known: &mut Known,
    ) -> Vec<Step> {
        if !self.expanding() {
            return Vec::new();
        }
        let Some((flow, inner)) = self.use_flow(scope, item, known) else {
            return Vec::new();
        };
        match &flow.steps {
            Some(steps) => self.steps(&inner, steps, known),
            None => Vec::new(),
        }
    }

    /// The flow a `use:` names and the scope its steps are read in (params filled in).
    fn use_flow(
        &mut self,
        scope: &Scope,
        item: &Node,
        known: &mut Known,
    ) -> Option<(Rc<FlowDef>, Scope)> {
        self.check_keys(scope, item, &USE_KEYS, "a `use:`");
        let use_node = item.get("use")?;
        let rel = self.text(scope, use_node, "the path of a flow file")?;
        let base = scope.file.parent().unwrap_or(Path::new(""));
        let path = normalize(&base.join(&rel));
        if self.is_cycle(scope, use_node, &path) || self.too_deep(scope, use_node) {
            return None;
        }
        let flow = self.flow(scope, use_node, &path)?;
        let mut params = self.with_params(scope, item, &flow, &path, known);
        self.default_params(scope, item, &flow, &path, known, &mut params);
        let mut stack = scope.stack.clone();
        stack.push(path);
        let mut uses = scope.uses.clone();
        uses.push(scope.at(use_node));
        let inner = Scope {
            file: flow.file.clone(),
            params,
            stack,
            uses,
        };
        Some((flow, inner))
    }

    /// Whether this `use:` would nest flows deeper than [`MAX_USE_DEPTH`] (reported once per
    /// scenario: the budget stops the expansion).
    fn too_deep(&mut self, scope: &Scope, use_node: &Node) -> bool {
        if scope.stack.len() < MAX_USE_DEPTH {
            return false;
        }
        let msg = format!("flows nest more than {MAX_USE_DEPTH} `use:` deep here");
        let help = super::budget::chain(scope)
            .or_else(|| Some("use flows side by side instead of each inside the last".into()));
        self.error(&scope.file, use_node, msg, help);
        self.stop_expanding();
        true
    }

    fn is_cycle(&mut self, scope: &Scope, use_node: &Node, path: &Path) -> bool {
        let Some(pos) = scope.stack.iter().position(|p| p == path) else {
            return false;
        };
        let chain: Vec<String> = scope.stack[pos..]
            .iter()
            .map(PathBuf::as_path)
            .chain(std::iter::once(path))
            .map(|p| format!("`{}`", p.display()))
            .collect();
        let msg = format!("`use:` cycle: {}", chain.join(" → "));
        let help = Some("a flow cannot use itself, directly or through other flows".into());
        self.error(&scope.file, use_node, msg, help);
        true
    }

    /// `with:` values, read in the caller's scope.
    fn with_params(
        &mut self,
        scope: &Scope,
        item: &Node,
        flow: &FlowDef,
        path: &Path,
        known: &Known,
    ) -> BTreeMap<String, String> {
        let mut params = BTreeMap::new();
        let Some(w) = item.get("with") else {
            return params;
        };
        let Some(entries) = w.as_map() else {
            if !w.is_null() {
                self.expected(scope, w, "a mapping of param names to values");
            }
            return params;
        };
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            if !flow.params.iter().any(|(p, _)| p == name) {
                let names: Vec<&str> = flow.params.iter().map(|(p, _)| p.as_str()).collect();
                let help = did_you_mean(name, names.iter().copied()).unwrap_or_else(|| {
                    if names.is_empty() {
                        format!("`{}` has no params", path.display())
                    } else {
                        format!("its params are {}", one_of(&names))
                    }
                });
                let msg = format!("unknown param `{name}` for flow `{}`", path.display());
                self.error(&scope.file, k, msg, Some(help));
                continue;
            }
            // A value with a problem (reported) is empty, not also a missing param.
            let value = self.template(scope, v, known, "a string value");
            params.insert(name.to_string(), value.map(|t| t.raw).unwrap_or_default());
        }
        params
    }

    /// Params not given by `with:`: their defaults (read in the flow), or a diagnostic.
    fn default_params(
        &mut self,
        scope: &Scope,
        item: &Node,
        flow: &FlowDef,
        path: &Path,
        known: &Known,
        params: &mut BTreeMap<String, String>,
    ) {
        let flow_scope = Scope::flow_file(&flow.file);
        for (name, default) in &flow.params {
            if params.contains_key(name) {
                continue;
            }
            let value = match default {
                Some(d) => self
                    .template(&flow_scope, d, known, "a string value")
                    .map(|t| t.raw)
                    .unwrap_or_default(),
                None => {
                    let key = item.key("use").unwrap_or(item);
                    let msg = format!("missing param `{name}` for flow `{}`", path.display());
                    let help = Some(format!("add `with: {{ {name}: … }}`"));
                    self.error(&scope.file, key, msg, help);
                    String::new()
                }
            };
            params.insert(name.clone(), value);
        }
    }

    /// The flow at `path`, read once and cached (`None` when it cannot be used; reported
    /// here, or where the flow file is wrong).
    fn flow(&mut self, scope: &Scope, use_node: &Node, path: &Path) -> Option<Rc<FlowDef>> {
        if let Some(cached) = self.flows.get(path) {
            return cached.clone();
        }
        let parsed = match self.read_tree(path) {
            Ok(parsed) => parsed,
            Err(e) if e.is_not_found() => {
                self.missing_flow(scope, use_node, path);
                return None;
            }
            Err(e) => {
                let msg = format!("cannot use flow file `{}`: {e}", path.display());
                let help = e.help().map(str::to_string);
                self.error(&scope.file, use_node, msg, help);
                return None;
            }
        };
        let def = parsed
            .tree
            .as_ref()
            .and_then(|root| self.flow_def(path, root))
            .map(Rc::new);
        if parsed.tree.is_none() && !parsed.yaml_problems {
            let msg = "empty flow file: expected a mapping with `steps`".into();
            self.whole_file(path, msg, None);
        }
        self.flows.insert(path.to_path_buf(), def.clone());
        def
    }

    fn missing_flow(&mut self, scope: &Scope, use_node: &Node, path: &Path) {
        let names = self.sibling_names(path);
        let wanted = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let help = did_you_mean(&wanted, names.iter().map(String::as_str))
            .unwrap_or_else(|| "a flow path is relative to the file that uses it".into());
        let msg = format!("flow file `{}` not found", path.display());
        self.error(&scope.file, use_node, msg, Some(help));
    }

    /// A flow file's top level: `params` and `steps` (`name` and `description` are notes).
    fn flow_def(&mut self, path: &Path, root: &Node) -> Option<FlowDef> {
        let scope = Scope::flow_file(path);
        if root.as_map().is_none() {
            self.expected(&scope, root, "a flow: a mapping with `params` and `steps`");
            return None;
        }
        let typo = self.check_keys(&scope, root, &FLOW_KEYS, "a flow");
        let params = match root.get("params") {
            Some(p) => self.flow_params(&scope, p),
            None => Vec::new(),
        };
        let steps = match root.get("steps") {
            None if typo => None,
            None => {
                let msg = "missing `steps`: a flow needs at least one step".into();
                self.error(path, root, msg, None);
                None
            }
            Some(s) if s.as_seq().is_some_and(|l| !l.is_empty()) => Some(s.clone()),
            Some(s) if s.as_seq().is_some() || s.is_null() => {
                let msg = "`steps` is empty: a flow needs at least one step".into();
                self.error(path, s, msg, None);
                None
            }
            Some(s) => {
                self.expected(&scope, s, "a list of steps");
                None
            }
        };
        Some(FlowDef {
            file: path.to_path_buf(),
            params,
            steps,
        })
    }

    /// `params: [a, b]` (all required) or `params: { a: , b: default }`.
    fn flow_params(&mut self, scope: &Scope, p: &Node) -> Vec<(String, Option<Node>)> {
        let declared: Vec<(&Node, Option<Node>)> = match &p.kind {
            NodeKind::Seq(items) => items.iter().map(|i| (i, None)).collect(),
            NodeKind::Map(entries) => entries
                .iter()
                .map(|(k, v)| (k, (!v.is_null()).then(|| v.clone())))
                .collect(),
            _ if p.is_null() => Vec::new(),
            _ => {
                let what = "a list of param names, or a mapping of names to defaults";
                self.expected(scope, p, what);
                Vec::new()
            }
        };
        let mut params: Vec<(String, Option<Node>)> = Vec::new();
        for (k, default) in declared {
            let Some(name) = k.as_str() else {
                self.expected(scope, k, "a param name");
                continue;
            };
            if let Err(e) = check_name(name) {
                self.error(&scope.file, k, e.to_string(), None);
            } else if params.iter().any(|(n, _)| n == name) {
                self.error(&scope.file, k, format!("duplicate param `{name}`"), None);
            } else {
                params.push((name.to_string(), default));
            }
        }
        params
    }
}
