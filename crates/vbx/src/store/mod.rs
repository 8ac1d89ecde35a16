//! The store: one SQLite file in the data directory. Its port is [`Store`]: reads through a
//! pool of sqlx connections, and every change a use case (a `Store` method) that runs its whole
//! transaction on the writer thread ([`writer`]) and answers the [`Changes`] to publish.

pub mod call;
mod checkpoint;
#[cfg(test)]
mod conformance;
pub mod contact;
pub mod event;
// Its party macros are used by the modules after it.
#[macro_use]
pub mod history;
pub mod inbox;
pub mod media_fetch;
pub mod message;
pub mod outbox;
pub mod outbox_sms;
mod reads;
pub mod recording;
pub mod relay;
pub mod search;
pub mod session;
pub mod snapshot;
mod status;
pub mod sync_state;
mod synced;
pub(crate) mod texts;
mod views;
mod voicemail;
pub mod voicemail_box;
pub mod webhooks;
mod work;
pub mod writer;

pub use views::ThreadView;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Connection as _, SqliteConnection, SqlitePool};

/// The database file inside the data directory.
pub const DB_FILE: &str = "vbx.db";

/// How long a connection waits for another writer before SQLite reports `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "cannot create the data directory {}: {source} (check `server.data_dir` in the \
         configuration and that vbx may write there)",
        path.display()
    )]
    CreateDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "cannot open the database {}: {source} (check the file's permissions and that the \
         disk is not full)",
        path.display()
    )]
    Open { path: PathBuf, source: sqlx::Error },
    #[error(
        "cannot migrate the database {}: {source} (if a newer vbx wrote this file, run that \
         version or restore a backup)",
        path.display()
    )]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
    /// A failure that every job of a group commit shares (see [`writer`]).
    #[error("database operation `{op}` failed: {message}")]
    Batch { op: &'static str, message: String },
    #[error("database operation `{op}` failed: {source}")]
    Query {
        op: &'static str,
        source: sqlx::Error,
    },
    /// A failure on the writer thread's connection (see [`writer`]).
    #[error("database operation `{op}` failed: {source}")]
    Sqlite {
        op: &'static str,
        source: rusqlite::Error,
    },
}

/// Attaches the name of the repository function to a sqlx error.
pub(crate) trait Context<T> {
    fn op(self, op: &'static str) -> Result<T>;
}

impl<T> Context<T> for std::result::Result<T, sqlx::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Query { op, source })
    }
}

impl<T> Context<T> for std::result::Result<T, rusqlite::Error> {
    fn op(self, op: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Sqlite { op, source })
    }
}

/// Connections for queries (changes all run on the writer thread).
const READ_CONNECTIONS: u32 = 8;

/// A handle on the database; cheap to clone. Reads go to a pool of connections; every change
/// is a use case (a method of this type) that runs whole on the writer thread
/// ([`writer`]), the process's only writer, so no two writes meet at SQLite's write lock.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    queue: writer::WriteQueue,
}

impl Store {
    /// Opens (creating if needed) `<data_dir>/vbx.db` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        crate::private_files::create_dir(data_dir).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let path = data_dir.join(DB_FILE);
        // Made before SQLite makes it with the umask's mode (its WAL takes the same mode).
        crate::private_files::create_file(&path).map_err(|source| StoreError::CreateDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        // sqlx runs these pragmas on every new connection, not just the first.
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .synchronous(SqliteSynchronous::Normal)
            // The triggers' small temporary tables (an INSERT into a view, a UNION) would
            // otherwise each create and delete a file in /var/tmp.
            .pragma("temp_store", "memory");
        let open_error = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut migrator = SqliteConnection::connect_with(&options)
            .await
            .map_err(open_error)?;
        sqlx::migrate!("./migrations")
            .run(&mut migrator)
            .await
            .map_err(|source| StoreError::Migrate {
                path: path.clone(),
                source,
            })?;
        // The writer opens before the migrating connection closes: a read-only connection
        // cannot create the WAL's shared-memory file that the last one to close removes.
        let queue = writer::WriteQueue::spawn(&path, BUSY_TIMEOUT)?;
        migrator.close().await.map_err(open_error)?;
        // A local database file does not go stale like a network connection: no ping before
        // each use.
        let pool = SqlitePoolOptions::new()
            .max_connections(READ_CONNECTIONS)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await
            .map_err(open_error)?;
        Ok(Store { pool, queue })
    }

    /// The read pool, opened read-only: changes are the writer thread's.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Runs `job` on the writer thread in a group commit with other queued jobs (see
    /// [`writer`]); resolves after the commit that holds its writes. The job may run more than
    /// once (after a rollback another job caused), so it must only touch the database. For
    /// small, frequent writes such as webhooks: it saves each its own transaction, its wait for
    /// the connection and a thread hop per statement.
    pub async fn write<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnMut(&rusqlite::Connection) -> Result<T> + Send + 'static,
    {
        self.queue.write(job).await
    }

    /// Waits for connections in use to be returned, then closes them (checkpointing the WAL).
    /// Whether the store answers a read.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .op("ping")?;
        Ok(())
    }

    pub async fn close(&self) {
        self.queue.close().await;
        self.pool.close().await;
    }
}

/// What a use case stored that others must hear of once it is committed: feed rows for the
/// browsers, queued work for the workers. The caller hands it to the event hub
/// (`EventHub::publish_changes`) after the store answered, never before: a row must be
/// readable by whoever replays it.
#[derive(Debug, Default)]
pub struct Changes {
    pub feed: Vec<event::EventRow>,
    pub queued: Vec<(&'static str, i64)>,
}

impl Changes {
    pub fn push(&mut self, row: Option<event::EventRow>) {
        self.feed.extend(row);
    }

    /// Just this feed row.
    pub fn of(row: event::EventRow) -> Changes {
        Changes {
            feed: vec![row],
            queued: Vec::new(),
        }
    }
}

/// The current time as unix milliseconds (UTC).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// SQL `LIMIT` values are signed; a `u32` always fits.
pub(crate) fn sql_limit(n: u32) -> i64 {
    i64::from(n)
}

#[cfg(test)]
pub(crate) mod test_support {
    use super::{Changes, Store};
    use tempfile::TempDir;

    /// Each feed row of `changes` as (type, number, payload).
    pub fn feed(changes: &Changes) -> Vec<(String, Option<String>, serde_json::Value)> {
        changes
            .feed
            .iter()
            .map(|r| {
                let payload = serde_json::from_str(&r.payload).expect("a JSON payload");
                (r.kind.clone(), r.number.clone(), payload)
            })
            .collect()
    }

    /// A connection of the test's own to the database in `dir`, set up as the writer
    /// thread's: for calling the statements a use case runs (the `blocking` modules) one by
    /// one. The app itself writes only on the writer thread.
    pub fn conn(dir: &TempDir) -> rusqlite::Connection {
        conn_at(dir.path())
    }

    /// [`conn`] for a database at `dir` that [`database_before`] made.
    pub fn conn_at(dir: &std::path::Path) -> rusqlite::Connection {
        super::writer::open(&dir.join(super::DB_FILE), super::BUSY_TIMEOUT).unwrap()
    }

    /// Stores `text` as the writer thread does for any text in or out (no feed row): a
    /// thread's history for a test to read.
    pub async fn record_text(store: &Store, text: super::message::NewMessage) {
        store
            .write(move |conn| super::message::blocking::record_message_in(conn, &text))
            .await
            .unwrap();
    }

    /// A store in a fresh temporary directory; keep the `TempDir` alive for the test.
    pub async fn store() -> (TempDir, Store) {
        let dir = TempDir::new().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        (dir, store)
    }

    /// A database in `dir` with the migrations before `version` applied: what an older vbx left.
    pub async fn database_before(dir: &std::path::Path, version: i64) -> sqlx::SqlitePool {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(dir.join("vbx.db"))
            .create_if_missing(true);
        // One connection, as `Store::open` migrates: a second one that read the schema before
        // a later migration's `ALTER TABLE` can fail to see tables ("no such table").
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        migrate(&pool, 0..version).await;
        pool
    }

    /// Runs the migrations whose versions are in `versions`, in order.
    pub async fn migrate(pool: &sqlx::SqlitePool, versions: impl std::ops::RangeBounds<i64>) {
        for migration in sqlx::migrate!("./migrations").iter() {
            if versions.contains(&migration.version) {
                sqlx::raw_sql(&migration.sql).execute(pool).await.unwrap();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::relay::relay_target;
    use super::test_support::conn_at;
    use super::*;
    use tempfile::TempDir;

    #[tokio::test]
    async fn a_new_store_is_readable_by_vbxs_user_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = TempDir::new().unwrap();
        let data_dir = dir.path().join("new").join("data");
        let store = Store::open(&data_dir).await.unwrap();
        relay::blocking::set_relay_target(&conn_at(&data_dir), "cell", "+15550001111", 1).unwrap();
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data_dir), 0o700);
        assert_eq!(mode(&dir.path().join("new")), 0o700);
        assert_eq!(mode(&data_dir.join(DB_FILE)), 0o600);
        assert_eq!(mode(&data_dir.join("vbx.db-wal")), 0o600);
        store.close().await;
    }

    #[tokio::test]
    async fn reopening_runs_migrations_once_and_keeps_the_data() {
        let dir = TempDir::new().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        relay::blocking::set_relay_target(&conn_at(dir.path()), "cell", "+15550001111", 1_000)
            .unwrap();
        store.close().await;

        let store = Store::open(dir.path()).await.unwrap();
        assert_eq!(
            relay_target(store.pool(), "cell").await.unwrap().as_deref(),
            Some("+15550001111")
        );
        let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(store.pool())
            .await
            .unwrap();
        let shipped = sqlx::migrate!("./migrations").iter().count();
        assert_eq!(usize::try_from(applied).unwrap(), shipped);
    }

    #[tokio::test]
    async fn open_creates_a_missing_data_directory() {
        let dir = TempDir::new().unwrap();
        let data_dir = dir.path().join("nested").join("data");
        let store = Store::open(&data_dir).await.unwrap();
        store.close().await;
        assert!(data_dir.join(DB_FILE).is_file());
    }

    #[tokio::test]
    async fn every_connection_gets_the_pragmas() {
        let (_dir, store) = test_support::store().await;
        // Hold several connections at once so the pool must open more than one.
        let mut conns = Vec::new();
        for _ in 0..3 {
            conns.push(store.pool().acquire().await.unwrap());
        }
        for conn in &mut conns {
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(mode, "wal");
            assert_eq!(fk, 1);
            assert_eq!(busy, 5000);
            assert_eq!(sync, 1, "1 is NORMAL");
            let temp: i64 = sqlx::query_scalar("PRAGMA temp_store")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(temp, 2, "2 is MEMORY");
            // Only the writer thread changes the database.
            let write = sqlx::query(
                "INSERT INTO relay_targets (device, number, updated_at) VALUES ('d', 'n', 0)",
            )
            .execute(&mut **conn)
            .await
            .unwrap_err();
            assert!(write.to_string().contains("readonly"), "{write}");
        }
        drop(conns);
        // The writer thread's connection.
        let pragmas = store
            .write(|conn| {
                let get = |name: &str| -> rusqlite::Result<String> {
                    conn.query_row(&format!("PRAGMA {name}"), [], |row| {
                        row.get::<_, rusqlite::types::Value>(0).map(|v| match v {
                            rusqlite::types::Value::Integer(n) => n.to_string(),
                            rusqlite::types::Value::Text(t) => t,
                            other => format!("{other:?}"),
                        })
                    })
                };
                let names = [
                    "journal_mode",
                    "foreign_keys",
                    "busy_timeout",
                    "synchronous",
                    "temp_store",
                    "wal_autocheckpoint",
                ];
                names
                    .iter()
                    .map(|name| get(name))
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .op("read pragmas")
            })
            .await
            .unwrap();
        assert_eq!(pragmas, ["wal", "1", "5000", "1", "2", "0"]);
    }

    #[tokio::test]
    async fn open_fails_with_the_path_when_the_data_dir_is_a_file() {
        let dir = TempDir::new().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = Store::open(&file).await.unwrap_err();
        assert!(matches!(err, StoreError::CreateDir { .. }), "{err:?}");
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }
}
