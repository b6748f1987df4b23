//! What a handler answers (`Reply`), and Polar's error answers as the mock gives them:
//! `ApiError` (status + Polar's JSON body) for everything a handler refuses — including the
//! world's refusals, mapped here to Polar's status codes and bodies — the exact 401s of the
//! token middleware, FastAPI's 404 for unknown routes, and the 501 the mock gives for Polar
//! operations it does not model.
//!
//! Plain data: the server turns it into HTTP. Must not import wiremock or touch the state.

use serde_json::{json, Value};

use super::world::{PaymentMethodError, WorldError};

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

    /// A 422 with several items, as pydantic lists every failure of a union's members.
    pub fn validation_items(error: &str, items: Vec<Value>) -> Self {
        ApiError {
            status: 422,
            body: json!({"error": error, "detail": items}),
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
}

/// A response header.
pub(crate) type Header = (&'static str, String);

/// What a handler answers.
#[derive(Debug)]
pub(crate) enum Reply {
    /// JSON in the 2026-04 shape, reshaped for the request's version.
    Json(u16, Value),
    /// JSON sent as it is (the control plane, answers outside the versioned API).
    Plain(u16, Value),
    /// 204 with no body.
    NoContent,
    Html(u16, String),
    /// Any other body (invoice PDFs).
    Bytes {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// Exactly this body text with these headers (the token middleware's 401s).
    Text {
        status: u16,
        content_type: &'static str,
        body: String,
        headers: Vec<Header>,
    },
    /// 307 to this URL (what a Next.js page's server-side `redirect()` answers).
    Redirect(String),
    Error(ApiError),
}

impl Reply {
    pub fn ok(v: Value) -> Result<Reply, ApiError> {
        Ok(Reply::Json(200, v))
    }

    pub fn created(v: Value) -> Result<Reply, ApiError> {
        Ok(Reply::Json(201, v))
    }
}

/// FastAPI's answer to a path it has no route for (and Polar's to an unsupported
/// `Polar-Version`).
pub(crate) fn not_found_route() -> Reply {
    Reply::Plain(404, json!({"detail": "Not Found"}))
}

/// No `Authorization` header on a route that needs one.
pub(crate) fn unauthorized() -> Reply {
    Reply::Text {
        status: 401,
        content_type: "application/json",
        body: json!({"error": "Unauthorized", "detail": "Unauthorized"}).to_string(),
        headers: vec![("WWW-Authenticate", "Bearer realm=\"polar\"".into())],
    }
}

/// A bearer token the server does not know (authlib's body, Python spacing).
pub(crate) fn invalid_token() -> Reply {
    Reply::Text {
        status: 401,
        content_type: "application/json",
        body: INVALID_TOKEN_BODY.into(),
        headers: vec![
            ("WWW-Authenticate", INVALID_TOKEN_HEADER.into()),
            ("Cache-Control", "no-store".into()),
            ("Pragma", "no-cache".into()),
        ],
    }
}

/// The answer for a Polar operation the mock does not model: 501, never a 404 that reads
/// like Polar's.
pub(crate) fn not_modelled(operation: &str, method: &str, path: &str) -> Reply {
    Reply::Plain(
        501,
        json!({
            "error": "NotImplemented",
            "detail": format!("{operation} ({method} {path}) is not modelled by the mock"),
            "operation": operation,
        }),
    )
}

impl From<WorldError> for ApiError {
    /// Polar's status, error name and detail for each refusal of the world.
    fn from(e: WorldError) -> ApiError {
        let detail = e.to_string();
        let (status, error) = match e {
            WorldError::CheckoutNotOpen => (403, "NotOpenCheckout"),
            WorldError::CheckoutExpired => (410, "ExpiredCheckoutError"),
            WorldError::CheckoutBelowMinimumSeats(_) | WorldError::CheckoutAboveMaximumSeats(_) => {
                (400, "BadRequest")
            }
            WorldError::AlreadyActiveSubscription => (403, "AlreadyActiveSubscriptionError"),
            WorldError::PaymentDeclined => (400, "PaymentError"),
            WorldError::AlreadyCanceled => return ApiError::already_canceled(),
            WorldError::SubscriptionEnded => (410, "ResourceUnavailable"),
            WorldError::NotCanceling => (400, "BadRequest"),
            WorldError::NotSeatBased => (400, "NotASeatBasedSubscription"),
            WorldError::BelowMinimumSeats(_) => (400, "BelowMinimumSeats"),
            WorldError::AboveMaximumSeats(_) => (400, "AboveMaximumSeats"),
            WorldError::NotBillable => (409, "NotBillable"),
            WorldError::NotEligibleForInvoice => (409, "OrderNotEligibleForInvoice"),
            WorldError::InactiveSubscription(_) => (403, "InactiveSubscription"),
            WorldError::NotEligibleForRetry(_) => (422, "OrderNotEligibleForRetry"),
            WorldError::PaymentAlreadyInProgress(_) => (409, "PaymentAlreadyInProgress"),
            WorldError::RetryPaymentMethodNotFound => (422, "PaymentRetryValidationError"),
        };
        ApiError::new(status, error, &detail)
    }
}

impl From<PaymentMethodError> for ApiError {
    /// Polar's answers for the portal's payment methods: 400 `PaymentMethodSetupFailed`
    /// (`customer_portal/service/customer.py`), 400 `PaymentMethodInUseByActiveSubscription`
    /// (`payment_method/service.py`), 404 `ResourceNotFound`. A retry of past-due orders a
    /// new default card starts runs afterwards, as Polar's job: the request answers 201.
    fn from(e: PaymentMethodError) -> ApiError {
        let detail = e.to_string();
        match e {
            PaymentMethodError::Declined => ApiError::new(400, "PaymentMethodSetupFailed", &detail),
            PaymentMethodError::NotFound => ApiError::not_found(),
            PaymentMethodError::InUseByActiveSubscription => {
                ApiError::new(400, "PaymentMethodInUseByActiveSubscription", &detail)
            }
        }
    }
}
