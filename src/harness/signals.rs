//! SIGINT and SIGTERM turn into a cancel flag the runner watches; the listening task ends
//! when the guard is dropped, so no path out of a run has to remember to stop it.

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub(super) struct Signals {
    rx: watch::Receiver<bool>,
    task: JoinHandle<()>,
}

impl Signals {
    /// Installs the handlers before it returns: a signal that comes a moment later (while
    /// the report is first written) is a cancel, not the default death.
    pub fn install() -> Signals {
        let (tx, rx) = watch::channel(false);
        let handlers = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        );
        let task = tokio::spawn(async move {
            let (Ok(mut int), Ok(mut term)) = handlers else {
                return;
            };
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
            eprintln!("\ninterrupt: finishing the report and stopping the browser…");
            let _ = tx.send(true);
            // Keep the sender alive so receivers see `true`, not a closed channel.
            std::future::pending::<()>().await;
        });
        Signals { rx, task }
    }

    /// Turns true on SIGINT/SIGTERM.
    pub fn receiver(&self) -> watch::Receiver<bool> {
        self.rx.clone()
    }

    /// Resolves when a signal arrived.
    pub async fn cancelled(&self) {
        let mut rx = self.rx.clone();
        if rx.wait_for(|c| *c).await.is_err() {
            // No signal handler could be installed: no signal will ever come.
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        self.task.abort();
    }
}
