//! The W3C capabilities a session is asked for: Chromium's flags or Firefox's arguments and
//! preferences for this closed, root environment (headless at the viewport's size, or
//! headed in kiosk mode for screen recording), a private profile when the driver is ours,
//! and the BiDi socket when video needs it. The same capabilities go to a Selenium Grid,
//! whose node keeps its own profile and browser binary.

use serde_json::{json, Map, Value};

use super::{BrowserKind, BrowserOptions};

/// The capabilities of `options.browser`, with `profile` as its private profile folder
/// when the driver is ours.
pub(super) fn for_options(
    options: &BrowserOptions,
    profile: &std::path::Path,
) -> Map<String, Value> {
    match options.browser {
        BrowserKind::Chromium => chromium(options, profile),
        BrowserKind::Firefox => firefox(options, profile),
    }
}

/// Flags every Chromium gets here: no network chatter (the network is closed), no crash
/// reporting, no sandbox (it refuses to run as root without this).
const QUIET_FLAGS: [&str; 13] = [
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-quic",
    "--disable-crash-reporter",
    "--disable-breakpad",
    "--hide-scrollbars",
    "--mute-audio",
    "--no-sandbox",
];

/// Chromium's capabilities for `options`, with `profile` as its private profile folder
/// when the driver is ours (a remote node keeps its own).
pub(super) fn chromium(options: &BrowserOptions, profile: &std::path::Path) -> Map<String, Value> {
    let (width, height) = (options.viewport.width, options.viewport.height);
    let mut args: Vec<String> = if options.headed {
        // Kiosk: no tab strip or toolbar, the page fills the window at 0,0, so the screen's
        // top-left viewport-sized rectangle is exactly the page.
        vec![
            "--kiosk".into(),
            "--app=data:,".into(),
            "--window-position=0,0".into(),
            format!("--window-size={width},{height}"),
            "--disable-features=Translate,MediaRouter".into(),
            "--password-store=basic".into(),
        ]
    } else {
        // In --headless=new the window includes 143 px of chrome above the viewport.
        vec![
            "--headless=new".into(),
            format!("--window-size={width},{}", height + 143),
        ]
    };
    args.extend(QUIET_FLAGS.iter().map(|f| f.to_string()));
    if options.webdriver_url.is_none() {
        args.push(format!("--user-data-dir={}", profile.display()));
    }
    if let Some(route) = &options.host_route {
        let rules: Vec<String> = route
            .names
            .iter()
            .map(|name| format!("MAP {name} {}", route.tls))
            .collect();
        args.push(format!("--host-resolver-rules={}", rules.join(",")));
        args.push(format!(
            "--ignore-certificate-errors-spki-list={}",
            route.spki_sha256
        ));
    }
    let mut chrome_options = json!({ "args": args });
    if options.headed {
        // Without this the "controlled by automated test software" bar is recorded.
        chrome_options["excludeSwitches"] = json!(["enable-automation"]);
    }
    if let (Some(binary), None) = (&options.chromium, &options.webdriver_url) {
        chrome_options["binary"] = json!(binary.display().to_string());
    }
    let mut caps = Map::new();
    caps.insert("browserName".into(), json!("chrome"));
    caps.insert("goog:chromeOptions".into(), chrome_options);
    caps.insert("pageLoadStrategy".into(), json!("normal"));
    if options.bidi {
        caps.insert("webSocketUrl".into(), json!(true));
    }
    caps
}

/// Firefox preferences for a closed network and a quiet, deterministic browser (geckodriver
/// adds its own recommended set: no updates, no telemetry, no first-run pages).
fn firefox_prefs() -> Value {
    json!({
        "app.normandy.enabled": false,
        "messaging-system.rsexperimentloader.enabled": false,
        "browser.shell.checkDefaultBrowser": false,
        "browser.startup.homepage_override.mstone": "ignore",
        "browser.newtabpage.enabled": false,
        "browser.tabs.warnOnClose": false,
        "datareporting.policy.dataSubmissionEnabled": false,
        "datareporting.healthreport.uploadEnabled": false,
        "toolkit.telemetry.enabled": false,
        "browser.safebrowsing.malware.enabled": false,
        "browser.safebrowsing.phishing.enabled": false,
        "browser.safebrowsing.downloads.enabled": false,
        "network.captive-portal-service.enabled": false,
        "network.connectivity-service.enabled": false,
        "extensions.update.enabled": false,
        "browser.search.update": false,
        "signon.rememberSignons": false,
        "intl.accept_languages": "en-US, en",
        "intl.locale.requested": "en-US",
        "layout.css.devPixelsPerPx": "1.0",
    })
}

/// Firefox's capabilities for `options`: `-headless` with the window at the viewport's
/// size (the session then corrects it to the exact viewport), or `--kiosk` on the X
/// display, so the screen is exactly the page.
pub(super) fn firefox(options: &BrowserOptions, profile: &std::path::Path) -> Map<String, Value> {
    let (width, height) = (options.viewport.width, options.viewport.height);
    let mut args: Vec<String> = Vec::new();
    if options.headed {
        args.push("--kiosk".into());
    } else {
        args.push("-headless".into());
    }
    args.extend([
        "--width".into(),
        width.to_string(),
        "--height".into(),
        height.to_string(),
    ]);
    if options.webdriver_url.is_none() {
        // geckodriver uses this folder as is (no copy in /tmp), and close() removes it.
        args.extend(["-profile".into(), profile.display().to_string()]);
    }
    let mut prefs = firefox_prefs();
    if let Some(route) = &options.host_route {
        // HTTPS through the run's proxy (loopback stays direct: Firefox never proxies it).
        prefs["network.proxy.type"] = json!(1);
        prefs["network.proxy.ssl"] = json!(route.proxy.ip().to_string());
        prefs["network.proxy.ssl_port"] = json!(route.proxy.port());
    }
    let mut firefox_options = json!({ "args": args, "prefs": prefs });
    if let (Some(binary), None) = (&options.firefox, &options.webdriver_url) {
        firefox_options["binary"] = json!(binary.display().to_string());
    }
    let mut caps = Map::new();
    caps.insert("browserName".into(), json!("firefox"));
    caps.insert("moz:firefoxOptions".into(), firefox_options);
    caps.insert("pageLoadStrategy".into(), json!("normal"));
    if options.host_route.is_some() {
        caps.insert("acceptInsecureCerts".into(), json!(true));
    }
    if options.bidi {
        caps.insert("webSocketUrl".into(), json!(true));
    }
    caps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_remote_session_brings_no_local_paths() {
        let mut options = BrowserOptions::new(std::path::Path::new("/tmp"));
        options.firefox = Some("/usr/bin/firefox-esr".into());
        options.chromium = Some("/usr/bin/chromium".into());
        let profile = std::path::Path::new("/tmp/walkthrough-profile-x");
        for browser in [BrowserKind::Chromium, BrowserKind::Firefox] {
            options.browser = browser;
            options.webdriver_url = None;
            let local = Value::Object(for_options(&options, profile)).to_string();
            assert!(local.contains("walkthrough-profile-x"), "{local}");
            options.webdriver_url = Some("http://127.0.0.1:4444".into());
            let remote = Value::Object(for_options(&options, profile)).to_string();
            assert!(!remote.contains("walkthrough-profile-x"), "{remote}");
            assert!(!remote.contains("/usr/bin"), "{remote}");
        }
    }

    #[test]
    fn firefox_runs_headless_at_the_viewport_size_and_asks_for_bidi_only_when_told() {
        let mut options = BrowserOptions::new(std::path::Path::new("/tmp"));
        options.browser = BrowserKind::Firefox;
        let caps = for_options(&options, std::path::Path::new("/tmp/p"));
        assert_eq!(caps["browserName"], "firefox");
        let args = caps["moz:firefoxOptions"]["args"].as_array().unwrap();
        assert!(args.contains(&json!("-headless")));
        assert!(args.contains(&json!("1280")) && args.contains(&json!("800")));
        assert!(!caps.contains_key("webSocketUrl"));
        options.bidi = true;
        options.headed = true;
        let caps = for_options(&options, std::path::Path::new("/tmp/p"));
        assert_eq!(caps["webSocketUrl"], true);
        let args = caps["moz:firefoxOptions"]["args"].as_array().unwrap();
        assert!(args.contains(&json!("--kiosk")) && !args.contains(&json!("-headless")));
    }

    #[test]
    fn a_host_route_maps_only_its_names_and_trusts_only_its_key() {
        let mut options = BrowserOptions::new(std::path::Path::new("/tmp"));
        let profile = std::path::Path::new("/tmp/p");
        let plain = Value::Object(for_options(&options, profile)).to_string();
        assert!(!plain.contains("host-resolver-rules") && !plain.contains("spki"));
        options.host_route = Some(super::super::HostRoute {
            names: vec!["sandbox-api.polar.sh".into(), "sandbox.polar.sh".into()],
            tls: "127.0.0.1:4443".parse().unwrap(),
            proxy: "127.0.0.1:4080".parse().unwrap(),
            spki_sha256: "pin=".into(),
        });
        let caps = for_options(&options, profile);
        let args = caps["goog:chromeOptions"]["args"].as_array().unwrap();
        assert!(args.contains(&json!(
            "--host-resolver-rules=MAP sandbox-api.polar.sh 127.0.0.1:4443,MAP sandbox.polar.sh 127.0.0.1:4443"
        )));
        assert!(args.contains(&json!("--ignore-certificate-errors-spki-list=pin=")));
        assert!(!caps.contains_key("acceptInsecureCerts"));

        options.browser = BrowserKind::Firefox;
        let caps = for_options(&options, profile);
        let prefs = &caps["moz:firefoxOptions"]["prefs"];
        assert_eq!(prefs["network.proxy.type"], 1);
        assert_eq!(prefs["network.proxy.ssl"], "127.0.0.1");
        assert_eq!(prefs["network.proxy.ssl_port"], 4080);
        assert!(prefs.get("network.proxy.http").is_none());
        assert_eq!(caps["acceptInsecureCerts"], true);
        options.host_route = None;
        let caps = for_options(&options, profile);
        assert!(caps["moz:firefoxOptions"]["prefs"]
            .get("network.proxy.type")
            .is_none());
        assert!(!caps.contains_key("acceptInsecureCerts"));
    }
}
