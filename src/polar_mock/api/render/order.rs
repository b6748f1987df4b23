//! `Order` (the API's and `order.*` webhooks') and the portal's `CustomerOrder`.
//!
//! Both also carry the deprecated fields Polar's server sends but its OpenAPI document hides
//! (`SkipJsonSchema`): `product_price_id`, `amount`, `from_balance_amount`, `user_id` and
//! `product_price`, and `Order` the `user` too.

use serde_json::{json, Value};

use super::legacy_user;
use super::product::{order_product, portal_product};
use super::subscription::order_subscription;
use super::{customer, merge};
use super::{opt_ts, ts, Render};
use crate::polar_mock::world::{Order, OrderStatus};

/// The fields `Order` and `CustomerOrder` share.
fn order_core(state: &Render, o: &Order, portal: bool) -> Value {
    let cust = state.customers.iter().find(|c| c.id == o.customer_id);
    let product = state.product(&o.product_id).cloned().unwrap_or(Value::Null);
    let subscription = state
        .subscription_index(&o.subscription_id)
        .map(|i| order_subscription(state, &state.subscriptions[i], portal))
        .unwrap_or(Value::Null);
    let paid = o.status == OrderStatus::Paid;
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
        "billing_name": cust.and_then(|c| c.name.clone()),
        "billing_address": cust.and_then(|c| c.billing_address.clone()),
        "invoice_number": o.invoice_number,
        "is_invoice_generated": o.invoice_generated,
        "receipt_number": null,
        "seats": o.seats,
        "units": null,
        "customer_id": o.customer_id,
        "product_id": o.product_id,
        "discount_id": null,
        "subscription_id": o.subscription_id,
        "checkout_id": o.checkout_id,
        "next_payment_attempt_at": opt_ts(o.next_payment_attempt_at),
        // Hidden: `OrderBase.product_price_id`, `amount` (= net) and `from_balance_amount`
        // (= applied balance), `server/polar/order/schemas.py` 127-160; `user_id`, the
        // customer's legacy user (`Order` 259-266, `CustomerOrder`
        // `server/polar/customer_portal/schemas/order.py` 30-38).
        "product_price_id": o.price_id,
        "amount": o.amount,
        "from_balance_amount": 0,
        "user_id": o.customer_id,
    });
    let embedded = if portal {
        portal_product(state, &product)
    } else {
        order_product(&product)
    };
    let rest = json!({
        "product": embedded,
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
            "start_timestamp": opt_ts(o.period.map(|p| p.0)),
            "end_timestamp": opt_ts(o.period.map(|p| p.1)),
        }],
        "description": name,
        "refundable_amount": if paid { o.amount } else { 0 },
        "refundable_tax_amount": 0,
        // Hidden `product_price`, the price of its first item (`Order`
        // `server/polar/order/schemas.py` 278-286, `CustomerOrder` 40-48 of the portal's).
        "product_price": o.price_id.as_deref().and_then(|id| state.product_price(id)),
    });
    merge(head, rest)
}

pub(crate) fn order(state: &Render, o: &Order) -> Value {
    let found = state.customers.iter().find(|c| c.id == o.customer_id);
    let cust = found.map(|c| customer(state, c)).unwrap_or(Value::Null);
    // Hidden `user` (`server/polar/order/schemas.py` 268-276).
    let user = found.map(legacy_user).unwrap_or(Value::Null);
    merge(
        order_core(state, o, false),
        json!({
            "metadata": o.metadata,
            "custom_field_data": {},
            "platform_fee_amount": 0,
            "platform_fee_currency": null,
            "customer": cust,
            "user": user,
            "discount": null,
        }),
    )
}

/// `CustomerOrder`: what the customer portal lists.
pub(crate) fn customer_order(state: &Render, o: &Order) -> Value {
    order_core(state, o, true)
}
