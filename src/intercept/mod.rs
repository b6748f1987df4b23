//! Polar's own hostnames for one run: an app configured exactly as Polar's docs show
//! (`server: "sandbox"`, no base URL) reaches the mock. A per-run CA limited to Polar's names
//! ([`ca`]), a loopback proxy that answers those names over TLS with the mock and tunnels
//! every other host untouched ([`proxy`]), and what the app and the browser need to use them
//! ([`Intercept::app_env`]; for the browser [`Intercept::browser_tls`] and
//! [`Intercept::trusted_spki`] for Chromium, [`Intercept::browser_proxy`] for Firefox). The
//! mock then hands out its page links on Polar's page host.
//!
//! Nothing of it outlives the run, even a killed one: the keys stay in memory, the proxy is
//! tasks of this process, and the two certificate files the app reads are unlinked as soon
//! as they are written — the app opens them through `/proc/<this pid>/fd/<n>`, which the
//! kernel closes with the process. Production's names (`api.polar.sh`, `polar.sh`) are
//! answered only when asked for by name.
//!
//! Must not import the mock, the testbed or the browser: it knows an upstream address and
//! host names.

mod ca;
mod proxy;

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

pub use proxy::ProxyCounts;

/// Why the intercept could not start.
#[derive(Debug, thiserror::Error)]
pub enum InterceptError {
    /// The run's CA or certificate could not be made (the signing library's message).
    #[error("cannot make the run's {what}: {detail}")]
    Certificate { what: &'static str, detail: String },
    /// A loopback listener could not be opened.
    #[error("cannot listen on loopback for the {what}: {source}")]
    Listen {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// A certificate file for the app could not be written.
    #[error("cannot write the run's certificate: {0}")]
    File(#[source] std::io::Error),
    #[error("no Polar hostnames to answer as")]
    NoHosts,
}

/// Which of Polar's environments a run answers as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolarHosts {
    /// `sandbox-api.polar.sh` (the API) and `sandbox.polar.sh` (checkout, portal).
    Sandbox,
    /// `api.polar.sh` and `polar.sh`: only when a project asks for it by name.
    Production,
}

impl PolarHosts {
    /// The API host, then the page host.
    pub fn names(self) -> [&'static str; 2] {
        match self {
            PolarHosts::Sandbox => ["sandbox-api.polar.sh", "sandbox.polar.sh"],
            PolarHosts::Production => ["api.polar.sh", "polar.sh"],
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            PolarHosts::Sandbox => "sandbox",
            PolarHosts::Production => "production",
        }
    }
}

/// Where Debian and Ubuntu keep the system's trusted CAs.
const SYSTEM_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A running intercept; everything stops and disappears when it is dropped.
pub struct Intercept {
    proxy: proxy::Proxy,
    hosts: Vec<PolarHosts>,
    /// The CA alone (Node's `NODE_EXTRA_CA_CERTS` adds it to its own roots).
    ca_file: HiddenFile,
    /// The system's CAs and the run's (for runtimes that replace their roots with a file).
    bundle_file: HiddenFile,
    leaf_spki_sha256: String,
}

impl Intercept {
    /// Answers `hosts`' names with the mock at `upstream`.
    pub async fn start(
        hosts: &[PolarHosts],
        upstream: SocketAddr,
    ) -> Result<Intercept, InterceptError> {
        let names: Vec<&str> = hosts.iter().flat_map(|h| h.names()).collect();
        if names.is_empty() {
            return Err(InterceptError::NoHosts);
        }
        let certs = ca::issue(&names)?;
        let system = std::fs::read_to_string(SYSTEM_BUNDLE).unwrap_or_default();
        let ca_file = HiddenFile::new(certs.ca_pem.as_bytes())?;
        let bundle_file = HiddenFile::new(format!("{system}\n{}", certs.ca_pem).as_bytes())?;
        let proxy = proxy::Proxy::start(proxy::ProxySpec {
            names: names.iter().map(|n| n.to_string()).collect(),
            upstream,
            leaf_der: certs.leaf_der,
            leaf_key_der: certs.leaf_key_der,
        })
        .await?;
        Ok(Intercept {
            proxy,
            hosts: hosts.to_vec(),
            ca_file,
            bundle_file,
            leaf_spki_sha256: spki_pin(&certs.leaf_spki_der),
        })
    }

    /// The app's environment: the proxy for HTTPS (loopback bypasses it) and the run's CA in
    /// the places Node, Python and Go read, plus OpenSSL and curl.
    pub fn app_env(&self) -> Vec<(String, String)> {
        let proxy = format!("http://{}", self.proxy.proxy_addr);
        let no_proxy = "127.0.0.1,localhost,::1".to_string();
        let ca = self.ca_file.path().display().to_string();
        let bundle = self.bundle_file.path().display().to_string();
        [
            ("HTTPS_PROXY", proxy.clone()),
            ("https_proxy", proxy),
            ("NO_PROXY", no_proxy.clone()),
            ("no_proxy", no_proxy),
            // Node >= 22.21 / 24.5 honours the proxy variables only when asked.
            ("NODE_USE_ENV_PROXY", "1".into()),
            ("NODE_EXTRA_CA_CERTS", ca),
            ("SSL_CERT_FILE", bundle.clone()),
            ("REQUESTS_CA_BUNDLE", bundle.clone()),
            ("CURL_CA_BUNDLE", bundle),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The names the browser must reach at the TLS port, with that port.
    pub fn browser_hosts(&self) -> Vec<(String, SocketAddr)> {
        self.hosts
            .iter()
            .flat_map(|h| h.names())
            .map(|n| (n.to_string(), self.proxy.tls_addr))
            .collect()
    }

    /// The TLS port that answers as every one of the run's names.
    pub fn browser_tls(&self) -> SocketAddr {
        self.proxy.tls_addr
    }

    /// The proxy the browser's HTTPS goes through where it cannot map names to a port
    /// (Firefox); what it intercepts counts as the browser's, not the app's.
    pub fn browser_proxy(&self) -> SocketAddr {
        self.proxy.browser_proxy_addr
    }

    /// The SHA-256 of the leaf's public key, base64: what Chromium's
    /// `--ignore-certificate-errors-spki-list` trusts.
    pub fn trusted_spki(&self) -> &str {
        &self.leaf_spki_sha256
    }

    /// `https://` + the page host of the first environment answered.
    pub fn page_origin(&self) -> String {
        format!("https://{}", self.hosts[0].names()[1])
    }

    pub fn hosts(&self) -> &[PolarHosts] {
        &self.hosts
    }

    pub fn counts(&self) -> ProxyCounts {
        self.proxy.counts()
    }

    /// Why the app made no Polar call through the intercept, when it made none.
    pub fn idle_note(&self) -> Option<String> {
        if self.counts().app_intercepted > 0 {
            return None;
        }
        Some(format!(
            "the app made no call to {} through the run's proxy: its HTTP client ignores \
             HTTPS_PROXY (Node before 22.21 does, even with NODE_USE_ENV_PROXY=1), or it pins \
             certificates, or it does not call Polar at all. See docs/your-app.md#polars-own-hostnames",
            self.hosts[0].names()[0]
        ))
    }
}

/// `base64(sha256(spki))`.
fn spki_pin(spki_der: &[u8]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(spki_der))
}

/// A file with no name: written, unlinked at once, kept open. Other processes read it as
/// `/proc/<this pid>/fd/<n>` while this process lives; the kernel frees it when the process
/// ends, however it ends.
struct HiddenFile {
    file: std::fs::File,
}

impl HiddenFile {
    fn new(contents: &[u8]) -> Result<HiddenFile, InterceptError> {
        let mut named = tempfile::NamedTempFile::new_in(crate::process::temp_dir())
            .map_err(InterceptError::File)?;
        named
            .write_all(contents)
            .and_then(|_| named.flush())
            .map_err(InterceptError::File)?;
        // Unlinks the name; the open file stays readable through the descriptor.
        let file = named.into_file();
        Ok(HiddenFile { file })
    }

    fn path(&self) -> PathBuf {
        use std::os::fd::AsRawFd as _;
        PathBuf::from(format!(
            "/proc/{}/fd/{}",
            std::process::id(),
            self.file.as_raw_fd()
        ))
    }
}
