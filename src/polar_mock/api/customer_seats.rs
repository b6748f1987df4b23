//! Customer seats: `POST /v1/customer-seats` (assign), `GET /v1/customer-seats` (list a
//! subscription's) and `DELETE /v1/customer-seats/{seat_id}` (revoke), as
//! `server/polar/customer_seat/endpoints.py` 40-215 answer them. Claiming by invitation token
//! and resending the invitation are not modelled (501). The rules are the world's `seats`.

use serde_json::{json, Map, Value};

use super::input::{bool_field, email_field, forbid_extra, is_uuid, metadata_field, str_field};
use super::input::{path_uuid, uuid_error};
use super::render;
use super::Request as _;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::{SeatError, SeatHolder};

pub(crate) const ROUTES: &[Route] = &[
    Route::new(
        "customer-seats:assign_seat",
        "POST",
        "/v1/customer-seats",
        Auth::Org,
        assign,
    ),
    Route::new(
        "customer-seats:list_seats",
        "GET",
        "/v1/customer-seats",
        Auth::Org,
        list,
    ),
    Route::new(
        "customer-seats:revoke_seat",
        "DELETE",
        "/v1/customer-seats/{seat_id}",
        Auth::Org,
        revoke,
    ),
];

impl From<SeatError> for ApiError {
    /// `SeatError`'s statuses (`customer_seat/service.py` 48-96).
    fn from(e: SeatError) -> ApiError {
        let detail = e.to_string();
        let (status, error) = match e {
            SeatError::FeatureNotEnabled => (403, "FeatureNotEnabled"),
            SeatError::NotAvailable(_) => (400, "SeatNotAvailable"),
            SeatError::AlreadyAssigned(_) => (400, "SeatAlreadyAssigned"),
            SeatError::CustomerNotFound(_) => (404, "CustomerNotFound"),
        };
        ApiError::new(status, error, &detail)
    }
}

/// A `SeatAssign` model validator's refusal (pydantic's `value_error` at `["body"]`).
fn model_error(body: &Map<String, Value>, msg: &str) -> ApiError {
    ApiError::validation(
        "RequestValidationError",
        "value_error",
        json!(["body"]),
        &format!("Value error, {msg}"),
        Value::Object(body.clone()),
    )
}

/// An optional UUID field of the body.
fn uuid_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    let v = str_field(body, key, 64)?;
    match v {
        Some(s) if !is_uuid(&s) => Err(uuid_error(json!(["body", key]), &s)),
        v => Ok(v),
    }
}

/// `SeatAssign`'s recipient: exactly one of `email`, `external_customer_id`, `customer_id`
/// (`schemas.py` 75-118; member identifiers need the member model, which the mock lacks).
fn holder(body: &Map<String, Value>) -> Result<SeatHolder, ApiError> {
    let email = email_field(body, "email")?;
    let external = str_field(body, "external_customer_id", 256)?;
    let customer = uuid_field(body, "customer_id")?;
    let member = ["external_member_id", "member_id"]
        .iter()
        .any(|k| body.get(*k).is_some_and(|v| !v.is_null()));
    if member {
        return Err(ApiError::new(
            501,
            "NotModelled",
            "The mock models seats without Polar's member model: assign by email, \
             external_customer_id or customer_id.",
        ));
    }
    match (email, external, customer) {
        (Some(e), None, None) => Ok(SeatHolder::Email(e)),
        (None, Some(x), None) => Ok(SeatHolder::ExternalId(x)),
        (None, None, Some(c)) => Ok(SeatHolder::CustomerId(c)),
        (None, None, None) => Err(model_error(
            body,
            "At least one of email, external_customer_id, customer_id, external_member_id, \
             or member_id must be provided",
        )),
        _ => Err(model_error(
            body,
            "Exactly one of email, external_customer_id, or customer_id must be provided",
        )),
    }
}

/// The subscription a seat request names (`subscription_id`), or Polar's answer for an
/// `order_id` (the mock's orders are subscriptions', which hold no seats of their own).
fn container(
    ctx: &Ctx<'_>,
    subscription_id: Option<String>,
    order_id: Option<String>,
) -> Result<usize, ApiError> {
    match (subscription_id, order_id) {
        (Some(id), _) => ctx
            .world
            .subscription_index(&id)
            .ok_or_else(|| ApiError::new(404, "ResourceNotFound", "Subscription not found")),
        (None, Some(id)) => {
            ctx.world
                .order_index(&id)
                .ok_or_else(|| ApiError::new(404, "ResourceNotFound", "Order not found"))?;
            ctx.world.check_seats_enabled()?;
            Err(SeatError::NotAvailable(id).into())
        }
        (None, None) => Err(ApiError::new(
            400,
            "BadRequest",
            "Either subscription_id or order_id must be provided",
        )),
    }
}

/// `SeatAssign` → the seat (200).
fn assign(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.body()?;
    forbid_extra(
        &body,
        &[
            "subscription_id",
            "order_id",
            "email",
            "external_customer_id",
            "customer_id",
            "external_member_id",
            "member_id",
            "metadata",
            "immediate_claim",
        ],
    )?;
    let sub = uuid_field(&body, "subscription_id")?;
    let order = uuid_field(&body, "order_id")?;
    if sub.is_some() == order.is_some() {
        return Err(model_error(
            &body,
            "Exactly one of subscription_id or order_id must be provided",
        ));
    }
    let holder = holder(&body)?;
    let metadata = metadata_field(&body, "metadata")?.unwrap_or_default();
    if metadata.0.len() > 10 {
        return Err(ApiError::validation(
            "RequestValidationError",
            "value_error",
            json!(["body", "metadata"]),
            "Value error, Metadata cannot have more than 10 keys",
            body["metadata"].clone(),
        ));
    }
    let immediate = bool_field(&body, "immediate_claim")?.unwrap_or(false);
    let si = container(ctx, sub, order)?;
    let xi = ctx.world.assign_seat(si, holder, metadata, immediate)?;
    let r = ctx.render();
    Reply::ok(render::seat(&r, &r.seats[xi]))
}

/// `?subscription_id=` or `?order_id=` → `SeatsList`.
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    let get = |key: &str| -> Result<Option<String>, ApiError> {
        match q.iter().find(|(k, _)| k == key) {
            Some((_, v)) if !is_uuid(v) => Err(uuid_error(json!(["query", key]), v)),
            Some((_, v)) => Ok(Some(v.clone())),
            None => Ok(None),
        }
    };
    let (sub, order) = (get("subscription_id")?, get("order_id")?);
    let si = container(ctx, sub, order)?;
    ctx.world.check_seats_enabled()?;
    Reply::ok(render::seats_list(&ctx.render(), si))
}

/// Revokes the seat and answers it (revoking a revoked seat changes nothing).
fn revoke(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = path_uuid(ctx.param(0))?.to_string();
    let xi = ctx
        .world
        .seat_index(&id)
        .ok_or_else(|| ApiError::new(404, "ResourceNotFound", "Seat not found"))?;
    ctx.world.revoke_seat(xi)?;
    let r = ctx.render();
    Reply::ok(render::seat(&r, &r.seats[xi]))
}
