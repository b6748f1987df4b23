//! Performing one step's actions: rendering templates, translating locators for the
//! browser, waiting for expectations until their timeout (in the page, as the browser
//! waits for elements), `within_frame`, `eventually`.
//! The `http:` and `verify_config` actions have their own files ([`super::http_call`],
//! [`super::verify`]); what they share with these is [`super::exec`].

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::browser::{self, Browser, TextTest, Waited};
use crate::outcome::NamedShot;
use crate::run_folder::RunFolder;
use crate::scenario::{
    Action, ActionKind, By, Location, Locator, Template, TextMatch, Vars, WaitFor,
};

use super::exec::{resolve_url, ActionError, Exec, Failure};

/// The pauses between checks of a polled condition (`expect_url`): short at first, since
/// a URL usually changes right after the action before it.
const POLL: [Duration; 3] = [
    Duration::from_millis(20),
    Duration::from_millis(50),
    Duration::from_millis(100),
];
/// The timeout of one try of an action nested in `eventually` (unless it names its own).
const EVENTUALLY_TRY: Duration = Duration::from_millis(1000);

type Outcome = Result<(), Failure>;
type Tracker = Arc<Mutex<Location>>;

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
        let current = Arc::new(Mutex::new(first));
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
        tracker: Tracker,
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

    /// One action. Nesting actions (`within_frame`, `eventually`) keep their inner
    /// failure's location; every other error is located at the action.
    async fn run_one(
        &mut self,
        action: &Action,
        timeout: Duration,
        nested_timeout: Option<Duration>,
        tracker: Tracker,
    ) -> Outcome {
        let at = &action.location;
        let result = match &action.kind {
            ActionKind::WithinFrame { frame, actions } => {
                return self
                    .within_frame(frame, actions, timeout, nested_timeout, tracker, at)
                    .await
            }
            ActionKind::Eventually {
                actions,
                timeout: limit,
                interval,
            } => {
                return self
                    .eventually(actions, *limit, *interval, tracker, at)
                    .await
            }
            ActionKind::Http(call) => super::http_call::run(self, call, timeout, at).await,
            ActionKind::VerifyConfig {
                server,
                product_name,
            } => super::verify::run(self, server.as_ref(), product_name.as_ref(), timeout).await,
            ActionKind::Screenshot { name } => self.screenshot(name).await,
            ActionKind::Remember {
                locator,
                attribute,
                var,
            } => {
                self.remember(locator, attribute.as_ref(), var, timeout)
                    .await
            }
            ActionKind::WaitFor { what } => self.wait_for(what, timeout).await,
            kind @ (ActionKind::ExpectText { .. }
            | ActionKind::ExpectUrl { .. }
            | ActionKind::ExpectVisible { .. }
            | ActionKind::ExpectHidden { .. }) => self.expect(kind, timeout).await,
            kind @ (ActionKind::Open { .. }
            | ActionKind::Click { .. }
            | ActionKind::Fill { .. }
            | ActionKind::Type { .. }
            | ActionKind::Select { .. }
            | ActionKind::Press { .. }) => self.interact(kind, timeout).await,
        };
        result.map_err(|e| Failure::Failed(e.to_string(), at.clone()))
    }

    /// Actions that do something to the page: open, click, fill, type, select, press.
    async fn interact(&mut self, kind: &ActionKind, timeout: Duration) -> Result<(), ActionError> {
        let browser = self.browser;
        match kind {
            ActionKind::Open { url } => {
                let raw = self.render(url)?;
                let target = resolve_url(&self.ctx.app_url, &raw)?;
                browser
                    .goto(target.as_str())
                    .await
                    .map_err(ActionError::browser(format!("open {target}")))
            }
            ActionKind::Click { locator } => {
                let t = self.render_locator(locator)?;
                let what = format!("click {t}");
                browser
                    .click(&t, timeout)
                    .await
                    .map_err(ActionError::browser(what))
            }
            ActionKind::Fill { locator, value } => {
                let t = self.render_locator(locator)?;
                let v = self.render(value)?;
                let what = format!("fill {t}");
                browser
                    .fill(&t, &v, timeout)
                    .await
                    .map_err(ActionError::browser(what))
            }
            ActionKind::Type { locator, text } => {
                let t = self.render_locator(locator)?;
                let v = self.render(text)?;
                let what = format!("type into {t}");
                browser
                    .type_text(&t, &v, timeout)
                    .await
                    .map_err(ActionError::browser(what))
            }
            ActionKind::Select { locator, option } => {
                let t = self.render_locator(locator)?;
                let o = self.render(option)?;
                let what = format!("select {o:?} in {t}");
                // A combobox chosen by the keyboard (its option did not take the click) is
                // as chosen as one clicked: the browser checked it shows the option.
                browser
                    .select(&t, &o, timeout)
                    .await
                    .map(|_how| ())
                    .map_err(ActionError::browser(what))
            }
            ActionKind::Press { key, locator } => {
                let k = self.render(key)?;
                let t = match locator {
                    Some(locator) => Some(self.render_locator(locator)?),
                    None => None,
                };
                browser
                    .press(&k, t.as_ref(), timeout)
                    .await
                    .map_err(ActionError::browser(format!("press {k:?}")))
            }
            other => Err(ActionError::Unmet(format!(
                "the runner cannot perform {other:?}"
            ))),
        }
    }

    /// expect_text, expect_visible, expect_hidden: waited for in the page until they hold;
    /// expect_url: polled.
    async fn expect(&mut self, kind: &ActionKind, timeout: Duration) -> Result<(), ActionError> {
        let browser = self.browser;
        let (name, result) = match kind {
            ActionKind::ExpectText { locator, matcher } => {
                let t = match locator {
                    Some(locator) => Some(self.render_locator(locator)?),
                    None => None,
                };
                let vars = &*self.vars;
                let result = expect_text(browser, t.as_ref(), matcher, vars, timeout).await;
                ("expect_text", result)
            }
            ActionKind::ExpectUrl { matcher } => {
                let vars = &*self.vars;
                let result = poll(timeout, || async {
                    match browser.current_url().await {
                        Ok(url) => matcher.check(&url, vars).err().map(|e| format!("url: {e}")),
                        Err(e) => Some(e.to_string()),
                    }
                })
                .await;
                ("expect_url", result)
            }
            ActionKind::ExpectVisible { locator } => {
                let t = self.render_locator(locator)?;
                let result = visibility(browser, &t, true, timeout).await;
                ("expect_visible", result)
            }
            ActionKind::ExpectHidden { locator } => {
                let t = self.render_locator(locator)?;
                let result = visibility(browser, &t, false, timeout).await;
                ("expect_hidden", result)
            }
            other => {
                return Err(ActionError::Unmet(format!(
                    "{other:?} is not an expectation"
                )))
            }
        };
        match result {
            None => Ok(()),
            Some(why) => Err(ActionError::Unmet(format!("{name}: {why}"))),
        }
    }

    async fn within_frame(
        &mut self,
        frame: &Locator,
        actions: &[Action],
        timeout: Duration,
        nested_timeout: Option<Duration>,
        tracker: Tracker,
        at: &Location,
    ) -> Outcome {
        let fail = |e: ActionError| Failure::Failed(e.to_string(), at.clone());
        let t = self.render_locator(frame).map_err(fail)?;
        self.browser
            .enter_frame(&t, timeout)
            .await
            .map_err(ActionError::browser(format!("within_frame {t}")))
            .map_err(fail)?;
        let outcome = self.run_all(actions, nested_timeout, tracker).await;
        let left = self.browser.leave_frame().await;
        outcome?;
        left.map_err(ActionError::browser(format!("leaving frame {t}")))
            .map_err(fail)
    }

    async fn eventually(
        &mut self,
        actions: &[Action],
        limit: Duration,
        interval: Duration,
        tracker: Tracker,
        at: &Location,
    ) -> Outcome {
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
                    if started.elapsed() + interval > limit {
                        return Err(Failure::Failed(
                            format!(
                                "eventually: not satisfied within {} ms ({rounds} rounds); last failure at {inner_at}: {message}",
                                limit.as_millis()
                            ),
                            at.clone(),
                        ));
                    }
                    tokio::time::sleep(interval).await;
                }
            }
        }
    }

    async fn screenshot(&mut self, name: &Template) -> Result<(), ActionError> {
        let n = self.render(name)?;
        let png = self
            .browser
            .screenshot()
            .await
            .map_err(ActionError::browser("screenshot"))?;
        let rel = RunFolder::step_file(
            self.shot_dir,
            self.step_index,
            self.step_name,
            Some(&n),
            "png",
        );
        let written = self.folder.write(&rel, &png).map_err(|e| {
            ActionError::Unmet(format!("screenshot {n:?} could not be written: {e}"))
        })?;
        self.shots.push(NamedShot {
            name: n,
            path: written,
        });
        Ok(())
    }

    async fn wait_for(&mut self, what: &WaitFor, timeout: Duration) -> Result<(), ActionError> {
        let browser = self.browser;
        match what {
            WaitFor::Element(locator) => {
                let t = self.render_locator(locator)?;
                browser
                    .wait_visible(&t, timeout)
                    .await
                    .map(|_| ())
                    .map_err(ActionError::browser("wait_for"))
            }
            WaitFor::Text(text) => {
                let want = self.render(text)?;
                let folded = fold(&want);
                let test = kept_secret(TextTest::Contains(want.clone()), self.vars);
                let started = Instant::now();
                let waited = browser
                    .wait_text(None, &test, timeout, |page| fold(page).contains(&folded))
                    .await;
                let unmet = match waited {
                    Ok(Waited::Held(_)) => None,
                    Ok(Waited::TimedOut(Ok(_))) => {
                        Some(waited_for(format!("text {want:?} did not appear"), started))
                    }
                    Ok(Waited::TimedOut(Err(e))) => Some(waited_for(e.to_string(), started)),
                    Err(e) => Some(e.to_string()),
                };
                match unmet {
                    None => Ok(()),
                    Some(why) => Err(ActionError::Unmet(format!("wait_for: {why}"))),
                }
            }
        }
    }

    async fn remember(
        &mut self,
        locator: &Locator,
        attribute: Option<&Template>,
        var: &str,
        timeout: Duration,
    ) -> Result<(), ActionError> {
        let t = self.render_locator(locator)?;
        let what = format!("remember {t}");
        let found = self
            .browser
            .wait_visible(&t, timeout)
            .await
            .map_err(ActionError::browser(what.clone()))?;
        let value = match attribute {
            None => found.text,
            Some(name) => {
                let name = self.render(name)?;
                self.browser
                    .attribute(&found, &name)
                    .await
                    .map_err(ActionError::browser(what.clone()))?
                    .ok_or_else(|| ActionError::Unmet(format!("{what}: no attribute `{name}`")))?
            }
        };
        self.vars.set(var, &value);
        Ok(())
    }

    /// The scenario's locator with its value rendered, as the browser takes it.
    fn render_locator(&self, locator: &Locator) -> Result<browser::Locator, ActionError> {
        let value = self.render(&locator.value)?;
        let kind = match locator.by {
            By::Css => browser::By::Css,
            By::Xpath => browser::By::Xpath,
            By::Text => browser::By::Text,
            By::Label => browser::By::Label,
            By::TestId => browser::By::TestId,
        };
        Ok(browser::Locator { kind, value })
    }
}

/// `expect_text`: waits in the page until the text of the first visible match (or of the
/// page) passes `matcher`; the page evaluates the matcher, and `matcher.check` confirms
/// what it found, so the semantics and messages are the scenario language's own.
async fn expect_text(
    browser: &Browser,
    locator: Option<&browser::Locator>,
    matcher: &TextMatch,
    vars: &Vars,
    timeout: Duration,
) -> Unmet {
    let started = Instant::now();
    let test = text_test(matcher, vars);
    let waited = browser
        .wait_text(locator, &test, timeout, |text| {
            matcher.check(text, vars).is_ok()
        })
        .await;
    let why = match waited {
        Ok(Waited::Held(_)) => return None,
        // A broken locator fails at once.
        Err(e) => return Some(e.to_string()),
        Ok(Waited::TimedOut(Err(e))) => e.to_string(),
        Ok(Waited::TimedOut(Ok(seen))) => match (locator, seen) {
            (Some(t), None) => format!("no visible element matches {t}"),
            (locator, seen) => {
                let e = matcher.check(&seen.unwrap_or_default(), vars).err()?;
                match locator {
                    Some(t) => format!("text of {t}: {e}"),
                    None => format!("page text: {e}"),
                }
            }
        },
    };
    Some(waited_for(why, started))
}

/// The matcher as the page can evaluate it. A value that cannot be rendered, or that holds
/// a secret (the page's script arguments are logged by the driver), stays out of the page:
/// every change of the text is checked here instead.
fn text_test(matcher: &TextMatch, vars: &Vars) -> TextTest {
    let rendered = match matcher {
        TextMatch::Equals(t) => vars.render(t).map(TextTest::Equals),
        TextMatch::Contains(t) => vars.render(t).map(TextTest::Contains),
        TextMatch::Matches(t) => vars.render(t).map(TextTest::Matches),
    };
    match rendered {
        Ok(test) => kept_secret(test, vars),
        Err(_) => TextTest::Changes,
    }
}

/// `test`, or [`TextTest::Changes`] when its value holds a secret.
fn kept_secret(test: TextTest, vars: &Vars) -> TextTest {
    match &test {
        TextTest::Equals(v) | TextTest::Contains(v) | TextTest::Matches(v)
            if vars.redact(v) != *v =>
        {
            TextTest::Changes
        }
        _ => test,
    }
}

/// `expect_visible` (`want_visible`) or `expect_hidden`, waited for in the page.
async fn visibility(
    browser: &Browser,
    t: &browser::Locator,
    want_visible: bool,
    timeout: Duration,
) -> Unmet {
    let started = Instant::now();
    let why = match browser.wait_presence(t, want_visible, timeout).await {
        Ok(Waited::Held(_)) => return None,
        // A broken locator fails at once.
        Err(e) => return Some(e.to_string()),
        Ok(Waited::TimedOut(Err(e))) => e.to_string(),
        Ok(Waited::TimedOut(Ok(seen))) => match (want_visible, seen.visible > 0) {
            (true, true) | (false, false) => return None,
            (false, true) => format!("{t} is still visible"),
            (true, false) if seen.matches == 0 => format!("no element matches {t}"),
            (true, false) => format!("{t} matches {} element(s), none visible", seen.matches),
        },
    };
    Some(waited_for(why, started))
}

/// A reason a wait ended without its condition, with the time waited since `started`.
fn waited_for(why: String, started: Instant) -> String {
    format!("{why} (waited {} ms)", started.elapsed().as_millis())
}

/// Why a condition does not hold (yet); `None` once it holds.
type Unmet = Option<String>;

/// Checks `condition` until it holds or `timeout` runs out; the reason is the last one,
/// with the time waited. For what the page cannot wait for itself (the top-level URL).
async fn poll<F, Fut>(timeout: Duration, mut condition: F) -> Unmet
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Unmet>,
{
    let started = Instant::now();
    let last = POLL[POLL.len() - 1];
    let mut pauses = POLL.into_iter().chain(std::iter::repeat(last));
    loop {
        match condition().await {
            None => return None,
            Some(why) if started.elapsed() >= timeout => return Some(waited_for(why, started)),
            Some(_) => {
                let pause = pauses.next().unwrap_or(last);
                tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
            }
        }
    }
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn poll_returns_the_last_error_after_the_timeout() {
        let mut n = 0;
        let err = poll(Duration::from_millis(250), || {
            n += 1;
            let k = n;
            async move { Some(format!("try {k}")) }
        })
        .await
        .expect("never holds");
        assert!(err.starts_with("try "), "{err}");
        assert!(n >= 2, "retried");
    }

    #[tokio::test]
    async fn poll_stops_on_success() {
        let mut n = 0;
        let unmet = poll(Duration::from_secs(5), || {
            n += 1;
            let k = n;
            async move { (k < 3).then(|| "not yet".to_string()) }
        })
        .await;
        assert_eq!(unmet, None);
        assert_eq!(n, 3);
    }
}
