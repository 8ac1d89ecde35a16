//! The `menu` step: its `<Gather>`, and what each answer to it does.

use super::*;
use crate::config::{Menu, Prompt};

fn with_menu(config: &mut Config, next: Option<&str>, keys: &[(&str, &str)]) {
    let menu = Action::Menu(Box::new(Menu {
        prompt: Prompt::Say("For sales press 1.".into()),
        keys: keys
            .iter()
            .map(|(key, target)| ((*key).to_owned(), alias(target)))
            .collect(),
        timeout: 4,
        repeat: 1,
        invalid: "Sorry, that is not an option.".into(),
    }));
    let step = match next {
        Some(next) => step_next(menu, next),
        None => step(menu),
    };
    config.calls.insert(alias("default"), vec![step]);
}

fn gather(attempt: u32, num_digits: u32, finish_on_key: Option<&str>) -> Verb {
    Verb::Gather(twiml::Gather {
        input: Some("dtmf".into()),
        action: Some(format!(
            "https://vbx.example.com/flow/voice/default/menu?step=0&attempt={attempt}"
        )),
        num_digits: Some(num_digits),
        timeout: Some(4),
        finish_on_key: finish_on_key.map(str::to_owned),
        action_on_empty_result: Some(true),
        children: vec![twiml::GatherChild::Say(twiml::Say {
            text: "For sales press 1.".into(),
            ..Default::default()
        })],
        ..Default::default()
    })
}

#[test]
fn a_menu_listens_for_its_longest_key_with_the_prompt_inside() {
    let mut config = config();
    with_menu(
        &mut config,
        Some("phone"),
        &[("1", "phone"), ("10", "phone")],
    );
    let default = alias("default");
    let out = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    assert_eq!(out.twiml, doc(vec![gather(0, 2, None)]));
    // `#` as a key is not the end of the input.
    with_menu(&mut config, None, &[("#", "phone")]);
    let out = run_call(&config, &FixedPresence::default(), &call(&default, CALLER)).unwrap();
    assert_eq!(out.twiml, doc(vec![gather(0, 1, Some(""))]));
}

#[test]
fn each_answer_to_a_menu_does_what_the_caller_expects() {
    let mut config = config();
    with_menu(&mut config, Some("phone"), &[("1", "phone")]);
    let default = alias("default");
    let req = call(&default, CALLER);
    let resume = |attempt, digits| resume_after_menu(&config, &req, 0, attempt, digits).unwrap();
    let invalid = Verb::Say(twiml::Say {
        text: "Sorry, that is not an option.".into(),
        ..Default::default()
    });
    let to_phone = redirect("https://vbx.example.com/flow/voice/phone");
    assert_eq!(resume(0, "1").twiml, doc(vec![to_phone.clone()]));
    assert_eq!(
        resume(0, "7").twiml,
        doc(vec![invalid.clone(), gather(1, 1, None)])
    );
    assert_eq!(resume(0, "").twiml, doc(vec![gather(1, 1, None)]));
    // The last try (repeat = 1) ends at `next`, after saying a wrong key was wrong.
    assert_eq!(resume(1, "7").twiml, doc(vec![invalid, to_phone.clone()]));
    assert_eq!(resume(1, "").twiml, doc(vec![to_phone]));
    // Without `next` the call ends.
    with_menu(&mut config, None, &[("1", "phone")]);
    let out = resume_after_menu(&config, &req, 0, 1, "").unwrap();
    assert_eq!(out.twiml, doc(vec![Verb::Hangup]));
    // A menu action for a step that is no menu is an error, not a guess.
    assert!(resume_after_menu(&config, &req, 5, 0, "1").is_err());
}
