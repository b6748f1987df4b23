//! `walkthrough merge`: run folders (shards, browsers, targets, reruns) into one folder with
//! one report. Each input is first checked against its own `manifest.json` (a changed,
//! missing or added file refuses the merge, naming the folder and the file), then copied
//! whole, its manifest included, to `runs/<NN>-<target>-<browser>[-shard-I-of-N]/` (so
//! each run stays verifiable on its own and every link points at a real file). The merged
//! outcome is built from the runs' `report.json`: the runs (`runs[]`), every scenario with
//! the run it came from and its paths rebased into that run's folder, the six slots per
//! (target, browser) (`matrix[]`) and overall (`slots[]`). The usual writers render it and
//! a manifest covers the whole folder, so `walkthrough verify` passes on it.
//!
//! Slot rules (also in `recordings/README.md`):
//! - each run's verdicts are [`super::slots`]'s, computed again on its rebased report;
//! - in one (target, browser), the runs are shards or reruns: a slot is verified when a run
//!   verified it there (flagged `flaky` when another run failed it or left it unverified),
//!   else the worst verdict wins (failed > unverified > not_runnable > missing);
//! - overall, as [`super::slots`] does for the scenarios of one run: the worst of the
//!   columns that ran the slot decides (failed > unverified > verified); a column where it
//!   was missing or not runnable does not, unless no column ran it. A production smoke
//!   verified in a production run and the sandbox's slots verified in a sandbox run thus
//!   give six verified slots.
//!
//! Must not import the browser, the runner or the CLI.

use std::io;
use std::path::{Path, PathBuf};

use chrono::Utc;

use super::manifest::{self, Manifest};
use super::slots::slot_verdicts;
use crate::outcome::{
    AppInfo, BrowserInfo, Merged, MergedRun, RunInfo, RunOutcome, RunStatus, ScenarioOutcome,
    SlotColumn, SlotStatus, SlotVerdict, StepOutcome, SCHEMA_VERSION,
};
use crate::redact::Redactor;
use crate::run_folder::{FolderError, RunFolder};

/// What to merge and where.
#[derive(Debug, Clone)]
pub struct MergePlan {
    /// The run folders, in any order (the merged folder orders them itself).
    pub inputs: Vec<PathBuf>,
    pub out: PathBuf,
    /// Replace an earlier run or merge in `out`.
    pub overwrite: bool,
}

/// Why a merge was refused or could not be written.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// No folder given, the same run twice, `--out` inside an input, …
    #[error("{0}")]
    Usage(String),
    /// An input differs from its manifest: the merge is refused, naming each file.
    #[error("{} differs from its manifest, so it is not merged:\n{}", .dir.display(), problems.iter().map(|p| format!("  {}", p)).collect::<Vec<_>>().join("\n"))]
    Tampered { dir: PathBuf, problems: Vec<String> },
    /// An input cannot be merged (no manifest, no report, an unfinished run, …).
    #[error("{}: {why}", .dir.display())]
    Input { dir: PathBuf, why: String },
    #[error("{0}")]
    Folder(#[from] FolderError),
    #[error("the merged folder could not be written: {0}")]
    Write(String),
}

impl MergeError {
    /// 1 for an input that fails verification (as `walkthrough verify`), 2 for usage, 6 when
    /// the merged folder cannot be written (as `walkthrough run`).
    pub fn exit_code(&self) -> i32 {
        match self {
            MergeError::Tampered { .. } | MergeError::Input { .. } => 1,
            MergeError::Usage(_) => 2,
            MergeError::Folder(_) | MergeError::Write(_) => 6,
        }
    }
}

/// A merge that was written: its folder and the outcome its report holds.
#[derive(Debug)]
pub struct MergeReport {
    pub out: PathBuf,
    pub outcome: RunOutcome,
}

/// One input, checked and read.
struct Input {
    dir: PathBuf,
    manifest: Manifest,
    report: RunOutcome,
}

/// Checks every input, copies each into `plan.out` and writes the merged report, HTML,
/// JUnit, summary and manifest.
pub fn merge(plan: &MergePlan) -> Result<MergeReport, MergeError> {
    let mut inputs = check_inputs(plan)?;
    inputs.sort_by_key(|a| run_order(&a.report));
    let folder = RunFolder::prepare_merged(&plan.out, plan.overwrite)?;
    let write = |e: io::Error| MergeError::Write(e.to_string());
    let mut runs = Vec::new();
    for (i, input) in inputs.into_iter().enumerate() {
        let run = &input.report;
        let dir = RunFolder::merged_run_dir(
            i + 1,
            &run.run.target,
            &run.run.browser.name,
            run.shard.map(|s| (s.index, s.of)),
        );
        let mut files: Vec<String> = input
            .manifest
            .files
            .iter()
            .map(|f| f.path.clone())
            .collect();
        files.push(manifest::MANIFEST.to_string());
        folder.copy_in(&input.dir, &dir, &files).map_err(write)?;
        // What was copied is what was checked: a file changed since is refused too.
        let problems = manifest::verify(&folder.path(&dir), &input.manifest).map_err(write)?;
        if !problems.is_empty() {
            return Err(MergeError::Tampered {
                dir: input.dir,
                problems,
            });
        }
        runs.push((dir, input.report));
    }
    let id = format!("merge-{}", Utc::now().format("%Y%m%d-%H%M%S"));
    let outcome = combine(&id, runs, &|p| folder.has_artifact(p));
    let written = super::write_files(&folder, &outcome, &Redactor::new()).map_err(write)?;
    Ok(MergeReport {
        out: plan.out.clone(),
        outcome: written,
    })
}

/// Every input verified against its manifest and its report read; the refusals a merge
/// makes before it writes anything.
fn check_inputs(plan: &MergePlan) -> Result<Vec<Input>, MergeError> {
    if plan.inputs.is_empty() {
        return Err(MergeError::Usage("no run folder to merge".into()));
    }
    let out = real_path(&plan.out).map_err(|e| MergeError::Usage(e.to_string()))?;
    let mut seen: Vec<(PathBuf, String)> = Vec::new();
    let mut inputs = Vec::new();
    for dir in &plan.inputs {
        let input_error = |why: String| MergeError::Input {
            dir: dir.clone(),
            why,
        };
        let real = dir
            .canonicalize()
            .map_err(|e| input_error(format!("not a run folder: {e}")))?;
        if out.starts_with(&real) || real.starts_with(&out) {
            return Err(MergeError::Usage(format!(
                "--out {} overlaps the run folder {}; merge into a folder of its own",
                plan.out.display(),
                dir.display()
            )));
        }
        let unverifiable = |e: manifest::VerifyError| MergeError::Input {
            dir: dir.clone(),
            why: format!(
                "cannot be verified, so it is not merged: {}",
                strip_dir(&e, dir)
            ),
        };
        let manifest = manifest::read_manifest(dir).map_err(unverifiable)?;
        let problems = manifest::verify(dir, &manifest)
            .map_err(|source| manifest::VerifyError::Read {
                dir: dir.clone(),
                source,
            })
            .map_err(unverifiable)?;
        if !problems.is_empty() {
            return Err(MergeError::Tampered {
                dir: dir.clone(),
                problems,
            });
        }
        let input = read_input(dir, manifest).map_err(input_error)?;
        let id = input.report.run.id.clone();
        if let Some((other, _)) = seen.iter().find(|(_, seen_id)| *seen_id == id) {
            return Err(MergeError::Usage(format!(
                "{} and {} hold the same run ({id}); give each run once",
                other.display(),
                dir.display()
            )));
        }
        seen.push((dir.clone(), id));
        inputs.push(input);
    }
    Ok(inputs)
}

/// `path` with symlinks resolved, also when it does not exist yet (its parent's then).
fn real_path(path: &Path) -> io::Result<PathBuf> {
    let path = std::path::absolute(path)?;
    if let Ok(real) = path.canonicalize() {
        return Ok(real);
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => Ok(real_path(parent)?.join(name)),
        _ => Ok(path),
    }
}

/// `verify`'s error without the folder it names first (the merge's error names it).
fn strip_dir(e: &manifest::VerifyError, dir: &Path) -> String {
    let text = e.to_string();
    let prefix = format!("{}: ", dir.display());
    text.strip_prefix(&prefix).unwrap_or(&text).to_string()
}

/// A verified folder (with its `manifest`) and its report; refuses a report that is not a
/// finished run of this schema, or is itself a merge.
fn read_input(dir: &Path, manifest: Manifest) -> Result<Input, String> {
    let bytes = std::fs::read(dir.join(RunFolder::REPORT))
        .map_err(|e| format!("{}: {e}", RunFolder::REPORT))?;
    let version = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| format!("{}: not JSON: {e}", RunFolder::REPORT))?["schema_version"]
        .as_u64();
    if version != Some(u64::from(SCHEMA_VERSION)) {
        return Err(format!(
            "{}: schema_version {} is not {SCHEMA_VERSION}, the one this walkthrough reads",
            RunFolder::REPORT,
            version.map_or("missing".to_string(), |v| v.to_string())
        ));
    }
    let report: RunOutcome = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a walkthrough report: {e}", RunFolder::REPORT))?;
    if !report.merged.is_empty() {
        return Err("is a merged folder; merge the run folders it was made of".into());
    }
    if matches!(report.run.status, RunStatus::Running | RunStatus::Aborted) {
        return Err(format!(
            "the run did not finish (status {}), so it is not merged",
            report.run.status.as_str()
        ));
    }
    Ok(Input {
        dir: dir.to_path_buf(),
        manifest,
        report,
    })
}

/// Where Polar is, in the order a report lists targets: the mock, the sandbox, production,
/// then anything else.
fn target_rank(target: &str) -> (usize, String) {
    let rank = ["mock", "sandbox", "production", "none"]
        .iter()
        .position(|t| *t == target)
        .unwrap_or(4);
    (rank, target.to_string())
}

/// The order of the runs in a merged folder: target, browser, shard, start.
fn run_order(r: &RunOutcome) -> impl Ord {
    (
        target_rank(&r.run.target),
        r.run.browser.name.clone(),
        r.shard,
        r.run.started_at,
    )
}

/// `mock · chrome`: how the merged report names a (target, browser).
pub fn column_label(target: &str, browser: &str) -> String {
    let browser = if browser.is_empty() {
        "no browser"
    } else {
        browser
    };
    format!("{target} · {browser}")
}

/// The merged outcome of `runs` (each with its folder inside the merged one, in order):
/// pure, given `artifact_ok` over the merged folder (for the slot verdicts).
pub fn combine(
    id: &str,
    runs: Vec<(String, RunOutcome)>,
    artifact_ok: &dyn Fn(&str) -> bool,
) -> RunOutcome {
    let mut merged = Merged::default();
    let mut scenarios = Vec::new();
    let mut attempts = std::collections::BTreeMap::new();
    let mut run_slots: Vec<Vec<SlotVerdict>> = Vec::new();
    for (n, (dir, mut report)) in runs.into_iter().enumerate() {
        rebase(&mut report, &dir);
        let base = scenarios.len();
        let mut slots = slot_verdicts(&report, artifact_ok);
        for slot in &mut slots {
            slot.scenario_index = slot.scenario_index.map(|i| i + base);
        }
        run_slots.push(slots);
        for (i, earlier) in std::mem::take(&mut report.attempts) {
            attempts.insert(base + i, earlier);
        }
        for i in 0..report.scenarios.len() {
            merged.scenario_run.insert(base + i, n);
        }
        scenarios.append(&mut report.scenarios);
        merged.runs.push(MergedRun {
            dir,
            shard: report.shard,
            run: report.run,
            retry: report.retry,
        });
    }
    merged.matrix = columns(&merged.runs, &run_slots);
    let labelled: Vec<(String, &[SlotVerdict])> = merged
        .matrix
        .iter()
        .map(|c| (column_label(&c.target, &c.browser), c.slots.as_slice()))
        .collect();
    let slots = (0..crate::scenario::SLOT_IDS.len())
        .map(|k| {
            let column: Vec<(&str, &SlotVerdict)> = labelled
                .iter()
                .map(|(label, slots)| (label.as_str(), &slots[k]))
                .collect();
            combine_columns(&column)
        })
        .collect();
    let mut outcome = RunOutcome::new(merged_info(id, &merged.runs));
    outcome.retry.retries = merged
        .runs
        .iter()
        .map(|r| r.retry.retries)
        .max()
        .unwrap_or(0);
    outcome.retry.fail_on_flaky = merged.runs.iter().any(|r| r.retry.fail_on_flaky);
    outcome.slots = slots;
    outcome.scenarios = scenarios;
    outcome.attempts = attempts;
    outcome.merged = merged;
    outcome
}

/// The (target, browser) columns in run order, each with its runs' slots combined.
fn columns(runs: &[MergedRun], run_slots: &[Vec<SlotVerdict>]) -> Vec<SlotColumn> {
    let mut columns: Vec<SlotColumn> = Vec::new();
    for (n, run) in runs.iter().enumerate() {
        let (target, browser) = (&run.run.target, &run.run.browser.name);
        match columns
            .iter_mut()
            .find(|c| &c.target == target && &c.browser == browser)
        {
            Some(c) => c.runs.push(n),
            None => columns.push(SlotColumn {
                target: target.clone(),
                browser: browser.clone(),
                runs: vec![n],
                slots: Vec::new(),
            }),
        }
    }
    for c in &mut columns {
        c.slots = (0..crate::scenario::SLOT_IDS.len())
            .map(|k| {
                let of_runs: Vec<(&str, &SlotVerdict)> = c
                    .runs
                    .iter()
                    .map(|&n| (runs[n].run.id.as_str(), &run_slots[n][k]))
                    .collect();
                combine_runs(&of_runs)
            })
            .collect();
    }
    columns
}

/// One slot in one (target, browser) from its verdict in each run there (`(run id,
/// verdict)`, in run order): verified when a run verified it (flaky when another failed it
/// or left it unverified), else the worst (failed > unverified > not_runnable > missing).
pub fn combine_runs(verdicts: &[(&str, &SlotVerdict)]) -> SlotVerdict {
    let Some(first) = verdicts.first() else {
        return missing(String::new(), "no run covers this slot");
    };
    let verified = verdicts
        .iter()
        .find(|(_, v)| v.status == SlotStatus::Verified && !v.flaky)
        .or_else(|| {
            verdicts
                .iter()
                .find(|(_, v)| v.status == SlotStatus::Verified)
        });
    if let Some((_, v)) = verified {
        let mut slot = (*v).clone();
        let others: Vec<String> = verdicts
            .iter()
            .filter(|(_, o)| matches!(o.status, SlotStatus::Failed | SlotStatus::Unverified))
            .map(|(id, o)| format!("run {id}: {} ({})", o.status.as_str(), o.reason))
            .collect();
        if !others.is_empty() {
            slot.flaky = true;
            slot.reason = format!("{}; flaky: {}", slot.reason, others.join("; "));
        }
        return slot;
    }
    let worst = verdicts
        .iter()
        .fold(first, |w, v| if v.1.status > w.1.status { v } else { w });
    let mut slot = worst.1.clone();
    if slot.status == SlotStatus::Missing && verdicts.len() > 1 {
        slot.reason = format!(
            "no scenario in these {} runs covers this slot",
            verdicts.len()
        );
    }
    slot
}

/// One slot overall from its verdict in each (target, browser) (`(label, verdict)`): the
/// worst of the columns that ran it decides (failed > unverified > verified), as the worst
/// scenario does in one run; not_runnable when none ran it and one could not, else missing.
pub fn combine_columns(columns: &[(&str, &SlotVerdict)]) -> SlotVerdict {
    let ran: Vec<&(&str, &SlotVerdict)> = columns
        .iter()
        .filter(|(_, v)| {
            matches!(
                v.status,
                SlotStatus::Verified | SlotStatus::Unverified | SlotStatus::Failed
            )
        })
        .collect();
    let Some(first) = ran.first() else {
        return match columns
            .iter()
            .find(|(_, v)| v.status == SlotStatus::NotRunnable)
        {
            Some((label, v)) => SlotVerdict {
                reason: format!("{label}: {}", v.reason),
                ..(*v).clone()
            },
            None => missing(
                columns.first().map(|c| c.1.id.clone()).unwrap_or_default(),
                "no scenario in any merged run covers this slot",
            ),
        };
    };
    let worse = |v: &SlotVerdict, w: &SlotVerdict| {
        v.status > w.status || (v.status == w.status && v.flaky && !w.flaky)
    };
    let decider = ran
        .iter()
        .fold(*first, |w, v| if worse(v.1, w.1) { v } else { w });
    let mut slot = decider.1.clone();
    slot.reason = if slot.status == SlotStatus::Verified {
        let labels: Vec<&str> = ran.iter().map(|(label, _)| *label).collect();
        let flaky: Vec<&str> = ran
            .iter()
            .filter(|(_, v)| v.flaky)
            .map(|(label, _)| *label)
            .collect();
        let flaky = if flaky.is_empty() {
            String::new()
        } else {
            format!("; flaky in {}", flaky.join(", "))
        };
        format!("verified in {}{flaky}", labels.join(", "))
    } else {
        format!("{}: {}", decider.0, slot.reason)
    };
    slot.flaky = ran.iter().any(|(_, v)| v.flaky) && slot.status == SlotStatus::Verified;
    slot
}

fn missing(id: String, reason: &str) -> SlotVerdict {
    SlotVerdict {
        id,
        status: SlotStatus::Missing,
        reason: reason.into(),
        scenario: None,
        scenario_index: None,
        clip: None,
        flaky: false,
    }
}

/// Every path the report names, moved under `dir` (the run's folder in the merged one).
fn rebase(report: &mut RunOutcome, dir: &str) {
    let under = |p: &mut Option<String>| {
        if let Some(path) = p {
            *path = format!("{dir}/{path}");
        }
    };
    let steps = |steps: &mut Vec<StepOutcome>| {
        for step in steps {
            under(&mut step.screenshot);
            under(&mut step.clip.path);
            for shot in &mut step.screenshots {
                shot.path = format!("{dir}/{}", shot.path);
            }
        }
    };
    let scenario = |s: &mut ScenarioOutcome| under(&mut s.video);
    for s in &mut report.scenarios {
        scenario(s);
        steps(&mut s.steps);
    }
    for attempts in report.attempts.values_mut() {
        for a in attempts {
            under(&mut a.video);
            steps(&mut a.steps);
        }
    }
    for slot in &mut report.slots {
        under(&mut slot.clip);
    }
}

/// What the merged report says of itself: every run's targets, browsers, videos and app
/// URLs, from the first start to the last finish; failed when a run failed, interrupted
/// when one was, else passed.
fn merged_info(id: &str, runs: &[MergedRun]) -> RunInfo {
    let distinct = |get: &dyn Fn(&RunInfo) -> String| {
        let mut seen: Vec<String> = Vec::new();
        for r in runs {
            let value = get(&r.run);
            if !value.is_empty() && !seen.contains(&value) {
                seen.push(value);
            }
        }
        seen.join(", ")
    };
    let status = if runs.iter().any(|r| r.run.status == RunStatus::Failed) {
        RunStatus::Failed
    } else if runs.iter().any(|r| r.run.status == RunStatus::Interrupted) {
        RunStatus::Interrupted
    } else {
        RunStatus::Passed
    };
    let started_at = runs.iter().map(|r| r.run.started_at).min();
    let finished_at = runs.iter().map(|r| r.run.finished_at).max().flatten();
    let app_url = distinct(&|r| r.app_url.clone());
    RunInfo {
        id: id.to_string(),
        started_at: started_at.unwrap_or_else(Utc::now),
        finished_at,
        target: distinct(&|r| r.target.clone()),
        app: AppInfo {
            source: "merged".into(),
            url: app_url.clone(),
            command: None,
            state_probe: None,
        },
        app_url,
        browser: BrowserInfo {
            name: distinct(&|r| r.browser.name.clone()),
            version: String::new(),
        },
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        status,
        error: None,
        video: distinct(&|r| r.video.clone()),
        video_source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::tests::{report, scenario, step};
    use crate::outcome::{Shard, StepStatus};

    fn verdict(status: SlotStatus, reason: &str) -> SlotVerdict {
        SlotVerdict {
            id: "continue-using".into(),
            status,
            reason: reason.into(),
            scenario: None,
            scenario_index: None,
            clip: None,
            flaky: false,
        }
    }

    #[test]
    fn in_one_target_and_browser_a_run_that_verified_the_slot_decides() {
        use SlotStatus::*;
        let (m, v, f, u) = (
            verdict(Missing, "no scenario in this run covers this slot"),
            verdict(Verified, "all 3 steps passed"),
            verdict(Failed, "step 2 failed"),
            verdict(Unverified, "video was off"),
        );
        // Shards: the one that ran it decides.
        let s = combine_runs(&[("a", &m), ("b", &v), ("c", &m)]);
        assert_eq!((s.status, s.flaky), (Verified, false), "{}", s.reason);
        assert_eq!(s.reason, "all 3 steps passed");
        // A rerun that passed verifies it, flagged flaky with the run that failed it.
        let s = combine_runs(&[("a", &f), ("b", &v)]);
        assert_eq!((s.status, s.flaky), (Verified, true));
        assert_eq!(
            s.reason,
            "all 3 steps passed; flaky: run a: failed (step 2 failed)"
        );
        // Without a verified run, the worst wins.
        assert_eq!(
            combine_runs(&[("a", &u), ("b", &f), ("c", &m)]).status,
            Failed
        );
        assert_eq!(combine_runs(&[("a", &m), ("b", &u)]).status, Unverified);
        let nr = verdict(NotRunnable, "not runnable on target sandbox");
        assert_eq!(combine_runs(&[("a", &m), ("b", &nr)]).status, NotRunnable);
        let s = combine_runs(&[("a", &m), ("b", &m), ("c", &m)]);
        assert_eq!(s.status, Missing);
        assert_eq!(s.reason, "no scenario in these 3 runs covers this slot");
        assert_eq!(s.id, "continue-using");
    }

    #[test]
    fn overall_the_worst_target_and_browser_that_ran_the_slot_decides() {
        use SlotStatus::*;
        let v = verdict(Verified, "all 3 steps passed");
        let mut flaky = v.clone();
        flaky.flaky = true;
        let f = verdict(Failed, "step 2 failed");
        let m = verdict(Missing, "no scenario in this run covers this slot");
        let nr = verdict(NotRunnable, "not runnable on target production");
        let s = combine_columns(&[("mock · chrome", &v), ("mock · firefox", &flaky)]);
        assert_eq!((s.status, s.flaky), (Verified, true));
        assert_eq!(
            s.reason,
            "verified in mock · chrome, mock · firefox; flaky in mock · firefox"
        );
        let s = combine_columns(&[("mock · chrome", &v), ("mock · firefox", &f)]);
        assert_eq!(s.status, Failed);
        assert_eq!(s.reason, "mock · firefox: step 2 failed");
        // A sandbox run and a production run: each slot verified where it ran.
        let s = combine_columns(&[("sandbox · chrome", &m), ("production · chrome", &v)]);
        assert_eq!(s.status, Verified, "{}", s.reason);
        assert_eq!(s.reason, "verified in production · chrome");
        let s = combine_columns(&[("sandbox · chrome", &v), ("production · chrome", &nr)]);
        assert_eq!(s.status, Verified, "{}", s.reason);
        // Never dropped: not runnable, or missing, when no column ran it.
        let s = combine_columns(&[("a", &m), ("b", &nr)]);
        assert_eq!(s.status, NotRunnable);
        assert_eq!(s.reason, "b: not runnable on target production");
        let s = combine_columns(&[("a", &m), ("b", &m)]);
        assert_eq!((s.status, s.id.as_str()), (Missing, "continue-using"));
    }

    /// A run of `browser` (shard `shard` of 2) whose one scenario covers `slot`.
    fn shard_run(browser: &str, shard: usize, slot: &str, status: &str) -> RunOutcome {
        let steps = vec![step(
            "Open",
            if status == "failed" {
                StepStatus::Failed
            } else {
                StepStatus::Passed
            },
            "scenarios/01-s/01-open.png",
            Some("scenarios/01-s/01-open.mp4"),
        )];
        let mut r = report("on", vec![scenario("S", slot, status, steps)]);
        r.run.browser.name = browser.into();
        r.run.id = format!("{browser}-{shard}");
        r.shard = Some(Shard {
            index: shard,
            of: 2,
        });
        r
    }

    #[test]
    fn runs_combine_into_one_outcome_with_rebased_paths_and_a_column_per_browser() {
        let runs = vec![
            (
                "runs/01-mock-chrome-shard-1-of-2".to_string(),
                shard_run("chrome", 1, "new-user-to-checkout", "passed"),
            ),
            (
                "runs/02-mock-chrome-shard-2-of-2".to_string(),
                shard_run("chrome", 2, "continue-using", "passed"),
            ),
            (
                "runs/03-mock-firefox-shard-1-of-2".to_string(),
                shard_run("firefox", 1, "new-user-to-checkout", "failed"),
            ),
        ];
        let merged = combine("merge-x", runs, &|_| true);
        assert_eq!(merged.scenarios.len(), 3);
        assert_eq!(
            merged.scenarios[1].steps[0].screenshot.as_deref(),
            Some("runs/02-mock-chrome-shard-2-of-2/scenarios/01-s/01-open.png")
        );
        assert_eq!(merged.merged.scenario_run.get(&2), Some(&2));
        let columns: Vec<(&str, &str, &[usize])> = merged
            .merged
            .matrix
            .iter()
            .map(|c| (c.target.as_str(), c.browser.as_str(), c.runs.as_slice()))
            .collect();
        assert_eq!(
            columns,
            [
                ("mock", "chrome", &[0, 1][..]),
                ("mock", "firefox", &[2][..])
            ]
        );
        let status = |slots: &[SlotVerdict], id: &str| {
            slots.iter().find(|s| s.id == id).map(|s| s.status).unwrap()
        };
        let chrome = &merged.merged.matrix[0].slots;
        assert_eq!(chrome.len(), 6);
        assert_eq!(status(chrome, "new-user-to-checkout"), SlotStatus::Verified);
        assert_eq!(status(chrome, "continue-using"), SlotStatus::Verified);
        assert_eq!(status(chrome, "payment-recovery"), SlotStatus::Missing);
        // The deciding scenario is named by its index in the merged scenarios.
        let continue_using = chrome.iter().find(|s| s.id == "continue-using").unwrap();
        assert_eq!(continue_using.scenario_index, Some(1));
        assert_eq!(
            continue_using.clip.as_deref(),
            Some("runs/02-mock-chrome-shard-2-of-2/scenarios/01-s/01-open.mp4")
        );
        let firefox = &merged.merged.matrix[1].slots;
        assert_eq!(status(firefox, "new-user-to-checkout"), SlotStatus::Failed);
        // Overall: failed in Firefox fails the slot; verified in Chromium alone verifies.
        assert_eq!(
            status(&merged.slots, "new-user-to-checkout"),
            SlotStatus::Failed
        );
        assert_eq!(
            status(&merged.slots, "continue-using"),
            SlotStatus::Verified
        );
        assert_eq!(
            status(&merged.slots, "production-smoke"),
            SlotStatus::Missing
        );
        assert_eq!(merged.run.browser.name, "chrome, firefox");
        assert_eq!(merged.run.target, "mock");

        // report.json: runs, matrix and each scenario's run; and back.
        let json = serde_json::to_value(&merged).unwrap();
        assert_eq!(json["runs"][1]["dir"], "runs/02-mock-chrome-shard-2-of-2");
        assert_eq!(
            json["runs"][1]["shard"],
            serde_json::json!({"index": 2, "of": 2})
        );
        assert_eq!(json["runs"][1]["id"], "chrome-2");
        assert_eq!(json["runs"][2]["browser"]["name"], "firefox");
        assert_eq!(json["matrix"][1]["browser"], "firefox");
        assert_eq!(json["scenarios"][2]["run"], 2);
        assert_eq!(json["slots"].as_array().unwrap().len(), 6);
        let back: RunOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(back, merged);
        // A run's own report has none of these keys, and its shard in `run`.
        let json =
            serde_json::to_value(shard_run("chrome", 1, "continue-using", "passed")).unwrap();
        assert!(json.get("runs").is_none() && json.get("matrix").is_none());
        assert!(json["scenarios"][0].get("run").is_none());
        assert_eq!(json["run"]["shard"]["index"], 1);

        // Run 3 alone, as the per-run JUnit suite reads it.
        let third = merged.of_run(2).unwrap();
        assert_eq!(third.run.id, "firefox-1");
        assert_eq!(third.scenarios.len(), 1);
        assert_eq!(
            status(&third.slots, "new-user-to-checkout"),
            SlotStatus::Failed
        );
    }

    #[test]
    fn the_merged_pages_show_the_runs_and_the_slots_per_target_and_browser() {
        let runs = vec![
            (
                "runs/01-mock-chrome-shard-1-of-2".to_string(),
                shard_run("chrome", 1, "new-user-to-checkout", "passed"),
            ),
            (
                "runs/02-mock-firefox-shard-1-of-2".to_string(),
                shard_run("firefox", 1, "new-user-to-checkout", "failed"),
            ),
        ];
        let merged = combine("merge-x", runs, &|_| true);
        let html = super::super::html::render_html(&merged);
        assert_eq!(html.matches(r#"data-testid="run-row""#).count(), 2);
        assert_eq!(html.matches(r#"data-testid="slot-column""#).count(), 2);
        assert_eq!(html.matches(r#"data-testid="slot-cell""#).count(), 12);
        assert!(
            html.contains(
                r#"<a href="runs/01-mock-chrome-shard-1-of-2/index.html">mock · chrome</a>"#
            ),
            "{html}"
        );
        assert!(
            html.contains(r#"src="runs/01-mock-chrome-shard-1-of-2/scenarios/01-s/01-open.mp4""#)
        );
        assert!(html.contains(r#"<span data-testid="scenario-run">run 2, <a href="runs/02-mock-firefox-shard-1-of-2/index.html">mock · firefox · shard 1/2</a></span>"#), "{html}");
        let xml = super::super::junit::render_junit(&merged);
        assert_eq!(xml.matches("<testsuite ").count(), 2);
        assert!(xml.contains(r#"<testsuite name="mock · firefox · shard 1/2 (run firefox-1)" tests="1" failures="1""#), "{xml}");
        assert!(xml.contains(r#"<property name="dir" value="runs/02-mock-firefox-shard-1-of-2"/>"#));
        assert!(xml.contains(
            "[[ATTACHMENT|runs/01-mock-chrome-shard-1-of-2/scenarios/01-s/01-open.png]]"
        ));
        let md = super::super::summary::render_summary(&merged);
        assert!(
            md.contains("| Slot | Overall | mock · chrome | mock · firefox |\n|---|---|---|---|\n"),
            "{md}"
        );
        assert!(
            md.contains("| `new-user-to-checkout` | ❌ failed | ✅ verified | ❌ failed |"),
            "{md}"
        );
        assert!(
            md.contains("| `continue-using` | ⬜ missing | ⬜ missing | ⬜ missing |"),
            "{md}"
        );
        assert!(md.contains("| `firefox-1` | mock · firefox 140 | 1/2 | ✅ passed | `runs/02-mock-firefox-shard-1-of-2` |"), "{md}");
        // Six slot rows, each with a cell per column, none broken by its text.
        let table: Vec<&str> = md
            .lines()
            .skip_while(|l| !l.starts_with("| Slot | Overall"))
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .collect();
        assert_eq!(table.len(), 6, "{md}");
        for line in table {
            assert_eq!(line.replace("\\|", "").matches('|').count(), 5, "{line}");
        }
    }
}
