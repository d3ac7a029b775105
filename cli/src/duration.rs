//! Human durations on the command line: `90s`, `30m`, `24h`, `7d`, `1h30m`.

use std::time::Duration;

pub fn parse_duration(text: &str) -> Result<Duration, String> {
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
    Ok(Duration::from_secs(total))
}

/// `3h 12m`, `45s`, `2d 1h`: a span for people, as the approval page shows it too.
pub fn human(duration: Duration) -> String {
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
