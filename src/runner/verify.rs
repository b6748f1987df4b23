//! The `verify_config` action: the Polar configuration verifier (the checks of `walkthrough
//! verify-config`) against the run's Polar — on the mock, the mock's organization and product
//! (its seed); on the sandbox or with no Polar the run knows of, the `POLAR_*` variables —
//! shown on a page, with which one it checked, so the step's screenshot and clip carry it.

use std::time::Duration;

use crate::scenario::{PolarTarget, Template};

use super::actions::{ActionError, Exec};

pub(super) async fn run(
    exec: &mut Exec<'_>,
    server: Option<&Template>,
    product_name: Option<&Template>,
    timeout: Duration,
) -> Result<(), ActionError> {
    let server = match server {
        Some(s) => exec.render(s)?,
        None => exec
            .vars
            .get("polar.server")
            .unwrap_or("sandbox")
            .to_string(),
    };
    let product_name = match product_name {
        Some(n) => Some(exec.render(n)?),
        None => None,
    };
    // On the mock, only what the run knows of it counts: the environment's POLAR_* (another
    // Polar's) must not leak in. Elsewhere the environment fills in what the run does not
    // know (the sandbox target's secrets).
    let on_mock = exec.ctx.polar == Some(PolarTarget::Mock);
    let vars = &*exec.vars;
    let lookup = |key: &str| -> Option<String> {
        let var = match key {
            "POLAR_SERVER" => return Some(server.clone()),
            "POLAR_API_URL" => "polar.api_url",
            "POLAR_ACCESS_TOKEN" => "polar.token",
            "POLAR_PRODUCT_ID" => "polar.product_id",
            "POLAR_WEBHOOK_SECRET" => "polar.webhook_secret",
            _ if on_mock => return None,
            _ => return std::env::var(key).ok(),
        };
        let from_env = || (!on_mock).then(|| std::env::var(key).ok()).flatten();
        vars.get(var).map(str::to_string).or_else(from_env)
    };
    let checked = match (exec.ctx.polar, vars.get("polar.api_url")) {
        (Some(PolarTarget::Mock), Some(url)) => {
            format!("the mock Polar at {url}: its seed's organization and product")
        }
        (Some(PolarTarget::Sandbox), _) => "Polar's sandbox, from the POLAR_* variables".into(),
        _ => "the POLAR_* variables of the environment".into(),
    };
    let expect = crate::polar::verify::Expectations { product_name };
    let verification = tokio::time::timeout(timeout, crate::polar::verify::verify(lookup, &expect))
        .await
        .map_err(|_| {
            ActionError::Unmet(format!(
                "verify_config: no answer within {} ms",
                timeout.as_millis()
            ))
        })?;
    let text = format!("checked: {checked}\n{}", verification.render_text());
    let _ = exec
        .browser
        .goto(&verifier_page(&text, verification.passed()))
        .await;
    if verification.passed() {
        Ok(())
    } else {
        Err(ActionError::Unmet(format!(
            "verify_config: the configuration is not usable:\n{}",
            text.trim_end()
        )))
    }
}

/// A `data:` page showing the verifier's report.
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
