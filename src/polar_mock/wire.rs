//! Polar's wire formats that more than one room writes: datetimes as pydantic writes them
//! (microseconds, `Z`), ids derived from parts, and the paths of a checkout's hosted pages
//! (the API puts them in `url` and the default `success_url`, the pages redirect to them).

use chrono::{DateTime, Utc};

/// Polar's datetime format (pydantic, microseconds, `Z`).
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// A stable UUID-shaped id derived from `parts` (for records the mock does not store, such as
/// one delivery attempt).
/// A customer's `avatar_url` as Polar's server makes it without a logo.dev key: Gravatar by
/// the SHA-256 of the lower-cased email (`server/polar/models/customer.py:108-118, 373-376`);
/// `None` without an email. Polar's SDKs 0.4x require a string here.
pub(crate) fn avatar_url(email: Option<&str>) -> Option<String> {
    use sha2::{Digest, Sha256};
    let email = email.filter(|e| !e.is_empty())?;
    let digest = Sha256::digest(email.to_lowercase().as_bytes());
    Some(format!(
        "https://www.gravatar.com/avatar/{}?d=404",
        hex::encode(digest)
    ))
}

pub(crate) fn derived_id(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// The hosted checkout page of the checkout with this client secret.
pub(crate) fn checkout_path(client_secret: &str) -> String {
    format!("/checkout/{client_secret}")
}

/// Its confirmation page (Polar's built-in success URL).
pub(crate) fn confirmation_path(client_secret: &str) -> String {
    format!("/checkout/{client_secret}/confirmation")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id(&["e", "w", "1"]);
        assert_eq!(a, derived_id(&["e", "w", "1"]));
        assert_ne!(a, derived_id(&["e", "w", "2"]));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }

    #[test]
    fn datetimes_have_microseconds_and_z() {
        let t = DateTime::parse_from_rfc3339("2026-12-07T10:00:00.5+00:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(ts(t), "2026-12-07T10:00:00.500000Z");
    }
}
