//! The far end of the audio of calls with the real Voice SDK: a browser page
//! (`GET /_sim/media-peer`) whose WebRTC peer connections the simulator drives over
//! `GET /_sim/media`, so a call answered in the SDK carries real audio both ways. Without a
//! peer connected, calls still signal, with a generated SDP that no media will follow.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::{Html, Response};
use axum::routing::{get, MethodRouter};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};

use crate::Sim;

/// How long the peer page may take to produce an SDP before the generated one is used.
const PEER_WAIT: Duration = Duration::from_secs(10);

/// What the simulator asks of the peer page.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Request {
    /// Make an offer for a call that is about to ring the SDK; answer with `sdp`.
    Offer { call: String },
    /// Answer the SDK's offer of an outgoing call; answer with `sdp`.
    Answer { call: String, sdp: String },
    /// The SDK's answer to the peer's offer.
    Remote { call: String, sdp: String },
    /// The call ended.
    Close { call: String },
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    Sdp { call: String, sdp: String },
}

/// The connected peer page.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    id: u64,
    tx: mpsc::UnboundedSender<(Request, Option<oneshot::Sender<String>>)>,
}

pub(crate) fn page() -> MethodRouter<Sim> {
    get(|| async { Html(include_str!("media_peer.html")) })
}

pub(crate) fn route() -> MethodRouter<Sim> {
    get(upgrade)
}

async fn upgrade(State(sim): State<Sim>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| session(sim, socket))
}

async fn session(sim: Sim, mut socket: WebSocket) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    // The newest page is the peer; an older one stays open but is no longer asked.
    let id = sim.with_state(|s| {
        s.browsers.next_id += 1;
        let id = s.browsers.next_id;
        s.browsers.media_peer = Some(Peer { id, tx });
        id
    });
    let mut waiting: HashMap<String, oneshot::Sender<String>> = HashMap::new();
    loop {
        tokio::select! {
            request = rx.recv() => {
                let Some((request, reply)) = request else { break };
                if let (Request::Offer { call } | Request::Answer { call, .. }, Some(reply)) =
                    (&request, reply)
                {
                    waiting.insert(call.clone(), reply);
                }
                let text = serde_json::to_string(&request).unwrap_or_default();
                if socket.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    if let Ok(Reply::Sdp { call, sdp }) = serde_json::from_str(text.as_str()) {
                        if let Some(reply) = waiting.remove(&call) {
                            let _ = reply.send(sdp);
                        }
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            () = sim.closed() => break,
        }
    }
    sim.with_state(|s| {
        if s.browsers.media_peer.as_ref().is_some_and(|p| p.id == id) {
            s.browsers.media_peer = None;
        }
    });
}

fn peer(sim: &Sim) -> Option<Peer> {
    sim.read_state(|s| s.browsers.media_peer.clone())
}

async fn ask(sim: &Sim, request: Request) -> Option<String> {
    let peer = peer(sim)?;
    let (tx, rx) = oneshot::channel();
    peer.tx.send((request, Some(tx))).ok()?;
    tokio::time::timeout(PEER_WAIT, rx).await.ok()?.ok()
}

fn tell(sim: &Sim, request: Request) {
    if let Some(peer) = peer(sim) {
        let _ = peer.tx.send((request, None));
    }
}

/// The offer for a call about to ring the SDK.
pub(crate) async fn offer(sim: &Sim, call: &str) -> String {
    let sdp = ask(
        sim,
        Request::Offer {
            call: call.to_owned(),
        },
    )
    .await;
    without_telephone_event(&sdp.unwrap_or_else(|| generated(call, None)))
}

/// The answer to the SDK's offer for an outgoing call.
pub(crate) async fn answer(sim: &Sim, call: &str, offer: &str) -> String {
    let sdp = ask(
        sim,
        Request::Answer {
            call: call.to_owned(),
            sdp: offer.to_owned(),
        },
    )
    .await;
    without_telephone_event(&sdp.unwrap_or_else(|| generated(call, Some(offer))))
}

/// The SDK answered the peer's offer.
pub(crate) fn remote_answer(sim: &Sim, call: &str, sdp: &str) {
    tell(
        sim,
        Request::Remote {
            call: call.to_owned(),
            sdp: sdp.to_owned(),
        },
    );
}

pub(crate) fn close(sim: &Sim, call: &str) {
    tell(
        sim,
        Request::Close {
            call: call.to_owned(),
        },
    );
}

/// Takes `telephone-event` out of an SDP for the SDK. Twilio receives DTMF in the audio
/// (RFC 4733), which a browser page cannot read; without the codec the SDK sends each digit
/// as a `dtmf` signaling message instead, which the simulator can.
pub(crate) fn without_telephone_event(sdp: &str) -> String {
    let events: Vec<String> = sdp
        .lines()
        .filter_map(|l| l.strip_prefix("a=rtpmap:"))
        .filter(|l| l.to_ascii_lowercase().contains("telephone-event/"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let mut out = String::with_capacity(sdp.len());
    for line in sdp.lines() {
        let dropped = events.iter().any(|pt| {
            [
                format!("a=rtpmap:{pt} "),
                format!("a=fmtp:{pt} "),
                format!("a=rtcp-fb:{pt} "),
            ]
            .iter()
            .any(|p| line.starts_with(p.as_str()))
        });
        if dropped {
            continue;
        }
        if let Some(media) = line.strip_prefix("m=audio ") {
            let mut fields: Vec<&str> = media.split(' ').collect();
            let keep = fields.len().min(3);
            let formats: Vec<&str> = fields
                .split_off(keep)
                .into_iter()
                .filter(|f| !events.iter().any(|pt| pt == f))
                .collect();
            out.push_str("m=audio ");
            out.push_str(
                &fields
                    .iter()
                    .chain(&formats)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" "),
            );
        } else {
            out.push_str(line);
        }
        out.push_str("\r\n");
    }
    out
}

/// An SDP for when no peer page is connected: well formed (one Opus/PCMU audio section, ICE
/// and DTLS attributes), so signaling goes on, but no media will ever answer its checks.
fn generated(call: &str, offer: Option<&str>) -> String {
    let mid = offer
        .and_then(|o| o.lines().find_map(|l| l.strip_prefix("a=mid:")))
        .unwrap_or("0")
        .trim()
        .to_owned();
    let setup = if offer.is_some() { "active" } else { "actpass" };
    let session: u64 = call
        .bytes()
        .fold(7, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    let fingerprint: Vec<String> = (0..32u8)
        .map(|i| format!("{:02X}", (session >> (i % 8)) as u8 ^ i))
        .collect();
    [
        "v=0".to_owned(),
        format!("o=- {} 2 IN IP4 127.0.0.1", session >> 2),
        "s=-".to_owned(),
        "t=0 0".to_owned(),
        format!("a=group:BUNDLE {mid}"),
        "a=msid-semantic: WMS".to_owned(),
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0".to_owned(),
        "c=IN IP4 0.0.0.0".to_owned(),
        "a=rtcp:9 IN IP4 0.0.0.0".to_owned(),
        "a=ice-ufrag:tsim".to_owned(),
        "a=ice-pwd:twiliosimulatornomedia00".to_owned(),
        format!("a=fingerprint:sha-256 {}", fingerprint.join(":")),
        format!("a=setup:{setup}"),
        format!("a=mid:{mid}"),
        "a=sendrecv".to_owned(),
        "a=rtcp-mux".to_owned(),
        "a=rtpmap:111 opus/48000/2".to_owned(),
        "a=fmtp:111 minptime=10;useinbandfec=1".to_owned(),
        "a=rtpmap:0 PCMU/8000".to_owned(),
        String::new(),
    ]
    .join("\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0 126\r\na=mid:0\r\n\
        a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n\
        a=fmtp:111 minptime=10;useinbandfec=1\r\na=rtpmap:63 red/48000/2\r\n\
        a=rtpmap:0 PCMU/8000\r\na=rtpmap:126 telephone-event/8000\r\n\
        a=fmtp:126 0-15\r\n";

    #[test]
    fn telephone_event_leaves_the_sdp_and_its_payload_type_the_media_line() {
        let sdp = without_telephone_event(OFFER);
        assert!(
            sdp.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111 63 0\r\n"),
            "{sdp}"
        );
        assert!(!sdp.contains("telephone-event"), "{sdp}");
        assert!(!sdp.contains("a=fmtp:126"), "{sdp}");
        assert!(sdp.contains("a=rtcp-fb:111 transport-cc\r\n"), "{sdp}");
        assert!(
            sdp.contains("a=fmtp:111 minptime=10;useinbandfec=1\r\n"),
            "{sdp}"
        );
    }

    #[test]
    fn a_generated_answer_takes_the_offers_media_id() {
        let sdp = generated("CA1", Some(&OFFER.replace("a=mid:0", "a=mid:audio")));
        assert!(sdp.contains("a=mid:audio\r\n"), "{sdp}");
        assert!(sdp.contains("a=setup:active\r\n"), "{sdp}");
        assert!(generated("CA1", None).contains("a=setup:actpass\r\n"));
    }
}
