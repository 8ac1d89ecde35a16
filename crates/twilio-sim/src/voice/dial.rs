//! `<Dial>`: one child leg per `<Number>`/`<Client>`/`<Sip>` rings in parallel (PSTN parties
//! per scenario, clients at the simulated browsers), the first to answer is bridged with the
//! caller until one side hangs up, the others are canceled, and the `action` URL gets
//! `DialCallStatus`, `DialCallSid`, `DialCallDuration`. A PSTN leg with a `url` is screened
//! first ([`super::screen`]). `<Conference>`/`<Queue>` are joined at once and last the
//! settings' `talk_seconds`.

use twilio::twiml::{Dial, DialRecord, DialTarget, Method, NounCallbacks};
use twilio::CallSid;

use super::callback::{self, Callbacks};
use super::record::{send_apart, RecordingStatus};
use super::run::{End, Flow, Interrupt, Run, Source};
use super::screen::Screening;
use super::{base_params, new_call, set_status, Command};
use crate::hook;
use crate::resource::{CallDirection, CallStatus, Recording, RecordingSource};
use crate::settings::Party;

/// Simulated seconds a scripted PSTN party takes to pick up (or answer busy).
const RING_SECONDS: f64 = 1.0;

enum Target {
    Pstn {
        party: Party,
    },
    Client {
        identity: String,
        parameters: Vec<(String, String)>,
    },
}

struct Leg {
    sid: CallSid,
    target: Target,
    status: CallStatus,
    callbacks: Callbacks,
    params: Vec<(String, String)>,
    /// Browser connections this leg rings.
    ringing: Vec<u64>,
    /// The noun's `url`: what the callee runs once it answers, before the bridge. Only PSTN
    /// parties are screened; a browser's `<Client url>` is not simulated.
    screen: Option<(String, Method)>,
    /// The dialling call's `elapsed` when this leg answered.
    answered_at: Option<f64>,
    screening: Option<Screening>,
}

impl Leg {
    /// When (seconds into ringing) a scripted party acts, and what it does.
    fn due(&self) -> Option<(f64, CallStatus)> {
        match self.target {
            Target::Pstn {
                party: Party::Answer { .. },
            } => Some((RING_SECONDS, CallStatus::InProgress)),
            Target::Pstn {
                party: Party::Voicemail { .. },
            } => Some((0.0, CallStatus::InProgress)),
            Target::Pstn { party: Party::Busy } => Some((RING_SECONDS, CallStatus::Busy)),
            Target::Pstn {
                party: Party::Failed,
            } => Some((0.0, CallStatus::Failed)),
            _ => None,
        }
    }

    fn status_params(&self, status: CallStatus) -> Vec<(String, String)> {
        let mut params = self.params.clone();
        params.push(("CallStatus".to_owned(), status.as_str().to_owned()));
        params
    }
}

/// How the ringing ended.
enum Rung {
    Answered { leg: usize, by: Option<u64> },
    Unanswered(CallStatus),
}

impl Run {
    pub(super) async fn dial(&mut self, dial: &Dial) -> Flow {
        if self.direction == CallDirection::OutboundDial {
            // Only a dial leg's screening document runs on a leg.
            let message = "a screening document (<Number url>) cannot <Dial>";
            return Flow::End(self.app_error(None, 13201, message).await);
        }
        // Twilio answers the caller when the Dial starts (answerOnBridge is not simulated).
        if !self.answer().await {
            return Flow::End(End::Closed);
        }
        let room = dial.targets.iter().find_map(|t| match t {
            DialTarget::Conference(c) => Some(format!("conference {}", c.name)),
            DialTarget::Queue(q) => Some(format!("queue {}", q.name)),
            _ => None,
        });
        if let Some(room) = room {
            return self.join_room(dial, room).await;
        }
        let timeout = f64::from(dial.timeout.unwrap_or(30).clamp(5, 600));
        let started = self.elapsed;
        let mut legs = self.place_legs(dial);
        let rung = match self.ring(&mut legs, timeout).await {
            Ok(rung) => rung,
            Err(flow) => {
                self.end_legs(&mut legs, CallStatus::Canceled);
                return flow;
            }
        };
        let mut extra = Vec::new();
        match rung {
            Rung::Answered { leg, by } => {
                let talk = match self.bridge(&mut legs[leg], by, dial).await {
                    Ok(talk) => talk,
                    Err(flow) => return flow,
                };
                // The dialled call's duration: its screening and the conversation.
                let duration = legs[leg].answered_at.map_or(talk, |at| self.elapsed - at);
                extra.push(("DialCallStatus".to_owned(), "completed".to_owned()));
                extra.push(("DialCallSid".to_owned(), legs[leg].sid.to_string()));
                extra.push(("DialCallDuration".to_owned(), duration.round().to_string()));
                extra.push(("DialBridged".to_owned(), "true".to_owned()));
                let recorded = match dial.record {
                    Some(DialRecord::RecordFromRinging | DialRecord::RecordFromRingingDual) => {
                        self.elapsed - started
                    }
                    _ => talk,
                };
                if let Some(url) = self.dial_recording(dial, &legs[leg].sid, recorded) {
                    extra.push(("RecordingUrl".to_owned(), url));
                }
            }
            Rung::Unanswered(status) => {
                self.event(format!("dial ended {status}"));
                extra.push(("DialCallStatus".to_owned(), status.as_str().to_owned()));
                if let Some(leg) = legs.last() {
                    extra.push(("DialCallSid".to_owned(), leg.sid.to_string()));
                }
                extra.push(("DialCallDuration".to_owned(), "0".to_owned()));
                extra.push(("DialBridged".to_owned(), "false".to_owned()));
            }
        }
        self.after_dial(dial, extra).await
    }

    /// Continues after the Dial: its `action` (Twilio has no default here) or the next verb.
    async fn after_dial(&mut self, dial: &Dial, extra: Vec<(String, String)>) -> Flow {
        let method = dial.method.unwrap_or(Method::Post);
        let url = match dial.action.as_deref().map(|a| self.action_url(Some(a))) {
            None => None,
            Some(Ok(url)) => url,
            Some(Err(f)) => return Flow::End(self.app_error(None, f.code, &f.message).await),
        };
        match url {
            Some(url) if self.caller_gone => {
                self.report(url, method, "dial-action", &extra).await;
                Flow::End(End::Status(CallStatus::Completed))
            }
            Some(url) => Flow::Fetch(Source::Url {
                url,
                method,
                purpose: "dial-action",
                extra,
            }),
            None if self.caller_gone => Flow::End(End::Status(CallStatus::Completed)),
            None => Flow::Next,
        }
    }

    async fn join_room(&mut self, dial: &Dial, room: String) -> Flow {
        self.event(format!("joined {room}"));
        let talk = f64::from(self.sim.read_state(|s| s.settings.talk_seconds));
        let before = self.elapsed;
        match self.wait(talk, false).await {
            None | Some(Interrupt::HungUp) => {}
            Some(other) => return self.interrupted(other),
        }
        let spent = self.elapsed - before;
        let extra = vec![
            ("DialCallStatus".to_owned(), "answered".to_owned()),
            ("DialCallDuration".to_owned(), spent.round().to_string()),
            ("DialBridged".to_owned(), "true".to_owned()),
        ];
        self.after_dial(dial, extra).await
    }

    /// Creates the child calls (`outbound-dial`, ringing) and rings the browsers.
    fn place_legs(&mut self, dial: &Dial) -> Vec<Leg> {
        let parent_from = self
            .params
            .iter()
            .find(|(k, _)| k == "From")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let caller_id = dial.caller_id.clone().unwrap_or(parent_from);
        let mut legs = Vec::new();
        for target in &dial.targets {
            let (to, target, noun) = match target {
                DialTarget::Text(number) => {
                    let number = number.trim().to_owned();
                    let party = self.sim.party(&number);
                    (number, Target::Pstn { party }, None)
                }
                DialTarget::Number(n) => {
                    let number = n.number.trim().to_owned();
                    let party = self.sim.party(&number);
                    (number, Target::Pstn { party }, Some(&n.callbacks))
                }
                DialTarget::Sip(sip) => {
                    let party = self.sim.party(sip.uri.trim());
                    (
                        sip.uri.trim().to_owned(),
                        Target::Pstn { party },
                        Some(&sip.callbacks),
                    )
                }
                DialTarget::Client(c) => (
                    format!("client:{}", c.identity.trim()),
                    Target::Client {
                        identity: c.identity.trim().to_owned(),
                        parameters: c.parameters.clone(),
                    },
                    Some(&c.callbacks),
                ),
                DialTarget::Conference(_) | DialTarget::Queue(_) => continue,
            };
            let mut leg = self.place_leg(&caller_id, to, target, noun);
            if matches!(leg.target, Target::Pstn { .. }) {
                leg.screen = noun.and_then(|n| self.screen_url(n));
            }
            legs.push(leg);
        }
        for leg in &mut legs {
            if let Target::Client {
                identity,
                parameters,
            } = &leg.target
            {
                leg.ringing =
                    crate::browser::ring(&self.sim, identity, &leg.sid, &caller_id, parameters);
            }
        }
        legs
    }

    fn place_leg(
        &mut self,
        from: &str,
        to: String,
        target: Target,
        noun: Option<&NounCallbacks>,
    ) -> Leg {
        let parent = self.sid.clone();
        // A relative callback URL is resolved against the document, like every URL in it.
        let callback_url = noun
            .and_then(|n| n.status_callback.as_deref())
            .and_then(|u| hook::join(self.doc_url.as_deref(), u).ok());
        let mut callbacks = Callbacks::new(
            callback_url.clone(),
            match noun.and_then(|n| n.status_callback_method) {
                Some(Method::Get) => "GET",
                _ => "POST",
            },
            callback::events(noun.and_then(|n| n.status_callback_event.as_deref())),
        );
        let (sid, params) = self.sim.with_state(|s| {
            let mut call = new_call(
                s,
                from,
                &to,
                CallDirection::OutboundDial,
                Some(parent.clone()),
                None,
            );
            call.status = CallStatus::Ringing;
            call.status_callback = callback_url;
            let params = base_params(s, &call, &[]);
            if let Some(control) = s.controls.get(parent.as_str()).cloned() {
                s.controls.insert(call.sid.to_string(), control);
            }
            let trace = s.trace(call.sid.as_str());
            trace.statuses.push("queued".to_owned());
            trace.statuses.push("ringing".to_owned());
            s.trace(parent.as_str())
                .events
                .push(format!("dial {} ({})", to, call.sid));
            let sid = call.sid.clone();
            s.calls.push(call);
            (sid, params)
        });
        for (event, status) in [
            ("initiated", "initiated"),
            ("ringing", CallStatus::Ringing.as_str()),
        ] {
            let mut params = params.clone();
            params.push(("CallStatus".to_owned(), status.to_owned()));
            callbacks.fire(&self.sim, &sid, event, params);
        }
        Leg {
            sid,
            target,
            status: CallStatus::Ringing,
            callbacks,
            params,
            ringing: Vec::new(),
            screen: None,
            answered_at: None,
            screening: None,
        }
    }

    /// The noun's screening `url` resolved against the document, with its method. A URL that
    /// cannot be resolved screens nothing (Twilio would flag it; the leg is bridged).
    fn screen_url(&self, noun: &NounCallbacks) -> Option<(String, Method)> {
        let url = hook::join(self.doc_url.as_deref(), noun.url.as_deref()?).ok()?;
        Some((url, noun.method.unwrap_or(Method::Post)))
    }

    /// Rings every leg until one is bridged, all give up, the Dial times out or the caller
    /// hangs up. A leg being screened does not stop the others ringing, and the timeout ends
    /// only the ringing ones: screenings run to their end. `Err` carries what the call does
    /// instead (redirect, shutdown).
    async fn ring(&mut self, legs: &mut [Leg], timeout: f64) -> Result<Rung, Flow> {
        let mut t = 0.0;
        let mut timed_out = false;
        loop {
            let ringing: Vec<usize> = (0..legs.len())
                .filter(|i| legs[*i].status == CallStatus::Ringing)
                .collect();
            let screening = legs.iter().any(|l| l.screening.is_some());
            if ringing.is_empty() && !screening {
                return Ok(Rung::Unanswered(if timed_out {
                    CallStatus::NoAnswer
                } else {
                    unanswered_status(legs)
                }));
            }
            let next_due = if ringing.is_empty() {
                f64::INFINITY
            } else {
                ringing
                    .iter()
                    .filter_map(|i| legs[*i].due().map(|(at, _)| at))
                    .fold(timeout, f64::min)
            };
            let before = self.elapsed;
            let interrupt = self.wait_for((next_due - t).max(0.0), false, true).await;
            t += self.elapsed - before;
            match interrupt {
                None => {
                    t = next_due;
                    for i in ringing {
                        match legs[i].due() {
                            Some((at, CallStatus::InProgress)) if at <= t => {
                                if let Some(rung) = self.picked_up(legs, i, None) {
                                    return Ok(rung);
                                }
                            }
                            Some((at, status)) if at <= t => self.end_leg(&mut legs[i], status),
                            _ => {}
                        }
                    }
                    if t >= timeout && !timed_out {
                        timed_out = true;
                        for leg in legs.iter_mut() {
                            if leg.status == CallStatus::Ringing {
                                self.end_leg(leg, CallStatus::NoAnswer);
                            }
                        }
                    }
                }
                Some(Interrupt::HungUp) => {
                    self.end_legs(legs, CallStatus::Canceled);
                    return Ok(Rung::Unanswered(CallStatus::Canceled));
                }
                Some(Interrupt::Leg(sid, Command::Screened { accepted, took })) => {
                    let Some(i) = legs
                        .iter()
                        .position(|l| l.sid == sid && l.screening.is_some())
                    else {
                        continue;
                    };
                    let alone = ringing.is_empty()
                        && legs.iter().filter(|l| l.screening.is_some()).count() == 1;
                    // The task is over; what it ran decides.
                    legs[i].screening = None;
                    self.screened_for(&mut legs[i], took.as_secs_f64(), alone);
                    if accepted {
                        self.event(format!("{sid} accepted the call"));
                        self.end_other_legs(legs, i);
                        return Ok(Rung::Answered { leg: i, by: None });
                    }
                    self.event(format!("{sid} ended during screening"));
                    self.end_leg(&mut legs[i], CallStatus::Completed);
                }
                Some(Interrupt::Leg(sid, command)) => {
                    if let Some(screening) = legs
                        .iter()
                        .find(|l| l.sid == sid)
                        .and_then(|l| l.screening.as_ref())
                    {
                        screening.forward(sid, command);
                        continue;
                    }
                    let Some(i) = legs
                        .iter()
                        .position(|l| l.sid == sid && l.status == CallStatus::Ringing)
                    else {
                        continue;
                    };
                    let by = match &command {
                        Command::Answer { by }
                        | Command::Reject { by }
                        | Command::Hangup { by } => *by,
                        _ => continue,
                    };
                    // A browser must be one that this leg rings.
                    if by.is_some_and(|conn| !legs[i].ringing.contains(&conn)) {
                        continue;
                    }
                    match (command, by) {
                        (Command::Answer { .. }, _) => {
                            if let Some(rung) = self.picked_up(legs, i, by) {
                                return Ok(rung);
                            }
                        }
                        // A browser that goes away (or hangs up) stops ringing; the others go on.
                        (Command::Hangup { .. }, Some(conn)) => {
                            legs[i].ringing.retain(|c| *c != conn);
                        }
                        _ => self.end_leg(&mut legs[i], CallStatus::Busy),
                    }
                }
                Some(other) => return Err(self.interrupted(other)),
            }
        }
    }

    /// Leg `i` answered (a browser connection `by`, or its PSTN party): a leg with a screening
    /// URL starts its screening and the others ring on (`None`); any other is bridged at once.
    fn picked_up(&self, legs: &mut [Leg], i: usize, by: Option<u64>) -> Option<Rung> {
        if let (Some(screen), None) = (legs[i].screen.clone(), by) {
            let leg = &mut legs[i];
            // In progress before the screening's first request says so.
            self.answer_leg(leg);
            let keys = match &leg.target {
                Target::Pstn { party } => party.keys(),
                Target::Client { .. } => None,
            };
            leg.screening = self.screen(&leg.sid, leg.params.clone(), screen, keys);
            if leg.screening.is_some() {
                return None;
            }
        }
        self.end_other_legs(legs, i);
        Some(Rung::Answered { leg: i, by })
    }

    /// Takes the simulated time a screening took as the truth: this call's clock also ran
    /// while the screening waited for its webhooks. The leg's duration counts from its answer
    /// `took` ago; when this call waited for nothing else (`alone`), it waited that long.
    fn screened_for(&mut self, leg: &mut Leg, took: f64, alone: bool) {
        if let (true, Some(at)) = (alone, leg.answered_at) {
            self.elapsed = at + took;
        }
        leg.answered_at = Some(self.elapsed - took);
    }

    /// A leg's party picked up: its record, its `answered` callback, and when (for its
    /// duration).
    fn answer_leg(&self, leg: &mut Leg) {
        set_status(
            &self.sim,
            self.epoch,
            &leg.sid,
            CallStatus::InProgress,
            None,
        );
        leg.status = CallStatus::InProgress;
        leg.answered_at = Some(self.elapsed);
        let params = leg.status_params(CallStatus::InProgress);
        leg.callbacks.fire(&self.sim, &leg.sid, "answered", params);
    }

    /// Caller and callee talk until one hangs up (or `timeLimit`); the simulated talk time.
    async fn bridge(&mut self, leg: &mut Leg, by: Option<u64>, dial: &Dial) -> Result<f64, Flow> {
        // A screened leg was answered when its screening started.
        if leg.answered_at.is_none() {
            self.answer_leg(leg);
        }
        let others: Vec<u64> = leg
            .ringing
            .iter()
            .copied()
            .filter(|c| Some(*c) != by)
            .collect();
        crate::browser::canceled(&self.sim, &others, &leg.sid);
        if let Some(conn) = by {
            crate::browser::connected(&self.sim, conn, &leg.sid);
        }
        self.event(format!("bridged with {}", leg.sid));
        let talk_limit = match &leg.target {
            Target::Pstn { party } => party.talk_seconds().map_or(f64::INFINITY, f64::from),
            Target::Client { .. } => f64::INFINITY,
        };
        let limit = talk_limit.min(f64::from(dial.time_limit.unwrap_or(14_400)));
        let mut talk = 0.0;
        let outcome = loop {
            let before = self.elapsed;
            let interrupt = self.wait_for(limit - talk, false, true).await;
            talk += self.elapsed - before;
            match interrupt {
                None | Some(Interrupt::HungUp) => break Ok(()),
                Some(Interrupt::Leg(sid, command)) if sid == leg.sid => match command {
                    Command::Hangup { .. } | Command::Reject { .. } => break Ok(()),
                    Command::Digits(digits) => {
                        self.leg_heard(&leg.sid, format!("digits: {digits}"))
                    }
                    _ => {}
                },
                Some(Interrupt::Leg(..)) => {}
                Some(other) => break Err(self.interrupted(other)),
            }
        };
        if matches!(outcome, Err(Flow::End(End::Closed))) {
            return outcome.map(|()| talk);
        }
        self.end_leg(leg, CallStatus::Completed);
        if let Some(conn) = by {
            crate::browser::disconnected(&self.sim, conn, &leg.sid);
        }
        outcome.map(|()| talk)
    }

    fn leg_heard(&self, sid: &CallSid, line: String) {
        let epoch = self.epoch;
        self.sim.with_state(|s| {
            if s.epoch == epoch {
                s.trace(sid.as_str()).transcript.push(line);
            }
        });
    }

    /// Ends a leg with `status` (a leg that answered completes, whatever ended it): its
    /// screening stopped, record, callback, browsers told, its control gone.
    fn end_leg(&self, leg: &mut Leg, status: CallStatus) {
        if leg.status.is_final() {
            return;
        }
        if let Some(screening) = leg.screening.take() {
            screening.stop();
        }
        let talk = leg.answered_at.map(|at| self.elapsed - at);
        let status = if talk.is_some() {
            CallStatus::Completed
        } else {
            status
        };
        leg.status = status;
        set_status(&self.sim, self.epoch, &leg.sid, status, talk);
        let mut params = leg.status_params(status);
        params.push((
            "CallDuration".to_owned(),
            talk.unwrap_or(0.0).round().to_string(),
        ));
        leg.callbacks.fire(&self.sim, &leg.sid, "completed", params);
        if status != CallStatus::Completed {
            crate::browser::canceled(&self.sim, &leg.ringing, &leg.sid);
        }
        let sid = leg.sid.to_string();
        self.sim.with_state(|s| s.controls.remove(&sid));
    }

    fn end_legs(&self, legs: &mut [Leg], status: CallStatus) {
        for leg in legs {
            self.end_leg(leg, status);
        }
    }

    fn end_other_legs(&self, legs: &mut [Leg], winner: usize) {
        for (i, leg) in legs.iter_mut().enumerate() {
            if i != winner {
                self.end_leg(leg, CallStatus::Canceled);
            }
        }
    }

    /// `record="record-from-…"` on a bridged Dial stores a recording of the conversation
    /// (`seconds` long; two channels for the `-dual` modes) and posts its
    /// `recordingStatusCallback`; the URL for the action.
    fn dial_recording(&self, dial: &Dial, leg: &CallSid, seconds: f64) -> Option<String> {
        let channels = match dial.record {
            None | Some(DialRecord::DoNotRecord) => return None,
            Some(DialRecord::RecordFromAnswer | DialRecord::RecordFromRinging) => 1,
            Some(DialRecord::RecordFromAnswerDual | DialRecord::RecordFromRingingDual) => 2,
        };
        let parent = self.sid.clone();
        let epoch = self.epoch;
        let seconds = seconds.round().max(1.0) as u32;
        let (recording, url) = self.sim.with_state(|s| {
            if s.epoch != epoch {
                return None;
            }
            let mut recording =
                Recording::new(parent.clone(), seconds, RecordingSource::DialVerb, s.now());
            recording.channels = channels;
            let url = s.absolute(&recording.audio_uri(&s.account_sid));
            s.trace(parent.as_str())
                .events
                .push(format!("recorded {} of {leg} ({seconds} s)", recording.sid));
            s.recordings.push(recording.clone());
            Some((recording, url))
        })?;
        let asked = RecordingStatus {
            callback: dial.recording_status_callback.as_deref(),
            method: dial.recording_status_callback_method,
            events: dial.recording_status_callback_event.as_deref(),
        };
        let status = self.recording_status(asked, &recording, &url);
        send_apart(&self.sim, status.into_iter().collect());
        Some(url)
    }
}

/// `DialCallStatus` when no leg was bridged and none is still ringing or screening: busy if
/// anyone was busy, failed if every leg failed, otherwise no-answer.
///
/// A leg that answered but ended during its screening (the whisper's `<Hangup>`, its party
/// hanging up) was not connected, and counts as not answered. Twilio does not document the
/// status it reports then, but its own call-forwarding code shows it is not `completed`: the
/// Find Me Twimlet (`HumanCheck`) and OpenVBX's dial applet hang up the whisper on whoever
/// presses nothing, then try the next number or voicemail unless `DialCallStatus` is
/// `completed` or `answered` (twilio-labs/function-templates `funlet-find-me`, which quotes
/// Twilio's `findme.php`; twilio/OpenVBX `TwimlDial.php`). Nothing says which other value it
/// is, so it is `no-answer`, what an app expects when nobody took the call.
fn unanswered_status(legs: &[Leg]) -> CallStatus {
    if legs.iter().any(|l| l.status == CallStatus::Busy) {
        CallStatus::Busy
    } else if !legs.is_empty() && legs.iter().all(|l| l.status == CallStatus::Failed) {
        CallStatus::Failed
    } else {
        CallStatus::NoAnswer
    }
}
