//! The testbed of a run: where the app under test and Polar come from, started, checked
//! ready and stopped in one place: the embedded demo app on the mock Polar ([`local`]), the
//! fixture pages, a running app at a URL, the project file's app ([`project_app`],
//! [`app_process`]), or a deployed app on Polar's sandbox or production ([`real_polar`]). A [`TestbedPlan`]
//! says which; its [`TestbedPlan::start`] gives a [`RunningTestbed`] that knows the app URL,
//! the scenario variables and secrets it brings, its [`observer`], and how to stop.
//! Wires `polar_mock`, `demo_app` and `polar` together; must not import the runner's
//! internals, evidence writers or the CLI.

pub mod app_process;
pub mod local;
pub mod observer;
pub mod project_app;
pub mod real_polar;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::demo_app::fixture_pages::StaticSite;
use crate::outcome::AppInfo;
use crate::polar::cleanup::Cleanup;
use crate::polar::PolarError;
use crate::runner::Observer;
use crate::scenario::PolarTarget;

pub use local::LocalTestbed;
pub use project_app::ProjectApp;
use project_app::RunningProjectApp;
pub use real_polar::RealPolarTestbed;

/// Where the app under test comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppSource {
    /// The built-in demo app, started on the mock Polar; `enforce` answers 402 to turns
    /// without an entitlement.
    Demo { enforce: bool },
    /// The built-in fixture pages (`fixtures/pages`), no Polar.
    FixturePages,
    /// An app that is already running.
    Url(url::Url),
    /// The project file's app, started (or reached) against the mock.
    Project(Box<ProjectApp>),
}

/// What a run needs started: Polar and the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestbedPlan {
    pub polar: PolarTarget,
    pub app: AppSource,
}

#[derive(Debug, thiserror::Error)]
pub enum TestbedError {
    /// A combination of options that cannot work (a usage error).
    #[error("{0}")]
    Usage(String),
    #[error("{name} is not set\n  fix: {fix}")]
    MissingVariable {
        name: &'static str,
        fix: &'static str,
    },
    #[error("cannot start the mock Polar: {0}")]
    Mock(#[from] crate::polar_mock::MockError),
    #[error("cannot start the demo app against the mock Polar: {0}")]
    DemoApp(#[from] crate::demo_app::DemoAppError),
    #[error("cannot serve the fixture pages from {}: {source}\n  fix: run from the project folder or pass --app URL", dir.display())]
    FixturePages {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build the Polar client: {0}")]
    Client(PolarError),
    #[error("the app did not come up: `{command}`, tried {url}: {why}\n--- last lines of its output ---\n{output}")]
    AppNotReady {
        command: String,
        url: String,
        why: String,
        output: String,
    },
    #[error("nothing answers at {url} ({why})\n  fix: start the app, or check the URL")]
    Unreachable { url: String, why: String },
    #[error("cannot register the app's webhook endpoint on the mock: {0}")]
    WebhookEndpoint(PolarError),
    #[error("cleanup of {email} failed: {source}")]
    Cleanup { email: String, source: PolarError },
}

impl TestbedError {
    /// Usage errors are the user's to fix on the command line (exit 2); the rest are setup
    /// failures (exit 4).
    pub fn is_usage(&self) -> bool {
        matches!(self, TestbedError::Usage(_))
    }
}

/// A scenario variable a testbed provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestbedVar {
    pub name: &'static str,
    pub value: String,
    /// Redacted everywhere (the Polar token).
    pub secret: bool,
}

/// What a started testbed is.
enum Running {
    Local(LocalTestbed),
    Project(Box<RunningProjectApp>),
    Fixtures(StaticSite),
    Url,
    RealPolar(RealPolarTestbed),
}

/// A started testbed: stop it with [`RunningTestbed::stop`] (dropping it stops the in-process
/// servers too, without waiting for in-flight requests).
pub struct RunningTestbed {
    app_url: url::Url,
    running: Running,
}

impl TestbedPlan {
    /// Checks the plan and starts what it needs; an app the run starts writes its output
    /// to `logs/app.log`.
    pub async fn start(&self, logs: &Path) -> Result<RunningTestbed, TestbedError> {
        let (running, app_url) = match (&self.polar, &self.app) {
            (target @ (PolarTarget::Sandbox | PolarTarget::Production), AppSource::Url(url)) => {
                let real = RealPolarTestbed::from_env(*target, |k| std::env::var(k).ok())?;
                app_process::check_reachable(url).await?;
                (Running::RealPolar(real), url.clone())
            }
            (PolarTarget::Sandbox, _) => {
                return Err(TestbedError::Usage(
                    "--target sandbox needs --app URL: the deployed staging app whose webhooks the sandbox reaches (not `fixtures`)".into(),
                ))
            }
            (PolarTarget::Production, _) => {
                return Err(TestbedError::Usage(
                    "--target production needs --app URL (or `production.app_url` in the project file): the live app the production smoke reads".into(),
                ))
            }
            (PolarTarget::Mock, AppSource::Demo { enforce }) => {
                let local = local::start_local(*enforce).await?;
                let url = parse_base(&local.app_url());
                (Running::Local(local), url)
            }
            (PolarTarget::Mock, AppSource::FixturePages) => {
                let dir = fixture_pages();
                let site = StaticSite::start(&dir)
                    .await
                    .map_err(|source| TestbedError::FixturePages { dir, source })?;
                let url = parse_base(site.url());
                (Running::Fixtures(site), url)
            }
            (PolarTarget::Mock, AppSource::Url(url)) => {
                app_process::check_reachable(url).await?;
                (Running::Url, url.clone())
            }
            (PolarTarget::Mock, AppSource::Project(app)) => {
                let running = app.start(logs).await?;
                let url = running.app_url.clone();
                (Running::Project(Box::new(running)), url)
            }
        };
        Ok(RunningTestbed { app_url, running })
    }
}

/// What a project's app on the mock provides to scenarios.
fn project_vars(app: &RunningProjectApp) -> Vec<TestbedVar> {
    let base = app.mock.base_url();
    let plain = [
        ("polar.api_url", base.clone()),
        ("polar.control_url", app.mock.control_url()),
        (
            "polar.checkout_base",
            format!("{}/checkout", app.mock.page_base()),
        ),
        ("polar.organization_slug", app.mock.organization_slug()),
        ("polar.organization_id", app.organization_id.clone()),
        ("polar.product_id", app.mock.product_id()),
    ];
    let mut vars: Vec<TestbedVar> = plain
        .into_iter()
        .map(|(name, value)| TestbedVar {
            name,
            value,
            secret: false,
        })
        .collect();
    vars.push(TestbedVar {
        name: "polar.token",
        value: app.mock.token(),
        secret: true,
    });
    if let Some(secret) = &app.webhook_secret {
        vars.push(TestbedVar {
            name: "polar.webhook_secret",
            value: secret.clone(),
            secret: true,
        });
    }
    vars
}

/// `http://127.0.0.1:PORT` → `http://127.0.0.1:PORT/`; our own servers' URLs always parse.
fn parse_base(url: &str) -> url::Url {
    url::Url::parse(&format!("{}/", url.trim_end_matches('/')))
        .unwrap_or_else(|_| url::Url::parse("http://127.0.0.1/").expect("a valid URL"))
}

/// The built-in fixture pages, next to the working folder or the source tree.
fn fixture_pages() -> PathBuf {
    let local = PathBuf::from("fixtures/pages");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages")
    }
}

impl RunningTestbed {
    /// The app's base URL, with a trailing slash.
    pub fn app_url(&self) -> &url::Url {
        &self.app_url
    }

    /// The sites whose cookies make a visitor: the app's, and the mock's (its hosted
    /// checkout and portal pages, and Polar's page host when the run answers as it) when
    /// the run started one.
    pub fn sites(&self) -> Vec<url::Url> {
        let mock = match &self.running {
            Running::Local(local) => vec![local.mock.base_url()],
            Running::Project(app) => {
                let mut sites = vec![app.mock.base_url()];
                if app.intercept.is_some() {
                    sites.push(app.mock.page_base());
                }
                sites
            }
            _ => Vec::new(),
        };
        std::iter::once(self.app_url.clone())
            .chain(mock.iter().map(|m| parse_base(m)))
            .collect()
    }

    /// How the browser reaches Polar's own names, when the run answers as them
    /// (`app.intercept_polar`).
    pub fn host_route(&self) -> Option<crate::browser::HostRoute> {
        match &self.running {
            Running::Project(app) => app.host_route(),
            _ => None,
        }
    }

    /// The name the report gives this testbed: where Polar is, `mock`, `sandbox`, `production`
    /// or `none`.
    pub fn report_name(&self) -> &'static str {
        self.polar().map_or("none", PolarTarget::as_str)
    }

    /// What the report says of the app: where it came from, its URL, the command the run
    /// started, and where each step's state comes from.
    pub fn app_info(&self) -> AppInfo {
        let url = self.app_url.to_string();
        let (source, command, probe) = match &self.running {
            Running::Local(_) => (
                "demo",
                None,
                Some("GET /api/billing/status (the demo app)".into()),
            ),
            Running::Project(app) => (
                if app.command.is_some() {
                    "command"
                } else {
                    "url"
                },
                app.command.clone(),
                app.state_path
                    .as_ref()
                    .map(|p| format!("GET {p} (app.state)")),
            ),
            Running::Fixtures(_) => ("fixtures", None, None),
            Running::Url | Running::RealPolar(_) => ("url", None, None),
        };
        AppInfo {
            source: source.into(),
            url,
            command,
            state_probe: probe,
        }
    }

    /// The Polar the scenarios run against, for their `targets:`; `None` when the run
    /// knows of no Polar (fixture pages, a bare URL): a scenario that names targets is
    /// then not runnable.
    pub fn polar(&self) -> Option<PolarTarget> {
        match self.running {
            Running::Local(_) | Running::Project(_) => Some(PolarTarget::Mock),
            Running::RealPolar(ref real) => Some(real.target),
            Running::Fixtures(_) | Running::Url => None,
        }
    }

    /// The scenario variables this testbed provides (names from `scenario::PROVIDED_VARS`).
    pub fn vars(&self) -> Vec<TestbedVar> {
        let plain = |(name, value): (&'static str, String)| TestbedVar {
            name,
            value,
            secret: false,
        };
        match &self.running {
            Running::Local(local) => {
                let mut vars: Vec<TestbedVar> = local.vars().into_iter().map(plain).collect();
                vars.push(TestbedVar {
                    name: "polar.token",
                    value: local.mock.token(),
                    secret: true,
                });
                vars
            }
            Running::Project(app) => project_vars(app),
            Running::RealPolar(real) => {
                let mut vars: Vec<TestbedVar> = real.vars().into_iter().map(plain).collect();
                vars.push(TestbedVar {
                    name: "polar.token",
                    value: real.token().to_string(),
                    secret: true,
                });
                vars
            }
            Running::Fixtures(_) | Running::Url => Vec::new(),
        }
    }

    /// Values to redact from every output: tokens and webhook secrets.
    pub fn secrets(&self) -> Vec<String> {
        match &self.running {
            Running::Local(local) => vec![local.mock.token(), local.app.webhook_secret()],
            Running::Project(app) => std::iter::once(app.mock.token())
                .chain(app.webhook_secret.clone())
                .collect(),
            Running::RealPolar(real) => real.secrets().into_iter().map(String::from).collect(),
            Running::Fixtures(_) | Running::Url => Vec::new(),
        }
    }

    /// Watches the app's state and the mock's webhooks around each step, when the run
    /// started them.
    pub fn observer(&self) -> Option<Box<dyn Observer>> {
        match &self.running {
            Running::Local(local) => Some(observer::AppObserver::boxed(
                &self.app_url,
                Some(Arc::clone(&local.mock)),
            )),
            Running::Project(app) => Some(observer::AppObserver::with_state_path(
                &self.app_url,
                app.state_path.as_deref(),
                Some(Arc::clone(&app.mock)),
            )),
            _ => None,
        }
    }

    /// On the sandbox, revokes what the run bought (found by the run's customer email).
    pub async fn cleanup(&self, email: &str) -> Option<Result<Cleanup, TestbedError>> {
        match &self.running {
            Running::RealPolar(real) => Some(real.cleanup(email).await),
            _ => None,
        }
    }

    /// Stops what the testbed started: the app first (in-flight requests finish), then the
    /// mock and its webhook dispatcher.
    pub async fn stop(self) {
        match self.running {
            Running::Local(local) => local.shutdown().await,
            Running::Project(app) => (*app).stop().await,
            Running::Fixtures(site) => drop(site),
            Running::Url | Running::RealPolar(_) => {}
        }
    }
}
