//! Scenario files: the YAML model, parsing with spans, validation, diagnostics, `${vars}`
//! and reusable flows. Owns the YAML parser. Must not import the browser, the runner,
//! capture or evidence: it reads files and returns data or diagnostics.

pub mod model;
mod yaml;

pub use model::*;

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

/// What `load` needs to know besides the files.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--var k=v` pairs from the command line (their names count as defined).
    pub cli_vars: Vec<(String, String)>,
    /// Names the runner sets before a scenario starts (`run.id`, `run.email`, `app.url`,
    /// `polar.control_url`, …): a `${name}` outside these, the scenario's vars, flow
    /// params, `--var`s, `env.*` and earlier `http` captures is a diagnostic.
    pub provided_vars: Vec<String>,
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

impl Diagnostics {
    /// `error: msg`, ` --> file:line:col`, the source line with a caret, `help: …`, per item.
    pub fn render(&self) -> String {
        unimplemented!("scenario::Diagnostics::render")
    }
}

/// Loads scenario files (paths may be files or directories; a directory yields its `*.yaml`
/// and `*.yml` files, sorted, not descending into `flows/`), expands `use:` flows, and
/// validates everything. Returns every diagnostic at once, or the model.
pub fn load(_paths: &[PathBuf], _opts: &LoadOptions) -> Result<LoadedScenarios, Diagnostics> {
    unimplemented!("scenario::load")
}

/// The JSON Schema (draft 2020-12) of the scenario format, for editors.
pub fn json_schema() -> serde_json::Value {
    unimplemented!("scenario::json_schema")
}

/// Variable values for one scenario run: scenario vars, `${env.NAME}`, `--var`, `${run.*}`
/// and values captured by `http` actions. Knows which values are secret.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    _private: (),
}

impl Vars {
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets a plain value (`run.id`, `run.email`, a `--var`, a capture…).
    pub fn set(&mut self, _name: &str, _value: &str) {
        unimplemented!()
    }
    /// Sets a value that must never appear in logs or reports.
    pub fn set_secret(&mut self, _name: &str, _value: &str) {
        unimplemented!()
    }
    pub fn get(&self, _name: &str) -> Option<&str> {
        unimplemented!()
    }
    /// Adds the scenario's own vars (rendered in order) and marks its secret vars.
    pub fn extend_from_scenario(&mut self, _scenario: &Scenario) -> Result<(), String> {
        unimplemented!()
    }
    /// Replaces every `${name}`; `${env.NAME}` reads the environment. Error names the var.
    pub fn render(&self, _template: &Template) -> Result<String, String> {
        unimplemented!()
    }
    /// Renders every string leaf of a JSON value.
    pub fn render_json(
        &self,
        _value: &serde_json::Value,
        _at: &Location,
    ) -> Result<serde_json::Value, String> {
        unimplemented!()
    }
    /// Replaces every secret value in `text` with `[redacted]`.
    pub fn redact(&self, _text: &str) -> String {
        unimplemented!()
    }
}

impl TextMatch {
    /// Ok when `actual` matches; the error says what was expected and what was found.
    pub fn check(&self, _actual: &str, _vars: &Vars) -> Result<(), String> {
        unimplemented!()
    }
}

impl HttpCall {
    /// Checks the status and JSON expectations against a response; on success returns the
    /// captures as `(var name, value)`. The error says which expectation failed and why.
    pub fn evaluate(
        &self,
        _status: u16,
        _body: &serde_json::Value,
        _vars: &Vars,
    ) -> Result<Vec<(String, String)>, String> {
        unimplemented!()
    }
}
