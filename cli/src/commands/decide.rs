//! `hitl approve` and `hitl reject`.

use hitl_contract::{ApprovalRecord, Decision, Outcome, Timestamp};

use crate::app::App;
use crate::cli::{ApproveArgs, DeciderArgs, OutputFormat, RejectArgs};
use crate::output;

pub async fn approve(app: &App, args: ApproveArgs) -> anyhow::Result<()> {
    decide(app, args.decider, Outcome::Approved, args.comment).await
}

pub async fn reject(app: &App, args: RejectArgs) -> anyhow::Result<()> {
    decide(app, args.decider, Outcome::Rejected, args.reason).await
}

async fn decide(
    app: &App,
    who: DeciderArgs,
    outcome: Outcome,
    comment: Option<String>,
) -> anyhow::Result<()> {
    let decided_by = match who.as_name {
        Some(name) => name,
        None => app.caller_identity().await?,
    };
    let decision = Decision {
        approval_id: who.id,
        outcome,
        decided_by,
        comment,
    };
    let record = app.decider().decide(&decision, Timestamp::now()).await?;
    report(app, &record)
}

fn report(app: &App, record: &ApprovalRecord) -> anyhow::Result<()> {
    match app.output {
        OutputFormat::Json => output::print_json(record),
        OutputFormat::Table => output::line(format_args!(
            "{} {} (decided by {})",
            record.status,
            record.approval_id,
            record.decided_by.as_deref().unwrap_or("unknown")
        )),
    }
}
