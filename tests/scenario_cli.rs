//! `walkthrough check` and `walkthrough schema` as a user runs them.

use std::path::Path;
use std::process::Command;

fn walkthrough(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

#[test]
fn check_accepts_the_valid_fixtures() {
    let out = walkthrough(&["check", "fixtures/valid", "--var", "extra=1"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), "ok: 2 scenarios, 5 steps");
}

#[test]
fn check_reports_every_problem_with_location_and_caret() {
    let out = walkthrough(&[
        "check",
        "fixtures/invalid/unknown-action.yaml",
        "fixtures/invalid/bad-duration.yaml",
    ]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: unknown action `clik`"), "{stderr}");
    assert!(
        stderr.contains(" --> fixtures/invalid/unknown-action.yaml:7:9"),
        "{stderr}"
    );
    assert!(
        stderr.contains("  |         ^^^^ did you mean `click`?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("fixtures/invalid/bad-duration.yaml:5:"),
        "{stderr}"
    );
    assert!(
        stderr.contains("problems found; nothing was run"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn check_reports_an_overflowing_duration_instead_of_crashing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "name: S\nsteps:\n  - name: a\n    do:\n      - wait_for: { testid: r, timeout: 99999999999999999999999s }\n",
    )
    .unwrap();
    let out = walkthrough(&["check", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: `99999999999999999999999s` is too long: at most 1h"),
        "{stderr}"
    );
}

#[test]
fn check_reports_a_missing_path() {
    let out = walkthrough(&["check", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read `no/such/dir`"));
}

#[test]
fn check_rejects_a_malformed_var_as_usage() {
    let out = walkthrough(&["check", "fixtures/valid", "--var", "novalue"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn cli_vars_count_as_defined() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.yaml");
    std::fs::write(
        &file,
        "name: S\nsteps:\n  - name: a\n    do:\n      - open: \"/w/${workspace}\"\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    assert_eq!(walkthrough(&["check", path]).status.code(), Some(3));
    assert_eq!(
        walkthrough(&["check", path, "--var", "workspace=acme"])
            .status
            .code(),
        Some(0)
    );
}

#[test]
fn schema_prints_a_json_schema() {
    let out = walkthrough(&["schema"]);
    assert_eq!(out.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(jsonschema::validator_for(&schema).is_ok());
    let action = &schema["$defs"]["action"]["anyOf"][0]["properties"];
    for name in [
        "open",
        "click",
        "fill",
        "within_frame",
        "eventually",
        "http",
    ] {
        assert!(action.get(name).is_some(), "{name} in the schema");
    }
}

#[test]
fn check_reports_a_malformed_time_variable_where_it_is_and_what_was_expected() {
    let out = walkthrough(&["check", "fixtures/time/bad-time.yaml"]);
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/time/bad-time.expected"),
    )
    .unwrap();
    assert_eq!(stderr, expected);
    // The well-formed `${time.now+30s}` of its `vars:` is not among the problems.
    assert!(!stderr.contains("time.now+30s}`"), "{stderr}");
}

/// `polar.seed` names a file (not only a folder's `seed.json`): `check` reads it as the mock
/// will and refuses a broken one; `mock-polar` serves it.
#[test]
fn the_project_seed_is_the_file_it_names_for_check_and_mock_polar() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("scenarios")).unwrap();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/valid/continue-using.yml"),
        dir.path().join("scenarios/continue-using.yml"),
    )
    .unwrap();
    let seed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/polar/seed.json"),
    )
    .unwrap()
    .replace("\"slug\": \"tegy\"", "\"slug\": \"acme-from-project\"");
    std::fs::write(dir.path().join("polar-seed.json"), &seed).unwrap();
    let config = dir.path().join("walkthrough.yaml");
    std::fs::write(
        &config,
        "scenarios: [scenarios]\npolar:\n  seed: polar-seed.json\n",
    )
    .unwrap();
    let config = config.to_str().unwrap();

    let ok = walkthrough(&["check", "--config", config]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // mock-polar serves the project's seed: its first line names the organization.
    let mut child = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .args(["mock-polar", "--config", config])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        line.contains("\"organization_slug\":\"acme-from-project\""),
        "{line}"
    );

    std::fs::write(
        dir.path().join("polar-seed.json"),
        seed.replace("polar_oat_", "oat_"),
    )
    .unwrap();
    let bad = walkthrough(&["check", "--config", config]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("polar-seed.json: organization.token must start with polar_oat_"),
        "{stderr}"
    );
}
