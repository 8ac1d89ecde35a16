//! `[calls]` and `[messages]`: alias → steps, the links between aliases (`next`, redirect)
//! and the cycles they must not form.

use std::collections::{BTreeMap, BTreeSet};

use toml::Value;
use twilio::twiml::{RejectReason, Voice};

use super::phone;
use super::value::{http_url, is_client_identity, join, suggest, Ctx, Table};
use crate::config::{hours, Action, Alias, Bridge, Device, Prompt, Ring, Step};

mod menu;
mod voicemail;

use menu::menu;
use voicemail::voicemail;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Calls,
    Messages,
}

impl Flow {
    pub fn key(self) -> &'static str {
        match self {
            Flow::Calls => "calls",
            Flow::Messages => "messages",
        }
    }

    fn webhook(self) -> &'static str {
        match self {
            Flow::Calls => "/flow/voice/default",
            Flow::Messages => "/flow/msg/default",
        }
    }
}

const STEPS: &[&str] = &[
    "device",
    "dial",
    "hangup",
    "hours",
    "menu",
    "message",
    "pause",
    "play",
    "record",
    "redirect",
    "reject",
    "say",
    "voicemail",
];

/// The longest a call may ring or a pause may last, in seconds (Twilio's `<Dial timeout>` cap).
const MAX_SECONDS: u32 = 600;
/// Twilio's largest `loop`.
const MAX_LOOP: u32 = 1000;
/// Twilio's longest recording, in seconds.
const MAX_RECORDING: u32 = 14_400;
/// Twilio's longest message body.
const MAX_TEXT: usize = 1600;
/// The longest a menu waits for a key, in seconds.
const MAX_GATHER_WAIT: u32 = 60;
/// The most times a menu asks again.
const MAX_REPEAT: u32 = 10;

/// Where the steps of one flow table may point.
struct Links<'a> {
    flow: Flow,
    /// Every key of the table, valid alias or not, so that a bad name is reported once.
    aliases: BTreeSet<&'a str>,
    devices: &'a BTreeMap<String, Option<Device>>,
    /// Alias → aliases it can send the call to; for cycle detection.
    edges: BTreeMap<Alias, BTreeSet<Alias>>,
}

pub(super) fn flows(
    cx: &mut Ctx,
    flow: Flow,
    raw: &toml::Table,
    devices: &BTreeMap<String, Option<Device>>,
) -> Option<BTreeMap<Alias, Vec<Step>>> {
    let before = cx.problems.len();
    let mut links = Links {
        flow,
        aliases: raw.keys().map(String::as_str).collect(),
        devices,
        edges: BTreeMap::new(),
    };
    if !raw.contains_key("default") {
        let kind = match flow {
            Flow::Calls => "call",
            Flow::Messages => "message",
        };
        cx.problem(
            join(flow.key(), "default"),
            format!("there is no `default` {kind} flow"),
            format!(
                "add `default = [ ... ]` under [{}]: Twilio is pointed at {}",
                flow.key(),
                flow.webhook()
            ),
        );
    }
    let mut out = BTreeMap::new();
    for (name, steps) in raw {
        let path = join(flow.key(), name);
        let alias = Alias::parse(name);
        if alias.is_none() {
            cx.problem(
                &path,
                format!("`{name}` is not a usable alias"),
                "use letters, digits, `-` and `_` only (at most 64): the alias appears in webhook URLs",
            );
        }
        let Value::Array(items) = steps else {
            cx.wrong_type(
                path,
                "a list of steps",
                steps,
                &format!("{name} = [ {{ step = \"hangup\" }} ]"),
            );
            continue;
        };
        let mut parsed = Vec::with_capacity(items.len());
        let mut targets = BTreeSet::new();
        for (i, item) in items.iter().enumerate() {
            let step_path = format!("{path}[{i}]");
            if let Some(step) = step(cx, &step_path, item, &mut links, &mut targets) {
                parsed.push(step);
            }
        }
        if let Some(alias) = alias {
            links.edges.insert(alias.clone(), targets);
            out.insert(alias, parsed);
        }
    }
    for cycle in cycles(&links.edges) {
        let shown: Vec<&str> = cycle.iter().map(Alias::as_str).collect();
        cx.problem(
            join(flow.key(), shown[0]),
            format!("`next`/redirect cycle: {}", shown.join(" → ")),
            "end one of these flows without sending the call on, or point it elsewhere: a cycle never ends when nobody answers",
        );
    }
    (cx.problems.len() == before).then_some(out)
}

fn step(
    cx: &mut Ctx,
    path: &str,
    value: &Value,
    links: &mut Links<'_>,
    targets: &mut BTreeSet<Alias>,
) -> Option<Step> {
    let Value::Table(table) = value else {
        cx.wrong_type(
            path.to_owned(),
            "a step table",
            value,
            "{ step = \"say\", text = \"Hello\" }",
        );
        return None;
    };
    let t = Table { path, table };
    let before = cx.problems.len();
    let name = match t.get("step") {
        None => {
            cx.problem(
                path,
                "the step has no `step` key",
                format!("add step = \"…\", one of: {}", STEPS.join(", ")),
            );
            return None;
        }
        Some(Value::String(name)) => name.as_str(),
        Some(other) => {
            cx.wrong_type(t.key("step"), "a string", other, "step = \"say\"");
            return None;
        }
    };
    let next = match cx.string(t, "next", "next = \"voicemail\"") {
        Some(target) => {
            let alias = link(cx, t.key("next"), &target, links);
            if let Some(alias) = &alias {
                targets.insert(alias.clone());
            }
            alias
        }
        None => None,
    };
    let action = match name {
        "device" => device(cx, t, links),
        "dial" => dial(cx, t),
        "hangup" => {
            cx.unknown_keys(t, &["step", "next"], "a `hangup` step");
            Some(Action::Hangup)
        }
        "hours" => {
            if !t.has("next") {
                cx.problem(
                    t.key("next"),
                    "an `hours` step has no `next`",
                    "add next = \"closed\": the flow that takes calls and texts while closed",
                );
            }
            hours(cx, t)
        }
        "menu" => menu(cx, t, links),
        "message" => message(cx, t),
        "pause" => {
            cx.unknown_keys(t, &["step", "next", "length"], "a `pause` step");
            let length = cx.integer(t, "length", 1..=MAX_SECONDS);
            Some(Action::Pause {
                length: length.unwrap_or(1),
            })
        }
        "play" => play(cx, t),
        "record" => {
            cx.unknown_keys(
                t,
                &["step", "next", "max_length", "transcribe"],
                "a `record` step",
            );
            let max_length = cx.integer(t, "max_length", 1..=MAX_RECORDING);
            let transcribe = cx.boolean(t, "transcribe").unwrap_or(false);
            Some(Action::Record {
                max_length,
                transcribe,
            })
        }
        "redirect" => redirect(cx, t, links, targets),
        "reject" => reject(cx, t),
        "say" => say(cx, t),
        "voicemail" => voicemail(cx, t, links),
        unknown => {
            let fix = match suggest(unknown, STEPS) {
                Some(close) => format!("did you mean \"{close}\"? Steps are: {}", STEPS.join(", ")),
                None => format!("use one of: {}", STEPS.join(", ")),
            };
            cx.problem(t.key("step"), format!("unknown step type `{unknown}`"), fix);
            None
        }
    };
    let action = action?;
    if links.flow == Flow::Messages && !action.runs_in_message_flow() {
        cx.problem(
            path,
            format!("a `{}` step cannot run in a message flow", action.name()),
            "message flows use device, hours, message and redirect steps; move it to a call flow",
        );
    }
    (cx.problems.len() == before).then_some(Step { action, next })
}

/// `next` or a redirect to an alias of the same flow table.
fn link(cx: &mut Ctx, path: String, target: &str, links: &Links<'_>) -> Option<Alias> {
    let Some(alias) = Alias::parse(target) else {
        cx.problem(
            path,
            format!("`{target}` is not an alias"),
            "name one of the flows in the same table",
        );
        return None;
    };
    if !links.aliases.contains(target) {
        let known: Vec<&str> = links.aliases.iter().copied().collect();
        let fix = match suggest(target, &known) {
            Some(close) => format!(
                "did you mean `{close}`? Or add `{target} = [ ... ]` under [{}]",
                links.flow.key()
            ),
            None => format!(
                "add `{target} = [ ... ]` under [{}], or name one of: {}",
                links.flow.key(),
                known.join(", ")
            ),
        };
        cx.problem(
            path,
            format!("there is no {} flow `{target}`", links.flow.key()),
            fix,
        );
        return None;
    }
    Some(alias)
}

fn device(cx: &mut Ctx, t: Table<'_>, links: &Links<'_>) -> Option<Action> {
    cx.unknown_keys(
        t,
        &[
            "step", "next", "devices", "timeout", "ring", "screen", "record",
        ],
        "a `device` step",
    );
    let example = "devices = [\"browser\"]";
    let names = match t.get("devices") {
        None => {
            cx.problem(
                t.key("devices"),
                "`devices` is missing",
                format!("list the devices to try, e.g. {example}"),
            );
            None
        }
        Some(_) => cx.string_list(t, "devices", false, example),
    };
    let timeout = cx.integer(t, "timeout", 1..=MAX_SECONDS).unwrap_or(30);
    let ring = match cx.string(t, "ring", "ring = \"all\"").as_deref() {
        None | Some("first") => Ring::First,
        Some("all") => Ring::All,
        Some(other) => {
            cx.problem(
                t.key("ring"),
                format!("`{other}` is not a way to ring"),
                "use \"first\" (the first device that can take the call) or \"all\" (every one at once)",
            );
            Ring::First
        }
    };
    let names = names?;
    if names.is_empty() {
        cx.problem(
            t.key("devices"),
            "`devices` is empty",
            format!("list the devices to try, e.g. {example}"),
        );
    }
    let mut devices = Vec::with_capacity(names.len());
    for (path, name) in names {
        match links.devices.get(&name) {
            None => {
                let known: Vec<&str> = links.devices.keys().map(String::as_str).collect();
                let fix = match suggest(&name, &known) {
                    Some(close) => format!("did you mean `{close}`? Or add it under [devices]"),
                    None if known.is_empty() => "add it under [devices]".to_owned(),
                    None => format!(
                        "add it under [devices], or use one of: {}",
                        known.join(", ")
                    ),
                };
                cx.problem(path, format!("there is no device `{name}`"), fix);
            }
            Some(Some(device)) if links.flow == Flow::Calls && !device.takes_calls() => {
                cx.problem(
                    path,
                    format!("device `{name}` ({}) cannot take calls", device.type_name()),
                    "use it in a message flow; a call rings browsers and sms devices (phones)",
                );
            }
            Some(_) => devices.push(name),
        }
    }
    let bridge = bridge(cx, t);
    Some(Action::Device {
        devices,
        timeout,
        ring,
        bridge,
    })
}

fn dial(cx: &mut Ctx, t: Table<'_>) -> Option<Action> {
    let keys = [
        "step",
        "next",
        "number",
        "client",
        "sip",
        "conference",
        "queue",
        "timeout",
        "screen",
        "record",
    ];
    cx.unknown_keys(t, &keys, "a `dial` step");
    let mut numbers = Vec::new();
    for (path, text) in cx
        .string_list(t, "number", true, "number = \"+18005551212\"")
        .unwrap_or_default()
    {
        numbers.extend(phone(cx, path, &text));
    }
    let mut clients = Vec::new();
    for (path, client) in cx
        .string_list(t, "client", true, "client = \"alice\"")
        .unwrap_or_default()
    {
        if is_client_identity(&client) {
            clients.push(client);
        } else {
            cx.problem(
                path,
                format!("`{client}` is not a client identity"),
                "use letters, digits and _ - . @ only",
            );
        }
    }
    let mut sips = Vec::new();
    for (path, sip) in cx
        .string_list(t, "sip", true, "sip = \"sip:alice@example.com\"")
        .unwrap_or_default()
    {
        let ok = sip.len() > 4
            && sip[..4].eq_ignore_ascii_case("sip:")
            && !sip.contains(char::is_whitespace);
        if ok {
            sips.push(sip);
        } else {
            cx.problem(
                path,
                format!("`{sip}` is not a SIP address"),
                "write it as \"sip:user@host\"",
            );
        }
    }
    let conference = non_empty(cx, t, "conference", "conference = \"team\"");
    let queue = non_empty(cx, t, "queue", "queue = \"support\"");
    let timeout = cx.integer(t, "timeout", 1..=MAX_SECONDS);

    let targets = ["number", "client", "sip", "conference", "queue"];
    let given: Vec<&str> = targets.iter().copied().filter(|k| t.has(k)).collect();
    if given.is_empty() {
        cx.problem(
            t.path,
            "a `dial` step has nothing to dial",
            "set `number`, `client`, `sip`, `conference` or `queue`",
        );
    } else if given.len() > 1 && (t.has("conference") || t.has("queue")) {
        cx.problem(
            t.path,
            format!("a `dial` step cannot combine {}", given.join(" and ")),
            "a conference or a queue is dialled alone; split it into separate flows",
        );
    }
    let bridge = bridge(cx, t);
    Some(Action::Dial {
        numbers,
        clients,
        conference,
        queue,
        sips,
        timeout,
        bridge,
    })
}

/// `screen` and `record` of a step that bridges a call.
fn bridge(cx: &mut Ctx, t: Table<'_>) -> Bridge {
    Bridge {
        screen: cx.boolean(t, "screen").unwrap_or(false),
        record: cx.boolean(t, "record").unwrap_or(false),
    }
}

/// Something said (`say`: key and example) or played (`play`), not both; `Ok(None)` when
/// neither is given, `Err` after reporting a problem.
fn said_or_played(
    cx: &mut Ctx,
    t: Table<'_>,
    what: &str,
    (say_key, say_example): (&str, &str),
    (play_key, play_example): (&str, &str),
) -> Result<Option<Prompt>, ()> {
    let said = non_empty(cx, t, say_key, say_example);
    let played = non_empty(cx, t, play_key, play_example);
    if let Some(url) = &played {
        if http_url(url).is_none() {
            cx.problem(
                t.key(play_key),
                format!("`{url}` is not an http(s) URL"),
                format!("write the address of an audio file, e.g. {play_example}"),
            );
            return Err(());
        }
    }
    match (said, played) {
        (Some(text), None) => Ok(Some(Prompt::Say(text))),
        (None, Some(url)) => Ok(Some(Prompt::Play(url))),
        (Some(_), Some(_)) => {
            cx.problem(
                t.key(play_key),
                format!("{what} has both `{say_key}` and `{play_key}`"),
                format!("keep one: `{say_key}` is said, `{play_key}` is played"),
            );
            Err(())
        }
        (None, None) if t.has(say_key) || t.has(play_key) => Err(()),
        (None, None) => Ok(None),
    }
}

fn non_empty(cx: &mut Ctx, t: Table<'_>, key: &str, example: &str) -> Option<String> {
    let value = cx.string(t, key, example)?;
    if value.trim().is_empty() {
        cx.problem(
            t.key(key),
            format!("`{key}` is empty"),
            format!("write it as {example}"),
        );
        return None;
    }
    Some(value)
}

fn message(cx: &mut Ctx, t: Table<'_>) -> Option<Action> {
    cx.unknown_keys(t, &["step", "next", "text", "to"], "a `message` step");
    let text = cx.required_string(
        t,
        "text",
        "text = \"Thanks!\"",
        "set `text` to the message to send",
    );
    let to = match cx.string(t, "to", "to = \"+18005551212\"") {
        Some(number) => Some(phone(cx, t.key("to"), &number)?),
        None => None,
    };
    let text = text?;
    if text.chars().count() > MAX_TEXT {
        cx.problem(
            t.key("text"),
            format!("the text is longer than {MAX_TEXT} characters, Twilio's limit"),
            "shorten it",
        );
    }
    Some(Action::Message { text, to })
}

fn play(cx: &mut Ctx, t: Table<'_>) -> Option<Action> {
    cx.unknown_keys(
        t,
        &["step", "next", "url", "digits", "loop"],
        "a `play` step",
    );
    let url = non_empty(cx, t, "url", "url = \"https://example.com/hello.mp3\"");
    if let Some(url) = &url {
        // A relative URL is resolved by Twilio against the webhook's URL; an absolute one
        // must be http(s) for Twilio to fetch it.
        let relative = matches!(
            url::Url::parse(url),
            Err(url::ParseError::RelativeUrlWithoutBase)
        );
        if !relative && http_url(url).is_none() {
            cx.problem(
                t.key("url"),
                format!("`{url}` is not an http(s) URL"),
                "write the address of an audio file, e.g. \"https://example.com/hello.mp3\"",
            );
        }
    }
    let digits = non_empty(cx, t, "digits", "digits = \"1234#\"");
    if let Some(digits) = &digits {
        if !digits
            .chars()
            .all(|c| c.is_ascii_digit() || "*#wW".contains(c))
        {
            cx.problem(
                t.key("digits"),
                format!("`{digits}` has characters that are not tones"),
                "use 0-9, * and #, and w for a half-second pause",
            );
        }
    }
    if !t.has("url") && !t.has("digits") {
        cx.problem(
            t.path,
            "a `play` step has nothing to play",
            "set `url` (an audio file) and/or `digits` (tones)",
        );
    }
    let loop_count = cx.integer(t, "loop", 0..=MAX_LOOP).unwrap_or(1);
    Some(Action::Play {
        url,
        digits,
        loop_count,
    })
}

fn redirect(
    cx: &mut Ctx,
    t: Table<'_>,
    links: &Links<'_>,
    targets: &mut BTreeSet<Alias>,
) -> Option<Action> {
    cx.unknown_keys(t, &["step", "next", "url"], "a `redirect` step");
    let url = cx.required_string(
        t,
        "url",
        "url = \"voicemail\"",
        "set `url` to an alias of this flow table or an absolute http(s) URL",
    )?;
    if http_url(&url).is_none() {
        let alias = link(cx, t.key("url"), &url, links)?;
        targets.insert(alias);
    }
    Some(Action::Redirect { url })
}

fn reject(cx: &mut Ctx, t: Table<'_>) -> Option<Action> {
    cx.unknown_keys(t, &["step", "next", "reason"], "a `reject` step");
    let reason = match cx.string(t, "reason", "reason = \"busy\"").as_deref() {
        None => None,
        Some("rejected") => Some(RejectReason::Rejected),
        Some("busy") => Some(RejectReason::Busy),
        Some(other) => {
            cx.problem(
                t.key("reason"),
                format!("unknown reason `{other}`"),
                "use \"rejected\" or \"busy\"",
            );
            None
        }
    };
    Some(Action::Reject { reason })
}

/// `timezone`, `open` (day → `HH:MM-HH:MM[,…]`) and `closed_on` (local dates).
fn hours(cx: &mut Ctx, t: Table<'_>) -> Option<Action> {
    cx.unknown_keys(
        t,
        &["step", "next", "timezone", "open", "closed_on"],
        "an `hours` step",
    );
    let timezone = cx
        .required_string(
            t,
            "timezone",
            "timezone = \"America/New_York\"",
            "set `timezone` to the IANA time zone the hours are in, e.g. \"America/New_York\"",
        )
        .and_then(|name| match name.parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                cx.problem(
                    t.key("timezone"),
                    format!("`{name}` is not an IANA time zone"),
                    "write a zone of the tz database such as \"America/New_York\" or \"Europe/Paris\"",
                );
                None
            }
        });
    let mut open: [Vec<hours::Range>; 7] = Default::default();
    let mut open_ok = true;
    match t.get("open") {
        None => {
            cx.problem(
                t.key("open"),
                "`open` is missing",
                "set the opening times by day, e.g. open = { mon = \"09:00-17:00\" }",
            );
            open_ok = false;
        }
        Some(Value::Table(days)) => {
            let path = t.key("open");
            for (day, ranges) in days {
                let day_path = join(&path, day);
                let Some(index) = hours::DAYS.iter().position(|d| d == day) else {
                    let fix = match suggest(day, &hours::DAYS) {
                        Some(close) => format!(
                            "did you mean `{close}`? Days are: {}",
                            hours::DAYS.join(", ")
                        ),
                        None => format!("use one of: {}", hours::DAYS.join(", ")),
                    };
                    cx.problem(day_path, format!("`{day}` is not a day"), fix);
                    open_ok = false;
                    continue;
                };
                let Value::String(text) = ranges else {
                    cx.wrong_type(
                        day_path,
                        "a string",
                        ranges,
                        "mon = \"09:00-12:00,13:00-17:00\"",
                    );
                    open_ok = false;
                    continue;
                };
                match hours::parse_ranges(text) {
                    Ok(parsed) => open[index] = parsed,
                    Err(why) => {
                        cx.problem(
                            day_path,
                            why,
                            "write HH:MM-HH:MM ranges separated by commas, e.g. \"09:00-12:00,13:00-17:00\"; an end before its start runs past midnight",
                        );
                        open_ok = false;
                    }
                }
            }
        }
        Some(other) => {
            cx.wrong_type(
                t.key("open"),
                "a table of days",
                other,
                "open = { mon = \"09:00-17:00\" }",
            );
            open_ok = false;
        }
    }
    let mut closed_on = BTreeSet::new();
    let mut closed_ok = true;
    match t.get("closed_on") {
        None => {}
        Some(Value::Array(dates)) => {
            for (i, date) in dates.iter().enumerate() {
                let path = format!("{}[{i}]", t.key("closed_on"));
                let parsed = match date {
                    Value::String(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
                    Value::Datetime(d) => d.date.and_then(|d| {
                        chrono::NaiveDate::from_ymd_opt(
                            i32::from(d.year),
                            u32::from(d.month),
                            u32::from(d.day),
                        )
                    }),
                    _ => None,
                };
                match parsed {
                    Some(date) => {
                        closed_on.insert(date);
                    }
                    None => {
                        cx.problem(
                            path,
                            format!("`{}` is not a date", date.to_string().trim_matches('"')),
                            "write dates as \"YYYY-MM-DD\", e.g. closed_on = [\"2026-12-25\"]",
                        );
                        closed_ok = false;
                    }
                }
            }
        }
        Some(other) => {
            cx.wrong_type(
                t.key("closed_on"),
                "a list of dates",
                other,
                "closed_on = [\"2026-12-25\"]",
            );
            closed_ok = false;
        }
    }
    let timezone = timezone?;
    (open_ok && closed_ok).then(|| {
        Action::Hours(Box::new(hours::Hours {
            timezone,
            open,
            closed_on,
        }))
    })
}

fn say(cx: &mut Ctx, t: Table<'_>) -> Option<Action> {
    cx.unknown_keys(
        t,
        &["step", "next", "text", "voice", "language", "loop"],
        "a `say` step",
    );
    let text = cx.required_string(
        t,
        "text",
        "text = \"Hello\"",
        "set `text` to what should be said",
    );
    let voice = match cx.string(t, "voice", "voice = \"woman\"") {
        None => Some(Voice::Woman),
        Some(name) => {
            let voice = parse_voice(&name);
            if voice.is_none() {
                cx.problem(
                    t.key("voice"),
                    format!("unknown voice `{name}`"),
                    "use \"man\", \"woman\", \"alice\", \"Polly.<Name>\" or \"Google.<voice>\"",
                );
            }
            voice
        }
    };
    let language = cx
        .string(t, "language", "language = \"en-US\"")
        .unwrap_or_else(|| "en".to_owned());
    if !is_language(&language) {
        cx.problem(
            t.key("language"),
            format!("`{language}` is not a language tag"),
            "write a tag such as \"en\", \"en-US\" or \"fr-FR\"",
        );
    }
    let loop_count = cx.integer(t, "loop", 0..=MAX_LOOP).unwrap_or(1);
    Some(Action::Say {
        text: text?,
        voice: voice?,
        language,
        loop_count,
    })
}

/// The voices `<Say>` accepts; names as Twilio spells them, the basic ones in any case.
pub(super) fn parse_voice(name: &str) -> Option<Voice> {
    let named = |rest: &str| {
        (!rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.'))
        .then(|| rest.to_owned())
    };
    match name.to_ascii_lowercase().as_str() {
        "man" => Some(Voice::Man),
        "woman" => Some(Voice::Woman),
        "alice" => Some(Voice::Alice),
        _ => {
            if let Some(rest) = name.strip_prefix("Polly.") {
                named(rest).map(Voice::Polly)
            } else if let Some(rest) = name.strip_prefix("Google.") {
                named(rest).map(Voice::Google)
            } else {
                None
            }
        }
    }
}

fn is_language(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphabetic()));
    primary_ok
        && parts.all(|p| (2..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// Each cycle once, starting at its smallest alias and ending where it started.
fn cycles(edges: &BTreeMap<Alias, BTreeSet<Alias>>) -> Vec<Vec<Alias>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        node: &'a Alias,
        edges: &'a BTreeMap<Alias, BTreeSet<Alias>>,
        marks: &mut BTreeMap<&'a Alias, Mark>,
        stack: &mut Vec<&'a Alias>,
        found: &mut BTreeSet<Vec<Alias>>,
    ) {
        marks.insert(node, Mark::Open);
        stack.push(node);
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next) {
                Some(Mark::Open) => {
                    let start = stack.iter().position(|n| *n == next).unwrap_or(0);
                    let mut cycle: Vec<Alias> =
                        stack[start..].iter().map(|a| (*a).clone()).collect();
                    let smallest = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
                    cycle.rotate_left(smallest);
                    cycle.push(cycle[0].clone());
                    found.insert(cycle);
                }
                Some(Mark::Done) => {}
                None => visit(next, edges, marks, stack, found),
            }
        }
        stack.pop();
        marks.insert(node, Mark::Done);
    }

    let mut marks = BTreeMap::new();
    let mut found = BTreeSet::new();
    for node in edges.keys() {
        if !marks.contains_key(node) {
            visit(node, edges, &mut marks, &mut Vec::new(), &mut found);
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(pairs: &[(&str, &str)]) -> BTreeMap<Alias, BTreeSet<Alias>> {
        let mut edges: BTreeMap<Alias, BTreeSet<Alias>> = BTreeMap::new();
        for (from, to) in pairs {
            let (from, to) = (Alias::parse(from).unwrap(), Alias::parse(to).unwrap());
            edges.entry(to.clone()).or_default();
            edges.entry(from).or_default().insert(to);
        }
        edges
    }

    fn shown(cycles: Vec<Vec<Alias>>) -> Vec<String> {
        cycles
            .iter()
            .map(|c| c.iter().map(Alias::as_str).collect::<Vec<_>>().join(" → "))
            .collect()
    }

    #[test]
    fn a_chain_without_a_way_back_has_no_cycle() {
        assert!(cycles(&graph(&[
            ("default", "phone"),
            ("phone", "voicemail"),
            ("default", "voicemail")
        ]))
        .is_empty());
    }

    #[test]
    fn cycles_are_reported_once_from_their_smallest_alias() {
        let found = cycles(&graph(&[
            ("default", "b"),
            ("b", "c"),
            ("c", "b"),
            ("x", "x"),
        ]));
        assert_eq!(shown(found), ["b → c → b", "x → x"]);
    }

    #[test]
    fn voices_follow_twilio_spelling() {
        assert_eq!(parse_voice("woman"), Some(Voice::Woman));
        assert_eq!(parse_voice("Man"), Some(Voice::Man));
        assert_eq!(
            parse_voice("Polly.Joanna-Neural"),
            Some(Voice::Polly("Joanna-Neural".into()))
        );
        assert_eq!(
            parse_voice("Google.en-US-Standard-C"),
            Some(Voice::Google("en-US-Standard-C".into()))
        );
        assert_eq!(parse_voice("Polly."), None);
        assert_eq!(parse_voice("robot"), None);
    }

    #[test]
    fn language_tags_are_checked_loosely() {
        assert!(is_language("en"));
        assert!(is_language("en-US"));
        assert!(is_language("zh-Hans-CN"));
        assert!(!is_language("english please"));
        assert!(!is_language(""));
    }
}
