//! `hitl wait ID`: block until a request is decided, expires or is cancelled.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::Context;

use hitl_contract::{ApprovalRecord, Status, Timestamp};

use crate::app::App;
use crate::cli::WaitArgs;
use crate::duration::human;
use crate::output;

/// How a wait ended other than in an approval (each has its exit code).
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    #[error("request `{}` was rejected by {}{}", .0.approval_id, .0.decided_by.as_deref().unwrap_or("an approver"), reason(.0))]
    Rejected(Box<ApprovalRecord>),
    #[error("request `{}` expired at {} without a decision", .0.approval_id, .0.expires_at)]
    Expired(Box<ApprovalRecord>),
    #[error("request `{}` was cancelled by {}{}", .0.approval_id, .0.decided_by.as_deref().unwrap_or("someone"), reason(.0))]
    Cancelled(Box<ApprovalRecord>),
    #[error("request `{id}` was still pending after {}; wait again, or raise --timeout", human(*.waited))]
    TimedOut { id: String, waited: Duration },
    /// The execution ended before it recorded the request: the workflow
    /// refused it (input that does not fit, a policy or escalation the
    /// stack does not allow, an unproven requester, an id in use).
    #[error("the workflow refused request `{id}` ({error_type}): {message}; nothing was recorded: correct the request and submit it again")]
    Refused {
        id: String,
        error_type: String,
        message: String,
    },
}

fn reason(record: &ApprovalRecord) -> String {
    record
        .comment
        .as_deref()
        .map(|c| format!(": {c}"))
        .unwrap_or_default()
}

const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(100);
/// DynamoDB is read once per this many ticks.
const TICKS_PER_READ: u32 = 10;

pub async fn run(app: &App, args: WaitArgs) -> anyhow::Result<()> {
    let record = wait(app, &args.id, args.timeout).await?;
    finish(app, record)
}

/// Waits for the request's final status, with a spinner when stderr is a terminal.
pub async fn wait(
    app: &App,
    id: &str,
    timeout: Option<Duration>,
) -> anyhow::Result<ApprovalRecord> {
    let store = app.store();
    let started = Instant::now();
    let spinner = std::io::stderr().is_terminal();
    let mut tick = 0u32;
    let mut record = store.fetch(id).await?;
    loop {
        if record.status != Status::Pending {
            if spinner {
                eprint!("\r\x1b[2K");
            }
            return Ok(record);
        }
        if timeout.is_some_and(|limit| started.elapsed() >= limit) {
            if spinner {
                eprint!("\r\x1b[2K");
            }
            return Err(WaitError::TimedOut {
                id: id.to_owned(),
                waited: started.elapsed(),
            }
            .into());
        }
        if spinner {
            let now = Timestamp::now();
            let left = human(Duration::from_secs(now.seconds_until(record.expires_at)));
            let frame = SPINNER[tick as usize % SPINNER.len()];
            let id = output::one_line(id);
            eprint!("\r\x1b[2K{frame} waiting for a decision on {id} (expires in {left})");
            let _ = std::io::stderr().flush();
        }
        tokio::time::sleep(TICK).await;
        tick += 1;
        if tick.is_multiple_of(TICKS_PER_READ) {
            record = store.fetch(id).await?;
        }
    }
}

/// How many reads of the record between two looks at the execution.
const READS_PER_EXECUTION_CHECK: u32 = 5;

/// The record of a request just submitted: the workflow writes it a moment
/// after its execution (`execution_arn`) starts. An execution that ends
/// first has refused the request, which is the answer to wait for.
pub async fn wait_for_record(
    app: &App,
    id: &str,
    execution_arn: Option<&str>,
) -> anyhow::Result<ApprovalRecord> {
    let store = app.store();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reads = 0u32;
    loop {
        if let Some(record) = store.get(id).await? {
            return Ok(record);
        }
        reads += 1;
        if let Some(arn) = execution_arn.filter(|_| reads.is_multiple_of(READS_PER_EXECUTION_CHECK))
        {
            if let Some(refused) = refusal(app, id, arn).await? {
                // It may have recorded the request just before it ended.
                return match store.get(id).await? {
                    Some(record) => Ok(record),
                    None => Err(refused.into()),
                };
            }
        }
        if Instant::now() > deadline {
            anyhow::bail!("the workflow did not record request `{id}` within 60s; check the workflow's logs, then `hitl show {id}`");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Why the execution `arn` ended, if it has.
async fn refusal(app: &App, id: &str, arn: &str) -> anyhow::Result<Option<WaitError>> {
    let out = super::show::get_execution(app, arn)
        .await
        .with_context(|| format!("reading the execution of request `{id}`"))?;
    if *out.status() == aws_sdk_lambda::types::ExecutionStatus::Running {
        return Ok(None);
    }
    let error = out.error();
    Ok(Some(WaitError::Refused {
        id: id.to_owned(),
        error_type: error
            .and_then(|e| e.error_type())
            .unwrap_or(out.status().as_str())
            .to_owned(),
        message: error
            .and_then(|e| e.error_message())
            .unwrap_or("the execution ended without recording it")
            .to_owned(),
    }))
}

/// Prints the final record; anything but an approval ends with its exit code.
pub fn finish(app: &App, record: ApprovalRecord) -> anyhow::Result<()> {
    output::one(app.output, &record, || {
        output::line(format_args!(
            "{} {}{}",
            record.status,
            output::one_line(&record.approval_id),
            record
                .decided_by
                .as_deref()
                .map(|by| format!(" (by {})", output::one_line(by)))
                .unwrap_or_default()
        ))
    })?;
    match record.status {
        Status::Approved | Status::Pending => Ok(()),
        Status::Rejected => Err(WaitError::Rejected(Box::new(record)).into()),
        Status::Expired => Err(WaitError::Expired(Box::new(record)).into()),
        Status::Cancelled => Err(WaitError::Cancelled(Box::new(record)).into()),
    }
}
