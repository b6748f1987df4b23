use super::*;

/// The project file of the issue that introduced it, word for word.
const FULL: &str = r#"scenarios: [scenarios]                # files or folders, relative to this file
app:
  command: node server.mjs            # started by the run; omit for an app that is already running
  cwd: .                              # relative to this file
  url: http://127.0.0.1:${app.port}   # ${app.port}: a free loopback port the run picks
  ready: /healthz                     # polled until 2xx (default: the url itself)
  ready_timeout: 60s
  webhook_path: /api/polar/webhooks   # registered on the mock as this app's webhook endpoint
  env:                                # the app's environment, on top of the run's own
    PORT: "${app.port}"
    POLAR_API_URL: "${polar.api_url}"
    POLAR_ACCESS_TOKEN: "${polar.token}"
    POLAR_PRODUCT_ID: "${polar.product_id}"
    POLAR_WEBHOOK_SECRET: "${polar.webhook_secret}"
polar:
  seed: polar-seed.json               # the organization and products, in Polar's shapes (default: Tegy Pro)
sandbox:
  app_url: https://staging.example.com
production:                           # --target production: the smoke, read-only
  app_url: https://app.example.com
run:                                  # defaults for run's options
  viewport: 1280x800
  video: on
  timeout: 10s
"#;

fn write(dir: &Path, text: &str) -> PathBuf {
    let file = dir.join(FILE_NAME);
    std::fs::write(&file, text).unwrap();
    file
}

fn problems(text: &str) -> Vec<(usize, usize, String, Option<String>)> {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), text);
    match load(&file) {
        Ok(p) => panic!("expected problems, got {p:?}"),
        Err(d) => d
            .items
            .into_iter()
            .map(|i| (i.location.line, i.location.column, i.message, i.help))
            .collect(),
    }
}

#[test]
fn the_documented_file_loads_with_paths_resolved_against_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), FULL);
    let p = load(&file).expect("loads");
    assert_eq!(p.scenarios, vec![dir.path().join("scenarios")]);
    let app = p.app.expect("app");
    assert_eq!(app.command.as_deref(), Some("node server.mjs"));
    assert_eq!(app.cwd, dir.path().join("."));
    assert_eq!(app.url, "http://127.0.0.1:${app.port}");
    assert_eq!(app.ready.as_deref(), Some("/healthz"));
    assert_eq!(app.ready_timeout, Duration::from_secs(60));
    assert_eq!(app.webhook_path.as_deref(), Some("/api/polar/webhooks"));
    assert_eq!(app.env.len(), 5);
    assert_eq!(app.env[0], ("PORT".into(), "${app.port}".into()));
    assert_eq!(p.polar_seed, Some(dir.path().join("polar-seed.json")));
    assert_eq!(
        p.sandbox_app_url.as_deref(),
        Some("https://staging.example.com")
    );
    assert_eq!(
        p.production_app_url.as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(p.run.viewport, Some(Viewport::DEFAULT));
    assert_eq!(p.run.video.as_deref(), Some("on"));
    assert_eq!(p.run.timeout, Some(Duration::from_secs(10)));
}

#[test]
fn every_key_is_optional() {
    let dir = tempfile::tempdir().unwrap();
    for text in ["", "{}\n", "run: {}\n"] {
        let p = load(&write(dir.path(), text)).expect(text);
        assert!(p.app.is_none() && p.scenarios.is_empty(), "{text:?}");
    }
}

#[test]
fn every_problem_is_reported_with_its_place_and_a_hint() {
    let p = problems(
        "scenarioz: [a]\napp:\n  comand: x\n  url: http://127.0.0.1:${app.prot}\n  ready_timeout: 60\n  webhook_path: api/hooks\n  env:\n    9X: a\nrun:\n  video: yes\n  viewport: 1281x800\n",
    );
    let got: Vec<(usize, usize, &str)> =
        p.iter().map(|(l, c, m, _)| (*l, *c, m.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (1, 1, "unknown key `scenarioz` in the project file"),
            (3, 3, "unknown key `comand` in `app`"),
            (4, 8, "unknown variable `app.prot`"),
            (5, 18, "`60` has no unit: write 60s, or use ms, m or h"),
            (6, 17, "`api/hooks` is not a path on the app"),
            (8, 5, "`9X` is not an environment variable name"),
            (10, 10, "unknown video mode `yes`"),
            (11, 13, "`1281x800`: width and height must be even and between 200 and 7680 (video encoders need even sizes)"),
        ]
    );
    assert_eq!(p[0].3.as_deref(), Some("did you mean `scenarios`?"));
    assert_eq!(p[1].3.as_deref(), Some("did you mean `command`?"));
    assert_eq!(p[2].3.as_deref(), Some("did you mean `app.port`?"));
    assert_eq!(p[4].3.as_deref(), Some("write `/api/hooks`"));
}

#[test]
fn an_app_needs_a_url_or_a_command_and_yaml_errors_are_located() {
    let p = problems("app:\n  ready: /healthz\n");
    assert_eq!(p[0].2, "`app` needs a `url` or a `command`");
    let p = problems("app: [\n");
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].0 >= 1);
}

#[test]
fn the_nearest_file_upwards_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let deep = dir.path().join("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    assert_eq!(find(&deep), None);
    write(dir.path(), "");
    let found = find(&deep).unwrap();
    assert_eq!(found, dir.path().canonicalize().unwrap().join(FILE_NAME));
    write(&dir.path().join("a"), "");
    assert_eq!(
        find(&deep).unwrap().parent().unwrap().file_name().unwrap(),
        "a"
    );
}

#[test]
fn a_non_regular_or_huge_file_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, "#".repeat(300 * 1024)).unwrap();
    let d = load(&big).unwrap_err();
    assert!(d.items[0].message.contains("at most"), "{:?}", d.items);
    let d = load(dir.path()).unwrap_err();
    assert_eq!(d.items[0].message, "the project file is not a regular file");
}

#[test]
fn the_schema_accepts_the_documented_file_and_names_every_key() {
    let schema = json_schema();
    for key in TOP_KEYS {
        assert!(schema["properties"].get(key).is_some(), "{key}");
    }
    for key in APP_KEYS {
        assert!(
            schema["properties"]["app"]["properties"].get(key).is_some(),
            "{key}"
        );
    }
}

#[test]
fn run_email_is_a_template_polar_takes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("walkthrough.yaml");
    std::fs::write(&file, "run:\n  email: you+{run}@acme.dev\n").unwrap();
    let p = load(&file).unwrap();
    assert_eq!(p.run.email.as_deref(), Some("you+{run}@acme.dev"));
    assert_eq!(
        run_email::run_email(p.run.email.as_deref().unwrap(), "r1"),
        "you+r1@acme.dev"
    );

    std::fs::write(
        &file,
        "run:\n  email: you+{run}@example.com\n  viewport: 1280x800\n",
    )
    .unwrap();
    let d = load(&file).unwrap_err();
    let rendered = d.render();
    assert!(rendered.contains("walkthrough.yaml:2:10"), "{rendered}");
    assert!(
        rendered.contains("The domain name example.com does not accept email."),
        "{rendered}"
    );
    std::fs::write(&file, "run:\n  email: you@acme.dev\n").unwrap();
    let rendered = load(&file).unwrap_err().render();
    assert!(rendered.contains("has no {run}"), "{rendered}");
}

#[test]
fn the_default_run_email_passes_polars_rule_and_warns_only_on_the_sandbox_default() {
    assert_eq!(run_email::check(run_email::DEFAULT_RUN_EMAIL), Ok(()));
    assert!(run_email::sandbox_warning(run_email::DEFAULT_RUN_EMAIL).is_some());
    assert_eq!(run_email::sandbox_warning("you+{run}@acme.dev"), None);
}

#[test]
fn webhook_events_are_polars_event_types() {
    let dir = tempfile::tempdir().unwrap();
    let text = "app:\n  url: http://127.0.0.1:3000\n  webhook_path: /hooks\n  webhook_events: [checkout.updated, order.paid]\n";
    let p = load(&write(dir.path(), text)).unwrap();
    let events = p.app.unwrap().webhook_events.unwrap();
    assert_eq!(events, ["checkout.updated", "order.paid"]);
    let text = "app:\n  url: http://127.0.0.1:3000\n";
    assert_eq!(
        load(&write(dir.path(), text))
            .unwrap()
            .app
            .unwrap()
            .webhook_events,
        None
    );

    let p = problems(
        "app:\n  url: http://127.0.0.1:3000\n  webhook_events: [order.payed, checkout.updated]\n",
    );
    assert_eq!((p[0].0, p[0].1), (3, 20), "{p:?}");
    assert_eq!(
        p[0].2,
        "`order.payed` is not one of Polar's webhook event types"
    );
    assert_eq!(
        p[0].3.as_deref(),
        Some("did you mean `order.paid`? Polar's event types are listed in docs/your-app.md")
    );
    let p = problems("app:\n  url: http://127.0.0.1:3000\n  webhook_events: all\n");
    assert_eq!(
        p[0].2,
        "`webhook_events` expects a list of event types, found a string"
    );
}

#[test]
fn intercept_polar_names_polars_environments_and_needs_a_command() {
    let dir = tempfile::tempdir().unwrap();
    let text = "app:\n  command: node app.js\n  intercept_polar: sandbox\n";
    let p = load(&write(dir.path(), text)).unwrap();
    assert_eq!(p.app.unwrap().intercept_polar, ["sandbox"]);
    let text = "app:\n  command: node app.js\n  intercept_polar: [sandbox, production]\n";
    let p = load(&write(dir.path(), text)).unwrap();
    assert_eq!(p.app.unwrap().intercept_polar, ["sandbox", "production"]);

    let p = problems("app:\n  command: x\n  intercept_polar: sandbx\n");
    assert_eq!(p[0].2, "`sandbx` is not one of Polar's environments");
    assert_eq!(p[0].3.as_deref(), Some("did you mean `sandbox`?"));
    let p = problems("app:\n  url: http://127.0.0.1:3000\n  intercept_polar: sandbox\n");
    assert_eq!((p[0].0, p[0].1), (3, 20));
    assert_eq!(
        p[0].2,
        "`intercept_polar` needs `command`: the run hands the proxy to the app it starts"
    );
}

#[test]
fn retries_are_a_whole_number_up_to_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let p = load(&write(dir.path(), "run:\n  retries: 2\n")).expect("loads");
    assert_eq!(p.run.retries, Some(2));
    let p = problems("run:\n  retries: 11\n");
    assert_eq!(
        (p[0].0, p[0].1, p[0].2.as_str()),
        (
            2,
            12,
            "`retries` expects a whole number from 0 to 10, found `11`"
        )
    );
    let p = problems("run:\n  retries: [1]\n");
    assert_eq!(
        p[0].2,
        "`retries` expects a whole number from 0 to 10, found a list"
    );
}
