//! Steps (`name` + `do:`) and `do:` lists: each item one action (a one-key mapping
//! whose key the action table knows), or a `use:` whose flow is inlined. Must not
//! parse an action's value itself (that is `action`).

use super::super::actions::{self, ActionName};
use super::super::model::{Action, Step};
use super::super::yaml::Node;
use super::fields::{did_you_mean, one_of};
use super::{Known, Loader, Scope};

/// The keys of a step.
const STEP_KEYS: [&str; 4] = ["name", "do", "use", "with"];

impl Loader<'_> {
    /// A list of steps; a `use:` item becomes the flow's steps.
    pub(super) fn steps(&mut self, scope: &Scope, node: &Node, known: &mut Known) -> Vec<Step> {
        let Some(items) = node.as_seq() else {
            self.expected(scope, node, "a list of steps");
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            if !self.spend_item(scope, item) {
                break;
            }
            if item.get("use").is_some() {
                out.extend(self.flow_steps(scope, item, known));
            } else if item.as_map().is_none() {
                let what = "a step: a mapping with `name` and `do` (or `use`)";
                self.expected(scope, item, what);
            } else {
                out.push(self.step(scope, item, known));
            }
        }
        out
    }

    fn step(&mut self, scope: &Scope, item: &Node, known: &mut Known) -> Step {
        let typo = self.check_keys(scope, item, &STEP_KEYS, "a step");
        if let Some(with) = item.key("with") {
            let msg = "`with` without `use`".into();
            let help = Some("`with:` gives params to a flow named by `use:`".into());
            self.error(&scope.file, with, msg, help);
        }
        let name = match item.get("name") {
            Some(n) => self.text(scope, n, "the step's name").unwrap_or_default(),
            None if typo => String::new(),
            None => {
                let msg = "missing `name`: every step has a name".into();
                self.error(&scope.file, item, msg, None);
                String::new()
            }
        };
        let actions = match item.get("do") {
            Some(d) => self.action_list(scope, d, known, "the step"),
            None if typo => Vec::new(),
            None => {
                let msg = "missing `do`: the list of actions of this step".into();
                self.error(&scope.file, item, msg, None);
                Vec::new()
            }
        };
        Step {
            name,
            location: scope.at(item),
            actions,
        }
    }

    /// A non-empty `do:` list of `whose` (`the step`, `` `eventually` ``…).
    pub(super) fn action_list(
        &mut self,
        scope: &Scope,
        node: &Node,
        known: &mut Known,
        whose: &str,
    ) -> Vec<Action> {
        match node.as_seq() {
            Some([]) => {}
            Some(items) => return self.actions(scope, items, known),
            None if node.is_null() => {}
            None => {
                self.expected(scope, node, "a list of actions");
                return Vec::new();
            }
        }
        let msg = format!("`do` is empty: {whose} needs at least one action");
        self.error(&scope.file, node, msg, None);
        Vec::new()
    }

    fn actions(&mut self, scope: &Scope, items: &[Node], known: &mut Known) -> Vec<Action> {
        let mut out = Vec::new();
        for item in items {
            if !self.spend_item(scope, item) {
                break;
            }
            if item.get("use").is_some() {
                let steps = self.flow_steps(scope, item, known);
                out.extend(steps.into_iter().flat_map(|s| s.actions));
                continue;
            }
            let Some((key, value)) = self.one_key(scope, item) else {
                continue;
            };
            let Some(word) = key.as_str() else { continue };
            let Some(name) = ActionName::from_word(word) else {
                let help = did_you_mean(word, actions::words()).unwrap_or_else(|| {
                    let all: Vec<&str> = actions::words().collect();
                    format!("actions are {}", one_of(&all))
                });
                let msg = format!("unknown action `{word}`");
                self.error(&scope.file, key, msg, Some(help));
                continue;
            };
            if let Some(a) = self.action(scope, name.spec(), key, value, known) {
                out.push(a);
            }
        }
        out
    }

    /// The key and value of a one-key action mapping; reports any other shape, and every
    /// key after the first.
    fn one_key<'n>(&mut self, scope: &Scope, item: &'n Node) -> Option<(&'n Node, &'n Node)> {
        let Some(entries) = item.as_map() else {
            let help = item
                .as_str()
                .filter(|s| ActionName::from_word(s).is_some())
                .map(|s| format!("`{s}` needs a value: `{s}: …`"));
            let msg = format!(
                "expected an action such as `click: …`, found {}",
                item.describe()
            );
            self.error(&scope.file, item, msg, help);
            return None;
        };
        let Some((key, value)) = entries.first() else {
            self.expected(scope, item, "an action such as `click: …`");
            return None;
        };
        let first = key.as_str().unwrap_or_default();
        let options = ActionName::from_word(first).map(|n| n.spec().allowed());
        for (extra, _) in &entries[1..] {
            let name = extra.as_str().unwrap_or_default();
            let is_option = match &options {
                Some(allowed) => allowed.contains(&name),
                None => name == "timeout" || super::fields::locator_words().contains(&name),
            };
            let help = if is_option {
                format!("options go inside the action: `{first}: {{ …, {name}: … }}`")
            } else {
                "start another action with its own `-`".into()
            };
            let msg = format!("an action has one key, found `{first}` and `{name}`");
            self.error(&scope.file, extra, msg, Some(help));
        }
        Some((key, value))
    }
}
