//! The project's run history, `history.jsonl`: one JSON line per finished run, so a report can
//! show each slot's story over time. Per slot: its verdict (flaky flagged), the covering
//! scenario's duration and step statuses, and its activation time — from the first webhook
//! delivery the app accepted in the step where the app's state became `active`, to the end of
//! that step (when the state was read): an upper bound of webhook-to-entitlement latency.
//! Bounded: the newest [`MAX_RUNS`] lines are kept; a line that does not parse is dropped,
//! never fatal. Pure over the (already redacted) outcome; the file is rewritten atomically.

use std::io;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::outcome::{RunOutcome, RunStatus, ScenarioOutcome, SlotStatus, StepStatus};

/// How many runs the history keeps (the oldest go first).
pub const MAX_RUNS: usize = 200;

/// One run in the history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRun {
    pub run_id: String,
    pub started_at: DateTime<Utc>,
    pub target: String,
    pub browser: String,
    pub status: RunStatus,
    pub slots: Vec<HistorySlot>,
}

/// One slot of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistorySlot {
    pub id: String,
    pub status: SlotStatus,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
    /// The covering scenario's wall time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// From the first accepted webhook to the state read `active` (see the module doc).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_ms: Option<u64>,
    #[serde(default)]
    pub steps: Vec<HistoryStep>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryStep {
    pub name: String,
    pub status: StepStatus,
    pub duration_ms: u64,
}

/// The history line of a finished run.
pub fn run_of(outcome: &RunOutcome) -> HistoryRun {
    let slots = outcome
        .slots
        .iter()
        .map(|slot| {
            let scenario = slot.scenario_index.and_then(|i| outcome.scenarios.get(i));
            HistorySlot {
                id: slot.id.clone(),
                status: slot.status,
                flaky: slot.flaky,
                duration_ms: scenario.map(ScenarioOutcome::duration_ms),
                activation_ms: scenario.and_then(activation_ms),
                steps: scenario
                    .map(|s| {
                        s.steps
                            .iter()
                            .map(|st| HistoryStep {
                                name: st.name.clone(),
                                status: st.status,
                                duration_ms: st.duration_ms(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            }
        })
        .collect();
    HistoryRun {
        run_id: outcome.run.id.clone(),
        started_at: outcome.run.started_at,
        target: outcome.run.target.clone(),
        browser: outcome.run.browser.name.clone(),
        status: outcome.run.status,
        slots,
    }
}

fn status_of(state: Option<&serde_json::Value>) -> Option<&str> {
    state?.get("status")?.as_str()
}

/// The first time the app's state turned `active`: from the first delivery the app accepted
/// since the state was last read as something else (the steps on Polar's pages read none)
/// to the end of the step that read `active`.
fn activation_ms(s: &ScenarioOutcome) -> Option<u64> {
    let mut window_start = 0;
    for (i, step) in s.steps.iter().enumerate() {
        match status_of(step.state_after.as_ref()) {
            Some("active") if i > 0 || status_of(step.state_before.as_ref()) != Some("active") => {
                let first = (window_start..=i)
                    .flat_map(|k| s.deliveries_of(k))
                    .filter(|d| d.succeeded)
                    .filter_map(|d| DateTime::parse_from_rfc3339(&d.at).ok())
                    .map(|t| t.with_timezone(&Utc))
                    .min()?;
                let end =
                    step.started_at + chrono::Duration::milliseconds(step.duration_ms() as i64);
                return u64::try_from((end - first).num_milliseconds()).ok();
            }
            Some("active") => return None,
            Some(_) => window_start = i + 1,
            None => {}
        }
    }
    None
}

/// The runs in `path`, oldest first; none when there is no file.
pub fn read(path: &Path) -> Vec<HistoryRun> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// Appends `run` to the history at `path` (made with its folder when missing), keeping the
/// newest [`MAX_RUNS`].
pub fn append(path: &Path, run: &HistoryRun) -> io::Result<()> {
    let mut runs = read(path);
    runs.push(run.clone());
    let keep = runs.len().saturating_sub(MAX_RUNS);
    let mut text = String::new();
    for r in &runs[keep..] {
        text.push_str(&serde_json::to_string(r).map_err(io::Error::other)?);
        text.push('\n');
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    crate::run_folder::write_atomically(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::tests::{report, scenario, step};
    use crate::outcome::{StepDelivery, WebhookRecord};
    use serde_json::json;

    fn delivery(step: usize, at: &str, succeeded: bool) -> StepDelivery {
        StepDelivery {
            step,
            record: WebhookRecord {
                event_id: "e".into(),
                event_type: "order.paid".into(),
                endpoint_url: "http://127.0.0.1/w".into(),
                attempt: 1,
                status_code: Some(if succeeded { 200 } else { 500 }),
                succeeded,
                error: None,
                will_retry: false,
                at: at.into(),
                latency_ms: 3,
                response_excerpt: None,
            },
        }
    }

    #[test]
    fn activation_runs_from_the_first_accepted_delivery_to_the_step_that_reads_active() {
        let mut paid = step("Pay", StepStatus::Passed, "s/01.png", Some("s/01.mp4"));
        paid.started_at = "2026-12-07T10:00:00Z".parse().unwrap();
        paid.duration = std::time::Duration::from_millis(2000);
        paid.state_before = Some(json!({"status": "none"}));
        paid.state_after = Some(json!({"status": "active"}));
        let mut s = scenario(
            "Checkout return",
            "checkout-return-to-active",
            "passed",
            vec![paid],
        );
        s.deliveries = vec![
            delivery(0, "2026-12-07T10:00:00.500Z", false),
            delivery(0, "2026-12-07T10:00:01.250Z", true),
            delivery(0, "2026-12-07T10:00:01.900Z", true),
        ];
        assert_eq!(activation_ms(&s), Some(750));
        s.steps[0].state_before = Some(json!({"status": "active"}));
        assert_eq!(activation_ms(&s), None, "no change to active");
        // Paid on Polar's page (no state read there), read active one step later.
        s.steps[0].state_before = None;
        s.steps[0].state_after = None;
        let mut back = s.steps[0].clone();
        back.started_at = "2026-12-07T10:00:02Z".parse().unwrap();
        back.duration = std::time::Duration::from_millis(500);
        back.state_after = Some(json!({"status": "active"}));
        s.steps.push(back);
        assert_eq!(activation_ms(&s), Some(1250));
    }

    #[test]
    fn the_history_keeps_the_newest_runs_and_skips_broken_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deep/history.jsonl");
        let mut run = run_of(&report("on", vec![]));
        for i in 0..MAX_RUNS + 5 {
            run.run_id = format!("run-{i}");
            append(&path, &run).unwrap();
        }
        let runs = read(&path);
        assert_eq!(runs.len(), MAX_RUNS);
        assert_eq!(runs[0].run_id, "run-5");
        assert_eq!(runs.last().unwrap().run_id, format!("run-{}", MAX_RUNS + 4));
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{not json\n");
        std::fs::write(&path, text).unwrap();
        assert_eq!(read(&path).len(), MAX_RUNS);
        assert!(read(&dir.path().join("none.jsonl")).is_empty());
    }
}
