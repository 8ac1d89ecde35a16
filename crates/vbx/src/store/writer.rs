//! The writer thread: group commit for the webhooks' writes. One OS thread owns a synchronous
//! SQLite connection (rusqlite, on the same libsqlite3 as sqlx), runs up to [`MAX_BATCH`]
//! queued jobs in one transaction and answers each job only after the COMMIT that holds its
//! writes.
//!
//! Why not sqlx here: sqlx runs each SQLite connection on a worker thread and every statement
//! is a round trip to it (two thread wake-ups). A webhook's job is 3–6 statements, so the hops
//! cost more than SQLite's own work and make the single writer the webhooks' bottleneck.
//! Here a whole batch runs on one thread without a hop.
//!
//! Every change vbx makes runs here: this thread is the database's only writer in the
//! process, so its batches never meet another writer at SQLite's write lock, where the loser
//! sleeps in the busy handler (1 ms and more). Another process (`vbx passwd`, an operator's
//! `sqlite3` shell) may still hold the lock for a while; a batch then waits up to the busy
//! timeout.
//!
//! Jobs run back to back; when one fails, the transaction is rolled back and the others run
//! again, each in its own SAVEPOINT, so a failing job undoes only itself.

use std::panic::AssertUnwindSafe;
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::checkpoint::{self, Checkpointer};
use super::{Result, StoreError};

/// Jobs per transaction at most: bounds how long the first job of a batch waits for the last.
pub const MAX_BATCH: usize = 64;

/// Prepared statements kept per connection: every statement a job runs, with room to spare.
const STATEMENT_CACHE: usize = 64;

/// A queued job with its answer, type-erased for the batch.
trait Pending: Send {
    /// Runs the job; `true` if it succeeded. Its output is kept for the answer.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Whether the job failed on its own (its error is its answer, whatever the batch does).
    fn failed(&self) -> bool;
    /// Answers the job: its output if its transaction committed, else the commit's error.
    fn answer(self: Box<Self>, committed: std::result::Result<(), String>);
}

struct Slot<T, F> {
    job: F,
    output: Option<Result<T>>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T, F> Pending for Slot<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> Result<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        // A job that panics fails alone (its writes are undone like any failed job's); the
        // thread, which every later write needs, goes on.
        let output = std::panic::catch_unwind(AssertUnwindSafe(|| (self.job)(conn)))
            .unwrap_or_else(|_| {
                Err(StoreError::Batch {
                    op: "write job",
                    message: "the job panicked".into(),
                })
            });
        let ok = output.is_ok();
        self.output = Some(output);
        ok
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

enum Message {
    Job(Box<dyn Pending>),
    /// Finish what was queued before, close the connection, then answer.
    Close(oneshot::Sender<()>),
}

/// The handle jobs are queued through (cheap to clone).
#[derive(Debug, Clone)]
pub struct WriteQueue {
    tx: mpsc::Sender<Message>,
}

fn stopped() -> StoreError {
    StoreError::Batch {
        op: "queue write",
        message: "the writer thread has stopped".into(),
    }
}

impl WriteQueue {
    /// Opens the database at `path` (already migrated) on a new thread and starts serving
    /// jobs.
    pub fn spawn(path: &Path, busy_timeout: Duration) -> Result<WriteQueue> {
        let conn = open(path, busy_timeout).map_err(|source| StoreError::Sqlite {
            op: "open the writer connection",
            source,
        })?;
        let checkpointer = checkpoint::open(path, busy_timeout)
            .map_err(|source| StoreError::Sqlite {
                op: "open the checkpoint connection",
                source,
            })
            .and_then(|conn| {
                Checkpointer::spawn(conn).map_err(|e| StoreError::Batch {
                    op: "start the checkpoint thread",
                    message: e.to_string(),
                })
            })?;
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("vbx-writer".into())
            .spawn(move || serve(conn, &rx, checkpointer))
            .map_err(|e| StoreError::Batch {
                op: "start the writer thread",
                message: e.to_string(),
            })?;
        Ok(WriteQueue { tx })
    }

    /// Queues `job` and waits for the commit of the batch it ran in. The job runs on the
    /// writer thread inside the batch's transaction; it may run more than once (after a
    /// rollback another job caused), so it must only touch the database.
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let slot = Slot {
            job,
            output: None,
            reply,
        };
        self.tx
            .send(Message::Job(Box::new(slot)))
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Runs the jobs queued so far, then closes the connection (the last one to close
    /// checkpoints the WAL). Later jobs fail with "the writer thread has stopped".
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.tx.send(Message::Close(done)).is_ok() {
            let _ = closed.await;
        }
    }
}

pub(super) fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    // The same settings as the sqlx connections (see `Store::open`); the journal mode (WAL) is
    // kept in the file.
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // Checkpoints run on a thread of their own (see [`checkpoint`]), not inside a commit that
    // a batch of webhooks waits for.
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    Ok(conn)
}

fn serve(conn: Connection, rx: &mpsc::Receiver<Message>, checkpointer: Checkpointer) {
    let mut batch: Vec<Box<dyn Pending>> = Vec::with_capacity(MAX_BATCH);
    let mut next = None;
    let mut close = None;
    while close.is_none() {
        let message = match next.take() {
            Some(message) => message,
            None => match rx.recv() {
                Ok(message) => message,
                Err(_) => break,
            },
        };
        let mut message = Some(message);
        while let Some(m) = message.take() {
            match m {
                Message::Job(job) => batch.push(job),
                Message::Close(done) => {
                    close = Some(done);
                    break;
                }
            }
            if batch.len() < MAX_BATCH {
                message = rx.try_recv().ok();
            }
        }
        if batch.is_empty() {
            continue;
        }
        let committed = run_batch(&conn, &mut batch);
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
        // After the answers: a checkpoint the writer runs delays the next batch, not this one.
        checkpointer.committed(&conn);
        if close.is_none() {
            next = rx.try_recv().ok();
        }
    }
    checkpointer.stop();
    if let Err((_, e)) = conn.close() {
        tracing::warn!(error = %e, "closing the writer connection");
    }
    if let Some(done) = close {
        let _ = done.send(());
    }
}

/// Runs the batch in one transaction: all jobs back to back; if one fails, everything is
/// rolled back and the batch runs again with each other job in its own savepoint.
fn run_batch(conn: &Connection, batch: &mut [Box<dyn Pending>]) -> std::result::Result<(), String> {
    let sql = |statement: &str| {
        conn.execute_batch(statement)
            .map_err(|e| format!("{statement}: {e}"))
    };
    sql("BEGIN IMMEDIATE")?;
    let mut all_ok = true;
    for job in batch.iter_mut() {
        if !job.run(conn) {
            all_ok = false;
            break;
        }
    }
    if all_ok {
        return sql("COMMIT").inspect_err(|_| {
            let _ = sql("ROLLBACK");
        });
    }
    sql("ROLLBACK")?;
    sql("BEGIN IMMEDIATE")?;
    for job in batch.iter_mut().filter(|job| !job.failed()) {
        sql("SAVEPOINT job")?;
        if job.run(conn) {
            sql("RELEASE job")?;
        } else {
            sql("ROLLBACK TO job")?;
            sql("RELEASE job")?;
        }
    }
    sql("COMMIT").inspect_err(|_| {
        let _ = sql("ROLLBACK");
    })
}

#[cfg(test)]
mod tests {
    use crate::store::relay::{blocking::set_relay_target, relay_target};
    use crate::store::test_support::store;
    use crate::store::{Store, StoreError};

    async fn set_then(store: &Store, device: &str, fail: bool) -> super::Result<()> {
        let device = device.to_owned();
        store
            .write(move |conn| {
                set_relay_target(conn, &device, "+15550001111", 1_000)?;
                if fail {
                    return Err(StoreError::Batch {
                        op: "test job",
                        message: "refused".into(),
                    });
                }
                Ok(())
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
    async fn a_job_that_panics_fails_alone_and_the_writer_goes_on() {
        let (_dir, store) = store().await;
        let panicked = store
            .write(|conn| -> super::Result<()> {
                set_relay_target(conn, "lost", "+15550001111", 1_000)?;
                panic!("a bug in a job");
            })
            .await
            .unwrap_err();
        assert!(panicked.to_string().contains("panicked"), "{panicked}");
        set_then(&store, "after", false).await.unwrap();
        assert_eq!(relay_target(store.pool(), "lost").await.unwrap(), None);
        assert!(relay_target(store.pool(), "after").await.unwrap().is_some());
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

    #[tokio::test]
    async fn a_batch_waits_for_another_connections_write_transaction_instead_of_failing() {
        let (dir, store) = store().await;
        // Another writer on the same file (`vbx passwd`, an operator's shell): a write
        // transaction held for a while.
        let other = rusqlite::Connection::open(dir.path().join(crate::store::DB_FILE)).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        set_relay_target(&other, "held", "+15550002222", 1_000).unwrap();
        let queued = tokio::spawn({
            let store = store.clone();
            async move { set_then(&store, "queued", false).await }
        });
        // Well within the busy timeout: the job waits for the lock, does not fail with
        // SQLITE_BUSY, and has not run yet.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!queued.is_finished());
        assert_eq!(relay_target(store.pool(), "queued").await.unwrap(), None);
        other.execute_batch("COMMIT").unwrap();
        queued.await.unwrap().unwrap();
        assert!(relay_target(store.pool(), "queued")
            .await
            .unwrap()
            .is_some());
        assert!(relay_target(store.pool(), "held").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn close_runs_the_queued_jobs_first_and_refuses_later_ones() {
        let (dir, store) = store().await;
        let writes = (0..50).map(|i| {
            let store = store.clone();
            async move { set_then(&store, &format!("d{i}"), false).await }
        });
        // `join` polls the writes first: each is queued at its first poll, before the close.
        let (written, ()) =
            futures_util::future::join(futures_util::future::join_all(writes), store.close()).await;
        for result in written {
            result.unwrap();
        }
        let refused = set_then(&store, "late", false).await.unwrap_err();
        assert!(refused.to_string().contains("stopped"), "{refused}");
        let reopened = Store::open(dir.path()).await.unwrap();
        for i in 0..50 {
            let target = relay_target(reopened.pool(), &format!("d{i}"))
                .await
                .unwrap();
            assert!(target.is_some(), "d{i}");
        }
    }
}
