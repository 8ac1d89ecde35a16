//! `vbx passwd` ends the user's sessions, whether vbx is running or not: at once in the store
//! of a running vbx, and at the next start for any session opened with the old password.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::harness::{Setup, TestSim, User};

const OLD: &str = "old-password-4821";
const NEW: &str = "new-password-9913";

fn passwd(config: &std::path::Path, name: &str, password: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vbx"))
        .args(["passwd", name, "--config"])
        .arg(config)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vbx passwd runs");
    writeln!(child.stdin.take().expect("stdin"), "{password}\n{password}").expect("password");
    let out = child.wait_with_output().expect("vbx passwd ends");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_password_ends_the_users_sessions_at_once_and_after_a_restart() {
    let sim = TestSim::start_retrying(0, Duration::from_secs(5)).await;
    let data = tempfile::TempDir::new().unwrap();
    let setup = Setup::builder(&sim)
        // `vbx passwd` finds the store through the configuration's `data_dir`.
        .server(&format!("data_dir = \"{}\"", data.path().display()))
        .data(data)
        .users(&[("alice", OLD), ("bob", OLD)])
        .setup();

    let vbx = setup.start("vbx.log").await;
    let alice = User::login(&setup, "alice", OLD).await;
    let bob = User::login(&setup, "bob", OLD).await;
    assert_eq!(alice.status_of("/api/session").await, 200);

    let (ok, out, err) = passwd(&setup.config, "alice", NEW);
    assert!(ok, "vbx passwd failed: {out}{err}");
    assert!(out.contains("Ended 1 session(s) of alice"), "{out}");
    // The running vbx refuses her session at once; Bob's is untouched.
    assert_eq!(alice.status_of("/api/session").await, 401);
    assert_eq!(bob.status_of("/api/session").await, 200);

    // Until it restarts, the running vbx still knows only the old password (`vbx passwd`
    // says so); a session opened with it now ends at the restart.
    let late = User::login(&setup, "alice", OLD).await;
    assert_eq!(late.status_of("/api/session").await, 200);
    vbx.terminate().await;
    let _vbx = setup.start("vbx-restarted.log").await;
    assert_eq!(late.status_of("/api/session").await, 401);
    assert_eq!(bob.status_of("/api/session").await, 200);
    assert_eq!(User::try_login(&setup, "alice", OLD).await.err(), Some(401));
    let fresh = User::login(&setup, "alice", NEW).await;
    assert_eq!(fresh.status_of("/api/session").await, 200);
}
