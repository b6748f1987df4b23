//! Performing one step's actions: rendering templates, translating locators for the
//! browser, polling expectations until their timeout, `within_frame`, `eventually`, `http`.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::{Duration, Instant};

use crate::browser::{Browser, Target, TargetKind};
use crate::capture::ArtifactStore;
use crate::scenario::{Action, ActionKind, By, Location, Locator, Vars, WaitTarget};

use super::RunContext;

const POLL: Duration = Duration::from_millis(100);
/// The timeout of one try of an action nested in `eventually` (unless it names its own).
const EVENTUALLY_TRY: Duration = Duration::from_millis(1000);

pub(super) enum Failure {
    Failed(String, Location),
    Interrupted(Location),
}

type Outcome = Result<(), Failure>;

pub(super) struct Exec<'a> {
    pub browser: &'a Browser,
    pub ctx: &'a RunContext,
    pub store: &'a ArtifactStore,
    pub vars: &'a mut Vars,
    pub shots: Vec<(String, String)>,
    pub shot_dir: &'a Path,
    pub step_index: usize,
    pub step_name: &'a str,
}

impl Exec<'_> {
    /// Runs the actions, stopping at once when the run is cancelled.
    pub async fn run_cancellable(&mut self, actions: &[Action]) -> Outcome {
        let mut cancel = self.ctx.cancel.clone();
        let first = actions
            .first()
            .map(|a| a.location.clone())
            .unwrap_or_else(|| Location {
                file: Default::default(),
                line: 0,
                column: 0,
            });
        if *cancel.borrow() {
            return Err(Failure::Interrupted(first));
        }
        let current = std::sync::Arc::new(std::sync::Mutex::new(first));
        let tracker = current.clone();
        let work = self.run_all(actions, None, tracker);
        tokio::select! {
            outcome = work => outcome,
            _ = cancel.wait_for(|c| *c) => {
                let at = current.lock().map(|l| l.clone()).unwrap_or_else(|p| p.into_inner().clone());
                Err(Failure::Interrupted(at))
            }
        }
    }

    fn run_all<'s>(
        &'s mut self,
        actions: &'s [Action],
        nested_timeout: Option<Duration>,
        tracker: std::sync::Arc<std::sync::Mutex<Location>>,
    ) -> Pin<Box<dyn Future<Output = Outcome> + 's>> {
        Box::pin(async move {
            for action in actions {
                if let Ok(mut at) = tracker.lock() {
                    *at = action.location.clone();
                }
                let timeout = action
                    .timeout
                    .or(nested_timeout)
                    .unwrap_or(self.ctx.default_timeout);
                self.run_one(action, timeout, nested_timeout, tracker.clone())
                    .await?;
            }
            Ok(())
        })
    }

    async fn run_one(
        &mut self,
        action: &Action,
        timeout: Duration,
        nested_timeout: Option<Duration>,
        tracker: std::sync::Arc<std::sync::Mutex<Location>>,
    ) -> Outcome {
        let at = &action.location;
        let fail = |message: String| Failure::Failed(message, at.clone());
        let browser = self.browser;
        match &action.kind {
            ActionKind::Open { url } => {
                let raw = self.vars.render(url).map_err(fail)?;
                let target = resolve_url(&self.ctx.app_url, &raw).map_err(fail)?;
                browser
                    .goto(target.as_str())
                    .await
                    .map_err(|e| fail(format!("open {target}: {e}")))
            }
            ActionKind::Click { target } => {
                let t = self.target(target).map_err(fail)?;
                browser
                    .click(&t, timeout)
                    .await
                    .map_err(|e| fail(format!("click {t}: {e}")))
            }
            ActionKind::Fill { target, value } => {
                let t = self.target(target).map_err(fail)?;
                let v = self.vars.render(value).map_err(fail)?;
                browser
                    .fill(&t, &v, timeout)
                    .await
                    .map_err(|e| fail(format!("fill {t}: {e}")))
            }
            ActionKind::Select { target, option } => {
                let t = self.target(target).map_err(fail)?;
                let o = self.vars.render(option).map_err(fail)?;
                browser
                    .select(&t, &o, timeout)
                    .await
                    .map_err(|e| fail(format!("select {o:?} in {t}: {e}")))
            }
            ActionKind::Press { key, target } => {
                let k = self.vars.render(key).map_err(fail)?;
                let t = match target {
                    Some(target) => Some(self.target(target).map_err(fail)?),
                    None => None,
                };
                browser
                    .press(&k, t.as_ref(), timeout)
                    .await
                    .map_err(|e| fail(format!("press {k:?}: {e}")))
            }
            ActionKind::ExpectText { target, matcher } => {
                let t = match target {
                    Some(target) => Some(self.target(target).map_err(fail)?),
                    None => None,
                };
                let vars = &*self.vars;
                poll(timeout, || async {
                    let actual = match &t {
                        Some(t) => {
                            let probe = browser.probe(t).await.map_err(|e| e.to_string())?;
                            match probe.first_visible() {
                                Some(m) => m.text.clone(),
                                None => return Err(format!("no visible element matches {t}")),
                            }
                        }
                        None => browser.page_text().await.map_err(|e| e.to_string())?,
                    };
                    matcher.check(&actual, vars).map_err(|e| match &t {
                        Some(t) => format!("text of {t}: {e}"),
                        None => format!("page text: {e}"),
                    })
                })
                .await
                .map_err(|e| fail(format!("expect_text: {e}")))
            }
            ActionKind::ExpectUrl { matcher } => {
                let vars = &*self.vars;
                poll(timeout, || async {
                    let url = browser.current_url().await.map_err(|e| e.to_string())?;
                    matcher.check(&url, vars).map_err(|e| format!("url: {e}"))
                })
                .await
                .map_err(|e| fail(format!("expect_url: {e}")))
            }
            ActionKind::ExpectVisible { target } => {
                let t = self.target(target).map_err(fail)?;
                poll(timeout, || async {
                    let probe = browser.probe(&t).await.map_err(|e| e.to_string())?;
                    if probe.any_visible() {
                        Ok(())
                    } else if probe.matches.is_empty() {
                        Err(format!("no element matches {t}"))
                    } else {
                        Err(format!(
                            "{t} matches {} element(s), none visible",
                            probe.matches.len()
                        ))
                    }
                })
                .await
                .map_err(|e| fail(format!("expect_visible: {e}")))
            }
            ActionKind::ExpectHidden { target } => {
                let t = self.target(target).map_err(fail)?;
                poll(timeout, || async {
                    let probe = browser.probe(&t).await.map_err(|e| e.to_string())?;
                    if probe.any_visible() {
                        Err(format!("{t} is still visible"))
                    } else {
                        Ok(())
                    }
                })
                .await
                .map_err(|e| fail(format!("expect_hidden: {e}")))
            }
            ActionKind::WithinFrame { frame, actions } => {
                let t = self.target(frame).map_err(fail)?;
                browser
                    .enter_frame(&t, timeout)
                    .await
                    .map_err(|e| fail(format!("within_frame {t}: {e}")))?;
                let outcome = self.run_all(actions, nested_timeout, tracker).await;
                let left = browser.leave_frame().await;
                outcome?;
                left.map_err(|e| fail(format!("leaving frame {t}: {e}")))
            }
            ActionKind::Screenshot { name } => {
                let n = self.vars.render(name).map_err(fail)?;
                let png = browser
                    .screenshot()
                    .await
                    .map_err(|e| fail(format!("screenshot: {e}")))?;
                let rel = ArtifactStore::step_file(
                    self.shot_dir,
                    self.step_index,
                    self.step_name,
                    Some(&n),
                    "png",
                );
                let written = self
                    .store
                    .write(&rel, &png)
                    .map_err(|e| fail(format!("screenshot {n:?} could not be written: {e}")))?;
                self.shots.push((n, written));
                Ok(())
            }
            ActionKind::WaitFor { target } => match target {
                WaitTarget::Element(target) => {
                    let t = self.target(target).map_err(fail)?;
                    browser
                        .wait_visible(&t, timeout)
                        .await
                        .map(|_| ())
                        .map_err(|e| fail(format!("wait_for: {e}")))
                }
                WaitTarget::Text(text) => {
                    let want = self.vars.render(text).map_err(fail)?;
                    let folded = fold(&want);
                    poll(timeout, || async {
                        let page = browser.page_text().await.map_err(|e| e.to_string())?;
                        if fold(&page).contains(&folded) {
                            Ok(())
                        } else {
                            Err(format!("text {want:?} did not appear"))
                        }
                    })
                    .await
                    .map_err(|e| fail(format!("wait_for: {e}")))
                }
            },
            ActionKind::Eventually {
                actions,
                timeout: limit,
                interval,
            } => {
                let started = Instant::now();
                let mut rounds = 0;
                loop {
                    rounds += 1;
                    let attempt = self
                        .run_all(actions, Some(EVENTUALLY_TRY), tracker.clone())
                        .await;
                    match attempt {
                        Ok(()) => return Ok(()),
                        Err(Failure::Interrupted(l)) => return Err(Failure::Interrupted(l)),
                        Err(Failure::Failed(message, inner_at)) => {
                            if started.elapsed() + *interval > *limit {
                                return Err(Failure::Failed(
                                    format!(
                                        "eventually: not satisfied within {} ms ({rounds} rounds); last failure at {inner_at}: {message}",
                                        limit.as_millis()
                                    ),
                                    at.clone(),
                                ));
                            }
                            tokio::time::sleep(*interval).await;
                        }
                    }
                }
            }
            ActionKind::Http(call) => {
                let raw_url = self.vars.render(&call.url).map_err(fail)?;
                let url = resolve_url(&self.ctx.app_url, &raw_url).map_err(fail)?;
                let method = reqwest::Method::from_bytes(call.method.as_bytes())
                    .map_err(|_| fail(format!("http: unknown method {}", call.method)))?;
                let client = reqwest::Client::builder()
                    .timeout(timeout)
                    .build()
                    .map_err(|e| fail(format!("http: {e}")))?;
                let mut request = client.request(method, url.clone());
                for (name, value) in &call.headers {
                    let v = self.vars.render(value).map_err(fail)?;
                    request = request.header(name.as_str(), v);
                }
                if let Some(json) = &call.json {
                    let body = self.vars.render_json(json, at).map_err(fail)?;
                    request = request.json(&body);
                }
                let response = request
                    .send()
                    .await
                    .map_err(|e| fail(format!("http {} {url}: {e}", call.method)))?;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                let body: serde_json::Value =
                    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null);
                let captures = call
                    .evaluate(status, &body, self.vars)
                    .map_err(|e| fail(format!("http {} {url}: {e}", call.method)))?;
                for (name, value) in captures {
                    self.vars.set(&name, &value);
                }
                Ok(())
            }
            ActionKind::Remember {
                target,
                attribute,
                var,
            } => {
                let t = self.target(target).map_err(fail)?;
                let found = browser
                    .wait_visible(&t, timeout)
                    .await
                    .map_err(|e| fail(format!("remember {t}: {e}")))?;
                let value = match attribute {
                    None => found.text,
                    Some(name) => {
                        let name = self.vars.render(name).map_err(fail)?;
                        browser
                            .attribute(&found, &name)
                            .await
                            .map_err(|e| fail(format!("remember {t}: {e}")))?
                            .ok_or_else(|| fail(format!("remember {t}: no attribute `{name}`")))?
                    }
                };
                self.vars.set(var, &value);
                Ok(())
            }
            ActionKind::VerifyConfig {
                server,
                product_name,
            } => {
                let server = match server {
                    Some(s) => self.vars.render(s).map_err(fail)?,
                    None => self
                        .vars
                        .get("polar.server")
                        .unwrap_or("sandbox")
                        .to_string(),
                };
                let product_name = match product_name {
                    Some(n) => Some(self.vars.render(n).map_err(fail)?),
                    None => None,
                };
                // The target's Polar comes from the run's vars; the environment fills in
                // what the run does not know (the sandbox target's POLAR_* secrets).
                let from_vars = |var: &str| self.vars.get(var).map(str::to_string);
                let lookup = |key: &str| -> Option<String> {
                    let var = match key {
                        "POLAR_SERVER" => return Some(server.clone()),
                        "POLAR_API_URL" => "polar.api_url",
                        "POLAR_ACCESS_TOKEN" => "polar.token",
                        "POLAR_PRODUCT_ID" => "polar.product_id",
                        _ => return std::env::var(key).ok(),
                    };
                    from_vars(var).or_else(|| std::env::var(key).ok())
                };
                let expect = crate::polar::verify::Expectations { product_name };
                let verification =
                    tokio::time::timeout(timeout, crate::polar::verify::verify(lookup, &expect))
                        .await
                        .map_err(|_| {
                            fail(format!(
                                "verify_config: no answer within {} ms",
                                timeout.as_millis()
                            ))
                        })?;
                let text = verification.render_text();
                let _ = browser
                    .goto(&verifier_page(&text, verification.passed()))
                    .await;
                if verification.passed() {
                    Ok(())
                } else {
                    Err(fail(format!(
                        "verify_config: the configuration is not usable:\n{}",
                        text.trim_end()
                    )))
                }
            }
        }
    }

    fn target(&self, locator: &Locator) -> Result<Target, String> {
        let value = self.vars.render(&locator.value)?;
        let kind = match locator.by {
            By::Css => TargetKind::Css,
            By::Xpath => TargetKind::Xpath,
            By::Text => TargetKind::Text,
            By::Label => TargetKind::Label,
            By::TestId => TargetKind::TestId,
        };
        Ok(Target { kind, value })
    }
}

/// Retries `probe` until it returns Ok or `timeout` runs out; the error is the last one.
/// A broken locator fails at once.
async fn poll<F, Fut>(timeout: Duration, mut probe: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    loop {
        let result = probe().await;
        match result {
            Ok(()) => return Ok(()),
            Err(e) if e.contains("is not a valid locator") => return Err(e),
            Err(e) if started.elapsed() >= timeout => {
                return Err(format!("{e} (waited {} ms)", started.elapsed().as_millis()))
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// A `data:` page showing the verifier's report, so the step's screenshot and clip show it.
fn verifier_page(report: &str, passed: bool) -> String {
    let escaped = report
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let (verdict, colour) = if passed {
        ("every check passed", "#2b8a3e")
    } else {
        ("a check failed", "#c92a2a")
    };
    let html = format!(
        "<!doctype html><meta charset=utf-8><title>walkthrough verify-config</title>\
         <body style=\"margin:0;background:#1d1d27;color:#e9ecef;font:16px/1.6 monospace\">\
         <div style=\"padding:32px\"><div style=\"color:#adb5bd\">$ walkthrough verify-config</div>\
         <pre data-testid=verify-config style=\"font:inherit\">{escaped}</pre>\
         <div data-testid=verify-verdict style=\"color:{colour};font-weight:bold\">{verdict}</div></div>"
    );
    let mut encoded = String::from("data:text/html;charset=utf-8,");
    for byte in html.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                encoded.push(byte as char)
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    encoded
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An absolute URL as it is; anything else is joined to the app URL.
pub(super) fn resolve_url(app: &url::Url, raw: &str) -> Result<url::Url, String> {
    match url::Url::parse(raw) {
        Ok(u) => Ok(u),
        Err(url::ParseError::RelativeUrlWithoutBase) => app
            .join(raw)
            .map_err(|e| format!("{raw:?} is not a usable path: {e}")),
        Err(e) => Err(format!("{raw:?} is not a valid URL: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_join_the_app_url() {
        let app = url::Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(
            resolve_url(&app, "/new?billing=success").unwrap().as_str(),
            "http://127.0.0.1:8080/new?billing=success"
        );
        assert_eq!(
            resolve_url(&app, "https://example.test/x")
                .unwrap()
                .as_str(),
            "https://example.test/x"
        );
    }

    #[tokio::test]
    async fn poll_returns_the_last_error_after_the_timeout() {
        let mut n = 0;
        let err = poll(Duration::from_millis(250), || {
            n += 1;
            let k = n;
            async move { Err(format!("try {k}")) }
        })
        .await
        .unwrap_err();
        assert!(err.starts_with("try "), "{err}");
        assert!(n >= 2, "retried");
    }

    #[tokio::test]
    async fn poll_stops_on_success() {
        let mut n = 0;
        poll(Duration::from_secs(5), || {
            n += 1;
            let k = n;
            async move {
                if k >= 3 {
                    Ok(())
                } else {
                    Err("not yet".into())
                }
            }
        })
        .await
        .unwrap();
        assert_eq!(n, 3);
    }
}
