//! Checkpoints off the write path. In WAL mode every commit appends the pages it changed to
//! the `-wal` file; a checkpoint copies them into the database file and syncs both files, and
//! the WAL starts over from its beginning only when a write transaction begins with everything
//! in it copied.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold, on the
//! committing connection: that would be the writer thread, and the webhooks of a batch would
//! wait for the copying and two `fsync`s ~150 times a second under load. Here a
//! thread of its own runs PASSIVE checkpoints on its own connection, every [`PASS_INTERVAL`]
//! while commits come (and every [`IDLE_PASS`] otherwise); they copy what was committed so far
//! while the writer goes on committing.
//!
//! Under steady writes such a checkpoint never catches up with the end of the WAL, so the WAL
//! would only grow. Once it holds [`RESTART_FRAMES`], this thread runs checkpoints back to
//! back until one finds at most [`SETTLED_FRAMES`] new frames, then asks the writer thread
//! to run one more itself between two batches: the writer holds the write lock, so nothing is
//! appended meanwhile, that checkpoint copies the few frames left, and the next transaction
//! starts the WAL over. The webhooks wait only for that last, small checkpoint.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::Connection;

/// WAL frames (pages) at which the WAL is made to start over: bounds the `-wal` file at this
/// many pages (16 MiB with 4 KiB pages) plus what is written before a checkpoint sees it and
/// while it settles (at full load here, up to another 2–4,000).
pub const RESTART_FRAMES: i64 = 4_000;

/// New frames since the previous checkpoint few enough for the writer thread to copy while
/// the webhooks wait (two or three commits' worth at full load). The writer's last checkpoint
/// syncs what was written since this thread's last one, so the fewer the better: 300 frames
/// take ~1.5–6 ms and put a webhook's p99 past 5 ms; 60 take ~1 ms.
const SETTLED_FRAMES: i64 = 60;

/// Back-to-back checkpoints at most before the writer thread finishes anyway (a disk slower
/// than the writes: the WAL stays bounded, the webhooks wait longer once). It finishes
/// sooner if the WAL reaches twice [`RESTART_FRAMES`] first.
const MAX_SETTLING: u32 = 8;

/// Pause between checkpoints while commits come. Longer pauses mean fewer, larger checkpoints
/// (a page written many times is copied once) but more to sync when the WAL starts over:
/// 20 ms puts a webhook's p99 past 5 ms; 1 ms keeps it where it is without the thread.
const PASS_INTERVAL: Duration = Duration::from_millis(1);

/// With no commit reported, a checkpoint still runs this often: the other writer (sqlx's
/// connection) commits without telling this thread.
const IDLE_PASS: Duration = Duration::from_secs(1);

/// `PRAGMA wal_checkpoint(PASSIVE)`: frames in the WAL, frames copied (both -1 outside WAL
/// mode).
fn checkpoint(conn: &Connection) -> rusqlite::Result<(i64, i64)> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get(1)?, row.get(2)?))
    })
}

/// Opens the checkpoint thread's connection to the (already migrated) database at `path`.
pub fn open(path: &Path, busy_timeout: Duration) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(busy_timeout)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "wal_autocheckpoint", 0)?;
    Ok(conn)
}

/// The handle the writer thread keeps; [`Checkpointer::stop`] ends the thread.
pub struct Checkpointer {
    poke: Option<SyncSender<()>>,
    finish: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the checkpoint thread on `conn` (see [`open`]).
    pub fn spawn(conn: Connection) -> std::io::Result<Checkpointer> {
        let (poke, pokes) = mpsc::sync_channel(1);
        let finish = Arc::new(AtomicBool::new(false));
        let ask_writer = Arc::clone(&finish);
        let thread = std::thread::Builder::new()
            .name("vbx-checkpoint".into())
            .spawn(move || run(&conn, &pokes, &ask_writer))?;
        Ok(Checkpointer {
            poke: Some(poke),
            finish,
            thread: Some(thread),
        })
    }

    /// Call on the writer thread after each commit, still holding the write lock: runs the
    /// last checkpoint of a WAL that is to start over if this thread asked for it, and wakes
    /// the checkpoint thread.
    pub fn committed(&self, writer: &Connection) {
        if self.finish.swap(false, Ordering::Relaxed) {
            if let Err(e) = checkpoint(writer) {
                tracing::warn!(error = %e, "checkpointing the WAL on the writer thread");
            }
        }
        if let Some(poke) = &self.poke {
            // Full: the thread has a wake-up pending already.
            let _ = poke.try_send(());
        }
    }

    /// Ends the thread after its current checkpoint; its connection closes.
    pub fn stop(mut self) {
        self.poke.take();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("the checkpoint thread panicked");
            }
        }
    }
}

fn run(conn: &Connection, pokes: &mpsc::Receiver<()>, ask_writer: &AtomicBool) {
    // Frames in the WAL at the previous checkpoint, and back-to-back checkpoints so far.
    let mut last_frames = 0;
    let mut settling = 0;
    loop {
        if settling == 0 {
            std::thread::sleep(PASS_INTERVAL);
            match pokes.recv_timeout(IDLE_PASS) {
                Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let frames = match checkpoint(conn) {
            Ok((frames, _)) => frames,
            Err(e) => {
                tracing::warn!(error = %e, "checkpointing the WAL");
                settling = 0;
                continue;
            }
        };
        // Fewer frames than last time: the WAL started over in between.
        let new = if frames >= last_frames {
            frames - last_frames
        } else {
            frames
        };
        last_frames = frames;
        if frames < RESTART_FRAMES {
            settling = 0;
        } else if new <= SETTLED_FRAMES || settling >= MAX_SETTLING || frames >= 2 * RESTART_FRAMES
        {
            // Settled; or not settling after MAX_SETTLING tries, or with the WAL doubled past
            // the threshold meanwhile: these checkpoints do not keep up (a slow disk, or a
            // machine too busy to run this thread often). The writer finishes now.
            ask_writer.store(true, Ordering::Relaxed);
            settling = 0;
        } else {
            settling += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::RESTART_FRAMES;
    use crate::store::message::{blocking::record_message_in, NewMessage};
    use crate::store::test_support::store;
    use crate::store::{Store, DB_FILE};

    /// Stores a text whose body fills most of a page: each one adds at least a page to the WAL.
    async fn store_text(store: &Store, n: usize) {
        let text = NewMessage {
            sid: format!("SM{n:032x}"),
            account_sid: "AC0123456789abcdef0123456789abcdef".into(),
            from: format!("+1415555{:04}", n % 10_000),
            to: "+18001234567".into(),
            body: "x".repeat(3_000),
            direction: "inbound".into(),
            status: "received".into(),
            created_at_ms: 1_000 + i64::try_from(n).unwrap(),
            media: Vec::new(),
        };
        let stored = store
            .write(move |conn| record_message_in(conn, &text))
            .await
            .unwrap();
        assert!(stored.changed());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_wal_starts_over_while_writes_never_pause() {
        let (dir, store) = store().await;
        let wal = dir.path().join(format!("{DB_FILE}-wal"));
        // 16 writers back to back, so the writer thread never waits for a job: without the
        // last checkpoint on the writer thread the WAL would never start over.
        const WRITERS: usize = 16;
        const EACH: usize = 2_500;
        let mut largest = 0;
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..EACH {
                    store_text(&store, w * EACH + i).await;
                }
            }));
        }
        while !tasks.iter().all(|t| t.is_finished()) {
            largest = largest.max(std::fs::metadata(&wal).map_or(0, |m| m.len()));
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        for task in tasks {
            task.await.unwrap();
        }
        // 40,000 texts of ~3 KB each, over 160 MiB through the WAL; it never held more than
        // four times the restart threshold (the threshold, plus what is written before a
        // checkpoint sees it and while it settles). A frame is a 4 KiB page and a 24-byte header.
        let bound = 4 * u64::try_from(RESTART_FRAMES).unwrap() * (4_096 + 24);
        assert!(largest > 0, "no WAL seen");
        assert!(
            largest <= bound,
            "the WAL grew to {largest} bytes (bound {bound})"
        );
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM messages")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(stored, i64::try_from(WRITERS * EACH).unwrap());
    }

    #[tokio::test]
    async fn committed_writes_reach_the_database_file_without_another_write() {
        let (dir, store) = store().await;
        store_text(&store, 1).await;
        // The writer never checkpoints by itself; the checkpoint thread copies the text into
        // the database file on its own. A copy of that file alone (no WAL) must hold it.
        let copy = dir.path().join("copy.db");
        let deadline = Instant::now() + std::time::Duration::from_secs(10);
        loop {
            std::fs::copy(dir.path().join(DB_FILE), &copy).unwrap();
            let found = rusqlite::Connection::open(&copy)
                .and_then(|conn| {
                    conn.query_row("SELECT count(*) FROM messages", [], |row| {
                        row.get::<_, i64>(0)
                    })
                })
                .unwrap_or(0);
            if found == 1 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the text never reached the database file"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        store.close().await;
    }
}
