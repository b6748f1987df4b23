//! Order transitions: a subscription's order for its current period, and invoices.

use super::model::OrderStatus;
use super::{new_id, BillingReason, EventType, Order, World, WorldError};

impl World {
    pub(super) fn new_order(
        &mut self,
        si: usize,
        reason: BillingReason,
        checkout_id: Option<String>,
    ) -> usize {
        // Polar numbers every order it creates, paid or not (`{prefix}-{n:04d}`,
        // `server/polar/order/service.py` 816, 1565, 1620;
        // `server/polar/organization/service.py` 1059-1080); only drafts, which the mock has
        // not, wait for one. Generating the invoice is a separate step.
        let numbered = self
            .orders
            .iter()
            .filter(|o| o.invoice_number.is_some())
            .count();
        let invoice_number = format!(
            "{}-{:04}",
            self.organization.slug.to_uppercase(),
            numbered + 1
        );
        let s = &self.subscriptions[si];
        let order = Order {
            id: new_id(),
            created_at: self.now(),
            modified_at: None,
            status: OrderStatus::Pending,
            amount: s.amount,
            currency: s.currency.clone(),
            billing_reason: reason,
            customer_id: s.customer_id.clone(),
            product_id: s.product_id.clone(),
            subscription_id: s.id.clone(),
            checkout_id,
            seats: s.seats,
            price_id: Some(s.price.id.clone()),
            metadata: s.metadata.clone(),
            next_payment_attempt_at: None,
            invoice_number: Some(invoice_number),
            invoice_generated: false,
            period: Some((s.current_period_start, s.current_period_end)),
        };
        self.orders.push(order);
        self.orders.len() - 1
    }

    /// Generates order `oi`'s invoice (idempotent); only paid orders are eligible.
    pub fn generate_invoice(&mut self, oi: usize) -> Result<(), WorldError> {
        if self.orders[oi].status != OrderStatus::Paid {
            return Err(WorldError::NotEligibleForInvoice);
        }
        if !self.orders[oi].invoice_generated {
            self.orders[oi].invoice_generated = true;
            self.orders[oi].modified_at = Some(self.now());
            self.emit_order(&[EventType::OrderUpdated], oi);
        }
        Ok(())
    }
}
