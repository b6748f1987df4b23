//! `index.html`: the evidence report for people. One self-contained page (inline CSS, no
//! script, no network) that works opened from `file://`; screenshots and clips are linked by
//! paths relative to the run folder. Pure: a function of the (already redacted) report.
//!
//! The markup is in `templates/` (rendered by [`crate::template`], which escapes every
//! value); this module decides what the page shows (durations, slot titles, delivery
//! offsets, state diffs, clip posters) as the views the templates read. Times read at a
//! glance: durations as `340 ms`, `1.2 s`, `2 min 5 s`; moments to the second in the run's
//! time zone with UTC beside them (`2026-12-07 23:16:39 UTC+01:00 (22:16:39 UTC)`), never
//! an RFC 3339 fraction (report.json keeps the precise values).
//! Must not import the browser, the runner or the CLI.

use std::fmt::Write as _;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, Utc};

use serde::Serialize;
use serde_json::Value;

use super::console::format_ms as duration;
use super::merge::column_label;
use super::slots::slot_title;
use crate::outcome::{
    AttemptOutcome, MergedRun, RunInfo, RunOutcome, ScenarioOutcome, SlotStatus, SlotVerdict,
    StepOutcome, StepStatus, WebhookRecord,
};
use crate::template::Templates;

/// The page's templates, parsed once. They are part of the tool: one that does not parse is
/// a defect every test of this module meets, so it panics with the template's error.
static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    Templates::new(&[
        ("report.html", include_str!("templates/report.html")),
        ("report.css", include_str!("templates/report.css")),
        ("parts.html", include_str!("templates/parts.html")),
        ("broken.html", include_str!("templates/broken.html")),
    ])
    .unwrap_or_else(|e| panic!("the evidence report's templates: {e}"))
});

/// The whole page. A report the templates fail on (a defect of the tool) gets a page that
/// says so, with the error, instead of no page; the run's other files are written as usual.
pub fn render_html(report: &RunOutcome) -> String {
    TEMPLATES
        .render("report.html", &Page::new(report))
        .unwrap_or_else(|e| broken_page(&e.to_string()))
}

/// A time zone: the offset from UTC at a moment. The page's is the run's, the machine's
/// local zone ([`local_zone`]); tests pass fixed ones.
type Zone = fn(DateTime<Utc>) -> FixedOffset;

fn local_zone(t: DateTime<Utc>) -> FixedOffset {
    *t.with_timezone(&chrono::Local).offset()
}

/// A moment as a person reads it, to the second: `2026-12-07 23:16:39 UTC+01:00 (22:16:39
/// UTC)` in the zone, with UTC beside it (its date too when the two dates differ), or
/// `2026-12-07 22:16:39 UTC` when the zone is UTC.
fn moment(t: DateTime<Utc>, zone: Zone) -> String {
    let offset = zone(t);
    if offset.local_minus_utc() == 0 {
        return t.format("%Y-%m-%d %H:%M:%S UTC").to_string();
    }
    let local = t.with_timezone(&offset);
    let utc = if local.date_naive() == t.date_naive() {
        t.format("%H:%M:%S UTC")
    } else {
        t.format("%Y-%m-%d %H:%M:%S UTC")
    };
    format!("{} ({utc})", local.format("%Y-%m-%d %H:%M:%S UTC%:z"))
}

fn broken_page(error: &str) -> String {
    #[derive(Serialize)]
    struct Broken<'a> {
        error: &'a str,
    }
    TEMPLATES
        .render("broken.html", &Broken { error })
        .unwrap_or_else(|e| panic!("the evidence report's error page: {e}"))
}

/// A run-folder-relative path as a relative URL: every segment percent-encoded, so nothing
/// in a path can become a scheme, a query or markup; `.`, `..` and empty segments dropped.
pub fn href(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let segments = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..");
    for (i, seg) in segments.enumerate() {
        if i > 0 {
            out.push('/');
        }
        for b in seg.bytes() {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                out.push(b as char);
            } else {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// What `report.html` reads.
#[derive(Serialize)]
struct Page<'a> {
    run: RunView<'a>,
    /// How many slots have each verdict, the verdicts no slot has left out.
    counts: Vec<Count>,
    slots: Vec<SlotRow<'a>>,
    scenarios: Vec<ScenarioView<'a>>,
    /// Which scenarios passed only on a retry, and what that did to the verdict.
    flaky: Option<String>,
    /// A merged folder's runs (empty for a run's own page).
    runs: Vec<RunRow<'a>>,
    /// A merged folder's (target, browser) columns of the slot table.
    columns: Vec<String>,
}

impl Page<'_> {
    fn new(report: &RunOutcome) -> Page<'_> {
        Page::in_zone(report, local_zone)
    }

    fn in_zone(report: &RunOutcome, zone: Zone) -> Page<'_> {
        let counts = [
            SlotStatus::Verified,
            SlotStatus::Unverified,
            SlotStatus::Failed,
            SlotStatus::Missing,
            SlotStatus::NotRunnable,
        ]
        .into_iter()
        .map(|status| Count {
            status: status.as_str(),
            count: report.slots.iter().filter(|s| s.status == status).count(),
        })
        .filter(|c| c.count > 0)
        .collect();
        let flaky = report.flaky();
        let flaky = (!flaky.is_empty()).then(|| {
            let names = flaky
                .iter()
                .map(|n| format!("“{n}”"))
                .collect::<Vec<_>>()
                .join(", ");
            if report.retry.fail_on_flaky {
                format!("Failed because flaky: {names} passed only on a retry, and --fail-on-flaky fails the run for that.")
            } else {
                format!("Flaky: {names} passed only on a retry; the run passes (--fail-on-flaky would fail it).")
            }
        });
        let merged = &report.merged;
        let run_of = |i: usize| {
            let n = *merged.scenario_run.get(&i)?;
            merged.runs.get(n).map(|r| RunLink::new(n, r))
        };
        Page {
            flaky,
            run: RunView::new(&report.run, !merged.is_empty(), zone),
            counts,
            slots: report
                .slots
                .iter()
                .enumerate()
                .map(|(k, slot)| SlotRow {
                    cells: merged
                        .matrix
                        .iter()
                        .filter_map(|c| c.slots.get(k))
                        .map(Cell::new)
                        .collect(),
                    ..SlotRow::new(slot, report)
                })
                .collect(),
            scenarios: report
                .scenarios
                .iter()
                .enumerate()
                .map(|(i, s)| ScenarioView {
                    run: run_of(i),
                    ..ScenarioView::new(i, s, report.attempts_of(i), zone)
                })
                .collect(),
            runs: merged
                .runs
                .iter()
                .enumerate()
                .map(|(n, r)| RunRow::new(n, r, zone))
                .collect(),
            columns: merged
                .matrix
                .iter()
                .map(|c| column_label(&c.target, &c.browser))
                .collect(),
        }
    }
}

/// A row of a merged folder's table of runs.
#[derive(Serialize)]
struct RunRow<'a> {
    link: RunLink,
    id: &'a str,
    status: &'static str,
    browser_version: &'a str,
    video: &'a str,
    started: String,
    finished: String,
}

impl RunRow<'_> {
    fn new(n: usize, r: &MergedRun, zone: Zone) -> RunRow<'_> {
        RunRow {
            link: RunLink::new(n, r),
            id: &r.run.id,
            status: r.run.status.as_str(),
            browser_version: &r.run.browser.version,
            video: &r.run.video,
            started: moment(r.run.started_at, zone),
            finished: r
                .run
                .finished_at
                .map(|t| moment(t, zone))
                .unwrap_or_else(|| "—".into()),
        }
    }
}

/// A merged run by its number, (target, browser) and shard, linked to its own page.
#[derive(Serialize)]
struct RunLink {
    number: usize,
    label: String,
    shard: Option<String>,
    href: String,
}

impl RunLink {
    fn new(n: usize, r: &MergedRun) -> RunLink {
        RunLink {
            number: n + 1,
            label: column_label(&r.run.target, &r.run.browser.name),
            shard: r.shard.map(|s| format!("{}/{}", s.index, s.of)),
            href: href(&format!("{}/index.html", r.dir)),
        }
    }
}

/// A slot's verdict in one (target, browser) of a merged folder.
#[derive(Serialize)]
struct Cell<'a> {
    status: &'static str,
    reason: &'a str,
    flaky: bool,
    scenario: Option<ScenarioLink<'a>>,
}

impl Cell<'_> {
    fn new(slot: &SlotVerdict) -> Cell<'_> {
        Cell {
            status: slot.status.as_str(),
            reason: &slot.reason,
            flaky: slot.flaky,
            scenario: ScenarioLink::of(slot),
        }
    }
}

/// The page's header: what the run was.
#[derive(Serialize)]
struct RunView<'a> {
    id: &'a str,
    status: &'static str,
    target: String,
    app: String,
    state_probe: &'a str,
    browser: &'a str,
    browser_version: &'a str,
    video: &'a str,
    started: String,
    finished: String,
    tool_version: &'a str,
}

impl RunView<'_> {
    /// `merged`: the header of a merged folder, whose target and app list every run's.
    fn new(run: &RunInfo, merged: bool, zone: Zone) -> RunView<'_> {
        let url = &run.app.url;
        RunView {
            id: &run.id,
            status: run.status.as_str(),
            target: match run.target.as_str() {
                _ if merged => run.target.clone(),
                "mock" => "the mock Polar".into(),
                "sandbox" => "Polar's sandbox".into(),
                _ => "none (no Polar the run knows of)".into(),
            },
            app: match (run.app.source.as_str(), &run.app.command) {
                ("merged", _) => format!("{url} (each run's is in its own report)"),
                ("demo", _) => format!("the built-in demo app at {url}"),
                ("command", Some(cmd)) => format!("`{cmd}`, started at {url}"),
                ("fixtures", _) => format!("the fixture pages at {url}"),
                _ => format!("running at {url}"),
            },
            state_probe: run
                .app
                .state_probe
                .as_deref()
                .unwrap_or("no state probe configured"),
            browser: &run.browser.name,
            browser_version: &run.browser.version,
            video: if run.video.is_empty() {
                "off"
            } else {
                &run.video
            },
            started: moment(run.started_at, zone),
            finished: run
                .finished_at
                .map(|t| moment(t, zone))
                .unwrap_or_else(|| "—".into()),
            tool_version: &run.tool_version,
        }
    }
}

#[derive(Serialize)]
struct Count {
    status: &'static str,
    count: usize,
}

/// A `<video>` of a run-folder file, with its poster (a still from inside the clip).
#[derive(Serialize)]
struct Video {
    src: String,
    label: String,
    poster: Option<String>,
}

impl Video {
    fn new(path: &str, label: String, poster: Option<&str>) -> Video {
        Video {
            src: href(path),
            label,
            poster: poster.map(href),
        }
    }
}

/// The poster of a video made of `steps`' clips: the last clip's that has one, the
/// state the video ends on.
fn last_poster(steps: &[StepOutcome]) -> Option<&str> {
    steps.iter().rev().find_map(|s| s.clip.poster.as_deref())
}

/// The poster of `path`, the scenario's video or one of its steps' clips.
fn poster_of<'a>(s: &'a ScenarioOutcome, path: &str) -> Option<&'a str> {
    if s.video.as_deref() == Some(path) {
        return last_poster(&s.steps);
    }
    s.steps
        .iter()
        .find(|st| st.clip.path.as_deref() == Some(path))
        .and_then(|st| st.clip.poster.as_deref())
}

/// A row of the slot table.
#[derive(Serialize)]
struct SlotRow<'a> {
    id: &'a str,
    status: &'static str,
    what: &'static str,
    reason: &'a str,
    scenario: Option<ScenarioLink<'a>>,
    clip: Option<Video>,
    /// The deciding scenario passed only on a retry.
    flaky: bool,
    /// In a merged folder, the slot in each (target, browser).
    cells: Vec<Cell<'a>>,
}

/// A link to a scenario's section (numbered from 1).
#[derive(Serialize)]
struct ScenarioLink<'a> {
    number: usize,
    name: &'a str,
}

impl SlotRow<'_> {
    fn new<'a>(slot: &'a SlotVerdict, report: &'a RunOutcome) -> SlotRow<'a> {
        SlotRow {
            id: &slot.id,
            status: slot.status.as_str(),
            what: slot_title(&slot.id),
            reason: &slot.reason,
            scenario: ScenarioLink::of(slot),
            clip: slot.clip.as_deref().map(|path| {
                let scenario = slot.scenario_index.and_then(|i| report.scenarios.get(i));
                let poster = scenario.and_then(|s| poster_of(s, path));
                Video::new(path, format!("clip for {}", slot.id), poster)
            }),
            flaky: slot.flaky,
            cells: Vec::new(),
        }
    }
}

impl ScenarioLink<'_> {
    /// The slot's deciding scenario, if any.
    fn of(slot: &SlotVerdict) -> Option<ScenarioLink<'_>> {
        match (&slot.scenario, slot.scenario_index) {
            (Some(name), Some(i)) => Some(ScenarioLink {
                number: i + 1,
                name,
            }),
            _ => None,
        }
    }
}

/// A scenario's section.
#[derive(Serialize)]
struct ScenarioView<'a> {
    number: usize,
    status: &'static str,
    name: &'a str,
    file: &'a str,
    slot: Option<&'a str>,
    duration: String,
    started: String,
    capture: Option<CaptureView<'a>>,
    video: Option<Video>,
    steps: Vec<StepView<'a>>,
    /// Every delivery of the scenario against its steps.
    deliveries: Vec<DeliveryRow<'a>>,
    /// Its earlier, failed attempts (`--retries`), each folded under its steps.
    attempts: Vec<AttemptView<'a>>,
    /// In a merged folder, the run it came from.
    run: Option<RunLink>,
}

/// An earlier attempt of a retried scenario: why it failed, its video and its steps.
#[derive(Serialize)]
struct AttemptView<'a> {
    number: u32,
    status: &'static str,
    reason: &'a str,
    duration: String,
    video: Option<Video>,
    steps: Vec<StepView<'a>>,
}

impl AttemptView<'_> {
    fn new<'a>(scenario: usize, name: &str, a: &'a AttemptOutcome, zone: Zone) -> AttemptView<'a> {
        let deliveries = |i: usize| {
            a.deliveries
                .iter()
                .filter(move |d| d.step == i)
                .map(|d| &d.record)
        };
        AttemptView {
            number: a.attempt,
            status: a.status.as_str(),
            reason: &a.reason,
            duration: duration(u64::try_from(a.duration.as_millis()).unwrap_or(u64::MAX)),
            video: a.video.as_deref().map(|path| {
                let label = format!("video of {name}, attempt {}", a.attempt);
                Video::new(path, label, last_poster(&a.steps))
            }),
            steps: a
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| StepView {
                    attempt: Some(a.attempt),
                    ..StepView::new(scenario, i, step, deliveries(i), zone)
                })
                .collect(),
        }
    }
}

/// Where the scenario's video came from and at what frame rate.
#[derive(Serialize)]
struct CaptureView<'a> {
    source: &'a str,
    fps: Option<String>,
    note: Option<&'a str>,
}

impl ScenarioView<'_> {
    fn new<'a>(
        index: usize,
        s: &'a ScenarioOutcome,
        attempts: &'a [AttemptOutcome],
        zone: Zone,
    ) -> ScenarioView<'a> {
        ScenarioView {
            number: index + 1,
            status: s.status.as_str(),
            name: &s.name,
            file: &s.file,
            slot: s.slot.as_deref(),
            duration: duration(s.duration_ms()),
            started: moment(s.started_at, zone),
            capture: s.capture.source.as_deref().map(|source| CaptureView {
                source,
                fps: s.capture.fps.map(|fps| format!("{fps:.1}")),
                note: s.capture.note.as_deref(),
            }),
            video: s.video.as_deref().map(|path| {
                Video::new(path, format!("video of {}", s.name), last_poster(&s.steps))
            }),
            steps: s
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| StepView::new(index, i, step, s.deliveries_of(i), zone))
                .collect(),
            deliveries: s
                .deliveries
                .iter()
                .map(|d| DeliveryRow::new(s, d.step, &d.record))
                .collect(),
            attempts: attempts
                .iter()
                .map(|a| AttemptView::new(index, &s.name, a, zone))
                .collect(),
            run: None,
        }
    }
}

/// One delivery in the scenario's timeline: when (from the scenario's start) and in which
/// step.
#[derive(Serialize)]
struct DeliveryRow<'a> {
    /// The step's number (from 1).
    step: usize,
    step_name: String,
    at: String,
    hook: Hook<'a>,
}

impl DeliveryRow<'_> {
    fn new<'a>(s: &'a ScenarioOutcome, step: usize, w: &'a WebhookRecord) -> DeliveryRow<'a> {
        let at = chrono::DateTime::parse_from_rfc3339(&w.at)
            .map(|t| {
                let offset = t.with_timezone(&chrono::Utc) - s.started_at;
                format!("+{:.1} s", offset.num_milliseconds() as f64 / 1000.0)
            })
            .unwrap_or_else(|_| w.at.clone());
        DeliveryRow {
            step: step + 1,
            step_name: s
                .steps
                .get(step)
                .map(|st| format!("{}. {}", step + 1, st.name))
                .unwrap_or_default(),
            at,
            hook: Hook::new(w),
        }
    }
}

/// A webhook delivery attempt and what the endpoint answered.
#[derive(Serialize)]
struct Hook<'a> {
    event_type: &'a str,
    event_id: &'a str,
    endpoint_url: &'a str,
    attempt: u32,
    latency: String,
    /// The endpoint answered, and not with a 2xx.
    rejected: bool,
    answer: Answer<'a>,
}

/// What the endpoint answered: delivered, rejected with its status and the start of its
/// answer, or why nothing came back.
#[derive(Serialize)]
struct Answer<'a> {
    ok: bool,
    text: String,
    excerpt: Option<&'a str>,
}

impl Hook<'_> {
    fn new(w: &WebhookRecord) -> Hook<'_> {
        let answer = match (w.succeeded, w.status_code, &w.error) {
            (true, Some(code), _) => Answer {
                ok: true,
                text: format!("{code} delivered"),
                excerpt: None,
            },
            (true, None, _) => Answer {
                ok: true,
                text: "delivered".into(),
                excerpt: None,
            },
            (false, Some(code), _) => Answer {
                ok: false,
                text: format!(
                    "rejected: HTTP {code}{}",
                    if w.will_retry { ", will retry" } else { "" }
                ),
                excerpt: w.response_excerpt.as_deref(),
            },
            (false, None, err) => Answer {
                ok: false,
                text: err.as_deref().unwrap_or("no answer").to_string(),
                excerpt: None,
            },
        };
        Hook {
            event_type: &w.event_type,
            event_id: &w.event_id,
            endpoint_url: &w.endpoint_url,
            attempt: w.attempt,
            latency: duration(w.latency_ms),
            rejected: w.rejected(),
            answer,
        }
    }
}

/// One step of a scenario's list.
#[derive(Serialize)]
struct StepView<'a> {
    /// The scenario's number and the step's (from 1), and an earlier attempt's number:
    /// the step's anchor.
    scenario: usize,
    attempt: Option<u32>,
    number: usize,
    status: &'static str,
    name: &'a str,
    duration: String,
    file: String,
    line: usize,
    /// Whether there is any screenshot or clip to show.
    has_media: bool,
    screenshot: Option<String>,
    clip: Option<ClipView>,
    screenshots: Vec<Shot<'a>>,
    error: Option<ErrorView<'a>>,
    state: Option<StateView>,
    webhooks: Vec<Hook<'a>>,
}

/// The step's clip and whether it passed its check (`None`: not checked).
#[derive(Serialize)]
struct ClipView {
    video: Video,
    checked: Option<bool>,
    problem: String,
}

/// A named screenshot.
#[derive(Serialize)]
struct Shot<'a> {
    src: String,
    name: &'a str,
}

/// The step's failure and the source line it points at.
#[derive(Serialize)]
struct ErrorView<'a> {
    message: &'a str,
    file: String,
    line: usize,
    column: usize,
    source: Option<&'a str>,
}

impl StepView<'_> {
    fn new<'a>(
        scenario: usize,
        index: usize,
        step: &'a StepOutcome,
        hooks: impl Iterator<Item = &'a WebhookRecord>,
        zone: Zone,
    ) -> StepView<'a> {
        let clip = step.clip.path.as_deref().map(|path| ClipView {
            video: Video::new(
                path,
                format!("clip of {}", step.name),
                step.clip.poster.as_deref(),
            ),
            checked: step.clip.ok,
            problem: step
                .clip
                .problem
                .clone()
                .unwrap_or_else(|| "no detail".into()),
        });
        let screenshots: Vec<Shot> = step
            .screenshots
            .iter()
            .map(|shot| Shot {
                src: href(&shot.path),
                name: &shot.name,
            })
            .collect();
        StepView {
            scenario: scenario + 1,
            attempt: None,
            number: index + 1,
            status: step.status.as_str(),
            name: &step.name,
            duration: if step.status == StepStatus::Skipped {
                "not run".to_string()
            } else {
                duration(step.duration_ms())
            },
            file: step.location.file.display().to_string(),
            line: step.location.line,
            has_media: step.screenshot.is_some() || clip.is_some() || !screenshots.is_empty(),
            screenshot: step.screenshot.as_deref().map(href),
            clip,
            screenshots,
            error: step.error.as_ref().map(|err| ErrorView {
                message: &err.message,
                file: err.location.file.display().to_string(),
                line: err.location.line,
                column: err.location.column,
                source: err.source_line.as_deref().map(str::trim_end),
            }),
            state: StateView::new(step.state_before.as_ref(), step.state_after.as_ref(), zone),
            webhooks: hooks.map(Hook::new).collect(),
        }
    }
}

/// Keys of the entitlement shown first, in this order; any other scalar key follows.
const STATE_KEYS: &[&str] = &[
    "status",
    "entitled",
    "plan",
    "seats",
    "members",
    "amount",
    "currency",
    "subscription_status",
    "cancel_at_period_end",
    "renews_at",
    "ends_at",
    "source",
];

/// The app's state before and after a step: one row per scalar key either has. A row whose
/// value differs (both states known) is changed and comes first; a row equal in both is
/// unchanged and folded; a row of a step with only one state known is shown as it is.
/// Then each state raw, as the app answered it.
#[derive(Serialize)]
struct StateView {
    rows: Vec<StateRow>,
    unchanged: Vec<StateRow>,
    raw: Vec<RawState>,
    /// A moment in the raw states was cut to the second (report.json keeps it exact).
    trimmed: bool,
}

#[derive(Serialize)]
struct StateRow {
    key: String,
    before: String,
    after: String,
    changed: bool,
}

#[derive(Serialize)]
struct RawState {
    label: &'static str,
    json: String,
}

/// A state value as a cell shows it; a moment (an RFC 3339 string) as [`moment`] reads it.
fn scalar(v: Option<&Value>, zone: Zone) -> String {
    match v {
        None => "—".into(),
        Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
            .map(|t| moment(t.with_timezone(&Utc), zone))
            .unwrap_or_else(|_| s.clone()),
        Some(Value::Null) => "null".into(),
        Some(other) => other.to_string(),
    }
}

/// `value` with every RFC 3339 moment that has a fraction of a second cut to the second
/// (`2027-01-08T00:59:53.054566Z` → `2027-01-08T00:59:53Z`); `trimmed` is set if any was.
fn to_the_second(value: &Value, trimmed: &mut bool) -> Value {
    match value {
        Value::String(s) => match DateTime::parse_from_rfc3339(s) {
            Ok(t) if s.contains('.') => {
                *trimmed = true;
                Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            }
            _ => value.clone(),
        },
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| to_the_second(v, trimmed)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), to_the_second(v, trimmed)))
                .collect(),
        ),
        other => other.clone(),
    }
}

impl StateView {
    /// `None` when neither state is known.
    fn new(before: Option<&Value>, after: Option<&Value>, zone: Zone) -> Option<StateView> {
        if before.is_none() && after.is_none() {
            return None;
        }
        let mut keys: Vec<String> = STATE_KEYS.iter().map(|k| k.to_string()).collect();
        for v in [before, after].into_iter().flatten() {
            if let Some(map) = v.as_object() {
                for (k, val) in map {
                    if !val.is_object() && !val.is_array() && !keys.contains(k) {
                        keys.push(k.clone());
                    }
                }
            }
        }
        let both = before.is_some() && after.is_some();
        let get = |v: Option<&Value>, k: &str| v.and_then(|v| v.get(k)).cloned();
        let (mut changed, mut unknown, mut unchanged) = (Vec::new(), Vec::new(), Vec::new());
        for key in keys {
            let (b, a) = (get(before, &key), get(after, &key));
            if b.is_none() && a.is_none() {
                continue;
            }
            let row = StateRow {
                changed: both && b != a,
                before: scalar(b.as_ref(), zone),
                after: scalar(a.as_ref(), zone),
                key,
            };
            match (both, row.changed) {
                (true, true) => changed.push(row),
                (true, false) => unchanged.push(row),
                (false, _) => unknown.push(row),
            }
        }
        changed.extend(unknown);
        let mut trimmed = false;
        let raw = [("before", before), ("after", after)]
            .into_iter()
            .filter_map(|(label, v)| {
                v.map(|v| RawState {
                    label,
                    json: serde_json::to_string_pretty(&to_the_second(v, &mut trimmed))
                        .unwrap_or_default(),
                })
            })
            .collect();
        Some(StateView {
            rows: changed,
            unchanged,
            raw,
            trimmed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::slots::slot_verdicts;
    use crate::evidence::slots::tests::{report, scenario, step};
    use crate::outcome::{NamedShot, StepDelivery, StepError, VideoCapture};

    fn utc(_: DateTime<Utc>) -> FixedOffset {
        FixedOffset::east_opt(0).unwrap()
    }

    /// A delivery attempt of scenario step `step`.
    fn delivery(
        step: usize,
        code: Option<u16>,
        error: Option<&str>,
        excerpt: Option<&str>,
    ) -> StepDelivery {
        StepDelivery {
            step,
            record: WebhookRecord {
                event_id: format!("evt_{step}_{code:?}"),
                event_type: "subscription.updated".into(),
                endpoint_url: "http://127.0.0.1:1/api/polar/webhooks?x=1&y='2'".into(),
                attempt: 2,
                status_code: code,
                succeeded: code.is_some_and(|c| c < 300) || (code.is_none() && error.is_none()),
                error: error.map(String::from),
                will_retry: code.is_some_and(|c| c >= 500),
                at: "2026-01-01T00:00:02.345Z".into(),
                latency_ms: 37,
                response_excerpt: excerpt.map(String::from),
            },
        }
    }

    /// Every part the page can show, with markup, quotes and odd paths in the data: a
    /// scenario with a capture note, a video, named screenshots, every clip check, an error
    /// with its source line, every kind of state and every kind of answer; one without
    /// slot, video or deliveries; and the header's variants over the runs.
    pub(crate) fn full_reports() -> Vec<RunOutcome> {
        let mut shot = step(
            "Open <Billing> & 'see'",
            StepStatus::Passed,
            "s/01 a.png",
            Some("s/01 a.mp4"),
        );
        shot.screenshots = vec![NamedShot {
            name: "The \"plan\" <card>".into(),
            path: "s/../s/plan card?.png".into(),
        }];
        shot.state_after = Some(serde_json::json!({"status": "active", "seats": 3}));
        let mut failed = step("Pay", StepStatus::Failed, "s/02.png", Some("s/02.mp4"));
        failed.clip.ok = Some(false);
        failed.clip.problem = Some("0.3 s of video for a <1.5 s> step".into());
        failed.error = Some(StepError {
            message: "expected \"active\"\nbut saw <b>none</b>".into(),
            location: crate::scenario::Location {
                file: "scenarios/flows/pay & go.yaml".into(),
                line: 7,
                column: 9,
            },
            source_line: Some("      - expect_text: '<active>'   ".into()),
        });
        failed.state_before = Some(serde_json::json!({
            "status": "active", "entitled": true, "plan": null, "zeta": 1.5,
            "nested": {"a": 1}, "list": [1, 2], "only_before": "x"
        }));
        failed.state_after = Some(serde_json::json!({
            "status": "past_due", "entitled": true, "plan": "pro", "zeta": 1.5, "extra": "<y>"
        }));
        let mut unchecked = step("Wait", StepStatus::Passed, "s/03.png", Some("s/03.mp4"));
        unchecked.clip.ok = None;
        unchecked.state_before = Some(serde_json::json!({"status": "none"}));
        let mut no_detail = step("Check", StepStatus::Failed, "s/04.png", Some("s/04.mp4"));
        no_detail.clip.ok = Some(false);
        no_detail.screenshot = None;
        no_detail.error = Some(StepError {
            message: "no element".into(),
            location: no_detail.location.clone(),
            source_line: None,
        });
        let mut skipped = step("Later", StepStatus::Skipped, "", None);
        skipped.screenshot = None;
        let mut first = scenario(
            "Recover <payment> & \"go\"",
            "payment-recovery",
            "failed",
            vec![shot, failed, unchecked, no_detail, skipped],
        );
        first.capture = VideoCapture {
            source: Some("bidi-screenshots".into()),
            fps: Some(9.96),
            note: Some("the endpoint offers no <BiDi> socket".into()),
        };
        first.video = Some("s/scenario video.mp4".into());
        first.deliveries = vec![
            delivery(0, Some(202), None, None),
            delivery(0, None, None, None),
            delivery(1, Some(403), None, Some("{\"error\":\"<bad> signature\"}")),
            delivery(1, Some(503), None, Some("")),
            delivery(1, None, Some("connection refused <127.0.0.1>"), None),
            delivery(1, None, Some(""), None),
            delivery(9, Some(200), None, Some("")),
        ];
        first.deliveries[1].record.succeeded = true;
        first.deliveries[5].record.error = None;
        first.deliveries[5].record.at = "not a time".into();
        let mut second = scenario("Plain", "continue-using", "not_runnable", vec![]);
        second.slot = None;
        let mut third = scenario(
            "Checkout",
            "new-user-to-checkout",
            "passed",
            vec![step("Go", StepStatus::Passed, "c/01.png", Some("c/01.mp4"))],
        );
        third.capture.source = Some("screencast".into());
        third.video = Some("c/scenario.mp4".into());
        let mut reports = Vec::new();
        let apps = [
            (
                "demo",
                None,
                Some("GET /api/billing/status (app.state)"),
                "mock",
                "on",
            ),
            (
                "command",
                Some("npm run dev -- --port 3000 && echo '<ok>'"),
                None,
                "sandbox",
                "",
            ),
            ("fixtures", None, None, "none", "retain-on-failure"),
            ("url", None, None, "elsewhere", "off"),
        ];
        for (source, command, probe, target, video) in apps {
            let mut r = report(video, vec![first.clone(), second.clone(), third.clone()]);
            r.run.app.source = source.into();
            r.run.app.command = command.map(String::from);
            r.run.app.state_probe = probe.map(String::from);
            r.run.app.url = "http://127.0.0.1:4000/?a=1&b=<2>".into();
            r.run.target = target.into();
            r.run.id = "run <1> & 'x'".into();
            r.run.browser.version = "140.0 \"beta\"".into();
            if source == "command" {
                r.run.finished_at = None;
                r.run.status = crate::outcome::RunStatus::Interrupted;
            }
            r.slots = slot_verdicts(&r, &|p| !p.contains("03"));
            reports.push(r);
        }
        reports
    }

    #[test]
    fn every_template_renders_with_a_full_report() {
        for r in full_reports() {
            let local = TEMPLATES
                .render("report.html", &Page::new(&r))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(local, render_html(&r));
            let html = TEMPLATES
                .render("report.html", &Page::in_zone(&r, utc))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(
                html.starts_with("<!doctype html>\n<html lang=\"en\">\n"),
                "{html}"
            );
            assert!(
                html.ends_with("</footer>\n</main>\n</body>\n</html>\n"),
                "{html}"
            );
            assert!(html.contains("<style>\n:root{--bg:#f6f7f9;"), "{html}");
            assert!(html
                .contains("footer{color:var(--muted);font-size:13px;text-align:center}\n</style>"));
            for part in [
                r#"data-testid="video-source">Video from <code>bidi-screenshots</code>, 10.0 frames captured per second of its steps — the endpoint offers no &lt;BiDi&gt; socket</div>"#,
                r#"data-testid="video-source">Video from <code>screencast</code></div>"#,
                r#"<figcaption>The whole scenario</figcaption>"#,
                r#"src="s/scenario%20video.mp4" aria-label="video of Recover &lt;payment&gt; &amp; &quot;go&quot;""#,
                r#"<img src="s/s/plan%20card%3F.png" alt="The &quot;plan&quot; &lt;card&gt;">"#,
                r#"alt="Screenshot after “Open &lt;Billing&gt; &amp; &#39;see&#39;”""#,
                r#"Clip of the step · <span class="ok">checked</span>"#,
                r#"Clip of the step · <span class="clip-bad">check failed: 0.3 s of video for a &lt;1.5 s&gt; step</span>"#,
                r#"Clip of the step · <span class="clip-bad">check failed: no detail</span>"#,
                "Clip of the step · not checked</figcaption>",
                r#"<span class="dur">not run</span>"#,
                r#"<div class="where">at scenarios/flows/pay &amp; go.yaml:7:9</div>"#,
                r#"<pre class="source"><span class="ln">7</span>      - expect_text: &#39;&lt;active&gt;&#39;</pre>"#,
                r#"<tr class="changed"><td><code>status</code></td><td>active</td><td class="after">past_due</td></tr>"#,
                r#"<tr class="changed"><td><code>plan</code></td><td>null</td><td class="after">pro</td></tr>"#,
                r#"<tr><td><code>entitled</code></td><td>true</td><td class="after">true</td></tr>"#,
                r#"<tr class="changed"><td><code>extra</code></td><td>—</td><td class="after">&lt;y&gt;</td></tr>"#,
                r#"<tr><td><code>seats</code></td><td>—</td><td class="after">3</td></tr>"#,
                "<details><summary>Raw state before</summary><pre>{",
                r#"<span class="ok">202 delivered</span>"#,
                r#"<span class="ok">delivered</span>"#,
                r#"<span class="bad">rejected: HTTP 403</span><pre class="answer" data-testid="answer">{&quot;error&quot;:&quot;&lt;bad&gt; signature&quot;}</pre>"#,
                r#"<span class="bad">rejected: HTTP 503, will retry</span><pre class="answer" data-testid="answer"></pre>"#,
                r#"<span class="bad">connection refused &lt;127.0.0.1&gt;</span>"#,
                r#"<span class="bad">no answer</span>"#,
                r#"<span class="ok">200 delivered</span></td>"#,
                r#"<td>+2.3 s</td><td>1. Open &lt;Billing&gt; &amp; &#39;see&#39;</td>"#,
                "<td>not a time</td>",
                r#"data-step="10" data-type="subscription.updated"><td>+2.3 s</td><td></td>"#,
                r#"<code>http://127.0.0.1:1/api/polar/webhooks?x=1&amp;y=&#39;2&#39;</code>"#,
                r##"<a href="#scenario-1">Recover &lt;payment&gt; &amp; &quot;go&quot;</a>"##,
                r#"<td class="clip"><span class="reason">no clip</span></td>"#,
                r#"<div class="sub">scenarios/a.yaml · 2.4 s · started 2026-01-01 00:00:00 UTC</div>"#,
                r#"<title>Billing evidence — run &lt;1&gt; &amp; &#39;x&#39;</title>"#,
                r#"<dd>chrome 140.0 &quot;beta&quot;</dd>"#,
            ] {
                assert!(html.contains(part), "missing {part}\n{html}");
            }
            assert_eq!(html.matches(r#"data-testid="webhook""#).count(), 6);
            assert_eq!(html.matches(r#"data-testid="delivery""#).count(), 7);
            assert_eq!(html.matches(r#"class="rejected""#).count(), 2);
        }
        let headers: Vec<String> = full_reports()
            .iter()
            .map(|r| {
                let html = render_html(r);
                let start = html.find("<dl class=\"meta\">").unwrap();
                html[start..html.find("</dl>").unwrap()].to_string()
            })
            .collect();
        for (header, want) in headers.iter().zip([
            "the built-in demo app at http://127.0.0.1:4000/?a=1&amp;b=&lt;2&gt;</dd>\n<dt>State</dt><dd data-testid=\"state-probe\">GET /api/billing/status (app.state)</dd>",
            "`npm run dev -- --port 3000 &amp;&amp; echo &#39;&lt;ok&gt;&#39;`, started at http://127.0.0.1:4000/?a=1&amp;b=&lt;2&gt;</dd>",
            "the fixture pages at http",
            "running at http",
        ]) {
            assert!(header.contains(want), "{header}");
        }
        assert!(headers[0].contains("<dd data-testid=\"target\">the mock Polar</dd>"));
        assert!(headers[1].contains("<dd data-testid=\"target\">Polar&#39;s sandbox</dd>"));
        assert!(headers[1].contains("<dt>Video</dt><dd>off</dd>"));
        assert!(headers[1].contains("<dt>Finished</dt><dd>—</dd>"));
        assert!(headers[2].contains("none (no Polar the run knows of)"));
        assert!(headers[3].contains("no state probe configured"));
    }

    #[test]
    fn a_template_error_gives_a_page_saying_so_with_the_error() {
        let page = broken_page("template report.html: <undefined> & 'more'");
        assert!(page.starts_with("<!doctype html>\n"), "{page}");
        assert!(page.contains(r#"<pre data-testid="template-error">template report.html: &lt;undefined&gt; &amp; &#39;more&#39;</pre>"#), "{page}");
        assert!(page.contains(r#"<a href="report.json">report.json</a>"#));
    }

    #[test]
    fn escapes_text_and_paths() {
        let r = report(
            "on",
            vec![scenario(
                r#"<a href="x">'&'</a>"#,
                "continue-using",
                "passed",
                vec![],
            )],
        );
        let html = render_html(&r);
        assert!(
            html.contains("<h2>&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;</h2>"),
            "{html}"
        );
        assert!(!html.contains(r#"<a href="x">"#));
        assert_eq!(href("scenarios/01-a/02 b.png"), "scenarios/01-a/02%20b.png");
        assert_eq!(href("javascript:alert(1)"), "javascript%3Aalert%281%29");
        assert_eq!(href("../../etc/passwd"), "etc/passwd");
        assert_eq!(href("a?b#c\"<"), "a%3Fb%23c%22%3C");
    }

    #[test]
    fn page_has_six_slot_rows_steps_errors_and_no_raw_markup_from_data() {
        let mut bad = step("<b>Pay</b>", StepStatus::Failed, "p.png", Some("p.mp4"));
        bad.error = Some(StepError {
            message: "expected <script>alert(1)</script>".into(),
            location: crate::scenario::Location {
                file: "scenarios/b.yaml".into(),
                line: 12,
                column: 9,
            },
            source_line: Some("      - expect_text: \"<active>\"".into()),
        });
        bad.state_before = Some(serde_json::json!({"status": "none", "entitled": false}));
        bad.state_after = Some(serde_json::json!({"status": "active", "entitled": true}));
        let hook = |id: &str, code: u16, excerpt: Option<&str>| StepDelivery {
            step: 0,
            record: WebhookRecord {
                event_id: id.into(),
                event_type: "subscription.active".into(),
                endpoint_url: "http://127.0.0.1:1/api/polar/webhooks".into(),
                attempt: 1,
                status_code: Some(code),
                succeeded: code < 300,
                error: None,
                will_retry: code >= 300,
                at: "2026-01-01T00:00:01Z".into(),
                latency_ms: 12,
                response_excerpt: excerpt.map(String::from),
            },
        };
        let mut pay = scenario("Checkout & pay", "payment-recovery", "failed", vec![bad]);
        pay.deliveries = vec![
            hook("evt_1", 403, Some("{\"error\":\"invalid_signature\"}")),
            hook("evt_1", 202, None),
        ];
        let mut r = report("on", vec![pay]);
        r.slots = slot_verdicts(&r, &|_| true);
        let html = render_html(&r);
        assert_eq!(html.matches(r#"data-testid="slot-row""#).count(), 6);
        assert!(html.contains(r#"data-slot="payment-recovery" data-status="failed""#));
        assert_eq!(html.matches(r#"data-status="missing""#).count(), 5);
        assert!(!html.contains("<script>"));
        assert!(!html.contains("<b>Pay</b>"));
        assert!(html.contains("&lt;b&gt;Pay&lt;/b&gt;"));
        assert!(html.contains(r#"<pre class="source"><span class="ln">12</span>      - expect_text: &quot;&lt;active&gt;&quot;</pre>"#));
        assert!(
            html.contains(r#"<video controls preload="metadata" muted playsinline src="p.mp4""#)
        );
        assert!(html.contains(r#"<img src="p.png""#));
        assert!(html.contains(r#"<tr class="changed"><td><code>status</code></td><td>none</td><td class="after">active</td></tr>"#));
        assert!(html.contains(r#"data-type="subscription.active""#));
        assert!(html.contains("202 delivered"));
        // The rejected attempt shows the app's status and the start of its answer, in the
        // step and in the scenario's timeline.
        assert_eq!(html.matches("rejected: HTTP 403, will retry").count(), 2);
        assert!(html.contains("&quot;error&quot;:&quot;invalid_signature&quot;"));
        assert_eq!(
            html.matches(r#"data-testid="delivery" data-step="1""#)
                .count(),
            2
        );
        assert!(html.contains("no state probe configured"));
        assert!(
            !html.contains("src=\"http") && !html.contains("<link"),
            "no external resources"
        );
        assert!(!html.contains("<script"));
    }

    #[test]
    fn a_flaky_slot_is_flagged_and_the_failed_attempt_is_folded_with_its_own_anchors() {
        let page = render_html(&crate::evidence::junit::tests::flaky_report(true));
        assert!(
            page.contains(r#"data-testid="slot-flaky">flaky</span>"#),
            "{page}"
        );
        assert!(page.contains(r#"<p class="reason" data-testid="flaky-note">Failed because flaky: “Checkout” passed only on a retry, and --fail-on-flaky fails the run for that.</p>"#), "{page}");
        assert!(page.contains(r#"<details class="attempt" data-testid="attempt" data-attempt="1" data-status="failed">"#), "{page}");
        assert!(page.contains("<summary>Attempt 1 (failed) · 2.4 s · step 2 “Pay” failed: no element &lt;Pay&gt;</summary>"), "{page}");
        assert!(
            page.contains(r#"src="s/01/scenario.mp4" aria-label="video of Checkout, attempt 1""#),
            "{page}"
        );
        // The last attempt keeps the anchors a run without retries has; the earlier one's
        // steps get their own.
        assert!(page.contains(r#"id="scenario-1-step-2""#));
        assert!(page.contains(r#"id="scenario-1-attempt-1-step-2""#));
        assert!(page.contains(r#"src="s/01/02.mp4""#) && page.contains(r#"src="a2/02.mp4""#));
    }

    fn cet(_: DateTime<Utc>) -> FixedOffset {
        FixedOffset::east_opt(3600).unwrap()
    }

    fn pacific(_: DateTime<Utc>) -> FixedOffset {
        FixedOffset::west_opt(8 * 3600).unwrap()
    }

    #[test]
    fn moments_read_to_the_second_in_the_run_zone_with_utc_beside() {
        let t: DateTime<Utc> = "2026-12-07T22:16:39.987654321Z".parse().unwrap();
        assert_eq!(
            moment(t, cet),
            "2026-12-07 23:16:39 UTC+01:00 (22:16:39 UTC)"
        );
        assert_eq!(moment(t, utc), "2026-12-07 22:16:39 UTC");
        let late: DateTime<Utc> = "2026-12-08T03:00:00Z".parse().unwrap();
        assert_eq!(
            moment(late, pacific),
            "2026-12-07 19:00:00 UTC-08:00 (2026-12-08 03:00:00 UTC)"
        );
        // The whole page in a zone away from UTC: every moment as above, none raw.
        let fraction = regex::Regex::new(r"\d:\d\d\.\d|T\d\d:\d\d|\+00:00").unwrap();
        for r in full_reports() {
            let html = TEMPLATES
                .render("report.html", &Page::in_zone(&r, cet))
                .unwrap();
            assert!(
                html.contains(
                    "<dt>Started</dt><dd>2026-01-01 01:00:00 UTC+01:00 (00:00:00 UTC)</dd>"
                ),
                "{html}"
            );
            assert!(html.contains("· started 2026-01-01 01:00:00 UTC+01:00 (00:00:00 UTC)"));
            assert!(html.contains("<td>37 ms</td></tr>"), "{html}");
            assert!(!fraction.is_match(&html), "{:?}", fraction.find(&html));
        }
    }

    #[test]
    fn the_state_table_shows_what_changed_first_and_folds_the_rest() {
        let mut st = step("Pay", StepStatus::Passed, "s/01.png", Some("s/01.mp4"));
        st.state_before = Some(serde_json::json!({"seats": 3, "status": "none",
            "entitled": false, "renews_at": "2026-12-07T22:16:39.123456Z", "zeta": "z"}));
        st.state_after = Some(serde_json::json!({"seats": 3, "status": "active",
            "entitled": true, "renews_at": "2026-12-07T22:16:39.123456Z", "zeta": "z"}));
        let page = TEMPLATES
            .render(
                "report.html",
                &Page::in_zone(
                    &report(
                        "on",
                        vec![scenario("S", "continue-using", "passed", vec![st])],
                    ),
                    cet,
                ),
            )
            .unwrap();
        let table = &page[page.find(r#"<div data-testid="state">"#).unwrap()..];
        let table = &table[..table.find("Raw state before").unwrap()];
        let folded = table.find(r#"<details class="unchanged" data-testid="state-unchanged"><summary>3 unchanged fields</summary>"#).expect(table);
        let at = |row: &str| {
            table
                .find(row)
                .unwrap_or_else(|| panic!("{row} in {table}"))
        };
        // Changed first (in the table's key order), marked; the unchanged folded below.
        let status = at(
            r#"<tr class="changed"><td><code>status</code></td><td>none</td><td class="after">active</td></tr>"#,
        );
        let entitled = at(
            r#"<tr class="changed"><td><code>entitled</code></td><td>false</td><td class="after">true</td></tr>"#,
        );
        let seats = at(r#"<tr><td><code>seats</code></td><td>3</td><td class="after">3</td></tr>"#);
        let renews = at("<tr><td><code>renews_at</code></td><td>2026-12-07 23:16:39 UTC+01:00 (22:16:39 UTC)</td>");
        let zeta = at(r#"<tr><td><code>zeta</code></td><td>z</td><td class="after">z</td></tr>"#);
        assert!(status < entitled && entitled < folded, "{table}");
        assert!(folded < seats && seats < renews && renews < zeta, "{table}");
        // The raw state is the app's answer, its moments to the second, and says so.
        assert!(page.contains(r#"&quot;renews_at&quot;: &quot;2026-12-07T22:16:39Z&quot;"#));
        assert!(!page.contains(".123456"));
        assert!(page.contains(r#"<div class="what" data-testid="state-trimmed">Raw moments to the second; report.json keeps them exact.</div>"#), "{page}");

        // Nothing changed: the table says so, every field folded (one: singular).
        let mut same = step("Look", StepStatus::Passed, "s/02.png", None);
        same.state_before = Some(serde_json::json!({"status": "active"}));
        same.state_after = Some(serde_json::json!({"status": "active"}));
        let page = render_html(&report(
            "on",
            vec![scenario("S", "continue-using", "passed", vec![same])],
        ));
        assert!(
            page.contains(
                r#"<td colspan="3" class="reason" data-testid="state-same">no field changed</td>"#
            ),
            "{page}"
        );
        assert!(
            page.contains("<summary>1 unchanged field</summary>"),
            "{page}"
        );
    }

    #[test]
    fn every_video_gets_the_poster_of_its_clip_or_of_the_last_clip_it_shows() {
        let mut one = step("One", StepStatus::Passed, "s/01.png", Some("s/01.mp4"));
        one.clip.poster = Some("s/01.poster.jpg".into());
        let mut two = step("Two", StepStatus::Passed, "s/02.png", Some("s/02 b.mp4"));
        two.clip.poster = Some("s/02 b.poster.jpg".into());
        let three = step("Three", StepStatus::Passed, "s/03.png", Some("s/03.mp4"));
        let mut s = scenario("S", "continue-using", "passed", vec![one, two, three]);
        s.video = Some("s/scenario.mp4".into());
        let mut r = report("on", vec![s]);
        r.slots = slot_verdicts(&r, &|_| true);
        let page = render_html(&r);
        assert!(
            page.contains(
                r#"src="s/01.mp4" aria-label="clip of One" poster="s/01.poster.jpg"></video>"#
            ),
            "{page}"
        );
        assert!(page.contains(
            r#"src="s/02%20b.mp4" aria-label="clip of Two" poster="s/02%20b.poster.jpg"></video>"#
        ));
        // A clip without a poster has none; the scenario's video (and the slot's clip, which
        // is that video) ends on the last clip that has one.
        assert!(page.contains(r#"src="s/03.mp4" aria-label="clip of Three"></video>"#));
        assert!(page.contains(
            r#"src="s/scenario.mp4" aria-label="video of S" poster="s/02%20b.poster.jpg"></video>"#
        ));
        assert!(page.contains(r#"src="s/scenario.mp4" aria-label="clip for continue-using" poster="s/02%20b.poster.jpg"></video>"#));
    }
}
