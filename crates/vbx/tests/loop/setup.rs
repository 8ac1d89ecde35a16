//! `vbx setup` and `vbx doctor` against the simulated account.

use tempfile::TempDir;
use twilio::client::{ApplicationParams, Auth, Client, UpdateIncomingNumber};
use vbx::cli::doctor::{doctor, Finding};
use vbx::cli::setup::setup;

use crate::harness::*;

const PUBLIC: &str = "https://vbx.example.com";

fn failed(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| !f.ok).collect()
}

#[tokio::test]
async fn setup_points_the_number_and_a_new_app_at_vbx_and_a_second_run_changes_nothing() {
    let sim = TestSim::start().await;
    let data = TempDir::new().unwrap();
    // No API key and no app yet: a first-time setup.
    let first = load(&sim.toml(PUBLIC, ""), data.path());

    let report = setup(&first, &sim.client()).await.unwrap();

    let number = &sim.sim().numbers()[0];
    assert_eq!(
        number.voice_url.as_deref(),
        Some("https://vbx.example.com/flow/voice/default")
    );
    assert_eq!(
        number.sms_url.as_deref(),
        Some("https://vbx.example.com/flow/msg/default")
    );
    assert_eq!(
        number.status_callback.as_deref(),
        Some("https://vbx.example.com/flow/status/call")
    );
    assert_eq!(number.voice_method, "POST");
    let apps = sim.sim().applications();
    assert_eq!(apps.len(), 1);
    assert_eq!(apps[0].sid, report.app_sid);
    assert_eq!(apps[0].friendly_name.as_deref(), Some("vbx"));
    assert_eq!(
        apps[0].voice_url.as_deref(),
        Some("https://vbx.example.com/flow/voice/default")
    );
    assert_eq!(
        apps[0].status_callback.as_deref(),
        Some("https://vbx.example.com/flow/status/call")
    );

    let changes = report.changes.join("\n");
    let number_value = sim.number();
    for expected in [
        format!("{number_value} VoiceUrl: (none) → https://vbx.example.com/flow/voice/default"),
        format!("{number_value} SmsUrl: (none) → https://vbx.example.com/flow/msg/default"),
        format!("{number_value} StatusCallback: (none) → https://vbx.example.com/flow/status/call"),
        format!("TwiML App: none → created `vbx` ({})", report.app_sid),
    ] {
        assert!(
            changes.contains(&expected),
            "{expected}\nnot in:\n{changes}"
        );
    }

    // The new key works as a credential, and its secret is shown with what to do with it.
    let (key, secret) = report.new_api_key.clone().expect("a key was created");
    let keyed = Client::new(
        sim.base_url().parse().unwrap(),
        Auth::ApiKey {
            account_sid: sim.account(),
            key_sid: key.clone(),
            secret: secret.clone(),
        },
    )
    .unwrap();
    keyed.list_incoming_numbers(None).await.unwrap();
    let printed = report.render();
    assert!(
        printed.contains(&format!("api_key    = \"{key}\"")),
        "{printed}"
    );
    assert!(printed.contains(&secret), "{printed}");
    assert!(
        printed.contains(&format!("twilio.app_sid = \"{}\"", report.app_sid)),
        "{printed}"
    );

    // The operator puts the key and the app in the configuration and runs setup again.
    let extra = format!(
        "api_key = \"{key}\"\napi_secret = \"{secret}\"\napp_sid = \"{}\"",
        report.app_sid
    );
    let second = load(&sim.toml(PUBLIC, &extra), data.path());
    let again = setup(&second, &sim.client()).await.unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);
    assert!(again.notes.is_empty(), "{:?}", again.notes);
    assert!(again.new_api_key.is_none());
    assert_eq!(again.app_sid, report.app_sid);
    assert!(again.render().starts_with("No changes"));
    assert_eq!(sim.sim().applications().len(), 1);

    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = vbx::cli::setup(&second, &mut out, &mut err).await;
    let printed = String::from_utf8(out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{err:?}");
    assert!(printed.starts_with("No changes"), "{printed}");
    assert!(
        printed.contains(&format!("TwiML App: {}", report.app_sid)),
        "{printed}"
    );
}

#[tokio::test]
async fn setup_takes_the_number_off_another_app_and_fixes_the_existing_vbx_app() {
    let sim = TestSim::start().await;
    let client = sim.client();
    let stale = client
        .create_application(&ApplicationParams {
            friendly_name: Some("vbx".into()),
            voice_url: Some("https://old.example.com/voice".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let other = client
        .create_application(&ApplicationParams {
            friendly_name: Some("something else".into()),
            voice_url: Some("https://other.example.com/voice".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let number_sid = sim.sim().numbers()[0].sid.clone();
    client
        .update_incoming_number(
            &number_sid,
            &UpdateIncomingNumber {
                voice_application_sid: Some(other.sid.to_string()),
                sms_url: Some("https://old.example.com/sms".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let data = TempDir::new().unwrap();
    let config = sim.config(PUBLIC, data.path(), "");

    let report = setup(&config, &client).await.unwrap();

    assert_eq!(report.app_sid, stale.sid, "the app named vbx is reused");
    assert!(report.new_api_key.is_none(), "a key is configured");
    let changes = report.changes.join("\n");
    for expected in [
        format!("VoiceApplicationSid: {} → (none)", other.sid),
        "SmsUrl: https://old.example.com/sms → https://vbx.example.com/flow/msg/default".to_owned(),
        format!(
            "TwiML App {} VoiceUrl: https://old.example.com/voice → \
             https://vbx.example.com/flow/voice/default",
            stale.sid
        ),
    ] {
        assert!(
            changes.contains(&expected),
            "{expected}\nnot in:\n{changes}"
        );
    }
    let number = &sim.sim().numbers()[0];
    assert_eq!(number.voice_application_sid, None);
    let apps = sim.sim().applications();
    assert_eq!(apps.len(), 2);
    let vbx_app = apps.iter().find(|a| a.sid == stale.sid).unwrap();
    assert_eq!(
        vbx_app.voice_url.as_deref(),
        Some("https://vbx.example.com/flow/voice/default")
    );
    let untouched = apps.iter().find(|a| a.sid == other.sid).unwrap();
    assert_eq!(
        untouched.voice_url.as_deref(),
        Some("https://other.example.com/voice")
    );
}

#[tokio::test]
async fn setup_for_a_number_the_account_does_not_own_says_which_key_to_fix() {
    let sim = TestSim::start().await;
    let data = TempDir::new().unwrap();
    let toml = sim.toml(PUBLIC, "").replace(&sim.number(), "+12025550999");
    let config = load(&toml, data.path());

    let error = setup(&config, &sim.client()).await.unwrap_err();

    let text = format!("{error:#}");
    assert!(text.contains("does not own +12025550999"), "{text}");
    assert!(text.contains("`twilio.number`"), "{text}");
    assert!(
        text.contains(&sim.number()),
        "the owned numbers are listed: {text}"
    );
    assert!(sim.sim().applications().is_empty(), "nothing was changed");
}

#[tokio::test]
async fn doctor_finds_a_wrong_voice_url_and_after_setup_all_is_ok() {
    let sim = TestSim::start().await;
    let client = sim.client();
    let number_sid = sim.sim().numbers()[0].sid.clone();
    client
        .update_incoming_number(
            &number_sid,
            &UpdateIncomingNumber {
                voice_url: Some("https://old-host.example.net/voice".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let data = TempDir::new().unwrap();
    let config = sim.config(PUBLIC, data.path(), "");

    let findings = doctor(&config, &client).await;

    let voice = findings
        .iter()
        .find(|f| {
            f.what
                .contains("Voice URL is https://old-host.example.net/voice")
        })
        .unwrap_or_else(|| panic!("no Voice URL finding in {findings:#?}"));
    assert!(!voice.ok);
    assert!(voice.fix.as_deref().unwrap().contains("vbx setup"));
    let host = findings
        .iter()
        .find(|f| f.what.contains("Twilio calls https://old-host.example.net"))
        .unwrap_or_else(|| panic!("no reachability finding in {findings:#?}"));
    assert!(!host.ok);
    assert!(host.fix.as_deref().unwrap().contains("server.public_url"));
    assert!(
        findings
            .iter()
            .any(|f| !f.ok && f.what.contains("`twilio.app_sid` is not set")),
        "{findings:#?}"
    );

    let report = setup(&config, &client).await.unwrap();
    let fixed = sim.config(
        PUBLIC,
        data.path(),
        &format!("app_sid = \"{}\"", report.app_sid),
    );
    let findings = doctor(&fixed, &client).await;
    assert!(failed(&findings).is_empty(), "{findings:#?}");
    assert!(
        findings.iter().any(|f| f.what.contains("API key")),
        "the key was checked: {findings:#?}"
    );

    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = vbx::cli::doctor(&fixed, &mut out, &mut err).await;
    let printed = String::from_utf8(out).unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS, "{printed}");
    assert!(printed.contains("All checks passed"), "{printed}");
}

#[tokio::test]
async fn doctor_with_a_wrong_auth_token_says_which_key_to_fix() {
    let sim = TestSim::start().await;
    let data = TempDir::new().unwrap();
    let toml = sim
        .toml(PUBLIC, "")
        .replace(&sim.config.auth_token, "ffffffffffffffffffffffffffffffff");
    let config = load(&toml, data.path());
    let client = vbx::app::twilio_client(&config).unwrap();

    let findings = doctor(&config, &client).await;

    let bad = failed(&findings);
    assert_eq!(bad.len(), 1, "{findings:#?}");
    assert!(
        bad[0].what.contains("refuses the credentials"),
        "{:?}",
        bad[0]
    );
    let fix = bad[0].fix.as_deref().unwrap();
    assert!(fix.contains("`twilio.auth_token`"), "{fix}");
    assert!(fix.contains("VBX_TWILIO_AUTH_TOKEN"), "{fix}");

    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = vbx::cli::doctor(&config, &mut out, &mut err).await;
    let printed = String::from_utf8(out).unwrap();
    assert_eq!(code, std::process::ExitCode::FAILURE);
    assert!(printed.contains("[FAIL]"), "{printed}");
    assert!(
        printed.contains("fix: check `twilio.auth_token`"),
        "{printed}"
    );
}

#[tokio::test]
async fn doctor_flags_a_wrong_api_secret_and_a_public_url_without_https() {
    let sim = TestSim::start().await;
    let data = TempDir::new().unwrap();
    let (key, secret) = sim.key();
    let toml = sim.toml(
        "http://vbx.example.com",
        &format!("api_key = \"{key}\"\napi_secret = \"not-{secret}\""),
    );
    let config = load(&toml, data.path());

    let findings = doctor(&config, &sim.client()).await;

    let key_finding = findings
        .iter()
        .find(|f| f.what.contains(&format!("refuses API key {key}")))
        .unwrap_or_else(|| panic!("no API key finding in {findings:#?}"));
    assert!(!key_finding.ok);
    assert!(key_finding
        .fix
        .as_deref()
        .unwrap()
        .contains("`twilio.api_secret`"));
    let scheme = findings
        .iter()
        .find(|f| f.what.contains("is not https"))
        .unwrap_or_else(|| panic!("no https finding in {findings:#?}"));
    assert!(!scheme.ok);
    assert!(scheme.fix.as_deref().unwrap().contains("server.public_url"));
}
