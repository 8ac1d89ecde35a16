//! validate() of the `voicemail` step: the example of issue 21 loads, the defaults, each
//! mistake at its key path, and `vbx check`'s note about transcribing long recordings.

use super::*;
use crate::config::{Prompt, Voicemail};

const VOICEMAIL: &str = r#"{ step = "voicemail", greeting = "Please leave a message after the tone.", max_length = 120, transcribe = true, notify = ["cell"] }"#;

fn calls_default(step: &str) -> String {
    with(&[(
        r#"default = [ { step = "device", devices = ["browser"], next = "phone" } ]"#,
        &format!("default = [ {step} ]"),
    )])
}

fn voicemail(config: &Config) -> &Voicemail {
    match &config.calls[&Alias::parse("default").unwrap()][0].action {
        Action::Voicemail(v) => v,
        other => panic!("not a voicemail: {other:?}"),
    }
}

#[test]
fn a_voicemail_loads_with_its_settings_and_its_defaults() {
    let config = check(&calls_default(VOICEMAIL)).unwrap();
    let v = voicemail(&config);
    assert_eq!(
        v.greeting,
        Prompt::Say("Please leave a message after the tone.".into())
    );
    assert_eq!((v.max_length, v.transcribe), (120, true));
    assert_eq!(v.notify, ["cell"]);

    let config = check(&calls_default(r#"{ step = "voicemail" }"#)).unwrap();
    let v = voicemail(&config);
    assert_eq!(v.greeting, Prompt::Say(Voicemail::DEFAULT_GREETING.into()));
    assert_eq!((v.max_length, v.transcribe), (120, false));
    assert!(v.notify.is_empty());

    let played = r#"{ step = "voicemail", greeting_url = "https://example.com/hello.mp3" }"#;
    let config = check(&calls_default(played)).unwrap();
    assert_eq!(
        voicemail(&config).greeting,
        Prompt::Play("https://example.com/hello.mp3".into())
    );
}

#[test]
fn each_mistake_in_a_voicemail_is_reported_at_its_key() {
    for (step, path, says) in [
        (
            VOICEMAIL.replace(
                "max_length",
                r#"greeting_url = "https://example.com/a.mp3", max_length"#,
            ),
            "calls.default[0].greeting_url",
            "both",
        ),
        (
            VOICEMAIL.replace(
                r#"greeting = "Please leave a message after the tone.", "#,
                r#"greeting_url = "ftp://x", "#,
            ),
            "calls.default[0].greeting_url",
            "not an http(s) URL",
        ),
        (
            VOICEMAIL.replace(r#"["cell"]"#, r#"["cel"]"#),
            "calls.default[0].notify[0]",
            "no device `cel`",
        ),
        (
            VOICEMAIL.replace(r#"["cell"]"#, r#"["browser"]"#),
            "calls.default[0].notify[0]",
            "cannot be sent a voicemail notice",
        ),
        (
            VOICEMAIL.replace("max_length = 120", "max_length = 0"),
            "calls.default[0].max_length",
            "",
        ),
        (
            VOICEMAIL.replace("transcribe = true", "transcribe = \"yes\""),
            "calls.default[0].transcribe",
            "",
        ),
        (
            VOICEMAIL.replace("max_length", "length"),
            "calls.default[0].length",
            "",
        ),
    ] {
        let problem = only(&calls_default(&step), path);
        assert!(problem.message.contains(says), "{path}: {problem:?}");
    }
}

#[test]
fn check_notes_that_twilio_does_not_transcribe_long_voicemails() {
    let long = VOICEMAIL.replace("max_length = 120", "max_length = 300");
    let config = check(&calls_default(&long)).unwrap();
    let summary = crate::config::summary(&config);
    assert!(
        summary.contains(
            "note: calls.default[0]: Twilio transcribes recordings of 2 to 120 seconds only"
        ),
        "{summary}"
    );
    let config = check(&calls_default(VOICEMAIL)).unwrap();
    assert!(!crate::config::summary(&config).contains("note: calls.default"));
    assert!(crate::config::summary(&config).contains("voicemail(\"Please leave a message"));
}

#[test]
fn a_voicemail_cannot_run_in_a_message_flow() {
    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
        r#"default = [ { step = "voicemail" } ]"#,
    )]);
    let problem = only(&text, "messages.default[0]");
    assert!(
        problem.message.contains("cannot run in a message flow"),
        "{problem:?}"
    );
}

#[test]
fn device_and_dial_steps_take_screen_and_record() {
    let text = with(&[
        (
            r#"default = [ { step = "device", devices = ["browser"], next = "phone" } ]"#,
            r#"default = [ { step = "device", devices = ["browser", "cell"], ring = "all", screen = true, record = true, next = "phone" } ]"#,
        ),
        (
            r#"phone = [ { step = "dial", number = "+18005555555" } ]"#,
            r#"phone = [ { step = "dial", number = "+18005555555", screen = true } ]"#,
        ),
    ]);
    let config = check(&text).unwrap();
    let bridge = |alias: &str| match &config.calls[&Alias::parse(alias).unwrap()][0].action {
        Action::Device { bridge, .. } | Action::Dial { bridge, .. } => *bridge,
        other => panic!("{other:?}"),
    };
    assert!(bridge("default").screen && bridge("default").record);
    assert!(bridge("phone").screen && !bridge("phone").record);
    let summary = crate::config::summary(&config);
    assert!(
        summary.contains("all at once, screened, recorded)"),
        "{summary}"
    );

    let wrong = text.replace("record = true", "record = \"yes\"");
    only(&wrong, "calls.default[0].record");
}
