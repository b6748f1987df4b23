//! `select` on an ARIA combobox (a `role=combobox`, or a button with
//! `aria-haspopup=listbox`, such as Radix's Select on Polar's hosted checkout): open it with
//! a real click, wait for its listbox (where its `aria-controls` points, else the last one
//! shown, as a portal at the end of `<body>` is), click the `role=option` by its name, and
//! check the combobox shows it; when the click does not choose it, type the name and Enter.
//! What the page sees is in combobox.js; this file only sequences it. Part of the browser
//! room: knows nothing of scenarios.

use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Browser, BrowserError, Locator, POLL};

const COMBOBOX_JS: &str = include_str!("combobox.js");
/// How long a click on an option gets to show in the combobox before the keyboard is tried.
const CLICK_SETTLES: Duration = Duration::from_millis(1500);
/// How many option names an error lists.
const NAMES_SHOWN: usize = 12;

/// How `select` chose its option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chosen {
    /// A native `<select>`: its value set in the page, `input` and `change` fired.
    Native,
    /// An ARIA combobox: opened and its option clicked with real pointer events.
    Click,
    /// An ARIA combobox whose option did not take the click: the option's name typed into
    /// the open listbox, then Enter.
    Keyboard,
}

/// What combobox.js saw.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Look {
    #[serde(rename = "box")]
    combobox: Option<Value>,
    shown: String,
    expanded: Option<String>,
    open: bool,
    options: Vec<String>,
    pick: Option<Value>,
    name: Option<String>,
    ambiguous: Vec<String>,
}

/// `names` for a message: `Germany, France, …` (the first few, and how many in all).
fn listed(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    let mut out = names
        .iter()
        .take(NAMES_SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > NAMES_SHOWN {
        out.push_str(&format!(", … ({} in all)", names.len()));
    }
    out
}

/// Whether the combobox shows `name` (equal after folding whitespace, or it contains it:
/// a trigger may add an icon's text).
fn shows(look: &Look, name: &str) -> bool {
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    look.shown == name || look.shown.contains(&name)
}

impl Browser {
    async fn look(&self, el: &Element, want: Option<&str>) -> Result<Look, BrowserError> {
        let el = serde_json::to_value(el).map_err(|e| BrowserError::WebDriver(e.to_string()))?;
        let v = self
            .client
            .execute(COMBOBOX_JS, vec![el, json!(want)])
            .await?;
        Ok(serde_json::from_value(v).unwrap_or_default())
    }

    /// Chooses `option` in the combobox that `el` (a visible match of `locator`) is or is
    /// inside, by `deadline`.
    pub(super) async fn choose_in_combobox(
        &self,
        el: &Element,
        locator: &Locator,
        option: &str,
        started: Instant,
        deadline: Instant,
    ) -> Result<Chosen, BrowserError> {
        let fail = |reason: String| BrowserError::NotInteractable {
            locator: locator.to_string(),
            reason,
            waited_ms: started.elapsed().as_millis(),
        };
        let first = self.look(el, None).await?;
        let Some(combobox) = first.combobox.as_ref().and_then(|v| self.element_of(v)) else {
            return Err(fail("not a <select> and not in a combobox".into()));
        };
        if !first.open {
            self.pointer_click(combobox.clone()).await?;
        }
        let (pick, name) = self
            .wait_for_option(&combobox, option, deadline, &fail)
            .await?;
        let clicked = self.pointer_click(pick).await;
        if clicked.is_ok()
            && self
                .wait_shown(&combobox, &name, CLICK_SETTLES, deadline)
                .await?
        {
            return Ok(Chosen::Click);
        }
        // The click did not choose it: type its name into the open listbox, then Enter.
        if !self.look(&combobox, None).await?.open {
            self.pointer_click(combobox.clone()).await?;
            self.wait_for_option(&combobox, option, deadline, &fail)
                .await?;
        }
        let keys = format!("{name}{}", char::from(fantoccini::key::Key::Enter));
        self.client.active_element().await?.send_keys(&keys).await?;
        let left = deadline.saturating_duration_since(Instant::now());
        if self.wait_shown(&combobox, &name, left, deadline).await? {
            return Ok(Chosen::Keyboard);
        }
        let now = self.look(&combobox, None).await?;
        let click = match clicked {
            Ok(()) => "clicking the option did not choose it".to_string(),
            Err(e) => format!("clicking the option failed ({e})"),
        };
        Err(fail(format!(
            "{click}, nor did typing {name:?} and Enter: the combobox shows {:?}",
            now.shown
        )))
    }

    /// Waits until the combobox's listbox is open and has the option, and answers it and
    /// its name; else the error names what was there.
    async fn wait_for_option(
        &self,
        combobox: &Element,
        option: &str,
        deadline: Instant,
        fail: &dyn Fn(String) -> BrowserError,
    ) -> Result<(Element, String), BrowserError> {
        loop {
            let look = self.look(combobox, Some(option)).await?;
            let pick = look.pick.as_ref().and_then(|v| self.element_of(v));
            if let (Some(pick), Some(name)) = (pick, look.name.clone()) {
                return Ok((pick, name));
            }
            if Instant::now() >= deadline {
                return Err(fail(match look {
                    Look { open: false, .. } => format!(
                        "clicking it opened no listbox (aria-expanded={})",
                        look.expanded.as_deref().unwrap_or("absent")
                    ),
                    Look { ref ambiguous, .. } if !ambiguous.is_empty() => format!(
                        "{option:?} starts several options: {}; name one in full",
                        listed(ambiguous)
                    ),
                    Look { ref options, .. } => format!(
                        "no option {option:?}: the listbox had options: {}",
                        listed(options)
                    ),
                }));
            }
            tokio::time::sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        }
    }

    /// Waits up to `wait` (and not past `deadline`) until the combobox shows `name`.
    async fn wait_shown(
        &self,
        combobox: &Element,
        name: &str,
        wait: Duration,
        deadline: Instant,
    ) -> Result<bool, BrowserError> {
        let until = (Instant::now() + wait).min(deadline);
        loop {
            let look = self.look(combobox, None).await?;
            if shows(&look, name) && !look.open {
                return Ok(true);
            }
            if Instant::now() >= until {
                return Ok(false);
            }
            tokio::time::sleep(POLL / 2).await;
        }
    }
}
