//! Standard Webhooks signing and verification with Polar's key rule.
