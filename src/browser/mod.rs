//! WebDriver: the driver process, the browser session, locators, actions and waits.
//! The only room where fantoccini lives. Knows nothing of scenarios, the runner or
//! evidence: callers hand it a [`Locator`] (a [`By`] and a rendered value) and get data back.

mod capabilities;
mod combobox;
mod cookies;
mod display;
mod driver;
mod health;
mod kind;
mod launch;
mod pattern;
mod wait;

use crate::viewport::Viewport;
pub use combobox::Chosen;
pub use display::VirtualDisplay;
pub use driver::{which, DriverProcess};
pub use kind::{BrowserKind, UnknownBrowser};
pub use wait::TextTest;
use wait::{Act, Ended, Until};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, MouseActions, PointerAction, MOUSE_BUTTON_LEFT};
use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::key::Key;
use fantoccini::Client;
use serde_json::{json, Value};

const LOCATE_JS: &str = include_str!("locate.js");
const FILL_JS: &str = include_str!("fill.js");
const SELECT_JS: &str = include_str!("select.js");
const POLL: Duration = Duration::from_millis(100);

#[derive(Debug, thiserror::Error)]
pub enum BrowserError {
    /// The harness could not do its job (no driver, no browser, port in use).
    #[error("{what}\n  fix: {fix}")]
    Setup { what: String, fix: String },
    #[error("no element matches {locator} (waited {waited_ms} ms)")]
    NotFound { locator: String, waited_ms: u128 },
    #[error("{locator} is not interactable: {reason} (waited {waited_ms} ms)")]
    NotInteractable {
        locator: String,
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
pub enum By {
    Css,
    Xpath,
    Text,
    Label,
    TestId,
}

/// A locator with its value already rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locator {
    pub kind: By,
    pub value: String,
}

impl By {
    /// The locator's key in the scenario language (and in locate.js).
    pub fn as_str(self) -> &'static str {
        match self {
            By::Css => "css",
            By::Xpath => "xpath",
            By::Text => "text",
            By::Label => "label",
            By::TestId => "testid",
        }
    }
}

impl std::fmt::Display for Locator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{ {}: {:?} }}", self.kind.as_str(), self.value)
    }
}

/// What one probe of a locator found, visible matches first.
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

/// The first visible match a wait in the page reached (and acted on).
struct Reached {
    element: Element,
    text: String,
    /// Its element name (`button`, `option`, …).
    tag: String,
}

/// How many elements a locator matched when a wait looked, and how many were visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presence {
    pub matches: usize,
    pub visible: usize,
}

/// How a wait in the page ended: the condition held on what was seen, or the time ran out
/// and this was the last thing seen (or why the last look failed).
#[derive(Debug)]
pub enum Waited<T> {
    Held(T),
    TimedOut(Result<T, BrowserError>),
}

impl<T> Waited<T> {
    fn from_end(end: Ended, seen: impl Fn(wait::Answer) -> T) -> Waited<T> {
        match end {
            Ended::Held(answer) => Waited::Held(seen(answer)),
            Ended::TimedOut(last) => Waited::TimedOut(last.map(seen)),
        }
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
    /// an Xvfb the session starts (and stops) itself, a little larger than the viewport.
    pub headed: bool,
    /// The X display for `headed` (`:N`); `None` means `$DISPLAY` or an own Xvfb.
    pub display: Option<String>,
    /// The Xvfb binary used when a display has to be started.
    pub xvfb: PathBuf,
    /// Host names reached at a local TLS server instead of through DNS (a run that answers
    /// as Polar's own names).
    pub host_route: Option<HostRoute>,
}

/// Host names the browser reaches at a local TLS server instead of through DNS — a run that
/// answers as Polar's own names (`sandbox.polar.sh`). Chromium maps each name to `tls`
/// (`--host-resolver-rules`) and trusts the one certificate whose public key hashes to
/// `spki_sha256` (`--ignore-certificate-errors-spki-list`), nothing else. Firefox cannot map
/// a name to a port, so its HTTPS goes through `proxy` (which tunnels every other host
/// untouched) and the session accepts the run's certificate (`acceptInsecureCerts`: Firefox
/// has no preference that trusts one CA or key without a certificate database).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostRoute {
    pub names: Vec<String>,
    pub tls: std::net::SocketAddr,
    pub proxy: std::net::SocketAddr,
    /// `base64(sha256(SubjectPublicKeyInfo))` of the certificate `tls` presents.
    pub spki_sha256: String,
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
            host_route: None,
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
    /// Video shares the session (a [`Screenshotter`] was handed out, or a screencast reads
    /// the driver's BiDi socket): waits are cut into short calls.
    video_shares_session: AtomicBool,
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

    /// Makes the session own `xvfb`, an Xvfb started for it by the caller and named in
    /// [`BrowserOptions::display`]: closing the session stops it.
    pub fn adopt_display(&mut self, xvfb: VirtualDisplay) {
        self.xvfb = Some(xvfb);
    }

    /// The Xvfb pid when this session started or adopted one.
    pub fn xvfb_pid(&self) -> Option<i32> {
        self.xvfb.as_ref().map(VirtualDisplay::pid)
    }

    /// Says video comes through the driver's own session (its BiDi socket): the driver
    /// holds the socket's messages while a script runs, so a screencast frame waits for the
    /// wait in flight and waits are cut into short calls, as for sampled screenshots.
    pub fn share_session_with_video(&self) {
        self.video_shares_session.store(true, Ordering::Relaxed);
    }

    /// A handle that takes viewport PNGs on the same session, usable from another task
    /// while this one drives the page (video by screenshot sampling).
    pub fn screenshotter(&self) -> Screenshotter {
        self.video_shares_session.store(true, Ordering::Relaxed);
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

    /// Opens `url`; a relative one is joined to the current page's URL.
    pub async fn goto(&self, url: &str) -> Result<(), BrowserError> {
        match url::Url::parse(url) {
            // Straight to the driver: fantoccini's goto asks for the current URL first.
            Ok(absolute) => {
                self.client.issue_cmd(Navigate(absolute)).await?;
            }
            Err(_) => self.client.goto(url).await?,
        }
        Ok(())
    }

    pub async fn current_url(&self) -> Result<String, BrowserError> {
        Ok(self.client.current_url().await?.to_string())
    }

    /// One look for `locator` in the current frame; never waits.
    pub async fn probe(&self, locator: &Locator) -> Result<Probe, BrowserError> {
        let value = self
            .client
            .execute(
                LOCATE_JS,
                vec![json!(locator.kind.as_str()), json!(locator.value)],
            )
            .await?;
        // A bad CSS selector or XPath is the scenario's fault, not the browser's.
        if let Some(error) = value.get("error").and_then(Value::as_str) {
            return Err(BrowserError::Invalid(format!(
                "{locator} is not a valid locator: {error}"
            )));
        }
        let mut matches = Vec::new();
        for item in value.as_array().cloned().unwrap_or_default() {
            let Some(element) = self.element_of(&item["e"]) else {
                continue;
            };
            matches.push(Match {
                element,
                visible: item["v"].as_bool().unwrap_or(false),
                text: item["t"].as_str().unwrap_or_default().to_string(),
            });
        }
        Ok(Probe { matches })
    }

    /// Waits until `locator` has a visible match; returns it.
    pub async fn wait_visible(
        &self,
        locator: &Locator,
        timeout: Duration,
    ) -> Result<Match, BrowserError> {
        let found = self
            .reach(locator, timeout, Act::None, Instant::now())
            .await?;
        Ok(Match {
            element: found.element,
            visible: true,
            text: found.text,
        })
    }

    /// Waits in the page until the first match of `locator` is visible and `act` succeeded
    /// on it. `started` is when the action began (the time waited in errors).
    async fn reach(
        &self,
        locator: &Locator,
        timeout: Duration,
        act: Act<'_>,
        started: Instant,
    ) -> Result<Reached, BrowserError> {
        let end = self
            .wait_in_page(Until::Visible(locator, act), timeout, &mut |_| true)
            .await?;
        let waited_ms = started.elapsed().as_millis();
        match end {
            Ended::Held(answer) => {
                let element = answer.e.as_ref().and_then(|e| self.element_of(e));
                let element = element.ok_or_else(|| {
                    BrowserError::WebDriver(format!("{locator}: the page answered no element"))
                })?;
                Ok(Reached {
                    element,
                    text: answer.text.unwrap_or_default(),
                    tag: answer.tag.unwrap_or_default(),
                })
            }
            Ended::TimedOut(Ok(answer)) => Err(match answer.blocked {
                Some(reason) => BrowserError::NotInteractable {
                    locator: locator.to_string(),
                    reason,
                    waited_ms,
                },
                None if answer.count == 0 => BrowserError::NotFound {
                    locator: locator.to_string(),
                    waited_ms,
                },
                None => BrowserError::NotFound {
                    locator: format!("{locator} (found {} hidden)", answer.count),
                    waited_ms,
                },
            }),
            Ended::TimedOut(Err(err)) => Err(err),
        }
    }

    /// Waits in the page until some match of `locator` is visible (`visible`), or none is.
    /// A broken locator, or a session that is gone, is an error at once.
    pub async fn wait_presence(
        &self,
        locator: &Locator,
        visible: bool,
        timeout: Duration,
    ) -> Result<Waited<Presence>, BrowserError> {
        let until = if visible {
            Until::Shown(locator)
        } else {
            Until::Hidden(locator)
        };
        let end = self.wait_in_page(until, timeout, &mut |_| true).await?;
        Ok(Waited::from_end(end, |a| Presence {
            matches: a.count,
            visible: a.visible,
        }))
    }

    /// Waits in the page until the text of the first visible match of `locator` (its
    /// `innerText` folded, or a form control's value), or the page's `innerText` without a
    /// locator, passes `test` and then `accept`, which has the last word. What is seen is
    /// that text, or `None` while the locator has no visible match.
    pub async fn wait_text(
        &self,
        locator: Option<&Locator>,
        test: &TextTest,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<Waited<Option<String>>, BrowserError> {
        let mut accept_answer = |a: &wait::Answer| a.text.as_deref().is_some_and(&accept);
        let end = self
            .wait_in_page(Until::Text(locator, test), timeout, &mut accept_answer)
            .await?;
        Ok(Waited::from_end(end, |a| a.text))
    }

    /// Waits for a visible match of `locator`, has the page `act` on it (scroll it to the
    /// middle, fill it, choose an option), then does `then` to it over WebDriver. A failed
    /// `then` starts over until `timeout`: covers elements that appear late, are covered
    /// for a moment, or are re-rendered.
    async fn interact<F, Fut>(
        &self,
        locator: &Locator,
        timeout: Duration,
        act: Act<'_>,
        then: F,
    ) -> Result<(), BrowserError>
    where
        F: Fn(Reached) -> Fut,
        Fut: std::future::Future<Output = Result<(), BrowserError>>,
    {
        let started = Instant::now();
        loop {
            let remaining = timeout.saturating_sub(started.elapsed());
            let found = self.reach(locator, remaining, act, started).await?;
            match then(found).await {
                Ok(()) => return Ok(()),
                // Covered for a moment, detached by a re-render, not yet enabled: try again.
                Err(BrowserError::WebDriver(_)) if started.elapsed() < timeout => {
                    tokio::time::sleep(POLL).await;
                }
                Err(BrowserError::WebDriver(reason)) => {
                    return Err(BrowserError::NotInteractable {
                        locator: locator.to_string(),
                        reason,
                        waited_ms: started.elapsed().as_millis(),
                    })
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Clicks `locator` with real pointer events, once the page has it visible, scrolled to
    /// the middle and not covered by anything else: a WebDriver pointer action (move to
    /// its middle, press, release), which costs a third of WebDriver's element click since
    /// the page has already checked what that command checks. An `<option>` gets the
    /// element click, which chooses it.
    pub async fn click(&self, locator: &Locator, timeout: Duration) -> Result<(), BrowserError> {
        self.interact(locator, timeout, Act::Click, |found| async move {
            if found.tag == "option" {
                return found.element.click().await.map_err(BrowserError::from);
            }
            self.pointer_click(found.element).await
        })
        .await
    }

    /// A WebDriver pointer action on `element`: move to its middle, press, release.
    async fn pointer_click(&self, element: Element) -> Result<(), BrowserError> {
        let pointer = MouseActions::new("walkthrough-pointer".into())
            .then(PointerAction::MoveToElement {
                element,
                duration: Some(Duration::ZERO),
                x: 0.0,
                y: 0.0,
            })
            .then(PointerAction::Down {
                button: MOUSE_BUTTON_LEFT,
            })
            .then(PointerAction::Up {
                button: MOUSE_BUTTON_LEFT,
            });
        self.client
            .perform_actions(pointer)
            .await
            .map_err(BrowserError::from)
    }

    /// Sets the field's value in one go, as a person pasting would: focus, select all,
    /// insert `value`, then `input` and `change` fire (frameworks see a real edit). Found,
    /// scrolled to and filled by one script in the page; a field that is not fillable yet
    /// (disabled, read-only) is waited for.
    pub async fn fill(
        &self,
        locator: &Locator,
        value: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        self.interact(locator, timeout, Act::Fill(value), |_| async { Ok(()) })
            .await
    }

    /// Clears the field and types `value` key by key, for pages that need keystrokes.
    pub async fn type_text(
        &self,
        locator: &Locator,
        value: &str,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        self.interact(locator, timeout, Act::Scroll, |found| async move {
            found.element.clear().await?;
            found.element.send_keys(value).await?;
            Ok(())
        })
        .await
    }

    /// Chooses an option of a `<select>` by its visible text, else by its value; in the
    /// page, waiting until the option is there. When the match is not a `<select>` but is
    /// (or is inside) an ARIA combobox (`role=combobox`, `aria-haspopup=listbox`), opens it
    /// with a click, waits for its listbox, clicks the `role=option` named `option` (equal,
    /// else equal ignoring case, else the one option starting with it) and checks the
    /// combobox shows it; when the click does not choose it, types the name and Enter into
    /// the open listbox. Answers which way it chose.
    pub async fn select(
        &self,
        locator: &Locator,
        option: &str,
        timeout: Duration,
    ) -> Result<Chosen, BrowserError> {
        let started = Instant::now();
        let reached = std::sync::Mutex::new(None);
        self.interact(locator, timeout, Act::Select(option), |found| {
            if found.tag != "select" {
                *reached.lock().unwrap_or_else(|p| p.into_inner()) = Some(found.element);
            }
            async { Ok(()) }
        })
        .await?;
        let combobox = reached.into_inner().unwrap_or_else(|p| p.into_inner());
        match combobox {
            None => Ok(Chosen::Native),
            Some(el) => {
                self.choose_in_combobox(&el, locator, option, started, started + timeout)
                    .await
            }
        }
    }

    /// Sends a named key (`Enter`, `Tab`, …) or literal text to `locator`, or to the
    /// focused element without one.
    pub async fn press(
        &self,
        key: &str,
        locator: Option<&Locator>,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let keys = key_text(key);
        match locator {
            Some(locator) => {
                self.interact(locator, timeout, Act::Scroll, |found| {
                    let keys = keys.clone();
                    async move {
                        found
                            .element
                            .send_keys(&keys)
                            .await
                            .map_err(BrowserError::from)
                    }
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

    /// Enters the iframe matched by `locator` (waiting for it).
    pub async fn enter_frame(
        &self,
        locator: &Locator,
        timeout: Duration,
    ) -> Result<(), BrowserError> {
        let found = self.wait_visible(locator, timeout).await?;
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
    /// the answer is not a 2xx JSON body, or after 5 s without an answer. One round trip:
    /// the page compares the origins itself.
    pub async fn fetch_json(&self, url: &str) -> Result<Option<Value>, BrowserError> {
        let want = url::Url::parse(url)
            .map_err(|e| BrowserError::Invalid(format!("{url:?} is not a URL: {e}")))?;
        let script = "const [url, done] = arguments;
            if (new URL(url).origin !== location.origin) return done({ok: false, error: 'another origin'});
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
    /// A browser this session started is only ours: it is killed, which is as clean for a
    /// throwaway profile as asking it to quit and a few hundred milliseconds faster. A
    /// session on someone else's driver (a Grid) is ended with the WebDriver call.
    pub async fn close(mut self) {
        match self.driver.take() {
            Some(driver) => {
                if let Some(profile) = &self.profile {
                    kill_processes_using(profile.path());
                }
                driver.stop().await;
            }
            None => {
                let _ =
                    tokio::time::timeout(Duration::from_secs(5), self.client.clone().close()).await;
            }
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

/// WebDriver "Navigate To" an absolute URL.
#[derive(Debug)]
struct Navigate(url::Url);

impl fantoccini::wd::WebDriverCompatibleCommand for Navigate {
    fn endpoint(
        &self,
        base: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/url", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "url": self.0.as_str() });
        (http::Method::POST, Some(body.to_string()))
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
