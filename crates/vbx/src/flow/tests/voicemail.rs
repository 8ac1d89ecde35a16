//! The `voicemail` step: the greeting, then `<Record>` whose callbacks name the step.

use super::*;
use crate::config::{Prompt, Voicemail};

fn with_voicemail(config: &mut Config, greeting: Prompt, transcribe: bool) {
    let voicemail = Action::Voicemail(Box::new(Voicemail {
        greeting,
        max_length: 90,
        transcribe,
        notify: vec!["cell".into()],
    }));
    config.calls.insert(alias("default"), vec![step(voicemail)]);
}

#[test]
fn a_voicemail_greets_then_records_with_callbacks_that_name_its_step() {
    let mut config = config();
    let default = alias("default");
    with_voicemail(&mut config, Prompt::Say("Leave it here.".into()), true);
    let out = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    let record = twiml::Record {
        action: Some("https://vbx.example.com/flow/voice/default/record?step=0".into()),
        max_length: Some(90),
        recording_status_callback: Some(
            "https://vbx.example.com/flow/status/recording?alias=default&step=0".into(),
        ),
        transcribe: Some(true),
        transcribe_callback: Some("https://vbx.example.com/flow/status/transcription".into()),
        ..Default::default()
    };
    let greeting = Verb::Say(twiml::Say {
        text: "Leave it here.".into(),
        ..Default::default()
    });
    assert_eq!(out.twiml, doc(vec![greeting, Verb::Record(record.clone())]));

    with_voicemail(
        &mut config,
        Prompt::Play("https://example.com/hi.mp3".into()),
        false,
    );
    let out = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    let played = Verb::Play(twiml::Play {
        url: "https://example.com/hi.mp3".into(),
        ..Default::default()
    });
    let untranscribed = twiml::Record {
        transcribe: None,
        transcribe_callback: None,
        ..record
    };
    assert_eq!(out.twiml, doc(vec![played, Verb::Record(untranscribed)]));
}
