//! One `walkthrough run` from plan to verdict: loads the scenarios, creates the run folder,
//! starts the testbed ([`crate::testbed`]) and the browser sessions, hands the scenarios to
//! the [`crate::runner`], feeds its events to [`crate::evidence`], and stops everything it
//! started on every way out (success, failure, SIGINT/SIGTERM). Each resource is released
//! by the function that acquired it, once. [`exit_code`] is the one mapping from how a run
//! ended to the documented process exit codes.
//! The CLI builds a [`RunPlan`] and calls [`execute`]; nothing here parses arguments.

mod run_record;
mod run_vars;
mod sessions;
mod signals;

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::browser::BrowserError;
use crate::capture::video::VideoPlan;
use crate::evidence::console::Console;
use crate::evidence::Recorder;
use crate::outcome::{AppInfo, BrowserInfo, RetryPolicy, RunInfo, RunStatus, Shard, Verdict};
use crate::redact::Redactor;
use crate::run_folder::RunFolder;
use crate::runner::{self, RunContext, RunSummary};
use crate::scenario::{self, Diagnostics, LoadOptions, LoadedScenarios};
use crate::testbed::{RunningTestbed, TestbedError, TestbedPlan};

pub use sessions::BrowserPlan;
use signals::Signals;

/// Exit codes, documented in the README.
pub mod exit {
    pub const PASSED: i32 = 0;
    /// `verify-config` only: a check failed.
    pub const CHECK_FAILED: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const INVALID_SCENARIOS: i32 = 3;
    pub const SETUP_FAILED: i32 = 4;
    pub const STEP_FAILED: i32 = 5;
    pub const EVIDENCE_FAILED: i32 = 6;
    pub const INTERRUPTED: i32 = 130;
}

/// Everything a run needs to know, decided before anything starts.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Scenario files or folders.
    pub paths: Vec<PathBuf>,
    /// The folder every scenario and flow must be in; `None`: the common folder of `paths`.
    pub scenario_root: Option<PathBuf>,
    pub testbed: TestbedPlan,
    /// The run folder; `recordings/<run-id>` when `None`.
    pub out: Option<PathBuf>,
    /// `--var NAME=VALUE`s.
    pub vars: Vec<(String, String)>,
    /// The default wait of every action.
    pub timeout: Duration,
    pub browser: BrowserPlan,
    pub video: VideoPlan,
    /// Shard `I` of `N` (1-based).
    pub shard: Option<(usize, usize)>,
    /// Parallel browser sessions.
    pub jobs: usize,
    /// `--retries N` (`run.retries`) and `--fail-on-flaky`.
    pub retry: RetryPolicy,
    /// Where the run appends its line of history (`--history`, `run.history`); `None`: no
    /// history.
    pub history: Option<PathBuf>,
    /// Replace the earlier run in `out` (refused otherwise when `out` is not empty).
    pub overwrite: bool,
    /// No live spinner.
    pub quiet: bool,
    /// The run's customer email, `${run.email}`: a template whose `{run}` is the run id
    /// ([`DEFAULT_RUN_EMAIL`] unless the project file's `run.email` or `--email` says).
    pub email: String,
}

/// Why a run did not reach a verdict.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Usage(String),
    #[error("{} problem(s) in scenario files; nothing ran", .0.items.len())]
    InvalidScenarios(Diagnostics),
    #[error("{} problem(s) in the project file; nothing ran", .0.items.len())]
    InvalidProject(Diagnostics),
    #[error("no scenario files found in {0}")]
    NoScenarios(String),
    #[error("setup failed: {0}")]
    Testbed(#[source] TestbedError),
    #[error("setup failed: {0}")]
    Browser(#[from] BrowserError),
    #[error("setup failed: {0}")]
    Video(#[from] crate::capture::video::VideoError),
    #[error("{0}")]
    RunFolder(#[from] crate::run_folder::FolderError),
    #[error("evidence could not be written: {0}")]
    Evidence(String),
    #[error("interrupted while starting")]
    InterruptedAtStart,
}

impl From<TestbedError> for RunError {
    fn from(e: TestbedError) -> RunError {
        if e.is_usage() {
            RunError::Usage(e.to_string())
        } else {
            RunError::Testbed(e)
        }
    }
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Usage(_) => exit::USAGE,
            RunError::InvalidScenarios(_)
            | RunError::InvalidProject(_)
            | RunError::NoScenarios(_) => exit::INVALID_SCENARIOS,
            RunError::Testbed(_) | RunError::Browser(_) | RunError::Video(_) => exit::SETUP_FAILED,
            RunError::RunFolder(_) | RunError::Evidence(_) => exit::EVIDENCE_FAILED,
            RunError::InterruptedAtStart => exit::INTERRUPTED,
        }
    }
}

/// How a run that reached a verdict ended.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub verdict: Verdict,
    /// `None` when there was nothing to run (an empty shard).
    pub report_path: Option<PathBuf>,
    pub passed: usize,
    pub not_passed: usize,
    pub failed_steps: usize,
    /// Scenarios that passed only on a retry.
    pub flaky: usize,
    /// `--fail-on-flaky`: the flaky ones failed the run.
    pub fail_on_flaky: bool,
}

/// The process exit code of a run.
pub fn exit_code(result: &Result<RunReport, RunError>) -> i32 {
    match result {
        Ok(report) => match report.verdict {
            Verdict::Passed => exit::PASSED,
            Verdict::Failed => exit::STEP_FAILED,
            Verdict::Interrupted => exit::INTERRUPTED,
        },
        Err(e) => e.exit_code(),
    }
}

/// A run id that sorts by time and is unique across concurrent runs.
pub fn new_run_id() -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", Utc::now().format("%Y%m%d-%H%M%S"), &suffix[..6])
}

pub use crate::project::run_email::{run_email, DEFAULT_RUN_EMAIL};

/// Runs the plan to its verdict. Progress goes to stderr; nothing is printed on stdout.
/// From the moment the run folder exists, `report.json` does too, and however the run ends
/// — a verdict, a setup failure, SIGINT/SIGTERM at any moment — it says so.
pub async fn execute(plan: RunPlan) -> Result<RunReport, RunError> {
    plan.check()?;
    let loaded = load(&plan)?;
    if loaded.scenarios.is_empty() {
        // Only an empty shard gets here: `load` refuses a run without scenarios.
        return Ok(RunReport {
            verdict: Verdict::Passed,
            report_path: None,
            passed: 0,
            not_passed: 0,
            failed_steps: 0,
            flaky: 0,
            fail_on_flaky: plan.retry.fail_on_flaky,
        });
    }
    let run_id = new_run_id();
    let out = plan
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("recordings").join(&run_id));
    let folder = RunFolder::prepare(&out, plan.overwrite)?;
    let _record = run_record::RunRecord::create(&std::env::temp_dir(), folder.root());
    let signals = Signals::install();
    eprintln!("walkthrough {} — run {run_id}", env!("CARGO_PKG_VERSION"));
    eprintln!("  out: {}", out.display());
    let run = Run {
        plan: &plan,
        loaded: &loaded,
        folder: &folder,
        run_id: &run_id,
        started_at: Utc::now(),
        signals: &signals,
    };
    let mut recorder = Recorder::start(
        &folder,
        run.starting_info(),
        Console::new(plan.quiet).labelled(plan.jobs > 1),
    );
    recorder.set_retry(plan.retry);
    recorder.set_history(plan.history.clone());
    recorder.set_shard(plan.shard.map(|(index, of)| Shard { index, of }));
    // The evidence is finished once everything the run started has stopped, so no log
    // changes after the manifest hashed it.
    let summary = match run.with_recorder(&mut recorder).await {
        Ok(summary) => summary,
        Err(e) => {
            let status = match e {
                RunError::InterruptedAtStart => RunStatus::Interrupted,
                _ => RunStatus::Failed,
            };
            recorder.update_run(|info| info.error = Some(e.to_string()));
            recorder.finish(status);
            return Err(e);
        }
    };
    recorder.finish(summary.verdict.into());
    if let Some(e) = recorder.write_error() {
        return Err(RunError::Evidence(e.to_string()));
    }
    let (passed, not_passed) = recorder.outcome().passed_and_not();
    Ok(RunReport {
        verdict: summary.verdict,
        report_path: Some(folder.report_path()),
        passed,
        not_passed,
        failed_steps: summary.failed_steps,
        flaky: summary.flaky,
        fail_on_flaky: plan.retry.fail_on_flaky,
    })
}

impl RunPlan {
    /// Options that contradict each other are usage errors, before anything starts.
    fn check(&self) -> Result<(), RunError> {
        use crate::capture::video::VideoSource;
        if self.video.source == Some(VideoSource::X11grab) && self.browser.headless {
            return Err(RunError::Usage(
                "--video-source x11grab records the browser's screen; a --headless browser has \
                 none"
                    .into(),
            ));
        }
        if self.video.source == Some(VideoSource::X11grab) && self.browser.webdriver_url.is_some() {
            return Err(RunError::Usage(
                "--video-source x11grab records the local screen; it cannot be used with \
                 --webdriver-url"
                    .into(),
            ));
        }
        if self.video.source == Some(VideoSource::Screencast)
            && self.browser.browser == crate::browser::BrowserKind::Firefox
        {
            return Err(RunError::Usage(
                "--video-source screencast is Chromium's DevTools screencast; Firefox has none: \
                 use x11grab, bidi-screenshots or screenshots"
                    .into(),
            ));
        }
        if let Err((e, help)) = crate::project::run_email::check(&self.email) {
            return Err(RunError::Usage(format!("the run email: {e}; {help}")));
        }
        if self.testbed.polar == crate::scenario::PolarTarget::Sandbox {
            if let Some(warning) = crate::project::run_email::sandbox_warning(&self.email) {
                eprintln!("{warning}");
            }
        }
        if self.browser.headed && self.browser.webdriver_url.is_some() {
            return Err(RunError::Usage(
                "--headed starts a local browser; it cannot be used with --webdriver-url".into(),
            ));
        }
        Ok(())
    }
}

/// Loads and validates every scenario (nothing runs on a diagnostic), then keeps the shard.
fn load(plan: &RunPlan) -> Result<LoadedScenarios, RunError> {
    let options = LoadOptions {
        root: plan.scenario_root.clone(),
        ..LoadOptions::with_cli_vars(plan.vars.clone())
    };
    let mut loaded = scenario::load(&plan.paths, &options).map_err(RunError::InvalidScenarios)?;
    if loaded.scenarios.is_empty() {
        let names: Vec<String> = plan.paths.iter().map(|p| p.display().to_string()).collect();
        return Err(RunError::NoScenarios(names.join(", ")));
    }
    if let Some((shard, of)) = plan.shard {
        loaded.scenarios =
            runner::parallel::shard_of(std::mem::take(&mut loaded.scenarios), shard, of);
        let files: Vec<String> = loaded
            .scenarios
            .iter()
            .map(|s| s.file.display().to_string())
            .collect();
        eprintln!(
            "shard {shard}/{of}: {} scenario(s): {}",
            files.len(),
            files.join(", ")
        );
    }
    Ok(loaded)
}

/// What a run carries from one stage to the next.
struct Run<'a> {
    plan: &'a RunPlan,
    loaded: &'a LoadedScenarios,
    folder: &'a RunFolder,
    run_id: &'a str,
    started_at: DateTime<Utc>,
    signals: &'a Signals,
}

impl Run<'_> {
    /// What the report says before anything started.
    fn starting_info(&self) -> RunInfo {
        RunInfo {
            id: self.run_id.to_string(),
            started_at: self.started_at,
            finished_at: None,
            target: self.plan.testbed.polar.as_str().to_string(),
            app: AppInfo {
                source: String::new(),
                url: String::new(),
                command: None,
                state_probe: None,
            },
            app_url: String::new(),
            browser: BrowserInfo {
                name: String::new(),
                version: String::new(),
            },
            tool_version: env!("CARGO_PKG_VERSION").to_string(),
            status: RunStatus::Running,
            error: None,
            video: self.plan.video.mode.as_str().to_string(),
            video_source: None,
        }
    }

    /// Starts the testbed, runs with it, stops it.
    async fn with_recorder(&self, recorder: &mut Recorder) -> Result<RunSummary, RunError> {
        let logs = self.folder.logs_dir();
        let testbed = tokio::select! {
            t = self.plan.testbed.start(&logs) => t?,
            _ = self.signals.cancelled() => return Err(RunError::InterruptedAtStart),
        };
        eprintln!("  app: {}", testbed.app_url());
        // Every file of the run folder is redacted: secret env vars, the testbed's token and
        // webhook secret, session tokens in URLs.
        let mut redactor = Redactor::from_env();
        for secret in testbed.secrets() {
            redactor.add_secret(&secret);
        }
        recorder.set_redactor(redactor);
        recorder.update_run(|info| {
            info.target = testbed.report_name().to_string();
            info.app = testbed.app_info();
            info.app_url = testbed.app_url().to_string();
        });
        let result = self.with_testbed(&testbed, recorder).await;
        testbed.stop().await;
        result
    }

    /// With the testbed up: starts the sessions, runs, closes them while the last videos
    /// finish, then cleans up what the run bought.
    async fn with_testbed(
        &self,
        testbed: &RunningTestbed,
        recorder: &mut Recorder,
    ) -> Result<RunSummary, RunError> {
        let sessions = tokio::select! {
            s = sessions::launch(
                self.plan,
                self.loaded.scenarios.len(),
                self.folder,
                testbed.host_route(),
            ) => s?,
            _ = self.signals.cancelled() => {
                eprintln!("interrupted while starting the browser");
                return Err(RunError::InterruptedAtStart);
            }
        };
        let result = self.with_sessions(testbed, &sessions, recorder).await;
        // The scenario videos finish from what was captured while the browsers close.
        let mut browsers = Vec::new();
        let mut videos = Vec::new();
        for session in sessions {
            browsers.push(session.browser);
            videos.extend(session.video);
        }
        for video in &videos {
            video.release_browser().await;
        }
        let close_browsers = async {
            for browser in browsers {
                browser.close().await;
            }
        };
        // An interrupted run gives the videos a few seconds.
        let finish_videos = async {
            tokio::select! {
                _ = runner::finish_videos(&videos, recorder) => {}
                _ = async {
                    self.signals.cancelled().await;
                    tokio::time::sleep(Duration::from_secs(5)).await;
                } => {}
            }
        };
        tokio::join!(close_browsers, finish_videos);
        for video in &videos {
            video.close().await;
        }
        self.cleanup(testbed).await;
        result
    }

    /// With the testbed and the sessions up: runs every scenario and writes its evidence
    /// (scenario videos still finishing are collected by the caller).
    async fn with_sessions(
        &self,
        testbed: &RunningTestbed,
        sessions: &[runner::Session],
        recorder: &mut Recorder,
    ) -> Result<RunSummary, RunError> {
        let first = &sessions[0];
        recorder.update_run(|info| {
            info.browser = BrowserInfo {
                name: first.browser.name().to_string(),
                version: first.browser.version().to_string(),
            };
            info.video_source = first
                .video
                .as_ref()
                .map(|v| v.source().as_str().to_string());
        });
        let ctx = RunContext {
            app_url: testbed.app_url().clone(),
            sites: testbed.sites(),
            default_timeout: self.plan.timeout,
            base_vars: run_vars::base_vars(self, testbed),
            cancel: self.signals.receiver(),
            observer: testbed.observer(),
            polar: testbed.polar(),
            retry: self.plan.retry,
        };
        let summary = if sessions.len() == 1 {
            runner::run(first, self.loaded, &ctx, self.folder, recorder).await
        } else {
            eprintln!("  jobs: {} browser sessions", sessions.len());
            runner::parallel::run(sessions, self.loaded, &ctx, self.folder, recorder).await
        };
        Ok(summary)
    }

    /// On the sandbox, revokes what the run bought (keyed by the run's customer email).
    async fn cleanup(&self, testbed: &RunningTestbed) {
        match testbed
            .cleanup(&run_email(&self.plan.email, self.run_id))
            .await
        {
            Some(Ok(done)) => {
                if let Ok(json) = serde_json::to_vec_pretty(&done) {
                    let _ = self
                        .folder
                        .write(std::path::Path::new(RunFolder::CLEANUP), &json);
                }
            }
            Some(Err(e)) => {
                eprintln!("warning: {e}; revoke its subscriptions in the sandbox dashboard")
            }
            None => {}
        }
    }
}
