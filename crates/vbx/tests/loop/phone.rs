//! The phone system's steps through the whole loop: the simulator calls, vbx answers signed
//! webhooks with TwiML, the simulator carries it out (business hours, a menu with scripted
//! keys, also from `vbx sim call --digits`, a device step ringing every device), and the test
//! reads what the caller heard and which phones rang.

use chrono::TimeZone as _;
use twilio_sim::InboundCall;

use crate::harness::*;

const PHONE: &str = r#"
[devices]
browser = { type = "browser" }
cell    = { type = "sms", number = "+14155550199" }

[calls]
default   = [ { step = "hours", timezone = "America/New_York", open = { mon = "09:00-17:00" }, next = "closed" },
              { step = "menu", prompt = "For sales press 1, for support press 2.", keys = { "1" = "sales", "2" = "support", "3" = "ringing" }, timeout = 3, repeat = 2, invalid = "Sorry, that is not an option.", next = "voicemail" } ]
sales     = [ { step = "say", text = "Sales speaking." } ]
support   = [ { step = "say", text = "Support speaking." } ]
closed    = [ { step = "say", text = "We are closed." } ]
voicemail = [ { step = "say", text = "Leave a message." } ]
ringing   = [ { step = "device", devices = ["browser", "cell"], ring = "all", timeout = 10, next = "voicemail" } ]

[messages]
default = [ { step = "device", devices = ["browser"] } ]
"#;

async fn start(sim: &TestSim) -> TestApp {
    let (key, secret) = sim.key();
    let app = Builder::new(PHONE)
        .sim(sim)
        .api_key(&key, &secret)
        .user("owner", "correct horse battery")
        .start()
        .await;
    vbx::cli::setup::setup(&app.state.config, &sim.client())
        .await
        .unwrap();
    app
}

/// Monday 2026-12-07 at `hour` in New York.
fn monday(hour: u32) -> chrono::DateTime<chrono::Utc> {
    chrono_tz::America::New_York
        .with_ymd_and_hms(2026, 12, 7, hour, 0, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Calls with `digits` entered at each menu, waits for the end, answers what was said.
async fn heard(sim: &TestSim, digits: &[&str]) -> Vec<String> {
    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            digits: digits.iter().map(|d| (*d).to_owned()).collect(),
            ..Default::default()
        })
        .unwrap();
    said(sim, &sid).await
}

/// What was said to the caller of `sid`, once the call is over.
async fn said(sim: &TestSim, sid: &twilio::CallSid) -> Vec<String> {
    sim.sim().wait_for_call_end(sid, WAIT).await.unwrap();
    sim.sim()
        .call_transcript(sid)
        .into_iter()
        .filter_map(|line| line.split_once("]: ").map(|(_, said)| said.to_owned()))
        .collect()
}

#[tokio::test]
async fn a_caller_picks_from_the_menu_after_a_wrong_key_and_a_silence() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    app.state.clock.set(monday(10));
    let prompt = "For sales press 1, for support press 2.";
    assert_eq!(
        heard(&sim, &["9", "", "2"]).await,
        [
            prompt,
            "Sorry, that is not an option.",
            prompt,
            prompt,
            "Support speaking."
        ]
    );
    assert_eq!(heard(&sim, &["1"]).await, [prompt, "Sales speaking."]);

    // The call log says what each call went through.
    assert_eq!(
        paths(&app).await,
        [
            vec!["open", "pressed 1 → sales"],
            vec![
                "open",
                "pressed 9: not an option",
                "no key pressed",
                "pressed 2 → support"
            ],
        ]
    );
    app.stop().await;
}

/// The paths of the calls in the call log, newest first.
async fn paths(app: &TestApp) -> Vec<Vec<String>> {
    let session = app.login("owner", "correct horse battery").await;
    let reply = app.get("/api/calls", &session).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let log: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
    log["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|call| {
            call["path"]
                .as_array()
                .map(|p| p.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default()
        })
        .collect()
}

/// Runs the `vbx` binary with `args`, as a person at a terminal would.
async fn vbx<const N: usize>(args: [String; N]) -> std::process::Output {
    tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_vbx"))
            .args(args)
            .output()
            .expect("vbx runs")
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn vbx_sim_call_digits_are_the_callers_keys_at_each_menu() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    app.state.clock.set(monday(10));
    let args = [
        "sim",
        "--sim",
        &sim.base_url(),
        "call",
        "--from",
        OUTSIDE,
        "--to",
        &sim.number(),
        "--digits",
        "9",
        "--digits",
        "1",
    ]
    .map(str::to_owned);
    let out = vbx(args).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let placed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let sid = twilio::CallSid::parse(placed["sid"].as_str().unwrap()).unwrap();
    let prompt = "For sales press 1, for support press 2.";
    assert_eq!(
        said(&sim, &sid).await,
        [
            prompt,
            "Sorry, that is not an option.",
            prompt,
            "Sales speaking."
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn a_caller_who_never_picks_goes_to_next_and_one_after_hours_hears_closed() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    app.state.clock.set(monday(10));
    let prompt = "For sales press 1, for support press 2.";
    assert_eq!(
        heard(&sim, &["", "", ""]).await,
        [prompt, prompt, prompt, "Leave a message."]
    );
    app.state.clock.set(monday(18));
    assert_eq!(heard(&sim, &[]).await, ["We are closed."]);
    assert_eq!(
        paths(&app).await,
        [
            vec!["closed → closed"],
            vec![
                "open",
                "no key pressed",
                "no key pressed",
                "no key pressed",
                "no choice → voicemail"
            ],
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn ringing_all_with_no_tab_open_rings_the_cell() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    app.state.clock.set(monday(10));
    // Key 3 of the menu rings every device; no tab is open.
    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            digits: vec!["3".into()],
            ..Default::default()
        })
        .unwrap();
    sim.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let legs = sim.sim().child_calls(&sid);
    let rang: Vec<&str> = legs.iter().map(|leg| leg.to.as_str()).collect();
    assert_eq!(rang, [CELL], "{legs:#?}");
    // Ringing several at once, the dial's answer does not say which one took it.
    assert_eq!(
        paths(&app).await.remove(0),
        ["open", "pressed 3 → ringing", "rang cell", "answered"]
    );
    app.stop().await;
}

#[tokio::test]
async fn ringing_all_with_a_tab_registered_rings_the_browser_and_the_cell_at_once() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    app.state.clock.set(monday(10));
    app.presence.browser_registered("vbx");
    let sid = sim
        .sim()
        .incoming_call(InboundCall {
            from: OUTSIDE.into(),
            to: sim.number(),
            digits: vec!["3".into()],
            ..Default::default()
        })
        .unwrap();
    sim.sim().wait_for_call_end(&sid, WAIT).await.unwrap();
    let legs = sim.sim().child_calls(&sid);
    let mut rang: Vec<&str> = legs.iter().map(|leg| leg.to.as_str()).collect();
    rang.sort_unstable();
    assert_eq!(rang, [CELL, "client:vbx"], "{legs:#?}");
    // Both legs began together: one <Dial>, not one after the other.
    let started: Vec<_> = legs.iter().map(|leg| leg.date_created).collect();
    assert_eq!(started[0], started[1], "{legs:#?}");
    assert_eq!(
        paths(&app).await.remove(0)[..3],
        ["open", "pressed 3 → ringing", "rang browser, cell"]
    );
    app.stop().await;
}

#[tokio::test]
async fn vbx_sim_call_wait_prints_what_the_caller_heard() {
    let sim = TestSim::start().await;
    let app = start(&sim).await;
    app.state.clock.set(monday(10));
    let args = [
        "sim",
        "--sim",
        &sim.base_url(),
        "call",
        "--from",
        OUTSIDE,
        "--to",
        &sim.number(),
        "--digits",
        "2",
        "--wait",
    ]
    .map(str::to_owned);
    let out = vbx(args).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (placed, heard) = stdout
        .split_once("\nThe caller heard:\n")
        .unwrap_or_else(|| panic!("{stdout}"));
    let placed: serde_json::Value = serde_json::from_str(placed).unwrap();
    assert!(placed["sid"].as_str().unwrap().starts_with("CA"));
    let lines: Vec<&str> = heard.lines().map(str::trim).collect();
    assert_eq!(
        lines,
        [
            "say[man,en-US]: For sales press 1, for support press 2.",
            "digits: 2",
            "say[woman,en]: Support speaking."
        ],
        "{stdout}"
    );
    app.stop().await;
}
