//! `walkthrough run` as a user runs it: the binary, real Chromium, the fixture pages on an
//! ephemeral loopback port. One test per exit code, the run folder's contents, and SIGINT
//! in the middle of a run leaving nothing behind.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use walkthrough::demo_app::fixture_pages::StaticSite;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walkthrough() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    cmd.current_dir(root());
    cmd
}

async fn site() -> StaticSite {
    StaticSite::start(&root().join("fixtures/pages"))
        .await
        .unwrap()
}

/// Runs the binary with `args` off the async runtime's threads (the fixture site runs on them).
async fn run_cli(args: &[&str]) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || walkthrough().args(&args).output().unwrap())
        .await
        .unwrap()
}

fn report(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn passing_scenarios_exit_0_with_a_screenshot_for_every_step() {
    let site = site().await;
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let output = run_cli(&[
        "run",
        "fixtures/scenarios",
        "--quiet",
        "--app",
        &app,
        "--out",
        &out.path().display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("report.json"), "{stdout}");
    let r = report(out.path());
    assert_eq!(r["schema_version"], 2);
    // A running app given by URL: no Polar the run knows of.
    assert_eq!(r["run"]["target"], "none");
    assert_eq!(r["run"]["app"]["source"], "url");
    assert_eq!(r["run"]["app"]["state_probe"], serde_json::Value::Null);
    assert_eq!(r["run"]["status"], "passed");
    assert_eq!(r["run"]["browser"]["name"], "chrome");
    assert!(r["run"]["finished_at"].is_string());
    let scenarios = r["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), 4);
    let mut steps = 0;
    for s in scenarios {
        assert_eq!(s["status"], "passed", "{s}");
        for step in s["steps"].as_array().unwrap() {
            steps += 1;
            assert_eq!(step["status"], "passed");
            let shot = step["screenshot"].as_str().unwrap();
            let bytes = std::fs::read(out.path().join(shot)).unwrap();
            assert_eq!(&bytes[..4], b"\x89PNG", "{shot}");
            assert!(step["line"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(steps, 10);
    // One concise line per finished step.
    assert_eq!(stderr.matches("  ✓ ").count(), 10, "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_expectation_exits_5_with_its_location_and_screenshot() {
    let site = site().await;
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let output = run_cli(&[
        "run",
        "fixtures/failing/expectation.yaml",
        "--quiet",
        "--app",
        &app,
        "--out",
        &out.path().display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("fixtures/failing/expectation.yaml:8:9"),
        "{stderr}"
    );
    let r = report(out.path());
    assert_eq!(r["run"]["status"], "failed");
    let steps = r["scenarios"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["status"], "passed");
    assert_eq!(steps[1]["status"], "failed");
    assert_eq!(steps[2]["status"], "skipped");
    let error = &steps[1]["error"];
    assert_eq!(error["file"], "fixtures/failing/expectation.yaml");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(8), Some(9))
    );
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("Checkout") && message.contains("Sign up"),
        "{message}"
    );
    assert!(error["source_line"]
        .as_str()
        .unwrap()
        .contains("equals: Checkout"));
    // The failed step has its screenshot, the skipped one none.
    let shot = steps[1]["screenshot"].as_str().unwrap();
    assert!(out.path().join(shot).is_file());
    assert!(steps[2]["screenshot"].is_null());
}

#[test]
fn invalid_scenarios_exit_3_and_nothing_runs() {
    let out = tempfile::tempdir().unwrap();
    let output = walkthrough()
        .args(["run", "fixtures/invalid/unknown-action.yaml", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("fixtures/invalid/unknown-action.yaml:"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean"), "{stderr}");
    assert!(!out.path().join("report.json").exists(), "nothing ran");
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["run", "--viewport", "1281x800"],
        vec!["run", "--var", "novalue"],
        vec!["run", "--no-such-flag"],
        vec!["no-such-command"],
    ] {
        let output = walkthrough().args(&args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_driver_exits_4_with_the_cause_and_the_fix() {
    let site = site().await;
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let output = run_cli(&[
        "run",
        "fixtures/scenarios",
        "--app",
        &app,
        "--chromedriver",
        "/nonexistent/chromedriver",
        "--out",
        &out.path().display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("chromedriver not found at /nonexistent/chromedriver"),
        "{stderr}"
    );
    assert!(stderr.contains("fix: install it"), "{stderr}");
}

/// Every live descendant of `pid`, from /proc.
fn descendants(pid: u32) -> Vec<u32> {
    let mut parents = std::collections::HashMap::<u32, Vec<u32>>::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let rest = stat
            .rsplit_once(')')
            .map(|(_, r)| r.trim().to_string())
            .unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() > 1 && fields[0] != "Z" {
            if let Ok(ppid) = fields[1].parse::<u32>() {
                parents.entry(ppid).or_default().push(child);
            }
        }
    }
    let mut out = Vec::new();
    let mut todo = vec![pid];
    while let Some(p) = todo.pop() {
        for &c in parents.get(&p).map(Vec::as_slice).unwrap_or_default() {
            out.push(c);
            todo.push(c);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_mid_run_exits_130_writes_an_interrupted_report_and_leaves_nothing() {
    let site = site().await;
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let out_dir = out.path().to_path_buf();
    let (code, stderr, family) = tokio::task::spawn_blocking(move || {
        let mut child = walkthrough()
            .args([
                "run",
                "fixtures/failing/slow.yaml",
                "--quiet",
                "--app",
                &app,
                "--out",
            ])
            .arg(&out_dir)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut seen = String::new();
        // Wait until the first step has finished: the second is waiting (for 60 s).
        for line in lines.by_ref() {
            let line = line.unwrap();
            seen.push_str(&line);
            seen.push('\n');
            if line.contains("✓ Open the page") {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        let family = descendants(child.id());
        assert!(
            family.len() >= 2,
            "chromedriver and chromium are running: {family:?}"
        );
        assert!(walkthrough::process::signal_process(
            child.id() as i32,
            libc::SIGINT
        ));
        let started = Instant::now();
        for line in lines {
            seen.push_str(&line.unwrap());
            seen.push('\n');
        }
        let status = child.wait().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "stopped promptly"
        );
        (status.code(), seen, family)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(130), "{stderr}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let left: Vec<u32> = family
        .into_iter()
        .filter(|&p| walkthrough::process::is_alive(p as i32))
        .collect();
    assert!(left.is_empty(), "still running after SIGINT: {left:?}");
    let r = report(out.path());
    assert_eq!(r["run"]["status"], "interrupted");
    let steps = r["scenarios"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["status"], "passed");
    assert_eq!(steps[1]["status"], "interrupted");
    assert!(out
        .path()
        .join(steps[1]["screenshot"].as_str().unwrap())
        .is_file());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_running_webdriver_is_used_instead_of_starting_one() {
    let site = site().await;
    let logs = tempfile::tempdir().unwrap();
    let driver = walkthrough::browser::DriverProcess::start(
        walkthrough::browser::BrowserKind::Chromium,
        &walkthrough::browser::which("chromedriver").expect("chromedriver is installed"),
        &logs.path().join("driver.log"),
        Duration::from_secs(15),
        None,
    )
    .await
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let url = driver.url().to_string();
    let output = run_cli(&[
        "run",
        "fixtures/scenarios/01-form.yaml",
        "--quiet",
        "--video",
        "off",
        "--app",
        &app,
        "--webdriver-url",
        &url,
        "--out",
        &out.path().display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // The session ran on our driver: its log shows the run's commands.
    let log = std::fs::read_to_string(logs.path().join("driver.log")).unwrap();
    assert!(
        log.contains("form.html"),
        "the run used the given WebDriver"
    );
    // No chromedriver of its own: the run folder has no driver log.
    assert!(!out.path().join("logs/chromedriver.log").exists());
    driver.stop().await;
}

/// `--email` is the template of `${run.email}`: `{run}` becomes the run id.
#[tokio::test(flavor = "multi_thread")]
async fn the_email_option_renders_into_run_email() {
    let site = site().await;
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let output = run_cli(&[
        "run",
        "fixtures/run-email/form.yaml",
        "--quiet",
        "--video",
        "off",
        "--email",
        "buyer+{run}@acme.dev",
        "--app",
        &app,
        "--out",
        &out.path().display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
}

/// A run email Polar refuses (a reserved or special-use domain), or one without `{run}`,
/// stops the run before anything starts, in Polar's words.
#[test]
fn a_run_email_polar_refuses_exits_2_before_anything_runs() {
    let out = tempfile::tempdir().unwrap();
    for (email, says) in [
        (
            "buyer+{run}@example.com",
            "The domain name example.com does not accept email.",
        ),
        ("buyer+{run}@shop.test", "special-use or reserved name"),
        ("buyer@acme.dev", "has no {run}"),
    ] {
        let output = walkthrough()
            .args([
                "run",
                "fixtures/run-email/form.yaml",
                "--email",
                email,
                "--out",
            ])
            .arg(out.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{email}: {stderr}");
        assert!(stderr.contains(says), "{email}: {stderr}");
        assert!(!out.path().join("report.json").exists(), "nothing ran");
    }
}

/// A sandbox run with the default run email says, before it starts, that the sandbox needs
/// an address of the user's own; with `--email` it does not.
#[test]
fn a_sandbox_run_with_the_default_email_warns_before_it_starts() {
    let run = |extra: &[&str]| {
        let out = tempfile::tempdir().unwrap();
        let output = walkthrough()
            .args(["run", "fixtures/run-email/form.yaml", "--target", "sandbox"])
            .args(["--app", "http://127.0.0.1:9/", "--out"])
            .arg(out.path())
            .args(extra)
            .env_remove("POLAR_ACCESS_TOKEN")
            .env_remove("POLAR_PRODUCT_ID")
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let stderr = run(&[]);
    let warning = stderr.lines().next().unwrap_or_default().to_string();
    assert!(
        warning.starts_with("warning: --target sandbox with the default run email"),
        "{stderr}"
    );
    assert!(warning.contains("you+{run}@your-company.com"), "{stderr}");
    let stderr = run(&["--email", "me+{run}@acme.dev"]);
    assert!(!stderr.contains("default run email"), "{stderr}");
}

/// With `--jobs 2` the scenarios' lines interleave, and every line of a scenario starts
/// with its label (its number in the run folder and the first words of its name); with one
/// session there is no label.
#[tokio::test(flavor = "multi_thread")]
async fn with_jobs_every_line_of_a_scenario_starts_with_its_label() {
    let site = site().await;
    let out = tempfile::tempdir().unwrap();
    let app = format!("{}/", site.url());
    let output = run_cli(&[
        "run",
        "fixtures/scenarios",
        "--quiet",
        "--video",
        "off",
        "--jobs",
        "2",
        "--app",
        &app,
        "--out",
        &out.path().display().to_string(),
    ])
    .await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let labels = [
        "[01 sign-up-through-a]",
        "[02 pay-with-a-card]",
        "[03 wait-for-results]",
        "[04 leave-for-a-second]",
    ];
    let scenario_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("▶ ") || l.contains(" ✓ ") || l.contains(" = "))
        .collect();
    // A start, its steps and its end for each of the four scenarios: 4 + 10 + 4 (the given
    // steps the fixture scenarios have none of).
    assert_eq!(scenario_lines.len(), 18, "{stderr}");
    for line in &scenario_lines {
        assert!(
            labels.iter().any(|l| line.starts_with(&format!("{l} "))),
            "an unlabelled line: {line}\n{stderr}"
        );
    }
    for label in labels {
        assert!(
            stderr.contains(&format!("{label} ▶ ")),
            "{label} starts: {stderr}"
        );
        assert!(
            stderr.contains(&format!("{label}   = passed  ")),
            "{label} ends: {stderr}"
        );
    }
    // Folder names agree with the labels' numbers.
    assert!(out
        .path()
        .join("scenarios/02-pay-with-a-card-inside-an-iframe")
        .is_dir());
}
