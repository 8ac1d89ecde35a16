//! Calls as state machines: an incoming call (or a REST-created one, or one from a simulated
//! browser) runs in its own task that fetches TwiML and carries it out like Twilio, keeping a
//! transcript of what the caller heard. This module holds the public entry points and the
//! commands that reach a running call (answer, hang up, digits, redirect).

mod callback;
mod dial;
mod outbound;
mod record;
mod run;
mod screen;
mod verbs;

use std::collections::VecDeque;
use std::time::Duration;

use tokio::sync::mpsc;
use twilio::twiml::Method;
use twilio::{CallSid, PhoneNumberSid};

pub(crate) use outbound::start_outbound;
pub(crate) use run::{Run, Source};

use crate::error::SimError;
use crate::messaging::method_of;
use crate::resource::{Call, CallDirection, CallStatus, API_VERSION};
use crate::sim::SimState;
use crate::{sid, Sim};

/// What reaches a running call from outside its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Command {
    /// A PSTN party (control API) or a browser connection answers a ringing leg.
    Answer { by: Option<u64> },
    /// A browser connection declines a ringing leg.
    Reject { by: Option<u64> },
    /// Whoever is on this side hangs up (control API, REST, a browser).
    Hangup { by: Option<u64> },
    /// DTMF from whoever is on this side.
    Digits(String),
    /// REST `Url`/`Twiml` update: drop what the call is doing and run this instead.
    Redirect(Source),
    /// A dial leg's screening document ran to its end (`accepted`: bridge it) or ended the
    /// leg, after `took` simulated time; sent by the leg's screening task to the call that
    /// dialled it.
    Screened { accepted: bool, took: Duration },
}

/// The sender half through which commands reach the task running a call (dial legs share their
/// parent's channel; the SID in each message says which call it is for).
pub(crate) type Control = mpsc::UnboundedSender<(CallSid, Command)>;

/// A call arriving at one of the account's numbers, and what the caller will do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundCall {
    pub from: String,
    /// One of the account's numbers.
    pub to: String,
    /// What the caller enters at each `<Gather>`, in order (`""` enters nothing; `"12#"`).
    /// Once used up, a `<Gather>` waits for digits from the control API until its timeout.
    pub digits: Vec<String>,
    /// The caller hangs up this many simulated seconds after the call is answered.
    pub hangup_after: Option<u32>,
    /// How long the caller speaks into each `<Record>` (default: the settings').
    pub record_seconds: Option<u32>,
    /// What the transcription of the caller's recordings says.
    pub transcription: Option<String>,
}

/// What a caller does beyond the TwiML: scripted digits, hang-up time, recordings.
#[derive(Debug, Clone, Default)]
pub(crate) struct Script {
    pub digits: VecDeque<String>,
    /// Entered at every `<Gather>` once `digits` are used up (a screened party's keys).
    pub keys: Option<String>,
    pub hangup_after: Option<u32>,
    pub record_seconds: Option<u32>,
    pub transcription: Option<String>,
}

pub(crate) const DEFAULT_TRANSCRIPTION: &str = "Hello, this is a simulated voicemail.";

/// Twilio's country guess for a number: `US` for +1, empty otherwise.
pub(crate) fn country(number: &str) -> String {
    if number.starts_with("+1") {
        "US".to_owned()
    } else {
        String::new()
    }
}

/// A new call record (REST-created calls are built by the REST handler instead).
pub(crate) fn new_call(
    s: &SimState,
    from: &str,
    to: &str,
    direction: CallDirection,
    parent: Option<CallSid>,
    phone_number_sid: Option<PhoneNumberSid>,
) -> Call {
    let now = s.now();
    Call {
        sid: sid::call(),
        parent_call_sid: parent,
        from: from.to_owned(),
        to: to.to_owned(),
        status: CallStatus::Queued,
        direction,
        date_created: now,
        date_updated: now,
        start_time: None,
        end_time: None,
        phone_number_sid,
        url: None,
        method: "POST".to_owned(),
        twiml: None,
        application_sid: None,
        fallback_url: None,
        fallback_method: "POST".to_owned(),
        status_callback: None,
        status_callback_method: "POST".to_owned(),
        status_callback_events: vec!["completed".to_owned()],
        timeout_secs: 60,
        time_limit_secs: None,
        record: false,
        send_digits: None,
    }
}

/// The parameters every request about a call carries (Twilio adds `CallStatus` per request).
pub(crate) fn base_params(
    s: &SimState,
    call: &Call,
    extra: &[(String, String)],
) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = [
        ("AccountSid", s.account_sid.to_string()),
        ("ApiVersion", API_VERSION.to_owned()),
        ("CallSid", call.sid.to_string()),
        ("Direction", call.direction.as_str().to_owned()),
        ("From", call.from.clone()),
        ("Caller", call.from.clone()),
        ("FromCountry", country(&call.from)),
        ("To", call.to.clone()),
        ("Called", call.to.clone()),
        ("ToCountry", country(&call.to)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    if let Some(parent) = &call.parent_call_sid {
        params.push(("ParentCallSid".to_owned(), parent.to_string()));
    }
    params.extend(extra.iter().cloned());
    params
}

/// Records a call's new status (with its start and end times); false once the simulator was
/// reset under the call. `duration` is the simulated talk time, for the end time.
pub(crate) fn set_status(
    sim: &Sim,
    epoch: u64,
    sid: &CallSid,
    status: CallStatus,
    duration: Option<f64>,
) -> bool {
    sim.with_state(|s| {
        if s.epoch != epoch {
            return false;
        }
        let now = s.now();
        let Some(call) = s.calls.iter_mut().find(|c| &c.sid == sid) else {
            return false;
        };
        call.status = status;
        call.date_updated = now;
        if status == CallStatus::InProgress {
            call.start_time = Some(now);
        }
        if status.is_final() {
            call.end_time = Some(match (call.start_time, duration) {
                (Some(start), Some(secs)) => start + chrono::Duration::seconds(secs.round() as i64),
                _ => now,
            });
        }
        s.trace(sid.as_str())
            .statuses
            .push(status.as_str().to_owned());
        true
    })
}

/// Where a number's calls go: its voice application's URLs, or its own.
struct VoiceTarget {
    url: Option<(String, Method)>,
    fallback: Option<(String, Method)>,
    /// Status callback URL and method name.
    status_callback: Option<(String, String)>,
}

fn voice_target(s: &SimState, number: &crate::resource::IncomingNumber) -> VoiceTarget {
    let app = number
        .voice_application_sid
        .as_ref()
        .and_then(|a| s.applications.iter().find(|x| &x.sid == a));
    match app {
        Some(app) => VoiceTarget {
            url: app
                .voice_url
                .clone()
                .map(|u| (u, method_of(&app.voice_method))),
            fallback: app
                .voice_fallback_url
                .clone()
                .map(|u| (u, method_of(&app.voice_fallback_method))),
            status_callback: app
                .status_callback
                .clone()
                .map(|u| (u, app.status_callback_method.clone())),
        },
        None => VoiceTarget {
            url: number
                .voice_url
                .clone()
                .map(|u| (u, method_of(&number.voice_method))),
            fallback: number
                .voice_fallback_url
                .clone()
                .map(|u| (u, method_of(&number.voice_fallback_method))),
            status_callback: number
                .status_callback
                .clone()
                .map(|u| (u, number.status_callback_method.clone())),
        },
    }
}

impl Sim {
    /// A call arrives at `call.to` (one of the account's numbers) from `call.from`: its number's
    /// voice URL (or voice application) is called and the TwiML runs in the background.
    pub fn incoming_call(&self, call: InboundCall) -> Result<CallSid, SimError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            SimError::Invalid("incoming_call needs a running tokio runtime".to_owned())
        })?;
        if call.from.trim().is_empty() {
            return Err(SimError::Invalid(
                "an incoming call needs a caller".to_owned(),
            ));
        }
        let script = Script {
            digits: call.digits.into_iter().collect(),
            hangup_after: call.hangup_after,
            record_seconds: call.record_seconds,
            transcription: call.transcription,
            keys: None,
        };
        let (run, source) = self.with_state(|s| -> Result<(Run, Option<Source>), SimError> {
            let number = s
                .number_by_value(&call.to)
                .cloned()
                .ok_or_else(|| SimError::NotFound(format!("phone number {}", call.to)))?;
            let VoiceTarget {
                url,
                fallback,
                status_callback,
            } = voice_target(s, &number);
            let mut record = new_call(
                s,
                &call.from,
                &call.to,
                CallDirection::Inbound,
                None,
                Some(number.sid.clone()),
            );
            record.status = CallStatus::Ringing;
            record.url = url.as_ref().map(|(u, _)| u.clone());
            record.application_sid = number.voice_application_sid.clone();
            if let Some((u, m)) = &status_callback {
                record.status_callback = Some(u.clone());
                record.status_callback_method = m.clone();
            }
            let mut run = Run::register(s, self, &record, Vec::new(), script);
            run.fallback = fallback;
            s.trace(record.sid.as_str())
                .statuses
                .push(record.status.as_str().to_owned());
            s.calls.push(record);
            let source = url.map(|(url, method)| Source::Url {
                url,
                method,
                purpose: "voice",
                extra: Vec::new(),
            });
            Ok((run, source))
        })?;
        let sid = run.sid.clone();
        runtime.spawn(run.start(source));
        Ok(sid)
    }

    fn command(&self, sid: &CallSid, command: Command) -> Result<(), SimError> {
        let control = self
            .read_state(|s| s.controls.get(sid.as_str()).cloned())
            .ok_or_else(|| SimError::NotFound(format!("live call {sid}")))?;
        control
            .send((sid.clone(), command))
            .map_err(|_| SimError::NotFound(format!("live call {sid}")))
    }

    /// The PSTN party of a ringing call or leg whose scenario is [`crate::Party::Manual`]
    /// answers.
    pub fn answer_call(&self, sid: &CallSid) -> Result<(), SimError> {
        self.command(sid, Command::Answer { by: None })
    }

    /// Whoever is at this end of a live call (caller, or the party of a leg) hangs up.
    pub fn hangup_call(&self, sid: &CallSid) -> Result<(), SimError> {
        self.command(sid, Command::Hangup { by: None })
    }

    /// Whoever is at this end of a live call presses keys (for `<Gather>`, `<Record>`, or the
    /// transcript).
    pub fn send_digits(&self, sid: &CallSid, digits: &str) -> Result<(), SimError> {
        self.command(sid, Command::Digits(digits.to_owned()))
    }

    /// What the caller heard and entered on this call, one line each (see [`crate::Trace`]).
    pub fn call_transcript(&self, sid: &CallSid) -> Vec<String> {
        self.trace(sid.as_str()).transcript
    }

    /// The calls a `<Dial>` of `parent` placed, oldest first.
    pub fn child_calls(&self, parent: &CallSid) -> Vec<Call> {
        self.read_state(|s| {
            s.calls
                .iter()
                .filter(|c| c.parent_call_sid.as_ref() == Some(parent))
                .cloned()
                .collect()
        })
    }

    /// Waits until the call has ended (final status, its task done) and returns it.
    pub async fn wait_for_call_end(
        &self,
        sid: &CallSid,
        timeout: Duration,
    ) -> Result<Call, SimError> {
        self.wait_state(timeout, |s| {
            s.calls
                .iter()
                .find(|c| &c.sid == sid)
                .filter(|c| c.status.is_final() && !s.controls.contains_key(sid.as_str()))
                .cloned()
        })
        .await
        .ok_or_else(|| SimError::Timeout(format!("call {sid} to end")))
    }
}
