//! Call screening (`<Number url>`, the "whisper"): once a dialled party answers, its leg fetches
//! the noun's URL with the leg's own parameters and runs the answer on the callee's side in a
//! task of its own, while the caller still hears ringing and the other legs go on ringing.
//! Reaching the end of the document bridges the leg; `<Hangup>`, an error or the party hanging
//! up ends only that leg.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use twilio::twiml::Method;
use twilio::CallSid;

use super::callback::Callbacks;
use super::run::{End, Flow, Run, Source};
use super::{Command, Script};
use crate::resource::CallDirection;

/// A screening under way on one dial leg.
pub(super) struct Screening {
    /// Commands for the leg (its party hangs up, presses keys) reach its task through here.
    commands: mpsc::UnboundedSender<(CallSid, Command)>,
    task: JoinHandle<()>,
}

impl Screening {
    /// Hands a command for the screened leg to its task.
    pub fn forward(&self, sid: CallSid, command: Command) {
        let _ = self.commands.send((sid, command));
    }

    /// Stops the screening: another leg was bridged or the Dial is over.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Run {
    /// Starts screening the answered leg `sid` (whose requests carry `params`) with the
    /// document at `url`; `keys` are what its party presses at each `<Gather>`. The task tells
    /// this call the outcome with [`Command::Screened`]. `None` when this call is no longer
    /// reachable (the simulator was reset).
    pub(super) fn screen(
        &self,
        sid: &CallSid,
        params: Vec<(String, String)>,
        (url, method): (String, Method),
        keys: Option<String>,
    ) -> Option<Screening> {
        let report = self
            .sim
            .read_state(|s| s.controls.get(self.sid.as_str()).cloned())?;
        let (commands, receiver) = mpsc::unbounded_channel();
        let leg = Run {
            sim: self.sim.clone(),
            sid: sid.clone(),
            epoch: self.epoch,
            params,
            commands: receiver,
            script: Script {
                keys,
                ..Script::default()
            },
            // The leg is in progress: nothing it runs answers it again.
            answered: true,
            elapsed: 0.0,
            caller_gone: false,
            documents: 0,
            doc_url: None,
            fallback: None,
            // The dialling call reports the leg's progress; the screening reports nothing.
            callbacks: Callbacks::new(None, "POST", Vec::new()),
            browser: None,
            direction: CallDirection::OutboundDial,
        };
        self.event(format!("screening {sid} with {url}"));
        let task = tokio::spawn(async move {
            let sid = leg.sid.clone();
            let source = Source::Url {
                url,
                method,
                purpose: "screen",
                extra: Vec::new(),
            };
            if let Some((accepted, took)) = leg.run_screening(source).await {
                let _ = report.send((sid, Command::Screened { accepted, took }));
            }
        });
        Some(Screening { commands, task })
    }

    /// Runs the screening documents of a leg: `true` when one runs to its end (bridge the
    /// leg), `false` when the leg is over (`<Hangup>`, `<Reject>`, an error, its party hung
    /// up), with the simulated time it took; `None` when the simulator closed.
    async fn run_screening(mut self, mut source: Source) -> Option<(bool, Duration)> {
        let accepted = loop {
            let doc = match self.fetch(source).await {
                Ok(doc) => doc,
                Err(End::Closed) => return None,
                Err(End::Status(_)) => break false,
            };
            match self.execute(doc).await {
                Flow::Fetch(next) => source = next,
                Flow::Next => break true,
                Flow::End(End::Closed) => return None,
                Flow::End(End::Status(_)) => break false,
            }
        };
        Some((accepted, Duration::from_secs_f64(self.elapsed)))
    }
}
