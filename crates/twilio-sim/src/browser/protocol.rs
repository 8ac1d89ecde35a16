//! The JSON text frames of the simulated browser client WebSocket (`GET /_sim/client`), shared
//! by the server and the Rust test client. Every frame is an object with a `type`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What the simulator sends to a browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// The token was accepted; the connection now rings for `identity` (if the token allows
    /// incoming calls) and may place calls (if it names an outgoing application).
    Registered { identity: String },
    /// A call rings this browser. `call_sid` is the leg to `client:<identity>`; `params` holds
    /// the `<Parameter>`s of the `<Client>` noun.
    Incoming {
        call_sid: String,
        from: String,
        to: String,
        params: BTreeMap<String, String>,
    },
    /// The call stopped ringing here (the caller gave up, another browser answered, timeout).
    Canceled { call_sid: String },
    /// The call is connected: after this browser's `accept`, or when its outgoing call starts.
    Connected { call_sid: String },
    /// The call ended.
    Disconnected { call_sid: String },
    /// The call placed with `connect` has this SID.
    Outgoing { call_sid: String },
    /// Twilio's error code: 20101 invalid token, 20104 expired, 20157 lifetime too long,
    /// 31202 bad signature (these close the connection), 31002 and others for a refused
    /// command.
    Error { code: u32, message: String },
}

/// What a browser sends to the simulator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientCommand {
    /// Must be the first frame.
    Register {
        token: String,
    },
    Accept {
        call_sid: String,
    },
    Reject {
        call_sid: String,
    },
    Hangup {
        call_sid: String,
    },
    Digits {
        call_sid: String,
        digits: String,
    },
    /// Places a call through the token's outgoing application; `params` go to its voice URL
    /// (`To` is the usual one).
    Connect {
        #[serde(default)]
        params: BTreeMap<String, String>,
    },
    /// Replaces the token (same identity) before it expires.
    UpdateToken {
        token: String,
    },
}
