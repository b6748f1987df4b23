//! Standard Webhooks signing and verification with Polar's key rule: the HMAC-SHA256 key is
//! the raw UTF-8 bytes of the whole secret string, prefix (`whsec_`, `polar_whs_`) included —
//! not the base64-decoded remainder the Standard Webhooks spec would use.
//! Pure functions; no I/O. Must not import the mock, the demo app or the runner.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Every webhook event type Polar has: `WebhookEventType` in Polar's server
/// (`server/polar/models/webhook_endpoint.py:15-56`), the same 41 as the `webhooks` of
/// `openapi-2026-04.json`. An endpoint subscribes to a list of them.
pub const EVENT_TYPES: &[&str] = &[
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

/// Polar's and the Standard Webhooks libraries' timestamp tolerance.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// The three Standard Webhooks headers of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing webhook header `{0}`")]
    MissingHeader(&'static str),
    #[error("webhook-timestamp is not a unix time in seconds")]
    BadTimestamp,
    #[error("webhook-timestamp is {age_secs} s away from now (tolerance {tolerance_secs} s)")]
    Stale { age_secs: i64, tolerance_secs: i64 },
    #[error("no v1 signature matches the body")]
    NoMatch,
}

/// `v1,<base64 HMAC-SHA256(key = secret bytes, "{id}.{timestamp}.{body}")>`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    sign_with_key(secret.as_bytes(), id, &timestamp.to_string(), body)
}

/// Signs with an explicit key: the Standard Webhooks primitive behind [`sign`].
pub fn sign_with_key(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(digest(key, id, timestamp, body))
    )
}

fn digest(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail here.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

/// Verifies one delivery: timestamp within `tolerance_secs` of `now_unix`, and any of the
/// space-separated `v1,` signatures matching (compared in constant time).
pub fn verify(
    secret: &str,
    headers: &SignatureHeaders,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    if headers.id.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-id"));
    }
    if headers.timestamp.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-timestamp"));
    }
    if headers.signature.is_empty() {
        return Err(VerifyError::MissingHeader("webhook-signature"));
    }
    let ts: i64 = headers
        .timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::BadTimestamp)?;
    let age = now_unix - ts;
    if age.abs() > tolerance_secs {
        return Err(VerifyError::Stale {
            age_secs: age,
            tolerance_secs,
        });
    }
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| unreachable!());
    mac.update(headers.id.as_bytes());
    mac.update(b".");
    mac.update(headers.timestamp.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    for entry in headers.signature.split_whitespace() {
        let Some(encoded) = entry.strip_prefix("v1,") else {
            continue;
        };
        let Ok(candidate) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            continue;
        };
        if mac.clone().verify_slice(&candidate).is_ok() {
            return Ok(());
        }
    }
    Err(VerifyError::NoMatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SW_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn official_standard_webhooks_vector_with_the_spec_key() {
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap();
        let sig = sign_with_key(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            "1614265330",
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn polar_key_rule_uses_the_whole_secret_string() {
        let sig = sign(
            SW_SECRET,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            br#"{"test": 2432232314}"#,
        );
        assert_eq!(sig, "v1,TcxlhK9b6UD6iVI1ZU2tTqp8PEVfYRseNNfa6b+LcUg=");
    }

    #[test]
    fn polar_style_vector() {
        let body = br#"{"type":"subscription.canceled","timestamp":"2026-01-01T00:00:00.000000Z","data":{"id":"7c0e2f7a-1111-4a2b-8c3d-9e8f7a6b5c4d"}}"#;
        let sig = sign(
            "whsec_ovyN6cPrTv56AApvzCaJno08SSmGJmgbWilb33N2JuK",
            "0f8a4c2e-6b1d-4e7a-9c3f-2d5e8a1b7c90",
            1767225600,
            body,
        );
        assert_eq!(sig, "v1,gcfnyiOhtICKV8swVmmsWXkA/U+R0aylbbq2GPco3d0=");
    }

    fn headers(sig: &str, ts: i64) -> SignatureHeaders {
        SignatureHeaders {
            id: "msg_1".into(),
            timestamp: ts.to_string(),
            signature: sig.into(),
        }
    }

    #[test]
    fn verify_accepts_a_good_signature_among_several() {
        let body = br#"{"a":1}"#;
        let good = sign("s3cret", "msg_1", 1000, body);
        let h = headers(&format!("v1,AAAA {good}"), 1000);
        assert_eq!(verify("s3cret", &h, body, 1100, 300), Ok(()));
    }

    #[test]
    fn verify_rejects_wrong_secret_tampered_body_stale_and_missing() {
        let body = br#"{"a":1}"#;
        let good = sign("s3cret", "msg_1", 1000, body);
        assert_eq!(
            verify("other", &headers(&good, 1000), body, 1000, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify("s3cret", &headers(&good, 1000), br#"{"a":2}"#, 1000, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify("s3cret", &headers(&good, 1000), body, 1301, 300),
            Err(VerifyError::Stale {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        assert_eq!(
            verify("s3cret", &headers("", 1000), body, 1000, 300),
            Err(VerifyError::MissingHeader("webhook-signature"))
        );
        let mut h = headers(&good, 1000);
        h.timestamp = "soon".into();
        assert_eq!(
            verify("s3cret", &h, body, 1000, 300),
            Err(VerifyError::BadTimestamp)
        );
    }
}
