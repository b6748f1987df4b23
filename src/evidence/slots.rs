//! Slot verdicts: for each of the six evidence slots, whether the run proves it.
//!
//! Rules (also in `recordings/README.md`):
//! - **missing**: no scenario in the run covers the slot.
//! - **not_runnable**: every covering scenario's `targets:` exclude the run's target, so
//!   none ran (nothing is faked); any scenario that did run decides instead.
//! - **failed**: a covering scenario failed, was interrupted or did not finish.
//! - **unverified**: the scenario passed but its evidence is incomplete: a step without a
//!   screenshot file, without a clip (e.g. `--video off`, or `retain-on-failure`, which
//!   drops the clips of passing scenarios), a clip whose file is gone, or a clip that failed
//!   (or never had) its playability check. It passed, but the report cannot show it.
//! - **verified**: every step of the scenario passed, and every step has a screenshot and a
//!   clip that exist and a clip check that passed. A scenario that passed only on a retry
//!   (`flaky`) is judged by its last attempt and its slot carries `flaky: true`, with the
//!   failed attempts in the reason.
//!
//! With several scenarios for one slot, the worst verdict wins (failed > unverified >
//! verified) and names the scenario that decided it. All six slots always appear, in
//! journey order.

use crate::outcome::{
    AttemptOutcome, RunOutcome, ScenarioOutcome, ScenarioStatus, SlotStatus, SlotVerdict,
    StepStatus,
};
use crate::scenario::SLOT_IDS;

use SlotStatus::{Failed as FAILED, Missing as MISSING, NotRunnable as NOT_RUNNABLE};
use SlotStatus::{Unverified as UNVERIFIED, Verified as VERIFIED};

/// What the slot's clip must show (from the product's billing status report).
pub fn slot_title(id: &str) -> &'static str {
    match id {
        "new-user-to-checkout" => {
            "A new user opens Billing and starts Polar checkout for the right product and seats"
        }
        "checkout-return-to-active" => {
            "Purchase completes, the browser returns to the app and the entitlement becomes active"
        }
        "continue-using" => {
            "After purchase a real turn is submitted and answered under the active entitlement"
        }
        "portal-cancellation" => {
            "The customer portal cancels at period end; the product shows canceling, access stays"
        }
        "payment-recovery" => {
            "Past due / revoked blocks access (HTTP 402, billing opens); paying again restores it"
        }
        "production-smoke" => {
            "The production configuration verifier passes and the billing UI renders"
        }
        _ => "",
    }
}

/// The verdict of every slot. `artifact_ok(path)` says whether a file named in the report
/// (relative to the run folder) exists and is non-empty; it is the only outside knowledge.
pub fn slot_verdicts(report: &RunOutcome, artifact_ok: &dyn Fn(&str) -> bool) -> Vec<SlotVerdict> {
    SLOT_IDS
        .iter()
        .map(|id| {
            let covering: Vec<(usize, &ScenarioOutcome)> = report
                .scenarios
                .iter()
                .enumerate()
                .filter(|(_, s)| s.slot.as_deref() == Some(*id))
                .collect();
            let mut best: Option<SlotVerdict> = None;
            // Scenarios that could not run on this target do not decide the slot, unless
            // none of its scenarios could.
            let runnable: Vec<(usize, &ScenarioOutcome)> = covering
                .iter()
                .copied()
                .filter(|(_, s)| s.status != ScenarioStatus::NotRunnable)
                .collect();
            if runnable.is_empty() {
                if let Some((index, scenario)) = covering.first() {
                    return SlotVerdict {
                        id: id.to_string(),
                        status: NOT_RUNNABLE,
                        reason: format!("not runnable on target {}", report.run.target),
                        scenario: Some(scenario.name.clone()),
                        scenario_index: Some(*index),
                        clip: None,
                        flaky: false,
                    };
                }
            }
            let covering = runnable;
            for (index, scenario) in &covering {
                let (status, mut reason) = scenario_verdict(report, scenario, artifact_ok);
                let flaky = scenario.status == ScenarioStatus::Flaky;
                if flaky {
                    reason = format!("{reason}; {}", flaky_reason(report.attempts_of(*index)));
                }
                let candidate = SlotVerdict {
                    id: id.to_string(),
                    status,
                    reason,
                    scenario: Some(scenario.name.clone()),
                    scenario_index: Some(*index),
                    clip: slot_clip(scenario, artifact_ok),
                    flaky,
                };
                // The worst decides; between equals, a flaky one (so the flag shows).
                let worse = |b: &SlotVerdict| {
                    candidate.status > b.status
                        || (candidate.status == b.status && flaky && !b.flaky)
                };
                if best.as_ref().is_none_or(worse) {
                    best = Some(candidate);
                }
            }
            match best {
                Some(mut slot) => {
                    if covering.len() > 1 {
                        slot.reason = format!(
                            "{} ({} scenarios cover this slot; the worst decides)",
                            slot.reason,
                            covering.len()
                        );
                    }
                    slot
                }
                None => SlotVerdict {
                    id: id.to_string(),
                    status: MISSING,
                    reason: "no scenario in this run covers this slot".into(),
                    scenario: None,
                    scenario_index: None,
                    clip: None,
                    flaky: false,
                },
            }
        })
        .collect()
}

/// `flaky: passed on attempt 2 of 2; attempt 1 failed: …` for a scenario whose earlier
/// attempts are `earlier`.
pub fn flaky_reason(earlier: &[AttemptOutcome]) -> String {
    let last = earlier.len() + 1;
    let failed = earlier
        .iter()
        .map(|a| format!("attempt {} failed: {}", a.attempt, a.reason))
        .collect::<Vec<_>>()
        .join("; ");
    format!("flaky: passed on attempt {last} of {last}; {failed}")
}

/// The scenario's video if its file exists, else the clip of its last step that has one.
fn slot_clip(scenario: &ScenarioOutcome, artifact_ok: &dyn Fn(&str) -> bool) -> Option<String> {
    if let Some(v) = scenario.video.as_deref().filter(|v| artifact_ok(v)) {
        return Some(v.to_string());
    }
    scenario
        .steps
        .iter()
        .rev()
        .filter_map(|s| s.clip.path.as_deref())
        .find(|c| artifact_ok(c))
        .map(str::to_string)
}

fn scenario_verdict(
    report: &RunOutcome,
    scenario: &ScenarioOutcome,
    artifact_ok: &dyn Fn(&str) -> bool,
) -> (SlotStatus, String) {
    match scenario.status {
        // A flaky scenario's last attempt passed: its evidence decides as a pass's would.
        ScenarioStatus::Passed | ScenarioStatus::Flaky => {}
        ScenarioStatus::Failed | ScenarioStatus::Interrupted => {
            let culprit =
                scenario.steps.iter().enumerate().find(|(_, s)| {
                    matches!(s.status, StepStatus::Failed | StepStatus::Interrupted)
                });
            let reason = match culprit {
                Some((i, step)) => {
                    let what = step
                        .error
                        .as_ref()
                        .and_then(|e| e.message.lines().next())
                        .unwrap_or("no message");
                    format!(
                        "step {} “{}” {}: {what}",
                        i + 1,
                        step.name,
                        if step.status == StepStatus::Interrupted {
                            "was interrupted"
                        } else {
                            "failed"
                        }
                    )
                }
                None => format!("the scenario {}", scenario.status.as_str()),
            };
            return (FAILED, reason);
        }
        other => {
            return (
                FAILED,
                format!("the scenario did not finish ({})", other.as_str()),
            )
        }
    }
    if scenario.steps.is_empty() {
        return (UNVERIFIED, "the scenario has no steps to show".into());
    }
    for (i, step) in scenario.steps.iter().enumerate() {
        let n = i + 1;
        if step.status != StepStatus::Passed {
            return (FAILED, format!("step {n} “{}” did not pass", step.name));
        }
        match step.screenshot.as_deref() {
            Some(p) if artifact_ok(p) => {}
            Some(p) => {
                return (
                    UNVERIFIED,
                    format!("the screenshot of step {n} is missing ({p})"),
                )
            }
            None => {
                let why = match &step.screenshot_problem {
                    Some(problem) => format!(": {problem}"),
                    None => String::new(),
                };
                return (UNVERIFIED, format!("step {n} has no screenshot{why}"));
            }
        }
        match step.clip.path.as_deref() {
            None if report.run.video == "off" || report.run.video.is_empty() => {
                return (
                    UNVERIFIED,
                    "passed, but video was off: no clips to verify".into(),
                )
            }
            None => return (UNVERIFIED, format!("step {n} has no clip")),
            Some(p) if !artifact_ok(p) => {
                return (UNVERIFIED, format!("the clip of step {n} is missing ({p})"))
            }
            Some(_) => {}
        }
        match step.clip.ok {
            Some(true) => {}
            Some(false) => {
                return (
                    UNVERIFIED,
                    format!(
                        "the clip of step {n} failed its check: {}",
                        step.clip.problem.as_deref().unwrap_or("no detail")
                    ),
                )
            }
            None => return (UNVERIFIED, format!("the clip of step {n} was not checked")),
        }
    }
    (
        VERIFIED,
        format!(
            "all {} steps passed with screenshots and checked clips",
            scenario.steps.len()
        ),
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::outcome::{BrowserInfo, ClipEvidence, RunInfo, RunStatus, StepOutcome};
    use crate::scenario::Location;
    use chrono::{TimeZone, Utc};

    pub(crate) fn step(
        name: &str,
        status: StepStatus,
        shot: &str,
        clip: Option<&str>,
    ) -> StepOutcome {
        StepOutcome {
            name: name.into(),
            status,
            started_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            duration: std::time::Duration::from_millis(1200),
            screenshot: Some(shot.into()),
            screenshot_problem: None,
            screenshots: Vec::new(),
            location: Location {
                file: "scenarios/a.yaml".into(),
                line: 4,
                column: 5,
            },
            error: None,
            clip: ClipEvidence {
                path: clip.map(str::to_string),
                ok: clip.map(|_| true),
                ..ClipEvidence::default()
            },
            state_before: None,
            state_after: None,
            given: false,
        }
    }

    pub(crate) fn scenario(
        name: &str,
        slot: &str,
        status: &str,
        steps: Vec<StepOutcome>,
    ) -> ScenarioOutcome {
        ScenarioOutcome {
            name: name.into(),
            file: "scenarios/a.yaml".into(),
            slot: Some(slot.into()),
            status: serde_json::from_value(serde_json::json!(status)).unwrap(),
            started_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            duration: std::time::Duration::from_millis(2400),
            steps,
            deliveries: Vec::new(),
            video: None,
            video_problem: None,
            capture: Default::default(),
        }
    }

    pub(crate) fn report(video: &str, scenarios: Vec<ScenarioOutcome>) -> RunOutcome {
        let mut r = RunOutcome::new(RunInfo {
            id: "20260101-000000-abcdef".into(),
            started_at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
            finished_at: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 1, 0).unwrap()),
            target: "mock".into(),
            app: crate::outcome::AppInfo {
                source: "demo".into(),
                url: "http://127.0.0.1:4000/".into(),
                command: None,
                state_probe: None,
            },
            app_url: "http://127.0.0.1:4000/".into(),
            browser: BrowserInfo {
                name: "chrome".into(),
                version: "140".into(),
            },
            tool_version: "0.1.0".into(),
            status: RunStatus::Passed,
            error: None,
            video: video.into(),
            video_source: None,
        });
        r.scenarios = scenarios;
        r
    }

    fn all_exist(_: &str) -> bool {
        true
    }

    fn status_of<'a>(slots: &'a [SlotVerdict], id: &str) -> &'a SlotVerdict {
        slots.iter().find(|s| s.id == id).unwrap()
    }

    #[test]
    fn six_slots_always_appear_and_uncovered_ones_are_missing() {
        let slots = slot_verdicts(&report("on", vec![]), &all_exist);
        assert_eq!(
            slots.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            SLOT_IDS.to_vec()
        );
        assert!(slots
            .iter()
            .all(|s| s.status == MISSING && s.scenario.is_none()));
    }

    #[test]
    fn passed_with_checked_clips_is_verified() {
        let r = report(
            "on",
            vec![scenario(
                "Checkout",
                "new-user-to-checkout",
                "passed",
                vec![
                    step("a", StepStatus::Passed, "a.png", Some("a.mp4")),
                    step("b", StepStatus::Passed, "b.png", Some("b.mp4")),
                ],
            )],
        );
        let slots = slot_verdicts(&r, &all_exist);
        let s = status_of(&slots, "new-user-to-checkout");
        assert_eq!(s.status, VERIFIED, "{}", s.reason);
        assert_eq!(s.scenario.as_deref(), Some("Checkout"));
        assert_eq!(s.scenario_index, Some(0));
        assert_eq!(s.clip.as_deref(), Some("b.mp4"));
        assert_eq!(status_of(&slots, "continue-using").status, MISSING);
    }

    #[test]
    fn a_step_without_its_screenshot_says_why() {
        let mut shotless = step("b", StepStatus::Passed, "b.png", Some("b.mp4"));
        shotless.screenshot = None;
        shotless.screenshot_problem = Some("the browser did not take it: timeout".into());
        let r = report(
            "on",
            vec![scenario(
                "Checkout",
                "new-user-to-checkout",
                "passed",
                vec![
                    step("a", StepStatus::Passed, "a.png", Some("a.mp4")),
                    shotless,
                ],
            )],
        );
        let s = slot_verdicts(&r, &all_exist).remove(0);
        assert_eq!(s.status, UNVERIFIED);
        assert_eq!(
            s.reason,
            "step 2 has no screenshot: the browser did not take it: timeout"
        );
    }

    #[test]
    fn video_off_never_looks_verified() {
        let r = report(
            "off",
            vec![scenario(
                "Checkout",
                "new-user-to-checkout",
                "passed",
                vec![step("a", StepStatus::Passed, "a.png", None)],
            )],
        );
        let s = slot_verdicts(&r, &all_exist).remove(0);
        assert_eq!(s.status, UNVERIFIED);
        assert!(s.reason.contains("video was off"), "{}", s.reason);
    }

    #[test]
    fn missing_files_and_bad_clips_make_it_unverified() {
        let mut bad = step("a", StepStatus::Passed, "a.png", Some("a.mp4"));
        bad.clip.ok = Some(false);
        bad.clip.problem = Some("0.2 s of video for a 3.0 s step".into());
        let r = report(
            "on",
            vec![scenario("S", "continue-using", "passed", vec![bad])],
        );
        let s = status_of(&slot_verdicts(&r, &all_exist), "continue-using").clone();
        assert_eq!(s.status, UNVERIFIED);
        assert!(s.reason.contains("0.2 s of video"), "{}", s.reason);

        let r = report(
            "on",
            vec![scenario(
                "S",
                "continue-using",
                "passed",
                vec![step("a", StepStatus::Passed, "a.png", Some("a.mp4"))],
            )],
        );
        let no_png = |p: &str| !p.ends_with(".png");
        let s = status_of(&slot_verdicts(&r, &no_png), "continue-using").clone();
        assert_eq!(s.status, UNVERIFIED);
        assert!(
            s.reason.contains("screenshot of step 1 is missing"),
            "{}",
            s.reason
        );
        let no_mp4 = |p: &str| !p.ends_with(".mp4");
        let s = status_of(&slot_verdicts(&r, &no_mp4), "continue-using").clone();
        assert_eq!(s.status, UNVERIFIED);
        assert_eq!(s.clip, None);
    }

    #[test]
    fn a_failed_step_fails_the_slot_and_the_worst_scenario_decides() {
        let mut failing = step("Pay", StepStatus::Failed, "p.png", Some("p.mp4"));
        failing.error = Some(crate::outcome::StepError {
            message: "expected text \"active\"\nmore".into(),
            location: crate::scenario::Location {
                file: "scenarios/b.yaml".into(),
                line: 9,
                column: 7,
            },
            source_line: Some("      - expect_text: active".into()),
        });
        let r = report(
            "on",
            vec![
                scenario(
                    "Good",
                    "payment-recovery",
                    "passed",
                    vec![step("a", StepStatus::Passed, "a.png", Some("a.mp4"))],
                ),
                scenario(
                    "Bad",
                    "payment-recovery",
                    "failed",
                    vec![
                        step("ok", StepStatus::Passed, "o.png", Some("o.mp4")),
                        failing,
                        step("later", StepStatus::Skipped, "l.png", None),
                    ],
                ),
            ],
        );
        let s = status_of(&slot_verdicts(&r, &all_exist), "payment-recovery").clone();
        assert_eq!(s.status, FAILED);
        assert_eq!(s.scenario.as_deref(), Some("Bad"));
        assert_eq!(s.scenario_index, Some(1));
        assert!(
            s.reason
                .contains("step 2 “Pay” failed: expected text \"active\""),
            "{}",
            s.reason
        );
        assert!(s.reason.contains("2 scenarios"), "{}", s.reason);
    }

    #[test]
    fn a_slot_whose_only_scenario_cannot_run_here_is_not_runnable() {
        let mut r = report(
            "on",
            vec![scenario(
                "Recovery",
                "payment-recovery",
                "not_runnable",
                vec![],
            )],
        );
        r.run.target = "sandbox".into();
        let s = status_of(&slot_verdicts(&r, &all_exist), "payment-recovery").clone();
        assert_eq!(s.status, NOT_RUNNABLE);
        assert_eq!(s.reason, "not runnable on target sandbox");
        assert_eq!(s.scenario.as_deref(), Some("Recovery"));

        // A scenario of the same slot that did run decides instead.
        r.scenarios.push(scenario(
            "Recovery 2",
            "payment-recovery",
            "failed",
            vec![step("a", StepStatus::Failed, "a.png", None)],
        ));
        let s = status_of(&slot_verdicts(&r, &all_exist), "payment-recovery").clone();
        assert_eq!(s.status, FAILED, "{}", s.reason);
        assert_eq!(s.scenario.as_deref(), Some("Recovery 2"));
    }

    #[test]
    fn interrupted_and_unfinished_scenarios_fail() {
        for status in ["interrupted", "running"] {
            let r = report(
                "on",
                vec![scenario(
                    "S",
                    "production-smoke",
                    status,
                    vec![step("a", StepStatus::Passed, "a.png", Some("a.mp4"))],
                )],
            );
            let s = status_of(&slot_verdicts(&r, &all_exist), "production-smoke").clone();
            assert_eq!(s.status, FAILED, "{status}");
        }
    }
}
