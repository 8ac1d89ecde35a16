//! `GET /_sim/client`: the WebSocket a simulated browser (Voice SDK device) connects to. The
//! first frame registers an access token, verified as Twilio verifies it; then the browser
//! receives calls for its identity and can answer, reject, hang up, send digits and place
//! calls through its token's outgoing application. Frames are in [`super::protocol`].

use std::collections::BTreeMap;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, MethodRouter};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use tokio::sync::mpsc;
use twilio::token::{self, Claims};
use twilio::CallSid;

use super::protocol::{ClientCommand, ServerEvent};
use super::Browser;
use crate::messaging::method_of;
use crate::resource::{CallDirection, CallStatus};
use crate::voice::{new_call, Command, Run, Script, Source};
use crate::Sim;

pub(crate) fn route() -> MethodRouter<Sim> {
    get(upgrade)
}

async fn upgrade(State(sim): State<Sim>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(sim, socket))
}

/// A refusal: Twilio's error code and a message.
pub(super) type Refusal = (u32, String);

fn frame(event: &ServerEvent) -> Message {
    Message::Text(serde_json::to_string(event).unwrap_or_default().into())
}

async fn refuse(mut socket: WebSocket, (code, message): Refusal) {
    let _ = socket
        .send(frame(&ServerEvent::Error { code, message }))
        .await;
    let _ = socket.send(Message::Close(None)).await;
}

async fn session(sim: Sim, mut socket: WebSocket) {
    let token = match socket.recv().await {
        Some(Ok(Message::Text(text))) => match serde_json::from_str(text.as_str()) {
            Ok(ClientCommand::Register { token }) => token,
            _ => {
                let refusal = (
                    20101,
                    "the first frame must be {\"type\":\"register\",\"token\":…}",
                );
                return refuse(socket, (refusal.0, refusal.1.to_owned())).await;
            }
        },
        _ => return,
    };
    let claims = match verify(&sim, &token) {
        Ok(claims) => claims,
        Err(refusal) => return refuse(socket, refusal).await,
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let identity = claims.identity.clone();
    let id = sim.with_state(|s| {
        s.browsers.next_id += 1;
        let id = s.browsers.next_id;
        s.browsers.browsers.insert(id, browser(&claims, tx.clone()));
        id
    });
    let _ = tx.send(ServerEvent::Registered { identity });
    loop {
        tokio::select! {
            event = rx.recv() => {
                let Some(event) = event else { break };
                if socket.send(frame(&event)).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Err((code, message)) = handle(&sim, id, text.as_str()) {
                        let _ = tx.send(ServerEvent::Error { code, message });
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = sim.closed() => break,
        }
    }
    unregister(&sim, id);
}

pub(super) fn browser(claims: &Claims, tx: mpsc::UnboundedSender<ServerEvent>) -> Browser {
    let voice = claims.voice.clone().unwrap_or_default();
    Browser {
        identity: claims.identity.clone(),
        incoming_allowed: voice.incoming_allow,
        listening: true,
        expires: claims.exp,
        outgoing_application: voice.outgoing_application_sid,
        outgoing_params: voice.outgoing_params,
        tx,
        calls: Default::default(),
        attached: true,
    }
}

/// The `iss` claim, read before the signature can be checked (it names the signing key).
fn unverified_issuer(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload).ok()?;
    let json: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    json.get("iss")?.as_str().map(str::to_owned)
}

/// Checks a token as Twilio does: signed with the secret of one of the account's API keys,
/// `sub` the account, within its validity on the simulator's clock.
pub(super) fn verify(sim: &Sim, token: &str) -> Result<Claims, Refusal> {
    let issuer = unverified_issuer(token).ok_or_else(|| {
        (
            20101,
            "the access token is malformed or has no iss".to_owned(),
        )
    })?;
    let (secret, account, now) = sim.read_state(|s| {
        (
            s.keys
                .iter()
                .find(|k| k.sid.as_str() == issuer)
                .map(|k| k.secret.clone()),
            s.account_sid.to_string(),
            s.now().timestamp(),
        )
    });
    let secret = secret.ok_or_else(|| {
        (
            20101,
            format!("iss {issuer} is not an API key of the account"),
        )
    })?;
    let claims = token::verify(token, &secret, now).map_err(|e| (e.code(), e.to_string()))?;
    if claims.sub != account {
        return Err((20101, format!("sub {} is not the account", claims.sub)));
    }
    Ok(claims)
}

fn call_sid(text: &str) -> Result<CallSid, Refusal> {
    CallSid::parse(text).map_err(|e| (31000, e.to_string()))
}

/// Sends a browser's command to the call it names.
pub(super) fn command(sim: &Sim, sid: &str, command: Command) -> Result<(), Refusal> {
    let sid = call_sid(sid)?;
    let control = sim
        .read_state(|s| s.controls.get(sid.as_str()).cloned())
        .ok_or_else(|| (31000, format!("call {sid} is not live")))?;
    control
        .send((sid.clone(), command))
        .map_err(|_| (31000, format!("call {sid} is not live")))
}

fn handle(sim: &Sim, id: u64, text: &str) -> Result<(), Refusal> {
    let parsed: ClientCommand =
        serde_json::from_str(text).map_err(|e| (31000, format!("unreadable frame: {e}")))?;
    let by = Some(id);
    match parsed {
        ClientCommand::Register { .. } => Err((31000, "already registered".to_owned())),
        ClientCommand::Accept { call_sid } => command(sim, &call_sid, Command::Answer { by }),
        ClientCommand::Reject { call_sid } => command(sim, &call_sid, Command::Reject { by }),
        ClientCommand::Hangup { call_sid } => command(sim, &call_sid, Command::Hangup { by }),
        ClientCommand::Digits { call_sid, digits } => {
            command(sim, &call_sid, Command::Digits(digits))
        }
        ClientCommand::UpdateToken { token } => {
            let claims = verify(sim, &token)?;
            update_token(sim, id, &claims)
        }
        ClientCommand::Connect { params } => {
            let sid = place(sim, id, params)?;
            sim.with_state(|s| {
                if let Some(browser) = s.browsers.browsers.get(&id) {
                    let _ = browser.tx.send(ServerEvent::Outgoing {
                        call_sid: sid.to_string(),
                    });
                }
            });
            Ok(())
        }
    }
}

/// Replaces a registered connection's token with a newer one of the same identity.
pub(super) fn update_token(sim: &Sim, id: u64, claims: &Claims) -> Result<(), Refusal> {
    sim.with_state(|s| {
        let browser = s
            .browsers
            .browsers
            .get_mut(&id)
            .ok_or_else(|| (31000, "not registered".to_owned()))?;
        if browser.identity != claims.identity {
            return Err((
                20101,
                format!(
                    "the new token is for {}, not {}",
                    claims.identity, browser.identity
                ),
            ));
        }
        let updated = self::browser(claims, browser.tx.clone());
        browser.incoming_allowed = updated.incoming_allowed;
        browser.expires = updated.expires;
        browser.outgoing_application = updated.outgoing_application;
        browser.outgoing_params = updated.outgoing_params;
        Ok(())
    })
}

/// An outgoing call from a browser: its token's application's voice URL is called with
/// `From=client:<identity>` and the parameters, and the TwiML runs (a `<Dial>` of a number
/// rings a PSTN party).
pub(super) fn place(
    sim: &Sim,
    id: u64,
    params: BTreeMap<String, String>,
) -> Result<CallSid, Refusal> {
    let runtime =
        tokio::runtime::Handle::try_current().map_err(|_| (31000, "no runtime".to_owned()))?;
    let (run, source) = sim.with_state(|s| {
        let now = s.now().timestamp();
        let browser = s
            .browsers
            .browsers
            .get(&id)
            .cloned()
            .ok_or_else(|| (31000, "not registered".to_owned()))?;
        if browser.expires <= now {
            return Err((20104, "the access token has expired".to_owned()));
        }
        let app_sid = browser
            .outgoing_application
            .clone()
            .ok_or_else(|| (31002, "the token grants no outgoing application".to_owned()))?;
        let app = s
            .applications
            .iter()
            .find(|a| a.sid.as_str() == app_sid)
            .cloned()
            .ok_or_else(|| {
                (
                    21218,
                    format!("{app_sid} is not an application of the account"),
                )
            })?;
        let from = format!("client:{}", browser.identity);
        let to = params.get("To").cloned().unwrap_or_default();
        let mut call = new_call(s, &from, &to, CallDirection::Inbound, None, None);
        call.status = CallStatus::Ringing;
        call.application_sid = Some(app.sid.clone());
        call.url = app.voice_url.clone();
        call.method = app.voice_method.clone();
        call.status_callback = app.status_callback.clone();
        call.status_callback_method = app.status_callback_method.clone();
        let mut extra = vec![("ApplicationSid".to_owned(), app.sid.to_string())];
        let custom = browser.outgoing_params.iter().chain(params.iter());
        extra.extend(
            custom
                .filter(|(k, _)| !matches!(k.as_str(), "To" | "From" | "CallSid" | "AccountSid"))
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        let mut run = Run::register(s, sim, &call, extra, Script::default());
        run.browser = Some(id);
        run.fallback = app
            .voice_fallback_url
            .clone()
            .map(|u| (u, method_of(&app.voice_fallback_method)));
        s.trace(call.sid.as_str())
            .statuses
            .push(call.status.as_str().to_owned());
        if let Some(b) = s.browsers.browsers.get_mut(&id) {
            b.calls.insert(call.sid.to_string());
        }
        let source = app.voice_url.clone().map(|url| Source::Url {
            url,
            method: method_of(&app.voice_method),
            purpose: "voice",
            extra: Vec::new(),
        });
        s.calls.push(call);
        Ok((run, source))
    })?;
    let sid = run.sid.clone();
    runtime.spawn(run.start(source));
    Ok(sid)
}

/// A closed connection hangs up (or declines) every call it was part of.
pub(super) fn unregister(sim: &Sim, id: u64) {
    let calls = sim.with_state(|s| {
        s.browsers
            .browsers
            .remove(&id)
            .map(|b| b.calls.into_iter().collect::<Vec<_>>())
            .unwrap_or_default()
    });
    for sid in calls {
        let _ = command(sim, &sid, Command::Hangup { by: Some(id) });
    }
}
