//! The Voice SDK's signaling (`/_sim/signal`), frame by frame as `@twilio/voice-sdk` 2.x sends
//! and expects them: token checks with the gateway's codes, register, an incoming call
//! answered with DTMF and hung up, an outgoing call that learns its SID from `ringing`.

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use twilio_sim::{CallStatus, InboundCall, Party};

use crate::support::*;

struct Sdk {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Sdk {
    async fn open(world: &World) -> Sdk {
        let url = world.handle.base_url().replacen("http://", "ws://", 1) + "/_sim/signal";
        let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
        Sdk { socket }
    }

    async fn send(&mut self, kind: &str, payload: Value) {
        let text = json!({ "type": kind, "payload": payload, "version": "1.6" }).to_string();
        self.socket.send(Message::Text(text.into())).await.unwrap();
    }

    /// The next frame that is not a heartbeat: (type, payload).
    async fn next(&mut self) -> (String, Value) {
        loop {
            let message = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a frame in time")
                .expect("the socket is open")
                .unwrap();
            let Message::Text(text) = message else {
                continue;
            };
            if text.as_str() == "\n" {
                continue;
            }
            let frame: Value = serde_json::from_str(text.as_str()).unwrap();
            assert_eq!(frame["version"], "1.6", "{frame}");
            return (
                frame["type"].as_str().unwrap().to_owned(),
                frame["payload"].clone(),
            );
        }
    }

    async fn expect(&mut self, kind: &str) -> Value {
        let (got, payload) = self.next().await;
        assert_eq!(got, kind, "{payload}");
        payload
    }

    /// listen → connected → register → ready, as `Device.register()` does.
    async fn register(world: &World, token: &str) -> Sdk {
        let mut sdk = Sdk::open(world).await;
        sdk.send(
            "listen",
            json!({ "token": token, "browserinfo": {}, "reconnectTimeout": 0 }),
        )
        .await;
        let connected = sdk.expect("connected").await;
        assert_eq!(connected["token"]["identity"], "alice", "{connected}");
        sdk.send("register", json!({ "media": { "audio": true } }))
            .await;
        sdk.expect("ready").await;
        sdk
    }
}

async fn ring_alice(world: &World) -> twilio::CallSid {
    world
        .configure_number(&[("VoiceUrl", &world.app.url("/voice"))])
        .await;
    world.app.answer(
        "/voice",
        concat!(
            r#"<Response><Dial action="/dialed" timeout="600"><Client><Identity>alice</Identity>"#,
            r#"<Parameter name="topic" value="sales &amp; more"/></Client></Dial></Response>"#
        ),
    );
    world
        .app
        .answer("/dialed", "<Response><Hangup/></Response>");
    world
        .sim()
        .incoming_call(InboundCall {
            from: CALLER.into(),
            to: NUMBER.into(),
            ..InboundCall::default()
        })
        .unwrap()
}

#[tokio::test]
async fn tokens_are_refused_with_the_signaling_gateways_codes_and_the_socket_stays_open() {
    let world = World::start().await;
    let mut sdk = Sdk::open(&world).await;
    let wrong = token_with(&world, "alice", true, None, KEY, "not-the-secret", ACCOUNT);
    sdk.send("listen", json!({ "token": wrong })).await;
    assert_eq!(sdk.expect("error").await["error"]["code"], 31202);
    sdk.send("listen", json!({ "token": "not a jwt" })).await;
    assert_eq!(sdk.expect("error").await["error"]["code"], 31204);
    sdk.send("register", json!({ "media": { "audio": true } }))
        .await;
    assert_eq!(sdk.expect("error").await["error"]["code"], 31204);

    let expiring = token(&world, "alice", true, None);
    world
        .sim()
        .advance_clock(std::time::Duration::from_secs(7200));
    sdk.send("listen", json!({ "token": expiring })).await;
    assert_eq!(sdk.expect("error").await["error"]["code"], 31205);

    // A good token on the same socket (`Device.updateToken`) is accepted.
    sdk.send(
        "listen",
        json!({ "token": token(&world, "alice", true, None) }),
    )
    .await;
    let connected = sdk.expect("connected").await;
    let ttl = connected["token"]["ttl"].as_i64().unwrap();
    assert!((3590..=3600).contains(&ttl), "{connected}");
}

#[tokio::test]
async fn a_call_rings_only_after_register_and_carries_its_parameters() {
    let world = World::start().await;
    let mut sdk = Sdk::open(&world).await;
    sdk.send(
        "listen",
        json!({ "token": token(&world, "alice", true, None) }),
    )
    .await;
    sdk.expect("connected").await;
    // A call while the SDK is connected but not registered does not ring it: the first
    // frame after `ready` is the invite of the call placed after registering.
    let unrung = ring_alice(&world).await;
    world
        .sim()
        .wait_until(WAIT, |s| s.child_calls(&unrung).pop())
        .await
        .expect("the dial leg to alice exists");
    sdk.send("register", json!({ "media": { "audio": true } }))
        .await;
    sdk.expect("ready").await;
    world.sim().hangup_call(&unrung).unwrap();
    world.sim().wait_for_call_end(&unrung, WAIT).await.unwrap();

    let parent = ring_alice(&world).await;
    let invite = sdk.expect("invite").await;
    let leg = invite["callsid"].as_str().unwrap().to_owned();
    assert_eq!(invite["parameters"]["CallSid"], leg.as_str());
    assert_eq!(invite["parameters"]["From"], CALLER);
    assert_eq!(invite["parameters"]["To"], "client:alice");
    assert_eq!(invite["parameters"]["Params"], "topic=sales+%26+more");
    let sdp = invite["sdp"].as_str().unwrap();
    assert!(
        sdp.starts_with("v=0\r\n") && sdp.contains("m=audio "),
        "{sdp}"
    );
    assert!(!sdp.contains("telephone-event"), "{sdp}");

    sdk.send("answer", json!({ "callsid": leg, "sdp": "v=0\r\n" }))
        .await;
    let ack = sdk.expect("answer").await;
    assert_eq!(ack["callsid"], leg.as_str());
    let leg_sid: twilio::CallSid = leg.parse().unwrap();
    world
        .sim()
        .wait_until(WAIT, |s| {
            (s.call(&leg_sid)?.status == CallStatus::InProgress).then_some(())
        })
        .await
        .expect("the leg is answered");
    sdk.send("dtmf", json!({ "callsid": leg, "dtmf": "42" }))
        .await;
    world
        .sim()
        .wait_until(WAIT, |s| {
            s.call_transcript(&leg_sid)
                .contains(&"digits: 42".to_owned())
                .then_some(())
        })
        .await
        .expect("the digits reach the call");
    sdk.send("hangup", json!({ "callsid": leg })).await;
    let ended = world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    assert_eq!(ended.status, CallStatus::Completed);

    // Unregistering stops the ringing.
    sdk.send("register", json!({ "media": { "audio": false } }))
        .await;
    sdk.expect("offline").await;
}

#[tokio::test]
async fn a_caller_who_gives_up_cancels_the_invite_and_a_reject_makes_the_dial_busy() {
    let world = World::start().await;
    let mut sdk = Sdk::register(&world, &token(&world, "alice", true, None)).await;
    let first = ring_alice(&world).await;
    let invite = sdk.expect("invite").await;
    world.sim().hangup_call(&first).unwrap();
    let cancel = sdk.expect("cancel").await;
    assert_eq!(cancel["callsid"], invite["callsid"]);

    let second = ring_alice(&world).await;
    let invite = sdk.expect("invite").await;
    sdk.send("reject", json!({ "callsid": invite["callsid"] }))
        .await;
    world.sim().wait_for_call_end(&second, WAIT).await.unwrap();
    let dialed = world.app.wait_for("/dialed", 2).await;
    assert_eq!(dialed[1].param("DialCallStatus"), "busy");
}

#[tokio::test]
async fn an_outgoing_call_learns_its_sid_from_ringing_and_gets_the_answer_when_it_connects() {
    let world = World::start().await;
    let (status, app) = world
        .rest_post(
            "Applications.json",
            &[
                ("FriendlyName", "vbx"),
                ("VoiceUrl", &world.app.url("/out")),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let app_sid = app["sid"].as_str().unwrap();
    world.app.answer(
        "/out",
        r#"<Response><Dial callerId="+15005550006"><Number>+14155550177</Number></Dial></Response>"#,
    );
    world.sim().set_party("+14155550177", Party::Manual);
    let mut sdk = Sdk::register(&world, &token(&world, "alice", true, Some(app_sid))).await;

    let offer = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\na=mid:0\r\n\
                 a=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\n";
    sdk.send(
        "invite",
        json!({ "callsid": "TJSabc", "sdp": offer, "twilio": { "params": "To=%2B14155550177&Topic=a+b" } }),
    )
    .await;
    let ringing = sdk.expect("ringing").await;
    let sid = ringing["callsid"].as_str().unwrap().to_owned();
    assert!(sid.starts_with("CA"), "{ringing}");
    let answer = sdk.expect("answer").await;
    assert_eq!(answer["callsid"], sid.as_str());
    let sdp = answer["sdp"].as_str().unwrap();
    assert!(
        sdp.contains("a=mid:0\r\n") && sdp.contains("a=setup:active"),
        "{sdp}"
    );
    let hit = &world.app.wait_for("/out", 1).await[0];
    assert_eq!(hit.param("To"), "+14155550177");
    assert_eq!(hit.param("Topic"), "a b");
    assert_eq!(hit.param("From"), "client:alice");

    // Hanging up with the temporary id (before `ringing` arrived) ends the call at Twilio.
    sdk.send("hangup", json!({ "callsid": "TJSabc" })).await;
    let parent: twilio::CallSid = sid.parse().unwrap();
    world.sim().wait_for_call_end(&parent, WAIT).await.unwrap();
    let leg = world.sim().child_calls(&parent).pop().unwrap();
    assert_eq!(
        world.sim().call(&leg.sid).unwrap().status,
        CallStatus::Canceled
    );
}

#[tokio::test]
async fn a_call_survives_its_signaling_socket_dropping_when_the_sdk_comes_back() {
    let world = World::start().await;
    let token = token(&world, "alice", true, None);
    let mut sdk = Sdk::register(&world, &token).await;
    let parent = ring_alice(&world).await;
    let invite = sdk.expect("invite").await;
    let leg = invite["callsid"].as_str().unwrap().to_owned();
    sdk.send("answer", json!({ "callsid": leg, "sdp": "v=0\r\n" }))
        .await;
    let ack = sdk.expect("answer").await;
    assert_eq!(ack["callsid"], leg.as_str());
    let reconnect = ack["reconnect"].as_str().unwrap().to_owned();
    drop(sdk);

    let mut back = Sdk::register(&world, &token).await;
    back.send(
        "invite",
        json!({ "callsid": leg, "sdp": "v=0\r\n", "reconnect": reconnect, "twilio": {} }),
    )
    .await;
    assert_eq!(back.expect("answer").await["callsid"], leg.as_str());
    let leg_sid: twilio::CallSid = leg.parse().unwrap();
    assert_eq!(
        world.sim().call(&leg_sid).unwrap().status,
        CallStatus::InProgress
    );
    back.send("dtmf", json!({ "callsid": leg, "dtmf": "7" }))
        .await;
    world
        .sim()
        .wait_until(WAIT, |s| {
            s.call_transcript(&leg_sid)
                .contains(&"digits: 7".to_owned())
                .then_some(())
        })
        .await
        .expect("digits from the new socket reach the call");
    world.sim().hangup_call(&parent).unwrap();
    assert_eq!(back.expect("hangup").await["callsid"], leg.as_str());

    // A token for a call that is gone cannot take anything over.
    back.send(
        "invite",
        json!({ "callsid": leg, "sdp": "v=0\r\n", "reconnect": reconnect, "twilio": {} }),
    )
    .await;
    let refused = back.expect("hangup").await;
    assert_eq!(refused["error"]["code"], 31005, "{refused}");
}
