//! Simulated browser clients (Voice SDK devices): the registry of connected browsers by
//! identity, and how calls ring them and tell them what happens. The WebSocket endpoint that
//! browsers connect to lives in [`socket`].

mod media;
pub(crate) mod protocol;
mod signal;
mod socket;

use std::collections::{BTreeMap, HashMap, HashSet};

use tokio::sync::mpsc;
use twilio::CallSid;

pub(crate) use media::{page as media_page, route as media_route};
pub(crate) use signal::route as signal_route;
pub(crate) use socket::route;

use crate::Sim;
use protocol::ServerEvent;

/// One registered browser connection.
#[derive(Debug, Clone)]
pub(crate) struct Browser {
    pub identity: String,
    /// The token allows incoming calls (`voice.incoming.allow`).
    pub incoming_allowed: bool,
    /// The browser asked for calls: at once on `/_sim/client`, after `register` on the
    /// SDK's signaling.
    pub listening: bool,
    /// When its token expires (unix seconds on the simulator's clock).
    pub expires: i64,
    pub outgoing_application: Option<String>,
    pub outgoing_params: BTreeMap<String, String>,
    pub tx: mpsc::UnboundedSender<ServerEvent>,
    /// Calls this browser is ringing for or connected to.
    pub calls: HashSet<String>,
    /// Its connection is up (false while an SDK whose socket dropped may still come back).
    pub attached: bool,
}

/// Every registered browser connection by id, and the page that plays the far end of the
/// SDK's audio. It survives a reset: connections are transport,
/// not account state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Registry {
    pub next_id: u64,
    pub browsers: HashMap<u64, Browser>,
    pub media_peer: Option<media::Peer>,
}

/// Rings every browser registered for `identity` that accepts incoming calls and whose token
/// is still valid; returns the connections rung.
pub(crate) fn ring(
    sim: &Sim,
    identity: &str,
    call_sid: &CallSid,
    from: &str,
    params: &[(String, String)],
) -> Vec<u64> {
    sim.with_state(|s| {
        let now = s.now().timestamp();
        let mut rung = Vec::new();
        for (id, browser) in &mut s.browsers.browsers {
            let rings = browser.incoming_allowed && browser.listening;
            if browser.identity != identity || !rings || browser.expires <= now {
                continue;
            }
            let event = ServerEvent::Incoming {
                call_sid: call_sid.to_string(),
                from: from.to_owned(),
                to: format!("client:{identity}"),
                params: params.iter().cloned().collect(),
            };
            if browser.tx.send(event).is_ok() {
                browser.calls.insert(call_sid.to_string());
                rung.push(*id);
            }
        }
        rung.sort_unstable();
        rung
    })
}

fn tell(sim: &Sim, conn: u64, call_sid: &CallSid, event: ServerEvent, still_involved: bool) {
    sim.with_state(|s| {
        if let Some(browser) = s.browsers.browsers.get_mut(&conn) {
            let _ = browser.tx.send(event);
            if still_involved {
                browser.calls.insert(call_sid.to_string());
            } else {
                browser.calls.remove(call_sid.as_str());
            }
        }
    });
}

/// The call stopped ringing at `conns`.
pub(crate) fn canceled(sim: &Sim, conns: &[u64], call_sid: &CallSid) {
    for conn in conns {
        let event = ServerEvent::Canceled {
            call_sid: call_sid.to_string(),
        };
        tell(sim, *conn, call_sid, event, false);
    }
}

pub(crate) fn connected(sim: &Sim, conn: u64, call_sid: &CallSid) {
    let event = ServerEvent::Connected {
        call_sid: call_sid.to_string(),
    };
    tell(sim, conn, call_sid, event, true);
}

pub(crate) fn disconnected(sim: &Sim, conn: u64, call_sid: &CallSid) {
    let event = ServerEvent::Disconnected {
        call_sid: call_sid.to_string(),
    };
    tell(sim, conn, call_sid, event, false);
}
