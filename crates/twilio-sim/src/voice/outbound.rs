//! Calls created through the REST API (`outbound-api`): the simulator rings `To` (a PSTN party
//! per scenario, or the browsers of `client:<identity>`) and, once answered, runs the call's
//! `Url`, `Twiml` or application like any other call.

use tokio::time::Instant;
use twilio::CallSid;

use super::run::{End, Run, Source};
use super::{set_status, Command, Script};
use crate::messaging::method_of;
use crate::phone;
use crate::resource::CallStatus;
use crate::settings::Party;
use crate::Sim;

/// Simulated seconds a scripted party takes to pick up (or answer busy).
const RING_SECONDS: f64 = 1.0;

/// Starts the call just created through the REST API (it waits while `hold` is set).
pub(crate) fn start_outbound(sim: &Sim, sid: CallSid) {
    let sim = sim.clone();
    tokio::spawn(async move { run(&sim, sid).await });
}

async fn run(sim: &Sim, sid: CallSid) {
    let epoch = sim.read_state(|s| s.epoch);
    let released = sim
        .wait_state_until_closed(|s| (!s.settings.hold || s.epoch != epoch).then_some(()))
        .await;
    if released.is_none() {
        return;
    }
    let prepared = sim.with_state(|s| {
        let call = s.calls.iter().find(|c| c.sid == sid).cloned()?;
        if s.epoch != epoch || call.status.is_final() {
            return None;
        }
        let run = Run::register(s, sim, &call, Vec::new(), Script::default());
        Some((run, call.to, call.timeout_secs))
    });
    let Some((mut run, to, timeout)) = prepared else {
        return;
    };
    run.progress("initiated", "initiated");
    if !set_status(sim, epoch, &sid, CallStatus::Ringing, None) {
        return;
    }
    run.progress("ringing", CallStatus::Ringing.as_str());
    let outcome = ring(&mut run, &to, f64::from(timeout)).await;
    let by = match outcome {
        Ok(by) => by,
        Err(end) => return run.finish(end).await,
    };
    run.browser = by;
    if !run.answer().await {
        return;
    }
    let source = sim.read_state(|s| {
        let call = s.calls.iter().find(|c| c.sid == sid)?;
        if let Some(url) = &call.url {
            return Some(Source::Url {
                url: url.clone(),
                method: method_of(&call.method),
                purpose: "voice",
                extra: Vec::new(),
            });
        }
        if let Some(twiml) = &call.twiml {
            return Some(Source::Twiml(twiml.clone()));
        }
        let app = call
            .application_sid
            .as_ref()
            .and_then(|a| s.applications.iter().find(|x| &x.sid == a))?;
        app.voice_url.clone().map(|url| Source::Url {
            url,
            method: method_of(&app.voice_method),
            purpose: "voice",
            extra: Vec::new(),
        })
    });
    run.fallback = sim.read_state(|s| {
        s.calls.iter().find(|c| c.sid == sid).and_then(|c| {
            c.fallback_url
                .clone()
                .map(|u| (u, method_of(&c.fallback_method)))
        })
    });
    let end = match source {
        Some(source) => run.run(source).await,
        None => {
            run.app_error(None, 21205, "the call has no Url, Twiml or application")
                .await
        }
    };
    run.finish(end).await;
}

/// Rings `to` until it answers (`Ok` with the browser that took it, if any) or the call ends
/// unanswered (`Err` with its status).
async fn ring(run: &mut Run, to: &str, timeout: f64) -> Result<Option<u64>, End> {
    let sim = run.sim.clone();
    let identity = phone::client_identity(to).map(str::to_owned);
    let mut conns = match &identity {
        Some(identity) => {
            let from = run
                .params
                .iter()
                .find(|(k, _)| k == "From")
                .map(|(_, v)| v.clone())
                .unwrap_or_default();
            crate::browser::ring(&sim, identity, &run.sid, &from, &[])
        }
        None => Vec::new(),
    };
    let due = match (identity.is_some(), sim.party(to)) {
        (true, _) => None,
        (false, Party::Answer { .. }) => Some((RING_SECONDS, Ok(None))),
        (false, Party::Voicemail { .. }) => Some((0.0, Ok(None))),
        (false, Party::Busy) => Some((RING_SECONDS, Err(CallStatus::Busy))),
        (false, Party::Failed) => Some((0.0, Err(CallStatus::Failed))),
        (false, Party::NoAnswer | Party::Manual) => None,
    };
    let deadline = due.as_ref().map_or(timeout, |(at, _)| at.min(timeout));
    let mut t = 0.0;
    let result = loop {
        let settings = sim.read_state(|s| s.settings.clone());
        let started = Instant::now();
        tokio::select! {
            () = tokio::time::sleep(settings.real(deadline - t)) => {
                break match &due {
                    Some((at, outcome)) if *at <= timeout => *outcome,
                    _ => Err(CallStatus::NoAnswer),
                };
            }
            () = sim.closed() => return Err(End::Closed),
            command = run.commands.recv() => {
                t += settings.simulated(started.elapsed());
                let Some((sid, command)) = command else {
                    return Err(End::Closed);
                };
                if sid != run.sid {
                    continue;
                }
                let from_browser = |by: Option<u64>| by.is_none_or(|c| conns.contains(&c));
                match command {
                    Command::Answer { by } if from_browser(by) => break Ok(by),
                    Command::Reject { by } if from_browser(by) => break Err(CallStatus::Busy),
                    // The REST API or the control API hangs up a ringing call.
                    Command::Hangup { by: None } => break Err(CallStatus::Canceled),
                    // A browser that goes away (or hangs up) stops ringing; the others go on.
                    Command::Hangup { by: Some(conn) } => conns.retain(|c| *c != conn),
                    _ => {}
                }
            }
        }
    };
    let others: Vec<u64> = conns
        .iter()
        .copied()
        .filter(|c| result.as_ref().ok() != Some(&Some(*c)))
        .collect();
    crate::browser::canceled(&sim, &others, &run.sid);
    result.map_err(End::Status)
}
