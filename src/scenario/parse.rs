//! From YAML node trees to the expanded model: scenario files, flows (`use:` with
//! params), every action's short and long form, `${var}` checks. Collects every problem
//! as a [`Diagnostic`] and never stops at the first.

use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use super::model::*;
use super::vars::{check_name, parse_template, substitute_params, Piece};
use super::yaml::{self, Node, NodeKind};
use super::{Diagnostic, Diagnostics, LoadOptions, SLOT_IDS};
use crate::duration::Zero;

pub(crate) const ACTIONS: [&str; 16] = [
    "open",
    "click",
    "fill",
    "select",
    "press",
    "expect_text",
    "expect_url",
    "expect_visible",
    "expect_hidden",
    "within_frame",
    "screenshot",
    "wait_for",
    "eventually",
    "http",
    "verify_config",
    "remember",
];
pub(crate) const LOCATORS: [&str; 5] = ["css", "xpath", "text", "label", "testid"];
pub(crate) const MATCHERS: [&str; 3] = ["equals", "contains", "matches"];
pub(crate) const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
pub(crate) const SCENARIO_KEYS: [&str; 6] = ["name", "slot", "targets", "vars", "given", "steps"];
/// Where a scenario can run (`targets:`); absent means everywhere.
pub const TARGETS: [&str; 2] = ["mock", "sandbox"];
pub(crate) const FLOW_KEYS: [&str; 4] = ["name", "description", "params", "steps"];
pub(crate) const USE_KEYS: [&str; 2] = ["use", "with"];

/// Default `eventually` timeout and interval.
pub(crate) const EVENTUALLY_TIMEOUT: Duration = Duration::from_secs(30);
pub(crate) const EVENTUALLY_INTERVAL: Duration = Duration::from_secs(1);

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

fn one_of(names: &[&str]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Removes `.` and resolves `..` lexically, so flow paths read well in diagnostics.
fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

struct FlowDef {
    file: PathBuf,
    /// `(name, default, line, col)`; no default means the param is required.
    params: Vec<(String, Option<Node>)>,
    steps: Option<Node>,
}

/// Where nodes come from and what flow params apply while reading them.
#[derive(Clone)]
struct Scope {
    file: PathBuf,
    params: BTreeMap<String, String>,
    /// Files being expanded, outermost first, for cycle detection.
    stack: Vec<PathBuf>,
}

/// Names a `${…}` may refer to at this point of the scenario.
struct Known {
    names: Vec<String>,
}

pub(crate) struct Loader<'o> {
    opts: &'o LoadOptions,
    diags: Vec<Diagnostic>,
    sources: BTreeMap<PathBuf, Arc<str>>,
    flows: HashMap<PathBuf, Option<Rc<FlowDef>>>,
}

impl<'o> Loader<'o> {
    pub fn new(opts: &'o LoadOptions) -> Self {
        Self {
            opts,
            diags: Vec::new(),
            sources: BTreeMap::new(),
            flows: HashMap::new(),
        }
    }

    /// Loads every path; the scenarios, or every diagnostic sorted and deduplicated.
    pub fn load(mut self, paths: &[PathBuf]) -> Result<LoadedScenarios, Diagnostics> {
        let files = self.collect(paths);
        let mut scenarios = Vec::new();
        let mut slots: BTreeMap<String, PathBuf> = BTreeMap::new();
        for file in files {
            if let Some((scenario, slot_node)) = self.scenario(&file) {
                if let (Some(slot), Some(node)) = (&scenario.slot, slot_node) {
                    if let Some(first) = slots.get(slot) {
                        let msg =
                            format!("slot `{slot}` is already covered by `{}`", first.display());
                        self.error(
                            &file,
                            &node,
                            msg,
                            Some("each evidence slot has one scenario".into()),
                        );
                    } else {
                        slots.insert(slot.clone(), file.clone());
                    }
                }
                scenarios.push(scenario);
            }
        }
        if self.diags.is_empty() {
            Ok(LoadedScenarios {
                scenarios,
                sources: self.sources,
            })
        } else {
            let mut items = self.diags;
            items.sort_by(|a, b| {
                (&a.location, &a.message, &a.help).cmp(&(&b.location, &b.message, &b.help))
            });
            items.dedup();
            Err(Diagnostics {
                items,
                sources: self.sources,
            })
        }
    }

    // ---- diagnostics helpers ----

    fn push(
        &mut self,
        file: &Path,
        line: usize,
        column: usize,
        message: String,
        help: Option<String>,
    ) {
        self.diags.push(Diagnostic {
            location: Location {
                file: file.to_path_buf(),
                line,
                column,
            },
            message,
            help,
        });
    }

    fn error(&mut self, file: &Path, node: &Node, message: String, help: Option<String>) {
        self.push(file, node.line, node.col, message, help);
    }

    fn whole_file(&mut self, file: &Path, message: String, help: Option<String>) {
        self.push(file, 0, 0, message, help);
    }

    fn expected(&mut self, scope: &Scope, node: &Node, what: &str) {
        let msg = format!("expected {what}, found {}", node.describe());
        self.error(&scope.file, node, msg, None);
    }

    // ---- files ----

    fn collect(&mut self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for path in paths {
            match std::fs::metadata(path) {
                Err(e) => {
                    self.whole_file(path, format!("cannot read `{}`: {e}", path.display()), None)
                }
                Ok(m) if m.is_dir() => {
                    let before = files.len();
                    walk(path, &mut files);
                    if files.len() == before {
                        self.whole_file(
                            path,
                            format!(
                                "no scenario files (`*.yaml`, `*.yml`) in `{}`",
                                path.display()
                            ),
                            None,
                        );
                    }
                }
                Ok(_) => files.push(path.clone()),
            }
        }
        let mut seen = std::collections::HashSet::new();
        files.retain(|f| seen.insert(normalize(f)));
        files
    }

    fn read_tree(&mut self, file: &Path) -> Result<Option<Node>, std::io::Error> {
        let text = std::fs::read_to_string(file)?;
        let mut problems = Vec::new();
        let tree = yaml::parse(&text, &mut problems);
        self.sources.insert(file.to_path_buf(), Arc::from(text));
        for p in problems {
            self.push(file, p.line, p.col, p.message, p.help);
        }
        Ok(tree)
    }

    // ---- scenario ----

    fn scenario(&mut self, file: &Path) -> Option<(Scenario, Option<Node>)> {
        let root = match self.read_tree(file) {
            Err(e) => {
                self.whole_file(file, format!("cannot read `{}`: {e}", file.display()), None);
                return None;
            }
            Ok(None) => {
                if !self.diags.iter().any(|d| d.location.file == file) {
                    self.whole_file(
                        file,
                        "empty scenario file: expected a mapping with `name` and `steps`".into(),
                        None,
                    );
                }
                return None;
            }
            Ok(Some(root)) => root,
        };
        let scope = Scope {
            file: file.to_path_buf(),
            params: BTreeMap::new(),
            stack: vec![normalize(file)],
        };
        if root.as_map().is_none() {
            self.expected(&scope, &root, "a mapping with `name` and `steps`");
            return None;
        }
        let typo = self.check_keys(&scope, &root, &SCENARIO_KEYS, "a scenario");
        let name = match root.get("name") {
            Some(n) => self
                .text(&scope, n, "the scenario's name")
                .unwrap_or_default(),
            None if typo => String::new(),
            None => {
                self.error(
                    file,
                    &root,
                    "missing `name`: every scenario has a name".into(),
                    Some("add `name: …` at the top of the file".into()),
                );
                String::new()
            }
        };
        let slot_node = root.get("slot").cloned();
        let slot = slot_node.as_ref().and_then(|n| {
            let s = self.text(&scope, n, "a slot id")?;
            if SLOT_IDS.contains(&s.as_str()) {
                Some(s)
            } else {
                let help = did_you_mean(&s, SLOT_IDS)
                    .unwrap_or_else(|| format!("slots are {}", one_of(&SLOT_IDS)));
                self.error(file, n, format!("unknown slot `{s}`"), Some(help));
                None
            }
        });
        let targets = match root.get("targets") {
            None => Vec::new(),
            Some(node) => self.targets(&scope, node),
        };
        let mut known = Known {
            names: self
                .opts
                .provided_vars
                .iter()
                .cloned()
                .chain(self.opts.cli_vars.iter().map(|(k, _)| k.clone()))
                .collect(),
        };
        let mut vars = Vec::new();
        let mut secret_vars = Vec::new();
        if let Some(vnode) = root.get("vars") {
            self.vars(&scope, vnode, &mut known, &mut vars, &mut secret_vars);
        }
        // `given:` steps reach the scenario's starting state when it does not follow the
        // previous slot's scenario in one journey; they define vars like any step.
        let given = match root.get("given") {
            None => Vec::new(),
            Some(g) if g.is_null() || g.as_seq().is_some_and(|l| l.is_empty()) => Vec::new(),
            Some(g) => self.steps(&scope, g, &mut known),
        };
        let steps = match root.get("steps") {
            None if typo => Vec::new(),
            None => {
                self.error(
                    file,
                    &root,
                    "missing `steps`: a scenario needs at least one step".into(),
                    None,
                );
                Vec::new()
            }
            Some(s) => {
                if s.as_seq().is_some_and(|l| l.is_empty()) || s.is_null() {
                    self.error(
                        file,
                        s,
                        "`steps` is empty: a scenario needs at least one step".into(),
                        None,
                    );
                    Vec::new()
                } else {
                    self.steps(&scope, s, &mut known)
                }
            }
        };
        Some((
            Scenario {
                name,
                slot,
                file: file.to_path_buf(),
                location: Location {
                    file: file.to_path_buf(),
                    line: root.line,
                    column: root.col,
                },
                vars,
                secret_vars,
                targets,
                given,
                steps,
            },
            slot_node,
        ))
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
            } else {
                let help = did_you_mean(&name, TARGETS)
                    .unwrap_or_else(|| format!("targets are {}", one_of(&TARGETS)));
                self.error(
                    &scope.file,
                    item,
                    format!("unknown target `{name}`"),
                    Some(help),
                );
            }
        }
        out
    }

    fn vars(
        &mut self,
        scope: &Scope,
        node: &Node,
        known: &mut Known,
        vars: &mut Vec<(String, Template)>,
        secret_vars: &mut Vec<String>,
    ) {
        let Some(entries) = node.as_map() else {
            if !node.is_null() {
                self.expected(scope, node, "a mapping of variable names to values");
            }
            return;
        };
        for (k, v) in entries {
            let Some(name) = k.as_str() else { continue };
            if let Err(e) = check_name(name) {
                self.error(&scope.file, k, e, None);
                continue;
            }
            if name.starts_with("env.") || self.opts.provided_vars.iter().any(|p| p == name) {
                self.error(
                    &scope.file,
                    k,
                    format!("`{name}` is set by the runner and cannot be redefined"),
                    Some("choose another name".into()),
                );
                continue;
            }
            let (value_node, secret) = match &v.kind {
                NodeKind::Map(_) => {
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
                        Some(val) => (val, secret),
                        None => {
                            self.error(
                                &scope.file,
                                v,
                                format!("missing `value` for variable `{name}`"),
                                None,
                            );
                            continue;
                        }
                    }
                }
                _ => (v, false),
            };
            if let Some(t) = self.template(scope, value_node, known, "a string value") {
                vars.push((name.to_string(), t));
                if secret {
                    secret_vars.push(name.to_string());
                }
            }
            known.names.push(name.to_string());
        }
    }

    // ---- steps ----

    fn steps(&mut self, scope: &Scope, node: &Node, known: &mut Known) -> Vec<Step> {
        let Some(items) = node.as_seq() else {
            self.expected(scope, node, "a list of steps");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if item.get("use").is_some() {
                if let Some((flow, inner)) = self.use_flow(scope, item, known) {
                    if let Some(steps) = &flow.steps {
                        out.extend(self.steps(&inner, steps, known));
                    }
                }
                continue;
            }
            if item.as_map().is_none() {
                self.expected(
                    scope,
                    item,
                    "a step: a mapping with `name` and `do` (or `use`)",
                );
                continue;
            }
            let typo = self.check_keys(scope, item, &["name", "do", "use", "with"], "a step");
            if item.get("with").is_some() {
                let with = item.key("with").unwrap_or(item).clone();
                self.error(
                    &scope.file,
                    &with,
                    "`with` without `use`".into(),
                    Some("`with:` gives params to a flow named by `use:`".into()),
                );
            }
            let name = match item.get("name") {
                Some(n) => self.text(scope, n, "the step's name").unwrap_or_default(),
                None if typo => String::new(),
                None => {
                    self.error(
                        &scope.file,
                        item,
                        "missing `name`: every step has a name".into(),
                        None,
                    );
                    String::new()
                }
            };
            let actions = match item.get("do") {
                Some(d) => self.action_list(scope, d, known, "the step"),
                None if typo => Vec::new(),
                None => {
                    self.error(
                        &scope.file,
                        item,
                        "missing `do`: the list of actions of this step".into(),
                        None,
                    );
                    Vec::new()
                }
            };
            out.push(Step {
                name,
                location: Location {
                    file: scope.file.clone(),
                    line: item.line,
                    column: item.col,
                },
                actions,
            });
        }
        out
    }

    /// A non-empty `do:` list.
    fn action_list(
        &mut self,
        scope: &Scope,
        node: &Node,
        known: &mut Known,
        whose: &str,
    ) -> Vec<Action> {
        match node.as_seq() {
            Some([]) => {
                self.error(
                    &scope.file,
                    node,
                    format!("`do` is empty: {whose} needs at least one action"),
                    None,
                );
                Vec::new()
            }
            Some(_) => self.actions(scope, node, known),
            None if node.is_null() => {
                self.error(
                    &scope.file,
                    node,
                    format!("`do` is empty: {whose} needs at least one action"),
                    None,
                );
                Vec::new()
            }
            None => {
                self.expected(scope, node, "a list of actions");
                Vec::new()
            }
        }
    }

    fn actions(&mut self, scope: &Scope, node: &Node, known: &mut Known) -> Vec<Action> {
        let mut out = Vec::new();
        for item in node.as_seq().unwrap_or_default() {
            if item.get("use").is_some() {
                if let Some((flow, inner)) = self.use_flow(scope, item, known) {
                    if let Some(steps) = &flow.steps {
                        for s in self.steps(&inner, steps, known) {
                            out.extend(s.actions);
                        }
                    }
                }
                continue;
            }
            let Some(entries) = item.as_map() else {
                let help = item
                    .as_str()
                    .filter(|s| ACTIONS.contains(s))
                    .map(|s| format!("`{s}` needs a value: `{s}: …`"));
                let msg = format!(
                    "expected an action such as `click: …`, found {}",
                    item.describe()
                );
                self.error(&scope.file, item, msg, help);
                continue;
            };
            let Some((key, value)) = entries.first() else {
                self.expected(scope, item, "an action such as `click: …`");
                continue;
            };
            for (extra, _) in entries.iter().skip(1) {
                let name = extra.as_str().unwrap_or_default();
                let first = key.as_str().unwrap_or_default();
                let help = if name == "timeout" || LOCATORS.contains(&name) {
                    format!("options go inside the action: `{first}: {{ …, {name}: … }}`")
                } else {
                    "start another action with its own `-`".into()
                };
                self.error(
                    &scope.file,
                    extra,
                    format!("an action has one key, found `{first}` and `{name}`"),
                    Some(help),
                );
            }
            let Some(name) = key.as_str() else { continue };
            if !ACTIONS.contains(&name) {
                let help = did_you_mean(name, ACTIONS)
                    .unwrap_or_else(|| format!("actions are {}", one_of(&ACTIONS)));
                self.error(
                    &scope.file,
                    key,
                    format!("unknown action `{name}`"),
                    Some(help),
                );
                continue;
            }
            if let Some(a) = self.action(scope, name, key, value, known) {
                out.push(a);
            }
        }
        out
    }

    // ---- flows ----

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
        if let Some(pos) = scope.stack.iter().position(|p| *p == path) {
            let chain: Vec<String> = scope.stack[pos..]
                .iter()
                .chain(std::iter::once(&path))
                .map(|p| format!("`{}`", p.display()))
                .collect();
            self.error(
                &scope.file,
                use_node,
                format!("`use:` cycle: {}", chain.join(" → ")),
                Some("a flow cannot use itself, directly or through other flows".into()),
            );
            return None;
        }
        let flow = self.flow(scope, use_node, &path)?;
        // Params: `with:` values are read in the caller's scope.
        let mut params = BTreeMap::new();
        let with = item.get("with");
        if let Some(w) = with {
            match w.as_map() {
                Some(entries) => {
                    for (k, v) in entries {
                        let Some(name) = k.as_str() else { continue };
                        if !flow.params.iter().any(|(p, _)| p == name) {
                            let names: Vec<&str> =
                                flow.params.iter().map(|(p, _)| p.as_str()).collect();
                            let help = did_you_mean(name, names.iter().copied()).or_else(|| {
                                Some(if names.is_empty() {
                                    format!("`{}` has no params", path.display())
                                } else {
                                    format!("its params are {}", one_of(&names))
                                })
                            });
                            self.error(
                                &scope.file,
                                k,
                                format!("unknown param `{name}` for flow `{}`", path.display()),
                                help,
                            );
                            continue;
                        }
                        if let Some(t) = self.template(scope, v, known, "a string value") {
                            params.insert(name.to_string(), t.raw);
                        }
                    }
                }
                None if w.is_null() => {}
                None => self.expected(scope, w, "a mapping of param names to values"),
            }
        }
        let flow_scope = Scope {
            file: flow.file.clone(),
            params: BTreeMap::new(),
            stack: Vec::new(),
        };
        for (name, default) in &flow.params {
            if params.contains_key(name) {
                continue;
            }
            match default {
                Some(d) => {
                    let raw = self
                        .template(&flow_scope, d, known, "a string value")
                        .map(|t| t.raw)
                        .unwrap_or_default();
                    params.insert(name.clone(), raw);
                }
                None => {
                    let key = item.key("use").unwrap_or(item).clone();
                    self.error(
                        &scope.file,
                        &key,
                        format!("missing param `{name}` for flow `{}`", path.display()),
                        Some(format!("add `with: {{ {name}: … }}`")),
                    );
                    params.insert(name.clone(), String::new());
                }
            }
        }
        let mut stack = scope.stack.clone();
        stack.push(path);
        let inner = Scope {
            file: flow.file.clone(),
            params,
            stack,
        };
        Some((flow, inner))
    }

    fn flow(&mut self, scope: &Scope, use_node: &Node, path: &Path) -> Option<Rc<FlowDef>> {
        if let Some(cached) = self.flows.get(path).cloned() {
            if cached.is_none() && !self.sources.contains_key(path) {
                self.missing_flow(scope, use_node, path);
            }
            return cached;
        }
        let root = match self.read_tree(path) {
            Err(_) => {
                self.flows.insert(path.to_path_buf(), None);
                self.missing_flow(scope, use_node, path);
                return None;
            }
            Ok(root) => root,
        };
        let def = root
            .and_then(|root| self.flow_def(path, &root))
            .map(Rc::new);
        if def.is_none() && !self.diags.iter().any(|d| d.location.file == path) {
            self.whole_file(
                path,
                "empty flow file: expected a mapping with `steps`".into(),
                None,
            );
        }
        self.flows.insert(path.to_path_buf(), def.clone());
        def
    }

    fn missing_flow(&mut self, scope: &Scope, use_node: &Node, path: &Path) {
        let dir = path.parent().unwrap_or(Path::new(""));
        let mut names = Vec::new();
        walk(
            if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            },
            &mut names,
        );
        let names: Vec<String> = names
            .iter()
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect();
        let wanted = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let help = did_you_mean(&wanted, names.iter().map(String::as_str))
            .or_else(|| Some("a flow path is relative to the file that uses it".into()));
        self.error(
            &scope.file,
            use_node,
            format!("flow file `{}` not found", path.display()),
            help,
        );
    }

    fn flow_def(&mut self, path: &Path, root: &Node) -> Option<FlowDef> {
        let scope = Scope {
            file: path.to_path_buf(),
            params: BTreeMap::new(),
            stack: Vec::new(),
        };
        if root.as_map().is_none() {
            self.expected(&scope, root, "a flow: a mapping with `params` and `steps`");
            return None;
        }
        let typo = self.check_keys(&scope, root, &FLOW_KEYS, "a flow");
        let mut params: Vec<(String, Option<Node>)> = Vec::new();
        if let Some(p) = root.get("params") {
            let mut add = |this: &mut Self, k: &Node, default: Option<Node>| {
                let Some(name) = k.as_str() else {
                    this.expected(&scope, k, "a param name");
                    return;
                };
                if let Err(e) = check_name(name) {
                    this.error(path, k, e, None);
                } else if params.iter().any(|(n, _)| n == name) {
                    this.error(path, k, format!("duplicate param `{name}`"), None);
                } else {
                    params.push((name.to_string(), default));
                }
            };
            match &p.kind {
                NodeKind::Seq(items) => {
                    for i in items {
                        add(self, i, None);
                    }
                }
                NodeKind::Map(entries) => {
                    for (k, v) in entries {
                        let default = if v.is_null() { None } else { Some(v.clone()) };
                        add(self, k, default);
                    }
                }
                _ if p.is_null() => {}
                _ => self.expected(
                    &scope,
                    p,
                    "a list of param names, or a mapping of names to defaults",
                ),
            }
        }
        let steps = match root.get("steps") {
            None if typo => None,
            None => {
                self.error(
                    path,
                    root,
                    "missing `steps`: a flow needs at least one step".into(),
                    None,
                );
                None
            }
            Some(s) if s.as_seq().is_some_and(|l| !l.is_empty()) => Some(s.clone()),
            Some(s) if s.as_seq().is_some() || s.is_null() => {
                self.error(
                    path,
                    s,
                    "`steps` is empty: a flow needs at least one step".into(),
                    None,
                );
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

    // ---- values ----

    /// Reports keys of `map` outside `allowed`, with "did you mean".
    fn check_keys(&mut self, scope: &Scope, map: &Node, allowed: &[&str], what: &str) -> bool {
        let mut unknown = false;
        for (k, _) in map.as_map().unwrap_or_default() {
            let Some(name) = k.as_str() else { continue };
            if !allowed.contains(&name) {
                let help = did_you_mean(name, allowed.iter().copied())
                    .unwrap_or_else(|| format!("expected {}", one_of(allowed)));
                self.error(
                    &scope.file,
                    k,
                    format!("unknown key `{name}` in {what}"),
                    Some(help),
                );
                unknown = true;
            }
        }
        unknown
    }

    /// A scalar's text, flow params substituted.
    fn text(&mut self, scope: &Scope, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) => Some(substitute_params(s, &scope.params)),
            None => {
                self.expected(scope, node, what);
                None
            }
        }
    }

    /// A scalar as a template: `${…}` references checked, flow params substituted.
    fn template(
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
            raw: substitute_params(raw, &scope.params),
            location: Location {
                file: scope.file.clone(),
                line: node.line,
                column: node.col,
            },
        })
    }

    /// Checks every `${name}` in `raw` (text of `node`) against what is known here.
    fn check_refs(&mut self, scope: &Scope, node: &Node, raw: &str, known: &Known) {
        match parse_template(raw) {
            Err(e) => {
                let col = self.ref_column(scope, node, &raw[e.offset..]);
                self.push(&scope.file, node.line, col, e.message, None);
            }
            Ok(pieces) => {
                for p in pieces {
                    let Piece::Var { name, offset } = p else {
                        continue;
                    };
                    if let Some(env) = name.strip_prefix("env.") {
                        if env.contains('.') {
                            let col = self.ref_column(scope, node, &raw[offset..]);
                            self.push(
                                &scope.file,
                                node.line,
                                col,
                                format!("`{name}` is not a valid environment variable name"),
                                None,
                            );
                        }
                        continue;
                    }
                    if scope.params.contains_key(&name) || known.names.contains(&name) {
                        continue;
                    }
                    let candidates: Vec<&str> = known
                        .names
                        .iter()
                        .map(String::as_str)
                        .chain(scope.params.keys().map(String::as_str))
                        .collect();
                    let help = did_you_mean(&name, candidates).unwrap_or_else(|| {
                        format!("define it under `vars:`, pass `--var {name}=…`, or read the environment with `${{env.NAME}}`")
                    });
                    let col = self.ref_column(scope, node, &raw[offset..]);
                    self.push(
                        &scope.file,
                        node.line,
                        col,
                        format!("unknown variable `{name}`"),
                        Some(help),
                    );
                }
            }
        }
    }

    /// The column of `fragment` (starting with `${`) on the node's line, when it can be
    /// found from the node's column; else the node's column.
    fn ref_column(&self, scope: &Scope, node: &Node, fragment: &str) -> usize {
        let head: String = fragment.chars().take_while(|&c| c != '}').collect();
        let Some(line) = self
            .sources
            .get(&scope.file)
            .and_then(|t| t.lines().nth(node.line.saturating_sub(1)))
        else {
            return node.col;
        };
        let start: usize = line
            .chars()
            .take(node.col.saturating_sub(1))
            .map(char::len_utf8)
            .sum();
        match line.get(start..).and_then(|rest| rest.find(&head)) {
            Some(pos) => node.col + line[start..start + pos].chars().count(),
            None => node.col,
        }
    }

    fn duration(&mut self, scope: &Scope, node: &Node, zero: Zero) -> Option<Duration> {
        let text = self.text(scope, node, "a duration such as `10s`")?;
        match crate::duration::parse(&text, zero) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(
                    &scope.file,
                    node,
                    e.to_string(),
                    Some("durations look like `500ms`, `10s` or `2m`".into()),
                );
                None
            }
        }
    }

    /// The one locator among the keys of `map`; `None` (reported when `required`) if there
    /// is none, and an error for several.
    fn locator_in(
        &mut self,
        scope: &Scope,
        map: &Node,
        known: &Known,
        required: bool,
    ) -> Option<Locator> {
        let found: Vec<&(Node, Node)> = map
            .as_map()
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| k.as_str().is_some_and(|s| LOCATORS.contains(&s)))
            .collect();
        match found.as_slice() {
            [] => {
                if required {
                    self.error(
                        &scope.file,
                        map,
                        "missing target: say which element".into(),
                        Some(format!("add one of {}", one_of(&LOCATORS))),
                    );
                }
                None
            }
            [(k, v), rest @ ..] => {
                for (extra, _) in rest {
                    let msg = format!(
                        "a target has one locator, found `{}` and `{}`",
                        k.as_str().unwrap_or_default(),
                        extra.as_str().unwrap_or_default()
                    );
                    self.error(&scope.file, extra, msg, Some("keep one of them".into()));
                }
                let by = match k.as_str().unwrap_or_default() {
                    "css" => By::Css,
                    "xpath" => By::Xpath,
                    "text" => By::Text,
                    "label" => By::Label,
                    _ => By::TestId,
                };
                let value = self.template(scope, v, known, "a string")?;
                if value.raw.trim().is_empty() {
                    self.error(&scope.file, v, "empty locator".into(), None);
                }
                Some(Locator { by, value })
            }
        }
    }

    /// A target on its own: a string (text locator) or a mapping with one locator.
    fn locator(&mut self, scope: &Scope, node: &Node, known: &Known) -> Option<Locator> {
        match &node.kind {
            NodeKind::Scalar { .. } if !node.is_null() => Some(Locator {
                by: By::Text,
                value: self.template(scope, node, known, "a string")?,
            }),
            NodeKind::Map(_) => {
                let unknown = self.check_keys(scope, node, &LOCATORS, "a target");
                self.locator_in(scope, node, known, !unknown)
            }
            _ => {
                self.expected(scope, node, "a target such as `Billing` or `{ testid: … }`");
                None
            }
        }
    }

    /// One of `equals`, `contains`, `matches` among the keys of `map`.
    fn matcher_in(
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
            if !report_missing {
                return None;
            }
            self.error(
                &scope.file,
                map,
                "missing the expected text".into(),
                Some(format!("add one of {}", one_of(&MATCHERS))),
            );
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
        if let Err(e) = regex::Regex::new(pattern) {
            let text = e.to_string();
            let reason = text
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(&text)
                .trim()
                .trim_start_matches("error: ")
                .to_string();
            self.error(
                &scope.file,
                node,
                format!("invalid regular expression: {reason}"),
                None,
            );
        }
    }

    // ---- actions ----

    fn action(
        &mut self,
        scope: &Scope,
        name: &str,
        key: &Node,
        v: &Node,
        known: &mut Known,
    ) -> Option<Action> {
        let is_map = v.as_map().is_some();
        let is_text = v.as_str().is_some();
        let mut timeout = None;
        let mut unknown_key = false;
        // Keys each long form accepts, besides locators where noted.
        let (allowed, with_locator): (&[&str], bool) = match name {
            "open" => (&["url", "timeout"], false),
            "click" | "expect_visible" | "expect_hidden" | "wait_for" => (&["timeout"], true),
            "fill" => (&["value", "timeout"], true),
            "select" => (&["option", "timeout"], true),
            "press" => (&["key", "timeout"], true),
            "expect_text" => (&["in", "equals", "contains", "matches", "timeout"], false),
            "expect_url" => (&["equals", "contains", "matches", "timeout"], false),
            "within_frame" => (&["frame", "do", "timeout"], false),
            "screenshot" => (&["name"], false),
            "eventually" => (&["timeout", "interval", "do"], false),
            "verify_config" => (&["server", "product_name", "timeout"], false),
            "remember" => (&["as", "attribute", "timeout"], true),
            _ => (
                &[
                    "method", "url", "headers", "json", "expect", "capture", "timeout",
                ],
                false,
            ),
        };
        if is_map {
            let mut all: Vec<&str> = allowed.to_vec();
            if with_locator {
                all.extend(LOCATORS);
            }
            unknown_key = self.check_keys(scope, v, &all, &format!("`{name}`"));
            if name != "eventually" {
                if let Some(t) = v.get("timeout") {
                    timeout = self.duration(scope, t, Zero::Rejected);
                }
            }
        }
        let wrong = |this: &mut Self, what: &str| {
            let msg = format!("`{name}` expects {what}, found {}", v.describe());
            this.error(&scope.file, v, msg, None);
        };
        let required = |this: &mut Self, key: &str| -> Option<Node> {
            match v.get(key) {
                Some(n) => Some(n.clone()),
                None if unknown_key => None,
                None => {
                    this.error(&scope.file, v, format!("`{name}` needs `{key}`"), None);
                    None
                }
            }
        };
        let kind = match name {
            "open" if is_text => ActionKind::Open {
                url: self.template(scope, v, known, "a URL")?,
            },
            "open" if is_map => {
                let url = required(self, "url")?;
                ActionKind::Open {
                    url: self.template(scope, &url, known, "a URL")?,
                }
            }
            "open" => {
                wrong(self, "a URL or a path such as `/new`");
                return None;
            }
            "click" | "expect_visible" | "expect_hidden" => {
                let target = if is_map {
                    self.locator_in(scope, v, known, !unknown_key)?
                } else {
                    self.locator(scope, v, known)?
                };
                match name {
                    "click" => ActionKind::Click { target },
                    "expect_visible" => ActionKind::ExpectVisible { target },
                    _ => ActionKind::ExpectHidden { target },
                }
            }
            "fill" | "select" if is_map => {
                let target = self.locator_in(scope, v, known, !unknown_key);
                let field = if name == "fill" { "value" } else { "option" };
                let value =
                    required(self, field).and_then(|n| self.template(scope, &n, known, "a string"));
                let (target, value) = (target?, value?);
                if name == "fill" {
                    ActionKind::Fill { target, value }
                } else {
                    ActionKind::Select {
                        target,
                        option: value,
                    }
                }
            }
            "fill" => {
                wrong(
                    self,
                    "a mapping with a target and `value`, like `{ label: Email, value: … }`",
                );
                return None;
            }
            "select" => {
                wrong(
                    self,
                    "a mapping with a target and `option`, like `{ label: Country, option: … }`",
                );
                return None;
            }
            "press" if is_text => ActionKind::Press {
                key: self.template(scope, v, known, "a key name")?,
                target: None,
            },
            "press" if is_map => {
                let target = self.locator_in(scope, v, known, false);
                let key = required(self, "key")?;
                ActionKind::Press {
                    key: self.template(scope, &key, known, "a key name")?,
                    target,
                }
            }
            "press" => {
                wrong(self, "a key name such as `Enter`");
                return None;
            }
            "expect_text" if is_text => ActionKind::ExpectText {
                target: None,
                matcher: TextMatch::Contains(self.template(scope, v, known, "a string")?),
            },
            "expect_text" if is_map => {
                let target = match v.get("in") {
                    Some(n) => Some(self.locator(scope, n, known)?),
                    None => None,
                };
                ActionKind::ExpectText {
                    target,
                    matcher: self.matcher_in(scope, v, known, !unknown_key)?,
                }
            }
            "expect_url" if is_text => ActionKind::ExpectUrl {
                matcher: TextMatch::Contains(self.template(scope, v, known, "a string")?),
            },
            "expect_url" if is_map => ActionKind::ExpectUrl {
                matcher: self.matcher_in(scope, v, known, !unknown_key)?,
            },
            "expect_text" | "expect_url" => {
                wrong(
                    self,
                    "a text, or a mapping with `equals`, `contains` or `matches`",
                );
                return None;
            }
            "within_frame" if is_map => {
                let frame = required(self, "frame")
                    .and_then(|f| self.locator(scope, &f, known))
                    .inspect(|l| {
                        if matches!(l.by, By::Text | By::Label) {
                            let at = v.get("frame").cloned().unwrap_or_else(|| v.clone());
                            self.error(
                                &scope.file,
                                &at,
                                "a frame is found by `css`, `xpath` or `testid`".into(),
                                Some("for example `frame: { css: \"iframe[title='…']\" }`".into()),
                            );
                        }
                    });
                let actions = match required(self, "do") {
                    Some(d) => self.action_list(scope, &d, known, "`within_frame`"),
                    None => Vec::new(),
                };
                ActionKind::WithinFrame {
                    frame: frame?,
                    actions,
                }
            }
            "within_frame" => {
                wrong(self, "a mapping with `frame` and `do`");
                return None;
            }
            "screenshot" if is_text => ActionKind::Screenshot {
                name: self.template(scope, v, known, "a name")?,
            },
            "screenshot" if is_map => {
                let n = required(self, "name")?;
                ActionKind::Screenshot {
                    name: self.template(scope, &n, known, "a name")?,
                }
            }
            "screenshot" => {
                wrong(self, "a name such as `checkout-page`");
                return None;
            }
            "remember" if is_map => {
                let target = self.locator_in(scope, v, known, !unknown_key);
                let attribute = match v.get("attribute") {
                    Some(n) => Some(self.template(scope, n, known, "an attribute name")?),
                    None => None,
                };
                let as_node = required(self, "as")?;
                let var = self.text(scope, &as_node, "a variable name")?;
                if let Err(e) = check_name(&var) {
                    self.error(&scope.file, &as_node, e, None);
                    return None;
                }
                if var.starts_with("env.") || self.opts.provided_vars.contains(&var) {
                    self.error(
                        &scope.file,
                        &as_node,
                        format!("`{var}` is set by the runner and cannot be remembered into"),
                        None,
                    );
                    return None;
                }
                known.names.push(var.clone());
                ActionKind::Remember {
                    target: target?,
                    attribute,
                    var,
                }
            }
            "remember" => {
                wrong(self, "a target with `as` (and optionally `attribute`)");
                return None;
            }
            "verify_config" if is_text => ActionKind::VerifyConfig {
                server: Some(self.template(scope, v, known, "a server name")?),
                product_name: None,
            },
            "verify_config" if is_map || v.is_null() => {
                let server = match v.get("server") {
                    Some(n) => Some(self.template(scope, n, known, "a server name")?),
                    None => None,
                };
                let product_name = match v.get("product_name") {
                    Some(n) => Some(self.template(scope, n, known, "a product name")?),
                    None => None,
                };
                ActionKind::VerifyConfig {
                    server,
                    product_name,
                }
            }
            "verify_config" => {
                wrong(
                    self,
                    "`production`, `sandbox` or a mapping with `server` and `product_name`",
                );
                return None;
            }
            "wait_for" if is_text => ActionKind::WaitFor {
                target: WaitTarget::Text(self.template(scope, v, known, "a string")?),
            },
            "wait_for" if is_map => {
                let l = self.locator_in(scope, v, known, !unknown_key)?;
                ActionKind::WaitFor {
                    target: if l.by == By::Text {
                        WaitTarget::Text(l.value)
                    } else {
                        WaitTarget::Element(l)
                    },
                }
            }
            "wait_for" => {
                wrong(self, "a text, or a target such as `{ testid: result }`");
                return None;
            }
            "eventually" if is_map => {
                let t = match v.get("timeout") {
                    Some(n) => self.duration(scope, n, Zero::Rejected),
                    None => Some(EVENTUALLY_TIMEOUT),
                };
                let interval = match v.get("interval") {
                    Some(n) => self.duration(scope, n, Zero::Allowed),
                    None => Some(EVENTUALLY_INTERVAL),
                };
                let actions = match required(self, "do") {
                    Some(d) => self.action_list(scope, &d, known, "`eventually`"),
                    None => Vec::new(),
                };
                ActionKind::Eventually {
                    actions,
                    timeout: t?,
                    interval: interval?,
                }
            }
            "eventually" => {
                wrong(self, "a mapping with `do` (and `timeout`, `interval`)");
                return None;
            }
            _ if is_text => ActionKind::Http(HttpCall {
                method: "GET".into(),
                url: self.template(scope, v, known, "a URL")?,
                headers: Vec::new(),
                json: None,
                expect_status: None,
                expect_json: Vec::new(),
                capture: Vec::new(),
            }),
            _ if is_map => ActionKind::Http(self.http(scope, v, known)?),
            _ => {
                wrong(
                    self,
                    "a URL, or a mapping with `url` (and `method`, `json`, `expect`, …)",
                );
                return None;
            }
        };
        Some(Action {
            kind,
            location: Location {
                file: scope.file.clone(),
                line: key.line,
                column: key.col,
            },
            timeout,
        })
    }

    fn http(&mut self, scope: &Scope, v: &Node, known: &mut Known) -> Option<HttpCall> {
        let mut ok = true;
        let method = match v.get("method") {
            None => "GET".to_string(),
            Some(m) => {
                let text = self.text(scope, m, "an HTTP method").unwrap_or_default();
                let upper = text.to_ascii_uppercase();
                if !METHODS.contains(&upper.as_str()) {
                    let help = did_you_mean(&upper, METHODS)
                        .unwrap_or_else(|| format!("methods are {}", one_of(&METHODS)));
                    self.error(
                        &scope.file,
                        m,
                        format!("unknown HTTP method `{text}`"),
                        Some(help),
                    );
                    ok = false;
                }
                upper
            }
        };
        let url = match v.get("url") {
            Some(u) => self.template(scope, u, known, "a URL"),
            None => {
                self.error(&scope.file, v, "`http` needs `url`".into(), None);
                None
            }
        };
        let mut headers = Vec::new();
        if let Some(h) = v.get("headers") {
            match h.as_map() {
                Some(entries) => {
                    for (k, val) in entries {
                        let name = k.as_str().unwrap_or_default().to_string();
                        match self.template(scope, val, known, "a header value") {
                            Some(t) => headers.push((name, t)),
                            None => ok = false,
                        }
                    }
                }
                None => {
                    self.expected(scope, h, "a mapping of header names to values");
                    ok = false;
                }
            }
        }
        let json = v.get("json").map(|j| {
            let mut value = j.to_json();
            self.json_templates(scope, j, &mut value, known);
            value
        });
        let mut expect_status = None;
        let mut expect_json = Vec::new();
        if let Some(e) = v.get("expect") {
            if e.as_map().is_some() {
                self.check_keys(scope, e, &["status", "json"], "`expect`");
                if let Some(s) = e.get("status") {
                    match self
                        .text(scope, s, "a status code")
                        .and_then(|t| t.parse::<u16>().ok().filter(|c| (100..=599).contains(c)))
                    {
                        Some(code) => expect_status = Some(code),
                        None => {
                            if s.as_str().is_some() {
                                self.error(
                                    &scope.file,
                                    s,
                                    "invalid HTTP status: expected a number from 100 to 599".into(),
                                    None,
                                );
                            }
                            ok = false;
                        }
                    }
                }
                if let Some(j) = e.get("json") {
                    match j.as_map() {
                        Some(entries) => {
                            for (k, m) in entries {
                                let path = k.as_str().unwrap_or_default().to_string();
                                if !self.json_path_ok(scope, k, &path) {
                                    ok = false;
                                    continue;
                                }
                                let matcher = if m.as_map().is_some() {
                                    let unknown =
                                        self.check_keys(scope, m, &MATCHERS, "a JSON expectation");
                                    self.matcher_in(scope, m, known, !unknown)
                                } else {
                                    self.template(scope, m, known, "a value or `{ equals: … }`")
                                        .map(TextMatch::Equals)
                                };
                                match matcher {
                                    Some(mt) => expect_json.push((path, mt)),
                                    None => ok = false,
                                }
                            }
                        }
                        None => {
                            self.expected(scope, j, "a mapping of JSON paths to expected values");
                            ok = false;
                        }
                    }
                }
            } else {
                self.expected(scope, e, "a mapping with `status` and/or `json`");
                ok = false;
            }
        }
        let mut capture = Vec::new();
        if let Some(c) = v.get("capture") {
            match c.as_map() {
                Some(entries) => {
                    for (k, p) in entries {
                        let name = k.as_str().unwrap_or_default().to_string();
                        if let Err(e) = check_name(&name) {
                            self.error(&scope.file, k, e, None);
                            ok = false;
                            continue;
                        }
                        if name.starts_with("env.") || self.opts.provided_vars.contains(&name) {
                            self.error(
                                &scope.file,
                                k,
                                format!(
                                    "`{name}` is set by the runner and cannot be captured into"
                                ),
                                None,
                            );
                            ok = false;
                            continue;
                        }
                        match self.text(scope, p, "a JSON path such as `items.0.id`") {
                            Some(path) if self.json_path_ok(scope, p, &path) => {
                                capture.push((name.clone(), path));
                            }
                            _ => ok = false,
                        }
                        known.names.push(name);
                    }
                }
                None => {
                    self.expected(scope, c, "a mapping of variable names to JSON paths");
                    ok = false;
                }
            }
        }
        let url = url?;
        ok.then_some(HttpCall {
            method,
            url,
            headers,
            json,
            expect_status,
            expect_json,
            capture,
        })
    }

    fn json_path_ok(&mut self, scope: &Scope, node: &Node, path: &str) -> bool {
        if path.is_empty() || path.split('.').any(str::is_empty) {
            self.error(
                &scope.file,
                node,
                format!("invalid JSON path `{path}`"),
                Some("use dotted keys and indexes, like `items.0.id`".into()),
            );
            false
        } else {
            true
        }
    }

    /// Checks `${…}` in the string leaves of a JSON body and substitutes flow params there.
    fn json_templates(
        &mut self,
        scope: &Scope,
        node: &Node,
        value: &mut serde_json::Value,
        known: &Known,
    ) {
        match (&node.kind, value) {
            (NodeKind::Scalar { value: raw, .. }, v) => {
                if let serde_json::Value::String(s) = v {
                    self.check_refs(scope, node, raw, known);
                    let substituted = substitute_params(s, &scope.params);
                    // A plain scalar that was only a param (`qty: ${seats}`) takes the type
                    // of what it became.
                    let plain = matches!(node.kind, NodeKind::Scalar { plain: true, .. });
                    let retyped = Node {
                        kind: NodeKind::Scalar {
                            value: substituted.clone(),
                            plain,
                        },
                        line: node.line,
                        col: node.col,
                    };
                    *v = if substituted != *s {
                        retyped.to_json()
                    } else {
                        serde_json::Value::String(substituted)
                    };
                }
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

/// The `*.yaml` / `*.yml` files under `dir`, sorted, not descending into `flows/`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "flows") {
                walk(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(p);
        }
    }
}
