//! Turns what the browser shows into evidence files: screenshots, video ([`video`]: the
//! DevTools screencast, per-step clips and scenario videos), and the artifact store that
//! names and writes them inside the run folder. tokio-tungstenite lives here (the
//! screencast socket). Must not import the runner, the scenario model or evidence writers.

pub mod video;

use std::io;
use std::path::{Path, PathBuf};

/// Writes artifacts under the run folder and hands back their paths relative to it.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    root: PathBuf,
}

impl ArtifactStore {
    /// Creates the run folder if needed.
    pub fn create(root: &Path) -> io::Result<ArtifactStore> {
        std::fs::create_dir_all(root)?;
        Ok(ArtifactStore {
            root: root.to_path_buf(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Writes `bytes` to `relative` (creating folders); returns the relative path with `/`.
    pub fn write(&self, relative: &Path, bytes: &[u8]) -> io::Result<String> {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, bytes)?;
        Ok(relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"))
    }

    /// The folder for one scenario's artifacts: `scenarios/01-new-user-to-checkout`.
    pub fn scenario_dir(index: usize, name: &str) -> PathBuf {
        PathBuf::from("scenarios").join(format!("{:02}-{}", index + 1, slug(name)))
    }

    /// A step's screenshot path: `<scenario dir>/03-open-billing.png`, or with a shot name
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
    fn writes_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = ArtifactStore::create(dir.path()).unwrap();
        let rel = ArtifactStore::step_file(
            &ArtifactStore::scenario_dir(0, "New user"),
            2,
            "Open Billing",
            Some("shot 1"),
            "png",
        );
        let written = store.write(&rel, b"png").unwrap();
        assert_eq!(written, "scenarios/01-new-user/03-open-billing--shot-1.png");
        assert_eq!(std::fs::read(dir.path().join(&written)).unwrap(), b"png");
    }
}
