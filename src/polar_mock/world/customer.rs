//! Customer transitions: creation, edits, deletion, customer sessions, and saving a card in
//! the portal (which retries past-due subscriptions at once).

use chrono::Duration;

use super::{
    new_id, token, Address, Card, CardBehavior, Customer, CustomerType, EventType, Metadata,
    Session, SubscriptionStatus, TaxId, World,
};

/// Why saving a payment method in the portal failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaymentMethodError {
    #[error("Your card was declined.")]
    Declined,
    #[error("The payment with your new card failed.")]
    RetryFailed,
}

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
            card: None,
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

    /// The customer saved a new card in the portal: it becomes the default, and past-due
    /// subscriptions are retried at once.
    pub fn update_payment_method(
        &mut self,
        ci: usize,
        card: Card,
    ) -> Result<(), PaymentMethodError> {
        if card.behavior == CardBehavior::Declined && self.next_charge != Some(true) {
            return Err(PaymentMethodError::Declined);
        }
        let now = self.now();
        let customer_id = self.customers[ci].id.clone();
        // A card that "fails later" only ever pays for a checkout; from the portal it fails.
        let charges = u32::from(card.behavior == CardBehavior::FailsLater);
        self.customers[ci].card = Some(Card { charges, ..card });
        self.customers[ci].modified_at = Some(now);
        let past_due: Vec<usize> = (0..self.subscriptions.len())
            .filter(|i| {
                let s = &self.subscriptions[*i];
                s.customer_id == customer_id && s.status == SubscriptionStatus::PastDue
            })
            .collect();
        let mut failed = false;
        for si in past_due {
            if self.charge(&customer_id) {
                self.recover(si);
            } else {
                failed = true;
            }
        }
        if failed {
            return Err(PaymentMethodError::RetryFailed);
        }
        Ok(())
    }
}
