//! One call's task: fetching documents (with the fallback URL and Twilio's errors), answering,
//! waiting in simulated time while commands arrive, and ending with the status callbacks.

use tokio::sync::mpsc;
use tokio::time::Instant;
use twilio::twiml::{self, Method, Verb, VoiceResponse};
use twilio::CallSid;

use super::callback::Callbacks;
use super::{base_params, set_status, Command, Script};
use crate::hook::{self, Answer, Request};
use crate::resource::{Call, CallDirection, CallStatus};
use crate::sim::SimState;
use crate::Sim;

/// Where the next document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    Url {
        url: String,
        method: Method,
        /// For the webhook log: `voice`, `redirect`, `gather-action`, …
        purpose: &'static str,
        /// Parameters added to the call's own (`Digits`, `DialCallStatus`, …).
        extra: Vec<(String, String)>,
    },
    Twiml(String),
}

/// How a call ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    Status(CallStatus),
    /// The simulator was reset or is shutting down: stop without writing anything.
    Closed,
}

/// What carrying out a verb leads to.
#[derive(Debug)]
pub(crate) enum Flow {
    Next,
    Fetch(Source),
    End(End),
}

/// Why a wait stopped early.
#[derive(Debug)]
pub(crate) enum Interrupt {
    HungUp,
    Redirect(Source),
    Digits(String),
    Closed,
    /// A command for one of this call's dial legs (only when listening for legs).
    Leg(CallSid, Command),
}

pub(crate) struct Run {
    pub sim: Sim,
    pub sid: CallSid,
    pub epoch: u64,
    /// What every request about this call carries, without `CallStatus`.
    pub params: Vec<(String, String)>,
    pub commands: mpsc::UnboundedReceiver<(CallSid, Command)>,
    pub script: Script,
    pub answered: bool,
    /// Simulated seconds since the call was answered.
    pub elapsed: f64,
    pub caller_gone: bool,
    pub documents: u32,
    /// The URL of the current document: base of relative URLs, default of actions.
    pub doc_url: Option<String>,
    pub fallback: Option<(String, Method)>,
    pub callbacks: Callbacks,
    /// The browser connection on this side of the call, if a simulated browser placed or
    /// took it.
    pub browser: Option<u64>,
    pub direction: CallDirection,
}

impl Run {
    /// Prepares the task of `call` and registers its command channel (the caller stores the
    /// call record).
    pub fn register(
        s: &mut SimState,
        sim: &Sim,
        call: &Call,
        extra: Vec<(String, String)>,
        script: Script,
    ) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        s.controls.insert(call.sid.to_string(), tx);
        Self {
            sim: sim.clone(),
            sid: call.sid.clone(),
            epoch: s.epoch,
            params: base_params(s, call, &extra),
            commands: rx,
            script,
            answered: false,
            elapsed: 0.0,
            caller_gone: false,
            documents: 0,
            doc_url: None,
            fallback: None,
            callbacks: Callbacks::new(
                call.status_callback.clone(),
                &call.status_callback_method,
                call.status_callback_events.clone(),
            ),
            browser: None,
            direction: call.direction,
        }
    }

    /// Runs the call from its first document to its end.
    pub async fn start(mut self, source: Option<Source>) {
        let end = match source {
            Some(source) => self.run(source).await,
            None => {
                self.app_error(None, 11100, "no voice URL is configured")
                    .await
            }
        };
        self.finish(end).await;
    }

    pub(super) async fn run(&mut self, mut source: Source) -> End {
        loop {
            let doc = match self.fetch(source).await {
                Ok(doc) => doc,
                Err(end) => return end,
            };
            match self.execute(doc).await {
                Flow::Fetch(next) => source = next,
                Flow::End(end) => return end,
                Flow::Next => return End::Status(CallStatus::Completed),
            }
        }
    }

    /// The status this call has in requests: `ringing` until answered, `completed` once the
    /// caller is gone.
    fn status_now(&self) -> CallStatus {
        if self.caller_gone {
            CallStatus::Completed
        } else if self.answered {
            CallStatus::InProgress
        } else {
            CallStatus::Ringing
        }
    }

    pub fn request_params(&self, extra: &[(String, String)]) -> Vec<(String, String)> {
        let mut params = self.params.clone();
        params.push((
            "CallStatus".to_owned(),
            self.status_now().as_str().to_owned(),
        ));
        params.extend(extra.iter().cloned());
        params
    }

    fn status_params(&self, status: CallStatus) -> Vec<(String, String)> {
        let mut params = self.params.clone();
        params.push(("CallStatus".to_owned(), status.as_str().to_owned()));
        params
    }

    pub fn is_current(&self) -> bool {
        self.sim.read_state(|s| s.epoch) == self.epoch
    }

    /// Appends a line to what the caller heard.
    pub fn hear(&self, line: String) {
        let epoch = self.epoch;
        self.sim.with_state(|s| {
            if s.epoch == epoch {
                s.trace(self.sid.as_str()).transcript.push(line);
            }
        });
    }

    pub fn event(&self, line: String) {
        let epoch = self.epoch;
        self.sim.with_state(|s| {
            if s.epoch == epoch {
                s.trace(self.sid.as_str()).events.push(line);
            }
        });
    }

    pub(super) async fn fetch(&mut self, source: Source) -> Result<VoiceResponse, End> {
        let (url, method, purpose, extra) = match source {
            Source::Twiml(xml) => {
                self.doc_url = None;
                return match twiml::read_voice(&xml) {
                    Ok(doc) => Ok(doc),
                    Err(e) => Err(self.app_error(None, 12100, &e.to_string()).await),
                };
            }
            Source::Url {
                url,
                method,
                purpose,
                extra,
            } => (url, method, purpose, extra),
        };
        let limit = self.sim.read_state(|s| s.settings.max_call_documents);
        if self.documents >= limit {
            let message = format!("more than {limit} documents on one call");
            return Err(self.app_error(None, 11215, &message).await);
        }
        self.documents += 1;
        let request = Request {
            owner: self.sid.to_string(),
            purpose,
            url: url.clone(),
            method,
            params: self.request_params(&extra),
        };
        let (answer, url) = match hook::send(&self.sim, &request).await {
            Ok(answer) => (answer, url),
            Err(failure) => match (self.documents, self.fallback.clone()) {
                (1, Some((fallback, fallback_method))) => {
                    let mut request = Request {
                        purpose: "voice-fallback",
                        url: fallback.clone(),
                        method: fallback_method,
                        ..request
                    };
                    request
                        .params
                        .push(("ErrorCode".to_owned(), failure.code.to_string()));
                    request.params.push(("ErrorUrl".to_owned(), url));
                    match hook::send(&self.sim, &request).await {
                        Ok(answer) => (answer, fallback),
                        Err(f) => return Err(self.app_error(None, f.code, &f.message).await),
                    }
                }
                _ => return Err(self.app_error(None, failure.code, &failure.message).await),
            },
        };
        if !self.is_current() {
            return Err(End::Closed);
        }
        self.doc_url = Some(url.clone());
        match interpret(&answer, &url) {
            Ok(doc) => Ok(doc),
            Err((code, message)) => Err(self.app_error(Some(answer.id), code, &message).await),
        }
    }

    /// What Twilio does when it cannot get TwiML: the caller hears an error message and the
    /// call ends.
    pub async fn app_error(&mut self, webhook: Option<u64>, code: u32, message: &str) -> End {
        hook::flag(&self.sim, self.sid.as_str(), webhook, code, message);
        if self.caller_gone {
            return End::Status(CallStatus::Completed);
        }
        if !self.answer().await {
            return End::Closed;
        }
        self.hear(format!("error: {code} An application error has occurred."));
        End::Status(CallStatus::Completed)
    }

    /// Answers the call if it is not yet; false if the simulator was reset meanwhile.
    pub async fn answer(&mut self) -> bool {
        if self.answered {
            return true;
        }
        if !set_status(
            &self.sim,
            self.epoch,
            &self.sid,
            CallStatus::InProgress,
            None,
        ) {
            return false;
        }
        self.answered = true;
        self.elapsed = 0.0;
        let params = self.status_params(CallStatus::InProgress);
        self.callbacks
            .fire(&self.sim, &self.sid, "answered", params);
        if let Some(conn) = self.browser {
            crate::browser::connected(&self.sim, conn, &self.sid);
        }
        true
    }

    /// Posts a status callback event for this call (`initiated`, `ringing`).
    pub fn progress(&mut self, event: &str, status: &str) {
        let mut params = self.params.clone();
        params.push(("CallStatus".to_owned(), status.to_owned()));
        self.callbacks.fire(&self.sim, &self.sid, event, params);
    }

    /// Ends the call: final status, times, the `completed` callback, the browser told.
    pub async fn finish(mut self, end: End) {
        let End::Status(mut status) = end else {
            return;
        };
        if self.answered && status != CallStatus::Canceled {
            status = CallStatus::Completed;
        }
        let duration = self.answered.then_some(self.elapsed);
        if !set_status(&self.sim, self.epoch, &self.sid, status, duration) {
            return;
        }
        let seconds = duration.unwrap_or(0.0).round() as u64;
        let mut params = self.status_params(status);
        params.push(("CallDuration".to_owned(), seconds.to_string()));
        if self.direction == CallDirection::OutboundApi {
            params.push(("Duration".to_owned(), seconds.div_ceil(60).to_string()));
        }
        self.callbacks
            .fire(&self.sim, &self.sid, "completed", params);
        self.event(format!("ended {status} after {seconds} s"));
        let sid = self.sid.to_string();
        self.sim.with_state(|s| {
            if let Some(own) = s.controls.remove(&sid) {
                // Legs registered on this call's channel go with it.
                s.controls.retain(|_, c| !c.same_channel(&own));
            }
        });
        if let Some(conn) = self.browser {
            crate::browser::disconnected(&self.sim, conn, &self.sid);
        }
    }

    /// Waits `seconds` of simulated time, or less if something happens: the caller hangs up
    /// (scripted or by command), a REST redirect, digits (returned only when `collect`;
    /// otherwise they go to the transcript). Time spent counts towards the call's duration.
    pub async fn wait(&mut self, seconds: f64, collect: bool) -> Option<Interrupt> {
        self.wait_for(seconds, collect, false).await
    }

    /// [`Run::wait`], also returning commands for other calls (this call's dial legs) when
    /// `legs` is set.
    pub async fn wait_for(&mut self, seconds: f64, collect: bool, legs: bool) -> Option<Interrupt> {
        let mut remaining = seconds.max(0.0);
        loop {
            let until_hangup = self
                .script
                .hangup_after
                .filter(|_| self.answered)
                .map(|h| (f64::from(h) - self.elapsed).max(0.0));
            let (span, hangs_up) = match until_hangup {
                Some(h) if h <= remaining => (h, true),
                _ => (remaining, false),
            };
            let settings = self.sim.read_state(|s| s.settings.clone());
            let started = Instant::now();
            tokio::select! {
                () = tokio::time::sleep(settings.real(span)) => {
                    self.elapsed += span;
                    if hangs_up {
                        self.caller_gone = true;
                        self.event("the caller hung up".to_owned());
                        return Some(Interrupt::HungUp);
                    }
                    return None;
                }
                () = self.sim.closed() => return Some(Interrupt::Closed),
                command = self.commands.recv() => {
                    let spent = settings.simulated(started.elapsed()).min(span);
                    self.elapsed += spent;
                    remaining -= spent;
                    match command {
                        None => return Some(Interrupt::Closed),
                        Some((sid, command)) if sid == self.sid => match command {
                            Command::Hangup { .. } | Command::Reject { .. } => {
                                self.caller_gone = true;
                                self.event("the caller hung up".to_owned());
                                return Some(Interrupt::HungUp);
                            }
                            Command::Digits(digits) if collect => {
                                return Some(Interrupt::Digits(digits));
                            }
                            Command::Digits(digits) => self.hear(format!("digits: {digits}")),
                            Command::Redirect(source) => return Some(Interrupt::Redirect(source)),
                            Command::Answer { .. } | Command::Screened { .. } => {}
                        },
                        Some((sid, command)) if legs => return Some(Interrupt::Leg(sid, command)),
                        // A command for a leg that is over.
                        Some(_) => {}
                    }
                }
            }
        }
    }

    /// What an interrupted verb leads to.
    pub fn interrupted(&self, interrupt: Interrupt) -> Flow {
        match interrupt {
            // A caller who hangs up before being answered cancels the call.
            Interrupt::HungUp if !self.answered => Flow::End(End::Status(CallStatus::Canceled)),
            Interrupt::HungUp => Flow::End(End::Status(CallStatus::Completed)),
            Interrupt::Redirect(source) => Flow::Fetch(source),
            Interrupt::Closed => Flow::End(End::Closed),
            Interrupt::Digits(_) | Interrupt::Leg(..) => Flow::Next,
        }
    }

    /// The URL an action goes to: `action` resolved against the document, or the document
    /// itself (Twilio's default). `None` for inline TwiML without an action.
    pub fn action_url(&self, action: Option<&str>) -> Result<Option<String>, hook::Failure> {
        match action {
            Some(action) => hook::join(self.doc_url.as_deref(), action).map(Some),
            None => Ok(self.doc_url.clone()),
        }
    }

    /// Requests an action URL after the caller hung up: Twilio still reports, but the answer
    /// has no one to run for.
    pub async fn report(
        &self,
        url: String,
        method: Method,
        purpose: &'static str,
        extra: &[(String, String)],
    ) {
        let request = Request {
            owner: self.sid.to_string(),
            purpose,
            url,
            method,
            params: self.request_params(extra),
        };
        let _ = hook::send(&self.sim, &request).await;
    }
}

/// Reads a voice answer the way Twilio does: XML (or HTML, or no type) as TwiML; audio is
/// played and then the call hangs up; plain text runs if it is TwiML, otherwise it is read out.
fn interpret(answer: &Answer, url: &str) -> Result<VoiceResponse, (u32, String)> {
    let kind = hook::media_type(answer.content_type.as_deref());
    match kind.as_deref() {
        Some(audio) if audio.starts_with("audio/") => Ok(VoiceResponse {
            verbs: vec![
                Verb::Play(twiml::Play {
                    url: url.to_owned(),
                    ..twiml::Play::default()
                }),
                Verb::Hangup,
            ],
        }),
        Some("text/plain") => {
            Ok(
                twiml::read_voice(&answer.body).unwrap_or_else(|_| VoiceResponse {
                    verbs: vec![Verb::Say(twiml::Say {
                        text: answer.body.clone(),
                        ..twiml::Say::default()
                    })],
                }),
            )
        }
        None | Some("text/xml" | "application/xml" | "text/html") => {
            twiml::read_voice(&answer.body)
                .map_err(|e| (12100, format!("document parse failure: {e}")))
        }
        Some(other) => Err((12300, format!("invalid content type {other}"))),
    }
}
