//! Which files a load reads, and reading one. Everything read is a regular `.yaml`/`.yml`
//! file under the scenario [`Root`] (symlinks resolved) of at most [`MAX_FILE_BYTES`]: a
//! file refused for its name, place, kind or size is never opened, so its content cannot
//! end up in a diagnostic. Directory walks skip `flows/`, read each folder once and
//! report symlinks that lead back to a folder being walked. The only part of the
//! parser that touches the file system; must not interpret what it reads.

use std::collections::HashSet;
use std::fs::{self, Metadata};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::super::limits::{human_bytes, MAX_FILE_BYTES};
use super::super::model::Location;
use super::super::yaml::{self, Node};
use super::Loader;

/// Entries of one folder looked at for "did you mean" on a missing flow.
const MAX_SIBLINGS: usize = 1000;

/// Removes `.` and resolves `..` lexically, so flow paths read well in diagnostics.
pub(super) fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// `path` made absolute against the working directory, `.` and `..` resolved lexically.
fn absolute(path: &Path) -> PathBuf {
    match std::env::current_dir() {
        Ok(cwd) => normalize(&cwd.join(path)),
        Err(_) => normalize(path),
    }
}

pub(super) fn is_yaml_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
}

fn is_loop(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// The folder every scenario and flow file must be in.
pub(super) struct Root {
    /// As shown in diagnostics: relative to the working directory when inside it.
    shown: PathBuf,
    /// Absolute, `..` resolved lexically.
    lexical: PathBuf,
    /// Absolute, symlinks resolved.
    canonical: PathBuf,
}

impl Root {
    /// `explicit`, or the common folder of `paths` (a file's folder, a directory itself).
    pub fn new(explicit: Option<&Path>, paths: &[PathBuf]) -> Result<Self, std::io::Error> {
        let lexical = match explicit {
            Some(root) => absolute(root),
            None => common_folder(paths),
        };
        let canonical = match fs::canonicalize(&lexical) {
            Ok(c) => c,
            Err(e) if explicit.is_some() => return Err(e),
            // The paths do not exist: each is reported, and nothing is read.
            Err(_) => lexical.clone(),
        };
        let shown = match std::env::current_dir() {
            Ok(cwd) if lexical == cwd => PathBuf::from("."),
            Ok(cwd) => lexical
                .strip_prefix(&cwd)
                .map_or_else(|_| lexical.clone(), Path::to_path_buf),
            Err(_) => lexical.clone(),
        };
        Ok(Self {
            shown,
            lexical,
            canonical,
        })
    }

    /// Whether `path`, as written, is under the root (no file system access).
    fn holds_name(&self, path: &Path) -> bool {
        let abs = absolute(path);
        abs.starts_with(&self.lexical) || abs.starts_with(&self.canonical)
    }

    /// Whether a symlink-free absolute path is under the root.
    fn holds(&self, canonical: &Path) -> bool {
        canonical.starts_with(&self.canonical)
    }

    pub fn shown(&self) -> &Path {
        &self.shown
    }
}

fn common_folder(paths: &[PathBuf]) -> PathBuf {
    let mut common: Option<PathBuf> = None;
    for p in paths {
        let abs = absolute(p);
        let folder = if p.is_dir() {
            abs
        } else {
            abs.parent().map_or_else(|| abs.clone(), Path::to_path_buf)
        };
        common = Some(match common {
            None => folder,
            Some(c) => c
                .components()
                .zip(folder.components())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect(),
        });
    }
    common.unwrap_or_else(|| absolute(Path::new(".")))
}

/// Why a file was not read. The `Display` text completes "cannot read `path`: …".
#[derive(Debug, thiserror::Error)]
pub(super) enum ReadError {
    #[error("outside the scenario folder `{0}`")]
    Outside(String),
    #[error("not a `.yaml` or `.yml` file")]
    NotYaml,
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    #[error("not a regular file (it holds more than its size says, like files under /proc)")]
    Pseudo,
    #[error("too large ({size} bytes; at most {limit})", limit = human_bytes(MAX_FILE_BYTES))]
    TooLarge { size: u64 },
    #[error("a symlink loop")]
    Loop,
    #[error("not UTF-8 text")]
    NotUtf8,
    #[error("{0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        if is_loop(&e) {
            ReadError::Loop
        } else {
            ReadError::Io(e)
        }
    }
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }

    /// What a `use:` should name instead, where that helps.
    pub fn help(&self) -> Option<&'static str> {
        match self {
            ReadError::Outside(_) => Some("flows are read only from the scenario folder and below"),
            ReadError::NotYaml => Some("a flow is a `.yaml` or `.yml` file"),
            _ => None,
        }
    }
}

/// What a file that is not a regular file is, for "not a regular file (a FIFO)".
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// The text of `path`, if it is a regular `.yaml`/`.yml` file under `root` of at most
/// [`MAX_FILE_BYTES`]. The name and place are checked before the file system is touched;
/// kind and size before the file is opened, and again on the opened file.
pub(super) fn read_checked(path: &Path, root: &Root) -> Result<String, ReadError> {
    let outside = || ReadError::Outside(root.shown().display().to_string());
    if !root.holds_name(path) {
        return Err(outside());
    }
    if !is_yaml_name(path) {
        return Err(ReadError::NotYaml);
    }
    let canonical = fs::canonicalize(path)?;
    if !root.holds(&canonical) {
        return Err(outside());
    }
    check_regular(&fs::metadata(&canonical)?)?;
    // O_NONBLOCK: should the path have become a FIFO since, opening it does not wait.
    let file = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW)
        .open(&canonical)?;
    let size = file.metadata()?;
    check_regular(&size)?;
    // Never more than the size checked: files under /proc say 0 and hold more.
    let mut bytes = Vec::new();
    file.take(size.len() + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > size.len() {
        return Err(ReadError::Pseudo);
    }
    String::from_utf8(bytes).map_err(|_| ReadError::NotUtf8)
}

fn check_regular(meta: &Metadata) -> Result<(), ReadError> {
    if !meta.is_file() {
        return Err(ReadError::NotRegular(kind_of(meta)));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge { size: meta.len() });
    }
    Ok(())
}

/// A file read and parsed: its tree (`None` when empty or unparseable), and whether
/// the YAML itself had problems (already reported).
pub(super) struct Parsed {
    pub tree: Option<Node>,
    pub yaml_problems: bool,
}

/// Folders of one directory walk: every one seen (each is read once), and the ones
/// being walked, to name the folder a symlink loop leads back to.
#[derive(Default)]
struct Walk {
    seen: HashSet<(u64, u64)>,
    open: Vec<((u64, u64), PathBuf)>,
}

impl Loader<'_> {
    /// The scenario files named by `paths`: files as given, directories walked.
    pub(super) fn collect(&mut self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for path in paths {
            match fs::metadata(path) {
                Err(e) => {
                    self.whole_file(path, format!("cannot read `{}`: {e}", path.display()), None)
                }
                Ok(m) if m.is_dir() => {
                    let before = files.len();
                    self.enter(path, &m, &mut Walk::default(), &mut files);
                    if files.len() == before {
                        let msg = format!(
                            "no scenario files (`*.yaml`, `*.yml`) in `{}`",
                            path.display()
                        );
                        self.whole_file(path, msg, None);
                    }
                }
                Ok(_) => files.push(path.clone()),
            }
        }
        let mut seen = HashSet::new();
        files.retain(|f| seen.insert(fs::canonicalize(f).unwrap_or_else(|_| normalize(f))));
        files
    }

    /// Walks the folder `dir` unless it was walked already, leads back to a folder being
    /// walked (a symlink loop, reported) or leads outside the root (reported).
    fn enter(&mut self, dir: &Path, meta: &Metadata, walk: &mut Walk, out: &mut Vec<PathBuf>) {
        let id = (meta.dev(), meta.ino());
        if let Some((_, back)) = walk.open.iter().find(|(open, _)| *open == id) {
            let msg = format!(
                "symlink loop: `{}` leads back to `{}`",
                dir.display(),
                back.display()
            );
            let help = Some("each folder is read once; remove the link".into());
            self.whole_file(dir, msg, help);
            return;
        }
        if !walk.seen.insert(id) {
            return;
        }
        if !fs::canonicalize(dir).is_ok_and(|c| self.root.holds(&c)) {
            let msg = format!(
                "cannot read `{}`: outside the scenario folder `{}`",
                dir.display(),
                self.root.shown().display()
            );
            self.whole_file(dir, msg, None);
            return;
        }
        walk.open.push((id, dir.to_path_buf()));
        self.walk(dir, walk, out);
        walk.open.pop();
    }

    /// A folder met while walking: `flows/` holds flows, not scenarios.
    fn enter_unless_flows(
        &mut self,
        dir: &Path,
        meta: &Metadata,
        walk: &mut Walk,
        out: &mut Vec<PathBuf>,
    ) {
        if dir.file_name() != Some("flows".as_ref()) {
            self.enter(dir, meta, walk, out);
        }
    }

    /// The `*.yaml` / `*.yml` files under `dir`, sorted, not descending into `flows/`.
    fn walk(&mut self, dir: &Path, walk: &mut Walk, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            match fs::metadata(&p) {
                Ok(m) if m.is_dir() => self.enter_unless_flows(&p, &m, walk, out),
                // Links that lead nowhere, or in a circle: reading reports them.
                _ if is_yaml_name(&p) => out.push(p),
                _ => {}
            }
        }
    }

    /// Reads and parses `file`, keeping its text for diagnostics and reporting its YAML
    /// problems.
    pub(super) fn read_tree(&mut self, file: &Path) -> Result<Parsed, ReadError> {
        let text = read_checked(file, &self.root)?;
        let mut problems = Vec::new();
        let tree = yaml::parse(&text, &mut problems);
        self.lines.insert(file.to_path_buf(), line_starts(&text));
        self.sources.insert(file.to_path_buf(), Arc::from(text));
        let yaml_problems = !problems.is_empty();
        for p in problems {
            let at = Location {
                file: file.to_path_buf(),
                line: p.line,
                column: p.col,
            };
            self.push(at, p.message, p.help);
        }
        Ok(Parsed {
            tree,
            yaml_problems,
        })
    }

    /// Line `line` (1-based) of a file read, without its line break.
    pub(super) fn source_line(&self, file: &Path, line: usize) -> Option<&str> {
        let text = self.sources.get(file)?;
        let starts = self.lines.get(file)?;
        let start = *starts.get(line.checked_sub(1)?)?;
        let l = text.get(start..)?.split('\n').next().unwrap_or_default();
        Some(l.strip_suffix('\r').unwrap_or(l))
    }

    /// The names of the YAML files next to `path` (in the root), for "did you mean" on a
    /// missing flow.
    pub(super) fn sibling_names(&self, path: &Path) -> Vec<String> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !fs::canonicalize(dir).is_ok_and(|c| self.root.holds(&c)) {
            return Vec::new();
        }
        let Ok(entries) = fs::read_dir(dir) else {
            return Vec::new();
        };
        entries
            .take(MAX_SIBLINGS)
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| is_yaml_name(p))
            .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
            .collect()
    }
}

/// Byte offsets where each line of `text` starts.
fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&i| i < text.len() || i == 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_starts_index_every_line() {
        assert_eq!(line_starts("a\nbc\n\nd"), vec![0, 2, 5, 6]);
        assert_eq!(line_starts("a\n"), vec![0]);
        assert_eq!(line_starts(""), vec![0]);
    }

    #[test]
    fn normalize_stays_at_the_file_system_root() {
        assert_eq!(normalize(Path::new("/a/../../etc")), PathBuf::from("/etc"));
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../x")), PathBuf::from("../x"));
    }
}
