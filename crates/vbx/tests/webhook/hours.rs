//! The `hours` step through signed webhooks to the running server: the flow goes on while the
//! business is open and to `next` while closed, on the wall clock of its time zone (the app's
//! clock is set, as a test cannot wait for a weekend or a daylight-saving change).

use chrono::TimeZone as _;

use crate::answer;
use crate::harness::*;

const HOURS: &str = r#"
[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+18005555555" }

[calls]
default = [ { step = "hours", timezone = "America/New_York", open = { mon = "09:00-17:00", sat = "22:00-02:00" }, closed_on = ["2026-12-14"], next = "closed" },
            { step = "say", text = "We are open." } ]
closed  = [ { step = "say", text = "We are closed." } ]

[messages]
default = [ { step = "hours", timezone = "America/New_York", open = { mon = "09:00-17:00" }, next = "closed" },
            { step = "message", text = "Thanks, we will answer soon." } ]
closed  = [ { step = "message", text = "We are closed until Monday." } ]
"#;

fn new_york(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(y, m, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

fn utc(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(y, m, d, h, mi, 0)
        .single()
        .unwrap()
}

#[tokio::test]
async fn a_call_goes_on_while_open_and_to_next_while_closed() {
    let app = TestApp::builder(HOURS).start().await;
    let open = answer(r#"<Say language="en" loop="1" voice="woman">We are open.</Say>"#);
    let closed = answer("<Redirect>https://vbx.example.com/flow/voice/closed</Redirect>");
    for (at, expected) in [
        // Monday 2026-12-07.
        (new_york(2026, 12, 7, 9, 0), &open),
        (new_york(2026, 12, 7, 17, 0), &closed),
        // Saturday night runs past midnight into Sunday.
        (new_york(2026, 12, 12, 23, 0), &open),
        (new_york(2026, 12, 13, 1, 59), &open),
        (new_york(2026, 12, 13, 2, 0), &closed),
        // A Monday closed all day.
        (new_york(2026, 12, 14, 10, 0), &closed),
        // Daylight saving: 13:30 UTC is 08:30 in New York on Monday 2026-03-02 (EST) but
        // 09:30 on Monday 2026-03-09, the day after the clocks went forward (EDT).
        (utc(2026, 3, 2, 13, 30), &closed),
        (utc(2026, 3, 9, 13, 30), &open),
        // And back: 21:30 UTC is 16:30 on Monday 2026-11-02 (EST again), 17:30 a week
        // before (EDT).
        (utc(2026, 10, 26, 21, 30), &closed),
        (utc(2026, 11, 2, 21, 30), &open),
    ] {
        app.state.clock.set(at);
        let reply = app
            .post_signed(
                "/flow/voice/default",
                &borrow(&call_params(&sid("CA"), CALLER)),
            )
            .await;
        assert_eq!(reply.twiml(), expected.as_str(), "at {at}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_text_goes_on_while_open_and_to_next_while_closed() {
    let app = TestApp::builder(HOURS).start().await;
    for (at, expected) in [
        (
            new_york(2026, 12, 7, 10, 0),
            "<Message><Body>Thanks, we will answer soon.</Body></Message>",
        ),
        (
            new_york(2026, 12, 12, 10, 0),
            "<Redirect>https://vbx.example.com/flow/msg/closed</Redirect>",
        ),
    ] {
        app.state.clock.set(at);
        let reply = app
            .post_signed(
                "/flow/msg/default",
                &borrow(&text_params(&sid("SM"), CALLER, "hello", &[])),
            )
            .await;
        let twiml = reply.twiml();
        assert!(twiml.contains(expected), "at {at}: {twiml}");
    }
    app.stop().await;
}
