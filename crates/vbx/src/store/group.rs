//! Group commit: one task owns the write path for queued jobs, runs up to [`MAX_BATCH`] of them
//! in one transaction (each in its own SAVEPOINT, so a failing job undoes only itself) and
//! answers each job only after the COMMIT that holds its writes.

use std::future::Future;
use std::pin::Pin;

use sqlx::{Connection as _, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{Result, StoreError};

/// Jobs per transaction at most: bounds how long the first job of a batch waits for the last.
pub const MAX_BATCH: usize = 64;

/// A boxed future that may borrow for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A write job: runs on the writer connection inside a savepoint; an error rolls back its own
/// writes only.
pub type Job<T> =
    Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send>;

/// A job with its answer, type-erased so one queue carries jobs of every result type.
trait Pending: Send {
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool>;
    /// `committed` is `Err` when the batch's transaction did not commit: nothing was stored.
    fn answer(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct Slot<T> {
    job: Option<Job<T>>,
    output: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Pending for Slot<T> {
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let Some(job) = self.job.take() else {
                return false;
            };
            let output = job(conn).await;
            let ok = output.is_ok();
            self.output = Some(output);
            ok
        })
    }

    fn answer(self: Box<Self>, committed: std::result::Result<(), String>) {
        let output = match (committed, self.output) {
            (Ok(()), Some(output)) => output,
            (Ok(()), None) => Err(StoreError::Batch {
                op: "write job",
                message: "the job never ran".into(),
            }),
            (Err(message), _) => Err(StoreError::Batch {
                op: "commit",
                message,
            }),
        };
        // The caller may have gone away (e.g. its HTTP client hung up); the write stands.
        let _ = self.reply.send(output);
    }
}

/// The queue in front of the group-commit task; cheap to clone.
#[derive(Debug, Clone)]
pub struct WriteQueue {
    tx: mpsc::UnboundedSender<Box<dyn Pending>>,
}

impl WriteQueue {
    /// Spawns the task that runs queued jobs on `writer` (which should hold one connection).
    pub fn spawn(writer: SqlitePool) -> WriteQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, rx));
        WriteQueue { tx }
    }

    /// Runs `job` in the next batch; resolves once that batch has committed (or failed).
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let slot = Slot {
            job: Some(Box::new(job)),
            output: None,
            reply,
        };
        let stopped = || StoreError::Batch {
            op: "queue write",
            message: "the writer task has stopped".into(),
        };
        self.tx.send(Box::new(slot)).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn run(writer: SqlitePool, mut rx: mpsc::UnboundedReceiver<Box<dyn Pending>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let committed = run_batch(&writer, &mut batch)
            .await
            .map_err(|e| format!("{e:#}"));
        if let Err(error) = &committed {
            tracing::error!(
                error,
                jobs = batch.len(),
                "a batch of writes did not commit"
            );
        }
        for job in batch.drain(..) {
            job.answer(committed.clone());
        }
    }
}

async fn run_batch(
    writer: &SqlitePool,
    batch: &mut [Box<dyn Pending>],
) -> std::result::Result<(), sqlx::Error> {
    let mut tx = writer.begin().await?;
    for job in batch.iter_mut() {
        // A transaction begun on a transaction is a SAVEPOINT.
        let mut savepoint = tx.begin().await?;
        if job.run(&mut savepoint).await {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
    }
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use crate::store::relay::{relay_target, set_relay_target};
    use crate::store::test_support::store;
    use crate::store::{Store, StoreError};

    async fn set_then(store: &Store, device: &str, fail: bool) -> super::Result<()> {
        let device = device.to_owned();
        store
            .write(move |conn| {
                Box::pin(async move {
                    set_relay_target(&mut *conn, &device, "+15550001111", 1_000).await?;
                    if fail {
                        return Err(StoreError::Batch {
                            op: "test job",
                            message: "refused".into(),
                        });
                    }
                    Ok(())
                })
            })
            .await
    }

    #[tokio::test]
    async fn a_failing_job_undoes_only_its_own_writes_and_gets_its_own_error() {
        let (_dir, store) = store().await;
        let (a, b, c) = tokio::join!(
            set_then(&store, "a", false),
            set_then(&store, "b", true),
            set_then(&store, "c", false),
        );
        assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
        assert!(b.unwrap_err().to_string().contains("refused"));
        let pool = store.pool();
        assert!(relay_target(pool, "a").await.unwrap().is_some());
        assert_eq!(relay_target(pool, "b").await.unwrap(), None);
        assert!(relay_target(pool, "c").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_job_is_answered_only_once_its_write_is_readable_elsewhere() {
        let (_dir, store) = store().await;
        for i in 0..20 {
            let device = format!("device{i}");
            set_then(&store, &device, false).await.unwrap();
            // The read pool is another connection: it sees only committed data.
            assert!(relay_target(store.pool(), &device).await.unwrap().is_some());
        }
    }
}
