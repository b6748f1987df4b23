//! `manifest.json`: every file in the run folder with its size and SHA-256, so the evidence
//! can be checked later (`verify` re-hashes and names what changed).

use std::io;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The manifest's own file name; it is never listed in itself.
pub const MANIFEST: &str = crate::run_folder::RunFolder::MANIFEST;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always `sha256`.
    pub algorithm: String,
    /// Sorted by path.
    pub files: Vec<ManifestEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Relative to the run folder, `/`-separated.
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// Hashes every regular file under `dir` (not following symlinks), except the manifest
/// itself and half-written `*.tmp` files.
pub fn manifest(dir: &Path) -> io::Result<Manifest> {
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort_by(|a: &ManifestEntry, b| a.path.cmp(&b.path));
    Ok(Manifest {
        algorithm: "sha256".into(),
        files,
    })
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<ManifestEntry>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path
                .strip_prefix(root)
                .map_err(io::Error::other)?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            if rel == MANIFEST || rel.ends_with(".tmp") {
                continue;
            }
            let (size, sha256) = hash_file(&path)?;
            out.push(ManifestEntry {
                path: rel,
                size,
                sha256,
            });
        }
    }
    Ok(())
}

fn hash_file(path: &Path) -> io::Result<(u64, String)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let size = io::copy(&mut file, &mut hasher)?;
    Ok((size, hex::encode(hasher.finalize())))
}

/// Why a run folder cannot be checked at all.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{}: no manifest.json to check against: {source}", .dir.display())]
    NoManifest {
        dir: std::path::PathBuf,
        source: io::Error,
    },
    #[error("{}: manifest.json is not a manifest: {source}", .dir.display())]
    BadManifest {
        dir: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error("{}: {source}", .dir.display())]
    Read {
        dir: std::path::PathBuf,
        source: io::Error,
    },
}

/// Re-hashes the run folder `dir` against its own `manifest.json`: one line per changed,
/// missing or unlisted file (empty when everything matches).
pub fn verify_folder(dir: &Path) -> Result<Vec<String>, VerifyError> {
    let m = read_manifest(dir)?;
    verify(dir, &m).map_err(|source| VerifyError::Read {
        dir: dir.to_path_buf(),
        source,
    })
}

/// The run folder `dir`'s own `manifest.json`.
pub fn read_manifest(dir: &Path) -> Result<Manifest, VerifyError> {
    let owned = || dir.to_path_buf();
    let bytes = std::fs::read(dir.join(MANIFEST)).map_err(|source| VerifyError::NoManifest {
        dir: owned(),
        source,
    })?;
    serde_json::from_slice(&bytes).map_err(|source| VerifyError::BadManifest {
        dir: owned(),
        source,
    })
}

/// Problems found when re-checking `dir` against `m`: changed, missing and unlisted files.
pub fn verify(dir: &Path, m: &Manifest) -> io::Result<Vec<String>> {
    let now = manifest(dir)?;
    let mut problems = Vec::new();
    for want in &m.files {
        match now.files.iter().find(|f| f.path == want.path) {
            None => problems.push(format!("{}: missing", want.path)),
            Some(got) if got != want => problems.push(format!("{}: changed", want.path)),
            Some(_) => {}
        }
    }
    for got in &now.files {
        if !m.files.iter().any(|f| f.path == got.path) {
            problems.push(format!("{}: not in the manifest", got.path));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_file_with_size_and_sha256_and_detects_changes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("scenarios/01-a")).unwrap();
        std::fs::write(dir.path().join("report.json"), b"{}").unwrap();
        std::fs::write(dir.path().join("scenarios/01-a/01-open.png"), b"abc").unwrap();
        std::fs::write(dir.path().join("report.tmp"), b"half").unwrap();
        std::fs::write(dir.path().join(MANIFEST), b"old").unwrap();
        let m = manifest(dir.path()).unwrap();
        assert_eq!(m.algorithm, "sha256");
        let paths: Vec<&str> = m.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["report.json", "scenarios/01-a/01-open.png"]);
        // SHA-256("abc"), the FIPS 180-2 test vector.
        assert_eq!(
            m.files[1].sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(m.files[1].size, 3);
        assert!(verify(dir.path(), &m).unwrap().is_empty());

        std::fs::write(dir.path().join("scenarios/01-a/01-open.png"), b"abd").unwrap();
        std::fs::remove_file(dir.path().join("report.json")).unwrap();
        std::fs::write(dir.path().join("extra.txt"), b"x").unwrap();
        let problems = verify(dir.path(), &m).unwrap();
        assert_eq!(
            problems,
            [
                "report.json: missing",
                "scenarios/01-a/01-open.png: changed",
                "extra.txt: not in the manifest"
            ]
        );
    }
}
