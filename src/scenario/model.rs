//! The scenario model the runner executes: scenarios, steps, actions and locators.
//! Flows (`use:`) are already expanded here; every step and action keeps the
//! `file:line:col` it came from (inside a flow file, the flow's own location).
//! Pure data: must not import the browser, the runner or any I/O.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where something stands in a scenario or flow file. Line and column are 1-based.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Location {
    /// The path as the user named it (or as resolved from a `use:`), for display.
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A string that may hold `${name}` references, rendered against [`super::Vars`] at run time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub raw: String,
    pub location: Location,
}

/// One scenario file, flows expanded.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    /// One of the evidence slot ids in [`super::SLOT_IDS`], when the scenario covers one.
    pub slot: Option<String>,
    pub file: PathBuf,
    pub location: Location,
    /// Scenario-level variables, in file order; later ones may refer to earlier ones.
    pub vars: Vec<(String, Template)>,
    /// Names whose values are secrets: redacted in every log, report and error.
    pub secret_vars: Vec<String>,
    /// Targets this scenario can run on (`mock`, `sandbox`, `production`); empty means the mock
    /// and the sandbox — production only ever runs a scenario that names it.
    pub targets: Vec<String>,
    /// The app may reject Polar's webhooks in this scenario (a test of its signature check,
    /// say): a rejected delivery is still reported, but does not fail the step.
    pub allow_rejected_webhooks: bool,
    /// Steps that reach the starting state when the scenario runs on its own; skipped when
    /// it directly follows the previous slot's scenario in one journey.
    pub given: Vec<Step>,
    pub steps: Vec<Step>,
}

impl Scenario {
    /// Whether the scenario can run on `target` (`mock`, `sandbox`, `production`). Production
    /// is read-only and real customers' data: only a scenario that names it runs there.
    pub fn runs_on(&self, target: &str) -> bool {
        let named = self.targets.iter().any(|t| t == target);
        named || (self.targets.is_empty() && target != PolarTarget::Production.as_str())
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    pub name: String,
    pub location: Location,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct Action {
    pub kind: ActionKind,
    pub location: Location,
    /// Overrides the run's default wait timeout for this action (`timeout: 10s`).
    pub timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub enum ActionKind {
    /// Absolute URL, or a path relative to the app URL.
    Open {
        url: Template,
    },
    Click {
        locator: Locator,
    },
    /// Sets a form field to a value.
    Fill {
        locator: Locator,
        value: Template,
    },
    /// Types `text` into a form field key by key, for fields that need real keystrokes
    /// (card inputs that format as you type, widgets that listen for key events).
    Type {
        locator: Locator,
        text: Template,
    },
    /// Choose an `<option>` of a `<select>` by its visible text or its value.
    Select {
        locator: Locator,
        option: Template,
    },
    /// A key name (`Enter`, `Tab`, `Escape`, `ArrowDown`, …) or text, sent to the
    /// located element or, without a locator, to the focused element.
    Press {
        key: Template,
        locator: Option<Locator>,
    },
    /// Text of the located element (or of the whole page without a locator) must match.
    ExpectText {
        locator: Option<Locator>,
        matcher: TextMatch,
    },
    ExpectUrl {
        matcher: TextMatch,
    },
    ExpectVisible {
        locator: Locator,
    },
    ExpectHidden {
        locator: Locator,
    },
    /// Enter the iframe found by `frame`, run `actions`, leave it again.
    WithinFrame {
        frame: Locator,
        actions: Vec<Action>,
    },
    /// An extra named screenshot, besides the one every step gets.
    Screenshot {
        name: Template,
    },
    WaitFor {
        what: WaitFor,
    },
    /// Retry `actions` (expectations, and actions such as a Refresh click) until all pass
    /// in one round, or `timeout` runs out; pauses `interval` between rounds.
    Eventually {
        actions: Vec<Action>,
        timeout: Duration,
        interval: Duration,
    },
    Http(HttpCall),
    /// Reads the visible text (or an attribute) of the located element into the variable
    /// `var`, for later actions:
    /// `remember: { testid: subscription, attribute: data-subscription-id, as: sub }`.
    Remember {
        locator: Locator,
        attribute: Option<Template>,
        var: String,
    },
    /// Runs the Polar configuration verifier against the target's Polar (product lookup,
    /// name, public visibility, monthly interval, seat-based price) and shows its report
    /// in the browser, so the step's screenshot and clip carry it.
    VerifyConfig {
        /// `production` or `sandbox`, as the verifier reports it; the target's by default.
        server: Option<Template>,
        /// When given, the product must have exactly this name.
        product_name: Option<Template>,
    },
}

/// What `wait_for` waits for: an element to be visible, or a text to appear on the page.
#[derive(Debug, Clone)]
pub enum WaitFor {
    Element(Locator),
    Text(Template),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Css,
    Xpath,
    /// Visible text of an element (exact after whitespace folding, else contained).
    Text,
    /// A form control by its `<label>`, `aria-label` or `aria-labelledby`.
    Label,
    /// `[data-testid="…"]`.
    TestId,
}

#[derive(Debug, Clone)]
pub struct Locator {
    pub by: By,
    pub value: Template,
}

#[derive(Debug, Clone)]
pub enum TextMatch {
    Equals(Template),
    Contains(Template),
    /// A regular expression (checked at load time when it has no `${…}`).
    Matches(Template),
}

/// `http:` — call a URL, assert the status and JSON fields, capture values into vars.
#[derive(Debug, Clone)]
pub struct HttpCall {
    pub method: HttpMethod,
    pub url: Template,
    pub headers: Vec<(String, Template)>,
    /// JSON body; string leaves may hold `${…}` (see [`super::Vars::render_json`]).
    pub json: Option<serde_json::Value>,
    pub expect_status: Option<u16>,
    /// `(path, matcher)`: dotted path into the JSON response (`items.0.id`).
    pub expect_json: Vec<(String, TextMatch)>,
    /// `(var name, dotted path)`: values stored into the run's vars for later actions.
    pub capture: Vec<(String, String)>,
}

/// The methods an `http:` action may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl HttpMethod {
    pub const ALL: [HttpMethod; 5] = [
        HttpMethod::Get,
        HttpMethod::Post,
        HttpMethod::Put,
        HttpMethod::Patch,
        HttpMethod::Delete,
    ];

    /// As written on the wire: `GET`, `POST`, …
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }

    /// `get`, `Post`, `PATCH` … (any case); `None` for another word.
    pub fn parse(text: &str) -> Option<HttpMethod> {
        HttpMethod::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything `scenario::load` returns on success.
#[derive(Debug, Clone, Default)]
pub struct LoadedScenarios {
    pub scenarios: Vec<Scenario>,
    /// Source text of every file read (scenarios and flows), for showing source lines.
    pub sources: std::collections::BTreeMap<PathBuf, Arc<str>>,
}

impl LoadedScenarios {
    /// The source line a location points at, without its line break.
    pub fn source_line(&self, at: &Location) -> Option<&str> {
        let text = self.sources.get(&at.file)?;
        text.lines().nth(at.line.checked_sub(1)?)
    }
}

/// Where Polar is for a run: the local mock, Polar's sandbox or production. A scenario's `targets:`
/// name these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PolarTarget {
    Mock,
    Sandbox,
    /// Polar's production API, read-only: the production smoke.
    Production,
}

impl PolarTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            PolarTarget::Mock => "mock",
            PolarTarget::Sandbox => "sandbox",
            PolarTarget::Production => "production",
        }
    }
}

impl fmt::Display for PolarTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
