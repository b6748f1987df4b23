//! Video evidence end to end: `walkthrough run` over the fixture pages in real headless
//! Chromium, with real ffmpeg. Every step gets a playable clip as long as the step (also on
//! a page that does not move), the scenario video has a chapter per step, `--video off`
//! never runs ffmpeg, `retain-on-failure` keeps only failed scenarios' clips, and a
//! truncated clip is reported unhealthy.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use walkthrough::capture::video::{check_clip, probe_chapters, probe_with, x264_args, Encoder};

const FPS: f64 = 15.0;

/// An `ffmpeg` and `ffprobe` on PATH that log each call, then run the real tool.
fn tool_shims(dir: &Path) -> (PathBuf, PathBuf) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let log = dir.join("calls.log");
    for tool in ["ffmpeg", "ffprobe"] {
        let real = walkthrough::browser::which(tool).expect("ffmpeg is installed");
        let shim = bin.join(tool);
        std::fs::write(
            &shim,
            format!(
                "#!/bin/sh\necho {tool} >> '{}'\nexec '{}' \"$@\"\n",
                log.display(),
                real.display()
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (bin, log)
}

/// Runs `walkthrough run` on `scenario` text with extra args; returns (exit code, run
/// folder, the report, the shim call log).
fn run(dir: &Path, scenarios: &[(&str, &str)], args: &[&str]) -> (i32, PathBuf, Value, String) {
    let (code, out, report, calls, _) = run_full(dir, scenarios, args);
    (code, out, report, calls)
}

/// [`run`], also handing back the run's stderr.
fn run_full(
    dir: &Path,
    scenarios: &[(&str, &str)],
    args: &[&str],
) -> (i32, PathBuf, Value, String, String) {
    run_with_display(dir, scenarios, args, None)
}

/// [`run_full`] with `DISPLAY` set to `display` (else unset).
fn run_with_display(
    dir: &Path,
    scenarios: &[(&str, &str)],
    args: &[&str],
    display: Option<&str>,
) -> (i32, PathBuf, Value, String, String) {
    let (bin, log) = tool_shims(dir);
    let mut files = Vec::new();
    for (name, text) in scenarios {
        let file = dir.join(name);
        std::fs::write(&file, text).unwrap();
        files.push(file);
    }
    let out = dir.join("run");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    match display {
        Some(display) => command.env("DISPLAY", display),
        None => command.env_remove("DISPLAY"),
    };
    let output = command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PATH", path)
        .arg("run")
        .args(&files)
        .arg("--out")
        .arg(&out)
        .arg("--quiet")
        .args(["--app", "fixtures"])
        .args(args)
        .output()
        .unwrap();
    let report: Value =
        serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap_or_else(|_| {
            panic!(
                "no report; stderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        }))
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default();
    (
        output.status.code().unwrap_or(-1),
        out,
        report,
        calls,
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Of a clip's frames, how many differ from the frame before them (the first counts), and
/// how many there are: decoded with ffmpeg and compared by hash.
fn fresh_frames(clip: &Path) -> (usize, usize) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(clip)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let hashes: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit(',').next().map(|h| h.trim().to_string()))
        .collect();
    let fresh = hashes
        .iter()
        .enumerate()
        .filter(|(i, h)| *i == 0 || hashes[i - 1] != **h)
        .count();
    (fresh, hashes.len())
}

fn ffprobe() -> PathBuf {
    walkthrough::browser::which("ffprobe").expect("ffprobe is installed")
}

fn mp4s(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "mp4") {
                found.push(p);
            }
        }
    }
    found
}

const MOVING_AND_STILL: &str = r##"name: Moving then still
steps:
  - name: Open the moving page
    do:
      - open: /anim.html?after=900
      - expect_visible: { css: "#s1" }
  - name: Click on moving content
    do:
      - click: { css: "#s1" }
      - wait_for: "Step 1 done"
  - name: Open a still page
    do:
      - open: /anim.html?still&after=1300
      - expect_visible: { css: "#q" }
  - name: Wait while nothing moves
    do:
      - click: { css: "#q" }
      - wait_for: "Quiet done"
"##;

#[tokio::test]
async fn every_step_gets_a_clip_as_long_as_the_step_and_the_video_has_chapters() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, report, calls) = run(dir.path(), &[("moving.yaml", MOVING_AND_STILL)], &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["run"]["video"], "on");
    assert!(calls.contains("ffmpeg"), "clips are encoded with ffmpeg");
    let scenario = &report["scenarios"][0];
    let steps = scenario["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    for step in steps {
        let name = step["name"].as_str().unwrap();
        assert_eq!(step["clip_ok"], true, "{name}: {}", step["clip_problem"]);
        let clip = out.join(step["clip"].as_str().expect("a clip path"));
        // Measured here, independently of the report.
        let probe = probe_with(&ffprobe(), &clip).await.unwrap();
        let step_s = step["duration_ms"].as_f64().unwrap() / 1000.0;
        assert!(
            (probe.duration - step_s).abs() <= 2.0 / FPS,
            "{name}: clip {:.3} s, step {step_s:.3} s",
            probe.duration
        );
        assert!(
            (probe.frames as f64 - step_s * FPS).abs() <= 2.0,
            "{name}: {} frames for {step_s:.3} s",
            probe.frames
        );
    }
    // On moving content every output frame is a new picture, also while the step waits in
    // the page (the driver holds the screencast's frames while a script runs, so a wait is
    // cut into short calls).
    let moving = out.join(steps[1]["clip"].as_str().unwrap());
    let (fresh, total) = fresh_frames(&moving);
    assert!(
        fresh * 10 >= total * 8,
        "only {fresh} of {total} frames differ from the one before"
    );
    // The still step lasted over a second with (almost) no new frames: held, not short.
    assert!(steps[3]["duration_ms"].as_u64().unwrap() >= 1200);
    let video = out.join(scenario["video"].as_str().expect("a scenario video"));
    let chapters = probe_chapters(&ffprobe(), &video).await.unwrap();
    let titles: Vec<&str> = chapters.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        titles,
        [
            "01 Open the moving page",
            "02 Click on moving content",
            "03 Open a still page",
            "04 Wait while nothing moves"
        ]
    );
    // Chapters start where the clips before them end.
    let first = probe_with(&ffprobe(), &out.join(steps[0]["clip"].as_str().unwrap()))
        .await
        .unwrap();
    assert!(
        (chapters[1].0 - first.duration).abs() < 0.01,
        "{chapters:?}"
    );
    // The whole video decodes without errors.
    let decode = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(&video)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(decode.status.success() && decode.stderr.is_empty());
}

const QUICK: &str = "name: Quick\nsteps:\n  - name: Open\n    do:\n      - open: /index.html\n";
const FAILING: &str = "name: Failing\nsteps:\n  - name: Open\n    do:\n      - open: /index.html\n  - name: Wait for nothing\n    do:\n      - wait_for: { testid: never, timeout: 600ms }\n  - name: Never reached\n    do:\n      - open: /form.html\n";

#[tokio::test]
async fn video_off_records_nothing_and_never_starts_ffmpeg() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, report, calls, stderr) =
        run_full(dir.path(), &[("quick.yaml", QUICK)], &["--video", "off"]);
    assert_eq!(code, 0, "{stderr}");
    // Without video too, a local Chromium draws on an Xvfb of its own (it runs faster).
    assert!(stderr.contains("on its own Xvfb :"), "{stderr}");
    assert_eq!(report["run"]["video"], "off");
    assert_eq!(calls, "", "no ffmpeg or ffprobe call with --video off");
    assert!(mp4s(&out).is_empty());
    let step = &report["scenarios"][0]["steps"][0];
    assert!(step["clip"].is_null() && step["clip_ok"].is_null());
    assert!(report["scenarios"][0]["video"].is_null());
}

#[tokio::test]
async fn retain_on_failure_keeps_only_the_failed_scenarios_clips() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, report, _) = run(
        dir.path(),
        &[("a-quick.yaml", QUICK), ("b-failing.yaml", FAILING)],
        &["--video", "retain-on-failure"],
    );
    assert_eq!(code, 5, "a step failed");
    assert_eq!(report["run"]["video"], "retain-on-failure");
    let passed = &report["scenarios"][0];
    assert!(passed["video"].is_null() && passed["steps"][0]["clip"].is_null());
    assert!(passed["steps"][0]["clip_ok"].is_null(), "no clip was due");
    let failed = &report["scenarios"][1];
    let steps = failed["steps"].as_array().unwrap();
    for step in &steps[..2] {
        assert_eq!(step["clip_ok"], true, "{}", step["clip_problem"]);
        assert!(out.join(step["clip"].as_str().unwrap()).is_file());
    }
    // The failed step's clip covers its whole wait on a page that does not move.
    assert!(steps[1]["clip_duration_ms"].as_u64().unwrap() >= 500);
    assert!(steps[2]["clip"].is_null(), "a skipped step has no clip");
    assert!(out.join(failed["video"].as_str().unwrap()).is_file());
    assert_eq!(mp4s(&out).len(), 3, "two clips and one scenario video");
}

#[tokio::test]
async fn a_truncated_clip_is_reported_unhealthy() {
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    let made = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x200:rate=15:duration=2")
        .args(x264_args())
        .arg(&clip)
        .status()
        .unwrap();
    assert!(made.success());
    let encoder = Encoder {
        ffmpeg: walkthrough::browser::which("ffmpeg").unwrap(),
        ffprobe: ffprobe(),
        fps: 15,
        size: (320, 200),
    };
    let whole = check_clip(&encoder, &clip, 2.0).await;
    assert_eq!(whole.ok, Some(true), "{whole:?}");
    assert_eq!(whole.frames, Some(30));
    // A step that lasted longer than its clip.
    let short = check_clip(&encoder, &clip, 2.5).await;
    assert!(short.ok == Some(false) && short.problem.as_deref().unwrap().contains("truncated"));
    // Cut the file: the container still claims 2 s (moov is at the front), the frames are gone.
    let bytes = std::fs::read(&clip).unwrap();
    std::fs::write(&clip, &bytes[..bytes.len() / 2]).unwrap();
    let cut = check_clip(&encoder, &clip, 2.0).await;
    assert_eq!(cut.ok, Some(false), "{cut:?}");
    assert!(cut.problem.is_some());
    // Empty file.
    std::fs::write(&clip, b"").unwrap();
    let empty = check_clip(&encoder, &clip, 2.0).await;
    assert!(empty.ok == Some(false) && empty.path.is_none());
}

/// Every step's clip is healthy and, measured with ffprobe, within two frame intervals of
/// its step; the scenario video has the four chapters.
async fn assert_clips_match_steps(out: &Path, report: &Value) {
    let scenario = &report["scenarios"][0];
    let steps = scenario["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 4);
    for step in steps {
        let name = step["name"].as_str().unwrap();
        assert_eq!(step["clip_ok"], true, "{name}: {}", step["clip_problem"]);
        let clip = out.join(step["clip"].as_str().expect("a clip path"));
        let probe = probe_with(&ffprobe(), &clip).await.unwrap();
        let step_s = step["duration_ms"].as_f64().unwrap() / 1000.0;
        assert!(
            (probe.duration - step_s).abs() <= 2.0 / FPS,
            "{name}: clip {:.3} s, step {step_s:.3} s",
            probe.duration
        );
        assert_eq!(step["clip_frames"].as_u64(), Some(probe.frames), "{name}");
    }
    let video = out.join(scenario["video"].as_str().expect("a scenario video"));
    let chapters = probe_chapters(&ffprobe(), &video).await.unwrap();
    assert_eq!(chapters.len(), 4, "{chapters:?}");
    assert_eq!(chapters[3].1, "04 Wait while nothing moves");
}

/// Live processes whose environment or command line names X display `display`.
fn processes_on_display(display: &str) -> Vec<String> {
    let env_needle = format!("DISPLAY={display}\0");
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !walkthrough::process::is_alive(pid) {
            continue;
        }
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let cmdline = String::from_utf8_lossy(
            &std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default(),
        )
        .replace('\0', " ");
        let named = cmdline
            .split_whitespace()
            .any(|word| word == display || word == format!("{display}.0"));
        if String::from_utf8_lossy(&environ).contains(&env_needle)
            || (named && (cmdline.contains("x11grab") || cmdline.contains("Xvfb")))
        {
            found.push(format!("{pid}: {cmdline}"));
        }
    }
    found
}

/// By default a local Chromium draws on an Xvfb of the run's own, which ffmpeg grabs:
/// never on the user's `$DISPLAY` (here one that does not exist, which would fail).
#[tokio::test]
async fn the_default_video_grabs_an_own_xvfb_screen_and_leaves_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, report, calls, stderr) = run_with_display(
        dir.path(),
        &[("moving.yaml", MOVING_AND_STILL)],
        &[],
        Some(":4242"),
    );
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    assert_eq!(report["run"]["video"], "on");
    assert_eq!(report["run"]["video_source"], "x11grab");
    assert!(stderr.contains("on its own Xvfb :"), "{stderr}");
    assert!(calls.contains("ffmpeg"));
    let display = stderr
        .split("x11grab of display ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("the console names the display: {stderr}"))
        .to_string();
    assert!(display.starts_with(':'), "{display}");
    assert_clips_match_steps(&out, &report).await;
    // The recorded screen is the page (kiosk app window, no browser chrome): the last frame
    // of the still step matches the step's WebDriver screenshot closely.
    let steps = report["scenarios"][0]["steps"].as_array().unwrap();
    let clip = out.join(steps[3]["clip"].as_str().unwrap());
    let shot = out.join(steps[3]["screenshot"].as_str().unwrap());
    let compare = Command::new("ffmpeg")
        .args(["-v", "info", "-sseof", "-0.2", "-i"])
        .arg(&clip)
        .arg("-i")
        .arg(&shot)
        .args([
            "-frames:v",
            "1",
            "-lavfi",
            "[0:v][1:v]scale2ref[a][b];[a][b]ssim",
            "-f",
            "null",
            "-",
        ])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&compare.stderr);
    let ssim: f64 = log
        .split("All:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no SSIM in {log}"));
    assert!(ssim > 0.9, "the recording shows the page (SSIM {ssim})");
    // Xvfb, the screen recorder and the browser on that display are all gone.
    std::thread::sleep(std::time::Duration::from_millis(300));
    let left = processes_on_display(&display);
    assert!(left.is_empty(), "left behind: {left:#?}");
    let n = display.trim_start_matches(':');
    assert!(
        !Path::new(&format!("/tmp/.X{n}-lock")).exists(),
        "Xvfb lock left"
    );
}

#[tokio::test]
async fn sampled_screenshots_make_clips_when_forced() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, report, _, stderr) = run_full(
        dir.path(),
        &[("moving.yaml", MOVING_AND_STILL)],
        &["--video-source", "screenshots"],
    );
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    assert_eq!(report["run"]["video_source"], "screenshots");
    assert!(
        stderr.contains("sampled screenshots") && stderr.contains("no DevTools screencast"),
        "{stderr}"
    );
    assert_clips_match_steps(&out, &report).await;
}

#[test]
fn x11grab_needs_a_screen() {
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "--app",
            "fixtures",
            "--video-source",
            "x11grab",
            "--headless",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--headless"), "{stderr}");
}

#[test]
fn x11grab_needs_a_local_browser() {
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["run", "--app", "fixtures", "--video-source", "x11grab"])
        .args(["--webdriver-url", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("x11grab") && stderr.contains("--webdriver-url"),
        "{stderr}"
    );
}

/// Runs the quick scenario with a PATH that has every tool but Xvfb, and no DISPLAY;
/// returns the exit code, the report (if any) and stderr.
fn run_without_xvfb(dir: &Path, args: &[&str]) -> (Option<i32>, Option<Value>, String) {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["chromedriver", "chromium", "ffmpeg", "ffprobe"] {
        if let Some(real) = walkthrough::browser::which(tool) {
            std::os::unix::fs::symlink(real, bin.join(tool)).unwrap();
        }
    }
    let scenario = dir.join("q.yaml");
    std::fs::write(&scenario, QUICK).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PATH", &bin)
        .env_remove("DISPLAY")
        .arg("run")
        .arg(&scenario)
        .arg("--out")
        .arg(dir.join("run"))
        .args(["--app", "fixtures", "--quiet"])
        .args(args)
        .output()
        .unwrap();
    let report = std::fs::read(dir.join("run/report.json"))
        .ok()
        .map(|b| serde_json::from_slice(&b).unwrap());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output.status.code(), report, stderr)
}

#[test]
fn headed_without_xvfb_is_a_setup_error_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_without_xvfb(dir.path(), &["--headed"]);
    assert_eq!(code, Some(4), "{stderr}");
    assert!(stderr.contains("apt-get install xvfb"), "{stderr}");
}

/// Without Xvfb the default video still works: headless, from the DevTools screencast.
#[test]
fn without_xvfb_the_default_video_comes_from_the_screencast() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, stderr) = run_without_xvfb(dir.path(), &[]);
    assert_eq!(code, Some(0), "{stderr}");
    let report = report.expect("a report");
    assert_eq!(report["run"]["video_source"], "screencast", "{stderr}");
    assert!(stderr.contains(", headless"), "{stderr}");
    let step = &report["scenarios"][0]["steps"][0];
    assert_eq!(step["clip_ok"], true, "{step:#}");
}
