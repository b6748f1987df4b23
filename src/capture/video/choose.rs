//! Choosing where a session's video comes from and starting its recorder: the X display
//! with a headed browser; with the session's BiDi socket (the driver's, or a Selenium
//! Grid's proxy of it), the DevTools screencast for Chromium and BiDi screenshots for
//! Firefox; sampled WebDriver screenshots otherwise, and the recorder then says why.

use super::{BidiShooter, VideoError};
use std::sync::Arc;

use crate::browser::{Browser, BrowserKind};
use crate::run_folder::RunFolder;
use crate::viewport::Viewport;

use super::{CaptureFrom, VideoMode, VideoOptions, VideoRecorder, VideoSource};

/// The video a run asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VideoPlan {
    pub mode: VideoMode,
    pub fps: u32,
    /// `None`: chosen per session by [`choose_source`].
    pub source: Option<VideoSource>,
    /// `None`: the viewport.
    pub size: Option<Viewport>,
}

impl VideoPlan {
    /// Whether the browser must open its BiDi socket (~0.5 s of session start), which only
    /// the screencast needs.
    pub fn wants_bidi(&self, headed: bool) -> bool {
        self.mode != VideoMode::Off
            && match self.source {
                Some(source) => source == VideoSource::Screencast,
                None => !headed,
            }
    }
}

/// The source for `browser`: the requested one, else x11grab for a headed browser; with a
/// BiDi socket, the screencast for Chromium (or with a Grid's DevTools proxy) and BiDi
/// screenshots for Firefox (which has no screencast); sampled WebDriver screenshots as the
/// last resort.
pub fn choose_source(requested: Option<VideoSource>, browser: &Browser) -> VideoSource {
    match requested {
        Some(source) => source,
        None if browser.display().is_some() => VideoSource::X11grab,
        None => match (browser.bidi_url(), browser.cdp_url(), browser.kind()) {
            (_, Some(_), BrowserKind::Chromium) | (Some(_), _, BrowserKind::Chromium) => {
                VideoSource::Screencast
            }
            (Some(_), _, BrowserKind::Firefox) => VideoSource::BidiScreenshots,
            _ => VideoSource::Screenshots,
        },
    }
}

/// Sampled WebDriver screenshots of `browser`'s session.
fn webdriver_screenshots(browser: &Browser) -> CaptureFrom<'static> {
    let shooter = browser.screenshotter();
    CaptureFrom::Screenshots(Arc::new(move || {
        let shooter = shooter.clone();
        Box::pin(async move { shooter.png().await.map_err(|e| e.to_string()) })
    }))
}

/// Screenshots over `browser`'s BiDi socket, else (with the reason) WebDriver's.
async fn bidi_screenshots(
    browser: &Browser,
    window: Option<&str>,
) -> (CaptureFrom<'static>, Option<String>) {
    let started = match (browser.bidi_url(), window) {
        (Some(url), Some(window)) => BidiShooter::connect(url, window).await,
        (None, _) => Err(VideoError::Unsupported(
            "the session has no WebDriver BiDi socket".into(),
        )),
        (_, None) => Err(VideoError::Unsupported(
            "the session's window is unknown".into(),
        )),
    };
    match started {
        Ok(shooter) => (CaptureFrom::BidiScreenshots(Arc::new(shooter).grab()), None),
        Err(e) => (
            webdriver_screenshots(browser),
            Some(format!(
                "BiDi screenshots could not start ({e}): WebDriver screenshots are sampled instead"
            )),
        ),
    }
}

/// Whether a browser drawing on an X display is recorded from it (x11grab).
pub fn records_screen(plan: &VideoPlan) -> bool {
    plan.mode != VideoMode::Off && matches!(plan.source, None | Some(VideoSource::X11grab))
}

fn options_for(plan: &VideoPlan, viewport: Viewport) -> VideoOptions {
    let mut options = VideoOptions::new(plan.mode, plan.size.unwrap_or(viewport));
    options.fps = plan.fps;
    options
}

/// Starts the recorder of a session whose browser draws on `display`, grabbing its top-left
/// `viewport`: it needs nothing of the session, so it can start while the browser does.
pub async fn start_on_screen(
    plan: &VideoPlan,
    viewport: Viewport,
    display: &str,
    folder: &RunFolder,
) -> Result<VideoRecorder, VideoError> {
    let from = CaptureFrom::Screen {
        display,
        size: viewport,
    };
    VideoRecorder::start_with(options_for(plan, viewport), folder.root(), from).await
}

/// Starts the recorder of one session, or nothing with `--video off`. A screencast that
/// cannot start is reported per clip; missing ffmpeg is an error.
pub async fn start_for(
    plan: &VideoPlan,
    viewport: Viewport,
    browser: &Browser,
    folder: &RunFolder,
) -> Result<Option<VideoRecorder>, VideoError> {
    if plan.mode == VideoMode::Off {
        return Ok(None);
    }
    let options = options_for(plan, viewport);
    let window = browser.window_handle().await.ok();
    let mut note = None;
    let from = match choose_source(plan.source, browser) {
        VideoSource::Screencast => {
            if let (None, Some(_)) = (browser.bidi_url(), browser.cdp_url()) {
                note = Some(
                    "the endpoint offers no BiDi socket: the screencast comes through its \
                     DevTools proxy (se:cdp)"
                        .to_string(),
                );
            }
            CaptureFrom::Screencast {
                bidi_url: browser.bidi_url(),
                cdp_url: browser.cdp_url(),
                window: window.as_deref(),
            }
        }
        VideoSource::X11grab => CaptureFrom::Screen {
            display: browser.display().ok_or_else(|| {
                VideoError::Unsupported(
                    "x11grab records a local browser's X display, and this one has none".into(),
                )
            })?,
            size: viewport,
        },
        VideoSource::BidiScreenshots => {
            let (from, why) = bidi_screenshots(browser, window.as_deref()).await;
            note = why;
            from
        }
        VideoSource::Screenshots => {
            if plan.source.is_none() {
                note = Some(format!(
                    "the WebDriver endpoint offers no BiDi socket (webSocketUrl), so there is \
                     no {}: WebDriver screenshots are sampled between the steps' commands",
                    match browser.kind() {
                        BrowserKind::Chromium => "DevTools screencast",
                        BrowserKind::Firefox => "BiDi screenshot stream",
                    }
                ));
            }
            webdriver_screenshots(browser)
        }
    };
    let screencast = matches!(from, CaptureFrom::Screencast { .. });
    if screencast || matches!(from, CaptureFrom::BidiScreenshots(_)) {
        browser.share_session_with_video();
    }
    let mut recorder = VideoRecorder::start_with(options.clone(), folder.root(), from).await?;
    // A screencast the socket refuses (e.g. a Grid's proxy): fall back, unless asked for.
    if let (true, None, Some(why)) = (screencast, plan.source, recorder.unavailable()) {
        recorder.close().await;
        recorder =
            VideoRecorder::start_with(options, folder.root(), webdriver_screenshots(browser))
                .await?;
        note = Some(format!(
            "the DevTools screencast could not start ({why}): WebDriver screenshots are \
             sampled instead"
        ));
    }
    if let Some(why) = note {
        recorder.set_note(why);
    }
    Ok(Some(recorder))
}
