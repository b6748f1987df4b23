//! [`Session`]: one browser and the video recorder watching it — the unit a journey or a
//! parallel worker runs in. Closing it (or dropping it) is the only way its processes end:
//! the recorder's encoders first, then the browser and its driver.

use crate::browser::Browser;
use crate::capture::video::VideoRecorder;

pub struct Session {
    pub browser: Browser,
    /// `None` with `--video off`.
    pub video: Option<VideoRecorder>,
}

impl Session {
    /// Stops the recorder (video still being finished is abandoned: collect it first with
    /// [`super::finish_videos`]), then ends the browser session and its driver. Dropping a
    /// session without closing it still kills both (their own `Drop`s).
    pub async fn close(self) {
        if let Some(video) = &self.video {
            video.close().await;
        }
        self.browser.close().await;
    }
}
