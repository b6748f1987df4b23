//! ffmpeg and ffprobe: the live encoder's command (a scenario's frames in, one MP4 per step
//! out), encoding a planned clip from frames (JPEG or PNG), joining clips into a scenario
//! video with chapters (when the in-process join cannot), and (for tests and diagnostics)
//! counting a clip's decodable frames.
//! Every process runs in its own group through [`GroupChild`], so none outlives the run;
//! ffmpeg runs behind the browser ([`background_ffmpeg`]).

use super::VideoError;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::Command;

use super::plan::ClipProbe;
use crate::process::GroupChild;

/// How long one ffmpeg/ffprobe call may take before it is killed.
const TOOL_TIMEOUT: Duration = Duration::from_secs(300);

/// Encoder settings shared by every clip so clips can be joined without re-encoding.
#[derive(Debug, Clone)]
pub struct Encoder {
    pub ffmpeg: std::path::PathBuf,
    pub ffprobe: std::path::PathBuf,
    pub fps: u32,
    pub size: (u32, u32),
}

impl Encoder {
    /// Encodes the concat script at `script` (JPEG frames with durations) into an H.264
    /// MP4 of exactly `seconds` at the constant frame rate, scaled and padded to the video
    /// size (always even). The `fps` filter (not `-r`) makes the constant rate: it fills the
    /// tail up to the next listed frame, where `-r` stops at the first frame past `-t` and
    /// drops the held last frame.
    pub async fn encode_clip(
        &self,
        script: &Path,
        seconds: f64,
        out: &Path,
    ) -> Result<(), VideoError> {
        let filter = format!("{},fps={},format=yuv420p", self.fit(), self.fps);
        let seconds = seconds.max(1.0 / self.fps.max(1) as f64);
        let mut cmd = background_ffmpeg(&self.ffmpeg);
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args(["-f", "concat", "-safe", "0", "-i"])
            .arg(script)
            .args(["-an", "-vf", &filter])
            .args(["-t", &format!("{seconds:.6}")])
            .args(x264_args())
            .arg(out);
        run_tool("ffmpeg", &mut cmd).await.map(|_| ())
    }

    /// Joins finished clips (same encoder settings) without re-encoding, adding the
    /// chapters and title of the ffmetadata file `metadata`: for clips the in-process join
    /// ([`super::mp4::join`]) refuses.
    pub async fn join(&self, script: &Path, metadata: &Path, out: &Path) -> Result<(), VideoError> {
        let mut cmd = background_ffmpeg(&self.ffmpeg);
        cmd.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"])
            .args(["-f", "concat", "-safe", "0", "-i"])
            .arg(script)
            .arg("-i")
            .arg(metadata)
            .args(["-map", "0:v", "-map_metadata", "1", "-map_chapters", "1"])
            .args(["-c", "copy", "-movflags", "+faststart"])
            .arg(out);
        run_tool("ffmpeg", &mut cmd).await.map(|_| ())
    }

    /// The live encoder of a scenario: reads a Matroska stream of stills on stdin, the
    /// frames of its `m`-th step from `m * span` seconds on, and writes each step as its own
    /// MP4 (`NNNN.mp4` in `dir`, listed with its start time in the CSV `list`). Every step
    /// starts with a key frame, so the files join by stream copy; frames are encoded as
    /// given (`passthrough`), at the timestamps the stream carries.
    pub fn segmenter(&self, span: u64, dir: &Path, list: &Path) -> Command {
        let filter = format!("{},format=yuv420p", self.fit());
        let mut cmd = background_ffmpeg(&self.ffmpeg);
        cmd.args(["-hide_banner", "-loglevel", "error", "-y"])
            // Start on the first frame instead of buffering seconds of stream to probe it.
            .args(["-probesize", "32", "-analyzeduration", "0"])
            .args(["-f", "matroska", "-i", "pipe:0"])
            .args(["-an", "-fps_mode", "passthrough", "-vf", &filter])
            .args(["-force_key_frames", &format!("expr:gte(t,n_forced*{span})")])
            .args(X264)
            .args(["-f", "segment", "-segment_time", &span.to_string()])
            .args(["-reset_timestamps", "1", "-segment_format", "mp4"])
            .args(["-segment_format_options", "movflags=+faststart"])
            .arg("-segment_list")
            .arg(list)
            .args(["-segment_list_type", "csv"])
            .arg(dir.join("%04d.mp4"));
        cmd
    }

    /// Scales (aspect kept) and pads every frame to the video size (always even).
    fn fit(&self) -> String {
        let (w, h) = (self.size.0 & !1, self.size.1 & !1);
        format!("scale={w}:{h}:force_original_aspect_ratio=decrease,pad={w}:{h}:(ow-iw)/2:(oh-ih)/2,setsar=1")
    }
}

/// `ffmpeg` at a lower priority (`nice -n 10`, when `nice` is installed): video is made
/// while the steps run, and on a small machine the steps' browser must come first; ffmpeg
/// catches up in the gaps between commands (on two cores, 7 alternating rounds of the
/// default walkthrough with video: 6.83 s with ffmpeg at the browser's priority, 6.12 s
/// behind it).
pub(super) fn background_ffmpeg(ffmpeg: &Path) -> Command {
    match crate::browser::which("nice") {
        Some(nice) => {
            let mut cmd = Command::new(nice);
            cmd.args(["-n", "10"]).arg(ffmpeg);
            cmd
        }
        None => Command::new(ffmpeg),
    }
}

/// The codec settings of every clip (see [`x264_args`]).
const X264: [&str; 10] = [
    "-c:v",
    "libx264",
    "-preset",
    "superfast",
    "-crf",
    "30",
    "-bf",
    "0",
    "-pix_fmt",
    "yuv420p",
];

/// H.264 in MP4, yuv420p: plays in every browser (Chromium and Firefox alike). `superfast`
/// at CRF 30 keeps screen video around 0.5 MB per minute for about 4 CPU-seconds per
/// minute (VP9 realtime: 1.3 MB and 5 CPU-s; VP8: 1.6 MB and 23 CPU-s; x264 ultrafast:
/// 1.3 MB and 2.8 CPU-s, see scripts/bench-video.sh). B-frames off keeps clips joinable
/// without reordering across the joins.
pub fn x264_args() -> [&'static str; 12] {
    let mut args = [""; 12];
    args[..10].copy_from_slice(&X264);
    args[10..].copy_from_slice(&["-movflags", "+faststart"]);
    args
}

/// ffprobe's view of `clip`: duration and decoded frame count. A full decode: the
/// recorder itself checks clips with the container probe ([`super::mp4`]); this is the
/// independent measure for tests and diagnostics.
pub async fn probe_with(ffprobe: &Path, clip: &Path) -> Result<ClipProbe, VideoError> {
    let mut cmd = Command::new(ffprobe);
    cmd.args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=nb_read_frames:format=duration",
            "-of",
            "json",
        ])
        .arg(clip);
    let out = run_tool("ffprobe", &mut cmd).await?;
    let json: serde_json::Value = serde_json::from_str(&out)
        .map_err(|e| VideoError::Tool(format!("ffprobe printed no JSON: {e}")))?;
    let frames = json["streams"][0]["nb_read_frames"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let duration = json["format"]["duration"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0.0);
    Ok(ClipProbe { duration, frames })
}

/// Chapter start times (seconds) and titles of a video, as ffprobe reads them.
pub async fn probe_chapters(
    ffprobe: &Path,
    video: &Path,
) -> Result<Vec<(f64, String)>, VideoError> {
    let mut cmd = Command::new(ffprobe);
    cmd.args(["-v", "error", "-show_chapters", "-of", "json"])
        .arg(video);
    let out = run_tool("ffprobe", &mut cmd).await?;
    let json: serde_json::Value = serde_json::from_str(&out)
        .map_err(|e| VideoError::Tool(format!("ffprobe printed no JSON: {e}")))?;
    Ok(json["chapters"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|c| {
            (
                c["start_time"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(-1.0),
                c["tags"]["title"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect())
}

/// Runs a tool in its own process group; its stdout on success, its stderr tail on failure.
async fn run_tool(name: &str, cmd: &mut Command) -> Result<String, VideoError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = GroupChild::spawn(name, cmd)
        .map_err(|e| VideoError::Tool(format!("cannot start {name}: {e}")))?;
    let mut stdout = child.child_mut().stdout.take();
    let mut stderr = child.child_mut().stderr.take();
    let work = async {
        let mut out = String::new();
        let mut err = String::new();
        let read_out = async {
            if let Some(s) = stdout.as_mut() {
                let _ = s.read_to_string(&mut out).await;
            }
        };
        let read_err = async {
            if let Some(s) = stderr.as_mut() {
                let _ = s.read_to_string(&mut err).await;
            }
        };
        tokio::join!(read_out, read_err);
        (out, err)
    };
    let result = tokio::time::timeout(TOOL_TIMEOUT, work).await;
    let status = match &result {
        Ok(_) => tokio::time::timeout(Duration::from_secs(5), child.child_mut().wait())
            .await
            .ok()
            .and_then(Result::ok),
        Err(_) => None,
    };
    child.shutdown(Duration::from_millis(200)).await;
    match (result, status) {
        (Ok((out, _)), Some(status)) if status.success() => Ok(out),
        (Ok((_, err)), status) => Err(VideoError::Tool(format!(
            "{name} failed ({}): {}",
            status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "no exit status".into()),
            err.lines().rev().take(3).collect::<Vec<_>>().join(" | ")
        ))),
        (Err(_), _) => Err(VideoError::Tool(format!(
            "{name} took longer than {} s",
            TOOL_TIMEOUT.as_secs()
        ))),
    }
}
