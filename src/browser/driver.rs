//! The driver process (chromedriver or geckodriver): found on disk, started on a free
//! loopback port in its own process group, probed until ready, and stopped with its whole
//! group (browser included).

use crate::http_client::{HttpClient, HttpRequest, Url};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::{BrowserError, BrowserKind};
use crate::process::{free_port, GroupChild};

/// A running driver (chromedriver or geckodriver) and the URL its WebDriver endpoint
/// listens on.
#[derive(Debug)]
pub struct DriverProcess {
    process: GroupChild,
    url: String,
    log_path: PathBuf,
}

/// How to install a missing driver, and the flag that names it.
fn install_hint(kind: BrowserKind) -> &'static str {
    match kind {
        BrowserKind::Chromium => {
            "install it with `apt-get install chromium chromium-driver` (or run \
             scripts/setup.sh), or name it with --chromedriver PATH"
        }
        BrowserKind::Firefox => {
            "build it with `cargo install geckodriver` (scripts/setup-tests.sh puts it in \
             .tools/geckodriver/bin), or name it with --geckodriver PATH"
        }
    }
}

/// The command line of `kind`'s driver on `port`, logging to `log_path`.
fn driver_command(kind: BrowserKind, binary: &Path, port: u16, log_path: &Path) -> Command {
    let mut command = Command::new(binary);
    match kind {
        BrowserKind::Chromium => {
            command
                .arg(format!("--port={port}"))
                // No --allowed-ips: with it chromedriver listens on every interface; without
                // it, on loopback only (127.0.0.1 and ::1), which is all the run needs.
                .arg(format!("--log-path={}", log_path.display()));
        }
        BrowserKind::Firefox => {
            // Loopback only; the BiDi socket on a port the system picks, so parallel
            // sessions never collide on geckodriver's default 9222.
            command
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--websocket-port", "0", "--log", "info"]);
        }
    }
    command
}

impl DriverProcess {
    /// Starts `kind`'s driver `binary` on a free port and waits (up to `ready_timeout`) for
    /// `/status` to say ready; with `display`, the browser it starts draws on that X
    /// display. Its log goes to `log_path` and its tail is quoted in errors.
    pub async fn start(
        kind: BrowserKind,
        binary: &Path,
        log_path: &Path,
        ready_timeout: Duration,
        display: Option<&str>,
    ) -> Result<DriverProcess, BrowserError> {
        let name = kind.driver_name();
        if !is_executable(binary) {
            return Err(BrowserError::Setup {
                what: format!("{name} not found at {}", binary.display()),
                fix: install_hint(kind).into(),
            });
        }
        let port = free_port().map_err(|e| BrowserError::Setup {
            what: format!("no free loopback port for {name}: {e}"),
            fix: "check that 127.0.0.1 is usable".into(),
        })?;
        let log = std::fs::File::create(log_path).map_err(|e| BrowserError::Setup {
            what: format!("cannot create {}: {e}", log_path.display()),
            fix: "check that the output folder is writable".into(),
        })?;
        let mut command = driver_command(kind, binary, port, log_path);
        // geckodriver logs (and passes Firefox's output) on stdout and stderr.
        let stdout = match (kind, log.try_clone()) {
            (BrowserKind::Firefox, Ok(copy)) => Stdio::from(copy),
            _ => Stdio::null(),
        };
        command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::from(log));
        // A headed browser draws on this X display (it inherits the driver's environment).
        if let Some(display) = display {
            command.env("DISPLAY", display);
        }
        let mut process =
            GroupChild::spawn(name, &mut command).map_err(|e| BrowserError::Setup {
                what: format!("cannot start {}: {e}", binary.display()),
                fix: format!("check that {name} runs: `{name} --version`"),
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
                    what: format!("{name} exited at start ({status}): {tail}"),
                    fix: if in_use {
                        format!("port {port} is in use; run again (a new free port is chosen)")
                    } else {
                        format!("run `{name} --version` to see why it does not start")
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
                        "{name} did not become ready within {} ms: {}",
                        ready_timeout.as_millis(),
                        log_tail(log_path)
                    ),
                    fix: "check that nothing blocks loopback ports".into(),
                });
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Ok(DriverProcess {
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

    /// Stops the driver and every browser process in its group.
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
