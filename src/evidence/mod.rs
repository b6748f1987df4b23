//! Sinks for runner events: console progress and the run folder's `report.json`, which is
//! rewritten after every scenario (and at the end) so a crash still leaves evidence. At the
//! end the same outcome is rendered into `index.html`, `junit.xml`, `summary.md` and
//! `manifest.json`; every file is written from a redacted copy ([`Redactor`]) and carries
//! the slot verdicts ([`slots`]). Renderers are pure over the run outcome; they never touch
//! the browser.
//! Must not import the browser, the runner's internals or the CLI.

pub mod console;
pub mod html;
pub mod junit;
pub mod manifest;
pub mod redact;
pub mod report;
pub mod slots;
pub mod summary;

use std::io;
use std::path::{Path, PathBuf};

use chrono::Utc;

pub use redact::Redactor;
pub use report::{BrowserInfo, Report, RunInfo, RunStatus};

use crate::runner::{Event, EventSink};

/// Folds events into the report, writes it after each scenario, and shows progress.
pub struct Recorder {
    dir: PathBuf,
    report: Report,
    console: console::Console,
    write_error: Option<String>,
    redactor: Redactor,
}

impl Recorder {
    /// Writes a first `report.json` (status `running`) so the folder is never empty.
    pub fn start(dir: &Path, run: RunInfo, console: console::Console) -> Recorder {
        let mut recorder = Recorder {
            dir: dir.to_path_buf(),
            report: Report::new(run),
            console,
            write_error: None,
            redactor: Redactor::new(),
        };
        recorder.flush();
        recorder
    }

    pub fn report(&self) -> &Report {
        &self.report
    }

    /// The first error met while writing evidence, if any.
    pub fn write_error(&self) -> Option<&str> {
        self.write_error.as_deref()
    }

    /// The secrets to redact from every file (and the console) from now on.
    pub fn set_redactor(&mut self, redactor: Redactor) {
        self.redactor = redactor;
        self.flush();
    }

    fn flush(&mut self) {
        self.report.slots = slots::slot_verdicts(&self.report, &|p| artifact_ok(&self.dir, p));
        let redacted = self.redactor.redact_report(&self.report);
        if let Err(e) = report::write_report(&self.dir, &redacted) {
            if self.write_error.is_none() {
                self.write_error = Some(format!(
                    "cannot write {}: {e}",
                    self.dir.join("report.json").display()
                ));
            }
        }
    }

    /// Records the run's end and writes the final report.
    pub fn finish(&mut self, status: RunStatus) {
        self.console.stop_spinner();
        self.report.finish(status, Utc::now());
        self.flush();
        if let Err(e) = write_evidence(&self.dir, &self.report, &self.redactor) {
            if self.write_error.is_none() {
                self.write_error = Some(format!(
                    "cannot write the report files in {}: {e}",
                    self.dir.display()
                ));
            }
        }
    }
}

impl EventSink for Recorder {
    fn event(&mut self, event: &Event) {
        self.report.apply(event);
        match event {
            // Errors may quote URLs with session tokens: the console sees them redacted.
            Event::StepFinished { scenario, step } if step.error.is_some() => {
                let mut step = step.clone();
                if let Some(err) = &mut step.error {
                    err.message = self.redactor.redact(&err.message);
                    err.source_line = err.source_line.as_deref().map(|l| self.redactor.redact(l));
                }
                self.console.event(&Event::StepFinished {
                    scenario: *scenario,
                    step,
                });
            }
            _ => self.console.event(event),
        }
        if matches!(event, Event::ScenarioFinished { .. }) {
            self.flush();
        }
    }
}

/// Whether `relative` (a path from the report) names a non-empty file inside `dir`.
pub fn artifact_ok(dir: &Path, relative: &str) -> bool {
    let rel = Path::new(relative);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return false;
    }
    std::fs::metadata(dir.join(rel)).is_ok_and(|m| m.is_file() && m.len() > 0)
}

/// Writes the whole run folder's report from one outcome: computes the slot verdicts,
/// redacts, writes `report.json`, `index.html`, `junit.xml` and `summary.md`, redacts the
/// text logs under `logs/`, and last `manifest.json` over everything. Returns the redacted
/// report that was written.
pub fn write_evidence(dir: &Path, report: &Report, redactor: &Redactor) -> io::Result<Report> {
    let mut full = report.clone();
    full.slots = slots::slot_verdicts(&full, &|p| artifact_ok(dir, p));
    let redacted = redactor.redact_report(&full);
    report::write_report(dir, &redacted)?;
    report::write_atomically(
        &dir.join("index.html"),
        html::render_html(&redacted).as_bytes(),
    )?;
    report::write_atomically(
        &dir.join("junit.xml"),
        junit::render_junit(&redacted).as_bytes(),
    )?;
    report::write_atomically(
        &dir.join("summary.md"),
        summary::render_summary(&redacted).as_bytes(),
    )?;
    redact_logs(&dir.join("logs"), redactor);
    let m = manifest::manifest(dir)?;
    let json = serde_json::to_vec_pretty(&m).map_err(io::Error::other)?;
    report::write_atomically(&dir.join(manifest::MANIFEST), &json)?;
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
            let _ = report::write_atomically(&path, clean.as_bytes());
        }
    }
}
