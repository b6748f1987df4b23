//! [`VideoError`]: why video could not be recorded, encoded or checked, by where it failed.
//! The text of each is the whole message the report and the console show.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VideoError {
    /// ffmpeg or ffprobe is not installed.
    #[error("{} not found; install ffmpeg (`apt-get install ffmpeg`) or run with --video off", .0.display())]
    ToolMissing(PathBuf),
    /// ffmpeg or ffprobe could not start, failed or said something unreadable.
    #[error("{0}")]
    Tool(String),
    /// A file or folder of the recording could not be used.
    #[error("{0}")]
    Files(String),
    /// The DevTools screencast over the driver's BiDi socket.
    #[error("{0}")]
    Screencast(String),
    /// The X display recording.
    #[error("{0}")]
    Screen(String),
    /// The source the run asked for needs something the session does not have.
    #[error("{0}")]
    Unsupported(String),
}
