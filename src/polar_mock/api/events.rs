//! `POST /v1/events/ingest`: usage events, accepted and counted. The mock models no meters,
//! so an event changes nothing else; it is validated as Polar does
//! (`server/polar/event/endpoints.py` 585-592, `event/service.py` 894-960): `events` is a
//! list of `EventCreateCustomer` (`customer_id`, one of the organization's customers) or
//! `EventCreateExternalCustomer` (`external_customer_id`, any string), each with a `name` of at
//! most 128 characters; the answer is `{"inserted": n, "duplicates": 0}`.

use serde_json::{json, Map, Value};

use super::input::{is_uuid, uuid_error};
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};

pub(crate) const ROUTES: &[Route] = &[Route::new(
    "events:ingest",
    "POST",
    "/v1/events/ingest",
    Auth::Org,
    ingest,
)];

fn ingest(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.body()?;
    let events = match body.get("events") {
        None => {
            return Err(ApiError::missing(
                json!(["body", "events"]),
                Value::Object(body),
            ))
        }
        Some(Value::Array(e)) => e.clone(),
        Some(other) => {
            return Err(ApiError::validation(
                "RequestValidationError",
                "list_type",
                json!(["body", "events"]),
                "Input should be a valid list",
                other.clone(),
            ))
        }
    };
    for (i, e) in events.iter().enumerate() {
        let e = e.as_object().ok_or_else(|| {
            ApiError::validation(
                "RequestValidationError",
                "model_attributes_type",
                json!(["body", "events", i]),
                "Input should be a valid dictionary or object to extract fields from",
                e.clone(),
            )
        })?;
        check_event(ctx, i, e)?;
    }
    ctx.world.ingested_events += events.len();
    Reply::ok(json!({"inserted": events.len(), "duplicates": 0}))
}

fn check_event(ctx: &Ctx<'_>, i: usize, e: &Map<String, Value>) -> Result<(), ApiError> {
    let at = |k: &str| json!(["body", "events", i, k]);
    match e.get("name") {
        Some(Value::String(n)) if n.chars().count() <= 128 => {}
        Some(Value::String(n)) => {
            return Err(ApiError::validation_ctx(
                "RequestValidationError",
                "string_too_long",
                at("name"),
                "String should have at most 128 characters",
                json!(n),
                json!({"max_length": 128}),
            ))
        }
        _ => return Err(ApiError::missing(at("name"), Value::Object(e.clone()))),
    }
    if let Some(id) = e.get("customer_id") {
        let id = id.as_str().unwrap_or_default();
        if !is_uuid(id) {
            return Err(uuid_error(at("customer_id"), id));
        }
        if ctx.world.customer(id).is_none() {
            // event/service.py 1266-1272.
            return Err(ApiError::validation(
                "PolarRequestValidationError",
                "customer_id",
                at("customer_id"),
                "Customer not found.",
                json!(id),
            ));
        }
        return Ok(());
    }
    match e.get("external_customer_id") {
        Some(Value::String(_)) => Ok(()),
        _ => Err(ApiError::missing(
            at("external_customer_id"),
            Value::Object(e.clone()),
        )),
    }
}
