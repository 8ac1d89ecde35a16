//! Call screening through signed webhooks: the screened leg hears who calls and for what, a 1
//! takes the call, anything else hangs the leg up and the caller's flow goes on to `next`
//! even when Twilio reports the dial `completed`; the call's path says which.

use crate::answer;
use crate::harness::*;

const SCREENED: &str = r#"
[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default   = [ { step = "redirect", url = "sales" } ]
sales     = [ { step = "device", devices = ["cell"], screen = true, next = "voicemail" } ]
voicemail = [ { step = "say", text = "Leave a message." } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]

[contacts]
"+14155550100" = "Ann <Boss>"
"#;

/// The request Twilio makes for the screened leg `leg` of call `parent`.
fn leg_params<'a>(
    parent: &'a str,
    leg: &'a str,
    digits: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut params = vec![
        ("AccountSid", ACCOUNT),
        ("CallSid", leg),
        ("ParentCallSid", parent),
        ("From", CALLER),
        ("To", CELL),
        ("Direction", "outbound-dial"),
        ("CallStatus", "in-progress"),
    ];
    if let Some(digits) = digits {
        params.push(("Digits", digits));
    }
    params
}

async fn dial_ends(app: &TestApp, parent: &str, leg: &str) -> String {
    app.post_signed(
        "/flow/voice/sales/dial?step=0",
        &[
            ("AccountSid", ACCOUNT),
            ("CallSid", parent),
            ("From", CALLER),
            ("To", NUMBER),
            ("CallStatus", "in-progress"),
            ("DialCallStatus", "completed"),
            ("DialCallSid", leg),
            ("DialCallDuration", "0"),
        ],
    )
    .await
    .twiml()
    .to_owned()
}

#[tokio::test]
async fn a_screened_leg_hears_who_calls_and_only_a_1_takes_the_call() {
    let app = TestApp::builder(SCREENED).start().await;
    let parent = sid("CA");
    let call = app
        .post_signed("/flow/voice/sales", &borrow(&call_params(&parent, CALLER)))
        .await;
    assert!(
        call.twiml().contains(&format!(
            r#"<Number url="{PUBLIC_URL}/flow/voice/sales/screen?step=0">{CELL}</Number>"#
        )),
        "{}",
        call.twiml()
    );

    let leg = sid("CA");
    let prompt = app
        .post_signed(
            "/flow/voice/sales/screen?step=0",
            &leg_params(&parent, &leg, None),
        )
        .await;
    assert_eq!(
        prompt.twiml(),
        answer(&format!(
            r#"<Gather action="{PUBLIC_URL}/flow/voice/sales/screen/answer?step=0" actionOnEmptyResult="true" input="dtmf" numDigits="1" timeout="8"><Say>Call for sales from Ann &lt;Boss&gt;. Press 1 to accept.</Say></Gather><Hangup />"#
        ))
    );

    // Silence (a voicemail answering): the leg is hung up, and the dial goes on to `next`
    // although Twilio says the dialled call completed.
    let refused = app
        .post_signed(
            "/flow/voice/sales/screen/answer?step=0",
            &leg_params(&parent, &leg, Some("")),
        )
        .await;
    assert_eq!(refused.twiml(), answer("<Hangup />"));
    assert_eq!(
        dial_ends(&app, &parent, &leg).await,
        answer(&format!(
            "<Redirect>{PUBLIC_URL}/flow/voice/voicemail</Redirect>"
        ))
    );

    // Another call whose leg presses 1: bridged, and the dial's end ends the call.
    let parent = sid("CA");
    let leg = sid("CA");
    let accepted = app
        .post_signed(
            "/flow/voice/sales/screen/answer?step=0",
            &leg_params(&parent, &leg, Some("1")),
        )
        .await;
    assert_eq!(accepted.twiml(), "<Response />");
    assert_eq!(dial_ends(&app, &parent, &leg).await, answer("<Hangup />"));
    app.stop().await;
}
