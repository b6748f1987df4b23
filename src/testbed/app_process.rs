//! The product under test as a process the run starts: `app.command` through `sh -c` in its
//! own process group, with the project file's environment on top of the run's, its output
//! in `logs/app.log`, polled until `ready` answers 2xx; stopped with SIGTERM to its group,
//! SIGKILL after a grace period. An app that is already running is only checked to answer.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::http_client::{HttpClient, HttpError, HttpRequest, Url};
use crate::process::GroupChild;

use super::TestbedError;

/// How long a stopping app gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);
/// Lines of the app's output quoted when it does not come up.
const TAIL_LINES: usize = 20;
/// How long an app that is already running gets to answer at all.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

/// What to start: everything rendered (no `${…}` left).
#[derive(Debug, Clone)]
pub struct AppLaunch {
    pub command: String,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    /// Polled until it answers 2xx.
    pub ready: Url,
    pub ready_timeout: Duration,
    /// Where stdout and stderr go.
    pub log: PathBuf,
}

/// Why a started app is not ready.
#[derive(Debug, thiserror::Error)]
enum NotReady {
    #[error("the app exited ({0}) before it was ready")]
    Exited(std::process::ExitStatus),
    #[error("not ready within {} s ({last})", .limit.as_secs())]
    TimedOut { limit: Duration, last: String },
}

/// A started app; [`AppProcess::stop`] ends its group, and so does dropping it.
#[derive(Debug)]
pub struct AppProcess {
    child: GroupChild,
}

impl AppProcess {
    /// Starts the app and waits until `ready` answers 2xx. If the app exits first or does
    /// not answer in time, it is stopped and the error names the command, the URL tried
    /// and the end of its output.
    pub async fn start(launch: &AppLaunch) -> Result<AppProcess, TestbedError> {
        let failed = |why: String| TestbedError::AppNotReady {
            command: launch.command.clone(),
            url: launch.ready.to_string(),
            why,
            output: tail(&launch.log, TAIL_LINES),
        };
        let log = std::fs::File::create(&launch.log)
            .map_err(|e| failed(format!("cannot write {}: {e}", launch.log.display())))?;
        let err = log
            .try_clone()
            .map_err(|e| failed(format!("cannot write {}: {e}", launch.log.display())))?;
        let mut command = tokio::process::Command::new("sh");
        command
            .arg("-c")
            .arg(&launch.command)
            .current_dir(&launch.cwd)
            .envs(launch.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(err));
        let child = GroupChild::spawn("app", &mut command)
            .map_err(|e| failed(format!("cannot start it in {}: {e}", launch.cwd.display())))?;
        let mut app = AppProcess { child };
        match app.wait_ready(launch).await {
            Ok(()) => Ok(app),
            Err(why) => {
                app.child.shutdown(Duration::from_millis(500)).await;
                Err(failed(why.to_string()))
            }
        }
    }

    /// Polls `ready` until it answers 2xx; why it did not, otherwise.
    async fn wait_ready(&mut self, launch: &AppLaunch) -> Result<(), NotReady> {
        let http = HttpClient::new(Duration::from_secs(2));
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_exited() {
                return Err(NotReady::Exited(status));
            }
            let last = match http.send(HttpRequest::get(launch.ready.clone())).await {
                Ok(r) if r.is_success() => return Ok(()),
                Ok(r) => format!("it answered HTTP {}", r.status),
                Err(e) => e.to_string(),
            };
            if started.elapsed() >= launch.ready_timeout {
                return Err(NotReady::TimedOut {
                    limit: launch.ready_timeout,
                    last,
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.pid()
    }

    /// SIGTERM to the app's group, SIGKILL after a grace period.
    pub async fn stop(mut self) {
        self.child.shutdown(GRACE).await;
    }
}

/// Checks that something answers at `url` (any HTTP status), within seconds: a run against
/// an app that is not there fails at once instead of after every step's timeout.
pub async fn check_reachable(url: &Url) -> Result<(), TestbedError> {
    let http = HttpClient::new(REACH_TIMEOUT);
    match http.send(HttpRequest::get(url.clone())).await {
        Ok(_) => Ok(()),
        Err(e @ (HttpError::Connect(_) | HttpError::Timeout(_) | HttpError::Other(_))) => {
            Err(TestbedError::Unreachable {
                url: url.to_string(),
                why: e.to_string(),
            })
        }
    }
}

/// The last `n` lines of `file` (empty when it cannot be read).
fn tail(file: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launch(dir: &Path, command: &str, ready: &str, timeout: Duration) -> AppLaunch {
        AppLaunch {
            command: command.into(),
            cwd: dir.to_path_buf(),
            env: vec![("GREETING".into(), "hello from the env".into())],
            ready: Url::parse(ready).unwrap(),
            ready_timeout: timeout,
            log: dir.join("app.log"),
        }
    }

    #[tokio::test]
    async fn an_app_that_exits_is_reported_with_its_command_url_and_output() {
        let dir = tempfile::tempdir().unwrap();
        let l = launch(
            dir.path(),
            "echo \"$GREETING\"; echo boom >&2; exit 3",
            "http://127.0.0.1:9/healthz",
            Duration::from_secs(10),
        );
        let started = Instant::now();
        let err = AppProcess::start(&l).await.unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(5), "fails fast");
        assert!(err.contains("echo \"$GREETING\""), "{err}");
        assert!(err.contains("http://127.0.0.1:9/healthz"), "{err}");
        assert!(err.contains("exited"), "{err}");
        assert!(
            err.contains("hello from the env") && err.contains("boom"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn an_app_that_never_answers_times_out_and_its_group_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let port = crate::process::free_port().unwrap();
        let l = launch(
            dir.path(),
            "echo $$ > app.pid; sleep 30 & sleep 30",
            &format!("http://127.0.0.1:{port}/"),
            Duration::from_millis(600),
        );
        let err = AppProcess::start(&l).await.unwrap_err().to_string();
        assert!(err.contains("not ready within"), "{err}");
        let pgid: i32 = std::fs::read_to_string(dir.path().join("app.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            crate::process::group_members(pgid).is_empty(),
            "the shell and both sleeps are gone"
        );
    }

    #[tokio::test]
    async fn nothing_listening_is_unreachable_within_seconds() {
        let port = crate::process::free_port().unwrap();
        let url = Url::parse(&format!("http://127.0.0.1:{port}/")).unwrap();
        let started = Instant::now();
        let err = check_reachable(&url).await.unwrap_err().to_string();
        assert!(started.elapsed() < Duration::from_secs(6));
        assert!(
            err.starts_with(&format!("nothing answers at {url}")),
            "{err}"
        );
    }
}
