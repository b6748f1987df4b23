//! Scenario files: the YAML model, parsing with spans, validation, diagnostics, `${vars}`
//! and reusable flows. Owns the YAML parser. Must not import the browser, the runner,
//! capture or evidence: it reads files and returns data or diagnostics.

pub mod model;

mod actions;
mod check;
mod diag;
pub mod limits;
mod parse;
mod schema;
mod vars;
pub(crate) mod yaml;

pub use model::*;
pub(crate) use parse::fields::did_you_mean;
pub use vars::{is_secret_env_name, Vars};

use std::path::PathBuf;

/// The six lifecycle evidence slots, in journey order.
pub const SLOT_IDS: [&str; 6] = [
    "new-user-to-checkout",
    "checkout-return-to-active",
    "continue-using",
    "portal-cancellation",
    "payment-recovery",
    "production-smoke",
];

/// Where a scenario can run (`targets:`); absent means the mock and the sandbox (production
/// runs only the scenarios that name it).
pub const TARGETS: [&str; 3] = ["mock", "sandbox", "production"];

/// Variable names the runner sets before a scenario starts; `check` and `run` pass them
/// as [`LoadOptions::provided_vars`].
pub const PROVIDED_VARS: &[&str] = &[
    "run.id",
    "run.email",
    "run.started_at",
    "app.url",
    "polar.api_url",
    "polar.control_url",
    "polar.checkout_base",
    "polar.organization_slug",
    "polar.organization_id",
    "polar.product_id",
    "polar.webhook_secret",
    "polar.server",
    "polar.token",
];

impl LoadOptions {
    /// Options with [`PROVIDED_VARS`] and the given `--var` pairs; the scenario root is
    /// the common folder of the paths loaded.
    pub fn with_cli_vars(cli_vars: Vec<(String, String)>) -> Self {
        Self {
            cli_vars,
            provided_vars: PROVIDED_VARS.iter().map(|s| s.to_string()).collect(),
            root: None,
        }
    }
}

/// What `load` needs to know besides the files.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var k=v` pairs from the command line (their names count as defined).
    pub cli_vars: Vec<(String, String)>,
    /// Names the runner sets before a scenario starts (`run.id`, `run.email`, `app.url`,
    /// `polar.control_url`, …): a `${name}` outside these, the scenario's vars, flow
    /// params, `--var`s, `env.*` and earlier `http` captures is a diagnostic.
    pub provided_vars: Vec<String>,
    /// The scenario folder: every scenario and flow file read must be under it (after
    /// symlinks are resolved). `None` means the common folder of the paths given to
    /// [`load`] (a file's folder, or the directory itself).
    pub root: Option<PathBuf>,
}

/// One problem found in scenario input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
    /// "did you mean `click`?" and similar hints.
    pub help: Option<String>,
}

/// Every problem found in one `load`, sorted by file, line and column.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
    pub sources: std::collections::BTreeMap<PathBuf, std::sync::Arc<str>>,
}

/// Loads scenario files (paths may be files or directories; a directory yields its `*.yaml`
/// and `*.yml` files, sorted, not descending into `flows/`), expands `use:` flows, and
/// validates everything. Returns every diagnostic at once, or the model.
///
/// Only regular `.yaml`/`.yml` files under the scenario root ([`LoadOptions::root`]) of at
/// most [`limits::MAX_FILE_BYTES`] are read; anything else is a diagnostic that never shows
/// the file's content. Expansion is bounded by the other [`limits`].
pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> Result<LoadedScenarios, Diagnostics> {
    parse::load(paths, opts)
}

/// The JSON Schema (draft 2020-12) of the scenario format, for editors.
pub fn json_schema() -> serde_json::Value {
    schema::json_schema()
}

/// A scenario or flow file's text as the JSON value [`json_schema`] describes (unquoted
/// numbers, booleans and `null` typed, as editors read YAML); `None` when the text is not
/// one YAML document this parser accepts (syntax errors, anchors, duplicate keys…).
pub fn yaml_to_json(source: &str) -> Option<serde_json::Value> {
    let mut problems = Vec::new();
    let tree = yaml::parse(source, &mut problems)?;
    problems.is_empty().then(|| tree.to_json())
}

#[cfg(test)]
mod tests;
