//! `vbx backup` while vbx runs, then the documented restore into a fresh data directory:
//! the restored vbx lists the same history and serves the same media without Twilio.

use std::process::Command;
use std::time::Duration;

use twilio_sim::{InboundMedia, InboundText};

use crate::harness::{burst, until, Setup, TestSim, User, OUTSIDE};

const PASSWORD: &str = "backup-password-77";
const PICTURE: &[u8] = b"\x89PNG\r\n\x1a\n a picture for the backup";

fn with_user(sim: &TestSim) -> Setup {
    Setup::builder(sim).user("alice", PASSWORD).setup()
}

/// `vbx backup` of the store `setup` runs on, to `out`.
fn vbx_backup(setup: &Setup, out: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vbx"))
        .args(["backup", "--config"])
        .arg(&setup.config)
        .arg("--data-dir")
        .arg(setup.data.path())
        .arg(out)
        .output()
        .expect("vbx backup runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_vbx_runs_restores_the_same_history_and_media() {
    let sim = TestSim::start_retrying(0, Duration::from_secs(5)).await;
    let setup = with_user(&sim);
    let vbx = setup.start("vbx.log").await;
    setup.wire(&sim).await;
    burst(&sim, 20);
    let picture = sim
        .sim()
        .incoming_message(InboundText {
            from: OUTSIDE.into(),
            to: sim.number(),
            body: "look".into(),
            media: vec![InboundMedia {
                content_type: "image/png".into(),
                content: PICTURE.to_vec(),
            }],
        })
        .expect("the picture arrives")
        .to_string();
    let media_file = setup.data.path().join(format!("media/in/{picture}/0"));
    until(
        "the picture downloaded",
        Duration::from_secs(30),
        || async { media_file.exists().then_some(()) },
    )
    .await;
    let alice = User::login(&setup, "alice", PASSWORD).await;
    let thread_path = format!("/api/threads/{}?limit=100", OUTSIDE.replace('+', "%2B"));
    let thread = until("all 21 texts stored", Duration::from_secs(30), || async {
        let thread = alice.get(&thread_path).await;
        (thread["items"].as_array().map(Vec::len) == Some(21)).then_some(thread)
    })
    .await;
    let conversations = alice.get("/api/conversations").await;

    let out = setup.data.path().join("backups/vbx-backup.db");
    let backup = vbx_backup(&setup, &out);
    let printed = String::from_utf8_lossy(&backup.stdout).into_owned();
    assert!(
        backup.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(printed.contains("Backed up 21 texts"), "{printed}");
    assert!(printed.contains("1 media files"), "{printed}");
    // A second backup to the same name is refused rather than overwriting.
    let again = vbx_backup(&setup, &out);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
    drop(vbx);

    // The restore the README gives: the copy becomes vbx.db, its media the media directory.
    let restored = with_user(&sim);
    let data = restored.data.path();
    std::fs::copy(&out, data.join("vbx.db")).unwrap();
    let cp = Command::new("cp")
        .arg("-a")
        .arg(vbx::cli::backup::media_dir_of(&out))
        .arg(data.join("media"))
        .status()
        .unwrap();
    assert!(cp.success());
    // Twilio cannot serve the picture any more: the restored copy must.
    sim.sim().fail_requests_for(Duration::from_secs(600));
    let _again = restored.start("restored.log").await;
    let alice = User::login(&restored, "alice", PASSWORD).await;
    assert_eq!(alice.get(&thread_path).await, thread);
    assert_eq!(alice.get("/api/conversations").await, conversations);
    let media = reqwest::Client::new()
        .get(format!(
            "http://127.0.0.1:{}/api/media/{picture}/0",
            restored.port
        ))
        .header("cookie", alice.cookie())
        .send()
        .await
        .unwrap();
    assert_eq!(media.status(), 200);
    assert_eq!(media.bytes().await.unwrap().as_ref(), PICTURE);
}
