//! From YAML node trees to the expanded model, by concern: `files` (which files, and
//! reading them), `document` (a scenario file's top level), `steps` (steps and `do:`
//! lists), `flows` (`use:` with params), `action` (one action, driven by the table in
//! [`super::actions`]), `fields` (text, templates and their `${…}`, durations, locators,
//! matchers) and `http`. Collects every problem as a [`Diagnostic`] and never stops at
//! the first. Must not import the runner, the browser or anything that runs a scenario.

mod action;
mod budget;
mod document;
pub(crate) mod fields;
mod files;
mod flows;
mod http;
mod steps;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use super::model::{LoadedScenarios, Location};
use super::yaml::Node;
use super::{Diagnostic, Diagnostics, LoadOptions};

pub(crate) use document::SCENARIO_KEYS;

/// Where nodes come from and what flow params apply while reading them.
#[derive(Clone)]
struct Scope {
    file: PathBuf,
    params: BTreeMap<String, String>,
    /// Files being expanded, outermost first, for cycle detection.
    stack: Vec<PathBuf>,
    /// The `use:` that led here, outermost first, for diagnostics about expansion.
    uses: Vec<Location>,
}

impl Scope {
    /// A scenario file's own scope.
    fn top(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            params: BTreeMap::new(),
            stack: vec![files::normalize(file)],
            uses: Vec::new(),
        }
    }

    /// A flow file read on its own (its params and defaults), outside any use.
    fn flow_file(file: &Path) -> Self {
        Self {
            file: file.to_path_buf(),
            params: BTreeMap::new(),
            stack: Vec::new(),
            uses: Vec::new(),
        }
    }

    fn at(&self, node: &Node) -> Location {
        Location {
            file: self.file.clone(),
            line: node.line,
            column: node.col,
        }
    }
}

/// Names a `${…}` may refer to at this point of the scenario, in the order they became
/// known (suggestions prefer the first of equally close names).
struct Known {
    names: Vec<String>,
}

impl Known {
    fn add(&mut self, name: &str) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
    }

    fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// Loads every path; the scenarios, or every diagnostic sorted and deduplicated.
pub(crate) fn load(paths: &[PathBuf], opts: &LoadOptions) -> Result<LoadedScenarios, Diagnostics> {
    match files::Root::new(opts.root.as_deref(), paths) {
        Ok(root) => Loader {
            opts,
            root,
            diags: Vec::new(),
            sources: BTreeMap::new(),
            lines: HashMap::new(),
            flows: HashMap::new(),
            budget: budget::Budget::default(),
        }
        .load(paths),
        Err(e) => {
            let root = opts.root.clone().unwrap_or_default();
            let message = format!("cannot read the scenario folder `{}`: {e}", root.display());
            let location = Location {
                file: root,
                line: 0,
                column: 0,
            };
            Err(Diagnostics {
                items: vec![Diagnostic {
                    location,
                    message,
                    help: None,
                }],
                sources: BTreeMap::new(),
            })
        }
    }
}

struct Loader<'o> {
    opts: &'o LoadOptions,
    root: files::Root,
    diags: Vec<Diagnostic>,
    sources: BTreeMap<PathBuf, Arc<str>>,
    /// Where each line of each file in `sources` starts.
    lines: HashMap<PathBuf, Vec<usize>>,
    /// Flow files read so far (`None`: read, but not a usable flow; reported).
    flows: HashMap<PathBuf, Option<Rc<flows::FlowDef>>>,
    /// What the scenario being read has expanded to so far.
    budget: budget::Budget,
}

impl Loader<'_> {
    fn load(mut self, paths: &[PathBuf]) -> Result<LoadedScenarios, Diagnostics> {
        let files = self.collect(paths);
        let mut scenarios = Vec::new();
        let mut slots: BTreeMap<String, PathBuf> = BTreeMap::new();
        for file in files {
            let Some((scenario, slot_node)) = self.scenario(&file) else {
                continue;
            };
            if let (Some(slot), Some(node)) = (&scenario.slot, slot_node) {
                match slots.get(slot) {
                    Some(first) => {
                        let msg =
                            format!("slot `{slot}` is already covered by `{}`", first.display());
                        let help = Some("each evidence slot has one scenario".into());
                        self.error(&file, &node, msg, help);
                    }
                    None => {
                        slots.insert(slot.clone(), file.clone());
                    }
                }
            }
            scenarios.push(scenario);
        }
        if self.diags.is_empty() {
            return Ok(LoadedScenarios {
                scenarios,
                sources: self.sources,
            });
        }
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

    // ---- diagnostics ----

    fn push(&mut self, location: Location, message: String, help: Option<String>) {
        self.diags.push(Diagnostic {
            location,
            message,
            help,
        });
    }

    fn error(&mut self, file: &Path, node: &Node, message: String, help: Option<String>) {
        let at = Location {
            file: file.to_path_buf(),
            line: node.line,
            column: node.col,
        };
        self.push(at, message, help);
    }

    /// A problem with a whole file (one that could not be read, or is empty).
    fn whole_file(&mut self, file: &Path, message: String, help: Option<String>) {
        let at = Location {
            file: file.to_path_buf(),
            line: 0,
            column: 0,
        };
        self.push(at, message, help);
    }

    fn expected(&mut self, scope: &Scope, node: &Node, what: &str) {
        let msg = format!("expected {what}, found {}", node.describe());
        self.error(&scope.file, node, msg, None);
    }
}
