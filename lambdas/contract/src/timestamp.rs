//! UTC timestamps in one fixed-width text form.
//!
//! Records keep times as `2026-11-22T10:15:00.123Z`: readable in the console,
//! and, being fixed width, they sort as text, which the by-status index relies
//! on to list newest first.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::OffsetDateTime;

/// A point in time, always UTC, millisecond precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not an RFC 3339 timestamp (for example 2026-11-22T10:15:00Z)")]
pub struct TimestampError {
    text: String,
}

impl Timestamp {
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    pub fn from_system_time(time: SystemTime) -> Self {
        Self::truncate(OffsetDateTime::from(time))
    }

    /// Seconds since the Unix epoch; `None` when out of range.
    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// Milliseconds since the Unix epoch; `None` when out of range.
    pub fn from_unix_millis(millis: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
            .ok()
            .map(Self)
    }

    pub fn parse(text: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(text, &Rfc3339)
            .map(|t| Self::truncate(t.to_offset(time::UtcOffset::UTC)))
            .map_err(|_| TimestampError {
                text: text.to_owned(),
            })
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }

    pub fn unix_millis(self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
    }

    /// This time plus `duration`, saturating at the far future.
    pub fn plus(self, duration: Duration) -> Self {
        self.0
            .checked_add(time::Duration::try_from(duration).unwrap_or(time::Duration::MAX))
            .map(Self)
            .unwrap_or(self)
    }

    /// Whole seconds from `self` until `later`; zero if `later` is not later.
    pub fn seconds_until(self, later: Timestamp) -> u64 {
        u64::try_from((later.0 - self.0).whole_seconds()).unwrap_or(0)
    }

    fn truncate(t: OffsetDateTime) -> Self {
        let whole_millis = t.nanosecond() / 1_000_000 * 1_000_000;
        Self(t.replace_nanosecond(whole_millis).unwrap_or(t))
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

    #[test]
    fn seconds_until_saturates_at_zero() {
        let a = Timestamp::from_unix_seconds(100).unwrap();
        let b = Timestamp::from_unix_seconds(160).unwrap();
        assert_eq!(a.seconds_until(b), 60);
        assert_eq!(b.seconds_until(a), 0);
    }
}
