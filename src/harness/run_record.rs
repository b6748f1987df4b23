//! A run's record in the temp folder, `walkthrough-run-<pid>/`: `run.json` says which process
//! owns it (pid and start time, so a reused pid is not mistaken for it) and where its run
//! folder is, and `tmp/` is the run's own temp folder (`crate::process::temp_dir`, and every
//! child's `TMPDIR`, so browser profiles, frames and the demo app's database all land
//! inside; the process's own environment is never changed). A normal end removes the
//! record. A run that finds the record of a dead run — killed outright, so it could not
//! clean up — removes what it left in the temp folder and marks its `report.json` aborted.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

const PREFIX: &str = "walkthrough-run-";

/// This run's record; removed (with its temp folder) when dropped.
pub(super) struct RunRecord {
    dir: PathBuf,
}

/// When process `pid` started (clock ticks since boot), to tell it from a later process
/// with the same pid; `None` when it is gone.
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    // Fields after the command name start at field 3 (state); starttime is field 22.
    rest.split_whitespace().nth(19)?.parse().ok()
}

impl RunRecord {
    /// Reaps the records of dead runs under `base`, then writes this run's and makes its
    /// `tmp/` the run's temp folder (`crate::process::temp_dir`, every child's `TMPDIR`). `None` when the temp folder is not writable (the
    /// run goes on without a record).
    pub fn create(base: &Path, run_folder: &Path) -> Option<RunRecord> {
        for reaped in reap_dead(base) {
            eprintln!(
                "  found a run that was killed without finishing: {} (marked aborted)",
                reaped.display()
            );
        }
        let pid = std::process::id();
        let dir = base.join(format!("{PREFIX}{pid}"));
        let tmp = dir.join("tmp");
        std::fs::create_dir_all(&tmp).ok()?;
        let folder = run_folder
            .canonicalize()
            .unwrap_or_else(|_| run_folder.to_path_buf());
        let record = json!({"pid": pid, "start_ticks": start_ticks(pid), "run_folder": folder});
        std::fs::write(dir.join("run.json"), record.to_string()).ok()?;
        // Everything temporary goes in here: the crate's files and every child's TMPDIR.
        crate::process::set_temp_dir(Some(tmp));
        Some(RunRecord { dir })
    }
}

impl Drop for RunRecord {
    fn drop(&mut self) {
        crate::process::set_temp_dir(None);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Finds the records under `base` whose process is gone, marks their run folders' reports
/// aborted and removes the records; returns those run folders.
pub(super) fn reap_dead(base: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(base) else {
        return Vec::new();
    };
    let mut reaped = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) || !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        let dir = entry.path();
        let Some(record) = std::fs::read(dir.join("run.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        else {
            continue;
        };
        let pid = record["pid"].as_u64().and_then(|p| u32::try_from(p).ok());
        let alive = pid.is_some_and(|pid| {
            start_ticks(pid).is_some_and(|t| Some(t) == record["start_ticks"].as_u64())
        });
        if alive {
            continue;
        }
        if let Some(folder) = record["run_folder"].as_str().map(PathBuf::from) {
            if mark_aborted(&folder) {
                reaped.push(folder);
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    reaped
}

/// Sets a still-running report's status to `aborted` (and its running scenarios to
/// interrupted); whether it did.
fn mark_aborted(folder: &Path) -> bool {
    let path = folder.join(crate::run_folder::RunFolder::REPORT);
    let Some(mut report) = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return false;
    };
    if report["run"]["status"] != "running" {
        return false;
    }
    report["run"]["status"] = json!("aborted");
    report["run"]["error"] = json!("the run was killed before it could finish its report");
    if let Some(scenarios) = report["scenarios"].as_array_mut() {
        for s in scenarios.iter_mut().filter(|s| s["status"] == "running") {
            s["status"] = json!("interrupted");
        }
    }
    let bytes = serde_json::to_vec_pretty(&report).unwrap_or_default();
    crate::run_folder::write_atomically(&path, &bytes).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_runs_record_is_reaped_and_its_report_marked_aborted() {
        let base = tempfile::tempdir().unwrap();
        let folder = base.path().join("out");
        std::fs::create_dir_all(&folder).unwrap();
        std::fs::write(
            folder.join("report.json"),
            r#"{"run":{"status":"running"},"scenarios":[{"status":"passed"},{"status":"running"}]}"#,
        )
        .unwrap();
        // A record whose process is gone (pid 1's start time never matches 0 ticks + 1).
        let dead = base.path().join(format!("{PREFIX}999999999"));
        std::fs::create_dir_all(dead.join("tmp/walkthrough-profile-x")).unwrap();
        std::fs::write(
            dead.join("run.json"),
            json!({"pid": 999_999_999u64, "start_ticks": 1, "run_folder": folder}).to_string(),
        )
        .unwrap();
        // A live one (this test process) is left alone.
        let me = std::process::id();
        let live = base.path().join(format!("{PREFIX}{me}x"));
        std::fs::create_dir_all(&live).unwrap();
        std::fs::write(
            live.join("run.json"),
            json!({"pid": me, "start_ticks": start_ticks(me), "run_folder": "/nowhere"})
                .to_string(),
        )
        .unwrap();
        assert_eq!(reap_dead(base.path()), vec![folder.clone()]);
        assert!(!dead.exists(), "the dead run's temp files are gone");
        assert!(live.exists(), "a live run is not touched");
        let report: Value =
            serde_json::from_slice(&std::fs::read(folder.join("report.json")).unwrap()).unwrap();
        assert_eq!(report["run"]["status"], "aborted");
        assert_eq!(report["scenarios"][0]["status"], "passed");
        assert_eq!(report["scenarios"][1]["status"], "interrupted");
        assert!(reap_dead(base.path()).is_empty(), "once");
    }
}
