//! `Benefit` (`BenefitCustom`), `BenefitGrant` (and its webhook form), the customer state's
//! `CustomerStateBenefitGrant` and the portal's `CustomerBenefitGrantCustom`
//! (`server/polar/benefit/schemas.py`, `benefit/grant/schemas.py`,
//! `customer/schemas/state.py`, `customer_portal/schemas/benefit_grant.py`).

use serde_json::{json, Value};

use super::product::checkout_organization;
use super::{customer, opt_ts, portal_customer, ts, Render};
use crate::polar_mock::world::{BenefitGrant, Customer};

/// The benefit's full document, as the catalog completed it.
pub(crate) fn benefit(r: &Render, id: &str) -> Value {
    r.benefit_doc(id).cloned().unwrap_or(Value::Null)
}

/// The grant's own fields, shared by every grant shape.
fn grant_core(g: &BenefitGrant) -> Value {
    json!({
        "created_at": ts(g.created_at),
        "modified_at": opt_ts(g.modified_at),
        "id": g.id,
        "granted_at": opt_ts(g.granted_at),
        "is_granted": g.is_granted(),
        "revoked_at": opt_ts(g.revoked_at),
        "is_revoked": g.is_revoked(),
        "subscription_id": g.subscription_id,
        "order_id": null,
        "customer_id": g.customer_id,
        "member_id": null,
        "benefit_id": g.benefit_id,
        "error": null,
        // A custom benefit's grant has no properties (BenefitGrantCustomProperties).
        "properties": {},
    })
}

fn grant_customer<'a>(r: &'a Render, g: &BenefitGrant) -> Option<&'a Customer> {
    r.customers.iter().find(|c| c.id == g.customer_id)
}

/// `BenefitGrant`, as `GET /v1/benefit-grants/` and `GET /v1/benefits/{id}/grants` list it.
pub(crate) fn grant(r: &Render, g: &BenefitGrant) -> Value {
    let mut v = grant_core(g);
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "customer".into(),
            grant_customer(r, g).map_or(Value::Null, |c| customer(r, c)),
        );
        m.insert("member".into(), Value::Null);
        m.insert("benefit".into(), benefit(r, &g.benefit_id));
    }
    v
}

/// `BenefitGrantWebhook`: the grant with `previous_properties` (the properties before the
/// transition, `benefit/grant/service.py` 686; always `{}` for a custom benefit).
pub(crate) fn grant_webhook(r: &Render, g: &BenefitGrant) -> Value {
    let mut v = grant(r, g);
    if let Some(m) = v.as_object_mut() {
        m.insert("previous_properties".into(), json!({}));
    }
    v
}

/// `CustomerStateBenefitGrant`: a grant in force, in the customer state's `granted_benefits`.
pub(crate) fn state_grant(r: &Render, g: &BenefitGrant) -> Value {
    let b = benefit(r, &g.benefit_id);
    json!({
        "id": g.id,
        "created_at": ts(g.created_at),
        "modified_at": opt_ts(g.modified_at),
        "granted_at": opt_ts(g.granted_at),
        "benefit_id": g.benefit_id,
        "benefit_type": b["type"],
        "benefit_metadata": b["metadata"],
        "properties": {},
    })
}

/// `CustomerBenefitGrantCustom`: the portal's grant, with the portal's customer and the
/// subscriber's view of the benefit (`BenefitCustomSubscriber`, its organization included).
pub(crate) fn portal_grant(r: &Render, g: &BenefitGrant) -> Value {
    let mut v = grant_core(g);
    let mut b = benefit(r, &g.benefit_id);
    if let Some(m) = b.as_object_mut() {
        for k in ["metadata", "visibility", "visibility_configurable"] {
            m.remove(k);
        }
        m.insert("organization".into(), checkout_organization(r));
    }
    if let Some(m) = v.as_object_mut() {
        m.insert(
            "customer".into(),
            grant_customer(r, g).map_or(Value::Null, portal_customer),
        );
        m.insert("benefit".into(), b);
    }
    v
}
