//! The mock's world: organization, products, checkouts, customers, subscriptions, orders,
//! sessions, webhook endpoints, the clock and the outbox of webhook events. `model` holds the
//! records, `lifecycle` the transitions (each emits Polar's webhook sequence), `events` the
//! emission and routing of webhooks; the JSON shapes are in `super::render`.
//!
//! Must not import wiremock or the routes.

mod events;
mod lifecycle;
mod model;

use chrono::{DateTime, Duration, Months, Utc};
use serde_json::Value;

use super::fixtures::{self, Seed};

pub(crate) use lifecycle::{CheckoutFields, NewCustomer, PaymentMethodError};
pub use model::CardBehavior;
pub(crate) use model::{
    Card, CardError, Checkout, Customer, Endpoint, Event, Order, Outgoing, SentEvent, Session,
    Subscription,
};

/// Polar's datetime format (pydantic, microseconds, `Z`).
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(ts(t))).unwrap_or(Value::Null)
}

/// `prefix` + 37 random alphanumerics + 6-character checksum, like Polar's tokens.
pub(crate) fn token(prefix: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::from(prefix);
    let mut bytes = Vec::new();
    while bytes.len() < 43 {
        bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    }
    for b in bytes.iter().take(43) {
        out.push(ALPHABET[(*b as usize) % ALPHABET.len()] as char);
    }
    out
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A stable UUID-shaped id derived from `parts` (for records the mock does not store, such as
/// one delivery attempt).
pub(crate) fn derived_id(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(parts.join("\u{1f}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

/// Stripe's test payment methods, accepted where Polar takes a ConfirmationToken id.
const TEST_PAYMENT_METHODS: &[(&str, &str)] = &[
    ("pm_card_visa", "4242424242424242"),
    ("pm_card_chargeDeclined", "4000000000000002"),
    ("pm_card_chargeCustomerFail", "4000000000000341"),
];

/// Classifies a card number (spaces ignored), expiry `MM/YY` and CVC.
pub(crate) fn classify_card(
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
        id: format!("pm_mock_{}", &new_id()[..8]),
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
pub(crate) fn card_from_token(token: &str, now: DateTime<Utc>) -> Result<Card, CardError> {
    let (_, number) = TEST_PAYMENT_METHODS
        .iter()
        .find(|(t, _)| *t == token)
        .ok_or(CardError::UnknownToken)?;
    classify_card(number, "12/34", "123", now)
}

/// The amount in cents for `seats` of a price, by the same pricing rule as the Polar client
/// ([`crate::polar::types::SeatTiers::amount_for`]).
pub(crate) fn seat_amount(price: &Value, seats: i64) -> i64 {
    match price.get("amount_type").and_then(Value::as_str) {
        Some("seat_based") => {
            serde_json::from_value::<crate::polar::types::SeatTiers>(price["seat_tiers"].clone())
                .ok()
                .and_then(|tiers| tiers.amount_for(seats))
                .unwrap_or(0)
        }
        Some("fixed") => price["price_amount"].as_i64().unwrap_or(0),
        _ => 0,
    }
}

pub(crate) fn is_seat_based(price: &Value) -> bool {
    price["amount_type"].as_str() == Some("seat_based")
}

/// The seat bounds of a seat-based price (`minimum_seats`, `maximum_seats`).
pub(crate) fn seat_bounds(price: &Value) -> (i64, Option<i64>) {
    let st = &price["seat_tiers"];
    (
        st["minimum_seats"].as_i64().unwrap_or(1),
        st["maximum_seats"].as_i64(),
    )
}

pub(crate) fn add_interval(t: DateTime<Utc>, interval: &str, count: i64) -> DateTime<Utc> {
    let count = count.max(1);
    match interval {
        "day" => t + Duration::days(count),
        "week" => t + Duration::weeks(count),
        "year" => t
            .checked_add_months(Months::new(12 * count as u32))
            .unwrap_or(t),
        _ => t.checked_add_months(Months::new(count as u32)).unwrap_or(t),
    }
}

pub(crate) struct State {
    pub base_url: String,
    pub seed: Seed,
    pub org_created_at: DateTime<Utc>,
    pub products: Vec<Value>,
    pub checkouts: Vec<Checkout>,
    pub customers: Vec<Customer>,
    pub subscriptions: Vec<Subscription>,
    pub orders: Vec<Order>,
    pub sessions: Vec<Session>,
    pub endpoints: Vec<Endpoint>,
    pub events: Vec<Event>,
    pub sent: Vec<SentEvent>,
    pub outbox: Vec<Outgoing>,
    pub clock_offset: Duration,
    /// One-shot override of the next charge: `Some(true)` succeeds, `Some(false)` fails.
    pub next_charge: Option<bool>,
}

impl State {
    pub fn new(base_url: String, seed: Seed) -> Self {
        let mut s = State {
            base_url,
            seed,
            org_created_at: Utc::now(),
            products: Vec::new(),
            checkouts: Vec::new(),
            customers: Vec::new(),
            subscriptions: Vec::new(),
            orders: Vec::new(),
            sessions: Vec::new(),
            endpoints: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
            outbox: Vec::new(),
            clock_offset: Duration::zero(),
            next_charge: None,
        };
        s.reset();
        s
    }

    /// Back to the seed: everything created since is forgotten, the clock is real time again.
    pub fn reset(&mut self) {
        let created = ts(self.org_created_at);
        self.products = self
            .seed
            .products
            .iter()
            .map(|p| fixtures::complete_product(p, &self.seed.organization.id, &created))
            .collect();
        self.checkouts.clear();
        self.customers.clear();
        self.subscriptions.clear();
        self.orders.clear();
        self.sessions.clear();
        self.endpoints.clear();
        self.events.clear();
        self.sent.clear();
        self.outbox.clear();
        self.clock_offset = Duration::zero();
        self.next_charge = None;
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub fn org_id(&self) -> &str {
        &self.seed.organization.id
    }

    pub fn product(&self, id: &str) -> Option<&Value> {
        self.products.iter().find(|p| p["id"].as_str() == Some(id))
    }

    /// A customer that has not been deleted.
    pub fn customer(&self, id: &str) -> Option<&Customer> {
        self.customers
            .iter()
            .find(|c| c.id == id && c.deleted_at.is_none())
    }

    pub fn customer_index(&self, id: &str) -> Option<usize> {
        self.customers
            .iter()
            .position(|c| c.id == id && c.deleted_at.is_none())
    }

    pub fn customer_by_external(&self, external_id: &str) -> Option<usize> {
        self.customers
            .iter()
            .position(|c| c.external_id.as_deref() == Some(external_id) && c.deleted_at.is_none())
    }

    pub fn subscription_index(&self, id: &str) -> Option<usize> {
        self.subscriptions.iter().position(|s| s.id == id)
    }

    pub fn order_index(&self, id: &str) -> Option<usize> {
        self.orders.iter().position(|o| o.id == id)
    }

    pub fn checkout_index(&self, id: &str) -> Option<usize> {
        self.checkouts.iter().position(|c| c.id == id)
    }

    pub fn checkout_by_secret(&self, secret: &str) -> Option<usize> {
        self.checkouts
            .iter()
            .position(|c| c.client_secret == secret)
    }

    pub fn endpoint_index(&self, id: &str) -> Option<usize> {
        self.endpoints.iter().position(|e| e.id == id)
    }

    /// A customer session that has not expired.
    pub fn session(&self, token: &str) -> Option<&Session> {
        let now = self.now();
        self.sessions
            .iter()
            .find(|s| s.token == token && s.expires_at > now)
    }

    pub fn checkout_url(&self, c: &Checkout) -> String {
        format!("{}/checkout/{}", self.base_url, c.client_secret)
    }

    pub fn portal_url(&self, token: &str, email: &str) -> String {
        format!(
            "{}/{}/portal?customer_session_token={}&email={}",
            self.base_url,
            self.seed.organization.slug,
            token,
            super::input::url_encode(email)
        )
    }
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

    #[test]
    fn derived_ids_are_stable_uuids() {
        let a = derived_id(&["e", "w", "1"]);
        assert_eq!(a, derived_id(&["e", "w", "1"]));
        assert_ne!(a, derived_id(&["e", "w", "2"]));
        assert!(uuid::Uuid::parse_str(&a).is_ok());
    }
}
