//! The Chromium DevTools screencast read through the driver's WebDriver BiDi socket
//! (`goog:cdp.*` commands on chromedriver's `webSocketUrl`, or a Selenium Grid's proxy of
//! it), or, where a Grid offers no BiDi, through its DevTools proxy (`se:cdp`: plain CDP
//! with flat sessions, [`Dialect::Cdp`]): one background task owns the socket, writes every
//! frame as a JPEG with its `metadata.timestamp` into the frame log, acknowledges it, and
//! follows new top-level tabs and windows. The socket itself is [`super::socket`]'s.

use super::socket::{self, Handler};
use super::VideoError;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

/// A captured frame: the JPEG on disk and when the browser showed it (epoch seconds).
#[derive(Debug, Clone)]
pub struct Frame {
    pub ts: f64,
    pub path: PathBuf,
}

/// Every frame received so far, in timestamp order, shared with the encoders; encoders
/// waiting for frames [`FrameLog::subscribe`] to hear of each new one.
#[derive(Debug)]
pub struct FrameLog {
    frames: Mutex<Vec<Frame>>,
    /// Changes whenever a frame arrives or the log settles further.
    arrivals: watch::Sender<u64>,
    /// Every frame stamped before this (epoch seconds) is in the log: the newest stamp of a
    /// stream that arrives in order (the screencast), or the end of the last step whose
    /// final frame a sampler logged.
    settled: Mutex<f64>,
    /// When a frame identical to the one before was captured and not kept (a screen grab
    /// of a still page): captures all the same, for the frame rate.
    repeats: Mutex<Vec<f64>>,
    /// Filled by a sampler, which settles the log itself (see [`FrameLog::settle`]).
    sampled: std::sync::atomic::AtomicBool,
}

impl Default for FrameLog {
    fn default() -> FrameLog {
        FrameLog {
            frames: Mutex::new(Vec::new()),
            arrivals: watch::channel(0).0,
            settled: Mutex::new(0.0),
            repeats: Mutex::new(Vec::new()),
            sampled: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl FrameLog {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Frame>> {
        self.frames.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push(&self, frame: Frame) {
        if !self.is_sampled() {
            self.settle_quietly(frame.ts);
        }
        {
            let mut frames = self.lock();
            // Timestamps come from the compositor; keep the log sorted even if one is late.
            let at = frames.partition_point(|f| f.ts <= frame.ts);
            frames.insert(at, frame);
        }
        self.arrivals.send_modify(|n| *n += 1);
    }

    /// A receiver that changes whenever a frame arrives or the log settles further.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.arrivals.subscribe()
    }

    /// A copy of the frames that can matter for the window ending at `end`.
    pub fn snapshot(&self) -> Vec<Frame> {
        self.lock().clone()
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Forgets the frames stamped in `[from, to)`; their files stay (a clip being encoded
    /// may still read them) until the recorder's folder goes.
    pub fn forget_between(&self, from: f64, to: f64) {
        let mut frames = self.lock();
        let first = frames.partition_point(|f| f.ts < from);
        let last = frames.partition_point(|f| f.ts < to);
        frames.drain(first..last.max(first));
    }

    /// A frame identical to the newest was captured at `ts`: it settles the log up to then
    /// and counts as a capture ([`FrameLog::captured`]), but is not kept.
    pub fn repeat(&self, ts: f64) {
        self.repeats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(ts);
        self.settle(ts);
    }

    /// The times of every capture still remembered: the frames kept and the repeats.
    pub fn captured(&self) -> Vec<f64> {
        let mut ts: Vec<f64> = self.lock().iter().map(|f| f.ts).collect();
        ts.extend(
            self.repeats
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter(),
        );
        ts
    }

    /// Says every frame stamped before `until` is in the log.
    pub fn settle(&self, until: f64) {
        self.settle_quietly(until);
        self.arrivals.send_modify(|n| *n += 1);
    }

    fn settle_quietly(&self, until: f64) {
        let mut settled = self.settled.lock().unwrap_or_else(|p| p.into_inner());
        *settled = settled.max(until);
    }

    /// See [`FrameLog::settle`].
    pub fn settled(&self) -> f64 {
        *self.settled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// From now on only [`FrameLog::settle`] settles the log (a sampler's frames arrive
    /// after the moment they show, out of step with the steps).
    pub fn set_sampled(&self) {
        self.sampled
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_sampled(&self) -> bool {
        self.sampled.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The newest frame's timestamp.
    pub fn latest(&self) -> Option<f64> {
        self.lock().last().map(|f| f.ts)
    }

    /// The frame showing at `t`, by the rule of [`super::plan::frame_at`]: the last one at
    /// or before `t`, else the first one.
    pub fn at(&self, t: f64) -> Option<Frame> {
        let frames = self.lock();
        let i = frames.partition_point(|f| f.ts <= t).saturating_sub(1);
        frames.get(i).cloned()
    }

    /// Forgets (and deletes) frames no window starting at or after `before` can show:
    /// every frame older than the last one at or before `before`.
    pub fn prune(&self, before: f64) {
        let mut frames = self.lock();
        let keep_from = frames.partition_point(|f| f.ts <= before).saturating_sub(1);
        for frame in frames.drain(..keep_from) {
            let _ = std::fs::remove_file(&frame.path);
        }
        drop(frames);
        self.repeats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|t| *t > before);
    }
}

/// How the socket speaks DevTools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// WebDriver BiDi with chromedriver's `goog:cdp.*` extension.
    Bidi,
    /// The browser's own DevTools protocol (a Grid's `se:cdp`): `Target.attachToTarget`
    /// with flat sessions; a window handle is a target id.
    Cdp,
}

impl Dialect {
    /// The socket, in messages.
    fn socket(self) -> &'static str {
        match self {
            Dialect::Bidi => "BiDi socket",
            Dialect::Cdp => "DevTools proxy",
        }
    }
}

/// Screencast settings sent to `Page.startScreencast`.
#[derive(Debug, Clone, Copy)]
pub struct ScreencastSettings {
    pub max_width: u32,
    pub max_height: u32,
    pub quality: u8,
    /// 60 / every_nth_frame is the frame rate on moving content.
    pub every_nth_frame: u32,
}

enum Command {
    Follow(String, oneshot::Sender<Result<(), VideoError>>),
    Stop(oneshot::Sender<()>),
}

/// A running screencast; dropping it aborts the reader task.
pub struct Screencast {
    commands: mpsc::UnboundedSender<Command>,
    task: JoinHandle<()>,
}

impl Screencast {
    /// Connects to the socket and subscribes to frames and new browsing contexts (new
    /// targets, in CDP). Frames are written under `frames_dir` and recorded in `log`.
    pub async fn connect(
        ws_url: &str,
        dialect: Dialect,
        settings: ScreencastSettings,
        frames_dir: &Path,
        log: Arc<FrameLog>,
    ) -> Result<Screencast, VideoError> {
        let socket = socket::connect(ws_url, dialect.socket()).await?;
        let (commands, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let mut state = State::new(dialect, settings, frames_dir, log);
        let subscribe = state.subscribe();
        state.pending.insert(subscribe, Pending::Reply(ready_tx));
        let task = tokio::spawn(socket::run(socket, state, rx));
        match tokio::time::timeout(Duration::from_secs(10), ready_rx).await {
            Ok(Ok(Ok(_))) => Ok(Screencast { commands, task }),
            Ok(Ok(Err(e))) => Err(VideoError::Screencast(format!(
                "the {} refused the subscription: {e}",
                dialect.socket()
            ))),
            _ => Err(VideoError::Screencast(format!(
                "the {} did not answer its subscription",
                dialect.socket()
            ))),
        }
    }

    /// Makes the screencast show browsing context `context` (a window handle); a no-op
    /// when it already does.
    pub async fn follow(&self, context: &str) -> Result<(), VideoError> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Follow(context.to_string(), tx))
            .map_err(|_| VideoError::Screencast("the screencast reader has stopped".into()))?;
        match tokio::time::timeout(Duration::from_secs(10), rx).await {
            Ok(Ok(result)) => result,
            _ => Err(VideoError::Screencast(
                "the screencast did not start in time".into(),
            )),
        }
    }

    /// Whether the reader task is still running (the socket is open).
    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops the screencast and closes the socket.
    pub async fn stop(self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Stop(tx)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(2), rx).await;
        }
        self.task.abort();
    }
}

impl Drop for Screencast {
    fn drop(&mut self) {
        self.task.abort();
    }
}

enum Pending {
    Reply(oneshot::Sender<Result<Value, VideoError>>),
    Session { context: String },
    Start { context: String, session: String },
    Ignore,
}

struct State {
    dialect: Dialect,
    settings: ScreencastSettings,
    frames_dir: PathBuf,
    log: Arc<FrameLog>,
    next_id: u64,
    pending: HashMap<u64, Pending>,
    /// The browsing context shown and its CDP session.
    current: Option<(String, String)>,
    /// Contexts followed, newest last; a closed one falls back to the one before.
    history: Vec<String>,
    /// Contexts whose screencast is being started, with who waits for it.
    starting: HashMap<String, Vec<oneshot::Sender<Result<(), VideoError>>>>,
    outgoing: Vec<String>,
    frame_count: u64,
    /// Told once the socket is closed after [`Command::Stop`].
    stopped: Option<oneshot::Sender<()>>,
}

impl State {
    fn new(
        dialect: Dialect,
        settings: ScreencastSettings,
        frames_dir: &Path,
        log: Arc<FrameLog>,
    ) -> State {
        State {
            dialect,
            settings,
            frames_dir: frames_dir.to_path_buf(),
            log,
            next_id: 1,
            pending: HashMap::new(),
            current: None,
            history: Vec::new(),
            starting: HashMap::new(),
            outgoing: Vec::new(),
            frame_count: 0,
            stopped: None,
        }
    }

    /// Asks for frames and for new top-level tabs and windows; the request's id.
    fn subscribe(&mut self) -> u64 {
        match self.dialect {
            Dialect::Bidi => self.request(
                "session.subscribe",
                json!({"events": [
                    "goog:cdp.Page.screencastFrame",
                    "browsingContext.contextCreated",
                    "browsingContext.contextDestroyed"
                ]}),
            ),
            Dialect::Cdp => self.request("Target.setDiscoverTargets", json!({"discover": true})),
        }
    }

    fn request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.outgoing
            .push(json!({"id": id, "method": method, "params": params}).to_string());
        id
    }

    fn cdp(&mut self, session: &str, method: &str, params: Value) -> u64 {
        match self.dialect {
            Dialect::Bidi => self.request(
                "goog:cdp.sendCommand",
                json!({"method": method, "params": params, "session": session}),
            ),
            Dialect::Cdp => {
                let id = self.next_id;
                self.next_id += 1;
                self.outgoing.push(
                    json!({"id": id, "method": method, "params": params, "sessionId": session})
                        .to_string(),
                );
                id
            }
        }
    }

    /// The request for a CDP session on `context`.
    fn attach(&mut self, context: &str) -> u64 {
        match self.dialect {
            Dialect::Bidi => self.request("goog:cdp.getSession", json!({ "context": context })),
            Dialect::Cdp => self.request(
                "Target.attachToTarget",
                json!({"targetId": context, "flatten": true}),
            ),
        }
    }

    fn follow(&mut self, context: String, done: Option<oneshot::Sender<Result<(), VideoError>>>) {
        if self.current.as_ref().map(|(c, _)| c) == Some(&context) {
            if let Some(done) = done {
                let _ = done.send(Ok(()));
            }
            return;
        }
        // Already being started (e.g. the contextCreated event and the runner at once):
        // wait for that start instead of starting a second screencast.
        if let Some(waiters) = self.starting.get_mut(&context) {
            waiters.extend(done);
            return;
        }
        self.starting
            .insert(context.clone(), done.into_iter().collect());
        let id = self.attach(&context);
        self.pending.insert(id, Pending::Session { context });
    }

    fn started(&mut self, context: &str, outcome: Result<(), VideoError>) {
        for done in self.starting.remove(context).unwrap_or_default() {
            let _ = done.send(outcome.clone());
        }
    }

    fn on_message(&mut self, text: &str) {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if let Some(id) = message.get("id").and_then(Value::as_u64) {
            let result = if message.get("type").and_then(Value::as_str) == Some("error")
                || message.get("error").is_some()
            {
                // BiDi: {error: "code", message}; CDP: {error: {code, message}}.
                let error = &message["error"];
                Err(VideoError::Screencast(format!(
                    "{}: {}",
                    error.as_str().unwrap_or("error"),
                    message["message"]
                        .as_str()
                        .or(error["message"].as_str())
                        .unwrap_or_default()
                )))
            } else {
                Ok(message.get("result").cloned().unwrap_or(Value::Null))
            };
            self.reply(id, result);
            return;
        }
        if self.dialect == Dialect::Cdp {
            self.incoming_cdp(&message);
            return;
        }
        let method = message["method"].as_str().unwrap_or_default();
        let params = &message["params"];
        match method {
            "goog:cdp.Page.screencastFrame" => self.frame(params),
            // A new top-level tab or window: it is what the user would now look at.
            "browsingContext.contextCreated" if params["parent"].is_null() => {
                if let Some(context) = params["context"].as_str() {
                    self.follow(context.to_string(), None);
                }
            }
            "browsingContext.contextDestroyed" => {
                if let Some(context) = params["context"].as_str() {
                    self.closed(context);
                }
            }
            _ => {}
        }
    }

    /// An event in plain CDP, handled as its BiDi counterpart.
    fn incoming_cdp(&mut self, message: &Value) {
        let params = &message["params"];
        let target = params["targetInfo"]["targetId"]
            .as_str()
            .or(params["targetId"].as_str());
        match (message["method"].as_str().unwrap_or_default(), target) {
            ("Page.screencastFrame", _) => {
                self.frame(&json!({"session": message["sessionId"], "params": params}))
            }
            // A new tab or window (not a worker, not an iframe).
            ("Target.targetCreated", Some(target)) if params["targetInfo"]["type"] == "page" => {
                self.follow(target.to_string(), None)
            }
            ("Target.targetDestroyed", Some(target)) => self.closed(target),
            _ => {}
        }
    }

    /// A top-level context closed: show the one before, if it was being shown.
    fn closed(&mut self, context: &str) {
        self.history.retain(|c| c != context);
        if self.current.as_ref().map(|(c, _)| c.as_str()) == Some(context) {
            self.current = None;
            if let Some(previous) = self.history.last().cloned() {
                self.follow(previous, None);
            }
        }
    }

    fn reply(&mut self, id: u64, result: Result<Value, VideoError>) {
        match self.pending.remove(&id) {
            Some(Pending::Reply(tx)) => {
                let _ = tx.send(result);
            }
            Some(Pending::Session { context }) => {
                let session = result.and_then(|v| {
                    // goog:cdp.getSession answers `session`, Target.attachToTarget `sessionId`.
                    let session = v["session"].as_str().or(v["sessionId"].as_str());
                    session.map(str::to_string).ok_or_else(|| {
                        VideoError::Screencast(format!("no CDP session for the window: {v}"))
                    })
                });
                match session {
                    Ok(session) => {
                        let s = self.settings;
                        let id = self.cdp(
                            &session,
                            "Page.startScreencast",
                            json!({"format": "jpeg", "quality": s.quality,
                                   "maxWidth": s.max_width, "maxHeight": s.max_height,
                                   "everyNthFrame": s.every_nth_frame}),
                        );
                        self.pending.insert(id, Pending::Start { context, session });
                    }
                    Err(e) => self.started(&context, Err(e)),
                }
            }
            Some(Pending::Start { context, session }) => {
                let outcome = match result {
                    Ok(_) => {
                        if let Some((_, old)) = self.current.replace((context.clone(), session)) {
                            let id = self.cdp(&old, "Page.stopScreencast", json!({}));
                            self.pending.insert(id, Pending::Ignore);
                        }
                        self.history.retain(|c| c != &context);
                        self.history.push(context.clone());
                        Ok(())
                    }
                    Err(e) => Err(VideoError::Screencast(format!(
                        "Page.startScreencast failed: {e}"
                    ))),
                };
                self.started(&context, outcome);
            }
            Some(Pending::Ignore) | None => {}
        }
    }

    fn frame(&mut self, params: &Value) {
        let Some(session) = params["session"].as_str() else {
            return;
        };
        let cdp = &params["params"];
        // Acknowledge every frame, or Chromium stops sending.
        if let Some(frame_session) = cdp["sessionId"].as_i64() {
            let id = self.cdp(
                session,
                "Page.screencastFrameAck",
                json!({ "sessionId": frame_session }),
            );
            self.pending.insert(id, Pending::Ignore);
        }
        if self.current.as_ref().map(|(_, s)| s.as_str()) != Some(session) {
            return;
        }
        let (Some(data), Some(ts)) = (cdp["data"].as_str(), cdp["metadata"]["timestamp"].as_f64())
        else {
            return;
        };
        let Ok(jpeg) = base64::engine::general_purpose::STANDARD.decode(data) else {
            return;
        };
        self.frame_count += 1;
        let path = self.frames_dir.join(format!("{:07}.jpg", self.frame_count));
        if std::fs::write(&path, jpeg).is_ok() {
            self.log.push(Frame { ts, path });
        }
    }
}

impl Handler for State {
    type Command = Command;

    fn incoming(&mut self, text: &str) {
        self.on_message(text);
    }

    fn command(&mut self, command: Option<Command>) -> bool {
        match command {
            Some(Command::Follow(context, done)) => {
                self.follow(context, Some(done));
                true
            }
            stop => {
                if let Some((_, session)) = self.current.take() {
                    self.cdp(&session, "Page.stopScreencast", json!({}));
                }
                if let Some(Command::Stop(done)) = stop {
                    self.stopped = Some(done);
                }
                false
            }
        }
    }

    fn outgoing(&mut self) -> Vec<String> {
        std::mem::take(&mut self.outgoing)
    }

    fn closed(&mut self) {
        if let Some(done) = self.stopped.take() {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(state: &mut State) -> Vec<Value> {
        std::mem::take(&mut state.outgoing)
            .iter()
            .map(|m| serde_json::from_str(m).unwrap())
            .collect()
    }

    /// On a Grid's DevTools proxy the screencast speaks plain CDP: it attaches to the
    /// window's target with a flat session, starts the screencast there, acknowledges each
    /// frame on that session and logs it; an iframe's target is not followed, a new tab is.
    #[test]
    fn plain_cdp_attaches_to_the_target_and_acknowledges_frames_on_its_session() {
        let dir = tempfile::tempdir().unwrap();
        let log = Arc::new(FrameLog::default());
        let settings = ScreencastSettings {
            max_width: 1280,
            max_height: 800,
            quality: 70,
            every_nth_frame: 2,
        };
        let mut state = State::new(Dialect::Cdp, settings, dir.path(), log.clone());
        let subscribe = state.subscribe();
        assert_eq!(sent(&mut state)[0]["method"], "Target.setDiscoverTargets");
        state.incoming(&json!({"id": subscribe, "result": {}}).to_string());

        let (done, mut started) = oneshot::channel();
        state.follow("TARGET-1".into(), Some(done));
        let attach = &sent(&mut state)[0];
        assert_eq!(attach["method"], "Target.attachToTarget");
        assert_eq!(attach["params"]["targetId"], "TARGET-1");
        assert_eq!(attach["params"]["flatten"], true);
        let reply = json!({"id": attach["id"], "result": {"sessionId": "S1"}});
        state.incoming(&reply.to_string());
        let start = &sent(&mut state)[0];
        assert_eq!(start["method"], "Page.startScreencast");
        assert_eq!(start["sessionId"], "S1");
        assert_eq!(start["params"]["everyNthFrame"], 2);
        state.incoming(&json!({"id": start["id"], "result": {}}).to_string());
        assert!(matches!(started.try_recv(), Ok(Ok(()))));

        let jpeg = base64::engine::general_purpose::STANDARD.encode(b"not really a jpeg");
        let frame = json!({"method": "Page.screencastFrame", "sessionId": "S1", "params": {
            "data": jpeg, "metadata": {"timestamp": 1700000000.25}, "sessionId": 7}});
        state.incoming(&frame.to_string());
        let ack = &sent(&mut state)[0];
        assert_eq!(ack["method"], "Page.screencastFrameAck");
        assert_eq!(ack["sessionId"], "S1");
        assert_eq!(ack["params"]["sessionId"], 7);
        assert_eq!(log.len(), 1);
        assert_eq!(log.latest(), Some(1700000000.25));

        let created = |id: &str, kind: &str| {
            json!({"method": "Target.targetCreated",
                   "params": {"targetInfo": {"targetId": id, "type": kind}}})
            .to_string()
        };
        state.incoming(&created("FRAME-1", "iframe"));
        assert!(sent(&mut state).is_empty());
        state.incoming(&created("TARGET-2", "page"));
        let attach = &sent(&mut state)[0];
        assert_eq!(attach["method"], "Target.attachToTarget");
        assert_eq!(attach["params"]["targetId"], "TARGET-2");
    }
}
