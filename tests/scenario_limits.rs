//! Scenarios stay in their folder and loading stays bounded: what `use:` and the paths
//! given may read, what is never opened or shown, and the cap on reported problems.
//! Each case runs on its own temporary folder.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use walkthrough::scenario::limits::MAX_RENDERED;
use walkthrough::scenario::{load, Diagnostics, LoadOptions, LoadedScenarios};

/// A value only this test process has in its environment.
const SECRET: &str = "polar_oat_wt_limits_5e4a9c1f";

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

/// A FIFO at `path` (its folder created first).
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0, "mkfifo");
}

fn uses(flows: &[&str]) -> String {
    let mut s = String::from("name: T\nsteps:\n");
    for f in flows {
        s.push_str(&format!("  - use: {f}\n"));
    }
    s
}

#[test]
fn use_reads_no_file_outside_the_scenario_folder_and_never_shows_one() {
    std::env::set_var("WALKTHROUGH_LIMITS_TEST_TOKEN", SECRET);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("scenarios");
    std::fs::create_dir_all(root.join("flows")).unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", root.join("flows/env.yaml")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("flows/passwd.yaml")).unwrap();
    write(&root, "flows/notes.txt", "not a flow\n");
    let main = write(
        &root,
        "s.yaml",
        &uses(&[
            "/proc/self/environ",
            "/etc/shadow",
            "../../../../../../etc/passwd",
            "/dev/zero",
            "flows/env.yaml",
            "flows/passwd.yaml",
            "flows/notes.txt",
        ]),
    );
    let (d, rendered) = problems(vec![main]);
    let lines: Vec<(usize, &str)> = d
        .items
        .iter()
        .map(|i| (i.location.line, i.message.as_str()))
        .collect();
    assert_eq!(lines.len(), 7, "{rendered}");
    for (line, message) in &lines[..6] {
        assert!(
            message.starts_with("cannot use flow file `")
                && message.contains("`: outside the scenario folder `"),
            "line {line}: {message}"
        );
    }
    assert!(lines[6]
        .1
        .ends_with("notes.txt`: not a `.yaml` or `.yml` file"));
    assert!(!rendered.contains(SECRET), "{rendered}");
    assert!(!rendered.contains("root:"), "{rendered}");
    assert!(!rendered.contains("not a flow"), "{rendered}");
}

#[test]
fn files_whose_size_is_not_what_they_hold_are_refused_even_inside_the_root() {
    std::env::set_var("WALKTHROUGH_LIMITS_TEST_TOKEN", SECRET);
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("env.yaml");
    std::os::unix::fs::symlink("/proc/self/environ", &link).unwrap();
    // A root of `/` holds /proc: the file is still refused, before its text is parsed.
    let opts = LoadOptions {
        root: Some(PathBuf::from("/")),
        ..LoadOptions::with_cli_vars(vec![])
    };
    let d = within(Duration::from_secs(30), move || load(&[link], &opts)).unwrap_err();
    let rendered = d.render();
    assert_eq!(d.items.len(), 1, "{rendered}");
    assert!(
        d.items[0].message.ends_with(
            "not a regular file (it holds more than its size says, like files under /proc)"
        ),
        "{rendered}"
    );
    assert!(!rendered.contains(SECRET), "{rendered}");
}

#[test]
fn scenario_files_given_directly_are_yaml_files_and_never_shown_otherwise() {
    std::env::set_var("WALKTHROUGH_LIMITS_TEST_TOKEN", SECRET);
    let (d, rendered) = problems(vec![PathBuf::from("/proc/self/environ")]);
    assert_eq!(
        d.items[0].message,
        "cannot read `/proc/self/environ`: not a `.yaml` or `.yml` file"
    );
    assert_eq!(d.items.len(), 1);
    assert!(!rendered.contains(SECRET), "{rendered}");
}

#[test]
fn an_explicit_root_confines_the_paths_given_too() {
    let dir = tempfile::tempdir().unwrap();
    let inside = write(
        dir.path(),
        "a/s.yaml",
        "name: A\nsteps:\n  - name: S\n    do: [ { open: / } ]\n",
    );
    let outside = write(
        dir.path(),
        "b/s.yaml",
        "name: B\nsteps:\n  - name: S\n    do: [ { open: / } ]\n",
    );
    let opts = LoadOptions {
        root: Some(dir.path().join("a")),
        ..LoadOptions::with_cli_vars(vec![])
    };
    assert!(load(std::slice::from_ref(&inside), &opts).is_ok());
    let d = load(&[outside], &opts).unwrap_err();
    assert!(
        d.items[0]
            .message
            .contains("`: outside the scenario folder `"),
        "{}",
        d.render()
    );
    let missing = LoadOptions {
        root: Some(dir.path().join("nope")),
        ..LoadOptions::with_cli_vars(vec![])
    };
    let d = load(&[inside], &missing).unwrap_err();
    assert!(d.items[0]
        .message
        .starts_with("cannot read the scenario folder `"));
}

#[test]
fn non_regular_files_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    mkfifo(&dir.path().join("flows/fifo.yaml"));
    std::fs::create_dir_all(dir.path().join("flows/folder.yaml")).unwrap();
    let main = write(
        dir.path(),
        "s.yaml",
        &uses(&["flows/fifo.yaml", "flows/folder.yaml"]),
    );
    let (d, rendered) = problems(vec![main]);
    let messages: Vec<&str> = d.items.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(messages.len(), 2, "{rendered}");
    assert!(
        messages[0].ends_with("fifo.yaml`: not a regular file (a FIFO)"),
        "{rendered}"
    );
    assert!(
        messages[1].ends_with("folder.yaml`: not a regular file (a directory)"),
        "{rendered}"
    );

    // Given directly, and met while walking a folder: the same, and no hang.
    let fifo = dir.path().join("flows/fifo.yaml");
    let (d, _) = problems(vec![fifo]);
    assert!(d.items[0].message.ends_with("not a regular file (a FIFO)"));
    let walked = tempfile::tempdir().unwrap();
    mkfifo(&walked.path().join("pipe.yaml"));
    let (d, _) = problems(vec![walked.path().to_path_buf()]);
    assert!(d.items[0]
        .message
        .ends_with("pipe.yaml`: not a regular file (a FIFO)"));
}

#[test]
fn files_over_the_size_limit_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = write(dir.path(), "flows/big.yaml", "");
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(2 << 20)
        .unwrap();
    let main = write(dir.path(), "s.yaml", &uses(&["flows/big.yaml"]));
    let (d, _) = problems(vec![main]);
    assert!(
        d.items[0]
            .message
            .ends_with("big.yaml`: too large (2097152 bytes; at most 1 MiB)"),
        "{}",
        d.items[0].message
    );
    let (d, _) = problems(vec![big]);
    assert!(d.items[0]
        .message
        .ends_with("too large (2097152 bytes; at most 1 MiB)"));
}

#[test]
fn symlink_loops_are_detected_and_each_folder_read_once() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "s.yaml",
        "name: T\nsteps:\n  - name: S\n    do: [ { open: / } ]\n",
    );
    // Two links back to the folder: walking through them would be exponential.
    std::os::unix::fs::symlink(".", root.join("a")).unwrap();
    std::os::unix::fs::symlink(".", root.join("b")).unwrap();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", root.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("loop-b.yaml", root.join("loop-a.yaml")).unwrap();
    std::os::unix::fs::symlink("loop-a.yaml", root.join("loop-b.yaml")).unwrap();
    let started = Instant::now();
    let (d, rendered) = problems(vec![root.to_path_buf()]);
    assert!(started.elapsed() < Duration::from_secs(10));
    let messages: Vec<&str> = d.items.iter().map(|i| i.message.as_str()).collect();
    assert_eq!(messages.len(), 5, "{rendered}");
    assert!(
        messages[0].starts_with("symlink loop: `") && messages[0].contains("/a` leads back to `")
    );
    assert!(
        messages[1].starts_with("symlink loop: `") && messages[1].contains("/b` leads back to `")
    );
    assert!(
        messages[2].ends_with("loop-a.yaml`: a symlink loop"),
        "{rendered}"
    );
    assert!(
        messages[3].ends_with("loop-b.yaml`: a symlink loop"),
        "{rendered}"
    );
    assert!(
        messages[4].contains("/sub/up` leads back to `"),
        "{rendered}"
    );
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
