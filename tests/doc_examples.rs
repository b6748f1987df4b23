//! The SDK examples in `docs/your-app.md` run as written: the TypeScript module (with
//! `@polar-sh/sdk` 1.x on Node 22) and the Python one (`polar-sdk`) are cut out of the page,
//! imported by a small harness, and run against the mock with the environment a run gives an
//! app: the client reads the seeded product, and the webhook handler accepts a delivery the
//! mock really signed and refuses a forged signature. The YAML example is a project file
//! `check` accepts.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use walkthrough::polar_mock::{MockConfig, MockPolar};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The first fenced block of `lang` after the heading that starts with `heading`.
fn block(doc: &str, heading: &str, lang: &str) -> String {
    let section = &doc[doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/your-app.md has no {heading:?}"))..];
    let open = format!("```{lang}\n");
    let start = section
        .find(&open)
        .unwrap_or_else(|| panic!("no ```{lang} block after {heading:?}"))
        + open.len();
    let len = section[start..].find("```").unwrap();
    section[start..start + len].to_string()
}

/// One real delivery from the mock: the raw body and the webhook-* headers, caught by a
/// one-request HTTP receiver registered as an endpoint.
async fn one_delivery(mock: &MockPolar) -> (Vec<u8>, Value, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let http = reqwest::Client::new();
    let endpoint: Value = http
        .post(format!("{}/v1/webhooks/endpoints", mock.base_url()))
        .bearer_auth(mock.token())
        .json(&json!({"url": url, "format": "raw", "events": ["checkout.created"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = endpoint["secret"].as_str().unwrap().to_string();
    let created = http
        .post(format!("{}/v1/checkouts/", mock.base_url()))
        .bearer_auth(mock.token())
        .json(&json!({"products": [mock.product_id()], "seats": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let (mut sock, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the mock delivers checkout.created")
        .unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let (head, body) = loop {
        let n = sock.read(&mut chunk).await.unwrap();
        assert!(n > 0, "the delivery ended early");
        buf.extend_from_slice(&chunk[..n]);
        let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&buf[..end]).to_string();
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().unwrap())
            })
            .unwrap();
        while buf.len() < end + 4 + len {
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
        }
        break (head, buf[end + 4..end + 4 + len].to_vec());
    };
    let _ = sock
        .write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n")
        .await;
    let headers: serde_json::Map<String, Value> = head
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(':')?;
            let k = k.trim().to_ascii_lowercase();
            k.starts_with("webhook-")
                .then(|| (k, Value::String(v.trim().to_string())))
        })
        .collect();
    assert_eq!(headers.len(), 3, "{head}");
    (body, Value::Object(headers), secret)
}

/// Runs `program script` in `dir` with the app's environment; its last stdout line as JSON.
fn run_example(program: &Path, script: &str, dir: &Path, env: &[(&str, String)]) -> Value {
    assert!(
        program.exists(),
        "{} is missing: run scripts/setup-tests.sh",
        program.display()
    );
    let out = Command::new(program)
        .arg(script)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script}: exit {:?}\n{stdout}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{script}: {e}: {stdout}"))
}

#[tokio::test]
async fn the_sdk_examples_in_your_app_md_run_as_written_against_the_mock() {
    let doc = std::fs::read_to_string(repo("docs/your-app.md")).unwrap();
    let mock = MockPolar::start(MockConfig::default()).await.unwrap();
    let (body, headers, secret) = one_delivery(&mock).await;
    let env = [
        ("POLAR_ACCESS_TOKEN", mock.token()),
        ("POLAR_API_URL", mock.base_url()),
        ("POLAR_PRODUCT_ID", mock.product_id()),
        ("POLAR_WEBHOOK_SECRET", secret),
    ];
    let expected = json!({
        "product": "Tegy Pro",
        "ok": [202, "checkout.created"],
        "bad": 403,
    });

    // TypeScript: the page's module as polar.mjs, with the SDK the setup installs.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("polar.mjs"),
        block(&doc, "## A Node app on", "js"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        repo(".tools/sdk-node/node_modules"),
        dir.path().join("node_modules"),
    )
    .unwrap();
    std::fs::write(dir.path().join("body.json"), &body).unwrap();
    std::fs::write(dir.path().join("headers.json"), headers.to_string()).unwrap();
    std::fs::write(
        dir.path().join("harness.mjs"),
        r#"import { readFileSync } from "node:fs";
import { polar, handleWebhook } from "./polar.mjs";
const product = await polar.products.get(process.env.POLAR_PRODUCT_ID);
const body = readFileSync("body.json", "utf8");
const headers = JSON.parse(readFileSync("headers.json", "utf8"));
const ok = await handleWebhook(body, headers);
const bad = await handleWebhook(body, { ...headers, "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl" });
console.log(JSON.stringify({ product: product.name, ok: [ok.status, ok.type], bad: bad.status }));
"#,
    )
    .unwrap();
    let node = repo(".tools/node22/node_modules/.bin/node");
    let got = run_example(&node, "harness.mjs", dir.path(), &env);
    assert_eq!(got, expected, "the TypeScript example");

    // Python: the page's module as polar_billing.py, in the SDK's virtualenv.
    std::fs::write(
        dir.path().join("polar_billing.py"),
        block(&doc, "## A Python app on", "python"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("harness.py"),
        r#"import json, os
from polar_billing import polar, handle_webhook
product = polar.products.get(os.environ["POLAR_PRODUCT_ID"])
body = open("body.json", "rb").read()
headers = json.load(open("headers.json"))
ok = handle_webhook(body, headers)
bad = handle_webhook(body, {**headers, "webhook-signature": "v1,bm90IGEgc2lnbmF0dXJl"})
print(json.dumps({"product": product.name, "ok": list(ok), "bad": bad[0]}))
"#,
    )
    .unwrap();
    let python = repo(".tools/sdk-py/bin/python");
    let got = run_example(&python, "harness.py", dir.path(), &env);
    assert_eq!(got, expected, "the Python example");

    // The project file example is one `check` accepts.
    let project = tempfile::tempdir().unwrap();
    std::fs::create_dir(project.path().join("scenarios")).unwrap();
    std::fs::copy(
        repo("fixtures/valid/continue-using.yml"),
        project.path().join("scenarios/continue-using.yml"),
    )
    .unwrap();
    let yaml = block(&doc, "## A Python app on", "yaml");
    std::fs::write(
        project.path().join("walkthrough.yaml"),
        format!("scenarios: [scenarios]\n{yaml}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_walkthrough"))
        .args(["check", "--config"])
        .arg(project.path().join("walkthrough.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
