//! [`Session`]: one browser and the video recorder watching it — the unit a journey or a
//! parallel worker runs in. Dropping it kills its processes (their own `Drop`s); the
//! harness ends it in order instead: the recorder lets go of the browser, the browser and
//! its driver close while the last scenario videos finish, then the recorder closes.

use crate::browser::Browser;
use crate::capture::video::VideoRecorder;

pub struct Session {
    pub browser: Browser,
    /// `None` with `--video off`.
    pub video: Option<VideoRecorder>,
}
