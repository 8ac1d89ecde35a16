//! `vbx backup`: a consistent copy of the store taken while vbx runs (`store::snapshot`: one
//! snapshot of the database, whatever is written meanwhile), then the media files
//! beside it. The snapshot comes first: every file it refers to was written before it, so the
//! copy made after holds them all (a file written later is merely extra).
//!
//! Restoring is copying back: `OUT` becomes `<data_dir>/vbx.db` and `OUT.media` becomes
//! `<data_dir>/media` (README, "Backup and restore").

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

use crate::private_files;
use crate::store::{snapshot, DB_FILE};

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub messages: i64,
    pub calls: i64,
    pub db_bytes: u64,
    pub media_files: u64,
    pub media_bytes: u64,
    pub media_dir: PathBuf,
}

/// Where the media of a backup at `out` go: `OUT.media`.
pub fn media_dir_of(out: &Path) -> PathBuf {
    let mut name = out.as_os_str().to_owned();
    name.push(".media");
    PathBuf::from(name)
}

/// Backs up the store in `data_dir` to `out` and its media to `OUT.media`; neither may exist.
pub fn backup(data_dir: &Path, out: &Path) -> anyhow::Result<Summary> {
    let db = data_dir.join(DB_FILE);
    if !db.exists() {
        bail!(
            "there is no store at {} (check `server.data_dir` or --data-dir)",
            db.display()
        );
    }
    let media_out = media_dir_of(out);
    for path in [out, media_out.as_path()] {
        if path.exists() {
            bail!("{} exists already; choose a new name", path.display());
        }
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        private_files::create_dir(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    // An empty file (VACUUM INTO fills it) that only vbx's user can read.
    private_files::create_file(out).with_context(|| format!("creating {}", out.display()))?;
    let counts = match snapshot::snapshot(data_dir, out) {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(out);
            return Err(anyhow::Error::new(e).context(format!(
                "copying {} to {}",
                db.display(),
                out.display()
            )));
        }
    };
    let (media_files, media_bytes) = copy_tree(&data_dir.join("media"), &media_out)
        .with_context(|| format!("copying the media to {}", media_out.display()))?;
    Ok(Summary {
        messages: counts.messages,
        calls: counts.calls,
        db_bytes: std::fs::metadata(out)?.len(),
        media_files,
        media_bytes,
        media_dir: media_out,
    })
}

/// Copies the files under `from` to `to` (directories 0700, files 0600); returns how many
/// files and bytes. A missing `from` (no media yet) copies nothing.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<(u64, u64)> {
    private_files::create_dir(to)?;
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, 0)),
        Err(e) => return Err(e),
    };
    let (mut files, mut bytes) = (0, 0);
    for entry in entries {
        let entry = entry?;
        let kind = entry.file_type()?;
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            let (f, b) = copy_tree(&entry.path(), &target)?;
            files += f;
            bytes += b;
        } else if kind.is_file() {
            // Half-written downloads are not media yet.
            if entry.file_name().to_string_lossy().ends_with(".part") {
                continue;
            }
            bytes += private_files::copy_file(&entry.path(), &target)?;
            files += 1;
        }
    }
    Ok((files, bytes))
}
