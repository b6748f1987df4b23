//! The JSON Schema `walkthrough schema` prints agrees with `check`: every real scenario and
//! flow passes it, and every invalid fixture fails it or `check`.

use std::path::{Path, PathBuf};

use walkthrough::scenario::{json_schema, load, yaml_to_json, LoadOptions};

/// Invalid fixtures whose problem a JSON Schema cannot see, and why. Every other invalid
/// fixture must fail the schema too, so editors flag it as it is typed.
const ONLY_CHECK_SEES: &[(&str, &str)] = &[
    (
        "bad-regex",
        "the pattern is a valid string; only a regex engine rejects it",
    ),
    (
        "flow-params",
        "params are checked against the flow file `use:` names",
    ),
    ("missing-flow", "the flow file is looked up on disk"),
    ("unclosed-variable", "`${…}` is inside a string"),
    ("unknown-variable", "`${…}` is inside a string"),
    ("use-cycle", "the cycle runs through other files"),
];

/// Every `*.yaml` / `*.yml` under `dir`, flows included, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// The schema's complaints about `file`, or why it is not even a JSON value.
fn schema_errors(validator: &jsonschema::Validator, file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let Some(value) = yaml_to_json(&text) else {
        return vec!["not one YAML document".into()];
    };
    validator
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn every_scenario_and_flow_passes_the_schema() {
    let schema = json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in ["scenarios", "fixtures/valid", "fixtures/scenarios"] {
        let files = yaml_files(Path::new(dir));
        assert!(
            files
                .iter()
                .any(|f| f.components().any(|c| c.as_os_str() == "flows")),
            "{dir} has flows"
        );
        for file in files {
            checked += 1;
            let errors = schema_errors(&validator, &file);
            if !errors.is_empty() {
                failures.push(format!("{}:\n  {}", file.display(), errors.join("\n  ")));
            }
        }
    }
    assert!(checked >= 20, "only {checked} files found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_invalid_fixture_fails_the_schema_or_check_and_the_schema_sees_all_it_can() {
    let schema = json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let opts = LoadOptions::with_cli_vars(vec![]);
    let mut passed_schema = Vec::new();
    let fixtures: Vec<PathBuf> = std::fs::read_dir("fixtures/invalid")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    assert!(fixtures.len() >= 20);
    for file in &fixtures {
        let schema_ok = schema_errors(&validator, file).is_empty();
        let check_ok = load(std::slice::from_ref(file), &opts).is_ok();
        assert!(!(schema_ok && check_ok), "{} passes both", file.display());
        if schema_ok {
            passed_schema.push(file.file_stem().unwrap().to_string_lossy().into_owned());
        }
    }
    passed_schema.sort();
    let expected: Vec<&str> = ONLY_CHECK_SEES.iter().map(|(name, _)| *name).collect();
    assert_eq!(
        passed_schema, expected,
        "invalid fixtures the schema accepts (only `check` catches them)"
    );
}

#[test]
fn a_typo_the_schema_flags_is_one_check_flags_too() {
    let schema = json_schema();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let dir = tempfile::tempdir().unwrap();
    let base = "name: T\nsteps:\n  - name: S\n    do:\n      - ";
    let opts = LoadOptions::with_cli_vars(vec![]);
    for (action, schema_ok) in [
        (
            "type: { label: Card number, text: \"4242 4242\", timeout: 5s }",
            true,
        ),
        ("type: { text: \"4242\" }", false),
        ("type: { label: Card number }", false),
        ("fill: { label: Email, valeu: x }", false),
        ("press: { key: Tab, label: A, testid: b }", false),
        ("verify_config: staging", false),
        ("screenshot: { name: a, timeout: 1s }", false),
        ("open: { url: /, timeout: 1.5s }", true),
        ("wait_for: { testid: r, timeout: 10 }", false),
    ] {
        let text = format!("{base}{action}\n");
        let file = dir.path().join("s.yaml");
        std::fs::write(&file, &text).unwrap();
        let value = yaml_to_json(&text).unwrap();
        assert_eq!(validator.is_valid(&value), schema_ok, "schema: {action}");
        assert_eq!(load(&[file], &opts).is_ok(), schema_ok, "check: {action}");
    }
}
