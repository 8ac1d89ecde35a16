//! Recordings: listing by call, fetching, audio as WAV, deletion.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{assert_error, sids, Api, OTHER};

#[tokio::test]
async fn recordings_are_listed_by_call_and_their_audio_is_a_wav() {
    let api = Api::start().await;
    let first = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    let second = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    let r1 = api.sim().add_recording(&first.parse().unwrap(), 3).unwrap();
    let (status, r2) = api
        .control(
            Method::POST,
            "recordings",
            Some(json!({"call_sid": second, "duration": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{r2}");
    let r2 = r2["sid"].as_str().unwrap().to_owned();

    let all = api.get(&api.path("Recordings.json")).await.json();
    assert_eq!(sids(&all, "recordings"), [r2.clone(), r1.sid.to_string()]);
    let by_call = api
        .get(&api.path(&format!("Recordings.json?CallSid={first}")))
        .await
        .json();
    assert_eq!(sids(&by_call, "recordings"), [r1.sid.to_string()]);
    let sub = api
        .get(&api.path(&format!("Calls/{second}/Recordings.json")))
        .await
        .json();
    assert_eq!(sids(&sub, "recordings"), [r2.as_str()]);

    let fetched = api
        .get(&api.path(&format!("Recordings/{}.json", r1.sid)))
        .await
        .json();
    assert_eq!(fetched["duration"], "3");
    assert_eq!(fetched["call_sid"], first);
    assert_eq!(
        fetched["media_url"],
        format!(
            "{}{}",
            api.base(),
            api.path(&format!("Recordings/{}", r1.sid))
        )
    );

    let audio_uri = api.path(&format!("Recordings/{}", r1.sid));
    assert_eq!(
        api.send_as(None, Method::GET, &audio_uri, &[]).await.status,
        StatusCode::UNAUTHORIZED
    );
    let audio = api.get(&audio_uri).await;
    assert_eq!(audio.status, StatusCode::OK);
    assert_eq!(audio.content_type.as_deref(), Some("audio/x-wav"));
    assert_eq!(&audio.bytes[..4], b"RIFF");
    assert_eq!(&audio.bytes[8..12], b"WAVE");
    let wav = api.get(&format!("{audio_uri}.wav")).await;
    assert_eq!(wav.bytes, audio.bytes);
    assert_error(&api.get(&format!("{audio_uri}.mp3")).await, 404, 20404);
}

#[tokio::test]
async fn deleting_a_recording_answers_204_then_404_and_the_control_api_lists_it_no_more() {
    let api = Api::start().await;
    let call = api.call(OTHER).await["sid"].as_str().unwrap().to_owned();
    let r = api.sim().add_recording(&call.parse().unwrap(), 1).unwrap();
    let uri = api.path(&format!("Recordings/{}.json", r.sid));
    let held = || async {
        let (status, list) = api.control(Method::GET, "recordings", None).await;
        assert_eq!(status, StatusCode::OK, "{list}");
        list["recordings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["sid"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(held().await, [r.sid.to_string()]);
    assert_eq!(api.delete(&uri).await.status, StatusCode::NO_CONTENT);
    assert_error(&api.get(&uri).await, 404, 20404);
    assert!(held().await.is_empty(), "the control API lists it no more");
    assert_error(
        &api.get(&api.path(&format!("Recordings/{}", r.sid))).await,
        404,
        20404,
    );
}

#[tokio::test]
async fn a_recording_needs_an_existing_call() {
    let api = Api::start().await;
    let (status, body) = api
        .control(
            Method::POST,
            "recordings",
            Some(json!({"call_sid": "CAffffffffffffffffffffffffffffffff", "duration": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_error(
        &api.get(&api.path("Calls/CAffffffffffffffffffffffffffffffff/Recordings.json"))
            .await,
        404,
        20404,
    );
}
