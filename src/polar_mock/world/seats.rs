//! Customer seats of seat-based subscriptions, as Polar keeps them: assigning, claiming and
//! revoking a seat, and the benefits a claimed seat grants its holder.
//!
//! Polar's rules (commit c6c3645e63, `server/polar/customer_seat/service.py` unless named):
//! * seats exist only when the organization has `seat_based_pricing_enabled`
//!   (`check_seat_feature_enabled`, 221-233: 403 otherwise);
//! * a subscription's free seats are its `seats` less its pending and claimed seats
//!   (`customer_seat/repository.py` 164-181); none free → `SeatNotAvailable` (assign 301-303);
//! * the holder is a customer of the organization found (or, by email, created) from exactly
//!   one of email, external customer id, customer id (`_find_or_create_customer`, 809-858);
//!   a holder with a live seat of the same subscription is refused (`SeatAlreadyAssigned`,
//!   1064-1070). The mock models the organization without the member model
//!   (`_resolve_legacy_target`, 1039-1084): the seat's customer is the holder, no member;
//! * a revoked seat of the subscription is reused before a new one is made (361-389);
//! * `immediate_claim` claims at once: `customer_seat.claimed`, then the grant job for the
//!   holder (392-402, `_enqueue_benefit_grant` 167-188); otherwise the seat is pending with an
//!   invitation token valid one day and `customer_seat.assigned` is sent (403-431);
//! * revoking sends `customer_seat.revoked` and revokes the holder's grants of the
//!   subscription (`revoke_seat`, 589-663); an inactive seat-based subscription revokes every
//!   seat (`revoke_all_seats_for_subscription` 772-807, from `subscription/service.py`
//!   3818-3832), and an active one grants nothing by itself;
//! * a checkout without its own `success_url` claims one seat for the buyer
//!   (`checkout/service.py` 1446, `_maybe_auto_claim_buyer_seat` 1518-1580; a refusal is
//!   only reported to Sentry).

use chrono::{DateTime, Duration, Utc};

use super::{is_seat_based, new_id, token, EventType, Metadata, NewCustomer, Subject, World};

/// A seat's status (`SeatStatus`, `server/polar/models/customer_seat.py`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeatStatus {
    Pending,
    Claimed,
    Revoked,
}

impl SeatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SeatStatus::Pending => "pending",
            SeatStatus::Claimed => "claimed",
            SeatStatus::Revoked => "revoked",
        }
    }
}

/// One seat of a subscription.
#[derive(Debug, Clone)]
pub struct CustomerSeat {
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub modified_at: Option<DateTime<Utc>>,
    pub subscription_id: String,
    pub status: SeatStatus,
    /// The holder (none once revoked).
    pub customer_id: Option<String>,
    pub invitation_token: Option<String>,
    pub invitation_token_expires_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub metadata: Metadata,
}

/// Who gets a seat: exactly one of Polar's three identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeatHolder {
    Email(String),
    ExternalId(String),
    CustomerId(String),
}

/// Why a seat transition is refused (`SeatError`s, with their status codes in the API room).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SeatError {
    #[error("Seat-based pricing is not enabled for this organization")]
    FeatureNotEnabled,
    #[error("No available seats for {0}")]
    NotAvailable(String),
    #[error("Seat already assigned to customer {0}")]
    AlreadyAssigned(String),
    #[error("Customer not found: {0}")]
    CustomerNotFound(String),
}

impl World {
    pub fn seat_index(&self, id: &str) -> Option<usize> {
        self.seats.iter().position(|s| s.id == id)
    }

    /// The subscription's seats, oldest first (revoked ones included, as Polar lists them).
    pub fn subscription_seats(&self, subscription_id: &str) -> Vec<&CustomerSeat> {
        self.seats
            .iter()
            .filter(|s| s.subscription_id == subscription_id)
            .collect()
    }

    /// Seats left to assign: `seats` less the pending and claimed ones (0 when not seat-based).
    pub fn available_seats(&self, si: usize) -> i64 {
        let s = &self.subscriptions[si];
        let Some(total) = s.seats else { return 0 };
        let taken = self
            .subscription_seats(&s.id)
            .iter()
            .filter(|x| x.status != SeatStatus::Revoked)
            .count() as i64;
        (total - taken).max(0)
    }

    /// Refuses seat operations when the organization has not enabled them.
    pub fn check_seats_enabled(&self) -> Result<(), SeatError> {
        if self.seat_based_pricing_enabled {
            Ok(())
        } else {
            Err(SeatError::FeatureNotEnabled)
        }
    }

    /// Assigns a seat of subscription `si` to `holder` (Polar's `assign_seat`); returns the
    /// seat's index.
    pub fn assign_seat(
        &mut self,
        si: usize,
        holder: SeatHolder,
        metadata: Metadata,
        immediate_claim: bool,
    ) -> Result<usize, SeatError> {
        self.check_seats_enabled()?;
        let sub_id = self.subscriptions[si].id.clone();
        if self.available_seats(si) <= 0 {
            return Err(SeatError::NotAvailable(sub_id));
        }
        let ci = self.find_or_create_holder(&holder)?;
        let customer_id = self.customers[ci].id.clone();
        let taken = self.seats.iter().any(|x| {
            x.subscription_id == sub_id
                && x.status != SeatStatus::Revoked
                && x.customer_id.as_deref() == Some(&customer_id)
        });
        if taken {
            let (SeatHolder::Email(id) | SeatHolder::ExternalId(id) | SeatHolder::CustomerId(id)) =
                holder;
            return Err(SeatError::AlreadyAssigned(id));
        }
        let now = self.now();
        let (status, token, expires) = if immediate_claim {
            (SeatStatus::Claimed, None, None)
        } else {
            let t = token("");
            (SeatStatus::Pending, Some(t), Some(now + Duration::days(1)))
        };
        let revoked = self
            .seats
            .iter()
            .position(|x| x.subscription_id == sub_id && x.status == SeatStatus::Revoked);
        let seat = CustomerSeat {
            id: new_id(),
            created_at: now,
            modified_at: None,
            subscription_id: sub_id,
            status,
            customer_id: Some(customer_id.clone()),
            invitation_token: token,
            invitation_token_expires_at: expires,
            claimed_at: immediate_claim.then_some(now),
            revoked_at: None,
            metadata,
        };
        let xi = match revoked {
            Some(xi) => {
                let old = &self.seats[xi];
                let (id, created_at) = (old.id.clone(), old.created_at);
                self.seats[xi] = CustomerSeat {
                    id,
                    created_at,
                    modified_at: Some(now),
                    ..seat
                };
                xi
            }
            None => {
                self.seats.push(seat);
                self.seats.len() - 1
            }
        };
        if immediate_claim {
            self.emit_seat(EventType::CustomerSeatClaimed, xi);
            self.grant_seat_holder(si, &customer_id);
        } else {
            self.emit_seat(EventType::CustomerSeatAssigned, xi);
        }
        Ok(xi)
    }

    /// Revokes seat `xi` (Polar's `revoke_seat`): a revoked seat is left as it is.
    pub fn revoke_seat(&mut self, xi: usize) -> Result<(), SeatError> {
        self.check_seats_enabled()?;
        if self.seats[xi].status == SeatStatus::Revoked {
            return Ok(());
        }
        let now = self.now();
        let seat = &mut self.seats[xi];
        let holder = seat.customer_id.take();
        seat.status = SeatStatus::Revoked;
        seat.revoked_at = Some(now);
        seat.modified_at = Some(now);
        seat.invitation_token = None;
        let scope = seat.subscription_id.clone();
        self.emit_seat(EventType::CustomerSeatRevoked, xi);
        if let Some(customer_id) = holder {
            self.revoke_scope(&customer_id, &scope);
        }
        Ok(())
    }

    /// Every live seat of the subscription is revoked (it is no longer active).
    pub(super) fn revoke_all_seats(&mut self, si: usize) {
        let id = self.subscriptions[si].id.clone();
        let live: Vec<usize> = (0..self.seats.len())
            .filter(|xi| {
                self.seats[*xi].subscription_id == id
                    && self.seats[*xi].status != SeatStatus::Revoked
            })
            .collect();
        for xi in live {
            // Enabled: the subscription's seats exist only if seats are.
            let _ = self.revoke_seat(xi);
        }
    }

    /// A paid checkout with no `success_url` of its own claims a seat for its buyer.
    pub(super) fn auto_claim_buyer_seat(&mut self, checkout: usize, si: usize) {
        let c = &self.checkouts[checkout];
        if c.seats.is_none_or(|n| n < 1) || !is_seat_based(&c.price) || c.success_url.is_some() {
            return;
        }
        let customer = self.customer(&self.subscriptions[si].customer_id);
        let Some(email) = customer
            .map(|cu| cu.email.clone())
            .filter(|e| !e.is_empty())
            .or_else(|| c.customer_email.clone())
        else {
            return;
        };
        // Polar reports a refusal to Sentry and lets the checkout succeed.
        let _ = self.assign_seat(si, SeatHolder::Email(email), Metadata::default(), true);
    }

    fn find_or_create_holder(&mut self, holder: &SeatHolder) -> Result<usize, SeatError> {
        let found = match holder {
            SeatHolder::Email(e) => self
                .customers
                .iter()
                .position(|c| c.deleted_at.is_none() && c.email.eq_ignore_ascii_case(e)),
            SeatHolder::ExternalId(x) => self.customer_by_external(x),
            SeatHolder::CustomerId(id) => self.customer_index(id),
        };
        match (found, holder) {
            (Some(ci), _) => Ok(ci),
            (None, SeatHolder::Email(e)) => Ok(self.insert_customer(NewCustomer {
                email: e.clone(),
                ..NewCustomer::default()
            })),
            (None, SeatHolder::ExternalId(id) | SeatHolder::CustomerId(id)) => {
                Err(SeatError::CustomerNotFound(id.clone()))
            }
        }
    }

    fn emit_seat(&mut self, kind: EventType, xi: usize) {
        let id = self.seats[xi].id.clone();
        self.emit(kind, Subject::Seat(id));
    }
}
