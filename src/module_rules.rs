//! The house rule that keeps the layering readable, checked on the source itself: no two
//! modules import each other, directly or through others (a parent and its own children
//! excepted: a parent dispatches to its children, the children use its shared types). Test
//! code and comments are left out. Reads `src/`; imports nothing of the crate.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every module of `src/` and its file: `runner::exec` → `src/runner/exec.rs`.
fn modules(root: &Path) -> BTreeMap<Module, PathBuf> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ is readable").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(root).unwrap().with_extension("");
            let mut parts: Module = rel.iter().map(|p| p.to_string_lossy().into()).collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] {
                parts.clear();
            }
            out.insert(parts, path);
        }
    }
    out
}

/// The code of a file without its tests and comments.
fn code(text: &str) -> String {
    let text = text
        .split("#[cfg(test)]\nmod tests")
        .next()
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The paths after `prefix` in `code`: `crate::runner::exec::Exec` → `[runner, exec, Exec]`.
fn paths_after<'a>(code: &'a str, prefix: &'a str) -> impl Iterator<Item = Vec<String>> + 'a {
    code.match_indices(prefix).map(move |(i, _)| {
        code[i + prefix.len()..]
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .next()
            .unwrap_or_default()
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// The longest module that `path` (from `base`) names.
fn module_of(mods: &BTreeMap<Module, PathBuf>, base: &[String], path: &[String]) -> Option<Module> {
    let full: Module = base.iter().chain(path).cloned().collect();
    (base.len() + 1..=full.len())
        .rev()
        .map(|k| full[..k].to_vec())
        .find(|m| mods.contains_key(m))
}

/// Module → the modules it imports, parents and children left out.
fn imports(mods: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, file) in mods {
        let code = code(&std::fs::read_to_string(file).unwrap_or_default());
        let parent = &module[..module.len().saturating_sub(1)];
        let found = paths_after(&code, "crate::")
            .filter_map(|p| module_of(mods, &[], &p))
            .chain(paths_after(&code, "super::").filter_map(|p| module_of(mods, parent, &p)));
        for target in found {
            let related = target.starts_with(module) || module.starts_with(&target);
            if !related {
                edges.entry(module.clone()).or_default().insert(target);
            }
        }
    }
    edges
}

/// A cycle through `start`, if there is one.
fn cycle_from(edges: &BTreeMap<Module, BTreeSet<Module>>, start: &Module) -> Option<Vec<Module>> {
    let mut stack = vec![(start.clone(), vec![start.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((at, path)) = stack.pop() {
        for next in edges.get(&at).into_iter().flatten() {
            if next == start {
                return Some(path.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_two_modules_import_each_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mods = modules(&root);
    assert!(mods.contains_key(&vec!["runner".to_string(), "exec".to_string()]));
    let edges = imports(&mods);
    assert!(
        edges[&vec!["runner".to_string(), "http_call".to_string()]]
            .contains(&vec!["runner".to_string(), "exec".to_string()]),
        "the checker sees `super::` imports"
    );
    let cycles: Vec<String> = mods
        .keys()
        .filter_map(|m| cycle_from(&edges, m))
        .map(|c| {
            c.iter()
                .map(|m| m.join("::"))
                .collect::<Vec<_>>()
                .join(" → ")
        })
        .collect();
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
}

#[test]
fn the_checker_finds_a_cycle() {
    let m = |s: &str| s.split("::").map(str::to_string).collect::<Module>();
    let edges = BTreeMap::from([
        (m("a::x"), BTreeSet::from([m("a::y")])),
        (m("a::y"), BTreeSet::from([m("b")])),
        (m("b"), BTreeSet::from([m("a::x")])),
    ]);
    assert_eq!(
        cycle_from(&edges, &m("a::x")),
        Some(vec![m("a::x"), m("a::y"), m("b")])
    );
    assert_eq!(cycle_from(&BTreeMap::new(), &m("a::x")), None);
}
