//! `hitl list`: requests by status, newest first.

use anyhow::Context;
use hitl_contract::{ApprovalRecord, Status, Timestamp};

use crate::app::App;
use crate::cli::{ListArgs, OutputFormat, StatusFilter};
use crate::output;

fn statuses(filter: StatusFilter) -> Vec<Status> {
    match filter {
        StatusFilter::Pending => vec![Status::Pending],
        StatusFilter::Approved => vec![Status::Approved],
        StatusFilter::Rejected => vec![Status::Rejected],
        StatusFilter::Expired => vec![Status::Expired],
        StatusFilter::Cancelled => vec![Status::Cancelled],
        StatusFilter::All => Status::ALL.to_vec(),
    }
}

pub async fn run(app: &App, args: ListArgs) -> anyhow::Result<()> {
    let store = app.store();
    let mut records: Vec<ApprovalRecord> = Vec::new();
    for status in statuses(args.status) {
        records.extend(
            store
                .list(status, None)
                .await
                .with_context(|| format!("listing {status} requests"))?,
        );
    }
    let now = Timestamp::now();
    let oldest = args.since.and_then(|since| {
        Timestamp::from_unix_millis(
            now.unix_millis() - i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        )
    });
    records.retain(|r| {
        args.requester
            .as_ref()
            .is_none_or(|requester| &r.requester == requester)
            && oldest.is_none_or(|oldest| r.created_at >= oldest)
    });
    records.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    if let Some(limit) = args.limit {
        records.truncate(limit);
    }
    match app.output {
        OutputFormat::Json | OutputFormat::Jsonl => output::print_many(app.output, &records),
        OutputFormat::Table if records.is_empty() => {
            eprintln!(
                "No {} requests in stack `{}`.",
                format!("{:?}", args.status).to_lowercase(),
                app.stack.name
            );
            Ok(())
        }
        OutputFormat::Table => output::line(output::records_table(&records, Timestamp::now())),
    }
}
