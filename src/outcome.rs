//! The outcome model, one shape per level: what happened to a step ([`StepOutcome`]), a
//! scenario ([`ScenarioOutcome`]), the run ([`RunOutcome`], which is `report.json`) and each
//! evidence slot ([`SlotVerdict`]), each with its own status enum; a retried scenario keeps
//! its earlier attempts ([`AttemptOutcome`]) beside its last one. The runner and capture
//! produce step and clip outcomes, evidence folds them into the run outcome and renders it;
//! nobody converts between look-alike structs.
//! Pure data: imports only the scenario model's `Location`; no I/O.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::scenario::Location;

/// Bumped when a field changes meaning or disappears (adding fields keeps the version).
pub const SCHEMA_VERSION: u32 = 2;

/// What happened to one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Passed,
    Failed,
    /// An earlier step of its scenario did not pass, so it did not run.
    Skipped,
    Interrupted,
}

/// Where a scenario stands, while the run goes on and after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScenarioStatus {
    /// A later scenario started first (parallel runs); this one has not started yet.
    Pending,
    Running,
    Passed,
    Failed,
    Interrupted,
    /// Its `targets:` exclude the run's Polar target: not run, and not faked.
    NotRunnable,
    /// It passed on a retry after at least one failed attempt (`--retries`); the run passes
    /// unless `--fail-on-flaky`.
    Flaky,
}

impl ScenarioStatus {
    /// Whether the scenario stopped the run from passing (a flaky one does only under
    /// `--fail-on-flaky`, which the run's verdict applies).
    pub fn is_failure(self) -> bool {
        !matches!(
            self,
            ScenarioStatus::Passed | ScenarioStatus::NotRunnable | ScenarioStatus::Flaky
        )
    }

    /// Whether its last attempt passed (first time, or flaky).
    pub fn passed(self) -> bool {
        matches!(self, ScenarioStatus::Passed | ScenarioStatus::Flaky)
    }
}

/// How a finished run ended; the exit code is a function of this (and of the errors that
/// kept a run from finishing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    Interrupted,
}

/// The run's status in `report.json`: running until it ends with a verdict, or aborted
/// when a later run found it dead (killed without a chance to finish its report).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Passed,
    Failed,
    Interrupted,
    Aborted,
}

impl From<Verdict> for RunStatus {
    fn from(v: Verdict) -> RunStatus {
        match v {
            Verdict::Passed => RunStatus::Passed,
            Verdict::Failed => RunStatus::Failed,
            Verdict::Interrupted => RunStatus::Interrupted,
        }
    }
}

/// An evidence slot's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlotStatus {
    /// No scenario in the run covers the slot.
    Missing,
    /// Every covering scenario's `targets:` exclude the run's target.
    NotRunnable,
    /// Every step passed and has its screenshot and a clip that passed its check.
    Verified,
    /// It passed, but the evidence is incomplete (no clip, a clip that failed its check…).
    Unverified,
    /// A covering scenario failed, was interrupted or did not finish.
    Failed,
}

impl SlotStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SlotStatus::Missing => "missing",
            SlotStatus::NotRunnable => "not_runnable",
            SlotStatus::Verified => "verified",
            SlotStatus::Unverified => "unverified",
            SlotStatus::Failed => "failed",
        }
    }
}

impl StepStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            StepStatus::Passed => "passed",
            StepStatus::Failed => "failed",
            StepStatus::Skipped => "skipped",
            StepStatus::Interrupted => "interrupted",
        }
    }
}

impl ScenarioStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioStatus::Pending => "pending",
            ScenarioStatus::Running => "running",
            ScenarioStatus::Passed => "passed",
            ScenarioStatus::Failed => "failed",
            ScenarioStatus::Interrupted => "interrupted",
            ScenarioStatus::NotRunnable => "not_runnable",
            ScenarioStatus::Flaky => "flaky",
        }
    }
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Passed => "passed",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Aborted => "aborted",
        }
    }
}

/// A step's failure: the message, where in the scenario it happened and that source line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepError {
    pub message: String,
    #[serde(flatten)]
    pub location: Location,
    pub source_line: Option<String>,
}

/// A named screenshot taken by a `screenshot:` action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedShot {
    pub name: String,
    pub path: String,
}

/// The video evidence of one step, as capture made and checked it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipEvidence {
    /// The clip, relative to the run folder; `None` when none could be made.
    #[serde(rename = "clip", default)]
    pub path: Option<String>,
    /// Whether the clip passed its check (duration and frames against the step's wall
    /// time, within two frame intervals); `None` when no clip was due (video off, a
    /// skipped step, a passing scenario under `retain-on-failure`). `Some(false)` also
    /// when a clip was due but could not be made: the step's evidence is defective.
    #[serde(rename = "clip_ok", default)]
    pub ok: Option<bool>,
    /// Why `ok` is false.
    #[serde(rename = "clip_problem", default)]
    pub problem: Option<String>,
    /// What the check measured.
    #[serde(rename = "clip_duration_ms", default)]
    pub duration_ms: Option<u64>,
    #[serde(rename = "clip_frames", default)]
    pub frames: Option<u64>,
    /// A still of the clip for `<video poster>`: its last frame (the step's result), copied
    /// from the captured frames next to the clip; absent without one.
    #[serde(
        rename = "clip_poster",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub poster: Option<String>,
}

impl ClipEvidence {
    /// A clip that was due and could not be made.
    pub fn missing(problem: String) -> ClipEvidence {
        ClipEvidence {
            ok: Some(false),
            problem: Some(problem),
            ..ClipEvidence::default()
        }
    }

    /// Whether the clip was due, exists and passed its check.
    pub fn passed(&self) -> bool {
        self.ok == Some(true) && self.path.is_some()
    }
}

/// One webhook delivery attempt seen during a step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRecord {
    /// The event id (`webhook-id`), the same on every attempt.
    pub event_id: String,
    /// e.g. `subscription.active`.
    pub event_type: String,
    pub endpoint_url: String,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<u16>,
    /// A 2xx answer.
    pub succeeded: bool,
    /// Why the attempt failed without a status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default)]
    pub will_retry: bool,
    /// When the attempt finished (RFC 3339, UTC).
    pub at: String,
    /// How long the endpoint took to answer.
    #[serde(default)]
    pub latency_ms: u64,
    /// The start of what the endpoint answered when it did not accept the delivery:
    /// often the very bug a user is hunting (redacted like everything else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_excerpt: Option<String>,
}

impl WebhookRecord {
    /// The endpoint answered, and not with a 2xx.
    pub fn rejected(&self) -> bool {
        self.status_code.is_some() && !self.succeeded
    }
}

/// A delivery attempt and the step whose window it finished in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepDelivery {
    /// The step's index in the scenario's `steps`.
    pub step: usize,
    #[serde(flatten)]
    pub record: WebhookRecord,
}

/// What happened to one step: the step itself, its evidence and what the product did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutcome {
    pub name: String,
    pub status: StepStatus,
    pub started_at: DateTime<Utc>,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    /// The step's screenshot, relative to the run folder.
    pub screenshot: Option<String>,
    /// Why the step has no screenshot, when taking it failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub screenshot_problem: Option<String>,
    /// Extra named screenshots taken by `screenshot:` actions.
    #[serde(default)]
    pub screenshots: Vec<NamedShot>,
    /// Where the step is written.
    #[serde(flatten)]
    pub location: Location,
    pub error: Option<StepError>,
    /// A `given` step: it set up the starting state for a scenario run on its own.
    #[serde(default)]
    pub given: bool,
    #[serde(flatten)]
    pub clip: ClipEvidence,
    /// The app's state (the workspace entitlement) before and after the step, when known.
    #[serde(default)]
    pub state_before: Option<Value>,
    #[serde(default)]
    pub state_after: Option<Value>,
}

impl StepOutcome {
    pub fn duration_ms(&self) -> u64 {
        u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX)
    }

    /// A step that did not run because an earlier one did not pass.
    pub fn skipped(name: &str, location: &Location, given: bool) -> StepOutcome {
        StepOutcome {
            name: name.to_string(),
            status: StepStatus::Skipped,
            started_at: Utc::now(),
            duration: Duration::ZERO,
            screenshot: None,
            screenshot_problem: None,
            screenshots: Vec::new(),
            location: location.clone(),
            error: None,
            given,
            clip: ClipEvidence::default(),
            state_before: None,
            state_after: None,
        }
    }
}

/// What happened to one scenario.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScenarioOutcome {
    pub name: String,
    pub file: String,
    pub slot: Option<String>,
    pub status: ScenarioStatus,
    pub started_at: DateTime<Utc>,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    pub steps: Vec<StepOutcome>,
    /// Every webhook delivery attempt of the scenario, in the order they finished, each
    /// with the step it belongs to.
    #[serde(default)]
    pub deliveries: Vec<StepDelivery>,
    /// The scenario video (one chapter per step), relative to the run folder.
    #[serde(default)]
    pub video: Option<String>,
    /// Why the scenario video is missing, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_problem: Option<String>,
    /// Where its video came from and the frame rate it got.
    #[serde(flatten)]
    pub capture: VideoCapture,
}

/// Where a scenario's video came from and what it got; empty with `--video off`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VideoCapture {
    /// `screencast`, `x11grab`, `bidi-screenshots` or `screenshots`.
    #[serde(
        rename = "video_source",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub source: Option<String>,
    /// Frames captured per second of the scenario's steps (a screencast sends frames only
    /// when the page changes; the clips are encoded at `--video-fps` either way).
    #[serde(rename = "video_fps", default, skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// How the source was reached when not the usual way, or why it is not the browser's
    /// best one (e.g. the endpoint offers no BiDi socket), if so.
    #[serde(
        rename = "video_note",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub note: Option<String>,
}

impl ScenarioOutcome {
    pub fn duration_ms(&self) -> u64 {
        u64::try_from(self.duration.as_millis()).unwrap_or(u64::MAX)
    }

    /// The delivery attempts in step `index`'s window.
    pub fn deliveries_of(&self, index: usize) -> impl Iterator<Item = &WebhookRecord> {
        self.deliveries
            .iter()
            .filter(move |d| d.step == index)
            .map(|d| &d.record)
    }
}

/// One evidence slot's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotVerdict {
    /// One of `scenario::SLOT_IDS`.
    pub id: String,
    pub status: SlotStatus,
    /// Why the slot has this status, in a sentence.
    pub reason: String,
    /// The covering scenario's name (the first one that decides the verdict).
    pub scenario: Option<String>,
    /// Its index in `scenarios`.
    pub scenario_index: Option<usize>,
    /// The clip that shows the slot: the scenario's video, else its last step clip.
    pub clip: Option<String>,
    /// The deciding scenario passed only on a retry (`flaky`): verified, with a flag.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrowserInfo {
    pub name: String,
    pub version: String,
}

/// The app under test, as the run found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppInfo {
    /// `demo` (the built-in demo app), `command` (started by the run from the project
    /// file), `url` (already running) or `fixtures` (the built-in fixture pages).
    pub source: String,
    pub url: String,
    /// The command the run started, for `command`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// Where each step's state before and after came from (`GET /api/billing/status`);
    /// `None`: no state probe configured.
    #[serde(default)]
    pub state_probe: Option<String>,
}

/// What the run was: when, against what, with which browser and video.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Where Polar is: `mock`, `sandbox`, or `none` (the run knows of no Polar: fixture
    /// pages, or an app at a URL with no mock); scenarios' `targets:` are checked against it.
    pub target: String,
    /// The app under test.
    pub app: AppInfo,
    pub app_url: String,
    pub browser: BrowserInfo,
    pub tool_version: String,
    pub status: RunStatus,
    /// Why the run ended without running its scenarios (setup failed, interrupted while
    /// starting, killed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The video mode: `on`, `off` or `retain-on-failure`.
    #[serde(default)]
    pub video: String,
    /// Where the first session's video came from: `screencast`, `x11grab`,
    /// `bidi-screenshots` or `screenshots`; `None` with video off. Each scenario says its own
    /// (`video_source`, `video_fps`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_source: Option<String>,
}

/// The whole run: `report.json`. On the wire the retry policy and the shard sit in `run`
/// (`retries`, `fail_on_flaky`, `shard`) and each scenario's earlier attempts in the
/// scenario (`attempts`); a merged folder adds `runs`, `matrix` and each scenario's `run`
/// ([`Merged`]); see [`wire`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "wire::Report", into = "wire::Report")]
pub struct RunOutcome {
    pub schema_version: u32,
    pub run: RunInfo,
    /// How failed scenarios were retried and whether a flaky one fails the run.
    pub retry: RetryPolicy,
    /// The six evidence slots with their verdicts; recomputed whenever the report is
    /// written.
    pub slots: Vec<SlotVerdict>,
    /// Each scenario's outcome: for a retried one, its last attempt.
    pub scenarios: Vec<ScenarioOutcome>,
    /// The earlier (failed) attempts of retried scenarios, by scenario index, in order.
    pub attempts: BTreeMap<usize, Vec<AttemptOutcome>>,
    /// `--shard I/N`: the share of the scenarios this run ran.
    pub shard: Option<Shard>,
    /// What [`crate::evidence::merge`] adds to a merged folder's report; empty for a run.
    pub merged: Merged,
}

/// `--shard I/N` (1-based), as `report.json` says it: `{"index": I, "of": N}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub of: usize,
}

/// The runs a merged folder holds and the slots per target and browser (`walkthrough
/// merge`). In `report.json`: `runs[]`, `matrix[]` and each scenario's `run`; absent from a
/// run's own report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Merged {
    /// The merged run folders, in the order of their folders under `runs/`.
    pub runs: Vec<MergedRun>,
    /// For each scenario (by index), the run it came from (an index in `runs`).
    pub scenario_run: BTreeMap<usize, usize>,
    /// The six slots for each (target, browser) the runs cover.
    pub matrix: Vec<SlotColumn>,
}

impl Merged {
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }
}

/// One run folder inside a merged folder: where its files are, its shard and its own
/// `run` (its id, target, browser, times and status).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedRun {
    /// Its folder inside the merged one (`runs/01-mock-chrome-shard-1-of-3`), a faithful
    /// copy of the original with its own manifest.
    pub dir: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    #[serde(flatten)]
    pub run: RunInfo,
    #[serde(flatten)]
    pub retry: RetryPolicy,
}

/// The six slots for one (target, browser) of a merged folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotColumn {
    pub target: String,
    /// The browser's name as its runs reported it (`chrome`, `firefox`).
    pub browser: String,
    /// The runs of this column (indices in `runs`).
    pub runs: Vec<usize>,
    /// Always six, in journey order; `scenario_index` is an index in the merged scenarios.
    pub slots: Vec<SlotVerdict>,
}

/// `--retries N` (`run.retries`) and `--fail-on-flaky`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryPolicy {
    /// How many times a failed scenario runs again (0: never).
    #[serde(default)]
    pub retries: u32,
    /// A flaky scenario fails the run (exit 5).
    #[serde(default)]
    pub fail_on_flaky: bool,
}

/// One earlier, failed attempt of a retried scenario, with all its evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttemptOutcome {
    /// From 1.
    pub attempt: u32,
    pub status: ScenarioStatus,
    /// Why it failed: the failed step's first line (what the console's retry line said).
    pub reason: String,
    pub started_at: DateTime<Utc>,
    #[serde(rename = "duration_ms", with = "millis")]
    pub duration: Duration,
    pub steps: Vec<StepOutcome>,
    #[serde(default)]
    pub deliveries: Vec<StepDelivery>,
    #[serde(default)]
    pub video: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_problem: Option<String>,
    #[serde(flatten)]
    pub capture: VideoCapture,
}

impl AttemptOutcome {
    /// The attempt the scenario's outcome holds now, moved out (its steps and evidence
    /// cleared for the next attempt).
    pub fn take(
        scenario: &mut ScenarioOutcome,
        attempt: u32,
        reason: String,
        started_at: DateTime<Utc>,
        duration: Duration,
    ) -> AttemptOutcome {
        AttemptOutcome {
            attempt,
            status: ScenarioStatus::Failed,
            reason,
            started_at,
            duration,
            steps: std::mem::take(&mut scenario.steps),
            deliveries: std::mem::take(&mut scenario.deliveries),
            video: scenario.video.take(),
            video_problem: scenario.video_problem.take(),
            capture: std::mem::take(&mut scenario.capture),
        }
    }
}

impl RunOutcome {
    pub fn new(run: RunInfo) -> RunOutcome {
        RunOutcome {
            schema_version: SCHEMA_VERSION,
            run,
            retry: RetryPolicy::default(),
            slots: Vec::new(),
            scenarios: Vec::new(),
            attempts: BTreeMap::new(),
            shard: None,
            merged: Merged::default(),
        }
    }

    /// How many scenarios passed (flaky ones included), and how many did not (not-runnable
    /// ones count as neither).
    pub fn passed_and_not(&self) -> (usize, usize) {
        self.scenarios
            .iter()
            .fold((0, 0), |(p, f), s| match s.status {
                ScenarioStatus::Passed | ScenarioStatus::Flaky => (p + 1, f),
                ScenarioStatus::NotRunnable => (p, f),
                _ => (p, f + 1),
            })
    }

    /// The earlier attempts of scenario `index` (empty unless it was retried).
    pub fn attempts_of(&self, index: usize) -> &[AttemptOutcome] {
        self.attempts.get(&index).map(Vec::as_slice).unwrap_or(&[])
    }

    /// In a merged outcome, run `n` as a report of its own: its `run`, retry policy, shard
    /// and scenarios (with their earlier attempts), and the slots of its (target, browser)
    /// column (whose `scenario_index` stays an index in the merged scenarios).
    pub fn of_run(&self, n: usize) -> Option<RunOutcome> {
        let run = self.merged.runs.get(n)?;
        let mut sub = RunOutcome::new(run.run.clone());
        sub.retry = run.retry;
        sub.shard = run.shard;
        sub.slots = self
            .merged
            .matrix
            .iter()
            .find(|c| c.runs.contains(&n))
            .map(|c| c.slots.clone())
            .unwrap_or_default();
        for (i, s) in self.scenarios.iter().enumerate() {
            if self.merged.scenario_run.get(&i) == Some(&n) {
                if let Some(earlier) = self.attempts.get(&i) {
                    sub.attempts.insert(sub.scenarios.len(), earlier.clone());
                }
                sub.scenarios.push(s.clone());
            }
        }
        Some(sub)
    }

    /// The names of the flaky scenarios, in run order.
    pub fn flaky(&self) -> Vec<&str> {
        self.scenarios
            .iter()
            .filter(|s| s.status == ScenarioStatus::Flaky)
            .map(|s| s.name.as_str())
            .collect()
    }
}

/// `report.json`'s shape of a [`RunOutcome`]: the retry policy inside `run`, earlier
/// attempts inside their scenario. Keys appear only when a run retries, so a run without
/// `--retries` writes exactly what it always did.
mod wire {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Serialize};

    use super::{
        AttemptOutcome, Merged, MergedRun, RetryPolicy, RunInfo, RunOutcome, ScenarioOutcome,
        Shard, SlotColumn, SlotVerdict,
    };

    #[derive(Clone, Serialize, Deserialize)]
    pub struct Report {
        schema_version: u32,
        run: Run,
        /// A merged folder's runs (absent from a run's own report).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        runs: Vec<MergedRun>,
        #[serde(default)]
        slots: Vec<SlotVerdict>,
        /// A merged folder's slots per target and browser.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        matrix: Vec<SlotColumn>,
        scenarios: Vec<Scenario>,
    }

    #[derive(Clone, Serialize, Deserialize)]
    struct Run {
        #[serde(flatten)]
        info: RunInfo,
        #[serde(default, skip_serializing_if = "is_zero")]
        retries: u32,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        fail_on_flaky: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shard: Option<Shard>,
    }

    #[derive(Clone, Serialize, Deserialize)]
    struct Scenario {
        #[serde(flatten)]
        outcome: ScenarioOutcome,
        /// The earlier, failed attempts; the scenario's own fields are its last attempt.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attempts: Vec<AttemptOutcome>,
        /// In a merged folder, the run it came from (an index in `runs`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run: Option<usize>,
    }

    fn is_zero(n: &u32) -> bool {
        *n == 0
    }

    impl From<RunOutcome> for Report {
        fn from(mut r: RunOutcome) -> Report {
            let scenarios = r
                .scenarios
                .into_iter()
                .enumerate()
                .map(|(i, outcome)| Scenario {
                    outcome,
                    attempts: r.attempts.remove(&i).unwrap_or_default(),
                    run: r.merged.scenario_run.get(&i).copied(),
                })
                .collect();
            Report {
                schema_version: r.schema_version,
                run: Run {
                    info: r.run,
                    retries: r.retry.retries,
                    fail_on_flaky: r.retry.fail_on_flaky,
                    shard: r.shard,
                },
                runs: r.merged.runs,
                slots: r.slots,
                matrix: r.merged.matrix,
                scenarios,
            }
        }
    }

    impl From<Report> for RunOutcome {
        fn from(w: Report) -> RunOutcome {
            let mut attempts = BTreeMap::new();
            let mut scenario_run = BTreeMap::new();
            let scenarios = w
                .scenarios
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    if !s.attempts.is_empty() {
                        attempts.insert(i, s.attempts);
                    }
                    if let Some(run) = s.run {
                        scenario_run.insert(i, run);
                    }
                    s.outcome
                })
                .collect();
            RunOutcome {
                schema_version: w.schema_version,
                run: w.run.info,
                retry: RetryPolicy {
                    retries: w.run.retries,
                    fail_on_flaky: w.run.fail_on_flaky,
                },
                slots: w.slots,
                scenarios,
                attempts,
                shard: w.run.shard,
                merged: Merged {
                    runs: w.runs,
                    scenario_run,
                    matrix: w.matrix,
                },
            }
        }
    }
}

/// Durations as whole milliseconds in JSON.
mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step() -> StepOutcome {
        StepOutcome {
            name: "Pay".into(),
            status: StepStatus::Failed,
            started_at: "2026-01-01T00:00:00Z".parse().unwrap(),
            duration: Duration::from_millis(1234),
            screenshot: Some("scenarios/01-a/01-pay.png".into()),
            screenshot_problem: None,
            screenshots: vec![],
            location: Location {
                file: "scenarios/a.yaml".into(),
                line: 3,
                column: 5,
            },
            error: Some(StepError {
                message: "no element".into(),
                location: Location {
                    file: "scenarios/flows/pay.yaml".into(),
                    line: 7,
                    column: 9,
                },
                source_line: Some("      - click: Pay".into()),
            }),
            given: false,
            clip: ClipEvidence {
                path: Some("scenarios/01-a/01-pay.mp4".into()),
                ok: Some(true),
                problem: None,
                duration_ms: Some(1200),
                frames: Some(18),
                poster: None,
            },
            state_before: None,
            state_after: Some(serde_json::json!({"status": "active"})),
        }
    }

    #[test]
    fn a_step_serialises_to_the_report_fields_and_back() {
        let json = serde_json::to_value(step()).unwrap();
        assert_eq!(json["status"], "failed");
        assert_eq!(json["duration_ms"], 1234);
        assert_eq!(json["file"], "scenarios/a.yaml");
        assert_eq!(json["line"], 3);
        assert_eq!(json["column"], 5);
        assert_eq!(json["error"]["file"], "scenarios/flows/pay.yaml");
        assert_eq!(json["error"]["line"], 7);
        assert_eq!(json["clip"], "scenarios/01-a/01-pay.mp4");
        assert_eq!(json["clip_ok"], true);
        assert_eq!(json["clip_frames"], 18);
        assert_eq!(json["state_after"]["status"], "active");
        let back: StepOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(back, step());
    }

    #[test]
    fn statuses_have_one_word_each() {
        assert_eq!(
            serde_json::to_value(ScenarioStatus::NotRunnable).unwrap(),
            "not_runnable"
        );
        assert_eq!(ScenarioStatus::NotRunnable.as_str(), "not_runnable");
        assert_eq!(
            RunStatus::from(Verdict::Interrupted).as_str(),
            "interrupted"
        );
        assert_eq!(
            serde_json::to_value(SlotStatus::Unverified).unwrap(),
            "unverified"
        );
        assert!(SlotStatus::Failed > SlotStatus::Unverified);
        assert!(SlotStatus::Unverified > SlotStatus::Verified);
        assert!(!ScenarioStatus::NotRunnable.is_failure());
        assert!(ScenarioStatus::Pending.is_failure());
    }
}
