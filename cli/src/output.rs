//! Rendering for people (tables) and for scripts (JSON).

use std::borrow::Cow;

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};
use hitl_contract::{ApprovalRecord, Evidence, Status, Timestamp};
use serde::Serialize;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::cli::OutputFormat;

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

/// One object as the chosen format has it: JSON (see [`print_one`]), or
/// for people as `human` prints it.
pub fn one<T: Serialize>(
    format: OutputFormat,
    value: &T,
    human: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => human(),
        machine => print_one(machine, value),
    }
}

/// A list as the chosen format has it: JSON (see [`print_many`]), or for
/// people as `human` prints it.
pub fn many<T: Serialize>(
    format: OutputFormat,
    items: &[T],
    human: impl FnOnce() -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match format {
        OutputFormat::Table => human(),
        machine => print_many(machine, items),
    }
}

/// A table in the house style, as wide as the terminal (or `COLUMNS`).
/// Its cells must be made safe ([`one_line`]) before they are added.
pub fn new_table() -> Table {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = terminal_width().and_then(|w| u16::try_from(w).ok()) {
        table.set_width(width);
    }
    table
}

/// How text is laid out where it is printed (see [`terminal_safe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// A table cell, a line of a message: line breaks and tabs are escaped.
    OneLine,
    /// A field printed as lines on purpose (a description, an error):
    /// line breaks and tabs are kept.
    Lines,
}

/// Text from a record, a callback payload, a log line or a service error,
/// made safe for a terminal: every control character (C0, ESC, DEL, C1) and
/// bidirectional control is shown as an escape instead of acting on the
/// terminal. ESC is `\e`; CR, LF and tab are `\r`, `\n`, `\t` (LF and tab
/// are kept with [`Layout::Lines`]); other C0 and DEL are `\xNN`; C1 and
/// bidirectional controls are `\u{NN}`. A backslash that would read as the
/// start of an escape is doubled, so what is shown is unambiguous:
/// `\e` is an escape character, `\\e` a backslash and an `e`.
///
/// The only place terminal text is escaped. JSON output is not: JSON
/// escapes what it must itself.
pub fn terminal_safe(text: &str, layout: Layout) -> Cow<'_, str> {
    let escaped = |c: char| match c {
        '\n' | '\t' => layout == Layout::OneLine,
        c => hitl_contract::text::is_unsafe(c),
    };
    if !text.chars().any(|c| c == '\\' || escaped(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let next = chars.peek().copied();
                let ambiguous = next.is_some_and(|n| {
                    matches!(n, '\\' | 'e' | 'x' | 'u' | 'n' | 't' | 'r') || escaped(n)
                });
                out.push_str(if ambiguous { "\\\\" } else { "\\" });
            }
            c if !escaped(c) => out.push(c),
            '\u{1b}' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if u32::from(c) < 0x80 => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        }
    }
    Cow::Owned(out)
}

/// [`terminal_safe`] for a table cell or a line of a message.
pub fn one_line(text: &str) -> Cow<'_, str> {
    terminal_safe(text, Layout::OneLine)
}

/// An error as `main` prints it: every cause, made safe, its own line
/// breaks kept (errors quote records, payloads and services).
pub fn error_message(err: &anyhow::Error) -> String {
    let message = format!("error: {err:#}");
    terminal_safe(&message, Layout::Lines).into_owned()
}

/// The width output is laid out for: `COLUMNS` when set (so scripts and
/// tests can choose), else the terminal's, else none (no wrapping).
pub fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|columns| columns.trim().parse::<usize>().ok())
        .filter(|&columns| columns > 0)
        .or_else(|| Table::new().width().map(usize::from))
}

/// How many terminal columns `text` takes.
fn width_of(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// At most `max` columns of `text`, ending in `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    if width_of(text) <= max {
        return text.to_owned();
    }
    let mut kept = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        kept.push(c);
        used += w;
    }
    kept.push('…');
    kept
}

/// How a list column's cells may be fitted to the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    /// Ids, ARNs, addresses, times: shown whole, never wrapped or cut
    /// (they are what people copy).
    Whole,
    /// Free text: cut with `…` to what the terminal leaves it.
    Cut,
    /// Shown whole, but dropped when the table is too wide for the
    /// terminal with its free text cut to the least (rightmost first).
    Optional,
}

/// Between the columns of a [`grid`].
const GAP: &str = "  ";

/// The narrowest a [`Fit::Cut`] column is made.
const MIN_CUT: usize = 12;

/// A list as aligned columns, two spaces apart (borders would cost three
/// columns each on an 80-column terminal): one line per row, cells made safe, columns that are
/// empty in every row dropped, and free-text columns cut with `…` (then
/// optional columns dropped) so the table fits `width` when the whole
/// columns leave room; whole values are never cut or wrapped.
pub fn grid(columns: &[(&str, Fit)], rows: &[Vec<String>], width: Option<usize>) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|cell| one_line(cell).into_owned()).collect())
        .collect();
    let mut kept: Vec<usize> = (0..columns.len())
        .filter(|&i| {
            rows.iter()
                .any(|row| row.get(i).is_some_and(|cell| !cell.is_empty()))
        })
        .collect();
    let natural: Vec<usize> = (0..columns.len())
        .map(|i| {
            rows.iter()
                .filter_map(|row| row.get(i))
                .map(|cell| width_of(cell))
                .chain([width_of(columns[i].0)])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let drawn = |widths: &[usize]| {
        widths.iter().sum::<usize>() + GAP.len() * widths.len().saturating_sub(1)
    };
    let widths = loop {
        let mut widths: Vec<usize> = kept.iter().map(|&i| natural[i]).collect();
        let Some(width) = width else { break widths };
        while drawn(&widths) > width {
            let widest = (0..kept.len())
                .filter(|&slot| columns[kept[slot]].1 == Fit::Cut && widths[slot] > MIN_CUT)
                .max_by_key(|&slot| widths[slot]);
            match widest {
                Some(slot) => widths[slot] -= 1,
                None => break,
            }
        }
        let optional = kept.iter().rposition(|&i| columns[i].1 == Fit::Optional);
        match optional {
            Some(slot) if drawn(&widths) > width => {
                kept.remove(slot);
            }
            _ => break widths,
        }
    };
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(cell, &w)| format!("{cell}{}", " ".repeat(w.saturating_sub(width_of(cell)))))
            .collect();
        padded.join(GAP).trim_end().to_owned()
    };
    let mut out = line(kept.iter().map(|&i| columns[i].0.to_owned()).collect());
    for row in &rows {
        let cells = kept
            .iter()
            .zip(&widths)
            .map(|(&i, &w)| {
                let cell = row.get(i).map(String::as_str).unwrap_or_default();
                match columns[i].1 {
                    Fit::Cut => cut(cell, w),
                    Fit::Whole | Fit::Optional => cell.to_owned(),
                }
            })
            .collect();
        out.push('\n');
        out.push_str(&line(cells));
    }
    out
}

/// One request as `key  value` lines, for `show`.
///
/// Whole values (ids, ARNs, URLs, addresses, times) are never broken: one
/// that does not fit beside its key goes on a line of its own. Free text
/// wraps at spaces under its value column; multi-line text goes on lines of
/// its own below its key. Everything is made safe on the way out.
#[derive(Debug, Default)]
pub struct Fields {
    rows: Vec<(String, Value)>,
}

#[derive(Debug)]
enum Value {
    Whole(String),
    Text(String),
    Lines(String),
}

impl Fields {
    /// A value shown whole: an id, an ARN, a URL, an address, a time.
    pub fn whole(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.push(key, Value::Whole(value.into()))
    }

    /// One line of free text, wrapped at spaces when it is long.
    pub fn text(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        self.push(key, Value::Text(value.into()))
    }

    /// Free text that may hold line breaks (a description, pretty JSON).
    pub fn lines(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if value.contains('\n') {
            self.push(key, Value::Lines(value))
        } else {
            self.push(key, Value::Text(value))
        }
    }

    fn push(&mut self, key: &str, value: Value) -> &mut Self {
        let empty = match &value {
            Value::Whole(v) | Value::Text(v) | Value::Lines(v) => v.is_empty(),
        };
        if !empty {
            self.rows.push((key.to_owned(), value));
        }
        self
    }

    /// The lines, laid out for `width` columns (none: no wrapping).
    pub fn render(&self, width: Option<usize>) -> String {
        let key_width = self
            .rows
            .iter()
            .map(|(k, _)| width_of(k))
            .max()
            .unwrap_or(0)
            + 2;
        let room = width.map(|w| w.saturating_sub(key_width).max(MIN_CUT));
        let mut out = String::new();
        for (key, value) in &self.rows {
            let key = one_line(key);
            let pad = " ".repeat(key_width.saturating_sub(width_of(&key)));
            match value {
                Value::Whole(v) => {
                    let v = one_line(v);
                    if room.is_none_or(|room| width_of(&v) <= room) {
                        out.push_str(&format!("{key}{pad}{v}\n"));
                    } else {
                        out.push_str(&format!("{key}\n  {v}\n"));
                    }
                }
                Value::Text(v) => {
                    let indent = " ".repeat(key_width);
                    for (index, line) in wrap(&one_line(v), room).iter().enumerate() {
                        let lead = if index == 0 {
                            format!("{key}{pad}")
                        } else {
                            indent.clone()
                        };
                        out.push_str(&format!("{lead}{line}\n"));
                    }
                }
                Value::Lines(v) => {
                    out.push_str(&format!("{key}\n"));
                    let room = width.map(|w| w.saturating_sub(2).max(MIN_CUT));
                    for line in terminal_safe(v, Layout::Lines).split('\n') {
                        for part in wrap(line, room) {
                            out.push_str(format!("  {part}").trim_end());
                            out.push('\n');
                        }
                    }
                }
            }
        }
        out.trim_end_matches('\n').to_owned()
    }
}

/// `text` in lines of at most `room` columns, broken at spaces only: a
/// word longer than that (a URL, an ARN) keeps a line of its own.
fn wrap(text: &str, room: Option<usize>) -> Vec<String> {
    let Some(room) = room else {
        return vec![text.to_owned()];
    };
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut started = false;
    for word in text.split(' ') {
        if started && width_of(&line) + 1 + width_of(word) > room {
            lines.push(std::mem::take(&mut line));
        } else if started {
            line.push(' ');
        }
        line.push_str(word);
        started = true;
    }
    lines.push(line);
    lines
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
        TimeFormat::Relative => at.relative(now),
        TimeFormat::Iso => at.to_string(),
    }
}

/// A timestamp with its relative time beside it (just the timestamp with
/// `--time-format iso`).
pub fn stamp(at: Timestamp, now: Timestamp) -> String {
    match TIME_FORMAT.get().copied().unwrap_or_default() {
        TimeFormat::Relative => format!("{at} ({})", at.relative(now)),
        TimeFormat::Iso => at.to_string(),
    }
}

/// One line per request: what an operator scans for, fitted to `width`
/// (see [`grid`]): ids, requesters and times whole, titles cut, the
/// creation time left out when the terminal is narrow. The status says what
/// happened; the last column says when (or by when).
pub fn records_table(records: &[ApprovalRecord], now: Timestamp, width: Option<usize>) -> String {
    let columns = [
        ("ID", Fit::Whole),
        ("STATUS", Fit::Whole),
        ("TITLE", Fit::Cut),
        ("REQUESTER", Fit::Whole),
        ("AMOUNT", Fit::Whole),
        ("CREATED", Fit::Optional),
        ("DUE / DECIDED", Fit::Whole),
    ];
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            let when = match (r.status, r.decided_at) {
                (Status::Pending, _) if r.is_past_expiry(now) => {
                    format!("expired {}", relative(r.expires_at, now))
                }
                (Status::Pending, _) => relative(r.expires_at, now),
                (_, Some(at)) => relative(at, now),
                (_, None) => String::new(),
            };
            let status = match (&r.status, &r.claim) {
                // A decision claimed, not yet confirmed by the workflow;
                // `hitl show` says who claimed it.
                (Status::Pending, Some(claim)) => match claim.outcome {
                    hitl_contract::Outcome::Approved => "APPROVING".to_owned(),
                    hitl_contract::Outcome::Rejected => "REJECTING".to_owned(),
                },
                // A quorum request: approvals counted of those needed.
                (Status::Pending, None) if r.required_approvals() > 1 => format!(
                    "PENDING {}/{}",
                    r.audit.approvals.len(),
                    r.required_approvals()
                ),
                (status, _) => status.to_string(),
            };
            vec![
                r.approval_id.clone(),
                status,
                r.title.clone(),
                r.requester.clone(),
                r.amount.clone().unwrap_or_default(),
                relative(r.created_at, now),
                when,
            ]
        })
        .collect();
    grid(&columns, &rows, width)
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

/// The short fields of one request (see [`Fields`] for how they are laid
/// out); [`record_text`] adds the long ones.
pub fn record_fields(r: &ApprovalRecord, now: Timestamp) -> Fields {
    let mut fields = Fields::default();
    fields
        .whole("Approval id", &r.approval_id)
        .text("Status", status_label(r))
        .text("Title", &r.title)
        .whole("Requester", &r.requester)
        .text("Verified", proven_by(Some(r.audit.requester_evidence)))
        .text(
            "On behalf of",
            r.audit.requested_on_behalf_of.clone().unwrap_or_default(),
        )
        .whole("Amount", r.amount.clone().unwrap_or_default())
        .text("Created", stamp(r.created_at, now))
        .text("Expires", stamp(r.expires_at, now))
        .lines("Reminders", reminders(r, now))
        .text("Escalation", escalation(r, now))
        .text("Approvers", approvers(r))
        .lines("Approvals", approvals(r));
    if let Some(at) = r.decided_at {
        fields.text("Decided", stamp(at, now));
    }
    fields
        .whole("Decided by", r.decided_by.clone().unwrap_or_default())
        .text("Verified", proven_by(r.audit.decision_evidence))
        .text(
            "On behalf of",
            r.audit.decided_on_behalf_of.clone().unwrap_or_default(),
        )
        .lines("Comment", r.comment.clone().unwrap_or_default())
        .lines("Refused", refusals(r))
        .whole("Execution", r.execution_arn.clone().unwrap_or_default());
    fields
}

/// The reminders sent, one a line, and the next one due while the request
/// is pending.
fn reminders(r: &ApprovalRecord, now: Timestamp) -> String {
    let mut lines: Vec<String> = r
        .reminded
        .iter()
        .map(|at| format!("sent {}", stamp(*at, now)))
        .collect();
    let next = hitl_contract::reminder::due(r.expires_at, &r.reminders)
        .into_iter()
        .find(|due| !r.reminded.contains(due) && *due > now);
    if let (Status::Pending, Some(next)) = (r.status, next) {
        lines.push(format!("next {}", stamp(next, now)));
    }
    lines.join("\n")
}

/// Whom the request is escalated to, and when: done, or due while it is
/// pending.
fn escalation(r: &ApprovalRecord, now: Timestamp) -> String {
    let Some(escalation) = &r.escalation else {
        return String::new();
    };
    let to = escalation.targets();
    match (r.escalated, r.status) {
        (Some(at), _) => format!("to {to}, {}", stamp(at, now)),
        (None, Status::Pending) => {
            let timeout = r.created_at.seconds_until(r.expires_at);
            format!(
                "to {to}, due {}",
                stamp(escalation.due(r.expires_at, timeout), now)
            )
        }
        (None, _) => format!("to {to}, not needed"),
    }
}

/// Who may decide, and how many approvals close the request.
fn approvers(r: &ApprovalRecord) -> String {
    let Some(policy) = &r.policy else {
        return String::new();
    };
    let who = if policy.is_open() {
        "anyone but the requester".to_owned()
    } else {
        policy.approvers.join(", ")
    };
    match policy.required {
        1 => who,
        n => format!("{n} approvals from {who}"),
    }
}

/// The approvals counted, one a line, under how many of how many.
fn approvals(r: &ApprovalRecord) -> String {
    if r.audit.approvals.is_empty() {
        return String::new();
    }
    let mut lines = vec![format!(
        "{} of {} needed",
        r.audit.approvals.len(),
        r.required_approvals()
    )];
    lines.extend(r.audit.approvals.iter().map(|a| {
        let note = a
            .on_behalf_of
            .as_deref()
            .map(|n| format!(" (on behalf of {n})"))
            .unwrap_or_default();
        let comment = a
            .comment
            .as_deref()
            .map(|c| format!(": {c}"))
            .unwrap_or_default();
        format!(
            "{} {} {}{note}{comment}",
            a.at,
            a.by,
            proven_by(Some(a.evidence))
        )
    }));
    lines.join("\n")
}

/// How the record knows who asked or decided, in words.
fn proven_by(evidence: Option<Evidence>) -> String {
    match evidence {
        Some(Evidence::Sts) => "by STS".into(),
        Some(Evidence::ApprovalLink) => {
            "via link: the approval page vouched for the link sent to them".into()
        }
        Some(Evidence::FunctionUrl) => {
            "by IAM: submitted through the stack's IAM-authorised submit URL".into()
        }
        Some(Evidence::Unverified) => "no: the name is what its sender wrote".into(),
        None => String::new(),
    }
}

/// The decisions the workflow refused, one a line: when, what, who, why.
fn refusals(r: &ApprovalRecord) -> String {
    r.audit
        .refusals
        .iter()
        .map(|refusal| {
            let who = match (&refusal.principal, &refusal.claimed_by) {
                (Some(principal), _) => format!(" by {principal}"),
                (None, Some(claimed)) => format!(" claiming to be {claimed}"),
                (None, None) => String::new(),
            };
            let via = refusal
                .channel
                .map(|c| format!(" via {}", c.as_str()))
                .unwrap_or_default();
            format!(
                "{} {}{who}{via}: {}",
                refusal.at, refusal.outcome, refusal.reason
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The long fields of one request, below the short ones: its description
/// and details.
pub fn record_text(fields: &mut Fields, r: &ApprovalRecord) {
    fields
        .lines("Description", r.description.clone().unwrap_or_default())
        .lines(
            "Details",
            r.details
                .as_ref()
                .map(|d| serde_json::to_string_pretty(d).unwrap_or_default())
                .unwrap_or_default(),
        );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{raw_control, CORPUS};
    use std::time::Duration;

    /// [`crate::fixtures::record`] with every text field filled, a day to
    /// live, and a decision by bob unless pending.
    fn record(id: &str, status: Status) -> ApprovalRecord {
        let base = crate::fixtures::record(id, status);
        let created = base.created_at;
        ApprovalRecord {
            title: "Deploy payments 1.2.3".into(),
            description: Some("Canary went fine".into()),
            amount: Some("1250.5".into()),
            details: Some(serde_json::json!({"ticket": "OPS-7"})),
            execution_arn: Some(
                "arn:aws:lambda:eu-west-1:123456789012:function:wf:1/durable-execution/x/y".into(),
            ),
            expires_at: created.plus(Duration::from_secs(86_400)),
            decided_at: (status != Status::Pending).then(|| created.plus(Duration::from_secs(600))),
            decided_by: (status != Status::Pending).then(|| "bob".into()),
            ..base
        }
    }

    #[test]
    fn list_table_snapshot() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let records = [
            record("req-2", Status::Pending),
            record("req-1", Status::Approved),
        ];
        insta::assert_snapshot!(records_table(&records, now, Some(120)));
    }

    /// Requests as they look in a real table: generated ids, addresses and
    /// ARNs for requesters, a long title, no amounts, a claimed decision.
    fn realistic() -> Vec<ApprovalRecord> {
        let mut floor = record("apr-floor-86412d10", Status::Pending);
        floor.title =
            "Raise the payments floor limit for the EU region before the Black Friday freeze"
                .into();
        floor.requester = "r@example.com".into();
        let mut rotate = record("apr-3f9c2e71b0a4", Status::Pending);
        rotate.title = "Rotate the DB password".into();
        rotate.requester = "alice@example.com".into();
        rotate.claim = Some(hitl_contract::Claim {
            outcome: hitl_contract::Outcome::Approved,
            by: "arn:aws:sts::123456789012:assumed-role/Approver/bob".into(),
            comment: None,
            at: rotate.created_at.plus(Duration::from_secs(60)),
            proof: None,
        });
        let mut done = record("apr-0b1c2d3e4f5a", Status::Approved);
        done.requester = "ops-bot@example.com".into();
        for r in [&mut floor, &mut rotate, &mut done] {
            r.amount = None;
        }
        vec![floor, rotate, done]
    }

    fn list_at(width: usize) -> String {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        records_table(&realistic(), now, Some(width))
    }

    #[test]
    fn list_at_80_columns() {
        let text = list_at(80);
        insta::assert_snapshot!(text);
        for whole in [
            "apr-floor-86412d10",
            "r@example.com",
            "alice@example.com",
            "ops-bot@example.com",
        ] {
            assert!(text.contains(whole), "{whole} kept whole in\n{text}");
        }
        assert!(!text.contains("AMOUNT"), "no amounts, no column");
        assert!(text.lines().all(|line| width_of(line) <= 80), "{text}");
        assert!(text.contains("Raise the pa…"), "{text}");
        assert!(text.contains('…'), "the long title is cut: {text}");
    }

    #[test]
    fn list_at_120_columns() {
        let text = list_at(120);
        insta::assert_snapshot!(text);
        assert!(text.lines().all(|line| width_of(line) <= 120), "{text}");
    }

    #[test]
    fn whole_values_stay_whole_past_the_width() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let mut records = realistic();
        let arn = "arn:aws:sts::123456789012:assumed-role/Deployer/alice-with-a-long-session";
        records[1].requester = arn.into();
        let text = records_table(&records, now, Some(80));
        assert!(text.contains(arn), "{text}");
        assert!(
            !text.contains("CREATED"),
            "dropped before anything is cut: {text}"
        );
        assert_eq!(text.lines().count(), 4, "one line a row: {text}");
    }

    fn shown() -> ApprovalRecord {
        let mut r = record("apr-floor-86412d10", Status::Rejected);
        r.requester = "r@example.com".into();
        r.title = "Raise the payments floor limit for the EU region before the Black Friday freeze"
            .into();
        r.description =
            Some("Floor goes from 50 to 80 EUR.\nRollback: set it back in the console.".into());
        r.decided_by = Some("arn:aws:sts::123456789012:assumed-role/Approver/bob".into());
        r.audit.requester_evidence = Evidence::Sts;
        r.audit.decision_evidence = Some(Evidence::Sts);
        r.audit.requested_on_behalf_of = Some("release-train".into());
        r.audit.refusals.push(hitl_contract::Refusal {
            at: r.created_at.plus(Duration::from_secs(90)),
            outcome: hitl_contract::Outcome::Approved,
            principal: None,
            claimed_by: Some("ops-console".into()),
            reason: "it carries no proof of its sender's identity".into(),
            channel: Some(hitl_contract::record::Channel::Callback),
            comment: None,
        });
        r.comment = Some("Not before the freeze is over".into());
        r.policy = Some(hitl_contract::ApproverPolicy {
            approvers: vec![
                "arn:aws:iam::123456789012:role/Approver".into(),
                "carol@example.com".into(),
            ],
            required: 2,
        });
        r.audit.approvals.push(hitl_contract::Approval {
            by: "arn:aws:iam::123456789012:user/carol@example.com".into(),
            evidence: Evidence::Sts,
            at: r.created_at.plus(Duration::from_secs(60)),
            comment: Some("fine by me".into()),
            on_behalf_of: None,
        });
        r.execution_arn = Some("arn:aws:lambda:eu-west-1:123456789012:function:hitl-workflow:7/durable-execution/apr-floor-86412d10/6f0e1d2c-3b4a-5968-7a8b-9c0d1e2f3a4b".into());
        r
    }

    fn show_at(width: usize) -> String {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let r = shown();
        let mut fields = record_fields(&r, now);
        fields.whole(
            "Console",
            "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/hitl-workflow/versions/7/executions/apr-floor-86412d10/6f0e1d2c-3b4a-5968-7a8b-9c0d1e2f3a4b",
        );
        fields.whole("Execution status", "SUCCEEDED");
        fields.lines(
            "Execution result",
            serde_json::to_string_pretty(
                &serde_json::json!({"approval_id": r.approval_id, "status": "REJECTED"}),
            )
            .unwrap(),
        );
        record_text(&mut fields, &r);
        fields.render(Some(width))
    }

    #[test]
    fn show_lists_the_reminders_sent_and_the_next_one_due() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let mut r = shown();
        r.status = Status::Pending;
        r.expires_at = Timestamp::parse("2026-11-22T14:00:00Z").unwrap();
        r.reminders = vec![7_200, 3_600];
        r.reminded = vec![Timestamp::parse("2026-11-22T12:00:00Z").unwrap()];
        assert_eq!(
            reminders(&r, now),
            "sent 2026-11-22T12:00:00.000Z (48m ago)\nnext 2026-11-22T13:00:00.000Z (in 12m)"
        );
        r.status = Status::Approved;
        assert_eq!(
            reminders(&r, now),
            "sent 2026-11-22T12:00:00.000Z (48m ago)"
        );
    }

    #[test]
    fn show_says_whom_a_request_is_escalated_to_and_when() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        let mut r = shown();
        r.status = Status::Pending;
        r.created_at = Timestamp::parse("2026-11-22T12:00:00Z").unwrap();
        r.expires_at = Timestamp::parse("2026-11-22T14:00:00Z").unwrap();
        assert_eq!(escalation(&r, now), "");
        r.escalation = Some(hitl_contract::escalation::Escalation {
            after_seconds: 3_600,
            to: vec!["carol@example.com".into()],
        });
        assert_eq!(
            escalation(&r, now),
            "to carol@example.com, due 2026-11-22T13:00:00.000Z (in 12m)"
        );
        r.status = Status::Approved;
        assert_eq!(escalation(&r, now), "to carol@example.com, not needed");
        r.escalated = Some(Timestamp::parse("2026-11-22T13:00:00Z").unwrap());
        r.status = Status::Pending;
        assert_eq!(
            escalation(&r, Timestamp::parse("2026-11-22T13:10:00Z").unwrap()),
            "to carol@example.com, 2026-11-22T13:00:00.000Z (10m ago)"
        );
    }

    #[test]
    fn show_at_80_columns() {
        let text = show_at(80);
        insta::assert_snapshot!(text);
        let r = shown();
        for whole in [
            r.execution_arn.as_deref().unwrap(),
            "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/hitl-workflow/versions/7/executions/apr-floor-86412d10/6f0e1d2c-3b4a-5968-7a8b-9c0d1e2f3a4b",
            "arn:aws:sts::123456789012:assumed-role/Approver/bob",
            "r@example.com",
        ] {
            assert!(
                text.lines().any(|line| line.trim_start() == whole || line.ends_with(&format!("  {whole}"))),
                "{whole} whole on its line in\n{text}"
            );
        }
        for line in text.lines() {
            assert!(
                width_of(line) <= 80 || !line.trim().contains(' '),
                "only an unbreakable value overflows: {line:?}"
            );
        }
    }

    #[test]
    fn show_at_120_columns() {
        insta::assert_snapshot!(show_at(120));
    }

    #[test]
    fn every_control_class_is_escaped_visibly() {
        let cases = [
            ("\u{1b}[2J", "\\e[2J"),
            ("\u{1b}]0;pwned\u{7}", "\\e]0;pwned\\x07"),
            ("\0", "\\x00"),
            ("a\rb", "a\\rb"),
            ("a\nb\tc", "a\\nb\\tc"),
            ("\u{1f}", "\\x1f"),
            ("\u{7f}", "\\x7f"),
            ("\u{9b}2J", "\\u{9b}2J"),
            ("\u{85}", "\\u{85}"),
            ("gpj\u{202e}exe", "gpj\\u{202e}exe"),
            (
                "\u{202a}\u{202b}\u{202c}\u{202d}",
                "\\u{202a}\\u{202b}\\u{202c}\\u{202d}",
            ),
            (
                "\u{2066}\u{2067}\u{2068}\u{2069}",
                "\\u{2066}\\u{2067}\\u{2068}\\u{2069}",
            ),
            ("\u{200e}\u{200f}\u{61c}", "\\u{200e}\\u{200f}\\u{61c}"),
            ("Déploy ✓ €10 日本", "Déploy ✓ €10 日本"),
        ];
        for (raw, shown) in cases {
            assert_eq!(one_line(raw), shown, "{raw:?}");
        }
        assert!(matches!(one_line("plain text"), Cow::Borrowed(_)));
        assert_eq!(
            terminal_safe("a\n\tb\r\u{1b}", Layout::Lines),
            "a\n\tb\\r\\e"
        );
    }

    #[test]
    fn backslashes_that_would_read_as_escapes_are_doubled() {
        assert_eq!(
            one_line("C:\\app\\bin"),
            "C:\\app\\bin",
            "nothing to mistake"
        );
        assert_eq!(one_line("a literal \\e[2J"), "a literal \\\\e[2J");
        assert_eq!(one_line("\\\u{1b}"), "\\\\\\e", "a backslash, then ESC");
        assert_eq!(one_line("\\\\"), "\\\\\\");
        assert_eq!(one_line("ends in \\"), "ends in \\");
    }

    #[test]
    fn text_is_cut_by_display_width() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("日本語です", 5), "日本…");
    }

    #[test]
    fn free_text_wraps_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("aa bb cc", Some(5)), ["aa bb", "cc"]);
        assert_eq!(
            wrap("see https://example.com/very/long now", Some(10)),
            ["see", "https://example.com/very/long", "now"]
        );
        assert_eq!(wrap(" a  b", Some(80)), [" a  b"]);
        assert_eq!(wrap("no width", None), ["no width"]);
    }

    fn poisoned(text: &str) -> ApprovalRecord {
        let mut r = record(text, Status::Pending);
        r.title = text.into();
        r.description = Some(text.into());
        r.requester = text.into();
        r.amount = Some(text.into());
        r.details = Some(serde_json::json!({ "note": text, text: 1 }));
        r.decided_by = Some(text.into());
        r.audit.requested_on_behalf_of = Some(text.into());
        r.audit.decided_on_behalf_of = Some(text.into());
        r.audit.refusals.push(hitl_contract::Refusal {
            at: r.created_at,
            outcome: hitl_contract::Outcome::Approved,
            principal: Some(text.into()),
            claimed_by: Some(text.into()),
            reason: text.into(),
            channel: Some(hitl_contract::record::Channel::Callback),
            comment: None,
        });
        r.comment = Some(text.into());
        r.execution_arn = Some(text.into());
        r.claim = Some(hitl_contract::Claim {
            outcome: hitl_contract::Outcome::Approved,
            by: text.into(),
            comment: Some(text.into()),
            at: r.created_at,
            proof: None,
        });
        r
    }

    #[test]
    fn no_escape_sequence_reaches_a_list_or_show() {
        let now = Timestamp::parse("2026-11-22T12:48:00Z").unwrap();
        for text in CORPUS {
            let record = poisoned(text);
            for width in [None, Some(80)] {
                let list = records_table(std::slice::from_ref(&record), now, width);
                assert_eq!(raw_control(&list), None, "list: {list:?}");
                let mut fields = record_fields(&record, now);
                record_text(&mut fields, &record);
                let show = fields.render(width);
                assert_eq!(raw_control(&show), None, "show: {show:?}");
                assert!(
                    !list
                        .lines()
                        .chain(show.lines())
                        .any(|line| line.starts_with("Approve:")),
                    "no forged line"
                );
            }
        }
    }

    #[test]
    fn no_escape_sequence_reaches_an_error() {
        for text in CORPUS {
            let err = anyhow::anyhow!("{text}").context(format!("reading {text}"));
            let shown = error_message(&err);
            assert_eq!(raw_control(&shown), None, "{shown:?}");
            assert!(shown.starts_with("error: reading "), "{shown}");
        }
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
