//! `walkthrough run`: its options, turned into a [`RunPlan`] for [`harness::execute`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::browser::BrowserKind;
use crate::capture::video::{VideoMode, VideoPlan, VideoSource};
use crate::harness::{self, BrowserPlan, RunError, RunPlan};
use crate::outcome::RetryPolicy;
use crate::project::Project;
use crate::scenario::PolarTarget;
use crate::testbed::{AppSource, ProjectApp, TestbedPlan};
use crate::viewport::Viewport;

/// `--app fixtures`: serve the built-in fixture pages instead of a real app.
pub const FIXTURES_APP: &str = "fixtures";

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum TargetArg {
    Mock,
    Sandbox,
    Production,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VideoArg {
    On,
    Off,
    RetainOnFailure,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VideoSourceArg {
    Screencast,
    X11grab,
    BidiScreenshots,
    Screenshots,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum BrowserArg {
    Chromium,
    Firefox,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files or folders (a folder yields its *.yaml files, not its flows/)
    /// [default: the project file's `scenarios`, else scenarios/].
    pub paths: Vec<PathBuf>,
    /// The project file [default: walkthrough.yaml in this folder or the nearest parent].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The app under test: a URL, or `fixtures` for the built-in fixture pages. Without it,
    /// the project file's app, else the demo app, runs against the mock Polar.
    #[arg(long, value_name = "URL")]
    pub app: Option<String>,
    /// Run the built-in demo app without billing enforcement (by default it answers 402 to
    /// turns without an active subscription, which the payment-recovery slot proves).
    #[arg(long)]
    pub no_enforce: bool,
    /// The run folder, used exactly as given [default: recordings/<run-id>]. It must be
    /// missing or empty, or hold an earlier run and come with --overwrite.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace the earlier walkthrough run in --out (everything in it is removed first).
    #[arg(long)]
    pub overwrite: bool,
    /// A scenario variable, `${name}` in scenarios (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// How long an action waits for its element or expectation by default [default: 10s].
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_timeout)]
    pub timeout: Option<Duration>,
    /// The browser: chromium (through chromedriver) or firefox (through geckodriver)
    /// [default: the project file's `run.browser`, else chromium].
    #[arg(long, value_name = "BROWSER", value_enum)]
    pub browser: Option<BrowserArg>,
    /// Use a running WebDriver endpoint (e.g. a Selenium Grid) instead of starting the
    /// browser's driver.
    #[arg(long, value_name = "URL")]
    pub webdriver_url: Option<String>,
    /// How long a browser session may take to start; a Selenium Grid keeps the request in
    /// its queue while its slots are busy, and after this the run stops with "no free slot
    /// in time" (exit 4) [default: 60s].
    #[arg(long, value_name = "DURATION", value_parser = crate::duration::parse_timeout)]
    pub session_timeout: Option<Duration>,
    /// The chromedriver binary [default: chromedriver on PATH].
    #[arg(long, value_name = "PATH", env = "WALKTHROUGH_CHROMEDRIVER")]
    pub chromedriver: Option<PathBuf>,
    /// The Chromium binary [default: chromium on PATH].
    #[arg(long, value_name = "PATH", env = "WALKTHROUGH_CHROMIUM")]
    pub chromium: Option<PathBuf>,
    /// The geckodriver binary [default: geckodriver on PATH].
    #[arg(long, value_name = "PATH", env = "WALKTHROUGH_GECKODRIVER")]
    pub geckodriver: Option<PathBuf>,
    /// The Firefox binary [default: firefox-esr, else firefox, on PATH].
    #[arg(long, value_name = "PATH", env = "WALKTHROUGH_FIREFOX")]
    pub firefox: Option<PathBuf>,
    /// The browser viewport in CSS pixels; both numbers even [default: 1280x800].
    #[arg(long, value_name = "WxH")]
    pub viewport: Option<Viewport>,
    /// No live spinner, only the per-step lines.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard I of N (1-based): scenario k (in file order, from 0) belongs to shard
    /// k mod N + 1. Each scenario then reaches its starting state through its `given` steps.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Run scenarios in N parallel browser sessions. Each scenario then runs alone through
    /// its `given` steps instead of as one journey.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: u16,
    /// Run a failed scenario again up to N times, each time from its `given` state as a new
    /// visitor, every attempt keeping its own evidence; one that then passes is `flaky`
    /// (its slot verified with a flag) [default: the project file's `run.retries`, else 0].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=i64::from(crate::project::MAX_RETRIES)))]
    pub retries: Option<u32>,
    /// Append the run to this history file (one JSON line per run; the report shows each
    /// slot's last runs from it) [default: the project file's `run.history`, else
    /// recordings/history.jsonl when --out is not given, else none].
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// A flaky scenario (passed only on a retry) fails the run: exit 5, and junit.xml
    /// reports it as a failure.
    #[arg(long)]
    pub fail_on_flaky: bool,
    /// Video of every step and scenario: on, off, or retain-on-failure (clips are kept only
    /// for scenarios that did not pass) [default: on].
    #[arg(long, value_name = "MODE", value_enum)]
    pub video: Option<VideoArg>,
    /// Frames per second of the videos.
    #[arg(long, value_name = "FPS", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub video_fps: u32,
    /// Where the video comes from: `x11grab` (ffmpeg grabbing the X display of a local
    /// browser: --headed's, else an Xvfb of the run's own), `screencast` (the DevTools
    /// screencast of headless Chromium; slows steps more), `bidi-screenshots` (screenshots
    /// over the WebDriver BiDi socket while steps run, alongside them; headless Firefox) or
    /// `screenshots` (WebDriver screenshots sampled at up to 5 fps between the steps'
    /// commands; any browser, jerky, slows steps). Default: x11grab for a local browser
    /// (or with --headed) when Xvfb is installed, else screencast for Chromium and
    /// bidi-screenshots for Firefox, else screenshots when the endpoint offers no BiDi
    /// socket.
    #[arg(long, value_name = "SOURCE", value_enum)]
    pub video_source: Option<VideoSourceArg>,
    /// Run the browser with a visible window (kiosk, at 0,0) on $DISPLAY, or on an Xvfb
    /// the run starts and stops itself (`apt-get install xvfb`). Without it, a local
    /// Chromium (Firefox: when video is on) draws on an Xvfb of the run's own when Xvfb is
    /// installed (faster than headless, and ffmpeg grabs its screen for the video), else
    /// runs headless.
    #[arg(long, conflicts_with = "headless")]
    pub headed: bool,
    /// Run the browser headless even when Xvfb is installed (video then comes from the
    /// DevTools screencast for Chromium, from BiDi screenshots for Firefox).
    #[arg(long)]
    pub headless: bool,
    /// The size of the videos; both numbers even [default: the viewport].
    #[arg(long, value_name = "WxH")]
    pub video_size: Option<Viewport>,
    /// The run's customer email, `${run.email}`: a template whose `{run}` becomes the run
    /// id, such as `you+{run}@your-company.com` [default: the project file's `run.email`,
    /// else success+walkthrough-{run}@simulator.amazonses.com]. Polar refuses reserved
    /// domains (example.com, *.test, …); see docs/sandbox.md.
    #[arg(long, value_name = "TEMPLATE")]
    pub email: Option<String>,
    /// Where Polar is: `mock` (the local mock), `sandbox` (Polar's sandbox, needs `--app URL`
    /// and POLAR_ACCESS_TOKEN / POLAR_PRODUCT_ID; see docs/sandbox.md) or `production`
    /// (read-only: only scenarios with `targets: [production]`, no request to Polar but GET;
    /// the same variables, for production).
    #[arg(long, value_name = "TARGET", value_enum, default_value = "mock")]
    pub target: TargetArg,
}

/// Parses `name=value` for `--var`.
pub fn parse_var(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.to_string())),
        _ => Err(format!("expected NAME=VALUE, found `{s}`")),
    }
}

/// `I/N` with 1 ≤ I ≤ N.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let bad = || format!("{text:?} is not a shard like 1/3 (between 1/N and N/N)");
    let (i, n) = text.split_once('/').ok_or_else(bad)?;
    let i: usize = i.trim().parse().map_err(|_| bad())?;
    let n: usize = n.trim().parse().map_err(|_| bad())?;
    if n == 0 || i == 0 || i > n {
        return Err(bad());
    }
    Ok((i, n))
}

/// The project file named with `--config`, else the nearest `walkthrough.yaml`.
pub(super) fn project_file(config: Option<&PathBuf>) -> Option<PathBuf> {
    config
        .cloned()
        .or_else(|| crate::project::find(Path::new(".")))
}

/// Reads the project file, if there is one; its problems are diagnostics like a scenario's.
pub(super) fn load_project(config: Option<&PathBuf>) -> Result<Option<Project>, RunError> {
    match project_file(config) {
        None => Ok(None),
        Some(file) => crate::project::load(&file)
            .map(Some)
            .map_err(RunError::InvalidProject),
    }
}

fn video_mode(arg: VideoArg) -> VideoMode {
    match arg {
        VideoArg::On => VideoMode::On,
        VideoArg::Off => VideoMode::Off,
        VideoArg::RetainOnFailure => VideoMode::RetainOnFailure,
    }
}

impl Args {
    /// Where the app comes from: `--app`, else the project file's app (or sandbox URL),
    /// else the demo app.
    fn app(&self, project: Option<&Project>) -> Result<AppSource, RunError> {
        let from_project = project.and_then(|p| match (self.target, &p.app) {
            (TargetArg::Sandbox, _) => p.sandbox_app_url.clone().map(AppChoice::Url),
            (TargetArg::Production, _) => p.production_app_url.clone().map(AppChoice::Url),
            (TargetArg::Mock, Some(app)) => Some(AppChoice::Project(Box::new(ProjectApp {
                spec: app.clone(),
                seed: p.polar_seed.clone(),
            }))),
            (TargetArg::Mock, None) => None,
        });
        let choice = match (self.app.as_deref(), from_project) {
            (Some(FIXTURES_APP), _) => return Ok(AppSource::FixturePages),
            (Some(url), _) => AppChoice::Url(url.to_string()),
            (None, Some(choice)) => choice,
            (None, None) => {
                return Ok(AppSource::Demo {
                    enforce: !self.no_enforce,
                })
            }
        };
        match choice {
            AppChoice::Project(app) => Ok(AppSource::Project(app)),
            AppChoice::Url(url) => url::Url::parse(&url)
                .map(AppSource::Url)
                .map_err(|e| RunError::Usage(format!("--app {url:?} is not a URL: {e}"))),
        }
    }

    fn plan(self, project: Option<Project>) -> Result<RunPlan, RunError> {
        let app = self.app(project.as_ref())?;
        let defaults = project.as_ref().map(|p| p.run.clone()).unwrap_or_default();
        let (paths, scenario_root) = match (&project, self.paths.is_empty()) {
            (_, false) => (self.paths, None),
            (Some(p), true) if !p.scenarios.is_empty() => {
                (p.scenarios.clone(), Some(p.scenario_root()))
            }
            _ => (vec![PathBuf::from("scenarios")], None),
        };
        let browser = match (self.browser, defaults.browser.as_deref()) {
            (Some(BrowserArg::Chromium), _) => BrowserKind::Chromium,
            (Some(BrowserArg::Firefox), _) => BrowserKind::Firefox,
            (None, Some(name)) => name
                .parse()
                .map_err(|e: crate::browser::UnknownBrowser| RunError::Usage(e.to_string()))?,
            (None, None) => BrowserKind::Chromium,
        };
        let video = match (self.video, defaults.video.as_deref()) {
            (Some(arg), _) => video_mode(arg),
            (None, Some("off")) => VideoMode::Off,
            (None, Some("retain-on-failure")) => VideoMode::RetainOnFailure,
            (None, _) => VideoMode::On,
        };
        // Next to the run folders: only where they go by default.
        let history = self
            .history
            .clone()
            .or(defaults.history.clone())
            .or_else(|| {
                self.out
                    .is_none()
                    .then(|| PathBuf::from("recordings/history.jsonl"))
            });
        Ok(RunPlan {
            paths,
            scenario_root,
            testbed: TestbedPlan {
                polar: match self.target {
                    TargetArg::Mock => PolarTarget::Mock,
                    TargetArg::Sandbox => PolarTarget::Sandbox,
                    TargetArg::Production => PolarTarget::Production,
                },
                app,
            },
            out: self.out,
            vars: self.vars,
            timeout: self.timeout.or(defaults.timeout).unwrap_or(DEFAULT_TIMEOUT),
            browser: BrowserPlan {
                browser,
                webdriver_url: self.webdriver_url,
                session_timeout: self.session_timeout.unwrap_or(DEFAULT_SESSION_TIMEOUT),
                chromedriver: self.chromedriver,
                chromium: self.chromium,
                geckodriver: self.geckodriver,
                firefox: self.firefox,
                viewport: self.viewport.or(defaults.viewport).unwrap_or_default(),
                headed: self.headed,
                headless: self.headless,
            },
            video: VideoPlan {
                mode: video,
                fps: self.video_fps,
                source: self.video_source.map(|s| match s {
                    VideoSourceArg::Screencast => VideoSource::Screencast,
                    VideoSourceArg::X11grab => VideoSource::X11grab,
                    VideoSourceArg::BidiScreenshots => VideoSource::BidiScreenshots,
                    VideoSourceArg::Screenshots => VideoSource::Screenshots,
                }),
                size: self.video_size,
            },
            shard: self.shard,
            jobs: usize::from(self.jobs),
            retry: RetryPolicy {
                retries: self.retries.or(defaults.retries).unwrap_or(0),
                fail_on_flaky: self.fail_on_flaky,
            },
            history,
            overwrite: self.overwrite,
            quiet: self.quiet,
            email: self
                .email
                .or(defaults.email)
                .unwrap_or_else(|| harness::DEFAULT_RUN_EMAIL.to_string()),
        })
    }
}

/// An app named by `--app` or the project file, before it is checked.
enum AppChoice {
    Url(String),
    Project(Box<ProjectApp>),
}

/// The default wait of every action.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a session may take to start (or wait in a Grid's queue) by default.
const DEFAULT_SESSION_TIMEOUT: Duration = Duration::from_secs(60);

pub async fn run(args: Args) -> i32 {
    let shard = args.shard;
    let result = match load_project(args.config.as_ref()).and_then(|p| args.plan(p)) {
        Ok(plan) => harness::execute(plan).await,
        Err(e) => Err(e),
    };
    match &result {
        Ok(report) => {
            eprintln!(
                "{} scenario(s) passed, {} not passed; {} failed step(s)",
                report.passed, report.not_passed, report.failed_steps
            );
            if report.flaky > 0 {
                eprintln!("{}", flaky_line(report.flaky, report.fail_on_flaky));
            }
            match (&report.report_path, shard) {
                (Some(path), _) => println!("report: {}", path.display()),
                (None, Some((i, n))) => println!("shard {i}/{n} has no scenario; nothing to run"),
                (None, None) => {}
            }
        }
        Err(
            e @ (RunError::InvalidScenarios(diagnostics) | RunError::InvalidProject(diagnostics)),
        ) => {
            eprint!("{}", diagnostics.render());
            eprintln!("error: {e}");
        }
        Err(e) => eprintln!("error: {e}"),
    }
    harness::exit_code(&result)
}

/// What the run's flaky scenarios did to its verdict.
fn flaky_line(flaky: usize, fail_on_flaky: bool) -> String {
    if fail_on_flaky {
        format!(
            "{flaky} scenario(s) flaky (passed only on a retry): the run fails (--fail-on-flaky)"
        )
    } else {
        format!("{flaky} scenario(s) flaky (passed only on a retry); --fail-on-flaky would fail the run")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_one_based_and_within_their_count() {
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("x").is_err());
    }
}
