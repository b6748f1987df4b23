//! A scenario's live encoder: one ffmpeg for the whole scenario, fed through a pipe while
//! the steps run. Each step's frames are picked from the frame log at the output rate
//! ([`plan::frame_at`] at [`plan::slot_time`]) as soon as they are certain (a later frame
//! has arrived, or [`LATE`] has passed; a sampled step's last frames wait for its last
//! shot), and sent as a Matroska stream ([`mkv`]) whose timestamps put the `m`-th step at
//! `m * STEP_SPAN` seconds; ffmpeg cuts the stream into one MP4 per step at those times
//! ([`Encoder::segmenter`]). A step's clip holds exactly [`plan::slot_count`] frames. When
//! a step ends only its last frames remain to be sent; when the scenario ends only the
//! encoder's flush does.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::ChildStdin;
use tokio::sync::mpsc::{self, error::TryRecvError, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::mkv::{self, Still};
use super::plan;
use super::screencast::{Frame, FrameLog};
use super::{Encoder, VideoError};
use crate::process::GroupChild;

/// Frames are stamped by the compositor and arrive a little later: a moment's frame is
/// certain once a later one has arrived or this many seconds have passed.
pub const LATE: f64 = 0.3;

/// A sampler's last shot of a step is taken once the step has ended and stands for the
/// step's last frame interval ([`super::sample`]): it may take this long to arrive.
pub const SAMPLED_LATE: f64 = 2.0;

/// How long a moment's frame may take to arrive in `log`.
pub fn late(log: &FrameLog) -> f64 {
    if log.is_sampled() {
        SAMPLED_LATE
    } else {
        LATE
    }
}

/// Seconds of stream time between the starts of two steps: longer than any step.
const STEP_SPAN: u64 = 100_000;

/// How long the encoder may take to flush once its input is closed.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(120);

/// What the recorder tells the feeder.
#[derive(Debug, Clone, Copy)]
enum Feed {
    /// A step started at this epoch.
    Start(f64),
    /// The step that started last ended at this epoch.
    End(f64),
}

/// What became of one step.
#[derive(Debug, Clone, Default)]
pub struct FedStep {
    /// Frames sent to the encoder.
    pub frames: u64,
    /// Its MP4, when the encoder wrote one.
    pub file: Option<PathBuf>,
}

/// What the encoder made of a scenario: per step in start order, and the error that stopped
/// it, if any.
#[derive(Debug, Default)]
pub struct Fed {
    pub steps: Vec<FedStep>,
    pub error: Option<VideoError>,
}

/// A running live encoder; dropping it kills ffmpeg.
pub struct LiveEncoder {
    feed: Option<UnboundedSender<Feed>>,
    task: Option<JoinHandle<Fed>>,
    steps: usize,
    open: bool,
}

impl LiveEncoder {
    /// Starts the feeder; ffmpeg (writing into `dir`) starts with it.
    pub fn start(encoder: Encoder, still: Still, log: Arc<FrameLog>, dir: PathBuf) -> LiveEncoder {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(feed(encoder, still, log, dir, rx));
        LiveEncoder {
            feed: Some(tx),
            task: Some(task),
            steps: 0,
            open: false,
        }
    }

    /// A step starts at epoch `start`; its clip's frames are sent from now on.
    pub fn step_started(&mut self, start: f64) {
        if let Some(feed) = &self.feed {
            let _ = feed.send(Feed::Start(start));
        }
        self.open = true;
        self.steps += 1;
    }

    /// The open step (or, if none is open, one that ran over `[start, end]`) ended at
    /// `end`; returns its number in this encoder (an index into [`Fed::steps`]).
    pub fn step_finished(&mut self, start: f64, end: f64) -> usize {
        if !self.open {
            self.step_started(start);
        }
        if let Some(feed) = &self.feed {
            let _ = feed.send(Feed::End(end));
        }
        self.open = false;
        self.steps - 1
    }

    /// Ends the input once the last step's frames are sent, and waits for the encoder.
    pub async fn close(mut self) -> Fed {
        drop(self.feed.take());
        match self.task.take() {
            Some(task) => task.await.unwrap_or_else(|e| Fed {
                steps: Vec::new(),
                error: Some(VideoError::Tool(format!("the encoder task failed: {e}"))),
            }),
            None => Fed::default(),
        }
    }
}

impl Drop for LiveEncoder {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The feeder task: starts ffmpeg, sends every step's frames, closes, collects the files.
async fn feed(
    encoder: Encoder,
    still: Still,
    log: Arc<FrameLog>,
    dir: PathBuf,
    mut rx: UnboundedReceiver<Feed>,
) -> Fed {
    let list = dir.join("steps.csv");
    let started = std::fs::create_dir_all(&dir)
        .map_err(|e| VideoError::Files(format!("cannot create {}: {e}", dir.display())))
        .and_then(|_| Process::spawn(&encoder, &dir, &list));
    let mut process = match started {
        Ok(process) => process,
        Err(e) => {
            return Fed {
                steps: Vec::new(),
                error: Some(e),
            }
        }
    };
    let mut feeder = Feeder {
        log,
        fps: encoder.fps.max(1),
        stdin: process.stdin.take(),
        last: None,
        backlog: VecDeque::new(),
        closed: false,
    };
    let header = mkv::header(
        still,
        encoder.size.0,
        encoder.size.1,
        (1e9 / f64::from(feeder.fps)).round() as u64,
    );
    let mut error = feeder.send(&header).await.err();
    let mut frames = Vec::new();
    while error.is_none() {
        match feeder.next(&mut rx).await {
            Some(Feed::Start(start)) => match feeder.step(frames.len(), start, &mut rx).await {
                Ok(n) => frames.push(n),
                Err(e) => error = Some(e),
            },
            Some(Feed::End(_)) => {}
            None => break,
        }
    }
    drop(feeder.stdin.take());
    let finished = process.finish().await;
    let mut files = read_list(&list, &dir);
    Fed {
        steps: frames
            .into_iter()
            .enumerate()
            .map(|(seq, frames)| FedStep {
                frames,
                file: files.remove(&seq),
            })
            .collect(),
        error: error.or(finished.err()),
    }
}

struct Feeder {
    log: Arc<FrameLog>,
    fps: u32,
    stdin: Option<ChildStdin>,
    /// The last image sent: held frames are not read again.
    last: Option<(PathBuf, Vec<u8>)>,
    /// Messages taken from the channel and not yet acted on.
    backlog: VecDeque<Feed>,
    /// The recorder closed the channel: no more steps.
    closed: bool,
}

impl Feeder {
    /// The next message, waiting for one; `None` once closed and all are handled.
    async fn next(&mut self, rx: &mut UnboundedReceiver<Feed>) -> Option<Feed> {
        if let Some(feed) = self.backlog.pop_front() {
            return Some(feed);
        }
        if self.closed {
            return None;
        }
        let feed = rx.recv().await;
        self.closed = feed.is_none();
        feed
    }

    /// Moves every waiting message into the backlog.
    fn pull(&mut self, rx: &mut UnboundedReceiver<Feed>) {
        while !self.closed {
            match rx.try_recv() {
                Ok(feed) => self.backlog.push_back(feed),
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Disconnected) => self.closed = true,
            }
        }
    }

    /// When the step that started at `start` ended, if that is known yet: its `End`, else
    /// the next step's start, else now if no more steps come.
    fn end_of(&mut self, start: f64) -> Option<f64> {
        match self.backlog.front().copied() {
            Some(Feed::End(end)) => {
                self.backlog.pop_front();
                Some(end.max(start))
            }
            Some(Feed::Start(next)) => Some(next.max(start)),
            None if self.closed => Some(now().max(start)),
            None => None,
        }
    }

    /// Sends the frames of step `seq` (started at `start`) as they become certain; returns
    /// how many were sent once all are (none: nothing was ever captured).
    async fn step(
        &mut self,
        seq: usize,
        start: f64,
        rx: &mut UnboundedReceiver<Feed>,
    ) -> Result<u64, VideoError> {
        let fps = f64::from(self.fps);
        let most = (STEP_SPAN * u64::from(self.fps) - 1) as usize;
        let mut arrivals = self.log.subscribe();
        let mut end = None;
        let mut k = 0usize;
        loop {
            // Read the clock first: an end sent before this moment is in the backlog below.
            let now = now();
            self.pull(rx);
            if end.is_none() {
                end = self.end_of(start);
            }
            let total = end.map(|e| plan::slot_count(e - start, self.fps).min(most));
            let mut wake = now + 0.5;
            while total.is_none_or(|n| k < n) {
                let t = plan::slot_time(start, k, self.fps);
                // Before the end is known, only frames a whole interval in the past: the step
                // still runs, so they belong to it.
                let past = start + (k + 2) as f64 / fps;
                if total.is_none() && now < past {
                    wake = past;
                    break;
                }
                if !self.certain(t, end, now) {
                    wake = t + late(&self.log);
                    break;
                }
                let Some(frame) = self.log.at(t) else {
                    // Nothing captured yet: the first frame will stand in, unless none comes.
                    if self.closed && end.is_some_and(|e| now >= e + late(&self.log)) {
                        return Ok(0);
                    }
                    break;
                };
                self.write(seq, k, &frame).await?;
                k += 1;
            }
            // More than the step's count can have gone out only if its end was sent late.
            if total.is_some_and(|n| k >= n) {
                return Ok(k as u64);
            }
            let pause = Duration::from_secs_f64((wake - now).clamp(0.001, 0.5));
            tokio::select! {
                _ = arrivals.changed() => {}
                feed = rx.recv(), if !self.closed => match feed {
                    Some(feed) => self.backlog.push_back(feed),
                    None => self.closed = true,
                },
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }

    /// Whether the frame showing at slot time `t` of a step ending at `end` (when known) is
    /// known for good: every frame stamped up to `t` is in (a later one has arrived, or the
    /// log is settled past `t`), or it has had its time to arrive ([`late`]). In a step's
    /// last frame interval a sampler's frames wait for its last shot, which replaces them.
    fn certain(&self, t: f64, end: Option<f64>, now: f64) -> bool {
        if self.log.settled() > t || now >= t + late(&self.log) {
            return true;
        }
        let hold = 1.0 / f64::from(self.fps);
        let last_shot = self.log.is_sampled() && end.is_some_and(|e| t >= e - hold);
        !last_shot && self.log.latest().is_some_and(|l| l > t)
    }

    /// Sends `frame` as frame `k` of step `seq`.
    async fn write(&mut self, seq: usize, k: usize, frame: &Frame) -> Result<(), VideoError> {
        if self.last.as_ref().map(|(path, _)| path) != Some(&frame.path) {
            let image = tokio::fs::read(&frame.path).await.map_err(|e| {
                VideoError::Files(format!("cannot read frame {}: {e}", frame.path.display()))
            })?;
            self.last = Some((frame.path.clone(), image));
        }
        let image = self.last.as_ref().map(|(_, image)| image.as_slice());
        let offset = (k as f64 * 1e6 / f64::from(self.fps)).round() as u64;
        let pts = seq as u64 * STEP_SPAN * 1_000_000 + offset;
        self.send(&mkv::frame(pts, image.unwrap_or_default())).await
    }

    async fn send(&mut self, bytes: &[u8]) -> Result<(), VideoError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(VideoError::Tool("the encoder has no input".into()));
        };
        stdin
            .write_all(bytes)
            .await
            .map_err(|e| VideoError::Tool(format!("the encoder stopped taking frames: {e}")))
    }
}

/// The ffmpeg process, with the tail of what it said.
struct Process {
    child: GroupChild,
    stdin: Option<ChildStdin>,
    said: Arc<Mutex<Vec<String>>>,
    stderr: JoinHandle<()>,
}

impl Process {
    fn spawn(encoder: &Encoder, dir: &Path, list: &Path) -> Result<Process, VideoError> {
        let mut cmd = encoder.segmenter(STEP_SPAN, dir, list);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = GroupChild::spawn("ffmpeg encoder", &mut cmd)
            .map_err(|e| VideoError::Tool(format!("cannot start ffmpeg: {e}")))?;
        let stdin = child.child_mut().stdin.take();
        let stderr = child.child_mut().stderr.take();
        let said = Arc::new(Mutex::new(Vec::new()));
        let keep = said.clone();
        // Drained so ffmpeg never blocks on a full pipe; the last lines explain a failure.
        let stderr = tokio::spawn(async move {
            let Some(stderr) = stderr else { return };
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let mut said = keep.lock().unwrap_or_else(|p| p.into_inner());
                said.push(line);
                if said.len() > 3 {
                    said.remove(0);
                }
            }
        });
        Ok(Process {
            child,
            stdin,
            said,
            stderr,
        })
    }

    /// Waits for ffmpeg to flush and exit (its input is closed).
    async fn finish(mut self) -> Result<(), VideoError> {
        drop(self.stdin.take());
        let status = tokio::time::timeout(FLUSH_TIMEOUT, self.child.child_mut().wait())
            .await
            .ok()
            .and_then(Result::ok);
        self.child.shutdown(Duration::from_millis(200)).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), &mut self.stderr).await;
        match status {
            Some(status) if status.success() => Ok(()),
            status => Err(VideoError::Tool(format!(
                "the encoder failed ({}): {}",
                status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "it did not finish".into()),
                self.said
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .join(" | ")
            ))),
        }
    }
}

/// The step files listed by the segmenter (`name,start,end` per line), by step number.
fn read_list(list: &Path, dir: &Path) -> HashMap<usize, PathBuf> {
    let text = std::fs::read_to_string(list).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(',');
            let name = fields.next()?;
            let start: f64 = fields.next()?.parse().ok()?;
            let seq = (start / STEP_SPAN as f64).round() as usize;
            Some((seq, dir.join(name)))
        })
        .collect()
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real encoder on a log holding one red JPEG from long before.
    fn encoder_on_a_still(dir: &Path) -> (LiveEncoder, Arc<FrameLog>) {
        let ffmpeg = crate::browser::which("ffmpeg").expect("ffmpeg is installed");
        let image = dir.join("red.jpg");
        let made = std::process::Command::new(&ffmpeg)
            .args(["-v", "error", "-f", "lavfi", "-i", "color=c=red:s=64x48"])
            .args(["-frames:v", "1"])
            .arg(&image)
            .status()
            .unwrap();
        assert!(made.success());
        let log = Arc::new(FrameLog::default());
        log.push(Frame {
            ts: now() - 1.0,
            path: image,
        });
        let encoder = Encoder {
            ffmpeg,
            ffprobe: PathBuf::from("ffprobe"),
            fps: 15,
            size: (64, 48),
        };
        let live = LiveEncoder::start(encoder, Still::Jpeg, log.clone(), dir.join("enc"));
        (live, log)
    }

    #[tokio::test]
    async fn each_step_becomes_a_file_with_its_frames_even_when_its_end_comes_late() {
        let dir = tempfile::tempdir().unwrap();
        let (mut live, _log) = encoder_on_a_still(dir.path());
        // The end of a 0.15 s step is only said a second later (a busy machine): frames past
        // it have gone out by then.
        let start = now();
        live.step_started(start);
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(live.step_finished(start, start + 0.15), 0);
        // A step that ends on time holds exactly its frames.
        let start = now();
        live.step_started(start);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(live.step_finished(start, start + 0.2), 1);
        let fed = tokio::time::timeout(Duration::from_secs(30), live.close())
            .await
            .expect("the encoder finishes");
        assert!(fed.error.is_none(), "{:?}", fed.error);
        assert_eq!(fed.steps.len(), 2);
        assert!(
            (2..=15).contains(&fed.steps[0].frames),
            "{:?}",
            fed.steps[0]
        );
        assert_eq!(fed.steps[1].frames, 3);
        for step in &fed.steps {
            let file = step.file.as_ref().expect("a file per step");
            let probe = super::super::mp4::probe_file(file).unwrap();
            assert_eq!(probe.frames, step.frames);
            assert!((probe.duration - step.frames as f64 / 15.0).abs() < 0.01);
        }
    }

    #[test]
    fn step_files_are_found_by_their_start_time() {
        let dir = tempfile::tempdir().unwrap();
        let list = dir.path().join("steps.csv");
        std::fs::write(
            &list,
            "0000.mp4,0.000000,0.533333\n0001.mp4,200000.000000,200000.333333\n",
        )
        .unwrap();
        let files = read_list(&list, dir.path());
        assert_eq!(files.len(), 2);
        assert_eq!(files[&0], dir.path().join("0000.mp4"));
        // The step in between wrote nothing: the next file is still the third step's.
        assert_eq!(files[&2], dir.path().join("0001.mp4"));
    }
}
