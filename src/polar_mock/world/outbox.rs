//! The outbox: webhook events as the world's transitions emit them, typed — the event type,
//! which record it is about, and a snapshot of the world right after the transition, so the
//! event is rendered at delivery exactly as the record was when it happened (Polar sends
//! `order.created` with a pending order even when `order.paid` follows in the same request).

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{new_id, World};

/// The webhook event types the world emits (Polar's `WebhookEventType` names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    CheckoutCreated,
    CheckoutUpdated,
    CustomerCreated,
    CustomerUpdated,
    CustomerDeleted,
    CustomerStateChanged,
    SubscriptionCreated,
    SubscriptionActive,
    SubscriptionUpdated,
    SubscriptionCanceled,
    SubscriptionUncanceled,
    SubscriptionRevoked,
    SubscriptionPastDue,
    SubscriptionCycled,
    OrderCreated,
    OrderUpdated,
    OrderPaid,
    BenefitGrantCreated,
    BenefitGrantCycled,
    BenefitGrantRevoked,
    CustomerSeatAssigned,
    CustomerSeatClaimed,
    CustomerSeatRevoked,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CheckoutCreated => "checkout.created",
            EventType::CheckoutUpdated => "checkout.updated",
            EventType::CustomerCreated => "customer.created",
            EventType::CustomerUpdated => "customer.updated",
            EventType::CustomerDeleted => "customer.deleted",
            EventType::CustomerStateChanged => "customer.state_changed",
            EventType::SubscriptionCreated => "subscription.created",
            EventType::SubscriptionActive => "subscription.active",
            EventType::SubscriptionUpdated => "subscription.updated",
            EventType::SubscriptionCanceled => "subscription.canceled",
            EventType::SubscriptionUncanceled => "subscription.uncanceled",
            EventType::SubscriptionRevoked => "subscription.revoked",
            EventType::SubscriptionPastDue => "subscription.past_due",
            EventType::SubscriptionCycled => "subscription.cycled",
            EventType::OrderCreated => "order.created",
            EventType::OrderUpdated => "order.updated",
            EventType::OrderPaid => "order.paid",
            EventType::BenefitGrantCreated => "benefit_grant.created",
            EventType::BenefitGrantCycled => "benefit_grant.cycled",
            EventType::BenefitGrantRevoked => "benefit_grant.revoked",
            EventType::CustomerSeatAssigned => "customer_seat.assigned",
            EventType::CustomerSeatClaimed => "customer_seat.claimed",
            EventType::CustomerSeatRevoked => "customer_seat.revoked",
        }
    }
}

/// The record an event is about, by id (found in the event's snapshot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    Checkout(String),
    Customer(String),
    /// `customer.state_changed`: the customer's state (its active subscriptions).
    CustomerState(String),
    Subscription(String),
    Order(String),
    BenefitGrant(String),
    Seat(String),
}

/// One emitted event, waiting to be rendered and delivered.
#[derive(Debug, Clone)]
pub struct Emitted {
    pub id: String,
    pub kind: EventType,
    pub at: DateTime<Utc>,
    pub subject: Subject,
    /// The world right after the transition (its own outbox empty).
    pub world: Arc<World>,
}

impl World {
    /// Emits one event about `subject`.
    pub(super) fn emit(&mut self, kind: EventType, subject: Subject) {
        let outbox = std::mem::take(&mut self.outbox);
        let world = Arc::new(self.clone());
        self.outbox = outbox;
        self.outbox.push(Emitted {
            id: new_id(),
            kind,
            at: self.now(),
            subject,
            world,
        });
    }

    pub(super) fn emit_checkout(&mut self, kind: EventType, i: usize) {
        let id = self.checkouts[i].id.clone();
        self.emit(kind, Subject::Checkout(id));
    }

    pub(super) fn emit_customer(&mut self, kind: EventType, ci: usize) {
        let id = self.customers[ci].id.clone();
        self.emit(kind, Subject::Customer(id));
    }

    pub(super) fn emit_subscription(&mut self, kinds: &[EventType], i: usize) {
        for kind in kinds {
            let id = self.subscriptions[i].id.clone();
            self.emit(*kind, Subject::Subscription(id));
        }
    }

    pub(super) fn emit_order(&mut self, kinds: &[EventType], i: usize) {
        for kind in kinds {
            let id = self.orders[i].id.clone();
            self.emit(*kind, Subject::Order(id));
        }
    }

    /// A subscription changed: its events, then its customer's state.
    pub(super) fn subscription_changed(&mut self, si: usize, kinds: &[EventType]) {
        self.emit_subscription(kinds, si);
        let customer_id = self.subscriptions[si].customer_id.clone();
        self.emit_state_changed(&customer_id);
    }

    pub(super) fn emit_state_changed(&mut self, customer_id: &str) {
        if self.customer(customer_id).is_some() {
            self.emit(
                EventType::CustomerStateChanged,
                Subject::CustomerState(customer_id.to_string()),
            );
        }
    }

    /// The events emitted since the last take, oldest first.
    pub fn take_outbox(&mut self) -> Vec<Emitted> {
        std::mem::take(&mut self.outbox)
    }
}
