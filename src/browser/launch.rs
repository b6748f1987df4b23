//! Starting a session: the X display of a headed browser, the driver process, and the
//! WebDriver session itself. Whatever was started before a later part fails is stopped
//! again before the error is returned.

use std::time::Duration;

use fantoccini::ClientBuilder;
use serde_json::Value;

use super::display::VirtualDisplay;
use super::{capabilities, Browser, BrowserError, BrowserOptions, ChromeDriver};

/// The X display a headed browser draws on: the one named, `$DISPLAY`, or an Xvfb of the
/// viewport's size that the session owns.
async fn display(
    options: &BrowserOptions,
) -> Result<(Option<String>, Option<VirtualDisplay>), BrowserError> {
    let size = (options.viewport.width, options.viewport.height);
    Ok(match (options.headed, &options.display) {
        (false, _) => (None, None),
        (true, Some(d)) => (Some(d.clone()), None),
        (true, None) => match std::env::var("DISPLAY").ok().filter(|d| !d.is_empty()) {
            Some(d) => (Some(d), None),
            None => {
                let xvfb = VirtualDisplay::start(&options.xvfb, size).await?;
                (Some(xvfb.name().to_string()), Some(xvfb))
            }
        },
    })
}

/// Stops what a failed launch had started.
async fn undo(driver: Option<ChromeDriver>, xvfb: Option<VirtualDisplay>) {
    if let Some(d) = driver {
        d.stop().await;
    }
    if let Some(x) = xvfb {
        x.stop().await;
    }
}

impl Browser {
    /// Starts chromedriver (unless `webdriver_url` is given) and a Chromium (headless, or
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
                let log = options.log_dir.join("chromedriver.log");
                let timeout = Duration::from_secs(15);
                match ChromeDriver::start(&options.chromedriver, &log, timeout, display.as_deref())
                    .await
                {
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
            .tempdir()
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
        let caps = capabilities::chromium(options, profile.path());
        // Plain HTTP: the driver listens on loopback; a grid is reached over http:// too.
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&url)
            .await;
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                let log = driver
                    .as_ref()
                    .map(|d| d.log_path().display().to_string())
                    .unwrap_or_default();
                undo(driver, xvfb).await;
                return Err(BrowserError::Setup {
                    what: format!("the browser session could not be created: {e}"),
                    fix: format!(
                        "install Chromium with `apt-get install chromium chromium-driver` (or run \
                         scripts/setup.sh), or name it with --chromium PATH; driver log: {log}"
                    ),
                });
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
            name: text("browserName", "chrome"),
            version: text("browserVersion", "unknown"),
            bidi_url: caps
                .get("webSocketUrl")
                .and_then(Value::as_str)
                .map(str::to_string),
            client,
            driver,
            profile: Some(profile),
            display,
            xvfb,
            sampled: Default::default(),
        };
        browser
            .fix_viewport(options.viewport.width, options.viewport.height)
            .await;
        Ok(browser)
    }
}
