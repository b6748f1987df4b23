//! Parsing and validation tests: every action in its short and long forms, flows, vars.

use super::*;
use std::path::Path;
use std::time::Duration;

/// Writes `files` into a temporary directory and loads `main` from it.
fn load_files(
    files: &[(&str, &str)],
    main: &str,
) -> (tempfile::TempDir, Result<LoadedScenarios, Diagnostics>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let opts = LoadOptions::with_cli_vars(vec![("cli_seats".into(), "2".into())]);
    let r = load(&[dir.path().join(main)], &opts);
    (dir, r)
}

fn scenario_with_actions(actions: &str) -> String {
    let body: String = actions.lines().map(|l| format!("      {l}\n")).collect();
    format!("name: T\nsteps:\n  - name: S\n    do:\n{body}")
}

fn actions(src: &str) -> Vec<Action> {
    let (_d, r) = load_files(&[("s.yaml", &scenario_with_actions(src))], "s.yaml");
    match r {
        Ok(l) => l.scenarios[0].steps[0].actions.clone(),
        Err(d) => panic!("unexpected diagnostics:\n{}", d.render()),
    }
}

/// (line, column, message, help) of every diagnostic.
fn problems(src: &str) -> Vec<(usize, usize, String, Option<String>)> {
    problems_in(&[("s.yaml", src)], "s.yaml")
}

fn problems_in(files: &[(&str, &str)], main: &str) -> Vec<(usize, usize, String, Option<String>)> {
    let (_d, r) = load_files(files, main);
    match r {
        Ok(_) => Vec::new(),
        Err(d) => d
            .items
            .into_iter()
            .map(|d| (d.location.line, d.location.column, d.message, d.help))
            .collect(),
    }
}

fn action_problems(src: &str) -> Vec<(usize, usize, String, Option<String>)> {
    problems(&scenario_with_actions(src))
}

fn loc(l: &Locator) -> (By, &str) {
    (l.by, l.value.raw.as_str())
}

#[test]
fn open_short_and_long() {
    let a = actions("- open: /new\n- open: { url: \"https://x.test/a\", timeout: 2m }");
    assert!(matches!(&a[0].kind, ActionKind::Open { url } if url.raw == "/new"));
    assert_eq!(a[0].timeout, None);
    assert!(matches!(&a[1].kind, ActionKind::Open { url } if url.raw == "https://x.test/a"));
    assert_eq!(a[1].timeout, Some(Duration::from_secs(120)));
    assert_eq!((a[0].location.line, a[0].location.column), (5, 9));
}

#[test]
fn click_and_visibility_short_and_long() {
    let a = actions(
        "- click: Billing\n- click: { testid: account-menu, timeout: 500ms }\n- expect_visible: { css: .x }\n- expect_hidden: { text: Loading }\n- expect_visible: Done\n- click: { xpath: //a }\n- click: { label: Seats }",
    );
    let ActionKind::Click { locator } = &a[0].kind else {
        panic!()
    };
    assert_eq!(loc(locator), (By::Text, "Billing"));
    let ActionKind::Click { locator } = &a[1].kind else {
        panic!()
    };
    assert_eq!(loc(locator), (By::TestId, "account-menu"));
    assert_eq!(a[1].timeout, Some(Duration::from_millis(500)));
    assert!(
        matches!(&a[2].kind, ActionKind::ExpectVisible { locator } if loc(locator) == (By::Css, ".x"))
    );
    assert!(
        matches!(&a[3].kind, ActionKind::ExpectHidden { locator } if loc(locator) == (By::Text, "Loading"))
    );
    assert!(
        matches!(&a[4].kind, ActionKind::ExpectVisible { locator } if loc(locator) == (By::Text, "Done"))
    );
    assert!(
        matches!(&a[5].kind, ActionKind::Click { locator } if loc(locator) == (By::Xpath, "//a"))
    );
    assert!(
        matches!(&a[6].kind, ActionKind::Click { locator } if loc(locator) == (By::Label, "Seats"))
    );
}

#[test]
fn fill_select_press() {
    let a = actions(
        "- fill: { label: Email, value: \"${run.email}\" }\n- select: { label: Country, option: United States }\n- press: Enter\n- press: { key: Tab, testid: prompt, timeout: 1s }",
    );
    let ActionKind::Fill { locator, value } = &a[0].kind else {
        panic!()
    };
    assert_eq!(loc(locator), (By::Label, "Email"));
    assert_eq!(value.raw, "${run.email}");
    let ActionKind::Select { locator, option } = &a[1].kind else {
        panic!()
    };
    assert_eq!(
        (loc(locator), option.raw.as_str()),
        ((By::Label, "Country"), "United States")
    );
    assert!(matches!(&a[2].kind, ActionKind::Press { key, locator: None } if key.raw == "Enter"));
    let ActionKind::Press {
        key,
        locator: Some(t),
    } = &a[3].kind
    else {
        panic!()
    };
    assert_eq!((key.raw.as_str(), loc(t)), ("Tab", (By::TestId, "prompt")));
}

#[test]
fn expectations_short_and_long() {
    let a = actions(
        "- expect_text: Welcome\n- expect_text: { in: { testid: d }, equals: Free }\n- expect_text: { matches: \"\\\\d+ seats\" }\n- expect_url: /checkout/\n- expect_url: { equals: \"https://x/y\" }\n- expect_text: { in: Plan, contains: Pro }",
    );
    assert!(
        matches!(&a[0].kind, ActionKind::ExpectText { locator: None, matcher: TextMatch::Contains(t) } if t.raw == "Welcome")
    );
    let ActionKind::ExpectText {
        locator: Some(t),
        matcher: TextMatch::Equals(m),
    } = &a[1].kind
    else {
        panic!()
    };
    assert_eq!((loc(t), m.raw.as_str()), ((By::TestId, "d"), "Free"));
    assert!(
        matches!(&a[2].kind, ActionKind::ExpectText { matcher: TextMatch::Matches(t), .. } if t.raw == "\\d+ seats")
    );
    assert!(
        matches!(&a[3].kind, ActionKind::ExpectUrl { matcher: TextMatch::Contains(t) } if t.raw == "/checkout/")
    );
    assert!(matches!(
        &a[4].kind,
        ActionKind::ExpectUrl {
            matcher: TextMatch::Equals(_)
        }
    ));
    assert!(
        matches!(&a[5].kind, ActionKind::ExpectText { locator: Some(t), .. } if loc(t) == (By::Text, "Plan"))
    );
}

#[test]
fn frames_screenshots_waits_eventually() {
    let a = actions(
        "- within_frame: { frame: { css: iframe }, do: [ { click: Pay } ] }\n- screenshot: page\n- screenshot: { name: other }\n- wait_for: Paid\n- wait_for: { testid: result, timeout: 10s }\n- wait_for: { text: Done }\n- eventually: { do: [ { expect_text: Active } ] }\n- eventually: { timeout: 5s, interval: 0s, do: [ { click: Refresh } ] }",
    );
    let ActionKind::WithinFrame { frame, actions } = &a[0].kind else {
        panic!()
    };
    assert_eq!(loc(frame), (By::Css, "iframe"));
    assert!(matches!(&actions[0].kind, ActionKind::Click { .. }));
    assert!(matches!(&a[1].kind, ActionKind::Screenshot { name } if name.raw == "page"));
    assert!(matches!(&a[2].kind, ActionKind::Screenshot { name } if name.raw == "other"));
    assert!(
        matches!(&a[3].kind, ActionKind::WaitFor { what: WaitFor::Text(t) } if t.raw == "Paid")
    );
    assert!(
        matches!(&a[4].kind, ActionKind::WaitFor { what: WaitFor::Element(l) } if loc(l) == (By::TestId, "result"))
    );
    assert_eq!(a[4].timeout, Some(Duration::from_secs(10)));
    assert!(
        matches!(&a[5].kind, ActionKind::WaitFor { what: WaitFor::Text(t) } if t.raw == "Done")
    );
    let ActionKind::Eventually {
        timeout,
        interval,
        actions,
    } = &a[6].kind
    else {
        panic!()
    };
    assert_eq!(
        (*timeout, *interval, actions.len()),
        (Duration::from_secs(30), Duration::from_secs(1), 1)
    );
    let ActionKind::Eventually {
        timeout, interval, ..
    } = &a[7].kind
    else {
        panic!()
    };
    assert_eq!(
        (*timeout, *interval),
        (Duration::from_secs(5), Duration::ZERO)
    );
}

#[test]
fn http_short_and_long() {
    let a = actions(
        "- http: \"${polar.api_url}/health\"\n- http:\n    method: post\n    url: \"${polar.control_url}/advance\"\n    headers: { X-Seats: \"${cli_seats}\" }\n    json: { n: 3, s: \"3\", list: [\"${run.id}\"] }\n    expect:\n      status: 201\n      json: { items.0.status: { equals: active }, count: 1, name: { matches: \"^a\" } }\n    capture: { sub_id: items.0.id }\n- open: \"/s/${sub_id}\"",
    );
    let ActionKind::Http(h) = &a[0].kind else {
        panic!()
    };
    assert_eq!(
        (h.method.as_str(), h.url.raw.as_str()),
        ("GET", "${polar.api_url}/health")
    );
    let ActionKind::Http(h) = &a[1].kind else {
        panic!()
    };
    assert_eq!(h.method, HttpMethod::Post);
    assert_eq!(h.headers[0].0, "X-Seats");
    assert_eq!(
        h.json,
        Some(serde_json::json!({"n": 3, "s": "3", "list": ["${run.id}"]}))
    );
    assert_eq!(h.expect_status, Some(201));
    assert_eq!(h.expect_json.len(), 3);
    assert!(matches!(&h.expect_json[1], (p, TextMatch::Equals(t)) if p == "count" && t.raw == "1"));
    assert_eq!(
        h.capture,
        vec![("sub_id".to_string(), "items.0.id".to_string())]
    );
}

#[test]
fn unknown_action_has_a_suggestion_and_a_precise_location() {
    let p = action_problems("- clik: { testid: account-menu }");
    assert_eq!(
        p,
        vec![(
            5,
            9,
            "unknown action `clik`".into(),
            Some("did you mean `click`?".into())
        )]
    );
}

#[test]
fn every_problem_is_reported_at_once_and_sorted() {
    let p = problems(
        "name: T\nslot: new-user-checkout\nstepz: []\nsteps:\n  - name: S\n    do:\n      - clik: X\n      - open: { url: /, timeout: 10 sec }\n      - expect_text: { contain: x }\n      - fill: Email\n",
    );
    let msgs: Vec<&str> = p.iter().map(|x| x.2.as_str()).collect();
    assert_eq!(
        msgs,
        vec![
            "unknown slot `new-user-checkout`",
            "unknown key `stepz` in a scenario",
            "unknown action `clik`",
            "`10 sec`: unknown unit `sec` (use ms, s, m or h)",
            "unknown key `contain` in `expect_text`",
            "`fill` expects a mapping with a target and `value`, like `{ label: Email, value: … }`, found a string",
        ]
    );
    assert_eq!(
        p[0].3.as_deref(),
        Some("did you mean `new-user-to-checkout`?")
    );
    assert_eq!(p[1].3.as_deref(), Some("did you mean `steps`?"));
    assert_eq!(p[4].3.as_deref(), Some("did you mean `contains`?"));
    let lines: Vec<usize> = p.iter().map(|x| x.0).collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn structural_problems() {
    let p = problems("name: T\nsteps: []\n");
    assert_eq!(
        p[0].2,
        "`steps` is empty: a scenario needs at least one step"
    );
    let p = problems("steps:\n  - name: a\n");
    let msgs: Vec<&str> = p.iter().map(|x| x.2.as_str()).collect();
    assert_eq!(
        msgs,
        vec![
            "missing `name`: every scenario has a name",
            "missing `do`: the list of actions of this step"
        ]
    );
    let p = problems("name: T\nsteps:\n  - Open the app\n");
    assert_eq!(
        p[0].2,
        "expected a step: a mapping with `name` and `do` (or `use`), found a string"
    );
    let p = problems("- a\n- b\n");
    assert_eq!(
        p[0].2,
        "expected a mapping with `name` and `steps`, found a list"
    );
    let p = problems("");
    assert!(p[0].2.starts_with("empty scenario file"));
    let p = problems("name: [unclosed\n");
    assert!(p[0].2.starts_with("invalid YAML"), "{p:?}");
}

#[test]
fn locator_problems() {
    let p = action_problems("- click: { testid: a, text: b }");
    assert_eq!(
        p[0].2,
        "a target has one locator, found `testid` and `text`"
    );
    assert_eq!(p[0].1, 29);
    let p = action_problems("- click: { timeout: 1s }");
    assert_eq!(p[0].2, "missing target: say which element");
    let p = action_problems("- click: { test_id: a }");
    assert_eq!(p.len(), 1, "no cascade after an unknown key: {p:?}");
    assert_eq!(p[0].2, "unknown key `test_id` in `click`");
    assert_eq!(p[0].3.as_deref(), Some("did you mean `testid`?"));
    let p = action_problems("- within_frame: { frame: Pay, do: [ { click: x } ] }");
    assert_eq!(p[0].2, "a frame is found by `css`, `xpath` or `testid`");
}

#[test]
fn action_shape_problems() {
    let p = action_problems("- click: x\n  timeout: 10s");
    assert_eq!(p[0].2, "an action has one key, found `click` and `timeout`");
    assert_eq!(
        p[0].3.as_deref(),
        Some("options go inside the action: `click: { …, timeout: … }`")
    );
    let p = action_problems("- click");
    assert_eq!(p[0].3.as_deref(), Some("`click` needs a value: `click: …`"));
    let p = action_problems("- expect_text: { matches: \"(\" }");
    assert!(p[0].2.starts_with("invalid regular expression"), "{p:?}");
    let p = action_problems("- http: { method: FETCH, url: /x }");
    assert_eq!(p[0].2, "unknown HTTP method `FETCH`");
    let p = action_problems("- http: { method: PSOT, url: /x }");
    assert_eq!(p[0].3.as_deref(), Some("did you mean `POST`?"));
    let p = action_problems("- http: { url: /x, expect: { status: 99 } }");
    assert!(p[0].2.starts_with("invalid HTTP status"));
    let p = action_problems("- eventually: { timeout: 0s, do: [ { click: a } ] }");
    assert_eq!(p[0].2, "`0s` is zero: a wait must be longer than 0");
    let p = action_problems("- eventually: { do: [] }");
    assert_eq!(
        p[0].2,
        "`do` is empty: `eventually` needs at least one action"
    );
    let p = action_problems("- fill: { label: Email }");
    assert_eq!(p[0].2, "`fill` needs `value`");
    let p = action_problems("- http: { url: /x, capture: { run.id: a } }");
    assert!(p[0].2.contains("set by the runner"));
}

#[test]
fn variables_are_checked_where_they_are_used() {
    let p = problems(
        "name: T\nvars:\n  a: \"1\"\n  b: \"${a} ${c}\"\n  c: \"x\"\nsteps:\n  - name: S\n    do:\n      - fill: { label: E, value: \"x ${run.emial}\" }\n      - open: \"${sub}\"\n      - http: { url: /x, capture: { sub: id } }\n      - open: \"${sub} ${env.HOME} ${cli_seats} $${nothing}\"\n      - open: \"${unclosed\"\n",
    );
    let got: Vec<(usize, usize, &str, Option<&str>)> = p
        .iter()
        .map(|x| (x.0, x.1, x.2.as_str(), x.3.as_deref()))
        .collect();
    assert_eq!(
        got[0],
        (4, 12, "unknown variable `c`", Some("did you mean `a`?"))
    );
    assert_eq!(
        got[1],
        (
            9,
            37,
            "unknown variable `run.emial`",
            Some("did you mean `run.email`?")
        )
    );
    assert_eq!(got[2].0, 10);
    assert_eq!(got[2].2, "unknown variable `sub`");
    assert_eq!(
        got[3].2,
        "unclosed `${`: a variable reference ends with `}`"
    );
    assert_eq!(got.len(), 4);
}

#[test]
fn var_definitions() {
    let (_d, r) = load_files(
        &[("s.yaml", "name: T\nvars:\n  a: plain\n  t: { value: \"${env.X_TOKEN}\", secret: true }\nsteps:\n  - name: S\n    do: [ { open: \"/${a}/${t}\" } ]\n")],
        "s.yaml",
    );
    let s = &r.unwrap().scenarios[0];
    assert_eq!(s.vars.len(), 2);
    assert_eq!(s.secret_vars, vec!["t".to_string()]);
    let p = problems("name: T\nvars:\n  run.id: x\n  \"bad name\": y\nsteps:\n  - name: S\n    do: [ { open: / } ]\n");
    assert!(p[0].2.contains("set by the runner"));
    assert!(p[1].2.contains("not a valid variable name"));
}

#[test]
fn duplicate_keys_and_slots() {
    let p = problems("name: T\nname: U\nsteps:\n  - name: S\n    do: [ { open: / } ]\n");
    assert_eq!((p[0].0, p[0].2.as_str()), (2, "duplicate key `name`"));
    let one = "name: A\nslot: continue-using\nsteps:\n  - name: S\n    do: [ { open: / } ]\n";
    let (_d, r) = load_files(&[("a.yaml", one), ("b.yaml", one)], "");
    let d = r.unwrap_err();
    assert_eq!(d.items.len(), 1);
    assert!(d.items[0]
        .message
        .starts_with("slot `continue-using` is already covered by"));
    assert!(d.items[0].location.file.ends_with("b.yaml"));
}

const FLOW: &str = "params:\n  seats:\n  plan: Pro\nsteps:\n  - name: Buy ${seats} ${plan}\n    do:\n      - fill: { label: Seats, value: \"${seats}\" }\n      - http:\n          url: /x\n          json:\n            qty: ${seats}\n          capture: { order: id }\n";

#[test]
fn flows_expand_with_params_and_flow_locations() {
    let main = "name: T\nvars:\n  n: \"4\"\nsteps:\n  - name: First\n    do: [ { open: / } ]\n  - use: flows/buy.yaml\n    with: { seats: \"${n}\" }\n  - name: Last\n    do:\n      - use: flows/buy.yaml\n        with: { seats: \"2\", plan: Team }\n      - open: \"/orders/${order}\"\n";
    let (dir, r) = load_files(&[("s.yaml", main), ("flows/buy.yaml", FLOW)], "s.yaml");
    let l = match r {
        Ok(l) => l,
        Err(d) => panic!("{}", d.render()),
    };
    let s = &l.scenarios[0];
    let names: Vec<&str> = s.steps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["First", "Buy ${n} Pro", "Last"]);
    let flow_file = dir.path().join("flows/buy.yaml");
    assert_eq!(s.steps[1].location.file, flow_file);
    assert_eq!(
        (s.steps[1].location.line, s.steps[1].location.column),
        (5, 5)
    );
    let ActionKind::Fill { value, .. } = &s.steps[1].actions[0].kind else {
        panic!()
    };
    assert_eq!(value.raw, "${n}");
    assert_eq!(value.location.file, flow_file);
    assert_eq!(value.location.line, 7);
    // The flow's actions are inlined into a `do:` list.
    let last = &s.steps[2].actions;
    assert_eq!(last.len(), 3);
    let ActionKind::Fill { value, .. } = &last[0].kind else {
        panic!()
    };
    assert_eq!(value.raw, "2");
    let ActionKind::Http(h) = &last[1].kind else {
        panic!()
    };
    assert_eq!(h.json, Some(serde_json::json!({"qty": 2})));
    assert!(l.sources.contains_key(&flow_file));
}

#[test]
fn flow_param_problems() {
    let main = "name: T\nsteps:\n  - use: flows/buy.yaml\n    with: { seat: \"3\" }\n";
    let p = problems_in(&[("s.yaml", main), ("flows/buy.yaml", FLOW)], "s.yaml");
    let got: Vec<(usize, &str, Option<&str>)> = p
        .iter()
        .map(|x| (x.0, x.2.as_str(), x.3.as_deref()))
        .collect();
    assert!(
        got[0].1.starts_with("missing param `seats` for flow"),
        "{got:?}"
    );
    assert_eq!(got[0].0, 3);
    assert!(got[1].1.starts_with("unknown param `seat` for flow"));
    assert_eq!(got[1].2, Some("did you mean `seats`?"));
}

#[test]
fn a_with_value_with_a_problem_is_not_also_a_missing_param() {
    let main = "name: T\nsteps:\n  - use: flows/buy.yaml\n    with: { seats: [3] }\n";
    let p = problems_in(&[("s.yaml", main), ("flows/buy.yaml", FLOW)], "s.yaml");
    let msgs: Vec<&str> = p.iter().map(|x| x.2.as_str()).collect();
    assert_eq!(msgs, vec!["expected a string value, found a list"]);
}

#[test]
fn missing_flow_files_and_cycles() {
    let main = "name: T\nsteps:\n  - use: flows/buy-seat.yaml\n";
    let p = problems_in(
        &[
            ("s.yaml", main),
            (
                "flows/buy-seats.yaml",
                "steps:\n  - name: a\n    do: [ { open: / } ]\n",
            ),
        ],
        "s.yaml",
    );
    assert!(
        p[0].2.starts_with("flow file `") && p[0].2.ends_with("flows/buy-seat.yaml` not found"),
        "{p:?}"
    );
    assert_eq!(p[0].3.as_deref(), Some("did you mean `buy-seats.yaml`?"));
    assert_eq!((p[0].0, p[0].1), (3, 10));

    let a = "steps:\n  - name: a\n    do:\n      - use: b.yaml\n";
    let b = "steps:\n  - use: a.yaml\n";
    let main = "name: T\nsteps:\n  - use: flows/a.yaml\n";
    let p = problems_in(
        &[("s.yaml", main), ("flows/a.yaml", a), ("flows/b.yaml", b)],
        "s.yaml",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].2.starts_with("`use:` cycle: "), "{p:?}");
    assert!(p[0].2.contains("a.yaml` → `") && p[0].2.contains("b.yaml` → `"));
    assert_eq!(p[0].0, 2);
}

#[test]
fn problems_inside_a_flow_point_into_the_flow_once() {
    let flow = "steps:\n  - name: a\n    do:\n      - clik: x\n";
    let main = "name: T\nsteps:\n  - use: f.yaml\n  - use: f.yaml\n";
    let (_d, r) = load_files(&[("s.yaml", main), ("f.yaml", flow)], "s.yaml");
    let d = r.unwrap_err();
    assert_eq!(d.items.len(), 1);
    assert!(d.items[0].location.file.ends_with("f.yaml"));
    assert_eq!(
        (d.items[0].location.line, d.items[0].location.column),
        (4, 9)
    );
    assert!(d
        .render()
        .contains("      - clik: x\n  |         ^^^^ did you mean `click`?"));
}

#[test]
fn directories_yield_sorted_yaml_files_and_skip_flows() {
    let s = "name: N\nsteps:\n  - name: S\n    do: [ { open: / } ]\n";
    let dir = tempfile::tempdir().unwrap();
    for f in ["b.yaml", "a.yml", "sub/c.yaml", "flows/f.yaml", "notes.txt"] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, s.replace('N', f)).unwrap();
    }
    let l = load(&[dir.path().to_path_buf()], &LoadOptions::default()).unwrap();
    let names: Vec<&str> = l.scenarios.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, vec!["a.yml", "b.yaml", "sub/c.yaml"]);
    let d = load(&[dir.path().join("nope")], &LoadOptions::default()).unwrap_err();
    assert!(d.render().starts_with("error: cannot read `"));
    let empty = tempfile::tempdir().unwrap();
    let d = load(&[empty.path().to_path_buf()], &LoadOptions::default()).unwrap_err();
    assert!(d.items[0].message.starts_with("no scenario files"));
}

#[test]
fn the_valid_fixture_set_loads() {
    let l = match load(
        &[Path::new("fixtures/valid").to_path_buf()],
        &LoadOptions::with_cli_vars(vec![]),
    ) {
        Ok(l) => l,
        Err(d) => panic!("{}", d.render()),
    };
    assert_eq!(l.scenarios.len(), 2);
    let s = &l.scenarios[1];
    assert_eq!(s.slot.as_deref(), Some("new-user-to-checkout"));
    assert_eq!(s.steps.len(), 4);
    assert_eq!(s.steps[1].name, "Start checkout for ${seats} seats");
    assert_eq!(
        s.steps[1].location.file,
        Path::new("fixtures/valid/flows/buy-seats.yaml")
    );
}

#[test]
fn durations_in_scenarios_use_the_one_parser_and_its_wording() {
    let p = action_problems("- wait_for: { testid: r, timeout: 10 }");
    assert_eq!(p[0].2, "`10` has no unit: write 10s, or use ms, m or h");
    let p = action_problems("- wait_for: { testid: r, timeout: 99999999999999999999999s }");
    assert_eq!(p[0].2, "`99999999999999999999999s` is too long: at most 1h");
    let p = action_problems("- eventually: { timeout: 5s, interval: 0s, do: [ { click: a } ] }");
    assert!(p.is_empty(), "{p:?}");
}

#[test]
fn given_steps_and_targets_are_parsed_and_vars_from_given_are_known() {
    let src = "name: T\nslot: continue-using\ntargets: [mock]\ngiven:\n  - name: Start\n    do:\n      - http:\n          url: /api\n          capture: { ws: id }\nsteps:\n  - name: S\n    do:\n      - open: \"/w/${ws}\"\n";
    let (_d, r) = load_files(&[("s.yaml", src)], "s.yaml");
    let loaded = r.unwrap_or_else(|d| panic!("{}", d.render()));
    let s = &loaded.scenarios[0];
    assert_eq!(s.targets, vec!["mock".to_string()]);
    assert_eq!(s.given.len(), 1);
    assert_eq!(s.given[0].name, "Start");
    assert_eq!(s.steps.len(), 1);
    assert!(s.runs_on("mock"));
    assert!(!s.runs_on("sandbox"));
}

#[test]
fn production_runs_only_scenarios_that_name_it() {
    let plain = "name: T\nsteps:\n  - name: S\n    do:\n      - open: /\n";
    let named =
        "name: P\ntargets: [mock, production]\nsteps:\n  - name: S\n    do:\n      - open: /\n";
    let (_d, r) = load_files(&[("a.yaml", plain), ("b.yaml", named)], "");
    let loaded = r.unwrap_or_else(|d| panic!("{}", d.render()));
    let (a, b) = (&loaded.scenarios[0], &loaded.scenarios[1]);
    assert!(a.runs_on("mock") && a.runs_on("sandbox") && !a.runs_on("production"));
    assert!(b.runs_on("mock") && !b.runs_on("sandbox") && b.runs_on("production"));
}

#[test]
fn an_unknown_target_is_a_diagnostic_with_a_suggestion() {
    let p = problems("name: T\ntargets: [mokc]\nsteps:\n  - name: S\n    do:\n      - open: /\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].0, p[0].1), (2, 11));
    assert_eq!(p[0].2, "unknown target `mokc`");
    assert!(
        p[0].3.as_deref().unwrap_or_default().contains("mock"),
        "{p:?}"
    );
}

#[test]
fn verify_config_short_and_long_forms() {
    let a = actions("- verify_config: production\n- verify_config: { server: sandbox, product_name: Tegy Pro }\n- verify_config: {}\n");
    match &a[0].kind {
        ActionKind::VerifyConfig {
            server,
            product_name,
        } => {
            assert_eq!(server.as_ref().unwrap().raw, "production");
            assert!(product_name.is_none());
        }
        other => panic!("{other:?}"),
    }
    match &a[1].kind {
        ActionKind::VerifyConfig {
            server,
            product_name,
        } => {
            assert_eq!(server.as_ref().unwrap().raw, "sandbox");
            assert_eq!(product_name.as_ref().unwrap().raw, "Tegy Pro");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        &a[2].kind,
        ActionKind::VerifyConfig {
            server: None,
            product_name: None
        }
    ));
    let p = action_problems("- verify_config: { sever: production }\n");
    assert!(
        p.iter()
            .any(|x| x.3.as_deref().unwrap_or_default().contains("server")),
        "{p:?}"
    );
}

#[test]
fn remember_defines_a_variable_for_later_actions() {
    let a = actions(
        "- remember: { testid: sub, attribute: data-id, as: sub_id }\n- open: \"/s/${sub_id}\"\n",
    );
    match &a[0].kind {
        ActionKind::Remember {
            locator,
            attribute,
            var,
        } => {
            assert_eq!(loc(locator), (By::TestId, "sub"));
            assert_eq!(attribute.as_ref().unwrap().raw, "data-id");
            assert_eq!(var, "sub_id");
        }
        other => panic!("{other:?}"),
    }
    let p = action_problems("- remember: { testid: sub }\n");
    assert!(p.iter().any(|x| x.2.contains("`as`")), "{p:?}");
}

#[test]
fn type_types_text_into_a_field_found_without_the_text_locator() {
    let a = actions(
        "- type: { label: Card number, text: \"4242 4242 4242 4242\" }\n- type: { testid: otp, text: \"${cli_seats}\", timeout: 5s }",
    );
    let ActionKind::Type { locator, text } = &a[0].kind else {
        panic!("{:?}", a[0].kind)
    };
    assert_eq!(
        (loc(locator), text.raw.as_str()),
        ((By::Label, "Card number"), "4242 4242 4242 4242")
    );
    assert_eq!(a[0].timeout, None);
    let ActionKind::Type { locator, text } = &a[1].kind else {
        panic!("{:?}", a[1].kind)
    };
    assert_eq!(
        (loc(locator), text.raw.as_str()),
        ((By::TestId, "otp"), "${cli_seats}")
    );
    assert_eq!(a[1].timeout, Some(Duration::from_secs(5)));

    let p = action_problems("- type: { text: \"4242\" }");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].2, "missing target: say which element");
    assert_eq!(
        p[0].3.as_deref(),
        Some("add one of `css`, `xpath`, `label` or `testid`")
    );
    let p = action_problems("- type: { label: Card number }");
    assert_eq!(p[0].2, "`type` needs `text`");
    let p = action_problems("- type: Card number");
    assert_eq!(
        p[0].2,
        "`type` expects a mapping with a target and `text`, like `{ label: Card number, text: … }`, found a string"
    );
    let p = action_problems("- type: { label: Card number, txet: \"4242\" }");
    assert_eq!(p.len(), 1, "no cascade after an unknown key: {p:?}");
    assert_eq!(p[0].3.as_deref(), Some("did you mean `text`?"));
}

#[test]
fn wrong_shapes_name_the_action_and_what_it_expects() {
    let p = action_problems("- click: [a, b]");
    assert_eq!(
        p[0].2,
        "`click` expects a target such as `Billing` or `{ testid: … }`, found a list"
    );
    let p = action_problems("- wait_for:");
    assert_eq!(
        p[0].2,
        "`wait_for` expects a text, or a target such as `{ testid: result }`, found nothing"
    );
    let p = action_problems("- press: { key: Tab }\n  label: Seats");
    assert_eq!(
        p[0].3.as_deref(),
        Some("options go inside the action: `press: { …, label: … }`")
    );
    let p = action_problems("- screenshot: { name: a, timeout: 5 }");
    assert_eq!(
        p.len(),
        1,
        "a key the action does not take is not read: {p:?}"
    );
    assert_eq!(p[0].2, "unknown key `timeout` in `screenshot`");
}

#[test]
fn verify_config_servers_are_checked_like_the_schema_checks_them() {
    let p = action_problems("- verify_config: { server: prodcution }");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0].2, "unknown server `prodcution`");
    assert_eq!(p[0].3.as_deref(), Some("did you mean `production`?"));
    let p = action_problems("- verify_config: staging");
    assert_eq!(
        p[0].3.as_deref(),
        Some("servers are `production` or `sandbox`")
    );
    assert!(action_problems("- verify_config: \"${polar.server}\"").is_empty());
}

#[test]
fn time_vars_are_known_everywhere_and_kept_as_written_until_the_action_runs() {
    let a = actions(
        "- fill: { label: Renew at, value: \"${time.now+30s}\" }\n- http: { method: PATCH, url: /v1/subscriptions/s, json: { current_billing_period_end: \"${time.now}\" } }\n- expect_text: \"since ${time.now-1h}\"",
    );
    let ActionKind::Fill { value, .. } = &a[0].kind else {
        panic!("{:?}", a[0].kind)
    };
    assert_eq!(value.raw, "${time.now+30s}");
    let p = action_problems("- open: \"/x?at=${time.now+30}\"");
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].0, p[0].1), (5, 22));
    assert!(p[0].2.contains("`30` has no unit"), "{}", p[0].2);
}

#[test]
fn allow_rejected_webhooks_is_a_flag() {
    let load = |src: &str| {
        let (_d, r) = load_files(&[("s.yaml", src)], "s.yaml");
        r.unwrap().scenarios.remove(0)
    };
    let s = load(
        "name: T\nallow_rejected_webhooks: true\nsteps:\n  - name: S\n    do:\n      - open: /\n",
    );
    assert!(s.allow_rejected_webhooks);
    let s = load("name: T\nsteps:\n  - name: S\n    do:\n      - open: /\n");
    assert!(!s.allow_rejected_webhooks);
    let p = problems(
        "name: T\nallow_rejected_webhooks: sometimes\nsteps:\n  - name: S\n    do:\n      - open: /\n",
    );
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!((p[0].0, p[0].1), (2, 26), "{p:?}");
    assert!(p[0].2.contains("`true` or `false`"), "{p:?}");
}

#[test]
fn the_method_names_are_the_methods() {
    let names: Vec<&str> = HttpMethod::ALL.iter().map(|m| m.as_str()).collect();
    assert_eq!(names, super::actions::METHODS);
    assert_eq!(HttpMethod::parse("patch"), Some(HttpMethod::Patch));
    assert_eq!(HttpMethod::parse("FETCH"), None);
}
