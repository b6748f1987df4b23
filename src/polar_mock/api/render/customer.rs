//! `Customer` (individual or team), `CustomerState`, `CustomerSession`, the portal's
//! `CustomerPortalCustomer`, and payment methods (`PaymentMethodCard`).

use serde_json::{json, Value};

use super::subscription::subscription_core;
use super::{opt_ts, ts, Render};
use crate::polar_mock::world::{Card, Customer, Session};

pub(crate) fn customer(state: &Render, c: &Customer) -> Value {
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
        "tax_id": c.tax_id,
        "locale": c.locale,
        "organization_id": state.org_id(),
        "default_payment_method_id": c.default_card().map(|card| card.id.clone()),
        "deleted_at": opt_ts(c.deleted_at),
        "first_user_event_at": null,
        "avatar_url": crate::polar_mock::wire::avatar_url(Some(c.email.as_str())),
    })
}

/// `CustomerState`: the customer, its active (or trialing) subscriptions, its granted
/// benefits (`customer/schemas/state.py`), no meters.
pub(crate) fn customer_state(state: &Render, c: &Customer) -> Value {
    const KEEP: &[&str] = &[
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
        // Hidden but sent (`SkipJsonSchema`, `server/polar/customer/schemas/state.py` 104).
        "price_id",
        "seats",
        "units",
    ];
    let active: Vec<Value> = state
        .subscriptions
        .iter()
        .filter(|s| s.customer_id == c.id && s.active())
        .map(|s| {
            let mut m: serde_json::Map<String, Value> = subscription_core(state, s)
                .into_iter()
                .filter(|(k, _)| KEEP.contains(&k.as_str()))
                .collect();
            m.insert("meters".into(), json!([]));
            Value::Object(m)
        })
        .collect();
    let mut v = customer(state, c);
    if let Some(m) = v.as_object_mut() {
        m.insert("active_subscriptions".into(), Value::Array(active));
        let granted: Vec<Value> = state
            .granted(&c.id)
            .into_iter()
            .map(|g| super::state_grant(state, g))
            .collect();
        m.insert("granted_benefits".into(), Value::Array(granted));
        m.insert("active_meters".into(), json!([]));
    }
    v
}

pub(crate) fn session(state: &Render, s: &Session) -> Value {
    let customer_json = state.customer(&s.customer_id);
    let email = customer_json.map(|c| c.email.clone()).unwrap_or_default();
    json!({
        "created_at": ts(s.created_at),
        "modified_at": null,
        "id": s.id,
        "token": s.token,
        "expires_at": ts(s.expires_at),
        "return_url": s.return_url,
        "customer_portal_url": state.portal_url(&s.token, &email),
        "customer_id": s.customer_id,
        "customer": customer_json.map(|c| customer(state, c)).unwrap_or(Value::Null),
    })
}

/// `CustomerPortalCustomer`: what `GET /v1/customer-portal/customers/me` returns.
pub(crate) fn portal_customer(c: &Customer) -> Value {
    json!({
        "created_at": ts(c.created_at),
        "modified_at": opt_ts(c.modified_at),
        "id": c.id,
        "email": c.email,
        "email_verified": false,
        "name": c.name,
        "billing_name": c.name,
        "billing_address": c.billing_address,
        "tax_id": c.tax_id,
        "oauth_accounts": {},
        "default_payment_method_id": c.default_card().map(|card| card.id.clone()),
        "type": c.kind,
        "locale": c.locale,
    })
}

/// A saved card (the mock's test cards are all Visa): the organization's list gives
/// `CustomerPaymentMethodCard` (with `is_default`, `server/polar/customer/endpoints.py` 366),
/// the portal's list and add give `PaymentMethodCard`.
pub(crate) fn payment_method(c: &Customer, card: &Card, with_default: bool) -> Value {
    let mut v = json!({
        "id": card.id,
        "created_at": ts(card.created_at),
        "modified_at": null,
        "processor": "stripe",
        "customer_id": c.id,
        "type": "card",
        "method_metadata": {
            "brand": "visa",
            "last4": card.last4,
            "exp_month": card.exp_month,
            "exp_year": card.exp_year,
            "wallet": null,
        },
    });
    if with_default {
        v["is_default"] = json!(c.default_card_id.as_deref() == Some(card.id.as_str()));
    }
    v
}

/// A customer's saved cards as Polar lists them: newest first
/// (`customer_portal/service/customer.py` `list_payment_methods`, `created_at desc`).
pub(crate) fn payment_methods(c: &Customer, with_default: bool) -> Vec<Value> {
    let mut cards: Vec<&Card> = c.cards.iter().collect();
    cards.sort_by_key(|card| std::cmp::Reverse(card.created_at));
    cards
        .into_iter()
        .map(|card| payment_method(c, card, with_default))
        .collect()
}
