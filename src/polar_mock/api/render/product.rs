//! `Product` (and the product embedded in checkouts, orders and portal objects) and the
//! organization objects embedded in public checkouts and portal products.

use serde_json::{json, Value};

use super::without;
use super::{ts, Render};

/// Whether Polar would let the product be deleted: nothing was sold or checked out with it.
fn is_deletable(state: &Render, id: &str) -> bool {
    !state.checkouts.iter().any(|c| c.product_id == id)
        && !state.subscriptions.iter().any(|s| s.product_id == id)
        && !state.orders.iter().any(|o| o.product_id == id)
}

/// `Product` as `GET /v1/products/{id}` returns it.
pub(crate) fn product(state: &Render, p: &Value) -> Value {
    let mut out = p.clone();
    if let Some(m) = out.as_object_mut() {
        let deletable = is_deletable(state, p["id"].as_str().unwrap_or_default());
        m.insert("is_deletable".into(), json!(deletable));
    }
    out
}

/// `CheckoutProduct`: the product without its metadata and custom fields, its benefits as
/// `BenefitPublic`.
pub(crate) fn checkout_product(p: &Value) -> Value {
    let mut out = without(
        p.clone(),
        &["metadata", "attached_custom_fields", "is_deletable"],
    );
    if let Some(Value::Array(benefits)) = out.get_mut("benefits") {
        for b in benefits.iter_mut() {
            *b = benefit_public(b);
        }
    }
    out
}

/// `BenefitPublic`: a benefit without its metadata, visibility and properties.
pub(crate) fn benefit_public(b: &Value) -> Value {
    without(
        b.clone(),
        &[
            "metadata",
            "visibility",
            "visibility_configurable",
            "properties",
        ],
    )
}

/// `OrderProduct`: the product's own fields, no prices, benefits or media.
pub(crate) fn order_product(p: &Value) -> Value {
    without(
        p.clone(),
        &[
            "prices",
            "benefits",
            "medias",
            "attached_custom_fields",
            "is_deletable",
        ],
    )
}

/// `CustomerSubscriptionProduct` / `CustomerOrderProduct`: the checkout product with its
/// organization.
pub(crate) fn portal_product(state: &Render, p: &Value) -> Value {
    let mut out = checkout_product(p);
    if let Some(m) = out.as_object_mut() {
        m.insert("organization".into(), customer_organization(state));
    }
    out
}

/// `CheckoutOrganization`: the organization as a public checkout shows it.
pub(crate) fn checkout_organization(state: &Render) -> Value {
    let org = &state.organization;
    json!({
        "created_at": ts(state.org_created_at),
        "modified_at": null,
        "id": org.id,
        "name": org.name,
        "slug": org.slug,
        "avatar_url": null,
        "proration_behavior": "prorate",
        "allow_customer_updates": true,
    })
}

/// `CustomerOrganization`: the organization as the customer portal shows it, with what the
/// portal lets customers do (neither seat nor plan changes in the mock).
pub(crate) fn customer_organization(state: &Render) -> Value {
    let mut v = checkout_organization(state);
    v["customer_portal_settings"] = json!({
        "usage": {"show": false},
        "subscription": {"update_seats": false, "update_plan": false},
    });
    v
}
