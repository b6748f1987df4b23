//! Checkouts: create, get, list, and the public client endpoints the hosted page (and any
//! custom checkout page) calls: get, update, confirm.

use chrono::Duration;
use serde_json::{json, Map, Value};

use super::input::{
    address_field, admits, card_field, email_field, email_ok, email_refusal_item, int_field,
    is_uuid, metadata_field, str_field, url_field, uuid_error, uuid_filters,
};
use super::render;
use super::Request as _;
use crate::polar::email::check_deliverable;
use crate::polar_mock::answer::{ApiError, Reply};
use crate::polar_mock::handler::{Auth, Ctx, Route};
use crate::polar_mock::world::{
    new_id, seat_bounds, token, CheckoutFields, CheckoutStatus, ProductPrice, ProductVisibility,
    World,
};

pub(crate) const ROUTES: &[Route] = &[
    Route::new("checkouts:list", "GET", "/v1/checkouts/", Auth::Org, list),
    Route::new(
        "checkouts:create",
        "POST",
        "/v1/checkouts/",
        Auth::Org,
        create,
    ),
    Route::new("checkouts:get", "GET", "/v1/checkouts/{id}", Auth::Org, get),
    Route::new(
        "checkouts:client_get",
        "GET",
        "/v1/checkouts/client/{client_secret}",
        Auth::Public,
        client_get,
    ),
    Route::new(
        "checkouts:client_update",
        "PATCH",
        "/v1/checkouts/client/{client_secret}",
        Auth::Public,
        client_update,
    ),
    Route::new(
        "checkouts:client_confirm",
        "POST",
        "/v1/checkouts/client/{client_secret}/confirm",
        Auth::Public,
        client_confirm,
    ),
    Route::new(
        STREAM_OP,
        "GET",
        "/v1/checkouts/client/{client_secret}/stream",
        Auth::Public,
        client_stream,
    ),
];

/// The checkout's event stream is outside Polar's OpenAPI document
/// (`server/polar/checkout/endpoints.py:307`, `include_in_schema=False`), so it has no
/// operation id of Polar's; the mock names it like the others.
pub(crate) const STREAM_OP: &str = "checkouts:client_stream";

/// `products` (or the deprecated `product_id`): UUIDs of existing, unarchived, non-draft
/// products.
fn products_field(state: &World, body: &Map<String, Value>) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = match (body.get("products"), body.get("product_id")) {
        (Some(Value::Array(items)), _) => {
            if items.is_empty() {
                return Err(ApiError::validation_ctx(
                    "RequestValidationError",
                    "too_short",
                    json!(["body", "products"]),
                    "List should have at least 1 item after validation, not 0",
                    json!([]),
                    json!({"field_type": "List", "min_length": 1, "actual_length": 0}),
                ));
            }
            let mut ids = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(s) if is_uuid(s) => ids.push(s.to_string()),
                    _ => return Err(uuid_error(json!(["body", "products", i]), &v.to_string())),
                }
            }
            ids
        }
        (Some(v), _) if !v.is_null() => {
            return Err(ApiError::validation(
                "RequestValidationError",
                "list_type",
                json!(["body", "products"]),
                "Input should be a valid list",
                v.clone(),
            ))
        }
        (_, Some(Value::String(pid))) if is_uuid(pid) => vec![pid.clone()],
        _ => {
            return Err(ApiError::missing(
                json!(["body", "products"]),
                Value::Object(body.clone()),
            ))
        }
    };
    for (i, pid) in ids.iter().enumerate() {
        let loc = json!(["body", "products", i]);
        let Some(p) = state.product(pid) else {
            return Err(ApiError::polar_validation(
                loc,
                "Product does not exist.",
                json!(pid),
            ));
        };
        if p.is_archived {
            return Err(ApiError::polar_validation(
                loc,
                "Product is archived.",
                json!(pid),
            ));
        }
        if p.visibility == ProductVisibility::Draft {
            return Err(ApiError::polar_validation(
                loc,
                "Product is a draft.",
                json!(pid),
            ));
        }
    }
    Ok(ids)
}

/// A checkout's `seats`, `min_seats` and `max_seats`.
type SeatFields = (Option<i64>, Option<i64>, Option<i64>);

/// `seats`, `min_seats`, `max_seats` for `price`: only on seat-based prices; the seat count
/// defaults to `min_seats`, then the price's minimum, and must fall within the bounds.
/// `units` and its bounds are refused (unit-based prices are not modelled).
fn seats_fields(price: &ProductPrice, body: &Map<String, Value>) -> Result<SeatFields, ApiError> {
    let seats = int_field(body, "seats", 1, 10000)?;
    let min_seats = int_field(body, "min_seats", 1, 10000)?;
    let max_seats = int_field(body, "max_seats", 1, 10000)?;
    for key in ["units", "min_units", "max_units"] {
        if body.get(key).is_some_and(|v| !v.is_null()) {
            return Err(ApiError::polar_validation(
                json!(["body", key]),
                "Units can only be set for unit-based pricing.",
                body[key].clone(),
            ));
        }
    }
    if !crate::polar_mock::world::is_seat_based(price) {
        if let Some(key) = [
            ("seats", seats),
            ("min_seats", min_seats),
            ("max_seats", max_seats),
        ]
        .iter()
        .find(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        {
            return Err(ApiError::polar_validation(
                json!(["body", key]),
                "Seats can only be set for seat-based pricing.",
                body[key].clone(),
            ));
        }
        return Ok((None, None, None));
    }
    let (price_min, price_max) = seat_bounds(price);
    let n = seats.or(min_seats).unwrap_or(price_min);
    let lo = min_seats.unwrap_or(price_min);
    let hi = max_seats.or(price_max);
    if n < lo {
        return Err(ApiError {
            status: 422,
            body: json!({"error": "PolarRequestValidationError", "detail": [{"type": "greater_than_equal", "loc": ["body", "seats"], "msg": format!("Minimum {lo} seats required."), "input": n, "ctx": {"ge": lo}}]}),
        });
    }
    if let Some(hi) = hi.filter(|hi| n > *hi) {
        return Err(ApiError {
            status: 422,
            body: json!({"error": "PolarRequestValidationError", "detail": [{"type": "less_than_equal", "loc": ["body", "seats"], "msg": format!("Maximum {hi} seats allowed."), "input": n, "ctx": {"le": hi}}]}),
        });
    }
    Ok((Some(n), min_seats, max_seats))
}

/// `customer_id` (must exist) or the customer with `external_customer_id`, if any.
fn checkout_customer(
    state: &World,
    body: &Map<String, Value>,
    external: Option<&String>,
) -> Result<Option<String>, ApiError> {
    match str_field(body, "customer_id", 64)? {
        Some(id) if !is_uuid(&id) => Err(uuid_error(json!(["body", "customer_id"]), &id)),
        Some(id) if state.customer(&id).is_none() => Err(ApiError::polar_validation(
            json!(["body", "customer_id"]),
            "Customer does not exist.",
            json!(id),
        )),
        Some(id) => Ok(Some(id)),
        None => Ok(external
            .and_then(|e| state.customer_by_external(e))
            .map(|ci| state.customers[ci].id.clone())),
    }
}

/// `customer_email` of `CheckoutCreate`, the union `CheckoutProductsCreate |
/// CheckoutProductCreate | CheckoutPriceCreate` (`server/polar/checkout/schemas.py:394-399`,
/// `customer_email: CustomerEmail` = `EmailStrDNS` at 84-87 and 307): pydantic tries every
/// member, so a refused address is one item per member, under the member's name, each
/// member also missing its own product key when the body does not have it.
fn create_email(body: &Map<String, Value>) -> Result<Option<String>, ApiError> {
    let email = str_field(body, "customer_email", 320)?;
    let Some(refusal) = email.as_deref().and_then(|e| check_deliverable(e).err()) else {
        return Ok(email);
    };
    let input = email.as_deref().unwrap_or_default();
    let mut items = Vec::new();
    for (member, key) in [
        ("CheckoutProductsCreate", "products"),
        ("CheckoutProductCreate", "product_id"),
        ("CheckoutPriceCreate", "product_price_id"),
    ] {
        items.push(email_refusal_item(
            json!(["body", member, "customer_email"]),
            input,
            &refusal,
        ));
        if !body.contains_key(key) {
            items.push(json!({"type": "missing", "loc": ["body", member, key],
                "msg": "Field required", "input": Value::Object(body.clone())}));
        }
    }
    Err(ApiError::validation_items("RequestValidationError", items))
}

fn create(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let body = ctx.body()?;
    // Schema validation (the email) comes before the business checks (the products).
    let customer_email = create_email(&body)?;
    let state = &mut *ctx.world;
    let products = products_field(state, &body)?;
    let price = state
        .product(&products[0])
        .and_then(|p| p.prices.iter().find(|x| !x.is_archived))
        .cloned()
        .ok_or_else(|| {
            ApiError::polar_validation(
                json!(["body", "products", 0]),
                "Product has no price.",
                json!(products[0]),
            )
        })?;
    let (seats, min_seats, max_seats) = seats_fields(&price, &body)?;
    let success_url = url_field(&body, "success_url")?;
    let return_url = url_field(&body, "return_url")?;
    let customer_name = str_field(&body, "customer_name", 256)?;
    let billing = address_field(&body, "customer_billing_address")?;
    let external = match str_field(&body, "external_customer_id", 1000)? {
        Some(e) => Some(e),
        None => str_field(&body, "customer_external_id", 1000)?,
    };
    let metadata = metadata_field(&body, "metadata")?.unwrap_or_default();
    let customer_metadata = metadata_field(&body, "customer_metadata")?.unwrap_or_default();
    let customer_id = checkout_customer(state, &body, external.as_ref())?;
    // A known customer pre-fills the buyer's fields, as on Polar.
    let known = customer_id.as_deref().and_then(|id| state.customer(id));
    let customer_email = customer_email.or_else(|| known.map(|c| c.email.clone()));
    let customer_name = customer_name.or_else(|| known.and_then(|c| c.name.clone()));
    let billing = billing.or_else(|| known.and_then(|c| c.billing_address.clone()));
    let external = external.or_else(|| known.and_then(|c| c.external_id.clone()));
    let now = state.now();
    let id = new_id();
    let checkout = crate::polar_mock::world::Checkout {
        success_url: success_url.map(|u| u.replace("{CHECKOUT_ID}", &id)),
        id,
        client_secret: token("polar_c_"),
        created_at: now,
        modified_at: None,
        expires_at: now + Duration::hours(24),
        status: CheckoutStatus::Open,
        product_ids: products.clone(),
        product_id: products[0].clone(),
        price,
        seats,
        min_seats,
        max_seats,
        return_url,
        customer_email,
        customer_name,
        customer_billing_address: billing,
        external_customer_id: external,
        customer_id,
        metadata,
        customer_metadata,
    };
    let i = state.add_checkout(checkout);
    let r = ctx.render();
    Reply::created(render::checkout(&r, &r.checkouts[i]))
}

fn get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let id = ctx.id()?;
    let i = ctx
        .world
        .checkout_index(&id)
        .ok_or_else(ApiError::not_found)?;
    Reply::ok(render::checkout(&ctx.render(), &ctx.world.checkouts[i]))
}

/// Newest first; filters `organization_id`, `product_id`, `customer_id`,
/// `external_customer_id`, `status`, `query` (customer email); `sorting` is ignored.
fn list(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let q = ctx.query();
    uuid_filters(&q, &["organization_id", "product_id", "customer_id"])?;
    let state = &*ctx.world;
    let needle = q
        .iter()
        .find(|(k, _)| k == "query")
        .map(|(_, v)| v.to_lowercase());
    let mut found: Vec<_> = state
        .checkouts
        .iter()
        .filter(|c| {
            let external = c
                .customer_id
                .as_deref()
                .and_then(|id| state.customer(id))
                .and_then(|cu| cu.external_id.as_deref())
                .or(c.external_customer_id.as_deref());
            admits(&q, "organization_id", Some(state.org_id()))
                && admits(&q, "product_id", Some(&c.product_id))
                && admits(&q, "customer_id", c.customer_id.as_deref())
                && admits(&q, "external_customer_id", external)
                && admits(&q, "status", Some(c.status.as_str()))
                && needle.as_ref().is_none_or(|n| {
                    c.customer_email
                        .as_deref()
                        .is_some_and(|e| e.to_lowercase().contains(n))
                })
        })
        .collect();
    found.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let items = found
        .iter()
        .map(|c| render::checkout(&ctx.render(), c))
        .collect();
    ctx.page(items)
}

fn by_secret(ctx: &Ctx<'_>) -> Result<usize, ApiError> {
    ctx.world
        .checkout_by_secret(ctx.param(0))
        .ok_or_else(ApiError::not_found)
}

fn client_get(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = by_secret(ctx)?;
    let c = &ctx.world.checkouts[i];
    if ctx.world.now() > c.expires_at && c.status == CheckoutStatus::Open {
        return Err(ApiError::new(
            410,
            "ExpiredCheckoutError",
            "This checkout session has expired.",
        ));
    }
    Reply::ok(render::checkout_public(&ctx.render(), c))
}

/// The checkout's events as Polar's page listens for them on
/// `GET /v1/checkouts/client/{secret}/stream` (server-sent events, each
/// `data: {"key": …, "payload": …}`; `server/polar/eventstream/service.py:45-76`):
/// `checkout.updated` with the status, `checkout.order_created` once the order exists, and
/// `checkout.webhook_event_delivered` once the merchant's endpoint answered 2xx to the
/// `checkout.updated` of the succeeded checkout (`server/polar/webhook/service.py:338-372`) —
/// or at once when no endpoint takes `checkout.updated`
/// (`server/polar/checkout/service.py:3047-3062`). Polar's stream pushes events as they
/// happen; the mock answers with what has happened so far and Polar's own `reconnect`
/// message, and the client connects again (`retry: 500`).
fn client_stream(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = by_secret(ctx)?;
    let c = &ctx.world.checkouts[i];
    let status = c.status.as_str();
    let mut events = vec![json!({"key": "checkout.updated", "payload": {"status": status}})];
    if ctx
        .world
        .orders
        .iter()
        .any(|o| o.checkout_id.as_deref() == Some(c.id.as_str()))
    {
        events.push(json!({"key": "checkout.order_created", "payload": {}}));
    }
    let subscribed = ctx
        .world
        .endpoints
        .iter()
        .any(|e| e.enabled && e.events.iter().any(|k| k == "checkout.updated"));
    let delivered = c.status == CheckoutStatus::Succeeded
        && (!subscribed
            || ctx.shared.webhooks.delivered(|e| {
                e.kind == "checkout.updated"
                    && e.data["id"].as_str() == Some(c.id.as_str())
                    && e.data["status"] == "succeeded"
            }));
    if delivered {
        events.push(
            json!({"key": "checkout.webhook_event_delivered", "payload": {"status": status}}),
        );
    }
    events.push(json!({"type": "reconnect"}));
    let mut body = String::from("retry: 500\n\n");
    for e in events {
        body.push_str(&format!("data: {e}\n\n"));
    }
    Ok(Reply::Text {
        status: 200,
        content_type: "text/event-stream",
        body,
        headers: vec![("Cache-Control", "no-cache".into())],
    })
}

/// The buyer's fields: `customer_email`, `customer_name`, `customer_billing_address`,
/// `seats`. Other `CheckoutUpdatePublic` fields (custom fields, locale, discount codes,
/// business purchase) are accepted and ignored.
fn buyer_fields(body: &Map<String, Value>) -> Result<CheckoutFields, ApiError> {
    Ok(CheckoutFields {
        email: str_field(body, "customer_email", 320)?,
        name: str_field(body, "customer_name", 256)?,
        billing_address: address_field(body, "customer_billing_address")?,
        seats: int_field(body, "seats", 1, 10000)?,
    })
}

fn client_update(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = by_secret(ctx)?;
    let body = ctx.body()?;
    email_field(&body, "customer_email")?;
    let fields = buyer_fields(&body)?;
    if fields.seats.is_some()
        && !crate::polar_mock::world::is_seat_based(&ctx.world.checkouts[i].price)
    {
        return Err(ApiError::polar_validation(
            json!(["body", "seats"]),
            "Seats can only be set for seat-based pricing.",
            body["seats"].clone(),
        ));
    }
    ctx.world.update_checkout(i, fields)?;
    Reply::ok(render::checkout_public(
        &ctx.render(),
        &ctx.world.checkouts[i],
    ))
}

/// Checks what the hosted page requires before paying: a valid email, the cardholder name, a
/// billing country (plus line 1, city, postal code and state for the US; state for Canada).
fn require_payable(f: &CheckoutFields) -> Result<(), ApiError> {
    let email = f.email.as_deref().unwrap_or("");
    if !email_ok(email) {
        return Err(ApiError::validation(
            "RequestValidationError",
            "value_error",
            json!(["body", "customer_email"]),
            "Enter a valid email address.",
            json!(email),
        ));
    }
    if f.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(ApiError::validation(
            "RequestValidationError",
            "missing",
            json!(["body", "customer_name"]),
            "Enter the cardholder name.",
            Value::Null,
        ));
    }
    let Some(a) = &f.billing_address else {
        return Err(ApiError::missing(
            json!(["body", "customer_billing_address", "country"]),
            Value::Null,
        ));
    };
    let required: &[&str] = match a.country.as_str() {
        "US" => &["line1", "city", "postal_code", "state"],
        "CA" => &["state"],
        _ => &[],
    };
    for field in required {
        let value = match *field {
            "line1" => &a.line1,
            "city" => &a.city,
            "postal_code" => &a.postal_code,
            _ => &a.state,
        };
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            return Err(ApiError::missing(
                json!(["body", "customer_billing_address", field]),
                Value::Null,
            ));
        }
    }
    Ok(())
}

/// Pays the checkout. The card comes from `confirmation_token_id` (a Stripe test payment
/// method: `pm_card_visa`, `pm_card_chargeDeclined`, `pm_card_chargeCustomerFail`) or, from
/// the mock's own page, `card: {number, expiry, cvc}`. Fields the checkout already has
/// (email, name, address) need not be sent again.
fn client_confirm(ctx: &mut Ctx<'_>) -> Result<Reply, ApiError> {
    let i = by_secret(ctx)?;
    let body = ctx.body()?;
    // `CheckoutConfirmStripe.customer_email` is `EmailStrDNS` (checkout/schemas.py:435).
    email_field(&body, "customer_email")?;
    let mut f = buyer_fields(&body)?;
    {
        let c = &ctx.world.checkouts[i];
        f.email = f.email.or_else(|| c.customer_email.clone());
        f.name = f.name.or_else(|| c.customer_name.clone());
        f.billing_address = f
            .billing_address
            .or_else(|| c.customer_billing_address.clone());
    }
    require_payable(&f)?;
    let now = ctx.world.now();
    let card = card_field(&body, now, "PaymentError")?;
    let session = ctx.world.confirm_checkout(i, f, card)?;
    Reply::ok(render::checkout_confirmed(
        &ctx.render(),
        &ctx.world.checkouts[i],
        &session,
    ))
}
