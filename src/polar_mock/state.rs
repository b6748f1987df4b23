//! The mock's world: organization, products, checkouts, customers, subscriptions, orders,
//! sessions, webhook endpoints, the clock, faults and the outbox of webhook events.
//! Every transition lives here as a synchronous method that emits Polar's webhook sequence
//! into the outbox; renderers turn records into Polar's JSON shapes.

use chrono::{DateTime, Duration, Months, Utc};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::fixtures::{self, Seed};

/// Polar's datetime format (pydantic, microseconds, `Z`).
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
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

#[derive(Debug, Clone, Serialize)]
pub struct Card {
    pub id: String,
    pub last4: String,
    pub behavior: CardBehavior,
    /// Charges made with this card so far (the first one is the checkout's).
    pub charges: u32,
}

/// Classifies a card number (spaces ignored), or returns the error the form shows.
pub(crate) fn classify_card(number: &str, expiry: &str, cvc: &str) -> Result<Card, String> {
    let digits: String = number.chars().filter(|c| !c.is_whitespace()).collect();
    let behavior = match digits.as_str() {
        "4242424242424242" => CardBehavior::Succeeds,
        "4000000000000002" => CardBehavior::Declined,
        "4000000000000341" => CardBehavior::FailsLater,
        "" => return Err("Your card number is incomplete.".into()),
        _ => return Err("Your card number is invalid.".into()),
    };
    let exp: String = expiry.chars().filter(|c| c.is_ascii_digit()).collect();
    if exp.len() != 4 {
        return Err("Your card's expiration date is incomplete.".into());
    }
    let month: u32 = exp[..2].parse().unwrap_or(0);
    if !(1..=12).contains(&month) {
        return Err("Your card's expiration date is invalid.".into());
    }
    let cvc_digits = cvc.trim();
    if !(3..=4).contains(&cvc_digits.len()) || !cvc_digits.chars().all(|c| c.is_ascii_digit()) {
        return Err("Your card's security code is incomplete.".into());
    }
    Ok(Card {
        id: format!("pm_mock_{}", &new_id()[..8]),
        last4: digits[digits.len() - 4..].to_string(),
        behavior,
        charges: 0,
    })
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
    pub kind: String,
    pub billing_address: Option<Value>,
    pub metadata: Map<String, Value>,
    pub card: Option<Card>,
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
    pub fn billable(&self) -> bool {
        matches!(self.status.as_str(), "active" | "trialing" | "past_due")
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
}

#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: String,
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
    pub url: String,
    pub name: Option<String>,
    pub format: String,
    #[serde(skip)]
    pub secret: String,
    pub events: Vec<String>,
    pub enabled: bool,
}

/// A fault injected on a route for the next `remaining` matching requests.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Fault {
    /// HTTP method to match (any when absent).
    #[serde(default)]
    pub method: Option<String>,
    /// Path prefix to match, e.g. `/v1/checkouts/`.
    pub path: String,
    /// `latency`, `status` (a 5xx or any code) or `rate_limit` (429 + Retry-After).
    pub kind: String,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default = "one")]
    pub remaining: u32,
}

fn one() -> u32 {
    1
}

/// A webhook event waiting for the dispatcher.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub timestamp: String,
    #[serde(skip)]
    pub body: String,
    pub data: Value,
}

/// One event routed to one endpoint.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub event: Event,
    pub endpoint_id: String,
    pub url: String,
    pub secret: String,
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
    pub faults: Vec<Fault>,
    pub events: Vec<Event>,
    pub outbox: Vec<Outgoing>,
    pub clock_offset: Duration,
    /// One-shot override of the next charge: `Some(true)` succeeds, `Some(false)` fails.
    pub next_charge: Option<bool>,
    pub log_requests: bool,
}

/// A Polar error: status, `error` name and `detail`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub body: Value,
}

impl ApiError {
    pub fn new(status: u16, error: &str, detail: &str) -> Self {
        ApiError {
            status,
            body: json!({"error": error, "detail": detail}),
        }
    }
    pub fn not_found() -> Self {
        Self::new(404, "ResourceNotFound", "Not found")
    }
    /// Pydantic's "Field required" for a missing field at `loc`.
    pub fn missing(loc: Value, input: Value) -> Self {
        Self::validation(
            "RequestValidationError",
            "missing",
            loc,
            "Field required",
            input,
        )
    }
    /// 422 with one item; `error` is `RequestValidationError` for schema-level failures and
    /// `PolarRequestValidationError` for business checks.
    pub fn validation(error: &str, kind: &str, loc: Value, msg: &str, input: Value) -> Self {
        ApiError {
            status: 422,
            body: json!({"error": error, "detail": [{"type": kind, "loc": loc, "msg": msg, "input": input}]}),
        }
    }
    pub fn already_canceled() -> Self {
        Self::new(
            403,
            "AlreadyCanceledSubscription",
            "This subscription is already canceled or will be at the end of the period.",
        )
    }
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

fn add_interval(t: DateTime<Utc>, interval: &str, count: i64) -> DateTime<Utc> {
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

impl State {
    pub fn new(base_url: String, seed: Seed, log_requests: bool) -> Self {
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
            faults: Vec::new(),
            events: Vec::new(),
            outbox: Vec::new(),
            clock_offset: Duration::zero(),
            next_charge: None,
            log_requests,
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
        self.faults.clear();
        self.events.clear();
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

    pub fn customer(&self, id: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.id == id)
    }

    pub fn subscription_index(&self, id: &str) -> Option<usize> {
        self.subscriptions.iter().position(|s| s.id == id)
    }

    pub fn checkout_by_secret(&self, secret: &str) -> Option<usize> {
        self.checkouts
            .iter()
            .position(|c| c.client_secret == secret)
    }

    pub fn session(&self, token: &str) -> Option<&Session> {
        let now = self.now();
        self.sessions
            .iter()
            .find(|s| s.token == token && s.expires_at > now)
    }

    // ---------------------------------------------------------------- rendering

    pub fn checkout_url(&self, c: &Checkout) -> String {
        format!("{}/checkout/{}", self.base_url, c.client_secret)
    }

    pub fn render_checkout(&self, c: &Checkout) -> Value {
        let product = self.product(&c.product_id).cloned().unwrap_or(Value::Null);
        let mut checkout_product = product.clone();
        if let Some(o) = checkout_product.as_object_mut() {
            o.remove("metadata");
            o.remove("attached_custom_fields");
        }
        let seats = c.seats.unwrap_or(1);
        let amount = seat_amount(&c.price, seats);
        let country = c
            .customer_billing_address
            .as_ref()
            .and_then(|a| a["country"].as_str())
            .unwrap_or("");
        let us_like = country == "US" || country == "CA";
        let req = |on: bool| if on { "required" } else { "optional" };
        let success_url = c.success_url.clone().unwrap_or_else(|| {
            format!(
                "{}/checkout/{}/confirmation",
                self.base_url, c.client_secret
            )
        });
        let mut prices = Map::new();
        prices.insert(c.product_id.clone(), product["prices"].clone());
        let head = json!({
            "id": c.id,
            "created_at": ts(c.created_at),
            "modified_at": opt_ts(c.modified_at),
            "custom_field_data": {},
            "payment_processor": "stripe",
            "status": c.status,
            "client_secret": c.client_secret,
            "url": self.checkout_url(c),
            "expires_at": ts(c.expires_at),
            "success_url": success_url,
            "return_url": c.return_url,
            "embed_origin": null,
            "amount": amount,
            "seats": c.seats,
            "min_seats": c.min_seats,
            "max_seats": c.max_seats,
            "discount_amount": 0,
            "net_amount": amount,
            "tax_amount": null,
            "tax_behavior": null,
            "total_amount": amount,
            "currency": c.price["price_currency"].as_str().unwrap_or("usd"),
            "allow_trial": true,
            "active_trial_interval": null,
            "active_trial_interval_count": null,
            "trial_end": null,
            "organization_id": self.org_id(),
            "product_id": c.product_id,
            "product_price_id": c.price["id"],
            "discount_id": null,
            "allow_discount_codes": true,
            "require_billing_address": false,
            "is_discount_applicable": true,
        });
        let rest = json!({
            "is_free_product_price": amount == 0,
            "is_payment_required": amount > 0,
            "is_payment_setup_required": product["is_recurring"].as_bool().unwrap_or(false),
            "is_payment_form_required": true,
            "customer_id": c.customer_id,
            "is_business_customer": false,
            "customer_name": c.customer_name,
            "customer_email": c.customer_email,
            "customer_ip_address": null,
            "customer_billing_name": null,
            "customer_billing_address": c.customer_billing_address,
            "customer_tax_id": null,
            "locale": null,
            "payment_method_type": null,
            "payment_processor_metadata": {"publishable_key": "pk_test_mock"},
            "billing_address_fields": {
                "country": "required",
                "state": if us_like { "required" } else { "disabled" },
                "city": req(country == "US"),
                "postal_code": req(country == "US"),
                "line1": req(country == "US"),
                "line2": "optional",
            },
            "trial_interval": null,
            "trial_interval_count": null,
            "metadata": c.metadata,
            "external_customer_id": c.external_customer_id,
            "products": [checkout_product.clone()],
            "product": checkout_product,
            "product_price": c.price,
            "prices": prices,
            "discount": null,
            "subscription_id": null,
            "attached_custom_fields": [],
            "customer_metadata": c.customer_metadata,
        });
        let mut out = head;
        if let (Some(o), Value::Object(r)) = (out.as_object_mut(), rest) {
            o.extend(r);
        }
        out
    }

    pub fn render_customer(&self, c: &Customer) -> Value {
        json!({
            "id": c.id,
            "created_at": ts(c.created_at),
            "modified_at": opt_ts(c.modified_at),
            "metadata": c.metadata,
            "external_id": c.external_id,
            "email": c.email,
            "email_verified": false,
            "type": c.kind,
            "name": c.name,
            "billing_name": c.name,
            "billing_address": c.billing_address,
            "tax_id": null,
            "locale": null,
            "organization_id": self.org_id(),
            "default_payment_method_id": c.card.as_ref().map(|card| card.id.clone()),
            "deleted_at": null,
            "first_user_event_at": null,
            "avatar_url": null,
        })
    }

    fn subscription_core(&self, s: &Subscription) -> Map<String, Value> {
        let product = self.product(&s.product_id).cloned().unwrap_or(Value::Null);
        let v = json!({
            "created_at": ts(s.created_at),
            "modified_at": opt_ts(s.modified_at),
            "id": s.id,
            "amount": s.amount,
            "currency": s.currency,
            "recurring_interval": product["recurring_interval"].as_str().unwrap_or("month"),
            "recurring_interval_count": product["recurring_interval_count"].as_i64().unwrap_or(1),
            "status": s.status,
            "current_period_start": ts(s.current_period_start),
            "current_period_end": ts(s.current_period_end),
            "current_meter_period_start": null,
            "current_meter_period_end": null,
            "trial_start": null,
            "trial_end": null,
            "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": opt_ts(s.canceled_at),
            "started_at": opt_ts(s.started_at),
            "ends_at": opt_ts(s.ends_at),
            "ended_at": opt_ts(s.ended_at),
            "past_due_at": opt_ts(s.past_due_at),
            "pause_at_period_end": false,
            "paused_at": null,
            "resumes_at": null,
            "customer_id": s.customer_id,
            "product_id": s.product_id,
            "discount_id": null,
            "checkout_id": s.checkout_id,
            "seats": s.seats,
            "customer_cancellation_reason": s.cancellation_reason,
            "customer_cancellation_comment": s.cancellation_comment,
            "metadata": s.metadata,
            "custom_field_data": {},
        });
        v.as_object().cloned().unwrap_or_default()
    }

    pub fn render_subscription(&self, s: &Subscription) -> Value {
        let mut m = self.subscription_core(s);
        let customer = self
            .customer(&s.customer_id)
            .map(|c| self.render_customer(c))
            .unwrap_or(Value::Null);
        let product = self.product(&s.product_id).cloned().unwrap_or(Value::Null);
        m.insert("customer".into(), customer);
        m.insert("product".into(), product);
        m.insert("discount".into(), Value::Null);
        m.insert("prices".into(), json!([s.price]));
        m.insert("meters".into(), json!([]));
        m.insert("pending_update".into(), Value::Null);
        Value::Object(m)
    }

    pub fn render_order(&self, o: &Order) -> Value {
        let customer = self
            .customer(&o.customer_id)
            .map(|c| self.render_customer(c))
            .unwrap_or(Value::Null);
        let mut product = self.product(&o.product_id).cloned().unwrap_or(Value::Null);
        if let Some(p) = product.as_object_mut() {
            for k in ["prices", "benefits", "medias", "attached_custom_fields"] {
                p.remove(k);
            }
        }
        let subscription = self
            .subscription_index(&o.subscription_id)
            .map(|i| Value::Object(self.subscription_core(&self.subscriptions[i])))
            .map(|mut v| {
                if let Some(m) = v.as_object_mut() {
                    m.remove("custom_field_data");
                }
                v
            })
            .unwrap_or(Value::Null);
        let paid = o.status == "paid";
        let name = product["name"].as_str().unwrap_or("").to_string();
        let label = match o.seats {
            Some(n) => format!("{name} ({n} seats)"),
            None => name.clone(),
        };
        let head = json!({
            "id": o.id,
            "created_at": ts(o.created_at),
            "modified_at": opt_ts(o.modified_at),
            "status": o.status,
            "paid": paid,
            "subtotal_amount": o.amount,
            "discount_amount": 0,
            "net_amount": o.amount,
            "tax_amount": 0,
            "total_amount": o.amount,
            "applied_balance_amount": 0,
            "due_amount": if paid { 0 } else { o.amount },
            "refunded_amount": 0,
            "refunded_tax_amount": 0,
            "currency": o.currency,
            "billing_reason": o.billing_reason,
            "billing_name": customer["name"],
            "billing_address": customer["billing_address"],
            "invoice_number": null,
            "is_invoice_generated": false,
            "receipt_number": null,
            "seats": o.seats,
            "customer_id": o.customer_id,
            "product_id": o.product_id,
            "discount_id": null,
            "subscription_id": o.subscription_id,
            "checkout_id": o.checkout_id,
            "next_payment_attempt_at": opt_ts(o.next_payment_attempt_at),
        });
        let rest = json!({
            "metadata": o.metadata,
            "custom_field_data": {},
            "platform_fee_amount": 0,
            "platform_fee_currency": null,
            "customer": customer,
            "product": product,
            "discount": null,
            "subscription": subscription,
            "items": [{
                "created_at": ts(o.created_at),
                "modified_at": null,
                "id": o.id,
                "label": label,
                "amount": o.amount,
                "tax_amount": 0,
                "proration": false,
                "product_price_id": o.price_id,
            }],
            "description": name,
            "refundable_amount": if paid { o.amount } else { 0 },
            "refundable_tax_amount": 0,
        });
        let mut out = head;
        if let (Some(o), Value::Object(r)) = (out.as_object_mut(), rest) {
            o.extend(r);
        }
        out
    }

    pub fn render_customer_state(&self, c: &Customer) -> Value {
        let mut v = self.render_customer(c);
        let active: Vec<Value> = self
            .subscriptions
            .iter()
            .filter(|s| s.customer_id == c.id && matches!(s.status.as_str(), "active" | "trialing"))
            .map(|s| {
                let core = self.subscription_core(s);
                let keep = [
                    "id",
                    "created_at",
                    "modified_at",
                    "custom_field_data",
                    "metadata",
                    "status",
                    "amount",
                    "currency",
                    "recurring_interval",
                    "current_period_start",
                    "current_period_end",
                    "trial_start",
                    "trial_end",
                    "cancel_at_period_end",
                    "canceled_at",
                    "started_at",
                    "ends_at",
                    "product_id",
                    "discount_id",
                ];
                let mut m: Map<String, Value> = core
                    .into_iter()
                    .filter(|(k, _)| keep.contains(&k.as_str()))
                    .collect();
                m.insert("meters".into(), json!([]));
                Value::Object(m)
            })
            .collect();
        if let Some(m) = v.as_object_mut() {
            m.insert("active_subscriptions".into(), Value::Array(active));
            m.insert("granted_benefits".into(), json!([]));
            m.insert("active_meters".into(), json!([]));
        }
        v
    }

    pub fn render_session(&self, s: &Session) -> Value {
        let customer = self.customer(&s.customer_id);
        let email = customer.map(|c| c.email.clone()).unwrap_or_default();
        json!({
            "created_at": ts(s.created_at),
            "modified_at": null,
            "id": s.id,
            "token": s.token,
            "expires_at": ts(s.expires_at),
            "return_url": s.return_url,
            "customer_portal_url": self.portal_url(&s.token, &email),
            "customer_id": s.customer_id,
            "customer": customer.map(|c| self.render_customer(c)).unwrap_or(Value::Null),
        })
    }

    pub fn portal_url(&self, token: &str, email: &str) -> String {
        format!(
            "{}/{}/portal?customer_session_token={}&email={}",
            self.base_url,
            self.seed.organization.slug,
            token,
            url_encode(email)
        )
    }

    pub fn render_endpoint(&self, e: &Endpoint) -> Value {
        json!({
            "created_at": ts(e.created_at),
            "modified_at": null,
            "id": e.id,
            "url": e.url,
            "name": e.name,
            "format": e.format,
            "secret": e.secret,
            "organization_id": self.org_id(),
            "events": e.events,
            "enabled": e.enabled,
        })
    }

    // ---------------------------------------------------------------- events

    /// Queues one webhook event for every enabled endpoint subscribed to it.
    pub fn emit(&mut self, kind: &str, data: Value) {
        let timestamp = ts(self.now());
        let body = json!({"type": kind, "timestamp": timestamp, "data": data});
        let event = Event {
            id: new_id(),
            kind: kind.to_string(),
            timestamp,
            body: body.to_string(),
            data,
        };
        for e in &self.endpoints {
            if e.enabled && e.events.iter().any(|k| k == kind) {
                self.outbox.push(Outgoing {
                    event: event.clone(),
                    endpoint_id: e.id.clone(),
                    url: e.url.clone(),
                    secret: e.secret.clone(),
                });
            }
        }
        self.events.push(event);
    }

    fn emit_checkout(&mut self, kind: &str, i: usize) {
        let data = self.render_checkout(&self.checkouts[i]);
        self.emit(kind, data);
    }

    fn emit_subscription(&mut self, kinds: &[&str], i: usize) {
        for kind in kinds {
            let data = self.render_subscription(&self.subscriptions[i]);
            self.emit(kind, data);
        }
    }

    fn emit_order(&mut self, kinds: &[&str], i: usize) {
        for kind in kinds {
            let data = self.render_order(&self.orders[i]);
            self.emit(kind, data);
        }
    }

    fn emit_state_changed(&mut self, customer_id: &str) {
        if let Some(c) = self.customer(customer_id) {
            let data = self.render_customer_state(c);
            self.emit("customer.state_changed", data);
        }
    }

    // ---------------------------------------------------------------- transitions

    pub fn add_checkout(&mut self, c: Checkout) -> usize {
        self.checkouts.push(c);
        let i = self.checkouts.len() - 1;
        self.emit_checkout("checkout.created", i);
        i
    }

    /// Decides whether a charge on `card` succeeds, consuming a one-shot override.
    fn charge(&mut self, customer_id: &str) -> bool {
        let forced = self.next_charge.take();
        let Some(c) = self.customers.iter_mut().find(|c| c.id == customer_id) else {
            return false;
        };
        let Some(card) = c.card.as_mut() else {
            return forced.unwrap_or(false);
        };
        card.charges += 1;
        let natural = match card.behavior {
            CardBehavior::Succeeds => true,
            CardBehavior::Declined => false,
            CardBehavior::FailsLater => card.charges <= 1,
        };
        forced.unwrap_or(natural)
    }

    /// The buyer pressed "Subscribe now": creates or finds the customer, charges the card and,
    /// on success, creates the subscription and the paid order. Returns the session token.
    pub fn confirm_checkout(
        &mut self,
        i: usize,
        email: String,
        name: Option<String>,
        billing_address: Option<Value>,
        seats: Option<i64>,
        card: Card,
    ) -> Result<String, ApiError> {
        let now = self.now();
        {
            let c = &self.checkouts[i];
            if c.status != "open" {
                return Err(ApiError::new(
                    403,
                    "NotOpenCheckout",
                    "This checkout is not open.",
                ));
            }
            if now > c.expires_at {
                return Err(ApiError::new(
                    410,
                    "ExpiredCheckoutError",
                    "This checkout session has expired.",
                ));
            }
        }
        if let Some(n) = seats {
            let c = &self.checkouts[i];
            let min = c
                .min_seats
                .or(c.price["seat_tiers"]["minimum_seats"].as_i64())
                .unwrap_or(1);
            let max = c
                .max_seats
                .or(c.price["seat_tiers"]["maximum_seats"].as_i64());
            if n < min {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    &format!("Minimum {min} seats required."),
                ));
            }
            if max.is_some_and(|m| n > m) {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    &format!("Maximum {} seats allowed.", max.unwrap_or(n)),
                ));
            }
        }
        // Resolve the customer: supplied id, external id, or email.
        let (ext, cust_id) = {
            let c = &self.checkouts[i];
            (c.external_customer_id.clone(), c.customer_id.clone())
        };
        let existing = self.customers.iter().position(|c| {
            Some(&c.id) == cust_id.as_ref()
                || (ext.is_some() && c.external_id == ext)
                || (ext.is_none()
                    && cust_id.is_none()
                    && c.external_id.is_none()
                    && c.email.eq_ignore_ascii_case(&email))
        });
        if let Some(ci) = existing {
            let cid = self.customers[ci].id.clone();
            if self
                .subscriptions
                .iter()
                .any(|s| s.customer_id == cid && s.billable())
            {
                return Err(ApiError::new(
                    403,
                    "AlreadyActiveSubscriptionError",
                    "You already have an active subscription.",
                ));
            }
        }
        let customer_metadata = self.checkouts[i].customer_metadata.clone();
        let ci = match existing {
            Some(ci) => ci,
            None => {
                self.customers.push(Customer {
                    id: new_id(),
                    created_at: now,
                    modified_at: None,
                    email: email.clone(),
                    name: name.clone(),
                    external_id: ext.clone(),
                    kind: "individual".into(),
                    billing_address: billing_address.clone(),
                    metadata: customer_metadata,
                    card: None,
                });
                let ci = self.customers.len() - 1;
                let data = self.render_customer(&self.customers[ci]);
                self.emit("customer.created", data);
                ci
            }
        };
        let customer_id = self.customers[ci].id.clone();
        {
            let c = &mut self.checkouts[i];
            c.customer_email = Some(email);
            c.customer_name = name.clone();
            if billing_address.is_some() {
                c.customer_billing_address = billing_address.clone();
            }
            if seats.is_some() {
                c.seats = seats;
            }
            c.customer_id = Some(customer_id.clone());
            c.status = "confirmed".into();
            c.modified_at = Some(now);
        }
        self.emit_checkout("checkout.updated", i);

        if card.behavior == CardBehavior::Declined && self.next_charge != Some(true) {
            self.next_charge = None;
            let now = self.now();
            let c = &mut self.checkouts[i];
            c.status = "open".into();
            c.modified_at = Some(now);
            self.emit_checkout("checkout.updated", i);
            return Err(ApiError::new(
                400,
                "PaymentError",
                "Your card was declined.",
            ));
        }
        {
            let cust = &mut self.customers[ci];
            if cust.name.is_none() {
                cust.name = name;
            }
            if billing_address.is_some() {
                cust.billing_address = billing_address;
            }
            cust.card = Some(Card { charges: 1, ..card });
        }
        self.next_charge = None;

        let c = self.checkouts[i].clone();
        let product = self.product(&c.product_id).cloned().unwrap_or(Value::Null);
        let seat_based = is_seat_based(&c.price);
        let seats = if seat_based {
            Some(c.seats.unwrap_or(1))
        } else {
            None
        };
        let amount = seat_amount(&c.price, seats.unwrap_or(1));
        if seat_based && self.customers[ci].kind != "team" {
            self.customers[ci].kind = "team".into();
            self.customers[ci].modified_at = Some(now);
        }
        let end = add_interval(
            now,
            product["recurring_interval"].as_str().unwrap_or("month"),
            product["recurring_interval_count"].as_i64().unwrap_or(1),
        );
        let currency = c.price["price_currency"]
            .as_str()
            .unwrap_or("usd")
            .to_string();
        self.subscriptions.push(Subscription {
            id: new_id(),
            created_at: now,
            modified_at: None,
            customer_id: customer_id.clone(),
            product_id: c.product_id.clone(),
            checkout_id: Some(c.id.clone()),
            price: c.price.clone(),
            seats,
            amount,
            currency: currency.clone(),
            status: "active".into(),
            current_period_start: now,
            current_period_end: end,
            cancel_at_period_end: false,
            canceled_at: None,
            started_at: Some(now),
            ends_at: None,
            ended_at: None,
            past_due_at: None,
            cancellation_reason: None,
            cancellation_comment: None,
            metadata: c.metadata.clone(),
        });
        let si = self.subscriptions.len() - 1;
        self.emit_subscription(
            &[
                "subscription.created",
                "subscription.active",
                "subscription.updated",
            ],
            si,
        );
        let sub_id = self.subscriptions[si].id.clone();
        let oi = self.new_order(si, "subscription_create", Some(c.id.clone()));
        self.emit_order(&["order.created"], oi);
        self.orders[oi].status = "paid".into();
        self.orders[oi].modified_at = Some(self.now());
        self.emit_order(&["order.updated", "order.paid"], oi);
        self.checkouts[i].status = "succeeded".into();
        self.checkouts[i].modified_at = Some(self.now());
        self.emit_checkout("checkout.updated", i);
        self.emit_state_changed(&customer_id);
        let _ = sub_id;
        Ok(self.create_session(&customer_id, None).token)
    }

    fn new_order(&mut self, si: usize, reason: &str, checkout_id: Option<String>) -> usize {
        let s = &self.subscriptions[si];
        let order = Order {
            id: new_id(),
            created_at: self.now(),
            modified_at: None,
            status: "pending".into(),
            amount: s.amount,
            currency: s.currency.clone(),
            billing_reason: reason.into(),
            customer_id: s.customer_id.clone(),
            product_id: s.product_id.clone(),
            subscription_id: s.id.clone(),
            checkout_id,
            seats: s.seats,
            price_id: s.price["id"].as_str().map(str::to_string),
            metadata: s.metadata.clone(),
            next_payment_attempt_at: None,
        };
        self.orders.push(order);
        self.orders.len() - 1
    }

    pub fn create_session(&mut self, customer_id: &str, return_url: Option<String>) -> Session {
        let now = self.now();
        let s = Session {
            id: new_id(),
            token: token("polar_cst_"),
            customer_id: customer_id.to_string(),
            created_at: now,
            expires_at: now + Duration::hours(1),
            return_url,
        };
        self.sessions.push(s.clone());
        s
    }

    pub fn cancel(
        &mut self,
        si: usize,
        reason: Option<String>,
        comment: Option<String>,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if !s.billable() || s.cancel_at_period_end || s.ended_at.is_some() {
            return Err(ApiError::already_canceled());
        }
        s.cancel_at_period_end = true;
        s.canceled_at = Some(now);
        s.ends_at = Some(s.current_period_end);
        s.cancellation_reason = reason;
        s.cancellation_comment = comment;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated", "subscription.canceled"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    pub fn uncancel(&mut self, si: usize) -> Result<(), ApiError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if s.ended_at.is_some() || !s.billable() {
            return Err(ApiError::new(410, "ResourceUnavailable", "Unavailable"));
        }
        if !s.cancel_at_period_end {
            return Err(ApiError::new(400, "BadRequest", "Bad request"));
        }
        s.cancel_at_period_end = false;
        s.canceled_at = None;
        s.ends_at = None;
        s.cancellation_reason = None;
        s.cancellation_comment = None;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated", "subscription.uncanceled"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    /// Revokes at once (DELETE, `{revoke:true}`, control plane, end of dunning, or the end of a
    /// period after cancellation).
    pub fn revoke(
        &mut self,
        si: usize,
        reason: Option<String>,
        comment: Option<String>,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if s.ended_at.is_some() || !s.billable() {
            return Err(ApiError::already_canceled());
        }
        s.status = "canceled".into();
        if s.canceled_at.is_none() {
            s.canceled_at = Some(now);
        }
        s.ends_at = Some(now);
        s.ended_at = Some(now);
        if reason.is_some() {
            s.cancellation_reason = reason;
        }
        if comment.is_some() {
            s.cancellation_comment = comment;
        }
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(
            &[
                "subscription.updated",
                "subscription.canceled",
                "subscription.revoked",
            ],
            si,
        );
        self.emit_state_changed(&cid);
        Ok(())
    }

    pub fn update_seats(&mut self, si: usize, seats: i64) -> Result<(), ApiError> {
        let now = self.now();
        let s = &self.subscriptions[si];
        if !is_seat_based(&s.price) {
            return Err(ApiError::new(
                400,
                "NotASeatBasedSubscription",
                "This subscription does not support seat-based pricing.",
            ));
        }
        if !s.billable() || s.cancel_at_period_end {
            return Err(ApiError::already_canceled());
        }
        let min = s.price["seat_tiers"]["minimum_seats"].as_i64().unwrap_or(1);
        let max = s.price["seat_tiers"]["maximum_seats"].as_i64();
        if seats < min {
            return Err(ApiError::new(
                400,
                "BelowMinimumSeats",
                &format!("Minimum {min} seats required."),
            ));
        }
        if let Some(m) = max.filter(|m| seats > *m) {
            return Err(ApiError::new(
                400,
                "AboveMaximumSeats",
                &format!("Maximum {m} seats allowed."),
            ));
        }
        if s.seats == Some(seats) {
            return Ok(());
        }
        let amount = seat_amount(&s.price, seats);
        let s = &mut self.subscriptions[si];
        s.seats = Some(seats);
        s.amount = amount;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    /// Moves the clock to the end of the subscription's period and runs what Polar runs there:
    /// the end of a cancellation, a renewal charge, or (when past due) the last dunning retry,
    /// whose failure revokes the subscription.
    pub fn advance_period(&mut self, si: usize) -> Result<(), ApiError> {
        if !self.subscriptions[si].billable() {
            return Err(ApiError::new(
                409,
                "NotBillable",
                "The subscription has ended.",
            ));
        }
        let target = self.subscriptions[si].current_period_end + Duration::seconds(1);
        if self.now() < target {
            self.clock_offset += target - self.now();
        }
        let now = self.now();
        let s = self.subscriptions[si].clone();
        if s.cancel_at_period_end {
            // Polar revokes with ended_at = the period end.
            let r = self.revoke(si, None, None);
            self.subscriptions[si].ended_at = Some(s.current_period_end);
            self.subscriptions[si].ends_at = Some(s.current_period_end);
            return r;
        }
        if s.status == "past_due" {
            // Dunning: the final retry.
            if self.charge(&s.customer_id) {
                return self.recover(si);
            }
            return self.revoke(si, None, None);
        }
        let product = self.product(&s.product_id).cloned().unwrap_or(Value::Null);
        {
            let sub = &mut self.subscriptions[si];
            sub.current_period_start = s.current_period_end;
            sub.current_period_end = add_interval(
                s.current_period_end,
                product["recurring_interval"].as_str().unwrap_or("month"),
                product["recurring_interval_count"].as_i64().unwrap_or(1),
            );
            sub.modified_at = Some(now);
        }
        self.emit_subscription(&["subscription.cycled", "subscription.updated"], si);
        let oi = self.new_order(si, "subscription_cycle", None);
        self.emit_order(&["order.created"], oi);
        if self.charge(&s.customer_id) {
            self.orders[oi].status = "paid".into();
            self.orders[oi].modified_at = Some(self.now());
            self.emit_order(&["order.updated", "order.paid"], oi);
            self.emit_state_changed(&s.customer_id);
        } else {
            self.orders[oi].next_payment_attempt_at = Some(now + Duration::days(2));
            self.orders[oi].modified_at = Some(now);
            self.emit_order(&["order.updated"], oi);
            let sub = &mut self.subscriptions[si];
            sub.status = "past_due".into();
            sub.past_due_at = Some(now);
            sub.modified_at = Some(now);
            self.emit_subscription(&["subscription.updated", "subscription.past_due"], si);
            self.emit_state_changed(&s.customer_id);
        }
        Ok(())
    }

    /// Pays the subscription's unpaid order and returns it to `active`.
    fn recover(&mut self, si: usize) -> Result<(), ApiError> {
        let now = self.now();
        let sid = self.subscriptions[si].id.clone();
        if let Some(oi) = self
            .orders
            .iter()
            .rposition(|o| o.subscription_id == sid && o.status == "pending")
        {
            self.orders[oi].status = "paid".into();
            self.orders[oi].next_payment_attempt_at = None;
            self.orders[oi].modified_at = Some(now);
            self.emit_order(&["order.updated", "order.paid"], oi);
        }
        let s = &mut self.subscriptions[si];
        s.status = "active".into();
        s.past_due_at = None;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated", "subscription.active"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    /// The customer saved a new card in the portal: it becomes the default, and past-due
    /// subscriptions are retried at once. Returns an error message when the card is declined
    /// or a retry fails.
    pub fn update_payment_method(&mut self, customer_id: &str, card: Card) -> Result<(), String> {
        if card.behavior == CardBehavior::Declined && self.next_charge != Some(true) {
            return Err("Your card was declined.".into());
        }
        let Some(cust) = self.customers.iter_mut().find(|c| c.id == customer_id) else {
            return Err("Unknown customer.".into());
        };
        // A card that "fails later" only ever pays for a checkout; from the portal it fails.
        let charges = u32::from(card.behavior == CardBehavior::FailsLater);
        cust.card = Some(Card { charges, ..card });
        cust.modified_at = Some(Utc::now() + self.clock_offset);
        let past_due: Vec<usize> = self
            .subscriptions
            .iter()
            .enumerate()
            .filter(|(_, s)| s.customer_id == customer_id && s.status == "past_due")
            .map(|(i, _)| i)
            .collect();
        let mut failed = false;
        for si in past_due {
            if self.charge(customer_id) {
                let _ = self.recover(si);
            } else {
                failed = true;
            }
        }
        if failed {
            return Err("The payment with your new card failed.".into());
        }
        Ok(())
    }
}

pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
