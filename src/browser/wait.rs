//! Waiting in the page: one `execute_async` script (wait.js) checks a condition on the
//! animation frame after each DOM change, and at least every 100 ms, and answers as soon
//! as it holds — one round trip per wait instead of one per check. Each call is bounded
//! by a slice, well under the driver's script timeout and short enough that a command
//! queued behind it (a sampled video frame, the screenshot after an interrupt) waits
//! little; a navigation or a detached frame aborts a call, and the wait goes on with a
//! fresh one until its own timeout.

use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::error::CmdError;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{pattern, Browser, BrowserError, Locator};

const WAIT_JS: &str = include_str!("wait.js");

/// wait.js with the scripts it calls, as functions.
static SCRIPT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "const locate = function () {{\n{}\n}};\nconst fill = function () {{\n{}\n}};\n\
         const choose = function () {{\n{}\n}};\n{WAIT_JS}",
        super::LOCATE_JS,
        super::FILL_JS,
        super::SELECT_JS
    )
});

/// The longest single call: interrupting a run waits for the call in flight.
const SLICE: Duration = Duration::from_millis(1000);
/// The longest call while video shares the session: a sampled screenshot, or a
/// screencast frame on the driver's BiDi socket, waits for the call in flight.
const SAMPLED_SLICE: Duration = Duration::from_millis(100);

/// A text condition, evaluated in the page; the caller's own check has the last word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextTest {
    /// Equal after trimming and folding whitespace.
    Equals(String),
    /// Contains, after trimming and folding whitespace.
    Contains(String),
    /// A search with this Rust `regex` pattern, in the text as found.
    Matches(String),
    /// Any text: every change is handed to the caller's check, at most every 100 ms.
    Changes,
}

impl TextTest {
    fn to_json(&self, seen: Option<&str>) -> Value {
        let (mode, want) = match self {
            TextTest::Equals(t) => ("equals", Some(t.clone())),
            TextTest::Contains(t) => ("contains", Some(t.clone())),
            TextTest::Matches(p) => match pattern::to_js(p) {
                Some(js) => ("matches", Some(js)),
                None => ("changes", None),
            },
            TextTest::Changes => ("changes", None),
        };
        json!({ "mode": mode, "want": want, "seen": seen })
    }
}

/// What the page does to the first visible match once a wait for it holds.
#[derive(Debug, Clone, Copy)]
pub(super) enum Act<'a> {
    /// Nothing: just report it.
    None,
    /// Scroll it to the middle of the viewport.
    Scroll,
    /// Scroll, and nothing covers its middle (a pointer there reaches it).
    Click,
    /// Scroll, then set a field's value (fill.js); must succeed.
    Fill(&'a str),
    /// Scroll, then choose an option of a `<select>` (select.js); must succeed.
    Select(&'a str),
}

/// What a wait in the page waits for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Until<'a> {
    /// The first match is visible (and `act` succeeded on it).
    Visible(&'a Locator, Act<'a>),
    /// Some match is visible.
    Shown(&'a Locator),
    /// No match is visible.
    Hidden(&'a Locator),
    /// The text of the first visible match, or of the page, passes the test.
    Text(Option<&'a Locator>, &'a TextTest),
}

impl Until<'_> {
    fn spec(&self, budget: Duration, seen: Option<&str>) -> Value {
        let mut spec = self.what(seen);
        let end = SystemTime::now() + budget;
        let end = end.duration_since(UNIX_EPOCH).unwrap_or_default();
        spec["budget"] = json!(budget.as_millis() as u64);
        spec["end"] = json!(end.as_millis() as u64);
        spec
    }

    /// The spec without its time limits.
    fn what(&self, seen: Option<&str>) -> Value {
        let locator = |t: &Locator| json!({ "kind": t.kind.as_str(), "value": t.value });
        match *self {
            Until::Visible(t, act) => {
                let (act, value) = match act {
                    Act::None => (None, None),
                    Act::Scroll => (Some("scroll"), None),
                    Act::Click => (Some("click"), None),
                    Act::Fill(v) => (Some("fill"), Some(v)),
                    Act::Select(v) => (Some("select"), Some(v)),
                };
                json!({ "locator": locator(t), "until": "visible", "act": act, "value": value })
            }
            Until::Shown(t) => json!({ "locator": locator(t), "until": "shown" }),
            Until::Hidden(t) => json!({ "locator": locator(t), "until": "hidden" }),
            Until::Text(t, test) => json!({
                "locator": t.map(locator), "until": "text", "text": test.to_json(seen) }),
        }
    }

    fn locator(&self) -> Option<&Locator> {
        match *self {
            Until::Visible(t, _) | Until::Shown(t) | Until::Hidden(t) => Some(t),
            Until::Text(t, _) => t,
        }
    }
}

/// What one call of wait.js saw.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Answer {
    pub held: bool,
    pub invalid: Option<String>,
    pub error: Option<String>,
    /// Matches of the locator, and how many of them are visible.
    pub count: usize,
    pub visible: usize,
    /// The text of the first visible match (or of the page).
    pub text: Option<String>,
    /// The first visible match, and its element name.
    pub e: Option<Value>,
    pub tag: Option<String>,
    /// Why the act failed on the first visible match.
    pub blocked: Option<String>,
}

/// How a wait in the page ended (a broken locator fails it at once instead).
pub(super) enum Ended {
    Held(Answer),
    /// Out of time: what the last call saw, or why it failed.
    TimedOut(Result<Answer, BrowserError>),
}

/// Errors after which waiting on is pointless: the session or its window is gone, or the
/// driver cannot be reached.
fn fatal(err: &CmdError) -> bool {
    match err {
        CmdError::Standard(_) => {
            err.is_invalid_session_id() || err.is_no_such_window() || err.is_session_not_created()
        }
        _ => true,
    }
}

impl Browser {
    /// Waits in the page until `until` holds and `accept` agrees with what the page saw
    /// (when it does not, the page reports the next different text), or until `timeout`.
    /// A broken locator fails at once; so do errors after which waiting is pointless.
    /// Anything else that aborts a call (a navigation, a detached frame) starts a new one.
    pub(super) async fn wait_in_page(
        &self,
        until: Until<'_>,
        timeout: Duration,
        accept: &mut dyn FnMut(&Answer) -> bool,
    ) -> Result<Ended, BrowserError> {
        let started = Instant::now();
        let mut seen: Option<String> = None;
        let mut failures = 0u32;
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            let slice = if self.video_shares_session.load(Ordering::Relaxed) {
                SAMPLED_SLICE
            } else {
                SLICE
            };
            let spec = until.spec(remaining.min(slice), seen.as_deref());
            let last = match self.client.execute_async(&SCRIPT, vec![spec]).await {
                Ok(value) => {
                    let mut answer: Answer = serde_json::from_value(value).unwrap_or_default();
                    if let Some(error) = &answer.invalid {
                        let locator = until.locator().map(ToString::to_string);
                        return Err(BrowserError::Invalid(format!(
                            "{} is not a valid locator: {error}",
                            locator.unwrap_or_default()
                        )));
                    }
                    if answer.held {
                        if accept(&answer) {
                            return Ok(Ended::Held(answer));
                        }
                        seen.clone_from(&answer.text);
                    }
                    match answer.error.take() {
                        Some(error) => Err(BrowserError::WebDriver(format!(
                            "javascript error: {error}"
                        ))),
                        None => Ok(answer),
                    }
                }
                Err(err) if fatal(&err) => return Err(err.into()),
                Err(err) => Err(err.into()),
            };
            failures = if last.is_err() { failures + 1 } else { 0 };
            if started.elapsed() >= timeout {
                return Ok(Ended::TimedOut(last));
            }
            // A failure right after a failure: the page is not ready yet, do not spin.
            if failures > 1 {
                let pause = Duration::from_millis(20 * u64::from(failures.min(5)));
                tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
            }
        }
    }

    /// The element a script answered with (`{"element-6066-…": id}`).
    pub(super) fn element_of(&self, value: &Value) -> Option<Element> {
        let id = value.as_object()?.values().next()?.as_str()?;
        Some(Element::from_element_id(
            self.client.clone(),
            ElementRef::from(id.to_string()),
        ))
    }
}
