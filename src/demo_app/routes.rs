//! The demo app's HTTP surface (axum): the `/new` page, the JSON API, and the Polar webhook
//! receiver. Every Polar failure becomes a JSON error with a clear message; nothing here
//! renders, logs or returns the organization token or the webhook secret.

// Helpers return a ready `Response` as their error so handlers can `?`-style early-return it;
// its size is irrelevant next to an HTTP round trip.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::polar::types::{
    CheckoutCreate, CustomerSessionCreate, Product, Subscription, SubscriptionListParams,
    WebhookEvent,
};
use crate::polar::webhook::{self, SignatureHeaders};
use crate::polar::{PolarClient, PolarError};

use super::db::{self, Db, Session, WebhookRecord};
use super::projection::{decide, SubscriptionRow, Version};
use super::validate;

/// Largest webhook body accepted (Polar's subscription payloads are a few KiB).
pub const WEBHOOK_MAX_BYTES: usize = 256 * 1024;
/// The session cookie's name.
pub const SESSION_COOKIE: &str = "wt_session";
/// Longest prompt accepted.
const PROMPT_MAX_CHARS: usize = 4000;

pub struct AppState {
    pub db: Db,
    pub polar: PolarClient,
    pub product_id: String,
    pub enforce: bool,
    pub base_url: String,
    pub webhook_secret: String,
    pub product_cache: std::sync::Mutex<Option<Product>>,
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/new") }))
        .route("/new", get(page))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/billing/status", get(billing_status))
        .route("/api/billing/plans", get(billing_plans))
        .route("/api/billing/checkout", post(billing_checkout))
        .route("/api/billing/portal", post(billing_portal))
        .route("/api/billing/refresh", post(billing_refresh))
        .route("/api/members", get(list_members).post(add_member))
        .route("/api/turns", get(list_turns).post(post_turn))
        .route(
            "/api/polar/webhooks",
            post(polar_webhook).layer(DefaultBodyLimit::max(WEBHOOK_MAX_BYTES)),
        )
        .with_state(state)
}

/// A JSON error: `{"error": code, "message": text, ...extra}`.
fn error(status: StatusCode, code: &str, message: impl Into<String>, extra: Value) -> Response {
    let mut body = json!({ "error": code, "message": message.into() });
    if let (Some(b), Value::Object(extra)) = (body.as_object_mut(), extra) {
        b.extend(extra);
    }
    (status, Json(body)).into_response()
}

fn db_error(e: rusqlite::Error) -> Response {
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        "storage_error",
        format!("The app's database failed: {e}"),
        Value::Null,
    )
}

/// Maps a Polar failure to a gateway error the UI can show as is.
pub fn polar_error(e: &PolarError) -> Response {
    match e {
        PolarError::Timeout => error(
            StatusCode::GATEWAY_TIMEOUT,
            "polar_timeout",
            "Polar did not answer in time. Please try again.",
            Value::Null,
        ),
        PolarError::Transport(_) => error(
            StatusCode::BAD_GATEWAY,
            "polar_unreachable",
            "Polar could not be reached. Please try again.",
            Value::Null,
        ),
        PolarError::Api {
            status,
            error: code,
            detail,
            ..
        } => {
            let message = match status {
                429 => "Polar is rate limiting requests. Please try again in a moment.".to_string(),
                401 => "Polar rejected the app's access token (HTTP 401). Check the organization token for this Polar environment.".to_string(),
                403 => format!(
                    "Polar refused the request (HTTP 403{}).",
                    code.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
                ),
                s if *s >= 500 => format!("Polar had an internal error (HTTP {s}). Please try again."),
                s => format!(
                    "Polar rejected the request (HTTP {s}){}",
                    detail.as_deref().map(|d| format!(": {d}")).unwrap_or_else(|| ".".into())
                ),
            };
            error(
                StatusCode::BAD_GATEWAY,
                "polar_error",
                message,
                json!({ "polar_status": status, "polar_error": code }),
            )
        }
        PolarError::Decode(_) | PolarError::Config(_) | PolarError::ReadOnly { .. } => error(
            StatusCode::BAD_GATEWAY,
            "polar_error",
            format!("Unexpected answer from Polar: {e}"),
            Value::Null,
        ),
    }
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The caller's session; a first visit creates a workspace and user and sets the cookie.
fn session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(Session, Option<HeaderValue>), Response> {
    if let Some(token) = cookie_token(headers) {
        if let Some(s) = state.db.session(&token).map_err(db_error)? {
            return Ok((s, None));
        }
    }
    let (s, token) = state.db.create_workspace_and_user().map_err(db_error)?;
    let cookie = HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000"
    ))
    .map_err(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cookie",
            e.to_string(),
            Value::Null,
        )
    })?;
    Ok((s, Some(cookie)))
}

fn with_cookie(mut resp: Response, cookie: Option<HeaderValue>) -> Response {
    if let Some(c) = cookie {
        resp.headers_mut().append(header::SET_COOKIE, c);
    }
    resp
}

macro_rules! try_resp {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(resp) => return resp,
        }
    };
}

async fn page(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (_s, cookie) = try_resp!(session(&state, &headers));
    let mut resp = Html(super::page::PAGE).into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    with_cookie(resp, cookie)
}

/// The product, fetched once from Polar and then cached.
async fn product(state: &AppState) -> Result<Product, PolarError> {
    if let Some(p) = state
        .product_cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone()
    {
        return Ok(p);
    }
    let p = state.polar.get_product(&state.product_id).await?;
    *state
        .product_cache
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(p.clone());
    Ok(p)
}

/// The status JSON of `GET /api/billing/status` (documented in docs/demo-app.md).
fn status_json(state: &AppState, workspace_id: &str) -> Result<Value, Response> {
    let subs = state.db.subscriptions(workspace_id).map_err(db_error)?;
    let members = state.db.member_count(workspace_id).map_err(db_error)?;
    let customer = state.db.billing_customer(workspace_id).map_err(db_error)?;
    let (billing_state, sub) = decide(&subs, &state.product_id);
    let cached = state
        .product_cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    let price = cached.as_ref().and_then(|p| p.seat_based_price().cloned());
    let per_seat = price
        .as_ref()
        .and_then(|p| p.seat_tiers.as_ref())
        .and_then(|t| t.tiers.first())
        .map(|t| t.price_per_seat);
    Ok(json!({
        "workspace_id": workspace_id,
        "status": billing_state.as_str(),
        "entitled": billing_state.entitled(),
        "enforce": state.enforce,
        "plan": cached.as_ref().map(|p| p.name.clone()),
        "product_id": state.product_id,
        "members": members,
        "seats": sub.and_then(|s| s.seats),
        "amount": sub.map(|s| s.amount),
        "currency": sub.map(|s| s.currency.clone())
            .or_else(|| price.as_ref().map(|p| p.price_currency.clone())),
        "price_per_seat": per_seat,
        "interval": cached.as_ref().and_then(|p| p.recurring_interval.as_ref().map(|i| i.to_string())),
        "subscription_id": sub.map(|s| s.id.clone()),
        "subscription_status": sub.map(|s| s.status.clone()),
        "cancel_at_period_end": sub.map(|s| s.cancel_at_period_end),
        "renews_at": sub.filter(|s| !s.cancel_at_period_end && billing_state.entitled())
            .and_then(|s| s.current_period_end.clone()),
        "ends_at": sub.filter(|s| s.cancel_at_period_end || !billing_state.entitled())
            .and_then(|s| s.ends_at.clone().or_else(|| s.current_period_end.clone())),
        "customer_id": customer,
        "source": sub.map(|s| s.source.clone()),
    }))
}

async fn billing_status(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    // Best effort: the plan name needs the product; a Polar failure leaves it null.
    let _ = product(&state).await;
    let body = try_resp!(status_json(&state, &s.workspace_id));
    with_cookie(Json(body).into_response(), cookie)
}

async fn billing_plans(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (_s, cookie) = try_resp!(session(&state, &headers));
    let p = match product(&state).await {
        Ok(p) => p,
        Err(e) => return with_cookie(polar_error(&e), cookie),
    };
    let price = p.seat_based_price();
    let body = json!({ "plans": [{
        "product_id": p.id,
        "name": p.name,
        "description": p.description,
        "visibility": p.visibility.as_str(),
        "interval": p.recurring_interval.as_ref().map(|i| i.as_str().to_string()),
        "interval_count": p.recurring_interval_count,
        "seat_based": price.is_some(),
        "currency": price.map(|p| p.price_currency.clone()),
        "seat_tier_type": price.and_then(|p| p.seat_tiers.as_ref()).map(|t| t.seat_tier_type.as_str().to_string()),
        "price_per_seat": price.and_then(|p| p.seat_tiers.as_ref()).and_then(|t| t.tiers.first()).map(|t| t.price_per_seat),
        "minimum_seats": price.and_then(|p| p.seat_tiers.as_ref()).map(|t| t.minimum_seats),
        "maximum_seats": price.and_then(|p| p.seat_tiers.as_ref()).and_then(|t| t.maximum_seats),
    }]});
    with_cookie(Json(body).into_response(), cookie)
}

async fn billing_checkout(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let seats = try_resp!(state.db.member_count(&s.workspace_id).map_err(db_error)).max(1);
    let mut metadata = crate::polar::types::Metadata::new();
    metadata.insert("workspace_id".into(), Value::String(s.workspace_id.clone()));
    let body = CheckoutCreate {
        products: vec![state.product_id.clone()],
        seats: Some(seats),
        min_seats: Some(seats),
        max_seats: Some(seats),
        external_customer_id: Some(s.workspace_id.clone()),
        success_url: Some(format!(
            "{}/new?billing=success&checkout_id={{CHECKOUT_ID}}",
            state.base_url
        )),
        return_url: Some(format!("{}/new", state.base_url)),
        metadata,
        ..CheckoutCreate::default()
    };
    let resp = match state.polar.create_checkout(&body).await {
        Ok(c) => Json(json!({
            "checkout_id": c.id,
            "url": c.url,
            "seats": c.seats.unwrap_or(seats),
            "amount": c.amount,
            "currency": c.currency,
        }))
        .into_response(),
        Err(e) => polar_error(&e),
    };
    with_cookie(resp, cookie)
}

async fn billing_portal(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let body = CustomerSessionCreate::ExternalCustomerId {
        external_customer_id: s.workspace_id.clone(),
        return_url: Some(format!("{}/new?billing=portal", state.base_url)),
    };
    let resp = match state.polar.create_customer_session(&body).await {
        Ok(cs) => Json(json!({ "url": cs.customer_portal_url, "expires_at": cs.expires_at }))
            .into_response(),
        Err(PolarError::Api { status: 422, .. }) => error(
            StatusCode::CONFLICT,
            "no_billing_customer",
            "This workspace has no Polar customer yet. Upgrade first to start a subscription.",
            Value::Null,
        ),
        Err(e) => polar_error(&e),
    };
    with_cookie(resp, cookie)
}

fn micros(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_micros()
}

fn rfc3339(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
}

/// The projected row of a Polar subscription, observed at `observed`.
pub fn row_of(
    sub: &Subscription,
    workspace_id: &str,
    observed: chrono::DateTime<chrono::Utc>,
    source: String,
) -> SubscriptionRow {
    SubscriptionRow {
        id: sub.id.clone(),
        workspace_id: workspace_id.to_string(),
        customer_id: sub.customer_id.clone(),
        product_id: sub.product_id.clone(),
        status: sub.status.as_str().to_string(),
        seats: sub.seats,
        amount: sub.amount,
        currency: sub.currency.clone(),
        cancel_at_period_end: sub.cancel_at_period_end,
        current_period_end: rfc3339(sub.current_period_end),
        ends_at: rfc3339(sub.ends_at),
        version: Version {
            modified_us: micros(sub.modified_at.unwrap_or(sub.created_at)),
            observed_us: micros(observed),
        },
        source,
    }
}

/// Reconciles one workspace's projection from Polar: the customer state (by external id)
/// and every subscription of that customer. Polar is the source of truth.
pub async fn refresh_workspace(
    state: &AppState,
    workspace_id: &str,
) -> Result<db::ReconcileSummary, Result<PolarError, rusqlite::Error>> {
    let started = chrono::Utc::now();
    let customer = match state.polar.get_customer_state_external(workspace_id).await {
        Ok(c) => Some(c),
        Err(PolarError::Api { status: 404, .. }) => None,
        Err(e) => return Err(Ok(e)),
    };
    let mut rows = Vec::new();
    if let Some(c) = &customer {
        let subs = state
            .polar
            .list_all_subscriptions(&SubscriptionListParams {
                external_customer_id: Some(workspace_id.to_string()),
                ..SubscriptionListParams::default()
            })
            .await
            .map_err(Ok)?;
        let mut subs = subs;
        // The customer state lists active subscriptions; fetch any the list missed.
        for active in &c.active_subscriptions {
            if !subs.iter().any(|s| s.id == active.id) {
                subs.push(state.polar.get_subscription(&active.id).await.map_err(Ok)?);
            }
        }
        let observed = chrono::Utc::now();
        rows = subs
            .iter()
            .map(|s| row_of(s, workspace_id, observed, "refresh".into()))
            .collect();
    }
    state
        .db
        .reconcile(
            workspace_id,
            customer.as_ref().map(|c| c.id.as_str()),
            &rows,
            micros(started),
        )
        .map_err(Err)
}

async fn billing_refresh(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let _ = product(&state).await;
    let resp = match refresh_workspace(&state, &s.workspace_id).await {
        Ok(summary) => {
            let mut body = try_resp!(status_json(&state, &s.workspace_id));
            body["reconciled"] = json!(summary);
            Json(body).into_response()
        }
        Err(Ok(e)) => polar_error(&e),
        Err(Err(e)) => db_error(e),
    };
    with_cookie(resp, cookie)
}

async fn list_members(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let members = try_resp!(state.db.members(&s.workspace_id).map_err(db_error));
    with_cookie(
        Json(json!({ "members": members, "count": members.len() })).into_response(),
        cookie,
    )
}

async fn add_member(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let email = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("email")
            .and_then(|e| e.as_str())
            .map(|e| e.trim().to_lowercase())
    });
    let resp = match email {
        Some(e)
            if e.len() <= 254 && e.contains('@') && !e.starts_with('@') && !e.ends_with('@') =>
        {
            match state.db.add_member(&s.workspace_id, &e) {
                Ok(added) => {
                    let members = try_resp!(state.db.members(&s.workspace_id).map_err(db_error));
                    let status = if added {
                        StatusCode::CREATED
                    } else {
                        StatusCode::OK
                    };
                    (
                        status,
                        Json(json!({ "added": added, "members": members, "count": members.len() })),
                    )
                        .into_response()
                }
                Err(e) => db_error(e),
            }
        }
        _ => error(
            StatusCode::BAD_REQUEST,
            "invalid_email",
            "Send {\"email\": \"name@example.com\"}.",
            Value::Null,
        ),
    };
    with_cookie(resp, cookie)
}

async fn list_turns(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let turns = try_resp!(state.db.turns(&s.workspace_id).map_err(db_error));
    with_cookie(Json(json!({ "turns": turns })).into_response(), cookie)
}

/// The deterministic assistant: the same prompt always gets the same reply.
pub fn assistant_reply(prompt: &str) -> String {
    let words = prompt.split_whitespace().count();
    format!(
        "You said: \u{201c}{prompt}\u{201d} ({words} word{}). This is the demo assistant's deterministic reply.",
        if words == 1 { "" } else { "s" }
    )
}

async fn post_turn(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (s, cookie) = try_resp!(session(&state, &headers));
    let prompt = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("prompt")
            .and_then(|p| p.as_str())
            .map(|p| p.trim().to_string())
    });
    let prompt = match prompt {
        Some(p) if !p.is_empty() && p.chars().count() <= PROMPT_MAX_CHARS => p,
        _ => {
            return with_cookie(
                error(
                    StatusCode::BAD_REQUEST,
                    "invalid_prompt",
                    format!("Send {{\"prompt\": \"…\"}} with 1 to {PROMPT_MAX_CHARS} characters."),
                    Value::Null,
                ),
                cookie,
            )
        }
    };
    if state.enforce {
        let billing = try_resp!(status_json(&state, &s.workspace_id));
        if billing["entitled"] != Value::Bool(true) {
            return with_cookie(
                error(
                    StatusCode::PAYMENT_REQUIRED,
                    "billing_required",
                    "This workspace has no active subscription. Open Billing to upgrade or fix the payment.",
                    json!({ "billing": billing }),
                ),
                cookie,
            );
        }
    }
    let reply = assistant_reply(&prompt);
    let resp = match state.db.add_turn(&s.workspace_id, &prompt, &reply) {
        Ok(turn) => (StatusCode::CREATED, Json(json!({ "turn": turn }))).into_response(),
        Err(e) => db_error(e),
    };
    with_cookie(resp, cookie)
}

fn header_str(headers: &HeaderMap, name: &str) -> String {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The workspace a subscription belongs to. The customer's external id (set at checkout to
/// the workspace id) is authoritative when present: an unknown one means "not ours". Without
/// it: the subscription metadata's `workspace_id` (copied from the checkout), else the
/// workspace already linked to the Polar customer id.
fn workspace_of(tx: &rusqlite::Connection, sub: &Subscription) -> rusqlite::Result<Option<String>> {
    if let Some(x) = sub.customer.as_ref().and_then(|c| c.external_id.as_deref()) {
        return Ok(db::workspace_exists_tx(tx, x)?.then(|| x.to_string()));
    }
    if let Some(w) = sub.metadata.get("workspace_id").and_then(|v| v.as_str()) {
        if db::workspace_exists_tx(tx, w)? {
            return Ok(Some(w.to_string()));
        }
    }
    db::workspace_for_customer(tx, &sub.customer_id)
}

/// What a verified, valid event does to the projection.
enum Effect {
    Subscription(Box<Subscription>),
    Customer {
        id: String,
        external_id: Option<String>,
    },
    None,
}

fn invalid_payload(message: String, field: Option<&str>) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "invalid_payload",
        message,
        field.map_or(Value::Null, |f| json!({ "field": f })),
    )
}

/// Parses and validates a verified body (step 3) before anything touches the database, so a
/// malformed or out-of-range event stores nothing.
fn parse_event(body: &[u8]) -> Result<(WebhookEvent, Effect), Response> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        invalid_payload(format!("The body is not a Polar webhook event: {e}"), None)
    })?;
    validate::event(&value).map_err(|e| {
        invalid_payload(
            format!("The event is outside Polar's schema: {e}."),
            Some(&e.field),
        )
    })?;
    let event: WebhookEvent = serde_json::from_value(value).map_err(|e| {
        invalid_payload(format!("The body is not a Polar webhook event: {e}"), None)
    })?;
    let effect = if event.event_type.starts_with("subscription.") {
        let sub = serde_json::from_value::<Subscription>(event.data.clone()).map_err(|e| {
            invalid_payload(
                format!("`{}` data is not a Subscription: {e}", event.event_type),
                None,
            )
        })?;
        Effect::Subscription(Box::new(sub))
    } else if event.event_type == "customer.state_changed"
        || event.event_type == "customer.created"
        || event.event_type == "customer.updated"
    {
        Effect::Customer {
            id: event.data["id"].as_str().unwrap_or_default().to_string(),
            external_id: event.data["external_id"].as_str().map(str::to_string),
        }
    } else if event.event_type.starts_with("checkout.") {
        match (
            event.data["customer_id"].as_str(),
            event.data["external_customer_id"].as_str(),
        ) {
            (Some(c), Some(x)) => Effect::Customer {
                id: c.to_string(),
                external_id: Some(x.to_string()),
            },
            _ => Effect::None,
        }
    } else {
        Effect::None
    };
    Ok((event, effect))
}

async fn polar_webhook(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let sig = SignatureHeaders {
        id: header_str(&headers, "webhook-id"),
        timestamp: header_str(&headers, "webhook-timestamp"),
        signature: header_str(&headers, "webhook-signature"),
    };
    if let Err(e) = webhook::verify(
        &state.webhook_secret,
        &sig,
        &body,
        chrono::Utc::now().timestamp(),
        webhook::DEFAULT_TOLERANCE_SECS,
    ) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            e.to_string(),
            Value::Null,
        );
    }
    let (event, effect) = try_resp!(parse_event(&body));
    let event_type = event.event_type.clone();
    let observed = event.timestamp;
    let result = state
        .db
        .record_webhook(&sig.id, &event_type, |tx| match &effect {
            Effect::Subscription(sub) => match workspace_of(tx, sub)? {
                Some(ws) => {
                    db::set_customer(tx, &ws, &sub.customer_id)?;
                    let row = row_of(sub, &ws, observed, format!("webhook:{event_type}"));
                    if db::upsert_subscription(tx, &row)? {
                        Ok(format!("applied {} {}", sub.id, row.status))
                    } else {
                        Ok(format!("stale {}", sub.id))
                    }
                }
                None => Ok("ignored: unknown workspace".into()),
            },
            Effect::Customer { id, external_id } => match external_id {
                Some(x) if !id.is_empty() && db::workspace_exists_tx(tx, x)? => {
                    db::set_customer(tx, x, id)?;
                    Ok(format!("linked customer {id}"))
                }
                _ => Ok("ignored: unknown workspace".into()),
            },
            Effect::None => Ok("ignored: event not used".into()),
        });
    match result {
        Ok(WebhookRecord::Duplicate) => {
            Json(json!({ "status": "duplicate", "webhook_id": sig.id })).into_response()
        }
        Ok(WebhookRecord::Processed(outcome)) => Json(json!({
            "status": "processed", "webhook_id": sig.id, "type": event_type, "outcome": outcome
        }))
        .into_response(),
        Err(e) => db_error(e),
    }
}
