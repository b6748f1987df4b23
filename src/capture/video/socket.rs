//! The JSON-over-WebSocket client of the video sockets (the screencast, BiDi screenshots):
//! connect within a time limit, then one task that sends what its [`Handler`] queued, hands
//! it every text message and every command from its owner, and closes the socket when the
//! handler says so. The only room of tokio-tungstenite; imports nothing of the crate but
//! [`VideoError`].

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::VideoError;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// An open socket, ready for [`run`].
pub struct Socket(WebSocketStream<MaybeTlsStream<TcpStream>>);

/// What a socket task does with what arrives.
pub trait Handler: Send + 'static {
    type Command: Send + 'static;
    /// A text message from the socket.
    fn incoming(&mut self, text: &str);
    /// A command from the owner (`None`: the owner has gone); `false` ends the task once
    /// the messages queued by then are sent and the socket is closed.
    fn command(&mut self, command: Option<Self::Command>) -> bool;
    /// The messages to send now.
    fn outgoing(&mut self) -> Vec<String>;
    /// Called once the socket is closed because [`Handler::command`] said so.
    fn closed(&mut self) {}
}

/// Connects to `url`; errors name the socket as `what` (e.g. "BiDi socket").
pub async fn connect(url: &str, what: &str) -> Result<Socket, VideoError> {
    let (socket, _) = tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| VideoError::Screencast(format!("timed out connecting to the {what} {url}")))?
        .map_err(|e| VideoError::Screencast(format!("cannot connect to the {what} {url}: {e}")))?;
    Ok(Socket(socket))
}

/// Runs `handler` on `socket` until the socket closes or the handler ends it.
pub async fn run<H: Handler>(
    socket: Socket,
    mut handler: H,
    mut commands: UnboundedReceiver<H::Command>,
) {
    let (mut write, mut read) = socket.0.split();
    loop {
        for text in handler.outgoing() {
            if write.send(Message::text(text)).await.is_err() {
                return;
            }
        }
        tokio::select! {
            message = read.next() => match message {
                Some(Ok(Message::Text(text))) => handler.incoming(text.as_str()),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            command = commands.recv() => {
                if !handler.command(command) {
                    for text in handler.outgoing() {
                        let _ = write.send(Message::text(text)).await;
                    }
                    let _ = write.close().await;
                    handler.closed();
                    return;
                }
            }
        }
    }
}
