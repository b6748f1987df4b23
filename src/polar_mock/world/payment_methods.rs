//! Saved cards, as Polar's `PaymentMethod`s: a customer keeps several, one of them the
//! default. Adding one (as the default or not), choosing the default, deleting one (the
//! subscriptions billed with it move to another card), and which card a charge uses.
//!
//! Polar's rules, at commit c6c3645e of polarsource/polar:
//! - add: `server/polar/customer_portal/service/customer.py` `add_payment_method` /
//!   `_save_payment_method` (381-436): the card is saved; with `set_default` it becomes the
//!   default and past-due orders are retried with it by a background job
//!   (`server/polar/order/service.py` `schedule_retry_for_past_due_orders`, 3193-3227, which
//!   also moves each past-due subscription to the new card; here `Job::RetryPastDue`, run by
//!   the scheduler's next pass). An active subscription keeps its card.
//! - the default: `PATCH /v1/customer-portal/customers/me {default_payment_method_id}`
//!   (`customer_portal/service/customer.py` `update`, 88-118 and 203-227), same retry.
//! - delete: `server/polar/payment_method/service.py` `delete` (262-305): subscriptions still
//!   billed with the card move to the default card (or, when the default is the card deleted,
//!   another one); with no other card the delete is refused
//!   (`PaymentMethodInUseByActiveSubscription`).
//! - a renewal charges `subscription.payment_method_id`, else the customer's default
//!   (`server/polar/order/service.py` 1484-1485, 1504-1505).

use super::{Card, CardBehavior, SubscriptionStatus, World};

/// Why a payment-method operation was refused (the API maps each to Polar's answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PaymentMethodError {
    #[error("Your card was declined.")]
    Declined,
    /// No saved card of this customer has that id.
    #[error("Payment method not found.")]
    NotFound,
    #[error("This payment method is still needed to bill a subscription. Add another one or cancel the subscription first.")]
    InUseByActiveSubscription,
}

impl World {
    /// The card a charge for subscription `si` uses, as (customer index, card index): the
    /// subscription's own card while it is saved, else the customer's default.
    pub fn billing_card(&self, si: usize) -> Option<(usize, usize)> {
        let s = &self.subscriptions[si];
        let ci = self.customers.iter().position(|c| c.id == s.customer_id)?;
        let c = &self.customers[ci];
        let by_id = |id: &Option<String>| {
            let id = id.as_deref()?;
            c.cards.iter().position(|card| card.id == id)
        };
        by_id(&s.payment_method_id)
            .or_else(|| by_id(&c.default_card_id))
            .map(|k| (ci, k))
    }

    /// Decides whether a charge for subscription `si` succeeds, on the card
    /// [`World::billing_card`] picks, consuming a one-shot override. No card: fails.
    pub(crate) fn charge(&mut self, si: usize) -> bool {
        match self.billing_card(si) {
            Some((ci, k)) => self.charge_card(ci, k),
            None => self.next_charge.take().unwrap_or(false),
        }
    }

    /// Decides whether a charge on card `k` of customer `ci` succeeds, consuming a one-shot
    /// override.
    pub(crate) fn charge_card(&mut self, ci: usize, k: usize) -> bool {
        let forced = self.next_charge.take();
        let card = &mut self.customers[ci].cards[k];
        card.charges += 1;
        let natural = match card.behavior {
            CardBehavior::Succeeds => true,
            CardBehavior::Declined => false,
            CardBehavior::FailsLater => card.charges <= 1,
        };
        forced.unwrap_or(natural)
    }

    /// Saves a card for customer `ci` (the portal's add); with `set_default` it becomes the
    /// default and past-due subscriptions are retried with it at once. Returns the card's id.
    pub fn add_payment_method(
        &mut self,
        ci: usize,
        card: Card,
        set_default: bool,
    ) -> Result<String, PaymentMethodError> {
        if card.behavior == CardBehavior::Declined && self.next_charge != Some(true) {
            return Err(PaymentMethodError::Declined);
        }
        let now = self.now();
        // A card that "fails later" only ever pays for a checkout; from the portal it fails.
        let charges = u32::from(card.behavior == CardBehavior::FailsLater);
        let id = card.id.clone();
        let c = &mut self.customers[ci];
        c.cards.push(Card { charges, ..card });
        c.modified_at = Some(now);
        if set_default {
            c.default_card_id = Some(id.clone());
            self.enqueue_retry_past_due(ci, &id);
        }
        Ok(id)
    }

    /// Makes saved card `card_id` the default of customer `ci`; its past-due subscriptions
    /// are retried with it by a background job ([`super::Job::RetryPastDue`]).
    pub fn set_default_payment_method(
        &mut self,
        ci: usize,
        card_id: &str,
    ) -> Result<(), PaymentMethodError> {
        if self.customers[ci].card(card_id).is_none() {
            return Err(PaymentMethodError::NotFound);
        }
        self.customers[ci].default_card_id = Some(card_id.to_string());
        self.customer_updated(ci);
        self.enqueue_retry_past_due(ci, card_id);
        Ok(())
    }

    /// Polar enqueues the retry of a customer's past-due orders when a default card is set;
    /// the request answers before it runs, so its outcome is not the request's.
    fn enqueue_retry_past_due(&mut self, ci: usize, card_id: &str) {
        let customer_id = self.customers[ci].id.clone();
        let any_past_due = self
            .subscriptions
            .iter()
            .any(|s| s.customer_id == customer_id && s.status == SubscriptionStatus::PastDue);
        if any_past_due {
            self.jobs.push(super::Job::RetryPastDue {
                customer_id,
                card_id: card_id.to_string(),
            });
        }
    }

    /// Deletes saved card `card_id` of customer `ci`. Subscriptions still billed with it move
    /// to the default card, or another one when the default is this card; with no other card
    /// the delete is refused. Emits `customer.updated` and `customer.state_changed`.
    pub fn delete_payment_method(
        &mut self,
        ci: usize,
        card_id: &str,
    ) -> Result<(), PaymentMethodError> {
        let c = &self.customers[ci];
        let k = c
            .cards
            .iter()
            .position(|card| card.id == card_id)
            .ok_or(PaymentMethodError::NotFound)?;
        let requiring: Vec<usize> = (0..self.subscriptions.len())
            .filter(|si| {
                let s = &self.subscriptions[*si];
                s.customer_id == c.id
                    && s.billable()
                    && s.ended_at.is_none()
                    && s.payment_method_id.as_deref() == Some(card_id)
            })
            .collect();
        if !requiring.is_empty() {
            let alternative = c
                .default_card()
                .filter(|d| d.id != card_id)
                .or_else(|| c.cards.iter().find(|other| other.id != card_id))
                .map(|card| card.id.clone())
                .ok_or(PaymentMethodError::InUseByActiveSubscription)?;
            for si in requiring {
                self.subscriptions[si].payment_method_id = Some(alternative.clone());
            }
        }
        let c = &mut self.customers[ci];
        c.cards.remove(k);
        if c.default_card_id.as_deref() == Some(card_id) {
            c.default_card_id = None;
        }
        self.customer_updated(ci);
        Ok(())
    }

    /// Polar's `schedule_retry_for_past_due_orders`, run as a job: each past-due subscription
    /// of customer `ci` moves to card `card_id` and its unpaid order is charged. Returns
    /// whether every retry paid.
    pub(super) fn retry_past_due(&mut self, ci: usize, card_id: &str) -> bool {
        let customer_id = self.customers[ci].id.clone();
        let past_due: Vec<usize> = (0..self.subscriptions.len())
            .filter(|i| {
                let s = &self.subscriptions[*i];
                s.customer_id == customer_id && s.status == SubscriptionStatus::PastDue
            })
            .collect();
        let mut paid = true;
        for si in past_due {
            self.subscriptions[si].payment_method_id = Some(card_id.to_string());
            if self.charge(si) {
                self.recover(si);
            } else {
                paid = false;
            }
        }
        paid
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, Utc};

    use super::super::values::AmountType;
    use super::super::{
        card_from_token, Card, EventType, Metadata, NewCustomer, OrderStatus, Organization,
        ProductPrice, RetryWith, Subscription, SubscriptionStatus, World, WorldError,
    };
    use super::PaymentMethodError;

    fn card(token: &str) -> Card {
        card_from_token(token, Utc::now()).unwrap()
    }

    /// A world with one customer, its checkout card `first` (the default, charged once), and
    /// an active monthly subscription billed with it; returns the world and the card's id.
    fn world_with(first: &str) -> (World, String) {
        let org = Organization {
            id: "org".into(),
            slug: "org".into(),
            name: "Org".into(),
            token: "polar_oat_x".into(),
        };
        let mut w = World::new(org, Vec::new());
        let ci = w.insert_customer(NewCustomer {
            email: "a@example.com".into(),
            ..NewCustomer::default()
        });
        let c = Card {
            charges: 1,
            ..card(first)
        };
        let id = c.id.clone();
        w.customers[ci].default_card_id = Some(id.clone());
        w.customers[ci].cards.push(c);
        let now = w.now();
        w.subscriptions.push(Subscription {
            id: "sub".into(),
            created_at: now,
            modified_at: None,
            customer_id: w.customers[ci].id.clone(),
            product_id: "prod".into(),
            checkout_id: None,
            price: ProductPrice {
                id: "price".into(),
                amount_type: AmountType::Fixed,
                price_currency: "usd".into(),
                is_archived: false,
                product_id: "prod".into(),
                source: None,
                price_amount: Some(2000),
                seat_tiers: None,
            },
            seats: None,
            amount: 2000,
            currency: "usd".into(),
            status: SubscriptionStatus::Active,
            current_period_start: now,
            current_period_end: now + Duration::days(30),
            cancel_at_period_end: false,
            canceled_at: None,
            started_at: Some(now),
            ends_at: None,
            ended_at: None,
            past_due_at: None,
            cancellation_reason: None,
            cancellation_comment: None,
            metadata: Metadata::default(),
            payment_method_id: Some(id.clone()),
        });
        w.take_outbox();
        (w, id)
    }

    fn kinds(w: &mut World) -> Vec<EventType> {
        w.take_outbox().into_iter().map(|e| e.kind).collect()
    }

    #[test]
    fn a_new_default_card_does_not_move_an_active_subscription() {
        let (mut w, visa) = world_with("pm_card_visa");
        let declining = w
            .add_payment_method(0, card("pm_card_chargeCustomerFail"), true)
            .unwrap();
        assert_eq!(w.customers[0].default_card_id.as_deref(), Some(&*declining));
        assert_eq!(w.customers[0].cards.len(), 2);
        assert_eq!(
            w.subscriptions[0].payment_method_id.as_deref(),
            Some(&*visa)
        );
        // The renewal charges the subscription's card (the Visa), not the new default.
        assert_eq!(w.billing_card(0), Some((0, 0)));
        w.end_period(0).unwrap();
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::Active);
        assert_eq!(w.orders.last().unwrap().status, OrderStatus::Paid);
    }

    #[test]
    fn a_card_not_set_as_default_is_only_saved() {
        let (mut w, visa) = world_with("pm_card_visa");
        w.add_payment_method(0, card("pm_card_visa"), false)
            .unwrap();
        assert_eq!(w.customers[0].cards.len(), 2);
        assert_eq!(w.customers[0].default_card_id.as_deref(), Some(&*visa));
    }

    #[test]
    fn deleting_the_subscriptions_card_moves_it_to_the_default() {
        let (mut w, visa) = world_with("pm_card_visa");
        let other = w
            .add_payment_method(0, card("pm_card_chargeCustomerFail"), false)
            .unwrap();
        let default = w
            .add_payment_method(0, card("pm_card_chargeCustomerFail"), true)
            .unwrap();
        w.take_outbox();
        w.delete_payment_method(0, &visa).unwrap();
        assert_eq!(
            kinds(&mut w),
            [EventType::CustomerUpdated, EventType::CustomerStateChanged]
        );
        assert_eq!(
            w.subscriptions[0].payment_method_id.as_deref(),
            Some(&*default)
        );
        assert!(w.customers[0].card(&visa).is_none());
        // The renewal now charges the default card, which fails: past due.
        w.end_period(0).unwrap();
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::PastDue);
        // Deleting the default moves the subscription to the card that is left.
        w.delete_payment_method(0, &default).unwrap();
        assert_eq!(
            w.subscriptions[0].payment_method_id.as_deref(),
            Some(&*other)
        );
        assert_eq!(w.customers[0].default_card_id, None);
        // The last card a subscription needs cannot go.
        assert_eq!(
            w.delete_payment_method(0, &other),
            Err(PaymentMethodError::InUseByActiveSubscription)
        );
        assert_eq!(
            w.delete_payment_method(0, "nope"),
            Err(PaymentMethodError::NotFound)
        );
    }

    #[test]
    fn a_new_default_card_retries_past_due_with_that_card() {
        let (mut w, _) = world_with("pm_card_visa");
        w.next_charge = Some(false);
        w.end_period(0).unwrap();
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::PastDue);
        let saved = w
            .add_payment_method(0, card("pm_card_visa"), false)
            .unwrap();
        // Saved without set_default: nothing is retried.
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::PastDue);
        assert!(w.jobs.is_empty());
        assert_eq!(w.set_default_payment_method(0, &saved), Ok(()));
        // The request answers before the retry runs, as Polar's enqueued job.
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::PastDue);
        assert_eq!(w.run_jobs(), 1);
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::Active);
        assert_eq!(
            w.subscriptions[0].payment_method_id.as_deref(),
            Some(&*saved)
        );
        assert_eq!(
            w.set_default_payment_method(0, "nope"),
            Err(PaymentMethodError::NotFound)
        );
    }

    #[test]
    fn a_retry_is_decided_at_once_and_applied_by_the_next_job_pass() {
        let (mut w, visa) = world_with("pm_card_visa");
        // Only a pending order awaiting a retry is eligible.
        w.end_period(0).unwrap();
        assert_eq!(
            w.confirm_retry_payment(0, RetryWith::Saved(visa.clone())),
            Err(WorldError::NotEligibleForRetry(w.orders[0].id.clone()))
        );
        w.next_charge = Some(false);
        w.end_period(0).unwrap();
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::PastDue);
        assert_eq!(
            w.confirm_retry_payment(1, RetryWith::Saved("nope".into())),
            Err(WorldError::RetryPaymentMethodNotFound)
        );
        // A card that fails: answered as failed, nothing queued.
        w.next_charge = Some(false);
        assert_eq!(
            w.confirm_retry_payment(1, RetryWith::Saved(visa.clone())),
            Ok(false)
        );
        assert!(w.jobs.is_empty());
        // A new card that pays: saved, not the default; the subscription recovers in the job.
        let new = card("pm_card_visa");
        let new_id = new.id.clone();
        assert_eq!(w.confirm_retry_payment(1, RetryWith::New(new)), Ok(true));
        assert_eq!(w.customers[0].cards.len(), 2);
        assert_eq!(w.customers[0].default_card_id.as_deref(), Some(&*visa));
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::PastDue);
        assert_eq!(
            w.confirm_retry_payment(1, RetryWith::Saved(visa.clone())),
            Err(WorldError::PaymentAlreadyInProgress(w.orders[1].id.clone()))
        );
        w.take_outbox();
        assert_eq!(w.run_jobs(), 1);
        assert_eq!(w.subscriptions[0].status, SubscriptionStatus::Active);
        assert_eq!(w.orders[1].status, OrderStatus::Paid);
        assert_eq!(
            w.subscriptions[0].payment_method_id.as_deref(),
            Some(&*new_id)
        );
        let events = kinds(&mut w);
        assert!(events.contains(&EventType::OrderPaid), "{events:?}");
        assert!(
            events.contains(&EventType::SubscriptionActive),
            "{events:?}"
        );
        assert_eq!(w.run_jobs(), 0);
    }

    #[test]
    fn the_scheduler_renews_what_is_due_and_only_that() {
        let (mut w, _) = world_with("pm_card_visa");
        assert_eq!(w.run_due(), 0);
        let soon = w.now() + Duration::seconds(2);
        w.update_period_end(0, soon).unwrap();
        assert_eq!(w.run_due(), 0);
        w.clock_offset += Duration::seconds(3);
        assert_eq!(w.due_subscriptions(), vec![0]);
        assert_eq!(w.run_due(), 1);
        let s = &w.subscriptions[0];
        assert_eq!(s.current_period_start, soon);
        assert!(s.current_period_end > w.now());
        assert_eq!(w.orders.len(), 1);
        assert_eq!(w.run_due(), 0);
    }

    #[test]
    fn the_period_end_moves_only_on_active_subscriptions() {
        let (mut w, _) = world_with("pm_card_visa");
        let later = w.now() + Duration::days(3);
        w.cancel(0, None, None).unwrap();
        assert_eq!(
            w.update_period_end(0, later),
            Err(super::super::WorldError::AlreadyCanceled)
        );
        w.uncancel(0).unwrap();
        w.next_charge = Some(false);
        w.end_period(0).unwrap();
        assert!(matches!(
            w.update_period_end(0, later),
            Err(super::super::WorldError::InactiveSubscription(_))
        ));
        w.revoke(0, None, None).unwrap();
        assert_eq!(
            w.update_period_end(0, later),
            Err(super::super::WorldError::AlreadyCanceled)
        );
    }
}
