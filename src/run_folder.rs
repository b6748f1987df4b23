//! [`RunFolder`]: the one owner of a run folder's layout — the names of its files
//! (`report.json`, `index.html`, …, `logs/`), where a scenario's and a step's artifacts go —
//! and the only way files are written into it (relative paths in, `/`-separated relative
//! paths out; whole files replaced atomically where a reader may be looking).
//! A new run gets a folder of its own ([`RunFolder::prepare`]); so does a merge
//! ([`RunFolder::prepare_merged`]), which copies each run in under `runs/`.
//! Imports nothing of the crate: capture, evidence, the harness and the CLI all use it.

use std::io;
use std::path::{Component, Path, PathBuf};

/// The run folder of one `walkthrough run`.
#[derive(Debug, Clone)]
pub struct RunFolder {
    root: PathBuf,
}

impl RunFolder {
    /// The run outcome, rewritten after every scenario.
    pub const REPORT: &'static str = "report.json";
    pub const HTML: &'static str = "index.html";
    pub const JUNIT: &'static str = "junit.xml";
    pub const SUMMARY: &'static str = "summary.md";
    /// Size and SHA-256 of every other file; never lists itself.
    pub const MANIFEST: &'static str = "manifest.json";
    /// What a sandbox run revoked at the end.
    pub const CLEANUP: &'static str = "cleanup.json";
    /// Text logs of the processes the run started (redacted at the end).
    pub const LOGS: &'static str = "logs";
    /// One folder per scenario under it.
    pub const SCENARIOS: &'static str = "scenarios";
    /// A scenario's video, inside its folder.
    pub const SCENARIO_VIDEO: &'static str = "scenario.mp4";
    /// In a merged folder, one folder per merged run under it.
    pub const RUNS: &'static str = "runs";

    /// The folder of a new run: created when missing, used when empty. A folder that holds
    /// anything is refused, unless it holds an earlier run (its `report.json`) and
    /// `overwrite` is set: then it is emptied first, so nothing of the earlier run can mix
    /// into this one's evidence and manifest.
    pub fn prepare(root: &Path, overwrite: bool) -> Result<RunFolder, FolderError> {
        let fail = |why: FolderProblem| FolderError {
            path: root.to_path_buf(),
            problem: why,
        };
        match std::fs::symlink_metadata(root) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(fail(FolderProblem::Io(e))),
            Ok(m) if !m.is_dir() => return Err(fail(FolderProblem::NotAFolder)),
            Ok(_) => {
                let mut entries =
                    std::fs::read_dir(root).map_err(|e| fail(FolderProblem::Io(e)))?;
                if entries.next().is_some() {
                    if !overwrite {
                        return Err(fail(FolderProblem::NotEmpty));
                    }
                    if !holds_a_run(root) {
                        return Err(fail(FolderProblem::NotARun));
                    }
                    empty(root).map_err(|e| fail(FolderProblem::Io(e)))?;
                }
            }
        }
        RunFolder::create(root).map_err(|e| fail(FolderProblem::Io(e)))
    }

    /// The folder of a merge (`walkthrough merge`): refused and emptied exactly as
    /// [`RunFolder::prepare`] does, but only the folder itself is created (a merge has no
    /// logs of its own; each run's are under `runs/`).
    pub fn prepare_merged(root: &Path, overwrite: bool) -> Result<RunFolder, FolderError> {
        let folder = RunFolder::prepare(root, overwrite)?;
        // `prepare` made an empty `logs/`; a merge writes none.
        let _ = std::fs::remove_dir(folder.logs_dir());
        Ok(folder)
    }

    /// The folder of run `n` (from 1) inside a merged folder:
    /// `runs/01-mock-chrome-shard-1-of-3` (the shard part only for a shard).
    pub fn merged_run_dir(
        n: usize,
        target: &str,
        browser: &str,
        shard: Option<(usize, usize)>,
    ) -> String {
        let browser = match slug(browser) {
            b if b.is_empty() => "no-browser".to_string(),
            b => b,
        };
        let shard = shard
            .map(|(i, of)| format!("-shard-{i}-of-{of}"))
            .unwrap_or_default();
        format!("{}/{n:02}-{}-{browser}{shard}", Self::RUNS, slug(target))
    }

    /// Copies the files `relative` (paths from `from`, `/`-separated, as a manifest lists
    /// them) into the folder under `dir`, keeping their relative paths. Paths that are
    /// absolute or climb out (`..`) are refused.
    pub fn copy_in(&self, from: &Path, dir: &str, relative: &[String]) -> io::Result<()> {
        for rel in relative {
            let rel_path = Path::new(rel);
            if rel_path.is_absolute()
                || rel_path
                    .components()
                    .any(|c| !matches!(c, Component::Normal(_)))
            {
                return Err(io::Error::other(format!(
                    "{rel}: not a path inside the folder"
                )));
            }
            let to = self.root.join(dir).join(rel_path);
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(from.join(rel_path), &to)
                .map_err(|e| io::Error::new(e.kind(), format!("{rel}: {e}")))?;
        }
        Ok(())
    }

    /// Creates the folder (and `logs/`) if needed.
    pub fn create(root: &Path) -> io::Result<RunFolder> {
        std::fs::create_dir_all(root.join(Self::LOGS))?;
        Ok(RunFolder {
            root: root.to_path_buf(),
        })
    }

    /// A folder that already exists, for reading or re-rendering (nothing is created).
    pub fn open(root: &Path) -> RunFolder {
        RunFolder {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute (or as-given) path of `relative` inside the folder.
    pub fn path(&self, relative: impl AsRef<Path>) -> PathBuf {
        self.root.join(relative)
    }

    pub fn report_path(&self) -> PathBuf {
        self.path(Self::REPORT)
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.path(Self::LOGS)
    }

    /// Writes `bytes` to `relative` (creating folders); returns the relative path with `/`.
    pub fn write(&self, relative: &Path, bytes: &[u8]) -> io::Result<String> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        Ok(slash_path(relative))
    }

    /// Replaces `relative` with `bytes` through a temporary file and a rename, so a reader
    /// never sees half a file.
    pub fn write_atomically(&self, relative: &Path, bytes: &[u8]) -> io::Result<()> {
        write_atomically(&self.root.join(relative), bytes)
    }

    /// The folder for one scenario's artifacts: `scenarios/01-new-user-to-checkout`.
    pub fn scenario_dir(index: usize, name: &str) -> PathBuf {
        PathBuf::from(Self::SCENARIOS).join(format!("{:02}-{}", index + 1, slug(name)))
    }

    /// The folder for one attempt of a scenario (`--retries`): the scenario's own folder
    /// for the first attempt, so a run without retries names its files as it always did,
    /// and `<scenario dir>/attempt-2` for the second, and so on. Nothing of an earlier
    /// attempt is overwritten by a later one.
    pub fn attempt_dir(index: usize, name: &str, attempt: u32) -> PathBuf {
        let dir = Self::scenario_dir(index, name);
        match attempt {
            0 | 1 => dir,
            n => dir.join(format!("attempt-{n}")),
        }
    }

    /// A step's file: `<scenario dir>/03-open-billing.png`, or with a shot name
    /// `<scenario dir>/03-open-billing--checkout-page.png`.
    pub fn step_file(
        scenario_dir: &Path,
        step_index: usize,
        step_name: &str,
        shot: Option<&str>,
        ext: &str,
    ) -> PathBuf {
        let base = format!("{:02}-{}", step_index + 1, slug(step_name));
        let file = match shot {
            Some(shot) => format!("{base}--{}.{ext}", slug(shot)),
            None => format!("{base}.{ext}"),
        };
        scenario_dir.join(file)
    }

    /// A clip's poster, next to it: `03-open-billing.mp4` → `03-open-billing.poster.jpg`.
    pub fn poster_file(clip: &str, ext: &str) -> String {
        let stem = clip.strip_suffix(".mp4").unwrap_or(clip);
        format!("{stem}.poster.{ext}")
    }

    /// Whether `relative` (a path from the report) names a non-empty file inside the folder;
    /// anything absolute or with `..` is not.
    pub fn has_artifact(&self, relative: &str) -> bool {
        let rel = Path::new(relative);
        if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return false;
        }
        std::fs::metadata(self.root.join(rel)).is_ok_and(|m| m.is_file() && m.len() > 0)
    }
}

/// Why a folder cannot be a new run's.
#[derive(Debug, thiserror::Error)]
#[error("the run folder {}: {problem}", path.display())]
pub struct FolderError {
    pub path: PathBuf,
    pub problem: FolderProblem,
}

#[derive(Debug, thiserror::Error)]
pub enum FolderProblem {
    #[error("it exists and is not empty; pass --overwrite to replace the earlier run in it, or choose another --out")]
    NotEmpty,
    #[error("it is not empty and holds no earlier walkthrough run (no report.json); choose another --out")]
    NotARun,
    #[error("it exists and is not a folder")]
    NotAFolder,
    #[error("{0}")]
    Io(io::Error),
}

/// Whether `dir` holds a walkthrough run: a `report.json` with a schema version and a run.
fn holds_a_run(dir: &Path) -> bool {
    std::fs::read(dir.join(RunFolder::REPORT))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .is_some_and(|r| r["schema_version"].is_u64() && r["run"]["id"].is_string())
}

/// Removes everything inside `dir` (not following symlinks), keeping `dir`.
fn empty(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

/// `relative` with `/` between components, as the report and the manifest write paths.
pub fn slash_path(relative: &Path) -> String {
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// Replaces `path` with `bytes` through `path.tmp` and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Lower-case ASCII letters and digits joined by single dashes, at most 48 characters.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out: String = out.trim_end_matches('-').chars().take(48).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        "unnamed".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_and_safe() {
        assert_eq!(
            slug("Open Billing from the account menu!"),
            "open-billing-from-the-account-menu"
        );
        assert_eq!(slug("  ../etc/passwd "), "etc-passwd");
        assert_eq!(slug("???"), "unnamed");
        assert!(slug(&"x".repeat(100)).len() <= 48);
    }

    #[test]
    fn a_new_run_never_mixes_with_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        RunFolder::prepare(&out, false).expect("a missing folder is created");
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        RunFolder::prepare(&empty, false).expect("an empty one is used");
        // Something unrelated: refused, with or without --overwrite, and left alone.
        std::fs::write(out.join("notes.txt"), "mine").unwrap();
        let err = RunFolder::prepare(&out, false).unwrap_err();
        assert!(matches!(err.problem, FolderProblem::NotEmpty), "{err}");
        assert!(err.to_string().contains("--overwrite"), "{err}");
        let err = RunFolder::prepare(&out, true).unwrap_err();
        assert!(matches!(err.problem, FolderProblem::NotARun), "{err}");
        assert!(out.join("notes.txt").exists());
        // An earlier run: replaced whole with --overwrite.
        std::fs::write(
            out.join(RunFolder::REPORT),
            r#"{"schema_version":2,"run":{"id":"old"}}"#,
        )
        .unwrap();
        std::fs::create_dir_all(out.join("scenarios/01-a")).unwrap();
        std::fs::write(out.join("scenarios/01-a/01.png"), "png").unwrap();
        assert!(RunFolder::prepare(&out, false).is_err());
        let folder = RunFolder::prepare(&out, true).expect("an earlier run is replaced");
        let left: Vec<_> = std::fs::read_dir(folder.root())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left, vec![std::ffi::OsString::from(RunFolder::LOGS)]);
        // A file where the folder should be.
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        let err = RunFolder::prepare(&file, true).unwrap_err();
        assert!(matches!(err.problem, FolderProblem::NotAFolder), "{err}");
    }

    #[test]
    fn writes_relative_paths_and_knows_its_artifacts() {
        let dir = tempfile::tempdir().unwrap();
        let folder = RunFolder::create(dir.path()).unwrap();
        assert!(dir.path().join(RunFolder::LOGS).is_dir());
        let rel = RunFolder::step_file(
            &RunFolder::scenario_dir(0, "New user"),
            2,
            "Open Billing",
            Some("shot 1"),
            "png",
        );
        let written = folder.write(&rel, b"png").unwrap();
        assert_eq!(written, "scenarios/01-new-user/03-open-billing--shot-1.png");
        assert_eq!(std::fs::read(dir.path().join(&written)).unwrap(), b"png");
        assert!(folder.has_artifact(&written));
        assert!(!folder.has_artifact("scenarios/01-new-user/missing.png"));
        assert!(!folder.has_artifact("../escape.png"));
        assert!(!folder.has_artifact("/etc/passwd"));
        folder.write(Path::new("empty.png"), b"").unwrap();
        assert!(
            !folder.has_artifact("empty.png"),
            "an empty file is no evidence"
        );
        folder
            .write_atomically(Path::new(RunFolder::REPORT), b"{}")
            .unwrap();
        assert_eq!(std::fs::read(folder.report_path()).unwrap(), b"{}");
        assert!(!dir.path().join("report.tmp").exists());
    }

    #[test]
    fn a_retry_keeps_its_files_apart_and_a_first_attempt_keeps_todays_names() {
        assert_eq!(
            RunFolder::attempt_dir(0, "New user", 1),
            RunFolder::scenario_dir(0, "New user")
        );
        let second = RunFolder::attempt_dir(0, "New user", 2);
        assert_eq!(slash_path(&second), "scenarios/01-new-user/attempt-2");
        assert_eq!(
            slash_path(&RunFolder::step_file(&second, 0, "Pay", None, "mp4")),
            "scenarios/01-new-user/attempt-2/01-pay.mp4"
        );
    }
}
