//! Sinks for runner events: console progress and the run folder's `report.json`, which is
//! rewritten after every scenario (and at the end) so a crash still leaves evidence. At the
//! end the same outcome is rendered into `index.html`, `junit.xml`, `summary.md` and
//! `manifest.json`; every file is written from a redacted copy ([`Redactor`]) and carries
//! the slot verdicts ([`slots`]). Renderers are pure over the run outcome; they never touch
//! the browser. [`merge`] combines finished run folders into one, written by the same
//! renderers ([`write_files`]).
//! Must not import the browser, the runner's internals or the CLI.

pub mod console;
pub mod history;
pub mod html;
pub mod junit;
pub mod manifest;
pub mod merge;
pub mod report;
pub mod slots;
pub mod summary;

use std::io;
use std::path::{Path, PathBuf};

use chrono::Utc;

use crate::outcome::{RetryPolicy, RunInfo, RunOutcome, RunStatus, Shard};
use crate::redact::Redactor;
use crate::run_folder::RunFolder;
use crate::runner::{Event, EventSink};

/// Folds events into the run outcome, writes it after each scenario, and shows progress.
pub struct Recorder {
    folder: RunFolder,
    outcome: RunOutcome,
    console: console::Console,
    write_error: Option<String>,
    redactor: Redactor,
    /// The project's run history, appended to when the run finishes.
    history: Option<PathBuf>,
}

impl Recorder {
    /// Writes a first `report.json` (status `running`) so the folder is never empty.
    pub fn start(folder: &RunFolder, run: RunInfo, console: console::Console) -> Recorder {
        let mut recorder = Recorder {
            folder: folder.clone(),
            outcome: RunOutcome::new(run),
            console,
            write_error: None,
            redactor: Redactor::new(),
            history: None,
        };
        recorder.flush();
        recorder
    }

    pub fn outcome(&self) -> &RunOutcome {
        &self.outcome
    }

    /// Changes what the report says of the run (the target and browser, once started) and
    /// rewrites `report.json`.
    pub fn update_run(&mut self, change: impl FnOnce(&mut RunInfo)) {
        change(&mut self.outcome.run);
        self.flush();
    }

    /// Records the run's retry policy (`--retries`, `--fail-on-flaky`) in the report.
    pub fn set_retry(&mut self, retry: RetryPolicy) {
        self.outcome.retry = retry;
        self.flush();
    }

    /// Records the run's shard (`--shard I/N`) in the report.
    pub fn set_shard(&mut self, shard: Option<Shard>) {
        self.outcome.shard = shard;
        self.flush();
    }

    /// The first error met while writing evidence, if any.
    pub fn write_error(&self) -> Option<&str> {
        self.write_error.as_deref()
    }

    /// Appends the finished run to this history file (`None`: no history).
    pub fn set_history(&mut self, path: Option<PathBuf>) {
        self.history = path;
    }

    /// The secrets to redact from every file (and the console) from now on.
    pub fn set_redactor(&mut self, redactor: Redactor) {
        self.redactor = redactor;
        self.flush();
    }

    fn note_error(&mut self, what: String) {
        if self.write_error.is_none() {
            self.write_error = Some(what);
        }
    }

    fn flush(&mut self) {
        self.outcome.slots = slots::slot_verdicts(&self.outcome, &|p| self.folder.has_artifact(p));
        let written = match self.redactor.redact_serialized(&self.outcome) {
            Some(redacted) => report::write_report(&self.folder, &redacted),
            None => Err(io::Error::other("the report could not be redacted")),
        };
        if let Err(e) = written {
            let path = self.folder.report_path();
            self.note_error(format!("cannot write {}: {e}", path.display()));
        }
    }

    /// Records the run's end and writes the final report and the other evidence files.
    pub fn finish(&mut self, status: RunStatus) {
        self.console.stop_spinner();
        report::finish(&mut self.outcome, status, Utc::now());
        self.flush();
        match write_evidence(&self.folder, &self.outcome, &self.redactor) {
            Ok(written) => {
                // The history is the project's, not the run folder's: a failure to write it
                // is said, and does not fail the run.
                if let Some(path) = &self.history {
                    if let Err(e) = history::append(path, &history::run_of(&written)) {
                        eprintln!("warning: cannot append to {}: {e}", path.display());
                    }
                }
            }
            Err(e) => {
                let dir = self.folder.root().display().to_string();
                self.note_error(format!("cannot write the report files in {dir}: {e}"));
            }
        }
    }
}

impl EventSink for Recorder {
    fn event(&mut self, event: &Event) {
        report::apply(&mut self.outcome, event);
        match event {
            // Errors and answers may quote URLs with session tokens: the console sees them
            // redacted.
            Event::StepFinished {
                scenario,
                index,
                step,
                webhooks,
            } => {
                let mut step = step.clone();
                if let Some(err) = &mut step.error {
                    err.message = self.redactor.redact(&err.message);
                    err.source_line = err.source_line.as_deref().map(|l| self.redactor.redact(l));
                }
                let webhooks = webhooks
                    .iter()
                    .map(|w| {
                        let mut w = w.clone();
                        w.response_excerpt = w.response_excerpt.map(|e| self.redactor.redact(&e));
                        w
                    })
                    .collect();
                self.console.event(&Event::StepFinished {
                    scenario: *scenario,
                    index: *index,
                    step,
                    webhooks,
                });
            }
            Event::ScenarioRetry { reason, .. } => {
                let mut event = event.clone();
                if let Event::ScenarioRetry { reason: r, .. } = &mut event {
                    *r = self.redactor.redact(reason);
                }
                self.console.event(&event);
            }
            _ => self.console.event(event),
        }
        // A run killed outright still tells which scenario it was in.
        if matches!(
            event,
            Event::ScenarioStarted { .. }
                | Event::ScenarioRetry { .. }
                | Event::ScenarioFinished { .. }
        ) {
            self.flush();
        }
    }
}

/// Writes the whole run folder's report from one outcome: computes the slot verdicts,
/// redacts, writes `report.json`, `index.html`, `junit.xml` and `summary.md`, redacts the
/// text logs under `logs/`, and last `manifest.json` over everything. Returns the redacted
/// outcome that was written.
pub fn write_evidence(
    folder: &RunFolder,
    outcome: &RunOutcome,
    redactor: &Redactor,
) -> io::Result<RunOutcome> {
    let mut full = outcome.clone();
    full.slots = slots::slot_verdicts(&full, &|p| folder.has_artifact(p));
    write_files(folder, &full, redactor)
}

/// Writes an outcome whose slot verdicts are final (a run's, or a merge's): redacts it,
/// writes `report.json`, `index.html`, `junit.xml` and `summary.md`, redacts the text logs
/// under `logs/`, and last `manifest.json` over everything. Returns the redacted outcome.
pub fn write_files(
    folder: &RunFolder,
    outcome: &RunOutcome,
    redactor: &Redactor,
) -> io::Result<RunOutcome> {
    let redacted = redactor
        .redact_serialized(outcome)
        .ok_or_else(|| io::Error::other("the report could not be redacted"))?;
    report::write_report(folder, &redacted)?;
    let files = [
        (RunFolder::HTML, html::render_html(&redacted)),
        (RunFolder::JUNIT, junit::render_junit(&redacted)),
        (RunFolder::SUMMARY, summary::render_summary(&redacted)),
    ];
    for (name, text) in files {
        folder.write_atomically(Path::new(name), text.as_bytes())?;
    }
    redact_logs(&folder.logs_dir(), redactor);
    let m = manifest::manifest(folder.root())?;
    let json = serde_json::to_vec_pretty(&m).map_err(io::Error::other)?;
    folder.write_atomically(Path::new(RunFolder::MANIFEST), &json)?;
    Ok(redacted)
}

/// Rewrites the text logs of the run (driver logs quote URLs) with secrets redacted.
fn redact_logs(dir: &Path, redactor: &Redactor) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let clean = redactor.redact(&text);
        if clean != text {
            let _ = crate::run_folder::write_atomically(&path, clean.as_bytes());
        }
    }
}
