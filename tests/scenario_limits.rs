//! Scenarios stay in their folder and loading stays bounded: what `use:` and the paths
//! given may read, what is never opened or shown, and the caps on expansion, values and
//! reported problems. Each case runs on its own temporary folder.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use walkthrough::scenario::limits::{MAX_RENDERED, MAX_VALUE_BYTES};
use walkthrough::scenario::{
    load, Diagnostics, LoadOptions, LoadedScenarios, Location, Scenario, Template, Vars,
};

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
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils) runs");
    assert!(status.success(), "mkfifo {}", path.display());
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
fn flow_params_doubling_down_a_chain_stop_at_the_value_cap_with_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(
        dir.path(),
        "s.yaml",
        "name: T\nsteps:\n  - use: flows/f0.yaml\n    with: { x: \"ab\" }\n",
    );
    for i in 0..30 {
        let next = format!(
            "params: [x]\nsteps:\n  - use: f{}.yaml\n    with: {{ x: \"${{x}}${{x}}\" }}\n",
            i + 1
        );
        write(dir.path(), &format!("flows/f{i}.yaml"), &next);
    }
    write(
        dir.path(),
        "flows/f30.yaml",
        "params: [x]\nsteps:\n  - name: \"${x}\"\n    do: [ { open: / } ]\n",
    );
    let started = Instant::now();
    let (d, rendered) = problems(vec![main]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(d.items.len(), 1, "{rendered}");
    let p = &d.items[0];
    assert_eq!(
        p.message,
        "this value becomes longer than 64 KiB when flow params are filled in"
    );
    // 2 bytes doubled 15 times is 64 KiB: the 16th flow's `with:` is one too many.
    assert!(p.location.file.ends_with("flows/f15.yaml"), "{rendered}");
    let help = p.help.as_deref().unwrap();
    assert!(help.starts_with("expanded through `use:` at "), "{help}");
    assert!(help.contains("s.yaml:3:10 → "), "{help}");
    assert!(
        help.contains("… 10 more …") && help.ends_with("f14.yaml:3:10"),
        "{help}"
    );
}

#[test]
fn vars_doubling_are_reported_by_check() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("name: V\nvars:\n  v0: ab\n");
    for i in 1..=30 {
        text.push_str(&format!("  v{i}: \"${{v{}}}${{v{}}}\"\n", i - 1, i - 1));
    }
    text.push_str("steps:\n  - name: S\n    do: [ { open: \"/${v30}\" } ]\n");
    let (d, rendered) = problems(vec![write(dir.path(), "v.yaml", &text)]);
    assert_eq!(d.items.len(), 1, "{rendered}");
    assert_eq!(
        d.items[0].message,
        "`v16` becomes longer than 64 KiB (at least 131072 bytes) once its `${…}` are filled in"
    );
    assert_eq!(d.items[0].location.line, 19);
}

#[test]
fn a_use_fan_out_stops_at_the_expansion_cap() {
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "s.yaml", &uses(&["flows/g0.yaml"]));
    for i in 0..25 {
        let twice = format!("steps:\n  - use: g{0}.yaml\n  - use: g{0}.yaml\n", i + 1);
        write(dir.path(), &format!("flows/g{i}.yaml"), &twice);
    }
    write(
        dir.path(),
        "flows/g25.yaml",
        "steps:\n  - name: leaf\n    do: [ { open: / } ]\n",
    );
    let started = Instant::now();
    let (d, rendered) = problems(vec![main]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "2^25 leaves were expanded"
    );
    assert_eq!(d.items.len(), 1, "{rendered}");
    assert_eq!(
        d.items[0].message,
        "this scenario expands to more than 10000 steps, actions and `use:`s"
    );
    let help = d.items[0].help.as_deref().unwrap();
    assert!(help.starts_with("expanded through `use:` at "), "{help}");
}

/// A chain of 3,000 flows, each using the next: every level keeps the `use:` sites that led
/// to it, so an unbounded depth cost memory as its square (600 MB for this chain). The load
/// stops at the depth cap with one diagnostic naming the chain, and reads no deeper.
#[test]
fn a_deep_use_chain_stops_at_the_depth_cap_with_the_chain() {
    use walkthrough::scenario::limits::MAX_USE_DEPTH;
    let dir = tempfile::tempdir().unwrap();
    let main = write(dir.path(), "s.yaml", &uses(&["flows/f0.yaml"]));
    for i in 0..3000 {
        let text = format!(
            "steps:\n  - name: S{i}\n    do:\n      - open: /\n  - use: f{}.yaml\n",
            i + 1
        );
        write(dir.path(), &format!("flows/f{i}.yaml"), &text);
    }
    let (d, rendered) = problems(vec![main]);
    assert_eq!(d.items.len(), 1, "{rendered}");
    assert_eq!(
        d.items[0].message,
        format!("flows nest more than {MAX_USE_DEPTH} `use:` deep here")
    );
    let at = &d.items[0].location;
    assert_eq!(
        at.file,
        dir.path()
            .join(format!("flows/f{}.yaml", MAX_USE_DEPTH - 2))
    );
    let help = d.items[0].help.as_deref().unwrap();
    assert!(help.starts_with("expanded through `use:` at "), "{help}");
    assert!(help.contains("more …"), "a long chain is cut: {help}");
}

#[test]
fn a_large_flow_used_often_stops_at_the_text_cap() {
    let dir = tempfile::tempdir().unwrap();
    let long = "a".repeat(MAX_VALUE_BYTES - 100);
    write(
        dir.path(),
        "flows/big.yaml",
        &format!("steps:\n  - name: big\n    do: [ {{ open: \"/{long}\" }} ]\n"),
    );
    let main = write(dir.path(), "s.yaml", &uses(&["flows/big.yaml"; 300]));
    let (d, rendered) = problems(vec![main]);
    assert_eq!(
        d.items.len(),
        1,
        "{}",
        &rendered[..rendered.len().min(2000)]
    );
    assert_eq!(
        d.items[0].message,
        "this scenario expands to more than 16 MiB of text"
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

#[test]
fn rendering_refuses_to_build_a_value_over_the_cap() {
    let at = Location {
        file: "s.yaml".into(),
        line: 4,
        column: 9,
    };
    let t = |raw: &str| Template {
        raw: raw.into(),
        location: at.clone(),
    };
    let mut vars = Vars::new();
    vars.set("half", &"x".repeat(MAX_VALUE_BYTES / 2 + 1));
    assert!(vars.render(&t("${half}")).is_ok());
    let err = vars.render(&t("${half}${half}")).unwrap_err();
    assert_eq!(
        err,
        "`${half}` makes the value longer than 64 KiB (at s.yaml:4:9)"
    );
    let body = serde_json::json!({ "a": "${half}", "b": ["${half}"] });
    let err = vars.render_json(&body, &at).unwrap_err();
    assert!(
        err.starts_with("the strings of the JSON body together are longer than 64 KiB"),
        "{err}"
    );

    // The doubling chain in `vars` fails the scenario's setup, at 64 KiB not gigabytes.
    let scenario = Scenario {
        name: "V".into(),
        slot: None,
        file: "s.yaml".into(),
        location: at.clone(),
        vars: std::iter::once(("v0".to_string(), t("ab")))
            .chain((1..=30).map(|i| {
                (
                    format!("v{i}"),
                    t(&format!("${{v{}}}${{v{}}}", i - 1, i - 1)),
                )
            }))
            .collect(),
        secret_vars: vec![],
        targets: vec![],
        allow_rejected_webhooks: false,
        given: vec![],
        steps: vec![],
    };
    let err = Vars::new().extend_from_scenario(&scenario).unwrap_err();
    assert_eq!(
        err,
        "var `v16`: `${v15}` makes the value longer than 64 KiB (at s.yaml:4:9)"
    );
}
