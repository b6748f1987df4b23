//! Loading stays bounded: the caps on reported problems. Each case runs on its own
//! temporary folder.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use walkthrough::scenario::limits::MAX_RENDERED;
use walkthrough::scenario::{load, Diagnostics, LoadOptions, LoadedScenarios};

/// Runs `f` on another thread; fails the test when it takes longer than `limit` (a hang
/// on a FIFO, an exponential walk).
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .unwrap_or_else(|_| panic!("did not finish within {limit:?}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    p
}

fn load_in(paths: Vec<PathBuf>) -> Result<LoadedScenarios, Diagnostics> {
    within(Duration::from_secs(60), move || {
        load(&paths, &LoadOptions::with_cli_vars(vec![]))
    })
}

/// The rendered diagnostics of a load that must fail.
fn problems(paths: Vec<PathBuf>) -> (Diagnostics, String) {
    let d = load_in(paths).expect_err("the load reports problems");
    let rendered = d.render();
    (d, rendered)
}

#[test]
fn a_hundred_thousand_problems_render_fast_and_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let items = vec!["x"; 5000].join(", ");
    for f in 0..20 {
        write(
            dir.path(),
            &format!("s{f:02}.yaml"),
            &format!("name: T\nsteps:\n  - name: S\n    do: [{items}]\n"),
        );
    }
    let started = Instant::now();
    let (d, rendered) = problems(vec![dir.path().to_path_buf()]);
    let took = started.elapsed();
    assert_eq!(d.items.len(), 100_000);
    assert!(took < Duration::from_secs(15), "took {took:?}");
    assert_eq!(rendered.matches("error: ").count(), MAX_RENDERED);
    assert!(rendered.ends_with("\n... and 99950 more problems, not shown\n"));
    assert!(
        rendered.len() < MAX_RENDERED * 600,
        "{} bytes",
        rendered.len()
    );
}
