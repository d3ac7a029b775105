//! Rendering for people (tables) and for scripts (JSON).

use std::time::Duration;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use hitl_contract::{ApprovalRecord, Status, Timestamp};
use serde::Serialize;

use crate::cli::OutputFormat;
use crate::duration::human;

/// Writes one line to stdout. A closed pipe (`hitl list | head`) comes back
/// as an error that `main` turns into a quiet, successful exit.
pub fn line(text: impl std::fmt::Display) -> anyhow::Result<()> {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{text}")?;
    Ok(())
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    line(serde_json::to_string_pretty(value)?)
}

/// One object in a machine format: pretty JSON, or one compact line.
pub fn print_one<T: Serialize>(format: OutputFormat, value: &T) -> anyhow::Result<()> {
    match format {
        OutputFormat::Jsonl => line(serde_json::to_string(value)?),
        _ => print_json(value),
    }
}

/// A list in a machine format: a JSON array, or one object per line.
pub fn print_many<T: Serialize>(format: OutputFormat, items: &[T]) -> anyhow::Result<()> {
    match format {
        OutputFormat::Jsonl => items
            .iter()
            .try_for_each(|item| line(serde_json::to_string(item)?)),
        _ => print_json(&items),
    }
}

fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    table
}

/// How tables show times (`--time-format`): machine formats always carry
/// RFC 3339 timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum TimeFormat {
    /// `in 3h 12m`, `5m ago`
    #[default]
    Relative,
    /// RFC 3339, UTC
    Iso,
}

static TIME_FORMAT: std::sync::OnceLock<TimeFormat> = std::sync::OnceLock::new();

/// Chooses how tables show times, once, before any output.
pub fn set_time_format(format: TimeFormat) {
    let _ = TIME_FORMAT.set(format);
}

/// `in 3h 12m` or `5m ago`, relative to `now`; the timestamp itself with
/// `--time-format iso`.
pub fn relative(at: Timestamp, now: Timestamp) -> String {
    match TIME_FORMAT.get().copied().unwrap_or_default() {
        TimeFormat::Relative => relative_to(at, now),
        TimeFormat::Iso => at.to_string(),
    }
}

/// A timestamp with its relative time beside it (just the timestamp with
/// `--time-format iso`).
pub fn stamp(at: Timestamp, now: Timestamp) -> String {
    match TIME_FORMAT.get().copied().unwrap_or_default() {
        TimeFormat::Relative => format!("{at} ({})", relative_to(at, now)),
        TimeFormat::Iso => at.to_string(),
    }
}

fn relative_to(at: Timestamp, now: Timestamp) -> String {
    if at >= now {
        format!("in {}", human(Duration::from_secs(now.seconds_until(at))))
    } else {
        format!("{} ago", human(Duration::from_secs(at.seconds_until(now))))
    }
}

/// One line per request: what an operator scans for.
pub fn records_table(records: &[ApprovalRecord], now: Timestamp) -> Table {
    let mut table = new_table();
    table.set_header([
        "ID",
        "STATUS",
        "TITLE",
        "REQUESTER",
        "AMOUNT",
        "CREATED",
        "DEADLINE / DECIDED",
    ]);
    for r in records {
        let when = match (r.status, r.decided_at) {
            (Status::Pending, _) if r.is_past_expiry(now) => {
                format!("expired {}", relative(r.expires_at, now))
            }
            (Status::Pending, _) => format!("expires {}", relative(r.expires_at, now)),
            (_, Some(at)) => format!("{} {}", r.status.as_str().to_lowercase(), relative(at, now)),
            (_, None) => String::new(),
        };
        table.add_row([
            r.approval_id.clone(),
            status_label(r),
            r.title.clone(),
            r.requester.clone(),
            r.amount.clone().unwrap_or_default(),
            relative(r.created_at, now),
            when,
        ]);
    }
    table
}

/// The status, with a pending decision's claim shown beside it.
fn status_label(record: &ApprovalRecord) -> String {
    match (&record.status, &record.claim) {
        (Status::Pending, Some(claim)) => {
            format!("PENDING ({} by {}, unconfirmed)", claim.outcome, claim.by)
        }
        (status, _) => status.to_string(),
    }
}

/// Every field of one request, as key/value rows.
pub fn record_table(r: &ApprovalRecord, now: Timestamp) -> Table {
    let mut table = new_table();
    let mut row = |key: &str, value: String| {
        if !value.is_empty() {
            table.add_row([key.to_owned(), value]);
        }
    };
    row("Approval id", r.approval_id.clone());
    row("Status", status_label(r));
    row("Title", r.title.clone());
    row("Description", r.description.clone().unwrap_or_default());
    row("Requester", r.requester.clone());
    row("Amount", r.amount.clone().unwrap_or_default());
    row(
        "Details",
        r.details
            .as_ref()
            .map(|d| serde_json::to_string_pretty(d).unwrap_or_default())
            .unwrap_or_default(),
    );
    row("Created", stamp(r.created_at, now));
    row("Expires", stamp(r.expires_at, now));
    if let Some(at) = r.decided_at {
        row("Decided", stamp(at, now));
    }
    row("Decided by", r.decided_by.clone().unwrap_or_default());
    row("Comment", r.comment.clone().unwrap_or_default());
    row("Execution", r.execution_arn.clone().unwrap_or_default());
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, status: Status) -> ApprovalRecord {
        let created = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        ApprovalRecord {
            approval_id: id.into(),
            title: "Deploy payments 1.2.3".into(),
            description: Some("Canary went fine".into()),
            requester: "alice".into(),
            amount: Some("1250.5".into()),
            details: Some(serde_json::json!({"ticket": "OPS-7"})),
            status,
            callback_id: Some("cb".into()),
            execution_arn: Some(
                "arn:aws:lambda:eu-west-1:123456789012:function:wf:1/durable-execution/x/y".into(),
            ),
            created_at: created,
            expires_at: created.plus(Duration::from_secs(86_400)),
            decided_at: (status != Status::Pending).then(|| created.plus(Duration::from_secs(600))),
            decided_by: (status != Status::Pending).then(|| "bob".into()),
            comment: None,
            claim: None,
            links: None,
            link_used: None,
            ttl: 0,
        }
    }

    #[test]
    fn list_table_snapshot() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let records = [
            record("req-2", Status::Pending),
            record("req-1", Status::Approved),
        ];
        let mut table = records_table(&records, now);
        table.set_width(120).force_no_tty();
        insta::assert_snapshot!(table.to_string());
    }

    #[test]
    fn show_table_snapshot() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let mut table = record_table(&record("req-1", Status::Approved), now);
        table.set_width(120).force_no_tty();
        insta::assert_snapshot!(table.to_string());
    }

    #[test]
    fn relative_times_read_naturally() {
        let now = Timestamp::parse("2026-11-22T12:00:00Z").unwrap();
        assert_eq!(
            relative(now.plus(Duration::from_secs(3 * 3600 + 720)), now),
            "in 3h 12m"
        );
        assert_eq!(
            relative(Timestamp::parse("2026-11-22T11:55:00Z").unwrap(), now),
            "5m ago"
        );
    }
}
