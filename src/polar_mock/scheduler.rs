//! The mock's renewal scheduler: a tokio task started with the mock that, every 200 ms,
//! takes the world's lock, ends the period of every billable subscription whose
//! `current_period_end` the mock's clock has passed (`World::run_due`: renewal and its
//! charge, the end of a cancellation, or the last dunning retry), runs the background jobs
//! requests enqueued (`World::run_jobs`: a paid retry of a past-due order), and publishes the
//! events exactly as a request does (`outbound::publish`).
//!
//! Polar's scheduler (`server/polar/subscription/scheduler.py` `SubscriptionJobStore`, run by
//! `server/polar/worker/scheduler.py`) wakes at most every 30 s and enqueues the
//! `subscription.cycle` job; the mock's 200 ms tick is a stand-in that keeps runs short (a
//! background job, such as a portal retry, is applied within a fifth of a second).
//!
//! Must not import wiremock.

use std::sync::Arc;
use std::time::Duration;

use super::handler::Shared;
use super::outbound::publish;

/// How often the scheduler looks for due subscriptions.
pub(crate) const TICK: Duration = Duration::from_millis(200);

/// One pass: ends every due period, runs the waiting jobs and publishes what that emitted.
/// Returns how many subscriptions were due.
pub(crate) fn run_once(shared: &Shared) -> usize {
    let mut world = shared.lock();
    let due = world.run_due();
    world.run_jobs();
    publish(shared, &mut world);
    due
}

/// Starts the scheduler; abort the handle to stop it (the mock does on drop).
pub(crate) fn spawn(shared: Arc<Shared>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            run_once(&shared);
        }
    })
}
