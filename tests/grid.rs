//! `--webdriver-url` on a real Selenium Grid (a hub and two nodes on loopback, each with
//! Chromium and Firefox): both browsers pass the six slots with `--jobs 2`, the video comes
//! through the Grid's BiDi proxy, a Grid with no free slot ends the run with exit 4 instead
//! of a wait, a node that dies mid-run fails its scenario with the Grid's error while the
//! other session finishes the rest (exit 5), and nothing the test started is left running.
//! A second, standalone server with BiDi off shows the fallbacks: Chromium's screencast
//! through the Grid's DevTools proxy (se:cdp), Firefox on WebDriver screenshots, each said
//! in the report. One test serves the whole story: Java starts slowly on 2 cores.

mod support;

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;
use support::grid::Grid;
use support::processes::{new_tag, wait_gone, TagGuard, TAG_VAR};

/// A `walkthrough run` against the grid, tagged `tag`.
fn command(grid: &Grid, out: &Path, tag: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(TAG_VAR, tag)
        .args(["run", "--quiet", "--webdriver-url", &grid.url, "--out"])
        .arg(out)
        .args(args)
        .kill_on_drop(true);
    cmd
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

/// Runs to the end (at most 5 min); the output and how long it took.
async fn run(grid: &Grid, tag: &str, out: &Path, args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = tokio::time::timeout(
        Duration::from_secs(300),
        command(grid, out, tag, args).output(),
    )
    .await
    .expect("the run ends")
    .unwrap();
    (output, started.elapsed())
}

/// The six slots, verified, in `browser` with `source` video through the grid.
async fn six_verified_slots(grid: &Grid, tag: &str, browser: &str, source: &str) {
    let out = tempfile::tempdir().unwrap();
    let (output, took) = run(
        grid,
        tag,
        out.path(),
        &["--browser", browser, "--jobs", "2"],
    )
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{browser}: {stderr}");
    assert!(stderr.contains("jobs: 2 browser sessions"), "{stderr}");
    eprintln!(
        "{browser} on the grid with --jobs 2: {:.1} s",
        took.as_secs_f64()
    );
    let r = report(out.path());
    let want_name = if browser == "chromium" {
        "chrome"
    } else {
        "firefox"
    };
    assert_eq!(r["run"]["browser"]["name"], want_name);
    for slot in r["slots"].as_array().unwrap() {
        assert_eq!(slot["status"], "verified", "{browser}: {slot:#}");
    }
    // The sandbox canary does not run on the mock: no video of its own.
    let ran = r["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] != "not_runnable");
    for s in ran {
        // The BiDi socket the grid proxies carried the video: no fallback was needed.
        assert_eq!(s["video_source"], source, "{browser}: {}", s["name"]);
        assert!(s.get("video_note").is_none(), "{browser}: {s:#}");
        assert!(s["video_fps"].as_f64().unwrap() > 0.5, "{browser}: {s:#}");
    }
    assert!(wait_gone(tag, Duration::from_secs(5)).is_empty());
}

/// On a Grid without BiDi (`--enable-bidi false`), a scenario in each browser still gets
/// its video, from the best source left, and its `video_note` says which and why.
async fn without_bidi_the_video_falls_back_and_says_so(grid: &Grid, tag: &str) {
    let cases = [
        (
            "chromium",
            "screencast",
            "through its DevTools proxy (se:cdp)",
        ),
        ("firefox", "screenshots", "offers no BiDi socket"),
    ];
    for (browser, source, note) in cases {
        let out = tempfile::tempdir().unwrap();
        let args = [
            "fixtures/scenarios/01-form.yaml",
            "--app",
            "fixtures",
            "--browser",
            browser,
        ];
        let (output, _) = run(grid, tag, out.path(), &args).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{browser}: {stderr}");
        let scenario = &report(out.path())["scenarios"][0];
        assert_eq!(scenario["video_source"], source, "{browser}: {scenario:#}");
        let said = scenario["video_note"].as_str().unwrap_or_default();
        assert!(said.contains(note), "{browser}: {said}");
        assert!(
            scenario["video_fps"].as_f64().unwrap() > 0.5,
            "{scenario:#}"
        );
        for step in scenario["steps"].as_array().unwrap() {
            assert_eq!(step["clip_ok"], true, "{browser}: {step:#}");
        }
    }
    assert!(wait_gone(tag, Duration::from_secs(5)).is_empty());
}

/// Every slot taken (four Chromium sessions on two nodes of two): a Firefox run waits in
/// the queue no longer than --session-timeout, then says why, with exit 4, and leaves
/// nothing queued on the Grid.
async fn a_full_grid_is_a_clear_setup_error(grid: &Grid, tag: &str) {
    let mut blockers = Vec::new();
    for _ in 0..4 {
        blockers.push(grid.open_session("chrome").await);
    }
    let out = tempfile::tempdir().unwrap();
    let args = ["--browser", "firefox", "--session-timeout", "4s"];
    let (output, took) = run(grid, tag, out.path(), &args).await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("no free slot in time"), "{stderr}");
    assert!(took < Duration::from_secs(40), "{took:?}");
    assert_eq!(report(out.path())["run"]["status"], "failed");
    // The Grid dropped the request the run gave up on: once the slots are free, it starts
    // no session nobody waits for.
    assert_eq!(grid.queued().await, 0);
    for id in &blockers {
        grid.close_session(id).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(grid.sessions_per_node().await.iter().sum::<u64>(), 0);
    assert!(wait_gone(tag, Duration::from_secs(5)).is_empty());
}

/// A node killed while both sessions run: its scenario fails with the grid's error, its
/// session takes no more scenarios, the other session runs the rest, exit 5, no hang.
async fn a_dead_node_fails_its_scenario_and_the_run_goes_on(grid: &mut Grid, tag: &str) {
    let out = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let child = command(
        grid,
        out.path(),
        tag,
        &["--browser", "chromium", "--jobs", "2"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    // Both sessions up, one on each node, and at work for a moment.
    let deadline = Instant::now() + Duration::from_secs(90);
    let per_node = loop {
        let per_node = grid.sessions_per_node().await;
        if per_node.iter().sum::<u64>() >= 2 {
            break per_node;
        }
        assert!(Instant::now() < deadline, "two sessions never started");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let victim = per_node.iter().position(|n| *n > 0).unwrap();
    grid.kill_node(victim);
    let output = tokio::time::timeout(Duration::from_secs(240), child.wait_with_output())
        .await
        .expect("the run ends after its node died")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(stderr.contains("no longer answers"), "{stderr}");
    eprintln!(
        "a run that lost a node ended in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let r = report(out.path());
    let scenarios = r["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 7, "the sandbox canary and the six");
    let errors: Vec<String> = scenarios
        .iter()
        .flat_map(|s| s["steps"].as_array().cloned().unwrap_or_default())
        .filter_map(|step| step["error"]["message"].as_str().map(str::to_string))
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Unable to execute request")),
        "{errors:#?}"
    );
    for s in scenarios {
        let status = s["status"].as_str().unwrap();
        // The sandbox canary (no slot) is never run on the mock.
        let canary = s["slot"].is_null() && status == "not_runnable";
        assert!(
            canary || matches!(status, "passed" | "failed"),
            "{status}: {s:#}"
        );
    }
    if per_node.iter().all(|n| *n == 1) {
        // The session on the other node carried on.
        let passed = scenarios.iter().filter(|s| s["status"] == "passed").count();
        assert!(passed >= 3, "{passed} passed:\n{stderr}");
    }
    assert!(wait_gone(tag, Duration::from_secs(5)).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_selenium_grid_runs_both_browsers_and_a_full_or_broken_grid_never_hangs() {
    let grid_tag = new_tag();
    let _grid_guard = TagGuard(grid_tag.clone());
    let run_tag = new_tag();
    let _run_guard = TagGuard(run_tag.clone());
    let started = Instant::now();
    let (mut grid, mut no_bidi) = tokio::join!(
        Grid::start(&grid_tag, 2),
        Grid::standalone_without_bidi(&grid_tag)
    );
    eprintln!("grids ready in {:.1} s", started.elapsed().as_secs_f64());

    six_verified_slots(&grid, &run_tag, "chromium", "screencast").await;
    six_verified_slots(&grid, &run_tag, "firefox", "bidi-screenshots").await;
    without_bidi_the_video_falls_back_and_says_so(&no_bidi, &run_tag).await;
    no_bidi.stop();
    a_full_grid_is_a_clear_setup_error(&grid, &run_tag).await;
    a_dead_node_fails_its_scenario_and_the_run_goes_on(&mut grid, &run_tag).await;

    // Nothing was fetched: Selenium Manager is off, its cache never appeared, and the
    // logs name the drivers the nodes were given.
    for server in [&grid, &no_bidi] {
        let logs = server.logs();
        assert!(!server.selenium_manager_cache().exists(), "{logs}");
        for fetching in ["Selenium Manager", "Downloading", "Driver path obtained"] {
            assert!(!logs.contains(fetching), "{fetching}: {logs}");
        }
        assert!(logs.contains("se:webDriverExecutable"));
    }
    grid.stop();
    let left = wait_gone(&grid_tag, Duration::from_secs(10));
    assert!(left.is_empty(), "still running: {left:?}");
}
