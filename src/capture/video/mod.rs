//! Video evidence, from one of three sources ([`VideoSource`]):
//! - `screencast`: the DevTools screencast is recorded for the whole run into a frame log
//!   (JPEGs with the browser's own timestamps);
//! - `bidi-screenshots`: without a screencast (Firefox), screenshots over the WebDriver BiDi
//!   socket sampled while each step runs, alongside its commands ([`bidi_shots`]), go into
//!   the same frame log, stamped on arrival;
//! - `screenshots`: without a BiDi socket either, WebDriver screenshots sampled while each
//!   step runs go into the same frame log, stamped on arrival ([`sample`]);
//! - `x11grab`: a headed browser's X display is recorded by ffmpeg, one continuous
//!   recording per scenario ([`screen`]).
//!
//! From a frame log, a step's clip is planned from the frames covering exactly
//! `[start, end]` (the last frame held on a static page) and encoded in the background when
//! the step ends; from a screen recording, it is cut out by re-encoding when the scenario
//! ends. Then every clip is probed, and the clips are joined into the scenario video with
//! one chapter per step.
//! Knows nothing of the runner or the report: it is handed window handles, step windows
//! and folders, and hands back [`ClipEvidence`]s. `--video off` never builds one of these.

mod bidi_shots;
mod choose;
mod encode;
mod error;
pub mod plan;
mod rate;
mod sample;
mod screen;
mod screencast;

use crate::viewport::Viewport;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

pub use bidi_shots::BidiShooter;
pub use choose::{choose_source, start_for, VideoPlan};
pub use encode::{probe_chapters, probe_with, x264_args, Encoder};
pub use error::VideoError;
pub use plan::{judge_clip, ClipProbe};
pub use rate::frames_per_second;
use rate::sample_cap;
pub use sample::Grab;
use sample::Sampler;
pub use screen::parse_start;
use screen::ScreenRecording;
use screencast::{Dialect, FrameLog, Screencast, ScreencastSettings};

use crate::outcome::ClipEvidence;
use crate::run_folder::{slash_path, RunFolder};

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

/// Where the video comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSource {
    /// The DevTools screencast over the driver's BiDi socket (headless Chromium).
    Screencast,
    /// ffmpeg recording the X display of a headed browser.
    X11grab,
    /// Screenshots over the WebDriver BiDi socket, sampled while steps run (Firefox).
    BidiScreenshots,
    /// WebDriver screenshots sampled while steps run (any browser; jerky, slows steps).
    Screenshots,
}

impl VideoSource {
    pub fn as_str(self) -> &'static str {
        match self {
            VideoSource::Screencast => "screencast",
            VideoSource::X11grab => "x11grab",
            VideoSource::BidiScreenshots => "bidi-screenshots",
            VideoSource::Screenshots => "screenshots",
        }
    }
}

/// What a recorder captures from, with what that source needs.
pub enum CaptureFrom<'a> {
    /// The screencast on BiDi socket `bidi_url`, else on a Grid's DevTools proxy
    /// `cdp_url` (neither: every clip says why it is missing), showing `window` first.
    Screencast {
        bidi_url: Option<&'a str>,
        cdp_url: Option<&'a str>,
        window: Option<&'a str>,
    },
    /// The top-left `size` of X display `display`.
    Screen { display: &'a str, size: Viewport },
    /// Screenshots taken by `grab`, at most `min(fps, 5)` a second.
    Screenshots(Grab),
    /// Screenshots taken by `grab` over the BiDi socket, at most
    /// `min(fps, BIDI_SHOTS_MAX_FPS)` a second.
    BidiScreenshots(Grab),
}

/// The highest rate of BiDi screenshots: each takes 20–60 ms of the browser's time on
/// 2 cores, so more would slow the steps it films.
pub const BIDI_SHOTS_MAX_FPS: u32 = 10;

/// How to record.
#[derive(Debug, Clone)]
pub struct VideoOptions {
    pub mode: VideoMode,
    /// Frames per second of the encoded video; the screencast is asked for about as many.
    pub fps: u32,
    /// The video's size; both even. Frames are scaled (aspect kept) and padded to it.
    pub size: Viewport,
    pub ffmpeg: PathBuf,
    pub ffprobe: PathBuf,
    /// JPEG quality of screencast frames (1–100).
    pub jpeg_quality: u8,
}

impl VideoOptions {
    pub fn new(mode: VideoMode, size: Viewport) -> VideoOptions {
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

/// The video evidence of one scenario: a clip per recorded step and the joined video.
#[derive(Debug, Clone, Default)]
pub struct ScenarioVideo {
    /// (step index, its clip), in step order.
    pub clips: Vec<(usize, ClipEvidence)>,
    /// The scenario video with one chapter per step, relative to the run folder.
    pub video: Option<String>,
    pub problem: Option<String>,
    /// Where the frames came from.
    pub source: Option<VideoSource>,
    /// Frames captured per second of the steps' time (see [`VideoRecorder::frame_rate`]).
    pub fps: Option<f64>,
}

struct StepMark {
    index: usize,
    name: String,
    rel: String,
    start: f64,
    end: f64,
    task: Option<JoinHandle<ClipEvidence>>,
    /// Known before encoding (e.g. the screencast had stopped).
    problem: Option<String>,
}

/// The screen recorder of a headed session: the display and the scenario's recording.
struct ScreenSource {
    display: String,
    size: (u32, u32),
    recording: tokio::sync::Mutex<Option<ScreenRecording>>,
    made: AtomicU32,
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
    source: VideoSource,
    sampler: Option<Sampler>,
    screen: Option<ScreenSource>,
    /// Why the source is not the browser's best one (e.g. no BiDi socket), if so.
    note: Mutex<Option<String>>,
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
    ) -> Result<VideoRecorder, VideoError> {
        Self::start_with(
            options,
            run_folder,
            CaptureFrom::Screencast {
                bidi_url,
                cdp_url: None,
                window,
            },
        )
        .await
    }

    /// Like [`VideoRecorder::start`], from any source. Sampling and screen recording only
    /// run while steps do (see [`VideoRecorder::step_started`]).
    pub async fn start_with(
        options: VideoOptions,
        run_folder: &Path,
        from: CaptureFrom<'_>,
    ) -> Result<VideoRecorder, VideoError> {
        for tool in [&options.ffmpeg, &options.ffprobe] {
            if !tool.is_file() {
                return Err(VideoError::Files(format!(
                    "{} not found; install ffmpeg (`apt-get install ffmpeg`) or run with --video off",
                    tool.display()
                )));
            }
        }
        let root = run_folder.canonicalize().map_err(|e| {
            VideoError::Files(format!("cannot resolve {}: {e}", run_folder.display()))
        })?;
        let work = tempfile::Builder::new()
            .prefix("walkthrough-frames-")
            .tempdir()
            .map_err(|e| {
                VideoError::Files(format!("cannot create a folder for video frames: {e}"))
            })?;
        let encoder = Encoder {
            ffmpeg: options.ffmpeg.clone(),
            ffprobe: options.ffprobe.clone(),
            fps: options.fps.max(1),
            size: (options.size.width, options.size.height),
        };
        let source = match &from {
            CaptureFrom::Screencast { .. } => VideoSource::Screencast,
            CaptureFrom::Screen { .. } => VideoSource::X11grab,
            CaptureFrom::Screenshots(_) => VideoSource::Screenshots,
            CaptureFrom::BidiScreenshots(_) => VideoSource::BidiScreenshots,
        };
        let log = Arc::new(FrameLog::default());
        let sampler = match &from {
            CaptureFrom::Screenshots(grab) | CaptureFrom::BidiScreenshots(grab) => {
                Some(Sampler::new(
                    grab.clone(),
                    options.fps.clamp(1, sample_cap(source)),
                    work.path().to_path_buf(),
                    log.clone(),
                ))
            }
            _ => None,
        };
        let screen = match &from {
            CaptureFrom::Screen { display, size } => Some(ScreenSource {
                display: display.to_string(),
                size: (size.width, size.height),
                recording: tokio::sync::Mutex::new(None),
                made: AtomicU32::new(0),
            }),
            _ => None,
        };
        let recorder = VideoRecorder {
            source,
            sampler,
            screen,
            encoder,
            root,
            log,
            screencast: tokio::sync::Mutex::new(None),
            unavailable: Mutex::new(None),
            work,
            steps: Mutex::new(Vec::new()),
            encode_slot: Arc::new(Semaphore::new(1)),
            options,
            note: Mutex::new(None),
        };
        let settings = ScreencastSettings {
            max_width: recorder.options.size.width,
            max_height: recorder.options.size.height,
            quality: recorder.options.jpeg_quality.clamp(1, 100),
            // Chromium composites at up to 60 Hz; ask for twice the output rate, so the output
            // has a fresh frame in every slot (scripts/bench-video.sh: 15.0 fps effective).
            every_nth_frame: (60 / (recorder.encoder.fps * 2)).max(1),
        };
        let (socket, window) = match from {
            CaptureFrom::Screencast {
                bidi_url,
                cdp_url,
                window,
            } => match (bidi_url, cdp_url) {
                (Some(url), _) => (Some((url, Dialect::Bidi)), window),
                (None, Some(url)) => (Some((url, Dialect::Cdp)), window),
                (None, None) => (None, window),
            },
            _ => return Ok(recorder),
        };
        let started = match socket {
            None => Err(VideoError::Screencast(
                "the browser offers no WebDriver BiDi socket, so there is no \
                         screencast (a driver without webSocketUrl support)"
                    .to_string(),
            )),
            Some((url, dialect)) => {
                let (dir, log) = (recorder.work.path(), recorder.log.clone());
                Screencast::connect(url, dialect, settings, dir, log).await
            }
        };
        match started {
            Ok(sc) => {
                *recorder.screencast.lock().await = Some(sc);
                if let Some(window) = window {
                    recorder.follow(window).await;
                }
            }
            Err(e) => recorder.set_unavailable(e.to_string()),
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

    pub fn source(&self) -> VideoSource {
        self.source
    }

    /// The source in words, for the console.
    pub fn describe(&self) -> String {
        match (&self.source, &self.screen) {
            (VideoSource::Screencast, _) => "DevTools screencast".into(),
            (VideoSource::X11grab, Some(screen)) => {
                format!("x11grab of display {}", screen.display)
            }
            (VideoSource::X11grab, None) => "x11grab".into(),
            (VideoSource::BidiScreenshots, _) => format!(
                "BiDi screenshots at up to {} fps (no DevTools screencast)",
                self.options.fps.clamp(1, BIDI_SHOTS_MAX_FPS)
            ),
            (VideoSource::Screenshots, _) => format!(
                "sampled screenshots at {} fps (no DevTools screencast)",
                self.options.fps.clamp(1, 5)
            ),
        }
    }

    /// A step is about to start: sampling starts, or the scenario's screen recording
    /// (returning once its first frame is grabbed, so the step is covered from its start).
    pub async fn step_started(&self) {
        if let Some(sampler) = &self.sampler {
            sampler.begin();
        }
        if let Some(screen) = &self.screen {
            let mut recording = screen.recording.lock().await;
            if recording.as_mut().is_some_and(|r| r.is_running()) {
                return;
            }
            if let Some(dead) = recording.take() {
                let _ = dead.stop().await;
            }
            let n = screen.made.fetch_add(1, Ordering::SeqCst) + 1;
            let file = self.work.path().join(format!("screen-{n:03}.mkv"));
            match ScreenRecording::start(
                &self.options.ffmpeg,
                &screen.display,
                screen.size,
                self.encoder.fps,
                &file,
            )
            .await
            {
                Ok(r) => *recording = Some(r),
                Err(e) => self.set_unavailable(e.to_string()),
            }
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
        let rel = slash_path(&RunFolder::step_file(
            scenario_dir,
            index,
            name,
            None,
            "mp4",
        ));
        if let Some(sampler) = &self.sampler {
            sampler.end_at(end, 1.0 / f64::from(self.encoder.fps.max(1)));
        }
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
        // A screen recording is cut when the scenario ends and ffmpeg has closed the file.
        if self.options.mode == VideoMode::On && mark.problem.is_none() && self.screen.is_none() {
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
        if let Some(screen) = &self.screen {
            return match screen.recording.try_lock() {
                Ok(mut guard) => match guard.as_mut().map(|r| r.is_running()) {
                    None => Some("the screen was not being recorded".into()),
                    Some(false) => Some("the screen recording stopped (ffmpeg exited)".into()),
                    Some(true) => None,
                },
                Err(_) => None,
            };
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

    fn spawn_clip(&self, mark: &StepMark, wait_for_late_frames: bool) -> JoinHandle<ClipEvidence> {
        self.spawn_job(
            mark,
            ClipFrom::Frames(self.log.clone()),
            wait_for_late_frames,
        )
    }

    fn spawn_job(
        &self,
        mark: &StepMark,
        from: ClipFrom,
        wait_for_late_frames: bool,
    ) -> JoinHandle<ClipEvidence> {
        let job = ClipJob {
            encoder: self.encoder.clone(),
            from,
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
        let windows: Vec<(f64, f64)> = marks.iter().map(|m| (m.start, m.end)).collect();
        let keep = match self.options.mode {
            VideoMode::On => true,
            VideoMode::RetainOnFailure => failed,
            VideoMode::Off => false,
        };
        // The scenario's screen recording ends here; its clips are cut from the file.
        let mut recorded: Option<Result<(PathBuf, f64), VideoError>> = None;
        if let Some(screen) = &self.screen {
            if let Some(recording) = screen.recording.lock().await.take() {
                let start = recording.start_epoch();
                recorded = Some(recording.stop().await.map(|file| (file, start)));
            }
        }
        let mut out = ScenarioVideo {
            source: Some(self.source),
            ..ScenarioVideo::default()
        };
        if keep {
            let mut named = Vec::new();
            for mut mark in marks {
                let report = match (mark.problem.take(), mark.task.take()) {
                    (Some(problem), _) => ClipEvidence::missing(problem),
                    (None, Some(task)) => task.await.unwrap_or_else(|e| {
                        ClipEvidence::missing(format!("the clip encoder task failed: {e}"))
                    }),
                    (None, None) => {
                        let task = match &recorded {
                            None => self.spawn_clip(&mark, false),
                            Some(Ok((file, start))) => self.spawn_job(
                                &mark,
                                ClipFrom::Recording {
                                    file: file.clone(),
                                    start: *start,
                                },
                                false,
                            ),
                            Some(Err(e)) => tokio::spawn(std::future::ready(
                                ClipEvidence::missing(e.to_string()),
                            )),
                        };
                        task.await.unwrap_or_else(|e| {
                            ClipEvidence::missing(format!("the clip encoder task failed: {e}"))
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
                    Err(e) => out.problem = Some(e.to_string()),
                }
            }
        } else {
            for mark in marks {
                if let Some(task) = mark.task {
                    task.abort();
                }
            }
        }
        out.fps = self.frame_rate(&windows, &recorded).await;
        if let Some(Ok((file, _))) = &recorded {
            let _ = std::fs::remove_file(file);
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
    ) -> Result<String, VideoError> {
        if clips.is_empty() {
            return Err(VideoError::Files(
                "no clip of this scenario could be made, so there is no video".into(),
            ));
        }
        let rel = slash_path(&scenario_dir.join(RunFolder::SCENARIO_VIDEO));
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
        std::fs::write(&script, plan::join_script(&paths))
            .map_err(|e| VideoError::Files(format!("cannot write {}: {e}", script.display())))?;
        std::fs::write(&metadata, plan::ffmetadata(title, &chapters))
            .map_err(|e| VideoError::Files(format!("cannot write {}: {e}", metadata.display())))?;
        let _permit = self.encode_slot.acquire().await;
        self.encoder
            .join(&script, &metadata, &self.root.join(&rel))
            .await
            .map_err(|e| {
                VideoError::Files(format!("the scenario video could not be joined: {e}"))
            })?;
        Ok(rel)
    }

    /// Stops the screencast, sampling and screen recording; clips already made stay.
    pub async fn close(&self) {
        if let Some(sampler) = &self.sampler {
            sampler.abort();
        }
        if let Some(screen) = &self.screen {
            if let Some(recording) = screen.recording.lock().await.take() {
                if let Ok(file) = recording.stop().await {
                    let _ = std::fs::remove_file(file);
                }
            }
        }
        if let Some(sc) = self.screencast.lock().await.take() {
            sc.stop().await;
        }
    }
}

/// What a clip is made from.
enum ClipFrom {
    Frames(Arc<FrameLog>),
    /// A finished screen recording whose time 0 is epoch `start`.
    Recording {
        file: PathBuf,
        start: f64,
    },
}

/// One clip to make: plan it from the frame log (or cut it from the recording), encode,
/// probe, judge.
struct ClipJob {
    encoder: Encoder,
    from: ClipFrom,
    root: PathBuf,
    work: PathBuf,
    rel: String,
    start: f64,
    end: f64,
}

impl ClipJob {
    /// Frames are stamped by the compositor and arrive a little later: give the frame
    /// that shows the step's last effect up to 300 ms to arrive (a sampler's final shot,
    /// up to 2 s).
    async fn wait_for_late_frames(&self) {
        let ClipFrom::Frames(log) = &self.from else {
            return;
        };
        let bound = if log.is_sampled() { 2000 } else { 300 };
        let deadline = tokio::time::Instant::now() + Duration::from_millis(bound);
        while tokio::time::Instant::now() < deadline {
            if log.settled() >= self.end {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    async fn run(self) -> ClipEvidence {
        let log = match &self.from {
            ClipFrom::Frames(log) => log.clone(),
            ClipFrom::Recording { file, start } => {
                let (file, start) = (file.clone(), *start);
                return self.cut(&file, start).await;
            }
        };
        let frames = log.snapshot();
        let ts: Vec<f64> = frames.iter().map(|f| f.ts).collect();
        let Some(segments) = plan::plan_clip(&ts, self.start, self.end) else {
            return ClipEvidence::missing("no frame was captured at all".to_string());
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
            return ClipEvidence::missing(format!("cannot write {}: {e}", script.display()));
        }
        let out = self.root.join(&self.rel);
        if let Some(parent) = out.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let seconds = self.end - self.start;
        if let Err(e) = self.encoder.encode_clip(&script, seconds, &out).await {
            return ClipEvidence::missing(e.to_string());
        }
        let _ = std::fs::remove_file(&script);
        let mut report = check_clip(&self.encoder, &out, seconds).await;
        report.path = Some(self.rel);
        report
    }
}

impl ClipJob {
    /// Cuts the step's window out of a screen recording whose time 0 is epoch `start`.
    async fn cut(self, file: &Path, start: f64) -> ClipEvidence {
        let out = self.root.join(&self.rel);
        if let Some(parent) = out.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let seconds = self.end - self.start;
        if let Err(e) = self
            .encoder
            .cut(file, self.start - start, seconds, &out)
            .await
        {
            return ClipEvidence::missing(e.to_string());
        }
        let mut report = check_clip(&self.encoder, &out, seconds).await;
        report.path = Some(self.rel);
        report
    }
}

/// Probes an encoded clip and judges it against the step's duration (the health rule of
/// [`plan::judge_clip`]); `path` is left for the caller.
pub async fn check_clip(encoder: &Encoder, clip: &Path, step_seconds: f64) -> ClipEvidence {
    let step_seconds = step_seconds.max(1.0 / encoder.fps.max(1) as f64);
    match encoder.probe(clip).await {
        Ok(probe) => {
            let verdict = judge_clip(&probe, step_seconds, encoder.fps);
            ClipEvidence {
                path: None,
                ok: Some(verdict.is_ok()),
                problem: verdict.err(),
                duration_ms: Some((probe.duration * 1000.0).round() as u64),
                frames: Some(probe.frames),
            }
        }
        Err(e) => ClipEvidence::missing(format!("the clip cannot be read: {e}")),
    }
}

fn epoch(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}
