//! Human durations on the command line: `90s`, `30m`, `24h`, `7d`, `1h30m`.

/// Shared with the workflow, which reads the stack's reminder schedule.
pub use hitl_contract::timestamp::parse_duration;

/// `3h 12m`, `45s`, `2d 1h`: a span for people, as the approval page shows it too.
pub fn human(duration: std::time::Duration) -> String {
    hitl_contract::timestamp::span(duration)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_combinations() {
        assert_eq!(parse_duration("90s").unwrap().as_secs(), 90);
        assert_eq!(parse_duration("30m").unwrap().as_secs(), 1_800);
        assert_eq!(parse_duration("24h").unwrap().as_secs(), 86_400);
        assert_eq!(parse_duration("7d").unwrap().as_secs(), 604_800);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5_400);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for bad in ["", "10", "h", "1x", "-5m", "99999999999999999999d"] {
            let err = parse_duration(bad).unwrap_err();
            assert!(err.contains("is not a duration"), "{bad}: {err}");
        }
        for zero in ["0s", "0h0m"] {
            let err = parse_duration(zero).unwrap_err();
            assert!(err.contains("above zero"), "{zero}: {err}");
        }
    }
}
