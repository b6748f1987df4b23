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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::tests::{report, step};
    use crate::outcome::{ClipEvidence, StepStatus, VideoCapture};
    use std::time::Duration;

    fn started(index: usize) -> Event {
        Event::ScenarioStarted {
            index,
            name: "Checkout".into(),
            file: "scenarios/a.yaml".into(),
            slot: Some("new-user-to-checkout".into()),
            started_at: Utc::now(),
            steps: 1,
            targets: Vec::new(),
        }
    }

    fn finished(status: StepStatus) -> Event {
        Event::StepFinished {
            scenario: 0,
            index: 0,
            step: Box::new(step("Pay", status, "x.png", None)),
            webhooks: Vec::new(),
        }
    }

    fn clip(attempt: u32, path: &str) -> Event {
        Event::StepClip {
            scenario: 0,
            attempt,
            index: 0,
            clip: ClipEvidence {
                path: Some(path.into()),
                ok: Some(true),
                ..ClipEvidence::default()
            },
        }
    }

    #[test]
    fn a_retry_keeps_the_failed_attempt_and_late_clips_find_their_attempt() {
        let mut r = report("on", Vec::new());
        apply(&mut r, &started(0));
        apply(&mut r, &finished(StepStatus::Failed));
        apply(
            &mut r,
            &Event::ScenarioRetry {
                index: 0,
                attempt: 2,
                attempts: 2,
                name: "Checkout".into(),
                reason: "step 1 “Pay” failed: no element".into(),
                failed_started_at: Utc::now(),
                failed_duration: Duration::from_millis(900),
                steps: 1,
            },
        );
        apply(&mut r, &finished(StepStatus::Passed));
        // Attempt 1's clip and video are finished after the retry started.
        apply(&mut r, &clip(1, "a1.mp4"));
        apply(&mut r, &clip(2, "a2.mp4"));
        apply(
            &mut r,
            &Event::ScenarioVideo {
                index: 0,
                attempt: 1,
                video: Some("a1/scenario.mp4".into()),
                problem: None,
                capture: VideoCapture::default(),
            },
        );
        apply(
            &mut r,
            &Event::ScenarioFinished {
                index: 0,
                status: ScenarioStatus::Flaky,
                duration: Duration::from_secs(2),
            },
        );
        let s = &r.scenarios[0];
        assert_eq!(s.status, ScenarioStatus::Flaky);
        assert_eq!(s.steps.len(), 1);
        assert_eq!(s.steps[0].status, StepStatus::Passed);
        assert_eq!(s.steps[0].clip.path.as_deref(), Some("a2.mp4"));
        assert_eq!(s.video, None);
        let earlier = r.attempts_of(0);
        assert_eq!(earlier.len(), 1);
        assert_eq!(
            (earlier[0].attempt, earlier[0].status),
            (1, ScenarioStatus::Failed)
        );
        assert_eq!(earlier[0].steps[0].status, StepStatus::Failed);
        assert_eq!(earlier[0].steps[0].clip.path.as_deref(), Some("a1.mp4"));
        assert_eq!(earlier[0].video.as_deref(), Some("a1/scenario.mp4"));

        // report.json: the attempts inside their scenario, the policy inside `run`; and back.
        r.retry.retries = 1;
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["run"]["retries"], 1);
        assert!(json["run"].get("fail_on_flaky").is_none());
        assert!(json.get("attempts").is_none() && json.get("retry").is_none());
        assert_eq!(json["scenarios"][0]["status"], "flaky");
        assert_eq!(json["scenarios"][0]["attempts"][0]["attempt"], 1);
        assert_eq!(
            json["scenarios"][0]["attempts"][0]["steps"][0]["clip"],
            "a1.mp4"
        );
        let back: RunOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(back, r);
    }

    #[test]
    fn a_run_without_retries_writes_no_retry_keys() {
        let mut r = report("on", Vec::new());
        apply(&mut r, &started(0));
        apply(&mut r, &finished(StepStatus::Passed));
        let json = serde_json::to_value(&r).unwrap();
        assert!(json["run"].get("retries").is_none(), "{json:#}");
        assert!(json["scenarios"][0].get("attempts").is_none(), "{json:#}");
    }
}
