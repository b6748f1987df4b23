//! The fixture pages (`fixtures/pages/`) served on loopback with the same framework as the
//! demo app: GET and HEAD only, no directory listings, nothing outside the root. The app
//! under test of `run --app fixtures` and of the browser tests. The same slow-client limits
//! as the demo app ([`HttpLimits`]); request bodies are capped at [`FIXTURE_MAX_BODY_BYTES`].

use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::task::JoinHandle;

use super::serve::{serve, HttpLimits};

/// Largest request body read (the site answers GET and HEAD only).
pub const FIXTURE_MAX_BODY_BYTES: usize = 64 * 1024;

/// A running static site; stops when dropped.
pub struct StaticSite {
    url: String,
    task: JoinHandle<()>,
}

impl StaticSite {
    /// Serves `root` on a free port of 127.0.0.1 with the default limits.
    pub async fn start(root: &Path) -> io::Result<StaticSite> {
        StaticSite::start_with(root, HttpLimits::default()).await
    }

    /// Serves `root` on a free port of 127.0.0.1.
    pub async fn start_with(root: &Path, limits: HttpLimits) -> io::Result<StaticSite> {
        let root = Arc::new(root.canonicalize()?);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let url = format!("http://127.0.0.1:{}", listener.local_addr()?.port());
        let app = Router::new().fallback(file).with_state(root);
        let task = tokio::spawn(serve(
            listener,
            app,
            limits,
            FIXTURE_MAX_BODY_BYTES,
            std::future::pending(),
        ));
        Ok(StaticSite { url, task })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for StaticSite {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn file(State(root): State<Arc<PathBuf>>, request: Request) -> Response {
    let method = request.method().clone();
    if method != Method::GET && method != Method::HEAD {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response();
    }
    let Some(file) = resolve(&root, request.uri().path()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match tokio::fs::read(&file).await {
        Ok(bytes) => {
            let body = if method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(bytes)
            };
            (
                [
                    (header::CONTENT_TYPE, content_type(&file)),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                body,
            )
                .into_response()
        }
        Err(_) => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Maps a URL path to a file under `root`; `None` for anything that would leave it.
fn resolve(root: &Path, url_path: &str) -> Option<PathBuf> {
    let decoded = crate::percent::decode_utf8(url_path)?;
    let mut file = root.to_path_buf();
    for component in Path::new(decoded.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => file.push(part),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if file.is_dir() {
        file.push("index.html");
    }
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "html" | "htm" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "mp4" => "video/mp4",
        "webm" => "video/webm",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_never_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.html"), "a").unwrap();
        assert!(resolve(dir.path(), "/a.html").is_some());
        assert!(resolve(dir.path(), "/../etc/passwd").is_none());
        assert!(resolve(dir.path(), "/%2e%2e/etc/passwd").is_none());
        assert!(resolve(dir.path(), "/missing.html").is_none());
    }

    #[tokio::test]
    async fn serves_files_with_their_type_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("index.html"), "<h1>hi</h1>").unwrap();
        let site = StaticSite::start(dir.path()).await.unwrap();
        let http = reqwest::Client::new();
        let resp = http.get(format!("{}/", site.url())).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert_eq!(resp.text().await.unwrap(), "<h1>hi</h1>");
        let missing = http
            .get(format!("{}/nope", site.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 404);
        let post = http.post(format!("{}/", site.url())).send().await.unwrap();
        assert_eq!(post.status(), 405);
        let head = http.head(format!("{}/", site.url())).send().await.unwrap();
        assert_eq!(head.status(), 200);
    }
}
