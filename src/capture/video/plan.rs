//! Pure planning for video: which frames a clip shows and for how long (as segments for a
//! concat list, or frame by frame for a constant-rate stream), the ffmpeg concat list,
//! chapter metadata, and the health rule for a probed clip.
//! No I/O here, so every rule is unit-tested.

/// One entry of a clip's timeline: frame `frame` (an index into the frame log) shown for
/// `duration` seconds.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub frame: usize,
    pub duration: f64,
}

/// Plans the clip for the wall-clock window `[start, end]` (epoch seconds) from frame
/// timestamps sorted ascending. The frame showing at `start` is the last one that arrived
/// at or before it; each frame lasts until the next one; the last is held until `end`, so
/// a static page still fills the whole window. When no frame arrived before `start`, the
/// first frame inside the window is held from `start`; when none arrived before `end`
/// either (a blank tab paints nothing until the first page), the first frame after it
/// stands for the whole window. `None` only without any frame. The durations always add
/// up to `end - start` (at least one segment).
pub fn plan_clip(frame_ts: &[f64], start: f64, end: f64) -> Option<Vec<Segment>> {
    let end = end.max(start);
    if frame_ts.is_empty() {
        return None;
    }
    // Frames that arrived before the window closed.
    let before_end = frame_ts.partition_point(|&t| t < end);
    if before_end == 0 {
        return Some(vec![Segment {
            frame: 0,
            duration: end - start,
        }]);
    }
    let at_start = frame_ts[..before_end].partition_point(|&t| t <= start);
    let first = at_start.saturating_sub(1);
    let mut segments = Vec::new();
    for i in first..before_end {
        let from = if i == first {
            start
        } else {
            frame_ts[i].max(start)
        };
        let to = if i + 1 < before_end {
            frame_ts[i + 1].max(start)
        } else {
            end
        };
        let duration = to - from;
        if duration > 0.0 {
            segments.push(Segment { frame: i, duration });
        }
    }
    if segments.is_empty() {
        // A zero-length window: show the frame at `start` for no time; the encoder gives
        // it one frame interval.
        segments.push(Segment {
            frame: first.min(before_end - 1),
            duration: 0.0,
        });
    }
    Some(segments)
}

/// How many frames a clip of `seconds` holds at `fps`: the nearest whole number, at least
/// one, so the clip is within half a frame interval of its step.
pub fn slot_count(seconds: f64, fps: u32) -> usize {
    ((seconds.max(0.0) * fps.max(1) as f64).round() as usize).max(1)
}

/// The moment frame `k` of a clip starting at `start` shows: the middle of its interval.
pub fn slot_time(start: f64, k: usize, fps: u32) -> f64 {
    start + (k as f64 + 0.5) / fps.max(1) as f64
}

/// The frame showing at `t` (an index into timestamps sorted ascending), by the rule of
/// [`plan_clip`]: the last one that arrived at or before `t`; before the first frame, the
/// first frame stands in. `None` only without any frame.
pub fn frame_at(frame_ts: &[f64], t: f64) -> Option<usize> {
    if frame_ts.is_empty() {
        return None;
    }
    Some(frame_ts.partition_point(|&f| f <= t).saturating_sub(1))
}

/// The ffmpeg concat-demuxer script for `entries` (file path, seconds). The last file is
/// listed twice, because the demuxer ignores the duration of the final entry otherwise.
pub fn concat_script(entries: &[(String, f64)]) -> String {
    let mut out = String::from("ffconcat version 1.0\n");
    for (path, duration) in entries {
        out.push_str(&format!(
            "file '{}'\nduration {:.6}\n",
            quote(path),
            duration
        ));
    }
    if let Some((path, _)) = entries.last() {
        out.push_str(&format!("file '{}'\n", quote(path)));
    }
    out
}

/// A file list for joining finished clips (no durations: each clip carries its own).
pub fn join_script(paths: &[String]) -> String {
    let mut out = String::from("ffconcat version 1.0\n");
    for path in paths {
        out.push_str(&format!("file '{}'\n", quote(path)));
    }
    out
}

fn quote(path: &str) -> String {
    path.replace('\'', r"'\''")
}

/// One chapter of a scenario video.
#[derive(Debug, Clone, PartialEq)]
pub struct Chapter {
    pub title: String,
    pub start_ms: u64,
    pub end_ms: u64,
}

/// Chapters laid end to end from clip durations in seconds.
pub fn chapters_from(clips: &[(String, f64)]) -> Vec<Chapter> {
    let mut at = 0.0_f64;
    clips
        .iter()
        .map(|(title, seconds)| {
            let start_ms = (at * 1000.0).round() as u64;
            at += seconds;
            Chapter {
                title: title.clone(),
                start_ms,
                end_ms: (at * 1000.0).round() as u64,
            }
        })
        .collect()
}

/// An ffmetadata file with one `[CHAPTER]` per chapter (millisecond time base).
pub fn ffmetadata(title: &str, chapters: &[Chapter]) -> String {
    let mut out = format!(";FFMETADATA1\ntitle={}\n", escape_meta(title));
    for c in chapters {
        out.push_str(&format!(
            "\n[CHAPTER]\nTIMEBASE=1/1000\nSTART={}\nEND={}\ntitle={}\n",
            c.start_ms,
            c.end_ms,
            escape_meta(&c.title)
        ));
    }
    out
}

fn escape_meta(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        match ch {
            '=' | ';' | '#' | '\\' => {
                out.push('\\');
                out.push(ch);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// What ffprobe found in an encoded clip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipProbe {
    /// Container duration in seconds.
    pub duration: f64,
    /// Frames actually decoded.
    pub frames: u64,
}

/// The health rule: a clip is unhealthy when it is empty, or when what it really holds
/// (the smaller of its duration and its decoded frames at `fps`) is shorter than the step
/// by more than two frame intervals. `Err` carries the reason for the report.
pub fn judge_clip(probe: &ClipProbe, step_seconds: f64, fps: u32) -> Result<(), String> {
    let fps = fps.max(1) as f64;
    if probe.frames == 0 {
        return Err("the clip is empty (no decodable frames)".into());
    }
    let covered = probe.duration.min(probe.frames as f64 / fps);
    let tolerance = 2.0 / fps;
    if covered + tolerance < step_seconds {
        return Err(format!(
            "the clip is truncated: it holds {covered:.3} s ({} frames at {fps} fps) but the \
             step lasted {step_seconds:.3} s",
            probe.frames
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(segments: &[Segment]) -> f64 {
        segments.iter().map(|s| s.duration).sum()
    }

    #[test]
    fn the_frame_showing_at_start_is_the_last_before_it() {
        let ts = [0.0, 1.0, 2.0, 3.0];
        let plan = plan_clip(&ts, 1.5, 2.5).unwrap();
        assert_eq!(
            plan,
            vec![
                Segment {
                    frame: 1,
                    duration: 0.5
                },
                Segment {
                    frame: 2,
                    duration: 0.5
                }
            ]
        );
    }

    #[test]
    fn a_static_page_holds_its_last_frame_for_the_whole_step() {
        // One frame long before the step, nothing during it.
        let plan = plan_clip(&[10.0], 20.0, 22.5).unwrap();
        assert_eq!(plan.len(), 1);
        assert_eq!(plan[0].frame, 0);
        assert!((plan[0].duration - 2.5).abs() < 1e-9);
    }

    #[test]
    fn frames_after_the_end_are_left_to_the_next_step() {
        let ts = [0.0, 0.5, 1.0, 1.5];
        let plan = plan_clip(&ts, 0.2, 1.0).unwrap();
        assert_eq!(plan.iter().map(|s| s.frame).collect::<Vec<_>>(), [0, 1]);
        assert!((total(&plan) - 0.8).abs() < 1e-9);
        // A frame exactly at `start` is the one showing.
        let plan = plan_clip(&ts, 0.5, 0.7).unwrap();
        assert_eq!(plan[0].frame, 1);
    }

    #[test]
    fn durations_always_add_up_to_the_window() {
        let ts: Vec<f64> = (0..100).map(|i| i as f64 * 0.067 + 0.01).collect();
        for (s, e) in [(0.0, 6.0), (1.234, 1.9), (3.3, 9.9), (0.02, 0.021)] {
            let plan = plan_clip(&ts, s, e).unwrap();
            assert!((total(&plan) - (e - s)).abs() < 1e-9, "{s}..{e}");
            assert!(plan.windows(2).all(|w| w[0].frame < w[1].frame));
        }
    }

    #[test]
    fn no_frame_before_start_holds_the_first_one_from_start() {
        let plan = plan_clip(&[5.2, 5.4], 5.0, 6.0).unwrap();
        assert_eq!(plan[0].frame, 0);
        assert!((plan[0].duration - 0.4).abs() < 1e-9);
        assert!((total(&plan) - 1.0).abs() < 1e-9);
        assert_eq!(plan_clip(&[], 5.0, 6.0), None);
    }

    #[test]
    fn a_window_before_the_first_frame_shows_that_frame() {
        let plan = plan_clip(&[7.0, 8.0], 5.0, 6.0).unwrap();
        assert_eq!(
            plan,
            vec![Segment {
                frame: 0,
                duration: 1.0
            }]
        );
    }

    #[test]
    fn frame_by_frame_the_clip_shows_what_the_plan_shows() {
        let ts: Vec<f64> = [0.0, 0.31, 0.33, 0.9, 1.42, 2.5].to_vec();
        for (start, end) in [(0.1, 1.6), (0.5, 0.55), (-1.0, 0.2), (2.0, 3.0)] {
            let plan = plan_clip(&ts, start, end).unwrap();
            let n = slot_count(end - start, 15);
            for k in 0..n {
                let t = slot_time(start, k, 15);
                // The segment of the plan that covers t.
                let mut at = start;
                let mut shown = plan[0].frame;
                for s in &plan {
                    if at <= t {
                        shown = s.frame;
                    }
                    at += s.duration;
                }
                if t < end {
                    assert_eq!(frame_at(&ts, t), Some(shown), "{start}..{end} slot {k}");
                }
            }
        }
        assert_eq!(frame_at(&[], 1.0), None);
    }

    #[test]
    fn a_clip_holds_the_nearest_whole_number_of_frames() {
        assert_eq!(slot_count(2.0, 15), 30);
        assert_eq!(slot_count(0.53, 15), 8);
        assert_eq!(slot_count(0.52, 15), 8);
        assert_eq!(slot_count(0.0, 15), 1);
        assert!((slot_time(10.0, 0, 15) - (10.0 + 1.0 / 30.0)).abs() < 1e-12);
        assert!((slot_time(10.0, 14, 15) - 10.966_666_666_666_667).abs() < 1e-9);
    }

    #[test]
    fn concat_script_repeats_the_last_file_and_quotes_paths() {
        let script = concat_script(&[("/a/1.jpg".into(), 0.5), ("/a/it's.jpg".into(), 0.25)]);
        assert_eq!(
            script,
            "ffconcat version 1.0\nfile '/a/1.jpg'\nduration 0.500000\n\
             file '/a/it'\\''s.jpg'\nduration 0.250000\nfile '/a/it'\\''s.jpg'\n"
        );
    }

    #[test]
    fn chapters_are_laid_end_to_end_and_escaped() {
        let chapters = chapters_from(&[("Open; the=page".into(), 1.5), ("Pay".into(), 2.0)]);
        assert_eq!(chapters[0].start_ms, 0);
        assert_eq!(chapters[0].end_ms, 1500);
        assert_eq!(chapters[1].start_ms, 1500);
        assert_eq!(chapters[1].end_ms, 3500);
        let meta = ffmetadata("Checkout", &chapters);
        assert!(meta.starts_with(";FFMETADATA1\ntitle=Checkout\n"));
        assert!(meta.contains("START=1500\nEND=3500\ntitle=Pay\n"));
        assert!(meta.contains("title=Open\\; the\\=page\n"));
        assert_eq!(meta.matches("[CHAPTER]").count(), 2);
    }

    #[test]
    fn health_rule_allows_two_frame_intervals_and_no_more() {
        let fps = 15;
        let ok = ClipProbe {
            duration: 2.0,
            frames: 30,
        };
        assert!(judge_clip(&ok, 2.0, fps).is_ok());
        // 2 frames short at 15 fps = 0.133 s: still fine.
        let short = ClipProbe {
            duration: 1.87,
            frames: 28,
        };
        assert!(judge_clip(&short, 2.0, fps).is_ok());
        // Three frames short: truncated.
        let cut = ClipProbe {
            duration: 2.0,
            frames: 26,
        };
        let err = judge_clip(&cut, 2.0, fps).unwrap_err();
        assert!(err.contains("truncated"), "{err}");
        let empty = ClipProbe {
            duration: 0.0,
            frames: 0,
        };
        assert!(judge_clip(&empty, 0.01, fps).unwrap_err().contains("empty"));
    }
}
