//! validate() of the `hours` step: the example of issue 21 loads, each mistake is reported at
//! its key path.

use super::*;

const OPEN: &str = r#"{ step = "hours", timezone = "America/New_York", open = { mon = "09:00-17:00", fri = "09:00-12:00,13:00-17:00", sat = "22:00-02:00" }, closed_on = ["2026-12-25", "2027-01-01"], next = "phone" }"#;

fn calls_default(step: &str) -> String {
    with(&[(
        r#"default = [ { step = "device", devices = ["browser"], next = "phone" } ]"#,
        &format!(
            r#"default = [ {step}, {{ step = "device", devices = ["browser"], next = "phone" }} ]"#
        ),
    )])
}

#[test]
fn an_hours_step_loads_its_week_zone_and_closed_dates_in_both_flows() {
    let config = check(&calls_default(OPEN)).unwrap();
    let Action::Hours(hours) = &config.calls[&Alias::parse("default").unwrap()][0].action else {
        panic!("not an hours step");
    };
    assert_eq!(hours.timezone, chrono_tz::America::New_York);
    let days: Vec<usize> = hours.open.iter().map(Vec::len).collect();
    assert_eq!(days, [1, 0, 0, 0, 2, 1, 0]);
    assert_eq!(hours.closed_on.len(), 2);

    let text = with(&[(
        r#"default = [ { step = "device", devices = ["browser", "cell"] } ]"#,
        r#"default = [ { step = "hours", timezone = "Europe/Paris", open = { sun = "10:00-12:00" }, next = "closed" }, { step = "device", devices = ["browser"] } ]
closed = [ { step = "message", text = "We are closed." } ]"#,
    )]);
    assert!(check(&text).is_ok());
}

#[test]
fn each_mistake_in_an_hours_step_is_reported_at_its_key() {
    for (step, path, says) in [
        (
            OPEN.replace("America/New_York", "America/New_Yrok"),
            "calls.default[0].timezone",
            "not an IANA time zone",
        ),
        (
            OPEN.replace("America/New_York", "EST5"),
            "calls.default[0].timezone",
            "not an IANA time zone",
        ),
        (
            OPEN.replace("mon = ", "monday = "),
            "calls.default[0].open.monday",
            "not a day",
        ),
        (
            OPEN.replace("09:00-17:00\", fri", "9-17\", fri"),
            "calls.default[0].open.mon",
            "does not start",
        ),
        (
            OPEN.replace("2026-12-25", "25/12/2026"),
            "calls.default[0].closed_on[0]",
            "not a date",
        ),
        (
            OPEN.replace(r#", next = "phone""#, ""),
            "calls.default[0].next",
            "has no `next`",
        ),
        (
            OPEN.replace(r#"timezone = "America/New_York", "#, ""),
            "calls.default[0].timezone",
            "missing",
        ),
        (
            OPEN.replace("closed_on", "closed"),
            "calls.default[0].closed",
            "unknown key",
        ),
    ] {
        let problem = only(&calls_default(&step), path);
        assert!(problem.message.contains(says), "{path}: {problem:?}");
    }
}
