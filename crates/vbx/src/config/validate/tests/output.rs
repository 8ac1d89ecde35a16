//! What validate() shows: problems with path, message and fix, a summary, never a secret.

use super::*;

#[test]
fn secrets_never_appear_in_problems_or_debug_output() {
    let secrets = [
        "tok-SECRET-auth",
        "x-SECRET-api",
        "c-SECRET-x",
        "p-SECRET-x",
    ];
    let text = with(&[
        ("[twilio]\n", "[twilio]\napi_key = \"SKbad\"\napi_secret = \"x-SECRET-api\"\napi_secret_file = \"/nonexistent/api-secret\"\n"),
        (
            "cell = {",
            r#"jab = { type = "xmpp", component = "a b", secret = "c-SECRET-x", secret_file = 3, server = "", target = "nobody" }
mail = { type = "email", from = "x", to = "y", smtp_host = "h", password = "p-SECRET-x", pasword = "p-SECRET-x" }
cell = {"#,
        ),
        ("auth_token = \"tok-SECRET-auth\"", "auth_token = \" tok-SECRET-auth\""),
    ]);
    let problems = problems(&text);
    assert!(problems.len() >= 8, "{problems:#?}");
    let shown = format!("{problems:?}\n{}", LoadError::Invalid(problems.clone()));
    for secret in secrets {
        assert!(!shown.contains(secret), "{secret} leaked in:\n{shown}");
    }
    let config = check(&with(&[("cell = {", "jab = { type = \"xmpp\", component = \"c.example.com\", secret = \"c-SECRET-x\", server = \"h\", target = \"a@b.example\" }\ncell = {")])).unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("tok-SECRET-auth") && !debug.contains("c-SECRET-x"),
        "{debug}"
    );
}

#[test]
fn problems_print_path_message_and_fix() {
    let p = Problem::new(
        "calls.default[0].devices[1]",
        "there is no device `x`",
        "add it under [devices]",
    );
    assert_eq!(
        p.to_string(),
        "calls.default[0].devices[1]: there is no device `x` — add it under [devices]"
    );
}

#[test]
fn the_summary_shows_the_flow_graph_devices_number_and_contacts() {
    let text = with(&[(
        r#"phone = [ { step = "dial", number = "+18005555555" } ]"#,
        r#"phone = [ { step = "say", text = "Connecting you" }, { step = "dial", number = "+18005555555" } ]
orphan = [ { step = "hangup" } ]"#,
    )]);
    let summary = summary(&check(&text).unwrap());
    for line in [
        "number: +18001234567",
        "voice URL: https://vbx.example.com/flow/voice/default",
        "messaging URL: https://vbx.example.com/flow/msg/default",
        "  browser: browser (client identity vbx)",
        "  cell: sms +18005555555",
        "  calls.default: device(browser) → next phone",
        "  calls.phone: say(\"Connecting you\", woman, en); dial(+18005555555)",
        "  calls.orphan: hangup  (not reachable from default)",
        "  messages.default: device(browser, cell)",
        "contacts: 1",
    ] {
        assert!(
            summary.lines().any(|l| l == line),
            "missing {line:?} in:\n{summary}"
        );
    }
    assert!(
        summary.contains("api_key"),
        "the browser needs an API key note:\n{summary}"
    );
    assert!(!summary.contains("tok-SECRET-auth"));
}
