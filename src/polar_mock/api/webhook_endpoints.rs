//! Webhook endpoints (create, list, get, update, delete, reset the secret), the deliveries
//! list (every attempt the dispatcher made) and redelivery of an event.

use serde_json::{json, Map, Value};

use super::input::{admits, bool_filter, path_uuid, str_field, url_field, uuid_filters};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::ApiVersion;
use crate::polar_mock::world::{new_id, token, Endpoint, World};

pub(crate) const ROUTES: &[Route] = &[
    Route::new(
        "webhooks:list_webhook_endpoints",
        "GET",
        "/v1/webhooks/endpoints",
        Auth::Org,
        list,
    ),
    Route::new(
        "webhooks:create_webhook_endpoint",
        "POST",
        "/v1/webhooks/endpoints",
        Auth::Org,
        create,
    ),
    Route::new(
        "webhooks:get_webhook_endpoint",
        "GET",
        "/v1/webhooks/endpoints/{id}",
        Auth::Org,
        get,
    ),
    Route::new(
        "webhooks:update_webhook_endpoint",
        "PATCH",
        "/v1/webhooks/endpoints/{id}",
        Auth::Org,
        update,
    ),
    Route::new(
        "webhooks:delete_webhook_endpoint",
        "DELETE",
        "/v1/webhooks/endpoints/{id}",
        Auth::Org,
        delete,
    ),
    Route::new(
        "webhooks:reset_webhook_endpoint_secret",
        "PATCH",
        "/v1/webhooks/endpoints/{id}/secret",
        Auth::Org,
        reset_secret,
    ),
    Route::new(
        "webhooks:list_webhook_deliveries",
        "GET",
        "/v1/webhooks/deliveries",
        Auth::Org,
        deliveries,
    ),
    Route::new(
        "webhooks:redeliver_webhook_event",
        "POST",
        "/v1/webhooks/events/{id}/redeliver",
        Auth::Org,
        redeliver,
    ),
];

fn format_field(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    match body.get("format") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(f)) if ["raw", "discord", "slack"].contains(&f.as_str()) => {
            Ok(Some(f.clone()))
        }
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "enum",
            json!(["body", "format"]),
            "Input should be 'raw', 'discord' or 'slack'",
            v.clone(),
        )),
    }
}

fn events_field(body: &Map<String, Value>) -> Result<Option<Vec<String>>, ApiError> {
    match body.get("events") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(e) if crate::polar::webhook::EVENT_TYPES.contains(&e) => {
                        out.push(e.to_string())
                    }
                    _ => {
                        return Err(ApiError::validation(
                            "RequestValidationError",
                            "enum",
                            json!(["body", "events", i]),
                            "Input should be a valid webhook event type",
                            v.clone(),
                        ))
                    }
                }
            }
            Ok(Some(out))
        }
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "list_type",
            json!(["body", "events"]),
            "Input should be a valid list",
            v.clone(),
        )),
    }
}

fn version_field(body: &Map<String, Value>) -> Result<Option<ApiVersion>, ApiError> {
    match body.get("api_version") {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_str()
            .and_then(ApiVersion::parse)
            .map(Some)
            .ok_or_else(|| {
                let allowed: Vec<String> =
                    ApiVersion::ALL.iter().map(|v| format!("'{v}'")).collect();
                ApiError::validation(
                    "RequestValidationError",
                    "literal_error",
                    json!(["body", "api_version"]),
                    &format!("Input should be {}", allowed.join(" or ")),
                    v.clone(),
                )
            }),
    }
}

/// `{url, format, events, name?, api_version?}`; the server generates the `whsec_` secret.
/// Payloads are rendered in `api_version`, else the version of the creating request.
fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.body()?;
    let missing = |k: &str| ApiError::missing(json!(["body", k]), Value::Object(body.clone()));
    let url = url_field(&body, "url")?.ok_or_else(|| missing("url"))?;
    let format = format_field(&body)?.ok_or_else(|| missing("format"))?;
    let events = events_field(&body)?.ok_or_else(|| missing("events"))?;
    let e = Endpoint {
        id: new_id(),
        created_at: ctx.world.now(),
        modified_at: None,
        url,
        name: str_field(&body, "name", 256)?,
        format,
        secret: token("whsec_"),
        events,
        enabled: true,
        api_version: version_field(&body)?.unwrap_or(ctx.version),
    };
    let v = render::endpoint(&ctx.render(), &e);
    ctx.world.endpoints.push(e);
    Reply::created(v)
}

fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["organization_id"])?;
    let items = ctx
        .world
        .endpoints
        .iter()
        .filter(|_| admits(&q, "organization_id", Some(ctx.world.org_id())))
        .map(|e| render::endpoint(&ctx.render(), e))
        .collect();
    ctx.page(items)
}

fn index(state: &World, id: &str) -> Result<usize, ApiError> {
    let id = path_uuid(id)?;
    state.endpoint_index(id).ok_or_else(ApiError::not_found)
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    Reply::ok(render::endpoint(&ctx.render(), &ctx.world.endpoints[i]))
}

/// Any of `url`, `name`, `api_version`, `format`, `events`, `enabled`.
fn update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    let body = ctx.body()?;
    let url = url_field(&body, "url")?;
    let format = format_field(&body)?;
    let events = events_field(&body)?;
    let version = version_field(&body)?;
    let enabled = super::input::bool_field(&body, "enabled")?;
    let name = str_field(&body, "name", 256)?;
    let now = ctx.world.now();
    let e = &mut ctx.world.endpoints[i];
    if let Some(u) = url {
        e.url = u;
    }
    if let Some(f) = format {
        e.format = f;
    }
    if let Some(ev) = events {
        e.events = ev;
    }
    if let Some(v) = version {
        e.api_version = v;
    }
    if let Some(on) = enabled {
        e.enabled = on;
    }
    if body.contains_key("name") {
        e.name = name;
    }
    e.modified_at = Some(now);
    Reply::ok(render::endpoint(&ctx.render(), &ctx.world.endpoints[i]))
}

fn delete(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    ctx.world.endpoints.remove(i);
    Ok(Reply::NoContent)
}

fn reset_secret(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = index(ctx.world, ctx.param(0))?;
    let now = ctx.world.now();
    let e = &mut ctx.world.endpoints[i];
    e.secret = token("whsec_");
    e.modified_at = Some(now);
    Reply::ok(render::endpoint(&ctx.render(), &ctx.world.endpoints[i]))
}

/// Every attempt, newest first; filters `endpoint_id`, `succeeded`, `event_type`,
/// `http_code_class` (`2xx`…`5xx`); `query` matches the payload text.
fn deliveries(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["endpoint_id"])?;
    let succeeded = bool_filter(&q, "succeeded");
    let needle = q.iter().find(|(k, _)| k == "query").map(|(_, v)| v.clone());
    let log = ctx.shared.webhooks.log.snapshot();
    let book = ctx.shared.webhooks.book();
    let mut items = Vec::new();
    for d in log.iter().rev() {
        let Some(sent) = book
            .sent
            .iter()
            .find(|s| s.event_id == d.event_id && s.endpoint_id == d.endpoint_id)
        else {
            continue;
        };
        let class = d.status_code.map(|c| format!("{}xx", c / 100));
        let keep = admits(&q, "endpoint_id", Some(&d.endpoint_id))
            && admits(&q, "event_type", Some(&d.event_type))
            && admits(&q, "http_code_class", class.as_deref())
            && succeeded.is_none_or(|s| s == d.succeeded)
            && needle
                .as_ref()
                .is_none_or(|n| sent.body.contains(n.as_str()));
        if keep {
            let latest = log
                .iter()
                .rev()
                .find(|x| x.event_id == d.event_id && x.endpoint_id == d.endpoint_id)
                .unwrap_or(d);
            items.push(render::delivery(d, sent, latest));
        }
    }
    drop(book);
    ctx.page(items)
}

/// 202 `{}`: the event goes out again (same `webhook-id` and body) to the endpoints it was
/// sent to.
fn redeliver(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = path_uuid(ctx.param(0))?.to_string();
    let world = &*ctx.world;
    let live = |endpoint_id: &str| {
        world
            .endpoints
            .iter()
            .find(|e| e.id == endpoint_id)
            .map(|e| (e.url.clone(), e.secret.clone()))
    };
    if !ctx.shared.webhooks.redeliver(&id, live) {
        return Err(ApiError::not_found());
    }
    Ok(Reply::Json(202, json!({})))
}
