//! Choosing where a session's video comes from and starting its recorder: the DevTools
//! screencast when the browser offers its BiDi socket, the X display with a headed browser,
//! sampled screenshots otherwise (a browser without a screencast, e.g. a remote grid).

use super::VideoError;
use std::sync::Arc;

use crate::browser::Browser;
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

/// The source for `browser`: the requested one, else x11grab for a headed browser, the
/// screencast when the browser has a BiDi socket, and screenshots as the last resort.
pub fn choose_source(requested: Option<VideoSource>, browser: &Browser) -> VideoSource {
    match requested {
        Some(source) => source,
        None if browser.display().is_some() => VideoSource::X11grab,
        None if browser.bidi_url().is_some() => VideoSource::Screencast,
        None => VideoSource::Screenshots,
    }
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
    let mut options = VideoOptions::new(plan.mode, plan.size.unwrap_or(viewport));
    options.fps = plan.fps;
    let window = browser.window_handle().await.ok();
    let from = match choose_source(plan.source, browser) {
        VideoSource::Screencast => CaptureFrom::Screencast {
            bidi_url: browser.bidi_url(),
            window: window.as_deref(),
        },
        VideoSource::X11grab => CaptureFrom::Screen {
            display: browser.display().ok_or_else(|| {
                VideoError::Unsupported("--video-source x11grab needs --headed".into())
            })?,
            size: viewport,
        },
        VideoSource::Screenshots => {
            let shooter = browser.screenshotter();
            CaptureFrom::Screenshots(Arc::new(move || {
                let shooter = shooter.clone();
                Box::pin(async move { shooter.png().await.map_err(|e| e.to_string()) })
            }))
        }
    };
    VideoRecorder::start_with(options, folder.root(), from)
        .await
        .map(Some)
}
