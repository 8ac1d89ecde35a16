//! Tests for webhook parameters, on bodies shaped like the ones Twilio sends (FACTS §6).

use super::*;
use proptest::prelude::*;

const CALL: &str = "CA5b1f2e9a0c8d4e7f6a5b4c3d2e1f0a9b";
const PARENT: &str = "CA00000000000000000000000000000001";
const ACCOUNT: &str = "AC0123456789abcdef0123456789abcdef";
const MESSAGE: &str = "MM11112222333344445555666677778888";
const RECORDING: &str = "RE0123456789abcdef0123456789abcdef";

fn body(s: &str) -> Params {
    Params::parse(s.as_bytes()).unwrap()
}

fn incoming_call_body() -> String {
    format!(
        "AccountSid={ACCOUNT}&ApiVersion=2010-04-01&CallSid={CALL}&CallStatus=ringing\
         &Called=%2B18005551212&CalledCountry=US&Caller=%2B14158675309&CallerCountry=US\
         &Direction=inbound&From=%2B14158675309&FromCity=SAN+FRANCISCO&FromCountry=US\
         &FromState=CA&FromZip=94103&To=%2B18005551212&ToCountry=US&CallToken=%7B%22a%22%3A1%7D\
         &StirVerstat=TN-Validation-Passed-A"
    )
}

#[test]
fn parsing_decodes_plus_and_percent_escapes_and_keeps_order() {
    let p = body("To=%2B18005551212&Body=Hi+there%21+%F0%9F%91%8B&Empty=&Flag&&To=x%3Dy");
    assert_eq!(
        p.pairs(),
        &[
            ("To".to_owned(), "+18005551212".to_owned()),
            ("Body".to_owned(), "Hi there! \u{1F44B}".to_owned()),
            ("Empty".to_owned(), String::new()),
            ("Flag".to_owned(), String::new()),
            ("To".to_owned(), "x=y".to_owned()),
        ]
    );
    assert_eq!(p.get("To"), Some("+18005551212"));
    assert_eq!(p.get_all("To").collect::<Vec<_>>(), ["+18005551212", "x=y"]);
    assert_eq!(p.get("Missing"), None);
    assert_eq!(p.iter().count(), 5);
}

#[test]
fn an_empty_body_has_no_parameters() {
    assert_eq!(Params::parse(b"").unwrap(), Params::default());
}

#[test]
fn malformed_percent_escapes_are_errors_with_their_position() {
    assert_eq!(
        Params::parse(b"A=1&B=%zz"),
        Err(ParamsError::BadPercentEscape { offset: 6 })
    );
    assert_eq!(
        Params::parse(b"A=%4"),
        Err(ParamsError::BadPercentEscape { offset: 2 })
    );
    assert_eq!(
        Params::parse(b"%=1"),
        Err(ParamsError::BadPercentEscape { offset: 0 })
    );
}

#[test]
fn invalid_utf8_is_an_error_not_a_replacement_character() {
    assert_eq!(
        Params::parse(b"A=1&Body=%FF%FE"),
        Err(ParamsError::NotUtf8 { offset: 9 })
    );
    assert_eq!(
        Params::parse(b"A=1&B\xC3=1"),
        Err(ParamsError::NotUtf8 { offset: 4 })
    );
    // A sequence split across two escapes is fine when complete.
    assert_eq!(body("B=%C3%A9").get("B"), Some("é"));
}

#[test]
fn a_parsed_body_validates_against_signature_vector_1() {
    let p = body(
        "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234\
         &From=%2B14158675309&To=%2B18005551212",
    );
    assert!(crate::signature::validate(
        "12345",
        "https://mycompany.com/myapp.php?foo=1&bar=2",
        p.pairs(),
        "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    ));
}

proptest! {
    #[test]
    fn any_form_encoded_pairs_parse_back_exactly(
        pairs in proptest::collection::vec(("\\PC{0,8}", "\\PC{0,12}"), 0..8)
    ) {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        for (n, v) in &pairs {
            serializer.append_pair(n, v);
        }
        let encoded = serializer.finish();
        let parsed = Params::parse(encoded.as_bytes()).unwrap();
        // Pairs with an empty name and value encode to nothing but `=`, which is kept.
        prop_assert_eq!(parsed.into_pairs(), pairs);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = Params::parse(&bytes);
    }
}

#[test]
fn an_incoming_call_is_read_and_keeps_every_parameter() {
    let p = body(&incoming_call_body());
    let call = IncomingCall::from_params(&p).unwrap();
    assert_eq!(call.call_sid.as_str(), CALL);
    assert_eq!(call.account_sid.as_str(), ACCOUNT);
    assert_eq!(call.from, "+14158675309");
    assert_eq!(call.to, "+18005551212");
    assert_eq!(call.call_status, CallStatus::Ringing);
    assert_eq!(call.direction, "inbound");
    assert_eq!(call.caller_name, None);
    assert_eq!(call.forwarded_from, None);
    assert_eq!(call.parent_call_sid, None);
    assert_eq!(call.params.pairs().len(), 18);
    assert_eq!(
        call.params.get("StirVerstat"),
        Some("TN-Validation-Passed-A")
    );
    assert_eq!(call.params.get("CallToken"), Some(r#"{"a":1}"#));
    assert_eq!(call.params.get("FromCity"), Some("SAN FRANCISCO"));
}

#[test]
fn a_voice_sdk_call_comes_from_a_client_identity_with_custom_parameters() {
    let p = body(&format!(
        "AccountSid={ACCOUNT}&ApplicationSid=AP0123456789abcdef0123456789abcdef\
         &CallSid={CALL}&CallStatus=ringing&Direction=inbound&From=client%3Aalice\
         &Caller=client%3Aalice&To=&Called=&ApiVersion=2010-04-01&To=%2B15551234567\
         &ForwardedFrom=&CallerName=Alice+Smith&ParentCallSid={PARENT}&outbound_to=%2B15551234567"
    ));
    let call = IncomingCall::from_params(&p).unwrap();
    assert_eq!(call.from, "client:alice");
    // The first `To` is the one Twilio's own parameter set defines.
    assert_eq!(call.to, "");
    assert_eq!(call.params.get_all("To").count(), 2);
    assert_eq!(call.caller_name.as_deref(), Some("Alice Smith"));
    assert_eq!(call.forwarded_from, None, "an empty value counts as absent");
    assert_eq!(call.parent_call_sid.unwrap().as_str(), PARENT);
    assert_eq!(call.params.get("outbound_to"), Some("+15551234567"));
}

#[test]
fn each_missing_required_call_parameter_is_named() {
    for name in [
        "CallSid",
        "AccountSid",
        "From",
        "To",
        "CallStatus",
        "Direction",
    ] {
        let p = Params::from_pairs(
            body(&incoming_call_body())
                .iter()
                .filter(|(n, _)| *n != name),
        );
        assert_eq!(
            IncomingCall::from_params(&p),
            Err(ParamError::Missing(name)),
            "{name}"
        );
    }
}

#[test]
fn a_bad_sid_or_unknown_status_is_invalid_with_its_name_and_value() {
    let with = |name: &str, value: &str| {
        Params::from_pairs(body(&incoming_call_body()).iter().map(|(n, v)| {
            if n == name {
                (n, value)
            } else {
                (n, v)
            }
        }))
    };
    let err = IncomingCall::from_params(&with("CallSid", "SM5b1f2e9a0c8d4e7f6a5b4c3d2e1f0a9b"))
        .unwrap_err();
    assert!(
        matches!(&err, ParamError::Invalid { name: "CallSid", value, .. } if value.starts_with("SM5b")),
        "{err:?}"
    );
    let err = IncomingCall::from_params(&with("AccountSid", "AC123")).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "AccountSid",
                ..
            }
        ),
        "{err:?}"
    );
    let err = IncomingCall::from_params(&with("CallStatus", "answered")).unwrap_err();
    assert_eq!(
        err,
        ParamError::Invalid {
            name: "CallStatus",
            value: "answered".into(),
            reason: "`answered` is not a known call status".into()
        }
    );
    let mut with_parent = body(&incoming_call_body()).into_pairs();
    with_parent.push(("ParentCallSid".into(), "nope".into()));
    let err = IncomingCall::from_params(&Params::from_pairs(with_parent)).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "ParentCallSid",
                ..
            }
        ),
        "{err:?}"
    );
}

fn mms_body(num_media: usize, urls: &[usize]) -> String {
    let mut s = format!(
        "ToCountry=US&ToState=CA&SmsMessageSid={MESSAGE}&NumMedia={num_media}&ToCity=\
         &FromZip=94103&SmsSid={MESSAGE}&FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO\
         &Body=Look+%2B+see+%F0%9F%93%B7&FromCountry=US&To=%2B18005551212\
         &MessagingServiceSid=MG0123456789abcdef0123456789abcdef&ToZip=&NumSegments=1\
         &MessageSid={MESSAGE}&AccountSid={ACCOUNT}&From=%2B14158675309&ApiVersion=2010-04-01"
    );
    let types = ["image/jpeg", "image/png", "video/mp4"];
    for &n in urls {
        s.push_str(&format!(
            "&MediaContentType{n}={}&MediaUrl{n}=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2F\
             Accounts%2F{ACCOUNT}%2FMessages%2F{MESSAGE}%2FMedia%2FME{n:032x}",
            types[n % 3].replace('/', "%2F")
        ));
    }
    s
}

#[test]
fn an_mms_with_three_media_items_lists_them_in_order() {
    let msg = IncomingMessage::from_params(&body(&mms_body(3, &[2, 0, 1]))).unwrap();
    assert_eq!(msg.message_sid.as_str(), MESSAGE);
    assert_eq!(msg.account_sid.as_str(), ACCOUNT);
    assert_eq!(msg.from, "+14158675309");
    assert_eq!(msg.to, "+18005551212");
    assert_eq!(msg.body, "Look + see \u{1F4F7}");
    assert_eq!(msg.num_segments, Some(1));
    assert_eq!(msg.num_media, 3);
    let urls: Vec<_> = msg.media.iter().map(|m| m.url.as_str()).collect();
    let media_url = |n: usize| {
        format!(
            "https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages/{MESSAGE}/Media/ME{n:032x}"
        )
    };
    assert_eq!(urls, [media_url(0), media_url(1), media_url(2)]);
    let types: Vec<_> = msg
        .media
        .iter()
        .map(|m| m.content_type.as_deref())
        .collect();
    assert_eq!(
        types,
        [Some("image/jpeg"), Some("image/png"), Some("video/mp4")]
    );
    assert_eq!(msg.params.get("SmsStatus"), Some("received"));
}

#[test]
fn a_media_url_missing_below_num_media_is_invalid() {
    let err = IncomingMessage::from_params(&body(&mms_body(3, &[0, 2]))).unwrap_err();
    assert_eq!(
        err,
        ParamError::Invalid {
            name: "NumMedia",
            value: "3".into(),
            reason: "MediaUrl1 is missing".into()
        }
    );
}

#[test]
fn media_beyond_num_media_is_not_listed_but_kept_in_params() {
    let msg = IncomingMessage::from_params(&body(&mms_body(1, &[0, 1]))).unwrap();
    assert_eq!(msg.media.len(), 1);
    assert!(msg.params.get("MediaUrl1").is_some());
}

#[test]
fn a_text_only_message_without_body_or_num_media_has_empty_defaults() {
    let p = body(&format!(
        "MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid={ACCOUNT}\
         &From=%2B14158675309&To=%2B18005551212"
    ));
    let msg = IncomingMessage::from_params(&p).unwrap();
    assert_eq!(msg.body, "");
    assert_eq!(msg.num_media, 0);
    assert!(msg.media.is_empty());
    assert_eq!(msg.num_segments, None);
}

#[test]
fn a_message_without_message_sid_is_missing_it() {
    let p = body(&format!(
        "SmsSid={MESSAGE}&AccountSid={ACCOUNT}&From=%2B1415&To=%2B1800&Body=x"
    ));
    assert_eq!(
        IncomingMessage::from_params(&p),
        Err(ParamError::Missing("MessageSid"))
    );
}

#[test]
fn a_non_numeric_num_media_is_invalid() {
    let p = body(&mms_body(0, &[]).replace("NumMedia=0", "NumMedia=two"));
    let err = IncomingMessage::from_params(&p).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "NumMedia",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_completed_call_status_callback_is_read() {
    let p = body(&format!(
        "Called=%2B18005551212&ToState=CA&CallerCountry=US&Direction=outbound-dial\
         &Timestamp=Fri%2C+18+Oct+2019+17%3A00%3A00+%2B0000&CallbackSource=call-progress-events\
         &SequenceNumber=3&CallSid={CALL}&To=client%3Aalice&From=%2B14158675309\
         &ParentCallSid={PARENT}&CallStatus=completed&CallDuration=42&Duration=1\
         &AccountSid={ACCOUNT}&ApiVersion=2010-04-01&SipResponseCode=200"
    ));
    let cb = CallStatusCallback::from_params(&p).unwrap();
    assert_eq!(cb.call_sid.as_str(), CALL);
    assert_eq!(cb.call_status, CallStatus::Completed);
    assert_eq!(cb.call_duration, Some(42));
    assert_eq!(cb.sequence_number, Some(3));
    assert_eq!(
        cb.timestamp.as_deref(),
        Some("Fri, 18 Oct 2019 17:00:00 +0000")
    );
    assert_eq!(cb.from, "+14158675309");
    assert_eq!(cb.to, "client:alice");
    assert_eq!(cb.direction.as_deref(), Some("outbound-dial"));
    assert_eq!(cb.parent_call_sid.unwrap().as_str(), PARENT);
    assert_eq!(cb.params.get("SipResponseCode"), Some("200"));
}

#[test]
fn a_ringing_call_status_callback_has_no_duration_and_a_negative_one_means_unknown() {
    let base = format!("CallSid={CALL}&CallStatus=ringing&From=a&To=b&SequenceNumber=0");
    let cb = CallStatusCallback::from_params(&body(&base)).unwrap();
    assert_eq!(cb.call_duration, None);
    assert_eq!(cb.sequence_number, Some(0));
    assert_eq!(cb.direction, None);
    let unknown =
        CallStatusCallback::from_params(&body(&format!("{base}&CallDuration=-1"))).unwrap();
    assert_eq!(unknown.call_duration, None);
    let known = CallStatusCallback::from_params(&body(&format!("{base}&CallDuration=42"))).unwrap();
    assert_eq!(known.call_duration, Some(42));
    let err =
        CallStatusCallback::from_params(&body(&format!("{base}&CallDuration=soon"))).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "CallDuration",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn an_undelivered_message_status_callback_carries_its_error_code() {
    let p = body(&format!(
        "SmsSid={MESSAGE}&SmsStatus=undelivered&MessageStatus=undelivered&To=%2B18005551212\
         &MessageSid={MESSAGE}&AccountSid={ACCOUNT}&From=%2B14158675309&ApiVersion=2010-04-01\
         &ErrorCode=30003&RawDlrDoneDate=2401011200"
    ));
    let cb = MessageStatusCallback::from_params(&p).unwrap();
    assert_eq!(cb.message_sid.as_str(), MESSAGE);
    assert_eq!(cb.message_status, MessageStatus::Undelivered);
    assert_eq!(cb.error_code, Some(30003));
    assert_eq!(cb.from.as_deref(), Some("+14158675309"));
    assert_eq!(cb.to.as_deref(), Some("+18005551212"));
    assert_eq!(cb.params.get("RawDlrDoneDate"), Some("2401011200"));
}

#[test]
fn a_message_status_callback_without_extras_and_with_an_unknown_status() {
    let ok = body(&format!(
        "MessageSid={MESSAGE}&MessageStatus=partially_delivered"
    ));
    let cb = MessageStatusCallback::from_params(&ok).unwrap();
    assert_eq!(cb.message_status, MessageStatus::PartiallyDelivered);
    assert_eq!((cb.error_code, cb.from, cb.to), (None, None, None));
    let bad = body(&format!("MessageSid={MESSAGE}&MessageStatus=exploded"));
    let err = MessageStatusCallback::from_params(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "MessageStatus",
                ..
            }
        ),
        "{err:?}"
    );
    let missing = body(&format!("MessageSid={MESSAGE}"));
    assert_eq!(
        MessageStatusCallback::from_params(&missing),
        Err(ParamError::Missing("MessageStatus"))
    );
}

#[test]
fn a_recording_status_callback_is_read() {
    let p = body(&format!(
        "AccountSid={ACCOUNT}&CallSid={CALL}&RecordingSid={RECORDING}\
         &RecordingUrl=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2F{ACCOUNT}%2FRecordings%2F{RECORDING}\
         &RecordingStatus=completed&RecordingDuration=17&RecordingChannels=1\
         &RecordingStartTime=Fri%2C+18+Oct+2019+17%3A00%3A00+%2B0000&RecordingSource=RecordVerb"
    ));
    let cb = RecordingStatusCallback::from_params(&p).unwrap();
    assert_eq!(cb.call_sid.as_str(), CALL);
    assert_eq!(cb.recording_sid.as_str(), RECORDING);
    assert_eq!(
        cb.recording_url,
        format!("https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{RECORDING}")
    );
    assert_eq!(cb.recording_status, "completed");
    assert_eq!(cb.recording_duration, Some(17));
    assert_eq!(cb.recording_source.as_deref(), Some("RecordVerb"));
    let without_source = Params::from_pairs(p.iter().filter(|(n, _)| *n != "RecordingSource"));
    let cb = RecordingStatusCallback::from_params(&without_source).unwrap();
    assert_eq!(cb.recording_source, None);
    let without_url = Params::from_pairs(p.iter().filter(|(n, _)| *n != "RecordingUrl"));
    assert_eq!(
        RecordingStatusCallback::from_params(&without_url),
        Err(ParamError::Missing("RecordingUrl"))
    );
}

#[test]
fn a_transcription_callback_is_read() {
    let p = body(&format!(
        "TranscriptionSid=TR0123456789abcdef0123456789abcdef&TranscriptionText=Call+me+back%2C+please.\
         &TranscriptionStatus=completed&TranscriptionUrl=https%3A%2F%2Fexample.invalid%2Ft\
         &RecordingSid={RECORDING}&RecordingUrl=https%3A%2F%2Fexample.invalid%2Fr&CallSid={CALL}\
         &AccountSid={ACCOUNT}&From=%2B14158675309&To=%2B18005551212&CallStatus=completed\
         &ApiVersion=2010-04-01&Direction=inbound&ForwardedFrom="
    ));
    let cb = TranscriptionCallback::from_params(&p).unwrap();
    assert_eq!(cb.transcription_sid, "TR0123456789abcdef0123456789abcdef");
    assert_eq!(
        cb.transcription_text.as_deref(),
        Some("Call me back, please.")
    );
    assert_eq!(cb.transcription_status, "completed");
    assert_eq!(cb.recording_sid.as_str(), RECORDING);
    assert_eq!(cb.call_sid.unwrap().as_str(), CALL);

    let failed = body(&format!(
        "TranscriptionSid=TR1&TranscriptionStatus=failed&RecordingSid={RECORDING}"
    ));
    let cb = TranscriptionCallback::from_params(&failed).unwrap();
    assert_eq!((cb.transcription_text, cb.call_sid), (None, None));
    let bad = body("TranscriptionSid=TR1&TranscriptionStatus=failed&RecordingSid=RE1");
    let err = TranscriptionCallback::from_params(&bad).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "RecordingSid",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_dial_action_for_an_unanswered_number_is_read() {
    let p = body(&format!(
        "AccountSid={ACCOUNT}&CallSid={CALL}&CallStatus=in-progress&DialCallStatus=no-answer\
         &DialCallSid=CA99999999999999999999999999999999&DialCallDuration=0&DialBridged=false\
         &From=%2B14158675309&To=%2B18005551212&Direction=inbound"
    ));
    let action = DialAction::from_params(&p).unwrap();
    assert_eq!(action.call_sid.as_str(), CALL);
    assert_eq!(action.dial_call_status, DialCallStatus::NoAnswer);
    assert_eq!(
        action.dial_call_sid.as_deref(),
        Some("CA99999999999999999999999999999999")
    );
    assert_eq!(action.dial_call_duration, Some(0));
    assert_eq!(action.recording_url, None);
    assert_eq!(action.params.get("DialBridged"), Some("false"));
}

#[test]
fn a_dial_action_for_a_conference_has_no_dial_call_sid() {
    let p = body(&format!(
        "CallSid={CALL}&DialCallStatus=answered&RecordingUrl=https%3A%2F%2Fexample.invalid%2Fr"
    ));
    let action = DialAction::from_params(&p).unwrap();
    assert_eq!(action.dial_call_status, DialCallStatus::Answered);
    assert_eq!(action.dial_call_sid, None);
    assert_eq!(
        action.recording_url.as_deref(),
        Some("https://example.invalid/r")
    );
    let ringing = body(&format!("CallSid={CALL}&DialCallStatus=ringing"));
    let err = DialAction::from_params(&ringing).unwrap_err();
    assert!(
        matches!(
            err,
            ParamError::Invalid {
                name: "DialCallStatus",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn a_record_action_after_hangup_is_read() {
    let p = body(&format!(
        "AccountSid={ACCOUNT}&CallSid={CALL}&CallStatus=completed&RecordingSid={RECORDING}\
         &RecordingUrl=https%3A%2F%2Fexample.invalid%2Fr&RecordingDuration=9&Digits=hangup"
    ));
    let action = RecordAction::from_params(&p).unwrap();
    assert_eq!(action.call_sid.as_str(), CALL);
    assert_eq!(action.recording_sid.unwrap().as_str(), RECORDING);
    assert_eq!(
        action.recording_url.as_deref(),
        Some("https://example.invalid/r")
    );
    assert_eq!(action.recording_duration, Some(9));
    assert_eq!(action.digits.as_deref(), Some("hangup"));
    let bare = RecordAction::from_params(&body(&format!("CallSid={CALL}"))).unwrap();
    assert_eq!(
        (
            bare.recording_url,
            bare.recording_sid,
            bare.recording_duration,
            bare.digits
        ),
        (None, None, None, None)
    );
    assert_eq!(
        RecordAction::from_params(&body("Digits=1")),
        Err(ParamError::Missing("CallSid"))
    );
}

#[test]
fn every_status_round_trips_through_its_text() {
    for s in CallStatus::ALL {
        assert_eq!(CallStatus::parse(s.as_str()), Ok(*s));
        assert_eq!(s.to_string().parse::<CallStatus>(), Ok(*s));
    }
    for s in DialCallStatus::ALL {
        assert_eq!(DialCallStatus::parse(s.as_str()), Ok(*s));
    }
    for s in MessageStatus::ALL {
        assert_eq!(MessageStatus::parse(s.as_str()), Ok(*s));
    }
    assert_eq!(CallStatus::ALL.len(), 9);
    assert_eq!(DialCallStatus::ALL.len(), 6);
    assert_eq!(MessageStatus::ALL.len(), 13);
    assert_eq!(CallStatus::InProgress.as_str(), "in-progress");
    assert_eq!(
        MessageStatus::PartiallyDelivered.as_str(),
        "partially_delivered"
    );
}

#[test]
fn status_text_is_case_sensitive_like_twilio() {
    assert!(CallStatus::parse("Completed").is_err());
    assert!(MessageStatus::parse("in-progress").is_err());
    assert!(DialCallStatus::parse("").is_err());
}

#[test]
fn only_ended_calls_have_a_final_status() {
    let finals: Vec<_> = CallStatus::ALL
        .iter()
        .filter(|s| s.is_final())
        .map(|s| s.as_str())
        .collect();
    assert_eq!(
        finals,
        ["completed", "busy", "failed", "no-answer", "canceled"]
    );
}

#[test]
fn statuses_serialize_as_twilio_text() {
    assert_eq!(
        serde_json::to_string(&CallStatus::NoAnswer).unwrap(),
        r#""no-answer""#
    );
    assert_eq!(
        serde_json::from_str::<MessageStatus>(r#""delivered""#).unwrap(),
        MessageStatus::Delivered
    );
    assert!(serde_json::from_str::<MessageStatus>(r#""nope""#).is_err());
}

#[test]
fn views_can_be_built_through_the_trait() {
    fn build<T: FromParams>(p: &Params) -> Result<T, ParamError> {
        T::from_params(p)
    }
    let call: IncomingCall = build(&body(&incoming_call_body())).unwrap();
    assert_eq!(call.call_status, CallStatus::Ringing);
    assert!(build::<DialAction>(&body("")).is_err());
}
