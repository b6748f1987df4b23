//! Transitions, each a synchronous method that changes the records and emits Polar's webhook
//! sequence (see `docs/mock-polar.md`): checkout creation, edits and confirmation, charges,
//! cancellation, uncancellation, revocation, seat changes, renewals and dunning, recovery
//! through a new payment method, customer creation, update and deletion, invoices.

use chrono::Duration;
use serde_json::{Map, Value};

use super::{
    add_interval, is_seat_based, new_id, seat_amount, seat_bounds, token, Card, CardBehavior,
    Checkout, Customer, Order, Session, State, Subscription,
};
use crate::polar_mock::error::ApiError;

/// Why saving a payment method in the portal failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PaymentMethodError {
    #[error("Your card was declined.")]
    Declined,
    #[error("The payment with your new card failed.")]
    RetryFailed,
}

/// What the buyer submits on the hosted checkout page (or through the client API).
#[derive(Debug, Clone, Default)]
pub(crate) struct CheckoutFields {
    pub email: Option<String>,
    pub name: Option<String>,
    pub billing_address: Option<Value>,
    pub seats: Option<i64>,
}

/// A new customer's fields (`POST /v1/customers/` or a checkout's buyer).
#[derive(Debug, Clone, Default)]
pub(crate) struct NewCustomer {
    pub email: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub billing_address: Option<Value>,
    pub tax_id: Option<Value>,
    pub locale: Option<String>,
    pub metadata: Map<String, Value>,
}

impl State {
    pub fn add_checkout(&mut self, c: Checkout) -> usize {
        self.checkouts.push(c);
        let i = self.checkouts.len() - 1;
        self.emit_checkout("checkout.created", i);
        i
    }

    /// Decides whether a charge on the customer's card succeeds, consuming a one-shot override.
    pub(crate) fn charge(&mut self, customer_id: &str) -> bool {
        let forced = self.next_charge.take();
        let Some(c) = self.customers.iter_mut().find(|c| c.id == customer_id) else {
            return false;
        };
        let Some(card) = c.card.as_mut() else {
            return forced.unwrap_or(false);
        };
        card.charges += 1;
        let natural = match card.behavior {
            CardBehavior::Succeeds => true,
            CardBehavior::Declined => false,
            CardBehavior::FailsLater => card.charges <= 1,
        };
        forced.unwrap_or(natural)
    }

    /// Checks that checkout `i` is open, unexpired and that `seats` fits its bounds.
    fn confirmable(&self, i: usize, seats: Option<i64>) -> Result<(), ApiError> {
        let c = &self.checkouts[i];
        if c.status != "open" {
            return Err(ApiError::new(
                403,
                "NotOpenCheckout",
                "This checkout is not open.",
            ));
        }
        if self.now() > c.expires_at {
            return Err(ApiError::new(
                410,
                "ExpiredCheckoutError",
                "This checkout session has expired.",
            ));
        }
        if let Some(n) = seats {
            let (price_min, price_max) = seat_bounds(&c.price);
            let min = c.min_seats.unwrap_or(price_min);
            let max = c.max_seats.or(price_max);
            if n < min {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    &format!("Minimum {min} seats required."),
                ));
            }
            if let Some(m) = max.filter(|m| n > *m) {
                return Err(ApiError::new(
                    400,
                    "BadRequest",
                    &format!("Maximum {m} seats allowed."),
                ));
            }
        }
        Ok(())
    }

    /// Applies the buyer's edits to an open checkout (`PATCH /v1/checkouts/client/{secret}`).
    pub fn update_checkout(&mut self, i: usize, f: CheckoutFields) -> Result<(), ApiError> {
        self.confirmable(i, f.seats)?;
        let now = self.now();
        let c = &mut self.checkouts[i];
        if f.seats.is_some() {
            c.seats = f.seats;
        }
        if f.email.is_some() {
            c.customer_email = f.email;
        }
        if f.name.is_some() {
            c.customer_name = f.name;
        }
        if f.billing_address.is_some() {
            c.customer_billing_address = f.billing_address;
        }
        c.modified_at = Some(now);
        self.emit_checkout("checkout.updated", i);
        Ok(())
    }

    /// The customer a checkout confirmed with `email` belongs to (existing or not), refusing a
    /// customer who already has a billable subscription.
    fn checkout_customer(&self, i: usize, email: &str) -> Result<Option<usize>, ApiError> {
        let c = &self.checkouts[i];
        let (ext, cust_id) = (c.external_customer_id.as_ref(), c.customer_id.as_ref());
        let existing = self.customers.iter().position(|cu| {
            cu.deleted_at.is_none()
                && (Some(&cu.id) == cust_id
                    || (ext.is_some() && cu.external_id.as_ref() == ext)
                    || (ext.is_none()
                        && cust_id.is_none()
                        && cu.external_id.is_none()
                        && cu.email.eq_ignore_ascii_case(email)))
        });
        if let Some(ci) = existing {
            let cid = &self.customers[ci].id;
            if self
                .subscriptions
                .iter()
                .any(|s| &s.customer_id == cid && s.billable())
            {
                return Err(ApiError::new(
                    403,
                    "AlreadyActiveSubscriptionError",
                    "You already have an active subscription.",
                ));
            }
        }
        Ok(existing)
    }

    /// The buyer pressed "Subscribe now": creates or finds the customer, charges the card and,
    /// on success, creates the subscription and the paid order. Returns the session token.
    pub fn confirm_checkout(
        &mut self,
        i: usize,
        f: CheckoutFields,
        card: Card,
    ) -> Result<String, ApiError> {
        self.confirmable(i, f.seats)?;
        let email = f.email.clone().unwrap_or_default();
        let existing = self.checkout_customer(i, &email)?;
        let now = self.now();
        let ci = match existing {
            Some(ci) => ci,
            None => {
                let c = &self.checkouts[i];
                let new = NewCustomer {
                    email: email.clone(),
                    name: f.name.clone(),
                    external_id: c.external_customer_id.clone(),
                    billing_address: f.billing_address.clone(),
                    metadata: c.customer_metadata.clone(),
                    ..NewCustomer::default()
                };
                self.insert_customer(new)
            }
        };
        let customer_id = self.customers[ci].id.clone();
        {
            let c = &mut self.checkouts[i];
            c.customer_email = Some(email);
            c.customer_name = f.name.clone();
            if f.billing_address.is_some() {
                c.customer_billing_address = f.billing_address.clone();
            }
            if f.seats.is_some() {
                c.seats = f.seats;
            }
            c.customer_id = Some(customer_id.clone());
            c.status = "confirmed".into();
            c.modified_at = Some(now);
        }
        self.emit_checkout("checkout.updated", i);
        if card.behavior == CardBehavior::Declined && self.next_charge != Some(true) {
            self.next_charge = None;
            let c = &mut self.checkouts[i];
            c.status = "open".into();
            c.modified_at = Some(now);
            self.emit_checkout("checkout.updated", i);
            return Err(ApiError::new(
                400,
                "PaymentError",
                "Your card was declined.",
            ));
        }
        {
            let cust = &mut self.customers[ci];
            if cust.name.is_none() {
                cust.name = f.name;
            }
            if f.billing_address.is_some() {
                cust.billing_address = f.billing_address;
            }
            cust.card = Some(Card { charges: 1, ..card });
        }
        self.next_charge = None;
        self.start_subscription(i, ci);
        Ok(self.create_session(&customer_id, None).token)
    }

    /// A paid checkout becomes a subscription and a paid order (Polar's event order).
    fn start_subscription(&mut self, i: usize, ci: usize) {
        let now = self.now();
        let c = self.checkouts[i].clone();
        let customer_id = self.customers[ci].id.clone();
        let product = self.product(&c.product_id).cloned().unwrap_or(Value::Null);
        let seat_based = is_seat_based(&c.price);
        let seats = seat_based.then(|| c.seats.unwrap_or(1));
        let amount = seat_amount(&c.price, seats.unwrap_or(1));
        if seat_based && self.customers[ci].kind != "team" {
            self.customers[ci].kind = "team".into();
            self.customers[ci].modified_at = Some(now);
        }
        let end = add_interval(
            now,
            product["recurring_interval"].as_str().unwrap_or("month"),
            product["recurring_interval_count"].as_i64().unwrap_or(1),
        );
        let currency = c.price["price_currency"].as_str().unwrap_or("usd");
        self.subscriptions.push(Subscription {
            id: new_id(),
            created_at: now,
            modified_at: None,
            customer_id: customer_id.clone(),
            product_id: c.product_id.clone(),
            checkout_id: Some(c.id.clone()),
            price: c.price.clone(),
            seats,
            amount,
            currency: currency.to_string(),
            status: "active".into(),
            current_period_start: now,
            current_period_end: end,
            cancel_at_period_end: false,
            canceled_at: None,
            started_at: Some(now),
            ends_at: None,
            ended_at: None,
            past_due_at: None,
            cancellation_reason: None,
            cancellation_comment: None,
            metadata: c.metadata.clone(),
        });
        let si = self.subscriptions.len() - 1;
        self.emit_subscription(
            &[
                "subscription.created",
                "subscription.active",
                "subscription.updated",
            ],
            si,
        );
        let oi = self.new_order(si, "subscription_create", Some(c.id.clone()));
        self.emit_order(&["order.created"], oi);
        self.orders[oi].status = "paid".into();
        self.orders[oi].modified_at = Some(self.now());
        self.emit_order(&["order.updated", "order.paid"], oi);
        self.checkouts[i].status = "succeeded".into();
        self.checkouts[i].modified_at = Some(self.now());
        self.emit_checkout("checkout.updated", i);
        self.emit_state_changed(&customer_id);
    }

    fn new_order(&mut self, si: usize, reason: &str, checkout_id: Option<String>) -> usize {
        let s = &self.subscriptions[si];
        let order = Order {
            id: new_id(),
            created_at: self.now(),
            modified_at: None,
            status: "pending".into(),
            amount: s.amount,
            currency: s.currency.clone(),
            billing_reason: reason.into(),
            customer_id: s.customer_id.clone(),
            product_id: s.product_id.clone(),
            subscription_id: s.id.clone(),
            checkout_id,
            seats: s.seats,
            price_id: s.price["id"].as_str().map(str::to_string),
            metadata: s.metadata.clone(),
            next_payment_attempt_at: None,
            invoice_number: None,
            period: Some((s.current_period_start, s.current_period_end)),
        };
        self.orders.push(order);
        self.orders.len() - 1
    }

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
            kind: "individual".into(),
            billing_address: new.billing_address,
            tax_id: new.tax_id,
            locale: new.locale,
            metadata: new.metadata,
            card: None,
            deleted_at: None,
        });
        let ci = self.customers.len() - 1;
        self.emit_customer("customer.created", ci);
        ci
    }

    /// Emits `customer.updated` and `customer.state_changed` after an edit of customer `ci`.
    pub fn customer_updated(&mut self, ci: usize) {
        self.customers[ci].modified_at = Some(self.now());
        self.emit_customer("customer.updated", ci);
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
        self.emit_customer("customer.deleted", ci);
        self.sessions.retain(|s| s.customer_id != id);
    }

    pub fn cancel(
        &mut self,
        si: usize,
        reason: Option<String>,
        comment: Option<String>,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if !s.billable() || s.cancel_at_period_end || s.ended_at.is_some() {
            return Err(ApiError::already_canceled());
        }
        s.cancel_at_period_end = true;
        s.canceled_at = Some(now);
        s.ends_at = Some(s.current_period_end);
        s.cancellation_reason = reason;
        s.cancellation_comment = comment;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated", "subscription.canceled"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    pub fn uncancel(&mut self, si: usize) -> Result<(), ApiError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if s.ended_at.is_some() || !s.billable() {
            return Err(ApiError::new(410, "ResourceUnavailable", "Unavailable"));
        }
        if !s.cancel_at_period_end {
            return Err(ApiError::new(400, "BadRequest", "Bad request"));
        }
        s.cancel_at_period_end = false;
        s.canceled_at = None;
        s.ends_at = None;
        s.cancellation_reason = None;
        s.cancellation_comment = None;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated", "subscription.uncanceled"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    /// Revokes at once (DELETE, `{revoke:true}`, control plane, end of dunning, the end of a
    /// period after cancellation, or the customer's deletion).
    pub fn revoke(
        &mut self,
        si: usize,
        reason: Option<String>,
        comment: Option<String>,
    ) -> Result<(), ApiError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if s.ended_at.is_some() || !s.billable() {
            return Err(ApiError::already_canceled());
        }
        s.status = "canceled".into();
        if s.canceled_at.is_none() {
            s.canceled_at = Some(now);
        }
        s.ends_at = Some(now);
        s.ended_at = Some(now);
        if reason.is_some() {
            s.cancellation_reason = reason;
        }
        if comment.is_some() {
            s.cancellation_comment = comment;
        }
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(
            &[
                "subscription.updated",
                "subscription.canceled",
                "subscription.revoked",
            ],
            si,
        );
        self.emit_state_changed(&cid);
        Ok(())
    }

    pub fn update_seats(&mut self, si: usize, seats: i64) -> Result<(), ApiError> {
        let now = self.now();
        let s = &self.subscriptions[si];
        if !is_seat_based(&s.price) {
            return Err(ApiError::new(
                400,
                "NotASeatBasedSubscription",
                "This subscription does not support seat-based pricing.",
            ));
        }
        if !s.billable() || s.cancel_at_period_end {
            return Err(ApiError::already_canceled());
        }
        let (min, max) = seat_bounds(&s.price);
        if seats < min {
            return Err(ApiError::new(
                400,
                "BelowMinimumSeats",
                &format!("Minimum {min} seats required."),
            ));
        }
        if let Some(m) = max.filter(|m| seats > *m) {
            return Err(ApiError::new(
                400,
                "AboveMaximumSeats",
                &format!("Maximum {m} seats allowed."),
            ));
        }
        if s.seats == Some(seats) {
            return Ok(());
        }
        let amount = seat_amount(&s.price, seats);
        let s = &mut self.subscriptions[si];
        s.seats = Some(seats);
        s.amount = amount;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated"], si);
        self.emit_state_changed(&cid);
        Ok(())
    }

    /// Moves the clock to the end of the subscription's period and runs what Polar runs there:
    /// the end of a cancellation, a renewal charge, or (when past due) the last dunning retry,
    /// whose failure revokes the subscription.
    pub fn advance_period(&mut self, si: usize) -> Result<(), ApiError> {
        if !self.subscriptions[si].billable() {
            return Err(ApiError::new(
                409,
                "NotBillable",
                "The subscription has ended.",
            ));
        }
        let target = self.subscriptions[si].current_period_end + Duration::seconds(1);
        if self.now() < target {
            self.clock_offset += target - self.now();
        }
        let s = self.subscriptions[si].clone();
        if s.cancel_at_period_end {
            // Polar revokes with ended_at = the period end.
            let r = self.revoke(si, None, None);
            self.subscriptions[si].ended_at = Some(s.current_period_end);
            self.subscriptions[si].ends_at = Some(s.current_period_end);
            return r;
        }
        if s.status == "past_due" {
            // Dunning: the final retry.
            if self.charge(&s.customer_id) {
                self.recover(si);
                return Ok(());
            }
            return self.revoke(si, None, None);
        }
        self.renew(si);
        Ok(())
    }

    /// A renewal: the next period starts, a `subscription_cycle` order is charged; a failed
    /// charge leaves the order pending and the subscription past due.
    fn renew(&mut self, si: usize) {
        let now = self.now();
        let s = self.subscriptions[si].clone();
        let product = self.product(&s.product_id).cloned().unwrap_or(Value::Null);
        {
            let sub = &mut self.subscriptions[si];
            sub.current_period_start = s.current_period_end;
            sub.current_period_end = add_interval(
                s.current_period_end,
                product["recurring_interval"].as_str().unwrap_or("month"),
                product["recurring_interval_count"].as_i64().unwrap_or(1),
            );
            sub.modified_at = Some(now);
        }
        self.emit_subscription(&["subscription.cycled", "subscription.updated"], si);
        let oi = self.new_order(si, "subscription_cycle", None);
        self.emit_order(&["order.created"], oi);
        if self.charge(&s.customer_id) {
            self.orders[oi].status = "paid".into();
            self.orders[oi].modified_at = Some(self.now());
            self.emit_order(&["order.updated", "order.paid"], oi);
        } else {
            self.orders[oi].next_payment_attempt_at = Some(now + Duration::days(2));
            self.orders[oi].modified_at = Some(now);
            self.emit_order(&["order.updated"], oi);
            let sub = &mut self.subscriptions[si];
            sub.status = "past_due".into();
            sub.past_due_at = Some(now);
            sub.modified_at = Some(now);
            self.emit_subscription(&["subscription.updated", "subscription.past_due"], si);
        }
        self.emit_state_changed(&s.customer_id);
    }

    /// Pays the subscription's unpaid order and returns it to `active`.
    fn recover(&mut self, si: usize) {
        let now = self.now();
        let sid = self.subscriptions[si].id.clone();
        if let Some(oi) = self
            .orders
            .iter()
            .rposition(|o| o.subscription_id == sid && o.status == "pending")
        {
            self.orders[oi].status = "paid".into();
            self.orders[oi].next_payment_attempt_at = None;
            self.orders[oi].modified_at = Some(now);
            self.emit_order(&["order.updated", "order.paid"], oi);
        }
        let s = &mut self.subscriptions[si];
        s.status = "active".into();
        s.past_due_at = None;
        s.modified_at = Some(now);
        let cid = s.customer_id.clone();
        self.emit_subscription(&["subscription.updated", "subscription.active"], si);
        self.emit_state_changed(&cid);
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
                s.customer_id == customer_id && s.status == "past_due"
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

    /// Generates order `oi`'s invoice number (idempotent); only paid orders are eligible.
    pub fn generate_invoice(&mut self, oi: usize) -> Result<(), ApiError> {
        if self.orders[oi].status != "paid" {
            return Err(ApiError::new(
                409,
                "OrderNotEligibleForInvoice",
                "Order is not eligible for invoice generation.",
            ));
        }
        if self.orders[oi].invoice_number.is_none() {
            let n = self
                .orders
                .iter()
                .filter(|o| o.invoice_number.is_some())
                .count();
            let prefix = self.seed.organization.slug.to_uppercase();
            self.orders[oi].invoice_number = Some(format!("{prefix}-{:04}", n + 1));
            self.orders[oi].modified_at = Some(self.now());
            self.emit_order(&["order.updated"], oi);
        }
        Ok(())
    }
}
