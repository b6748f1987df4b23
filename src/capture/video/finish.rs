//! Finishing a scenario's video in the background while the next scenario runs: collect
//! each step's clip (from the live encoder, or, under `retain-on-failure`, encoded from
//! the frame log), check it with the container probe, give it a poster (a copy of the
//! captured frame its last frame shows), and join the clips by stream copy into the
//! scenario video with a chapter per step.
//! Scenarios finish in order: each waits for the one before it before it touches shared
//! work (the encoder slot, the frame log's pruning).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, Semaphore};

use super::live::{late, Fed, LiveEncoder};
use super::mp4::{self, JoinClip};
use super::screencast::FrameLog;
use super::{check_fed, plan, rate, Encoder, ScenarioVideo, VideoError, VideoSource};
use crate::outcome::ClipEvidence;
use crate::run_folder::{slash_path, RunFolder};

/// A recorded step: its wall-clock window and where its clip goes.
pub(super) struct StepMark {
    pub index: usize,
    pub name: String,
    /// The clip, relative to the run folder.
    pub rel: String,
    pub start: f64,
    pub end: f64,
    /// Its number in the scenario's live encoder.
    pub live: Option<usize>,
    /// Known at the step's end (e.g. the screencast had stopped).
    pub problem: Option<String>,
}

/// Everything one scenario's finishing needs, owned by its task.
pub(super) struct Finish {
    pub encoder: Encoder,
    pub root: PathBuf,
    pub work: PathBuf,
    pub log: Arc<FrameLog>,
    /// One batch ffmpeg job (encode, join) at a time.
    pub slot: Arc<Semaphore>,
    pub dir: PathBuf,
    pub title: String,
    /// Whether clips are wanted (not a passing scenario under `retain-on-failure`).
    pub keep: bool,
    pub marks: Vec<StepMark>,
    pub live: Option<LiveEncoder>,
    pub source: VideoSource,
    /// See [`ScenarioVideo::note`].
    pub note: Option<String>,
    /// Done when the scenario before this one has finished.
    pub previous: Option<oneshot::Receiver<()>>,
    pub done: oneshot::Sender<()>,
}

impl Finish {
    pub async fn run(mut self) -> ScenarioVideo {
        let fed = match self.live.take() {
            Some(live) => Some(live.close().await),
            None => None,
        };
        if let Some(previous) = self.previous.take() {
            let _ = previous.await;
        }
        let mut out = if self.keep {
            self.make(fed.as_ref()).await
        } else {
            ScenarioVideo::default()
        };
        let windows: Vec<(f64, f64)> = self.marks.iter().map(|m| (m.start, m.end)).collect();
        out.fps = rate::frame_rate(&self.log, &windows);
        out.source = Some(self.source);
        out.note = self.note.take();
        for step in fed.iter().flat_map(|fed| &fed.steps) {
            if let Some(file) = &step.file {
                let _ = std::fs::remove_file(file);
            }
        }
        let last_end = self.marks.iter().map(|m| m.end).fold(f64::MIN, f64::max);
        if last_end > f64::MIN {
            self.log.prune(last_end);
        }
        let _ = self.done.send(());
        out
    }

    async fn make(&self, fed: Option<&Fed>) -> ScenarioVideo {
        let mut out = ScenarioVideo::default();
        let mut named = Vec::new();
        for mark in &self.marks {
            let clip = self.clip(mark, fed).await;
            if let (Some(path), Some(ms)) = (&clip.path, clip.duration_ms) {
                named.push((
                    path.clone(),
                    format!("{:02} {}", mark.index + 1, mark.name),
                    ms as f64 / 1000.0,
                ));
            }
            out.clips.push((mark.index, clip));
        }
        if !out.clips.is_empty() {
            match self.join(&named).await {
                Ok(video) => out.video = Some(video),
                Err(e) => out.problem = Some(e.to_string()),
            }
        }
        out
    }

    async fn clip(&self, mark: &StepMark, fed: Option<&Fed>) -> ClipEvidence {
        if let Some(problem) = &mark.problem {
            return ClipEvidence::missing(problem.clone());
        }
        if let Some(fed) = fed {
            return self.encoded(mark, fed).await;
        }
        self.encode(mark).await
    }

    /// The live encoder's file for the step, moved into the run folder and checked against
    /// the frames it was sent.
    async fn encoded(&self, mark: &StepMark, fed: &Fed) -> ClipEvidence {
        let failed = || {
            fed.error
                .as_ref()
                .map(|e| e.to_string())
                .unwrap_or_else(|| "the encoder wrote no clip for this step".into())
        };
        let Some(step) = mark.live.and_then(|n| fed.steps.get(n)) else {
            return ClipEvidence::missing(failed());
        };
        if step.frames == 0 {
            return ClipEvidence::missing("no frame was captured at all".into());
        }
        let Some(file) = &step.file else {
            return ClipEvidence::missing(failed());
        };
        let out = self.root.join(&mark.rel);
        if let Err(e) = move_file(file, &out) {
            return ClipEvidence::missing(e.to_string());
        }
        let mut report = check_fed(
            &self.encoder,
            &out,
            mark.end - mark.start,
            Some(step.frames),
        )
        .await;
        report.path = Some(mark.rel.clone());
        report.poster = self.poster(mark, step.frames as usize);
        report
    }

    /// The clip's poster: a copy of the captured frame its last frame was made from (the
    /// step's result; the first frame is often the blank page a step starts on), next to
    /// the clip. A copy of a file the frame log already holds: no decoding, well under a
    /// millisecond, in this background task. `None` when the frame is gone or the copy
    /// fails: the page then shows the clip without a poster.
    fn poster(&self, mark: &StepMark, frames: usize) -> Option<String> {
        let last = plan::slot_time(mark.start, frames.max(1) - 1, self.encoder.fps);
        let frame = self.log.at(last)?;
        let ext = frame.path.extension()?.to_str()?;
        let rel = RunFolder::poster_file(&mark.rel, ext);
        std::fs::copy(&frame.path, self.root.join(&rel)).ok()?;
        Some(rel)
    }

    /// Encodes the step's clip from the frame log (`retain-on-failure`: only once the
    /// scenario has failed), planned from the frames covering exactly `[start, end]`.
    async fn encode(&self, mark: &StepMark) -> ClipEvidence {
        // Give the frame showing the step's last effect time to arrive.
        let bound = mark.end + late(&self.log);
        while self.log.settled() < mark.end && epoch_now() < bound {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        let frames = self.log.snapshot();
        let ts: Vec<f64> = frames.iter().map(|f| f.ts).collect();
        let Some(segments) = plan::plan_clip(&ts, mark.start, mark.end) else {
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
            .join(format!("{}.ffconcat", mark.rel.replace('/', "_")));
        if let Err(e) = std::fs::write(&script, plan::concat_script(&entries)) {
            return ClipEvidence::missing(format!("cannot write {}: {e}", script.display()));
        }
        let out = self.root.join(&mark.rel);
        if let Some(parent) = out.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let seconds = mark.end - mark.start;
        let encoded = {
            let _permit = self.slot.acquire().await;
            self.encoder.encode_clip(&script, seconds, &out).await
        };
        let _ = std::fs::remove_file(&script);
        if let Err(e) = encoded {
            return ClipEvidence::missing(e.to_string());
        }
        let mut report = check_fed(&self.encoder, &out, seconds, None).await;
        report.path = Some(mark.rel.clone());
        report.poster = self.poster(mark, plan::slot_count(seconds, self.encoder.fps));
        report
    }

    /// Joins the clips (path, chapter title, seconds) into `<scenario dir>/scenario.mp4`.
    async fn join(&self, clips: &[(String, String, f64)]) -> Result<String, VideoError> {
        if clips.is_empty() {
            return Err(VideoError::Files(
                "no clip of this scenario could be made, so there is no video".into(),
            ));
        }
        let rel = slash_path(&self.dir.join(RunFolder::SCENARIO_VIDEO));
        // In process first; clips it cannot join exactly go through ffmpeg.
        let out = self.root.join(&rel);
        let joined = {
            let (root, out, title) = (self.root.clone(), out.clone(), self.title.clone());
            let clips: Vec<(PathBuf, String)> = clips
                .iter()
                .map(|(p, t, _)| (root.join(p), t.clone()))
                .collect();
            tokio::task::spawn_blocking(move || {
                let clips: Vec<JoinClip<'_>> = clips
                    .iter()
                    .map(|(path, title)| JoinClip { path, title })
                    .collect();
                mp4::join(&clips, &title, &out)
            })
            .await
        };
        if let Ok(Ok(())) = joined {
            return Ok(rel);
        }
        let stem = rel.replace('/', "_");
        let script = self.work.join(format!("{stem}.ffconcat"));
        let metadata = self.work.join(format!("{stem}.ffmeta"));
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
        std::fs::write(&metadata, plan::ffmetadata(&self.title, &chapters))
            .map_err(|e| VideoError::Files(format!("cannot write {}: {e}", metadata.display())))?;
        let joined = {
            let _permit = self.slot.acquire().await;
            self.encoder.join(&script, &metadata, &out).await
        };
        let _ = std::fs::remove_file(&script);
        let _ = std::fs::remove_file(&metadata);
        joined.map_err(|e| {
            VideoError::Files(format!("the scenario video could not be joined: {e}"))
        })?;
        Ok(rel)
    }
}

/// Moves `from` to `to` (creating its folder), copying when they are on different file
/// systems.
fn move_file(from: &Path, to: &Path) -> Result<(), VideoError> {
    if let Some(parent) = to.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if std::fs::rename(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to)
        .map(|_| {
            let _ = std::fs::remove_file(from);
        })
        .map_err(|e| VideoError::Files(format!("cannot write {}: {e}", to.display())))
}

fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
