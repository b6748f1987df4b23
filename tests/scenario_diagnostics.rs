//! Snapshot test: every invalid scenario under `fixtures/invalid/` renders exactly the
//! diagnostics in the `.expected` file next to it. `UPDATE_EXPECT=1` rewrites them
//! (review the diff before committing).

use std::path::{Path, PathBuf};

use walkthrough::scenario::{load, LoadOptions};

fn fixtures() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("fixtures/invalid")
        .expect("fixtures/invalid exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn invalid_fixtures_render_their_expected_diagnostics() {
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let files = fixtures();
    assert!(files.len() >= 20, "one fixture per kind of problem");
    let mut mismatches = Vec::new();
    for file in files {
        let opts = LoadOptions::with_cli_vars(vec![]);
        let diags = match load(std::slice::from_ref(&file), &opts) {
            Ok(_) => {
                mismatches.push(format!("{} loaded without diagnostics", file.display()));
                continue;
            }
            Err(d) => d,
        };
        let rendered = diags.render();
        assert!(rendered.contains(" --> fixtures/invalid/"), "{rendered}");
        let expected_path = file.with_extension("expected");
        if update {
            std::fs::write(&expected_path, &rendered).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_else(|_| {
            panic!(
                "missing {} (run with UPDATE_EXPECT=1)",
                expected_path.display()
            )
        });
        if expected != rendered {
            mismatches.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{rendered}",
                file.display()
            ));
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

#[test]
fn every_expected_file_has_its_fixture() {
    for entry in std::fs::read_dir("fixtures/invalid").unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "expected") {
            assert!(
                Path::new(&p.with_extension("yaml")).exists(),
                "{} has no fixture",
                p.display()
            );
        }
    }
}

#[test]
fn all_invalid_fixtures_at_once_report_everything_sorted() {
    let opts = LoadOptions::with_cli_vars(vec![]);
    let files = fixtures();
    let diags = load(&files, &opts).unwrap_err();
    let locations: Vec<_> = diags.items.iter().map(|d| d.location.clone()).collect();
    let mut sorted = locations.clone();
    sorted.sort();
    assert_eq!(locations, sorted);
    // Loading them together reports what each reports alone.
    for f in &files {
        let one = load(std::slice::from_ref(f), &opts).unwrap_err();
        assert!(!one.items.is_empty());
        for d in &one.items {
            assert!(diags.items.contains(d), "{d:?} missing when loading all");
        }
    }
}
