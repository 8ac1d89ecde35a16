//! validate(): each kind of problem, reported with its path, all at once, never with a secret.

use twilio::twiml::{RejectReason, Voice};

use super::*;
use crate::config::{load_str, Action, Alias, Device, LoadError, Overrides, SmtpSecurity};

const BASE: &str = r#"
[server]
public_url = "https://vbx.example.com"

[twilio]
account_sid = "AC0123456789abcdef0123456789abcdef"
auth_token = "tok-SECRET-auth"
number = "+18001234567"

[devices]
browser = { type = "browser" }
cell = { type = "sms", number = "+18005555555" }

[calls]
default = [ { step = "device", devices = ["browser"], next = "phone" } ]
phone = [ { step = "dial", number = "+18005555555" } ]

[messages]
default = [ { step = "device", devices = ["browser", "cell"] } ]

[contacts]
"+18005555555" = "BusinessName"
"#;

/// BASE with `from` replaced by `to` (which must change it).
fn with(replacements: &[(&str, &str)]) -> String {
    let mut text = BASE.to_owned();
    for (from, to) in replacements {
        assert!(text.contains(from), "BASE has no {from:?}");
        text = text.replacen(from, to, 1);
    }
    text
}

fn check(text: &str) -> Result<Config, Vec<Problem>> {
    match load_str(text, &Overrides::default(), &|_| None) {
        Ok(config) => Ok(config),
        Err(LoadError::Invalid(problems)) => Err(problems),
        Err(other) => panic!("expected validation, got: {other}"),
    }
}

fn problems(text: &str) -> Vec<Problem> {
    match check(text) {
        Ok(_) => panic!("expected problems in:\n{text}"),
        Err(problems) => problems,
    }
}

/// The one problem at `path`.
fn at(problems: &[Problem], path: &str) -> Problem {
    let found: Vec<&Problem> = problems.iter().filter(|p| p.path == path).collect();
    assert_eq!(
        found.len(),
        1,
        "one problem at {path} expected, got {problems:#?}"
    );
    found[0].clone()
}

fn only(text: &str, path: &str) -> Problem {
    let problems = problems(text);
    assert_eq!(problems.len(), 1, "{problems:#?}");
    at(&problems, path)
}

#[test]
fn the_sync_interval_is_set_in_seconds_within_a_day() {
    let number = "number = \"+18001234567\"";
    let config = check(&with(&[(
        number,
        "number = \"+18001234567\"\nsync_interval_seconds = 30",
    )]))
    .unwrap();
    assert_eq!(
        config.twilio.sync_interval,
        std::time::Duration::from_secs(30)
    );
    for bad in ["0", "-5", "86401"] {
        let problem = only(
            &with(&[(
                number,
                &format!("number = \"+18001234567\"\nsync_interval_seconds = {bad}"),
            )]),
            "twilio.sync_interval_seconds",
        );
        assert!(problem.message.contains(bad), "{problem:?}");
    }
}

#[test]
fn the_browser_token_lasts_an_hour_unless_set_within_twilios_limits() {
    let number = "number = \"+18001234567\"";
    assert_eq!(
        check(BASE).unwrap().twilio.token_ttl,
        std::time::Duration::from_secs(3600)
    );
    let config = check(&with(&[(
        number,
        "number = \"+18001234567\"\ntoken_ttl_seconds = 300",
    )]))
    .unwrap();
    assert_eq!(config.twilio.token_ttl, std::time::Duration::from_secs(300));
    for bad in ["29", "-1", "86401"] {
        let problem = only(
            &with(&[(
                number,
                &format!("number = \"+18001234567\"\ntoken_ttl_seconds = {bad}"),
            )]),
            "twilio.token_ttl_seconds",
        );
        assert!(problem.message.contains(bad), "{problem:?}");
    }
}

#[test]
fn the_base_configuration_is_valid_and_gets_the_defaults() {
    let config = check(BASE).unwrap();
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8000");
    assert_eq!(config.server.data_dir, PathBuf::from("./data"));
    assert!(!config.server.insecure_skip_signature);
    assert_eq!(config.twilio.api_base.as_str(), "https://api.twilio.com/");
    assert_eq!(
        config.twilio.sync_interval,
        std::time::Duration::from_secs(600)
    );
    assert_eq!(config.twilio.auth_token.expose(), "tok-SECRET-auth");
    assert_eq!(config.twilio.number.as_str(), "+18001234567");
    assert!(config.twilio.api_key.is_none() && config.twilio.app_sid.is_none());
    assert!(
        matches!(&config.devices["browser"], Device::Browser { identity, ignored } if identity == "vbx" && ignored.is_empty())
    );
    assert!(
        matches!(&config.devices["cell"], Device::Sms { number } if number.as_str() == "+18005555555")
    );
    let default = &config.calls[&Alias::parse("default").unwrap()];
    assert_eq!(
        default[0].action,
        Action::Device {
            devices: vec!["browser".into()],
            timeout: 30,
            ring: crate::config::Ring::First,
            bridge: Default::default(),
        }
    );
    assert_eq!(default[0].next, Alias::parse("phone"));
    assert_eq!(
        config.contacts[&PhoneNumber::parse("+18005555555").unwrap()],
        "BusinessName"
    );
}

#[test]
fn every_step_type_becomes_its_action() {
    let text = with(&[(
        r#"phone = [ { step = "dial", number = "+18005555555" } ]"#,
        r#"phone = [
  { step = "say", text = "Hi", voice = "Polly.Joanna", language = "en-GB", loop = 2 },
  { step = "say", text = "Bye" },
  { step = "play", url = "https://example.com/a.mp3", digits = "12#", loop = 0 },
  { step = "pause" },
  { step = "pause", length = 5 },
  { step = "record", max_length = 60, transcribe = true },
  { step = "dial", number = ["+18005555555", "+442079460958"], client = "alice", sip = "sip:a@example.com", timeout = 20 },
  { step = "dial", conference = "team" },
  { step = "message", text = "We missed you", to = "+18005555555" },
  { step = "reject", reason = "busy" },
  { step = "redirect", url = "https://example.com/twiml" },
  { step = "redirect", url = "other" },
  { step = "hangup" },
]
other = [ { step = "hangup" } ]"#,
    )]);
    let config = check(&text).unwrap();
    let steps: Vec<Action> = config.calls[&Alias::parse("phone").unwrap()]
        .iter()
        .map(|s| s.action.clone())
        .collect();
    let n = |s: &str| PhoneNumber::parse(s).unwrap();
    assert_eq!(
        steps,
        [
            Action::Say {
                text: "Hi".into(),
                voice: Voice::Polly("Joanna".into()),
                language: "en-GB".into(),
                loop_count: 2
            },
            Action::Say {
                text: "Bye".into(),
                voice: Voice::Woman,
                language: "en".into(),
                loop_count: 1
            },
            Action::Play {
                url: Some("https://example.com/a.mp3".into()),
                digits: Some("12#".into()),
                loop_count: 0
            },
            Action::Pause { length: 1 },
            Action::Pause { length: 5 },
            Action::Record {
                max_length: Some(60),
                transcribe: true
            },
            Action::Dial {
                numbers: vec![n("+18005555555"), n("+442079460958")],
                clients: vec!["alice".into()],
                conference: None,
                queue: None,
                sips: vec!["sip:a@example.com".into()],
                timeout: Some(20),
                bridge: Default::default(),
            },
            Action::Dial {
                numbers: vec![],
                clients: vec![],
                conference: Some("team".into()),
                queue: None,
                sips: vec![],
                timeout: None,
                bridge: Default::default(),
            },
            Action::Message {
                text: "We missed you".into(),
                to: Some(n("+18005555555"))
            },
            Action::Reject {
                reason: Some(RejectReason::Busy)
            },
            Action::Redirect {
                url: "https://example.com/twiml".into()
            },
            Action::Redirect {
                url: "other".into()
            },
            Action::Hangup,
        ]
    );
}

#[test]
fn an_unknown_step_type_is_reported_with_the_closest_one() {
    let p = only(
        &with(&[(r#"step = "dial""#, r#"step = "dail""#)]),
        "calls.phone[0].step",
    );
    assert!(p.message.contains("unknown step type `dail`"), "{p}");
    assert!(p.fix.contains("\"dial\""), "{p}");
}

#[test]
fn an_unknown_device_type_is_reported() {
    let p = only(
        &with(&[(r#"type = "sms""#, r#"type = "pager""#)]),
        "devices.cell.type",
    );
    assert!(p.message.contains("unknown device type `pager`"), "{p}");
}

#[test]
fn a_misspelt_key_in_a_step_or_device_is_reported_with_a_suggestion() {
    let text = with(&[
        (
            r#"devices = ["browser"], next"#,
            r#"devices = ["browser"], timout = 20, next"#,
        ),
        (
            r#"type = "sms", number"#,
            r#"type = "sms", numbr = "+18005555555", number"#,
        ),
    ]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(at(&problems, "calls.default[0].timout")
        .fix
        .contains("did you mean `timeout`"));
    assert!(at(&problems, "devices.cell.numbr")
        .fix
        .contains("did you mean `number`"));
}

#[test]
fn a_step_naming_an_unknown_device_is_reported_at_that_list_item() {
    let p = only(
        &with(&[(
            r#"devices = ["browser", "cell"]"#,
            r#"devices = ["browser", "cel"]"#,
        )]),
        "messages.default[0].devices[1]",
    );
    assert!(p.message.contains("no device `cel`"), "{p}");
    assert!(p.fix.contains("did you mean `cell`"), "{p}");
}

#[test]
fn next_and_redirect_to_a_missing_alias_are_reported() {
    let text = with(&[
        (r#"next = "phone""#, r#"next = "phon""#),
        (
            r#"{ step = "dial", number = "+18005555555" }"#,
            r#"{ step = "redirect", url = "voicemail" }"#,
        ),
    ]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(at(&problems, "calls.default[0].next")
        .fix
        .contains("did you mean `phone`"));
    assert!(at(&problems, "calls.phone[0].url")
        .message
        .contains("no calls flow `voicemail`"));
}

#[test]
fn a_redirect_to_an_alias_of_the_other_flow_table_is_reported() {
    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
        r#"default = [ { step = "redirect", url = "phone" } ]"#,
    )]);
    only(&text, "messages.default[0].url");
}

#[test]
fn a_next_cycle_is_reported_with_its_path() {
    let text = with(&[(
        r#"step = "dial", number = "+18005555555" }"#,
        r#"step = "dial", number = "+18005555555", next = "default" }"#,
    )]);
    let p = only(&text, "calls.default");
    assert!(p.message.contains("default → phone → default"), "{p}");
}

#[test]
fn a_redirect_to_itself_is_a_cycle() {
    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
        r#"default = [ { step = "redirect", url = "default" } ]"#,
    )]);
    assert!(only(&text, "messages.default")
        .message
        .contains("default → default"));
}

#[test]
fn a_call_step_in_a_message_flow_is_reported() {
    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
        r#"default = [ { step = "say", text = "hi" }, { step = "message", text = "Thanks" } ]"#,
    )]);
    let p = only(&text, "messages.default[0]");
    assert!(
        p.message
            .contains("a `say` step cannot run in a message flow"),
        "{p}"
    );
}

#[test]
fn a_device_that_cannot_take_calls_is_reported_in_a_call_flow() {
    let inbox = r#"cell = { type = "sms", number = "+18005555555" }
inbox = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "mail.example.com", smtp_port = 587 }"#;
    let p = only(
        &with(&[
            (r#"cell = { type = "sms", number = "+18005555555" }"#, inbox),
            (
                r#"devices = ["browser"], next"#,
                r#"devices = ["browser", "inbox"], next"#,
            ),
        ]),
        "calls.default[0].devices[1]",
    );
    assert!(
        p.message.contains("`inbox` (email) cannot take calls"),
        "{p}"
    );
    // An sms device is a phone: a call rings its number.
    let config = check(&with(&[(
        r#"devices = ["browser"], next"#,
        r#"devices = ["browser", "cell"], ring = "all", next"#,
    )]))
    .unwrap();
    let Action::Device { devices, ring, .. } =
        &config.calls[&Alias::parse("default").unwrap()][0].action
    else {
        panic!("not a device step");
    };
    assert_eq!((devices.len(), *ring), (2, crate::config::Ring::All));
    let p = only(
        &with(&[(
            r#"devices = ["browser"], next"#,
            r#"devices = ["browser"], ring = "everyone", next"#,
        )]),
        "calls.default[0].ring",
    );
    assert!(p.message.contains("not a way to ring"), "{p}");
}

#[test]
fn missing_default_flows_are_reported() {
    let text = with(&[
        (
            "default = [ { step = \"device\", devices = [\"browser\"], next",
            "main = [ { step = \"device\", devices = [\"browser\"], next",
        ),
        (
            "default = [ { step = \"device\", devices = [\"browser\", \"cell\"] } ]",
            "",
        ),
    ]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(at(&problems, "calls.default")
        .fix
        .contains("/flow/voice/default"));
    assert!(at(&problems, "messages.default")
        .fix
        .contains("/flow/msg/default"));
}

#[test]
fn malformed_numbers_are_reported_wherever_they_are() {
    let text = with(&[
        (r#"number = "+18001234567""#, r#"number = "18001234567""#),
        (
            r#"type = "browser" }"#,
            r#"type = "browser", ignored = ["+1 800"] }"#,
        ),
        (
            r#"type = "sms", number = "+18005555555""#,
            r#"type = "sms", number = "(800) 555-5555""#,
        ),
        (
            r#"step = "dial", number = "+18005555555""#,
            r#"step = "dial", number = ["+18005555555", "+0123"]"#,
        ),
        (
            r#"devices = ["browser", "cell"] }"#,
            r#"devices = ["browser", "cell"] }, { step = "message", text = "hi", to = "555" }"#,
        ),
        (
            r#""+18005555555" = "BusinessName""#,
            r#""+1800555555x" = "BusinessName""#,
        ),
    ]);
    let problems = problems(&text);
    let mut paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "calls.phone[0].number[1]",
            "contacts.\"+1800555555x\"",
            "devices.browser.ignored[0]",
            "devices.cell.number",
            "messages.default[1].to",
            "twilio.number",
        ]
    );
    assert!(
        at(&problems, "devices.cell.number")
            .fix
            .contains("\"+18005555555\""),
        "lenient parse suggests the E.164 form"
    );
}

#[test]
fn malformed_sids_are_reported() {
    let text = with(&[(
        r#"account_sid = "AC0123456789abcdef0123456789abcdef""#,
        "account_sid = \"SK0123456789abcdef0123456789abcdef\"\napi_key = \"SKnope\"\napi_secret = \"x-SECRET-api\"\napp_sid = \"AC0123456789abcdef0123456789abcdef\"",
    )]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    assert!(at(&problems, "twilio.account_sid")
        .message
        .contains("account SID"));
    at(&problems, "twilio.api_key");
    at(&problems, "twilio.app_sid");
}

#[test]
fn a_missing_auth_token_says_where_it_can_come_from() {
    let p = only(
        &with(&[("auth_token = \"tok-SECRET-auth\"\n", "")]),
        "twilio.auth_token",
    );
    assert_eq!(
        p.fix,
        "set `twilio.auth_token`, `twilio.auth_token_file` or VBX_TWILIO_AUTH_TOKEN"
    );
}

#[test]
fn an_api_key_needs_its_secret_and_a_secret_needs_its_key() {
    let key = "api_key = \"SK0123456789abcdef0123456789abcdef\"\n";
    let p = only(
        &with(&[("[twilio]\n", &format!("[twilio]\n{key}"))]),
        "twilio.api_secret",
    );
    assert!(p.fix.contains("VBX_TWILIO_API_SECRET"), "{p}");
    let p = only(
        &with(&[("[twilio]\n", "[twilio]\napi_secret = \"x-SECRET-api\"\n")]),
        "twilio.api_key",
    );
    assert!(p.message.contains("`api_key` is missing"), "{p}");
    let both = with(&[(
        "[twilio]\n",
        &format!("[twilio]\n{key}api_secret = \"x-SECRET-api\"\n"),
    )]);
    assert_eq!(
        check(&both).unwrap().twilio.api_secret.unwrap().expose(),
        "x-SECRET-api"
    );
}

#[test]
fn devices_get_their_defaults_and_need_their_secrets() {
    let text = with(&[(
        "cell = {",
        r#"jab = { type = "xmpp", component = "sms.example.com", secret = "c-SECRET-x", server = "localhost", target = "me@example.com" }
mail = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "smtp.example.com" }
tls = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "smtp.example.com", security = "tls", username = "u", password = "p-SECRET-x" }
plain = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "localhost", security = "none" }
cell = {"#,
    )]);
    let config = check(&text).unwrap();
    let Device::Xmpp(x) = &config.devices["jab"] else {
        panic!()
    };
    assert_eq!((x.port, x.secret.expose()), (5347, "c-SECRET-x"));
    let Device::Email(mail) = &config.devices["mail"] else {
        panic!()
    };
    assert_eq!(
        (mail.security, mail.smtp_port, mail.username.is_none()),
        (SmtpSecurity::StartTls, 587, true)
    );
    let Device::Email(tls) = &config.devices["tls"] else {
        panic!()
    };
    assert_eq!((tls.security, tls.smtp_port), (SmtpSecurity::Tls, 465));
    assert_eq!(
        tls.password.as_ref().map(|p| p.expose()),
        Some("p-SECRET-x")
    );
    let Device::Email(plain) = &config.devices["plain"] else {
        panic!()
    };
    assert_eq!((plain.security, plain.smtp_port), (SmtpSecurity::None, 25));

    let missing = with(&[(
        "cell = {",
        r#"jab = { type = "xmpp", component = "sms.example.com", server = "localhost", target = "me@example.com" }
mail = { type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "smtp.example.com", username = "u" }
cell = {"#,
    )]);
    let problems = problems(&missing);
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert_eq!(
        at(&problems, "devices.jab.secret").fix,
        "set `devices.jab.secret`, `devices.jab.secret_file` or VBX_DEVICE_JAB_SECRET"
    );
    assert!(at(&problems, "devices.mail.password")
        .fix
        .contains("VBX_DEVICE_MAIL_PASSWORD"));
}

#[test]
fn email_addresses_cannot_carry_extra_headers() {
    let text = with(&[(
        "cell = {",
        "mail = { type = \"email\", from = \"vbx@example.com\\nBcc: x@evil.example\", to = \"me@example.com\", smtp_host = \"localhost\" }\ncell = {",
    )]);
    only(&text, "devices.mail.from");
}

#[test]
fn public_url_must_be_plain_http_or_https() {
    for bad in [
        "ftp://vbx.example.com",
        "vbx.example.com",
        "https://vbx.example.com/?a=1",
        "https://vbx.example.com/#x",
        "https://u:p@vbx.example.com",
    ] {
        let text = with(&[("https://vbx.example.com\"", &format!("{bad}\""))]);
        only(&text, "server.public_url");
    }
    let config = check(&with(&[(
        "https://vbx.example.com\"",
        "https://example.com/vbx/\"",
    )]))
    .unwrap();
    assert_eq!(
        config.server.url_for("/flow/voice/default"),
        "https://example.com/vbx/flow/voice/default"
    );
    let config = check(BASE).unwrap();
    assert_eq!(
        config.server.url_for("/flow/msg/default"),
        "https://vbx.example.com/flow/msg/default"
    );
}

#[test]
fn a_listen_address_that_does_not_parse_is_reported() {
    let p = only(
        &with(&[("[server]\n", "[server]\nlisten = \"localhost:80\"\n")]),
        "server.listen",
    );
    assert!(p.message.contains("`localhost:80`"), "{p}");
}

#[test]
fn bad_alias_and_device_names_are_reported() {
    let text = with(&[
        ("phone = [", "\"my phone\" = ["),
        (r#"next = "phone""#, r#"next = "my phone""#),
        ("cell = {", "\"my cell\" = {"),
        (r#""browser", "cell"]"#, r#""browser", "my cell"]"#),
    ]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 3, "{problems:#?}");
    at(&problems, "calls.\"my phone\"");
    at(&problems, "calls.default[0].next");
    at(&problems, "devices.\"my cell\"");
}

#[test]
fn values_of_the_wrong_type_are_reported_by_path() {
    let text = with(&[
        (
            r#"devices = ["browser"], next"#,
            r#"devices = "browser", next"#,
        ),
        (
            r#"{ step = "dial", number = "+18005555555" }"#,
            r#"{ step = "dial", number = "+18005555555", timeout = "20" }"#,
        ),
        (
            r#""+18005555555" = "BusinessName""#,
            r#""+18005555555" = 42"#,
        ),
        (
            r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
            r#"default = { step = "device" }"#,
        ),
    ]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    let p = at(&problems, "calls.default[0].devices");
    assert!(
        p.message
            .contains("expected a list of strings, found a string"),
        "{p}"
    );
    assert!(p.fix.contains(r#"devices = ["browser"]"#), "{p}");
    assert!(at(&problems, "calls.phone[0].timeout")
        .message
        .contains("a whole number"));
    at(&problems, "contacts.\"+18005555555\"");
    assert!(at(&problems, "messages.default")
        .message
        .contains("a list of steps"));
}

#[test]
fn zero_and_absurd_numbers_are_reported() {
    let text = with(&[
        (
            r#"devices = ["browser"], next"#,
            r#"devices = ["browser"], timeout = 0, next"#,
        ),
        (
            r#"{ step = "dial", number = "+18005555555" }"#,
            r#"{ step = "dial", number = "+18005555555", timeout = 601 }, { step = "say", text = "x", loop = 1001 }, { step = "pause", length = 0 }, { step = "play", digits = "1", loop = -1 }"#,
        ),
    ]);
    let problems = problems(&text);
    let mut paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "calls.default[0].timeout",
            "calls.phone[0].timeout",
            "calls.phone[1].loop",
            "calls.phone[2].length",
            "calls.phone[3].loop"
        ]
    );
    assert!(at(&problems, "calls.phone[0].timeout")
        .fix
        .contains("from 1 to 600"));
}

#[test]
fn steps_missing_what_they_act_on_are_reported() {
    let text = with(&[(
        r#"{ step = "dial", number = "+18005555555" }"#,
        r#"{ step = "dial" }, { step = "dial", number = "+18005555555", queue = "q" }, { step = "play" }, { step = "say" }, { step = "say", text = "x", voice = "robot" }, { step = "reject", reason = "nope" }, { step = "device", devices = [] }"#,
    )]);
    let problems = problems(&text);
    assert_eq!(problems.len(), 7, "{problems:#?}");
    assert!(at(&problems, "calls.phone[0]")
        .message
        .contains("nothing to dial"));
    assert!(at(&problems, "calls.phone[1]")
        .message
        .contains("number and queue"));
    assert!(at(&problems, "calls.phone[2]")
        .message
        .contains("nothing to play"));
    at(&problems, "calls.phone[3].text");
    at(&problems, "calls.phone[4].voice");
    at(&problems, "calls.phone[5].reason");
    at(&problems, "calls.phone[6].devices");
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = with(&[
        ("[server]\n", "[server]\nlisten = \"nowhere\"\n"),
        (
            r#"account_sid = "AC0123456789abcdef0123456789abcdef""#,
            r#"account_sid = "AC1""#,
        ),
        (r#"type = "sms""#, r#"type = "pager""#),
        (r#"next = "phone""#, r#"next = "nowhere""#),
        (r#"step = "dial""#, r#"step = "dail""#),
        (
            r#""+18005555555" = "BusinessName""#,
            r#""555" = "BusinessName""#,
        ),
    ]);
    let problems = problems(&text);
    let mut paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "calls.default[0].next",
            "calls.phone[0].step",
            "contacts.555",
            "devices.cell.type",
            "server.listen",
            "twilio.account_sid",
        ]
    );
}

mod auth;
mod hours;
mod menu;
mod output;
mod voicemail;
