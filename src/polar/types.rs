//! Serde types for the Polar API objects this project reads and writes, named and typed as
//! Polar's OpenAPI document (API version 2026-04) says. Only the fields the product needs are
//! kept; unknown fields are ignored. Enums carry an `Other(String)` fallback so a value Polar
//! adds later never breaks parsing. Ids are strings (UUIDs), amounts are integer cents,
//! datetimes are `chrono::DateTime<Utc>` (Polar writes RFC 3339 with `Z`).
//! Pure data: must not import the client, the mock, the demo app or the runner.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Polar's `metadata` objects: string, integer, number or boolean values.
pub type Metadata = serde_json::Map<String, serde_json::Value>;

/// Defines a string enum that (de)serializes as its wire value and keeps unknown values in
/// `Other(String)`.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($variant,)+
            /// A value this build does not know yet.
            Other(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s.as_str(),
                }
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($wire => Self::$variant,)+
                    _ => Self::Other(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_string()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// `RecurringInterval`.
    RecurringInterval { Day => "day", Week => "week", Month => "month", Year => "year" }
);
string_enum!(
    /// `ProductVisibility`.
    ProductVisibility { Draft => "draft", Private => "private", Public => "public" }
);
string_enum!(
    /// `amount_type`, the discriminator of `ProductPrice`.
    AmountType { Fixed => "fixed", Custom => "custom", SeatBased => "seat_based", MeteredUnit => "metered_unit" }
);
string_enum!(
    /// `SeatTierType`.
    SeatTierType { Volume => "volume", Graduated => "graduated" }
);
string_enum!(
    /// `CheckoutStatus`.
    CheckoutStatus { Open => "open", Expired => "expired", Confirmed => "confirmed", Succeeded => "succeeded", Failed => "failed" }
);
string_enum!(
    /// `SubscriptionStatus`.
    SubscriptionStatus {
        Incomplete => "incomplete",
        IncompleteExpired => "incomplete_expired",
        Trialing => "trialing",
        Active => "active",
        PastDue => "past_due",
        Canceled => "canceled",
        Unpaid => "unpaid",
        Paused => "paused",
    }
);
string_enum!(
    /// `SubscriptionProrationBehavior`.
    ProrationBehavior { Invoice => "invoice", Prorate => "prorate", NextPeriod => "next_period", Reset => "reset" }
);
string_enum!(
    /// `WebhookFormat`.
    WebhookFormat { Raw => "raw", Discord => "discord", Slack => "slack" }
);
string_enum!(
    /// `CustomerState.type` / `Customer.type`.
    CustomerType { Individual => "individual", Team => "team" }
);

impl SubscriptionStatus {
    /// Polar's "active" group: `active` or `trialing`.
    pub fn is_active(&self) -> bool {
        matches!(self, Self::Active | Self::Trialing)
    }
}

/// `ListResource_*`: one page of a list endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListResource<T> {
    pub items: Vec<T>,
    pub pagination: Pagination,
}

/// `Pagination`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pagination {
    pub total_count: i64,
    pub max_page: i64,
}

/// `Product`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub visibility: ProductVisibility,
    #[serde(default)]
    pub recurring_interval: Option<RecurringInterval>,
    #[serde(default)]
    pub recurring_interval_count: Option<i64>,
    pub is_recurring: bool,
    pub is_archived: bool,
    pub organization_id: String,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub prices: Vec<ProductPrice>,
}

impl Product {
    /// The first non-archived seat-based price, if any.
    pub fn seat_based_price(&self) -> Option<&ProductPrice> {
        self.prices
            .iter()
            .find(|p| !p.is_archived && p.amount_type == AmountType::SeatBased)
    }
}

/// `ProductPrice` (a union on `amount_type`), flattened: the common fields plus the optional
/// fields of each variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductPrice {
    pub id: String,
    pub amount_type: AmountType,
    /// Lowercase ISO code, e.g. `usd`.
    pub price_currency: String,
    pub is_archived: bool,
    pub product_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `fixed`: cents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_amount: Option<i64>,
    /// `seat_based`: the tiers; per-seat prices live only here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seat_tiers: Option<SeatTiers>,
}

impl ProductPrice {
    /// The amount in cents for `seats` seats of a seat-based price (volume or graduated).
    pub fn seat_amount(&self, seats: i64) -> Option<i64> {
        self.seat_tiers.as_ref()?.amount_for(seats)
    }
}

/// `ProductPriceSeatTiers-Output`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatTiers {
    #[serde(default = "volume")]
    pub seat_tier_type: SeatTierType,
    pub tiers: Vec<SeatTier>,
    pub minimum_seats: i64,
    #[serde(default)]
    pub maximum_seats: Option<i64>,
}

fn volume() -> SeatTierType {
    SeatTierType::Volume
}

impl SeatTiers {
    /// Polar's amount rule: volume charges every seat at the rate of the tier containing the
    /// count; graduated charges each tier's range at its own rate.
    pub fn amount_for(&self, seats: i64) -> Option<i64> {
        if seats < 1 {
            return Some(0);
        }
        match self.seat_tier_type {
            SeatTierType::Graduated => {
                let mut total = 0;
                for t in &self.tiers {
                    if seats < t.min_seats {
                        break;
                    }
                    let upper = t.max_seats.map_or(seats, |m| m.min(seats));
                    total += (upper - t.min_seats + 1) * t.price_per_seat;
                }
                Some(total)
            }
            _ => self
                .tiers
                .iter()
                .find(|t| seats >= t.min_seats && t.max_seats.is_none_or(|m| seats <= m))
                .map(|t| t.price_per_seat * seats),
        }
    }
}

/// `ProductPriceSeatTier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeatTier {
    pub min_seats: i64,
    #[serde(default)]
    pub max_seats: Option<i64>,
    /// Cents.
    pub price_per_seat: i64,
}

/// Filters of `GET /v1/products/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductListParams {
    pub id: Option<String>,
    pub query: Option<String>,
    pub is_archived: Option<bool>,
    pub is_recurring: Option<bool>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
}

/// `CheckoutProductsCreate` (the body of `POST /v1/checkouts/`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CheckoutCreate {
    pub products: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_seats: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_seats: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_customer_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_email: Option<String>,
    /// `{CHECKOUT_ID}` in it is replaced by the checkout id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
    #[serde(skip_serializing_if = "Metadata::is_empty", default)]
    pub metadata: Metadata,
}

/// `Checkout`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkout {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    pub status: CheckoutStatus,
    /// The hosted checkout page.
    pub url: String,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub success_url: Option<String>,
    pub amount: i64,
    #[serde(default)]
    pub seats: Option<i64>,
    #[serde(default)]
    pub min_seats: Option<i64>,
    #[serde(default)]
    pub max_seats: Option<i64>,
    pub total_amount: i64,
    pub currency: String,
    pub product_id: Option<String>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub external_customer_id: Option<String>,
    #[serde(default)]
    pub metadata: Metadata,
}

/// `CustomerSessionCustomerIDCreate` / `CustomerSessionCustomerExternalIDCreate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CustomerSessionCreate {
    CustomerId {
        customer_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        return_url: Option<String>,
    },
    ExternalCustomerId {
        external_customer_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        return_url: Option<String>,
    },
}

/// `CustomerSession`. Its `token` is a bearer credential for the portal: don't log it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerSession {
    pub id: String,
    pub token: String,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub return_url: Option<String>,
    pub customer_portal_url: String,
    pub customer_id: String,
}

impl std::fmt::Debug for CustomerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CustomerSession")
            .field("id", &self.id)
            .field("token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .field("customer_id", &self.customer_id)
            .finish_non_exhaustive()
    }
}

/// `CustomerState` (individual or team; the variants share these fields).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerState {
    pub id: String,
    #[serde(rename = "type", default)]
    pub customer_type: Option<CustomerType>,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub active_subscriptions: Vec<CustomerStateSubscription>,
}

/// `CustomerStateSubscription` (no `seats`; Polar only lists `active`/`trialing` here).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerStateSubscription {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    pub status: SubscriptionStatus,
    pub amount: i64,
    pub currency: String,
    pub current_period_start: DateTime<Utc>,
    #[serde(default)]
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    pub product_id: String,
}

/// `Customer` (`CustomerIndividual` or `CustomerTeam`, told apart by `type`; the fields
/// this project reads are common to both).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    #[serde(rename = "type", default)]
    pub customer_type: Option<CustomerType>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub external_id: Option<String>,
    pub email: String,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub name: Option<String>,
    pub organization_id: String,
    #[serde(default)]
    pub deleted_at: Option<DateTime<Utc>>,
}

/// `SubscriptionCustomer` (the customer embedded in a `Subscription`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubscriptionCustomer {
    pub id: String,
    #[serde(default)]
    pub external_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
}

/// `Subscription`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub modified_at: Option<DateTime<Utc>>,
    /// Cents; for seat-based prices the total for all seats.
    pub amount: i64,
    pub currency: String,
    pub recurring_interval: RecurringInterval,
    pub status: SubscriptionStatus,
    pub current_period_start: DateTime<Utc>,
    #[serde(default)]
    pub current_period_end: Option<DateTime<Utc>>,
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub canceled_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub past_due_at: Option<DateTime<Utc>>,
    pub customer_id: String,
    pub product_id: String,
    #[serde(default)]
    pub checkout_id: Option<String>,
    /// Null when the subscription is not seat-based.
    #[serde(default)]
    pub seats: Option<i64>,
    #[serde(default)]
    pub metadata: Metadata,
    #[serde(default)]
    pub customer: Option<SubscriptionCustomer>,
}

/// Filters of `GET /v1/subscriptions/`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SubscriptionListParams {
    pub product_id: Option<String>,
    pub customer_id: Option<String>,
    pub external_customer_id: Option<String>,
    pub status: Vec<SubscriptionStatus>,
    pub cancel_at_period_end: Option<bool>,
    pub page: Option<u32>,
    pub limit: Option<u32>,
}

/// The `PATCH /v1/subscriptions/{id}` variants this project uses. Each variant forbids extra
/// keys on Polar's side, so exactly one is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SubscriptionUpdate {
    /// `SubscriptionCancel` (true: cancel at period end; false: uncancel).
    Cancel { cancel_at_period_end: bool },
    /// `SubscriptionUpdateSeats`.
    Seats {
        seats: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        proration_behavior: Option<ProrationBehavior>,
    },
    /// `SubscriptionRevoke` (same effect as `DELETE`).
    Revoke { revoke: bool },
}

/// `WebhookEndpointCreate`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpointCreate {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub format: WebhookFormat,
    pub events: Vec<String>,
}

/// `WebhookEndpoint`. Its `secret` signs deliveries: don't log it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    #[serde(default)]
    pub name: Option<String>,
    pub format: WebhookFormat,
    pub secret: String,
    pub organization_id: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("secret", &"<redacted>")
            .field("events", &self.events)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// The envelope of every webhook delivery: `{"type", "timestamp", "data"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    pub timestamp: DateTime<Utc>,
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_enum_values_survive() {
        let s: SubscriptionStatus = serde_json::from_str("\"frozen\"").unwrap();
        assert_eq!(s, SubscriptionStatus::Other("frozen".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"frozen\"");
        let a: SubscriptionStatus = serde_json::from_str("\"past_due\"").unwrap();
        assert_eq!(a, SubscriptionStatus::PastDue);
    }

    #[test]
    fn seat_amounts_follow_volume_and_graduated_rules() {
        let tiers = |t: SeatTierType| SeatTiers {
            seat_tier_type: t,
            tiers: vec![
                SeatTier {
                    min_seats: 1,
                    max_seats: Some(10),
                    price_per_seat: 1000,
                },
                SeatTier {
                    min_seats: 11,
                    max_seats: None,
                    price_per_seat: 800,
                },
            ],
            minimum_seats: 1,
            maximum_seats: None,
        };
        assert_eq!(tiers(SeatTierType::Volume).amount_for(14), Some(11200));
        assert_eq!(tiers(SeatTierType::Graduated).amount_for(14), Some(13200));
    }

    #[test]
    fn update_variants_serialize_to_exactly_one_shape() {
        let cancel = SubscriptionUpdate::Cancel {
            cancel_at_period_end: true,
        };
        assert_eq!(
            serde_json::to_value(&cancel).unwrap(),
            serde_json::json!({"cancel_at_period_end": true})
        );
        let seats = SubscriptionUpdate::Seats {
            seats: 3,
            proration_behavior: None,
        };
        assert_eq!(
            serde_json::to_value(&seats).unwrap(),
            serde_json::json!({"seats": 3})
        );
    }
}
