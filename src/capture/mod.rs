//! Turns what the browser shows into evidence files: video ([`video`]: the DevTools
//! screencast, screen recording or sampled screenshots, per-step clips and scenario videos).
//! tokio-tungstenite lives here (`video::socket`, the video sockets' client). Files go into the run folder through
//! [`crate::run_folder::RunFolder`]. Must not import the runner, the scenario model or
//! evidence writers.

pub mod video;
