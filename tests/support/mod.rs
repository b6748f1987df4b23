//! Helpers shared by the real-browser tests: short locators and polling waits on text and
//! URLs (never a bare sleep as a wait).

#![allow(dead_code)]

pub mod grid;
pub mod processes;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use walkthrough::browser::{Browser, By, Locator};

pub const WAIT: Duration = Duration::from_secs(5);

/// geckodriver on PATH, else the one scripts/setup.sh builds into .tools/.
pub fn geckodriver() -> PathBuf {
    walkthrough::browser::which("geckodriver").unwrap_or_else(|| {
        let built =
            Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/geckodriver/bin/geckodriver");
        assert!(
            built.is_file(),
            "geckodriver is missing: scripts/setup.sh builds it into .tools/geckodriver/bin"
        );
        built
    })
}

pub fn t(kind: By, value: &str) -> Locator {
    Locator {
        kind,
        value: value.to_string(),
    }
}

pub fn id(value: &str) -> Locator {
    t(By::TestId, value)
}

pub fn text(value: &str) -> Locator {
    t(By::Text, value)
}

pub fn label(value: &str) -> Locator {
    t(By::Label, value)
}

/// The visible text (or form value) of `locator`, waiting for it to be visible.
pub async fn text_of(browser: &Browser, locator: &Locator) -> String {
    match browser.wait_visible(locator, WAIT).await {
        Ok(m) => m.text,
        Err(e) => panic!(
            "{e}\npage: {}",
            browser.page_text().await.unwrap_or_default()
        ),
    }
}

/// Polls until `locator`'s visible text satisfies `ok` (within `timeout`); returns it.
pub async fn wait_text_for(
    browser: &Browser,
    locator: &Locator,
    timeout: Duration,
    ok: impl Fn(&str) -> bool,
) -> String {
    let started = Instant::now();
    loop {
        let probe = browser.probe(locator).await.unwrap();
        if let Some(m) = probe.first_visible() {
            if ok(&m.text) {
                return m.text.clone();
            }
        }
        if started.elapsed() > timeout {
            panic!(
                "{locator} never had the expected text (last: {:?})\npage: {}",
                probe.first_visible().map(|m| m.text.clone()),
                browser.page_text().await.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_text(browser: &Browser, locator: &Locator, ok: impl Fn(&str) -> bool) -> String {
    wait_text_for(browser, locator, WAIT, ok).await
}

/// Polls until the current URL satisfies `ok`; returns it.
pub async fn wait_url(browser: &Browser, ok: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let url = browser.current_url().await.unwrap();
        if ok(&url) {
            return url;
        }
        assert!(started.elapsed() < WAIT, "the URL stayed at {url}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// How many visible matches `locator` has right now.
pub async fn count_visible(browser: &Browser, locator: &Locator) -> usize {
    browser
        .probe(locator)
        .await
        .unwrap()
        .matches
        .iter()
        .filter(|m| m.visible)
        .count()
}

/// Fills the card fields inside the "Secure payment input frame" and leaves the frame.
pub async fn fill_card(browser: &Browser, number: &str) {
    browser
        .enter_frame(
            &t(By::Css, "iframe[title='Secure payment input frame']"),
            WAIT,
        )
        .await
        .unwrap();
    browser
        .fill(&label("Card number"), number, WAIT)
        .await
        .unwrap();
    browser
        .fill(&label("Expiration date"), "12 / 34", WAIT)
        .await
        .unwrap();
    browser
        .fill(&label("Security code"), "123", WAIT)
        .await
        .unwrap();
    browser.leave_frame().await.unwrap();
}
