//! The `http:` action: one request through the tool's HTTP client, its expectations
//! checked and its captures stored as variables. On the production target a request that
//! would write to Polar's API is refused before it is sent.

use std::time::Duration;

use crate::http_client::{HttpClient, HttpRequest, Method, Url};
use crate::scenario::{HttpCall, HttpMethod, Location, PolarTarget};

use super::exec::{resolve_url, ActionError, Exec};

pub(super) async fn run(
    exec: &mut Exec<'_>,
    call: &HttpCall,
    timeout: Duration,
    at: &Location,
) -> Result<(), ActionError> {
    let raw_url = exec.render(&call.url)?;
    let url = resolve_url(&exec.ctx.app_url, &raw_url)?;
    let method = match call.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
        HttpMethod::Put => Method::Put,
        HttpMethod::Patch => Method::Patch,
        HttpMethod::Delete => Method::Delete,
    };
    if exec.ctx.polar == Some(PolarTarget::Production)
        && method != Method::Get
        && is_polar_api(&url, exec.vars.get("polar.api_url"))
    {
        return Err(ActionError::Unmet(format!(
            "http {} {}: refused, the production target is read-only: only GET requests \
             reach Polar's production API",
            call.method,
            url.path()
        )));
    }
    let mut request = HttpRequest::new(method, url.clone()).with_timeout(timeout);
    for (name, value) in &call.headers {
        request = request.with_header(name, &exec.render(value)?);
    }
    if let Some(json) = &call.json {
        let body = exec.vars.render_json(json, at).map_err(ActionError::Vars)?;
        request = request.with_json(&body);
    }
    let failed = |e: String| ActionError::Unmet(format!("http {} {url}: {e}", call.method));
    let response = HttpClient::new(timeout)
        .send(request)
        .await
        .map_err(|e| failed(e.to_string()))?;
    let captures = call
        .evaluate(response.status, &response.json_or_null(), exec.vars)
        .map_err(failed)?;
    for (name, value) in captures {
        exec.vars.set(&name, &value);
    }
    Ok(())
}

/// Whether `url` is on Polar's API: under the run's `polar.api_url`, or on Polar's
/// production API host whatever the run says.
fn is_polar_api(url: &Url, api_url: Option<&str>) -> bool {
    let under_api = api_url
        .and_then(|base| Url::parse(&format!("{}/", base.trim_end_matches('/'))).ok())
        .is_some_and(|base| url.origin() == base.origin() && url.path().starts_with(base.path()));
    under_api || url.host_str() == Some("api.polar.sh")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polars_api_is_the_runs_api_url_or_productions_host() {
        let url = |s: &str| Url::parse(s).unwrap();
        let api = Some("http://127.0.0.1:4100");
        assert!(is_polar_api(
            &url("http://127.0.0.1:4100/v1/checkouts/"),
            api
        ));
        assert!(!is_polar_api(
            &url("http://127.0.0.1:4200/v1/checkouts/"),
            api
        ));
        assert!(is_polar_api(&url("https://api.polar.sh/v1/refunds/"), None));
        assert!(!is_polar_api(&url("https://app.example.com/api/x"), api));
        let nested = Some("https://proxy.example.com/polar");
        assert!(is_polar_api(
            &url("https://proxy.example.com/polar/v1/x"),
            nested
        ));
        assert!(!is_polar_api(
            &url("https://proxy.example.com/other"),
            nested
        ));
    }
}
