//! Which files a load reads (paths given, directories walked) and reading one into a
//! node tree, its text kept for diagnostics.

use std::collections::HashSet;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use super::super::yaml::{self, Node};
use super::Loader;

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
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// A file read and parsed: its tree (`None` when empty or unparseable), and whether
/// the YAML itself had problems (already reported).
pub(super) struct Parsed {
    pub tree: Option<Node>,
    pub yaml_problems: bool,
}

impl Loader<'_> {
    /// The scenario files named by `paths`: files as given, directories walked.
    pub(super) fn collect(&mut self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for path in paths {
            match std::fs::metadata(path) {
                Err(e) => {
                    self.whole_file(path, format!("cannot read `{}`: {e}", path.display()), None)
                }
                Ok(m) if m.is_dir() => {
                    let before = files.len();
                    walk(path, &mut files);
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
        files.retain(|f| seen.insert(normalize(f)));
        files
    }

    /// Reads and parses `file`, keeping its text for diagnostics and reporting its YAML
    /// problems.
    pub(super) fn read_tree(&mut self, file: &Path) -> Result<Parsed, std::io::Error> {
        let text = std::fs::read_to_string(file)?;
        let mut problems = Vec::new();
        let tree = yaml::parse(&text, &mut problems);
        self.lines.insert(file.to_path_buf(), line_starts(&text));
        self.sources.insert(file.to_path_buf(), Arc::from(text));
        let yaml_problems = !problems.is_empty();
        for p in problems {
            let at = super::Location {
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
}

/// The names of the YAML files next to `path`, for "did you mean" on a missing flow.
pub(super) fn sibling_names(path: &Path) -> Vec<String> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut names = Vec::new();
    walk(dir, &mut names);
    names
        .iter()
        .filter_map(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .collect()
}

/// The `*.yaml` / `*.yml` files under `dir`, sorted, not descending into `flows/`.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "flows") {
                walk(&p, out);
            }
        } else if is_yaml_name(&p) {
            out.push(p);
        }
    }
}

pub(super) fn is_yaml_name(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "yaml" || e == "yml")
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
}
