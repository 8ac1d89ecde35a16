//! Time as Twilio shows it: RFC 2822 dates in GMT, date filters such as `DateSent>=2024-01-31`,
//! and the simulator's clock, which tests can move forward instead of sleeping.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, SubsecRound, Utc};

/// Twilio's JSON date form: `Fri, 18 Oct 2019 17:00:00 +0000`.
pub fn rfc2822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Wall-clock time plus an offset that only grows, truncated to whole seconds like Twilio's dates.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: Duration,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        (Utc::now() + self.offset).trunc_subsecs(0)
    }

    pub fn advance(&mut self, by: std::time::Duration) {
        self.offset += Duration::from_std(by).unwrap_or(Duration::MAX);
    }
}

/// One side of a date filter. A bare date covers that whole UTC day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateValue {
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

impl DateValue {
    /// Reads `YYYY-MM-DD`, RFC 3339 (`2024-01-31T10:00:00Z`) or a zone-less ISO datetime (UTC).
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        if let Ok(day) = NaiveDate::parse_from_str(value, "%Y-%m-%d") {
            return Some(Self::Day(day));
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(value) {
            return Some(Self::Instant(t.with_timezone(&Utc)));
        }
        NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
            .ok()
            .map(|t| Self::Instant(t.and_utc()))
    }

    /// Midnight UTC stands for its whole day: clients that hold a date send it so
    /// (twilio-python sends `DateSent=2024-01-31T00:00:00Z` for `date(2024, 1, 31)`), and
    /// Twilio's date filters compare whole days.
    pub fn midnight_as_day(self) -> Self {
        match self {
            Self::Instant(t) if t.time() == chrono::NaiveTime::MIN => Self::Day(t.date_naive()),
            other => other,
        }
    }

    fn first_instant(self) -> DateTime<Utc> {
        match self {
            Self::Day(d) => d.and_time(chrono::NaiveTime::MIN).and_utc(),
            Self::Instant(t) => t,
        }
    }

    fn last_instant(self) -> DateTime<Utc> {
        match self {
            Self::Day(d) => d
                .succ_opt()
                .map(|next| next.and_time(chrono::NaiveTime::MIN).and_utc() - Duration::seconds(1))
                .unwrap_or(DateTime::<Utc>::MAX_UTC),
            Self::Instant(t) => t,
        }
    }
}

/// A filter such as `StartTime` (`=`), `StartTime>` (on or after) or `StartTime<` (on or before).
/// Bounds are inclusive; a bare date as an upper bound includes that whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateFilter {
    On(DateValue),
    OnOrAfter(DateValue),
    OnOrBefore(DateValue),
}

impl DateFilter {
    pub fn matches(&self, t: DateTime<Utc>) -> bool {
        match *self {
            Self::On(v) => v.first_instant() <= t && t <= v.last_instant(),
            Self::OnOrAfter(v) => v.first_instant() <= t,
            Self::OnOrBefore(v) => t <= v.last_instant(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn dates_render_like_twilio_with_a_two_digit_day() {
        assert_eq!(
            rfc2822(at(2019, 10, 18, 17, 0, 0)),
            "Fri, 18 Oct 2019 17:00:00 +0000"
        );
        assert_eq!(
            rfc2822(at(2024, 3, 5, 7, 8, 9)),
            "Tue, 05 Mar 2024 07:08:09 +0000"
        );
    }

    #[test]
    fn a_bare_date_filter_covers_the_whole_day() {
        let day = DateValue::parse("2024-01-31").unwrap();
        assert!(DateFilter::On(day).matches(at(2024, 1, 31, 0, 0, 0)));
        assert!(DateFilter::On(day).matches(at(2024, 1, 31, 23, 59, 59)));
        assert!(!DateFilter::On(day).matches(at(2024, 2, 1, 0, 0, 0)));
        assert!(DateFilter::OnOrBefore(day).matches(at(2024, 1, 31, 23, 0, 0)));
        assert!(!DateFilter::OnOrBefore(day).matches(at(2024, 2, 1, 0, 0, 0)));
        assert!(DateFilter::OnOrAfter(day).matches(at(2024, 1, 31, 0, 0, 0)));
        assert!(!DateFilter::OnOrAfter(day).matches(at(2024, 1, 30, 23, 59, 59)));
    }

    #[test]
    fn datetime_filters_are_exact_instants() {
        let t = DateValue::parse("2024-01-31T10:00:00Z").unwrap();
        assert!(DateFilter::OnOrAfter(t).matches(at(2024, 1, 31, 10, 0, 0)));
        assert!(!DateFilter::OnOrAfter(t).matches(at(2024, 1, 31, 9, 59, 59)));
        let naive = DateValue::parse("2024-01-31T10:00:00").unwrap();
        assert_eq!(naive, t);
        assert!(DateValue::parse("31/01/2024").is_none());
    }

    #[test]
    fn the_clock_moves_forward_when_advanced() {
        let mut clock = Clock::default();
        let before = clock.now();
        clock.advance(std::time::Duration::from_secs(86_400 * 3));
        assert!(clock.now() - before >= Duration::days(3));
    }
}
