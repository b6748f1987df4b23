//! WebDriver: the driver process, the browser session, locators, actions and waits.
//! The only room where fantoccini lives. Knows nothing of scenarios, the runner or
//! evidence: callers hand it a [`Target`] (locator kind + rendered value) and get data back.

mod capabilities;
mod cookies;
mod display;
mod driver;
mod health;
mod kind;
mod launch;

use crate::viewport::Viewport;
use display::VirtualDisplay;
pub use driver::{which, DriverProcess};
pub use kind::{BrowserKind, UnknownBrowser};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::elements::{Element, ElementRef};
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::Client;
use serde_json::{json, Value};

const LOCATE_JS: &str = include_str!("locate.js");
const FILL_JS: &str = include_str!("fill.js");
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The harness could not do its job (no driver, no browser, port in use).
    #[error("{what}\n  fix: {fix}")]
    Setup { what: String, fix: String },
    #[error("no element matches {target} (waited {waited_ms} ms)")]
    NotFound { target: String, waited_ms: u128 },
    #[error("{target} is not interactable: {reason} (waited {waited_ms} ms)")]
    NotInteractable {
        target: String,
        reason: String,
        waited_ms: u128,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("webdriver: {0}")]
    WebDriver(String),
}

impl From<CmdError> for BrowserError {
    fn from(err: CmdError) -> Self {
        BrowserError::WebDriver(err.to_string())
    }
}

/// How to find elements: the locator kinds of the scenario language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Css,
    Xpath,
    Text,
    Label,
    TestId,
}

/// A locator with its value already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub kind: TargetKind,
    pub value: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            TargetKind::Css => "css",
            TargetKind::Xpath => "xpath",
            TargetKind::Text => "text",
            TargetKind::Label => "label",
            TargetKind::TestId => "testid",
        };
        write!(f, "{{ {kind}: {:?} }}", self.value)
    }
}

/// What one probe of a target found, visible matches first.
#[derive(Debug, Clone)]
pub struct Probe {
    pub matches: Vec<Match>,
}

#[derive(Debug, Clone)]
pub struct Match {
    pub element: Element,
    pub visible: bool,
    /// Rendered text (`innerText`), or the value of a form control.
    pub text: String,
}

impl Probe {
    pub fn first_visible(&self) -> Option<&Match> {
        self.matches.first().filter(|m| m.visible)
    }
    pub fn any_visible(&self) -> bool {
        self.matches.iter().any(|m| m.visible)
    }
}

/// How to start or reach the browser.
#[derive(Debug, Clone)]
pub struct BrowserOptions {
    /// Chromium (chromedriver) or Firefox (geckodriver).
    pub browser: BrowserKind,
    /// A running WebDriver endpoint (Selenium Grid, a chromedriver you started); when set,
    /// no driver process is started.
    pub webdriver_url: Option<String>,
    pub chromedriver: PathBuf,
    /// The browser binary; `None` lets the driver find it.
    pub chromium: Option<PathBuf>,
    pub geckodriver: PathBuf,
    /// Firefox's binary; `None` lets geckodriver find it.
    pub firefox: Option<PathBuf>,
    /// How long a session may take to start, including the time a Selenium Grid keeps the
    /// request in its queue while its slots are busy.
    pub session_timeout: Duration,
    pub viewport: Viewport,
    /// Where the driver log goes.
    pub log_dir: PathBuf,
    /// Ask the driver for its WebDriver BiDi socket (`webSocketUrl`), which video capture
    /// reads the DevTools screencast from. Costs ~0.5 s of session start, so off by default.
    pub bidi: bool,
    /// A visible browser window (no `--headless`) in kiosk mode at 0,0, so a screen
    /// recorder sees exactly the viewport. Drawn on `display`, else on `$DISPLAY`, else on
    /// an Xvfb the session starts (and stops) itself, with a screen of the viewport's size.
    pub headed: bool,
    /// The X display for `headed` (`:N`); `None` means `$DISPLAY` or an own Xvfb.
    pub display: Option<String>,
    /// The Xvfb binary used when a display has to be started.
    pub xvfb: PathBuf,
}

impl BrowserOptions {
    pub fn new(log_dir: &Path) -> Self {
        BrowserOptions {
            browser: BrowserKind::Chromium,
            webdriver_url: None,
            chromedriver: which("chromedriver").unwrap_or_else(|| "/usr/bin/chromedriver".into()),
            chromium: which("chromium").or_else(|| which("chromium-browser")),
            geckodriver: which("geckodriver").unwrap_or_else(|| "geckodriver".into()),
            firefox: which("firefox-esr").or_else(|| which("firefox")),
            session_timeout: Duration::from_secs(60),
            viewport: Viewport::DEFAULT,
            log_dir: log_dir.to_path_buf(),
            bidi: false,
            headed: false,
            display: None,
            // Only from PATH: a missing Xvfb must say so, not guess a path.
            xvfb: which("Xvfb").unwrap_or_else(|| "Xvfb".into()),
        }
    }
}

/// A live browser session, with the driver and profile it owns.
pub struct Browser {
    client: Client,
    driver: Option<DriverProcess>,
    profile: Option<tempfile::TempDir>,
    name: String,
    version: String,
    bidi_url: Option<String>,
    /// A Selenium Grid's DevTools proxy for the session (`se:cdp`), when it offers one.
    cdp_url: Option<String>,
    /// The X display of a headed session, and the Xvfb behind it when the session owns one.
    display: Option<String>,
    xvfb: Option<VirtualDisplay>,
}

impl Browser {
    /// Nudges the window until the viewport is exactly `width`x`height` (window chrome
    /// differs between builds and headed/headless modes).
    async fn fix_viewport(&self, width: u32, height: u32) {
        for _ in 0..3 {
            let Ok((w, h)) = self.viewport().await else {
                return;
            };
            if (w, h) == (width, height) {
                return;
            }
            let Ok((ww, wh)) = self.client.get_window_size().await else {
                return;
            };
            let new_w = (ww as i64 + width as i64 - w as i64).max(200) as u32;
            let new_h = (wh as i64 + height as i64 - h as i64).max(200) as u32;
            if self.client.set_window_size(new_w, new_h).await.is_err() {
                return;
            }
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    /// The session's WebDriver BiDi socket (`ws://…/session/<id>`), when it was asked for
    /// with [`BrowserOptions::bidi`] and the driver offers one.
    pub fn bidi_url(&self) -> Option<&str> {
        self.bidi_url.as_deref()
    }

    /// The X display a headed session draws on (`:N`); `None` when headless.
    pub fn display(&self) -> Option<&str> {
        self.display.as_deref()
    }

    /// The Xvfb pid when this session started one.
    pub fn xvfb_pid(&self) -> Option<i32> {
        self.xvfb.as_ref().map(VirtualDisplay::pid)
    }

    /// A handle that takes viewport PNGs on the same session, usable from another task
    /// while this one drives the page (video by screenshot sampling).
    pub fn screenshotter(&self) -> Screenshotter {
        Screenshotter {
            client: self.client.clone(),
        }
    }

    /// The current window handle (also the BiDi browsing-context id in chromedriver).
    pub async fn window_handle(&self) -> Result<String, BrowserError> {
        let handle = self.client.window().await?;
        Ok(String::from(handle))
    }

    /// The driver's pid when this session started one.
    pub fn driver_pid(&self) -> Option<i32> {
        self.driver.as_ref().map(DriverProcess::pid)
    }

    /// The inner size of the window in CSS pixels.
    pub async fn viewport(&self) -> Result<(u32, u32), BrowserError> {
        let v = self
            .client
            .execute("return [window.innerWidth, window.innerHeight];", vec![])
            .await?;
        let w = v[0].as_u64().unwrap_or(0) as u32;
        let h = v[1].as_u64().unwrap_or(0) as u32;
        Ok((w, h))
    }

    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        self.client.goto(url).await?;
        Ok(())
    }

    pub async fn current_url(&self) -> Result<String, BrowserError> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// One look for `target` in the current frame; never waits.
    pub async fn probe(&self, target: &Target) -> Result<Probe, BrowserError> {
        let kind = match target.kind {
            TargetKind::Css => "css",
            TargetKind::Xpath => "xpath",
            TargetKind::Text => "text",
            TargetKind::Label => "label",
            TargetKind::TestId => "testid",
        };
        let value = self
            .client
            .execute(LOCATE_JS, vec![json!(kind), json!(target.value)])
            .await?;
        // A bad CSS selector or XPath is the scenario's fault, not the browser's.
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(BrowserError::Invalid(format!(
                "{target} is not a valid locator: {error}"
            )));
        }
        let mut matches = Vec::new();
        for item in value.as_array().cloned().unwrap_or_default() {
            let Some(id) = item["e"]
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(Value::as_str)
            else {
                continue;
            };
            matches.push(Match {
                element: Element::from_element_id(
                    self.client.clone(),
                    ElementRef::from(id.to_string()),
                ),
                visible: item["v"].as_bool().unwrap_or(false),
                text: item["t"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(Probe { matches })
    }

    /// Waits until `target` has a visible match; returns it.
    pub async fn wait_visible(
        &self,
        target: &Target,
        timeout: Duration,
    ) -> Result<Match, BrowserError> {
        let started = Instant::now();
        loop {
            let probe = self.probe(target).await?;
            if let Some(m) = probe.first_visible() {
                return Ok(m.clone());
            }
            if started.elapsed() >= timeout {
                return Err(BrowserError::NotFound {
                    target: if probe.matches.is_empty() {
                        target.to_string()
                    } else {
                        format!("{target} (found {} hidden)", probe.matches.len())
                    },
                    waited_ms: started.elapsed().as_millis(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Retries `act` on a visible match until it succeeds or `timeout` runs out; covers
    /// elements that appear late, are covered for a moment, or are re-rendered.
    async fn interact<F, Fut>(
        &self,
        target: &Target,
        timeout: Duration,
        act: F,
    ) -> Result<(), BrowserError>
    where
        F: Fn(Element) -> Fut,
        Fut: std::future::Future<Output = Result<(), BrowserError>>,
    {
        let started = Instant::now();
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            let found = self.wait_visible(target, remaining).await?;
            let _ = self
                .client
                .execute(
                    "arguments[0].scrollIntoView({block: 'center', inline: 'center'});",
                    vec![serde_json::to_value(&found.element).unwrap_or(Value::Null)],
                )
                .await;
            match act(found.element).await {
                Ok(()) => return Ok(()),
                // Covered for a moment, detached by a re-render, not yet enabled: try again.
                Err(BrowserError::WebDriver(_)) if started.elapsed() < timeout => {
                    tokio::time::sleep(POLL).await;
                }
                Err(BrowserError::WebDriver(reason)) => {
                    return Err(BrowserError::NotInteractable {
                        target: target.to_string(),
                        reason,
                        waited_ms: started.elapsed().as_millis(),
                    })
                }
                Err(other) => return Err(other),
            }
        }
    }

    pub async fn click(&self, target: &Target, timeout: Duration) -> Result<(), BrowserError> {
        self.interact(target, timeout, |el| async move {
            el.click().await.map_err(BrowserError::from)
        })
        .await
    }

    /// Sets the field's value in one go, as a person pasting would: focus, select all,
    /// insert `value`, then `input` and `change` fire (frameworks see a real edit).
    pub async fn fill(
        &self,
        target: &Target,
        value: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        self.interact(target, timeout, |el| async move {
            let arg = serde_json::to_value(&el).unwrap_or(Value::Null);
            let answer = self
                .client
                .execute(FILL_JS, vec![arg, json!(value)])
                .await?;
            match answer.as_str() {
                // Not fillable yet (disabled, read-only): `interact` tries again.
                Some(reason) => Err(BrowserError::WebDriver(reason.to_string())),
                None => Ok(()),
            }
        })
        .await
    }

    /// Clears the field and types `value` key by key, for pages that need keystrokes.
    pub async fn type_text(
        &self,
        target: &Target,
        value: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        self.interact(target, timeout, |el| async move {
            el.clear().await?;
            el.send_keys(value).await?;
            Ok(())
        })
        .await
    }

    /// Chooses an option of a `<select>` by its visible text, else by its value.
    pub async fn select(
        &self,
        target: &Target,
        option: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let script = "const [sel, want] = arguments;
            if (sel.tagName !== 'SELECT') return 'not a <select> but a <' + sel.tagName.toLowerCase() + '>';
            const norm = (s) => (s || '').replace(/\\s+/g, ' ').trim();
            const opts = Array.from(sel.options);
            const o = opts.find((o) => norm(o.text) === norm(want)) || opts.find((o) => o.value === want);
            if (!o) return 'no option ' + JSON.stringify(want) + ' among ' + JSON.stringify(opts.map((o) => norm(o.text)));
            sel.value = o.value;
            sel.dispatchEvent(new Event('input', {bubbles: true}));
            sel.dispatchEvent(new Event('change', {bubbles: true}));
            return null;";
        let started = Instant::now();
        let mut last_error;
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            let found = self.wait_visible(target, remaining).await?;
            let result = self
                .client
                .execute(
                    script,
                    vec![
                        serde_json::to_value(&found.element).unwrap_or(Value::Null),
                        json!(option),
                    ],
                )
                .await?;
            match result.as_str() {
                None => return Ok(()),
                Some(err) => last_error = err.to_string(),
            }
            if started.elapsed() >= timeout {
                return Err(BrowserError::NotInteractable {
                    target: target.to_string(),
                    reason: last_error,
                    waited_ms: started.elapsed().as_millis(),
                });
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Sends a named key (`Enter`, `Tab`, …) or literal text to `target`, or to the
    /// focused element without one.
    pub async fn press(
        &self,
        key: &str,
        target: Option<&Target>,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let keys = key_text(key);
        match target {
            Some(target) => {
                self.interact(target, timeout, |el| {
                    let keys = keys.clone();
                    async move { el.send_keys(&keys).await.map_err(BrowserError::from) }
                })
                .await
            }
            None => {
                let el = self.client.active_element().await?;
                el.send_keys(&keys).await?;
                Ok(())
            }
        }
    }

    /// An attribute of a matched element (`None` when it has none).
    pub async fn attribute(
        &self,
        found: &Match,
        name: &str,
    ) -> Result<Option<String>, BrowserError> {
        Ok(found.element.attr(name).await?)
    }

    /// The visible text of the whole page (current frame).
    pub async fn page_text(&self) -> Result<String, BrowserError> {
        let v = self
            .client
            .execute(
                "return (document.body ? document.body.innerText : '') || '';",
                vec![],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Enters the iframe matched by `target` (waiting for it).
    pub async fn enter_frame(
        &self,
        target: &Target,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let found = self.wait_visible(target, timeout).await?;
        found.element.enter_frame().await?;
        Ok(())
    }

    pub async fn leave_frame(&self) -> Result<(), BrowserError> {
        self.client.enter_parent_frame().await?;
        Ok(())
    }

    /// Back to the top-level document, from any frame depth.
    pub async fn top_frame(&self) -> Result<(), BrowserError> {
        self.client
            .issue_cmd(TopFrame)
            .await
            .map(|_| ())
            .map_err(BrowserError::from)
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the current frame and
    /// returns what it returns, as JSON.
    pub async fn eval_json(&self, script: &str, args: Vec<Value>) -> Result<Value, BrowserError> {
        Ok(self.client.execute(script, args).await?)
    }

    /// GETs `url` from inside the page, with the page's cookies, and returns its JSON body.
    /// `Ok(None)` when the current page is on another origin (no session to borrow), when
    /// the answer is not a 2xx JSON body, or after 5 s without an answer.
    pub async fn fetch_json(&self, url: &str) -> Result<Option<Value>, BrowserError> {
        let want = url::Url::parse(url)
            .map_err(|e| BrowserError::Invalid(format!("{url:?} is not a URL: {e}")))?;
        let Ok(current) = url::Url::parse(&self.current_url().await?) else {
            return Ok(None);
        };
        if current.origin() != want.origin() {
            return Ok(None);
        }
        let script = "const [url, done] = arguments;
            const timer = setTimeout(() => done({ok: false, error: 'timeout'}), 5000);
            fetch(url, {credentials: 'same-origin', headers: {accept: 'application/json'}})
              .then((r) => r.ok ? r.json().then((body) => ({ok: true, body})) : {ok: false, status: r.status})
              .catch((e) => ({ok: false, error: String(e)}))
              .then((result) => { clearTimeout(timer); done(result); });";
        let result = self
            .client
            .execute_async(script, vec![json!(want.as_str())])
            .await?;
        Ok(match result.get("ok").and_then(Value::as_bool) {
            Some(true) => result.get("body").cloned(),
            _ => None,
        })
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Result<Vec<u8>, BrowserError> {
        Ok(self.client.screenshot().await?)
    }

    /// Ends the session, stops the driver and every browser process, removes the profile.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
        if let Some(driver) = self.driver.take() {
            driver.stop().await;
        }
        if let Some(profile) = self.profile.take() {
            kill_processes_using(profile.path());
            let _ = profile.close();
        }
        if let Some(xvfb) = self.xvfb.take() {
            xvfb.stop().await;
        }
    }
}

/// Takes screenshots of a session from another task (see [`Browser::screenshotter`]).
#[derive(Clone)]
pub struct Screenshotter {
    client: Client,
}

impl Screenshotter {
    /// A PNG of the current viewport.
    pub async fn png(&self) -> Result<Vec<u8>, BrowserError> {
        Ok(self.client.screenshot().await?)
    }
}

/// WebDriver "Switch To Frame" with a null id: back to the top-level browsing context.
#[derive(Debug)]
struct TopFrame;

impl fantoccini::wd::WebDriverCompatibleCommand for TopFrame {
    fn endpoint(
        &self,
        base: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/frame", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(r#"{"id":null}"#.to_string()))
    }
}

/// Last line of defence: SIGKILL any process whose command line names `profile`
/// (a browser that escaped its process group).
fn kill_processes_using(profile: &Path) {
    let needle = profile.display().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for pid in entries.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok()) {
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        if String::from_utf8_lossy(&cmdline).contains(&needle) {
            // SAFETY: kill only sends a signal to a pid we just read.
            #[allow(unsafe_code)]
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Maps a key name to the WebDriver key code; anything else is sent as typed text.
fn key_text(key: &str) -> String {
    let named = match key.to_ascii_lowercase().as_str() {
        "enter" | "return" => Some(Key::Enter),
        "tab" => Some(Key::Tab),
        "escape" | "esc" => Some(Key::Escape),
        "backspace" => Some(Key::Backspace),
        "delete" => Some(Key::Delete),
        "space" => Some(Key::Space),
        "arrowup" | "up" => Some(Key::Up),
        "arrowdown" | "down" => Some(Key::Down),
        "arrowleft" | "left" => Some(Key::Left),
        "arrowright" | "right" => Some(Key::Right),
        "home" => Some(Key::Home),
        "end" => Some(Key::End),
        "pageup" => Some(Key::PageUp),
        "pagedown" => Some(Key::PageDown),
        _ => None,
    };
    match named {
        Some(k) => char::from(k).to_string(),
        None => key.to_string(),
    }
}
