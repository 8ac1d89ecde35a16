//! The `hours` step in call and message flows: open goes on, closed goes to `next`.

use super::*;

/// Monday to Friday 09:00-17:00 in New York, closed on 2026-12-25; closed flows to `closed`.
fn with_hours(config: &mut Config) {
    let hours = Action::Hours(Box::new(crate::config::hours::Hours {
        timezone: chrono_tz::America::New_York,
        open: std::array::from_fn(|day| {
            if day < 5 {
                crate::config::hours::parse_ranges("09:00-17:00").unwrap()
            } else {
                Vec::new()
            }
        }),
        closed_on: [chrono::NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]
            .into_iter()
            .collect(),
    }));
    let default = alias("default");
    let calls = config.calls.get_mut(&default).unwrap();
    calls.insert(0, step_next(hours.clone(), "closed"));
    config
        .calls
        .insert(alias("closed"), vec![step(Action::Hangup)]);
    let texts = config.messages.get_mut(&default).unwrap();
    texts.insert(0, step_next(hours, "closed"));
    config.messages.insert(
        alias("closed"),
        vec![step(Action::Message {
            text: "We are closed.".into(),
            to: None,
        })],
    );
}

/// A wall-clock moment in New York.
fn new_york(y: i32, m: u32, d: u32, h: u32, mi: u32) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone as _;
    chrono_tz::America::New_York
        .with_ymd_and_hms(y, m, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[test]
fn a_call_while_open_goes_on_and_one_while_closed_goes_to_next() {
    let mut config = config();
    with_hours(&mut config);
    let default = alias("default");
    let online = FixedPresence::online(&["browser"]);
    // Monday 2026-12-07 10:00: open, the browser rings.
    let mut req = call(&default, CALLER);
    req.now = new_york(2026, 12, 7, 10, 0);
    let out = run_call(&config, &online, &req).unwrap();
    assert!(
        matches!(&out.twiml.verbs[..], [Verb::Dial(_)]),
        "{:?}",
        out.twiml
    );
    // 17:00 that day, a Saturday, and Christmas (a Friday): closed.
    for closed in [
        new_york(2026, 12, 7, 17, 0),
        new_york(2026, 12, 12, 10, 0),
        new_york(2026, 12, 25, 10, 0),
    ] {
        req.now = closed;
        let out = run_call(&config, &online, &req).unwrap();
        assert_eq!(
            out.twiml,
            doc(vec![redirect("https://vbx.example.com/flow/voice/closed")]),
            "{closed}"
        );
    }
}

#[test]
fn a_text_while_closed_goes_to_next_and_one_while_open_is_delivered() {
    let mut config = config();
    with_hours(&mut config);
    let default = alias("default");
    let online = FixedPresence::online(&["browser"]);
    let mut req = text(&config, &default, CALLER, "hello", &[]);
    req.now = new_york(2026, 12, 12, 10, 0);
    let out = run_message(&config, &online, &req).unwrap();
    assert_eq!(
        out.twiml.verbs,
        [MessagingVerb::Redirect(twiml::Redirect {
            url: "https://vbx.example.com/flow/msg/closed".into(),
            method: None,
        })]
    );
    req.now = new_york(2026, 12, 7, 10, 0);
    let out = run_message(&config, &online, &req).unwrap();
    assert!(out.twiml.verbs.is_empty(), "{:?}", out.twiml);
}
