//! Progress on stderr: one concise line per finished step, a line for each retry of a
//! failed scenario, and on a terminal a live spinner naming the step that is running.
//! With scenarios in parallel (`--jobs N`) every line of a scenario starts with its label
//! (`[02 checkout-return-to]`). Must not import the browser or the CLI.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::outcome::{ScenarioStatus, StepOutcome, StepStatus, WebhookRecord};
use crate::runner::Event;

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub struct Console {
    live: bool,
    running: Arc<Mutex<Option<(String, Instant)>>>,
    spinner: Option<JoinHandle<()>>,
    stop: Arc<Mutex<bool>>,
    /// The `targets:` of the scenario that started last, for a not-runnable line.
    targets: Vec<String>,
    /// With scenarios in parallel (`--jobs N`, N > 1): each started scenario's label, which
    /// starts every line of it, so interleaved lines read.
    labels: Option<HashMap<usize, String>>,
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
            labels: None,
        }
    }

    /// With `on` (scenarios run in parallel sessions), every line of a scenario starts
    /// with its label ([`scenario_label`]), the spinner's too.
    pub fn labelled(mut self, on: bool) -> Console {
        self.labels = on.then(HashMap::new);
        self
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

    /// Shows `event`: the live spinner for a step that starts, permanent lines for the rest.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::StepStarted { scenario, name, .. } => {
                self.start_spinner();
                let name = match self.label(*scenario) {
                    Some(label) => format!("{label} {name}"),
                    None => name.clone(),
                };
                self.set_running(Some((name, Instant::now())));
            }
            Event::StepFinished { .. } => {
                let _guard = self.running.lock().map(|mut g| g.take());
                if self.live {
                    eprint!("\r\x1b[2K");
                }
            }
            _ => {}
        }
        for line in self.lines(event) {
            eprintln!("{line}");
        }
    }

    /// The permanent lines `event` prints, each prefixed with its scenario's label when
    /// scenarios run in parallel ([`Console::labelled`]).
    pub fn lines(&mut self, event: &Event) -> Vec<String> {
        if let Event::ScenarioStarted {
            index,
            name,
            targets,
            ..
        } = event
        {
            self.targets = targets.clone();
            if let Some(labels) = &mut self.labels {
                labels.insert(*index, scenario_label(*index, name));
            }
        }
        let lines = plain_lines(event, &self.targets);
        match scenario_of(event).and_then(|i| self.label(i)) {
            Some(label) => lines
                .into_iter()
                .map(|line| format!("{label} {line}"))
                .collect(),
            None => lines,
        }
    }

    fn label(&self, scenario: usize) -> Option<&str> {
        self.labels.as_ref()?.get(&scenario).map(String::as_str)
    }
}

/// The scenario an event belongs to; `None` for a line of the whole run.
fn scenario_of(event: &Event) -> Option<usize> {
    match event {
        Event::ScenarioStarted { index, .. }
        | Event::ScenarioVideo { index, .. }
        | Event::ScenarioRetry { index, .. }
        | Event::ScenarioFinished { index, .. } => Some(*index),
        Event::StepStarted { scenario, .. }
        | Event::StepFinished { scenario, .. }
        | Event::StepClip { scenario, .. } => Some(*scenario),
        Event::SessionLost { .. } => None,
    }
}

/// `[02 checkout-return-to]`: the scenario's number in the run (its folder's, in the run
/// folder) and the first words of its name, at most [`LABEL_WORDS`] characters, cut
/// between words.
pub fn scenario_label(index: usize, name: &str) -> String {
    let slug = crate::run_folder::slug(name);
    let mut short = String::new();
    for word in slug.split('-') {
        let sep = usize::from(!short.is_empty());
        if !short.is_empty() && short.len() + sep + word.len() > LABEL_WORDS {
            break;
        }
        if sep == 1 {
            short.push('-');
        }
        short.push_str(word);
    }
    let short: String = short.chars().take(LABEL_WORDS).collect();
    format!("[{:02} {short}]", index + 1)
}

/// At most this many characters of a scenario's name in its label.
const LABEL_WORDS: usize = 20;

/// The lines of an event, unlabelled.
fn plain_lines(event: &Event, targets: &[String]) -> Vec<String> {
    match event {
        Event::ScenarioStarted {
            name, file, steps, ..
        } => vec![format!("▶ {name}  ({}, {steps} steps)", file.display())],
        Event::StepStarted { .. } => Vec::new(),
        Event::StepFinished { step, webhooks, .. } => step_lines(step, webhooks),
        Event::StepClip { index, clip, .. } => clip
            .problem
            .as_ref()
            .filter(|_| clip.ok != Some(true))
            .map(|problem| format!("  ✗ video of step {}: {problem}", index + 1))
            .into_iter()
            .collect(),
        Event::ScenarioVideo {
            problem: Some(problem),
            ..
        } => vec![format!("  ✗ scenario video: {problem}")],
        Event::ScenarioVideo { .. } => Vec::new(),
        Event::ScenarioFinished {
            status: ScenarioStatus::NotRunnable,
            ..
        } => vec![not_runnable_line(targets)],
        Event::ScenarioFinished {
            status, duration, ..
        } => vec![format!(
            "  = {}  {}",
            status.as_str(),
            format_duration(*duration)
        )],
        Event::ScenarioRetry {
            attempt,
            attempts,
            name,
            reason,
            steps,
            ..
        } => vec![
            retry_line(*attempt, *attempts, name, reason),
            format!("▶ {name}  (attempt {attempt}, {steps} steps)"),
        ],
        Event::SessionLost { session, retired } => vec![format!(
            "  ✗ browser session {session} no longer answers (its Grid node or driver \
             stopped); {}",
            if *retired {
                "the other sessions take the scenarios left"
            } else {
                "it was the last one: each scenario left fails at its first command"
            }
        )],
    }
}

/// A finished step's line, its error (message, location, source line) and the webhooks
/// the app rejected during it.
fn step_lines(step: &StepOutcome, webhooks: &[WebhookRecord]) -> Vec<String> {
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
    let mut lines = vec![format!("  {mark} {given}{}  {time}", step.name)];
    if let Some(err) = &step.error {
        lines.extend(err.message.lines().map(|line| format!("      {line}")));
        lines.push(format!("      at {}", err.location));
        if let Some(src) = &err.source_line {
            lines.push(format!("      | {}", src.trim_end()));
        }
    }
    // A delivery the app rejected is often the bug being hunted: say so here.
    for w in webhooks.iter().filter(|w| w.rejected()) {
        lines.push(format!(
            "      webhook {} rejected by the app: HTTP {}{}",
            w.event_type,
            w.status_code.unwrap_or_default(),
            w.response_excerpt
                .as_deref()
                .map(|e| format!(": {e}"))
                .unwrap_or_default()
        ));
    }
    lines
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

/// `412 ms`, `3.2 s`, `2 min 5 s`: the one duration format of console, HTML and summary.
pub fn format_ms(ms: u64) -> String {
    if ms < 1000 {
        return format!("{ms} ms");
    }
    // From 59.95 s on, `{:.1}` would read `60.0 s`: minutes then.
    if ms < 59_950 {
        format!("{:.1} s", ms as f64 / 1000.0)
    } else {
        let secs = ms.saturating_add(500) / 1000;
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::tests::step;
    use std::path::PathBuf;

    fn started(index: usize, name: &str) -> Event {
        Event::ScenarioStarted {
            index,
            name: name.into(),
            file: PathBuf::from(format!("scenarios/{name}.yaml")),
            slot: None,
            started_at: chrono::Utc::now(),
            steps: 2,
            targets: Vec::new(),
        }
    }

    fn finished(scenario: usize, name: &str) -> Event {
        let mut st = step(name, StepStatus::Failed, "a.png", None);
        st.error = Some(crate::outcome::StepError {
            message: "no element\nwith that text".into(),
            location: st.location.clone(),
            source_line: Some("  - click: Pay".into()),
        });
        Event::StepFinished {
            scenario,
            index: 0,
            step: Box::new(st),
            webhooks: Vec::new(),
        }
    }

    #[test]
    fn in_parallel_every_line_of_a_scenario_starts_with_its_label() {
        let mut console = Console::new(true).labelled(true);
        let mut lines = Vec::new();
        for event in [
            started(1, "Checkout return to active"),
            started(3, "Portal cancellation"),
            finished(1, "Open billing"),
            finished(3, "Cancel"),
            Event::ScenarioFinished {
                index: 1,
                status: ScenarioStatus::Failed,
                duration: Duration::from_millis(125_400),
            },
            Event::SessionLost {
                session: 2,
                retired: true,
            },
        ] {
            lines.extend(console.lines(&event));
        }
        let want = [
            "[02 checkout-return-to] ▶ Checkout return to active  (scenarios/Checkout return to active.yaml, 2 steps)",
            "[04 portal-cancellation] ▶ Portal cancellation  (scenarios/Portal cancellation.yaml, 2 steps)",
            "[02 checkout-return-to]   ✗ Open billing  1.2 s",
            "[02 checkout-return-to]       no element",
            "[02 checkout-return-to]       with that text",
            "[02 checkout-return-to]       at scenarios/a.yaml:4:5",
            "[02 checkout-return-to]       |   - click: Pay",
            "[04 portal-cancellation]   ✗ Cancel  1.2 s",
        ];
        assert_eq!(lines[..want.len()], want, "{lines:#?}");
        assert_eq!(lines[12], "[02 checkout-return-to]   = failed  2 min 5 s");
        // A line of the whole run names no scenario.
        assert!(
            lines[13].starts_with("  ✗ browser session 2 no longer answers"),
            "{lines:#?}"
        );
        assert_eq!(lines.len(), 14);
    }

    #[test]
    fn one_session_prints_lines_as_before() {
        let mut console = Console::new(true);
        assert_eq!(
            console.lines(&started(1, "Checkout")),
            ["▶ Checkout  (scenarios/Checkout.yaml, 2 steps)"]
        );
        assert_eq!(console.lines(&finished(1, "Pay"))[0], "  ✗ Pay  1.2 s");
    }

    #[test]
    fn labels_are_short_and_cut_between_words() {
        assert_eq!(
            scenario_label(0, "New user to checkout"),
            "[01 new-user-to-checkout]"
        );
        assert_eq!(scenario_label(11, "A"), "[12 a]");
        assert_eq!(
            scenario_label(4, "Supercalifragilisticexpialidocious billing"),
            "[05 supercalifragilistic]"
        );
        assert_eq!(scenario_label(2, "<>"), "[03 unnamed]");
    }

    #[test]
    fn durations_read_as_people_read_them() {
        assert_eq!(format_ms(340), "340 ms");
        assert_eq!(format_ms(1234), "1.2 s");
        assert_eq!(format_ms(59_949), "59.9 s");
        assert_eq!(format_ms(59_950), "1 min 0 s");
        assert_eq!(format_ms(125_400), "2 min 5 s");
    }
}
