//! Video evidence, from one of four sources ([`VideoSource`]):
//! - `screencast`: the DevTools screencast is recorded for the whole run into a frame log
//!   (JPEGs with the browser's own timestamps);
//! - `bidi-screenshots`: without a screencast (Firefox), screenshots over the WebDriver BiDi
//!   socket sampled while each step runs, alongside its commands ([`bidi_shots`]), go into
//!   the same frame log, stamped on arrival;
//! - `screenshots`: without a BiDi socket either, WebDriver screenshots sampled while each
//!   step runs go into the same frame log, stamped on arrival ([`sample`]);
//! - `x11grab`: a headed browser's X display is grabbed by ffmpeg for the whole session,
//!   each frame a JPEG stamped with its grab time, into the same frame log ([`screen`]);
//!   a frame identical to the one before is only counted.
//!
//! From the frame log, each scenario has one live encoder ([`live`]) fed while its steps
//! run: a step's frames, picked at the output rate from exactly `[start, end]` (the last
//! frame held on a static page), are encoded as they arrive, into one MP4 per step.
//! Finishing a scenario ([`VideoRecorder::finish_scenario`]) does not wait: its clips are
//! checked with a container probe against the frames sent ([`mp4`]) and joined by stream
//! copy into the scenario video with one chapter per step ([`mp4::join`], in process) in the
//! background, while the next scenario runs (the last one while the browser closes:
//! [`VideoRecorder::release_browser`]); [`VideoRecorder::take_finished`] and
//! [`VideoRecorder::wait_finished`] hand the results back.
//! Knows nothing of the runner or the report: it is handed window handles, step windows
//! and folders, and hands back [`ClipEvidence`]s. `--video off` never builds one of these.

mod bidi_shots;
mod choose;
mod encode;
mod error;
mod finish;
mod live;
mod mkv;
mod mp4;
pub mod plan;
mod rate;
mod sample;
mod screen;
mod screencast;
mod socket;

use crate::viewport::Viewport;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{oneshot, Semaphore};
use tokio::task::JoinHandle;

pub use bidi_shots::BidiShooter;
pub use choose::{choose_source, records_screen, start_for, start_on_screen, VideoPlan};
pub use encode::{probe_chapters, probe_with, x264_args, Encoder};
pub use error::VideoError;
use finish::{Finish, StepMark};
use live::LiveEncoder;
use mkv::Still;
pub use plan::{judge_clip, ClipProbe};
pub use rate::frames_per_second;
use rate::sample_cap;
pub use sample::Grab;
use sample::Sampler;
use screen::ScreenGrab;
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

/// The caller's tag of a scenario handed to [`VideoRecorder::finish_scenario`]: the
/// scenario's index and its attempt (from 1; a retried scenario is recorded once per
/// attempt).
pub type VideoKey = (usize, u32);

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
    /// Frames captured per second of the steps' time (see [`rate::frame_rate`]).
    pub fps: Option<f64>,
    /// How the source was reached when not the usual way, or why it is not the browser's
    /// best one.
    pub note: Option<String>,
}

/// The screen grab of a headed session.
struct ScreenSource {
    display: String,
    /// The grabbed rectangle (the viewport, from the top left).
    size: (u32, u32),
    grab: tokio::sync::Mutex<Option<ScreenGrab>>,
}

/// The scenario being recorded: its finished steps and its live encoder.
#[derive(Default)]
struct Current {
    marks: Vec<StepMark>,
    live: Option<LiveEncoder>,
}

/// Scenarios finishing in the background, in the order they ended.
#[derive(Default)]
struct Finishing {
    /// (the caller's key, the task making its [`ScenarioVideo`]).
    tasks: VecDeque<(VideoKey, JoinHandle<ScenarioVideo>)>,
    /// Done when the last scenario handed over has finished.
    last: Option<oneshot::Receiver<()>>,
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
    current: Mutex<Current>,
    finishing: Mutex<Finishing>,
    /// Live encoders started, for their folders' names.
    encoders: AtomicU32,
    /// One batch encoder at a time (`retain-on-failure` clips, joins): the run's own
    /// steps keep the other core.
    encode_slot: Arc<Semaphore>,
    source: VideoSource,
    sampler: Option<Sampler>,
    screen: Option<ScreenSource>,
    /// Why the source is not the browser's best one (e.g. no BiDi socket), if so.
    note: Mutex<Option<String>>,
    /// The end (epoch seconds) of the last step marked, 0 before any.
    last_end: Mutex<f64>,
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

    /// Like [`VideoRecorder::start`], from any source. Sampling only runs while steps do
    /// (see [`VideoRecorder::step_started`]); the screencast and the screen grab run from
    /// now until [`VideoRecorder::close`].
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
            .tempdir_in(crate::process::temp_dir())
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
                grab: tokio::sync::Mutex::new(None),
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
            current: Mutex::new(Current::default()),
            finishing: Mutex::new(Finishing::default()),
            encoders: AtomicU32::new(0),
            encode_slot: Arc::new(Semaphore::new(1)),
            options,
            note: Mutex::new(None),
            last_end: Mutex::new(0.0),
        };
        if let CaptureFrom::Screen { .. } = from {
            recorder.grab_screen().await;
            return Ok(recorder);
        }
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
        recorder.start_screencast(socket, window).await;
        Ok(recorder)
    }

    /// Connects the screencast on `socket` (a BiDi socket, or a Grid's DevTools proxy) and
    /// shows `window`; a failure makes video unavailable.
    async fn start_screencast(&self, socket: Option<(&str, Dialect)>, window: Option<&str>) {
        let settings = screencast_settings(&self.options);
        let started = match socket {
            None => Err(VideoError::Screencast(
                "the browser offers no WebDriver BiDi socket, so there is no \
                         screencast (a driver without webSocketUrl support)"
                    .to_string(),
            )),
            Some((url, dialect)) => {
                let (dir, log) = (self.work.path(), self.log.clone());
                Screencast::connect(url, dialect, settings, dir, log).await
            }
        };
        match started {
            Ok(sc) => {
                *self.screencast.lock().await = Some(sc);
                if let Some(window) = window {
                    self.follow(window).await;
                }
            }
            Err(e) => self.set_unavailable(e.to_string()),
        }
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

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether steps are encoded live, from the frame log, as they run.
    fn streams(&self) -> bool {
        self.options.mode == VideoMode::On
    }

    /// The scenario's live encoder, started on its first step (or, for every scenario after
    /// the first, when the one before it finished).
    fn live<'a>(&self, current: &'a mut Current) -> &'a mut LiveEncoder {
        current.live.get_or_insert_with(|| {
            let n = self.encoders.fetch_add(1, Ordering::SeqCst) + 1;
            let still = match self.source {
                VideoSource::Screenshots | VideoSource::BidiScreenshots => Still::Png,
                _ => Still::Jpeg,
            };
            LiveEncoder::start(
                self.encoder.clone(),
                still,
                self.log.clone(),
                self.work.path().join(format!("encoder-{n:03}")),
            )
        })
    }

    /// A step is about to start: sampling starts, a screen grab that stopped is started
    /// again (the steps it missed say why); with `--video on`, its frames go to the
    /// scenario's encoder from now on.
    pub async fn step_started(&self) {
        if let Some(sampler) = &self.sampler {
            sampler.begin();
        }
        if let Some(screen) = &self.screen {
            let stopped = screen
                .grab
                .lock()
                .await
                .as_mut()
                .and_then(ScreenGrab::stopped);
            if let Some(why) = stopped {
                eprintln!("  video: {why}; grabbing again");
                if let Some(dead) = screen.grab.lock().await.take() {
                    dead.stop().await;
                }
                self.grab_screen().await;
            }
        }
        if self.streams() && self.unavailable().is_none() {
            let mut current = self.current();
            self.live(&mut current).step_started(epoch(Utc::now()));
        }
    }

    /// Starts grabbing the screen into the frame log; a failure makes video unavailable.
    async fn grab_screen(&self) {
        let Some(screen) = &self.screen else {
            return;
        };
        // A third more grabs than the video's rate: with the grab's own jitter, at the same
        // rate an output slot now and then gets no fresh frame (bench-video.sh --anim: 14.8
        // effective fps when grabbing at 15, 15.0 at 20).
        let fps = self.encoder.fps + self.encoder.fps.div_ceil(3);
        match ScreenGrab::start(
            &self.options.ffmpeg,
            &screen.display,
            screen.size,
            fps,
            self.work.path(),
            self.log.clone(),
        )
        .await
        {
            Ok(grab) => *screen.grab.lock().await = Some(grab),
            Err(e) => self.set_unavailable(e.to_string()),
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

    /// Marks a finished step's wall-clock window. With `--video on` its last frames go to
    /// the encoder from now on; with `retain-on-failure`, its clip is made only if the
    /// scenario fails.
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
        {
            let mut last_end = self.last_end.lock().unwrap_or_else(|p| p.into_inner());
            *last_end = last_end.max(end);
        }
        let problem = self.capture_problem();
        let mut current = self.current();
        let live = match (&problem, self.streams()) {
            (None, true) => Some(self.live(&mut current).step_finished(start, end)),
            // The step still ends in the encoder, so the next one starts cleanly.
            (Some(_), _) => current.live.as_mut().map(|l| l.step_finished(start, end)),
            _ => None,
        };
        current.marks.push(StepMark {
            index,
            name: name.to_string(),
            rel,
            start,
            end,
            live,
            problem,
        });
    }

    fn capture_problem(&self) -> Option<String> {
        if let Some(why) = self.unavailable() {
            return Some(why);
        }
        if let Some(screen) = &self.screen {
            return match screen.grab.try_lock() {
                Ok(mut guard) => match guard.as_mut() {
                    None => Some("the screen was not being grabbed".into()),
                    Some(grab) => grab.stopped(),
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

    /// Ends a scenario without waiting for its video: in the background, the encoder
    /// flushes (or, with `retain-on-failure` and a failed scenario, the clips are made),
    /// every clip is checked, and the clips are joined into `<scenario dir>/scenario.mp4`
    /// with a chapter per step. A passing scenario under `retain-on-failure` keeps nothing.
    /// The result comes back tagged with `key`, from [`VideoRecorder::take_finished`] or
    /// [`VideoRecorder::wait_finished`]. With `more` (another scenario may follow), the next
    /// scenario's encoder starts now, in the pause between scenarios, rather than in its
    /// first step (ffmpeg takes ~40 ms of CPU to start; 10 alternating rounds of the default
    /// walkthrough: steps 3.09 s against 3.15 s, wall 5.22 s against 5.27 s).
    pub async fn finish_scenario(
        &self,
        scenario_dir: &Path,
        title: &str,
        failed: bool,
        key: VideoKey,
        more: bool,
    ) {
        let current = std::mem::take(&mut *self.current());
        let keep = match self.options.mode {
            VideoMode::On => true,
            VideoMode::RetainOnFailure => failed,
            VideoMode::Off => false,
        };
        let mut finishing = self.finishing.lock().unwrap_or_else(|p| p.into_inner());
        let (done, last) = oneshot::channel();
        let job = Finish {
            encoder: self.encoder.clone(),
            root: self.root.clone(),
            work: self.work.path().to_path_buf(),
            log: self.log.clone(),
            slot: self.encode_slot.clone(),
            dir: scenario_dir.to_path_buf(),
            title: title.to_string(),
            keep,
            marks: current.marks,
            live: current.live,
            source: self.source,
            note: self.note(),
            previous: finishing.last.replace(last),
            done,
        };
        finishing.tasks.push_back((key, tokio::spawn(job.run())));
        drop(finishing);
        // Unfed (the scenario that would have used it never ran), it goes with the recorder.
        if more && self.streams() && self.unavailable().is_none() {
            let mut current = self.current();
            self.live(&mut current);
        }
    }

    /// The scenarios finished so far (tagged with their keys), in the order they ended;
    /// does not wait.
    pub async fn take_finished(&self) -> Vec<(VideoKey, ScenarioVideo)> {
        let ready: Vec<_> = {
            let mut finishing = self.finishing.lock().unwrap_or_else(|p| p.into_inner());
            let mut ready = Vec::new();
            while finishing
                .tasks
                .front()
                .is_some_and(|(_, t)| t.is_finished())
            {
                ready.extend(finishing.tasks.pop_front());
            }
            ready
        };
        collect(ready).await
    }

    /// Every scenario handed over, once finished, in the order they ended.
    pub async fn wait_finished(&self) -> Vec<(VideoKey, ScenarioVideo)> {
        let all: Vec<_> = self
            .finishing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tasks
            .drain(..)
            .collect();
        collect(all).await
    }

    /// Lets go of the browser, leaving the scenario videos still being finished to finish
    /// from the frame log while it closes. A screencast or sampler needs the browser: they
    /// stop once the log holds every frame up to the last step's end (a frame stamped later
    /// has arrived, or it has had its time to arrive, [`late`]). A screen grab does not: it
    /// goes on until [`VideoRecorder::close`] or until its screen does, so the frames still
    /// on their way (the grab is niced, ~0.1 s behind on a busy machine) arrive while the
    /// browser closes instead of before. Capture does not start again.
    pub async fn release_browser(&self) {
        if self.screen.is_some() {
            return;
        }
        let end = *self.last_end.lock().unwrap_or_else(|p| p.into_inner());
        let bound = end + live::late(&self.log);
        let mut arrivals = self.log.subscribe();
        while self.log.settled() < end {
            let left = bound - epoch(Utc::now());
            if left <= 0.0 {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_secs_f64(left), arrivals.changed()).await;
        }
        self.stop_sources().await;
    }

    /// Stops the screencast, sampling and screen grab, and any encoding or finishing
    /// still under way (collect it first with [`VideoRecorder::wait_finished`]); clips
    /// already made stay.
    pub async fn close(&self) {
        self.abort_pending();
        self.stop_sources().await;
    }

    async fn stop_sources(&self) {
        if let Some(sampler) = &self.sampler {
            sampler.abort();
        }
        if let Some(screen) = &self.screen {
            if let Some(grab) = screen.grab.lock().await.take() {
                grab.stop().await;
            }
        }
        if let Some(sc) = self.screencast.lock().await.take() {
            sc.stop().await;
        }
    }

    fn abort_pending(&self) {
        drop(std::mem::take(&mut *self.current()));
        let mut finishing = self.finishing.lock().unwrap_or_else(|p| p.into_inner());
        for (_, task) in finishing.tasks.drain(..) {
            task.abort();
        }
    }
}

impl Drop for VideoRecorder {
    fn drop(&mut self) {
        self.abort_pending();
    }
}

/// Awaits finishing tasks in order.
async fn collect(
    tasks: Vec<(VideoKey, JoinHandle<ScenarioVideo>)>,
) -> Vec<(VideoKey, ScenarioVideo)> {
    let mut out = Vec::new();
    for (key, task) in tasks {
        let made = task.await.unwrap_or_else(|e| ScenarioVideo {
            problem: Some(format!("the scenario's video could not be finished: {e}")),
            ..ScenarioVideo::default()
        });
        out.push((key, made));
    }
    out
}

/// What the screencast is asked for: frames at the video's size, and on moving content
/// a little more often than the video's rate, so every frame of the video is a fresh one.
fn screencast_settings(options: &VideoOptions) -> ScreencastSettings {
    let fps = options.fps.max(1);
    ScreencastSettings {
        max_width: options.size.width,
        max_height: options.size.height,
        quality: options.jpeg_quality.clamp(1, 100),
        // Chromium composites at up to 60 Hz; ask for twice the output rate, so the output
        // has a fresh frame in every slot (scripts/bench-video.sh: 15.0 fps effective).
        every_nth_frame: (60 / (fps * 2)).max(1),
    }
}

/// Probes an encoded clip and judges it against the step's duration (the health rule of
/// [`plan::judge_clip`]); `path` is left for the caller.
pub async fn check_clip(encoder: &Encoder, clip: &Path, step_seconds: f64) -> ClipEvidence {
    check_fed(encoder, clip, step_seconds, None).await
}

/// [`check_clip`] for a clip that was sent `fed` frames: it holds no more than that.
/// The probe reads the container only ([`mp4`]); the frames were counted as they were sent.
async fn check_fed(
    encoder: &Encoder,
    clip: &Path,
    step_seconds: f64,
    fed: Option<u64>,
) -> ClipEvidence {
    let step_seconds = step_seconds.max(1.0 / encoder.fps.max(1) as f64);
    let file = clip.to_path_buf();
    let probed = tokio::task::spawn_blocking(move || mp4::probe_file(&file))
        .await
        .unwrap_or_else(|e| Err(VideoError::Files(format!("the probe failed: {e}"))));
    match probed {
        Ok(probe) => {
            let held = ClipProbe {
                duration: probe.duration,
                frames: fed.map_or(probe.frames, |fed| fed.min(probe.frames)),
            };
            let verdict = judge_clip(&held, step_seconds, encoder.fps);
            ClipEvidence {
                path: None,
                ok: Some(verdict.is_ok()),
                problem: verdict.err(),
                duration_ms: Some((probe.duration * 1000.0).round() as u64),
                frames: Some(probe.frames),
                poster: None,
            }
        }
        Err(e) => ClipEvidence::missing(format!("the clip cannot be read: {e}")),
    }
}

fn epoch(at: DateTime<Utc>) -> f64 {
    at.timestamp_micros() as f64 / 1e6
}
