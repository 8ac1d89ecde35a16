//! Converting old flow files: the shipped example, every class with positional and keyword
//! arguments, device naming, string escaping, and errors that point at the line and column.

use std::path::PathBuf;

use proptest::prelude::*;

use super::*;
use crate::config::{load_str, Action, Alias, Config, Device, Overrides};

/// `shared/` beside the repository (`/work/shared` here, `<clone>/../shared` in CI).
fn shared_dir() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("shared"))
        .find(|dir| dir.join("DESIGN.md").is_file())
        .unwrap_or_else(|| {
            panic!(
                "no shared/DESIGN.md in any ancestor of {}: the shared directory is expected beside the \
                 repository clone (../shared)",
                manifest.display()
            )
        })
}

fn load(toml: &str) -> Config {
    load_str(toml, &Overrides::default(), &|_| None).unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

fn parsed(toml: &str) -> toml::Table {
    toml::from_str(toml).unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

/// A complete old file with these call and message flow lists for `default`.
fn old_file(calls: &str, messages: &str) -> String {
    format!(
        "import vbx.devices\nimport vbx.flows\n\
         auth = ('AC0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef')\n\
         number = '+18001234567'\n\
         calls = {{'default': [{calls}], 'other': [vbx.flows.Hangup()]}}\n\
         messages = {{'default': [{messages}], 'other': []}}\n"
    )
}

/// The converted step table of `calls.default[0]`.
fn call_step(flow: &str) -> toml::Value {
    let toml = convert(&old_file(flow, "vbx.flows.Message('hi')")).unwrap();
    load(&toml);
    parsed(&toml)["calls"]["default"][0].clone()
}

fn err(source: &str) -> (usize, usize, String) {
    let e = convert(source).unwrap_err();
    (e.line, e.column, e.message)
}

#[test]
fn the_old_programs_example_converts_to_a_valid_equivalent_config() {
    let path = shared_dir().join("legacy/flows-example.py");
    let source =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let toml = convert(&source).unwrap();
    let config = load(&toml);

    assert_eq!(
        config.twilio.account_sid.as_str(),
        "AC0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        config.twilio.auth_token.expose(),
        "0123456789abcdef0123456789abcdef"
    );
    assert_eq!(
        config.twilio.app_sid.as_ref().map(|s| s.as_str()),
        Some("AP0123456789abcdef0123456789abcdef")
    );
    assert_eq!(config.twilio.number.as_str(), "+18001234567");
    assert_eq!(config.server.listen.to_string(), "127.0.0.1:8000");
    assert_eq!(config.server.public_url.as_str(), "http://127.0.0.1:8000/");

    assert_eq!(config.devices.len(), 2);
    assert!(
        matches!(&config.devices["browser"], Device::Browser { ignored, .. } if ignored.is_empty())
    );
    assert!(
        matches!(&config.devices["cell"], Device::Sms { number } if number.as_str() == "+18005555555")
    );

    let alias = |a: &str| Alias::parse(a).unwrap();
    let default = &config.calls[&alias("default")];
    assert_eq!(default.len(), 1);
    assert_eq!(
        default[0].action,
        Action::Device {
            devices: vec!["browser".into()],
            timeout: 30,
            ring: crate::config::Ring::First,
            bridge: Default::default(),
        }
    );
    assert_eq!(default[0].next, Some(alias("phone")));
    let phone = &config.calls[&alias("phone")];
    assert!(
        matches!(&phone[0].action, Action::Dial { numbers, .. } if numbers[0].as_str() == "+18005555555")
    );
    assert_eq!(
        config.messages[&alias("default")][0].action,
        Action::Device {
            devices: vec!["browser".into(), "cell".into()],
            timeout: 30,
            ring: crate::config::Ring::First,
            bridge: Default::default(),
        }
    );
    assert_eq!(config.contacts.len(), 1);
    assert_eq!(
        config.contacts.values().next().map(String::as_str),
        Some("BusinessName")
    );
    assert!(
        toml.contains("# Set public_url to the URL Twilio uses"),
        "{toml}"
    );
}

#[test]
fn every_flow_class_reads_positional_and_keyword_arguments_alike() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "vbx.flows.Device([vbx.devices.Browser()], 'other')",
            "vbx.flows.Device(devices=[vbx.devices.Browser()], next='other')",
            r#"{ step = "device", devices = ["browser"], next = "other" }"#,
        ),
        (
            "vbx.flows.Dial('+18005555555', 'alice', None, None, 'sip:a@example.com')",
            "vbx.flows.Dial(number='+18005555555', client='alice', sip='sip:a@example.com')",
            r#"{ step = "dial", number = "+18005555555", client = "alice", sip = "sip:a@example.com" }"#,
        ),
        (
            "vbx.flows.Dial(None, None, 'team')",
            "vbx.flows.Dial(conference='team')",
            r#"{ step = "dial", conference = "team" }"#,
        ),
        (
            "vbx.flows.Dial(None, None, None, 'support', None, 'other')",
            "vbx.flows.Dial(queue='support', next='other')",
            r#"{ step = "dial", queue = "support", next = "other" }"#,
        ),
        (
            "vbx.flows.Dial(['+18005555555', '+18005555556'])",
            "vbx.flows.Dial(number=('+18005555555', '+18005555556'))",
            r#"{ step = "dial", number = ["+18005555555", "+18005555556"] }"#,
        ),
        (
            "vbx.flows.Hangup()",
            "vbx.flows.Hangup(next=None)",
            r#"{ step = "hangup" }"#,
        ),
        (
            "vbx.flows.Message('Sorry', '+18005555555')",
            "vbx.flows.Message(message='Sorry', to='+18005555555')",
            r#"{ step = "message", text = "Sorry", to = "+18005555555" }"#,
        ),
        (
            "vbx.flows.Pause(3)",
            "vbx.flows.Pause(length=3)",
            r#"{ step = "pause", length = 3 }"#,
        ),
        (
            "vbx.flows.Play('https://example.com/a.mp3', None, 2)",
            "vbx.flows.Play(url='https://example.com/a.mp3', loop=2)",
            r#"{ step = "play", url = "https://example.com/a.mp3", loop = 2 }"#,
        ),
        (
            "vbx.flows.Play(None, '1234')",
            "vbx.flows.Play(digits='1234')",
            r#"{ step = "play", digits = "1234", loop = 1 }"#,
        ),
        (
            "vbx.flows.Record('other')",
            "vbx.flows.Record(next='other')",
            r#"{ step = "record", next = "other" }"#,
        ),
        (
            "vbx.flows.Redirect('other')",
            "vbx.flows.Redirect(url='other')",
            r#"{ step = "redirect", url = "other" }"#,
        ),
        (
            "vbx.flows.Reject('busy')",
            "vbx.flows.Reject(reason='busy')",
            r#"{ step = "reject", reason = "busy" }"#,
        ),
        (
            "vbx.flows.Reject()",
            "vbx.flows.Reject(reason=None)",
            r#"{ step = "reject" }"#,
        ),
        (
            "vbx.flows.Say('Hello', 'man', 'en-GB', 2, 'other')",
            "vbx.flows.Say(text='Hello', voice='man', language='en-GB', loop=2, next='other')",
            r#"{ step = "say", text = "Hello", voice = "man", language = "en-GB", loop = 2, next = "other" }"#,
        ),
        (
            "vbx.flows.Say('Hello')",
            "vbx.flows.Say(text='Hello')",
            r#"{ step = "say", text = "Hello", voice = "woman", language = "en", loop = 1 }"#,
        ),
    ];
    for (positional, keyword, expected) in cases {
        let expected: toml::Value = parsed(&format!("x = {expected}"))["x"].clone();
        assert_eq!(call_step(positional), expected, "{positional}");
        assert_eq!(call_step(keyword), expected, "{keyword}");
    }
}

#[test]
fn every_device_class_reads_positional_and_keyword_arguments_alike() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "vbx.devices.Browser(['+18005550000'])",
            "vbx.devices.Browser(ignored=['+18005550000'])",
            r#"{ type = "browser", ignored = ["+18005550000"] }"#,
        ),
        ("vbx.devices.SMS('+18005555555')", "vbx.devices.SMS(number='+18005555555')", r#"{ type = "sms", number = "+18005555555" }"#),
        (
            "vbx.devices.Email('vbx@example.com', 'me@example.com')",
            "vbx.devices.Email(from_='vbx@example.com', to='me@example.com')",
            r#"{ type = "email", from = "vbx@example.com", to = "me@example.com", smtp_host = "localhost", security = "none" }"#,
        ),
        (
            "vbx.devices.XMPP('sms.example.com', 's3cret', 'localhost', 5347, 'me@example.com')",
            "vbx.devices.XMPP(jid='sms.example.com', secret='s3cret', server='localhost', port=5347, target='me@example.com')",
            r#"{ type = "xmpp", component = "sms.example.com", secret = "s3cret", server = "localhost", port = 5347, target = "me@example.com" }"#,
        ),
    ];
    for (positional, keyword, expected) in cases {
        let expected: toml::Value = parsed(&format!("x = {expected}"))["x"].clone();
        for source in [positional, keyword] {
            let toml = convert(&old_file(
                "vbx.flows.Hangup()",
                &format!("vbx.flows.Device([{source}])"),
            ))
            .unwrap();
            load(&toml);
            let devices = parsed(&toml)["devices"].as_table().unwrap().clone();
            assert_eq!(devices.len(), 1, "{toml}");
            assert_eq!(devices.values().next(), Some(&expected), "{source}");
        }
    }
}

#[test]
fn identical_device_instances_share_a_name_and_others_are_numbered() {
    let toml = convert(&old_file(
        "vbx.flows.Device([vbx.devices.Browser()])",
        "vbx.flows.Device([vbx.devices.Browser(), vbx.devices.SMS('+18005555555'), vbx.devices.SMS('+18005555556')]), \
         vbx.flows.Device([vbx.devices.SMS(number='+18005555556'), vbx.devices.SMS('+18005555557')])",
    ))
    .unwrap();
    let config = load(&toml);
    let names: Vec<&str> = config.devices.keys().map(String::as_str).collect();
    assert_eq!(names, ["browser", "cell", "cell2", "cell3"]);
    let steps = &config.messages[&Alias::parse("default").unwrap()];
    assert_eq!(
        steps[1].action,
        Action::Device {
            devices: vec!["cell2".into(), "cell3".into()],
            timeout: 30,
            ring: crate::config::Ring::First,
            bridge: Default::default(),
        }
    );
}

#[test]
fn strings_with_quotes_backslashes_and_unicode_survive_conversion() {
    let text = "She said \"hi\" & it's a \\path\\ — 日本 😀\tend\u{7f}";
    let python = format!(
        "'{}'",
        text.replace('\\', "\\\\")
            .replace('\'', "\\'")
            .replace('\t', "\\t")
            .replace('\u{7f}', "\\x7f")
    );
    let toml = convert(&old_file(
        &format!("vbx.flows.Say({python})"),
        &format!("vbx.flows.Message(\"\"\"{text}\"\"\")").replace('\\', "\\\\"),
    ))
    .unwrap();
    let table = parsed(&toml);
    assert_eq!(table["calls"]["default"][0]["text"].as_str(), Some(text));
    assert_eq!(table["messages"]["default"][0]["text"].as_str(), Some(text));
    let contacts = convert("contacts = {'+18005555555': 'O\\'Brien \"Bob\" \\\\ é'}").unwrap();
    assert_eq!(
        parsed(&contacts)["contacts"]["+18005555555"].as_str(),
        Some("O'Brien \"Bob\" \\ é")
    );
}

/// `value` as a Python string literal, escaping the way `repr` does and more.
fn python_literal(value: &str, quote: char) -> String {
    let mut out = String::from(quote);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

proptest! {
    #[test]
    fn any_python_string_reaches_the_toml_unchanged(s in any::<String>(), double in any::<bool>()) {
        let literal = python_literal(&s, if double { '"' } else { '\'' });
        let toml = convert(&format!("contacts = {{'+18005555555': {literal}}}\n")).unwrap();
        let table = parsed(&toml);
        prop_assert_eq!(table["contacts"]["+18005555555"].as_str(), Some(s.as_str()));
    }

    #[test]
    fn converting_arbitrary_text_returns_rather_than_panics(s in "[ -~\n\t]{0,200}") {
        if let Err(e) = convert(&s) {
            prop_assert!(e.line >= 1 && e.column >= 1);
        }
    }

    #[test]
    fn any_string_round_trips_through_the_toml_writer(s in any::<String>()) {
        // In separate tables: the string "k" as a key must not collide with the value's key.
        let table = parsed(&format!(
            "[value]\nk = {}\n[keys]\n{} = 1",
            toml_str(&s),
            toml_key(&s)
        ));
        prop_assert_eq!(table["value"]["k"].as_str(), Some(s.as_str()));
        prop_assert!(table["keys"].as_table().is_some_and(|keys| keys.contains_key(&s)));
    }
}

#[test]
fn strings_that_are_also_the_test_tables_keys_round_trip() {
    // "k" once collided with the round-trip property's own key and failed it.
    for s in ["k", "value", "keys", "", "[keys]"] {
        let table = parsed(&format!(
            "[value]\nk = {}\n[keys]\n{} = 1",
            toml_str(s),
            toml_key(s)
        ));
        assert_eq!(table["value"]["k"].as_str(), Some(s));
        assert!(table["keys"].as_table().unwrap().contains_key(s), "{s:?}");
    }
}

#[test]
fn adjacent_literals_and_triple_quotes_read_as_python_does() {
    let toml = convert(&old_file(
        "vbx.flows.Say('Hello, '\n    \"world\")",
        "vbx.flows.Message('''multi\nline''')",
    ))
    .unwrap();
    let table = parsed(&toml);
    assert_eq!(
        table["calls"]["default"][0]["text"].as_str(),
        Some("Hello, world")
    );
    assert_eq!(
        table["messages"]["default"][0]["text"].as_str(),
        Some("multi\nline")
    );
}

#[test]
fn a_repeated_key_or_setting_keeps_the_last_value_as_python_does() {
    let toml = convert("number = '+1'\ncontacts = {'+18005555555': 'A', '+18005555556': 'B', '+18005555555': 'C'}\nnumber = '+18001234567'\n").unwrap();
    let table = parsed(&toml);
    assert_eq!(table["twilio"]["number"].as_str(), Some("+18001234567"));
    let contacts: Vec<(&String, &toml::Value)> =
        table["contacts"].as_table().unwrap().iter().collect();
    assert_eq!(contacts.len(), 2);
    assert_eq!(table["contacts"]["+18005555555"].as_str(), Some("C"));
}

#[test]
fn calling_anything_else_is_refused_at_its_position() {
    let (line, column, message) =
        err("import vbx.flows\n\ncalls = {'default': [os.system('rm -rf /')]}\n");
    assert_eq!((line, column), (3, 22));
    assert!(message.contains("`os` is not assigned above"), "{message}");
    let (line, column, message) = err("import os\n");
    assert_eq!((line, column), (1, 8));
    assert!(message.contains("import os"), "{message}");
    let (line, column, message) = err("calls = {'default': [vbx.flows.Ring()]}");
    assert_eq!((line, column), (1, 22));
    assert!(
        message.contains("`vbx.flows.Ring` is not a class"),
        "{message}"
    );
}

#[test]
fn f_strings_are_refused_at_their_position() {
    let (line, column, message) = err("number = '+1'\ncontacts = {'+18005555555': f'{number}'}\n");
    assert_eq!((line, column), (2, 29));
    assert!(message.contains("f-strings are not supported"), "{message}");
}

#[test]
fn arithmetic_is_refused_at_the_operator() {
    let (line, column, message) = err("calls = {'default': [vbx.flows.Pause(1 + 2)]}");
    assert_eq!((line, column), (1, 40));
    assert!(message.contains("operators are not supported"), "{message}");
    let (line, column, _) = err("number = '+1800' + '1234567'");
    assert_eq!((line, column), (1, 18));
}

#[test]
fn wrong_arguments_are_refused_at_their_position() {
    let (line, column, message) =
        err("calls = {'default': [\n    vbx.flows.Say('hi', colour='red')]}");
    assert_eq!((line, column), (2, 25));
    assert!(
        message.contains("`Say` has no argument `colour`"),
        "{message}"
    );
    assert!(
        message.contains("text, voice, language, loop, next"),
        "{message}"
    );
    let (_, column, message) = err("calls = {'default': [vbx.flows.Pause(1, 'x', 'y')]}");
    assert_eq!(column, 46);
    assert!(message.contains("at most 2 arguments"), "{message}");
    let (_, column, message) = err("calls = {'default': [vbx.flows.Say()]}");
    assert_eq!(column, 22);
    assert!(message.contains("`Say` needs `text`"), "{message}");
    let (_, _, message) = err("calls = {'default': [vbx.flows.Say('a', text='b')]}");
    assert!(message.contains("given twice"), "{message}");
    let (_, column, message) = err("calls = {'default': [vbx.flows.Pause('3')]}");
    assert_eq!(column, 38);
    assert!(message.contains("whole number"), "{message}");
    let (_, column, message) = err("messages = {'default': [vbx.devices.SMS('+18005555555')]}");
    assert_eq!(column, 25);
    assert!(message.contains("is a device, not a step"), "{message}");
    let (_, _, message) = err("messages = {'default': [vbx.flows.Device(vbx.devices.Browser())]}");
    assert!(message.contains("must be a list"), "{message}");
}

#[test]
fn an_unterminated_string_is_refused_at_its_start() {
    let (line, column, message) = err("import vbx\napp = 'AP0123\nnumber = '+1'\n");
    assert_eq!((line, column), (2, 7));
    assert!(message.contains("unterminated string"), "{message}");
}

#[test]
fn settings_of_the_wrong_shape_are_refused() {
    assert_eq!(err("auth = 'AC1'").1, 8);
    assert_eq!(err("auth = ('AC1', 2)").1, 16);
    assert_eq!(err("calls = []").1, 9);
    assert_eq!(err("calls = {'default': vbx.flows.Hangup()}").1, 21);
    assert_eq!(err("contacts = {1: 'x'}").1, 13);
}

#[test]
fn a_device_bound_to_a_name_converts_as_if_written_inline() {
    let named = convert(
        "import vbx.flows, vbx.devices\n\
         auth = ('AC0123456789abcdef0123456789abcdef', 'token')\n\
         number = '+18001234567'\n\
         cell = vbx.devices.SMS(number='+15550001111')\n\
         browser = vbx.devices.Browser()\n\
         calls = {'default': [vbx.flows.Device(devices=[browser, cell])]}\n\
         messages = {'default': [vbx.flows.Device(devices=[cell])]}\n",
    )
    .unwrap();
    let inline = convert(
        "import vbx.flows, vbx.devices\n\
         auth = ('AC0123456789abcdef0123456789abcdef', 'token')\n\
         number = '+18001234567'\n\
         calls = {'default': [vbx.flows.Device(devices=[vbx.devices.Browser(), \
           vbx.devices.SMS(number='+15550001111')])]}\n\
         messages = {'default': [vbx.flows.Device(devices=[vbx.devices.SMS(number='+15550001111')])]}\n",
    )
    .unwrap();
    assert_eq!(named, inline);
    assert!(named.contains("+15550001111"), "{named}");
}
