//! What a scenario's video really got: the effective frame rate (frames captured per second
//! of its steps' time; a screencast sends frames only when the page changes, so a static
//! page gets few), how fast each sampled source may go, and why the source is not the
//! browser's best one when it is not.

use super::screencast::FrameLog;
use super::{VideoRecorder, VideoSource, BIDI_SHOTS_MAX_FPS};

/// The most screenshots a second a sampled source takes: WebDriver screenshots queue
/// between the steps' own commands, so more than 5 only slows the steps.
pub(super) fn sample_cap(source: VideoSource) -> u32 {
    match source {
        VideoSource::BidiScreenshots => BIDI_SHOTS_MAX_FPS,
        _ => 5,
    }
}

/// Frames per second within `windows` (epoch seconds) among frame timestamps `ts`, to
/// one decimal; `None` when the windows hold no time.
pub fn frames_per_second(ts: &[f64], windows: &[(f64, f64)]) -> Option<f64> {
    let seconds: f64 = windows.iter().map(|(s, e)| (e - s).max(0.0)).sum();
    if seconds < 0.05 {
        return None;
    }
    let frames = ts
        .iter()
        .filter(|t| windows.iter().any(|(s, e)| *t >= s && *t <= e))
        .count();
    Some(round1(frames as f64 / seconds))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The effective frame rate over the step `windows` of a scenario: the captures in `log`
/// (a screen grab's repeats of a still page included).
pub(super) fn frame_rate(log: &FrameLog, windows: &[(f64, f64)]) -> Option<f64> {
    let ts = log.captured();
    frames_per_second(&ts, windows)
}

impl VideoRecorder {
    /// How the source was reached when not the usual way, or why the video comes from this
    /// source rather than the browser's best one.
    pub fn note(&self) -> Option<String> {
        self.note.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records why the best source could not be used (see [`VideoRecorder::note`]).
    pub fn set_note(&self, why: String) {
        *self.note.lock().unwrap_or_else(|p| p.into_inner()) = Some(why);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_counts_only_frames_inside_the_steps() {
        let ts = [0.5, 1.0, 1.5, 2.0, 9.0, 10.2, 10.4];
        // 2 s with 4 frames, then 1 s with 2 frames: 6 frames in 3 s.
        assert_eq!(
            frames_per_second(&ts, &[(0.4, 2.4), (10.0, 11.0)]),
            Some(2.0)
        );
        assert_eq!(frames_per_second(&ts, &[(5.0, 5.0)]), None);
        assert_eq!(frames_per_second(&[], &[(0.0, 3.0)]), Some(0.0));
    }
}
