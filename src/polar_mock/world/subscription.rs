//! Subscription transitions: charges, cancellation at period end, uncancellation,
//! revocation, seat changes, and the end of a period (renewal, dunning, recovery).

use chrono::{DateTime, Duration, Utc};

use super::model::OrderStatus;
use super::{
    is_seat_based, seat_amount, seat_bounds, BillingReason, EventType, SubscriptionStatus, World,
    WorldError,
};

impl World {
    pub fn cancel(
        &mut self,
        si: usize,
        reason: Option<String>,
        comment: Option<String>,
    ) -> Result<(), WorldError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if !s.billable() || s.cancel_at_period_end || s.ended_at.is_some() {
            return Err(WorldError::AlreadyCanceled);
        }
        s.cancel_at_period_end = true;
        s.canceled_at = Some(now);
        s.ends_at = Some(s.current_period_end);
        s.cancellation_reason = reason;
        s.cancellation_comment = comment;
        s.modified_at = Some(now);
        self.subscription_changed(
            si,
            &[
                EventType::SubscriptionUpdated,
                EventType::SubscriptionCanceled,
            ],
        );
        Ok(())
    }

    pub fn uncancel(&mut self, si: usize) -> Result<(), WorldError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if s.ended_at.is_some() || !s.billable() {
            return Err(WorldError::SubscriptionEnded);
        }
        if !s.cancel_at_period_end {
            return Err(WorldError::NotCanceling);
        }
        s.cancel_at_period_end = false;
        s.canceled_at = None;
        s.ends_at = None;
        s.cancellation_reason = None;
        s.cancellation_comment = None;
        s.modified_at = Some(now);
        self.subscription_changed(
            si,
            &[
                EventType::SubscriptionUpdated,
                EventType::SubscriptionUncanceled,
            ],
        );
        Ok(())
    }

    /// Revokes at once (DELETE, `{revoke:true}`, control plane, end of dunning, the end of a
    /// period after cancellation, or the customer's deletion).
    pub fn revoke(
        &mut self,
        si: usize,
        reason: Option<String>,
        comment: Option<String>,
    ) -> Result<(), WorldError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if s.ended_at.is_some() || !s.billable() {
            return Err(WorldError::AlreadyCanceled);
        }
        s.status = SubscriptionStatus::Canceled;
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
        self.subscription_changed(
            si,
            &[
                EventType::SubscriptionUpdated,
                EventType::SubscriptionCanceled,
                EventType::SubscriptionRevoked,
            ],
        );
        self.sync_subscription_benefits(si);
        Ok(())
    }

    pub fn update_seats(&mut self, si: usize, seats: i64) -> Result<(), WorldError> {
        let now = self.now();
        let s = &self.subscriptions[si];
        if !is_seat_based(&s.price) {
            return Err(WorldError::NotSeatBased);
        }
        if !s.billable() || s.cancel_at_period_end {
            return Err(WorldError::AlreadyCanceled);
        }
        let (min, max) = seat_bounds(&s.price);
        if seats < min {
            return Err(WorldError::BelowMinimumSeats(min));
        }
        if let Some(m) = max.filter(|m| seats > *m) {
            return Err(WorldError::AboveMaximumSeats(m));
        }
        if s.seats == Some(seats) {
            return Ok(());
        }
        let amount = seat_amount(&s.price, seats);
        let s = &mut self.subscriptions[si];
        s.seats = Some(seats);
        s.amount = amount;
        s.modified_at = Some(now);
        self.subscription_changed(si, &[EventType::SubscriptionUpdated]);
        Ok(())
    }

    /// Moves the clock to the end of the subscription's period and runs what Polar runs there
    /// ([`World::end_period`]). A past-due subscription's last dunning retry runs one second
    /// before its period ends (Polar retries on days 2, 7, 14 and 21 of a failed order, inside
    /// the period), so a recovered subscription is not due for renewal at once.
    pub fn advance_period(&mut self, si: usize) -> Result<(), WorldError> {
        if !self.subscriptions[si].billable() {
            return Err(WorldError::NotBillable);
        }
        let s = &self.subscriptions[si];
        let target = if s.status == SubscriptionStatus::PastDue && !s.cancel_at_period_end {
            s.current_period_end - Duration::seconds(1)
        } else {
            s.current_period_end + Duration::seconds(1)
        };
        if self.now() < target {
            self.clock_offset += target - self.now();
        }
        self.end_period(si)
    }

    /// What Polar runs at the end of a billable subscription's period: the end of a
    /// cancellation, a renewal charge, or (when past due) the last dunning retry, whose
    /// failure revokes the subscription.
    pub fn end_period(&mut self, si: usize) -> Result<(), WorldError> {
        let s = self.subscriptions[si].clone();
        if !s.billable() {
            return Err(WorldError::NotBillable);
        }
        if s.cancel_at_period_end {
            // Polar revokes with ended_at = the period end.
            let r = self.revoke(si, None, None);
            self.subscriptions[si].ended_at = Some(s.current_period_end);
            self.subscriptions[si].ends_at = Some(s.current_period_end);
            return r;
        }
        if s.status == SubscriptionStatus::PastDue {
            // Dunning: the final retry.
            if self.charge(si) {
                self.recover(si);
                return Ok(());
            }
            return self.revoke(si, None, None);
        }
        self.renew(si);
        Ok(())
    }

    /// The billable subscriptions whose period has ended by the mock's clock, what Polar's
    /// scheduler picks (`server/polar/subscription/scheduler.py` `SubscriptionJobStore`:
    /// billable, `current_period_end <= now`, the customer not deleted).
    pub fn due_subscriptions(&self) -> Vec<usize> {
        let now = self.now();
        (0..self.subscriptions.len())
            .filter(|si| {
                let s = &self.subscriptions[*si];
                s.billable()
                    && s.current_period_end <= now
                    && self.customer(&s.customer_id).is_some()
            })
            .collect()
    }

    /// The scheduler's pass: [`World::end_period`] for every due subscription. Returns how
    /// many ran.
    pub fn run_due(&mut self) -> usize {
        let due = self.due_subscriptions();
        for si in &due {
            let _ = self.end_period(*si);
        }
        due.len()
    }

    /// `PATCH /v1/subscriptions/{id} {current_billing_period_end}`: the period now ends at
    /// `end` (the API checks it is in the future). Refused for a revoked or canceling
    /// subscription (`AlreadyCanceledSubscription`) and one that is not active, past due
    /// included (`InactiveSubscription`), in Polar's order
    /// (`server/polar/subscription/service.py` 2415-2430). Emits `subscription.updated` and
    /// `customer.state_changed`.
    pub fn update_period_end(&mut self, si: usize, end: DateTime<Utc>) -> Result<(), WorldError> {
        let now = self.now();
        let s = &mut self.subscriptions[si];
        if matches!(
            s.status,
            SubscriptionStatus::Canceled | SubscriptionStatus::Unpaid
        ) {
            return Err(WorldError::AlreadyCanceled);
        }
        if !s.active() {
            return Err(WorldError::InactiveSubscription(s.id.clone()));
        }
        if s.cancel_at_period_end {
            return Err(WorldError::AlreadyCanceled);
        }
        s.current_period_end = end;
        s.modified_at = Some(now);
        self.subscription_changed(si, &[EventType::SubscriptionUpdated]);
        Ok(())
    }

    /// A renewal: the next period starts, a `subscription_cycle` order is charged; a failed
    /// charge leaves the order pending and the subscription past due.
    fn renew(&mut self, si: usize) {
        let now = self.now();
        let s = self.subscriptions[si].clone();
        let end = self.period_end(&s.product_id, s.current_period_end);
        {
            let sub = &mut self.subscriptions[si];
            sub.current_period_start = s.current_period_end;
            sub.current_period_end = end;
            sub.modified_at = Some(now);
        }
        self.emit_subscription(
            &[
                EventType::SubscriptionCycled,
                EventType::SubscriptionUpdated,
            ],
            si,
        );
        let oi = self.new_order(si, BillingReason::SubscriptionCycle, None);
        self.emit_order(&[EventType::OrderCreated], oi);
        if self.charge(si) {
            self.orders[oi].status = OrderStatus::Paid;
            self.orders[oi].modified_at = Some(self.now());
            self.emit_order(&[EventType::OrderUpdated, EventType::OrderPaid], oi);
            self.emit_state_changed(&s.customer_id);
            self.cycle_subscription_benefits(si);
            return;
        } else {
            self.orders[oi].next_payment_attempt_at = Some(now + Duration::days(2));
            self.orders[oi].modified_at = Some(now);
            self.emit_order(&[EventType::OrderUpdated], oi);
            let sub = &mut self.subscriptions[si];
            sub.status = SubscriptionStatus::PastDue;
            sub.past_due_at = Some(now);
            sub.modified_at = Some(now);
            self.emit_subscription(
                &[
                    EventType::SubscriptionUpdated,
                    EventType::SubscriptionPastDue,
                ],
                si,
            );
        }
        self.emit_state_changed(&s.customer_id);
        self.sync_subscription_benefits(si);
    }

    /// Pays the subscription's unpaid order and returns it to `active`.
    pub(super) fn recover(&mut self, si: usize) {
        let now = self.now();
        let sid = self.subscriptions[si].id.clone();
        if let Some(oi) = self
            .orders
            .iter()
            .rposition(|o| o.subscription_id == sid && o.status == OrderStatus::Pending)
        {
            self.orders[oi].status = OrderStatus::Paid;
            self.orders[oi].next_payment_attempt_at = None;
            self.orders[oi].modified_at = Some(now);
            self.emit_order(&[EventType::OrderUpdated, EventType::OrderPaid], oi);
        }
        let s = &mut self.subscriptions[si];
        s.status = SubscriptionStatus::Active;
        s.past_due_at = None;
        s.modified_at = Some(now);
        self.subscription_changed(
            si,
            &[
                EventType::SubscriptionUpdated,
                EventType::SubscriptionActive,
            ],
        );
        self.sync_subscription_benefits(si);
    }
}
