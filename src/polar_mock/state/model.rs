//! The records the mock keeps: checkouts, customers and their cards, subscriptions, orders,
//! customer sessions, webhook endpoints, and the webhook events sent to them. Plain data; the
//! transitions are in `lifecycle`, the JSON shapes in `render`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::polar_mock::version::ApiVersion;

/// What a test card does (Stripe's test numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBehavior {
    /// 4242 4242 4242 4242: every charge succeeds.
    Succeeds,
    /// 4000 0000 0000 0002: declined at once.
    Declined,
    /// 4000 0000 0000 0341: attaches and pays now, later charges fail.
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

#[derive(Debug, Clone, Serialize)]
pub struct Checkout {
    pub id: String,
    pub client_secret: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub status: String,
    pub product_ids: Vec<String>,
    pub product_id: String,
    pub price: Value,
    pub seats: Option<i64>,
    pub min_seats: Option<i64>,
    pub max_seats: Option<i64>,
    pub success_url: Option<String>,
    pub return_url: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub customer_billing_address: Option<Value>,
    pub external_customer_id: Option<String>,
    pub customer_id: Option<String>,
    pub metadata: Map<String, Value>,
    pub customer_metadata: Map<String, Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Customer {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub email: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
    /// `individual`, or `team` once it bought a seat-based product.
    pub kind: String,
    pub billing_address: Option<Value>,
    pub tax_id: Option<Value>,
    pub locale: Option<String>,
    pub metadata: Map<String, Value>,
    pub card: Option<Card>,
    pub deleted_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub customer_id: String,
    pub product_id: String,
    pub checkout_id: Option<String>,
    pub price: Value,
    pub seats: Option<i64>,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub current_period_start: DateTime<Utc>,
    pub current_period_end: DateTime<Utc>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub past_due_at: Option<DateTime<Utc>>,
    pub cancellation_reason: Option<String>,
    pub cancellation_comment: Option<String>,
    pub metadata: Map<String, Value>,
}

impl Subscription {
    /// Active, trialing or past due: still charged.
    pub fn billable(&self) -> bool {
        matches!(self.status.as_str(), "active" | "trialing" | "past_due")
    }

    /// Active or trialing: what customer state lists.
    pub fn active(&self) -> bool {
        matches!(self.status.as_str(), "active" | "trialing")
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub status: String,
    pub amount: i64,
    pub currency: String,
    pub billing_reason: String,
    pub customer_id: String,
    pub product_id: String,
    pub subscription_id: String,
    pub checkout_id: Option<String>,
    pub seats: Option<i64>,
    pub price_id: Option<String>,
    pub metadata: Map<String, Value>,
    pub next_payment_attempt_at: Option<DateTime<Utc>>,
    /// Set once the invoice was generated (`POST /v1/orders/{id}/invoice`).
    pub invoice_number: Option<String>,
    /// The billing period the order pays for (start, end).
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: String,
    #[serde(skip)]
    pub token: String,
    pub customer_id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub return_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub url: String,
    pub name: Option<String>,
    pub format: String,
    #[serde(skip)]
    pub secret: String,
    pub events: Vec<String>,
    pub enabled: bool,
    /// The version its payloads are rendered in (and named in their `api_version`).
    #[serde(serialize_with = "version_str")]
    pub api_version: ApiVersion,
}

fn version_str<S: serde::Serializer>(v: &ApiVersion, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(v.as_str())
}

/// A webhook event as emitted: the data in the 2026-04 shape (what `/__control/events` lists).
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: String,
    /// The payload sent to one endpoint (set on the per-endpoint copy in `Outgoing`).
    #[serde(skip)]
    pub body: String,
    pub data: Value,
}

/// One event routed to one endpoint, with the body rendered in the endpoint's version.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub event: Event,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
}

/// An event as sent to one endpoint (Polar's `WebhookEvent`), kept for the deliveries list and
/// redelivery.
#[derive(Debug, Clone)]
pub(crate) struct SentEvent {
    pub event_id: String,
    pub endpoint_id: String,
    pub kind: String,
    pub created_at: DateTime<Utc>,
    pub api_version: ApiVersion,
    pub body: String,
}
