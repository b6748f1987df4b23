//! Customer transitions: creation, edits, deletion and customer sessions (their cards are in
//! `payment_methods`).

use chrono::Duration;

use super::{
    new_id, token, Address, Customer, CustomerType, EventType, Metadata, Session, TaxId, World,
};

/// A new customer's fields (`POST /v1/customers/` or a checkout's buyer).
#[derive(Debug, Clone, Default)]
pub struct NewCustomer {
    pub email: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub billing_address: Option<Address>,
    pub tax_id: Option<TaxId>,
    pub locale: Option<String>,
    pub metadata: Metadata,
}

impl World {
    pub fn create_session(&mut self, customer_id: &str, return_url: Option<String>) -> Session {
        let now = self.now();
        let s = Session {
            id: new_id(),
            token: token("polar_cst_"),
            customer_id: customer_id.to_string(),
            created_at: now,
            expires_at: now + Duration::hours(1),
            return_url,
        };
        self.sessions.push(s.clone());
        s
    }

    /// Adds a customer and emits `customer.created`; returns its index.
    pub fn insert_customer(&mut self, new: NewCustomer) -> usize {
        self.customers.push(Customer {
            id: new_id(),
            created_at: self.now(),
            modified_at: None,
            email: new.email,
            name: new.name,
            external_id: new.external_id,
            kind: CustomerType::Individual,
            billing_address: new.billing_address,
            tax_id: new.tax_id,
            locale: new.locale,
            metadata: new.metadata,
            cards: Vec::new(),
            default_card_id: None,
            deleted_at: None,
        });
        let ci = self.customers.len() - 1;
        self.emit_customer(EventType::CustomerCreated, ci);
        ci
    }

    /// Emits `customer.updated` and `customer.state_changed` after an edit of customer `ci`.
    pub fn customer_updated(&mut self, ci: usize) {
        self.customers[ci].modified_at = Some(self.now());
        self.emit_customer(EventType::CustomerUpdated, ci);
        let id = self.customers[ci].id.clone();
        self.emit_state_changed(&id);
    }

    /// Deletes customer `ci` as Polar does: billable subscriptions are revoked, the external id
    /// is cleared, and `customer.deleted` is emitted.
    pub fn delete_customer(&mut self, ci: usize) {
        let id = self.customers[ci].id.clone();
        let billable: Vec<usize> = (0..self.subscriptions.len())
            .filter(|si| {
                let s = &self.subscriptions[*si];
                s.customer_id == id && s.billable()
            })
            .collect();
        for si in billable {
            let _ = self.revoke(si, None, None);
        }
        let now = self.now();
        let c = &mut self.customers[ci];
        c.deleted_at = Some(now);
        c.modified_at = Some(now);
        c.external_id = None;
        self.emit_customer(EventType::CustomerDeleted, ci);
        self.sessions.retain(|s| s.customer_id != id);
    }
}
