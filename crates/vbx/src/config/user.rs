//! Users in the TOML file: the name rule, and adding a user or changing a password in the
//! file while keeping everything else exactly as written (comments, order, formatting).

use std::path::Path;

use toml_edit::{value, ArrayOfTables, DocumentMut, InlineTable, Item, Table, Value};

pub const NAME_RULE: &str = "use 1 to 64 letters, digits, `.`, `_`, `-` or `@`";

pub fn is_valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// What the edit is for: `vbx user add` must not replace someone, `vbx passwd` must not create
/// someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserChange {
    Add,
    ChangePassword,
}

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error(
        "the file is not TOML vbx can edit ({0}); an old Python flow file must be converted \
         first: vbx import-flows OLD.py > vbx.toml"
    )]
    Parse(String),
    #[error("`users` is not a list of `[[users]]` tables; fix it by hand")]
    Shape,
    #[error("user `{0}` already exists; change the password with `vbx passwd {0} --config FILE`")]
    Exists(String),
    #[error("there is no user `{0}`; add it with `vbx user add {0} --config FILE`")]
    Missing(String),
    #[error("`{0}` is not a user name: {NAME_RULE}")]
    BadName(String),
    #[error("cannot write {path}: {error}")]
    Write { path: String, error: std::io::Error },
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
}

/// The file's text with `name`'s `password_hash` set (and the user added for
/// [`UserChange::Add`]).
pub fn set_password_hash(
    text: &str,
    name: &str,
    hash: &str,
    change: UserChange,
) -> Result<String, EditError> {
    if !is_valid_name(name) {
        return Err(EditError::BadName(name.to_owned()));
    }
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|e: toml_edit::TomlError| EditError::Parse(e.message().trim().to_owned()))?;
    let users = doc
        .entry("users")
        .or_insert_with(|| Item::ArrayOfTables(ArrayOfTables::new()));
    let found = match users {
        Item::ArrayOfTables(tables) => {
            let existing = tables
                .iter_mut()
                .find(|t| t.get("name").and_then(Item::as_str) == Some(name));
            match (existing, change) {
                (Some(_), UserChange::Add) => return Err(EditError::Exists(name.to_owned())),
                (Some(table), UserChange::ChangePassword) => {
                    table["password_hash"] = value(hash);
                    true
                }
                (None, UserChange::Add) => {
                    let mut table = Table::new();
                    table["name"] = value(name);
                    table["password_hash"] = value(hash);
                    tables.push(table);
                    true
                }
                (None, UserChange::ChangePassword) => false,
            }
        }
        // `users = [ { name = "…", password_hash = "…" } ]` is valid TOML too.
        Item::Value(Value::Array(array)) => {
            let existing = array.iter_mut().find_map(|v| match v {
                Value::InlineTable(t) if t.get("name").and_then(Value::as_str) == Some(name) => {
                    Some(t)
                }
                _ => None,
            });
            match (existing, change) {
                (Some(_), UserChange::Add) => return Err(EditError::Exists(name.to_owned())),
                (Some(table), UserChange::ChangePassword) => {
                    table.insert("password_hash", Value::from(hash));
                    true
                }
                (None, UserChange::Add) => {
                    let mut table = InlineTable::new();
                    table.insert("name", Value::from(name));
                    table.insert("password_hash", Value::from(hash));
                    array.push(table);
                    true
                }
                (None, UserChange::ChangePassword) => false,
            }
        }
        _ => return Err(EditError::Shape),
    };
    if !found {
        return Err(EditError::Missing(name.to_owned()));
    }
    Ok(doc.to_string())
}

/// [`set_password_hash`] on a file, replaced atomically (a temporary file beside it, with the
/// same permissions, owner and group, renamed over it) so a crash never leaves half a
/// configuration, and `vbx passwd` run by root leaves the file readable by the user the
/// service runs as.
pub fn set_password_hash_in_file(
    path: &Path,
    name: &str,
    hash: &str,
    change: UserChange,
) -> Result<(), EditError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|error| EditError::Read {
        path: shown.clone(),
        error,
    })?;
    let edited = set_password_hash(&text, name, hash, change)?;
    let write_error = |error| EditError::Write {
        path: shown.clone(),
        error,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "vbx.toml".to_owned());
    let temp = dir.join(format!(".{file_name}.vbx-tmp"));
    std::fs::write(&temp, edited).map_err(write_error)?;
    let metadata = std::fs::metadata(path).map_err(write_error)?;
    let renamed = keep_owner(&temp, &metadata)
        .and_then(|()| std::fs::set_permissions(&temp, metadata.permissions()))
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(error) = renamed {
        let _ = std::fs::remove_file(&temp);
        return Err(write_error(error));
    }
    Ok(())
}

/// Gives `file` the owner and group of `like` (a no-op when they are already its).
#[cfg(unix)]
fn keep_owner(file: &Path, like: &std::fs::Metadata) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let now = std::fs::metadata(file)?;
    if (now.uid(), now.gid()) == (like.uid(), like.gid()) {
        return Ok(());
    }
    std::os::unix::fs::chown(file, Some(like.uid()), Some(like.gid()))
}

#[cfg(not(unix))]
fn keep_owner(_file: &Path, _like: &std::fs::Metadata) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";

    const FILE: &str = "# my vbx\n[server]\npublic_url = \"https://vbx.example.com\" # keep me\n\n[contacts]\n\"+18005555555\" = \"Biz\"\n";

    #[test]
    fn adding_a_user_appends_a_users_table_and_keeps_the_rest_verbatim() {
        let edited = set_password_hash(FILE, "alice", HASH, UserChange::Add).unwrap();
        assert!(edited.starts_with(FILE), "{edited}");
        let parsed: toml::Table = toml::from_str(&edited).unwrap();
        let users = parsed["users"].as_array().unwrap();
        assert_eq!(users.len(), 1);
        assert_eq!(users[0]["name"].as_str(), Some("alice"));
        assert_eq!(users[0]["password_hash"].as_str(), Some(HASH));
    }

    #[test]
    fn a_second_user_is_added_beside_the_first_and_a_duplicate_is_refused() {
        let one = set_password_hash(FILE, "alice", HASH, UserChange::Add).unwrap();
        let two = set_password_hash(&one, "bob", HASH, UserChange::Add).unwrap();
        let parsed: toml::Table = toml::from_str(&two).unwrap();
        let names: Vec<&str> = parsed["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["alice", "bob"]);
        assert!(matches!(
            set_password_hash(&two, "bob", HASH, UserChange::Add),
            Err(EditError::Exists(name)) if name == "bob"
        ));
    }

    #[test]
    fn changing_a_password_replaces_only_that_users_hash() {
        let text = format!(
            "{FILE}\n[[users]]\nname = \"alice\" # the boss\npassword_hash = \"old\"\n\n[[users]]\nname = \"bob\"\npassword_hash = \"bobs\"\n"
        );
        let edited = set_password_hash(&text, "alice", HASH, UserChange::ChangePassword).unwrap();
        assert!(edited.contains("name = \"alice\" # the boss"), "{edited}");
        assert!(edited.contains(&format!("password_hash = \"{HASH}\"")));
        assert!(edited.contains("password_hash = \"bobs\""));
        assert!(!edited.contains("\"old\""));
    }

    #[test]
    fn inline_user_arrays_are_edited_in_place() {
        let text = "users = [ { name = \"alice\", password_hash = \"old\" } ]\n";
        let edited = set_password_hash(text, "alice", HASH, UserChange::ChangePassword).unwrap();
        let parsed: toml::Table = toml::from_str(&edited).unwrap();
        assert_eq!(parsed["users"][0]["password_hash"].as_str(), Some(HASH));
        let added = set_password_hash(&edited, "bob", HASH, UserChange::Add).unwrap();
        let parsed: toml::Table = toml::from_str(&added).unwrap();
        assert_eq!(parsed["users"][1]["name"].as_str(), Some("bob"));
    }

    #[test]
    fn changing_the_password_of_nobody_is_an_error_that_says_how_to_add_them() {
        let error = set_password_hash(FILE, "carol", HASH, UserChange::ChangePassword).unwrap_err();
        assert!(error.to_string().contains("vbx user add carol"), "{error}");
    }

    #[test]
    fn bad_names_and_python_files_are_refused() {
        assert!(matches!(
            set_password_hash(FILE, "a b", HASH, UserChange::Add),
            Err(EditError::BadName(_))
        ));
        assert!(matches!(
            set_password_hash(FILE, "", HASH, UserChange::Add),
            Err(EditError::BadName(_))
        ));
        let python = "import vbx.flows\ncalls = {}\n";
        assert!(matches!(
            set_password_hash(python, "alice", HASH, UserChange::Add),
            Err(EditError::Parse(_))
        ));
        assert!(matches!(
            set_password_hash("users = 3\n", "alice", HASH, UserChange::Add),
            Err(EditError::Shape)
        ));
    }

    #[test]
    fn names_follow_the_rule() {
        for good in ["alice", "a.b-c_d@example.com", "X1"] {
            assert!(is_valid_name(good), "{good}");
        }
        for bad in ["", "a b", "é", "a/b", &"x".repeat(65)] {
            assert!(!is_valid_name(bad), "{bad}");
        }
    }

    #[cfg(unix)]
    #[test]
    fn editing_a_file_keeps_its_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vbx.toml");
        std::fs::write(&path, FILE).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        set_password_hash_in_file(&path, "alice", HASH, UserChange::Add).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(std::fs::read_to_string(&path).unwrap().contains("alice"));
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1);
    }

    /// Root (as `vbx passwd` is often run) editing the service user's file leaves it the
    /// service user's. Run by anyone else, the file keeps its owner, that user.
    #[cfg(unix)]
    #[test]
    fn editing_a_file_keeps_its_owner_and_group() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("vbx.toml");
        std::fs::write(&path, FILE).unwrap();
        let me = std::fs::metadata(&path).unwrap();
        let owner = if me.uid() == 0 {
            // nobody:nogroup, as a service user would be.
            std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            (65534, 65534)
        } else {
            (me.uid(), me.gid())
        };
        set_password_hash_in_file(&path, "alice", HASH, UserChange::Add).unwrap();
        let after = std::fs::metadata(&path).unwrap();
        assert_eq!((after.uid(), after.gid()), owner);
        assert!(std::fs::read_to_string(&path).unwrap().contains("alice"));
    }
}
