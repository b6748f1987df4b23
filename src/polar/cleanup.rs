//! Cleanup after a run against a real Polar deployment: revokes the subscriptions the run
//! created. A run pays with its own customer email (`${run.email}`, unique per run), so
//! "what this run created" is "the subscriptions of the customers with that email".
//! Uses only [`PolarClient`]; must not import the mock, the runner or the CLI.

use super::client::{PolarClient, PolarError};
use super::types::{SubscriptionListParams, SubscriptionStatus};

/// What a cleanup did: the ids of the subscriptions it revoked, and the ones it could not.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cleanup {
    pub email: String,
    pub customers: Vec<String>,
    pub revoked: Vec<String>,
    /// `(subscription id, error)`; the error text carries no token.
    pub failed: Vec<(String, String)>,
}

/// Statuses that still bill or entitle, and so must be revoked.
fn live(status: &SubscriptionStatus) -> bool {
    matches!(
        status,
        SubscriptionStatus::Active | SubscriptionStatus::Trialing | SubscriptionStatus::PastDue
    )
}

/// Revokes (`DELETE /v1/subscriptions/{id}`) every active, trialing or past-due
/// subscription of the customers whose email is `email`. Listing errors end the cleanup
/// (`Err`); a revoke that fails is recorded in [`Cleanup::failed`] and the rest go on.
pub async fn revoke_run_subscriptions(
    client: &PolarClient,
    email: &str,
) -> Result<Cleanup, PolarError> {
    let mut done = Cleanup {
        email: email.to_string(),
        ..Cleanup::default()
    };
    let customers = client.list_customers(Some(email)).await?;
    for customer in customers.items {
        // The filter is Polar's; check it anyway so a wider answer never revokes a stranger.
        if !customer.email.eq_ignore_ascii_case(email) {
            continue;
        }
        let subs = client
            .list_all_subscriptions(&SubscriptionListParams {
                customer_id: Some(customer.id.clone()),
                ..SubscriptionListParams::default()
            })
            .await?;
        done.customers.push(customer.id);
        for sub in subs.into_iter().filter(|s| live(&s.status)) {
            match client.revoke_subscription(&sub.id).await {
                Ok(_) => done.revoked.push(sub.id),
                Err(e) => done.failed.push((sub.id, e.to_string())),
            }
        }
    }
    Ok(done)
}
