//! Video of a headed browser: one `ffmpeg -f x11grab` for the whole session grabs the top
//! left of the X display at a steady rate and writes each frame as a JPEG to its stdout;
//! its `showinfo` filter prints each frame's grab time (wall clock, `-copyts`) to stderr.
//! Frames go into the same frame log as the screencast's, stamped with that time, so the
//! live encoder makes the clips; a frame identical to the one before is not kept, only
//! counted as a capture.
//! ffmpeg runs through [`GroupChild`], so it never outlives the run, and at a lower
//! priority than the browser ([`background_ffmpeg`]).

use super::encode::background_ffmpeg;
use super::screencast::{Frame, FrameLog};
use super::VideoError;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::process::GroupChild;

/// JPEG quality of the grabbed frames (ffmpeg's `-q:v`, 2 best … 31 worst): near the
/// screencast's 80, so the clips look the same from either source.
const GRAB_QSCALE: &str = "4";

/// A running screen grab.
pub struct ScreenGrab {
    process: GroupChild,
    frames: JoinHandle<()>,
    stderr: JoinHandle<()>,
    tail: Arc<Mutex<Vec<String>>>,
}

impl ScreenGrab {
    /// Starts grabbing the top-left `size` of `display` at `fps`, each new frame written
    /// into `dir` and logged in `log`. Returns once the first frame is in the log, so a
    /// step that starts now is covered from its start.
    pub async fn start(
        ffmpeg: &Path,
        display: &str,
        size: (u32, u32),
        fps: u32,
        dir: &Path,
        log: Arc<FrameLog>,
    ) -> Result<ScreenGrab, VideoError> {
        let mut cmd = background_ffmpeg(ffmpeg);
        cmd.args(["-hide_banner", "-nostats", "-loglevel", "info"])
            .args(["-f", "x11grab", "-draw_mouse", "0", "-video_size"])
            .arg(format!("{}x{}", size.0, size.1))
            .args(["-framerate", &fps.to_string(), "-i", display])
            .args(["-copyts", "-an", "-fps_mode", "passthrough"])
            .args(["-vf", "showinfo=checksum=0", "-pix_fmt", "yuvj420p"])
            // The input's microsecond time base: two grabs a late tick apart under load
            // would share a pts at 1/fps, which the encoder refuses (and ffmpeg exits).
            .args(["-c:v", "mjpeg", "-enc_time_base", "-1", "-q:v", GRAB_QSCALE])
            .args(["-f", "image2pipe", "pipe:1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = GroupChild::spawn("ffmpeg x11grab", &mut cmd)
            .map_err(|e| VideoError::Screen(format!("cannot start ffmpeg: {e}")))?;
        let (stdout, stderr) = (
            process.child_mut().stdout.take(),
            process.child_mut().stderr.take(),
        );
        let (Some(stdout), Some(stderr)) = (stdout, stderr) else {
            process.shutdown(Duration::from_millis(300)).await;
            return Err(VideoError::Screen("ffmpeg has no stdout or stderr".into()));
        };
        let tail = Arc::new(Mutex::new(Vec::new()));
        let (stamps_tx, stamps) = mpsc::unbounded_channel();
        let stderr = tokio::spawn(read_stamps(stderr, stamps_tx, tail.clone()));
        let (first_tx, first) = oneshot::channel();
        let frames = tokio::spawn(
            FrameWriter {
                dir: dir.to_path_buf(),
                log,
                count: 0,
                previous: Vec::new(),
                first: Some(first_tx),
            }
            .run(stdout, stamps),
        );
        let grab = ScreenGrab {
            process,
            frames,
            stderr,
            tail,
        };
        match tokio::time::timeout(Duration::from_secs(10), first).await {
            Ok(Ok(())) => Ok(grab),
            _ => {
                let said = grab.said();
                grab.stop().await;
                Err(VideoError::Screen(format!(
                    "ffmpeg could not grab the screen {display}: {said}"
                )))
            }
        }
    }

    /// ffmpeg's last lines on stderr.
    fn said(&self) -> String {
        self.tail
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .join(" | ")
    }

    /// Why the grab stopped, if it did: ffmpeg's exit status and last words.
    pub fn stopped(&mut self) -> Option<String> {
        let status = self.process.try_exited()?;
        Some(format!(
            "the screen grab stopped (ffmpeg {status}): {}",
            self.said()
        ))
    }

    /// Stops grabbing; frames already logged stay. Nothing ffmpeg still holds is wanted, so
    /// it is killed at once (asked to stop, it would first wait for its next grab).
    pub async fn stop(mut self) {
        self.process.shutdown(Duration::ZERO).await;
        for task in [&mut self.frames, &mut self.stderr] {
            if tokio::time::timeout(Duration::from_secs(1), &mut *task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

/// Reads ffmpeg's stderr: each `showinfo` frame line's time goes to `stamps`, in frame
/// order; other lines are kept (the last few) to explain a failure.
async fn read_stamps(
    stderr: impl AsyncRead + Unpin,
    stamps: mpsc::UnboundedSender<f64>,
    tail: Arc<Mutex<Vec<String>>>,
) {
    let mut lines = BufReader::new(stderr).lines();
    let mut time_base = 1.0e-6;
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(base) = parse_time_base(&line) {
            time_base = base;
        } else if let Some(pts) = parse_pts(&line) {
            let _ = stamps.send(pts as f64 * time_base);
        } else {
            let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
            tail.push(line);
            if tail.len() > 4 {
                tail.remove(0);
            }
        }
    }
}

/// Writes the grabbed JPEGs into the frame log.
struct FrameWriter {
    dir: PathBuf,
    log: Arc<FrameLog>,
    count: u64,
    previous: Vec<u8>,
    first: Option<oneshot::Sender<()>>,
}

impl FrameWriter {
    async fn run(
        mut self,
        mut stdout: impl AsyncRead + Unpin,
        mut stamps: mpsc::UnboundedReceiver<f64>,
    ) {
        let mut buf = Vec::with_capacity(1 << 20);
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            while let Some(end) = jpeg_end(&buf) {
                let Some(ts) = stamps.recv().await else {
                    return;
                };
                let jpeg: Vec<u8> = buf.drain(..end).collect();
                self.add(jpeg, ts);
            }
            match stdout.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    fn add(&mut self, jpeg: Vec<u8>, ts: f64) {
        if jpeg == self.previous {
            // The screen did not change: the frame before still shows, up to now.
            self.log.repeat(ts);
        } else {
            self.count += 1;
            let path = self.dir.join(format!("x{:07}.jpg", self.count));
            if std::fs::write(&path, &jpeg).is_err() {
                return;
            }
            self.log.push(Frame { ts, path });
            self.previous = jpeg;
        }
        if let Some(first) = self.first.take() {
            let _ = first.send(());
        }
    }
}

/// The length of the JPEG at the start of `buf` (up to and including its end marker), once
/// it is all there: the marker segments are skipped by their lengths, then the
/// entropy-coded data is scanned for the end marker (inside it `FF` is followed by `00` or
/// a restart marker `D0`–`D7`).
pub fn jpeg_end(buf: &[u8]) -> Option<usize> {
    if buf.len() < 4 {
        return None;
    }
    let mut i = 2; // past SOI (FF D8)
    loop {
        while *buf.get(i)? == 0xFF && *buf.get(i + 1)? == 0xFF {
            i += 1; // fill bytes
        }
        if *buf.get(i)? != 0xFF {
            return None; // not a marker: not a JPEG this reader understands
        }
        let marker = *buf.get(i + 1)?;
        match marker {
            0xD9 => return Some(i + 2),
            0x01 | 0xD0..=0xD7 => i += 2,
            _ => {
                let len = usize::from(*buf.get(i + 2)?) << 8 | usize::from(*buf.get(i + 3)?);
                i += 2 + len;
                if marker == 0xDA {
                    // Start of scan: entropy-coded data until a marker that is not a restart.
                    loop {
                        if *buf.get(i)? == 0xFF {
                            let next = *buf.get(i + 1)?;
                            if next != 0x00 && !(0xD0..=0xD7).contains(&next) {
                                break;
                            }
                            i += 2;
                        } else {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

/// `config in time_base: 1/1000000, …` from showinfo: the time base of its pts.
fn parse_time_base(line: &str) -> Option<f64> {
    let rest = line.split("config in time_base: ").nth(1)?;
    let (num, den) = rest.split(',').next()?.trim().split_once('/')?;
    let (num, den) = (num.parse::<f64>().ok()?, den.parse::<f64>().ok()?);
    (den > 0.0 && num > 0.0).then(|| num / den)
}

/// The pts of a showinfo frame line (`… n:  12 pts:1795855226033048 pts_time:…`).
fn parse_pts(line: &str) -> Option<i64> {
    if !line.contains("Parsed_showinfo") || !line.contains(" n:") {
        return None;
    }
    let rest = line.split(" pts:").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_showinfo_times() {
        let config =
            "[Parsed_showinfo_0 @ 0x5636cd2277c0] config in time_base: 1/1000000, frame_rate: 15/1";
        assert_eq!(parse_time_base(config), Some(1.0e-6));
        let frame = "[Parsed_showinfo_0 @ 0x5636cd2277c0] n:   3 pts:1795855226233050 pts_time:1.79586e+09 pos:       -1 fmt:bgr0";
        assert_eq!(parse_pts(frame), Some(1795855226233050));
        assert_eq!(parse_pts(config), None);
        assert_eq!(parse_pts("  Duration: N/A, start: 1795855226.033048"), None);
    }

    /// A minimal JPEG: SOI, a segment whose payload holds `FF D9`, a scan whose data holds
    /// stuffed and restart bytes, EOI.
    fn jpeg() -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend([0xFF, 0xDB, 0x00, 0x06, 0xFF, 0xD9, 0x01, 0x02]); // DQT-like, 4 payload bytes
        j.extend([0xFF, 0xDA, 0x00, 0x02]); // SOS header
        j.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56]); // data, FF00, RST3
        j.extend([0xFF, 0xD9]);
        j
    }

    #[test]
    fn finds_where_a_jpeg_ends_only_once_it_is_complete() {
        let one = jpeg();
        let mut two = one.clone();
        two.extend(jpeg());
        assert_eq!(jpeg_end(&two), Some(one.len()));
        assert_eq!(jpeg_end(&one), Some(one.len()));
        for cut in 0..one.len() {
            assert_eq!(jpeg_end(&one[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn splits_real_ffmpeg_jpegs() {
        // Two frames from ffmpeg's own encoder, back to back as on the pipe.
        let out = std::process::Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=320x200:rate=5",
            ])
            .args(["-frames:v", "2", "-pix_fmt", "yuvj420p", "-c:v", "mjpeg"])
            .args(["-f", "image2pipe", "pipe:1"])
            .output()
            .expect("ffmpeg runs");
        let first = jpeg_end(&out.stdout).expect("a first JPEG");
        let second = jpeg_end(&out.stdout[first..]).expect("a second JPEG");
        assert_eq!(first + second, out.stdout.len());
        assert_eq!(&out.stdout[first..first + 2], &[0xFF, 0xD8]);
    }
}
