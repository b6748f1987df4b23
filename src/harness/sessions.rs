//! Starting the run's browser sessions: one per job (never more than there are
//! scenarios), each with its video recorder. If a later session cannot start, the run goes
//! on with the ones it has; if the first cannot, the run cannot.

use std::path::PathBuf;

use crate::browser::{Browser, BrowserOptions};
use crate::capture::video;
use crate::run_folder::RunFolder;
use crate::runner::Session;
use crate::viewport::Viewport;

use super::{RunError, RunPlan};

/// How to start or reach the browser.
#[derive(Debug, Clone, Default)]
pub struct BrowserPlan {
    /// A running WebDriver endpoint (e.g. a Selenium Grid) instead of starting chromedriver.
    pub webdriver_url: Option<String>,
    /// `None`: `chromedriver` on PATH.
    pub chromedriver: Option<PathBuf>,
    /// `None`: `chromium` on PATH.
    pub chromium: Option<PathBuf>,
    pub viewport: Viewport,
    /// A visible browser (kiosk) on `$DISPLAY` or an Xvfb the session starts.
    pub headed: bool,
}

fn options(plan: &RunPlan, folder: &RunFolder) -> BrowserOptions {
    let mut options = BrowserOptions::new(&folder.logs_dir());
    options.webdriver_url = plan.browser.webdriver_url.clone();
    if let Some(path) = &plan.browser.chromedriver {
        options.chromedriver = path.clone();
    }
    if let Some(path) = &plan.browser.chromium {
        options.chromium = Some(path.clone());
    }
    options.viewport = plan.browser.viewport;
    options.headed = plan.browser.headed;
    options.bidi = plan.video.wants_bidi(plan.browser.headed);
    options
}

async fn start_one(
    plan: &RunPlan,
    options: &BrowserOptions,
    folder: &RunFolder,
) -> Result<Session, RunError> {
    let browser = Browser::launch(options).await?;
    let recorder = video::start_for(&plan.video, plan.browser.viewport, &browser, folder).await;
    match recorder {
        Ok(video) => Ok(Session { browser, video }),
        Err(e) => {
            browser.close().await;
            Err(RunError::Video(e))
        }
    }
}

/// The sessions for `scenarios` scenarios under `plan.jobs`.
pub(super) async fn launch(
    plan: &RunPlan,
    scenarios: usize,
    folder: &RunFolder,
) -> Result<Vec<Session>, RunError> {
    let options = options(plan, folder);
    let first = start_one(plan, &options, folder).await?;
    eprintln!(
        "  browser: {} {}",
        first.browser.name(),
        first.browser.version()
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
    }
    let mut sessions = vec![first];
    let wanted = plan.jobs.min(scenarios).max(1);
    while sessions.len() < wanted {
        match start_one(plan, &options, folder).await {
            Ok(session) => sessions.push(session),
            Err(e) => {
                eprintln!(
                    "  warning: could not start browser session {}: {e}",
                    sessions.len() + 1
                );
                break;
            }
        }
    }
    Ok(sessions)
}
