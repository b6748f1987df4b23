//! The W3C capabilities a session is asked for: Chromium's flags for this closed, root
//! environment (headless at an exact viewport, or headed in kiosk mode for screen
//! recording), a private profile, and the BiDi socket when video needs it.

use serde_json::{json, Map, Value};

use super::BrowserOptions;

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
