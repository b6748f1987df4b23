//! The `http:` action: one request through the tool's HTTP client, its expectations
//! checked and its captures stored as variables.

use std::time::Duration;

use crate::http_client::{HttpClient, HttpRequest, Method};
use crate::scenario::{HttpCall, Location};

use super::actions::{resolve_url, ActionError, Exec};

pub(super) async fn run(
    exec: &mut Exec<'_>,
    call: &HttpCall,
    timeout: Duration,
    at: &Location,
) -> Result<(), ActionError> {
    let raw_url = exec.render(&call.url)?;
    let url = resolve_url(&exec.ctx.app_url, &raw_url)?;
    let method = Method::parse(&call.method)
        .ok_or_else(|| ActionError::Unmet(format!("http: unknown method {}", call.method)))?;
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
