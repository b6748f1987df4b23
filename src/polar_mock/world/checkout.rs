//! Checkout transitions: creation, the buyer's edits, and confirmation, which charges the card
//! and starts the subscription with its paid order (Polar's event order).

use super::model::OrderStatus;
use super::{
    is_seat_based, new_id, seat_amount, seat_bounds, Address, BillingReason, Card, CardBehavior,
    Checkout, CheckoutStatus, CustomerType, EventType, NewCustomer, Subscription,
    SubscriptionStatus, World, WorldError,
};

/// What the buyer submits on the hosted checkout page (or through the client API).
#[derive(Debug, Clone, Default)]
pub struct CheckoutFields {
    pub email: Option<String>,
    pub name: Option<String>,
    pub billing_address: Option<Address>,
    pub seats: Option<i64>,
}

impl World {
    pub fn add_checkout(&mut self, c: Checkout) -> usize {
        self.checkouts.push(c);
        let i = self.checkouts.len() - 1;
        self.emit_checkout(EventType::CheckoutCreated, i);
        i
    }

    /// Checks that checkout `i` is open, unexpired and that `seats` fits its bounds.
    fn confirmable(&self, i: usize, seats: Option<i64>) -> Result<(), WorldError> {
        let c = &self.checkouts[i];
        if c.status != CheckoutStatus::Open {
            return Err(WorldError::CheckoutNotOpen);
        }
        if self.now() > c.expires_at {
            return Err(WorldError::CheckoutExpired);
        }
        if let Some(n) = seats {
            let (price_min, price_max) = seat_bounds(&c.price);
            let min = c.min_seats.unwrap_or(price_min);
            let max = c.max_seats.or(price_max);
            if n < min {
                return Err(WorldError::CheckoutBelowMinimumSeats(min));
            }
            if let Some(m) = max.filter(|m| n > *m) {
                return Err(WorldError::CheckoutAboveMaximumSeats(m));
            }
        }
        Ok(())
    }

    /// Applies the buyer's edits to an open checkout (`PATCH /v1/checkouts/client/{secret}`).
    pub fn update_checkout(&mut self, i: usize, f: CheckoutFields) -> Result<(), WorldError> {
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
        self.emit_checkout(EventType::CheckoutUpdated, i);
        Ok(())
    }

    /// The customer a checkout confirmed with `email` belongs to (existing or not), refusing a
    /// customer who already has a billable subscription.
    fn checkout_customer(&self, i: usize, email: &str) -> Result<Option<usize>, WorldError> {
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
                return Err(WorldError::AlreadyActiveSubscription);
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
    ) -> Result<String, WorldError> {
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
            c.status = CheckoutStatus::Confirmed;
            c.modified_at = Some(now);
        }
        self.emit_checkout(EventType::CheckoutUpdated, i);
        // Stripe's 0341 attaches but fails every charge, the checkout's first (HOSTED-PAGES.md
        // §3.2; Polar answers its `PaymentError`, server/polar/checkout/service.py:164-175).
        let fails = matches!(
            card.behavior,
            CardBehavior::Declined | CardBehavior::FailsLater
        );
        if fails && self.next_charge != Some(true) {
            self.next_charge = None;
            let c = &mut self.checkouts[i];
            c.status = CheckoutStatus::Open;
            c.modified_at = Some(now);
            self.emit_checkout(EventType::CheckoutUpdated, i);
            return Err(WorldError::PaymentDeclined);
        }
        {
            let cust = &mut self.customers[ci];
            if cust.name.is_none() {
                cust.name = f.name;
            }
            if f.billing_address.is_some() {
                cust.billing_address = f.billing_address;
            }
            // The checkout's card is saved as the customer's default (Polar's checkout saves
            // the payment method and bills the subscription with it).
            cust.default_card_id = Some(card.id.clone());
            cust.cards.push(Card { charges: 1, ..card });
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
        let seat_based = is_seat_based(&c.price);
        let seats = seat_based.then(|| c.seats.unwrap_or(1));
        let amount = seat_amount(&c.price, seats.unwrap_or(1));
        if seat_based && self.customers[ci].kind != CustomerType::Team {
            self.customers[ci].kind = CustomerType::Team;
            self.customers[ci].modified_at = Some(now);
        }
        let end = self.period_end(&c.product_id, now);
        let currency = c.price.price_currency.as_str();
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
            status: SubscriptionStatus::Active,
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
            // `subscription.payment_method = payment_method` at checkout
            // (server/polar/subscription/service.py:926).
            payment_method_id: self.customers[ci].default_card_id.clone(),
        });
        let si = self.subscriptions.len() - 1;
        self.emit_subscription(
            &[
                EventType::SubscriptionCreated,
                EventType::SubscriptionActive,
                EventType::SubscriptionUpdated,
            ],
            si,
        );
        let oi = self.new_order(si, BillingReason::SubscriptionCreate, Some(c.id.clone()));
        self.emit_order(&[EventType::OrderCreated], oi);
        self.orders[oi].status = OrderStatus::Paid;
        self.orders[oi].modified_at = Some(self.now());
        self.emit_order(&[EventType::OrderUpdated, EventType::OrderPaid], oi);
        self.checkouts[i].status = CheckoutStatus::Succeeded;
        self.checkouts[i].modified_at = Some(self.now());
        self.emit_checkout(EventType::CheckoutUpdated, i);
        self.emit_state_changed(&customer_id);
        // Polar's grant job runs after the checkout's events (service.py 984-985).
        self.sync_subscription_benefits(si);
        self.auto_claim_buyer_seat(i, si);
    }
}
