//! Polar's own hostnames for a run (`walkthrough::intercept`): through the run's proxy, with
//! the run's CA, `https://sandbox-api.polar.sh` is the mock — for reqwest and for Polar's
//! TypeScript SDK on Node 22 configured only with `server: "sandbox"`; production's names are
//! not answered unless asked for; other hosts are tunnelled, not answered; and nothing is
//! left once the intercept is dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use walkthrough::intercept::{Intercept, PolarHosts};
use walkthrough::polar_mock::{MockConfig, MockPolar};

fn upstream(mock: &MockPolar) -> SocketAddr {
    mock.address()
}

fn env_of<'a>(env: &'a [(String, String)], name: &str) -> &'a str {
    &env.iter().find(|(k, _)| k == name).unwrap().1
}

fn client(intercept: &Intercept) -> reqwest::Client {
    let env = intercept.app_env();
    let ca = std::fs::read(env_of(&env, "NODE_EXTRA_CA_CERTS")).unwrap();
    reqwest::Client::builder()
        .proxy(reqwest::Proxy::https(env_of(&env, "HTTPS_PROXY")).unwrap())
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .tls_built_in_root_certs(false)
        .build()
        .unwrap()
}

#[tokio::test]
async fn sandbox_names_are_the_mock_over_tls_and_production_is_not_answered() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let intercept = Intercept::start(&[PolarHosts::Sandbox], upstream(&mock))
        .await
        .unwrap();
    let http = client(&intercept);
    let products: serde_json::Value = http
        .get("https://sandbox-api.polar.sh/v1/products/")
        .bearer_auth(mock.token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(products["items"][0]["name"], "Tegy Pro");
    assert_eq!(intercept.counts().app_intercepted, 1);

    // api.polar.sh is not one of the run's names: the proxy tunnels it to the real host
    // (which this closed network cannot reach), never to the mock.
    let production = http.get("https://api.polar.sh/v1/products/").send().await;
    assert!(production.is_err(), "{production:?}");
    assert_eq!(intercept.counts().app_intercepted, 1);
    assert!(intercept
        .browser_hosts()
        .iter()
        .all(|(name, _)| name.starts_with("sandbox")));
}

#[tokio::test]
async fn the_run_ca_vouches_only_for_polars_names() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let intercept = Intercept::start(&[PolarHosts::Sandbox], upstream(&mock))
        .await
        .unwrap();
    let env = intercept.app_env();
    let ca = std::fs::read_to_string(env_of(&env, "NODE_EXTRA_CA_CERTS")).unwrap();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");
    assert!(!ca.contains("PRIVATE KEY"));
    // The name constraint: OpenSSL shows it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ca.pem"), &ca).unwrap();
    let text = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-text", "-in"])
        .arg(dir.path().join("ca.pem"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("X509v3 Name Constraints"), "{text}");
    assert!(text.contains("DNS:sandbox-api.polar.sh"), "{text}");
    assert!(text.contains("DNS:sandbox.polar.sh"), "{text}");
    assert!(!text.contains("DNS:api.polar.sh\n"), "{text}");
}

#[tokio::test]
async fn nothing_is_left_once_the_intercept_is_dropped() {
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let intercept = Intercept::start(&[PolarHosts::Sandbox], upstream(&mock))
        .await
        .unwrap();
    let env = intercept.app_env();
    let files: Vec<PathBuf> = ["NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE"]
        .iter()
        .map(|k| PathBuf::from(env_of(&env, k)))
        .collect();
    let mut targets = Vec::new();
    for f in &files {
        assert!(f.starts_with(format!("/proc/{}/fd", std::process::id())));
        assert!(f.exists());
        // No name on disk: the descriptor points at a deleted file.
        let target = std::fs::read_link(f).unwrap();
        assert!(
            target.display().to_string().ends_with("(deleted)"),
            "{}",
            target.display()
        );
        targets.push(target);
    }
    let proxy: SocketAddr = env_of(&env, "HTTPS_PROXY")
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    drop(intercept);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    // The descriptors are closed: gone, or (other tests of this process run in parallel)
    // reused for something else.
    for (f, before) in files.iter().zip(&targets) {
        let now = std::fs::read_link(f).ok();
        assert_ne!(now.as_ref(), Some(before), "{} is still open", f.display());
    }
    assert!(
        tokio::net::TcpStream::connect(proxy).await.is_err(),
        "the proxy still listens"
    );
}

/// Polar's TypeScript SDK as an app built from Polar's docs uses it: the sandbox by name, no
/// URL.
#[tokio::test]
async fn polars_sdk_with_environment_sandbox_reaches_the_mock_on_node_22() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let node = root.join(".tools/node22/node_modules/.bin/node");
    assert!(
        node.exists(),
        "run scripts/setup-tests.sh (Node 22 in .tools/node22)"
    );
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let intercept = Intercept::start(&[PolarHosts::Sandbox], upstream(&mock))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        root.join(".tools/sdk-node/node_modules"),
        dir.path().join("node_modules"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app.mjs"),
        r#"import { createPolar } from "@polar-sh/sdk/2026-04";
// 1.x names Polar's environment `environment` (the adapters on 0.x call it `server`).
const polar = createPolar({ accessToken: process.env.POLAR_ACCESS_TOKEN, environment: "sandbox" });
const product = await polar.products.get(process.env.POLAR_PRODUCT_ID);
console.log(JSON.stringify({ name: product.name }));
"#,
    )
    .unwrap();
    let mut command = tokio::process::Command::new(&node);
    command
        .arg("app.mjs")
        .current_dir(dir.path())
        .env("POLAR_ACCESS_TOKEN", mock.token())
        .env("POLAR_PRODUCT_ID", mock.product_id());
    for (k, v) in intercept.app_env() {
        command.env(k, v);
    }
    let out = command.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout.trim(), r#"{"name":"Tegy Pro"}"#);
    assert!(intercept.counts().app_intercepted >= 1);
    assert_eq!(intercept.idle_note(), None);
}
