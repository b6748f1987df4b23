//! Polar's JSON shapes for the world's records, in the 2026-04 shape (the fields the official
//! SDKs' 2026-04 models require, which are a superset of the OpenAPI document's);
//! `ApiVersion::adapt` turns them into another version's shape at the reply. Also the body of
//! each webhook event, rendered from the world as it was when the event was emitted.
//!
//! Reads the world through `Render`, never changes it; must not import wiremock or the routes.

mod benefit;
mod checkout;
mod customer;
mod order;
mod product;
mod seat;
mod subscription;
mod webhook;

pub(crate) use benefit::{grant, grant_webhook, portal_grant, state_grant};
pub(crate) use checkout::{checkout, checkout_confirmed, checkout_public};
pub(crate) use customer::{
    customer, customer_state, payment_method, payment_methods, portal_customer, session,
};
pub(crate) use order::{customer_order, order};
pub(crate) use product::product;
pub(crate) use seat::{seat, seats_list};
pub(crate) use subscription::{customer_subscription, subscription};
pub(crate) use webhook::{delivery, endpoint, event_data, payload};

use std::ops::Deref;

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::input::url_encode;
use crate::polar_mock::fixtures::Catalog;
use crate::polar_mock::handler::Shared;
use crate::polar_mock::world::{Checkout, ProductPrice, World};

use crate::polar_mock::wire::checkout_path;
pub(crate) use crate::polar_mock::wire::ts;

pub(crate) fn opt_ts(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(ts(t))).unwrap_or(Value::Null)
}

/// The world as the renderers read it, with the catalog's product documents and the mock's
/// address. Derefs to the world, so renderers read its records directly.
pub(crate) struct Render<'a> {
    world: &'a World,
    catalog: &'a Catalog,
    /// Where the hosted pages are ([`Shared::page_base`]).
    page_base: String,
}

impl Deref for Render<'_> {
    type Target = World;
    fn deref(&self) -> &World {
        self.world
    }
}

impl<'a> Render<'a> {
    pub fn new(world: &'a World, shared: &'a Shared) -> Render<'a> {
        Render {
            world,
            catalog: &shared.catalog,
            page_base: shared.page_base(),
        }
    }

    /// The product's full document (not the world's typed product).
    pub fn product(&self, id: &str) -> Option<&'a Value> {
        self.catalog.product(id)
    }

    /// A benefit's full document.
    pub fn benefit_doc(&self, id: &str) -> Option<&'a Value> {
        self.catalog.benefit(id)
    }

    /// A price's full document.
    pub fn price(&self, price: &ProductPrice) -> Value {
        self.catalog
            .price(&price.id)
            .cloned()
            .unwrap_or_else(|| serde_json::to_value(price).unwrap_or(Value::Null))
    }

    /// The full document of the catalog price with this id.
    pub fn product_price(&self, id: &str) -> Option<Value> {
        self.catalog.price(id).cloned()
    }

    /// The hosted pages' origin: the mock's address, or Polar's page host in a run that
    /// answers as Polar's names.
    pub fn page_base(&self) -> &str {
        &self.page_base
    }

    pub fn checkout_url(&self, c: &Checkout) -> String {
        format!("{}{}", self.page_base, checkout_path(&c.client_secret))
    }

    pub fn portal_url(&self, token: &str, email: &str) -> String {
        format!(
            "{}/{}/portal?customer_session_token={}&email={}",
            self.page_base,
            self.organization.slug,
            token,
            url_encode(email)
        )
    }
}

/// `SubscriptionUser` / `OrderUser`, the deprecated `user` Polar still sends on subscriptions
/// and orders (`server/polar/subscription/schemas.py` 43-62, `server/polar/order/schemas.py`
/// 193-212): the customer's legacy user, whose id is the customer's own when no user preceded
/// it and whose public name is the first letter of the name, else of the email
/// (`server/polar/models/customer.py` 370-394).
pub(crate) fn legacy_user(c: &crate::polar_mock::world::Customer) -> Value {
    let initial = c
        .name
        .as_deref()
        .filter(|n| !n.is_empty())
        .unwrap_or(&c.email);
    json!({
        "id": c.id,
        "email": c.email,
        "public_name": initial.chars().next().map_or_else(|| "?".to_string(), String::from),
        "avatar_url": crate::polar_mock::wire::avatar_url(Some(c.email.as_str())),
        "github_username": null,
    })
}

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
