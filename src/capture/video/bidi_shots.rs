//! Screenshots over the session's WebDriver BiDi socket (`browsingContext.captureScreenshot`,
//! origin `viewport`), the best video WebDriver BiDi offers a browser without a DevTools
//! screencast (Firefox). They travel on their own socket, so they are taken while a step's
//! commands run instead of queueing between them as WebDriver screenshots do. One
//! background task owns the socket, answers [`BidiShooter::png`] requests and follows new
//! top-level tabs and windows (`browsingContext.contextCreated`), falling back to the one
//! before when a tab closes. The same socket works through a Selenium Grid's BiDi proxy.

use super::VideoError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::sample::Grab;
use super::socket::{self, Handler};

type Reply = oneshot::Sender<Result<Vec<u8>, VideoError>>;

/// Takes viewport PNGs of the browsing context being shown; see the module doc.
pub struct BidiShooter {
    requests: mpsc::UnboundedSender<Reply>,
    task: JoinHandle<()>,
}

impl BidiShooter {
    /// Connects to the BiDi socket `ws_url`, subscribes to new and closed browsing contexts
    /// and shows `context` (a WebDriver window handle, which is also its BiDi context id).
    pub async fn connect(ws_url: &str, context: &str) -> Result<BidiShooter, VideoError> {
        let socket = socket::connect(ws_url, "BiDi socket").await?;
        let (requests, rx) = mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = oneshot::channel();
        let mut state = State {
            next_id: 1,
            pending: HashMap::new(),
            contexts: vec![context.to_string()],
            outgoing: Vec::new(),
            subscribed: Some(ready_tx),
            subscribe_id: 0,
        };
        state.subscribe_id = state.request(
            "session.subscribe",
            json!({"events": [
                "browsingContext.contextCreated",
                "browsingContext.contextDestroyed"
            ]}),
        );
        let task = tokio::spawn(socket::run(socket, state, rx));
        match tokio::time::timeout(Duration::from_secs(10), ready_rx).await {
            Ok(Ok(Ok(()))) => Ok(BidiShooter { requests, task }),
            Ok(Ok(Err(e))) => Err(e),
            _ => Err(VideoError::Screencast(
                "the BiDi socket did not answer session.subscribe".into(),
            )),
        }
    }

    /// A PNG of the shown context's viewport (at most 5 s).
    pub async fn png(&self) -> Result<Vec<u8>, VideoError> {
        let (tx, rx) = oneshot::channel();
        self.requests
            .send(tx)
            .map_err(|_| VideoError::Screencast("the BiDi socket has closed".into()))?;
        match tokio::time::timeout(Duration::from_secs(5), rx).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(VideoError::Screencast("the BiDi socket has closed".into())),
            Err(_) => Err(VideoError::Screencast(
                "a BiDi screenshot took more than 5 s".into(),
            )),
        }
    }

    /// This shooter as the sampler's grab function.
    pub fn grab(self: Arc<Self>) -> Grab {
        Arc::new(move || {
            let shooter = self.clone();
            Box::pin(async move { shooter.png().await.map_err(|e| e.to_string()) })
        })
    }
}

impl Drop for BidiShooter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct State {
    next_id: u64,
    /// Screenshot requests by command id.
    pending: HashMap<u64, Reply>,
    /// Top-level contexts shown, newest (the one shot) last.
    contexts: Vec<String>,
    outgoing: Vec<String>,
    /// Told once `session.subscribe` is answered.
    subscribed: Option<oneshot::Sender<Result<(), VideoError>>>,
    subscribe_id: u64,
}

impl State {
    fn request(&mut self, method: &str, params: Value) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        self.outgoing
            .push(json!({"id": id, "method": method, "params": params}).to_string());
        id
    }

    fn shoot(&mut self, reply: Reply) {
        let Some(context) = self.contexts.last().cloned() else {
            let _ = reply.send(Err(VideoError::Screencast(
                "no browsing context is open".into(),
            )));
            return;
        };
        let id = self.request(
            "browsingContext.captureScreenshot",
            json!({"context": context, "origin": "viewport"}),
        );
        self.pending.insert(id, reply);
    }

    fn on_message(&mut self, text: &str) {
        let Ok(message) = serde_json::from_str::<Value>(text) else {
            return;
        };
        if let Some(id) = message.get("id").and_then(Value::as_u64) {
            let error = (message.get("type").and_then(Value::as_str) == Some("error")).then(|| {
                VideoError::Screencast(format!(
                    "{}: {}",
                    message["error"].as_str().unwrap_or("error"),
                    message["message"].as_str().unwrap_or_default()
                ))
            });
            if id == self.subscribe_id {
                if let Some(ready) = self.subscribed.take() {
                    let _ = ready.send(error.map_or(Ok(()), Err));
                }
                return;
            }
            if let Some(reply) = self.pending.remove(&id) {
                let _ = reply.send(match error {
                    Some(e) => Err(e),
                    None => decode(&message["result"]["data"]),
                });
            }
            return;
        }
        let params = &message["params"];
        let Some(context) = params["context"].as_str() else {
            return;
        };
        match message["method"].as_str().unwrap_or_default() {
            // A new top-level tab or window: it is what the user would now look at.
            "browsingContext.contextCreated" if params["parent"].is_null() => {
                self.contexts.retain(|c| c != context);
                self.contexts.push(context.to_string());
            }
            "browsingContext.contextDestroyed" => self.contexts.retain(|c| c != context),
            _ => {}
        }
    }
}

fn decode(data: &Value) -> Result<Vec<u8>, VideoError> {
    let text = data
        .as_str()
        .ok_or_else(|| VideoError::Screencast("a BiDi screenshot came without data".into()))?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| VideoError::Screencast(format!("a BiDi screenshot is not base64: {e}")))
}

impl Handler for State {
    type Command = Reply;

    fn incoming(&mut self, text: &str) {
        self.on_message(text);
    }

    fn command(&mut self, request: Option<Reply>) -> bool {
        match request {
            Some(reply) => {
                self.shoot(reply);
                true
            }
            None => false,
        }
    }

    fn outgoing(&mut self) -> Vec<String> {
        std::mem::take(&mut self.outgoing)
    }
}
