//! The `verify_config` action: the Polar configuration verifier (the checks of `walkthrough
//! verify-config`) against the run's Polar — on the mock, the mock's organization and product
//! (its seed); on the sandbox or with no Polar the run knows of, the `POLAR_*` variables —
//! shown on a page, with which one it checked, so the step's screenshot and clip carry it.
//! The page is `verifier_page.html` beside this file, rendered by [`crate::template`] and
//! opened as a `data:` URL.

use std::sync::LazyLock;
use std::time::Duration;

use serde::Serialize;

use crate::scenario::{PolarTarget, Template};
use crate::template::Templates;

use super::exec::{ActionError, Exec};

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
        (Some(PolarTarget::Production), _) => {
            "Polar's production, read-only, from the POLAR_* variables".into()
        }
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

/// The verifier page's template, parsed once (one that does not parse is a defect every
/// test of this module meets).
static TEMPLATES: LazyLock<Templates> = LazyLock::new(|| {
    Templates::new(&[("verifier_page.html", include_str!("verifier_page.html"))])
        .unwrap_or_else(|e| panic!("the verifier page's template: {e}"))
});

/// A `data:` page showing the verifier's report. Should the template fail on it (a defect of
/// the tool), the page is the error and the report as plain text.
fn verifier_page(report: &str, passed: bool) -> String {
    #[derive(Serialize)]
    struct View<'a> {
        report: &'a str,
        passed: bool,
    }
    match TEMPLATES.render("verifier_page.html", &View { report, passed }) {
        Ok(html) => data_url("text/html", &html),
        Err(e) => data_url("text/plain", &format!("{e}\n\n{report}")),
    }
}

/// `text` as a `data:` URL of type `mime`, every byte but the unreserved ones
/// percent-encoded.
fn data_url(mime: &str, text: &str) -> String {
    format!(
        "data:{mime};charset=utf-8,{}",
        crate::percent::encode_component(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The page a `data:` URL carries.
    fn decode(url: &str) -> String {
        crate::percent::decode_utf8(url.split_once(',').unwrap().1).unwrap()
    }

    #[test]
    fn the_page_shows_the_report_escaped_and_the_verdict() {
        let report = "checked: the mock <Polar> & \"its\" seed\n✓ token 'ok'\n";
        let url = verifier_page(report, true);
        assert!(
            url.starts_with("data:text/html;charset=utf-8,%3C%21doctype%20html%3E"),
            "{url}"
        );
        assert!(
            !url[url.find(',').unwrap()..].contains(['<', ' ', '"', '\n']),
            "{url}"
        );
        let page = decode(&url);
        assert!(page.contains("<pre data-testid=verify-config style=\"font:inherit\">checked: the mock &lt;Polar&gt; &amp; &quot;its&quot; seed\n✓ token &#39;ok&#39;\n</pre>"), "{page}");
        assert!(page.contains("<div data-testid=verify-verdict style=\"color:#2b8a3e;font-weight:bold\">every check passed</div>"), "{page}");
        assert!(!page.contains("a check failed"), "{page}");
        let page = decode(&verifier_page(report, false));
        assert!(page.contains("<div data-testid=verify-verdict style=\"color:#c92a2a;font-weight:bold\">a check failed</div>"), "{page}");
        assert!(!page.contains("every check passed"), "{page}");
    }
}
