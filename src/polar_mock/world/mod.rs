//! The world: Polar's state machine as the mock keeps it — the organization and its products,
//! checkouts, customers and their cards, subscriptions, orders, customer sessions, webhook
//! endpoints, the clock, and the outbox of events its transitions emit.
//!
//! `model` holds the records with their statuses as enums, `values` the small typed values
//! (addresses, metadata, prices), `cards` Stripe's test cards; the transitions are split by
//! resource (`checkout`, `customer`, `benefits`, `seats`, `payment_methods`, `subscription`,
//! `order`), each a synchronous method that
//! changes the records and emits Polar's webhook sequence into the `outbox`; `error` says why
//! a transition is refused, in Polar's words and without status codes.
//!
//! Must not import HTTP, JSON or wiremock, nor any other room of the mock: the API renders
//! the world, the world knows nothing of how it is shown.

mod benefits;
mod cards;
mod checkout;
mod customer;
mod error;
mod model;
mod order;
mod outbox;
mod payment_methods;
mod seats;
mod subscription;
mod values;

use chrono::{DateTime, Duration, Months, Utc};

pub use benefits::{Benefit, BenefitGrant};
pub use cards::{card_from_token, classify_card, Card, CardBehavior};
pub use checkout::CheckoutFields;
pub use customer::NewCustomer;
pub use error::WorldError;
pub use model::{
    BillingReason, Checkout, CheckoutStatus, Customer, Endpoint, Order, OrderStatus, Session,
    Subscription, SubscriptionStatus,
};
pub use order::RetryWith;
pub use outbox::{Emitted, EventType, Subject};
pub use payment_methods::PaymentMethodError;
pub use seats::{CustomerSeat, SeatError, SeatHolder};
pub use values::{
    is_seat_based, price_per_seat, seat_amount, seat_bounds, Address, CustomerType, MetaValue,
    Metadata, Product, ProductPrice, ProductVisibility, RecurringInterval, TaxId,
};

/// A `Polar-Version` the mock serves (an endpoint's payloads are in one of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApiVersion {
    /// Polar's current version; what a request without `Polar-Version` gets.
    V2026_04,
    /// Same shapes as 2026-04 for everything the mock models (the SDK adds seat members to
    /// license keys, which the mock does not model).
    V2026_10,
    /// Seat-based prices carry `tiers` beside `seat_tiers` (see the API room's `version`).
    V2027_01,
}

impl ApiVersion {
    /// Every version served, oldest first.
    pub const ALL: [ApiVersion; 3] = [
        ApiVersion::V2026_04,
        ApiVersion::V2026_10,
        ApiVersion::V2027_01,
    ];

    /// The version of a request that sends no `Polar-Version` header.
    pub const DEFAULT: ApiVersion = ApiVersion::V2026_04;

    pub fn as_str(self) -> &'static str {
        match self {
            ApiVersion::V2026_04 => "2026-04",
            ApiVersion::V2026_10 => "2026-10",
            ApiVersion::V2027_01 => "2027-01",
        }
    }

    /// `"2026-04"` → `V2026_04`; anything else (malformed or not served) → `None`.
    pub fn parse(s: &str) -> Option<ApiVersion> {
        ApiVersion::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organization the mock stands for.
#[derive(Debug, Clone)]
pub struct Organization {
    pub id: String,
    pub slug: String,
    pub name: String,
    /// The organization access token the mock accepts (`polar_oat_…`).
    pub token: String,
}

/// `prefix` + 37 random alphanumerics + 6-character checksum, like Polar's tokens.
pub fn token(prefix: &str) -> String {
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

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn add_interval(
    t: DateTime<Utc>,
    interval: Option<&RecurringInterval>,
    count: i64,
) -> DateTime<Utc> {
    let count = count.max(1);
    match interval {
        Some(RecurringInterval::Day) => t + Duration::days(count),
        Some(RecurringInterval::Week) => t + Duration::weeks(count),
        Some(RecurringInterval::Year) => t
            .checked_add_months(Months::new(12 * count as u32))
            .unwrap_or(t),
        _ => t.checked_add_months(Months::new(count as u32)).unwrap_or(t),
    }
}

#[derive(Debug, Clone)]
pub struct World {
    pub organization: Organization,
    pub org_created_at: DateTime<Utc>,
    pub products: Vec<Product>,
    pub checkouts: Vec<Checkout>,
    pub customers: Vec<Customer>,
    pub subscriptions: Vec<Subscription>,
    pub orders: Vec<Order>,
    pub sessions: Vec<Session>,
    pub endpoints: Vec<Endpoint>,
    /// The organization's benefits (from the seed; never reset).
    pub benefits: Vec<Benefit>,
    /// Every benefit grant, granted or revoked.
    pub grants: Vec<BenefitGrant>,
    /// Every customer seat, revoked ones included.
    pub seats: Vec<CustomerSeat>,
    /// The organization's `feature_settings.seat_based_pricing_enabled` (from the seed).
    pub seat_based_pricing_enabled: bool,
    /// How many usage events `POST /v1/events/ingest` accepted.
    pub ingested_events: usize,
    outbox: Vec<Emitted>,
    pub clock_offset: Duration,
    /// One-shot override of the next charge: `Some(true)` succeeds, `Some(false)` fails.
    pub next_charge: Option<bool>,
    /// Background jobs waiting for the scheduler's next pass ([`World::run_jobs`]), as
    /// Polar's worker runs what a request enqueued after the request answered.
    pub jobs: Vec<Job>,
}

/// A background job (Polar's `enqueue_job`), run by [`World::run_jobs`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    /// A retry payment succeeded: the order is paid and its past-due subscription active
    /// again, billed with `card_id` (what Stripe's `charge.succeeded` webhook leads to in
    /// Polar: `order/service.py` `handle_payment` 2105-2170,
    /// `subscription/service.py` `update_payment_method_from_retry` 4190-4200).
    RetryPaid { order_id: String, card_id: String },
    /// A new default card: the customer's past-due subscriptions move to it and their
    /// unpaid orders are charged again (Polar's `schedule_retry_for_past_due_orders`,
    /// `server/polar/order/service.py` 3193-3227, enqueued by the portal's
    /// `customer_portal/service/customer.py` 88-118, 203-227).
    RetryPastDue {
        customer_id: String,
        card_id: String,
    },
}

impl World {
    pub fn new(organization: Organization, products: Vec<Product>) -> Self {
        World {
            organization,
            org_created_at: Utc::now(),
            products,
            checkouts: Vec::new(),
            customers: Vec::new(),
            subscriptions: Vec::new(),
            orders: Vec::new(),
            sessions: Vec::new(),
            endpoints: Vec::new(),
            benefits: Vec::new(),
            grants: Vec::new(),
            seats: Vec::new(),
            seat_based_pricing_enabled: false,
            ingested_events: 0,
            outbox: Vec::new(),
            clock_offset: Duration::zero(),
            next_charge: None,
            jobs: Vec::new(),
        }
    }

    /// Back to the seed: everything created since is forgotten, the clock is real time again.
    pub fn reset(&mut self) {
        self.checkouts.clear();
        self.customers.clear();
        self.subscriptions.clear();
        self.orders.clear();
        self.sessions.clear();
        self.endpoints.clear();
        self.grants.clear();
        self.seats.clear();
        self.ingested_events = 0;
        self.outbox.clear();
        self.clock_offset = Duration::zero();
        self.next_charge = None;
        self.jobs.clear();
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.clock_offset
    }

    pub fn org_id(&self) -> &str {
        &self.organization.id
    }

    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
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

    /// The billing period of `product` (month when it has none).
    fn period_end(&self, product_id: &str, start: DateTime<Utc>) -> DateTime<Utc> {
        let product = self.product(product_id);
        add_interval(
            start,
            product.and_then(|p| p.recurring_interval.as_ref()),
            product.map_or(1, |p| p.recurring_interval_count),
        )
    }
}
