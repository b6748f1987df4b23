//! The ChromeDriver process: found on disk, started on a free loopback port in its own
//! process group, probed until ready, and stopped with its whole group (browser included).

use crate::http_client::{HttpClient, HttpRequest, Url};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::BrowserError;
use crate::process::{free_port, GroupChild};

/// A running chromedriver and the URL its WebDriver endpoint listens on.
#[derive(Debug)]
pub struct ChromeDriver {
    process: GroupChild,
    url: String,
    log_path: PathBuf,
}

impl ChromeDriver {
    /// Starts `binary` on a free port and waits (up to `ready_timeout`) for `/status` to
    /// say ready; with `display`, the browser it starts draws on that X display. Its log goes to `log_path` and its tail is quoted in errors.
    pub async fn start(
        binary: &Path,
        log_path: &Path,
        ready_timeout: Duration,
        display: Option<&str>,
    ) -> Result<ChromeDriver, BrowserError> {
        if !is_executable(binary) {
            return Err(BrowserError::Setup {
                what: format!("chromedriver not found at {}", binary.display()),
                fix: "install it with `apt-get install chromium chromium-driver` (or run \
                      scripts/setup.sh), or name it with --chromedriver PATH"
                    .into(),
            });
        }
        let port = free_port().map_err(|e| BrowserError::Setup {
            what: format!("no free loopback port for chromedriver: {e}"),
            fix: "check that 127.0.0.1 is usable".into(),
        })?;
        let log = std::fs::File::create(log_path).map_err(|e| BrowserError::Setup {
            what: format!("cannot create {}: {e}", log_path.display()),
            fix: "check that the output folder is writable".into(),
        })?;
        let mut command = Command::new(binary);
        command
            .arg(format!("--port={port}"))
            // No --allowed-ips: with it chromedriver listens on every interface; without it,
            // on loopback only (127.0.0.1 and ::1), which is all the run needs.
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log));
        // A headed browser draws on this X display (it inherits the driver's environment).
        if let Some(display) = display {
            command.env("DISPLAY", display);
        }
        let mut process =
            GroupChild::spawn("chromedriver", &mut command).map_err(|e| BrowserError::Setup {
                what: format!("cannot start {}: {e}", binary.display()),
                fix: "check that chromedriver runs: `chromedriver --version`".into(),
            })?;
        let url = format!("http://127.0.0.1:{port}");
        let status_url = Url::parse(&format!("{url}/status"))
            .map_err(|e| BrowserError::WebDriver(e.to_string()))?;
        let http = HttpClient::new(Duration::from_secs(1));
        let started = Instant::now();
        loop {
            if let Some(status) = process.try_exited() {
                let tail = log_tail(log_path);
                let in_use = tail.contains("Address already in use") || tail.contains("bind");
                return Err(BrowserError::Setup {
                    what: format!("chromedriver exited at start ({status}): {tail}"),
                    fix: if in_use {
                        format!("port {port} is in use; run again (a new free port is chosen)")
                    } else {
                        "run `chromedriver --version` to see why it does not start".into()
                    },
                });
            }
            if let Ok(resp) = http.send(HttpRequest::get(status_url.clone())).await {
                if resp.json_or_null()["value"]["ready"].as_bool() == Some(true) {
                    break;
                }
            }
            if started.elapsed() > ready_timeout {
                process.shutdown(Duration::from_millis(500)).await;
                return Err(BrowserError::Setup {
                    what: format!(
                        "chromedriver did not become ready within {} ms: {}",
                        ready_timeout.as_millis(),
                        log_tail(log_path)
                    ),
                    fix: "check that nothing blocks loopback ports".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(ChromeDriver {
            process,
            url,
            log_path: log_path.to_path_buf(),
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> i32 {
        self.process.pid()
    }

    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Stops chromedriver and every browser process in its group.
    pub async fn stop(mut self) {
        self.process.shutdown(Duration::from_millis(1500)).await;
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(5).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" | ")
}

/// Finds an executable by name on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}
