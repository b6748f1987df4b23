//! The entitlement projection rules, as pure functions: how one Polar subscription maps to a
//! billing state, which subscription decides a workspace's state, and when an incoming
//! subscription snapshot may replace the stored one. No I/O; the database applies them.

use serde::Serialize;

/// What the product shows and enforces for a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BillingState {
    /// No subscription to the product has ever been projected.
    Free,
    /// `active` or `trialing`, not cancelling.
    Active,
    /// `active` or `trialing` with `cancel_at_period_end`: access until the period ends.
    Canceling,
    /// Renewal payment failed: no access until recovered.
    PastDue,
    /// Ended, revoked, unpaid, paused, incomplete: no access.
    Inactive,
}

impl BillingState {
    /// Whether turns are allowed under enforcement.
    pub fn entitled(self) -> bool {
        matches!(self, BillingState::Active | BillingState::Canceling)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BillingState::Free => "free",
            BillingState::Active => "active",
            BillingState::Canceling => "canceling",
            BillingState::PastDue => "past_due",
            BillingState::Inactive => "inactive",
        }
    }

    fn rank(self) -> u8 {
        match self {
            BillingState::Active => 4,
            BillingState::Canceling => 3,
            BillingState::PastDue => 2,
            BillingState::Inactive => 1,
            BillingState::Free => 0,
        }
    }
}

/// The projected fields of one subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionRow {
    pub id: String,
    pub workspace_id: String,
    pub customer_id: String,
    pub product_id: String,
    /// Polar's `SubscriptionStatus` wire value.
    pub status: String,
    pub seats: Option<i64>,
    pub amount: i64,
    pub currency: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<String>,
    pub ends_at: Option<String>,
    pub version: Version,
    /// `webhook:<event type>` or `refresh`.
    pub source: String,
}

/// The order of subscription snapshots: Polar's `modified_at` (or `created_at` when never
/// modified) first, then when the snapshot was observed (the webhook envelope's `timestamp`,
/// or the moment a refresh read it from the API). Both in microseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Version {
    pub modified_us: i64,
    pub observed_us: i64,
}

/// An incoming snapshot replaces the stored one only if it is not older: a late or
/// out-of-order delivery can never move a subscription back in time.
pub fn supersedes(incoming: Version, stored: Option<Version>) -> bool {
    stored.is_none_or(|s| incoming >= s)
}

/// One subscription's state from its Polar status and cancellation flag.
pub fn state_of(status: &str, cancel_at_period_end: bool) -> BillingState {
    match status {
        "active" | "trialing" if cancel_at_period_end => BillingState::Canceling,
        "active" | "trialing" => BillingState::Active,
        "past_due" => BillingState::PastDue,
        _ => BillingState::Inactive,
    }
}

/// The workspace's state: among its subscriptions to `product_id`, the best state wins
/// (active > canceling > past_due > inactive), ties to the newest snapshot. None → free.
pub fn decide<'a>(
    subs: &'a [SubscriptionRow],
    product_id: &str,
) -> (BillingState, Option<&'a SubscriptionRow>) {
    subs.iter()
        .filter(|s| s.product_id == product_id)
        .map(|s| (state_of(&s.status, s.cancel_at_period_end), s))
        .max_by_key(|(state, s)| (state.rank(), s.version))
        .map_or((BillingState::Free, None), |(state, s)| (state, Some(s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: &str, status: &str, cancel: bool, m: i64) -> SubscriptionRow {
        SubscriptionRow {
            id: id.into(),
            workspace_id: "w".into(),
            customer_id: "c".into(),
            product_id: "p".into(),
            status: status.into(),
            seats: Some(1),
            amount: 2000,
            currency: "usd".into(),
            cancel_at_period_end: cancel,
            current_period_end: None,
            ends_at: None,
            version: Version {
                modified_us: m,
                observed_us: m,
            },
            source: "refresh".into(),
        }
    }

    #[test]
    fn every_polar_status_maps_to_a_state() {
        let cases = [
            ("active", false, BillingState::Active),
            ("trialing", false, BillingState::Active),
            ("active", true, BillingState::Canceling),
            ("trialing", true, BillingState::Canceling),
            ("past_due", false, BillingState::PastDue),
            ("past_due", true, BillingState::PastDue),
            ("canceled", true, BillingState::Inactive),
            ("canceled", false, BillingState::Inactive),
            ("unpaid", false, BillingState::Inactive),
            ("paused", false, BillingState::Inactive),
            ("incomplete", false, BillingState::Inactive),
            ("incomplete_expired", false, BillingState::Inactive),
            ("something_new", false, BillingState::Inactive),
        ];
        for (status, cancel, want) in cases {
            assert_eq!(state_of(status, cancel), want, "{status} cancel={cancel}");
        }
        assert!(BillingState::Active.entitled());
        assert!(BillingState::Canceling.entitled());
        assert!(!BillingState::PastDue.entitled());
        assert!(!BillingState::Inactive.entitled());
        assert!(!BillingState::Free.entitled());
    }

    #[test]
    fn older_snapshots_never_supersede() {
        let v = |m, o| Version {
            modified_us: m,
            observed_us: o,
        };
        assert!(supersedes(v(1, 1), None));
        assert!(supersedes(v(2, 1), Some(v(1, 9))));
        assert!(supersedes(v(2, 5), Some(v(2, 5))));
        assert!(!supersedes(v(1, 9), Some(v(2, 1))));
        assert!(!supersedes(v(2, 4), Some(v(2, 5))));
    }

    #[test]
    fn the_best_subscription_of_the_product_decides() {
        let subs = vec![
            row("old", "canceled", false, 1),
            row("new", "active", false, 2),
        ];
        let (state, sub) = decide(&subs, "p");
        assert_eq!(state, BillingState::Active);
        assert_eq!(sub.unwrap().id, "new");
        assert_eq!(decide(&subs, "other").0, BillingState::Free);
        assert_eq!(decide(&[], "p").0, BillingState::Free);
    }
}
