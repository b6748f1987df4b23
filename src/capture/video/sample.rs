//! Video by screenshot sampling, for browsers without a DevTools screencast (a remote grid,
//! Firefox): while a step runs, a background task takes screenshots (WebDriver's, or over
//! the BiDi socket) at a fixed rate and writes each PNG into the frame log, stamped when it
//! arrives. After the step, one more frame is taken: it shows what the step left on the
//! page, so it stands for the step's last moment (the final `hold` of its window, a frame
//! of the video) and, stamped on arrival, for what the next step starts from. Knows
//! nothing of WebDriver itself: it is handed a function that returns a PNG.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::screencast::{Frame, FrameLog};

/// Takes one screenshot (PNG bytes) of the page being recorded.
pub type Grab =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<Vec<u8>, String>> + Send>> + Send + Sync>;

/// `[from, end)` in epoch seconds: the last moment of a step, which its final frame shows.
type Moment = (f64, f64);

/// A sampling task and how to tell it the step's last moment.
type Running = (watch::Sender<Option<Moment>>, JoinHandle<()>);

/// Samples screenshots into a frame log; see the module doc.
pub struct Sampler {
    grab: Grab,
    interval: Duration,
    dir: PathBuf,
    log: Arc<FrameLog>,
    counter: Arc<AtomicU64>,
    /// The running sampler: told `Some([from, end))`, the last moment of the step that
    /// ended, it takes its final shot for that moment and stops.
    running: Mutex<Option<Running>>,
}

impl Sampler {
    /// `fps` frames a second at most (the screenshot round trip bounds it anyway).
    pub fn new(grab: Grab, fps: u32, dir: PathBuf, log: Arc<FrameLog>) -> Sampler {
        log.set_sampled();
        Sampler {
            grab,
            interval: Duration::from_secs_f64(1.0 / fps.max(1) as f64),
            dir,
            log,
            counter: Arc::new(AtomicU64::new(0)),
            running: Mutex::new(None),
        }
    }

    /// Starts sampling (a no-op when it already runs). The first screenshot is taken at once.
    pub fn begin(&self) {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running
            .as_ref()
            .is_some_and(|(_, task)| !task.is_finished())
        {
            return;
        }
        let (stop, mut stopped) = watch::channel(None);
        let grab = self.grab.clone();
        let interval = self.interval;
        let store = Store {
            dir: self.dir.clone(),
            log: self.log.clone(),
            counter: self.counter.clone(),
        };
        let task = tokio::spawn(async move {
            let mut next = tokio::time::Instant::now();
            loop {
                // Read before the shot: a stop during it still gets one shot after it.
                let stopping = stopped.borrow_and_update().is_some();
                // An error (e.g. an alert is open) leaves that moment without a frame: the
                // last one holds.
                let shot = grab().await;
                let moment = *stopped.borrow();
                store.keep(shot.ok().as_deref(), now_epoch(), moment, stopping);
                if stopping {
                    return;
                }
                next += interval;
                let now = tokio::time::Instant::now();
                if next < now {
                    next = now;
                }
                tokio::select! {
                    _ = tokio::time::sleep_until(next) => {}
                    _ = stopped.changed() => {}
                }
            }
        });
        *running = Some((stop, task));
    }

    /// Stops sampling after one more screenshot, which stands for the last `hold` seconds
    /// of the step that ended at `end` (epoch seconds); does not wait for it.
    pub fn end_at(&self, end: f64, hold: f64) {
        if let Some((stop, _task)) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = stop.send(Some((end - hold, end)));
        }
    }

    /// Stops sampling at once.
    pub fn abort(&self) {
        if let Some((_, task)) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            task.abort();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.abort();
    }
}

/// Where sampled frames go.
struct Store {
    dir: PathBuf,
    log: Arc<FrameLog>,
    counter: Arc<AtomicU64>,
}

impl Store {
    fn write(&self, png: &[u8], ts: f64) {
        let n = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let path = self.dir.join(format!("s{n:07}.png"));
        if std::fs::write(&path, png).is_ok() {
            self.log.push(Frame { ts, path });
        }
    }

    /// Logs a screenshot (`None`: it failed) that arrived at `arrived`. Once the step has
    /// ended (`moment` is its last moment), a shot still under way belongs before that
    /// moment, and the shot taken after the end (`final_shot`) shows the moment itself: it
    /// replaces whatever the log holds there, a copy stamped on arrival shows where the next
    /// step starts, and the step's frames are then all in (settled), shot or no shot.
    fn keep(&self, png: Option<&[u8]>, arrived: f64, moment: Option<(f64, f64)>, final_shot: bool) {
        match (moment, png) {
            (None, Some(png)) => self.write(png, arrived),
            (Some((from, _)), Some(png)) if !final_shot => {
                self.write(png, arrived.min(from - 0.001))
            }
            (Some((from, end)), png) if final_shot => {
                if let Some(png) = png {
                    self.log.forget_between(from, end);
                    self.write(png, from);
                    self.write(png, arrived.max(end));
                }
                self.log.settle(end);
            }
            _ => {}
        }
    }
}

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
