//! `CustomerSeat` and `SeatsList` (`server/polar/customer_seat/schemas.py` 137-178), for the
//! API and the `customer_seat.*` webhooks.

use serde_json::{json, Value};

use super::{opt_ts, ts, Render};
use crate::polar_mock::world::CustomerSeat;

/// One seat. The mock models no members (the organization without the member model), so
/// `member_id` and `member` are null; `email` and `customer_email` are the holder's.
pub(crate) fn seat(r: &Render, s: &CustomerSeat) -> Value {
    let email = s
        .customer_id
        .as_deref()
        .and_then(|id| r.customers.iter().find(|c| c.id == id))
        .map(|c| c.email.clone());
    json!({
        "created_at": ts(s.created_at),
        "modified_at": opt_ts(s.modified_at),
        "id": s.id,
        "subscription_id": s.subscription_id,
        "order_id": null,
        "status": s.status.as_str(),
        "customer_id": s.customer_id,
        "member_id": null,
        "member": null,
        "email": email,
        "customer_email": email,
        "invitation_token_expires_at": opt_ts(s.invitation_token_expires_at),
        "claimed_at": opt_ts(s.claimed_at),
        "revoked_at": opt_ts(s.revoked_at),
        "seat_metadata": s.metadata,
    })
}

/// The subscription's seats with its free and total seats.
pub(crate) fn seats_list(r: &Render, si: usize) -> Value {
    let sub = &r.subscriptions[si];
    let seats: Vec<Value> = r
        .subscription_seats(&sub.id)
        .into_iter()
        .map(|s| seat(r, s))
        .collect();
    json!({
        "seats": seats,
        "available_seats": r.available_seats(si),
        "total_seats": sub.seats.unwrap_or(0),
    })
}
