//! Reading requests the way Polar's FastAPI/pydantic layer does: JSON bodies, typed fields
//! with Polar's bounds, UUIDs, metadata, addresses, emails (Polar's `EmailStrDNS`, through
//! [`crate::polar::email`]), query filters and pagination, each failure a 422 in pydantic's
//! shape.
//!
//! Pure functions over the request and JSON, giving the world's typed values; must not
//! touch the world.

use serde_json::{json, Map, Value};

use crate::polar::email::{check_deliverable, EmailRefusal};
use crate::polar_mock::answer::ApiError;
use crate::polar_mock::handler::Req;
use chrono::{DateTime, Utc};

use crate::polar_mock::world::{
    card_from_token, classify_card, Address, Card, MetaValue, Metadata,
};

pub(crate) fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok() && s.len() == 36
}

pub(crate) fn uuid_error(loc: Value, input: &str) -> ApiError {
    ApiError::validation(
        "RequestValidationError",
        "uuid_parsing",
        loc,
        "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `x` at 1",
        json!(input),
    )
}

/// A path id that must be a UUID (`loc` `["path", "id"]`).
pub(crate) fn path_uuid(id: &str) -> Result<&str, ApiError> {
    if is_uuid(id) {
        Ok(id)
    } else {
        Err(uuid_error(json!(["path", "id"]), id))
    }
}

/// The JSON object body (an empty body is pydantic's missing `body`).
pub(crate) fn body_json(req: &Req) -> Result<Map<String, Value>, ApiError> {
    if req.body.is_empty() {
        return Err(ApiError::missing(json!(["body"]), Value::Null));
    }
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

/// `page` (from 1) and `limit` (1..=100, default 10).
pub(crate) fn page_params(req: &Req) -> Result<(usize, usize), ApiError> {
    let mut page = 1usize;
    let mut limit = 10usize;
    for (k, v) in &req.query {
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

/// `ListResource`: one page of `items` and the pagination block.
pub(crate) fn paginate(items: Vec<Value>, page: usize, limit: usize) -> Value {
    let total = items.len();
    let max_page = total.div_ceil(limit).max(1);
    let items: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * limit)
        .take(limit)
        .collect();
    json!({"items": items, "pagination": {"total_count": total, "max_page": max_page}})
}

/// Checks UUID-valued query filters (`loc` `["query", key]`).
pub(crate) fn uuid_filters(q: &[(String, String)], keys: &[&str]) -> Result<(), ApiError> {
    for (k, v) in q {
        if keys.contains(&k.as_str()) && !is_uuid(v) {
            return Err(uuid_error(json!(["query", k]), v));
        }
    }
    Ok(())
}

/// Whether a repeated query filter (`id=a&id=b`) admits `value`; absent filters admit all.
pub(crate) fn admits(q: &[(String, String)], key: &str, value: Option<&str>) -> bool {
    let wanted: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect();
    wanted.is_empty() || value.is_some_and(|v| wanted.contains(&v))
}

/// A boolean query filter (`true`/`false`), if present.
pub(crate) fn bool_filter(q: &[(String, String)], key: &str) -> Option<bool> {
    q.iter().find(|(k, _)| k == key).map(|(_, v)| v == "true")
}

pub(crate) fn int_field(
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
                return Err(ApiError::validation_ctx(
                    "RequestValidationError",
                    "greater_than_equal",
                    json!(["body", key]),
                    &format!("Input should be greater than or equal to {min}"),
                    json!(n),
                    json!({"ge": min}),
                ));
            }
            if n > max {
                return Err(ApiError::validation_ctx(
                    "RequestValidationError",
                    "less_than_equal",
                    json!(["body", key]),
                    &format!("Input should be less than or equal to {max}"),
                    json!(n),
                    json!({"le": max}),
                ));
            }
            Ok(Some(n))
        }
    }
}

pub(crate) fn str_field(
    body: &Map<String, Value>,
    key: &str,
    max_len: usize,
) -> Result<Option<String>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.chars().count() <= max_len => Ok(Some(s.clone())),
        Some(Value::String(s)) => Err(ApiError::validation_ctx(
            "RequestValidationError",
            "string_too_long",
            json!(["body", key]),
            &format!("String should have at most {max_len} characters"),
            json!(s),
            json!({"max_length": max_len}),
        )),
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "string_type",
            json!(["body", key]),
            "Input should be a valid string",
            v.clone(),
        )),
    }
}

pub(crate) fn bool_field(body: &Map<String, Value>, key: &str) -> Result<Option<bool>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "bool_type",
            json!(["body", key]),
            "Input should be a valid boolean",
            v.clone(),
        )),
    }
}

pub(crate) fn url_field(body: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
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

/// Polar's metadata: at most 50 keys of at most 40 characters; values are strings of at most
/// 500 characters, integers, numbers or booleans.
pub(crate) fn metadata_field(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<Metadata>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
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
            let mut out = Vec::with_capacity(m.len());
            for (k, v) in m {
                let value = match v {
                    Value::String(s) if s.chars().count() <= 500 => Some(MetaValue::Str(s.clone())),
                    Value::Number(n) => n
                        .as_i64()
                        .map(MetaValue::Int)
                        .or_else(|| n.as_f64().map(MetaValue::Float)),
                    Value::Bool(b) => Some(MetaValue::Bool(*b)),
                    _ => None,
                };
                let Some(value) = value.filter(|_| k.chars().count() <= 40 && !k.is_empty()) else {
                    return Err(ApiError::validation(
                        "RequestValidationError",
                        "value_error",
                        json!(["body", key, k]),
                        "Metadata keys are at most 40 characters; values are strings of at most 500 characters, integers, numbers or booleans",
                        v.clone(),
                    ));
                };
                out.push((k.clone(), value));
            }
            Ok(Some(Metadata(out)))
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

/// Whether Polar takes `e` as a customer's email (see [`email_refusal_item`]).
pub(crate) fn email_ok(e: &str) -> bool {
    check_deliverable(e).is_ok()
}

/// Pydantic's item for an address `EmailStrDNS` refuses (`server/polar/kit/email.py:23-36`):
/// `value_error`, Polar's message, and `ctx` with the reason (and the normalized address when
/// the deliverability check refused it). Only the DNS answers that never change are modelled
/// ([`crate::polar::email`]): the mock looks nothing up.
pub(crate) fn email_refusal_item(loc: Value, input: &str, refusal: &EmailRefusal) -> Value {
    let ctx = match refusal {
        EmailRefusal::Syntax { reason } => json!({"reason": reason}),
        EmailRefusal::Undeliverable { email, reason } => json!({"email": email, "reason": reason}),
    };
    json!({"type": "value_error", "loc": loc, "msg": refusal.message(), "input": input, "ctx": ctx})
}

/// An `EmailStrDNS` field refused at `loc` (a union member's tag or name may sit between
/// `body` and the key).
pub(crate) fn email_field_at(
    body: &Map<String, Value>,
    key: &str,
    loc: Value,
) -> Result<Option<String>, ApiError> {
    let v = str_field(body, key, 320)?;
    if let Some(e) = &v {
        if let Err(r) = check_deliverable(e) {
            let item = email_refusal_item(loc, e, &r);
            return Err(ApiError::validation_items(
                "RequestValidationError",
                vec![item],
            ));
        }
    }
    Ok(v)
}

/// An `EmailStrDNS` field of a plain model (`loc` `["body", key]`).
pub(crate) fn email_field(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    email_field_at(body, key, json!(["body", key]))
}

/// `AddressInput`: `country` (ISO 3166-1 alpha-2) required, the rest optional.
pub(crate) fn address_field(
    body: &Map<String, Value>,
    key: &str,
) -> Result<Option<Address>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => {
            let Some(country) = m.get("country").and_then(Value::as_str) else {
                return Err(ApiError::missing(
                    json!(["body", key, "country"]),
                    Value::Object(m.clone()),
                ));
            };
            if country.len() != 2 || !country.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(ApiError::validation(
                    "RequestValidationError",
                    "enum",
                    json!(["body", key, "country"]),
                    "Input should be a valid ISO 3166-1 alpha-2 country code",
                    json!(country),
                ));
            }
            let line = |f: &str| -> Result<Option<String>, ApiError> {
                match m.get(f) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) => Ok(Some(s.clone())),
                    Some(v) => Err(ApiError::validation(
                        "RequestValidationError",
                        "string_type",
                        json!(["body", key, f]),
                        "Input should be a valid string",
                        v.clone(),
                    )),
                }
            };
            Ok(Some(Address {
                line1: line("line1")?,
                line2: line("line2")?,
                postal_code: line("postal_code")?,
                city: line("city")?,
                state: line("state")?,
                country: country.to_string(),
            }))
        }
        Some(v) => Err(ApiError::validation(
            "RequestValidationError",
            "model_type",
            json!(["body", key]),
            "Input should be a valid dictionary or object",
            v.clone(),
        )),
    }
}

/// The card a payment names: `confirmation_token_id` (a Stripe test payment method,
/// `pm_card_visa`, …) or, from the mock's own pages, `card: {number, expiry, cvc}`; a card the
/// form refuses is a 400 with `error` and the form's message.
pub(crate) fn card_field(
    body: &Map<String, Value>,
    now: DateTime<Utc>,
    error: &str,
) -> Result<Card, ApiError> {
    match str_field(body, "confirmation_token_id", 255)? {
        Some(t) => card_from_token(&t, now),
        None => {
            let card = body.get("card").cloned().unwrap_or(Value::Null);
            classify_card(
                card["number"].as_str().unwrap_or(""),
                card["expiry"].as_str().unwrap_or(""),
                card["cvc"].as_str().unwrap_or(""),
                now,
            )
        }
    }
    .map_err(|e| ApiError::new(400, error, &e.to_string()))
}

/// A required datetime in the future (pydantic's `FutureDatetime`): ISO 8601 with an offset
/// or `Z` (without one it is read as UTC). Missing → `missing`; not a datetime →
/// `datetime_from_date_parsing`; not after `now` → `datetime_future`.
pub(crate) fn future_datetime_field(
    body: &Map<String, Value>,
    key: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ApiError> {
    let loc = json!(["body", key]);
    let v = body
        .get(key)
        .ok_or_else(|| ApiError::missing(loc.clone(), Value::Object(body.clone())))?;
    let parsed = v.as_str().and_then(|t| {
        DateTime::parse_from_rfc3339(t)
            .map(|d| d.with_timezone(&Utc))
            .ok()
            .or_else(|| {
                chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f")
                    .ok()
                    .map(|n| n.and_utc())
            })
    });
    let Some(at) = parsed else {
        return Err(ApiError::validation(
            "RequestValidationError",
            "datetime_from_date_parsing",
            loc,
            "Input should be a valid datetime or date, invalid character in year",
            v.clone(),
        ));
    };
    if at <= now {
        return Err(ApiError::validation(
            "RequestValidationError",
            "datetime_future",
            loc,
            "Input should be in the future",
            v.clone(),
        ));
    }
    Ok(at)
}

/// Refuses keys outside `allowed` (pydantic's `extra="forbid"`).
pub(crate) fn forbid_extra(body: &Map<String, Value>, allowed: &[&str]) -> Result<(), ApiError> {
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

/// A path segment as the server reads it: `%XX` decoded, and `+` kept as `+` (only a form
/// body or query string means a space by it; `/v1/customers/external/a+b` names `a+b`).
pub(crate) fn percent_decode(s: &str) -> String {
    crate::percent::decode_lossy(s)
}

pub(crate) fn url_encode(s: &str) -> String {
    crate::percent::encode_component(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_handles_escapes_at_the_end() {
        assert_eq!(percent_decode("user%2F1"), "user/1");
        assert_eq!(percent_decode("a%40b.com"), "a@b.com");
        assert_eq!(percent_decode("x%4"), "x%4");
        assert_eq!(percent_decode("%é%41"), "%éA");
        assert_eq!(percent_decode("plain"), "plain");
        assert_eq!(percent_decode("a+b"), "a+b", "a plus in a path is a plus");
        assert_eq!(percent_decode("a%2Bb%20c"), "a+b c");
    }

    #[test]
    fn repeated_filters_admit_any_listed_value() {
        let q = vec![
            ("id".to_string(), "a".to_string()),
            ("id".into(), "b".into()),
        ];
        assert!(admits(&q, "id", Some("b")));
        assert!(!admits(&q, "id", Some("c")));
        assert!(admits(&q, "other", None));
    }
}
