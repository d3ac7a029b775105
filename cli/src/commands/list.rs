//! `hitl list`: requests by status, newest first, streamed page by page.
//!
//! JSON and JSON lines are written as DynamoDB's pages arrive, so listing a
//! table of any size holds one page per status in memory. Tables are drawn
//! in chunks of [`TABLE_CHUNK`] rows for the same reason.

use std::collections::VecDeque;
use std::io::Write;

use anyhow::Context;
use hitl_approvals::{ApprovalStore, ListQuery, RecordPages};
use hitl_contract::{ApprovalRecord, Status, Timestamp};

use crate::app::App;
use crate::cli::{ListArgs, OutputFormat, StatusFilter};
use crate::output;
use serde::Serialize;

/// Rows per drawn table: column widths are computed per chunk.
const TABLE_CHUNK: usize = 1000;
/// Items DynamoDB evaluates per page. Its own cap is 1 MB a page; smaller
/// pages keep `--status all`, which holds one page of each status, well
/// within a small memory budget (measured: 100,000 records listed as JSON
/// lines in under 50 MiB).
const MAX_PAGE: usize = 500;

pub fn statuses(filter: StatusFilter) -> Vec<Status> {
    match filter {
        StatusFilter::Pending => vec![Status::Pending],
        StatusFilter::Approved => vec![Status::Approved],
        StatusFilter::Rejected => vec![Status::Rejected],
        StatusFilter::Expired => vec![Status::Expired],
        StatusFilter::Cancelled => vec![Status::Cancelled],
        StatusFilter::All => Status::ALL.to_vec(),
    }
}

/// The query `--requester`, `--since` and `--limit` make, relative to `now`.
pub fn query(
    requester: Option<&str>,
    since: Option<std::time::Duration>,
    limit: Option<usize>,
    now: Timestamp,
) -> ListQuery {
    ListQuery {
        created_since: since.map(|since| {
            Timestamp::from_unix_millis(
                now.unix_millis() - i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
            )
            .unwrap_or_else(|| Timestamp::from_unix_seconds(0).unwrap_or(now))
        }),
        requester: requester.map(str::to_owned),
        // With a filter, DynamoDB's Limit counts items before filtering, so
        // only an unfiltered listing can ask for exactly what it will print.
        page_size: i32::try_from(match (limit, requester) {
            (Some(limit), None) => limit.clamp(1, MAX_PAGE),
            _ => MAX_PAGE,
        })
        .ok(),
    }
}

/// Several statuses' listings merged into one, newest first.
///
/// The by-status index keeps each status in its own partition, sorted by
/// creation time; `--status all` queries every status and merges the
/// sorted streams, holding one page of each. A table scan would need no
/// merge but returns items in no useful order, so it would have to collect
/// the whole table to sort it.
pub struct Merged {
    sources: Vec<(RecordPages, VecDeque<ApprovalRecord>, bool)>,
}

impl Merged {
    pub fn new(store: &ApprovalStore, statuses: &[Status], query: &ListQuery) -> Self {
        Self {
            sources: statuses
                .iter()
                .map(|status| (store.pages(*status, query), VecDeque::new(), false))
                .collect(),
        }
    }

    /// The newest record not yet returned, or `None` at the end.
    pub async fn next(&mut self) -> anyhow::Result<Option<ApprovalRecord>> {
        for (pages, buffer, exhausted) in &mut self.sources {
            if buffer.is_empty() && !*exhausted {
                match pages.next_page().await? {
                    Some(page) => buffer.extend(page),
                    None => *exhausted = true,
                }
            }
        }
        let newest = self
            .sources
            .iter()
            .enumerate()
            .filter_map(|(index, (_, buffer, _))| buffer.front().map(|r| (index, r)))
            .max_by(|(_, a), (_, b)| {
                (a.created_at, &a.approval_id).cmp(&(b.created_at, &b.approval_id))
            })
            .map(|(index, _)| index);
        Ok(newest.and_then(|index| self.sources[index].1.pop_front()))
    }
}

pub async fn run(app: &App, args: ListArgs) -> anyhow::Result<()> {
    if args.executions {
        return super::list_executions::run(app, args).await;
    }
    let query = query(
        args.requester.as_deref(),
        args.since,
        args.limit,
        Timestamp::now(),
    );
    let mut records = Merged::new(&app.store(), &statuses(args.status), &query);
    let mut out = Writer::new(app.output, std::io::stdout(), records_table);
    let mut printed = 0usize;
    while args.limit.is_none_or(|limit| printed < limit) {
        let Some(record) = records
            .next()
            .await
            .context("listing requests from the approvals table")?
        else {
            break;
        };
        out.push(record)?;
        printed += 1;
    }
    out.finish()?;
    if printed == 0 && app.output == OutputFormat::Table {
        eprintln!(
            "No {} requests in stack `{}`.",
            format!("{:?}", args.status).to_lowercase(),
            app.stack.name
        );
    }
    Ok(())
}

fn records_table(records: &[ApprovalRecord]) -> String {
    output::records_table(records, Timestamp::now(), output::terminal_width())
}

/// Writes rows as they come: a JSON array, JSON lines, or tables of at
/// most [`TABLE_CHUNK`] rows (drawn, and made safe, by `render`).
pub struct Writer<W: Write, T: Serialize> {
    format: OutputFormat,
    out: std::io::BufWriter<W>,
    written: usize,
    chunk: Vec<T>,
    render: fn(&[T]) -> String,
}

impl<W: Write, T: Serialize> Writer<W, T> {
    pub fn new(format: OutputFormat, out: W, render: fn(&[T]) -> String) -> Self {
        Self {
            format,
            out: std::io::BufWriter::new(out),
            written: 0,
            chunk: Vec::new(),
            render,
        }
    }

    pub fn written(&self) -> usize {
        self.written
    }

    pub fn push(&mut self, record: T) -> anyhow::Result<()> {
        match self.format {
            OutputFormat::Jsonl => {
                serde_json::to_writer(&mut self.out, &record)?;
                self.out.write_all(b"\n")?;
            }
            OutputFormat::Json => {
                self.out
                    .write_all(if self.written == 0 { b"[\n" } else { b",\n" })?;
                let pretty = serde_json::to_string_pretty(&record)?;
                for (index, line) in pretty.lines().enumerate() {
                    if index > 0 {
                        self.out.write_all(b"\n")?;
                    }
                    write!(self.out, "  {line}")?;
                }
            }
            OutputFormat::Table => {
                self.chunk.push(record);
                if self.chunk.len() >= TABLE_CHUNK {
                    self.draw()?;
                }
            }
        }
        // The buffer goes out whenever it fills: output keeps pace with the pages.
        self.written += 1;
        Ok(())
    }

    fn draw(&mut self) -> anyhow::Result<()> {
        if !self.chunk.is_empty() {
            let table = (self.render)(&self.chunk);
            writeln!(self.out, "{table}")?;
            self.chunk.clear();
        }
        Ok(())
    }

    pub fn finish(mut self) -> anyhow::Result<()> {
        match self.format {
            OutputFormat::Json if self.written == 0 => self.out.write_all(b"[]\n")?,
            OutputFormat::Json => self.out.write_all(b"\n]\n")?,
            OutputFormat::Jsonl => {}
            OutputFormat::Table => self.draw()?,
        }
        self.out.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use aws_sdk_dynamodb::operation::query::QueryOutput;
    use aws_sdk_dynamodb::types::AttributeValue;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    fn record(id: &str, status: Status, created: &str) -> ApprovalRecord {
        let mut record = crate::fixtures::record(id, status);
        record.created_at = Timestamp::parse(created).unwrap();
        record.expires_at = record.created_at.plus(Duration::from_secs(3600));
        record.callback_id = None;
        record.execution_arn = None;
        record
    }

    fn written(format: OutputFormat, records: &[ApprovalRecord]) -> String {
        let mut buffer = Vec::new();
        let mut writer = Writer::new(format, &mut buffer, records_table);
        for r in records {
            writer.push(r.clone()).unwrap();
        }
        writer.finish().unwrap();
        String::from_utf8(buffer).unwrap()
    }

    #[test]
    fn streamed_json_is_the_same_document_as_a_collected_one() {
        let records = [
            record("b", Status::Pending, "2026-11-22T10:00:00Z"),
            record("a", Status::Approved, "2026-11-22T09:00:00Z"),
        ];
        assert_eq!(
            written(OutputFormat::Json, &records),
            format!("{}\n", serde_json::to_string_pretty(&records).unwrap())
        );
        assert_eq!(written(OutputFormat::Json, &[]), "[]\n");
        assert_eq!(written(OutputFormat::Jsonl, &records).lines().count(), 2);
    }

    #[test]
    fn large_tables_are_drawn_in_chunks() {
        let records: Vec<ApprovalRecord> = (0..TABLE_CHUNK + 1)
            .map(|i| record(&format!("r{i}"), Status::Pending, "2026-11-22T10:00:00Z"))
            .collect();
        let text = written(OutputFormat::Table, &records);
        assert_eq!(
            text.lines().filter(|l| l.starts_with("ID ")).count(),
            2,
            "two tables, two headers"
        );
    }

    fn page(records: &[ApprovalRecord], next: Option<&str>) -> QueryOutput {
        let items: Vec<_> = records.iter().map(ApprovalRecord::to_item).collect();
        QueryOutput::builder()
            .set_items(Some(items))
            .set_last_evaluated_key(next.map(|id| {
                HashMap::from([("approval_id".to_owned(), AttributeValue::S(id.to_owned()))])
            }))
            .build()
    }

    #[tokio::test]
    async fn statuses_merge_newest_first_across_pages() {
        let pending_1 = page(
            &[
                record("p3", Status::Pending, "2026-11-22T12:00:00Z"),
                record("p2", Status::Pending, "2026-11-22T10:00:00Z"),
            ],
            Some("p2"),
        );
        let pending_2 = page(
            &[record("p1", Status::Pending, "2026-11-22T08:00:00Z")],
            None,
        );
        let approved = page(
            &[
                record("a2", Status::Approved, "2026-11-22T11:00:00Z"),
                record("a1", Status::Approved, "2026-11-22T09:00:00Z"),
            ],
            None,
        );
        let p1 = mock!(aws_sdk_dynamodb::Client::query)
            .match_requests(|q| {
                q.expression_attribute_values()
                    .and_then(|v| v.get(":status"))
                    == Some(&AttributeValue::S("PENDING".into()))
                    && q.exclusive_start_key().is_none()
            })
            .then_output(move || pending_1.clone());
        let p2 = mock!(aws_sdk_dynamodb::Client::query)
            .match_requests(|q| {
                q.exclusive_start_key().and_then(|k| k.get("approval_id"))
                    == Some(&AttributeValue::S("p2".into()))
            })
            .then_output(move || pending_2.clone());
        let a = mock!(aws_sdk_dynamodb::Client::query)
            .match_requests(|q| {
                q.expression_attribute_values()
                    .and_then(|v| v.get(":status"))
                    == Some(&AttributeValue::S("APPROVED".into()))
            })
            .then_output(move || approved.clone());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [&p1, &p2, &a]);
        let store = ApprovalStore::new(client, "approvals");
        let mut merged = Merged::new(
            &store,
            &[Status::Pending, Status::Approved],
            &ListQuery::default(),
        );
        let mut ids = Vec::new();
        while let Some(r) = merged.next().await.unwrap() {
            ids.push(r.approval_id);
        }
        assert_eq!(ids, ["p3", "a2", "p2", "a1", "p1"]);
        assert_eq!((p1.num_calls(), p2.num_calls(), a.num_calls()), (1, 1, 1));
    }

    #[tokio::test]
    async fn requester_and_since_are_asked_of_dynamodb() {
        let now = Timestamp::parse("2026-11-22T12:00:00Z").unwrap();
        let q = query(Some("bob"), Some(Duration::from_secs(7200)), Some(5), now);
        assert_eq!(
            q.page_size,
            Some(500),
            "a filtered page may hold fewer matches than --limit"
        );
        let rule = mock!(aws_sdk_dynamodb::Client::query)
            .match_requests(|q| {
                let values = q.expression_attribute_values().unwrap();
                q.index_name() == Some("by-status")
                    && q.scan_index_forward() == Some(false)
                    && q.key_condition_expression()
                        == Some("#status = :status AND #created >= :since")
                    && values.get(":since")
                        == Some(&AttributeValue::S("2026-11-22T10:00:00.000Z".into()))
                    && q.filter_expression() == Some("#requester = :requester OR #for = :requester")
                    && values.get(":requester") == Some(&AttributeValue::S("bob".into()))
            })
            .then_output(|| QueryOutput::builder().build());
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&rule]);
        let store = ApprovalStore::new(client, "approvals");
        let mut merged = Merged::new(&store, &[Status::Pending], &q);
        assert!(merged.next().await.unwrap().is_none());
        assert_eq!(rule.num_calls(), 1);

        let unfiltered = query(None, None, Some(20), now);
        assert_eq!(unfiltered.page_size, Some(20));
    }
}
