//! Business hours: the `hours` step's week of opening times in one IANA time zone, with dates
//! closed all day; whether a moment is open.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use chrono_tz::Tz;

/// The days of `open`, Monday first (chrono's `num_days_from_monday` order).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// One opening, in minutes after local midnight. An end not after its start runs past
/// midnight into the next day (`22:00-02:00`); `24:00` ends at midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub start: u16,
    pub end: u16,
}

impl Range {
    fn overnight(self) -> bool {
        self.end <= self.start
    }

    /// Whether `minute` of the range's own day is open.
    fn holds_same_day(self, minute: u16) -> bool {
        minute >= self.start && (self.overnight() || minute < self.end)
    }

    /// Whether `minute` of the day after is open: the part of an overnight range past midnight.
    fn holds_next_day(self, minute: u16) -> bool {
        self.overnight() && minute < self.end
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hours {
    pub timezone: Tz,
    /// Monday first; a day without ranges is closed.
    pub open: [Vec<Range>; 7],
    /// Local dates closed all day (an overnight opening does not run into one either).
    pub closed_on: BTreeSet<NaiveDate>,
}

impl Hours {
    /// Whether the business is open at `at`, on the wall clock of its time zone (daylight
    /// saving comes from the time zone database).
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.timezone);
        let date = local.date_naive();
        if self.closed_on.contains(&date) {
            return false;
        }
        let minute = u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(u16::MAX);
        let today = usize::try_from(local.weekday().num_days_from_monday()).unwrap_or(0);
        if self.open[today].iter().any(|r| r.holds_same_day(minute)) {
            return true;
        }
        let yesterday = (today + 6) % 7;
        let started_open = date
            .checked_sub_signed(Duration::days(1))
            .is_some_and(|d| !self.closed_on.contains(&d));
        started_open
            && self.open[yesterday]
                .iter()
                .any(|r| r.holds_next_day(minute))
    }
}

/// `HH:MM-HH:MM[,HH:MM-HH:MM…]`: one day's openings, or why not.
pub fn parse_ranges(text: &str) -> Result<Vec<Range>, String> {
    let mut ranges = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        let (start, end) = part
            .split_once('-')
            .ok_or_else(|| format!("`{part}` is not a range like 09:00-17:00"))?;
        let start = minutes(start.trim(), false)
            .ok_or_else(|| format!("`{part}` does not start at a time like 09:00"))?;
        let end = minutes(end.trim(), true)
            .ok_or_else(|| format!("`{part}` does not end at a time like 17:00"))?;
        ranges.push(Range { start, end });
    }
    Ok(ranges)
}

/// `HH:MM` as minutes after midnight; `24:00` only as an end.
fn minutes(text: &str, end: bool) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if end => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    fn hours(open: &[(&str, &str)], closed_on: &[&str]) -> Hours {
        let mut days: [Vec<Range>; 7] = Default::default();
        for (day, text) in open {
            let index = DAYS.iter().position(|d| d == day).unwrap();
            days[index] = parse_ranges(text).unwrap();
        }
        Hours {
            timezone: chrono_tz::America::New_York,
            open: days,
            closed_on: closed_on
                .iter()
                .map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap())
                .collect(),
        }
    }

    /// The UTC moment of a wall-clock time in New York.
    fn ny(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        chrono_tz::America::New_York
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn ranges_are_parsed_with_their_mistakes_named() {
        assert_eq!(
            parse_ranges("09:00-12:00, 13:00-24:00").unwrap(),
            [
                Range {
                    start: 540,
                    end: 720
                },
                Range {
                    start: 780,
                    end: 1440
                }
            ]
        );
        for (bad, says) in [
            ("9-17", "does not start"),
            ("09:00", "not a range"),
            ("09:00-25:00", "does not end"),
            ("24:00-02:00", "does not start"),
            ("09:60-10:00", "does not start"),
        ] {
            let error = parse_ranges(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn a_day_is_open_within_its_ranges_only() {
        // 2026-12-07 is a Monday.
        let h = hours(&[("mon", "09:00-12:00,13:00-17:00")], &[]);
        assert!(!h.is_open(ny(2026, 12, 7, 8, 59)));
        assert!(h.is_open(ny(2026, 12, 7, 9, 0)));
        assert!(!h.is_open(ny(2026, 12, 7, 12, 30)));
        assert!(h.is_open(ny(2026, 12, 7, 16, 59)));
        assert!(!h.is_open(ny(2026, 12, 7, 17, 0)));
        assert!(!h.is_open(ny(2026, 12, 8, 10, 0)), "Tuesday is not listed");
    }

    #[test]
    fn an_evening_range_runs_past_midnight_into_the_next_day() {
        // Saturday 2026-12-12 22:00 to Sunday 02:00.
        let h = hours(&[("sat", "22:00-02:00")], &[]);
        assert!(!h.is_open(ny(2026, 12, 12, 21, 59)));
        assert!(h.is_open(ny(2026, 12, 12, 23, 30)));
        assert!(h.is_open(ny(2026, 12, 13, 1, 59)));
        assert!(!h.is_open(ny(2026, 12, 13, 2, 0)));
        assert!(
            !h.is_open(ny(2026, 12, 14, 1, 0)),
            "Monday night is not Saturday's"
        );
    }

    #[test]
    fn a_closed_date_is_closed_all_day_and_stops_the_night_before_at_midnight() {
        // Friday 2026-12-25 is closed; Thursday night runs 20:00-03:00.
        let h = hours(
            &[("thu", "20:00-03:00"), ("fri", "09:00-17:00")],
            &["2026-12-25"],
        );
        assert!(h.is_open(ny(2026, 12, 24, 23, 0)));
        assert!(!h.is_open(ny(2026, 12, 25, 1, 0)));
        assert!(!h.is_open(ny(2026, 12, 25, 10, 0)));
        // A closed Thursday does not open its night on Friday.
        let h = hours(&[("thu", "20:00-03:00")], &["2026-12-24"]);
        assert!(!h.is_open(ny(2026, 12, 25, 1, 0)));
    }

    #[test]
    fn opening_hours_follow_the_wall_clock_across_daylight_saving() {
        let h = hours(&[("sun", "09:00-17:00"), ("mon", "09:00-17:00")], &[]);
        // New York springs forward on Sunday 2026-03-08: 09:00 is 13:00 UTC, not 14:00.
        let open = Utc.with_ymd_and_hms(2026, 3, 8, 13, 0, 0).unwrap();
        assert!(h.is_open(open));
        assert!(!h.is_open(open - Duration::minutes(1)));
        // The Sunday before, 13:00 UTC was 08:00 in New York.
        assert!(!h.is_open(Utc.with_ymd_and_hms(2026, 3, 1, 13, 0, 0).unwrap()));
        // And back on Sunday 2026-11-01: 17:00 is 22:00 UTC.
        assert!(h.is_open(Utc.with_ymd_and_hms(2026, 11, 1, 21, 59, 0).unwrap()));
        assert!(!h.is_open(Utc.with_ymd_and_hms(2026, 11, 1, 22, 0, 0).unwrap()));
    }
}
