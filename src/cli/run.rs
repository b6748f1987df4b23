//! `walkthrough run`: loads scenarios, starts what the target needs (the app, the driver
//! and browser), runs every scenario, writes the run folder and maps the outcome to an
//! exit code. Cleans up on success, failure and SIGINT/SIGTERM.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::exit;
use crate::browser::{Browser, BrowserOptions};
use crate::capture::video::{CaptureFrom, VideoMode, VideoOptions, VideoRecorder, VideoSource};
use crate::capture::ArtifactStore;
use crate::evidence::{console::Console, BrowserInfo, Recorder, Redactor, RunInfo, RunStatus};
use crate::runner::{self, RunContext, Status};
use crate::scenario::{self, LoadOptions, Vars};
use crate::static_site::StaticSite;
use crate::viewport::Viewport;

use super::target;

/// `--app fixtures`: serve the built-in fixture pages instead of a real app.
pub const FIXTURES_APP: &str = "fixtures";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Scenario files or folders (a folder yields its *.yaml files, not its flows/).
    #[arg(default_value = "scenarios")]
    pub paths: Vec<PathBuf>,
    /// The app under test: a URL, or `fixtures` for the built-in fixture pages. Without it,
    /// the demo app runs on loopback against the mock Polar (target "mock").
    #[arg(long, value_name = "URL")]
    pub app: Option<String>,
    /// Run the built-in demo app without billing enforcement (by default it answers 402 to
    /// turns without an active subscription, which the payment-recovery slot proves).
    #[arg(long)]
    pub no_enforce: bool,
    /// The run folder, used exactly as given [default: recordings/<run-id>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// A scenario variable, `${name}` in scenarios (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = super::check::parse_var)]
    pub vars: Vec<(String, String)>,
    /// How long an action waits for its element or expectation by default.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = crate::duration::parse_timeout)]
    pub timeout: Duration,
    /// Use a running WebDriver endpoint (e.g. a Selenium Grid) instead of starting chromedriver.
    #[arg(long, value_name = "URL")]
    pub webdriver_url: Option<String>,
    /// The chromedriver binary [default: chromedriver on PATH].
    #[arg(long, value_name = "PATH", env = "WALKTHROUGH_CHROMEDRIVER")]
    pub chromedriver: Option<PathBuf>,
    /// The Chromium binary [default: chromium on PATH].
    #[arg(long, value_name = "PATH", env = "WALKTHROUGH_CHROMIUM")]
    pub chromium: Option<PathBuf>,
    /// The browser viewport in CSS pixels; both numbers even.
    #[arg(long, value_name = "WxH", default_value = "1280x800")]
    pub viewport: Viewport,
    /// No live spinner, only the per-step lines.
    #[arg(long)]
    pub quiet: bool,
    /// Run only shard I of N (1-based): scenario k (in file order, from 0) belongs to shard
    /// k mod N + 1. Each scenario then reaches its starting state through its `given` steps.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub shard: Option<(usize, usize)>,
    /// Run scenarios in N parallel browser sessions. Each scenario then runs alone through
    /// its `given` steps instead of as one journey.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    pub jobs: u16,
    /// Video of every step and scenario: on, off, or retain-on-failure (clips are kept only
    /// for scenarios that did not pass).
    #[arg(long, value_name = "MODE", default_value = "on", value_parser = parse_video_mode)]
    pub video: VideoMode,
    /// Frames per second of the videos.
    #[arg(long, value_name = "FPS", default_value_t = 15, value_parser = clap::value_parser!(u32).range(1..=60))]
    pub video_fps: u32,
    /// Where the video comes from: `screencast` (the DevTools screencast of headless
    /// Chromium), `x11grab` (ffmpeg recording the screen; needs --headed) or `screenshots`
    /// (WebDriver screenshots sampled at up to 5 fps while steps run; any browser, jerky,
    /// slows steps). Default: x11grab with --headed, else screencast, else screenshots when
    /// the browser offers no screencast (e.g. a remote grid).
    #[arg(long, value_name = "SOURCE", value_parser = parse_video_source)]
    pub video_source: Option<VideoSource>,
    /// Run Chromium with a visible window (kiosk, at 0,0) instead of headless, on $DISPLAY
    /// or on an Xvfb the run starts and stops itself (`apt-get install xvfb`).
    #[arg(long)]
    pub headed: bool,
    /// The size of the videos; both numbers even [default: the viewport].
    #[arg(long, value_name = "WxH")]
    pub video_size: Option<Viewport>,
    /// Where Polar is: `mock` (the local mock) or `sandbox` (Polar's sandbox, needs
    /// `--app URL` and POLAR_ACCESS_TOKEN / POLAR_PRODUCT_ID; see docs/sandbox.md).
    #[arg(long, value_name = "TARGET", default_value = "mock", value_parser = ["mock", "sandbox"])]
    pub target: String,
}

fn parse_video_mode(text: &str) -> Result<VideoMode, String> {
    text.parse()
}

fn parse_video_source(text: &str) -> Result<VideoSource, String> {
    text.parse()
}

/// `I/N` with 1 ≤ I ≤ N.
fn parse_shard(text: &str) -> Result<(usize, usize), String> {
    let (i, n) = text
        .split_once('/')
        .ok_or_else(|| format!("{text:?} is not a shard like 1/3"))?;
    let i: usize = i
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: bad shard number"))?;
    let n: usize = n
        .trim()
        .parse()
        .map_err(|_| format!("{text:?}: bad shard count"))?;
    if n == 0 || i == 0 || i > n {
        return Err(format!("{text:?}: the shard must be between 1/N and N/N"));
    }
    Ok((i, n))
}

/// The scenarios of shard `shard` of `of`: the k-th (from 0, in file order) goes to shard
/// k mod `of` + 1, so every scenario is in exactly one shard and the split is stable.
pub fn shard_of<T>(items: Vec<T>, shard: usize, of: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % of + 1 == shard)
        .map(|(_, item)| item)
        .collect()
}

/// A run id that sorts by time and is unique across concurrent runs.
pub fn new_run_id() -> String {
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", Utc::now().format("%Y%m%d-%H%M%S"), &suffix[..6])
}

/// `${run.email}`: the run's own customer email, unique per run (the sandbox cleanup finds
/// the run's subscriptions by it).
pub fn run_email(run_id: &str) -> String {
    format!("walkthrough+{run_id}@example.com")
}

/// The built-in fixture pages, next to the working folder or the source tree.
fn fixture_pages() -> PathBuf {
    let local = PathBuf::from("fixtures/pages");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages")
    }
}

pub async fn run(args: Args) -> i32 {
    // Options that contradict each other are usage errors, before anything starts.
    if args.video_source == Some(VideoSource::X11grab) && !args.headed {
        eprintln!("error: --video-source x11grab records a visible browser: add --headed");
        return exit::USAGE;
    }
    if args.headed && args.webdriver_url.is_some() {
        eprintln!("error: --headed starts a local browser; it cannot be used with --webdriver-url");
        return exit::USAGE;
    }
    let cli_vars = args.vars.clone();
    // `--target sandbox`: a deployed app and the POLAR_* variables, checked before anything runs.
    let sandbox = if args.target == "sandbox" {
        match args.app.as_deref() {
            None | Some(FIXTURES_APP) => {
                eprintln!(
                    "error: --target sandbox needs --app URL: the deployed staging app whose webhooks the sandbox reaches (not `fixtures`)"
                );
                return exit::USAGE;
            }
            Some(_) => {}
        }
        match target::SandboxTarget::from_env(|k| std::env::var(k).ok()) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::SETUP_FAILED;
            }
        }
    } else {
        None
    };
    let options = LoadOptions {
        cli_vars: cli_vars.clone(),
        provided_vars: scenario::PROVIDED_VARS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let mut loaded = match scenario::load(&args.paths, &options) {
        Ok(loaded) => loaded,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render());
            eprintln!(
                "error: {} problem(s) in scenario files; nothing ran",
                diagnostics.items.len()
            );
            return exit::INVALID_SCENARIOS;
        }
    };
    if loaded.scenarios.is_empty() {
        let names: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        eprintln!("error: no scenario files found in {}", names.join(", "));
        return exit::INVALID_SCENARIOS;
    }
    if let Some((shard, of)) = args.shard {
        loaded.scenarios = shard_of(std::mem::take(&mut loaded.scenarios), shard, of);
        eprintln!(
            "shard {shard}/{of}: {} scenario(s): {}",
            loaded.scenarios.len(),
            loaded
                .scenarios
                .iter()
                .map(|s| s.file.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if loaded.scenarios.is_empty() {
            println!("shard {shard}/{of} has no scenario; nothing to run");
            return exit::PASSED;
        }
    }

    let run_id = new_run_id();
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| PathBuf::from("recordings").join(&run_id));
    let store = match ArtifactStore::create(&out) {
        Ok(store) => store,
        Err(e) => {
            eprintln!("error: cannot create the run folder {}: {e}", out.display());
            return exit::EVIDENCE_FAILED;
        }
    };
    let logs = out.join("logs");
    let _ = std::fs::create_dir_all(&logs);

    let (cancel_tx, cancel_rx) = watch::channel(false);
    let signals = tokio::spawn(wait_for_signal(cancel_tx));

    // The app under test: by default the demo app wired to the mock Polar (target "mock");
    // `--app fixtures` serves the built-in fixture pages; any other `--app` is a URL.
    let mut _site = None;
    let mut local: Option<target::LocalTarget> = None;
    let (app_url, target) = match args.app.as_deref() {
        Some(FIXTURES_APP) => match StaticSite::start(&fixture_pages()).await {
            Ok(site) => {
                let url = format!("{}/", site.url());
                _site = Some(site);
                (url, "fixtures")
            }
            Err(e) => {
                eprintln!(
                    "error: cannot serve the fixture pages from {}: {e}\n  fix: run from the project folder or pass --app URL",
                    fixture_pages().display()
                );
                signals.abort();
                return exit::SETUP_FAILED;
            }
        },
        Some(url) if sandbox.is_some() => (url.to_string(), "sandbox"),
        Some(url) => (url.to_string(), "url"),
        None => match target::start_local(!args.no_enforce).await {
            Ok(t) => {
                let url = format!("{}/", t.app_url());
                local = Some(t);
                (url, "mock")
            }
            Err(e) => {
                eprintln!("error: setup failed: {e}");
                signals.abort();
                return exit::SETUP_FAILED;
            }
        },
    };
    let target_vars = local.as_ref().map(|t| t.vars()).unwrap_or_default();
    // The mock's token is a local development value, still treated as a secret.
    let target_token = local.as_ref().map(|t| t.mock.token());
    let app = match url::Url::parse(&app_url) {
        Ok(u) => u,
        Err(e) => {
            eprintln!("error: --app {app_url:?} is not a URL: {e}");
            signals.abort();
            return exit::USAGE;
        }
    };

    let mut browser_options = BrowserOptions::new(&logs);
    browser_options.webdriver_url = args.webdriver_url.clone();
    if let Some(path) = &args.chromedriver {
        browser_options.chromedriver = path.clone();
    }
    if let Some(path) = &args.chromium {
        browser_options.chromium = Some(path.clone());
    }
    browser_options.viewport = args.viewport;
    browser_options.headed = args.headed;
    // The BiDi socket (~0.5 s of session start) only serves the screencast.
    browser_options.bidi = args.video != VideoMode::Off
        && match args.video_source {
            Some(source) => source == VideoSource::Screencast,
            None => !args.headed,
        };

    let started_at = Utc::now();
    eprintln!("walkthrough {} — run {run_id}", env!("CARGO_PKG_VERSION"));
    eprintln!("  app: {app_url}");
    eprintln!("  out: {}", out.display());
    let browser = tokio::select! {
        b = Browser::launch(&browser_options) => b,
        _ = wait_cancelled(cancel_rx.clone()) => {
            eprintln!("interrupted while starting the browser");
            signals.abort();
            return exit::INTERRUPTED;
        }
    };
    let browser = match browser {
        Ok(b) => b,
        Err(e) => {
            eprintln!("error: setup failed: {e}");
            signals.abort();
            return exit::SETUP_FAILED;
        }
    };
    eprintln!("  browser: {} {}", browser.name(), browser.version());
    let video = match start_video(&args, &out, &browser).await {
        Ok(video) => video,
        Err(e) => {
            eprintln!("error: setup failed: {e}");
            browser.close().await;
            signals.abort();
            return exit::SETUP_FAILED;
        }
    };

    let run_info = RunInfo {
        id: run_id.clone(),
        started_at,
        finished_at: None,
        target: target.to_string(),
        app_url: app_url.clone(),
        browser: BrowserInfo {
            name: browser.name().to_string(),
            version: browser.version().to_string(),
        },
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        status: RunStatus::Running,
        video: args.video.as_str().to_string(),
        video_source: video.as_ref().map(|v| v.source().as_str().to_string()),
    };
    let mut recorder = Recorder::start(&out, run_info, Console::new(args.quiet));
    // Every file of the run folder is redacted: secret env vars, the target's token and
    // webhook secret, session tokens in URLs.
    let mut redactor = Redactor::from_env();
    if let Some(local) = &local {
        redactor = redactor
            .with_secret(&local.mock.token())
            .with_secret(&local.app.webhook_secret());
    }
    if let Some(sandbox) = &sandbox {
        for secret in sandbox.secrets() {
            redactor = redactor.with_secret(secret);
        }
    }
    recorder.set_redactor(redactor);

    let mut base_vars = Vars::new();
    base_vars.set("run.id", &run_id);
    base_vars.set("run.email", &run_email(&run_id));
    base_vars.set("run.started_at", &started_at.to_rfc3339());
    base_vars.set("app.url", app_url.trim_end_matches('/'));
    if let Some(token) = &target_token {
        base_vars.set_secret("polar.token", token);
    }
    for (name, value) in &target_vars {
        base_vars.set(name, value);
    }
    if let Some(sandbox) = &sandbox {
        base_vars.set_secret("polar.token", sandbox.token());
        for (name, value) in sandbox.vars() {
            base_vars.set(name, &value);
        }
    }
    for (name, value) in &cli_vars {
        base_vars.set(name, value);
    }
    let mock = local.as_ref().map(|l| l.mock.clone());
    let make_ctx = |video: Option<VideoRecorder>| RunContext {
        app_url: app.clone(),
        default_timeout: args.timeout,
        base_vars: base_vars.clone(),
        cancel: cancel_rx.clone(),
        observer: mock
            .as_ref()
            .map(|m| super::observe::AppObserver::boxed(&app, Some(m.clone()))),
        video,
        // `targets:` name Polar targets; fixtures and a bare URL run every scenario.
        target: match target {
            "mock" | "sandbox" => target.to_string(),
            _ => String::new(),
        },
    };
    let ctx = make_ctx(video);
    let jobs = usize::from(args.jobs).min(loaded.scenarios.len()).max(1);
    let summary = if jobs == 1 {
        let summary = runner::run(&browser, &loaded, &ctx, &store, &mut recorder).await;
        if let Some(video) = &ctx.video {
            video.close().await;
        }
        drop(ctx);
        browser.close().await;
        summary
    } else {
        // More sessions, each with its own browser and recorder; every scenario then runs
        // alone, reaching its starting state through its `given` steps.
        let mut sessions = vec![(browser, ctx)];
        for _ in 1..jobs {
            match Browser::launch(&browser_options).await {
                Ok(extra) => {
                    let video = start_video(&args, &out, &extra).await.unwrap_or(None);
                    let ctx = make_ctx(video);
                    sessions.push((extra, ctx));
                }
                Err(e) => {
                    eprintln!(
                        "  warning: could not start browser session {}: {e}",
                        sessions.len() + 1
                    );
                    break;
                }
            }
        }
        eprintln!("  jobs: {} browser sessions", sessions.len());
        let summary = run_parallel(&sessions, &loaded, &store, &mut recorder).await;
        for (extra, ctx) in sessions {
            if let Some(video) = &ctx.video {
                video.close().await;
            }
            drop(ctx);
            extra.close().await;
        }
        summary
    };
    drop(mock);
    if let Some(local) = local.take() {
        local.shutdown().await;
    }
    signals.abort();
    // On the sandbox, revoke what the run bought (keyed by the run's customer email).
    if let Some(sandbox) = &sandbox {
        let email = run_email(&run_id);
        match sandbox.cleanup(&email).await {
            Ok(done) => {
                if let Ok(json) = serde_json::to_vec_pretty(&done) {
                    let _ = store.write(Path::new("cleanup.json"), &json);
                }
            }
            Err(e) => eprintln!("warning: {e}; revoke its subscriptions in the sandbox dashboard"),
        }
    }

    let status = match summary.status {
        Status::Passed | Status::Skipped | Status::NotRunnable => RunStatus::Passed,
        Status::Failed => RunStatus::Failed,
        Status::Interrupted => RunStatus::Interrupted,
    };
    recorder.finish(status);
    let report_path = out.join("report.json");
    if let Some(e) = recorder.write_error() {
        eprintln!("error: evidence could not be written: {e}");
        return exit::EVIDENCE_FAILED;
    }
    let (passed, failed) = recorder
        .report()
        .scenarios
        .iter()
        .fold((0, 0), |(p, f), s| match s.status.as_str() {
            "passed" => (p + 1, f),
            _ => (p, f + 1),
        });
    eprintln!(
        "{} scenario(s) passed, {} not passed; {} failed step(s)",
        passed, failed, summary.failed_steps
    );
    println!("report: {}", report_path.display());
    match status {
        RunStatus::Passed | RunStatus::Running => exit::PASSED,
        RunStatus::Failed => exit::STEP_FAILED,
        RunStatus::Interrupted => exit::INTERRUPTED,
    }
}

/// Runs the scenarios across the sessions, each taking the next scenario as it frees up;
/// events are funnelled to the one recorder in the order they happen.
async fn run_parallel(
    sessions: &[(Browser, RunContext)],
    loaded: &crate::scenario::LoadedScenarios,
    store: &ArtifactStore,
    recorder: &mut Recorder,
) -> runner::RunSummary {
    struct ChannelSink(tokio::sync::mpsc::UnboundedSender<runner::Event>);
    impl runner::EventSink for ChannelSink {
        fn event(&mut self, event: &runner::Event) {
            let _ = self.0.send(event.clone());
        }
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sinks: Vec<ChannelSink> = sessions.iter().map(|_| ChannelSink(tx.clone())).collect();
    let workers = sessions
        .iter()
        .zip(sinks)
        .map(|((browser, ctx), mut sink)| {
            let next = &next;
            async move {
                let mut failed_steps = 0;
                let mut statuses = Vec::new();
                loop {
                    if *ctx.cancel.borrow() {
                        break;
                    }
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if index >= loaded.scenarios.len() {
                        break;
                    }
                    let status = runner::run_alone(
                        browser,
                        loaded,
                        index,
                        ctx,
                        store,
                        &mut sink,
                        &mut failed_steps,
                    )
                    .await;
                    statuses.push(status);
                }
                (statuses, failed_steps)
            }
        });
    drop(tx);
    let forward = async {
        while let Some(event) = rx.recv().await {
            runner::EventSink::event(recorder, &event);
        }
    };
    let (results, ()) = tokio::join!(futures_util::future::join_all(workers), forward);
    let mut status = Status::Passed;
    let mut failed_steps = 0;
    for (statuses, failed) in results {
        failed_steps += failed;
        for s in statuses {
            match s {
                Status::Interrupted => status = Status::Interrupted,
                Status::Failed if status != Status::Interrupted => status = Status::Failed,
                _ => {}
            }
        }
    }
    if *sessions[0].1.cancel.borrow() {
        status = Status::Interrupted;
    }
    runner::RunSummary {
        status,
        scenarios: loaded.scenarios.len(),
        failed_steps,
    }
}

/// Starts the video recorder unless `--video off`; a screencast that cannot start is
/// reported per clip, missing ffmpeg is a setup error.
async fn start_video(
    args: &Args,
    out: &Path,
    browser: &Browser,
) -> Result<Option<VideoRecorder>, String> {
    if args.video == VideoMode::Off {
        return Ok(None);
    }
    let mut options = VideoOptions::new(args.video, args.video_size.unwrap_or(args.viewport));
    options.fps = args.video_fps;
    let window = browser.window_handle().await.ok();
    let source = match args.video_source {
        Some(source) => source,
        None if browser.display().is_some() => VideoSource::X11grab,
        None if browser.bidi_url().is_some() => VideoSource::Screencast,
        None => VideoSource::Screenshots,
    };
    let from = match source {
        VideoSource::Screencast => CaptureFrom::Screencast {
            bidi_url: browser.bidi_url(),
            window: window.as_deref(),
        },
        VideoSource::X11grab => CaptureFrom::Screen {
            display: browser
                .display()
                .ok_or("--video-source x11grab needs --headed")?,
            size: args.viewport,
        },
        VideoSource::Screenshots => {
            let shooter = browser.screenshotter();
            CaptureFrom::Screenshots(std::sync::Arc::new(move || {
                let shooter = shooter.clone();
                Box::pin(async move { shooter.png().await.map_err(|e| e.to_string()) })
            }))
        }
    };
    let video = VideoRecorder::start_with(options, out, from).await?;
    if let Some(why) = video.unavailable() {
        eprintln!("  video: unavailable: {why}");
    } else {
        eprintln!(
            "  video: {} at {} fps, {}",
            args.video.as_str(),
            args.video_fps,
            video.describe()
        );
    }
    Ok(Some(video))
}

async fn wait_for_signal(cancel: watch::Sender<bool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    eprintln!("\ninterrupt: finishing the report and stopping the browser…");
    let _ = cancel.send(true);
}

async fn wait_cancelled(mut rx: watch::Receiver<bool>) {
    let _ = rx.wait_for(|c| *c).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_every_scenario_into_exactly_one_shard() {
        let items: Vec<usize> = (0..7).collect();
        let mut seen = Vec::new();
        for shard in 1..=3 {
            seen.extend(shard_of(items.clone(), shard, 3));
        }
        seen.sort();
        assert_eq!(seen, items);
        assert_eq!(shard_of(items.clone(), 2, 3), vec![1, 4]);
        assert_eq!(parse_shard("2/3").unwrap(), (2, 3));
        assert!(parse_shard("0/3").is_err());
        assert!(parse_shard("4/3").is_err());
        assert!(parse_shard("x").is_err());
    }
}
