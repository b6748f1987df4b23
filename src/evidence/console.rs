//! Progress on stderr: one concise line per finished step, a line for each retry of a
//! failed scenario, and on a terminal a live spinner naming the step that is running.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::outcome::{ScenarioStatus, StepStatus};
use crate::runner::Event;

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub struct Console {
    live: bool,
    running: Arc<Mutex<Option<(String, Instant)>>>,
    spinner: Option<JoinHandle<()>>,
    stop: Arc<Mutex<bool>>,
    /// The `targets:` of the scenario that started last, for a not-runnable line.
    targets: Vec<String>,
}

impl Console {
    /// A spinner only when stderr is a terminal and `quiet` is false.
    pub fn new(quiet: bool) -> Console {
        Console {
            live: !quiet && std::io::stderr().is_terminal(),
            running: Arc::new(Mutex::new(None)),
            spinner: None,
            stop: Arc::new(Mutex::new(false)),
            targets: Vec::new(),
        }
    }

    fn start_spinner(&mut self) {
        if !self.live || self.spinner.is_some() {
            return;
        }
        let running = self.running.clone();
        let stop = self.stop.clone();
        self.spinner = Some(std::thread::spawn(move || {
            let mut frame = 0;
            loop {
                if stop.lock().map(|s| *s).unwrap_or(true) {
                    return;
                }
                if let Ok(guard) = running.lock() {
                    if let Some((name, since)) = guard.as_ref() {
                        let mut err = std::io::stderr().lock();
                        let _ = write!(
                            err,
                            "\r\x1b[2K  {} {name}  {:.1} s",
                            FRAMES[frame % FRAMES.len()],
                            since.elapsed().as_secs_f64()
                        );
                        let _ = err.flush();
                    }
                }
                frame += 1;
                std::thread::sleep(Duration::from_millis(100));
            }
        }));
    }

    pub fn stop_spinner(&mut self) {
        if let Ok(mut s) = self.stop.lock() {
            *s = true;
        }
        if let Some(handle) = self.spinner.take() {
            let _ = handle.join();
            eprint!("\r\x1b[2K");
        }
    }

    fn set_running(&self, value: Option<(String, Instant)>) {
        if let Ok(mut guard) = self.running.lock() {
            *guard = value;
        }
        if self.live {
            // Clear the spinner line before a permanent line is printed.
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
        }
    }

    pub fn event(&mut self, event: &Event) {
        match event {
            Event::ScenarioStarted {
                name,
                file,
                steps,
                targets,
                ..
            } => {
                self.targets = targets.clone();
                eprintln!("▶ {name}  ({}, {steps} steps)", file.display());
            }
            Event::StepStarted { name, .. } => {
                self.start_spinner();
                self.set_running(Some((name.clone(), Instant::now())));
            }
            Event::StepFinished { step, webhooks, .. } => {
                let _guard = self.running.lock().map(|mut g| g.take());
                if self.live {
                    eprint!("\r\x1b[2K");
                }
                let mark = match step.status {
                    StepStatus::Passed => "✓",
                    StepStatus::Failed => "✗",
                    StepStatus::Skipped => "-",
                    StepStatus::Interrupted => "!",
                };
                let time = if step.status == StepStatus::Skipped {
                    "skipped".to_string()
                } else {
                    format_duration(step.duration)
                };
                let given = if step.given { "given: " } else { "" };
                eprintln!("  {mark} {given}{}  {time}", step.name);
                if let Some(err) = &step.error {
                    for line in err.message.lines() {
                        eprintln!("      {line}");
                    }
                    eprintln!("      at {}", err.location);
                    if let Some(src) = &err.source_line {
                        eprintln!("      | {}", src.trim_end());
                    }
                }
                // A delivery the app rejected is often the bug being hunted: say so here.
                for w in webhooks.iter().filter(|w| w.rejected()) {
                    eprintln!(
                        "      webhook {} rejected by the app: HTTP {}{}",
                        w.event_type,
                        w.status_code.unwrap_or_default(),
                        w.response_excerpt
                            .as_deref()
                            .map(|e| format!(": {e}"))
                            .unwrap_or_default()
                    );
                }
            }
            Event::StepClip { index, clip, .. } => {
                if let Some(problem) = clip.problem.as_ref().filter(|_| clip.ok != Some(true)) {
                    eprintln!("  ✗ video of step {}: {problem}", index + 1);
                }
            }
            Event::ScenarioVideo {
                problem: Some(problem),
                ..
            } => {
                eprintln!("  ✗ scenario video: {problem}");
            }
            Event::ScenarioVideo { .. } => {}
            Event::ScenarioFinished {
                status: ScenarioStatus::NotRunnable,
                ..
            } => {
                eprintln!("{}", not_runnable_line(&self.targets));
            }
            Event::ScenarioFinished {
                status, duration, ..
            } => {
                eprintln!("  = {}  {}", status.as_str(), format_duration(*duration));
            }
            Event::ScenarioRetry {
                attempt,
                attempts,
                name,
                reason,
                steps,
                ..
            } => {
                eprintln!("{}", retry_line(*attempt, *attempts, name, reason));
                eprintln!("▶ {name}  (attempt {attempt}, {steps} steps)");
            }
            Event::SessionLost { session, retired } => {
                eprintln!(
                    "  ✗ browser session {session} no longer answers (its Grid node or driver \
                     stopped); {}",
                    if *retired {
                        "the other sessions take the scenarios left"
                    } else {
                        "it was the last one: each scenario left fails at its first command"
                    }
                );
            }
        }
    }
}

/// `↻ retry 2/3 of <scenario> after: <reason>`: attempt 2 of at most 3 starts.
pub fn retry_line(attempt: u32, attempts: u32, name: &str, reason: &str) -> String {
    format!("↻ retry {attempt}/{attempts} of {name} after: {reason}")
}

/// `  - not runnable on this target (targets: mock)`; a scenario without `targets:` is not
/// runnable only on production.
pub fn not_runnable_line(targets: &[String]) -> String {
    if targets.is_empty() {
        return "  - not runnable on this target (no `targets:`: mock and sandbox only; \
                production runs only scenarios that name it)"
            .to_string();
    }
    format!(
        "  - not runnable on this target (targets: {})",
        targets.join(", ")
    )
}

impl Drop for Console {
    fn drop(&mut self) {
        self.stop_spinner();
    }
}

pub fn format_duration(d: Duration) -> String {
    format_ms(d.as_millis() as u64)
}

/// `412 ms`, `3.2 s`, `2 min 05 s`: the one duration format of console, HTML and summary.
pub fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        format!("{} min {:02} s", ms / 60_000, (ms % 60_000) / 1000)
    }
}
