//! Walks scenarios step by step in a browser [`Session`]: performs each action with
//! automatic waiting, evaluates expectations, takes the step's screenshot, asks the video
//! recorder for its clip and the [`Observer`] for what the product did, and emits
//! [`Event`]s carrying [`crate::outcome`] values. A failed expectation is data in the
//! outcome, never a crash. One journey in one session ([`run`]), or scenarios spread over
//! several sessions ([`parallel`]).
//! Must not import evidence writers, the testbed or the CLI; it reports only through
//! [`EventSink`].

mod actions;
mod exec;
mod http_call;
mod observe;
pub mod parallel;
mod session;
mod verify;

pub use observe::{ObserveFuture, Observer};
pub use session::Session;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

use crate::capture::video::{ScenarioVideo, VideoKey, VideoRecorder};
use crate::outcome::{
    ClipEvidence, RetryPolicy, ScenarioStatus, StepError, StepOutcome, StepStatus, Verdict,
    VideoCapture, WebhookRecord,
};
use crate::run_folder::RunFolder;
use crate::scenario::{LoadedScenarios, PolarTarget, Scenario, Step, Vars};

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
        index: usize,
        step: Box<StepOutcome>,
        /// Webhook delivery attempts that finished in the step's window.
        webhooks: Vec<WebhookRecord>,
    },
    /// A step's clip, made and checked (sent for every recorded step, before or after the
    /// scenario's `ScenarioFinished`: clips are finished in the background; never sent with
    /// `--video off`).
    StepClip {
        scenario: usize,
        /// The scenario's attempt the step belongs to (from 1; see `ScenarioRetry`).
        attempt: u32,
        index: usize,
        clip: ClipEvidence,
    },
    /// The scenario's joined video (one chapter per step), after its `StepClip`s.
    ScenarioVideo {
        index: usize,
        /// The scenario's attempt the video shows (from 1).
        attempt: u32,
        video: Option<String>,
        problem: Option<String>,
        /// The source, the frame rate it got, and why it is not the best one.
        capture: VideoCapture,
    },
    /// Attempt `attempt - 1` of the scenario failed and it runs again (`--retries`): the
    /// steps reported so far are that attempt's, the next `StepFinished`s the new one's.
    ScenarioRetry {
        index: usize,
        /// The attempt starting now (2 for the first retry).
        attempt: u32,
        /// How many attempts the scenario may have (`--retries` + 1).
        attempts: u32,
        name: String,
        /// Why the attempt before failed: its failed step's first line.
        reason: String,
        /// When the failed attempt started and how long it ran.
        failed_started_at: DateTime<Utc>,
        failed_duration: Duration,
        /// How many steps the new attempt has (its `given` steps included).
        steps: usize,
    },
    /// The scenario's final status (`flaky` when it passed on a retry) and its whole time,
    /// every attempt included.
    ScenarioFinished {
        index: usize,
        status: ScenarioStatus,
        duration: Duration,
    },
    /// Parallel session `session` (from 1) no longer answers (its Grid node or driver
    /// stopped): it takes no more scenarios when `retired`, else it was the last one.
    SessionLost { session: usize, retired: bool },
}

/// Receives runner events (console progress, report writers).
pub trait EventSink {
    fn event(&mut self, event: &Event);
}

/// What the runner needs besides the scenarios and the session.
pub struct RunContext {
    pub app_url: url::Url,
    /// The sites a visitor's cookies live on (the app, the mock's hosted pages): a scenario
    /// that starts as a new visitor forgets them.
    pub sites: Vec<url::Url>,
    pub default_timeout: Duration,
    /// Values every scenario starts with: `run.*`, `app.url`, `--var`s, the testbed's values.
    pub base_vars: Vars,
    /// Turns true on SIGINT/SIGTERM.
    pub cancel: watch::Receiver<bool>,
    /// Watches what the product did during each step (state, webhooks); `None` skips it.
    pub observer: Option<Box<dyn Observer>>,
    /// Where Polar is: a scenario whose `targets:` exclude it is reported
    /// [`ScenarioStatus::NotRunnable`]. `None` (no Polar the run knows of): only scenarios
    /// without `targets:` run.
    pub polar: Option<PolarTarget>,
    /// How often a failed scenario runs again, and whether a flaky one fails the run.
    pub retry: RetryPolicy,
}

/// The run's verdict and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunSummary {
    pub verdict: Verdict,
    pub scenarios: usize,
    /// Failed steps of every attempt (a flaky scenario's failed attempt counts).
    pub failed_steps: usize,
    /// Scenarios that passed only on a retry.
    pub flaky: usize,
}

impl RunSummary {
    /// Folds scenario statuses into the run's verdict: interrupted beats failed beats passed;
    /// a flaky scenario passes unless `fail_on_flaky`, when it fails the run like a failed
    /// step.
    pub fn from_statuses(
        statuses: impl IntoIterator<Item = ScenarioStatus>,
        scenarios: usize,
        failed_steps: usize,
        fail_on_flaky: bool,
    ) -> RunSummary {
        let mut verdict = Verdict::Passed;
        let mut flaky = 0;
        for status in statuses {
            let fails = status.is_failure() || (fail_on_flaky && status == ScenarioStatus::Flaky);
            flaky += usize::from(status == ScenarioStatus::Flaky);
            match status {
                ScenarioStatus::Interrupted => verdict = Verdict::Interrupted,
                _ if fails && verdict != Verdict::Interrupted => verdict = Verdict::Failed,
                _ => {}
            }
        }
        RunSummary {
            verdict,
            scenarios,
            failed_steps,
            flaky,
        }
    }
}

/// Where a scenario's work goes and what it reports to.
pub(crate) struct Place<'a> {
    pub folder: &'a RunFolder,
    pub sink: &'a mut dyn EventSink,
    pub failed_steps: &'a mut usize,
}

/// Runs every scenario in order in one session, as one journey: a scenario that follows
/// the passed scenario of the slot before its own skips its `given` steps.
pub async fn run(
    session: &Session,
    loaded: &LoadedScenarios,
    ctx: &RunContext,
    folder: &RunFolder,
    sink: &mut dyn EventSink,
) -> RunSummary {
    let mut failed_steps = 0;
    let mut statuses = Vec::new();
    let mut previous: Option<(Option<&str>, ScenarioStatus)> = None;
    for (index, scenario) in loaded.scenarios.iter().enumerate() {
        let with_given = needs_given(scenario, previous);
        let mut place = Place {
            folder,
            sink,
            failed_steps: &mut failed_steps,
        };
        let status = run_scenario(session, loaded, index, with_given, ctx, &mut place).await;
        previous = Some((scenario.slot.as_deref(), status));
        statuses.push(status);
        if status == ScenarioStatus::Interrupted {
            break;
        }
    }
    RunSummary::from_statuses(
        statuses,
        loaded.scenarios.len(),
        failed_steps,
        ctx.retry.fail_on_flaky,
    )
}

/// Whether a scenario must run its `given` steps: unless it directly follows, in this
/// run, the passed (or flaky: its last attempt passed) scenario of the slot before its own
/// (the journey carries the state).
pub fn needs_given(scenario: &Scenario, previous: Option<(Option<&str>, ScenarioStatus)>) -> bool {
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
        (Some((Some(prev_slot), status)), Some(before)) if status.passed() => prev_slot != before,
        _ => true,
    }
}

/// Reports a scenario the run's target cannot run: started with no steps, finished
/// [`ScenarioStatus::NotRunnable`].
fn not_runnable(index: usize, scenario: &Scenario, sink: &mut dyn EventSink) {
    sink.event(&started_event(index, scenario, 0));
    sink.event(&Event::ScenarioFinished {
        index,
        status: ScenarioStatus::NotRunnable,
        duration: Duration::ZERO,
    });
}

fn started_event(index: usize, scenario: &Scenario, steps: usize) -> Event {
    Event::ScenarioStarted {
        index,
        name: scenario.name.clone(),
        file: scenario.file.clone(),
        slot: scenario.slot.clone(),
        started_at: Utc::now(),
        steps,
        targets: scenario.targets.clone(),
    }
}

/// Runs scenario `index` (its `given` steps first when `with_given`), reporting every
/// step; returns its status. A failed attempt runs again while `ctx.retry` allows
/// ([`retry_after`]); one that passes after failing is [`ScenarioStatus::Flaky`].
pub(crate) async fn run_scenario(
    session: &Session,
    loaded: &LoadedScenarios,
    index: usize,
    with_given: bool,
    ctx: &RunContext,
    place: &mut Place<'_>,
) -> ScenarioStatus {
    let scenario = &loaded.scenarios[index];
    // On a target its `targets:` exclude, a scenario is reported, never run or faked; the
    // journey's state does not carry over it (the next scenario runs its `given` steps).
    let runnable = match ctx.polar {
        Some(polar) => scenario.runs_on(polar.as_str()),
        None => scenario.targets.is_empty(),
    };
    if !runnable {
        not_runnable(index, scenario, place.sink);
        return ScenarioStatus::NotRunnable;
    }
    let started = Instant::now();
    let attempts = ctx.retry.retries.saturating_add(1);
    place.sink.event(&started_event(
        index,
        scenario,
        steps_of(scenario, with_given),
    ));
    let mut attempt = Attempt {
        number: 1,
        of: attempts,
        with_given,
        new_visitor: with_given,
    };
    let status = loop {
        let done = run_attempt(session, loaded, index, &attempt, ctx, place).await;
        let Some(reason) = retry_after(&done, &attempt, session, ctx).await else {
            break match done.status {
                ScenarioStatus::Passed if attempt.number > 1 => ScenarioStatus::Flaky,
                status => status,
            };
        };
        // A retry starts as a new visitor from the scenario's `given` state, as when the
        // scenario runs alone.
        attempt = Attempt {
            number: attempt.number + 1,
            of: attempts,
            with_given: needs_given(scenario, None),
            new_visitor: true,
        };
        place.sink.event(&Event::ScenarioRetry {
            index,
            attempt: attempt.number,
            attempts,
            name: scenario.name.clone(),
            reason,
            failed_started_at: done.started_at,
            failed_duration: done.duration,
            steps: steps_of(scenario, attempt.with_given),
        });
    };
    place.sink.event(&Event::ScenarioFinished {
        index,
        status,
        duration: started.elapsed(),
    });
    status
}

/// How many steps a scenario's attempt reports.
fn steps_of(scenario: &Scenario, with_given: bool) -> usize {
    scenario.steps.len() + if with_given { scenario.given.len() } else { 0 }
}

/// One attempt at a scenario: which, of how many, and how it starts.
struct Attempt {
    /// From 1.
    number: u32,
    of: u32,
    /// Runs the `given` steps first.
    with_given: bool,
    /// Forgets the visitor's cookies first.
    new_visitor: bool,
}

/// How an attempt ended.
struct AttemptDone {
    status: ScenarioStatus,
    /// The first failed step's first line, when a step failed.
    reason: Option<String>,
    started_at: DateTime<Utc>,
    duration: Duration,
}

/// Why the scenario runs again, or `None` when it does not: only a failed attempt with
/// attempts left is retried; never an interrupted one, never once the run is cancelled,
/// and never on a session that no longer answers (the retry could not pass there).
async fn retry_after(
    done: &AttemptDone,
    attempt: &Attempt,
    session: &Session,
    ctx: &RunContext,
) -> Option<String> {
    if done.status != ScenarioStatus::Failed
        || attempt.number >= attempt.of
        || *ctx.cancel.borrow()
        || !session.browser.is_alive().await
    {
        return None;
    }
    Some(
        done.reason
            .clone()
            .unwrap_or_else(|| "a step failed".to_string()),
    )
}

/// Runs one attempt of scenario `index`, reporting every step, and hands its video to the
/// recorder; its files go to the attempt's folder ([`RunFolder::attempt_dir`]).
async fn run_attempt(
    session: &Session,
    loaded: &LoadedScenarios,
    index: usize,
    attempt: &Attempt,
    ctx: &RunContext,
    place: &mut Place<'_>,
) -> AttemptDone {
    let scenario = &loaded.scenarios[index];
    let started_at = Utc::now();
    let started = Instant::now();
    let given: &[Step] = if attempt.with_given {
        &scenario.given
    } else {
        &[]
    };
    // A scenario that sets up its own starting state starts as a new visitor.
    if attempt.new_visitor {
        let _ = session.browser.clear_cookies(&ctx.sites).await;
    }
    let dir = RunFolder::attempt_dir(index, &scenario.name, attempt.number);
    let mut vars = ctx.base_vars.clone();
    let mut setup_error = vars
        .extend_from_scenario(scenario)
        .err()
        .map(|message| StepError {
            message: vars.redact(&message),
            location: scenario.location.clone(),
            source_line: loaded.source_line(&scenario.location).map(str::to_string),
        });
    let mut status = ScenarioStatus::Passed;
    let mut reason = None;
    // The state a step left is the state the next one starts from: nothing acts on the page
    // in between and its webhooks have settled, so it is not read twice.
    let mut last_state: Option<Option<serde_json::Value>> = None;
    for (step_index, step) in given.iter().chain(scenario.steps.iter()).enumerate() {
        let is_given = step_index < given.len();
        let (outcome, webhooks) = if status != ScenarioStatus::Passed {
            (
                StepOutcome::skipped(&step.name, &step.location, is_given),
                Vec::new(),
            )
        } else {
            let run = StepRun {
                session,
                loaded,
                ctx,
                folder: place.folder,
                dir: &dir,
                index: step_index,
                step,
                given: is_given,
                known_state: last_state.take(),
                allow_rejected_webhooks: scenario.allow_rejected_webhooks,
            };
            place.sink.event(&Event::StepStarted {
                scenario: index,
                index: step_index,
                name: step.name.clone(),
            });
            let (outcome, webhooks) = run.execute(&mut vars, setup_error.take()).await;
            last_state = Some(outcome.state_after.clone());
            match outcome.status {
                StepStatus::Failed => {
                    *place.failed_steps += 1;
                    status = ScenarioStatus::Failed;
                    reason = outcome.error.as_ref().map(|e| {
                        let first = e.message.lines().next().unwrap_or_default();
                        format!("step {} “{}” failed: {first}", step_index + 1, step.name)
                    });
                }
                StepStatus::Interrupted => status = ScenarioStatus::Interrupted,
                _ => {}
            }
            (outcome, webhooks)
        };
        place.sink.event(&Event::StepFinished {
            scenario: index,
            index: step_index,
            step: Box::new(outcome),
            webhooks,
        });
    }
    // Another scenario, or another attempt of this one, may follow on this session.
    let more = index + 1 < loaded.scenarios.len() || attempt.number < attempt.of;
    let key = (index, attempt.number);
    let failed = status != ScenarioStatus::Passed;
    finish_video(session, key, more, &dir, &scenario.name, failed, place.sink).await;
    AttemptDone {
        status,
        reason,
        started_at,
        duration: started.elapsed(),
    }
}

/// The webhooks of a step's window that the app turned away: events with an attempt the
/// endpoint answered with a non-2xx status and no attempt it accepted in the window. `None`
/// when there are none. (Polar retries for hours; a run judges by what the step saw.)
pub(crate) fn rejected_webhooks(webhooks: &[WebhookRecord]) -> Option<String> {
    let mut turned_away: Vec<&WebhookRecord> = Vec::new();
    for w in webhooks.iter().filter(|w| w.rejected()) {
        let accepted = webhooks
            .iter()
            .any(|o| o.event_id == w.event_id && o.endpoint_url == w.endpoint_url && o.succeeded);
        let seen = turned_away
            .iter()
            .any(|o| o.event_id == w.event_id && o.endpoint_url == w.endpoint_url);
        if !accepted && !seen {
            turned_away.push(w);
        }
    }
    let first = turned_away.first()?;
    let answer = match &first.response_excerpt {
        Some(body) if !body.is_empty() => format!("{} {body}", first.status_code.unwrap_or(0)),
        _ => first.status_code.unwrap_or(0).to_string(),
    };
    let attempts = webhooks
        .iter()
        .filter(|o| o.event_id == first.event_id && o.endpoint_url == first.endpoint_url)
        .count();
    let more = match turned_away.len() - 1 {
        0 => String::new(),
        n => format!(
            " (and {n} more: {})",
            turned_away[1..]
                .iter()
                .map(|w| format!("`{}` {}", w.event_type, w.status_code.unwrap_or(0)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(format!(
        "the app rejected Polar's webhook `{}` (event {}, to {}): it answered {answer} \
         ({attempts} attempt{} in this step){more}. The step's actions passed, but the app did \
         not take what Polar sent; a scenario that expects this says \
         `allow_rejected_webhooks: true`",
        first.event_type,
        first.event_id,
        first.endpoint_url,
        if attempts == 1 { "" } else { "s" },
    ))
}

/// Hands the scenario's video to the recorder to finish in the background (the journey
/// goes on at once), then the clips and joined videos of scenarios finished by now to the
/// sink; [`finish_videos`] collects the rest at the run's end. `more`: another scenario of
/// the run, or another attempt of this one, may follow on this session.
async fn finish_video(
    session: &Session,
    key: VideoKey,
    more: bool,
    dir: &Path,
    name: &str,
    failed: bool,
    sink: &mut dyn EventSink,
) {
    let Some(video) = &session.video else {
        return;
    };
    video.finish_scenario(dir, name, failed, key, more).await;
    for (key, made) in video.take_finished().await {
        video_events(key, made, sink);
    }
}

/// Waits for every scenario video still being finished by `videos` (the sessions'
/// recorders) and hands its clips and joined video to the sink (they may follow the
/// scenario's `ScenarioFinished`).
pub async fn finish_videos(videos: &[VideoRecorder], sink: &mut dyn EventSink) {
    for video in videos {
        for (key, made) in video.wait_finished().await {
            video_events(key, made, sink);
        }
    }
}

fn video_events((index, attempt): VideoKey, made: ScenarioVideo, sink: &mut dyn EventSink) {
    for (step, clip) in made.clips {
        sink.event(&Event::StepClip {
            scenario: index,
            attempt,
            index: step,
            clip,
        });
    }
    sink.event(&Event::ScenarioVideo {
        index,
        attempt,
        video: made.video,
        problem: made.problem,
        capture: VideoCapture {
            source: made.source.map(|s| s.as_str().to_string()),
            fps: made.fps,
            note: made.note,
        },
    });
}

/// One step to execute, and where its evidence goes.
struct StepRun<'a> {
    session: &'a Session,
    loaded: &'a LoadedScenarios,
    ctx: &'a RunContext,
    folder: &'a RunFolder,
    dir: &'a Path,
    index: usize,
    step: &'a Step,
    given: bool,
    /// The app's state as the previous step of the scenario left it, when there was one.
    known_state: Option<Option<serde_json::Value>>,
    /// The scenario's `allow_rejected_webhooks`.
    allow_rejected_webhooks: bool,
}

impl StepRun<'_> {
    /// Marks the video, observes, performs the actions (or reports `setup_error`), takes
    /// the screenshot, and returns the step's outcome and the webhooks of its window.
    async fn execute(
        &self,
        vars: &mut Vars,
        setup_error: Option<StepError>,
    ) -> (StepOutcome, Vec<WebhookRecord>) {
        let browser = &self.session.browser;
        // The state is read before the step's window opens, so the window (its clock, its
        // video) holds the actions alone; webhooks are collected from here on.
        let observed_from = Utc::now();
        let state_before = match (&self.ctx.observer, self.known_state.clone()) {
            (_, Some(known)) => known,
            (Some(observer), None) => observer.before_step(browser).await,
            (None, None) => None,
        };
        if let Some(video) = &self.session.video {
            // Show the window the step acts on (a new tab or window is followed).
            if let Ok(window) = browser.window_handle().await {
                video.follow(&window).await;
            }
            video.step_started().await;
        }
        let started_at = Utc::now();
        let clock = Instant::now();
        let mut exec = exec::Exec {
            browser,
            ctx: self.ctx,
            folder: self.folder,
            vars,
            shots: Vec::new(),
            shot_dir: self.dir,
            step_index: self.index,
            step_name: &self.step.name,
        };
        let result = match setup_error {
            Some(err) => Err(exec::Failure::Failed(err.message, err.location)),
            None => exec.run_cancellable(&self.step.actions).await,
        };
        let screenshots = std::mem::take(&mut exec.shots);
        let (status, error) = self.verdict(result, vars);
        let duration = clock.elapsed();
        if let Some(video) = &self.session.video {
            video.step_finished(self.dir, self.index, &self.step.name, started_at, duration);
        }
        let (screenshot, screenshot_problem) =
            match self.screenshot(status == StepStatus::Passed).await {
                Ok(path) => (Some(path), None),
                Err(problem) => (None, Some(vars.redact(&problem))),
            };
        let (state_after, webhooks) = match &self.ctx.observer {
            Some(observer) => observer.after_step(browser, observed_from).await,
            None => (None, Vec::new()),
        };
        // No false pass: a step whose actions passed while the app turned away Polar's
        // webhooks has not shown what it claims.
        let (status, error) = match rejected_webhooks(&webhooks) {
            Some(message) if status == StepStatus::Passed && !self.allow_rejected_webhooks => (
                StepStatus::Failed,
                Some(StepError {
                    message: vars.redact(&message),
                    source_line: self
                        .loaded
                        .source_line(&self.step.location)
                        .map(str::to_string),
                    location: self.step.location.clone(),
                }),
            ),
            _ => (status, error),
        };
        let outcome = StepOutcome {
            name: self.step.name.clone(),
            status,
            started_at,
            duration,
            screenshot,
            screenshot_problem,
            screenshots,
            location: self.step.location.clone(),
            error,
            given: self.given,
            clip: ClipEvidence::default(),
            state_before,
            state_after,
        };
        (outcome, webhooks)
    }

    fn verdict(
        &self,
        result: Result<(), exec::Failure>,
        vars: &Vars,
    ) -> (StepStatus, Option<StepError>) {
        let source_line =
            |at: &crate::scenario::Location| self.loaded.source_line(at).map(str::to_string);
        match result {
            Ok(()) => (StepStatus::Passed, None),
            Err(exec::Failure::Failed(message, location)) => (
                StepStatus::Failed,
                Some(StepError {
                    message: vars.redact(&message),
                    source_line: source_line(&location),
                    location,
                }),
            ),
            Err(exec::Failure::Interrupted(location)) => (
                StepStatus::Interrupted,
                Some(StepError {
                    message: "interrupted (SIGINT/SIGTERM) during this step".into(),
                    source_line: source_line(&location),
                    location,
                }),
            ),
        }
    }

    /// Every step gets its screenshot, a failed one above all; from the top document so a
    /// failure inside an iframe still shows the whole page (a step that passed has left
    /// every frame it entered).
    async fn screenshot(&self, passed: bool) -> Result<String, String> {
        let browser = &self.session.browser;
        if !passed {
            let _ = browser.top_frame().await;
        }
        let rel = RunFolder::step_file(self.dir, self.index, &self.step.name, None, "png");
        // A navigation under way can refuse a screenshot (seen in Firefox); a moment later
        // the page is there to take.
        let mut problem = String::new();
        for attempt in 0..3 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            match browser.screenshot().await {
                Ok(png) => {
                    return self
                        .folder
                        .write(&rel, &png)
                        .map_err(|e| format!("the screenshot could not be written: {e}"))
                }
                Err(e) => problem = format!("the browser did not take it: {e}"),
            }
        }
        Err(problem)
    }
}

#[cfg(test)]
mod tests {
    use super::{rejected_webhooks, RunSummary};
    use crate::outcome::{ScenarioStatus, Verdict, WebhookRecord};

    #[test]
    fn a_flaky_scenario_passes_the_run_unless_fail_on_flaky() {
        use ScenarioStatus::{Failed, Flaky, Interrupted, NotRunnable, Passed};
        let run = |statuses: &[ScenarioStatus], strict| {
            RunSummary::from_statuses(statuses.iter().copied(), statuses.len(), 1, strict)
        };
        let lenient = run(&[Passed, Flaky, NotRunnable], false);
        assert_eq!((lenient.verdict, lenient.flaky), (Verdict::Passed, 1));
        assert_eq!(run(&[Passed, Flaky], true).verdict, Verdict::Failed);
        assert_eq!(run(&[Passed], true).verdict, Verdict::Passed);
        assert_eq!(run(&[Flaky, Failed], false).verdict, Verdict::Failed);
        assert_eq!(
            run(&[Flaky, Interrupted], true).verdict,
            Verdict::Interrupted
        );
    }

    fn attempt(event: &str, kind: &str, status: Option<u16>, body: Option<&str>) -> WebhookRecord {
        WebhookRecord {
            event_id: event.into(),
            event_type: kind.into(),
            endpoint_url: "http://127.0.0.1:9/hooks".into(),
            attempt: 1,
            status_code: status,
            succeeded: status.is_some_and(|s| (200..300).contains(&s)),
            error: status.is_none().then(|| "connection failed".to_string()),
            will_retry: false,
            at: "2026-12-07T20:00:00Z".into(),
            latency_ms: 3,
            response_excerpt: body.map(str::to_string),
        }
    }

    #[test]
    fn a_rejected_delivery_is_named_with_the_apps_answer() {
        let hooks = [
            attempt("e1", "checkout.created", Some(204), None),
            attempt(
                "e2",
                "checkout.updated",
                Some(403),
                Some("{\"error\":\"invalid_signature\"}"),
            ),
            attempt("e3", "order.paid", Some(500), None),
        ];
        let message = rejected_webhooks(&hooks).unwrap();
        assert!(message.starts_with("the app rejected Polar's webhook `checkout.updated` (event e2, to http://127.0.0.1:9/hooks): it answered 403 {\"error\":\"invalid_signature\"} (1 attempt in this step) (and 1 more: `order.paid` 500)"), "{message}");
        assert!(
            message.ends_with("`allow_rejected_webhooks: true`"),
            "{message}"
        );
    }

    #[test]
    fn accepted_retries_and_unanswered_attempts_are_not_rejections() {
        let retried = [
            attempt("e1", "checkout.updated", Some(500), None),
            attempt("e1", "checkout.updated", Some(200), None),
        ];
        assert_eq!(rejected_webhooks(&retried), None);
        // No answer at all (the app was down) is not the app turning a delivery away.
        let unanswered = [attempt("e1", "checkout.updated", None, None)];
        assert_eq!(rejected_webhooks(&unanswered), None);
        assert_eq!(rejected_webhooks(&[]), None);
    }
}
