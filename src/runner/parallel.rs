//! Spreading scenarios over several [`Session`]s (`--jobs N`) and over CI jobs
//! (`--shard I/N`). Each scenario then runs alone, reaching its starting state through its
//! `given` steps; events from every session reach the one sink in the order they happen.
//! A session that stops answering after a failed scenario (its Grid node died) takes no
//! more scenarios while another session still runs; the last one goes on, so every
//! scenario still gets its verdict. A failed scenario's retries (`--retries`) run on the
//! session it failed on, right after it (see [`super::run_scenario`]).

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};

use crate::outcome::ScenarioStatus;
use crate::run_folder::RunFolder;
use crate::scenario::LoadedScenarios;

use super::{needs_given, run_scenario, Event, EventSink, Place, RunContext, RunSummary, Session};

/// The items of shard `shard` of `of`: the k-th (from 0, in file order) goes to shard
/// k mod `of` + 1, so every item is in exactly one shard and the split is stable.
pub fn shard_of<T>(items: Vec<T>, shard: usize, of: usize) -> Vec<T> {
    items
        .into_iter()
        .enumerate()
        .filter(|(k, _)| k % of + 1 == shard)
        .map(|(_, item)| item)
        .collect()
}

struct ChannelSink(UnboundedSender<Event>);

impl EventSink for ChannelSink {
    fn event(&mut self, event: &Event) {
        let _ = self.0.send(event.clone());
    }
}

/// Runs the scenarios across the sessions, each session taking the next scenario as it
/// frees up, until all ran or the run is cancelled.
pub async fn run(
    sessions: &[Session],
    loaded: &LoadedScenarios,
    ctx: &RunContext,
    folder: &RunFolder,
    sink: &mut dyn EventSink,
) -> RunSummary {
    let next = AtomicUsize::new(0);
    let live = AtomicUsize::new(sessions.len());
    let (tx, mut rx) = unbounded_channel();
    let sinks: Vec<ChannelSink> = sessions.iter().map(|_| ChannelSink(tx.clone())).collect();
    let workers = sessions.iter().zip(sinks).enumerate();
    let workers = workers.map(|(n, (session, mut sink))| {
        let (next, live) = (&next, &live);
        async move {
            let mut failed_steps = 0;
            let mut statuses = Vec::new();
            let mut lost = false;
            while !*ctx.cancel.borrow() {
                let index = next.fetch_add(1, Ordering::SeqCst);
                let Some(scenario) = loaded.scenarios.get(index) else {
                    break;
                };
                let mut place = Place {
                    folder,
                    sink: &mut sink,
                    failed_steps: &mut failed_steps,
                };
                let with_given = needs_given(scenario, None);
                let status =
                    run_scenario(session, loaded, index, with_given, ctx, &mut place).await;
                statuses.push(status);
                if status.is_failure() && !lost && !session.browser.is_alive().await {
                    lost = true;
                    // Hand the rest to the sessions that still answer, if any does.
                    let retired = live
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |l| {
                            (l > 1).then(|| l - 1)
                        })
                        .is_ok();
                    sink.event(&Event::SessionLost {
                        session: n + 1,
                        retired,
                    });
                    if retired {
                        break;
                    }
                }
            }
            (statuses, failed_steps)
        }
    });
    drop(tx);
    let forward = async {
        while let Some(event) = rx.recv().await {
            sink.event(&event);
        }
    };
    let (results, ()) = tokio::join!(futures_util::future::join_all(workers), forward);
    let failed_steps = results.iter().map(|(_, f)| f).sum();
    let mut statuses: Vec<ScenarioStatus> = results.into_iter().flat_map(|(s, _)| s).collect();
    if *ctx.cancel.borrow() {
        statuses.push(ScenarioStatus::Interrupted);
    }
    RunSummary::from_statuses(
        statuses,
        loaded.scenarios.len(),
        failed_steps,
        ctx.retry.fail_on_flaky,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_every_item_into_exactly_one_shard() {
        let items: Vec<usize> = (0..7).collect();
        let mut seen = Vec::new();
        for shard in 1..=3 {
            seen.extend(shard_of(items.clone(), shard, 3));
        }
        seen.sort();
        assert_eq!(seen, items);
        assert_eq!(shard_of(items.clone(), 2, 3), vec![1, 4]);
    }
}
