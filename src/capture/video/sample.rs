//! Video by screenshot sampling, for browsers without a DevTools screencast (a remote grid,
//! Firefox): while a step runs, a background task takes WebDriver screenshots at a fixed
//! rate and writes each PNG into the frame log, stamped when it arrives. After the step,
//! one more frame is taken, so the step's last effect is in the log. Knows nothing of
//! WebDriver itself: it is handed a function that returns a PNG.

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

/// Samples screenshots into a frame log; see the module doc.
pub struct Sampler {
    grab: Grab,
    interval: Duration,
    dir: PathBuf,
    log: Arc<FrameLog>,
    counter: Arc<AtomicU64>,
    running: Mutex<Option<(watch::Sender<bool>, JoinHandle<()>)>>,
}

impl Sampler {
    /// `fps` frames a second at most (the screenshot round trip bounds it anyway).
    pub fn new(grab: Grab, fps: u32, dir: PathBuf, log: Arc<FrameLog>) -> Sampler {
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
        let (stop, mut stopped) = watch::channel(false);
        let grab = self.grab.clone();
        let interval = self.interval;
        let dir = self.dir.clone();
        let log = self.log.clone();
        let counter = self.counter.clone();
        let task = tokio::spawn(async move {
            let mut next = tokio::time::Instant::now();
            loop {
                // Read before the shot: a stop during it still gets one shot after it.
                let stopping = *stopped.borrow_and_update();
                // An error (e.g. an alert is open) leaves that moment without a frame: the
                // last one holds.
                if let Ok(png) = grab().await {
                    let ts = now_epoch();
                    let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
                    let path = dir.join(format!("s{n:07}.png"));
                    if std::fs::write(&path, png).is_ok() {
                        log.push(Frame { ts, path });
                    }
                }
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

    /// Stops sampling after one more screenshot; does not wait for it.
    pub fn end(&self) {
        if let Some((stop, _task)) = self
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            let _ = stop.send(true);
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

fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
