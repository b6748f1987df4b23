//! Polar's email rule, the part that needs no network: which addresses Polar refuses and
//! with which words. Polar checks `customer_email` and a customer's `email` with
//! `EmailStrDNS` (`server/polar/kit/email.py:17-36`): pydantic's `EmailStr` (the
//! `email_validator` 2.3.0 syntax check, which already refuses special-use and reserved
//! domains: `email_validator/__init__.py` `SPECIAL_USE_DOMAIN_NAMES`, `syntax.py:620-645`),
//! then a DNS deliverability check. The DNS answers that never change are modelled here:
//! `example.com`, `example.net` and `example.org` publish a null MX ("does not accept
//! email", Polar's own test `CheckoutForm.test.tsx:703-725`), and the reserved `.example` TLD
//! does not exist. Any other domain is taken as deliverable: nothing here looks anything up.
//! Pure functions; must not import the mock, the harness or anything that does I/O.

/// email_validator's `SPECIAL_USE_DOMAIN_NAMES` (2.3.0; `example` is commented out there and
/// left to DNS). A domain equal to one of these or ending in `.` + one is refused.
pub const SPECIAL_USE_DOMAINS: [&str; 6] =
    ["arpa", "invalid", "local", "localhost", "onion", "test"];

/// Domains whose DNS answer is fixed: IANA publishes a null MX for these.
pub const NULL_MX_DOMAINS: [&str; 3] = ["example.com", "example.net", "example.org"];

const SPECIAL_USE_REASON: &str =
    "The part after the @-sign is a special-use or reserved name that cannot be used with email.";

/// Why Polar refuses an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailRefusal {
    /// pydantic's `EmailStr` refuses it (`value is not a valid email address: {reason}`).
    Syntax { reason: String },
    /// The deliverability check refuses it (`{email} is not a valid email address:
    /// {reason}`); `email` is the normalized address (the domain in lower case).
    Undeliverable { email: String, reason: String },
}

impl EmailRefusal {
    /// The `msg` Polar's 422 carries.
    pub fn message(&self) -> String {
        match self {
            EmailRefusal::Syntax { reason } => {
                format!("value is not a valid email address: {reason}")
            }
            EmailRefusal::Undeliverable { email, reason } => {
                format!("{email} is not a valid email address: {reason}")
            }
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            EmailRefusal::Syntax { reason } | EmailRefusal::Undeliverable { reason, .. } => reason,
        }
    }

    /// A special-use/reserved domain or one that takes no mail, as opposed to a malformed
    /// address.
    pub fn is_domain(&self) -> bool {
        match self {
            EmailRefusal::Syntax { reason } => {
                reason == SPECIAL_USE_REASON || reason.ends_with("It should have a period.")
            }
            EmailRefusal::Undeliverable { .. } => true,
        }
    }
}

fn syntax(reason: &str) -> EmailRefusal {
    EmailRefusal::Syntax {
        reason: reason.to_string(),
    }
}

/// The syntax check of pydantic's `EmailStr` (what Polar applies to every email field), in
/// email_validator's words for the common mistakes; returns the lower-cased domain.
pub fn check_syntax(email: &str) -> Result<String, EmailRefusal> {
    let Some((local, domain)) = email.split_once('@') else {
        return Err(syntax("An email address must have an @-sign."));
    };
    if local.is_empty() {
        return Err(syntax("There must be something before the @-sign."));
    }
    if domain.is_empty() {
        return Err(syntax("There must be something after the @-sign."));
    }
    if local.chars().any(char::is_whitespace) {
        return Err(syntax(
            "The email address contains invalid characters before the @-sign: SPACE.",
        ));
    }
    if domain.chars().any(char::is_whitespace) {
        return Err(syntax(
            "The part after the @-sign contains invalid characters: SPACE.",
        ));
    }
    if domain.contains('@') {
        return Err(syntax(
            "The part after the @-sign contains invalid characters: '@'.",
        ));
    }
    if domain.starts_with('.') {
        return Err(syntax(
            "An email address cannot have a period immediately after the @-sign.",
        ));
    }
    if domain.ends_with('.') {
        return Err(syntax("An email address cannot end with a period."));
    }
    let domain = domain.to_lowercase();
    if !domain.contains('.') {
        return Err(syntax(
            "The part after the @-sign is not valid. It should have a period.",
        ));
    }
    let special = SPECIAL_USE_DOMAINS
        .iter()
        .any(|d| domain == *d || domain.ends_with(&format!(".{d}")));
    if special {
        return Err(syntax(SPECIAL_USE_REASON));
    }
    Ok(domain)
}

/// `EmailStrDNS` without the network: the syntax check, then the DNS answers that are fixed.
pub fn check_deliverable(email: &str) -> Result<(), EmailRefusal> {
    let domain = check_syntax(email)?;
    let reason = if NULL_MX_DOMAINS.contains(&domain.as_str()) {
        format!("The domain name {domain} does not accept email.")
    } else if domain.ends_with(".example") {
        format!("The domain name {domain} does not exist.")
    } else {
        return Ok(());
    };
    let local = email.split_once('@').map_or("", |(l, _)| l);
    Err(EmailRefusal::Undeliverable {
        email: format!("{local}@{domain}"),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_and_special_use_domains_are_refused_in_email_validators_words() {
        let polar = "buyer@example.com is not a valid email address: The domain name example.com does not accept email.";
        assert_eq!(
            check_deliverable("buyer@example.com")
                .unwrap_err()
                .message(),
            polar
        );
        assert_eq!(
            check_deliverable("X@Example.ORG").unwrap_err().message(),
            "X@example.org is not a valid email address: The domain name example.org does not accept email."
        );
        for e in [
            "x@foo.test",
            "x@host.invalid",
            "x@a.local",
            "x@b.onion",
            "x@c.arpa",
            "x@LOCALHOST.localhost",
        ] {
            let r = check_deliverable(e).unwrap_err();
            assert_eq!(r.reason(), SPECIAL_USE_REASON, "{e}");
            assert!(r.is_domain());
        }
        assert_eq!(
            check_deliverable("x@localhost").unwrap_err().message(),
            "value is not a valid email address: The part after the @-sign is not valid. It should have a period."
        );
        assert!(check_deliverable("x@shop.example")
            .unwrap_err()
            .message()
            .ends_with("The domain name shop.example does not exist."));
    }

    #[test]
    fn ordinary_domains_and_lookalikes_pass() {
        for e in [
            "buyer+run-1@acme.dev",
            "a@testing.com",
            "a@example.co",
            "a@notexample.com",
            "a@invalid.dev",
        ] {
            assert_eq!(check_deliverable(e), Ok(()), "{e}");
        }
        assert!(check_syntax("buyer@example.com").is_ok());
        assert!(!check_deliverable("nope").unwrap_err().is_domain());
    }
}
