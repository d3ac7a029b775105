//! When pending approvers are reminded: times before the request's deadline.
//!
//! A request names them in seconds before its deadline
//! ([`crate::SubmitRequest::reminders`], `hitl submit --remind 2h,30m`); a
//! request that names none gets the stack's schedule (template parameter
//! `ReminderSchedule`), whose entries may also be shares of the timeout
//! (`50%`: half way).

use std::time::Duration;

use crate::timestamp::{parse_duration, Timestamp};

/// The most reminders one request may have.
pub const MAX_REMINDERS: usize = 10;

/// One entry of a stack's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Before {
    /// This long before the deadline.
    Time(Duration),
    /// This share of the timeout before the deadline (1 to 99).
    Percent(u8),
}

/// Parses a stack's schedule: comma-separated entries, each a duration
/// (`1h`, `30m`) or a share of the timeout (`50%`); empty or `none` for no
/// reminders.
pub fn parse_schedule(text: &str) -> Result<Vec<Before>, String> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("none") {
        return Ok(Vec::new());
    }
    let entries = text
        .split(',')
        .map(|entry| {
            let entry = entry.trim();
            match entry.strip_suffix('%') {
                Some(share) => match share.trim().parse::<u8>() {
                    Ok(share @ 1..=99) => Ok(Before::Percent(share)),
                    _ => Err(format!(
                        "`{entry}` is not a share of the timeout from 1% to 99%"
                    )),
                },
                None => parse_duration(entry).map(Before::Time),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    if entries.len() > MAX_REMINDERS {
        return Err(format!(
            "{} reminders; at most {MAX_REMINDERS}",
            entries.len()
        ));
    }
    Ok(entries)
}

/// The schedule for a request of `timeout`: seconds before its deadline,
/// earliest reminder first, without repeats; entries that would fall
/// before the request starts are left out.
pub fn offsets(schedule: &[Before], timeout: Duration) -> Vec<u64> {
    let timeout = timeout.as_secs();
    let mut offsets: Vec<u64> = schedule
        .iter()
        .map(|before| match *before {
            Before::Time(time) => time.as_secs(),
            Before::Percent(share) => timeout * u64::from(share) / 100,
        })
        .filter(|&secs| secs > 0 && secs < timeout)
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    offsets.dedup();
    offsets
}

/// When each reminder is due, earliest first.
pub fn due(expires_at: Timestamp, offsets: &[u64]) -> Vec<Timestamp> {
    let mut due: Vec<Timestamp> = offsets
        .iter()
        .map(|&secs| expires_at.minus(Duration::from_secs(secs)))
        .collect();
    due.sort();
    due
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_times_and_shares_before_the_deadline() {
        let schedule = parse_schedule("50%, 1h").unwrap();
        assert_eq!(
            schedule,
            [
                Before::Percent(50),
                Before::Time(Duration::from_secs(3_600))
            ]
        );
        // A 4h request: at half way (2h before) and 1h before.
        assert_eq!(
            offsets(&schedule, Duration::from_secs(4 * 3_600)),
            [7_200, 3_600]
        );
        // A 1h request: half way only (1h before is its start).
        assert_eq!(offsets(&schedule, Duration::from_secs(3_600)), [1_800]);
        assert_eq!(parse_schedule("none").unwrap(), []);
        assert_eq!(parse_schedule(" ").unwrap(), []);
        for bad in ["0%", "100%", "half", "1h,,2h", "-1h"] {
            assert!(parse_schedule(bad).is_err(), "{bad}");
        }
        assert!(parse_schedule(&["1m"; 11].join(",")).is_err());
    }

    #[test]
    fn reminders_fall_before_the_deadline_earliest_first() {
        let expires = Timestamp::parse("2026-12-01T12:00:00Z").unwrap();
        let due = due(
            expires,
            &offsets(
                &[
                    Before::Time(Duration::from_secs(1_800)),
                    Before::Percent(50),
                ],
                Duration::from_secs(7_200),
            ),
        );
        assert_eq!(
            due,
            [
                Timestamp::parse("2026-12-01T11:00:00Z").unwrap(),
                Timestamp::parse("2026-12-01T11:30:00Z").unwrap(),
            ]
        );
    }
}
