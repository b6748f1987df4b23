//! `report.json`: the run outcome as a serialisable model, folded from runner events, and
//! written atomically (temp file + rename) so a reader never sees half a report.

use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::runner::{Event, Status, WebhookRecord};

/// Bumped when a field changes meaning or disappears (adding fields keeps the version).
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Passed,
    Failed,
    Interrupted,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub run: RunInfo,
    /// The six evidence slots with their verdicts (see `evidence::slots`); recomputed
    /// every time the report is written.
    #[serde(default)]
    pub slots: Vec<SlotReport>,
    pub scenarios: Vec<ScenarioReport>,
}

/// One evidence slot's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotReport {
    /// One of `scenario::SLOT_IDS`.
    pub id: String,
    /// `verified`, `unverified`, `failed` or `missing`.
    pub status: String,
    /// Why the slot has this status, in a sentence.
    pub reason: String,
    /// The covering scenario's name (the first one that decides the verdict).
    pub scenario: Option<String>,
    /// Its index in `scenarios`.
    pub scenario_index: Option<usize>,
    /// The clip that shows the slot: the scenario's video, else its last step clip.
    pub clip: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunInfo {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// `mock`, `sandbox` or `url` (an app given with `--app` and no Polar target).
    pub target: String,
    pub app_url: String,
    pub browser: BrowserInfo,
    pub tool_version: String,
    pub status: RunStatus,
    /// The video mode: `on`, `off` or `retain-on-failure`.
    #[serde(default)]
    pub video: String,
    /// Where the video came from: `screencast`, `x11grab` or `screenshots` (sampled, when
    /// the browser has no DevTools screencast); `None` with video off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_source: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BrowserInfo {
    pub name: String,
    pub version: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScenarioReport {
    pub name: String,
    pub file: String,
    pub slot: Option<String>,
    /// `running` while it runs; then passed / failed / interrupted, or `not_runnable`
    /// when its `targets:` exclude the run's target.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    pub steps: Vec<StepReport>,
    /// The scenario video (one chapter per step), relative to the run folder.
    #[serde(default)]
    pub video: Option<String>,
    /// Why the scenario video is missing, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_problem: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StepReport {
    pub name: String,
    pub status: Status,
    pub started_at: DateTime<Utc>,
    pub duration_ms: u64,
    /// Relative to the run folder.
    pub screenshot: Option<String>,
    /// Extra named screenshots taken by `screenshot:` actions.
    pub screenshots: Vec<NamedShot>,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub error: Option<ErrorReport>,
    /// A `given` step (the scenario ran on its own and set up its starting state).
    #[serde(default)]
    pub given: bool,
    /// The step's video clip, relative to the run folder (`None` when video is off, the
    /// step was skipped, or the clip could not be made — see `clip_ok`).
    #[serde(default)]
    pub clip: Option<String>,
    /// Whether the clip passed its check (ffprobe duration and decoded frames against the
    /// step's wall time, within two frame intervals); `None` when no clip was due (video
    /// off, a skipped step, or a passing scenario under `retain-on-failure`). `Some(false)`
    /// also when a clip was due but could not be made: the step's evidence is defective.
    #[serde(default)]
    pub clip_ok: Option<bool>,
    /// Why `clip_ok` is false.
    #[serde(default)]
    pub clip_problem: Option<String>,
    /// The clip's duration and decoded frame count as ffprobe measured them.
    #[serde(default)]
    pub clip_duration_ms: Option<u64>,
    #[serde(default)]
    pub clip_frames: Option<u64>,
    /// Webhook delivery attempts that finished during the step (when the target exposes them).
    #[serde(default)]
    pub webhooks: Vec<WebhookRecord>,
    /// The app's state (the workspace entitlement) before and after the step, when known.
    #[serde(default)]
    pub state_before: Option<serde_json::Value>,
    #[serde(default)]
    pub state_after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedShot {
    pub name: String,
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorReport {
    pub message: String,
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub source_line: Option<String>,
}

impl Report {
    pub fn new(run: RunInfo) -> Report {
        Report {
            schema_version: SCHEMA_VERSION,
            run,
            slots: Vec::new(),
            scenarios: Vec::new(),
        }
    }

    /// Folds one runner event into the report.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::ScenarioStarted {
                index,
                name,
                file,
                slot,
                started_at,
                ..
            } => {
                let entry = ScenarioReport {
                    name: name.clone(),
                    file: file.display().to_string(),
                    slot: slot.clone(),
                    status: "running".into(),
                    started_at: *started_at,
                    duration_ms: 0,
                    steps: Vec::new(),
                    video: None,
                    video_problem: None,
                };
                // Parallel runs (`--jobs`) may start scenario 3 before scenario 2: keep
                // every scenario at its own index, with `pending` entries in between.
                while self.scenarios.len() < *index {
                    let mut pending = entry.clone();
                    pending.name = String::new();
                    pending.file = String::new();
                    pending.slot = None;
                    pending.status = "pending".into();
                    self.scenarios.push(pending);
                }
                if *index < self.scenarios.len() {
                    self.scenarios[*index] = entry;
                } else {
                    self.scenarios.push(entry);
                }
            }
            Event::StepStarted { .. } => {}
            Event::StepFinished { scenario, step } => {
                if let Some(s) = self.scenarios.get_mut(*scenario) {
                    s.steps.push(StepReport {
                        name: step.name.clone(),
                        status: step.status,
                        started_at: step.started_at,
                        duration_ms: step.duration.as_millis() as u64,
                        screenshot: step.screenshot.clone(),
                        screenshots: step
                            .shots
                            .iter()
                            .map(|(name, path)| NamedShot {
                                name: name.clone(),
                                path: path.clone(),
                            })
                            .collect(),
                        file: step.location.file.display().to_string(),
                        line: step.location.line,
                        column: step.location.column,
                        error: step.error.as_ref().map(|e| ErrorReport {
                            message: e.message.clone(),
                            file: e.location.file.display().to_string(),
                            line: e.location.line,
                            column: e.location.column,
                            source_line: e.source_line.clone(),
                        }),
                        given: step.given,
                        clip: None,
                        clip_ok: None,
                        clip_problem: None,
                        clip_duration_ms: None,
                        clip_frames: None,
                        webhooks: step.observation.webhooks.clone(),
                        state_before: step.observation.state_before.clone(),
                        state_after: step.observation.state_after.clone(),
                    });
                }
            }
            Event::StepClip {
                scenario,
                index,
                clip,
            } => {
                let step = self
                    .scenarios
                    .get_mut(*scenario)
                    .and_then(|s| s.steps.get_mut(*index));
                if let Some(step) = step {
                    step.clip = clip.path.clone();
                    step.clip_ok = Some(clip.ok);
                    step.clip_problem = clip.problem.clone();
                    step.clip_duration_ms = clip.duration_ms;
                    step.clip_frames = clip.frames;
                }
            }
            Event::ScenarioVideo {
                index,
                video,
                problem,
            } => {
                if let Some(s) = self.scenarios.get_mut(*index) {
                    s.video = video.clone();
                    s.video_problem = problem.clone();
                }
            }
            Event::ScenarioFinished {
                index,
                status,
                duration,
            } => {
                if let Some(s) = self.scenarios.get_mut(*index) {
                    s.status = status_word(*status).into();
                    s.duration_ms = duration.as_millis() as u64;
                }
            }
        }
    }

    /// Ends the run: its status and finish time; a scenario still running is interrupted.
    pub fn finish(&mut self, status: RunStatus, at: DateTime<Utc>) {
        self.run.status = status;
        self.run.finished_at = Some(at);
        for s in &mut self.scenarios {
            if s.status == "running" {
                s.status = "interrupted".into();
            }
        }
    }
}

pub fn status_word(status: Status) -> &'static str {
    match status {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::Interrupted => "interrupted",
        Status::NotRunnable => "not_runnable",
    }
}

/// Writes `report.json` under `dir` atomically.
pub fn write_report(dir: &Path, report: &Report) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(report).map_err(io::Error::other)?;
    write_atomically(&dir.join("report.json"), &json)
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
