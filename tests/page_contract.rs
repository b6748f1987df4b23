//! The page contract (`contract/polar-hosted-pages.json`): every anchor of Polar's hosted
//! checkout and customer portal that the scenarios rely on — a target in the scenario
//! language with the role, tag or text it must have, per page state, each with the line of
//! Polar's web client it comes from — checked on the mock's pages in real Chromium. Each
//! anchor is then removed from the page (its elements taken out, the title blanked) and must
//! fail, so the check is one that can fail. The sandbox canary, which checks the same anchors
//! on Polar's sandbox, passes on the mock.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{t, WAIT};
use walkthrough::browser::{Browser, BrowserOptions, By, Locator};
use walkthrough::polar_mock::{MockConfig, MockPolar};

const CONTRACT: &str = "contract/polar-hosted-pages.json";

/// One anchor of the contract file.
#[derive(Debug)]
struct Anchor {
    id: String,
    frames: Vec<Locator>,
    target: Option<Locator>,
    title: Option<String>,
    url_contains: Option<String>,
    equals: Option<String>,
    contains: Vec<String>,
    role: Option<String>,
    tag: Option<String>,
    absent: bool,
    cross_origin: bool,
    source: String,
    used_by: Vec<String>,
}

#[derive(Debug)]
struct State {
    name: String,
    anchors: Vec<Anchor>,
}

fn locator(v: &Value, at: &str) -> Locator {
    let map = v
        .as_object()
        .unwrap_or_else(|| panic!("{at}: a target is an object"));
    assert_eq!(map.len(), 1, "{at}: a target has one key");
    let (key, value) = map.iter().next().unwrap();
    let kind = match key.as_str() {
        "css" => By::Css,
        "xpath" => By::Xpath,
        "text" => By::Text,
        "label" => By::Label,
        "testid" => By::TestId,
        other => panic!("{at}: unknown target kind {other}"),
    };
    t(kind, value.as_str().unwrap())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn load_contract() -> (Value, Vec<State>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(CONTRACT);
    let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let states = doc["states"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| State {
            name: s["state"].as_str().unwrap().to_string(),
            anchors: s["anchors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    let id = a["id"].as_str().unwrap().to_string();
                    Anchor {
                        frames: a["frames"]
                            .as_array()
                            .map(|f| f.iter().map(|l| locator(l, &id)).collect())
                            .unwrap_or_default(),
                        target: a.get("target").map(|l| locator(l, &id)),
                        title: text(a, "title"),
                        url_contains: text(a, "url_contains"),
                        equals: text(a, "equals"),
                        contains: strings(&a["contains"]),
                        role: text(a, "role"),
                        tag: text(a, "tag"),
                        absent: a["absent"].as_bool().unwrap_or(false),
                        cross_origin: a["cross_origin"].as_bool().unwrap_or(false),
                        source: text(a, "source").unwrap_or_default(),
                        used_by: strings(&a["used_by"]),
                        id,
                    }
                })
                .collect(),
        })
        .collect();
    (doc, states)
}

fn fold(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The role of an element as the contract means it: its `role`, else its implicit ARIA
/// role, else the first of its ancestors' (a span inside a button is the button's).
const ROLE_JS: &str = "const implicit = (e) => {
  const t = e.tagName;
  if (t === 'BUTTON') return 'button';
  if (t === 'A' && e.hasAttribute('href')) return 'link';
  if (t === 'TEXTAREA') return 'textbox';
  if (t === 'SELECT') return 'combobox';
  if (/^H[1-6]$/.test(t)) return 'heading';
  if (t === 'INPUT') {
    const ty = (e.getAttribute('type') || 'text').toLowerCase();
    if (ty === 'checkbox' || ty === 'radio') return ty;
    if (ty === 'button' || ty === 'submit' || ty === 'reset') return 'button';
    return 'textbox';
  }
  return null;
};
let e = arguments[0];
while (e && e !== document.body) {
  const r = e.getAttribute('role') || implicit(e);
  if (r) return r;
  e = e.parentElement;
}
return null;";

/// Whether the iframe's document is out of the page's reach (another origin).
const CROSS_ORIGIN_JS: &str = "const f = arguments[0];
let blocked;
try { blocked = f.contentDocument === null; } catch (e) { blocked = true; }
return blocked && new URL(f.src, location.href).origin !== location.origin;";

/// Why one match does not satisfy the anchor, or `None` when it does.
async fn mismatch(
    browser: &Browser,
    a: &Anchor,
    m: &walkthrough::browser::Match,
) -> Option<String> {
    let found = fold(&m.text);
    let default_equals = match (&a.target, &a.equals, a.contains.is_empty()) {
        (Some(l), None, true) if l.kind == By::Text => Some(l.value.clone()),
        _ => None,
    };
    if let Some(want) = a.equals.as_ref().or(default_equals.as_ref()) {
        if found != fold(want) {
            return Some(format!("text {found:?}, not {want:?}"));
        }
    }
    for want in &a.contains {
        if !found.contains(&fold(want)) {
            return Some(format!("text {found:?} without {want:?}"));
        }
    }
    let element = serde_json::to_value(&m.element).unwrap();
    if let Some(role) = &a.role {
        let got = browser
            .eval_json(ROLE_JS, vec![element.clone()])
            .await
            .ok()?;
        if got.as_str() != Some(role) {
            return Some(format!("role {got}, not {role:?}"));
        }
    }
    if let Some(tag) = &a.tag {
        let got = browser
            .eval_json(
                "return arguments[0].tagName.toLowerCase();",
                vec![element.clone()],
            )
            .await
            .ok()?;
        if got.as_str() != Some(tag) {
            return Some(format!(
                "a <{}>, not a <{tag}>",
                got.as_str().unwrap_or("?")
            ));
        }
    }
    if a.cross_origin {
        let got = browser
            .eval_json(CROSS_ORIGIN_JS, vec![element])
            .await
            .ok()?;
        if got != json!(true) {
            return Some("a frame the page can read (same origin)".into());
        }
    }
    None
}

/// Checks one anchor in the page as it is, waiting up to `timeout` for it to hold.
async fn check(browser: &Browser, a: &Anchor, timeout: Duration) -> Result<(), String> {
    browser.top_frame().await.map_err(|e| e.to_string())?;
    for frame in &a.frames {
        browser
            .enter_frame(frame, timeout)
            .await
            .map_err(|e| format!("frame {frame}: {e}"))?;
    }
    let started = Instant::now();
    loop {
        let last = look(browser, a).await;
        match last {
            Ok(()) => return Ok(()),
            Err(why) if started.elapsed() >= timeout => return Err(why),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// One look: `Ok` when the anchor holds now.
async fn look(browser: &Browser, a: &Anchor) -> Result<(), String> {
    if let Some(title) = &a.title {
        let got = browser
            .eval_json("return document.title;", vec![])
            .await
            .map_err(|e| e.to_string())?;
        if got.as_str() != Some(title) {
            return Err(format!("the title is {got}, not {title:?}"));
        }
    }
    if let Some(part) = &a.url_contains {
        let url = browser.current_url().await.map_err(|e| e.to_string())?;
        if !url.contains(part) {
            return Err(format!("the URL {url} has no {part:?}"));
        }
    }
    let Some(target) = &a.target else {
        return Ok(());
    };
    let probe = browser.probe(target).await.map_err(|e| e.to_string())?;
    let visible: Vec<_> = probe.matches.iter().filter(|m| m.visible).collect();
    if a.absent {
        return match visible.first() {
            None => Ok(()),
            Some(m) => Err(format!("{target} should not be there; found {:?}", m.text)),
        };
    }
    if visible.is_empty() {
        return Err(format!(
            "{target}: nothing visible ({} hidden)",
            probe.matches.len()
        ));
    }
    let mut why = Vec::new();
    for m in visible {
        match mismatch(browser, a, m).await {
            None => return Ok(()),
            Some(w) => why.push(w),
        }
    }
    Err(format!("{target}: {}", why.join("; ")))
}

/// Takes the anchor out of the page: its title blanked, or every element its target
/// matches removed.
async fn remove(browser: &Browser, a: &Anchor) {
    browser.top_frame().await.unwrap();
    for frame in &a.frames {
        // A frame removed with an earlier anchor took this one with it.
        if browser.enter_frame(frame, WAIT).await.is_err() {
            browser.top_frame().await.unwrap();
            return;
        }
    }
    if a.title.is_some() {
        browser
            .eval_json("document.title = '';", vec![])
            .await
            .unwrap();
    }
    if let Some(target) = &a.target {
        for m in browser.probe(target).await.unwrap().matches {
            let element = serde_json::to_value(&m.element).unwrap();
            // An element inside one removed before may be gone already.
            let _ = browser
                .eval_json("arguments[0].remove();", vec![element])
                .await;
        }
    }
    browser.top_frame().await.unwrap();
}

/// What the test needs to reach each state.
struct Setup {
    mock: MockPolar,
    checkout_url: String,
    stepper_url: String,
    /// Filled once the first checkout was paid.
    portal_url: Option<String>,
    /// Its subscription's renewal failed already.
    past_due: bool,
    /// The paying customer.
    customer_id: String,
}

async fn rest(mock: &MockPolar, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = reqwest::Client::new()
        .request(method, format!("{}{path}", mock.base_url()))
        .bearer_auth(mock.token());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let body: Value = resp.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

async fn new_checkout(mock: &MockPolar, seats: Value) -> Value {
    let mut body = json!({
        "products": [mock.product_id()],
        "success_url": "http://127.0.0.1:9/done?checkout_id={CHECKOUT_ID}",
    });
    body.as_object_mut()
        .unwrap()
        .extend(seats.as_object().unwrap().clone());
    rest(mock, reqwest::Method::POST, "/v1/checkouts/", Some(body)).await
}

async fn click(browser: &Browser, target: Locator) {
    browser.top_frame().await.unwrap();
    if let Err(e) = browser.click(&target, WAIT).await {
        panic!(
            "reaching a state: {e}\npage: {}",
            browser.page_text().await.unwrap_or_default()
        );
    }
}

/// The checkout of 3 fixed seats paid through Polar's client API (what the page sends), and
/// a customer session for its customer: the portal's URL.
async fn pay_and_open_session(setup: &mut Setup) -> String {
    if let Some(url) = &setup.portal_url {
        return url.clone();
    }
    let mock = &setup.mock;
    let secret = setup.checkout_url.rsplit('/').next().unwrap().to_string();
    let paid = rest(
        mock,
        reqwest::Method::POST,
        &format!("/v1/checkouts/client/{secret}/confirm"),
        Some(json!({
            "customer_email": "contract@acme.dev",
            "customer_name": "Contract Buyer",
            "customer_billing_address": {"country": "DE"},
            "card": {"number": "4242 4242 4242 4242", "expiry": "12 / 34", "cvc": "123"},
        })),
    )
    .await;
    let customer_id = paid["customer_id"].as_str().unwrap().to_string();
    setup.customer_id = customer_id.clone();
    let url = open_session(mock, &customer_id).await;
    setup.portal_url = Some(url.clone());
    url
}

/// A new customer session's portal URL (the mock's clock may have passed an older one's end).
async fn open_session(mock: &MockPolar, customer_id: &str) -> String {
    let session = rest(
        mock,
        reqwest::Method::POST,
        "/v1/customer-sessions/",
        Some(json!({"customer_id": customer_id})),
    )
    .await;
    session["customer_portal_url"].as_str().unwrap().to_string()
}

/// Makes the paid subscription's renewal fail: it is past due.
async fn fall_past_due(setup: &Setup) {
    let mock = &setup.mock;
    // The cancellation states cancelled it at the period end: keep it first.
    let subs = rest(mock, reqwest::Method::GET, "/v1/subscriptions/", None).await;
    let id = subs["items"][0]["id"].as_str().unwrap().to_string();
    rest(
        mock,
        reqwest::Method::PATCH,
        &format!("/v1/subscriptions/{id}"),
        Some(json!({"cancel_at_period_end": false})),
    )
    .await;
    let control = mock.control_url();
    let http = reqwest::Client::new();
    let next = http
        .post(format!("{control}/next-charge"))
        .json(&json!({"outcome": "fail"}))
        .send()
        .await
        .unwrap();
    assert!(next.status().is_success());
    let advanced: Value = http
        .post(format!("{control}/advance-period"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        advanced["subscriptions"][0]["status"], "past_due",
        "{advanced}"
    );
}

/// Brings the browser to `state`, from a fresh page load.
async fn reach(browser: &Browser, setup: &mut Setup, state: &str) {
    browser.top_frame().await.unwrap();
    match state {
        "checkout" | "checkout-card-frame" => browser.goto(&setup.checkout_url).await.unwrap(),
        "checkout-germany" | "checkout-united-states" => {
            browser.goto(&setup.checkout_url).await.unwrap();
            let country = if state == "checkout-germany" {
                "Germany"
            } else {
                "United States"
            };
            // The page saves the chosen country on the checkout (as Polar's does), so after
            // the first choice the combobox shows it rather than "Country".
            let combobox = t(By::Css, "button[role=combobox]");
            if let Err(e) = browser.select(&combobox, country, WAIT).await {
                panic!(
                    "reaching {state}: {e}\npage: {}",
                    browser.page_text().await.unwrap_or_default()
                );
            }
        }
        "checkout-business" => {
            browser.goto(&setup.checkout_url).await.unwrap();
            click(browser, t(By::Text, "I'm purchasing as a business")).await;
        }
        "checkout-seat-stepper" => browser.goto(&setup.stepper_url).await.unwrap(),
        "portal-overview" | "portal-manage" | "portal-cancel-dialog" | "portal-cancelled" => {
            let url = pay_and_open_session(setup).await;
            browser.goto(&url).await.unwrap();
            if state == "portal-overview" {
                return;
            }
            click(browser, t(By::Text, "Manage subscription")).await;
            if state == "portal-manage" {
                return;
            }
            click(browser, t(By::Label, "Cancel subscription")).await;
            if state == "portal-cancel-dialog" {
                return;
            }
            click(
                browser,
                t(
                    By::Xpath,
                    "//*[@role='dialog'][.//h3[contains(., 'sorry to see you go')]]//button[normalize-space()='Cancel Subscription']",
                ),
            )
            .await;
        }
        "portal-billing" | "portal-add-payment-method" => {
            let url = pay_and_open_session(setup).await;
            browser.goto(&url).await.unwrap();
            click(browser, t(By::Text, "Billing")).await;
            if state == "portal-add-payment-method" {
                click(browser, t(By::Text, "Add Payment Method")).await;
            }
        }
        "portal-past-due" | "portal-retry-new-card" => {
            pay_and_open_session(setup).await;
            if !setup.past_due {
                fall_past_due(setup).await;
                setup.past_due = true;
            }
            // The renewal moved the mock's clock a period on: a session of now.
            let url = open_session(&setup.mock, &setup.customer_id).await;
            browser.goto(&url).await.unwrap();
            if state == "portal-retry-new-card" {
                click(browser, t(By::Text, "Retry payment")).await;
                click(browser, t(By::Text, "Use a Different Card")).await;
            }
        }
        other => panic!("{CONTRACT}: no way to reach state {other:?}; add it to `reach`"),
    }
}

#[tokio::test]
async fn every_anchor_of_polars_pages_is_on_the_mocks_pages_and_fails_when_removed() {
    let (doc, states) = load_contract();
    assert_eq!(
        doc["polar_commit"].as_str().map(str::len),
        Some(40),
        "the contract names the Polar commit it was read at"
    );
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let fixed = new_checkout(&mock, json!({"seats": 3, "min_seats": 3, "max_seats": 3})).await;
    let stepper = new_checkout(&mock, json!({"seats": 2})).await;
    let mut setup = Setup {
        checkout_url: fixed["url"].as_str().unwrap().to_string(),
        stepper_url: stepper["url"].as_str().unwrap().to_string(),
        portal_url: None,
        past_due: false,
        customer_id: String::new(),
        mock,
    };
    let logs = tempfile::tempdir().unwrap();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("Chromium and chromedriver are installed");

    let mut failures = Vec::new();
    let mut removable = 0;
    for state in &states {
        reach(&browser, &mut setup, &state.name).await;
        for a in &state.anchors {
            if let Err(why) = check(&browser, a, WAIT).await {
                failures.push(format!(
                    "{} ({}): {why}\n  contract line: {}",
                    a.id, state.name, a.source
                ));
            }
        }
        if !failures.is_empty() {
            continue;
        }
        // Each anchor taken out of the page fails. Removing one may take others with it,
        // which is why each is checked right after its own removal.
        for a in state
            .anchors
            .iter()
            .filter(|a| !a.absent && (a.target.is_some() || a.title.is_some()))
        {
            remove(&browser, a).await;
            let after = check(&browser, a, Duration::from_millis(300)).await;
            assert!(
                after.is_err(),
                "{} ({}) still held after its element was removed: the check cannot fail",
                a.id,
                state.name
            );
            removable += 1;
        }
    }
    browser.close().await;
    assert!(
        failures.is_empty(),
        "the mock's pages break Polar's page contract ({CONTRACT}):\n{}",
        failures.join("\n")
    );
    assert!(
        removable >= 40,
        "only {removable} anchors were removal-checked"
    );
}

#[test]
fn every_anchor_names_its_source_and_the_scenarios_that_use_it() {
    let (_, states) = load_contract();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ids = std::collections::HashSet::new();
    for a in states.iter().flat_map(|s| &s.anchors) {
        assert!(ids.insert(a.id.clone()), "anchor {} twice", a.id);
        let cited = a.source.starts_with("stripe:")
            || (a.source.contains(".tsx") || a.source.contains(".ts") || a.source.contains(".py"))
                && a.source.chars().any(|c| c.is_ascii_digit());
        assert!(
            cited,
            "{}: the source names no file and line: {:?}",
            a.id, a.source
        );
        assert!(
            a.target.is_some() || a.title.is_some() || a.url_contains.is_some(),
            "{}: checks nothing",
            a.id
        );
        for file in &a.used_by {
            let text = std::fs::read_to_string(root.join(file))
                .unwrap_or_else(|e| panic!("{}: used_by {file}: {e}", a.id));
            let value = a
                .target
                .as_ref()
                .map(|l| l.value.clone())
                .unwrap_or_default();
            assert!(
                text.contains(&value),
                "{}: {file} does not use {value:?} (the contract says it does)",
                a.id
            );
        }
    }
}

#[test]
fn the_sandbox_canary_passes_on_the_mock() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let canary =
        std::fs::read_to_string(root.join("scenarios/00-polar-pages-canary.yaml")).unwrap();
    assert!(
        canary.contains("targets: [sandbox]"),
        "the canary runs on the sandbox only"
    );
    // The same steps on the mock: the anchors it checks hold on the mock's pages.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("canary.yaml"),
        canary.replace("targets: [sandbox]", "targets: [mock]"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .current_dir(root)
        .args(["run", "--quiet", "--video", "off", "--out"])
        .arg(out.path())
        .arg(dir.path().join("canary.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
