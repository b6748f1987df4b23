//! Benefits and their grants, as Polar keeps them: a product carries benefits (the mock
//! models the `custom` type, which has no side effect outside Polar), and a customer holds
//! one grant per benefit and scope (the subscription or the order that granted it).
//!
//! Polar's rules (commit c6c3645e63):
//! * a subscription grants its product's benefits when it is active and revokes them when it
//!   is not (`server/polar/subscription/service.py` 3785-3839 `enqueue_benefits_grants`:
//!   `task = "grant" if subscription.active else "revoke"`), called at checkout (984-985), on
//!   revocation (2797-2798), past due (4146-4147; the organization's
//!   `benefit_revocation_grace_period` defaults to 0 days, `server/polar/models/organization.py`
//!   109, so access goes at once) and recovery (4184);
//! * a one-time order without seats grants when it is created from a paid checkout
//!   (`server/polar/order/service.py` 636-644): the mock sells recurring products only, so
//!   every grant it makes is a subscription's;
//! * a renewal's paid `subscription_cycle` order cycles every granted grant of the subscription
//!   (`server/polar/order/service.py` 2936-2942, `benefit/grant/service.py` 498-567);
//! * a grant is found again by customer, benefit and scope, so a revoked grant granted again is
//!   the same record (`benefit/grant/service.py` 157-172);
//! * seat-based products grant through claimed seats, not the subscription
//!   (`subscription/service.py` 3822-3832): a claimed seat grants its holder the product's
//!   benefits scoped to the subscription, and an inactive subscription revokes its seats
//!   (`seats`).
//!
//! Every grant change is a background job in Polar that runs after the subscription's or the
//! order's own events, and sends its webhook then `customer.state_changed`
//! (`benefit/grant/service.py` 671-691): the world emits them in that order.

use chrono::{DateTime, Utc};

use super::{is_seat_based, new_id, EventType, Subject, World};

/// A benefit of the organization (type `custom`, the only one the mock models).
#[derive(Debug, Clone)]
pub struct Benefit {
    pub id: String,
    /// The products that carry it, in the seed's order.
    pub product_ids: Vec<String>,
}

/// One customer's grant of one benefit, through one scope.
#[derive(Debug, Clone)]
pub struct BenefitGrant {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub granted_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub customer_id: String,
    pub benefit_id: String,
    /// The subscription that granted it (Polar's scope; an order's scope is never used).
    pub subscription_id: String,
}

impl BenefitGrant {
    pub fn is_granted(&self) -> bool {
        self.granted_at.is_some()
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

impl World {
    /// The benefits a product carries.
    pub fn product_benefits(&self, product_id: &str) -> Vec<&Benefit> {
        self.benefits
            .iter()
            .filter(|b| b.product_ids.iter().any(|p| p == product_id))
            .collect()
    }

    /// The customer's grants that are in force, oldest first.
    pub fn granted(&self, customer_id: &str) -> Vec<&BenefitGrant> {
        self.grants
            .iter()
            .filter(|g| g.customer_id == customer_id && g.is_granted())
            .collect()
    }

    /// Grants or revokes the subscription's benefits by its status, as Polar's
    /// `enqueue_benefits_grants` does after every status change.
    pub(super) fn sync_subscription_benefits(&mut self, si: usize) {
        let s = &self.subscriptions[si];
        let is_seat = is_seat_based(&s.price);
        let (customer_id, product_id) = (s.customer_id.clone(), s.product_id.clone());
        let scope = s.id.clone();
        if is_seat {
            // Granted when a seat is claimed; an inactive subscription revokes every seat,
            // which revokes its holder's grants.
            if !s.active() {
                self.revoke_all_seats(si);
            }
        } else if s.active() {
            self.grant_product(&customer_id, &product_id, scope);
        } else {
            self.revoke_scope(&customer_id, &scope);
        }
    }

    /// A seat of subscription `si` was claimed by `customer_id`: the product's benefits are
    /// granted to the holder, scoped to the subscription (`benefit.enqueue_benefits_grants`
    /// with the seat's customer, `customer_seat/service.py` 167-188).
    pub(super) fn grant_seat_holder(&mut self, si: usize, customer_id: &str) {
        let s = &self.subscriptions[si];
        let (product_id, scope) = (s.product_id.clone(), s.id.clone());
        self.grant_product(customer_id, &product_id, scope);
    }

    /// A renewal was paid: every granted grant of the subscription is cycled.
    pub(super) fn cycle_subscription_benefits(&mut self, si: usize) {
        let scope = self.subscriptions[si].id.clone();
        let now = self.now();
        let cycled: Vec<usize> = (0..self.grants.len())
            .filter(|gi| self.grants[*gi].subscription_id == scope && self.grants[*gi].is_granted())
            .collect();
        for gi in cycled {
            self.grants[gi].modified_at = Some(now);
            self.emit_grant(EventType::BenefitGrantCycled, gi);
        }
    }

    fn grant_product(&mut self, customer_id: &str, product_id: &str, scope: String) {
        let benefit_ids: Vec<String> = self
            .product_benefits(product_id)
            .iter()
            .map(|b| b.id.clone())
            .collect();
        let now = self.now();
        for benefit_id in benefit_ids {
            let found = self.grants.iter().position(|g| {
                g.customer_id == customer_id
                    && g.benefit_id == benefit_id
                    && g.subscription_id == scope
            });
            let gi = match found {
                Some(gi) if self.grants[gi].is_granted() => continue,
                Some(gi) => gi,
                None => {
                    self.grants.push(BenefitGrant {
                        id: new_id(),
                        created_at: now,
                        modified_at: None,
                        granted_at: None,
                        revoked_at: None,
                        customer_id: customer_id.to_string(),
                        benefit_id,
                        subscription_id: scope.clone(),
                    });
                    self.grants.len() - 1
                }
            };
            // `set_granted`: granted now, no longer revoked (models/benefit_grant.py).
            let g = &mut self.grants[gi];
            g.granted_at = Some(now);
            g.revoked_at = None;
            if g.created_at != now {
                g.modified_at = Some(now);
            }
            self.emit_grant(EventType::BenefitGrantCreated, gi);
        }
    }

    pub(super) fn revoke_scope(&mut self, customer_id: &str, scope: &str) {
        let now = self.now();
        let revoked: Vec<usize> = (0..self.grants.len())
            .filter(|gi| {
                let g = &self.grants[*gi];
                g.customer_id == customer_id && g.subscription_id == scope && g.is_granted()
            })
            .collect();
        for gi in revoked {
            // `set_revoked`: revoked now, no longer granted.
            let g = &mut self.grants[gi];
            g.granted_at = None;
            g.revoked_at = Some(now);
            g.modified_at = Some(now);
            self.emit_grant(EventType::BenefitGrantRevoked, gi);
        }
    }

    /// The grant's webhook, then its customer's state.
    fn emit_grant(&mut self, kind: EventType, gi: usize) {
        let (id, customer_id) = (
            self.grants[gi].id.clone(),
            self.grants[gi].customer_id.clone(),
        );
        self.emit(kind, Subject::BenefitGrant(id));
        self.emit_state_changed(&customer_id);
    }
}
