//! `Checkout` (the API's and `checkout.*` webhooks'), `CheckoutPublic` (what the hosted page
//! and the client endpoints see: no private fields, the organization added) and
//! `CheckoutPublicConfirmed` (the confirm answer, with the customer session token).

use serde_json::{json, Map, Value};

use super::product::{checkout_organization, checkout_product};
use super::{merge, without};
use super::{opt_ts, ts, Render};
use crate::polar_mock::wire::confirmation_path;
use crate::polar_mock::world::{seat_amount, Checkout};

/// Fields only the organization sees.
const PRIVATE: &[&str] = &[
    "trial_interval",
    "trial_interval_count",
    "metadata",
    "external_customer_id",
    "subscription_id",
    "customer_metadata",
    "customer_external_id",
];

pub(crate) fn checkout(state: &Render, c: &Checkout) -> Value {
    let product = state.product(&c.product_id).cloned().unwrap_or(Value::Null);
    let embedded = checkout_product(&product);
    let amount = seat_amount(&c.price, c.seats.unwrap_or(1));
    let country = c
        .customer_billing_address
        .as_ref()
        .map_or("", |a| a.country.as_str());
    let us = country == "US";
    let us_like = us || country == "CA";
    let req = |on: bool| if on { "required" } else { "disabled" };
    let success_url = c.success_url.clone().unwrap_or_else(|| {
        format!(
            "{}{}",
            state.page_base(),
            confirmation_path(&c.client_secret)
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
        "url": state.checkout_url(c),
        "expires_at": ts(c.expires_at),
        "success_url": success_url,
        "return_url": c.return_url,
        "embed_origin": null,
        "amount": amount,
        "seats": c.seats,
        "min_seats": c.min_seats,
        "max_seats": c.max_seats,
        "units": null,
        "min_units": null,
        "max_units": null,
        "discount_amount": 0,
        "net_amount": amount,
        "tax_amount": null,
        "tax_behavior": null,
        "total_amount": amount,
        "currency": c.price.price_currency.as_str(),
        "allow_trial": true,
        "active_trial_interval": null,
        "active_trial_interval_count": null,
        "trial_end": null,
        "organization_id": state.org_id(),
        "product_id": c.product_id,
        "product_price_id": c.price.id,
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
        // Polar's `Checkout.billing_address_fields` (server/polar/models/checkout.py:420-449)
        // for a checkout that requires no full address: state for the US and Canada; street,
        // city and postal code (required) and line 2 (optional) for the US only.
        "billing_address_fields": {
            "country": "required",
            "state": req(us_like),
            "city": req(us),
            "postal_code": req(us),
            "line1": req(us),
            "line2": if us { "optional" } else { "disabled" },
        },
        "trial_interval": null,
        "trial_interval_count": null,
        "metadata": c.metadata,
        "external_customer_id": c.external_customer_id,
        "products": [embedded.clone()],
        "product": embedded,
        "product_price": state.price(&c.price),
        "prices": prices,
        "discount": null,
        "subscription_id": null,
        "attached_custom_fields": [],
        "customer_metadata": c.customer_metadata,
    });
    merge(merge(head, rest), hidden(c, amount, country))
}

/// The deprecated fields Polar sends although its OpenAPI document hides them
/// (`SkipJsonSchema`, `server/polar/checkout/schemas.py`): `customer_external_id` (774-777,
/// `Checkout` only), `customer_billing_address_fields` (676-680, as booleans,
/// `server/polar/models/checkout.py` 405-418) and `subtotal_amount` (688-690, the net amount).
fn hidden(c: &Checkout, amount: i64, country: &str) -> Value {
    let required = country == "US";
    json!({
        "customer_external_id": c.external_customer_id,
        "customer_billing_address_fields": {
            "country": true,
            "state": country == "US" || country == "CA",
            "line1": required,
            "line2": false,
            "city": required,
            "postal_code": required,
        },
        "subtotal_amount": amount,
    })
}

/// `CheckoutPublic`.
pub(crate) fn checkout_public(state: &Render, c: &Checkout) -> Value {
    let mut v = without(checkout(state, c), PRIVATE);
    if let Some(m) = v.as_object_mut() {
        m.insert("organization".into(), checkout_organization(state));
    }
    v
}

/// `CheckoutPublicConfirmed`: the checkout as of the buyer's confirmation (`status`
/// `confirmed`, even though the mock settles the payment at once) and the customer session
/// token the page appends to the success URL.
pub(crate) fn checkout_confirmed(state: &Render, c: &Checkout, session_token: &str) -> Value {
    let mut v = checkout_public(state, c);
    if let Some(m) = v.as_object_mut() {
        m.insert("status".into(), json!("confirmed"));
        m.insert("customer_session_token".into(), json!(session_token));
    }
    v
}
