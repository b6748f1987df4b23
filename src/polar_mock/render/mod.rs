//! Polar's JSON shapes for the mock's records, in the 2026-04 shape (the fields the official
//! SDKs' 2026-04 models require, which are a superset of the OpenAPI document's);
//! `ApiVersion::adapt` turns them into another version's shape at the reply.
//!
//! Reads the state, never changes it; must not import wiremock or the routes.

mod checkout;
mod customer;
mod order;
mod product;
mod subscription;
mod webhook;

pub(crate) use checkout::{checkout, checkout_confirmed, checkout_public};
pub(crate) use customer::{customer, customer_state, payment_method, portal_customer, session};
pub(crate) use order::{customer_order, order};
pub(crate) use product::product;
pub(crate) use subscription::{customer_subscription, subscription};
pub(crate) use webhook::{delivery, endpoint};

use serde_json::{Map, Value};

/// `base` with `extra`'s keys appended (for objects too long for one `json!`).
fn merge(base: Value, extra: Value) -> Value {
    let mut out: Map<String, Value> = match base {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    if let Value::Object(e) = extra {
        out.extend(e);
    }
    Value::Object(out)
}

/// `value` without `keys` (an object; anything else is returned as is).
fn without(mut value: Value, keys: &[&str]) -> Value {
    if let Some(m) = value.as_object_mut() {
        for k in keys {
            m.remove(*k);
        }
    }
    value
}
