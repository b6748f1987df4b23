//! The demo app and the fixture pages server against hostile clients, over raw TCP and real
//! signed webhooks: half-sent headers and bodies are cut off at the read timeouts (not held
//! for 30 s), the connection cap makes later clients wait rather than fail, shutdown lets an
//! in-flight request finish and is bounded, out-of-range webhook payloads answer 400 and
//! store nothing, and both servers listen on 127.0.0.1 only.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use walkthrough::demo_app::fixture_pages::StaticSite;
use walkthrough::demo_app::{DemoApp, DemoAppConfig, DemoAppOptions, HttpLimits};
use walkthrough::polar::webhook::sign;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "polar_oat_TESTTOKENabcdefghijklmnopqrstuvwxyz0123";
const SECRET: &str = "whsec_ovyN6cPrTv56AApvzCaJno08SSmGJmgbWilb33N2JuK";
const PRODUCT: &str = "0c6a4e1e-5d1b-4b8e-9a57-2b6f5b0b8e11";
const CUSTOMER: &str = "992fae2a-2a17-4b7a-8d9d-e3b2d4a9b0c1";
/// How many slow clients each case opens.
const SLOW_CLIENTS: usize = 40;
/// The short limit the tests run with.
const LIMIT: Duration = Duration::from_secs(1);
/// "Well before 30 s": a slow client is cut off within this.
const CUT_OFF: Duration = Duration::from_secs(5);

fn limits(header: Duration, body: Duration, max_connections: usize) -> HttpLimits {
    HttpLimits {
        header_read_timeout: header,
        body_read_timeout: body,
        max_connections,
    }
}

/// A Polar that knows no product: the status object's plan name stays null.
async fn polar() -> MockServer {
    let polar = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1/products/{PRODUCT}")))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": "ResourceNotFound", "detail": "Not found"})),
        )
        .mount(&polar)
        .await;
    polar
}

async fn start_app(polar: &MockServer, http: HttpLimits) -> DemoApp {
    DemoApp::start_with(
        DemoAppConfig {
            port: None,
            db_path: None,
            enforce: false,
            polar_api_url: polar.uri(),
            polar_token: TOKEN.into(),
            product_id: PRODUCT.into(),
            webhook_secret: Some(SECRET.into()),
        },
        DemoAppOptions {
            http,
            ..DemoAppOptions::default()
        },
    )
    .await
    .expect("demo app starts")
}

fn fixture_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/pages")
}

fn addr_of(url: &str) -> SocketAddr {
    url.trim_start_matches("http://").parse().unwrap()
}

/// What one slow client saw: how long until the server closed, and what it answered.
struct Closed {
    after: Duration,
    answer: String,
}

/// Opens `n` connections that each send `prefix` and then nothing more, and reads each until
/// the server closes it (at most 30 s: a client still open then is reported as such).
async fn slow_clients(addr: SocketAddr, prefix: &'static [u8], n: usize) -> Vec<Option<Closed>> {
    let clients = (0..n).map(|_| {
        tokio::spawn(async move {
            let started = Instant::now();
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream.write_all(prefix).await.unwrap();
            let mut answer = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(30), async {
                let mut buf = [0u8; 4096];
                loop {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(k) => answer.extend_from_slice(&buf[..k]),
                    }
                }
            })
            .await;
            read.ok().map(|()| Closed {
                after: started.elapsed(),
                answer: String::from_utf8_lossy(&answer).into_owned(),
            })
        })
    });
    let mut seen = Vec::new();
    for client in clients.collect::<Vec<_>>() {
        seen.push(client.await.unwrap());
    }
    seen
}

/// Every client was closed after the limit had run (not refused early) and well before 30 s,
/// with `status` as the answer (None: closed without one).
fn assert_cut_off(what: &str, seen: &[Option<Closed>], status: Option<&str>) {
    assert_eq!(seen.len(), SLOW_CLIENTS);
    for (i, closed) in seen.iter().enumerate() {
        let closed = closed
            .as_ref()
            .unwrap_or_else(|| panic!("{what}: client {i} was still open after 30 s"));
        assert!(
            closed.after >= LIMIT.mul_f32(0.8) && closed.after < CUT_OFF,
            "{what}: client {i} closed after {:?}",
            closed.after
        );
        match status {
            Some(s) => assert!(
                closed.answer.starts_with(&format!("HTTP/1.1 {s}")),
                "{what}: client {i} got {:?}",
                closed.answer
            ),
            None => assert_eq!(closed.answer, "", "{what}: client {i}"),
        }
    }
}

const HALF_HEADERS: &[u8] =
    b"POST /api/polar/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nwebhook-id: slow";
const HALF_BODY: &[u8] = b"POST /api/polar/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\n\
content-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"type\":\"subscription.upd";
const HALF_GET_BODY: &[u8] =
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-length: 100\r\n\r\nonly part";

#[tokio::test]
async fn half_sent_requests_are_closed_at_the_read_timeouts() {
    let polar = polar().await;
    let app = start_app(&polar, limits(LIMIT, LIMIT, 128)).await;
    let site = StaticSite::start_with(&fixture_root(), limits(LIMIT, LIMIT, 128))
        .await
        .unwrap();
    let (app_addr, site_addr) = (addr_of(&app.url()), addr_of(site.url()));

    let (headers, body, site_headers, site_body) = tokio::join!(
        slow_clients(app_addr, HALF_HEADERS, SLOW_CLIENTS),
        slow_clients(app_addr, HALF_BODY, SLOW_CLIENTS),
        slow_clients(site_addr, HALF_HEADERS, SLOW_CLIENTS),
        slow_clients(site_addr, HALF_GET_BODY, SLOW_CLIENTS),
    );
    // Headers never finished: the connection is dropped without an answer.
    assert_cut_off("app, half-sent headers", &headers, None);
    assert_cut_off("fixtures, half-sent headers", &site_headers, None);
    // A body that never finishes: 408, then the connection is closed.
    assert_cut_off("app, webhook body never finished", &body, Some("408"));
    assert_cut_off("fixtures, body never finished", &site_body, Some("408"));
    let answer = &body[0].as_ref().unwrap().answer;
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains(r#""error":"request_timeout""#), "{answer}");

    // Both still serve ordinary clients afterwards.
    let http = reqwest::Client::new();
    let ok = http
        .get(format!("{}/healthz", app.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let page = http.get(format!("{}/", site.url())).send().await.unwrap();
    assert_eq!(page.status(), 200);
    app.shutdown().await;
}

#[tokio::test]
async fn a_body_sent_in_parts_within_the_limit_is_read_whole() {
    let polar = polar().await;
    let app = start_app(&polar, limits(LIMIT, LIMIT, 128)).await;
    let mut stream = TcpStream::connect(addr_of(&app.url())).await.unwrap();
    stream.write_all(HALF_BODY).await.unwrap();
    tokio::time::sleep(LIMIT / 4).await;
    let head_end = HALF_BODY.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let rest = " ".repeat(1000 - (HALF_BODY.len() - head_end));
    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut answer = String::new();
    // The connection stays open for the next request until it has been idle for the limit.
    stream.read_to_string(&mut answer).await.ok();
    // It reached the webhook receiver, which refuses the unsigned delivery.
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("invalid_signature"), "{answer}");
    app.shutdown().await;

    let defaults = HttpLimits::default();
    assert_eq!(defaults.header_read_timeout, Duration::from_secs(10));
    assert_eq!(defaults.body_read_timeout, Duration::from_secs(10));
}

#[tokio::test]
async fn the_connection_cap_makes_later_clients_wait_for_a_free_slot() {
    let polar = polar().await;
    let app = start_app(&polar, limits(LIMIT, LIMIT, 4)).await;
    let addr = addr_of(&app.url());
    // Four silent connections take every slot.
    let mut silent = Vec::new();
    for _ in 0..4 {
        silent.push(TcpStream::connect(addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let resp = reqwest::Client::new()
        .get(format!("{}/healthz", app.url()))
        .timeout(Duration::from_secs(20))
        .send()
        .await
        .unwrap();
    let waited = started.elapsed();
    assert_eq!(resp.status(), 200);
    assert!(
        waited >= LIMIT.mul_f32(0.6) && waited < CUT_OFF,
        "the fifth client is served once the silent ones time out, after {waited:?}"
    );
    for mut s in silent {
        let mut buf = [0u8; 16];
        let n = tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await;
        assert!(
            matches!(n, Ok(Ok(0) | Err(_))),
            "a silent client was closed"
        );
    }
    app.shutdown().await;
}

#[tokio::test]
async fn shutdown_lets_an_in_flight_request_finish_and_is_bounded() {
    let polar = polar().await;
    let slow = Duration::from_secs(30);
    // In flight: headers and half the body sent when shutdown starts; the rest arrives after.
    let app = start_app(&polar, limits(slow, slow, 128)).await;
    let addr = addr_of(&app.url());
    let idle = TcpStream::connect(addr).await.unwrap();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /api/polar/webhooks HTTP/1.1\r\nHost: x\r\ncontent-length: 4\r\n\r\n{}")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let stopping = tokio::spawn(app.shutdown());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the in-flight request"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "no new connections once shutdown started"
    );
    stream.write_all(b"  ").await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.ok();
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the request was answered: {answer}"
    );
    stopping.await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "an idle connection does not hold shutdown: {:?}",
        started.elapsed()
    );
    drop(idle);

    // A client that never finishes holds shutdown for 5 s at most, then is disconnected.
    let app = start_app(&polar, limits(slow, slow, 128)).await;
    let mut stuck = TcpStream::connect(addr_of(&app.url())).await.unwrap();
    stuck.write_all(HALF_BODY).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    app.shutdown().await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(4500) && took < Duration::from_secs(7),
        "{took:?}"
    );
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(2), stuck.read(&mut buf)).await;
    assert!(
        matches!(n, Ok(Ok(0) | Err(_))),
        "the stuck client was disconnected"
    );
}

fn subscription(id: &str, workspace: &str, status: Value, seats: Value, modified: &str) -> Value {
    json!({
        "created_at": "2026-01-01T00:00:00Z", "modified_at": modified, "id": id,
        "amount": 4000, "currency": "usd", "recurring_interval": "month",
        "recurring_interval_count": 1, "status": status,
        "current_period_start": "2026-01-01T00:00:00Z", "current_period_end": "2026-02-01T00:00:00Z",
        "cancel_at_period_end": false, "canceled_at": null, "started_at": "2026-01-01T00:00:00Z",
        "ends_at": null, "ended_at": null, "customer_id": CUSTOMER, "product_id": PRODUCT,
        "checkout_id": null, "seats": seats, "metadata": {"workspace_id": workspace},
        "customer": {"id": CUSTOMER, "external_id": workspace, "type": "team"},
        "pending_update": null
    })
}

async fn deliver(app: &DemoApp, id: &str, event_type: &str, data: Value) -> (u16, Value) {
    let body = serde_json::to_vec(
        &json!({"type": event_type, "timestamp": "2026-01-02T00:00:00Z", "data": data}),
    )
    .unwrap();
    let ts = chrono::Utc::now().timestamp();
    let r = reqwest::Client::new()
        .post(format!("{}/api/polar/webhooks", app.url()))
        .header("content-type", "application/json")
        .header("webhook-id", id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", sign(SECRET, id, ts, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A first visit's session: its workspace, and its status object on demand.
struct Visitor {
    http: reqwest::Client,
    base: String,
    cookie: String,
    workspace: String,
}

impl Visitor {
    async fn new(app: &DemoApp) -> Visitor {
        let http = reqwest::Client::new();
        let first = http.get(format!("{}/new", app.url())).send().await.unwrap();
        let set_cookie = first.headers()["set-cookie"].to_str().unwrap();
        let mut v = Visitor {
            cookie: set_cookie.split(';').next().unwrap().to_string(),
            http,
            base: app.url(),
            workspace: String::new(),
        };
        v.workspace = v.status().await["workspace_id"].as_str().unwrap().into();
        v
    }

    async fn status(&self) -> Value {
        let r = self
            .http
            .get(format!("{}/api/billing/status", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

/// Newer snapshots of `sub-1` (so each would apply if accepted), each with one field out of
/// range, named by the path the app must report.
fn out_of_range(good: &Value) -> Vec<(&'static str, Value)> {
    [
        ("data.status", "status", json!("bogus")),
        ("data.seats", "seats", json!(-5)),
        ("data.amount", "amount", json!(-4000)),
        ("data.currency", "currency", json!("US dollars")),
        (
            "data.recurring_interval",
            "recurring_interval",
            json!("fortnight"),
        ),
        (
            "data.current_period_end",
            "current_period_end",
            json!("next month"),
        ),
        ("data.id", "id", json!("")),
    ]
    .into_iter()
    .map(|(field, key, value)| {
        let mut bad = good.clone();
        bad[key] = value;
        (field, bad)
    })
    .collect()
}

#[tokio::test]
async fn out_of_range_webhooks_answer_400_store_nothing_and_a_corrected_retry_is_processed() {
    let polar = polar().await;
    let app = start_app(&polar, HttpLimits::default()).await;
    let user = Visitor::new(&app).await;
    let ws = user.workspace.clone();
    let active = subscription(
        "sub-1",
        &ws,
        json!("active"),
        json!(2),
        "2026-01-01T00:00:01Z",
    );
    let (code, res) = deliver(&app, "wh-ok", "subscription.active", active).await;
    assert_eq!((code, &res["status"]), (200, &json!("processed")), "{res}");
    let before = user.status().await;
    assert_eq!(
        (&before["status"], &before["seats"]),
        (&json!("active"), &json!(2))
    );

    let good = subscription(
        "sub-1",
        &ws,
        json!("past_due"),
        json!(3),
        "2026-01-02T00:00:00Z",
    );
    for (field, data) in out_of_range(&good) {
        let (code, res) = deliver(&app, "wh-retry", "subscription.past_due", data).await;
        assert_eq!(
            (code, &res["error"]),
            (400, &json!("invalid_payload")),
            "{res}"
        );
        assert_eq!(res["field"], field, "{res}");
        assert!(res["message"].as_str().unwrap().contains(field), "{res}");
        assert_eq!(
            user.status().await,
            before,
            "{field}: status object changed"
        );
    }
    // Out-of-range fields of the other events the app acts on are refused too.
    for (event, data, field) in [
        (
            "customer.state_changed",
            json!({"id": "", "external_id": ws}),
            "data.id",
        ),
        (
            "checkout.updated",
            json!({"id": "co", "status": "paid", "customer_id": CUSTOMER, "external_customer_id": ws}),
            "data.status",
        ),
    ] {
        let (code, res) = deliver(&app, "wh-retry", event, data).await;
        assert_eq!((code, &res["field"]), (400, &json!(field)), "{res}");
    }
    assert_eq!(user.status().await, before);

    // No rejected delivery recorded the webhook-id: the corrected one is processed, once.
    let (code, res) = deliver(&app, "wh-retry", "subscription.past_due", good.clone()).await;
    assert_eq!((code, &res["status"]), (200, &json!("processed")), "{res}");
    let after = user.status().await;
    assert_eq!(
        (&after["status"], &after["seats"]),
        (&json!("past_due"), &json!(3))
    );
    let (code, res) = deliver(&app, "wh-retry", "subscription.past_due", good).await;
    assert_eq!((code, &res["status"]), (200, &json!("duplicate")), "{res}");
    app.shutdown().await;
}

/// This machine's non-loopback addresses (`ip -o addr show`, then `hostname -I`), without
/// IPv6 link-local ones (they need a scope to connect to).
fn non_loopback_addresses() -> Vec<IpAddr> {
    let run = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    };
    let mut words: Vec<String> = Vec::new();
    for line in run("ip", &["-o", "addr", "show"]).lines() {
        let mut tokens = line.split_whitespace();
        while let Some(t) = tokens.next() {
            if t == "inet" || t == "inet6" {
                words.extend(
                    tokens
                        .next()
                        .map(|a| a.split('/').next().unwrap_or(a).to_string()),
                );
            }
        }
    }
    words.extend(
        run("hostname", &["-I"])
            .split_whitespace()
            .map(str::to_string),
    );
    let mut found = Vec::new();
    for ip in words.iter().filter_map(|w| w.parse::<IpAddr>().ok()) {
        let link_local = matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
        if !ip.is_loopback() && !link_local && !found.contains(&ip) {
            found.push(ip);
        }
    }
    found
}

/// Whether a listener on `ip` is reachable from here at all (so a refusal means something).
async fn reachable(ip: IpAddr) -> bool {
    let Ok(listener) = tokio::net::TcpListener::bind((ip, 0)).await else {
        return false;
    };
    let addr = listener.local_addr().unwrap();
    !refused(addr).await
}

async fn refused(addr: SocketAddr) -> bool {
    !matches!(
        tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await,
        Ok(Ok(_))
    )
}

#[tokio::test]
async fn both_servers_listen_on_loopback_only() {
    let polar = polar().await;
    let app = start_app(&polar, HttpLimits::default()).await;
    let site = StaticSite::start(&fixture_root()).await.unwrap();
    // Addresses a listener of this machine could be reached on, other than 127.0.0.1: the
    // non-loopback ones (if the machine has any), and 127.0.0.2 and ::1, which a wildcard
    // bind would also serve. Only those a test listener is reachable on count.
    let mut others = non_loopback_addresses();
    others.extend([
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2)),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ]);
    let mut checked = Vec::new();
    for ip in others {
        if reachable(ip).await {
            checked.push(ip);
        }
    }
    for (name, url) in [
        ("demo app", app.url()),
        ("fixture pages", site.url().to_string()),
    ] {
        let addr = addr_of(&url);
        assert_eq!(addr.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST), "{name}: {url}");
        assert!(!refused(addr).await, "{name} answers on 127.0.0.1");
        for ip in &checked {
            assert!(
                refused(SocketAddr::new(*ip, addr.port())).await,
                "{name} is reachable on {ip}"
            );
        }
    }
    let _ = writeln!(std::io::stderr(), "loopback-only: refused on {checked:?}");
    app.shutdown().await;
}
