//! The project file, `walkthrough.yaml`: where a product's scenarios are, how to start or
//! reach its app against the mock, its Polar seed, its sandbox app URL and defaults for
//! `run`'s options. Found in the current folder or the nearest parent (or named with
//! `--config`), read with the scenario files' YAML reader, and checked with the same
//! `file:line:col` diagnostics, every problem at once. Relative paths are resolved against
//! the file's folder. Every key is optional.
//! Imports the scenario module's YAML reader and diagnostics; must not start anything.

pub mod run_email;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::duration::Zero;
use crate::scenario::yaml::{self, Node};
use crate::scenario::{did_you_mean, Diagnostic, Diagnostics, Location};
use crate::viewport::Viewport;

pub use schema::json_schema;

impl Project {
    /// The folder a run from this project confines scenarios and flows to: the deepest one
    /// holding the project file and every scenario path it lists.
    pub fn scenario_root(&self) -> PathBuf {
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let mut root = canonical(&self.dir);
        for path in &self.scenarios {
            let path = canonical(path);
            while !path.starts_with(&root) {
                match root.parent() {
                    Some(parent) => root = parent.to_path_buf(),
                    None => break,
                }
            }
        }
        root
    }
}

/// The file name looked for.
pub const FILE_NAME: &str = "walkthrough.yaml";
/// A project file larger than this is not read.
const MAX_BYTES: u64 = 256 * 1024;

/// Names `app.command`, `app.url` and `app.env` may use: the port the run picks, and what
/// the run knows of Polar once the mock is up and the app's webhook endpoint registered.
pub const APP_VARS: [&str; 7] = [
    "app.port",
    "polar.api_url",
    "polar.token",
    "polar.product_id",
    "polar.organization_id",
    "polar.webhook_secret",
    "polar.control_url",
];

/// A checked project file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// The file itself.
    pub file: PathBuf,
    /// Its folder: relative paths start here, and it is the scenarios' root.
    pub dir: PathBuf,
    /// Scenario files or folders; empty when the file does not say.
    pub scenarios: Vec<PathBuf>,
    pub app: Option<AppSpec>,
    /// `polar.seed`: the organization and products, in Polar's shapes.
    pub polar_seed: Option<PathBuf>,
    /// `sandbox.app_url`: the deployed app `--target sandbox` tests.
    pub sandbox_app_url: Option<String>,
    /// `production.app_url`: the live app `--target production` smoke-tests, read-only.
    pub production_app_url: Option<String>,
    pub run: RunDefaults,
}

/// `app:`: the product under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppSpec {
    /// A shell command the run starts (in `cwd`, with `env`); `None` for an app that is
    /// already running at `url`.
    pub command: Option<String>,
    pub cwd: PathBuf,
    /// The app's base URL; may use `${app.port}`.
    pub url: String,
    /// Polled until it answers 2xx: a path on `url`, or a URL. `None`: `url` itself.
    pub ready: Option<String>,
    pub ready_timeout: Duration,
    /// Registered on the mock as the app's webhook endpoint (`url` + this path).
    pub webhook_path: Option<String>,
    /// The event types that endpoint subscribes to; `None`: every type Polar has
    /// ([`crate::polar::webhook::EVENT_TYPES`]).
    pub webhook_events: Option<Vec<String>>,
    /// Polar's environments whose own hostnames the run answers for the app (`sandbox`,
    /// `production`), so an app that takes no base URL reaches the mock; empty: none.
    pub intercept_polar: Vec<String>,
    /// The app's environment on top of the run's own; values may use [`APP_VARS`].
    pub env: Vec<(String, String)>,
    /// Where the app tells a signed-in user's entitlement (`GET`, read with the browser's
    /// cookies), shown before and after every step.
    pub state: Option<String>,
    /// Where the `app:` mapping is written, for messages.
    pub location: Location,
}

/// `run:`: defaults for `walkthrough run`'s options (flags override them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunDefaults {
    pub viewport: Option<Viewport>,
    /// `on`, `off` or `retain-on-failure`.
    pub video: Option<String>,
    pub timeout: Option<Duration>,
    /// `chromium` or `firefox`.
    pub browser: Option<String>,
    /// The `${run.email}` template (`{run}` is the run id); see [`run_email`].
    pub email: Option<String>,
    /// How many times a failed scenario runs again (`--retries`), at most [`MAX_RETRIES`].
    pub retries: Option<u32>,
    /// `history`: the run history file (`--history`), relative to the project file.
    pub history: Option<PathBuf>,
}

/// The most retries a run takes (`--retries`, `run.retries`): a scenario that needs more
/// is broken, not flaky.
pub const MAX_RETRIES: u32 = 10;

/// The default time an app gets to answer `ready`.
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

const TOP_KEYS: [&str; 6] = ["scenarios", "app", "polar", "sandbox", "production", "run"];
const APP_KEYS: [&str; 10] = [
    "command",
    "cwd",
    "url",
    "ready",
    "ready_timeout",
    "webhook_path",
    "webhook_events",
    "intercept_polar",
    "env",
    "state",
];
const RUN_KEYS: [&str; 7] = [
    "viewport", "video", "timeout", "browser", "email", "retries", "history",
];
const VIDEO_MODES: [&str; 3] = ["on", "off", "retain-on-failure"];
const BROWSERS: [&str; 2] = ["chromium", "firefox"];

/// The project file for `start`: `start/walkthrough.yaml`, else the nearest parent's.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = start.canonicalize().ok()?;
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|file| file.is_file())
}

/// Reads and checks `file`; every problem at once.
pub fn load(file: &Path) -> Result<Project, Diagnostics> {
    let mut check = Checker::new(file);
    let root = check.read();
    if !check.diags.is_empty() {
        return Err(check.finish());
    }
    // An empty file is a project with every default.
    let empty = Node {
        kind: yaml::NodeKind::Map(Vec::new()),
        line: 1,
        col: 1,
    };
    let project = check.project(root.as_ref().unwrap_or(&empty));
    if check.diags.is_empty() {
        Ok(project)
    } else {
        Err(check.finish())
    }
}

/// Collects the problems of one file.
struct Checker {
    file: PathBuf,
    dir: PathBuf,
    source: Arc<str>,
    diags: Vec<Diagnostic>,
}

impl Checker {
    fn new(file: &Path) -> Checker {
        let dir = file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf();
        Checker {
            file: file.to_path_buf(),
            dir,
            source: Arc::from(""),
            diags: Vec::new(),
        }
    }

    fn at(&self, node: &Node) -> Location {
        Location {
            file: self.file.clone(),
            line: node.line,
            column: node.col,
        }
    }

    fn error(&mut self, node: &Node, message: String, help: Option<String>) {
        self.diags.push(Diagnostic {
            location: self.at(node),
            message,
            help,
        });
    }

    fn whole_file(&mut self, message: String) {
        self.diags.push(Diagnostic {
            location: Location {
                file: self.file.clone(),
                line: 0,
                column: 0,
            },
            message,
            help: None,
        });
    }

    fn finish(self) -> Diagnostics {
        let mut items = self.diags;
        items.sort_by(|a, b| a.location.cmp(&b.location));
        let mut sources = std::collections::BTreeMap::new();
        sources.insert(self.file, self.source);
        Diagnostics { items, sources }
    }

    /// The file's YAML tree; `None` when there is nothing to check.
    fn read(&mut self) -> Option<Node> {
        match std::fs::metadata(&self.file) {
            Ok(m) if !m.is_file() => {
                self.whole_file("the project file is not a regular file".into());
                return None;
            }
            Ok(m) if m.len() > MAX_BYTES => {
                self.whole_file(format!(
                    "the project file is {} bytes; at most {MAX_BYTES} are read",
                    m.len()
                ));
                return None;
            }
            Ok(_) => {}
            Err(e) => {
                self.whole_file(format!("cannot read the project file: {e}"));
                return None;
            }
        }
        let text = match std::fs::read_to_string(&self.file) {
            Ok(text) => text,
            Err(e) => {
                self.whole_file(format!("cannot read the project file: {e}"));
                return None;
            }
        };
        self.source = Arc::from(text.as_str());
        let mut problems = Vec::new();
        let root = yaml::parse(&text, &mut problems);
        for p in problems {
            self.diags.push(Diagnostic {
                location: Location {
                    file: self.file.clone(),
                    line: p.line,
                    column: p.col,
                },
                message: p.message,
                help: p.help,
            });
        }
        root
    }

    /// Reports keys of `map` that are not in `allowed`, with a suggestion.
    fn keys(&mut self, map: &Node, allowed: &[&str], what: &str) {
        for (key, _) in map.as_map().unwrap_or_default() {
            let name = key.as_str().unwrap_or_default();
            if !allowed.contains(&name) {
                let help = did_you_mean(name, allowed.iter().copied())
                    .or_else(|| Some(format!("{what} keys are {}", allowed.join(", "))));
                self.error(key, format!("unknown key `{name}` in {what}"), help);
            }
        }
    }

    /// The mapping at `node`, or a problem.
    fn mapping<'n>(&mut self, node: &'n Node, what: &str) -> Option<&'n Node> {
        if node.as_map().is_some() {
            Some(node)
        } else if node.is_null() {
            None
        } else {
            let found = node.describe();
            self.error(
                node,
                format!("{what} expects a mapping, found {found}"),
                None,
            );
            None
        }
    }

    fn text(&mut self, node: &Node, what: &str) -> Option<String> {
        match node.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                let found = node.describe();
                self.error(
                    node,
                    format!("{what} expects a string, found {found}"),
                    None,
                );
                None
            }
        }
    }

    fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = self.text(node, what)?;
        match crate::duration::parse(&text, Zero::Rejected) {
            Ok(d) => Some(d),
            Err(e) => {
                let help = Some("durations look like `500ms`, `10s` or `2m`".to_string());
                self.error(node, e.to_string(), help);
                None
            }
        }
    }

    fn one_of(&mut self, node: &Node, what: &str, allowed: &[&str]) -> Option<String> {
        let text = self.text(node, what)?;
        if allowed.contains(&text.as_str()) {
            return Some(text);
        }
        let help = did_you_mean(&text, allowed.iter().copied())
            .or_else(|| Some(format!("use {}", allowed.join(", "))));
        self.error(node, format!("unknown {what} `{text}`"), help);
        None
    }

    /// A path relative to the project file's folder.
    fn path(&mut self, node: &Node, what: &str) -> Option<PathBuf> {
        let text = self.text(node, what)?;
        Some(self.dir.join(text))
    }

    /// `${name}` references in `text` must be among [`APP_VARS`] or `env.*`.
    fn refs(&mut self, node: &Node, text: &str) {
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                let help = Some("close it with `}`".to_string());
                self.error(node, "unclosed `${`".into(), help);
                return;
            };
            let name = &after[..end];
            if !APP_VARS.contains(&name) && !name.starts_with("env.") {
                let help = did_you_mean(name, APP_VARS)
                    .or_else(|| Some(format!("known here: {}", APP_VARS.join(", "))));
                self.error(node, format!("unknown variable `{name}`"), help);
            }
            rest = &after[end + 1..];
        }
    }

    fn project(&mut self, root: &Node) -> Project {
        let mut project = Project {
            file: self.file.clone(),
            dir: self.dir.clone(),
            scenarios: Vec::new(),
            app: None,
            polar_seed: None,
            sandbox_app_url: None,
            production_app_url: None,
            run: RunDefaults::default(),
        };
        let Some(root) = self.mapping(root, "the project file") else {
            return project;
        };
        self.keys(root, &TOP_KEYS, "the project file");
        if let Some(node) = root.get("scenarios") {
            project.scenarios = self.scenarios(node);
        }
        if let Some(node) = root.get("app") {
            project.app = self.app(node);
        }
        if let Some(polar) = root.get("polar").and_then(|n| self.mapping(n, "`polar`")) {
            self.keys(polar, &["seed"], "`polar`");
            project.polar_seed = polar.get("seed").and_then(|n| self.path(n, "`seed`"));
        }
        if let Some(sandbox) = root
            .get("sandbox")
            .and_then(|n| self.mapping(n, "`sandbox`"))
        {
            self.keys(sandbox, &["app_url"], "`sandbox`");
            project.sandbox_app_url = sandbox
                .get("app_url")
                .and_then(|n| self.url(n, "`app_url`"));
        }
        if let Some(production) = root
            .get("production")
            .and_then(|n| self.mapping(n, "`production`"))
        {
            self.keys(production, &["app_url"], "`production`");
            project.production_app_url = production
                .get("app_url")
                .and_then(|n| self.url(n, "`app_url`"));
        }
        if let Some(run) = root.get("run").and_then(|n| self.mapping(n, "`run`")) {
            project.run = self.run(run);
        }
        project
    }

    fn scenarios(&mut self, node: &Node) -> Vec<PathBuf> {
        match (node.as_seq(), node.as_str()) {
            (Some(items), _) => items
                .iter()
                .filter_map(|item| self.path(item, "a scenario path"))
                .collect(),
            (None, Some(_)) => self.path(node, "`scenarios`").into_iter().collect(),
            _ => {
                let found = node.describe();
                let message = format!("`scenarios` expects a list of paths, found {found}");
                self.error(node, message, Some("for example `[scenarios]`".into()));
                Vec::new()
            }
        }
    }

    /// `intercept_polar`: `sandbox`, `production` or a list of them. The run must start the
    /// app (`command`) to hand it the proxy.
    fn intercept_polar(&mut self, node: &Node, has_command: bool) -> Vec<String> {
        const ENVIRONMENTS: [&str; 2] = ["sandbox", "production"];
        let items: Vec<&Node> = match (node.as_seq(), node.as_str()) {
            (Some(items), _) => items.iter().collect(),
            (None, Some(_)) => vec![node],
            _ => {
                let found = node.describe();
                let message = format!("`intercept_polar` expects `sandbox`, `production` or a list of them, found {found}");
                self.error(
                    node,
                    message,
                    Some("for example `intercept_polar: sandbox`".into()),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            let Some(name) = self.text(item, "a Polar environment") else {
                continue;
            };
            if ENVIRONMENTS.contains(&name.as_str()) {
                out.push(name);
            } else {
                let help = did_you_mean(&name, ENVIRONMENTS)
                    .unwrap_or_else(|| "write `sandbox` or `production`".into());
                self.error(
                    item,
                    format!("`{name}` is not one of Polar's environments"),
                    Some(help),
                );
            }
        }
        if !out.is_empty() && !has_command {
            let message =
                "`intercept_polar` needs `command`: the run hands the proxy to the app it starts"
                    .to_string();
            self.error(
                node,
                message,
                Some(
                    "add `command:`, or drop `intercept_polar` for an app you start yourself"
                        .into(),
                ),
            );
        }
        out
    }

    /// `webhook_events`: a list of Polar's event types.
    fn webhook_events(&mut self, node: &Node) -> Vec<String> {
        use crate::polar::webhook::EVENT_TYPES;
        let Some(items) = node.as_seq() else {
            let found = node.describe();
            let message = format!("`webhook_events` expects a list of event types, found {found}");
            self.error(
                node,
                message,
                Some("for example `[checkout.updated, order.paid]`".into()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in items {
            let Some(kind) = self.text(item, "an event type") else {
                continue;
            };
            if EVENT_TYPES.contains(&kind.as_str()) {
                out.push(kind);
                continue;
            }
            let list = "Polar's event types are listed in docs/your-app.md";
            let help = match did_you_mean(&kind, EVENT_TYPES.iter().copied()) {
                Some(near) => format!("{near} {list}"),
                None => list.to_string(),
            };
            self.error(
                item,
                format!("`{kind}` is not one of Polar's webhook event types"),
                Some(help),
            );
        }
        out
    }

    fn url(&mut self, node: &Node, what: &str) -> Option<String> {
        let text = self.text(node, what)?;
        // `${…}` is filled in when the app starts; a port-sized stand-in checks the rest.
        let probe = regex::Regex::new(r"\$\{[^}]*\}")
            .map(|re| re.replace_all(&text, "1").into_owned())
            .unwrap_or_else(|_| text.clone());
        if url::Url::parse(&probe).is_err() {
            let help = Some("for example `http://127.0.0.1:${app.port}`".to_string());
            self.error(node, format!("{what} `{text}` is not a URL"), help);
            return None;
        }
        Some(text)
    }

    fn app(&mut self, node: &Node) -> Option<AppSpec> {
        let map = self.mapping(node, "`app`")?;
        self.keys(map, &APP_KEYS, "`app`");
        let command = map.get("command").and_then(|n| self.text(n, "`command`"));
        if let (Some(c), Some(n)) = (&command, map.get("command")) {
            self.refs(n, c);
        }
        let url = match map.get("url") {
            Some(n) => {
                let url = self.url(n, "`url`");
                if let Some(u) = &url {
                    self.refs(n, u);
                }
                url
            }
            None if command.is_some() => Some("http://127.0.0.1:${app.port}".to_string()),
            None => {
                let help = Some("add `url: http://…` (or a `command` that starts the app)".into());
                self.error(map, "`app` needs a `url` or a `command`".into(), help);
                None
            }
        };
        let cwd = match map.get("cwd") {
            Some(n) => self.path(n, "`cwd`").unwrap_or_else(|| self.dir.clone()),
            None => self.dir.clone(),
        };
        let ready = map.get("ready").and_then(|n| self.text(n, "`ready`"));
        let ready_timeout = map
            .get("ready_timeout")
            .and_then(|n| self.duration(n, "`ready_timeout`"))
            .unwrap_or(READY_TIMEOUT);
        let webhook_path = map
            .get("webhook_path")
            .and_then(|n| self.text(n, "`webhook_path`"));
        let webhook_events = map.get("webhook_events").map(|n| self.webhook_events(n));
        let intercept_polar = map
            .get("intercept_polar")
            .map(|n| self.intercept_polar(n, command.is_some()))
            .unwrap_or_default();
        let state = map.get("state").and_then(|n| self.text(n, "`state`"));
        for (path, n) in [
            (&webhook_path, map.get("webhook_path")),
            (&state, map.get("state")),
        ] {
            if let (Some(p), Some(n)) = (path, n) {
                if !p.starts_with('/') {
                    let help = Some(format!("write `/{}`", p.trim_start_matches('/')));
                    self.error(n, format!("`{p}` is not a path on the app"), help);
                }
            }
        }
        let env = map.get("env").map(|n| self.env(n)).unwrap_or_default();
        Some(AppSpec {
            command,
            cwd,
            url: url?,
            ready,
            ready_timeout,
            webhook_path,
            webhook_events,
            intercept_polar,
            env,
            state,
            location: self.at(map),
        })
    }

    fn env(&mut self, node: &Node) -> Vec<(String, String)> {
        let Some(map) = self.mapping(node, "`env`") else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in map.as_map().unwrap_or_default() {
            let Some(name) = key.as_str() else { continue };
            let valid = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                let help = Some("letters, digits and `_`, not starting with a digit".into());
                self.error(
                    key,
                    format!("`{name}` is not an environment variable name"),
                    help,
                );
                continue;
            }
            let Some(text) = value.as_str().map(str::to_string).or_else(|| {
                // Numbers and booleans are fine as values: `PORT: 3000`.
                value.to_json().as_number().map(|n| n.to_string())
            }) else {
                let found = value.describe();
                self.error(
                    value,
                    format!("`{name}` expects a string, found {found}"),
                    None,
                );
                continue;
            };
            self.refs(value, &text);
            out.push((name.to_string(), text));
        }
        out
    }

    fn run(&mut self, map: &Node) -> RunDefaults {
        self.keys(map, &RUN_KEYS, "`run`");
        let viewport = map.get("viewport").and_then(|n| {
            let text = self.text(n, "`viewport`")?;
            match text.parse::<Viewport>() {
                Ok(v) => Some(v),
                Err(e) => {
                    self.error(n, e.to_string(), None);
                    None
                }
            }
        });
        RunDefaults {
            viewport,
            video: map
                .get("video")
                .and_then(|n| self.one_of(n, "video mode", &VIDEO_MODES)),
            timeout: map
                .get("timeout")
                .and_then(|n| self.duration(n, "`timeout`")),
            browser: map
                .get("browser")
                .and_then(|n| self.one_of(n, "browser", &BROWSERS)),
            email: map.get("email").and_then(|n| self.run_email(n)),
            retries: map.get("retries").and_then(|n| self.retries(n)),
            history: map.get("history").and_then(|n| self.path(n, "`history`")),
        }
    }

    /// `retries`: a whole number from 0 to [`MAX_RETRIES`].
    fn retries(&mut self, node: &Node) -> Option<u32> {
        let text = node.as_str();
        match text.map(str::parse::<u32>) {
            Some(Ok(n)) if n <= MAX_RETRIES => Some(n),
            _ => {
                let found = match text {
                    Some(t) => format!("`{t}`"),
                    None => node.describe().to_string(),
                };
                self.error(
                    node,
                    format!(
                        "`retries` expects a whole number from 0 to {MAX_RETRIES}, found {found}"
                    ),
                    Some("e.g. `retries: 2`: a failed scenario runs up to twice more".into()),
                );
                None
            }
        }
    }

    fn run_email(&mut self, node: &Node) -> Option<String> {
        let text = self.text(node, "`email`")?;
        match run_email::check(&text) {
            Ok(()) => Some(text),
            Err((message, help)) => {
                self.error(node, message, Some(help));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests;
