//! Processes a test started, found by a tag in their environment: every child of the
//! harness (driver, browser, encoder, X server, the app under test) inherits it, so a test
//! can count what is left without relying on process names on a shared machine.

use std::time::{Duration, Instant};

/// The environment variable that carries the tag.
pub const TAG_VAR: &str = "WALKTHROUGH_TEST_TAG";

/// A tag unique to one test.
pub fn new_tag() -> String {
    format!(
        "t{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// The live (not zombie) processes whose environment holds `TAG_VAR=tag`, with their names.
pub fn tagged(tag: &str) -> Vec<(u32, String)> {
    let needle = format!("{TAG_VAR}={tag}");
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(format!("/proc/{pid}/environ")) else {
            continue;
        };
        let has = environ.split(|b| *b == 0).any(|kv| kv == needle.as_bytes());
        if !has {
            continue;
        }
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .map(|(_, r)| r.trim_start().starts_with('Z'))
            .unwrap_or(true);
        if !zombie {
            let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            out.push((pid, name.trim().to_string()));
        }
    }
    out
}

/// Waits up to `limit` for every tagged process to be gone; what is left, if anything.
pub fn wait_gone(tag: &str, limit: Duration) -> Vec<(u32, String)> {
    let started = Instant::now();
    loop {
        let left = tagged(tag);
        if left.is_empty() || started.elapsed() > limit {
            return left;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills whatever carries `tag` (a failing test's cleanup, so nothing outlives it).
pub fn kill_tagged(tag: &str) {
    for (pid, _) in tagged(tag) {
        let _ = walkthrough::process::signal_process(pid as i32, libc::SIGKILL);
    }
}

/// Kills the tagged processes when dropped: a failing assertion cannot skip the cleanup.
pub struct TagGuard(pub String);

impl Drop for TagGuard {
    fn drop(&mut self) {
        kill_tagged(&self.0);
    }
}
