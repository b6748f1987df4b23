//! The HTTP/1 server both local apps run on (hyper under an axum `Router`), hardened against
//! slow clients: a header read timeout (which also closes idle keep-alive connections), a
//! body read timeout and size cap (408 / 413, then the connection is closed), and a cap on
//! open connections (further ones wait in the listen backlog). Shutdown stops accepting and
//! lets in-flight requests finish; dropping the serving future closes every connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

/// How long a client may take, and how many connections may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// From accepting the connection (or sending the previous response) until the request's
    /// headers are complete; so also how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// From the end of the headers until the whole body has arrived; later → 408.
    pub body_read_timeout: Duration,
    /// Open connections; more wait in the listen backlog until one closes.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            max_connections: 128,
        }
    }
}

/// What the body middleware enforces.
#[derive(Debug, Clone, Copy)]
struct BodyLimits {
    timeout: Duration,
    max_bytes: usize,
}

/// Why a request body could not be read.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error("the request body did not arrive within {0:?}")]
    Timeout(Duration),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request body could not be read: {0}")]
    Read(#[source] axum::Error),
}

/// Serves `router` on `listener` until `shutdown` resolves, then stops accepting, closes
/// connections that never sent a byte or sit idle between requests, and waits for the others
/// to finish the request in flight. Every request body is read whole, at most `max_body_bytes`,
/// before the router sees it.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    max_body_bytes: usize,
    shutdown: impl Future<Output = ()> + Send,
) {
    let router = router.layer(middleware::from_fn_with_state(
        BodyLimits {
            timeout: limits.body_read_timeout,
            max_bytes: max_body_bytes,
        },
        read_body,
    ));
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let (stop, stopping) = watch::channel(false);
    // Dropping the set (when this future is dropped or aborted) aborts every connection.
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            biased;
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        while connections.try_join_next().is_some() {}
        match accepted {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(
                    http.clone(),
                    stream,
                    router.clone(),
                    stopping.clone(),
                    permit,
                ));
            }
            // Out of file descriptors, or a connection reset before it was accepted.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    drop(listener);
    let _ = stop.send(true);
    while connections.join_next().await.is_some() {}
}

/// Serves one connection, holding its slot until it closes. On shutdown hyper closes it at
/// once if it is idle or never sent a byte, else after the response in flight.
async fn connection(
    http: http1::Builder,
    stream: TcpStream,
    router: Router,
    mut stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let service = TowerToHyperService::new(router);
    let mut conn = std::pin::pin!(http.serve_connection(TokioIo::new(stream), service));
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = stopping.wait_for(|stop| *stop) => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Reads the whole body within the timeout and the size cap, then hands the request on.
async fn read_body(State(limits): State<BodyLimits>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let read = if declared.is_some_and(|n| n > limits.max_bytes as u64) {
        Err(BodyError::TooLarge(limits.max_bytes))
    } else {
        tokio::time::timeout(limits.timeout, collect(body, limits.max_bytes))
            .await
            .unwrap_or(Err(BodyError::Timeout(limits.timeout)))
    };
    match read {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) => body_error(&e),
    }
}

async fn collect(mut body: Body, max_bytes: usize) -> Result<Bytes, BodyError> {
    let mut bytes = Vec::new();
    while let Some(frame) = std::future::poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        if let Ok(data) = frame.map_err(BodyError::Read)?.into_data() {
            if bytes.len() + data.len() > max_bytes {
                return Err(BodyError::TooLarge(max_bytes));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(bytes))
}

/// The JSON error for a body that was not read; the rest of it is never read, so the
/// connection is closed after the answer.
fn body_error(e: &BodyError) -> Response {
    let (status, code) = match e {
        BodyError::Timeout(_) => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
        BodyError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
        BodyError::Read(_) => (StatusCode::BAD_REQUEST, "unreadable_body"),
    };
    let mut resp = (
        status,
        Json(json!({ "error": code, "message": e.to_string() })),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}
