//! `report.json`: runner events folded into the [`RunOutcome`], written atomically so a
//! reader never sees half a report. A retry moves the scenario's steps and evidence so far
//! into its earlier attempts; clips and videos find their attempt by its number.

use std::io;

use chrono::{DateTime, Utc};

use crate::outcome::{
    AttemptOutcome, RunOutcome, RunStatus, ScenarioOutcome, ScenarioStatus, StepDelivery,
};
use crate::run_folder::RunFolder;
use crate::runner::Event;

/// Folds one runner event into the outcome.
pub fn apply(outcome: &mut RunOutcome, event: &Event) {
    match event {
        Event::ScenarioStarted {
            index,
            name,
            file,
            slot,
            started_at,
            ..
        } => {
            let entry = ScenarioOutcome {
                name: name.clone(),
                file: file.display().to_string(),
                slot: slot.clone(),
                status: ScenarioStatus::Running,
                started_at: *started_at,
                duration: std::time::Duration::ZERO,
                steps: Vec::new(),
                deliveries: Vec::new(),
                video: None,
                video_problem: None,
                capture: Default::default(),
            };
            // Parallel runs (`--jobs`) may start scenario 3 before scenario 2: keep every
            // scenario at its own index, with `pending` entries in between.
            while outcome.scenarios.len() < *index {
                outcome.scenarios.push(ScenarioOutcome {
                    name: String::new(),
                    file: String::new(),
                    slot: None,
                    status: ScenarioStatus::Pending,
                    ..entry.clone()
                });
            }
            if *index < outcome.scenarios.len() {
                outcome.scenarios[*index] = entry;
            } else {
                outcome.scenarios.push(entry);
            }
        }
        Event::StepStarted { .. } | Event::SessionLost { .. } => {}
        Event::StepFinished {
            scenario,
            index,
            step,
            webhooks,
        } => {
            if let Some(s) = outcome.scenarios.get_mut(*scenario) {
                s.steps.push(step.as_ref().clone());
                s.deliveries
                    .extend(webhooks.iter().map(|record| StepDelivery {
                        step: *index,
                        record: record.clone(),
                    }));
            }
        }
        Event::StepClip {
            scenario,
            attempt,
            index,
            clip,
        } => {
            // Clips are finished in the background: an earlier attempt's may come after
            // its scenario was retried.
            let steps = match earlier_attempt(outcome, *scenario, *attempt) {
                Some(a) => Some(&mut a.steps),
                None => outcome.scenarios.get_mut(*scenario).map(|s| &mut s.steps),
            };
            if let Some(step) = steps.and_then(|steps| steps.get_mut(*index)) {
                step.clip = clip.clone();
            }
        }
        Event::ScenarioVideo {
            index,
            attempt,
            video,
            problem,
            capture,
        } => {
            if let Some(a) = earlier_attempt(outcome, *index, *attempt) {
                a.video = video.clone();
                a.video_problem = problem.clone();
                a.capture = capture.clone();
            } else if let Some(s) = outcome.scenarios.get_mut(*index) {
                s.video = video.clone();
                s.video_problem = problem.clone();
                s.capture = capture.clone();
            }
        }
        Event::ScenarioRetry {
            index,
            attempt,
            reason,
            failed_started_at,
            failed_duration,
            ..
        } => {
            if let Some(s) = outcome.scenarios.get_mut(*index) {
                let failed = AttemptOutcome::take(
                    s,
                    attempt.saturating_sub(1),
                    reason.clone(),
                    *failed_started_at,
                    *failed_duration,
                );
                outcome.attempts.entry(*index).or_default().push(failed);
            }
        }
        Event::ScenarioFinished {
            index,
            status,
            duration,
        } => {
            if let Some(s) = outcome.scenarios.get_mut(*index) {
                s.status = *status;
                s.duration = *duration;
            }
        }
    }
}

/// Attempt `attempt` of scenario `index` when it is an earlier one, already moved to
/// [`RunOutcome::attempts`]; `None` for the scenario's current attempt.
fn earlier_attempt(
    outcome: &mut RunOutcome,
    index: usize,
    attempt: u32,
) -> Option<&mut AttemptOutcome> {
    outcome
        .attempts
        .get_mut(&index)?
        .iter_mut()
        .find(|a| a.attempt == attempt)
}

/// Ends the run: its status and finish time; a scenario still running is interrupted.
pub fn finish(outcome: &mut RunOutcome, status: RunStatus, at: DateTime<Utc>) {
    outcome.run.status = status;
    outcome.run.finished_at = Some(at);
    for s in &mut outcome.scenarios {
        if s.status == ScenarioStatus::Running {
            s.status = ScenarioStatus::Interrupted;
        }
    }
}

/// Writes `report.json` into `folder` atomically.
pub fn write_report(folder: &RunFolder, outcome: &RunOutcome) -> io::Result<()> {
    let json = serde_json::to_vec_pretty(outcome).map_err(io::Error::other)?;
    folder.write_atomically(std::path::Path::new(RunFolder::REPORT), &json)
}
