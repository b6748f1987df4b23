//! The hosted pages' views: plain `Serialize` structs holding everything a template prints,
//! already decided (texts, flags, formatted money, dates), and the functions that build them
//! from the mock's world. This is the only file of `hosted` that reads the world: the
//! templates and handlers see views only.
//!
//! Must not import wiremock, minijinja or the routes.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::money::{self, Mode, Style};
use crate::polar_mock::wire::{checkout_path, confirmation_path, ts};
use crate::polar_mock::world::{
    is_seat_based, price_per_seat, seat_amount, seat_bounds, CheckoutStatus, Product, Subscription,
    SubscriptionStatus, World as State,
};

/// The billing countries the checkout offers, in the order shown.
const COUNTRIES: &[(&str, &str)] = &[
    ("AU", "Australia"),
    ("AT", "Austria"),
    ("BE", "Belgium"),
    ("BR", "Brazil"),
    ("CA", "Canada"),
    ("CH", "Switzerland"),
    ("CZ", "Czechia"),
    ("DE", "Germany"),
    ("DK", "Denmark"),
    ("ES", "Spain"),
    ("FI", "Finland"),
    ("FR", "France"),
    ("GB", "United Kingdom"),
    ("IE", "Ireland"),
    ("IN", "India"),
    ("IT", "Italy"),
    ("JP", "Japan"),
    ("MX", "Mexico"),
    ("NL", "Netherlands"),
    ("NO", "Norway"),
    ("NZ", "New Zealand"),
    ("PL", "Poland"),
    ("PT", "Portugal"),
    ("SE", "Sweden"),
    ("SG", "Singapore"),
    ("US", "United States"),
];

/// Amounts on today's pages: always two decimals, then ` / month` (Polar's own pages say
/// `$60 / mo`; the switch to their texts is a change of its own).
const MODE: Mode = Mode::Accounting;

/// `checkout.html`.
#[derive(Debug, Serialize)]
pub(crate) struct Checkout {
    pub id: String,
    pub status: String,
    pub secret: String,
    pub organization: String,
    pub product_name: String,
    pub description: String,
    /// Cents, for `data-amount`.
    pub amount: i64,
    /// `$60.00 / month`.
    pub amount_label: String,
    /// The interval in words: `month`.
    pub interval: String,
    /// The seat selector, for seat-based prices.
    pub seats: Option<Seats>,
    pub email: String,
    /// The checkout already has a customer and an email: the field is disabled.
    pub email_locked: bool,
    pub cardholder_name: String,
    pub countries: Vec<Country>,
    pub address: Address,
    /// What the page's script reads (`{{ script|tojson }}`).
    pub script: CheckoutScript,
}

#[derive(Debug, Serialize)]
pub(crate) struct Seats {
    pub count: i64,
    pub min: i64,
    pub max: Option<i64>,
    /// Minimum equals maximum: the stepper is disabled and the field read-only.
    pub fixed: bool,
    /// `3 seats × $20.00`.
    pub summary: String,
    /// `$20.00`.
    pub per_seat: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct Country {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

/// The billing address fields shown for the US (all) and Canada (state).
#[derive(Debug, Serialize)]
pub(crate) struct Address {
    pub line1: String,
    pub city: String,
    pub postal_code: String,
    pub state: String,
}

/// The checkout script's data: the client secret for the confirm call, and what the seat
/// stepper needs to recompute the amount as the server would write it.
#[derive(Debug, Serialize)]
pub(crate) struct CheckoutScript {
    pub secret: String,
    pub seat_based: bool,
    pub per_seat: i64,
    pub min: i64,
    pub max: Option<i64>,
    /// The currency's `money::Style` in the page's mode, for `formatMoney` (`money.js`).
    pub money: Style,
    /// The interval in words, written after ` / `.
    pub interval: String,
    /// The organization, for "Waiting confirmation from {org}".
    pub organization: String,
    /// Where the page goes when the order takes longer than Polar waits.
    pub confirmation_path: String,
}

/// `confirmation.html`.
#[derive(Debug, Serialize)]
pub(crate) struct Confirmation {
    pub status: String,
    pub product_name: String,
    /// `complete` or `being processed`.
    pub outcome: &'static str,
    /// Polar's title for the status (`en.ts:253-261`).
    pub title: &'static str,
    pub script: ConfirmationScript,
}

/// What the confirmation page's script needs to wait for the order and go on.
#[derive(Debug, Serialize)]
pub(crate) struct ConfirmationScript {
    pub secret: String,
    pub status: String,
    /// The checkout page, where a checkout back in `open` goes.
    pub checkout_url: String,
    /// The merchant's `success_url`; `None` when it is this page (Polar's built-in one).
    pub success_url: Option<String>,
}

/// Where a checkout that is no longer open is sent instead of its page (Polar's
/// `app/(checkout)/checkout/[clientSecret]/page.tsx:78-84`): a succeeded one to its success
/// URL, any other to its confirmation page.
pub(crate) fn checkout_moved_on(state: &State, secret: &str) -> Option<String> {
    let c = &state.checkouts[state.checkout_by_secret(secret)?];
    let confirmation = confirmation_path(&c.client_secret);
    match c.status {
        CheckoutStatus::Open => None,
        CheckoutStatus::Succeeded => Some(c.success_url.clone().unwrap_or(confirmation)),
        _ => Some(confirmation),
    }
}

/// `portal.html`.
#[derive(Debug, Serialize)]
pub(crate) struct Portal {
    pub organization: String,
    pub email: String,
    /// The customer session's `return_url`: the "← Back to …" link.
    pub return_url: Option<String>,
    /// Newest first.
    pub subscriptions: Vec<PortalSubscription>,
    /// `Visa •••• 4242` or `No payment method`.
    pub payment_method: String,
    pub script: PortalScript,
}

#[derive(Debug, Serialize)]
pub(crate) struct PortalSubscription {
    pub id: String,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub product_name: String,
    /// `Active`, `Canceling`, `Past due`, …
    pub badge: &'static str,
    /// `""`, `warn` or `bad`.
    pub badge_class: &'static str,
    /// For `data-seats` (0 when the subscription has no seats).
    pub seats: i64,
    /// `3 seats`, empty without seats.
    pub seats_label: String,
    pub amount: i64,
    /// `$60.00 / month`.
    pub amount_label: String,
    /// `Renews on …`, `Ends on …` or `Ended on …`.
    pub renewal: String,
    pub can_cancel: bool,
    pub can_uncancel: bool,
}

/// The portal script's data: the customer session token its API calls carry.
#[derive(Debug, Serialize)]
pub(crate) struct PortalScript {
    pub token: String,
}

/// `not_found.html`.
#[derive(Debug, Serialize)]
pub(crate) struct NotFound {
    pub heading: &'static str,
    /// In a `section[data-testid=not-found]` (the checkout), or a bare heading.
    pub in_section: bool,
}

/// A page with nothing to show but its template (the card frame, the expired portal).
#[derive(Debug, Serialize)]
pub(crate) struct Empty {}

/// The lines of an order's invoice PDF (`invoice.rs` lays them out).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invoice {
    pub number: String,
    pub organization: String,
    /// `2026-05-01`.
    pub date: String,
    pub billed_to: String,
    /// `Tegy Pro (3 seats)`.
    pub item: String,
    /// `$60.00`.
    pub total: String,
    pub status: String,
}

fn plural_seats(n: i64) -> String {
    format!("{n} seat{}", if n == 1 { "" } else { "s" })
}

/// A product's interval in words and its count (`month` when the product has none, as the
/// pages have always shown).
fn interval(product: Option<&Product>) -> (String, i64) {
    (
        product
            .and_then(|p| p.recurring_interval.as_ref())
            .map_or("month", |i| i.as_str())
            .to_string(),
        product.map_or(1, |p| p.recurring_interval_count),
    )
}

/// Whether a checkout with this client secret exists (its card frame is served).
pub(crate) fn checkout_exists(state: &State, secret: &str) -> bool {
    state.checkout_by_secret(secret).is_some()
}

/// The hosted checkout for the checkout with this client secret.
pub(crate) fn checkout(state: &State, secret: &str) -> Option<Checkout> {
    let c = &state.checkouts[state.checkout_by_secret(secret)?];
    let product = state.product(&c.product_id);
    let currency = c.price.price_currency.as_str();
    let seat_based = is_seat_based(&c.price);
    let count = c.seats.unwrap_or(1);
    let (price_min, price_max) = seat_bounds(&c.price);
    let min = c.min_seats.unwrap_or(price_min);
    let max = c.max_seats.or(price_max);
    let per_seat = price_per_seat(&c.price);
    let (interval, interval_count) = interval(product);
    let amount = seat_amount(&c.price, count);
    let email = c.customer_email.clone().unwrap_or_default();
    let address = c.customer_billing_address.as_ref();
    let field = |f: fn(&crate::polar_mock::world::Address) -> Option<&str>| {
        address.and_then(f).unwrap_or_default().to_string()
    };
    let style = Style::new(currency, MODE);
    Some(Checkout {
        id: c.id.clone(),
        status: c.status.as_str().to_string(),
        secret: c.client_secret.clone(),
        organization: state.organization.name.clone(),
        product_name: product.map_or("Product", |p| p.name.as_str()).to_string(),
        description: product
            .and_then(|p| p.description.clone())
            .unwrap_or_default(),
        amount,
        amount_label: money::amount_label_long(amount, currency, &interval, interval_count, MODE),
        interval: money::long_interval(&interval, interval_count),
        seats: seat_based.then(|| Seats {
            count,
            min,
            max,
            fixed: max == Some(min),
            summary: format!("{} × {}", plural_seats(count), style.format(per_seat)),
            per_seat: style.format(per_seat),
        }),
        email_locked: c.customer_id.is_some() && !email.is_empty(),
        email,
        cardholder_name: c.customer_name.clone().unwrap_or_default(),
        countries: countries(&field(|a| Some(a.country.as_str()))),
        address: Address {
            line1: field(|a| a.line1.as_deref()),
            city: field(|a| a.city.as_deref()),
            postal_code: field(|a| a.postal_code.as_deref()),
            state: field(|a| a.state.as_deref()),
        },
        script: CheckoutScript {
            secret: c.client_secret.clone(),
            seat_based,
            per_seat,
            min,
            max,
            money: style,
            interval: money::long_interval(&interval, interval_count),
            organization: state.organization.name.clone(),
            confirmation_path: confirmation_path(&c.client_secret),
        },
    })
}

/// The billing country options, `selected` marked (kept even when not in the list).
fn countries(selected: &str) -> Vec<Country> {
    let mut options: Vec<Country> = COUNTRIES
        .iter()
        .map(|(code, label)| Country {
            code: (*code).to_string(),
            label: (*label).to_string(),
            selected: *code == selected,
        })
        .collect();
    if !selected.is_empty() && !options.iter().any(|o| o.selected) {
        options.push(Country {
            code: selected.to_string(),
            label: selected.to_string(),
            selected: true,
        });
    }
    options
}

/// The confirmation page of the checkout with this client secret.
pub(crate) fn confirmation(state: &State, secret: &str) -> Option<Confirmation> {
    let c = &state.checkouts[state.checkout_by_secret(secret)?];
    Some(Confirmation {
        status: c.status.as_str().to_string(),
        product_name: state
            .product(&c.product_id)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        outcome: if c.status == CheckoutStatus::Succeeded {
            "complete"
        } else {
            "being processed"
        },
        title: match c.status {
            CheckoutStatus::Succeeded => "Thank you for your order!",
            CheckoutStatus::Failed | CheckoutStatus::Expired => {
                "A problem occurred while processing your order"
            }
            _ => "We are processing your order",
        },
        script: ConfirmationScript {
            secret: c.client_secret.clone(),
            status: c.status.as_str().to_string(),
            checkout_url: checkout_path(&c.client_secret),
            success_url: c.success_url.clone(),
        },
    })
}

/// The customer portal of the customer session with this token; `None` for an unknown or
/// expired token.
pub(crate) fn portal(state: &State, token: &str) -> Option<Portal> {
    let session = state.session(token)?;
    let customer = state.customer(&session.customer_id)?;
    let mut subscriptions: Vec<&Subscription> = state
        .subscriptions
        .iter()
        .filter(|s| s.customer_id == customer.id)
        .collect();
    subscriptions.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    Some(Portal {
        organization: state.organization.name.clone(),
        email: customer.email.clone(),
        return_url: session.return_url.clone(),
        subscriptions: subscriptions
            .into_iter()
            .map(|s| portal_subscription(state, s))
            .collect(),
        payment_method: customer
            .default_card()
            .map(|c| format!("Visa •••• {}", c.last4))
            .unwrap_or_else(|| "No payment method".into()),
        script: PortalScript {
            token: token.to_string(),
        },
    })
}

fn portal_subscription(state: &State, s: &Subscription) -> PortalSubscription {
    let product = state.product(&s.product_id);
    let (badge, badge_class) = match s.status {
        SubscriptionStatus::Active if s.cancel_at_period_end => ("Canceling", "warn"),
        SubscriptionStatus::Active => ("Active", ""),
        SubscriptionStatus::Trialing => ("Trialing", ""),
        SubscriptionStatus::PastDue => ("Past due", "bad"),
        SubscriptionStatus::Canceled => ("Canceled", "bad"),
        _ => ("Inactive", "bad"),
    };
    let (interval, interval_count) = interval(product);
    let date = |t: DateTime<Utc>| t.format("%B %-d, %Y").to_string();
    let renewal = if let Some(ended) = s.ended_at {
        format!("Ended on {}", date(ended))
    } else if s.cancel_at_period_end {
        format!(
            "Ends on {}",
            date(s.ends_at.unwrap_or(s.current_period_end))
        )
    } else {
        format!("Renews on {}", date(s.current_period_end))
    };
    PortalSubscription {
        id: s.id.clone(),
        status: s.status.as_str().to_string(),
        cancel_at_period_end: s.cancel_at_period_end,
        product_name: product.map(|p| p.name.clone()).unwrap_or_default(),
        badge,
        badge_class,
        seats: s.seats.unwrap_or(0),
        seats_label: s.seats.map(plural_seats).unwrap_or_default(),
        amount: s.amount,
        amount_label: money::amount_label_long(
            s.amount,
            &s.currency,
            &interval,
            interval_count,
            MODE,
        ),
        renewal,
        can_cancel: s.billable() && !s.cancel_at_period_end,
        can_uncancel: s.billable() && s.cancel_at_period_end,
    }
}

/// The invoice of the order with this id, once its invoice was generated.
pub(crate) fn invoice(state: &State, order_id: &str) -> Option<Invoice> {
    let o = state
        .order_index(order_id)
        .map(|i| &state.orders[i])
        .filter(|o| o.invoice_generated)?;
    let product = state.product(&o.product_id).map_or("", |p| p.name.as_str());
    Some(Invoice {
        number: o.invoice_number.clone().unwrap_or_default(),
        organization: state.organization.name.clone(),
        date: ts(o.created_at)[..10].to_string(),
        billed_to: state
            .customers
            .iter()
            .find(|c| c.id == o.customer_id)
            .map(|c| c.email.clone())
            .unwrap_or_default(),
        item: match o.seats {
            Some(n) => format!("{product} ({n} seats)"),
            None => product.to_string(),
        },
        total: money::format(o.amount, &o.currency, MODE),
        status: o.status.as_str().to_string(),
    })
}
