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
    records.sort_by_key(|r| std::cmp::Reverse(r.created_at));
    match app.output {
        OutputFormat::Json => output::print_json(&records),
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
