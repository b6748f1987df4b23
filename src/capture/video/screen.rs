//! Video of a headed browser: one continuous `ffmpeg -f x11grab` recording of the X
//! display, started when a scenario's first step starts and stopped (by `q` on its stdin)
//! when the scenario ends. The wall-clock time of its first frame comes from the `start:`
//! ffmpeg prints for the input, so step windows map straight onto it. ffmpeg runs through
//! [`GroupChild`], so it never outlives the run.

use super::VideoError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::Command;
use tokio::task::JoinHandle;

use crate::process::GroupChild;

/// A running screen recording.
pub struct ScreenRecording {
    process: GroupChild,
    file: PathBuf,
    /// Epoch seconds of the recording's first frame (its time 0).
    start: f64,
    stderr: JoinHandle<()>,
    tail: Arc<Mutex<Vec<String>>>,
}

impl ScreenRecording {
    /// Starts recording the top-left `size` of `display` at `fps` into `file` (Matroska,
    /// H.264 ultrafast with a keyframe a second, so cutting seeks cheaply and a killed
    /// recording is still readable). Returns once the first frame is grabbed.
    pub async fn start(
        ffmpeg: &Path,
        display: &str,
        size: (u32, u32),
        fps: u32,
        file: &Path,
    ) -> Result<ScreenRecording, VideoError> {
        let mut cmd = Command::new(ffmpeg);
        cmd.args(["-hide_banner", "-nostats", "-loglevel", "info", "-y"])
            .args(["-f", "x11grab", "-draw_mouse", "0", "-video_size"])
            .arg(format!("{}x{}", size.0, size.1))
            .args(["-framerate", &fps.to_string(), "-i", display])
            .args(["-an", "-c:v", "libx264", "-preset", "ultrafast", "-bf", "0"])
            .args([
                "-g",
                &fps.to_string(),
                "-pix_fmt",
                "yuv420p",
                "-f",
                "matroska",
            ])
            .arg(file)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut process = GroupChild::spawn("ffmpeg x11grab", &mut cmd)
            .map_err(|e| VideoError::Screen(format!("cannot start ffmpeg: {e}")))?;
        let stderr = process
            .child_mut()
            .stderr
            .take()
            .ok_or_else(|| VideoError::Screen("ffmpeg has no stderr".into()))?;
        let mut lines = BufReader::new(stderr).lines();
        let tail = Arc::new(Mutex::new(Vec::new()));
        let found = tokio::time::timeout(Duration::from_secs(10), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(start) = parse_start(&line) {
                    return Some(start);
                }
                remember(&tail, line);
            }
            None
        })
        .await;
        let start = match found {
            Ok(Some(start)) => start,
            _ => {
                process.shutdown(Duration::from_millis(300)).await;
                let said = tail.lock().unwrap_or_else(|p| p.into_inner()).join(" | ");
                return Err(VideoError::Screen(format!(
                    "ffmpeg could not record the screen {display}: {said}"
                )));
            }
        };
        // Keep draining stderr, or ffmpeg blocks on a full pipe.
        let keep = tail.clone();
        let stderr = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                remember(&keep, line);
            }
        });
        Ok(ScreenRecording {
            process,
            file: file.to_path_buf(),
            start,
            stderr,
            tail,
        })
    }

    /// Epoch seconds of the first frame.
    pub fn start_epoch(&self) -> f64 {
        self.start
    }

    /// Whether ffmpeg still runs.
    pub fn is_running(&mut self) -> bool {
        self.process.try_exited().is_none()
    }

    /// Stops the recording (`q` on stdin, then the group is signalled) and returns the
    /// finished file.
    pub async fn stop(mut self) -> Result<PathBuf, VideoError> {
        if let Some(mut stdin) = self.process.child_mut().stdin.take() {
            let _ = stdin.write_all(b"q").await;
            let _ = stdin.flush().await;
        }
        let status = tokio::time::timeout(Duration::from_secs(5), self.process.child_mut().wait())
            .await
            .ok()
            .and_then(Result::ok);
        self.process.shutdown(Duration::from_millis(300)).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut self.stderr).await;
        let ok = self.file.metadata().map(|m| m.len() > 0).unwrap_or(false);
        if ok {
            Ok(self.file.clone())
        } else {
            let said = self
                .tail
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .join(" | ");
            Err(VideoError::Screen(format!(
                "the screen recording is empty (ffmpeg {}): {said}",
                status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "did not stop".into())
            )))
        }
    }
}

fn remember(tail: &Mutex<Vec<String>>, line: String) {
    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    tail.push(line);
    if tail.len() > 4 {
        tail.remove(0);
    }
}

/// The epoch in ffmpeg's input line `Duration: N/A, start: 1795468093.852963, bitrate: …`.
pub fn parse_start(line: &str) -> Option<f64> {
    if !line.contains("Duration:") {
        return None;
    }
    let rest = line.split("start: ").nth(1)?;
    let number = rest.split(',').next()?.trim();
    number.parse::<f64>().ok().filter(|t| *t > 1.0e9)
}

#[cfg(test)]
mod tests {
    use super::parse_start;

    #[test]
    fn reads_the_start_epoch_of_the_input() {
        assert_eq!(
            parse_start("  Duration: N/A, start: 1795468093.852963, bitrate: N/A"),
            Some(1795468093.852963)
        );
        assert_eq!(
            parse_start("  Duration: 00:00:01.00, start: 0.000000, bitrate: 1 kb/s"),
            None
        );
        assert_eq!(parse_start("Stream #0:0: Video: rawvideo"), None);
    }
}
