//! The loopback proxy (tokio-rustls): an HTTP proxy for the app that terminates TLS for
//! Polar's names with the run's certificate and hands the requests to the mock, and tunnels
//! every other host untouched (`CONNECT`) or forwards it (`GET http://…`); plus, for the
//! browser, a TLS port that answers as Polar's names (Chromium maps the names to it) and a
//! proxy of its own (Firefox, which cannot map a name to a port). Counts what it
//! intercepted, the app's and the browser's apart. Must not import the
//! certificate maker or the testbed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

use super::InterceptError;

/// The longest proxy request head read before giving up on a connection.
const MAX_HEAD: usize = 16 * 1024;

/// What the proxy serves and where it sends Polar's traffic.
pub struct ProxySpec {
    /// Host names answered here (lower case), e.g. `sandbox-api.polar.sh`.
    pub names: Vec<String>,
    /// The mock: where an intercepted request goes, over plain HTTP.
    pub upstream: SocketAddr,
    pub leaf_der: Vec<u8>,
    pub leaf_key_der: Vec<u8>,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    /// The HTTP proxy address for the app (`HTTPS_PROXY=http://…`).
    pub proxy_addr: SocketAddr,
    /// A TLS port that answers as Polar's names (for the browser's host mapping).
    pub tls_addr: SocketAddr,
    /// The same proxy as `proxy_addr`, for the browser: what it intercepts counts as the
    /// browser's, so the app's count says whether the app itself reached Polar's names.
    pub browser_proxy_addr: SocketAddr,
    counts: Arc<Counts>,
    tasks: Vec<JoinHandle<()>>,
}

#[derive(Default)]
struct Counts {
    /// TLS sessions the app opened to Polar's names through the proxy.
    app_intercepted: AtomicUsize,
    /// Connections tunnelled or forwarded to other hosts.
    passed_through: AtomicUsize,
    /// TLS sessions on the browser's port, or through its proxy, to Polar's names.
    browser_sessions: AtomicUsize,
}

/// What the proxy saw so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyCounts {
    pub app_intercepted: usize,
    pub passed_through: usize,
    pub browser_sessions: usize,
}

impl Proxy {
    pub async fn start(spec: ProxySpec) -> Result<Proxy, InterceptError> {
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(spec.leaf_key_der.clone()));
        let mut config = ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(vec![CertificateDer::from(spec.leaf_der.clone())], key)
            .map_err(|e| InterceptError::Certificate {
                what: "TLS server",
                detail: e.to_string(),
            })?;
        // HTTP/1.1 only: the bytes go to the mock as they come.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let bind = |what: &'static str| async move {
            TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|source| InterceptError::Listen { what, source })
        };
        let proxy_listener = bind("proxy").await?;
        let tls_listener = bind("TLS port").await?;
        let browser_proxy_listener = bind("browser's proxy").await?;
        let address = |listener: &TcpListener, what: &'static str| {
            listener
                .local_addr()
                .map_err(|source| InterceptError::Listen { what, source })
        };
        let proxy_addr = address(&proxy_listener, "proxy")?;
        let tls_addr = address(&tls_listener, "TLS port")?;
        let browser_proxy_addr = address(&browser_proxy_listener, "browser's proxy")?;
        let counts = Arc::new(Counts::default());
        let shared = Arc::new(Shared {
            names: spec.names.iter().map(|n| n.to_ascii_lowercase()).collect(),
            upstream: spec.upstream,
            acceptor,
            counts: counts.clone(),
        });
        let proxy_task = tokio::spawn(accept_loop(proxy_listener, shared.clone(), Role::Proxy));
        let browser_proxy_task = tokio::spawn(accept_loop(
            browser_proxy_listener,
            shared.clone(),
            Role::BrowserProxy,
        ));
        let tls_task = tokio::spawn(accept_loop(tls_listener, shared, Role::Browser));
        Ok(Proxy {
            proxy_addr,
            tls_addr,
            browser_proxy_addr,
            counts,
            tasks: vec![proxy_task, tls_task, browser_proxy_task],
        })
    }

    pub fn counts(&self) -> ProxyCounts {
        ProxyCounts {
            app_intercepted: self.counts.app_intercepted.load(Ordering::SeqCst),
            passed_through: self.counts.passed_through.load(Ordering::SeqCst),
            browser_sessions: self.counts.browser_sessions.load(Ordering::SeqCst),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

struct Shared {
    names: Vec<String>,
    upstream: SocketAddr,
    acceptor: TlsAcceptor,
    counts: Arc<Counts>,
}

#[derive(Clone, Copy)]
enum Role {
    /// The app's proxy.
    Proxy,
    /// The browser's TLS port.
    Browser,
    /// The browser's proxy.
    BrowserProxy,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, role: Role) {
    while let Ok((stream, _)) = listener.accept().await {
        let shared = shared.clone();
        tokio::spawn(async move {
            let _ = match role {
                Role::Proxy => {
                    proxy_connection(stream, &shared, &shared.counts.app_intercepted).await
                }
                Role::BrowserProxy => {
                    proxy_connection(stream, &shared, &shared.counts.browser_sessions).await
                }
                Role::Browser => {
                    shared
                        .counts
                        .browser_sessions
                        .fetch_add(1, Ordering::SeqCst);
                    to_mock(stream, &shared).await
                }
            };
        });
    }
}

/// Terminates TLS on `stream` with the run's certificate and relays the bytes to the mock.
async fn to_mock(stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    let mut tls = shared.acceptor.accept(stream).await?;
    let mut mock = TcpStream::connect(shared.upstream).await?;
    tokio::io::copy_bidirectional(&mut tls, &mut mock).await?;
    Ok(())
}

/// One proxy client: `CONNECT host:port` (intercepted for Polar's names, else tunnelled) or
/// an absolute-form request to another host (forwarded).
/// An intercepted connection counts in `intercepted`.
async fn proxy_connection(
    mut client: TcpStream,
    shared: &Shared,
    intercepted: &AtomicUsize,
) -> std::io::Result<()> {
    let (head, rest) = read_head(&mut client).await?;
    let first = head.lines().next().unwrap_or_default().to_string();
    let mut parts = first.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = split_host_port(target, 443);
        if shared.names.contains(&host) {
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?;
            intercepted.fetch_add(1, Ordering::SeqCst);
            return to_mock(client, shared).await;
        }
        let Ok(mut upstream) = TcpStream::connect((host.as_str(), port)).await else {
            return refuse(&mut client, &format!("cannot reach {host}:{port}")).await;
        };
        client
            .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        shared.counts.passed_through.fetch_add(1, Ordering::SeqCst);
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
        return Ok(());
    }
    // `GET http://host[:port]/path HTTP/1.1`: sent on in origin form, as a proxy does.
    let Some(after_scheme) = target.strip_prefix("http://") else {
        return refuse(
            &mut client,
            "only CONNECT and http:// requests go through here",
        )
        .await;
    };
    let (authority, path) = match after_scheme.find('/') {
        Some(i) => (&after_scheme[..i], &after_scheme[i..]),
        None => (after_scheme, "/"),
    };
    let (host, port) = split_host_port(authority, 80);
    let Ok(mut upstream) = TcpStream::connect((host.as_str(), port)).await else {
        return refuse(&mut client, &format!("cannot reach {host}:{port}")).await;
    };
    let version = first.split_whitespace().nth(2).unwrap_or("HTTP/1.1");
    let rewritten = head.replacen(&first, &format!("{method} {path} {version}"), 1);
    upstream.write_all(rewritten.as_bytes()).await?;
    upstream.write_all(&rest).await?;
    shared.counts.passed_through.fetch_add(1, Ordering::SeqCst);
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

async fn refuse(client: &mut TcpStream, why: &str) -> std::io::Result<()> {
    let body = format!("walkthrough proxy: {why}\n");
    let answer = format!(
        "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    client.write_all(answer.as_bytes()).await
}

/// The request head (through the blank line) as text, and the bytes read after it.
async fn read_head(client: &mut TcpStream) -> std::io::Result<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end + 4]).into_owned();
            return Ok((head, buf[end + 4..].to_vec()));
        }
        if buf.len() > MAX_HEAD {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
    }
}

/// `host:port` (or `host`, or `[v6]:port`) as a lower-case host and a port.
fn split_host_port(authority: &str, default_port: u16) -> (String, u16) {
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse::<u16>() {
            Ok(port) => (h, port),
            Err(_) => (authority, default_port),
        },
        _ => (authority, default_port),
    };
    (
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase(),
        port,
    )
}

#[cfg(test)]
mod tests {
    use super::split_host_port;

    #[test]
    fn authorities_split_into_host_and_port() {
        assert_eq!(
            split_host_port("Sandbox-API.polar.sh:443", 443),
            ("sandbox-api.polar.sh".into(), 443)
        );
        assert_eq!(
            split_host_port("example.org", 80),
            ("example.org".into(), 80)
        );
        assert_eq!(split_host_port("[::1]:8080", 80), ("::1".into(), 8080));
    }
}
