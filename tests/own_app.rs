//! "Point it at my app": `walkthrough run` with no flags in `examples/node-app/` (a Node
//! product on Polar's official TypeScript SDK, not ours) reads its walkthrough.yaml, starts
//! the mock and the app, runs the six lifecycle scenarios, verifies six slots, and leaves
//! nothing running — also when interrupted with Ctrl-C mid-run. Needs Node 22 and the
//! example's npm packages, which scripts/setup-tests.sh installs.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::processes::{new_tag, wait_gone, TagGuard, TAG_VAR};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `PATH` with Node 22 first (scripts/setup-tests.sh installs it under .tools/ when the
/// system's Node is older).
fn path_with_node() -> String {
    let node22 = root().join(".tools/node22/node_modules/.bin");
    let app = root().join("examples/node-app/node_modules/@polar-sh/sdk");
    assert!(
        app.is_dir(),
        "the example's npm packages are missing: run scripts/setup-tests.sh"
    );
    let system = std::env::var("PATH").unwrap_or_default();
    if node22.join("node").exists() {
        format!("{}:{system}", node22.display())
    } else {
        system
    }
}

fn walkthrough(out: &Path, tag: &str, db: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_walkthrough"));
    cmd.args(["run", "--quiet", "--out"])
        .arg(out)
        .current_dir(root().join("examples/node-app"))
        .env("PATH", path_with_node())
        .env(TAG_VAR, tag)
        // The app's database for this test only (it reads DATABASE_PATH).
        .env("DATABASE_PATH", db);
    cmd
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

#[test]
fn the_node_app_passes_six_verified_slots_from_its_own_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let output = walkthrough(&out, &tag, &dir.path().join("app.sqlite"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let r = report(&out);
    let slots: Vec<(&str, &str)> = r["slots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(slots.len(), 6);
    assert!(slots.iter().all(|(_, s)| *s == "verified"), "{slots:?}");
    assert_eq!(r["run"]["target"], "mock");
    // The app's own output is kept, redacted.
    let log = std::fs::read_to_string(out.join("logs/app.log")).unwrap();
    assert!(log.contains("listening on"), "{log}");
    assert!(!log.contains("polar_oat_"), "the token never reaches a log");
    let left = wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "left running: {left:?}");
}

/// Waits until the run has finished at least one step.
fn wait_for_a_step(child: &mut Child, out: &Path) {
    let started = Instant::now();
    loop {
        let steps = std::fs::read(out.join("report.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|r| r["scenarios"][0]["steps"].as_array().map(Vec::len))
            .unwrap_or(0);
        // report.json is rewritten after each scenario; the app log shows steps earlier.
        let app_busy = std::fs::read_to_string(out.join("logs/app.log"))
            .map(|l| l.contains("POST /api/members"))
            .unwrap_or(false);
        if steps > 0 || app_busy {
            return;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before a step"
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no step in 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn ctrl_c_mid_run_stops_the_app_the_browser_and_the_mock() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let mut child = walkthrough(&out, &tag, &dir.path().join("app.sqlite"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_a_step(&mut child, &out);
    let before = support::processes::tagged(&tag);
    assert!(
        before.iter().any(|(_, name)| name == "node"),
        "the app runs: {before:?}"
    );
    assert!(walkthrough::process::signal_process(
        child.id() as i32,
        libc::SIGINT
    ));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no exit after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    assert_eq!(report(&out)["run"]["status"], "interrupted");
    let left = wait_gone(&tag, Duration::from_secs(5));
    assert!(left.is_empty(), "left running after Ctrl-C: {left:?}");
}

/// `walkthrough run --config project --video off` into `out`, the app's database in `dir`.
fn run_project(out: &Path, tag: &str, dir: &Path, project: &Path) -> std::process::Output {
    walkthrough(out, tag, &dir.join("app.sqlite"))
        .arg("--config")
        .arg(project)
        .arg("--video")
        .arg("off")
        .output()
        .unwrap()
}

/// The example's project file for the first two scenarios, the app started from its folder,
/// with `edits` (`from`, `to`) applied on top; written into `dir`.
fn example_project(dir: &Path, command_extra: &str, edits: &[(&str, &str)]) -> PathBuf {
    let example = root().join("examples/node-app");
    let mut text = std::fs::read_to_string(example.join("walkthrough.yaml"))
        .unwrap()
        .replace(
            "[../../scenarios]",
            &format!(
                "[{0}/scenarios/01-new-user-to-checkout.yaml, {0}/scenarios/02-checkout-return-to-active.yaml]",
                root().display()
            ),
        )
        .replace(
            "command: node server.mjs",
            &format!(
                "command: node server.mjs\n  cwd: {}{command_extra}",
                example.display()
            ),
        );
    for (from, to) in edits {
        assert!(
            text.contains(from),
            "the example's walkthrough.yaml has no {from:?}"
        );
        text = text.replace(from, to);
    }
    let file = dir.join("walkthrough.yaml");
    std::fs::write(&file, text).unwrap();
    file
}

/// The example's project file with the app given a wrong webhook secret: every delivery is
/// rejected by the app (its SDK's `validateEvent` refuses the signature).
fn rejecting_project(dir: &Path) -> PathBuf {
    example_project(
        dir,
        "",
        &[(
            "\"${polar.webhook_secret}\"",
            "\"whsec_bm90IHRoZSBzZWNyZXQgdGhlIHJ1biByZWdpc3RlcmVk\"",
        )],
    )
}

/// No false pass: the app refuses every webhook (a wrong secret). Its success page pulls the
/// state from Polar, so its billing would still turn active; but the steps in which Polar's
/// webhooks were turned away fail, naming the delivery and the app's answer, and their
/// slots are not verified.
#[test]
fn a_run_whose_app_rejects_webhooks_does_not_verify_its_slots_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let project = rejecting_project(dir.path());
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let output = run_project(&out, &tag, dir.path(), &project);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert!(
        stderr.contains("the app rejected Polar's webhook `checkout.created`"),
        "{stderr}"
    );
    let r = report(&out);
    assert_eq!(r["run"]["status"], "failed");
    assert_eq!(r["run"]["app"]["source"], "command");
    assert_eq!(r["run"]["app"]["command"], "node server.mjs");
    assert!(r["run"]["app"]["state_probe"]
        .as_str()
        .unwrap()
        .contains("/api/billing/status"));
    for slot in ["new-user-to-checkout", "checkout-return-to-active"] {
        let verdict = r["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == slot)
            .unwrap();
        assert_eq!(verdict["status"], "failed", "{verdict:#}");
        let reason = verdict["reason"].as_str().unwrap();
        assert!(
            reason.contains("the app rejected Polar's webhook") && reason.contains("403"),
            "{reason}"
        );
    }
    // The first step that made Polar send a webhook (the checkout's creation) failed.
    let first = &r["scenarios"][0];
    let failed = first["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["status"] == "failed")
        .unwrap();
    assert_eq!(failed["name"], "Upgrade opens Polar checkout", "{failed:#}");
    let paid = &r["scenarios"][1];
    let rejected: Vec<&Value> = paid["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["succeeded"] == false)
        .collect();
    assert!(!rejected.is_empty(), "{paid:#}");
    for d in &rejected {
        assert_eq!(d["status_code"], 403, "{d}");
        assert!(d["step"].is_u64(), "{d}");
        let answer = d["response_excerpt"].as_str().unwrap_or_default();
        assert!(answer.contains("invalid_signature"), "{d}");
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("rejected: HTTP 403"),
        "the HTML shows the rejection"
    );
    assert!(html.contains(r#"data-testid="deliveries""#));
    assert!(
        !html.contains("whsec_bm90"),
        "the wrong secret is redacted too"
    );
}

/// The example's project file with the app pointed at Polar's sandbox by name, as a team
/// deploys it (`POLAR_API_URL=https://sandbox-api.polar.sh`), and the run answering that
/// name: the app reaches the mock through the run's proxy and CA, unchanged.
fn sandbox_named_project(dir: &Path) -> PathBuf {
    example_project(
        dir,
        "\n  intercept_polar: sandbox",
        &[(
            "POLAR_API_URL: \"${polar.api_url}\"",
            "POLAR_API_URL: https://sandbox-api.polar.sh",
        )],
    )
}

/// The run of the sandbox-named app in `browser`: the app reaches the mock through the run's
/// proxy and CA, and the browser pays on Polar's page host (the checkout link the app got is
/// `https://sandbox.polar.sh/checkout/…`, reached at the run's TLS port or proxy, with the
/// card frame of the mock's other origin inside it).
fn sandbox_named_run_passes(browser: &str) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let project = sandbox_named_project(dir.path());
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let output = walkthrough(&out, &tag, &dir.path().join("app.sqlite"))
        .arg("--config")
        .arg(&project)
        .args(["--video", "off", "--browser", browser])
        .env("WALKTHROUGH_GECKODRIVER", support::geckodriver())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("sandbox-api.polar.sh, sandbox.polar.sh answered by the mock"),
        "{stderr}"
    );
    assert!(!stderr.contains("made no call"), "{stderr}");
    let browser_connections = stderr
        .split("connection(s) and the browser ")
        .nth(1)
        .and_then(|rest| rest.split(';').next())
        .and_then(|n| n.trim().parse::<usize>().ok());
    assert!(browser_connections.is_some_and(|n| n > 0), "{stderr}");
    let r = report(&out);
    let paid = &r["scenarios"][1];
    let last = paid["steps"].as_array().unwrap().last().unwrap();
    assert_eq!(last["state_after"]["status"], "active", "{last:#}");
    let log = std::fs::read_to_string(out.join("logs/app.log")).unwrap_or_default();
    assert!(!log.contains("ENOTFOUND"), "{log}");
}

#[test]
fn an_app_that_calls_polars_sandbox_by_name_runs_against_the_mock() {
    sandbox_named_run_passes("chromium");
}

#[test]
fn firefox_pays_on_polars_page_host_too() {
    sandbox_named_run_passes("firefox");
}

/// `kill -9` of a run that answers Polar's names for the app: the app and the browser go
/// (their guardian), and no certificate or key of the run is anywhere on disk — not in the
/// run's temp folder, not in the run folder (the files the app read were never named).
#[test]
fn a_killed_intercept_run_leaves_no_certificate_key_or_process() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let project = sandbox_named_project(dir.path());
    let tag = new_tag();
    let _guard = TagGuard(tag.clone());
    let mut child = walkthrough(&out, &tag, &dir.path().join("app.sqlite"))
        .arg("--config")
        .arg(&project)
        .env("TMPDIR", &tmp)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for_a_step(&mut child, &out);
    // While it runs, the app reads the CA through this process's descriptors only.
    let environ = support::processes::tagged(&tag)
        .into_iter()
        .find(|(_, name)| name == "node")
        .map(|(pid, _)| std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default())
        .expect("the app runs");
    let environ = String::from_utf8_lossy(&environ).to_string();
    assert!(
        environ.contains(&format!("NODE_EXTRA_CA_CERTS=/proc/{}/fd/", child.id())),
        "{environ}"
    );
    child.kill().unwrap(); // SIGKILL: no cleanup code of the run gets to run
    child.wait().unwrap();
    let left = wait_gone(&tag, Duration::from_secs(10));
    assert!(left.is_empty(), "left running after SIGKILL: {left:?}");
    let mut pem = Vec::new();
    for root in [&tmp, &out, &dir.path().to_path_buf()] {
        let mut stack = vec![root.clone()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = e.path();
                if path.is_dir() {
                    stack.push(path);
                } else if std::fs::read(&path).is_ok_and(|b| {
                    let text = String::from_utf8_lossy(&b);
                    text.contains("BEGIN CERTIFICATE") || text.contains("PRIVATE KEY")
                }) {
                    pem.push(path);
                }
            }
        }
    }
    assert!(pem.is_empty(), "certificates or keys left: {pem:?}");
}
