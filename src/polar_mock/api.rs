//! The REST API under `/v1/`: Bearer organization-token checks with Polar's exact 401s,
//! products, checkouts (and the public client endpoints the hosted page calls), customer
//! sessions, customer state, subscriptions, webhook endpoints, and the few customer-portal
//! calls the portal page makes. Validation failures use Polar's 422 shape.

use chrono::Duration;
use serde_json::{json, Map, Value};
use wiremock::{Request, ResponseTemplate};

use super::state::{classify_card, new_id, token, ApiError, Checkout, Endpoint, State};

pub(crate) const INVALID_TOKEN_BODY: &str = "{\"error\": \"invalid_token\", \"error_description\": \"The access token provided is expired, revoked, malformed, or invalid for other reasons.\"}";
const INVALID_TOKEN_HEADER: &str = "Bearer realm=\"polar\", error=\"invalid_token\", error_description=\"The access token provided is expired, revoked, malformed, or invalid for other reasons.\"";

const EVENT_TYPES: &[&str] = &[
    "checkout.created",
    "checkout.updated",
    "checkout.expired",
    "customer.created",
    "customer.updated",
    "customer.deleted",
    "customer.state_changed",
    "customer_seat.assigned",
    "customer_seat.claimed",
    "customer_seat.revoked",
    "member.created",
    "member.updated",
    "member.deleted",
    "order.created",
    "order.updated",
    "order.paid",
    "order.refunded",
    "subscription.created",
    "subscription.updated",
    "subscription.active",
    "subscription.canceled",
    "subscription.uncanceled",
    "subscription.cycled",
    "subscription.revoked",
    "subscription.past_due",
    "subscription.paused",
    "subscription.resumed",
    "refund.created",
    "refund.updated",
    "product.created",
    "product.updated",
    "discount.created",
    "discount.updated",
    "discount.deleted",
    "organization.updated",
    "benefit.created",
    "benefit.updated",
    "benefit_grant.created",
    "benefit_grant.updated",
    "benefit_grant.cycled",
    "benefit_grant.revoked",
];

type Handler = fn(&mut State, &Request, &[&str]) -> Result<ResponseTemplate, ApiError>;

pub(crate) fn json_reply(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

fn error_reply(e: ApiError) -> ResponseTemplate {
    json_reply(e.status, &e.body)
}

fn not_found_route() -> ResponseTemplate {
    json_reply(404, &json!({"detail": "Not Found"}))
}

fn unauthorized() -> ResponseTemplate {
    json_reply(
        401,
        &json!({"error": "Unauthorized", "detail": "Unauthorized"}),
    )
    .insert_header("WWW-Authenticate", "Bearer realm=\"polar\"")
}

fn invalid_token() -> ResponseTemplate {
    ResponseTemplate::new(401)
        .set_body_raw(INVALID_TOKEN_BODY, "application/json")
        .insert_header("WWW-Authenticate", INVALID_TOKEN_HEADER)
        .insert_header("Cache-Control", "no-store")
        .insert_header("Pragma", "no-cache")
}

fn bearer(req: &Request) -> Option<String> {
    let v = req.headers.get("authorization")?.to_str().ok()?;
    let (scheme, tok) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| tok.trim().to_string())
}

fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

fn uuid_error(loc: Value, input: &str) -> ApiError {
    ApiError::validation(
        "RequestValidationError",
        "uuid_parsing",
        loc,
        "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1",
        json!(input),
    )
}

fn body_json(req: &Request) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(&req.body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => Err(ApiError::validation(
            "RequestValidationError",
            "model_attributes_type",
            json!(["body"]),
            "Input should be a valid dictionary or object to extract fields from",
            other,
        )),
        Err(_) => Err(ApiError::validation(
            "RequestValidationError",
            "json_invalid",
            json!(["body", 0]),
            "JSON decode error",
            json!({}),
        )),
    }
}

fn query(req: &Request) -> Vec<(String, String)> {
    req.url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// Handles `/v1/…`. `segs` are the path segments after `v1` (a trailing slash gives a final
/// empty segment, as in Polar's `/v1/products/`).
pub(crate) fn handle(state: &mut State, req: &Request, segs: &[&str]) -> ResponseTemplate {
    let method = req.method.as_str();
    // Public endpoints of the hosted checkout, authenticated by the client secret.
    if segs.len() >= 3 && segs[0] == "checkouts" && segs[1] == "client" {
        return checkout_client(state, req, method, &segs[2..]).unwrap_or_else(error_reply);
    }
    if segs.first() == Some(&"customer-portal") {
        return customer_portal(state, req, method, &segs[1..]).unwrap_or_else(error_reply);
    }
    // The token middleware runs before routing.
    let tok = bearer(req);
    let header_present = req.headers.get("authorization").is_some();
    if header_present && tok.as_deref() != Some(state.seed.organization.token.as_str()) {
        return invalid_token();
    }
    let authed = tok.is_some();
    let route: Option<Handler> = match (method, segs) {
        ("GET", ["products", ""]) => Some(list_products),
        ("GET", ["products", _]) => Some(get_product),
        ("POST", ["checkouts", ""]) => Some(create_checkout),
        ("GET", ["checkouts", id]) if !id.is_empty() => Some(get_checkout),
        ("POST", ["customer-sessions", ""]) => Some(create_session),
        ("GET", ["customers", ""]) => Some(list_customers),
        ("GET", ["customers", _, "state"]) => Some(customer_state),
        ("GET", ["customers", "external", _, "state"]) => Some(customer_state_external),
        ("GET", ["subscriptions", ""]) => Some(list_subscriptions),
        ("GET", ["subscriptions", _]) => Some(get_subscription),
        ("PATCH", ["subscriptions", _]) => Some(patch_subscription),
        ("DELETE", ["subscriptions", _]) => Some(delete_subscription),
        ("POST", ["webhooks", "endpoints"]) => Some(create_endpoint),
        ("GET", ["webhooks", "endpoints"]) => Some(list_endpoints),
        _ => None,
    };
    let Some(route) = route else {
        return not_found_route();
    };
    if !authed {
        return unauthorized();
    }
    route(state, req, segs).unwrap_or_else(error_reply)
}

// ------------------------------------------------------------------ products

fn page_params(req: &Request) -> Result<(usize, usize), ApiError> {
    let mut page = 1usize;
    let mut limit = 10usize;
    for (k, v) in query(req) {
        let parsed = v.parse::<usize>();
        match (k.as_str(), parsed) {
            ("page", Ok(n)) if n >= 1 => page = n,
            ("limit", Ok(n)) if (1..=100).contains(&n) => limit = n,
            ("page", _) | ("limit", _) => {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "greater_than",
                    json!(["query", k]),
                    "Input should be a valid integer in range",
                    json!(v),
                ))
            }
            _ => {}
        }
    }
    Ok((page, limit))
}

fn paginate(items: Vec<Value>, page: usize, limit: usize) -> Value {
    let total = items.len();
    let max_page = total.div_ceil(limit).max(1);
    let items: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    json!({"items": items, "pagination": {"total_count": total, "max_page": max_page}})
}

fn list_products(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let (page, limit) = page_params(req)?;
    let q = query(req);
    let items = state
        .products
        .iter()
        .filter(|p| {
            q.iter().all(|(k, v)| match k.as_str() {
                "id" => p["id"].as_str() == Some(v),
                "organization_id" => p["organization_id"].as_str() == Some(v),
                "is_archived" => p["is_archived"].as_bool() == Some(v == "true"),
                "is_recurring" => p["is_recurring"].as_bool() == Some(v == "true"),
                "visibility" => p["visibility"].as_str() == Some(v),
                "query" => p["name"]
                    .as_str()
                    .is_some_and(|n| n.to_lowercase().contains(&v.to_lowercase())),
                _ => true,
            })
        })
        .cloned()
        .collect();
    Ok(json_reply(200, &paginate(items, page, limit)))
}

fn get_product(
    state: &mut State,
    _: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let id = segs[1];
    if !is_uuid(id) {
        return Err(uuid_error(json!(["path", "id"]), id));
    }
    state
        .product(id)
        .map(|p| json_reply(200, p))
        .ok_or_else(ApiError::not_found)
}

// ------------------------------------------------------------------ checkouts

fn int_field(
    body: &Map<String, Value>,
    key: &str,
    min: i64,
    max: i64,
) -> Result<Option<i64>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let Some(n) = v.as_i64() else {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "int_type",
                    json!(["body", key]),
                    "Input should be a valid integer",
                    v.clone(),
                ));
            };
            if n < min {
                return Err(ApiError {
                    status: 422,
                    body: json!({"error": "RequestValidationError", "detail": [{"type": "greater_than_equal", "loc": ["body", key], "msg": format!("Input should be greater than or equal to {min}"), "input": n, "ctx": {"ge": min}}]}),
                });
            }
            if n > max {
                return Err(ApiError {
                    status: 422,
                    body: json!({"error": "RequestValidationError", "detail": [{"type": "less_than_equal", "loc": ["body", key], "msg": format!("Input should be less than or equal to {max}"), "input": n, "ctx": {"le": max}}]}),
                });
            }
            Ok(Some(n))
        }
    }
}

fn str_field(
    body: &Map<String, Value>,
    key: &str,
    max_len: usize,
) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max_len => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(ApiError {
            status: 422,
            body: json!({"error": "RequestValidationError", "detail": [{"type": "string_too_long", "loc": ["body", key], "msg": format!("String should have at most {max_len} characters"), "input": s, "ctx": {"max_length": max_len}}]}),
        }),
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "string_type",
            json!(["body", key]),
            "Input should be a valid string",
            v.clone(),
        )),
    }
}

fn url_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    let v = str_field(body, key, 2083)?;
    if let Some(u) = &v {
        let ok = (u.starts_with("http://") || u.starts_with("https://"))
            && u.split("://").nth(1).is_some_and(|rest| !rest.is_empty());
        if !ok {
            return Err(ApiError::validation(
                "RequestValidationError",
                "url_parsing",
                json!(["body", key]),
                "Input should be a valid URL, relative URL without a base",
                json!(u),
            ));
        }
    }
    Ok(v)
}

fn metadata_field(body: &Map<String, Value>, key: &str) -> Result<Map<String, Value>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(m)) => {
            if m.len() > 50 {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "too_long",
                    json!(["body", key]),
                    "Dictionary should have at most 50 items after validation",
                    Value::Object(m.clone()),
                ));
            }
            for (k, v) in m {
                let bad_value = match v {
                    Value::String(s) => s.chars().count() > 500,
                    Value::Number(_) | Value::Bool(_) => false,
                    _ => true,
                };
                if k.chars().count() > 40 || k.is_empty() || bad_value {
                    return Err(ApiError::validation(
                        "RequestValidationError",
                        "value_error",
                        json!(["body", key, k]),
                        "Metadata keys are at most 40 characters; values are strings of at most 500 characters, integers, numbers or booleans",
                        v.clone(),
                    ));
                }
            }
            Ok(m.clone())
        }
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "dict_type",
            json!(["body", key]),
            "Input should be a valid dictionary",
            v.clone(),
        )),
    }
}

fn email_ok(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !e.contains(' ')
}

fn address_field(
    body: &Map<String, Value>,
    key: &str,
    loc_root: &str,
) -> Result<Option<Value>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => {
            let country = m.get("country").and_then(Value::as_str);
            let Some(country) = country else {
                return Err(ApiError::missing(
                    json!([loc_root, key, "country"]),
                    Value::Object(m.clone()),
                ));
            };
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "enum",
                    json!([loc_root, key, "country"]),
                    "Input should be a valid ISO 3166-1 alpha-2 country code",
                    json!(country),
                ));
            }
            let mut out = Map::new();
            for f in ["line1", "line2", "postal_code", "city", "state"] {
                out.insert(f.into(), m.get(f).cloned().unwrap_or(Value::Null));
            }
            out.insert("country".into(), json!(country));
            Ok(Some(Value::Object(out)))
        }
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "model_type",
            json!([loc_root, key]),
            "Input should be a valid dictionary or object",
            v.clone(),
        )),
    }
}

fn polar_validation(loc: Value, msg: &str, input: Value) -> ApiError {
    ApiError::validation(
        "PolarRequestValidationError",
        "value_error",
        loc,
        msg,
        input,
    )
}

fn create_checkout(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let body = body_json(req)?;
    // `products` (or the deprecated `product_id`).
    let products: Vec<String> = match (body.get("products"), body.get("product_id")) {
        (Some(Value::Array(items)), _) => {
            if items.is_empty() {
                return Err(ApiError {
                    status: 422,
                    body: json!({"error": "RequestValidationError", "detail": [{"type": "too_short", "loc": ["body", "products"], "msg": "List should have at least 1 item after validation, not 0", "input": [], "ctx": {"field_type": "List", "min_length": 1, "actual_length": 0}}]}),
                });
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
    for (i, pid) in products.iter().enumerate() {
        let Some(p) = state.product(pid) else {
            return Err(polar_validation(
                json!(["body", "products", i]),
                "Product does not exist.",
                json!(pid),
            ));
        };
        if p["is_archived"].as_bool() == Some(true) {
            return Err(polar_validation(
                json!(["body", "products", i]),
                "Product is archived.",
                json!(pid),
            ));
        }
        if p["visibility"].as_str() == Some("draft") {
            return Err(polar_validation(
                json!(["body", "products", i]),
                "Product is a draft.",
                json!(pid),
            ));
        }
    }
    let product = state.product(&products[0]).cloned().unwrap_or(Value::Null);
    let price = product["prices"]
        .as_array()
        .and_then(|p| p.iter().find(|x| x["is_archived"].as_bool() != Some(true)))
        .cloned()
        .ok_or_else(|| {
            polar_validation(
                json!(["body", "products", 0]),
                "Product has no price.",
                json!(products[0]),
            )
        })?;
    let seats = int_field(&body, "seats", 1, 10000)?;
    let min_seats = int_field(&body, "min_seats", 1, 10000)?;
    let max_seats = int_field(&body, "max_seats", 1, 10000)?;
    let seat_based = price["amount_type"].as_str() == Some("seat_based");
    if !seat_based && (seats.is_some() || min_seats.is_some() || max_seats.is_some()) {
        let key = if seats.is_some() {
            "seats"
        } else if min_seats.is_some() {
            "min_seats"
        } else {
            "max_seats"
        };
        return Err(polar_validation(
            json!(["body", key]),
            "Seats can only be set for seat-based pricing.",
            body[key].clone(),
        ));
    }
    let seats = if seat_based {
        let n = seats
            .or(min_seats)
            .or(price["seat_tiers"]["minimum_seats"].as_i64())
            .unwrap_or(1);
        let lo = min_seats
            .or(price["seat_tiers"]["minimum_seats"].as_i64())
            .unwrap_or(1);
        let hi = max_seats.or(price["seat_tiers"]["maximum_seats"].as_i64());
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
        Some(n)
    } else {
        None
    };
    let success_url = url_field(&body, "success_url")?;
    let return_url = url_field(&body, "return_url")?;
    let customer_email = str_field(&body, "customer_email", 320)?;
    if let Some(e) = &customer_email {
        if !email_ok(e) {
            return Err(ApiError::validation(
                "RequestValidationError",
                "value_error",
                json!(["body", "customer_email"]),
                "value is not a valid email address: An email address must have an @-sign.",
                json!(e),
            ));
        }
    }
    let customer_name = str_field(&body, "customer_name", 256)?;
    let billing = address_field(&body, "customer_billing_address", "body")?;
    let external = match str_field(&body, "external_customer_id", 1000)? {
        Some(e) => Some(e),
        None => str_field(&body, "customer_external_id", 1000)?,
    };
    let metadata = metadata_field(&body, "metadata")?;
    let customer_metadata = metadata_field(&body, "customer_metadata")?;
    let customer_id = match str_field(&body, "customer_id", 64)? {
        Some(id) if !is_uuid(&id) => return Err(uuid_error(json!(["body", "customer_id"]), &id)),
        Some(id) if state.customer(&id).is_none() => {
            return Err(polar_validation(
                json!(["body", "customer_id"]),
                "Customer does not exist.",
                json!(id),
            ))
        }
        other => other,
    };
    let customer_id = customer_id.or_else(|| {
        external.as_ref().and_then(|e| {
            state
                .customers
                .iter()
                .find(|c| c.external_id.as_ref() == Some(e))
                .map(|c| c.id.clone())
        })
    });
    let now = state.now();
    let id = new_id();
    let success_url = success_url.map(|u| u.replace("{CHECKOUT_ID}", &id));
    let checkout = Checkout {
        id,
        client_secret: token("polar_c_"),
        created_at: now,
        modified_at: None,
        expires_at: now + Duration::hours(24),
        status: "open".into(),
        product_ids: products.clone(),
        product_id: products[0].clone(),
        price,
        seats,
        min_seats,
        max_seats,
        success_url,
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
    Ok(json_reply(201, &state.render_checkout(&state.checkouts[i])))
}

fn get_checkout(
    state: &mut State,
    _: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let id = segs[1];
    if !is_uuid(id) {
        return Err(uuid_error(json!(["path", "id"]), id));
    }
    let c = state
        .checkouts
        .iter()
        .find(|c| c.id == id)
        .ok_or_else(ApiError::not_found)?;
    Ok(json_reply(200, &state.render_checkout(c)))
}

/// `GET /v1/checkouts/client/{secret}` and `POST …/{secret}/confirm` (the hosted page's calls).
/// The mock's confirm body carries the card fields in `card` instead of a Stripe
/// ConfirmationToken id.
fn checkout_client(
    state: &mut State,
    req: &Request,
    method: &str,
    rest: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let i = state
        .checkout_by_secret(rest[0])
        .ok_or_else(ApiError::not_found)?;
    match (method, &rest[1..]) {
        ("GET", []) => Ok(json_reply(200, &state.render_checkout(&state.checkouts[i]))),
        ("POST", ["confirm"]) => {
            let body = body_json(req)?;
            let email = str_field(&body, "customer_email", 320)?
                .or_else(|| state.checkouts[i].customer_email.clone())
                .unwrap_or_default();
            if !email_ok(&email) {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "value_error",
                    json!(["body", "customer_email"]),
                    "Enter a valid email address.",
                    json!(email),
                ));
            }
            let name = str_field(&body, "customer_name", 256)?;
            if name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "missing",
                    json!(["body", "customer_name"]),
                    "Enter the cardholder name.",
                    Value::Null,
                ));
            }
            let address = address_field(&body, "customer_billing_address", "body")?;
            if let Some(a) = &address {
                let country = a["country"].as_str().unwrap_or("");
                let mut required: Vec<&str> = Vec::new();
                if country == "US" {
                    required.extend(["line1", "city", "postal_code", "state"]);
                } else if country == "CA" {
                    required.push("state");
                }
                for f in required {
                    if a[f].as_str().is_none_or(|v| v.trim().is_empty()) {
                        return Err(ApiError::missing(
                            json!(["body", "customer_billing_address", f]),
                            Value::Null,
                        ));
                    }
                }
            } else {
                return Err(ApiError::missing(
                    json!(["body", "customer_billing_address", "country"]),
                    Value::Null,
                ));
            }
            let seats = int_field(&body, "seats", 1, 10000)?;
            let card = body.get("card").cloned().unwrap_or(Value::Null);
            let card = classify_card(
                card["number"].as_str().unwrap_or(""),
                card["expiry"].as_str().unwrap_or(""),
                card["cvc"].as_str().unwrap_or(""),
            )
            .map_err(|msg| ApiError::new(400, "PaymentError", &msg))?;
            let token = state.confirm_checkout(i, email, name, address, seats, card)?;
            let mut v = state.render_checkout(&state.checkouts[i]);
            if let Some(m) = v.as_object_mut() {
                m.insert("customer_session_token".into(), json!(token));
            }
            Ok(json_reply(200, &v))
        }
        _ => Ok(not_found_route()),
    }
}

// ------------------------------------------------------------------ customers

fn create_session(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let body = body_json(req)?;
    let return_url = url_field(&body, "return_url")?;
    let customer_id = if let Some(id) = str_field(&body, "customer_id", 64)? {
        if !is_uuid(&id) {
            return Err(uuid_error(json!(["body", "customer_id"]), &id));
        }
        state.customer(&id).map(|c| c.id.clone()).ok_or_else(|| {
            polar_validation(
                json!(["body", "customer_id"]),
                "Customer does not exist.",
                json!(id),
            )
        })?
    } else if let Some(ext) = str_field(&body, "external_customer_id", 1000)? {
        state
            .customers
            .iter()
            .find(|c| c.external_id.as_deref() == Some(ext.as_str()))
            .map(|c| c.id.clone())
            .ok_or_else(|| {
                polar_validation(
                    json!(["body", "external_customer_id"]),
                    "Customer does not exist.",
                    json!(ext),
                )
            })?
    } else {
        return Err(ApiError::missing(
            json!(["body", "customer_id"]),
            Value::Object(body),
        ));
    };
    let session = state.create_session(&customer_id, return_url);
    Ok(json_reply(201, &state.render_session(&session)))
}

/// `GET /v1/customers/`: `ListResource[Customer]`, newest first, filtered by `email`
/// (exact, case-insensitive), `query` (part of the email, name or external id),
/// `organization_id`, and — an extension Polar's list does not document — `external_id`.
fn list_customers(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let (page, limit) = page_params(req)?;
    let q = query(req);
    for (k, v) in &q {
        if k == "organization_id" && !is_uuid(v) {
            return Err(uuid_error(json!(["query", k]), v));
        }
    }
    let mut customers: Vec<_> = state
        .customers
        .iter()
        .filter(|c| {
            q.iter().all(|(k, v)| match k.as_str() {
                "email" => c.email.eq_ignore_ascii_case(v),
                "external_id" => c.external_id.as_deref() == Some(v.as_str()),
                "organization_id" => state.org_id() == v,
                "query" => {
                    let needle = v.to_lowercase();
                    [Some(&c.email), c.name.as_ref(), c.external_id.as_ref()]
                        .into_iter()
                        .flatten()
                        .any(|h| h.to_lowercase().contains(&needle))
                }
                _ => true,
            })
        })
        .collect();
    customers.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    let items = customers.iter().map(|c| state.render_customer(c)).collect();
    Ok(json_reply(200, &paginate(items, page, limit)))
}

fn customer_state(
    state: &mut State,
    _: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let id = segs[1];
    if !is_uuid(id) {
        return Err(uuid_error(json!(["path", "id"]), id));
    }
    let c = state.customer(id).ok_or_else(ApiError::not_found)?;
    Ok(json_reply(200, &state.render_customer_state(c)))
}

fn customer_state_external(
    state: &mut State,
    _: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let ext = percent_decode(segs[2]);
    let c = state
        .customers
        .iter()
        .find(|c| c.external_id.as_deref() == Some(ext.as_str()))
        .ok_or_else(ApiError::not_found)?;
    Ok(json_reply(200, &state.render_customer_state(c)))
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ------------------------------------------------------------------ subscriptions

fn list_subscriptions(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let (page, limit) = page_params(req)?;
    let q = query(req);
    for (k, v) in &q {
        if matches!(k.as_str(), "customer_id" | "product_id" | "organization_id") && !is_uuid(v) {
            return Err(uuid_error(json!(["query", k]), v));
        }
    }
    let mut subs: Vec<_> = state
        .subscriptions
        .iter()
        .filter(|s| {
            q.iter().all(|(k, v)| match k.as_str() {
                "customer_id" => &s.customer_id == v,
                "product_id" => &s.product_id == v,
                "organization_id" => state.org_id() == v,
                "external_customer_id" => state
                    .customer(&s.customer_id)
                    .is_some_and(|c| c.external_id.as_deref() == Some(v.as_str())),
                "status" => &s.status == v,
                "active" => {
                    let active = matches!(s.status.as_str(), "active" | "trialing");
                    active == (v == "true")
                }
                "cancel_at_period_end" => s.cancel_at_period_end == (v == "true"),
                _ => true,
            })
        })
        .collect();
    subs.sort_by_key(|s| std::cmp::Reverse(s.started_at));
    let items = subs.iter().map(|s| state.render_subscription(s)).collect();
    Ok(json_reply(200, &paginate(items, page, limit)))
}

fn sub_index(state: &State, id: &str) -> Result<usize, ApiError> {
    if !is_uuid(id) {
        return Err(uuid_error(json!(["path", "id"]), id));
    }
    state.subscription_index(id).ok_or_else(ApiError::not_found)
}

fn get_subscription(
    state: &mut State,
    _: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let i = sub_index(state, segs[1])?;
    Ok(json_reply(
        200,
        &state.render_subscription(&state.subscriptions[i]),
    ))
}

fn forbid_extra(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
    if let Some(k) = body.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(ApiError::validation(
            "RequestValidationError",
            "extra_forbidden",
            json!(["body", k]),
            "Extra inputs are not permitted",
            body[k].clone(),
        ));
    }
    Ok(())
}

fn patch_subscription(
    state: &mut State,
    req: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let i = sub_index(state, segs[1])?;
    let body = body_json(req)?;
    let reason = str_field(&body, "customer_cancellation_reason", 64)?;
    let comment = str_field(&body, "customer_cancellation_comment", 5000)?;
    if body.contains_key("seats") {
        forbid_extra(&body, &["seats", "proration_behavior"])?;
        let seats = int_field(&body, "seats", 1, 10000)?.ok_or_else(|| {
            ApiError::validation(
                "RequestValidationError",
                "int_type",
                json!(["body", "seats"]),
                "Input should be a valid integer",
                Value::Null,
            )
        })?;
        state.update_seats(i, seats)?;
    } else if body.contains_key("revoke") {
        forbid_extra(
            &body,
            &[
                "revoke",
                "customer_cancellation_reason",
                "customer_cancellation_comment",
            ],
        )?;
        if body["revoke"] != json!(true) {
            return Err(ApiError::validation(
                "RequestValidationError",
                "literal_error",
                json!(["body", "revoke"]),
                "Input should be True",
                body["revoke"].clone(),
            ));
        }
        state.revoke(i, reason, comment)?;
    } else if body.contains_key("cancel_at_period_end") {
        forbid_extra(
            &body,
            &[
                "cancel_at_period_end",
                "customer_cancellation_reason",
                "customer_cancellation_comment",
            ],
        )?;
        match body["cancel_at_period_end"] {
            Value::Bool(true) => state.cancel(i, reason, comment)?,
            Value::Bool(false) => state.uncancel(i)?,
            ref v => {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "bool_type",
                    json!(["body", "cancel_at_period_end"]),
                    "Input should be a valid boolean",
                    v.clone(),
                ))
            }
        }
    } else {
        return Err(ApiError::validation(
            "RequestValidationError",
            "value_error",
            json!(["body"]),
            "The mock supports cancel_at_period_end, revoke and seats updates only.",
            Value::Object(body),
        ));
    }
    Ok(json_reply(
        200,
        &state.render_subscription(&state.subscriptions[i]),
    ))
}

fn delete_subscription(
    state: &mut State,
    _: &Request,
    segs: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let i = sub_index(state, segs[1])?;
    state.revoke(i, None, None)?;
    Ok(json_reply(
        200,
        &state.render_subscription(&state.subscriptions[i]),
    ))
}

// ------------------------------------------------------------------ webhook endpoints

fn create_endpoint(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let body = body_json(req)?;
    let Some(url) = url_field(&body, "url")? else {
        return Err(ApiError::missing(
            json!(["body", "url"]),
            Value::Object(body),
        ));
    };
    let format = match body.get("format") {
        Some(Value::String(f)) if ["raw", "discord", "slack"].contains(&f.as_str()) => f.clone(),
        None => {
            return Err(ApiError::missing(
                json!(["body", "format"]),
                Value::Object(body),
            ))
        }
        Some(v) => {
            return Err(ApiError::validation(
                "RequestValidationError",
                "enum",
                json!(["body", "format"]),
                "Input should be 'raw', 'discord' or 'slack'",
                v.clone(),
            ))
        }
    };
    let events = match body.get("events") {
        Some(Value::Array(items)) => {
            let mut out = Vec::new();
            for (i, v) in items.iter().enumerate() {
                match v.as_str() {
                    Some(e) if EVENT_TYPES.contains(&e) => out.push(e.to_string()),
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
            out
        }
        None => {
            return Err(ApiError::missing(
                json!(["body", "events"]),
                Value::Object(body),
            ))
        }
        Some(v) => {
            return Err(ApiError::validation(
                "RequestValidationError",
                "list_type",
                json!(["body", "events"]),
                "Input should be a valid list",
                v.clone(),
            ))
        }
    };
    let name = str_field(&body, "name", 256)?;
    let e = Endpoint {
        id: new_id(),
        created_at: state.now(),
        url,
        name,
        format,
        secret: token("whsec_"),
        events,
        enabled: true,
    };
    let v = state.render_endpoint(&e);
    state.endpoints.push(e);
    Ok(json_reply(201, &v))
}

fn list_endpoints(
    state: &mut State,
    req: &Request,
    _: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let (page, limit) = page_params(req)?;
    let items = state
        .endpoints
        .iter()
        .map(|e| state.render_endpoint(e))
        .collect();
    Ok(json_reply(200, &paginate(items, page, limit)))
}

// ------------------------------------------------------------------ customer portal

/// The portal page's calls, authenticated by `Bearer polar_cst_…`:
/// `PATCH /v1/customer-portal/subscriptions/{id}` (`{cancel_at_period_end}`) and
/// `POST /v1/customer-portal/customers/me/payment-methods` (`{card:{number,expiry,cvc}}`;
/// the real call takes a Stripe ConfirmationToken id).
fn customer_portal(
    state: &mut State,
    req: &Request,
    method: &str,
    rest: &[&str],
) -> Result<ResponseTemplate, ApiError> {
    let tok = bearer(req);
    let Some(customer_id) = tok
        .as_deref()
        .and_then(|t| state.session(t))
        .map(|s| s.customer_id.clone())
    else {
        return Ok(if req.headers.get("authorization").is_some() {
            invalid_token()
        } else {
            unauthorized()
        });
    };
    match (method, rest) {
        ("PATCH", ["subscriptions", id]) => {
            let i = sub_index(state, id)?;
            if state.subscriptions[i].customer_id != customer_id {
                return Err(ApiError::not_found());
            }
            let body = body_json(req)?;
            match body.get("cancel_at_period_end") {
                Some(Value::Bool(true)) => state.cancel(
                    i,
                    str_field(&body, "cancellation_reason", 64)?,
                    str_field(&body, "cancellation_comment", 5000)?,
                )?,
                Some(Value::Bool(false)) => state.uncancel(i)?,
                _ => {
                    return Err(ApiError::missing(
                        json!(["body", "cancel_at_period_end"]),
                        Value::Object(body),
                    ))
                }
            }
            Ok(json_reply(
                200,
                &state.render_subscription(&state.subscriptions[i]),
            ))
        }
        ("POST", ["customers", "me", "payment-methods"]) => {
            let body = body_json(req)?;
            let card = body.get("card").cloned().unwrap_or(Value::Null);
            let card = classify_card(
                card["number"].as_str().unwrap_or(""),
                card["expiry"].as_str().unwrap_or(""),
                card["cvc"].as_str().unwrap_or(""),
            )
            .map_err(|msg| ApiError::new(400, "PaymentError", &msg))?;
            let pm = json!({"id": card.id, "type": "card", "card": {"brand": "visa", "last4": card.last4}});
            state
                .update_payment_method(&customer_id, card)
                .map_err(|msg| ApiError::new(402, "PaymentFailed", &msg))?;
            Ok(json_reply(
                201,
                &json!({"status": "succeeded", "payment_method": pm}),
            ))
        }
        _ => Ok(not_found_route()),
    }
}
