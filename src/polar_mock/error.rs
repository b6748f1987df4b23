//! Polar's error answers, as the mock gives them: `ApiError` (status + Polar's JSON body) for
//! everything a handler refuses, the exact 401s of the token middleware, FastAPI's 404 for
//! unknown routes, and the 501 the mock gives for Polar operations it does not model.
//!
//! Owns the mapping from errors to wiremock `ResponseTemplate`s; must not touch the state.

use serde_json::{json, Value};
use wiremock::ResponseTemplate;

pub(crate) const INVALID_TOKEN_BODY: &str = "{\"error\": \"invalid_token\", \"error_description\": \"The access token provided is expired, revoked, malformed, or invalid for other reasons.\"}";
const INVALID_TOKEN_HEADER: &str = "Bearer realm=\"polar\", error=\"invalid_token\", error_description=\"The access token provided is expired, revoked, malformed, or invalid for other reasons.\"";

/// A refusal in Polar's words: the status and the JSON body Polar sends with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{status} {body}")]
pub(crate) struct ApiError {
    pub status: u16,
    pub body: Value,
}

impl ApiError {
    /// `{"error": error, "detail": detail}` with `status`.
    pub fn new(status: u16, error: &str, detail: &str) -> Self {
        ApiError {
            status,
            body: json!({"error": error, "detail": detail}),
        }
    }

    pub fn not_found() -> Self {
        Self::new(404, "ResourceNotFound", "Not found")
    }

    /// Pydantic's "Field required" for a missing field at `loc`.
    pub fn missing(loc: Value, input: Value) -> Self {
        Self::validation(
            "RequestValidationError",
            "missing",
            loc,
            "Field required",
            input,
        )
    }

    /// 422 with one item; `error` is `RequestValidationError` for schema-level failures and
    /// `PolarRequestValidationError` for business checks.
    pub fn validation(error: &str, kind: &str, loc: Value, msg: &str, input: Value) -> Self {
        ApiError {
            status: 422,
            body: json!({"error": error, "detail": [{"type": kind, "loc": loc, "msg": msg, "input": input}]}),
        }
    }

    /// A business-rule 422 (`PolarRequestValidationError`, `value_error`).
    pub fn polar_validation(loc: Value, msg: &str, input: Value) -> Self {
        Self::validation(
            "PolarRequestValidationError",
            "value_error",
            loc,
            msg,
            input,
        )
    }

    /// A 422 whose single item carries `ctx` (bounds and lengths).
    pub fn validation_ctx(
        error: &str,
        kind: &str,
        loc: Value,
        msg: &str,
        input: Value,
        ctx: Value,
    ) -> Self {
        ApiError {
            status: 422,
            body: json!({"error": error, "detail": [{"type": kind, "loc": loc, "msg": msg, "input": input, "ctx": ctx}]}),
        }
    }

    pub fn already_canceled() -> Self {
        Self::new(
            403,
            "AlreadyCanceledSubscription",
            "This subscription is already canceled or will be at the end of the period.",
        )
    }

    pub fn into_template(self) -> ResponseTemplate {
        json_reply(self.status, &self.body)
    }
}

/// Compact JSON with `content-type: application/json`.
pub(crate) fn json_reply(status: u16, body: &Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/json")
}

pub(crate) fn html_reply(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body, "text/html; charset=utf-8")
}

/// FastAPI's answer to a path it has no route for (and Polar's to an unsupported
/// `Polar-Version`).
pub(crate) fn not_found_route() -> ResponseTemplate {
    json_reply(404, &json!({"detail": "Not Found"}))
}

/// No `Authorization` header on a route that needs one.
pub(crate) fn unauthorized() -> ResponseTemplate {
    json_reply(
        401,
        &json!({"error": "Unauthorized", "detail": "Unauthorized"}),
    )
    .insert_header("WWW-Authenticate", "Bearer realm=\"polar\"")
}

/// A bearer token the server does not know (authlib's body, Python spacing).
pub(crate) fn invalid_token() -> ResponseTemplate {
    ResponseTemplate::new(401)
        .set_body_raw(INVALID_TOKEN_BODY, "application/json")
        .insert_header("WWW-Authenticate", INVALID_TOKEN_HEADER)
        .insert_header("Cache-Control", "no-store")
        .insert_header("Pragma", "no-cache")
}

/// The answer for a Polar operation the mock does not model: 501, never a 404 that reads
/// like Polar's.
pub(crate) fn not_modelled(operation: &str, method: &str, path: &str) -> ResponseTemplate {
    json_reply(
        501,
        &json!({
            "error": "NotImplemented",
            "detail": format!("{operation} ({method} {path}) is not modelled by the mock"),
            "operation": operation,
        }),
    )
}
