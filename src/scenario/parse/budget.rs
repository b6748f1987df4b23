//! What one scenario may expand to: how many steps, actions and `use:`s, how much text,
//! and how long one value may become once flow params are filled in. Each overrun is
//! one diagnostic naming the chain of `use:` that led there, and stops the expansion.
//! Counts and reports only: must not read files or build model values.

use super::super::limits::{human_bytes, MAX_EXPANDED_BYTES, MAX_EXPANDED_ITEMS, MAX_VALUE_BYTES};
use super::super::vars::substitute_params;
use super::super::yaml::Node;
use super::{Loader, Scope};

/// `use:` sites shown at each end of a long chain.
const CHAIN_ENDS: usize = 3;

/// The expansion so far of the scenario being read.
#[derive(Debug, Default)]
pub(super) struct Budget {
    items: usize,
    bytes: usize,
    /// An overrun was reported: nothing more is expanded.
    spent: bool,
}

/// "expanded through `use:` at a:3:10 → b:4:14", long chains cut in the middle.
pub(super) fn chain(scope: &Scope) -> Option<String> {
    let sites: Vec<String> = scope.uses.iter().map(ToString::to_string).collect();
    let shown = if sites.len() > 2 * CHAIN_ENDS + 1 {
        let hidden = sites.len() - 2 * CHAIN_ENDS;
        let mut s = sites[..CHAIN_ENDS].to_vec();
        s.push(format!("… {hidden} more …"));
        s.extend_from_slice(&sites[sites.len() - CHAIN_ENDS..]);
        s
    } else {
        sites
    };
    (!shown.is_empty()).then(|| format!("expanded through `use:` at {}", shown.join(" → ")))
}

impl Loader<'_> {
    /// Whether the scenario being read may expand further.
    pub(super) fn expanding(&self) -> bool {
        !self.budget.spent
    }

    /// Stops the expansion of the scenario being read (a limit was reported).
    pub(super) fn stop_expanding(&mut self) {
        self.budget.spent = true;
    }

    /// Counts one step, action or `use:`; `false` (reported once) past
    /// [`MAX_EXPANDED_ITEMS`].
    pub(super) fn spend_item(&mut self, scope: &Scope, node: &Node) -> bool {
        if self.budget.spent {
            return false;
        }
        self.budget.items += 1;
        if self.budget.items <= MAX_EXPANDED_ITEMS {
            return true;
        }
        let msg = format!(
            "this scenario expands to more than {MAX_EXPANDED_ITEMS} steps, actions and `use:`s"
        );
        self.overrun(scope, node, msg);
        false
    }

    /// Counts `n` bytes of expanded text; `false` (reported once) past
    /// [`MAX_EXPANDED_BYTES`].
    pub(super) fn spend_bytes(&mut self, scope: &Scope, node: &Node, n: usize) -> bool {
        if self.budget.spent {
            return false;
        }
        self.budget.bytes = self.budget.bytes.saturating_add(n);
        if self.budget.bytes <= MAX_EXPANDED_BYTES {
            return true;
        }
        let limit = human_bytes(MAX_EXPANDED_BYTES as u64);
        let msg = format!("this scenario expands to more than {limit} of text");
        self.overrun(scope, node, msg);
        false
    }

    fn overrun(&mut self, scope: &Scope, node: &Node, msg: String) {
        self.budget.spent = true;
        let help = chain(scope).or_else(|| Some("split it into several scenarios".into()));
        self.error(&scope.file, node, msg, help);
    }

    /// `raw` (the text of `node`) with flow params filled in, counted as expanded text;
    /// `None` when it would be longer than [`MAX_VALUE_BYTES`] (reported) or the
    /// scenario has expanded too far.
    pub(super) fn substitute(&mut self, scope: &Scope, node: &Node, raw: &str) -> Option<String> {
        match substitute_params(raw, &scope.params) {
            Ok(value) => self.spend_bytes(scope, node, value.len()).then_some(value),
            Err(_) => {
                let limit = human_bytes(MAX_VALUE_BYTES as u64);
                let msg = if raw.len() > MAX_VALUE_BYTES {
                    format!("this value is longer than {limit}")
                } else {
                    format!("this value becomes longer than {limit} when flow params are filled in")
                };
                let help = chain(scope).or_else(|| Some(format!("a value holds at most {limit}")));
                self.error(&scope.file, node, msg, help);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::Location;
    use std::collections::BTreeMap;
    use std::path::PathBuf;

    fn scope(uses: usize) -> Scope {
        Scope {
            file: PathBuf::from("f.yaml"),
            params: BTreeMap::new(),
            stack: Vec::new(),
            uses: (1..=uses)
                .map(|line| Location {
                    file: PathBuf::from("f.yaml"),
                    line,
                    column: 3,
                })
                .collect(),
        }
    }

    #[test]
    fn chains_name_every_use_or_both_ends() {
        assert_eq!(chain(&scope(0)), None);
        assert_eq!(
            chain(&scope(2)).unwrap(),
            "expanded through `use:` at f.yaml:1:3 → f.yaml:2:3"
        );
        assert_eq!(
            chain(&scope(30)).unwrap(),
            "expanded through `use:` at f.yaml:1:3 → f.yaml:2:3 → f.yaml:3:3 → … 24 more … → f.yaml:28:3 → f.yaml:29:3 → f.yaml:30:3"
        );
    }
}
