//! Call flows: runs the steps of `calls[alias]` into voice TwiML, recognises outgoing calls
//! from the browser, and resumes a flow after a `<Dial>` or `<Record>` action.

use chrono::{DateTime, Utc};
use twilio::twiml::{self, DialTarget, Verb, VoiceResponse};
use twilio::PhoneNumber;

use super::{pick_device, Effect, FlowError, Presence, Urls, VoiceOutcome};
use crate::config::{Action, Alias, Bridge, Config, Device, Menu, Prompt, Ring, Step};

/// An incoming call, as far as the engine cares.
#[derive(Debug, Clone, Copy)]
pub struct CallRequest<'a> {
    pub alias: &'a Alias,
    pub from: &'a str,
    pub to: &'a str,
    /// When the call came (business hours).
    pub now: DateTime<Utc>,
}

/// How a `<Dial>` placed by a device step ended (its action's `DialCallStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialOutcome {
    Answered,
    NotAnswered,
}

/// Answers a new call: an outgoing call from a browser is dialled; any other call runs the
/// alias's call flow from its first step.
pub fn run_call(
    config: &Config,
    presence: &dyn Presence,
    req: &CallRequest<'_>,
) -> Result<VoiceOutcome, FlowError> {
    if let Some(outgoing) = outgoing_call(config, req) {
        return Ok(outgoing);
    }
    run_steps(config, presence, req, 0)
}

/// Continues a call after a step's `<Dial>` ended. An answered call is over, except after a
/// dial step without `next`, whose following steps run whatever happened (what Twilio does
/// after a `<Dial>` without an action); an unanswered one goes to the step's `next`, or else
/// on with the following steps.
pub fn resume_after_dial(
    config: &Config,
    presence: &dyn Presence,
    req: &CallRequest<'_>,
    step: usize,
    outcome: DialOutcome,
) -> Result<VoiceOutcome, FlowError> {
    let current = step_at(config, req.alias, step)?;
    let goes_on = matches!(current.action, Action::Dial { .. }) && current.next.is_none();
    if outcome == DialOutcome::Answered && !goes_on {
        let mut twiml = VoiceResponse::new();
        twiml.push(Verb::Hangup);
        return Ok(VoiceOutcome {
            twiml,
            effects: Vec::new(),
            path: Vec::new(),
        });
    }
    match &current.next {
        Some(next) => Ok(redirect_to(&Urls::new(config), next)),
        None => run_steps(config, presence, req, step + 1),
    }
}

/// Who picks up when a step's `<Dial>` is answered, as the call log keeps it: the one device
/// a device step can ring (a browser's `client:<identity>`, an sms device's number), the one
/// target of a dial step, or '' when the step could ring several (Twilio's action does not
/// say which answered).
pub fn dialled_by_step(config: &Config, alias: &Alias, step: usize) -> Option<String> {
    match &step_at(config, alias, step).ok()?.action {
        Action::Device { devices, .. } => {
            let mut callable = devices
                .iter()
                .filter_map(|name| config.devices.get(name.as_str()))
                .filter_map(ring_target);
            match (callable.next(), callable.next()) {
                (Some(one), None) => Some(address_of(&one)),
                (Some(_), Some(_)) => Some(String::new()),
                (None, _) => None,
            }
        }
        Action::Dial {
            numbers,
            clients,
            conference,
            queue,
            sips,
            ..
        } => {
            let targets = numbers.len()
                + clients.len()
                + usize::from(conference.is_some())
                + usize::from(queue.is_some())
                + sips.len();
            Some(match (numbers.as_slice(), clients.as_slice()) {
                ([number], []) if targets == 1 => number.to_string(),
                ([], [client]) if targets == 1 => format!("client:{client}"),
                _ => String::new(),
            })
        }
        _ => None,
    }
}

/// What a device step dials for `device`: a browser's client, an sms device's number (the
/// phone it is); `None` for devices that take no calls.
fn ring_target(device: &Device) -> Option<DialTarget> {
    match device {
        Device::Browser { identity, .. } => Some(DialTarget::Client(twiml::Client {
            identity: identity.clone(),
            ..Default::default()
        })),
        Device::Sms { number } => Some(DialTarget::Number(twiml::Number {
            number: number.to_string(),
            ..Default::default()
        })),
        Device::Xmpp(_) | Device::Email(_) => None,
    }
}

/// The call log's address of a dialled target (as `calls.answered_to` keeps it).
fn address_of(target: &DialTarget) -> String {
    match target {
        DialTarget::Number(n) => n.number.clone(),
        DialTarget::Client(c) => format!("client:{}", c.identity),
        _ => String::new(),
    }
}

/// What a browser's outgoing call dials for `To`: a phone number, else a client identity.
fn outgoing_target(to: &str) -> DialTarget {
    match PhoneNumber::parse_lenient(to) {
        Ok(number) => DialTarget::Number(twiml::Number {
            number: number.to_string(),
            ..Default::default()
        }),
        Err(_) => DialTarget::Client(twiml::Client {
            identity: to.strip_prefix("client:").unwrap_or(to).to_owned(),
            ..Default::default()
        }),
    }
}

/// The address a browser's outgoing call to `to` reached when answered (as
/// [`dialled_by_step`]).
pub fn outgoing_address(to: &str) -> String {
    address_of(&outgoing_target(to.trim()))
}

/// Ends a browser's outgoing call once the number it dialled hung up or did not answer.
pub fn after_outgoing() -> VoiceOutcome {
    let mut twiml = VoiceResponse::new();
    twiml.push(Verb::Hangup);
    VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path: Vec::new(),
    }
}

/// Continues a call after a menu step's `<Gather>` (`digits`: what the caller pressed, empty
/// for nothing; `attempt`: how many times the menu asked before). A key of the menu sends the
/// call to its flow; a wrong key says so and asks again, nothing asks again, until the menu
/// asked `repeat` more times: then the call goes to the step's `next`, or ends.
pub fn resume_after_menu(
    config: &Config,
    req: &CallRequest<'_>,
    step: usize,
    attempt: u32,
    digits: &str,
) -> Result<VoiceOutcome, FlowError> {
    let current = step_at(config, req.alias, step)?;
    let Action::Menu(menu) = &current.action else {
        return Err(FlowError::UnknownStep {
            kind: "menu",
            alias: req.alias.to_string(),
            step,
        });
    };
    let urls = Urls::new(config);
    if let Some(alias) = menu.keys.get(digits) {
        let mut out = redirect_to(&urls, alias);
        out.path.push(format!("pressed {digits} → {alias}"));
        return Ok(out);
    }
    let mut path = vec![if digits.is_empty() {
        "no key pressed".to_owned()
    } else {
        format!("pressed {digits}: not an option")
    }];
    let mut twiml = VoiceResponse::new();
    if !digits.is_empty() {
        twiml.push(Verb::Say(twiml::Say {
            text: menu.invalid.clone(),
            ..Default::default()
        }));
    }
    if attempt < menu.repeat {
        twiml.push(gather(menu, urls.menu_action(req.alias, step, attempt + 1)));
    } else {
        let last = match &current.next {
            Some(next) => {
                path.push(format!("no choice → {next}"));
                Verb::Redirect(twiml::Redirect {
                    url: urls.voice(next),
                    method: None,
                })
            }
            None => {
                path.push("no choice: hung up".to_owned());
                Verb::Hangup
            }
        };
        twiml.push(last);
    }
    Ok(VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path,
    })
}

/// `dial` with what `bridge` asks: each phone leg screened through vbx's URL (browsers never
/// are), and the conversation recorded from the answer with its recording reported to vbx (a
/// `DialVerb` recording: the call's, not a voicemail).
fn bridged(mut dial: twiml::Dial, bridge: Bridge, screen_url: String, urls: &Urls) -> twiml::Dial {
    if bridge.screen {
        for target in &mut dial.targets {
            if let DialTarget::Number(number) = target {
                number.callbacks.url = Some(screen_url.clone());
            }
        }
    }
    if bridge.record {
        dial.record = Some(twiml::DialRecord::RecordFromAnswer);
        dial.recording_status_callback = Some(urls.recording_status());
    }
    dial
}

/// Who a `<Dial>` rings, for the call's path: numbers, `client:` identities, SIP addresses.
fn rang(targets: &[DialTarget]) -> String {
    let names: Vec<&str> = targets
        .iter()
        .filter_map(|target| match target {
            DialTarget::Number(n) => Some(n.number.as_str()),
            DialTarget::Client(c) => Some(c.identity.as_str()),
            DialTarget::Sip(s) => Some(s.uri.as_str()),
            DialTarget::Text(t) => Some(t.as_str()),
            DialTarget::Conference(_) | DialTarget::Queue(_) => None,
        })
        .collect();
    names.join(", ")
}

/// A greeting said or played on its own.
fn prompt(prompt: &Prompt) -> Verb {
    match prompt {
        Prompt::Say(text) => Verb::Say(twiml::Say {
            text: text.clone(),
            ..Default::default()
        }),
        Prompt::Play(url) => Verb::Play(twiml::Play {
            url: url.clone(),
            ..Default::default()
        }),
    }
}

/// A menu's `<Gather>`: the prompt inside it (a key cuts it short), its answer to `action`
/// even when nothing was pressed.
fn gather(menu: &Menu, action: String) -> Verb {
    let prompt = match &menu.prompt {
        Prompt::Say(text) => twiml::GatherChild::Say(twiml::Say {
            text: text.clone(),
            ..Default::default()
        }),
        Prompt::Play(url) => twiml::GatherChild::Play(twiml::Play {
            url: url.clone(),
            ..Default::default()
        }),
    };
    // `#` ends the input unless it is part of a key.
    let hash_is_a_key = menu.keys.keys().any(|k| k.contains('#'));
    Verb::Gather(twiml::Gather {
        input: Some("dtmf".into()),
        action: Some(action),
        num_digits: Some(menu.num_digits()),
        timeout: Some(menu.timeout),
        finish_on_key: hash_is_a_key.then(String::new),
        action_on_empty_result: Some(true),
        children: vec![prompt],
        ..Default::default()
    })
}

/// Whether step `step` of `alias` screens its phone legs.
pub fn screens(config: &Config, alias: &Alias, step: usize) -> bool {
    match step_at(config, alias, step).map(|s| &s.action) {
        Ok(Action::Device { bridge, .. } | Action::Dial { bridge, .. }) => bridge.screen,
        _ => false,
    }
}

/// Continues a call after a `<Record>` step finished: the steps after it run.
pub fn resume_after_record(
    config: &Config,
    presence: &dyn Presence,
    req: &CallRequest<'_>,
    step: usize,
) -> Result<VoiceOutcome, FlowError> {
    step_at(config, req.alias, step)?;
    run_steps(config, presence, req, step + 1)
}

fn flow<'c>(config: &'c Config, alias: &Alias) -> Result<&'c [Step], FlowError> {
    config
        .calls
        .get(alias)
        .map(Vec::as_slice)
        .ok_or_else(|| FlowError::UnknownAlias {
            kind: "call",
            alias: alias.to_string(),
        })
}

fn step_at<'c>(config: &'c Config, alias: &Alias, step: usize) -> Result<&'c Step, FlowError> {
    flow(config, alias)?
        .get(step)
        .ok_or_else(|| FlowError::UnknownStep {
            kind: "call",
            alias: alias.to_string(),
            step,
        })
}

fn redirect_to(urls: &Urls, alias: &Alias) -> VoiceOutcome {
    let mut twiml = VoiceResponse::new();
    twiml.push(Verb::Redirect(twiml::Redirect {
        url: urls.voice(alias),
        method: None,
    }));
    VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path: Vec::new(),
    }
}

/// A call placed from a browser (`From = client:<identity>` of a browser device) dials `To`
/// once, with the vbx number as caller ID.
fn outgoing_call(config: &Config, req: &CallRequest<'_>) -> Option<VoiceOutcome> {
    let identity = req.from.strip_prefix("client:")?;
    let is_browser = config
        .devices
        .values()
        .any(|d| matches!(d, Device::Browser { identity: own, .. } if own == identity));
    if !is_browser {
        return None;
    }
    let mut twiml = VoiceResponse::new();
    let to = req.to.trim();
    if to.is_empty() {
        twiml.push(Verb::Say(twiml::Say {
            text: "There is no number to call.".into(),
            ..Default::default()
        }));
        twiml.push(Verb::Hangup);
    } else {
        // The action tells vbx how the number answered, for the call log.
        twiml.push(Verb::Dial(twiml::Dial {
            action: Some(Urls::new(config).outgoing_action(req.alias)),
            caller_id: Some(config.twilio.number.to_string()),
            targets: vec![outgoing_target(to)],
            ..Default::default()
        }));
    }
    Some(VoiceOutcome {
        twiml,
        effects: Vec::new(),
        path: Vec::new(),
    })
}

/// What one step did to the document.
enum Flowed {
    /// The step completed; carry on with the next step.
    Continue,
    /// The step did not complete; go to `next` if it has one, else carry on.
    Incomplete,
    /// The step ended the document (hang up, reject, redirect, record, a dial with action).
    Stop,
}

fn run_steps(
    config: &Config,
    presence: &dyn Presence,
    req: &CallRequest<'_>,
    start: usize,
) -> Result<VoiceOutcome, FlowError> {
    let steps = flow(config, req.alias)?;
    let urls = Urls::new(config);
    let mut out = VoiceOutcome::default();
    for (index, step) in steps.iter().enumerate().skip(start) {
        match run_step(config, presence, &urls, req, index, step, &mut out) {
            Flowed::Continue => {}
            Flowed::Stop => break,
            Flowed::Incomplete => {
                if let Some(next) = &step.next {
                    out.twiml.push(Verb::Redirect(twiml::Redirect {
                        url: urls.voice(next),
                        method: None,
                    }));
                    break;
                }
            }
        }
    }
    Ok(out)
}

fn run_step(
    config: &Config,
    presence: &dyn Presence,
    urls: &Urls,
    req: &CallRequest<'_>,
    index: usize,
    step: &Step,
    out: &mut VoiceOutcome,
) -> Flowed {
    let twiml = &mut out.twiml;
    match &step.action {
        Action::Device {
            devices,
            timeout,
            ring,
            bridge,
        } => {
            let rung: Vec<(&str, DialTarget)> = match ring {
                Ring::First => pick_device(config, presence, devices, Device::takes_calls)
                    .and_then(|(name, device)| Some((name, ring_target(device)?)))
                    .into_iter()
                    .collect(),
                // Every device that is online or has no presence (an offline tab would only
                // make the caller wait).
                Ring::All => devices
                    .iter()
                    .filter_map(|name| {
                        let device = config.devices.get(name.as_str())?;
                        (presence.online(name, device) != Some(false))
                            .then(|| Some((name.as_str(), ring_target(device)?)))
                            .flatten()
                    })
                    .collect(),
            };
            if rung.is_empty() {
                out.path.push("no device online".to_owned());
                return Flowed::Incomplete;
            }
            let names: Vec<&str> = rung.iter().map(|(name, _)| *name).collect();
            out.path.push(format!("rang {}", names.join(", ")));
            let targets = rung.into_iter().map(|(_, target)| target).collect();
            twiml.push(Verb::Dial(bridged(
                twiml::Dial {
                    action: Some(urls.dial_action(req.alias, index)),
                    timeout: Some(*timeout),
                    targets,
                    ..Default::default()
                },
                *bridge,
                urls.screen(req.alias, index),
                urls,
            )));
            Flowed::Stop
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
            let mut targets: Vec<DialTarget> = numbers
                .iter()
                .map(|n| {
                    DialTarget::Number(twiml::Number {
                        number: n.to_string(),
                        ..Default::default()
                    })
                })
                .collect();
            targets.extend(clients.iter().map(|c| {
                DialTarget::Client(twiml::Client {
                    identity: c.clone(),
                    ..Default::default()
                })
            }));
            targets.extend(conference.iter().map(|name| {
                DialTarget::Conference(twiml::Conference {
                    name: name.clone(),
                    ..Default::default()
                })
            }));
            targets.extend(queue.iter().map(|name| {
                DialTarget::Queue(twiml::Queue {
                    name: name.clone(),
                    ..Default::default()
                })
            }));
            targets.extend(sips.iter().map(|uri| {
                DialTarget::Sip(twiml::Sip {
                    uri: uri.clone(),
                    ..Default::default()
                })
            }));
            out.path.push(format!("dialled {}", rang(&targets)));
            // Twilio comes back when the dial ends: an unanswered, busy or failed number goes on
            // to `next`, and vbx learns who answered and for how long (the call log says so).
            // The steps after it run from there, as they would after a `<Dial>` without one.
            twiml.push(Verb::Dial(bridged(
                twiml::Dial {
                    action: Some(urls.dial_action(req.alias, index)),
                    timeout: *timeout,
                    targets,
                    ..Default::default()
                },
                *bridge,
                urls.screen(req.alias, index),
                urls,
            )));
            Flowed::Stop
        }
        Action::Hangup => {
            twiml.push(Verb::Hangup);
            Flowed::Stop
        }
        Action::Hours(hours) => {
            if hours.is_open(req.now) {
                out.path.push("open".to_owned());
                Flowed::Continue
            } else {
                out.path.push(match &step.next {
                    Some(next) => format!("closed → {next}"),
                    None => "closed".to_owned(),
                });
                Flowed::Incomplete
            }
        }
        Action::Menu(menu) => {
            twiml.push(gather(menu, urls.menu_action(req.alias, index, 0)));
            Flowed::Stop
        }
        Action::Message { text, to } => {
            // A withheld or non-phone caller cannot be texted back.
            let to = match to {
                Some(to) => to.clone(),
                None => match PhoneNumber::parse(req.from) {
                    Ok(from) => from,
                    Err(_) => return Flowed::Incomplete,
                },
            };
            out.effects.push(Effect::SendSms {
                to: to.to_string(),
                body: text.clone(),
            });
            Flowed::Continue
        }
        Action::Pause { length } => {
            twiml.push(Verb::Pause(twiml::Pause {
                length: Some(*length),
            }));
            Flowed::Continue
        }
        Action::Play {
            url,
            digits,
            loop_count,
        } => {
            twiml.push(Verb::Play(twiml::Play {
                url: url.clone().unwrap_or_default(),
                loop_count: Some(*loop_count),
                digits: digits.clone(),
            }));
            Flowed::Continue
        }
        Action::Record {
            max_length,
            transcribe,
        } => {
            twiml.push(Verb::Record(twiml::Record {
                action: Some(urls.record_action(req.alias, index)),
                max_length: *max_length,
                recording_status_callback: Some(urls.recording_status()),
                transcribe: transcribe.then_some(true),
                transcribe_callback: transcribe.then(|| urls.transcription_status()),
                ..Default::default()
            }));
            Flowed::Stop
        }
        Action::Voicemail(voicemail) => {
            out.path.push("voicemail".to_owned());
            twiml.push(prompt(&voicemail.greeting));
            let transcribe = voicemail.transcribe;
            twiml.push(Verb::Record(twiml::Record {
                action: Some(urls.record_action(req.alias, index)),
                max_length: Some(voicemail.max_length),
                recording_status_callback: Some(urls.voicemail_status(req.alias, index)),
                transcribe: transcribe.then_some(true),
                transcribe_callback: transcribe.then(|| urls.transcription_status()),
                ..Default::default()
            }));
            Flowed::Stop
        }
        Action::Redirect { url } => {
            twiml.push(Verb::Redirect(twiml::Redirect {
                url: urls.redirect(url, |a| urls.voice(a)),
                method: None,
            }));
            Flowed::Stop
        }
        Action::Reject { reason } => {
            twiml.push(Verb::Reject(twiml::Reject { reason: *reason }));
            Flowed::Stop
        }
        Action::Say {
            text,
            voice,
            language,
            loop_count,
        } => {
            twiml.push(Verb::Say(twiml::Say {
                text: text.clone(),
                voice: Some(voice.clone()),
                language: Some(language.clone()),
                loop_count: Some(*loop_count),
            }));
            Flowed::Continue
        }
    }
}
