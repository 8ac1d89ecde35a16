//! The readable summary `vbx check` prints: the number, the devices, and the flow graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use twilio::twiml::{RejectReason, Voice};

use crate::config::{Action, Alias, AuthMode, Config, Device, SmtpSecurity, Step};

/// One line per device and per flow alias, e.g. `calls.default: device(browser) → next phone`.
pub fn summary(config: &Config) -> String {
    let mut out = String::new();
    let server = &config.server;
    let twilio = &config.twilio;
    let _ = writeln!(out, "number: {}", twilio.number);
    let _ = writeln!(out, "listen: {}", server.listen);
    let _ = writeln!(out, "voice URL: {}", server.url_for("/flow/voice/default"));
    let _ = writeln!(
        out,
        "messaging URL: {}",
        server.url_for("/flow/msg/default")
    );
    if server.insecure_skip_signature {
        let _ = writeln!(out, "WARNING: Twilio request signatures are NOT checked");
    }

    let _ = writeln!(out, "devices:");
    if config.devices.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for (name, device) in &config.devices {
        let _ = writeln!(out, "  {name}: {}", device_line(device));
    }
    let has_browser = config
        .devices
        .values()
        .any(|d| matches!(d, Device::Browser { .. }));
    if has_browser && (twilio.api_key.is_none() || twilio.app_sid.is_none()) {
        let _ = writeln!(
            out,
            "  note: the browser phone needs twilio.api_key, twilio.api_secret and twilio.app_sid for its access tokens"
        );
    }

    for (key, flows) in [("calls", &config.calls), ("messages", &config.messages)] {
        let _ = writeln!(out, "{key}:");
        let reachable = reachable(flows);
        for (alias, steps) in flows {
            let shown: Vec<String> = steps.iter().map(step_text).collect();
            let body = if shown.is_empty() {
                "(no steps)".to_owned()
            } else {
                shown.join("; ")
            };
            let unreachable = if reachable.contains(alias) {
                ""
            } else {
                "  (not reachable from default)"
            };
            let _ = writeln!(out, "  {key}.{alias}: {body}{unreachable}");
        }
    }

    for (alias, steps) in &config.calls {
        for (i, step) in steps.iter().enumerate() {
            if let Action::Voicemail(v) = &step.action {
                if v.transcribe && v.max_length > crate::config::Voicemail::MAX_TRANSCRIBED {
                    let _ = writeln!(
                        out,
                        "  note: calls.{alias}[{i}]: Twilio transcribes recordings of 2 to {} seconds only; \
                         longer voicemails (max_length = {}) arrive without a transcript",
                        crate::config::Voicemail::MAX_TRANSCRIBED,
                        v.max_length
                    );
                }
            }
        }
    }

    let count = config.contacts.len();
    let _ = writeln!(out, "contacts: {count}");
    match &config.server.auth {
        AuthMode::Login => {
            let names: Vec<&str> = config.users.iter().map(|u| u.name.as_str()).collect();
            if names.is_empty() {
                let _ = writeln!(
                    out,
                    "users: (none) — nobody can log in; add one with `vbx user add NAME --config FILE`"
                );
            } else {
                let _ = writeln!(out, "users: {}", names.join(", "));
            }
        }
        AuthMode::Proxy { header } => {
            let _ = writeln!(
                out,
                "users: named by the reverse proxy in the `{header}` header; only it may reach vbx"
            );
        }
    }
    out
}

fn device_line(device: &Device) -> String {
    match device {
        Device::Browser { identity, ignored } => {
            let mut line = format!("browser (client identity {identity})");
            if !ignored.is_empty() {
                let _ = write!(line, ", {} number(s) hidden from history", ignored.len());
            }
            line
        }
        Device::Sms { number } => format!("sms {number}"),
        Device::Xmpp(x) => format!(
            "xmpp {} → {} via {}:{}",
            x.component, x.target, x.server, x.port
        ),
        Device::Email(e) => {
            let security = match e.security {
                SmtpSecurity::None => "no TLS",
                SmtpSecurity::StartTls => "STARTTLS",
                SmtpSecurity::Tls => "TLS",
            };
            format!(
                "email {} → {} via {}:{} ({security})",
                e.from, e.to, e.smtp_host, e.smtp_port
            )
        }
    }
}

fn bridge_text(bridge: &crate::config::Bridge) -> String {
    let mut text = String::new();
    if bridge.screen {
        text.push_str(", screened");
    }
    if bridge.record {
        text.push_str(", recorded");
    }
    text
}

fn step_text(step: &Step) -> String {
    let mut text = match &step.action {
        Action::Device {
            devices,
            timeout,
            ring,
            bridge,
        } => {
            let mut extra = if *timeout == 30 {
                String::new()
            } else {
                format!(", {timeout}s")
            };
            if *ring == crate::config::Ring::All {
                extra.push_str(", all at once");
            }
            extra.push_str(&bridge_text(bridge));
            format!("device({}{extra})", devices.join(", "))
        }
        Action::Dial {
            numbers,
            clients,
            conference,
            queue,
            sips,
            timeout,
            bridge,
        } => {
            let mut targets: Vec<String> = numbers.iter().map(ToString::to_string).collect();
            targets.extend(clients.iter().map(|c| format!("client {c}")));
            targets.extend(sips.iter().cloned());
            targets.extend(
                conference
                    .iter()
                    .map(|c| format!("conference {}", quoted(c))),
            );
            targets.extend(queue.iter().map(|q| format!("queue {}", quoted(q))));
            if let Some(timeout) = timeout {
                targets.push(format!("{timeout}s"));
            }
            format!("dial({}{})", targets.join(", "), bridge_text(bridge))
        }
        Action::Hangup => "hangup".to_owned(),
        Action::Hours(hours) => {
            let days = crate::config::hours::DAYS
                .iter()
                .zip(&hours.open)
                .filter(|(_, ranges)| !ranges.is_empty())
                .count();
            let closed = if hours.closed_on.is_empty() {
                String::new()
            } else {
                format!(", closed on {} dates", hours.closed_on.len())
            };
            format!("hours({}, open {days} days a week{closed})", hours.timezone)
        }
        Action::Menu(menu) => {
            let keys: Vec<String> = menu
                .keys
                .iter()
                .map(|(key, alias)| format!("{key} → {alias}"))
                .collect();
            format!("menu({})", keys.join(", "))
        }
        Action::Message { text, to } => match to {
            Some(to) => format!("message({} to {to})", quoted(text)),
            None => format!("message({})", quoted(text)),
        },
        Action::Pause { length } => format!("pause({length}s)"),
        Action::Play {
            url,
            digits,
            loop_count,
        } => {
            let mut parts: Vec<String> = url.iter().cloned().collect();
            parts.extend(digits.iter().map(|d| format!("digits {d}")));
            if *loop_count != 1 {
                parts.push(format!("×{loop_count}"));
            }
            format!("play({})", parts.join(", "))
        }
        Action::Record {
            max_length,
            transcribe,
        } => {
            let mut parts = Vec::new();
            if let Some(max) = max_length {
                parts.push(format!("up to {max}s"));
            }
            if *transcribe {
                parts.push("transcribed".to_owned());
            }
            format!("record({})", parts.join(", "))
        }
        Action::Voicemail(voicemail) => {
            let mut parts = vec![match &voicemail.greeting {
                crate::config::Prompt::Say(text) => quoted(text),
                crate::config::Prompt::Play(url) => url.clone(),
            }];
            parts.push(format!("up to {}s", voicemail.max_length));
            if voicemail.transcribe {
                parts.push("transcribed".to_owned());
            }
            if !voicemail.notify.is_empty() {
                parts.push(format!("notify {}", voicemail.notify.join(", ")));
            }
            format!("voicemail({})", parts.join(", "))
        }
        Action::Redirect { url } => format!("redirect → {url}"),
        Action::Reject { reason } => match reason {
            Some(RejectReason::Busy) => "reject(busy)".to_owned(),
            Some(RejectReason::Rejected) => "reject(rejected)".to_owned(),
            None => "reject".to_owned(),
        },
        Action::Say {
            text,
            voice,
            language,
            loop_count,
        } => {
            let voice = match voice {
                Voice::Man => "man".to_owned(),
                Voice::Woman => "woman".to_owned(),
                Voice::Alice => "alice".to_owned(),
                Voice::Polly(name) => format!("Polly.{name}"),
                Voice::Google(name) => format!("Google.{name}"),
            };
            let times = if *loop_count == 1 {
                String::new()
            } else {
                format!(", ×{loop_count}")
            };
            format!("say({}, {voice}, {language}{times})", quoted(text))
        }
    };
    if let Some(next) = &step.next {
        let _ = write!(text, " → next {next}");
    }
    text
}

/// A short quoted excerpt of user text.
fn quoted(text: &str) -> String {
    const MAX: usize = 30;
    if text.chars().count() > MAX {
        let head: String = text.chars().take(MAX).collect();
        format!("{:?}", format!("{head}…"))
    } else {
        format!("{text:?}")
    }
}

/// Aliases reachable from `default` through `next` and redirects.
fn reachable(flows: &BTreeMap<Alias, Vec<Step>>) -> BTreeSet<Alias> {
    let mut seen = BTreeSet::new();
    let mut todo: Vec<Alias> = Alias::parse("default").into_iter().collect();
    while let Some(alias) = todo.pop() {
        if !seen.insert(alias.clone()) {
            continue;
        }
        for step in flows.get(&alias).into_iter().flatten() {
            todo.extend(step.next.iter().cloned());
            match &step.action {
                Action::Redirect { url } => {
                    todo.extend(Alias::parse(url).filter(|a| flows.contains_key(a)));
                }
                Action::Menu(menu) => todo.extend(menu.keys.values().cloned()),
                _ => {}
            }
        }
    }
    seen
}
