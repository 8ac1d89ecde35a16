//! The app's background tasks, each with a name: one that ends while vbx runs is reported at
//! once by name (a panic with its message), so `App::run_until` can stop vbx rather than run
//! on without it.

pub mod health;
pub mod inbound_media;
pub mod notices;
pub mod recordings;
pub mod sender;
pub mod sync;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::task::{Id, JoinSet};

#[derive(Default)]
pub struct Workers {
    set: JoinSet<()>,
    names: HashMap<Id, &'static str>,
}

/// How a worker ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    Returned,
    Panicked(String),
}

impl Workers {
    pub fn spawn(&mut self, name: &'static str, work: impl Future<Output = ()> + Send + 'static) {
        let id = self.set.spawn(work).id();
        self.names.insert(id, name);
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// The next worker to end, and how; `None` when none is left. Cancel-safe.
    pub async fn next_ended(&mut self) -> Option<(&'static str, Ended)> {
        let (id, ended) = match self.set.join_next_with_id().await? {
            Ok((id, ())) => (id, Ended::Returned),
            Err(e) => {
                let id = e.id();
                let ended = if e.is_panic() {
                    let panic = e.into_panic();
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic without a message".to_owned());
                    Ended::Panicked(message)
                } else {
                    Ended::Panicked("cancelled".to_owned())
                };
                (id, ended)
            }
        };
        Some((self.names.remove(&id).unwrap_or("a worker"), ended))
    }

    /// Waits up to `patience` for every worker to end (they were told to stop), then aborts
    /// those still running, naming them.
    pub async fn finish(mut self, patience: Duration) {
        let deadline = tokio::time::Instant::now() + patience;
        loop {
            match tokio::time::timeout_at(deadline, self.next_ended()).await {
                Ok(None) => return,
                Ok(Some((name, Ended::Returned))) => {
                    tracing::debug!(worker = name, "worker stopped")
                }
                Ok(Some((name, Ended::Panicked(message)))) => {
                    tracing::error!(worker = name, panic = %message, "a worker panicked while stopping")
                }
                Err(_) => {
                    let mut late: Vec<&str> = self.names.values().copied().collect();
                    late.sort_unstable();
                    tracing::warn!(workers = ?late, ?patience, "workers did not stop in time; aborting them");
                    self.set.shutdown().await;
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_worker_that_ends_is_named_with_how_it_ended() {
        let mut workers = Workers::default();
        workers.spawn("forever", std::future::pending());
        workers.spawn("returns", async {});
        workers.spawn("panics", async { panic!("the disk is gone") });
        let mut ended = vec![
            workers.next_ended().await.unwrap(),
            workers.next_ended().await.unwrap(),
        ];
        ended.sort_by_key(|(name, _)| *name);
        assert_eq!(
            ended,
            [
                ("panics", Ended::Panicked("the disk is gone".into())),
                ("returns", Ended::Returned)
            ]
        );
        assert!(!workers.is_empty());
        let finishing = tokio::time::timeout(
            Duration::from_secs(5),
            workers.finish(Duration::from_millis(50)),
        );
        finishing
            .await
            .expect("a worker that never stops is aborted");
    }
}
