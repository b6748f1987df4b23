//! Starting the run's browser sessions: one per job (never more than there are
//! scenarios), each with its video recorder. If a later session cannot start (e.g. no free
//! Grid slot in time), the run goes on with the ones it has; if the first cannot, the run
//! cannot.

use std::path::PathBuf;
use std::time::Duration;

use crate::browser::{Browser, BrowserKind, BrowserOptions, VirtualDisplay};
use crate::capture::video;
use crate::run_folder::RunFolder;
use crate::runner::Session;
use crate::viewport::Viewport;

use super::{RunError, RunPlan};

/// How to start or reach the browser.
#[derive(Debug, Clone, Default)]
pub struct BrowserPlan {
    pub browser: BrowserKind,
    /// A running WebDriver endpoint (e.g. a Selenium Grid) instead of starting the driver.
    pub webdriver_url: Option<String>,
    /// How long a session may take to start (a Grid queues the request while it is full).
    pub session_timeout: Duration,
    /// `None`: `chromedriver` on PATH.
    pub chromedriver: Option<PathBuf>,
    /// `None`: `chromium` on PATH.
    pub chromium: Option<PathBuf>,
    /// `None`: `geckodriver` on PATH.
    pub geckodriver: Option<PathBuf>,
    /// `None`: `firefox-esr` or `firefox` on PATH.
    pub firefox: Option<PathBuf>,
    pub viewport: Viewport,
    /// A visible browser (kiosk) on `$DISPLAY` or an Xvfb the session starts.
    pub headed: bool,
    /// Headless even where the browser could draw on an Xvfb of its own.
    pub headless: bool,
}

/// The browser options of every session, and whether each session draws on an Xvfb of its
/// own (which [`start_one`] starts, so the options name no display yet).
fn options(plan: &RunPlan, folder: &RunFolder) -> (BrowserOptions, bool) {
    let mut options = BrowserOptions::new(&folder.logs_dir());
    options.browser = plan.browser.browser;
    options.webdriver_url = plan.browser.webdriver_url.clone();
    if !plan.browser.session_timeout.is_zero() {
        options.session_timeout = plan.browser.session_timeout;
    }
    if let Some(path) = &plan.browser.chromedriver {
        options.chromedriver = path.clone();
    }
    if let Some(path) = &plan.browser.chromium {
        options.chromium = Some(path.clone());
    }
    if let Some(path) = &plan.browser.geckodriver {
        options.geckodriver = path.clone();
    }
    if let Some(path) = &plan.browser.firefox {
        options.firefox = Some(path.clone());
    }
    options.viewport = plan.browser.viewport;
    let own = draws_on_own_display(plan, &options);
    options.headed = plan.browser.headed || own;
    options.bidi = plan.video.wants_bidi(options.headed);
    (options, own)
}

/// Whether the browser draws on an Xvfb of its own rather than running headless, when Xvfb
/// is installed and no source that needs headless is asked for: a local Chromium always, a
/// local Firefox when video is recorded, any local browser with x11grab asked for. On an
/// Xvfb, Chromium starts sooner and runs its steps faster than `--headless=new` (~11 % less
/// wall time for the default walkthrough without video, scripts/bench-video.sh), and ffmpeg
/// grabbing its screen costs the steps far less than the DevTools screencast, which makes
/// Chromium copy and encode every frame itself. Firefox grabbed from its screen ran the
/// default walkthrough in 6.48 s against 8.01 s headless with BiDi screenshots (3
/// alternating rounds), but without video it starts ~0.3 s later on an Xvfb than headless
/// (6.11 s against 5.85 s), so it stays headless then.
fn draws_on_own_display(plan: &RunPlan, options: &BrowserOptions) -> bool {
    use video::{VideoMode, VideoSource};
    if plan.browser.headless || plan.browser.headed || options.webdriver_url.is_some() {
        return false;
    }
    match plan.video.source {
        Some(VideoSource::X11grab) if plan.video.mode != VideoMode::Off => true,
        Some(_) if plan.video.mode != VideoMode::Off => false,
        _ => {
            options.xvfb.is_file()
                && (options.browser == BrowserKind::Chromium || plan.video.mode != VideoMode::Off)
        }
    }
}

/// One session: its own Xvfb first if it has one, then the browser and, when the video
/// comes from that screen, the screen grab at the same time (ffmpeg takes ~0.2 s to its
/// first frame, the browser ~0.45 s to its session); else the recorder once the browser is
/// up.
async fn start_one(
    plan: &RunPlan,
    options: &BrowserOptions,
    own_display: bool,
    folder: &RunFolder,
) -> Result<Session, RunError> {
    let viewport = plan.browser.viewport;
    // Never the user's $DISPLAY: a window drawn only to be recorded stays off their screen.
    let own = if own_display {
        Some(VirtualDisplay::for_viewport(&options.xvfb, viewport).await?)
    } else {
        None
    };
    let mut options = options.clone();
    if let Some(xvfb) = &own {
        options.display = Some(xvfb.name().to_string());
    }
    let (launched, early) = match own.as_ref().filter(|_| video::records_screen(&plan.video)) {
        Some(xvfb) => {
            let (launched, recorder) = tokio::join!(
                Browser::launch(&options),
                video::start_on_screen(&plan.video, viewport, xvfb.name(), folder)
            );
            (launched, Some(recorder))
        }
        None => (Browser::launch(&options).await, None),
    };
    let mut browser = match launched {
        Ok(browser) => browser,
        Err(e) => {
            if let Some(Ok(recorder)) = early {
                recorder.close().await;
            }
            if let Some(xvfb) = own {
                xvfb.stop().await;
            }
            return Err(e.into());
        }
    };
    if let Some(xvfb) = own {
        browser.adopt_display(xvfb);
    }
    let recorder = match early {
        Some(started) => started.map(Some),
        None => video::start_for(&plan.video, viewport, &browser, folder).await,
    };
    match recorder {
        Ok(video) => Ok(Session { browser, video }),
        Err(e) => {
            browser.close().await;
            Err(RunError::Video(e))
        }
    }
}

/// The sessions for `scenarios` scenarios under `plan.jobs`, reaching `host_route`'s names
/// at the run's own TLS server.
pub(super) async fn launch(
    plan: &RunPlan,
    scenarios: usize,
    folder: &RunFolder,
    host_route: Option<crate::browser::HostRoute>,
) -> Result<Vec<Session>, RunError> {
    let (mut options, own_display) = options(plan, folder);
    options.host_route = host_route;
    let first = start_one(plan, &options, own_display, folder).await?;
    eprintln!(
        "  browser: {} {}, {}",
        first.browser.name(),
        first.browser.version(),
        match (first.browser.display(), first.browser.xvfb_pid()) {
            (Some(display), Some(_)) => format!("on its own Xvfb {display}"),
            (Some(display), None) => format!("on display {display}"),
            (None, _) if plan.browser.webdriver_url.is_some() => "remote".to_string(),
            (None, _) => "headless".to_string(),
        }
    );
    if let Some(v) = &first.video {
        match v.unavailable() {
            Some(why) => eprintln!("  video: unavailable: {why}"),
            None => eprintln!(
                "  video: {} at {} fps, {}",
                plan.video.mode.as_str(),
                plan.video.fps,
                v.describe()
            ),
        }
        if let Some(note) = v.note() {
            eprintln!("  video: {note}");
        }
    }
    // The other sessions start together: on a Grid each may wait in the queue, and the
    // run waits for the slowest once instead of for each in turn.
    let wanted = plan.jobs.min(scenarios).max(1);
    let others = (1..wanted).map(|_| start_one(plan, &options, own_display, folder));
    let mut sessions = vec![first];
    for (n, started) in futures_util::future::join_all(others)
        .await
        .into_iter()
        .enumerate()
    {
        match started {
            Ok(session) => sessions.push(session),
            Err(e) => eprintln!("  warning: could not start browser session {}: {e}", n + 2),
        }
    }
    Ok(sessions)
}
