//! Starting a session: the X display of a headed browser, the driver process (chromedriver
//! or geckodriver), and the WebDriver session itself, which may wait in a Selenium Grid's
//! queue but never longer than [`BrowserOptions::session_timeout`]. Whatever was started
//! before a later part fails is stopped again before the error is returned.

use std::time::Duration;

use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder};
use serde_json::Value;

use super::display::VirtualDisplay;
use super::{capabilities, Browser, BrowserError, BrowserKind, BrowserOptions, DriverProcess};

/// The X display a headed browser draws on: the one named, `$DISPLAY`, or an Xvfb a little
/// larger than the viewport that the session owns.
async fn display(
    options: &BrowserOptions,
) -> Result<(Option<String>, Option<VirtualDisplay>), BrowserError> {
    Ok(match (options.headed, &options.display) {
        (false, _) => (None, None),
        (true, Some(d)) => (Some(d.clone()), None),
        (true, None) => match std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
            Some(d) => (Some(d), None),
            None => {
                let xvfb = VirtualDisplay::for_viewport(&options.xvfb, options.viewport).await?;
                (Some(xvfb.name().to_string()), Some(xvfb))
            }
        },
    })
}

/// Stops what a failed launch had started.
async fn undo(driver: Option<DriverProcess>, xvfb: Option<VirtualDisplay>) {
    if let Some(d) = driver {
        d.stop().await;
    }
    if let Some(x) = xvfb {
        x.stop().await;
    }
}

/// The driver binary of `options.browser`.
fn driver_binary(options: &BrowserOptions) -> &std::path::Path {
    match options.browser {
        BrowserKind::Chromium => &options.chromedriver,
        BrowserKind::Firefox => &options.geckodriver,
    }
}

/// Asks `url` for a session with `caps`, for at most `options.session_timeout`.
async fn new_session(
    options: &BrowserOptions,
    url: &str,
    caps: serde_json::Map<String, Value>,
    log: Option<String>,
) -> Result<Client, BrowserError> {
    // Plain HTTP: the driver listens on loopback; a grid is reached over http:// too.
    let mut builder = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new());
    let connect = builder.capabilities(caps).connect(url);
    match tokio::time::timeout(options.session_timeout, connect).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(e)) => Err(session_error(options, url, &e, log)),
        Err(_) => Err(session_timed_out(options, url, log)),
    }
}

/// No session within the bound: on a remote endpoint, every matching slot stayed busy.
fn session_timed_out(options: &BrowserOptions, url: &str, log: Option<String>) -> BrowserError {
    let browser = options.browser.as_str();
    let waited = options.session_timeout.as_secs_f64();
    match log {
        None => BrowserError::Setup {
            what: format!(
                "no free slot in time: {url} did not start a {browser} session within {waited:.0} s \
                 (a Selenium Grid keeps the request in its queue while every {browser} slot is busy)"
            ),
            fix: "free a slot or add a node, run fewer --jobs, or wait longer with \
                  --session-timeout"
                .into(),
        },
        Some(log) => BrowserError::Setup {
            what: format!("{browser} did not start within {waited:.0} s"),
            fix: format!("see the driver log: {log}"),
        },
    }
}

/// Why the endpoint refused a session, in the words a user can act on.
fn session_error(
    options: &BrowserOptions,
    url: &str,
    error: &NewSessionError,
    log: Option<String>,
) -> BrowserError {
    let browser = options.browser.as_str();
    let text = error.to_string();
    let lower = text.to_ascii_lowercase();
    if log.is_none() {
        if lower.contains("timed out") && lower.contains("request") {
            return BrowserError::Setup {
                what: format!(
                    "no free slot in time: {url} gave up on the {browser} session: {text}"
                ),
                fix: "free a slot or add a node, run fewer --jobs, or raise the Grid's \
                      --session-request-timeout"
                    .into(),
            };
        }
        if [
            "no nodes support",
            "unable to find provider",
            "no matching capabilities",
        ]
        .iter()
        .any(|hint| lower.contains(hint))
        {
            return BrowserError::Setup {
                what: format!("{url} offers no {browser}: {text}"),
                fix: format!(
                    "add a Grid node with {} and {browser}, or choose another --browser",
                    options.browser.driver_name()
                ),
            };
        }
        if matches!(error, NewSessionError::Failed(_) | NewSessionError::Lost(_)) {
            return BrowserError::Setup {
                what: format!("nothing answers WebDriver at {url}: {text}"),
                fix: "start the Grid (or driver) first, or check --webdriver-url".into(),
            };
        }
    }
    let install = match options.browser {
        BrowserKind::Chromium => {
            "install Chromium with `apt-get install chromium chromium-driver` (or run \
             scripts/setup.sh), or name it with --chromium PATH"
        }
        BrowserKind::Firefox => {
            "install Firefox with `apt-get install firefox-esr` (or run scripts/setup-tests.sh), \
             or name it with --firefox PATH"
        }
    };
    BrowserError::Setup {
        what: format!("the {browser} session could not be created: {text}"),
        fix: match log {
            Some(log) => format!("{install}; driver log: {log}"),
            None => format!("check that the endpoint at {url} offers {browser}"),
        },
    }
}

impl Browser {
    /// A Selenium Grid's DevTools proxy for this session (`se:cdp`, Chromium only), which
    /// carries the screencast when the Grid offers no BiDi socket.
    pub fn cdp_url(&self) -> Option<&str> {
        self.cdp_url.as_deref()
    }

    /// Starts the driver (unless `webdriver_url` is given) and the browser (headless, or
    /// headed on an X display, see [`BrowserOptions::headed`]) with the flags this closed,
    /// root environment needs, at exactly the requested viewport.
    pub async fn launch(options: &BrowserOptions) -> Result<Browser, BrowserError> {
        if options.headed && options.webdriver_url.is_some() {
            return Err(BrowserError::Invalid(
                "--headed records the local screen, so it cannot be used with --webdriver-url"
                    .into(),
            ));
        }
        let (display, xvfb) = display(options).await?;
        let driver = match &options.webdriver_url {
            Some(_) => None,
            None => {
                let kind = options.browser;
                let log = options.log_dir.join(format!("{}.log", kind.driver_name()));
                let timeout = Duration::from_secs(15);
                let binary = driver_binary(options);
                match DriverProcess::start(kind, binary, &log, timeout, display.as_deref()).await {
                    Ok(d) => Some(d),
                    Err(e) => {
                        undo(None, xvfb).await;
                        return Err(e);
                    }
                }
            }
        };
        let url = match (&options.webdriver_url, &driver) {
            (Some(url), _) => url.clone(),
            (_, Some(d)) => d.url().to_string(),
            (None, None) => String::new(),
        };
        let profile = match tempfile::Builder::new()
            .prefix("walkthrough-profile-")
            .tempdir_in(crate::process::temp_dir())
        {
            Ok(p) => p,
            Err(e) => {
                undo(driver, xvfb).await;
                return Err(BrowserError::Setup {
                    what: format!("cannot create a browser profile folder: {e}"),
                    fix: "check that the temp folder is writable".into(),
                });
            }
        };
        let caps = capabilities::for_options(options, profile.path());
        let log = driver.as_ref().map(|d| d.log_path().display().to_string());
        let client = match new_session(options, &url, caps, log).await {
            Ok(client) => client,
            Err(e) => {
                undo(driver, xvfb).await;
                return Err(e);
            }
        };
        let caps = client.capabilities().cloned().unwrap_or_default();
        let text = |key: &str, default: &str| {
            caps.get(key)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_string()
        };
        let browser = Browser {
            name: text("browserName", options.browser.w3c_name()),
            version: text("browserVersion", "unknown"),
            bidi_url: caps
                .get("webSocketUrl")
                .and_then(Value::as_str)
                .map(str::to_string),
            cdp_url: caps
                .get("se:cdp")
                .and_then(Value::as_str)
                .map(str::to_string),
            client,
            driver,
            profile: Some(profile),
            display,
            xvfb,
            video_shares_session: Default::default(),
        };
        browser
            .fix_viewport(options.viewport.width, options.viewport.height)
            .await;
        Ok(browser)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fantoccini::error::{ErrorStatus, WebDriver};

    fn grid_options() -> BrowserOptions {
        let mut options = BrowserOptions::new(std::path::Path::new("/tmp"));
        options.browser = BrowserKind::Firefox;
        options.webdriver_url = Some("http://127.0.0.1:4444".into());
        options.session_timeout = Duration::from_secs(4);
        options
    }

    fn refused(message: &str) -> NewSessionError {
        NewSessionError::SessionNotCreated(WebDriver::new(
            ErrorStatus::SessionNotCreated,
            message.to_string(),
        ))
    }

    #[test]
    fn a_full_grid_says_no_free_slot_whoever_gives_up_first() {
        let ours = session_timed_out(&grid_options(), "http://127.0.0.1:4444", None).to_string();
        assert!(ours.starts_with("no free slot in time"), "{ours}");
        assert!(
            ours.contains("within 4 s") && ours.contains("--session-timeout"),
            "{ours}"
        );
        let theirs = session_error(
            &grid_options(),
            "http://127.0.0.1:4444",
            &refused("Could not start a new session. New session request timed out"),
            None,
        )
        .to_string();
        assert!(theirs.starts_with("no free slot in time"), "{theirs}");
        // A local driver that takes too long is not a queue.
        let local = session_timed_out(&grid_options(), "x", Some("logs/geckodriver.log".into()));
        assert!(local
            .to_string()
            .contains("firefox did not start within 4 s"));
    }

    #[test]
    fn a_grid_without_the_browser_says_which_node_is_missing() {
        let text = session_error(
            &grid_options(),
            "http://127.0.0.1:4444",
            &refused("No nodes support the capabilities in the request"),
            None,
        )
        .to_string();
        assert!(text.contains("offers no firefox"), "{text}");
        assert!(
            text.contains("add a Grid node with geckodriver and firefox"),
            "{text}"
        );
    }
}
