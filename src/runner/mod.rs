//! Walks scenarios step by step: performs each action through the browser with automatic
//! waiting, evaluates expectations, asks capture for the step's screenshot, and emits
//! [`Event`]s. A failed expectation is data in the outcome, never a crash.
//! Must not import evidence writers or the CLI; it reports only through [`EventSink`].

mod actions;
mod observe;

pub use observe::{Observation, ObserveFuture, Observer, WebhookRecord};

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::browser::Browser;
use crate::capture::video::{ClipReport, VideoRecorder};
use crate::capture::ArtifactStore;
use crate::scenario::{LoadedScenarios, Location, Scenario, Vars};

/// What happened to a step, a scenario or the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    Interrupted,
    /// The scenario's `targets:` exclude the run's target: it was not run (and not faked).
    NotRunnable,
}

/// A step's failure: the message, where in the scenario it happened and that source line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub message: String,
    pub location: Location,
    pub source_line: Option<String>,
}

#[derive(Debug, Clone)]
pub struct StepResult {
    pub index: usize,
    pub name: String,
    pub location: Location,
    pub status: Status,
    pub started_at: DateTime<Utc>,
    pub duration: Duration,
    /// The step's screenshot, relative to the run folder.
    pub screenshot: Option<String>,
    /// Extra named screenshots (`screenshot:` actions): (name, relative path).
    pub shots: Vec<(String, String)>,
    pub error: Option<StepError>,
    /// A `given` step: it set up the starting state for a scenario run on its own.
    pub given: bool,
    /// The app's state before/after and the webhooks delivered, when an observer is set.
    pub observation: Box<Observation>,
}

/// Everything the runner tells its sinks, in order.
#[derive(Debug, Clone)]
pub enum Event {
    ScenarioStarted {
        index: usize,
        name: String,
        file: PathBuf,
        slot: Option<String>,
        started_at: DateTime<Utc>,
        steps: usize,
        /// The scenario's `targets:` (empty: every target).
        targets: Vec<String>,
    },
    StepStarted {
        scenario: usize,
        index: usize,
        name: String,
    },
    StepFinished {
        scenario: usize,
        step: StepResult,
    },
    /// A step's clip, made and probed (sent for every recorded step before the scenario's
    /// `ScenarioFinished`; never sent with `--video off`).
    StepClip {
        scenario: usize,
        index: usize,
        clip: ClipReport,
    },
    /// The scenario's joined video (one chapter per step), before its `ScenarioFinished`.
    ScenarioVideo {
        index: usize,
        video: Option<String>,
        problem: Option<String>,
    },
    ScenarioFinished {
        index: usize,
        status: Status,
        duration: Duration,
    },
}

/// Receives runner events (console progress, report writers).
pub trait EventSink {
    fn event(&mut self, event: &Event);
}

/// What the runner needs besides the scenarios and the browser.
pub struct RunContext {
    pub app_url: url::Url,
    pub default_timeout: Duration,
    /// Values every scenario starts with: `run.*`, `app.url`, `--var`s, target values.
    pub base_vars: Vars,
    /// Turns true on SIGINT/SIGTERM.
    pub cancel: watch::Receiver<bool>,
    /// Watches what the product did during each step (state, webhooks); `None` skips it.
    pub observer: Option<Box<dyn Observer>>,
    /// The run's video recorder; `None` with `--video off`.
    pub video: Option<VideoRecorder>,
    /// The run's target (`mock`, `sandbox`, …): a scenario whose `targets:` exclude it is
    /// reported [`Status::NotRunnable`]. Empty runs every scenario.
    pub target: String,
}

/// The run's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub status: Status,
    pub scenarios: usize,
    pub failed_steps: usize,
}

/// Runs every scenario in order in one browser session.
pub async fn run(
    browser: &Browser,
    loaded: &LoadedScenarios,
    ctx: &RunContext,
    store: &ArtifactStore,
    sink: &mut dyn EventSink,
) -> RunSummary {
    let mut status = Status::Passed;
    let mut failed_steps = 0;
    let mut previous: Option<(Option<&str>, Status)> = None;
    for (index, scenario) in loaded.scenarios.iter().enumerate() {
        let with_given = needs_given(scenario, previous);
        let scenario_status = run_scenario(
            browser,
            loaded,
            index,
            scenario,
            with_given,
            ctx,
            store,
            sink,
            &mut failed_steps,
        )
        .await;
        previous = Some((scenario.slot.as_deref(), scenario_status));
        match scenario_status {
            Status::Interrupted => {
                status = Status::Interrupted;
                break;
            }
            Status::Failed => status = Status::Failed,
            _ => {}
        }
    }
    RunSummary {
        status,
        scenarios: loaded.scenarios.len(),
        failed_steps,
    }
}

/// Whether a scenario must run its `given` steps: unless it directly follows, in this
/// run, the passed scenario of the slot before its own (the journey carries the state).
pub fn needs_given(scenario: &Scenario, previous: Option<(Option<&str>, Status)>) -> bool {
    if scenario.given.is_empty() {
        return false;
    }
    let Some(slot) = scenario.slot.as_deref() else {
        return true;
    };
    let position = crate::scenario::SLOT_IDS.iter().position(|s| *s == slot);
    let slot_before = position
        .and_then(|p| p.checked_sub(1))
        .map(|p| crate::scenario::SLOT_IDS[p]);
    match (previous, slot_before) {
        (Some((Some(prev_slot), Status::Passed)), Some(before)) => prev_slot != before,
        _ => true,
    }
}

/// Runs scenario `index` on its own in `browser` (its `given` steps included) and reports
/// through `sink`: the unit of work of parallel runs (`--jobs`) and shards.
#[allow(clippy::too_many_arguments)]
pub async fn run_alone(
    browser: &Browser,
    loaded: &LoadedScenarios,
    index: usize,
    ctx: &RunContext,
    store: &ArtifactStore,
    sink: &mut dyn EventSink,
    failed_steps: &mut usize,
) -> Status {
    let scenario = &loaded.scenarios[index];
    let with_given = needs_given(scenario, None);
    run_scenario(
        browser,
        loaded,
        index,
        scenario,
        with_given,
        ctx,
        store,
        sink,
        failed_steps,
    )
    .await
}

/// Reports a scenario the run's target cannot run: started with no steps, finished
/// [`Status::NotRunnable`].
fn not_runnable(index: usize, scenario: &Scenario, sink: &mut dyn EventSink) {
    sink.event(&Event::ScenarioStarted {
        index,
        name: scenario.name.clone(),
        file: scenario.file.clone(),
        slot: scenario.slot.clone(),
        started_at: Utc::now(),
        steps: 0,
        targets: scenario.targets.clone(),
    });
    sink.event(&Event::ScenarioFinished {
        index,
        status: Status::NotRunnable,
        duration: Duration::ZERO,
    });
}

#[allow(clippy::too_many_arguments)]
async fn run_scenario(
    browser: &Browser,
    loaded: &LoadedScenarios,
    index: usize,
    scenario: &Scenario,
    with_given: bool,
    ctx: &RunContext,
    store: &ArtifactStore,
    sink: &mut dyn EventSink,
    failed_steps: &mut usize,
) -> Status {
    // On a target its `targets:` exclude, a scenario is reported, never run or faked; the
    // journey's state does not carry over it (the next scenario runs its `given` steps).
    if !ctx.target.is_empty() && !scenario.runs_on(&ctx.target) {
        not_runnable(index, scenario, sink);
        return Status::NotRunnable;
    }
    let started = Instant::now();
    sink.event(&Event::ScenarioStarted {
        index,
        name: scenario.name.clone(),
        file: scenario.file.clone(),
        slot: scenario.slot.clone(),
        started_at: Utc::now(),
        steps: scenario.steps.len() + if with_given { scenario.given.len() } else { 0 },
        targets: scenario.targets.clone(),
    });
    // A scenario that sets up its own starting state starts as a new visitor.
    if with_given {
        let _ = browser.clear_cookies().await;
    }
    let dir = ArtifactStore::scenario_dir(index, &scenario.name);
    let mut vars = ctx.base_vars.clone();
    let mut setup_error = vars
        .extend_from_scenario(scenario)
        .err()
        .map(|message| StepError {
            message: vars.redact(&message),
            location: scenario.location.clone(),
            source_line: loaded.source_line(&scenario.location).map(str::to_string),
        });
    let mut status = Status::Passed;
    // `given` steps first (when the journey does not carry the state), then the scenario's.
    let given: &[crate::scenario::Step] = if with_given { &scenario.given } else { &[] };
    let given_count = given.len();
    for (step_index, step) in given.iter().chain(scenario.steps.iter()).enumerate() {
        let is_given = step_index < given_count;
        if status != Status::Passed {
            sink.event(&Event::StepFinished {
                scenario: index,
                step: StepResult {
                    index: step_index,
                    name: step.name.clone(),
                    location: step.location.clone(),
                    status: Status::Skipped,
                    started_at: Utc::now(),
                    duration: Duration::ZERO,
                    screenshot: None,
                    shots: Vec::new(),
                    error: None,
                    given: is_given,
                    observation: Box::default(),
                },
            });
            continue;
        }
        sink.event(&Event::StepStarted {
            scenario: index,
            index: step_index,
            name: step.name.clone(),
        });
        if let Some(video) = &ctx.video {
            // Show the window the step acts on (a new tab or window is followed).
            if let Ok(window) = browser.window_handle().await {
                video.follow(&window).await;
            }
            video.step_started().await;
        }
        let step_started_at = Utc::now();
        let state_before = match &ctx.observer {
            Some(observer) => observer.before_step(browser).await,
            None => None,
        };
        let step_clock = Instant::now();
        let mut exec = actions::Exec {
            browser,
            ctx,
            store,
            vars: &mut vars,
            shots: Vec::new(),
            shot_dir: &dir,
            step_index,
            step_name: &step.name,
        };
        let outcome = match setup_error.take() {
            Some(err) => Err(actions::Failure::Failed(err.message, err.location)),
            None => exec.run_cancellable(&step.actions).await,
        };
        let shots = std::mem::take(&mut exec.shots);
        let (step_status, error) = match outcome {
            Ok(()) => (Status::Passed, None),
            Err(actions::Failure::Failed(message, location)) => (
                Status::Failed,
                Some(StepError {
                    message: vars.redact(&message),
                    source_line: loaded.source_line(&location).map(str::to_string),
                    location,
                }),
            ),
            Err(actions::Failure::Interrupted(location)) => (
                Status::Interrupted,
                Some(StepError {
                    message: "interrupted (SIGINT/SIGTERM) during this step".into(),
                    source_line: loaded.source_line(&location).map(str::to_string),
                    location,
                }),
            ),
        };
        let duration = step_clock.elapsed();
        if let Some(video) = &ctx.video {
            video.step_finished(&dir, step_index, &step.name, step_started_at, duration);
        }
        // Every step gets its screenshot, a failed one above all; from the top document so
        // a failure inside an iframe still shows the whole page.
        let _ = browser.top_frame().await;
        let rel = ArtifactStore::step_file(&dir, step_index, &step.name, None, "png");
        let screenshot = match browser.screenshot().await {
            Ok(png) => store.write(&rel, &png).ok(),
            Err(_) => None,
        };
        let mut observation = Observation {
            state_before,
            ..Observation::default()
        };
        if let Some(observer) = &ctx.observer {
            let (state_after, webhooks) = observer.after_step(browser, step_started_at).await;
            observation.state_after = state_after;
            observation.webhooks = webhooks;
        }
        if step_status == Status::Failed {
            *failed_steps += 1;
        }
        status = step_status;
        sink.event(&Event::StepFinished {
            scenario: index,
            step: StepResult {
                index: step_index,
                name: step.name.clone(),
                location: step.location.clone(),
                status: step_status,
                started_at: step_started_at,
                duration,
                screenshot,
                shots,
                error,
                given: is_given,
                observation: Box::new(observation),
            },
        });
    }
    let duration = started.elapsed();
    if let Some(video) = &ctx.video {
        let made = video
            .finish_scenario(&dir, &scenario.name, status != Status::Passed)
            .await;
        for (step, clip) in made.clips {
            sink.event(&Event::StepClip {
                scenario: index,
                index: step,
                clip,
            });
        }
        if made.video.is_some() || made.problem.is_some() {
            sink.event(&Event::ScenarioVideo {
                index,
                video: made.video,
                problem: made.problem,
            });
        }
    }
    sink.event(&Event::ScenarioFinished {
        index,
        status,
        duration,
    });
    status
}
