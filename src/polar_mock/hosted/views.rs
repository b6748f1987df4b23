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
    is_seat_based, price_per_seat, seat_amount, seat_bounds, Card, CheckoutStatus, Customer, Order,
    OrderStatus, Product, Subscription, SubscriptionStatus, World as State,
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

/// Amounts on the confirmation page and invoices: always two decimals, then ` / month`. The
/// checkout and the portal write Polar's `standard` mode ("$60 / mo"), as Polar's pages do.
const MODE: Mode = Mode::Accounting;

/// `checkout.html`: Polar's hosted checkout (`Checkout.tsx`, `CheckoutForm.tsx` at
/// polarsource/polar c6c3645e63; HOSTED-PAGES.md §1 and §5).
#[derive(Debug, Serialize)]
pub(crate) struct Checkout {
    pub id: String,
    pub status: String,
    pub organization: String,
    pub product_name: String,
    /// The checkout's `return_url`: the back arrow (`Checkout.tsx:304-327`).
    pub return_url: Option<String>,
    /// Cents, for `data-amount`.
    pub amount: i64,
    /// `$60` (money `Standard`, `CheckoutHeroPrice.tsx:24-36`).
    pub hero_amount: String,
    /// ` / mo`, empty without an interval (`AmountLabel.tsx:25-41`).
    pub hero_interval: String,
    /// `$60 / mo`: the breakdown's amounts.
    pub amount_label: String,
    /// The breakdown's last row: `Monthly`, `Every 3 months`, … (`en.ts` `everyInterval`).
    pub total_title: String,
    /// The seat selector and the seat row, for seat-based prices.
    pub seats: Option<Seats>,
    pub email: String,
    /// The checkout already has a customer: the field is disabled (`CheckoutForm.tsx:342`).
    pub email_locked: bool,
    pub cardholder_name: String,
    /// The card frame on the mock's card listener (another origin).
    pub card_frame_url: String,
    /// The chosen billing country's name, `None` for the "Country" placeholder.
    pub country: Option<String>,
    pub address: Address,
    /// What the page's script reads (`{{ script|tojson }}`).
    pub script: CheckoutScript,
}

#[derive(Debug, Serialize)]
pub(crate) struct Seats {
    pub count: i64,
    /// `min_seats == max_seats`: a bare `<span>` count, no stepper
    /// (`CheckoutSeatSelector.tsx:188-191`).
    pub fixed: bool,
    /// `3 seats` (`en.ts` `pricing.seats.count`): the seat row's title and test id.
    pub title: String,
    /// `$20` (money `Standard`).
    pub per_seat: String,
}

/// The billing address as the checkout has it, and which fields show (the checkout's
/// `billing_address_fields`, Polar's `server/polar/models/checkout.py:420-449`).
#[derive(Debug, Serialize)]
pub(crate) struct Address {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub postal_code: String,
    pub state: String,
    /// `disabled`, `optional` or `required`, by field name.
    pub fields: AddressFields,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AddressFields {
    pub line1: &'static str,
    pub line2: &'static str,
    pub postal_code: &'static str,
    pub city: &'static str,
    pub state: &'static str,
}

/// The checkout script's data: the client secret for its calls, what the seat stepper needs
/// to recompute the amounts as the server writes them, the countries, the card frame's origin.
#[derive(Debug, Serialize)]
pub(crate) struct CheckoutScript {
    pub secret: String,
    pub seat_based: bool,
    pub per_seat: i64,
    pub min: i64,
    pub max: Option<i64>,
    pub seats: i64,
    /// The currency's `money::Style` in Polar's `standard` mode, for `formatMoney` (`money.js`).
    pub money: Style,
    /// ` / mo`, written after amounts.
    pub interval: String,
    /// The organization, for "Waiting confirmation from {org}".
    pub organization: String,
    /// Where the page goes when the order takes longer than Polar waits.
    pub confirmation_path: String,
    /// The card frame's origin, the only one the page talks to with `postMessage`.
    pub card_origin: String,
    /// `[code, name]` of each billing country, in the order listed.
    pub countries: Vec<(&'static str, &'static str)>,
    /// The chosen country's code, empty for none.
    pub country: String,
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

/// `not_found.html`.
#[derive(Debug, Serialize)]
pub(crate) struct NotFound {
    pub heading: &'static str,
    /// In a `section[data-testid=not-found]` (the checkout), or a bare heading.
    pub in_section: bool,
}

/// `card_frame.html`: the card form on the mock's card listener, answering pages of
/// `page_origins` only.
#[derive(Debug, Serialize)]
pub(crate) struct CardFrame {
    pub page_origins: Vec<String>,
}

/// Polar's own page hosts, where the hosted pages are when a run answers as Polar's names
/// (sandbox, production): the card frame answers pages there too.
pub(crate) const POLAR_PAGE_ORIGINS: [&str; 2] = ["https://sandbox.polar.sh", "https://polar.sh"];

/// Where the card listener serves the card frame.
pub(crate) const CARD_FRAME_PATH: &str = "/card-frame";

/// A page with nothing to show but its template (the expired portal).
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

/// Polar's `checkout.pricing.everyInterval` (en): `Monthly`, `Every other month`, `Every 3
/// months`, …; `Total` without an interval.
fn total_title(interval: &str, count: i64) -> String {
    let (one, word) = match interval {
        "day" => ("Daily", "day"),
        "week" => ("Weekly", "week"),
        "month" => ("Monthly", "month"),
        "year" => ("Yearly", "year"),
        _ => return "Total".into(),
    };
    match count {
        1 => one.into(),
        2 => format!("Every other {word}"),
        n => format!("Every {n} {word}s"),
    }
}

/// Polar's `billing_address_fields` (`server/polar/models/checkout.py:420-449`) for a billing
/// country, when the checkout does not otherwise require a full address: the state for the US
/// and Canada, street, city and postal code for the US only.
pub(crate) fn address_fields(country: &str) -> AddressFields {
    let us = country == "US";
    let on = |required: bool| if required { "required" } else { "disabled" };
    AddressFields {
        line1: on(us),
        line2: if us { "optional" } else { "disabled" },
        postal_code: on(us),
        city: on(us),
        state: on(us || country == "CA"),
    }
}

/// The hosted checkout for the checkout with this client secret; its card frame is served at
/// `card_origin`.
pub(crate) fn checkout(state: &State, secret: &str, card_origin: &str) -> Option<Checkout> {
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
    let address = c.customer_billing_address.as_ref();
    let field = |f: fn(&crate::polar_mock::world::Address) -> Option<&str>| {
        address.and_then(f).unwrap_or_default().to_string()
    };
    let style = Style::new(currency, Mode::Standard);
    let short = money::short_interval(&interval, interval_count)
        .map(|i| format!(" / {i}"))
        .unwrap_or_default();
    let country = field(|a| Some(a.country.as_str()));
    Some(Checkout {
        id: c.id.clone(),
        status: c.status.as_str().to_string(),
        organization: state.organization.name.clone(),
        product_name: product.map_or("Product", |p| p.name.as_str()).to_string(),
        return_url: c.return_url.clone(),
        amount,
        hero_amount: style.format(amount),
        hero_interval: short.clone(),
        amount_label: money::amount_label(
            amount,
            currency,
            Some(&interval),
            Some(interval_count),
            Mode::Standard,
        ),
        total_title: total_title(&interval, interval_count),
        seats: seat_based.then(|| Seats {
            count,
            fixed: max == Some(min),
            title: plural_seats(count),
            per_seat: style.format(per_seat),
        }),
        email_locked: c.customer_id.is_some(),
        email: c.customer_email.clone().unwrap_or_default(),
        cardholder_name: c.customer_name.clone().unwrap_or_default(),
        card_frame_url: format!("{card_origin}{CARD_FRAME_PATH}"),
        country: COUNTRIES
            .iter()
            .find(|(code, _)| *code == country)
            .map(|(_, name)| (*name).to_string())
            .or_else(|| (!country.is_empty()).then(|| country.clone())),
        address: Address {
            line1: field(|a| a.line1.as_deref()),
            line2: field(|a| a.line2.as_deref()),
            city: field(|a| a.city.as_deref()),
            postal_code: field(|a| a.postal_code.as_deref()),
            state: field(|a| a.state.as_deref()),
            fields: address_fields(&country),
        },
        script: CheckoutScript {
            secret: c.client_secret.clone(),
            seat_based,
            per_seat,
            min,
            max,
            seats: count,
            money: style,
            interval: short,
            organization: state.organization.name.clone(),
            confirmation_path: confirmation_path(&c.client_secret),
            card_origin: card_origin.to_string(),
            countries: COUNTRIES.to_vec(),
            country,
        },
    })
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

/// What every portal page shows around its content (`portal_layout.html`, Polar's
/// `portal/CustomerPortalLayoutWrapper.tsx` and `portal/Navigation.tsx`).
#[derive(Debug, Serialize)]
pub(crate) struct PortalLayout {
    pub organization: String,
    /// The customer's email, above the navigation.
    pub email: String,
    /// The customer session's `return_url`: the "Back to {org}" link.
    pub return_url: Option<String>,
    /// `/{org}/portal`, the start of every tab's path.
    pub base: String,
    /// `customer_session_token=…`, carried by every link as the page's own auth.
    pub query: String,
    /// The tab shown: `overview`, `orders` or `settings`.
    pub active: &'static str,
    /// What the pages' script reads.
    pub script: PortalScript,
}

/// The portal script's data: the customer session token its API calls carry.
#[derive(Debug, Serialize)]
pub(crate) struct PortalScript {
    pub token: String,
}

/// `portal_overview.html` (Polar's `CustomerPortalOverview.tsx`, `CustomerPortalSubscriptions.tsx`).
#[derive(Debug, Serialize)]
pub(crate) struct PortalOverview {
    pub layout: PortalLayout,
    /// Active and trialing subscriptions, newest first: one card each.
    pub current: Vec<PortalSubscription>,
    /// Every other subscription (past due, canceled, …): the "Inactive Subscriptions" table.
    pub inactive: Vec<PortalSubscription>,
    /// The saved cards "Retry payment" offers.
    pub cards: Vec<PortalCard>,
    /// The card frame "Retry payment" holds for a new card, on the mock's card listener.
    pub card_frame_url: String,
    /// That listener's origin: the only one the page takes card values from.
    pub card_origin: String,
}

/// One subscription as the overview shows it, on its card or in the inactive table, and in
/// its "Manage subscription" modal.
#[derive(Debug, Serialize)]
pub(crate) struct PortalSubscription {
    pub id: String,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub product_name: String,
    /// `$60 / mo` (Polar's `AmountLabel`).
    pub amount_label: String,
    /// `Active`, `To be cancelled`, `past due` (the page capitalizes it).
    pub status_label: String,
    /// `September 22, 2026`, or empty when it never started.
    pub start_date: String,
    /// `Renewal Date` or `Expiry Date`; empty once ended.
    pub period_label: &'static str,
    pub period_date: String,
    /// `Sep 22, 2026` or `—` (the inactive table's "Ended At").
    pub ended_at: String,
    pub can_uncancel: bool,
    pub can_cancel: bool,
    /// The pending order "Retry payment" pays, for a past-due subscription.
    pub retry_order_id: Option<String>,
}

/// A saved card (Polar's `PaymentMethodDisplay`: `Visa •••• 4242`, `Expires 12/2034`).
#[derive(Debug, Serialize)]
pub(crate) struct PortalCard {
    pub id: String,
    pub label: String,
    pub expires: String,
    pub is_default: bool,
}

/// `portal_settings.html` (Polar's `CustomerPortalSettings.tsx`, `PaymentMethod.tsx`).
#[derive(Debug, Serialize)]
pub(crate) struct PortalSettings {
    pub layout: PortalLayout,
    /// Newest first, as Polar lists them.
    pub cards: Vec<PortalCard>,
}

/// `portal_orders.html` (Polar's `CustomerPortalOrders.tsx`).
#[derive(Debug, Serialize)]
pub(crate) struct PortalOrders {
    pub layout: PortalLayout,
    pub orders: Vec<PortalOrder>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PortalOrder {
    pub id: String,
    /// The product's name (the order's `description`).
    pub description: String,
    /// `Paid` or `Pending`.
    pub status: &'static str,
    /// `Sep 22, 2026`.
    pub date: String,
    /// `$60`.
    pub amount: String,
    /// `/invoices/{id}.pdf` once the invoice was generated.
    pub invoice_url: Option<String>,
}

/// `embed_payment_method.html` (Polar's `(embed)/embed/payment-method`).
#[derive(Debug, Serialize)]
pub(crate) struct EmbedPaymentMethod {
    /// The session is unknown or expired: the page says so and shows no form.
    pub expired: bool,
    /// The nested card frame, on the mock's card listener.
    pub card_frame_url: String,
    pub script: EmbedScript,
}

#[derive(Debug, Serialize)]
pub(crate) struct EmbedScript {
    pub token: String,
    /// Whether the new card becomes the default (`set_default`, true unless `false`).
    pub set_default: bool,
    /// Where the page posts its messages (`embed_origin`).
    pub origin: String,
    /// The card frame's origin: the only one the page takes card values from.
    pub card_origin: String,
}

/// Polar's `FormattedDateTime` with `dateStyle: long` (en-US): `September 22, 2026`.
fn long_date(t: DateTime<Utc>) -> String {
    t.format("%B %-d, %Y").to_string()
}

/// `dateStyle: medium` (en-US): `Sep 22, 2026`.
fn medium_date(t: DateTime<Utc>) -> String {
    t.format("%b %-d, %Y").to_string()
}

/// The layout of the portal of the customer session with this token, tab `active`; `None`
/// for an unknown or expired token.
fn portal_layout(
    state: &State,
    token: &str,
    active: &'static str,
) -> Option<(PortalLayout, usize)> {
    let session = state.session(token)?;
    let ci = state.customer_index(&session.customer_id)?;
    let layout = PortalLayout {
        organization: state.organization.name.clone(),
        email: state.customers[ci].email.clone(),
        return_url: session.return_url.clone(),
        base: format!("/{}/portal", state.organization.slug),
        query: format!("customer_session_token={token}"),
        active,
        script: PortalScript {
            token: token.to_string(),
        },
    };
    Some((layout, ci))
}

/// The portal's Overview tab.
pub(crate) fn portal_overview(
    state: &State,
    token: &str,
    card_origin: &str,
) -> Option<PortalOverview> {
    let (layout, ci) = portal_layout(state, token, "overview")?;
    let customer = &state.customers[ci];
    let mut subscriptions: Vec<&Subscription> = state
        .subscriptions
        .iter()
        .filter(|s| s.customer_id == customer.id)
        .collect();
    subscriptions.sort_by_key(|s| std::cmp::Reverse(s.created_at));
    // Polar's current subscriptions: active or trialing (`CustomerPortalOverview.tsx` 42-48).
    let (current, inactive): (Vec<_>, Vec<_>) = subscriptions
        .into_iter()
        .map(|s| portal_subscription(state, s))
        .partition(|s| s.status == "active" || s.status == "trialing");
    Some(PortalOverview {
        layout,
        current,
        inactive,
        cards: portal_cards(customer),
        card_frame_url: format!("{card_origin}{CARD_FRAME_PATH}"),
        card_origin: card_origin.to_string(),
    })
}

fn portal_subscription(state: &State, s: &Subscription) -> PortalSubscription {
    let product = state.product(&s.product_id);
    let now = state.now();
    // `components/Subscriptions/utils.tsx` 65-74.
    let status_label = match &s.status {
        SubscriptionStatus::Active if s.ends_at.is_some() => "To be cancelled".to_string(),
        SubscriptionStatus::Active => "Active".to_string(),
        other => other.as_str().replace('_', " "),
    };
    let retry_order_id = (s.status == SubscriptionStatus::PastDue)
        .then(|| {
            state
                .orders
                .iter()
                .rev()
                .find(|o| o.subscription_id == s.id && o.status == OrderStatus::Pending)
                .map(|o| o.id.clone())
        })
        .flatten();
    PortalSubscription {
        id: s.id.clone(),
        status: s.status.as_str().to_string(),
        cancel_at_period_end: s.cancel_at_period_end,
        product_name: product.map(|p| p.name.clone()).unwrap_or_default(),
        amount_label: money::amount_label(
            s.amount,
            &s.currency,
            product
                .and_then(|p| p.recurring_interval.as_ref())
                .map(|i| i.as_str()),
            product.map(|p| p.recurring_interval_count),
            Mode::Standard,
        ),
        status_label,
        start_date: s.started_at.map(long_date).unwrap_or_default(),
        period_label: match (s.ended_at, s.cancel_at_period_end) {
            (Some(_), _) => "",
            (None, true) => "Expiry Date",
            (None, false) => "Renewal Date",
        },
        period_date: long_date(s.current_period_end),
        ended_at: s.ended_at.map_or_else(|| "—".to_string(), medium_date),
        can_uncancel: s.billable() && s.cancel_at_period_end && s.current_period_end > now,
        can_cancel: s.billable() && !s.cancel_at_period_end,
        retry_order_id,
    }
}

/// A customer's saved cards, newest first.
fn portal_cards(customer: &Customer) -> Vec<PortalCard> {
    let mut cards: Vec<&Card> = customer.cards.iter().collect();
    cards.sort_by_key(|c| std::cmp::Reverse(c.created_at));
    cards
        .into_iter()
        .map(|c| PortalCard {
            id: c.id.clone(),
            label: format!("Visa •••• {}", c.last4),
            expires: format!("Expires {}/{}", c.exp_month, c.exp_year),
            is_default: customer.default_card_id.as_deref() == Some(c.id.as_str()),
        })
        .collect()
}

/// The portal's Billing tab.
pub(crate) fn portal_settings(state: &State, token: &str) -> Option<PortalSettings> {
    let (layout, ci) = portal_layout(state, token, "settings")?;
    Some(PortalSettings {
        layout,
        cards: portal_cards(&state.customers[ci]),
    })
}

/// The portal's Orders tab: the customer's orders, newest first.
pub(crate) fn portal_orders(state: &State, token: &str) -> Option<PortalOrders> {
    let (layout, ci) = portal_layout(state, token, "orders")?;
    let id = &state.customers[ci].id;
    let mut orders: Vec<&Order> = state
        .orders
        .iter()
        .filter(|o| &o.customer_id == id)
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at));
    let orders = orders
        .into_iter()
        .map(|o| PortalOrder {
            id: o.id.clone(),
            description: state
                .product(&o.product_id)
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            status: match o.status {
                OrderStatus::Paid => "Paid",
                OrderStatus::Pending => "Pending",
            },
            date: medium_date(o.created_at),
            amount: money::format(o.amount, &o.currency, Mode::Standard),
            invoice_url: o
                .invoice_number
                .as_ref()
                .map(|_| format!("/invoices/{}.pdf", o.id)),
        })
        .collect();
    Some(PortalOrders { layout, orders })
}

/// The payment-method embed for the customer session with this token.
pub(crate) fn embed_payment_method(
    state: &State,
    token: &str,
    set_default: bool,
    origin: &str,
    card_origin: &str,
) -> EmbedPaymentMethod {
    EmbedPaymentMethod {
        expired: state.session(token).is_none(),
        card_frame_url: format!("{card_origin}{CARD_FRAME_PATH}"),
        script: EmbedScript {
            token: token.to_string(),
            set_default,
            origin: origin.to_string(),
            card_origin: card_origin.to_string(),
        },
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
