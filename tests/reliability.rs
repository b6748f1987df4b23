//! Nothing outlives a run, nothing mixes, the evidence can be checked afterwards — tried as
//! a hostile tester would: SIGKILL mid-run, SIGTERM while starting, a reused `--out`, a
//! tampered screenshot, an unwritable run folder, an overflowing timeout, and the
//! listeners and temp files a run leaves. Processes are counted by a tag in their
//! environment (tests/support/processes.rs).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::processes::{new_tag, tagged, wait_gone, TagGuard, TAG_VAR};

const FIXTURE: &str = r#"name: Fixture pages
slot: production-smoke
steps:
  - name: The fixture index
    do:
      - open: /index.html
      - expect_text: Fixture pages
"#;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walkthrough(tag: &str, tmp: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    cmd.current_dir(root()).env(TAG_VAR, tag).env("TMPDIR", tmp);
    cmd
}

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

fn scenario_file(dir: &Path) -> PathBuf {
    let file = dir.join("fixture.yaml");
    std::fs::write(&file, FIXTURE).unwrap();
    file
}

/// `walkthrough run` of the fixture scenario (written into `dir`) without video, into
/// `out`, with `extra` options; waits for it to end.
fn quick_run(tag: &str, tmp: &Path, out: &Path, dir: &Path, extra: &[&str]) -> Output {
    walkthrough(tag, tmp)
        .args([
            "run", "--quiet", "--app", "fixtures", "--video", "off", "--out",
        ])
        .arg(out)
        .args(extra)
        .arg(scenario_file(dir))
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits until the default run has finished a step (report.json shows one after the first
/// scenario; the demo app is busy long before).
fn wait_until_running(child: &mut Child, out: &Path) {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        // The first scenario that runs (the sandbox canary before it does not, on the mock).
        let shots = std::fs::read_dir(out.join("scenarios"))
            .into_iter()
            .flatten()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with("new-user-to-checkout")
            })
            .map(|e| std::fs::read_dir(e.path()).map(|d| d.count()).unwrap_or(0))
            .sum::<usize>();
        if shots > 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no step finished in 60 s");
}

#[test]
fn sigkill_mid_run_leaves_nothing_and_the_next_run_marks_it_aborted() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let out = dir.path().join("killed");
    let mut child = walkthrough(&tag, &tmp)
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until_running(&mut child, &out);
    let before = tagged(&tag);
    assert!(
        before.iter().any(|(_, n)| n.starts_with("chromedriver")),
        "{before:?}"
    );
    child.kill().unwrap(); // SIGKILL: no cleanup code of the run gets to run
    child.wait().unwrap();
    let left = wait_gone(&tag, Duration::from_secs(10));
    assert!(left.is_empty(), "left running after SIGKILL: {left:?}");
    assert_eq!(
        report(&out)["run"]["status"],
        "running",
        "it could not say more"
    );

    // The next run finds the dead one's record, removes what it left in the temp folder
    // and marks its report aborted.
    let next = dir.path().join("next");
    let output = quick_run(&tag, &tmp, &next, dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(
        text(&output).contains("marked aborted"),
        "{}",
        text(&output)
    );
    let killed = report(&out);
    assert_eq!(killed["run"]["status"], "aborted");
    // scenarios[0] is the sandbox canary, never run on the mock; the first lifecycle
    // scenario was the one under way.
    assert_eq!(killed["scenarios"][0]["status"], "not_runnable");
    assert_eq!(killed["scenarios"][1]["status"], "interrupted");
    let leftovers: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert!(
        leftovers.is_empty(),
        "the temp folder is clean: {:?}",
        leftovers.iter().map(|e| e.file_name()).collect::<Vec<_>>()
    );
}

#[test]
fn sigterm_while_starting_leaves_a_report_that_says_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let out = dir.path().join("out");
    let mut child = walkthrough(&tag, dir.path())
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The report exists before the testbed and the browser start.
    let started = Instant::now();
    while !out.join("report.json").exists() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no report.json"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(walkthrough::process::signal_process(
        child.id() as i32,
        libc::SIGTERM
    ));
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let r = report(&out);
    assert_eq!(r["run"]["status"], "interrupted", "{r:#}");
    assert!(wait_gone(&tag, Duration::from_secs(10)).is_empty());
}

#[test]
fn a_reused_out_is_refused_unless_it_holds_a_run_and_overwrite_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let out = dir.path().join("out");
    let run = |extra: &[&str]| quick_run(&tag, dir.path(), &out, dir.path(), extra);
    assert_eq!(run(&[]).status.code(), Some(0));
    let stale = out.join("scenarios/99-stale/01.png");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, b"old").unwrap();

    let again = run(&[]);
    assert_eq!(again.status.code(), Some(6), "{}", text(&again));
    assert!(text(&again).contains("--overwrite"), "{}", text(&again));

    let replaced = run(&["--overwrite"]);
    assert_eq!(replaced.status.code(), Some(0), "{}", text(&replaced));
    assert!(!stale.exists(), "the earlier run's files are gone");
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let listed: Vec<&str> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!listed.iter().any(|p| p.contains("99-stale")), "{listed:?}");

    // A folder that holds something else is never cleared.
    let other = dir.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let refused = quick_run(&tag, dir.path(), &other, dir.path(), &["--overwrite"]);
    assert_eq!(refused.status.code(), Some(6), "{}", text(&refused));
    assert!(other.join("notes.txt").exists());
}

#[test]
fn verify_names_every_changed_missing_and_added_file() {
    let dir = tempfile::tempdir().unwrap();
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let out = dir.path().join("out");
    let output = quick_run(&tag, dir.path(), &out, dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let verify = || {
        walkthrough(&tag, dir.path())
            .arg("verify")
            .arg(&out)
            .output()
            .unwrap()
    };
    let clean = verify();
    assert_eq!(clean.status.code(), Some(0), "{}", text(&clean));

    let shot = "scenarios/01-fixture-pages/01-the-fixture-index.png";
    let mut png = std::fs::read(out.join(shot)).unwrap();
    let last = png.len() - 1;
    png[last] ^= 0xff;
    std::fs::write(out.join(shot), png).unwrap();
    std::fs::remove_file(out.join("summary.md")).unwrap();
    std::fs::write(out.join("extra.txt"), "x").unwrap();
    let tampered = verify();
    assert_eq!(tampered.status.code(), Some(1), "{}", text(&tampered));
    let said = text(&tampered);
    assert!(said.contains(&format!("{shot}: changed")), "{said}");
    assert!(said.contains("summary.md: missing"), "{said}");
    assert!(said.contains("extra.txt: not in the manifest"), "{said}");
}

#[test]
fn an_unwritable_run_folder_is_exit_6_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let out = file.join("out");
    let output = walkthrough(&new_tag(), dir.path())
        .args(["run", "--quiet", "--app", "fixtures", "--out"])
        .arg(&out)
        .arg(scenario_file(dir.path()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "{}", text(&output));
    assert!(
        text(&output).contains(&out.display().to_string()),
        "{}",
        text(&output)
    );
}

#[test]
fn durations_on_the_command_line_have_the_scenarios_limits_and_wording() {
    let dir = tempfile::tempdir().unwrap();
    for (value, said) in [
        ("99999999999999999999s", "is too long: at most 1h"),
        ("0s", "is zero: a wait must be longer than 0"),
        ("3", "has no unit"),
    ] {
        let output = walkthrough(&new_tag(), dir.path())
            .args(["run", "--timeout", value])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{value}: {}", text(&output));
        assert!(text(&output).contains(said), "{value}: {}", text(&output));
    }
}

/// The local addresses process `pid` listens on (TCP, from /proc).
fn listening(pid: i32) -> Vec<String> {
    let inodes: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| {
            d.flatten()
                .filter_map(|e| std::fs::read_link(e.path()).ok())
                .filter_map(|l| {
                    let l = l.to_string_lossy().into_owned();
                    l.strip_prefix("socket:[")
                        .and_then(|r| r.strip_suffix(']'))
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        for line in std::fs::read_to_string(table)
            .unwrap_or_default()
            .lines()
            .skip(1)
        {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address, st (0A = LISTEN), inode
            if f.len() > 9 && f[3] == "0A" && inodes.iter().any(|i| i == f[9]) {
                out.push(f[1].to_string());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn the_driver_listens_on_loopback_only_and_leaves_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let options = walkthrough::browser::BrowserOptions::new(&logs);
    let browser = walkthrough::browser::Browser::launch(&options)
        .await
        .unwrap();
    let pid = browser.driver_pid().expect("a local driver");
    let addrs = listening(pid);
    assert!(!addrs.is_empty(), "the driver listens");
    for addr in &addrs {
        // 127.0.0.1 (0100007F) or ::1; never 0.0.0.0 or ::.
        let loopback =
            addr.starts_with("0100007F:") || addr.starts_with("00000000000000000000000001000000:");
        assert!(loopback, "chromedriver listens on {addr} (all: {addrs:?})");
    }
    browser.close().await;
}

#[test]
fn a_normal_run_leaves_nothing_in_the_temp_folder() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let output = walkthrough(&tag, &tmp)
        .args(["run", "--quiet", "--app", "fixtures", "--out"])
        .arg(dir.path().join("out"))
        .arg(scenario_file(dir.path()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(wait_gone(&tag, Duration::from_secs(5)).is_empty());
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "left in the temp folder: {left:?}");
}

/// JPEG frames the screen grab has written so far under `tmp` (the TMPDIR the run was
/// given: its own temp folder `walkthrough-run-<pid>/tmp/` is inside, the frames below that).
fn grabbed_frames(tmp: &Path) -> usize {
    fn walk(dir: &Path, depth: usize) -> usize {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        entries
            .flatten()
            .map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let path = e.path();
                if path.is_dir() && depth > 0 {
                    walk(&path, depth - 1)
                } else {
                    usize::from(name.starts_with('x') && name.ends_with(".jpg"))
                }
            })
            .sum()
    }
    walk(tmp, 3)
}

const LONG_FIRST_STEP: &str = r##"name: A long step, then two short ones
steps:
  - name: Click and wait on moving content
    do:
      - open: /anim.html?after=1500
      - click: { css: "#s1" }
      - wait_for: "Step 1 done"
  - name: The fixture index
    do:
      - open: /index.html
      - expect_text: Fixture pages
  - name: The form
    do:
      - open: /form.html
"##;

/// The screen grab's ffmpeg dies while a step runs (killed here): that step's clip says
/// why it is missing, the grab starts again before the next step, and the later steps
/// have their clips.
#[test]
fn a_screen_grab_that_dies_is_started_again_for_the_next_step() {
    let dir = tempfile::tempdir().unwrap();
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let file = dir.path().join("long.yaml");
    std::fs::write(&file, LONG_FIRST_STEP).unwrap();
    let out = dir.path().join("run");
    let child = walkthrough(&tag, dir.path())
        .args([
            "run",
            "--quiet",
            "--app",
            "fixtures",
            "--video-source",
            "x11grab",
        ])
        .arg("--out")
        .arg(&out)
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The grab starts with the session and keeps only frames that changed: once the moving
    // page of the first step (1.5 s long) has given it a few, that step is running.
    let started = Instant::now();
    let grab = loop {
        let found = tagged(&tag).into_iter().find(|(pid, name)| {
            name == "ffmpeg"
                && std::fs::read(format!("/proc/{pid}/cmdline"))
                    .is_ok_and(|c| String::from_utf8_lossy(&c).contains("x11grab"))
        });
        if let (Some((pid, _)), true) = (found, grabbed_frames(dir.path()) >= 8) {
            break pid;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no x11grab ffmpeg grabbing the moving page"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(walkthrough::process::signal_process(
        grab as i32,
        libc::SIGKILL
    ));
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("grabbing again"), "{stderr}");
    let report = report(&out);
    let steps = report["scenarios"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["clip_ok"], false, "{:#}", steps[0]);
    let problem = steps[0]["clip_problem"].as_str().unwrap_or_default();
    assert!(problem.contains("the screen grab stopped"), "{problem}");
    for step in &steps[1..] {
        assert_eq!(step["clip_ok"], true, "{step:#}");
    }
    let left = wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "still running: {left:?}");
}
