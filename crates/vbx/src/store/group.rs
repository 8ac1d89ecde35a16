//! Group commit: one task owns the write path for queued jobs, runs up to [`MAX_BATCH`] of them
//! in one transaction and answers each job only after the COMMIT that holds its writes. Jobs
//! run back to back (each statement is a round trip to SQLite's thread, so a SAVEPOINT pair per
//! job would cost as much as the job); when one fails, the transaction is rolled back and the
//! others run again, each in its own SAVEPOINT, so a failing job undoes only itself.

use std::future::Future;
use std::pin::Pin;

use sqlx::{Connection as _, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{Result, StoreError};

/// Jobs per transaction at most: bounds how long the first job of a batch waits for the last.
pub const MAX_BATCH: usize = 64;

/// A boxed future that may borrow for `'a`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A write job: runs on the writer connection inside the batch's transaction. It may run more
/// than once (after a rollback caused by another job), so it only touches the database.
pub type Job<T> = Box<dyn for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send>;

/// A queued job with its answer, type-erased for the batch.
trait Pending: Send {
    /// Runs the job; `true` if it succeeded. Its output is kept for the answer.
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool>;
    /// Whether the job failed on its own (its error is its answer, whatever the batch does).
    fn failed(&self) -> bool;
    /// Answers the job: its output if its transaction committed, else the commit's error.
    fn answer(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct Slot<T> {
    job: Job<T>,
    output: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Pending for Slot<T> {
    fn run<'c>(&'c mut self, conn: &'c mut SqliteConnection) -> BoxFuture<'c, bool> {
        Box::pin(async move {
            let output = (self.job)(conn).await;
            let ok = output.is_ok();
            self.output = Some(output);
            ok
        })
    }

    fn failed(&self) -> bool {
        matches!(self.output, Some(Err(_)))
    }

    fn answer(self: Box<Self>, committed: std::result::Result<(), String>) {
        let output = match (committed, self.output) {
            // A job's own error stands: nothing of it was committed.
            (_, Some(Err(e))) => Err(e),
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
        let _ = self.reply.send(output);
    }
}

/// The handle jobs are queued through (cheap to clone).
#[derive(Debug, Clone)]
pub struct WriteQueue {
    tx: mpsc::UnboundedSender<Box<dyn Pending>>,
}

impl WriteQueue {
    /// Starts the writer task on `writer` (a pool of exactly one connection).
    pub fn spawn(writer: SqlitePool) -> WriteQueue {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(writer, rx));
        WriteQueue { tx }
    }

    /// Queues `job` and waits for the commit of the batch it ran in.
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: for<'c> Fn(&'c mut SqliteConnection) -> BoxFuture<'c, Result<T>> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let slot = Slot {
            job: Box::new(job),
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

/// Runs the batch in one transaction: all jobs back to back; if one fails, everything is
/// rolled back and the batch runs again with each other job in its own savepoint.
async fn run_batch(
    writer: &SqlitePool,
    batch: &mut [Box<dyn Pending>],
) -> std::result::Result<(), sqlx::Error> {
    let mut conn = writer.acquire().await?;
    let mut tx = conn.begin().await?;
    let mut all_ok = true;
    for job in batch.iter_mut() {
        if !job.run(&mut tx).await {
            all_ok = false;
            break;
        }
    }
    if all_ok {
        return tx.commit().await;
    }
    tx.rollback().await?;
    let mut tx = conn.begin().await?;
    for job in batch.iter_mut().filter(|job| !job.failed()) {
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
                let device = device.clone();
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
