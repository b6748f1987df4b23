//! Order transitions: a subscription's order for its current period, invoices, and the
//! customer's retry of a past-due order (decided at once, applied by a background job).

use super::model::OrderStatus;
use super::{new_id, BillingReason, Card, EventType, Job, Order, World, WorldError};

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

/// What a customer's retry of a past-due order pays with (`CustomerOrderConfirmPayment`).
#[derive(Debug, Clone)]
pub enum RetryWith {
    /// A saved card of the customer, by id (`payment_method_id`).
    Saved(String),
    /// A new card (`confirmation_token_id`): saved for later (`setup_future_usage:
    /// off_session`), not made the default.
    New(Card),
}

impl World {
    /// The portal's "Retry payment" (`POST /v1/customer-portal/orders/{id}/confirm-payment`,
    /// Polar's `order/service.py` `process_retry_payment` 1895-2100): only a pending
    /// subscription order awaiting a dunning retry is eligible; the charge is decided at once
    /// (Stripe confirms the payment intent inside the request) and answered as `true`
    /// (succeeded) or `false` (failed). What a paid retry changes — the order paid, the
    /// subscription active again and billed with that card, their webhooks — happens in a
    /// background job ([`Job::RetryPaid`]), as Polar leaves it to Stripe's webhook.
    pub fn confirm_retry_payment(
        &mut self,
        oi: usize,
        with: RetryWith,
    ) -> Result<bool, WorldError> {
        let o = &self.orders[oi];
        let not_eligible = || WorldError::NotEligibleForRetry(o.id.clone());
        if o.status != OrderStatus::Pending || o.next_payment_attempt_at.is_none() {
            return Err(not_eligible());
        }
        let si = self
            .subscription_index(&o.subscription_id)
            .ok_or_else(not_eligible)?;
        if self
            .jobs
            .iter()
            .any(|job| matches!(job, Job::RetryPaid { order_id, .. } if *order_id == o.id))
        {
            return Err(WorldError::PaymentAlreadyInProgress(o.id.clone()));
        }
        let order_id = o.id.clone();
        let customer_id = self.subscriptions[si].customer_id.clone();
        let ci = self
            .customer_index(&customer_id)
            .ok_or_else(|| WorldError::NotEligibleForRetry(order_id.clone()))?;
        let k = match with {
            RetryWith::Saved(id) => self.customers[ci]
                .cards
                .iter()
                .position(|c| c.id == id)
                .ok_or(WorldError::RetryPaymentMethodNotFound)?,
            RetryWith::New(card) => {
                let now = self.now();
                let c = &mut self.customers[ci];
                c.cards.push(card);
                c.modified_at = Some(now);
                self.customer_updated(ci);
                self.customers[ci].cards.len() - 1
            }
        };
        let paid = self.charge_card(ci, k);
        if paid {
            let card_id = self.customers[ci].cards[k].id.clone();
            self.jobs.push(Job::RetryPaid { order_id, card_id });
        }
        Ok(paid)
    }

    /// Runs the background jobs enqueued since the last pass (the scheduler calls this every
    /// tick). Returns how many ran.
    pub fn run_jobs(&mut self) -> usize {
        let jobs = std::mem::take(&mut self.jobs);
        for job in &jobs {
            match job {
                Job::RetryPaid { order_id, card_id } => self.retry_paid(order_id, card_id),
                Job::RetryPastDue {
                    customer_id,
                    card_id,
                } => {
                    if let Some(ci) = self.customer_index(customer_id) {
                        self.retry_past_due(ci, card_id);
                    }
                }
            }
        }
        jobs.len()
    }

    fn retry_paid(&mut self, order_id: &str, card_id: &str) {
        let Some(oi) = self.order_index(order_id) else {
            return;
        };
        let Some(si) = self.subscription_index(&self.orders[oi].subscription_id.clone()) else {
            return;
        };
        if self.orders[oi].status != OrderStatus::Pending {
            return;
        }
        self.subscriptions[si].payment_method_id = Some(card_id.to_string());
        if self.subscriptions[si].status == super::SubscriptionStatus::PastDue {
            self.recover(si);
        } else {
            let now = self.now();
            let o = &mut self.orders[oi];
            o.status = OrderStatus::Paid;
            o.next_payment_attempt_at = None;
            o.modified_at = Some(now);
            self.emit_order(&[EventType::OrderUpdated, EventType::OrderPaid], oi);
        }
    }
}
