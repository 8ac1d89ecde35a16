//! validate() of the `menu` step: the example of issue 21 loads, each mistake is reported at
//! its key path.

use super::*;
use crate::config::Prompt;

const MENU: &str = r#"{ step = "menu", prompt = "For sales press 1, for support press 2.", keys = { "1" = "phone", "2" = "phone" }, timeout = 5, repeat = 2, invalid = "Sorry, that is not an option.", next = "phone" }"#;

fn calls_default(step: &str) -> String {
    with(&[(
        r#"default = [ { step = "device", devices = ["browser"], next = "phone" } ]"#,
        &format!("default = [ {step} ]"),
    )])
}

#[test]
fn a_menu_loads_its_prompt_keys_and_defaults() {
    let config = check(&calls_default(MENU)).unwrap();
    let Action::Menu(menu) = &config.calls[&Alias::parse("default").unwrap()][0].action else {
        panic!("not a menu");
    };
    assert_eq!(
        menu.prompt,
        Prompt::Say("For sales press 1, for support press 2.".into())
    );
    assert_eq!(menu.keys.len(), 2);
    assert_eq!((menu.timeout, menu.repeat), (5, 2));
    let bare = r#"{ step = "menu", prompt_url = "https://example.com/menu.mp3", keys = { "1" = "phone" } }"#;
    let config = check(&calls_default(bare)).unwrap();
    let Action::Menu(menu) = &config.calls[&Alias::parse("default").unwrap()][0].action else {
        panic!("not a menu");
    };
    assert_eq!(
        menu.prompt,
        Prompt::Play("https://example.com/menu.mp3".into())
    );
    assert_eq!((menu.timeout, menu.repeat), (5, 2));
    assert_eq!(menu.invalid, "Sorry, that is not an option.");
}

#[test]
fn each_mistake_in_a_menu_is_reported_at_its_key() {
    for (step, path, says) in [
        (
            MENU.replace(
                r#"prompt = "For sales press 1, for support press 2.", "#,
                "",
            ),
            "calls.default[0].prompt",
            "no `prompt`",
        ),
        (
            MENU.replace(
                "keys = ",
                r#"prompt_url = "https://example.com/a.mp3", keys = "#,
            ),
            "calls.default[0].prompt_url",
            "both",
        ),
        (
            MENU.replace(r#""2" = "phone""#, r#""x" = "phone""#),
            "calls.default[0].keys.x",
            "not a key",
        ),
        (
            MENU.replace(r#""2" = "phone""#, r#""2" = "suport""#),
            "calls.default[0].keys.2",
            "no calls flow",
        ),
        (
            MENU.replace(r#"keys = { "1" = "phone", "2" = "phone" }, "#, ""),
            "calls.default[0].keys",
            "no `keys`",
        ),
        (
            MENU.replace("repeat = 2", "repeat = 99"),
            "calls.default[0].repeat",
            "",
        ),
    ] {
        let problem = only(&calls_default(&step), path);
        assert!(problem.message.contains(says), "{path}: {problem:?}");
    }
}

#[test]
fn a_menu_cannot_run_in_a_message_flow() {
    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
        r#"default = [ { step = "menu", prompt = "Press 1.", keys = { "1" = "default" } } ]"#,
    )]);
    let problem = only(&text, "messages.default[0]");
    assert!(
        problem.message.contains("cannot run in a message flow"),
        "{problem:?}"
    );
}

#[test]
fn a_flow_a_menu_key_leads_to_is_reachable() {
    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser"], next = "phone" } ]"#,
        r#"default = [ { step = "menu", prompt = "Press 1.", keys = { "1" = "sales" } } ]
sales = [ { step = "say", text = "Sales." } ]"#,
    )]);
    let summary = crate::config::summary(&check(&text).unwrap());
    assert!(summary.contains("calls.sales: say"), "{summary}");
    assert!(
        !summary.contains("calls.sales: say(\"Sales.\", woman, en)  (not reachable"),
        "{summary}"
    );
    assert!(
        summary.contains("calls.phone: dial(+18005555555)  (not reachable from default)"),
        "{summary}"
    );
}
