//! The data directory holds the media-link key, session CSRF tokens and every message: vbx
//! creates what it writes there for its own user only (directories 0700, files 0600, whatever
//! the umask), and says at start what others can read.

use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

const DIR_MODE: u32 = 0o700;
const FILE_MODE: u32 = 0o600;

/// Creates `dir` and its missing parents, each readable by vbx's user only.
pub fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Creates `path` empty (readable by vbx's user only) unless it exists. SQLite gives the WAL
/// and shared-memory files the database file's mode.
pub fn create_file(path: &Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Copies `from` to a new file `to` readable by vbx's user only (not `from`'s mode, which
/// `std::fs::copy` would keep); returns the bytes copied.
pub fn copy_file(from: &Path, to: &Path) -> std::io::Result<u64> {
    let mut source = std::fs::File::open(from)?;
    let mut target = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(to)?;
    std::io::copy(&mut source, &mut target)
}

/// Writes `bytes` to `target` through a temporary file in the same directory, so a reader
/// never sees half a file; directories and the file are vbx's user's only.
pub async fn write_atomically(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = target.to_path_buf();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || write_atomically_now(&target, &bytes))
        .await
        .map_err(std::io::Error::other)?
}

fn write_atomically_now(target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = target
        .parent()
        .ok_or_else(|| std::io::Error::other("the path has no directory"))?;
    create_dir(dir)?;
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    // Unique per attempt: two writers of the same item never write the same temporary file.
    let temp = dir.join(format!(".{name}.{:016x}.part", rand::random::<u64>()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(FILE_MODE)
        .open(&temp)
        .and_then(|mut file| file.write_all(bytes))
        .and_then(|()| std::fs::rename(&temp, target));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// What in `data_dir` others can read or write (the directory itself, the database and its
/// WAL), each with the command that fixes it.
pub fn loose_permissions(data_dir: &Path, db_files: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut check = |path: &Path, wanted: u32| {
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                found.push(format!(
                    "{} is mode {mode:03o}: others on this machine can read what vbx keeps \
                     there; run `chmod {wanted:o} {}`",
                    path.display(),
                    path.display()
                ));
            }
        }
    };
    check(data_dir, DIR_MODE);
    for name in db_files {
        check(&data_dir.join(name), FILE_MODE);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn what_vbx_writes_is_its_users_only_whatever_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("media/in/MM1/0");
        write_atomically(&target, b"picture").await.unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"picture");
        assert_eq!(mode(&target), 0o600);
        assert_eq!(mode(&dir.path().join("media/in/MM1")), 0o700);
        assert_eq!(mode(&dir.path().join("media")), 0o700);
        // Only the file is left: no temporary file.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("media/in/MM1"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("0")]);
    }

    #[test]
    fn loose_permissions_are_named_with_their_fix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("vbx.db"), b"").unwrap();
        std::fs::set_permissions(
            dir.path().join("vbx.db"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
        let found = loose_permissions(dir.path(), &["vbx.db", "vbx.db-wal"]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("mode 755") && found[0].contains("chmod 700"),
            "{found:?}"
        );
        assert!(
            found[1].contains("mode 644") && found[1].contains("chmod 600"),
            "{found:?}"
        );
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::set_permissions(
            dir.path().join("vbx.db"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        assert_eq!(
            loose_permissions(dir.path(), &["vbx.db"]),
            Vec::<String>::new()
        );
    }
}
