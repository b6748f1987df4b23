//! Video evidence: the DevTools screencast is recorded for the whole run into a frame log
//! (JPEGs with the browser's own timestamps); when a step ends, its clip is planned from
//! the frames covering exactly `[start, end]` (the last frame held on a static page) and
//! encoded in the background with ffmpeg; when a scenario ends, every clip is probed, and
//! the clips are joined into the scenario video with one chapter per step.
//! Knows nothing of the runner or the report: it is handed window handles, step windows
//! and folders, and hands back [`ClipReport`]s. `--video off` never builds one of these.

mod encode;
pub mod plan;
mod screencast;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

pub use encode::{probe_chapters, probe_with, x264_args, Encoder};
pub use plan::{judge_clip, ClipProbe};
use screencast::{FrameLog, Screencast, ScreencastSettings};

use super::ArtifactStore;

/// `--video`: record every step, nothing, or keep clips only of failed scenarios.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoMode {
    On,
    Off,
    RetainOnFailure,
}

impl VideoMode {
    pub fn as_str(self) -> &'static str {
        match self {
            VideoMode::On => "on",
            VideoMode::Off => "off",
            VideoMode::RetainOnFailure => "retain-on-failure",
        }
    }
}

impl std::str::FromStr for VideoMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "on" => Ok(VideoMode::On),
            "off" => Ok(VideoMode::Off),
            "retain-on-failure" => Ok(VideoMode::RetainOnFailure),
            other => Err(format!(
                "{other:?} is not a video mode (use on, off or retain-on-failure)"
            )),
        }
    }
}

/// How to record.
#[derive(Debug, Clone)]
pub struct VideoOptions {
    pub mode: VideoMode,
    /// Frames per second of the encoded video; the screencast is asked for about as many.
    pub fps: u32,
    /// The video's size; both even. Frames are scaled (aspect kept) and padded to it.
    pub size: (u32, u32),
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// JPEG quality of screencast frames (1–100).
    pub jpeg_quality: u8,
}

impl VideoOptions {
    pub fn new(mode: VideoMode, size: (u32, u32)) -> VideoOptions {
        let find = |name: &str| {
            crate::browser::which(name).unwrap_or_else(|| PathBuf::from("/usr/bin").join(name))
        };
        VideoOptions {
            mode,
            fps: 15,
            size,
            ffmpeg: find("ffmpeg"),
            ffprobe: find("ffprobe"),
            jpeg_quality: 70,
        }
    }
}

/// The video evidence of one step.
#[derive(Debug, Clone, PartialEq)]
pub struct ClipReport {
    /// The clip, relative to the run folder; `None` when none could be made.
    pub path: Option<String>,
    /// False when the clip is missing, empty or shorter than its step by more than two
    /// frame intervals: that step's evidence is defective.
    pub ok: bool,
    pub problem: Option<String>,
    /// What ffprobe measured.
    pub duration_ms: Option<u64>,
    pub frames: Option<u64>,
}

impl ClipReport {
    fn missing(problem: String) -> ClipReport {
        ClipReport {
            path: None,
            ok: false,
            problem: Some(problem),
            duration_ms: None,
            frames: None,
        }
    }
}

/// The video evidence of one scenario: a clip per recorded step and the joined video.
#[derive(Debug, Clone, Default)]
pub struct ScenarioVideo {
    /// (step index, its clip), in step order.
    pub clips: Vec<(usize, ClipReport)>,
    /// The scenario video with one chapter per step, relative to the run folder.
    pub video: Option<String>,
    pub problem: Option<String>,
}

struct StepMark {
    index: usize,
    name: String,
    rel: String,
    start: f64,
    end: f64,
    task: Option<JoinHandle<ClipReport>>,
    /// Known before encoding (e.g. the screencast had stopped).
    problem: Option<String>,
}

/// Records the run's video; see the module doc.
pub struct VideoRecorder {
    options: VideoOptions,
    encoder: Encoder,
    root: PathBuf,
    log: Arc<FrameLog>,
    screencast: tokio::sync::Mutex<Option<Screencast>>,
    unavailable: Mutex<Option<String>>,
    work: tempfile::TempDir,
    steps: Mutex<Vec<StepMark>>,
    /// One encoder at a time: the run's own steps keep the other core.
    encode_slot: Arc<Semaphore>,
}

impl VideoRecorder {
    /// Checks ffmpeg, connects to the browser's BiDi socket `bidi_url` and starts the
    /// screencast on `window`. Missing ffmpeg is an error (the run cannot keep its
    /// promise); a browser without a screencast is not: every clip then reports why it is
    /// missing.
    pub async fn start(
        options: VideoOptions,
        run_folder: &Path,
        bidi_url: Option<&str>,
        window: Option<&str>,
    ) -> Result<VideoRecorder, String> {
        for tool in [&options.ffmpeg, &options.ffprobe] {
            if !tool.is_file() {
                return Err(format!(
                    "{} not found; install ffmpeg (`apt-get install ffmpeg`) or run with --video off",
                    tool.display()
                ));
            }
        }
        let (w, h) = options.size;
        if w % 2 != 0 || h % 2 != 0 || w == 0 || h == 0 {
            return Err(format!("video size {w}x{h}: both numbers must be even"));
        }
        let root = run_folder
            .canonicalize()
            .map_err(|e| format!("cannot resolve {}: {e}", run_folder.display()))?;
        let work = tempfile::Builder::new()
            .prefix("walkthrough-frames-")
            .tempdir()
            .map_err(|e| format!("cannot create a folder for video frames: {e}"))?;
        let encoder = Encoder {
            ffmpeg: options.ffmpeg.clone(),
            ffprobe: options.ffprobe.clone(),
            fps: options.fps.max(1),
            size: options.size,
        };
        let recorder = VideoRecorder {
            encoder,
            root,
            log: Arc::new(FrameLog::default()),
            screencast: tokio::sync::Mutex::new(None),
            unavailable: Mutex::new(None),
            work,
            steps: Mutex::new(Vec::new()),
            encode_slot: Arc::new(Semaphore::new(1)),
            options,
        };
        let settings = ScreencastSettings {
            max_width: w,
            max_height: h,
            quality: recorder.options.jpeg_quality.clamp(1, 100),
            // Chromium composites at up to 60 Hz; ask for a little more than `fps` so a
            // frame is there for every output frame when the machine is busy.
            every_nth_frame: (60 / (recorder.encoder.fps + 5)).max(1),
        };
        let started = match bidi_url {
            None => Err(
                "the browser offers no WebDriver BiDi socket, so there is no \
                         screencast (a driver without webSocketUrl support)"
                    .to_string(),
            ),
            Some(url) => {
                Screencast::connect(url, settings, recorder.work.path(), recorder.log.clone()).await
            }
        };
        match started {
            Ok(sc) => {
                *recorder.screencast.lock().await = Some(sc);
                if let Some(window) = window {
                    recorder.follow(window).await;
                }
            }
            Err(e) => recorder.set_unavailable(e),
        }
        Ok(recorder)
    }

    pub fn mode(&self) -> VideoMode {
        self.options.mode
    }

    /// Why no video can be recorded, if so.
    pub fn unavailable(&self) -> Option<String> {
        self.unavailable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn set_unavailable(&self, why: String) {
        let mut slot = self.unavailable.lock().unwrap_or_else(|p| p.into_inner());
        if slot.is_none() {
            *slot = Some(why);
        }
    }

    /// Frames received so far (for diagnostics and tests).
    pub fn frames_received(&self) -> usize {
        self.log.len()
    }

    /// Shows `window` (a WebDriver window handle) in the screencast from now on.
    pub async fn follow(&self, window: &str) {
        let guard = self.screencast.lock().await;
        if let Some(sc) = guard.as_ref() {
            if let Err(e) = sc.follow(window).await {
                drop(guard);
                self.set_unavailable(format!("the screencast could not follow the window: {e}"));
            }
        }
    }

    /// Marks a finished step's wall-clock window. With `--video on` its clip is encoded in
    /// the background from now on; with `retain-on-failure`, only if the scenario fails.
    pub fn step_finished(
        &self,
        scenario_dir: &Path,
        index: usize,
        name: &str,
        started_at: DateTime<Utc>,
        duration: Duration,
    ) {
        let start = epoch(started_at);
        let end = start + duration.as_secs_f64();
        let rel = relative(&ArtifactStore::step_file(
            scenario_dir,
            index,
            name,
            None,
            "mp4",
        ));
        let problem = self.capture_problem();
        let mut mark = StepMark {
            index,
            name: name.to_string(),
            rel,
            start,
            end,
            task: None,
            problem,
        };
        if self.options.mode == VideoMode::On && mark.problem.is_none() {
            mark.task = Some(self.spawn_clip(&mark, true));
        }
        self.steps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(mark);
    }

    fn capture_problem(&self) -> Option<String> {
        if let Some(why) = self.unavailable() {
            return Some(why);
        }
        match self.screencast.try_lock() {
            Ok(guard) => match guard.as_ref() {
                Some(sc) if !sc.is_running() => {
                    Some("the screencast stopped (the browser closed its socket)".into())
                }
                _ => None,
            },
            Err(_) => None,
        }
    }

    fn spawn_clip(&self, mark: &StepMark, wait_for_late_frames: bool) -> JoinHandle<ClipReport> {
        let job = ClipJob {
            encoder: self.encoder.clone(),
            log: self.log.clone(),
            root: self.root.clone(),
            work: self.work.path().to_path_buf(),
            rel: mark.rel.clone(),
            start: mark.start,
            end: mark.end,
        };
        let slot = self.encode_slot.clone();
        tokio::spawn(async move {
            if wait_for_late_frames {
                job.wait_for_late_frames().await;
            }
            let _permit = slot.acquire_owned().await;
            job.run().await
        })
    }

    /// Ends a scenario: waits for (or, with `retain-on-failure` and a failed scenario,
    /// makes) every clip, probes them, and joins them into `<scenario dir>/scenario.mp4`
    /// with a chapter per step. A passing scenario under `retain-on-failure` keeps nothing.
    pub async fn finish_scenario(
        &self,
        scenario_dir: &Path,
        title: &str,
        failed: bool,
    ) -> ScenarioVideo {
        let marks: Vec<StepMark> =
            std::mem::take(&mut *self.steps.lock().unwrap_or_else(|p| p.into_inner()));
        let last_end = marks.iter().map(|m| m.end).fold(f64::MIN, f64::max);
        let keep = match self.options.mode {
            VideoMode::On => true,
            VideoMode::RetainOnFailure => failed,
            VideoMode::Off => false,
        };
        let mut out = ScenarioVideo::default();
        if keep {
            let mut named = Vec::new();
            for mut mark in marks {
                let report = match (mark.problem.take(), mark.task.take()) {
                    (Some(problem), _) => ClipReport::missing(problem),
                    (None, Some(task)) => task.await.unwrap_or_else(|e| {
                        ClipReport::missing(format!("the clip encoder task failed: {e}"))
                    }),
                    (None, None) => {
                        let task = self.spawn_clip(&mark, false);
                        task.await.unwrap_or_else(|e| {
                            ClipReport::missing(format!("the clip encoder task failed: {e}"))
                        })
                    }
                };
                if let (Some(path), Some(ms)) = (&report.path, report.duration_ms) {
                    named.push((
                        path.clone(),
                        format!("{:02} {}", mark.index + 1, mark.name),
                        ms as f64 / 1000.0,
                    ));
                }
                out.clips.push((mark.index, report));
            }
            if !out.clips.is_empty() {
                match self.join(scenario_dir, title, &named).await {
                    Ok(video) => out.video = Some(video),
                    Err(e) => out.problem = Some(e),
                }
            }
        } else {
            for mark in marks {
                if let Some(task) = mark.task {
                    task.abort();
                }
            }
        }
        if last_end > f64::MIN {
            self.log.prune(last_end);
        }
        out
    }

    async fn join(
        &self,
        scenario_dir: &Path,
        title: &str,
        clips: &[(String, String, f64)],
    ) -> Result<String, String> {
        if clips.is_empty() {
            return Err("no clip of this scenario could be made, so there is no video".into());
        }
        let rel = relative(&scenario_dir.join("scenario.mp4"));
        let stem = rel.replace('/', "_");
        let script = self.work.path().join(format!("{stem}.ffconcat"));
        let metadata = self.work.path().join(format!("{stem}.ffmeta"));
        let paths: Vec<String> = clips
            .iter()
            .map(|(p, _, _)| self.root.join(p).display().to_string())
            .collect();
        let chapters = plan::chapters_from(
            &clips
                .iter()
                .map(|(_, t, s)| (t.clone(), *s))
                .collect::<Vec<_>>(),
        );
        std::fs::write(&script, plan::join_script(&paths)).map_err(|e| e.to_string())?;
        std::fs::write(&metadata, plan::ffmetadata(title, &chapters)).map_err(|e| e.to_string())?;
        let _permit = self.encode_slot.acquire().await;
        self.encoder
            .join(&script, &metadata, &self.root.join(&rel))
            .await
            .map_err(|e| format!("the scenario video could not be joined: {e}"))?;
        Ok(rel)
    }

    /// Stops the screencast; clips already made stay.
    pub async fn close(&self) {
        if let Some(sc) = self.screencast.lock().await.take() {
            sc.stop().await;
        }
    }
}

/// One clip to make: plan it from the frame log, encode, probe, judge.
struct ClipJob {
    encoder: Encoder,
    log: Arc<FrameLog>,
    root: PathBuf,
    work: PathBuf,
    rel: String,
    start: f64,
    end: f64,
}

impl ClipJob {
    /// Frames are stamped by the compositor and arrive a little later: give the frame
    /// that shows the step's last effect up to 300 ms to arrive.
    async fn wait_for_late_frames(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(300);
        while tokio::time::Instant::now() < deadline {
            if self.log.latest().is_some_and(|t| t >= self.end) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn run(self) -> ClipReport {
        let frames = self.log.snapshot();
        let ts: Vec<f64> = frames.iter().map(|f| f.ts).collect();
        let Some(segments) = plan::plan_clip(&ts, self.start, self.end) else {
            return ClipReport::missing("the screencast sent no frame at all".to_string());
        };
        let mut entries: Vec<(String, f64)> = segments
            .iter()
            .map(|s| (frames[s.frame].path.display().to_string(), s.duration))
            .collect();
        // Hold the last frame two frame intervals beyond the end, so the frame-rate filter
        // has a frame to fill the tail towards; `-t` then cuts at exactly the end.
        if let Some(last) = entries.last_mut() {
            last.1 += 2.0 / self.encoder.fps.max(1) as f64;
        }
        let script = self
            .work
            .join(format!("{}.ffconcat", self.rel.replace('/', "_")));
        if let Err(e) = std::fs::write(&script, plan::concat_script(&entries)) {
            return ClipReport::missing(format!("cannot write {}: {e}", script.display()));
        }
        let out = self.root.join(&self.rel);
        if let Some(parent) = out.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let seconds = self.end - self.start;
        if let Err(e) = self.encoder.encode_clip(&script, seconds, &out).await {
            return ClipReport::missing(e);
        }
        let _ = std::fs::remove_file(&script);
        let mut report = check_clip(&self.encoder, &out, seconds).await;
        report.path = Some(self.rel);
        report
    }
}

/// Probes an encoded clip and judges it against the step's duration (the health rule of
/// [`plan::judge_clip`]); `path` is left for the caller.
pub async fn check_clip(encoder: &Encoder, clip: &Path, step_seconds: f64) -> ClipReport {
    let step_seconds = step_seconds.max(1.0 / encoder.fps.max(1) as f64);
    match encoder.probe(clip).await {
        Ok(probe) => {
            let verdict = judge_clip(&probe, step_seconds, encoder.fps);
            ClipReport {
                path: None,
                ok: verdict.is_ok(),
                problem: verdict.err(),
                duration_ms: Some((probe.duration * 1000.0).round() as u64),
                frames: Some(probe.frames),
            }
        }
        Err(e) => ClipReport::missing(format!("the clip cannot be read: {e}")),
    }
}

fn epoch(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}

fn relative(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
