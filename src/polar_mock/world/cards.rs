//! Stripe's test cards as the mock's checkout and portal take them: the numbers and the
//! `pm_card_*` payment method ids, what each does when charged, and the card form's refusals.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::new_id;

/// What a test card does (Stripe's test numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBehavior {
    /// 4242 4242 4242 4242: every charge succeeds.
    Succeeds,
    /// 4000 0000 0000 0002: declined at once.
    Declined,
    /// 4000 0000 0000 0341: attaches (a saved card), but every charge fails — the checkout's
    /// too, which is declined at once as 0002's.
    FailsLater,
}

/// Why a card was refused before any charge (the text the card form shows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("Your card number is incomplete.")]
    NumberIncomplete,
    #[error("Your card number is invalid.")]
    NumberInvalid,
    #[error("Your card's expiration date is incomplete.")]
    ExpiryIncomplete,
    #[error("Your card's expiration date is invalid.")]
    ExpiryInvalid,
    #[error("Your card's security code is incomplete.")]
    CvcIncomplete,
    #[error("No such test payment method: use pm_card_visa, pm_card_chargeDeclined or pm_card_chargeCustomerFail.")]
    UnknownToken,
}

/// A saved card; `id` is the `PaymentMethod` id (a UUID, as Polar's).
#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
    pub behavior: CardBehavior,
    /// Charges made with this card so far (the first one is the checkout's).
    pub charges: u32,
}

/// Stripe's test payment methods, accepted where Polar takes a ConfirmationToken id.
const TEST_PAYMENT_METHODS: &[(&str, &str)] = &[
    ("pm_card_visa", "4242424242424242"),
    ("pm_card_chargeDeclined", "4000000000000002"),
    ("pm_card_chargeCustomerFail", "4000000000000341"),
];

/// Classifies a card number (spaces ignored), expiry `MM/YY` and CVC.
pub fn classify_card(
    number: &str,
    expiry: &str,
    cvc: &str,
    now: DateTime<Utc>,
) -> Result<Card, CardError> {
    let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    let behavior = match digits.as_str() {
        "4242424242424242" => CardBehavior::Succeeds,
        "4000000000000002" => CardBehavior::Declined,
        "4000000000000341" => CardBehavior::FailsLater,
        "" => return Err(CardError::NumberIncomplete),
        _ => return Err(CardError::NumberInvalid),
    };
    let exp: String = expiry.chars().filter(|c| c.is_ascii_digit()).collect();
    if exp.len() != 4 {
        return Err(CardError::ExpiryIncomplete);
    }
    let month: u32 = exp[..2].parse().unwrap_or(0);
    if !(1..=12).contains(&month) {
        return Err(CardError::ExpiryInvalid);
    }
    let year: u32 = 2000 + exp[2..].parse::<u32>().unwrap_or(0);
    let cvc_digits = cvc.trim();
    if !(3..=4).contains(&cvc_digits.len()) || !cvc_digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(CardError::CvcIncomplete);
    }
    Ok(Card {
        id: new_id(),
        created_at: now,
        last4: digits[digits.len() - 4..].to_string(),
        exp_month: month,
        exp_year: year,
        behavior,
        charges: 0,
    })
}

/// The card behind a Stripe test payment method id (`pm_card_visa`, …), as Polar's
/// `confirmation_token_id` would carry it.
pub fn card_from_token(token: &str, now: DateTime<Utc>) -> Result<Card, CardError> {
    let (_, number) = TEST_PAYMENT_METHODS
        .iter()
        .find(|(t, _)| *t == token)
        .ok_or(CardError::UnknownToken)?;
    classify_card(number, "12/34", "123", now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_and_test_tokens_classify() {
        let now = Utc::now();
        let c = classify_card("4242 4242 4242 4242", "04/31", "123", now).unwrap();
        assert_eq!(
            (c.behavior, c.last4.as_str(), c.exp_month, c.exp_year),
            (CardBehavior::Succeeds, "4242", 4, 2031)
        );
        assert_eq!(
            classify_card("4111", "04/31", "123", now).unwrap_err(),
            CardError::NumberInvalid
        );
        assert_eq!(
            classify_card("4242424242424242", "13/31", "123", now).unwrap_err(),
            CardError::ExpiryInvalid
        );
        assert_eq!(
            card_from_token("pm_card_chargeDeclined", now)
                .unwrap()
                .behavior,
            CardBehavior::Declined
        );
        assert_eq!(
            card_from_token("tok_nope", now).unwrap_err(),
            CardError::UnknownToken
        );
    }
}
