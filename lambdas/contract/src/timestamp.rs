//! UTC timestamps in one fixed-width text form.
//!
//! Records keep times as `2026-11-22T10:15:00.123Z`: readable in the console,
//! and, being fixed width, they sort as text, which the by-status index relies
//! on to list newest first. That form has four-digit years, so a timestamp
//! is always in the years 0000 to 9999 (UTC): parsing and the epoch
//! constructors refuse times outside them, the clock and [`Timestamp::plus`]
//! clamp to them.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// A point in time, always UTC, millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

/// The years a timestamp can have: four digits, as its text form writes them.
const YEARS: std::ops::RangeInclusive<i32> = 0..=9999;

#[derive(Debug, thiserror::Error)]
#[error("`{text}` {reason}")]
pub struct TimestampError {
    text: String,
    reason: &'static str,
}

const NOT_RFC3339: &str = "is not an RFC 3339 timestamp (for example 2026-11-22T10:15:00Z)";
const OUT_OF_RANGE: &str = "is outside the years 0000 to 9999 (in UTC) that a timestamp can have";

impl Timestamp {
    /// The first time a timestamp can hold: 0000-01-01T00:00:00.000Z.
    pub const MIN: Self = Self(time::macros::datetime!(0000-01-01 00:00:00 UTC));
    /// The last time a timestamp can hold: 9999-12-31T23:59:59.999Z.
    pub const MAX: Self = Self(time::macros::datetime!(9999-12-31 23:59:59.999 UTC));

    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// A clock's time, clamped to the years 0000 to 9999.
    pub fn from_system_time(time: SystemTime) -> Self {
        let t = OffsetDateTime::from(time);
        Self::in_range(t)
            .unwrap_or(if t.year() < 0 { Self::MIN } else { Self::MAX })
            .truncate()
    }

    /// Seconds since the Unix epoch; `None` outside the years 0000 to 9999.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .and_then(Self::in_range)
    }

    /// Milliseconds since the Unix epoch; `None` outside the years 0000 to 9999.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .and_then(Self::in_range)
    }

    /// An RFC 3339 timestamp with any offset, kept in UTC to the millisecond;
    /// refused when its UTC year is outside 0000 to 9999.
    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        let error = |reason| TimestampError {
            text: text.to_owned(),
            reason,
        };
        let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| error(NOT_RFC3339))?;
        parsed
            .checked_to_offset(time::UtcOffset::UTC)
            .and_then(Self::in_range)
            .map(Self::truncate)
            .ok_or_else(|| error(OUT_OF_RANGE))
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn unix_millis(self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }

    /// This time plus `duration`, saturating at [`Timestamp::MAX`].
    pub fn plus(self, duration: Duration) -> Self {
        time::Duration::try_from(duration)
            .ok()
            .and_then(|duration| self.0.checked_add(duration))
            .and_then(Self::in_range)
            .unwrap_or(Self::MAX)
    }

    /// This time minus `duration`, saturating at [`Timestamp::MIN`].
    pub fn minus(self, duration: Duration) -> Self {
        time::Duration::try_from(duration)
            .ok()
            .and_then(|duration| self.0.checked_sub(duration))
            .and_then(Self::in_range)
            .unwrap_or(Self::MIN)
    }

    /// Whole seconds from `self` until `later`; zero if `later` is not later.
    pub fn seconds_until(self, later: Timestamp) -> u64 {
        u64::try_from((later.0 - self.0).whole_seconds()).unwrap_or(0)
    }

    /// Whole seconds until `later`, rounded up: a timer of this many
    /// seconds does not fire before `later`.
    pub fn seconds_until_ceil(self, later: Timestamp) -> u64 {
        let millis = later.unix_millis() - self.unix_millis();
        u64::try_from(millis.max(0)).unwrap_or(0).div_ceil(1_000)
    }

    /// `t` (in UTC) when its year is one a timestamp can have.
    fn in_range(t: OffsetDateTime) -> Option<Self> {
        YEARS.contains(&t.year()).then_some(Self(t))
    }

    fn truncate(self) -> Self {
        let t = self.0;
        let whole_millis = t.nanosecond() / 1_000_000 * 1_000_000;
        Self(t.replace_nanosecond(whole_millis).unwrap_or(t))
    }
}

/// A duration as people type it: `90s`, `30m`, `24h`, `7d`, `1h30m`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let invalid = || {
        format!(
            "`{text}` is not a duration: use a number with s, m, h or d, e.g. 30m, 24h or 1h30m"
        )
    };
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(invalid()),
        };
        let value: u64 = digits.parse().map_err(|_| invalid())?;
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(invalid)?;
        digits.clear();
    }
    if !digits.is_empty() || text.trim().is_empty() {
        return Err(invalid());
    }
    if total == 0 {
        return Err(format!(
            "`{text}` is no time at all: give a duration above zero"
        ));
    }
    Ok(std::time::Duration::from_secs(total))
}

/// A span as people read it, in its two largest units from the first that
/// is not zero: `3h 12m`, `45s`, `2d 5h`, `1d` (a zero second unit is left
/// out). The CLI and the approval page both show spans this way.
pub fn span(duration: std::time::Duration) -> String {
    let secs = duration.as_secs();
    let parts = [
        (secs / 86_400, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
    ];
    let shown: Vec<String> = parts
        .iter()
        .skip_while(|(v, _)| *v == 0)
        .take(2)
        .filter(|(v, _)| *v > 0)
        .map(|(v, unit)| format!("{v}{unit}"))
        .collect();
    if shown.is_empty() {
        "0s".into()
    } else {
        shown.join(" ")
    }
}

impl Timestamp {
    /// The time as a person reads it, to the minute: `Tue 1 Dec 21:37 UTC`
    /// (with the year when it is not `now`'s year).
    /// `in 3h 12m` or `5m ago`, as seen at `now`: the CLI and the approval
    /// page say how far off a time is the same way.
    pub fn relative(self, now: Timestamp) -> String {
        if self >= now {
            format!("in {}", span(Duration::from_secs(now.seconds_until(self))))
        } else {
            format!("{} ago", span(Duration::from_secs(self.seconds_until(now))))
        }
    }

    pub fn readable(self, now: Timestamp) -> String {
        let t = self.0;
        let year = if t.year() == now.0.year() {
            String::new()
        } else {
            format!(" {}", t.year())
        };
        format!(
            "{} {} {}{year} {:02}:{:02} UTC",
            &t.weekday().to_string()[..3],
            t.day(),
            &t.month().to_string()[..3],
            t.hour(),
            t.minute(),
        )
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let format = format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        );
        match self.0.format(&format) {
            Ok(text) => f.write_str(&text),
            Err(_) => Err(fmt::Error),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn spans_show_their_two_largest_units() {
        use std::time::Duration;
        assert_eq!(span(Duration::from_secs(3 * 3600 + 12 * 60 + 5)), "3h 12m");
        assert_eq!(span(Duration::from_secs(125)), "2m 5s");
        assert_eq!(span(Duration::from_secs(45)), "45s");
        assert_eq!(span(Duration::from_secs(86_460)), "1d");
        assert_eq!(span(Duration::from_secs(2 * 86_400 + 5 * 3600)), "2d 5h");
        assert_eq!(span(Duration::ZERO), "0s");
        let now = Timestamp::parse("2026-12-01T21:37:00Z").unwrap();
        assert_eq!(
            now.plus(Duration::from_secs(7_140)).relative(now),
            "in 1h 59m"
        );
        assert_eq!(now.minus(Duration::from_secs(300)).relative(now), "5m ago");
    }

    use super::*;

    #[test]
    fn formats_fixed_width_utc_millis() {
        let t = Timestamp::from_unix_millis(1_795_000_000_007).unwrap();
        assert_eq!(t.to_string(), "2026-11-18T11:06:40.007Z");
        assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
    }

    #[test]
    fn parses_offsets_into_utc() {
        let t = Timestamp::parse("2026-11-22T12:00:00+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-11-22T10:00:00.000Z");
    }

    #[test]
    fn text_order_is_time_order() {
        let a = Timestamp::from_unix_millis(999_999_999_999).unwrap();
        let b = Timestamp::from_unix_millis(1_000_000_000_000).unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn rejects_garbage() {
        let err = Timestamp::parse("yesterday").unwrap_err();
        assert!(err.to_string().contains("RFC 3339"));
    }

    /// Every timestamp writes as 24 characters that parse back to it.
    fn assert_fixed_width(t: Timestamp) {
        let text = t.to_string();
        assert_eq!(text.len(), 24, "{text}");
        assert_eq!(Timestamp::parse(&text).unwrap(), t, "{text}");
    }

    #[test]
    fn the_years_0000_to_9999_round_trip() {
        for text in [
            "0000-01-01T00:00:00.000Z",
            "0001-02-03T04:05:06.007Z",
            "1969-12-31T23:59:59.999Z",
            "9999-12-31T23:59:59.999Z",
        ] {
            let t = Timestamp::parse(text).unwrap();
            assert_eq!(t.to_string(), text);
            assert_fixed_width(t);
        }
        assert_eq!(
            Timestamp::parse("0000-01-01T00:00:00Z").unwrap(),
            Timestamp::MIN
        );
        assert_eq!(
            Timestamp::parse("9999-12-31T23:59:59.999Z").unwrap(),
            Timestamp::MAX
        );
    }

    #[test]
    fn an_offset_that_leaves_the_years_0000_to_9999_is_refused() {
        // In UTC these are in the year 10000 and the year -1: the first
        // made the conversion to UTC panic, the second wrote as
        // `-0001-12-31T23:00:00.000Z`, which no parser reads back.
        for text in ["9999-12-31T23:30:00-01:00", "0000-01-01T00:00:00+01:00"] {
            let err = Timestamp::parse(text).unwrap_err();
            assert!(err.to_string().contains("0000 to 9999"), "{err}");
        }
        // The same offsets within range are fine.
        assert_fixed_width(Timestamp::parse("9999-12-31T22:30:00-01:00").unwrap());
        assert_fixed_width(Timestamp::parse("0000-01-01T01:00:00+01:00").unwrap());
    }

    #[test]
    fn epoch_times_outside_the_years_0000_to_9999_are_refused() {
        // 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z, in epoch seconds.
        let first = -62_167_219_200;
        let after_last = 253_402_300_800;
        assert_eq!(Timestamp::from_unix_seconds(first), Some(Timestamp::MIN));
        assert_eq!(Timestamp::from_unix_seconds(first - 1), None);
        assert_eq!(Timestamp::from_unix_seconds(after_last), None);
        assert_fixed_width(Timestamp::from_unix_seconds(after_last - 1).unwrap());
        assert_eq!(
            Timestamp::from_unix_millis(first * 1000),
            Some(Timestamp::MIN)
        );
        assert_eq!(Timestamp::from_unix_millis(first * 1000 - 1), None);
        assert_eq!(
            Timestamp::from_unix_millis(after_last * 1000 - 1),
            Some(Timestamp::MAX)
        );
        assert_eq!(Timestamp::from_unix_millis(after_last * 1000), None);
        assert_eq!(Timestamp::from_unix_seconds(i64::MIN), None);
        assert_eq!(Timestamp::from_unix_millis(i64::MAX), None);
    }

    #[test]
    fn plus_saturates_at_the_last_timestamp() {
        let t = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(t.plus(Duration::MAX), Timestamp::MAX);
        assert_eq!(
            Timestamp::MAX.plus(Duration::from_millis(1)),
            Timestamp::MAX
        );
        let near = Timestamp::parse("9999-12-31T00:00:00Z").unwrap();
        assert_eq!(near.plus(Duration::from_secs(2 * 86_400)), Timestamp::MAX);
        assert_fixed_width(Timestamp::MAX);
        assert_fixed_width(Timestamp::MIN);
    }

    #[test]
    fn clock_times_are_clamped_to_the_years_0000_to_9999() {
        let early = SystemTime::UNIX_EPOCH - Duration::from_secs(62_167_219_200 + 86_400);
        assert_eq!(Timestamp::from_system_time(early), Timestamp::MIN);
    }

    #[test]
    fn minus_saturates_at_the_first_timestamp() {
        let t = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(
            t.minus(Duration::from_secs(120)).to_string(),
            "2026-11-22T09:58:00.000Z"
        );
        assert_eq!(t.minus(Duration::MAX), Timestamp::MIN);
        assert_eq!(
            Timestamp::MIN.minus(Duration::from_millis(1)),
            Timestamp::MIN
        );
    }

    #[test]
    fn seconds_until_saturates_at_zero() {
        let a = Timestamp::from_unix_seconds(100).unwrap();
        let b = Timestamp::from_unix_seconds(160).unwrap();
        assert_eq!(a.seconds_until(b), 60);
        assert_eq!(b.seconds_until(a), 0);
    }

    #[test]
    fn readable_times_name_the_day_and_the_year_only_when_another() {
        let now = Timestamp::parse("2026-12-01T21:37:05.123Z").unwrap();
        assert_eq!(now.readable(now), "Tue 1 Dec 21:37 UTC");
        let next = Timestamp::parse("2027-01-04T08:05:00Z").unwrap();
        assert_eq!(next.readable(now), "Mon 4 Jan 2027 08:05 UTC");
    }
}
