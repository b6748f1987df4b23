//! Helpers shared by the real-browser tests: short locators and polling waits on text and
//! URLs (never a bare sleep as a wait).

#![allow(dead_code)]

pub mod grid;
pub mod processes;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use walkthrough::browser::{Browser, Target, TargetKind};

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

pub fn t(kind: TargetKind, value: &str) -> Target {
    Target {
        kind,
        value: value.to_string(),
    }
}

pub fn id(value: &str) -> Target {
    t(TargetKind::TestId, value)
}

pub fn text(value: &str) -> Target {
    t(TargetKind::Text, value)
}

pub fn label(value: &str) -> Target {
    t(TargetKind::Label, value)
}

/// The visible text (or form value) of `target`, waiting for it to be visible.
pub async fn text_of(browser: &Browser, target: &Target) -> String {
    match browser.wait_visible(target, WAIT).await {
        Ok(m) => m.text,
        Err(e) => panic!(
            "{e}\npage: {}",
            browser.page_text().await.unwrap_or_default()
        ),
    }
}

/// Polls until `target`'s visible text satisfies `ok` (within `timeout`); returns it.
pub async fn wait_text_for(
    browser: &Browser,
    target: &Target,
    timeout: Duration,
    ok: impl Fn(&str) -> bool,
) -> String {
    let started = Instant::now();
    loop {
        let probe = browser.probe(target).await.unwrap();
        if let Some(m) = probe.first_visible() {
            if ok(&m.text) {
                return m.text.clone();
            }
        }
        if started.elapsed() > timeout {
            panic!(
                "{target} never had the expected text (last: {:?})\npage: {}",
                probe.first_visible().map(|m| m.text.clone()),
                browser.page_text().await.unwrap_or_default()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn wait_text(browser: &Browser, target: &Target, ok: impl Fn(&str) -> bool) -> String {
    wait_text_for(browser, target, WAIT, ok).await
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

/// How many visible matches `target` has right now.
pub async fn count_visible(browser: &Browser, target: &Target) -> usize {
    browser
        .probe(target)
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
            &t(
                TargetKind::Css,
                "iframe[title='Secure payment input frame']",
            ),
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
