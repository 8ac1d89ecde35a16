//! `vbx user add` and `vbx passwd` as an operator runs them, with the password piped in.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::harness::*;

fn vbx(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vbx"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vbx runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const FILE: &str = "# my setup\n[server]\npublic_url = \"https://vbx.example.com\"  # behind nginx\n\n[twilio]\naccount_sid = \"AC0123456789abcdef0123456789abcdef\"\nauth_token = \"0123456789abcdef0123456789abcdef\"\nnumber = \"+18001234567\"\n\n[devices]\nbrowser = { type = \"browser\" }\n\n[calls]\ndefault = [ { step = \"device\", devices = [\"browser\"] } ]\n\n[messages]\ndefault = [ { step = \"device\", devices = [\"browser\"] } ]\n";

#[tokio::test]
async fn user_add_and_passwd_write_hashes_that_log_in_and_keep_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vbx.toml");
    std::fs::write(&path, FILE).unwrap();
    let file = path.to_str().unwrap();

    let (ok, out, err) = vbx(
        &["user", "add", "carol", "--config", file],
        "first-pass\nfirst-pass\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("carol added"), "{out}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(FILE), "the rest is kept:\n{text}");
    assert!(!text.contains("first-pass"), "only the hash is written");
    let config = vbx::config::load(&path, &Default::default(), &|_| None).unwrap();
    let hash = config.user("carol").unwrap().password_hash.clone();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(vbx::http::auth::verify_password(&hash, "first-pass"));

    let (ok, _, err) = vbx(
        &["user", "add", "carol", "--config", file],
        "x-pass-12\nx-pass-12\n",
    );
    assert!(!ok);
    assert!(err.contains("already exists"), "{err}");
    let (ok, _, err) = vbx(
        &["passwd", "carol", "--config", file],
        "second-pass\nsecond-typo\n",
    );
    assert!(!ok);
    assert!(err.contains("differ"), "{err}");
    let (ok, _, err) = vbx(&["passwd", "carol", "--config", file], "short\nshort\n");
    assert!(!ok);
    assert!(err.contains("shorter than 8"), "{err}");
    let (ok, _, err) = vbx(
        &["passwd", "dave", "--config", file],
        "second-pass\nsecond-pass\n",
    );
    assert!(!ok);
    assert!(err.contains("vbx user add dave"), "{err}");

    let (ok, out, err) = vbx(
        &["passwd", "carol", "--config", file],
        "second-pass\nsecond-pass\n",
    );
    assert!(ok, "{err}");
    assert!(out.contains("new password"), "{out}");
    let config = vbx::config::load(&path, &Default::default(), &|_| None).unwrap();
    let hash = &config.user("carol").unwrap().password_hash;
    assert!(vbx::http::auth::verify_password(hash, "second-pass"));
    assert!(!vbx::http::auth::verify_password(hash, "first-pass"));
    assert_eq!(config.users.len(), 1);
    let _ = ALICE_PASSWORD;
}
