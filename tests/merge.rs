//! `walkthrough merge`: the default scenarios run as three shards in Chromium and three in
//! Firefox (as a CI matrix would), merged into one folder: six verified slots per browser,
//! every link of the merged page pointing at a real file, `walkthrough verify` passing on
//! the merged folder and on each run in it; a shard with one byte changed is refused,
//! naming the folder and the file; `--out` is refused when it holds something, as `run`
//! refuses it.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::Value;
use support::geckodriver;

/// `walkthrough run --shard I/3` of the default scenarios in `browser` into `out`, video on
/// (a slot is verified only with its checked clips); it must pass. `--retries 1`: on a
/// loaded machine a Firefox shard once failed a step; a scenario that passes on its retry
/// still verifies its slot (flagged flaky), which is what a CI matrix feeding a merge does.
fn shard_run(browser: &str, shard: usize, out: &Path) {
    let started = Instant::now();
    let tag = support::processes::new_tag();
    let _guard = support::processes::TagGuard(tag.clone());
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env(support::processes::TAG_VAR, &tag)
        .env("WALKTHROUGH_GECKODRIVER", geckodriver())
        .env_remove("DISPLAY")
        .args([
            "run",
            "--quiet",
            "--retries",
            "1",
            "--browser",
            browser,
            "--shard",
        ])
        .arg(format!("{shard}/3"))
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{browser} {shard}/3: {stderr}"
    );
    eprintln!(
        "{browser} shard {shard}/3: {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

fn walkthrough(args: &[&str], paths: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .args(args)
        .args(paths)
        .output()
        .unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every `src="…"` and `href="…"` of the page that names a file (not an anchor).
fn links(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["src=\"", "href=\""] {
        for part in html.split(attr).skip(1) {
            let link = &part[..part.find('"').unwrap()];
            if !link.starts_with('#') {
                out.push(link.replace("%20", " "));
            }
        }
    }
    out
}

#[test]
fn three_shards_in_two_browsers_merge_into_one_verified_folder_and_a_tampered_shard_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let mut folders: Vec<PathBuf> = Vec::new();
    for browser in ["chromium", "firefox"] {
        for shard in 1..=3 {
            let out = root.path().join(format!("{browser}-{shard}"));
            shard_run(browser, shard, &out);
            folders.push(out);
        }
    }
    let inputs: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    let merged = root.path().join("merged");
    let out = walkthrough(&["merge", "--out", merged.to_str().unwrap()], &inputs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        merged.join("index.html").display().to_string()
    );

    let report = json(&merged.join("report.json"));
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 6);
    // Ordered by target, browser and shard, whatever the order given.
    let dirs: Vec<&str> = runs.iter().map(|r| r["dir"].as_str().unwrap()).collect();
    assert_eq!(
        dirs,
        [
            "runs/01-mock-chrome-shard-1-of-3",
            "runs/02-mock-chrome-shard-2-of-3",
            "runs/03-mock-chrome-shard-3-of-3",
            "runs/04-mock-firefox-shard-1-of-3",
            "runs/05-mock-firefox-shard-2-of-3",
            "runs/06-mock-firefox-shard-3-of-3",
        ]
    );
    for (i, run) in runs.iter().enumerate() {
        assert_eq!(run["shard"]["index"], i % 3 + 1, "{run:#}");
        assert_eq!(run["shard"]["of"], 3);
        assert_eq!(run["status"], "passed");
        // Each run's own report, copied whole, says the same run.
        let own = json(&merged.join(dirs[i]).join("report.json"));
        assert_eq!(own["run"]["id"], run["id"]);
    }
    let matrix = report["matrix"].as_array().unwrap();
    let columns: Vec<(&str, &str)> = matrix
        .iter()
        .map(|c| {
            (
                c["target"].as_str().unwrap(),
                c["browser"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(columns, [("mock", "chrome"), ("mock", "firefox")]);
    for column in matrix {
        let slots = column["slots"].as_array().unwrap();
        assert_eq!(slots.len(), 6);
        for slot in slots {
            assert_eq!(
                slot["status"], "verified",
                "{}: {slot:#}",
                column["browser"]
            );
            // The deciding scenario is one of the merged scenarios, from a run of this
            // column, and its clip is a real file of the merged folder.
            let index = slot["scenario_index"].as_u64().unwrap() as usize;
            let scenario = &report["scenarios"][index];
            assert_eq!(scenario["slot"], slot["id"]);
            let run = scenario["run"].as_u64().unwrap() as usize;
            assert!(column["runs"]
                .as_array()
                .unwrap()
                .contains(&Value::from(run)));
            let clip = slot["clip"].as_str().unwrap();
            assert!(clip.starts_with(dirs[run]), "{clip}");
            assert!(merged.join(clip).is_file(), "{clip}");
        }
    }
    for slot in report["slots"].as_array().unwrap() {
        assert_eq!(slot["status"], "verified", "{slot:#}");
    }
    // Seven scenario files a shard each third: 7 scenarios per browser, the canary not
    // runnable on the mock.
    assert_eq!(report["scenarios"].as_array().unwrap().len(), 14);

    // Every link of the merged page points at a real file.
    let html = std::fs::read_to_string(merged.join("index.html")).unwrap();
    let links = links(&html);
    assert!(links.iter().filter(|l| l.ends_with(".mp4")).count() > 20);
    for link in &links {
        assert!(merged.join(link).is_file(), "{link} is not a file");
    }
    let junit = std::fs::read_to_string(merged.join("junit.xml")).unwrap();
    assert_eq!(junit.matches("<testsuite ").count(), 6);
    let summary = std::fs::read_to_string(merged.join("summary.md")).unwrap();
    assert!(
        summary.contains("| `payment-recovery` | ✅ verified | ✅ verified | ✅ verified |"),
        "{summary}"
    );

    // The merged folder verifies, and so does each run inside it.
    let verify = walkthrough(&["verify"], &[&merged]);
    assert_eq!(
        verify.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    let verify = walkthrough(&["verify"], &[&merged.join(dirs[4])]);
    assert_eq!(verify.status.code(), Some(0));

    // --out holding something is refused as `run` refuses it; --overwrite replaces a merge.
    let again = walkthrough(&["merge", "--out", merged.to_str().unwrap()], &inputs);
    assert_eq!(again.status.code(), Some(6));
    assert!(String::from_utf8_lossy(&again.stderr).contains("--overwrite"));
    let again = walkthrough(
        &["merge", "--overwrite", "--out", merged.to_str().unwrap()],
        &inputs,
    );
    assert_eq!(again.status.code(), Some(0));

    // One byte changed in one shard: the merge is refused, naming the folder and the file.
    let tampered = &folders[1];
    let shot = std::fs::read_dir(tampered.join("scenarios"))
        .unwrap()
        .flatten()
        .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
        .map(|f| f.path())
        .find(|p| p.extension().is_some_and(|e| e == "png"))
        .unwrap();
    let mut bytes = std::fs::read(&shot).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&shot, &bytes).unwrap();
    let refused_out = root.path().join("refused");
    let refused = walkthrough(&["merge", "--out", refused_out.to_str().unwrap()], &inputs);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    let rel = shot.strip_prefix(tampered).unwrap().display().to_string();
    assert!(stderr.contains(&tampered.display().to_string()), "{stderr}");
    assert!(stderr.contains(&format!("{rel}: changed")), "{stderr}");
    assert!(
        !refused_out.exists(),
        "nothing is written for a refused merge"
    );
}

#[test]
fn a_merge_with_no_folder_or_an_unverifiable_one_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("merged");
    let none = walkthrough(&["merge", "--out", out.to_str().unwrap()], &[]);
    assert_eq!(none.status.code(), Some(2));
    // A folder with no manifest (an unfinished run, or not a run at all).
    let bare = root.path().join("bare");
    std::fs::create_dir_all(&bare).unwrap();
    std::fs::write(bare.join("report.json"), "{}").unwrap();
    let refused = walkthrough(&["merge", "--out", out.to_str().unwrap()], &[&bare]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no manifest.json"), "{stderr}");
    assert!(stderr.contains(&bare.display().to_string()), "{stderr}");
    // --out inside an input would copy the merge into itself.
    let inside = bare.join("merged");
    let usage = walkthrough(&["merge", "--out", inside.to_str().unwrap()], &[&bare]);
    assert_eq!(usage.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&usage.stderr).contains("overlaps"));
}
