//! `GET /_sim/signal`: the signaling channel of the real `@twilio/voice-sdk` 2.x, the one it
//! opens at `wss://voice-js.<edge>.twilio.com/signal` (tests route that WebSocket here). The
//! connection is a browser of the same registry as `/_sim/client`, so calls ring it, and the
//! calls it places run, exactly as for the simulated browser; only the frames differ.
//!
//! Frames are `{"type", "payload", "version"}`; a bare `"\n"` is a heartbeat. The SDK sends
//! `listen` (token), `register`, `invite`, `answer`, `reject`, `hangup`, `dtmf`; the simulator
//! sends `connected`, `ready`, `offline`, `invite`, `ringing`, `answer`, `cancel`, `hangup`,
//! `error`. Audio goes between the SDK and the media peer page ([`super::media`]).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, MethodRouter};
use serde_json::{json, Value};
use tokio::sync::mpsc;
use twilio::token::Claims;

use super::media;
use super::protocol::ServerEvent;
use super::socket::{self, Refusal};
use crate::voice::Command;
use crate::Sim;

/// Twilio's signaling sends something at least this often; the SDK reconnects after 15 s
/// of silence.
const HEARTBEAT: Duration = Duration::from_secs(5);

/// How long a call whose signaling connection dropped waits for the SDK to come back on a
/// new one (the SDK's own limit for signaling reconnection is 30 s).
const RECONNECT_GRACE: Duration = Duration::from_secs(30);

pub(crate) fn route() -> MethodRouter<Sim> {
    get(upgrade)
}

async fn upgrade(State(sim): State<Sim>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| Session::new(sim).run(socket))
}

fn frame(kind: &str, payload: Value) -> Message {
    let text = json!({ "type": kind, "payload": payload, "version": "1.6" }).to_string();
    Message::Text(text.into())
}

/// The signaling gateway answers token problems with its own codes, not the REST API's.
fn signaling_code(code: u32) -> u32 {
    match code {
        20104 => 31205,
        20157 => 31207,
        31202 => 31202,
        _ => 31204,
    }
}

fn error(code: u32, message: &str, callsid: Option<&str>) -> Message {
    let mut payload = json!({ "error": { "code": code, "message": message } });
    if let Some(sid) = callsid {
        payload["callsid"] = json!(sid);
    }
    frame("error", payload)
}

struct Session {
    sim: Sim,
    /// This connection in the browser registry, once a token was accepted.
    conn: Option<u64>,
    tx: mpsc::UnboundedSender<ServerEvent>,
    rx: mpsc::UnboundedReceiver<ServerEvent>,
    /// The SDK's temporary id (`TJS…`) of each outgoing call → its call SID.
    outgoing: HashMap<String, String>,
    /// Outgoing call SID → the answer SDP to send once the call connects.
    answers: HashMap<String, String>,
    /// Calls the SDK itself hung up or rejected: it is not told of their end again.
    ended_here: HashSet<String>,
    /// Calls in progress here (answered), which survive a dropped connection for a while.
    live: HashSet<String>,
    /// Connections of earlier sockets whose calls this one took over after a reconnect:
    /// call SID → the connection the call knows.
    adopted: HashMap<String, u64>,
}

impl Session {
    fn new(sim: Sim) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self {
            sim,
            conn: None,
            tx,
            rx,
            outgoing: HashMap::new(),
            answers: HashMap::new(),
            ended_here: HashSet::new(),
            live: HashSet::new(),
            adopted: HashMap::new(),
        }
    }

    async fn run(mut self, mut socket: WebSocket) {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        loop {
            let out = tokio::select! {
                event = self.rx.recv() => match event {
                    Some(event) => self.event(event).await,
                    None => break,
                },
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => self.message(text.as_str()).await,
                    Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                    Some(Ok(_)) => Vec::new(),
                },
                _ = heartbeat.tick() => vec![Message::Text("\n".into())],
                () = self.sim.closed() => break,
            };
            for message in out {
                if socket.send(message).await.is_err() {
                    return self.close();
                }
            }
        }
        self.close();
    }

    /// The socket is gone. A connection with a call in progress is kept for
    /// [`RECONNECT_GRACE`] so the SDK can take the call over from a new socket; the calls
    /// still ringing stop ringing here.
    fn close(self) {
        let mut conns: Vec<u64> = self.adopted.values().copied().collect();
        conns.extend(self.conn);
        conns.sort_unstable();
        conns.dedup();
        for conn in conns {
            let ringing = self.sim.with_state(|s| {
                let browser = s.browsers.browsers.get_mut(&conn)?;
                let ringing: Vec<String> = browser
                    .calls
                    .iter()
                    .filter(|c| !self.live.contains(*c))
                    .cloned()
                    .collect();
                let keep = browser.calls.iter().any(|c| self.live.contains(c));
                if keep {
                    browser.attached = false;
                    browser.listening = false;
                }
                Some((ringing, keep))
            });
            let Some((ringing, keep)) = ringing else {
                continue;
            };
            if !keep {
                socket::unregister(&self.sim, conn);
                continue;
            }
            for sid in ringing {
                let _ = socket::command(&self.sim, &sid, Command::Hangup { by: Some(conn) });
            }
            let sim = self.sim.clone();
            tokio::spawn(async move {
                tokio::time::sleep(RECONNECT_GRACE).await;
                let gone =
                    sim.read_state(|s| s.browsers.browsers.get(&conn).is_some_and(|b| !b.attached));
                if gone {
                    socket::unregister(&sim, conn);
                }
            });
        }
    }

    /// The connection a call knows this browser by.
    fn conn_of(&self, call: &str) -> Option<u64> {
        self.adopted.get(call).copied().or(self.conn)
    }

    /// A call event for this browser, as the SDK's frames.
    async fn event(&mut self, event: ServerEvent) -> Vec<Message> {
        match event {
            ServerEvent::Incoming {
                call_sid,
                from,
                to,
                params,
            } => {
                let sdp = media::offer(&self.sim, &call_sid).await;
                let custom = form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(&params)
                    .finish();
                let account = self.sim.read_state(|s| s.account_sid.to_string());
                vec![frame(
                    "invite",
                    json!({
                        "callsid": call_sid,
                        "sdp": sdp,
                        "parameters": {
                            "CallSid": call_sid, "AccountSid": account,
                            "From": from, "To": to, "Params": custom,
                        },
                    }),
                )]
            }
            ServerEvent::Connected { call_sid } => {
                self.live.insert(call_sid.clone());
                match self.answers.remove(&call_sid) {
                    Some(sdp) => {
                        let reconnect = self.reconnect_token(&call_sid);
                        let answer =
                            json!({ "callsid": call_sid, "sdp": sdp, "reconnect": reconnect });
                        vec![frame("answer", answer)]
                    }
                    None => Vec::new(),
                }
            }
            ServerEvent::Canceled { call_sid } | ServerEvent::Disconnected { call_sid }
                if self.ended_here.remove(&call_sid) =>
            {
                self.live.remove(&call_sid);
                self.adopted.remove(&call_sid);
                Vec::new()
            }
            ServerEvent::Canceled { call_sid } => {
                media::close(&self.sim, &call_sid);
                vec![frame("cancel", json!({ "callsid": call_sid }))]
            }
            ServerEvent::Disconnected { call_sid } => {
                self.live.remove(&call_sid);
                self.adopted.remove(&call_sid);
                media::close(&self.sim, &call_sid);
                self.answers.remove(&call_sid);
                self.outgoing.retain(|_, sid| *sid != call_sid);
                vec![frame("hangup", json!({ "callsid": call_sid }))]
            }
            ServerEvent::Error { code, message } => vec![error(code, &message, None)],
            ServerEvent::Registered { .. } | ServerEvent::Outgoing { .. } => Vec::new(),
        }
    }

    /// A frame from the SDK; what to send back.
    async fn message(&mut self, text: &str) -> Vec<Message> {
        if text.trim().is_empty() {
            return Vec::new(); // the SDK echoing a heartbeat
        }
        let Ok(received) = serde_json::from_str::<Value>(text) else {
            return vec![error(31100, "unreadable signaling frame", None)];
        };
        let kind = received["type"].as_str().unwrap_or_default().to_owned();
        let payload = &received["payload"];
        let callsid = payload["callsid"].as_str().unwrap_or_default().to_owned();
        if kind == "listen" {
            return self.listen(payload["token"].as_str().unwrap_or_default());
        }
        let Some(conn) = self.conn else {
            return vec![error(
                31204,
                "no valid access token was given (listen)",
                None,
            )];
        };
        let by = self.conn_of(&callsid);
        let result: Result<Vec<Message>, Refusal> = match kind.as_str() {
            "register" => Ok(self.register(conn, payload["media"]["audio"].as_bool())),
            "invite" => match payload["reconnect"].as_str() {
                Some(token) => Ok(self.reconnect(&callsid, token)),
                None => self.invite(conn, &callsid, payload).await,
            },
            "answer" => {
                media::remote_answer(&self.sim, &callsid, payload["sdp"].as_str().unwrap_or(""));
                socket::command(&self.sim, &callsid, Command::Answer { by }).map(|()| {
                    // Twilio acknowledges with the token the SDK reconnects the call with.
                    self.live.insert(callsid.clone());
                    let reconnect = self.reconnect_token(&callsid);
                    vec![frame(
                        "answer",
                        json!({ "callsid": callsid, "reconnect": reconnect }),
                    )]
                })
            }
            "reject" => {
                media::close(&self.sim, &callsid);
                self.ended_here.insert(callsid.clone());
                socket::command(&self.sim, &callsid, Command::Reject { by }).map(|()| Vec::new())
            }
            "hangup" => {
                let sid = self.outgoing.remove(&callsid).unwrap_or(callsid.clone());
                let by = self.conn_of(&sid);
                media::close(&self.sim, &sid);
                self.answers.remove(&sid);
                self.ended_here.insert(sid.clone());
                socket::command(&self.sim, &sid, Command::Hangup { by }).map(|()| Vec::new())
            }
            "dtmf" => {
                let digits = payload["dtmf"].as_str().unwrap_or_default().to_owned();
                socket::command(&self.sim, &callsid, Command::Digits(digits)).map(|()| Vec::new())
            }
            // Media renegotiation (ICE restarts) and call messages are not simulated.
            "reinvite" | "message" => Ok(Vec::new()),
            other => Err((31100, format!("unknown signaling message {other:?}"))),
        };
        result.unwrap_or_else(|(code, message)| {
            let sid = (!callsid.is_empty()).then_some(callsid.as_str());
            vec![error(code, &message, sid)]
        })
    }

    /// What the SDK sends back to take a call over after its socket dropped.
    fn reconnect_token(&self, call: &str) -> String {
        format!("{}:{call}", self.conn_of(call).unwrap_or_default())
    }

    /// `invite` with a reconnect token: the SDK's socket dropped during a call and it came
    /// back on this one. The call continues here, or ends if it waited too long.
    fn reconnect(&mut self, callsid: &str, token: &str) -> Vec<Message> {
        let identity = self.conn.and_then(|c| {
            self.sim
                .read_state(|s| s.browsers.browsers.get(&c).map(|b| b.identity.clone()))
        });
        let old = token
            .split_once(':')
            .filter(|(_, call)| *call == callsid)
            .and_then(|(conn, _)| conn.parse::<u64>().ok());
        let tx = self.tx.clone();
        let taken = old.filter(|old| {
            self.sim.with_state(|s| {
                let Some(browser) = s.browsers.browsers.get_mut(old) else {
                    return false;
                };
                if Some(&browser.identity) != identity.as_ref() || !browser.calls.contains(callsid)
                {
                    return false;
                }
                browser.tx = tx;
                browser.attached = true;
                true
            })
        });
        match taken {
            Some(old) => {
                if Some(old) != self.conn {
                    self.adopted.insert(callsid.to_owned(), old);
                }
                self.live.insert(callsid.to_owned());
                let answer = json!({ "callsid": callsid, "reconnect": token });
                vec![frame("answer", answer)]
            }
            None => {
                let gone = json!({ "callsid": callsid, "error": { "code": 31005, "message": "the call could not be reconnected" } });
                vec![frame("hangup", gone)]
            }
        }
    }

    /// `listen`: the first token registers this connection; later ones replace it.
    fn listen(&mut self, token: &str) -> Vec<Message> {
        let claims = match socket::verify(&self.sim, token) {
            Ok(claims) => claims,
            Err((code, message)) => return vec![error(signaling_code(code), &message, None)],
        };
        let accepted = match self.conn {
            Some(conn) => socket::update_token(&self.sim, conn, &claims),
            None => {
                let mut browser = socket::browser(&claims, self.tx.clone());
                // Calls ring only once the SDK registers.
                browser.listening = false;
                self.conn = Some(self.sim.with_state(|s| {
                    s.browsers.next_id += 1;
                    let id = s.browsers.next_id;
                    s.browsers.browsers.insert(id, browser);
                    id
                }));
                Ok(())
            }
        };
        if let Err((code, message)) = accepted {
            return vec![error(signaling_code(code), &message, None)];
        }
        vec![self.connected(&claims)]
    }

    fn connected(&self, claims: &Claims) -> Message {
        let now = self.sim.read_state(|s| s.now().timestamp());
        frame(
            "connected",
            json!({
                "token": { "identity": claims.identity, "ttl": (claims.exp - now).max(0) },
                "region": "us1",
                "edge": "ashburn",
                "home": "us1",
            }),
        )
    }

    /// `register`: `audio: true` makes calls ring here (if the token allows incoming calls),
    /// `false` stops them.
    fn register(&mut self, conn: u64, audio: Option<bool>) -> Vec<Message> {
        let wanted = audio.unwrap_or(true);
        let allowed = self.sim.with_state(|s| {
            let browser = s.browsers.browsers.get_mut(&conn)?;
            browser.listening = wanted;
            Some(!wanted || browser.incoming_allowed)
        });
        match (allowed, wanted) {
            (Some(true), true) => vec![frame("ready", json!({}))],
            (Some(true), false) => vec![frame("offline", json!({}))],
            _ => vec![error(
                31204,
                "the access token does not allow incoming calls",
                None,
            )],
        }
    }

    /// `invite`: an outgoing call through the token's application. The SDK learns its SID
    /// from `ringing`, and gets the answer SDP once the call connects.
    async fn invite(
        &mut self,
        conn: u64,
        temporary: &str,
        payload: &Value,
    ) -> Result<Vec<Message>, Refusal> {
        let params: BTreeMap<String, String> = form_urlencoded::parse(
            payload["twilio"]["params"]
                .as_str()
                .unwrap_or("")
                .as_bytes(),
        )
        .into_owned()
        .collect();
        let sid = match socket::place(&self.sim, conn, params) {
            Ok(sid) => sid.to_string(),
            Err((code, message)) => {
                let failure =
                    json!({ "callsid": temporary, "error": { "code": code, "message": message } });
                return Ok(vec![frame("hangup", failure)]);
            }
        };
        let offer = payload["sdp"].as_str().unwrap_or_default();
        let sdp = media::answer(&self.sim, &sid, offer).await;
        self.outgoing.insert(temporary.to_owned(), sid.clone());
        self.answers.insert(sid.clone(), sdp);
        Ok(vec![frame("ringing", json!({ "callsid": sid }))])
    }
}
