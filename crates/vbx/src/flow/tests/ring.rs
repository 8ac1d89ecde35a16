//! A `device` step in a call flow: the first usable device or all of them at once, browsers as
//! clients and sms devices as the phones they are.

use super::*;
use crate::config::Ring;

fn ringing(config: &mut Config, devices: &[&str], ring: Ring) {
    config.calls.insert(
        alias("default"),
        vec![step_next(
            Action::Device {
                devices: devices.iter().map(|d| (*d).to_owned()).collect(),
                timeout: 20,
                ring,
                bridge: Default::default(),
            },
            "phone",
        )],
    );
}

fn dialled(out: &VoiceOutcome) -> Vec<String> {
    match &out.twiml.verbs[..] {
        [Verb::Dial(dial)] => {
            assert_eq!(dial.timeout, Some(20));
            assert_eq!(
                dial.action.as_deref(),
                Some("https://vbx.example.com/flow/voice/default/dial?step=0")
            );
            dial.targets
                .iter()
                .map(|t| match t {
                    DialTarget::Client(c) => format!("client:{}", c.identity),
                    DialTarget::Number(n) => n.number.clone(),
                    other => panic!("{other:?}"),
                })
                .collect()
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn ringing_all_dials_every_device_that_is_not_offline_in_one_dial() {
    let mut config = config();
    ringing(&mut config, &["browser", "cell"], Ring::All);
    let default = alias("default");
    let req = call(&default, CALLER);
    let online = run_call(&config, &FixedPresence::online(&["browser"]), &req).unwrap();
    assert_eq!(dialled(&online), ["client:vbx", "+18005555555"]);
    let offline = run_call(&config, &FixedPresence::default(), &req).unwrap();
    assert_eq!(dialled(&offline), ["+18005555555"]);
    // Nobody to ring: the step does not complete and the flow goes to `next`.
    ringing(&mut config, &["browser"], Ring::All);
    let nobody = run_call(&config, &FixedPresence::default(), &req).unwrap();
    assert_eq!(
        nobody.twiml,
        doc(vec![redirect("https://vbx.example.com/flow/voice/phone")])
    );
}

#[test]
fn ringing_first_takes_the_online_browser_else_the_phone() {
    let mut config = config();
    ringing(&mut config, &["browser", "cell"], Ring::First);
    let default = alias("default");
    let req = call(&default, CALLER);
    let online = run_call(&config, &FixedPresence::online(&["browser"]), &req).unwrap();
    assert_eq!(dialled(&online), ["client:vbx"]);
    let offline = run_call(&config, &FixedPresence::default(), &req).unwrap();
    assert_eq!(dialled(&offline), ["+18005555555"]);
    // Who answered, for the call log: one of several, or the one.
    assert_eq!(dialled_by_step(&config, &default, 0).as_deref(), Some(""));
    ringing(&mut config, &["cell"], Ring::First);
    assert_eq!(
        dialled_by_step(&config, &default, 0).as_deref(),
        Some("+18005555555")
    );
}

#[test]
fn a_recorded_device_step_records_from_the_answer_and_reports_the_recording() {
    let mut config = config();
    ringing(&mut config, &["browser", "cell"], Ring::All);
    if let Some(Action::Device { bridge, .. }) = config
        .calls
        .get_mut(&alias("default"))
        .map(|steps| &mut steps[0].action)
    {
        bridge.record = true;
    }
    let default = alias("default");
    let out = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    let [Verb::Dial(dial)] = &out.twiml.verbs[..] else {
        panic!("{:?}", out.twiml);
    };
    assert_eq!(dial.record, Some(twiml::DialRecord::RecordFromAnswer));
    // No step in the URL: a call's recording has no voicemail notices.
    assert_eq!(
        dial.recording_status_callback.as_deref(),
        Some("https://vbx.example.com/flow/status/recording")
    );
    assert_eq!(out.path, ["rang cell"]);
    // Unrecorded, the dial says nothing about recording.
    ringing(&mut config, &["cell"], Ring::All);
    let out = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    let [Verb::Dial(dial)] = &out.twiml.verbs[..] else {
        panic!("{:?}", out.twiml);
    };
    assert_eq!(
        (dial.record, dial.recording_status_callback.as_deref()),
        (None, None)
    );
}
