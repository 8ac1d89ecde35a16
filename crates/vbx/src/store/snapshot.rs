//! A consistent copy of the database while vbx runs: SQLite's `VACUUM INTO` reads one
//! snapshot, whatever is written meanwhile; the copy is then checked and counted.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::DB_FILE;

/// What a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub messages: i64,
    pub calls: i64,
}

/// Why a snapshot failed.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("copying the database: {0}")]
    Copy(#[source] rusqlite::Error),
    #[error("the copy fails SQLite's integrity check: {0}")]
    Corrupt(String),
    #[error("the backup's path is not UTF-8; choose another")]
    NotUtf8,
    #[error("reading the copy: {0}")]
    Read(#[source] rusqlite::Error),
}

/// Copies the database of `data_dir` into `out` (an empty file), checks the copy and counts
/// what it holds. A writer holding the database waits up to 30 s for its turn.
pub fn snapshot(data_dir: &Path, out: &Path) -> Result<Counts, SnapshotError> {
    let target = out.to_str().ok_or(SnapshotError::NotUtf8)?;
    let conn = Connection::open(data_dir.join(DB_FILE)).map_err(SnapshotError::Copy)?;
    conn.busy_timeout(Duration::from_secs(30))
        .map_err(SnapshotError::Copy)?;
    conn.execute("VACUUM INTO ?1", [target])
        .map_err(SnapshotError::Copy)?;
    let copy = Connection::open_with_flags(out, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(SnapshotError::Read)?;
    let integrity: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .map_err(SnapshotError::Read)?;
    if integrity != "ok" {
        return Err(SnapshotError::Corrupt(integrity));
    }
    let count = |table: &str| -> Result<i64, SnapshotError> {
        copy.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .map_err(SnapshotError::Read)
    };
    Ok(Counts {
        messages: count("messages")?,
        calls: count("calls")?,
    })
}
