//! Child processes that must never outlive `walkthrough`: each is started in its own
//! process group, registered in a process-wide table, and its whole group is killed on
//! shutdown, on drop, on a panic (see [`install_panic_hook`]) and on SIGINT/SIGTERM (the
//! harness's cleanup path). When `walkthrough` itself is killed outright (SIGKILL, the OOM
//! killer), a guardian — a tiny shell process in its own session that holds the other end of
//! a pipe and the list of live groups — sees the pipe close and kills every group left.
//! Also owns the run's temp folder ([`temp_dir`]): every child gets it as `TMPDIR`, and the
//! crate's own temporary files go in it, without changing the process's environment.
//! Owns `libc`. Must not import any other module of the crate.

use std::collections::BTreeSet;
use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use tokio::process::{Child, Command};

/// The run's private temp folder, when a run has one.
static RUN_TEMP: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Makes `dir` the temp folder of what the run starts from now on (`None`: the system's).
pub fn set_temp_dir(dir: Option<PathBuf>) {
    *RUN_TEMP.lock().unwrap_or_else(|e| e.into_inner()) = dir;
}

/// Where temporary files go: the run's private folder, else the system's temp folder.
pub fn temp_dir() -> PathBuf {
    RUN_TEMP
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_else(std::env::temp_dir)
}

/// Process groups started by this process and not yet reaped.
static LIVE_GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// The guardian's stdin: `add PGID` / `del PGID` lines; its end of file means we are gone.
static GUARDIAN: Mutex<Option<std::process::ChildStdin>> = Mutex::new(None);

/// Kills, when its stdin closes, every group it was told of and not told to forget.
const GUARDIAN_SCRIPT: &str = r#"trap '' INT TERM HUP
groups=" "
while read -r cmd pgid; do
  case "$cmd" in
    add) groups="$groups$pgid " ;;
    del) groups=$(printf '%s' "$groups" | sed "s/ $pgid / /") ;;
  esac
done
for g in $groups; do kill -9 "-$g" 2>/dev/null; done
"#;

/// Tells the guardian (started on first use) about a group; best effort.
fn tell_guardian(line: &str) {
    use std::io::Write as _;
    let mut slot = GUARDIAN.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        let started = std::process::Command::new("sh")
            .arg("-c")
            .arg(GUARDIAN_SCRIPT)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            // Its own group: Ctrl-C to the terminal's group, or a group kill, spares it.
            .process_group(0)
            .spawn();
        *slot = started.ok().and_then(|mut child| child.stdin.take());
    }
    if let Some(stdin) = slot.as_mut() {
        let _ = writeln!(stdin, "{line}");
    }
}

/// A child process leading its own process group; the group dies with this guard.
#[derive(Debug)]
pub struct GroupChild {
    name: String,
    child: Child,
    pgid: i32,
}

impl GroupChild {
    /// Spawns `command` as the leader of a new process group, with the run's temp folder
    /// as its `TMPDIR` (unless the command sets one).
    pub fn spawn(name: &str, command: &mut Command) -> io::Result<GroupChild> {
        command.process_group(0).kill_on_drop(true);
        let sets_tmpdir = command
            .as_std()
            .get_envs()
            .any(|(k, _)| k == std::ffi::OsStr::new("TMPDIR"));
        if !sets_tmpdir {
            command.env("TMPDIR", temp_dir());
        }
        let child = command.spawn()?;
        let pgid = child
            .id()
            .map(|id| id as i32)
            .ok_or_else(|| io::Error::other(format!("{name} exited at once")))?;
        lock_groups().insert(pgid);
        tell_guardian(&format!("add {pgid}"));
        Ok(GroupChild {
            name: name.to_string(),
            child,
            pgid,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> i32 {
        self.pgid
    }

    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Whether the leader has exited (its exit status, if so).
    pub fn try_exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// SIGTERM to the whole group, up to `grace` for the leader to exit, then SIGKILL to
    /// the group. Idempotent.
    pub async fn shutdown(&mut self, grace: Duration) {
        signal_group(self.pgid, libc::SIGTERM);
        let _ = tokio::time::timeout(grace, self.child.wait()).await;
        signal_group(self.pgid, libc::SIGKILL);
        let _ = tokio::time::timeout(Duration::from_secs(2), self.child.wait()).await;
        if lock_groups().remove(&self.pgid) {
            tell_guardian(&format!("del {}", self.pgid));
        }
    }
}

impl Drop for GroupChild {
    fn drop(&mut self) {
        if lock_groups().remove(&self.pgid) {
            signal_group(self.pgid, libc::SIGKILL);
            let _ = self.child.try_wait();
            tell_guardian(&format!("del {}", self.pgid));
        }
    }
}

fn lock_groups() -> std::sync::MutexGuard<'static, BTreeSet<i32>> {
    LIVE_GROUPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Sends `signal` to process `pid` (SIGINT to a child, in tests and Ctrl-C handling);
/// whether it was delivered.
pub fn signal_process(pid: i32, signal: i32) -> bool {
    if pid <= 1 {
        return false;
    }
    // SAFETY: kill only sends a signal; a stale pid yields ESRCH, reported as `false`.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(pid, signal) };
    sent == 0
}

fn signal_group(pgid: i32, signal: i32) {
    if pgid > 1 {
        // SAFETY: killpg only sends a signal; a stale group id yields ESRCH, which we ignore.
        #[allow(unsafe_code)]
        unsafe {
            libc::killpg(pgid, signal);
        }
    }
}

/// SIGKILLs every live group. For the panic hook and last-resort exits; safe to call twice.
pub fn kill_all_groups() {
    let groups: Vec<i32> = lock_groups().iter().copied().collect();
    for pgid in groups {
        signal_group(pgid, libc::SIGKILL);
    }
}

/// Makes a panic anywhere kill every child group before the default hook reports it.
pub fn install_panic_hook() {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        kill_all_groups();
        default_hook(info);
    }));
}

/// Whether a process with this pid still exists (and is not a zombie).
pub fn is_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // The state follows the parenthesised command name: "pid (comm) S ...".
            let state = stat.rsplit_once(')').map(|(_, rest)| rest.trim_start());
            !matches!(
                state.and_then(|s| s.chars().next()),
                Some('Z') | Some('X') | None
            )
        }
        Err(_) => false,
    }
}

/// The pids of live processes in a process group (read from /proc).
pub fn group_members(pgid: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = stat.rsplit_once(')')?.1.trim_start().to_string();
                    let mut fields = rest.split_whitespace();
                    let state = fields.next()?;
                    let _ppid = fields.next()?;
                    let group: i32 = fields.next()?.parse().ok()?;
                    Some(group == pgid && state != "Z")
                })
                .unwrap_or(false)
        })
        .collect()
}

/// A free TCP port on 127.0.0.1, picked by the kernel. There is a small window in which
/// another process could take it; the callers report "port in use" if that happens.
pub fn free_port() -> io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_kills_the_whole_group_including_grandchildren() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("sleep 30 & sleep 30 & wait");
        let mut child = GroupChild::spawn("sleepers", &mut cmd).unwrap();
        let pgid = child.pid();
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(group_members(pgid).len() >= 3, "sh and two sleeps run");
        child.shutdown(Duration::from_millis(500)).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(group_members(pgid).is_empty(), "group gone after shutdown");
    }

    #[tokio::test]
    async fn drop_kills_the_group() {
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg("sleep 30 & wait");
        let child = GroupChild::spawn("sleeper", &mut cmd).unwrap();
        let pgid = child.pid();
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(child);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(group_members(pgid).is_empty());
    }
}
