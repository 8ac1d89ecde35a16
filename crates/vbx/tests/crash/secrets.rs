//! Secrets never reach the logs (at debug level, failures included) or `vbx check`'s output.

use std::process::Command;
use std::time::Duration;

use crate::harness::{Setup, TestSim, OUTSIDE};

const API_SECRET: &str = "zebra-api-secret-7f3a9c1e5b2d4f60";
const PASSWORD: &str = "walrus-password-91c3e7";

fn assert_no_secret(text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{secret:?} appears in:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_at_debug_level_logs_no_secret_through_successes_and_failures() {
    let sim = TestSim::start_retrying(0, Duration::from_secs(5)).await;
    let (key, _) = sim.key();
    let setup = Setup::builder(&sim).api_key(&key, API_SECRET).setup();
    let vbx = setup.start("vbx.log").await;
    let token = sim.config.auth_token.clone();
    let (account, number) = (sim.account().to_string(), sim.number());
    let params = [
        ("MessageSid", "SM0123456789abcdef0123456789abcdef"),
        ("AccountSid", &account),
        ("From", OUTSIDE),
        ("To", &number),
        ("Body", "hello"),
        ("NumMedia", "0"),
    ];
    let signed = vbx.post_signed("/flow/msg/default", &params).await;
    assert_eq!(signed.status, 200);
    let mis_signed = vbx
        .post_form("/flow/msg/default", &params, Some("bm90IGEgc2lnbmF0dXJl"))
        .await;
    assert_eq!(mis_signed.status, 403);
    assert_eq!(vbx.try_login("alice", PASSWORD).await.status, 401);
    let token_without_session = vbx.http.get(vbx.url("/api/token")).send().await.unwrap();
    assert_eq!(token_without_session.status(), 401);
    // Twilio failing: the REST client's errors are logged, its credentials must not be.
    sim.sim().fail_requests_for(Duration::from_secs(60));
    assert!(setup.try_wire(&sim).await.is_err());
    assert!(vbx.terminate().await.success());
    let log = std::fs::read_to_string(setup.data.path().join("vbx.log")).unwrap();
    assert!(log.contains("DEBUG"), "not at debug level:\n{log}");
    assert_no_secret(&log, &[&token, API_SECRET, PASSWORD]);
}

#[test]
fn check_on_a_broken_configuration_shows_no_secret() {
    let dir = tempfile::TempDir::new().unwrap();
    let config = dir.path().join("vbx.toml");
    let token = "5ec7e75ec7e75ec7e75ec7e75ec7e7aa";
    // Broken three ways around the secrets: a bad number, an API secret without its key, and
    // an SMTP password for a device with a bad address.
    std::fs::write(
        &config,
        format!(
            r#"
[server]
public_url = "https://vbx.example.com"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token  = "{token}"
number      = "not a number"
api_secret  = "{API_SECRET}"

[devices]
mail = {{ type = "email", to = "nobody", smtp = {{ host = "smtp.example.com", user = "u", password = "{PASSWORD}" }} }}

[messages]
default = [ {{ step = "device", devices = ["mail"] }} ]
"#
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vbx"))
        .arg("check")
        .arg(&config)
        .env("VBX_LOG", "debug")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("twilio.number"), "{text}");
    assert_no_secret(&text, &[token, API_SECRET, PASSWORD]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_others_can_read_is_named_at_start_with_its_fix() {
    use std::os::unix::fs::PermissionsExt as _;
    let sim = TestSim::start_retrying(0, Duration::from_secs(5)).await;
    let setup = Setup::new(&sim);
    std::fs::set_permissions(setup.data.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let vbx = setup.start("vbx.log").await;
    let log = vbx.log_text();
    let wanted = format!("run `chmod 700 {}`", setup.data.path().display());
    assert!(
        log.contains(&wanted),
        "no warning naming the fix in:\n{log}"
    );
    // The database vbx created itself is its own.
    assert!(!log.contains("vbx.db is mode"), "{log}");
}
