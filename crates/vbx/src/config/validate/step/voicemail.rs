//! The `voicemail` step: a greeting, a recording, and the devices told about it.

use super::{said_or_played, Ctx, Links, Table, MAX_RECORDING};
use crate::config::validate::value::suggest;
use crate::config::{Action, Device, Prompt, Voicemail};

/// `greeting` or `greeting_url`, `max_length`, `transcribe`, `notify` (sms, email and xmpp
/// devices).
pub(super) fn voicemail(cx: &mut Ctx, t: Table<'_>, links: &Links<'_>) -> Option<Action> {
    cx.unknown_keys(
        t,
        &[
            "step",
            "next",
            "greeting",
            "greeting_url",
            "max_length",
            "transcribe",
            "notify",
        ],
        "a `voicemail` step",
    );
    let greeting = said_or_played(
        cx,
        t,
        "a `voicemail` step",
        (
            "greeting",
            "greeting = \"Please leave a message after the tone.\"",
        ),
        (
            "greeting_url",
            "greeting_url = \"https://example.com/greeting.mp3\"",
        ),
    )
    .ok()?
    .unwrap_or_else(|| Prompt::Say(Voicemail::DEFAULT_GREETING.to_owned()));
    let max_length = cx
        .integer(t, "max_length", 1..=MAX_RECORDING)
        .unwrap_or(Voicemail::DEFAULT_MAX_LENGTH);
    let transcribe = cx.boolean(t, "transcribe").unwrap_or(false);
    let names = cx
        .string_list(t, "notify", false, "notify = [\"cell\", \"inbox\"]")
        .unwrap_or_default();
    let mut notify = Vec::with_capacity(names.len());
    for (path, name) in names {
        match links.devices.get(&name) {
            None => {
                let known: Vec<&str> = links.devices.keys().map(String::as_str).collect();
                let fix = match suggest(&name, &known) {
                    Some(close) => format!("did you mean `{close}`? Or add it under [devices]"),
                    None => "name an sms, email or xmpp device from [devices]".to_owned(),
                };
                cx.problem(path, format!("there is no device `{name}`"), fix);
            }
            Some(Some(Device::Browser { .. })) => cx.problem(
                path,
                format!("device `{name}` (browser) cannot be sent a voicemail notice"),
                "name sms, email or xmpp devices; the app shows new voicemails by itself",
            ),
            // `None`: the device itself is wrong, which is reported where it is defined.
            Some(_) => notify.push(name),
        }
    }
    Some(Action::Voicemail(Box::new(Voicemail {
        greeting,
        max_length,
        transcribe,
        notify,
    })))
}
