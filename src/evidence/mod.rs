//! Sinks for runner events: console progress and the run folder's `report.json`, which is
//! rewritten after every scenario (and at the end) so a crash still leaves evidence.
//! Writers are pure over the run outcome; they never touch the browser.
//! Must not import the browser, the runner's internals or the CLI.

pub mod console;
pub mod report;

use std::path::{Path, PathBuf};

use chrono::Utc;

pub use report::{BrowserInfo, Report, RunInfo, RunStatus};

use crate::runner::{Event, EventSink};

/// Folds events into the report, writes it after each scenario, and shows progress.
pub struct Recorder {
    dir: PathBuf,
    report: Report,
    console: console::Console,
    write_error: Option<String>,
}

impl Recorder {
    /// Writes a first `report.json` (status `running`) so the folder is never empty.
    pub fn start(dir: &Path, run: RunInfo, console: console::Console) -> Recorder {
        let mut recorder = Recorder {
            dir: dir.to_path_buf(),
            report: Report::new(run),
            console,
            write_error: None,
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

    fn flush(&mut self) {
        if let Err(e) = report::write_report(&self.dir, &self.report) {
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
    }
}

impl EventSink for Recorder {
    fn event(&mut self, event: &Event) {
        self.report.apply(event);
        self.console.event(event);
        if matches!(event, Event::ScenarioFinished { .. }) {
            self.flush();
        }
    }
}
