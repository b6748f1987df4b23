//! The mock against Polar's official SDKs, in every API version they ship: each test starts a
//! mock and runs one SDK line's contract script (`tests/sdk/…`), which calls every operation
//! the mock models through the SDK and validates every webhook it receives with the SDK's own
//! `validateEvent` / `validate_event`. The test then requires, per shipped version:
//!
//! * no failed check;
//! * every operation the mock models (`polar_mock::operations()`) exercised;
//! * every webhook type the mock sends received and validated;
//! * anything short of a pass explained by a named SDK defect, where it is allowed;
//! * each line's declared gaps, exactly: the operations and error classes it lacks
//!   (`sdk-missing`), its named defects (`sdk-defect`), the webhook types its `validateEvent`
//!   does not know (`sdk-unknown-type`) and those it cannot subscribe to
//!   (`sdk-unsubscribable`): one more or one fewer fails the test, so an SDK gap neither
//!   passes silently nor outlives its cause. `docs/your-app.md` tables them per line.
//!
//! The toolchains come from `scripts/setup-tests.sh` (pinned, under `.tools/`); nothing is
//! downloaded here. A missing or outdated toolchain fails the test with the command to run.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use walkthrough::polar_mock::{ApiVersion, DeliveryConfig, MockConfig, MockPolar};

/// Every webhook type the mock sends (the contract flows trigger them all).
const MOCK_EVENT_TYPES: &[&str] = &[
    "checkout.created",
    "checkout.updated",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.state_changed",
    "order.created",
    "order.updated",
    "order.paid",
    "subscription.created",
    "subscription.updated",
    "subscription.active",
    "subscription.canceled",
    "subscription.uncanceled",
    "subscription.cycled",
    "subscription.revoked",
    "subscription.past_due",
    "customer_seat.assigned",
    "customer_seat.claimed",
    "customer_seat.revoked",
    "benefit_grant.created",
    "benefit_grant.cycled",
    "benefit_grant.revoked",
];

/// The 1.x SDKs type `CustomerStateSubscription.status` with RotatedLicenseKey's `Status`
/// ("granted" | "disabled"); Polar sends "active" | "trialing". The scripts prove the mock's
/// answer loads once exactly those values are patched.
const STATUS_COLLISION: &str =
    "CustomerStateSubscription.status typed 'granted' | 'disabled' (Status collision)";
const STATUS_COLLISION_AT: &[&str] = &[
    "customers:get_state",
    "customers:get_state_external",
    "customer.state_changed",
];

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

fn setup_hint(what: &str) -> String {
    format!("{what}: run scripts/setup-tests.sh (it installs the pinned SDKs into .tools/) and try again")
}

/// The version a package in `node_modules` has, or a failure naming setup-tests.sh.
fn installed_npm(dir: &str, package: &str) -> String {
    let manifest = repo(dir)
        .join("node_modules")
        .join(package)
        .join("package.json");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|_| {
        panic!(
            "{}",
            setup_hint(&format!("{} is missing", manifest.display()))
        )
    });
    let v: Value = serde_json::from_str(&text).expect("package.json is JSON");
    v["version"].as_str().unwrap_or_default().to_string()
}

/// Checks that `.tools/<dir>` holds exactly the packages `tests/sdk/<spec>/package.json` pins.
fn check_npm_pins(dir: &str, spec: &str) {
    let pins: Value = serde_json::from_str(
        &std::fs::read_to_string(repo(&format!("tests/sdk/{spec}/package.json"))).unwrap(),
    )
    .unwrap();
    for (package, version) in pins["dependencies"].as_object().unwrap() {
        let have = installed_npm(dir, package);
        assert_eq!(
            have,
            version.as_str().unwrap(),
            "{}",
            setup_hint(&format!(
                "{dir} has {package} {have}, tests/sdk/{spec} pins {version}"
            ))
        );
    }
}

struct Line {
    /// Shown in failures and the table.
    name: &'static str,
    program: PathBuf,
    /// The script, run from a fresh directory whose `node_modules` points at `modules` (Node)
    /// or in place (Python).
    script: PathBuf,
    modules: Option<PathBuf>,
    versions: Vec<&'static str>,
    /// Webhook types this SDK line does not know (its `validateEvent` refuses them by type).
    unknown_types: &'static [&'static str],
    status_collision: bool,
    /// Exactly the gaps this line reports, beside the Status collision (see `Gaps`).
    gaps: Gaps,
}

/// What an SDK line lacks, each entry exactly as its contract script reports it; a line
/// reports every one of them and nothing else.
#[derive(Default)]
struct Gaps {
    /// `(operation, detail)` recorded `sdk-missing`: no such method or error class.
    missing: &'static [(&'static str, &'static str)],
    /// `(operation, detail)` recorded `sdk-defect`, other than the Status collision.
    defects: &'static [(&'static str, &'static str)],
    /// Webhook types the SDK cannot subscribe an endpoint to (a closed event-type enum).
    unsubscribable: &'static [&'static str],
}

/// The 0.47 and 0.42 lines predate the organization's payment-method endpoints
/// (`p.customers.listPaymentMethods*`) and the `PaymentMethodSetupFailed` error (the refusal
/// still comes, as a plain SDK error with Polar's status 400).
const PRE_048_MISSING: &[(&str, &str)] = &[
    (
        "customers:list_payment_methods",
        "no p.customers.listPaymentMethods",
    ),
    (
        "customers:list_payment_methods_external",
        "no p.customers.listPaymentMethodsExternal",
    ),
    (
        "customer_portal:customers:add_payment_method",
        "no PaymentMethodSetupFailed error class",
    ),
];

fn python_line() -> Line {
    let python = repo(".tools/sdk-py/bin/python");
    assert!(
        python.exists(),
        "{}",
        setup_hint(".tools/sdk-py is missing")
    );
    let out = std::process::Command::new(&python)
        .args(["-c", "import polar; print(polar.__version__)"])
        .output()
        .expect("runs the venv's python");
    let have = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let pinned = std::fs::read_to_string(repo("tests/sdk/python/requirements.txt")).unwrap();
    assert!(
        pinned.contains(&format!("polar-sdk=={have} ")),
        "{}",
        setup_hint(&format!(
            ".tools/sdk-py has polar-sdk {have:?}, not the pinned one"
        ))
    );
    Line {
        name: "polar-sdk (Python)",
        program: python,
        script: repo("tests/sdk/python/contract.py"),
        modules: None,
        versions: ApiVersion::ALL.iter().map(|v| v.as_str()).collect(),
        unknown_types: &[],
        status_collision: true,
        gaps: Gaps::default(),
    }
}

fn node_line() -> Line {
    let node = repo(".tools/node22/node_modules/.bin/node");
    assert!(
        node.exists(),
        "{}",
        setup_hint(".tools/node22 (Node 22) is missing")
    );
    check_npm_pins(".tools/sdk-node", "node");
    Line {
        name: "@polar-sh/sdk 1.x (Node 22)",
        program: node,
        script: repo("tests/sdk/node/contract.mjs"),
        modules: Some(repo(".tools/sdk-node/node_modules")),
        versions: ApiVersion::ALL.iter().map(|v| v.as_str()).collect(),
        unknown_types: &[],
        status_collision: true,
        gaps: Gaps::default(),
    }
}

fn legacy_line() -> Line {
    check_npm_pins(".tools/sdk-node-legacy", "node-legacy");
    let node = which("node").unwrap_or_else(|| panic!("{}", setup_hint("no node on PATH")));
    Line {
        name: "@polar-sh/sdk 0.49 (system Node)",
        program: node,
        script: repo("tests/sdk/node-legacy/contract.mjs"),
        modules: Some(repo(".tools/sdk-node-legacy/node_modules")),
        // 0.x sends no Polar-Version header: Polar's default version.
        versions: vec![ApiVersion::DEFAULT.as_str()],
        unknown_types: &["subscription.cycled"],
        status_collision: false,
        gaps: Gaps::default(),
    }
}

/// An older 0.x line (`tests/sdk/node-<dir>`, installed in `.tools/sdk-node-<dir>`), run with
/// the 0.49 line's script, which adapts to what the SDK has.
fn old_line(
    name: &'static str,
    dir: &str,
    unknown_types: &'static [&'static str],
    gaps: Gaps,
) -> Line {
    check_npm_pins(&format!(".tools/sdk-node-{dir}"), &format!("node-{dir}"));
    let node = which("node").unwrap_or_else(|| panic!("{}", setup_hint("no node on PATH")));
    Line {
        name,
        program: node,
        script: repo("tests/sdk/node-legacy/contract.mjs"),
        modules: Some(repo(&format!(".tools/sdk-node-{dir}/node_modules"))),
        versions: vec![ApiVersion::DEFAULT.as_str()],
        unknown_types,
        status_collision: false,
        gaps,
    }
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

/// Starts a mock, runs the line's script against it, returns the parsed report.
async fn run(line: &Line) -> Value {
    let delivery = DeliveryConfig {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(50),
        ..DeliveryConfig::default()
    };
    // Polar's default seed plus seat-based pricing on, as Polar turns it on for every new
    // organization: the flows claim a seat, which grants the product's benefit.
    let config = MockConfig {
        port: None,
        fixtures_dir: Some(repo("tests/sdk/seed.json")),
    };
    let mock = MockPolar::start_with(config, delivery, false)
        .await
        .unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let script = match &line.modules {
        Some(modules) => {
            std::os::unix::fs::symlink(modules, workdir.path().join("node_modules")).unwrap();
            let copy = workdir.path().join(line.script.file_name().unwrap());
            std::fs::copy(&line.script, &copy).unwrap();
            copy
        }
        None => line.script.clone(),
    };
    let started = Instant::now();
    let child = tokio::process::Command::new(&line.program)
        .arg(&script)
        .args([mock.base_url(), mock.token(), mock.product_id()])
        .current_dir(workdir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("{}: cannot run {}: {e}", line.name, line.program.display()));
    let out = tokio::time::timeout(Duration::from_secs(600), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("{}: the contract script ran over 10 minutes", line.name))
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    eprintln!("{}: {:.1} s", line.name, started.elapsed().as_secs_f64());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "{}: no JSON report (exit {:?})\n{stdout}\n{stderr}",
                line.name,
                out.status.code()
            )
        });
    assert!(
        out.status.success() || failures(&report).next().is_some(),
        "{}: exit {:?} without a failed check\n{stderr}",
        line.name,
        out.status.code()
    );
    report
}

fn failures(report: &Value) -> impl Iterator<Item = &Value> {
    report["results"]
        .as_array()
        .into_iter()
        .chain(report["webhooks"].as_array())
        .flatten()
        .filter(|x| x["outcome"] == "fail")
}

/// Operation × version → the outcomes of its checks (e.g. `pass` or `pass+sdk-defect`).
fn table(report: &Value) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut t: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for r in report["results"].as_array().unwrap() {
        let (op, v, o) = (
            r["operation"].as_str().unwrap(),
            r["version"].as_str().unwrap(),
            r["outcome"].as_str().unwrap(),
        );
        t.entry(op.to_string())
            .or_default()
            .entry(v.to_string())
            .or_default()
            .insert(o.to_string());
    }
    t
}

fn check(line: &Line, report: &Value) {
    let failed: Vec<String> = failures(report).map(|x| x.to_string()).collect();
    assert!(
        failed.is_empty(),
        "{}: {} failed checks:\n{}",
        line.name,
        failed.len(),
        failed.join("\n")
    );
    let t = table(report);
    let modelled: BTreeSet<String> = walkthrough::polar_mock::operations()
        .into_iter()
        .filter(|o| o.modelled)
        .map(|o| o.id)
        .collect();
    for v in &line.versions {
        let covered: BTreeSet<String> = t
            .iter()
            .filter(|(_, cells)| cells.get(*v).is_some())
            .map(|(op, _)| op.clone())
            .collect();
        let missing: Vec<&String> = modelled.difference(&covered).collect();
        assert!(
            missing.is_empty(),
            "{} {v}: modelled operations never exercised: {missing:?}",
            line.name
        );
        let hooks: BTreeMap<&str, &Value> = report["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|w| w["version"] == *v)
            .map(|w| (w["type"].as_str().unwrap(), w))
            .collect();
        let seen: BTreeSet<&str> = hooks.keys().copied().collect();
        let expected: BTreeSet<&str> = MOCK_EVENT_TYPES.iter().copied().collect();
        assert_eq!(
            seen, expected,
            "{} {v}: webhook types received vs the types the mock sends",
            line.name
        );
        for (kind, w) in hooks {
            match w["outcome"].as_str().unwrap() {
                "pass" => {}
                "sdk-unknown-type" => assert!(
                    line.unknown_types.contains(&kind),
                    "{} {v}: {kind} unexpectedly unknown",
                    line.name
                ),
                "sdk-unsubscribable" => assert!(
                    line.gaps.unsubscribable.contains(&kind),
                    "{} {v}: {kind} unexpectedly unsubscribable",
                    line.name
                ),
                "sdk-defect" => assert!(
                    line.status_collision
                        && w["detail"] == STATUS_COLLISION
                        && STATUS_COLLISION_AT.contains(&kind),
                    "{} {v}: unexpected defect {w}",
                    line.name
                ),
                other => panic!("{} {v}: {kind}: {other}", line.name),
            }
        }
    }
    for r in report["results"].as_array().unwrap() {
        if r["outcome"] == "sdk-defect" {
            let op = r["operation"].as_str().unwrap();
            let named = (op, r["detail"].as_str().unwrap_or_default());
            assert!(
                (line.status_collision
                    && r["detail"] == STATUS_COLLISION
                    && STATUS_COLLISION_AT.contains(&op))
                    || line.gaps.defects.contains(&named),
                "{}: a defect that is neither the known Status collision nor a named one: {r}",
                line.name
            );
        }
    }
    check_gaps(line, report);
    let mut lines = vec![format!(
        "{} — {}",
        line.name,
        report["sdk"].as_str().unwrap_or("")
    )];
    for (op, cells) in &t {
        let row: Vec<String> = line
            .versions
            .iter()
            .map(|v| {
                let cell = cells
                    .get(*v)
                    .map(|o| o.iter().cloned().collect::<Vec<_>>().join("+"));
                format!("{v}: {}", cell.unwrap_or_else(|| "-".into()))
            })
            .collect();
        lines.push(format!("  {op:<50} {}", row.join("  ")));
    }
    eprintln!("{}", lines.join("\n"));
}

/// `(operation or webhook type, detail)` of every check or webhook of version `v` with
/// outcome `outcome`, except the Status collision (allowed, not required, above).
fn reported(report: &Value, v: &str, outcome: &str) -> BTreeSet<(String, String)> {
    let key = |x: &Value| {
        let at = x["operation"]
            .as_str()
            .or(x["type"].as_str())
            .unwrap_or_default();
        (
            at.to_string(),
            x["detail"].as_str().unwrap_or_default().to_string(),
        )
    };
    report["results"]
        .as_array()
        .into_iter()
        .chain(report["webhooks"].as_array())
        .flatten()
        .filter(|x| x["version"] == v && x["outcome"] == outcome && x["detail"] != STATUS_COLLISION)
        .map(key)
        .collect()
}

/// Every declared gap is reported, in every version the line runs, and nothing else.
fn check_gaps(line: &Line, report: &Value) {
    let owned = |pairs: &[(&str, &str)]| -> BTreeSet<(String, String)> {
        pairs
            .iter()
            .map(|(a, d)| (a.to_string(), d.to_string()))
            .collect()
    };
    let kinds = |set: BTreeSet<(String, String)>| -> BTreeSet<String> {
        set.into_iter().map(|(k, _)| k).collect()
    };
    let names =
        |list: &[&str]| -> BTreeSet<String> { list.iter().map(|k| k.to_string()).collect() };
    for v in &line.versions {
        let n = line.name;
        assert_eq!(
            reported(report, v, "sdk-missing"),
            owned(line.gaps.missing),
            "{n} {v}: sdk-missing"
        );
        assert_eq!(
            reported(report, v, "sdk-defect"),
            owned(line.gaps.defects),
            "{n} {v}: named defects"
        );
        assert_eq!(
            kinds(reported(report, v, "sdk-unknown-type")),
            names(line.unknown_types),
            "{n} {v}: unknown webhook types"
        );
        assert_eq!(
            kinds(reported(report, v, "sdk-unsubscribable")),
            names(line.gaps.unsubscribable),
            "{n} {v}: unsubscribable webhook types"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polar_sdk_python_in_every_version() {
    let line = python_line();
    let report = run(&line).await;
    check(&line, &report);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polar_sh_sdk_1x_in_every_version() {
    let line = node_line();
    let report = run(&line).await;
    check(&line, &report);
    let undeclared = report["undeclared_fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    eprintln!("fields the TypeScript types do not declare (not failures): {undeclared:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polar_sh_sdk_049_without_a_version_header() {
    let line = legacy_line();
    let report = run(&line).await;
    check(&line, &report);
}

/// 0.47.1: what `@polar-sh/nextjs` and the other adapters pin (`^0.47`). Its event-type enum is
/// open, so it subscribes to every type, but its `validateEvent` predates
/// `subscription.cycled`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polar_sh_sdk_047_as_the_framework_adapters_pin_it() {
    let gaps = Gaps {
        missing: PRE_048_MISSING,
        ..Gaps::default()
    };
    let line = old_line(
        "@polar-sh/sdk 0.47 (system Node)",
        "0.47",
        &["subscription.cycled"],
        gaps,
    );
    let report = run(&line).await;
    check(&line, &report);
}

/// 0.42.5: what older adapter releases on npm resolve to. Its `WebhookEventType` is a closed
/// enum without `subscription.cycled` (it refuses to send it, and would refuse any answer
/// naming it), and its `validateEvent` does not know `subscription.past_due`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polar_sh_sdk_042_as_older_adapters_resolve_it() {
    let gaps = Gaps {
        missing: PRE_048_MISSING,
        defects: &[(
            "webhooks:create_webhook_endpoint",
            "closed WebhookEventType lacks subscription.cycled",
        )],
        unsubscribable: &["subscription.cycled"],
    };
    let line = old_line(
        "@polar-sh/sdk 0.42 (system Node)",
        "0.42",
        &["subscription.past_due"],
        gaps,
    );
    let report = run(&line).await;
    check(&line, &report);
}
