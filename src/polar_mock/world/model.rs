//! The records the world keeps: checkouts, customers, subscriptions, orders, customer
//! sessions and webhook endpoints, with their statuses as enums. Plain data; the transitions
//! are in the files named after each resource.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cards::Card;
use super::values::{Address, CustomerType, Metadata, ProductPrice, TaxId};
use super::ApiVersion;

pub use crate::polar::types::{CheckoutStatus, SubscriptionStatus};

/// `OrderStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
        }
    }
}

/// `OrderBillingReason`: why an order was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingReason {
    SubscriptionCreate,
    SubscriptionCycle,
}

#[derive(Debug, Clone, Serialize)]
pub struct Checkout {
    pub id: String,
    pub client_secret: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
    pub status: CheckoutStatus,
    pub product_ids: Vec<String>,
    pub product_id: String,
    pub price: ProductPrice,
    pub seats: Option<i64>,
    pub min_seats: Option<i64>,
    pub max_seats: Option<i64>,
    pub success_url: Option<String>,
    pub return_url: Option<String>,
    pub customer_email: Option<String>,
    pub customer_name: Option<String>,
    pub customer_billing_address: Option<Address>,
    pub external_customer_id: Option<String>,
    pub customer_id: Option<String>,
    pub metadata: Metadata,
    pub customer_metadata: Metadata,
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
    pub kind: CustomerType,
    pub billing_address: Option<Address>,
    pub tax_id: Option<TaxId>,
    pub locale: Option<String>,
    pub metadata: Metadata,
    /// The saved cards (Polar's `PaymentMethod`s), oldest first; a deleted card is gone.
    pub cards: Vec<Card>,
    /// The id of the default card (`default_payment_method_id`).
    pub default_card_id: Option<String>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Customer {
    /// The default card, when it is still saved.
    pub fn default_card(&self) -> Option<&Card> {
        let id = self.default_card_id.as_deref()?;
        self.cards.iter().find(|c| c.id == id)
    }

    pub fn card(&self, id: &str) -> Option<&Card> {
        self.cards.iter().find(|c| c.id == id)
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Subscription {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub customer_id: String,
    pub product_id: String,
    pub checkout_id: Option<String>,
    pub price: ProductPrice,
    pub seats: Option<i64>,
    pub amount: i64,
    pub currency: String,
    pub status: SubscriptionStatus,
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
    pub metadata: Metadata,
    /// The card the subscription is billed with (`subscription.payment_method_id`): the one
    /// it was bought with, until that card is deleted or a past-due retry uses a new default.
    pub payment_method_id: Option<String>,
}

impl Subscription {
    /// Active, trialing or past due: still charged.
    pub fn billable(&self) -> bool {
        matches!(
            self.status,
            SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
        )
    }

    /// Active or trialing: what customer state lists.
    pub fn active(&self) -> bool {
        self.status.is_active()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Order {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub status: OrderStatus,
    pub amount: i64,
    pub currency: String,
    pub billing_reason: BillingReason,
    pub customer_id: String,
    pub product_id: String,
    pub subscription_id: String,
    pub checkout_id: Option<String>,
    pub seats: Option<i64>,
    pub price_id: Option<String>,
    pub metadata: Metadata,
    pub next_payment_attempt_at: Option<DateTime<Utc>>,
    /// Given when the order is created, as Polar numbers every order but drafts.
    pub invoice_number: Option<String>,
    /// Set once the invoice was generated (`POST /v1/orders/{id}/invoice`).
    pub invoice_generated: bool,
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
