//! Measures the median wall time of WebDriver actions and screenshots against the fixture
//! pages in real headless Chromium. Run: `cargo run --example bench_browser -- [ROUNDS]`.

use std::path::Path;
use std::time::{Duration, Instant};

use walkthrough::browser::{Browser, BrowserOptions, By, Locator};
use walkthrough::demo_app::fixture_pages::StaticSite;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn p90(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[(v.len() * 9 / 10).min(v.len() - 1)]
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let site = StaticSite::start(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages"))
        .await
        .expect("fixture pages");
    let logs = tempfile::tempdir().unwrap();
    let t0 = Instant::now();
    let browser = Browser::launch(&BrowserOptions::new(logs.path()))
        .await
        .expect("browser");
    let launch = t0.elapsed();
    let t = |kind, value: &str| Locator {
        kind,
        value: value.to_string(),
    };
    let wait = Duration::from_secs(5);
    let (mut goto, mut fill, mut select, mut click, mut probe, mut shot) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for _ in 0..rounds {
        let s = Instant::now();
        browser
            .goto(&format!("{}/form.html", site.url()))
            .await
            .unwrap();
        goto.push(s.elapsed());
        let s = Instant::now();
        browser
            .fill(&t(By::Label, "Email"), "ada@example.com", wait)
            .await
            .unwrap();
        fill.push(s.elapsed());
        let s = Instant::now();
        browser
            .select(&t(By::Label, "Billing country"), "Germany", wait)
            .await
            .unwrap();
        select.push(s.elapsed());
        let s = Instant::now();
        browser
            .click(&t(By::Text, "Create account"), wait)
            .await
            .unwrap();
        click.push(s.elapsed());
        let s = Instant::now();
        browser.probe(&t(By::TestId, "result")).await.unwrap();
        probe.push(s.elapsed());
        let s = Instant::now();
        browser.screenshot().await.unwrap();
        shot.push(s.elapsed());
    }
    browser.close().await;
    println!(
        "browser launch (driver + session): {} ms",
        launch.as_millis()
    );
    println!("{rounds} rounds; median / p90 in ms:");
    for (name, v) in [
        ("open (goto)", goto),
        ("fill by label", fill),
        ("select by label", select),
        ("click by text", click),
        ("probe by testid", probe),
        ("screenshot 1280x800 PNG", shot),
    ] {
        println!(
            "  {name:<24} {:>6.1} / {:>6.1}",
            median(v.clone()).as_secs_f64() * 1e3,
            p90(v).as_secs_f64() * 1e3
        );
    }
}
