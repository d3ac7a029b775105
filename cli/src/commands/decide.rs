//! `hitl approve` and `hitl reject`: one request, several, or `--all`.

use std::io::{BufRead, IsTerminal, Write};
use std::sync::Arc;

use hitl_contract::{ApprovalRecord, Outcome, Status, Timestamp};

use hitl_approvals::{DecideError, Decider, Decision};
use serde::Serialize;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use hitl_contract::proof::{DecisionProof, Purpose};

use crate::app::App;
use crate::cli::{ApproveArgs, DeciderArgs, RejectArgs};
use crate::exit::{self, InvalidInput};
use crate::identity::Caller;
use crate::output;

pub async fn approve(app: &App, args: ApproveArgs) -> anyhow::Result<()> {
    decide(app, args.decider, Outcome::Approved, args.comment).await
}

pub async fn reject(app: &App, args: RejectArgs) -> anyhow::Result<()> {
    decide(app, args.decider, Outcome::Rejected, args.reason).await
}

/// One request's outcome in a bulk decision.
#[derive(Debug, Serialize)]
struct BulkOutcome {
    approval_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    exit_code: u8,
}

async fn decide(
    app: &App,
    who: DeciderArgs,
    outcome: Outcome,
    comment: Option<String>,
) -> anyhow::Result<()> {
    let caller = app.caller().await?;
    if !who.all && who.ids.len() == 1 {
        let decision = decision(&caller, who.as_name.clone(), &who.ids[0], outcome, comment)?;
        let record = decide_one(&app.decider(), &app.lambda(), &decision, Timestamp::now()).await?;
        return report(app, &record);
    }

    let ids = if who.all {
        pending_ids(app, &who).await?
    } else {
        who.ids.clone()
    };
    if ids.is_empty() {
        eprintln!("No pending requests match.");
        return Ok(());
    }
    if !who.yes {
        confirm(outcome, &ids)?;
    }
    let outcomes = decide_all(
        app,
        ids,
        outcome,
        &caller,
        who.as_name.clone(),
        comment,
        usize::from(who.concurrency),
    )
    .await;
    output::many(app.output, &outcomes, || {
        for o in &outcomes {
            match (&o.status, &o.error) {
                (Some(status), _) => output::line(format_args!(
                    "{status} {}",
                    output::one_line(&o.approval_id)
                ))?,
                (None, Some(error)) => output::line(format_args!(
                    "FAILED {}: {}",
                    output::one_line(&o.approval_id),
                    output::one_line(error)
                ))?,
                (None, None) => {}
            }
        }
        Ok(())
    })?;
    let failed: Vec<&BulkOutcome> = outcomes.iter().filter(|o| o.exit_code != 0).collect();
    match failed.first() {
        None => Ok(()),
        Some(first) => Err(BulkFailed {
            failed: failed.len(),
            total: outcomes.len(),
            code: first.exit_code,
        }
        .into()),
    }
}

/// The caller's decision on `id`, with its proof of identity. `--as`
/// becomes a note beside the caller's principal: no rule reads it.
fn decision(
    caller: &Caller,
    on_behalf_of: Option<String>,
    id: &str,
    outcome: Outcome,
    comment: Option<String>,
) -> anyhow::Result<Decision> {
    let proof = caller.prove(Purpose::Decide(id, outcome))?;
    Ok(Decision {
        approval_id: id.to_owned(),
        outcome,
        decided_by: caller.arn.clone(),
        comment,
        proof: Some(DecisionProof::Sts(proof)),
        on_behalf_of,
    })
}

/// Some requests of a bulk decision failed; the first failure's exit code.
#[derive(Debug, thiserror::Error)]
#[error("{failed} of {total} requests were not decided (see above)")]
pub struct BulkFailed {
    pub failed: usize,
    pub total: usize,
    pub code: u8,
}

/// Decides one request. When the callback is closed and our table cannot
/// say why, the execution's history does (see `closed`).
async fn decide_one(
    decider: &Decider,
    lambda: &aws_sdk_lambda::Client,
    decision: &Decision,
    now: Timestamp,
) -> anyhow::Result<ApprovalRecord> {
    match decider.decide(decision, now).await {
        Ok(record) => Ok(record),
        Err(DecideError::ExecutionClosed(record)) => {
            Err(super::callback_closed::explain_with(lambda, &record).await)
        }
        Err(err) => Err(err.into()),
    }
}

/// The pending requests `--all` selects, newest first.
async fn pending_ids(app: &App, who: &DeciderArgs) -> anyhow::Result<Vec<String>> {
    let now = Timestamp::now();
    let query = super::list::query(who.requester.as_deref(), who.since, None, now);
    let mut pages = app.store().pages(Status::Pending, &query);
    let mut ids = Vec::new();
    while let Some(page) = pages.next_page().await? {
        ids.extend(
            page.into_iter()
                .filter(|r| !r.is_past_expiry(now))
                .map(|r| r.approval_id),
        );
    }
    Ok(ids)
}

/// Asks on a terminal; refuses to go on unasked anywhere else.
fn confirm(outcome: Outcome, ids: &[String]) -> anyhow::Result<()> {
    let verb = match outcome {
        Outcome::Approved => "Approve",
        Outcome::Rejected => "Reject",
    };
    if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
        return Err(InvalidInput(format!(
            "deciding {} requests needs confirmation: pass --yes to go ahead without a terminal",
            ids.len()
        ))
        .into());
    }
    eprint!("{}", prompt(verb, ids));
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
        Ok(())
    } else {
        Err(InvalidInput("nothing decided".into()).into())
    }
}

/// `Approve 12 requests (a, b, ... and 2 more)? [y/N] `, the ids made safe
/// (with `--all` they come from the table).
fn prompt(verb: &str, ids: &[String]) -> String {
    let shown: Vec<String> = ids
        .iter()
        .take(10)
        .map(|id| output::one_line(id).into_owned())
        .collect();
    let more = ids.len().saturating_sub(shown.len());
    format!(
        "{verb} {} requests ({}{})? [y/N] ",
        ids.len(),
        shown.join(", "),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// Decides every request, at most `concurrency` at a time, in id order.
async fn decide_all(
    app: &App,
    ids: Vec<String>,
    outcome: Outcome,
    caller: &Caller,
    on_behalf_of: Option<String>,
    comment: Option<String>,
    concurrency: usize,
) -> Vec<BulkOutcome> {
    let (decider, lambda) = (app.decider(), app.lambda());
    let permits = Arc::new(Semaphore::new(concurrency));
    let mut tasks = JoinSet::new();
    for (index, id) in ids.iter().enumerate() {
        let (decider, lambda, permits) = (decider.clone(), lambda.clone(), permits.clone());
        let (caller, on_behalf_of, id) = (caller.clone(), on_behalf_of.clone(), id.clone());
        let comment = comment.clone();
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            // Signed when it is sent: a proof lives minutes, a queue may not.
            let result = match decision(&caller, on_behalf_of, &id, outcome, comment) {
                Ok(decision) => decide_one(&decider, &lambda, &decision, Timestamp::now()).await,
                Err(err) => Err(err),
            };
            (index, result)
        });
    }
    let mut outcomes: Vec<Option<BulkOutcome>> = ids.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let Ok((index, result)) = joined else {
            continue;
        };
        let approval_id = ids[index].clone();
        outcomes[index] = Some(match result {
            Ok(record) => BulkOutcome {
                approval_id,
                status: Some(record.status),
                error: None,
                exit_code: 0,
            },
            Err(err) => BulkOutcome {
                approval_id,
                status: None,
                exit_code: exit::code_for(&err),
                error: Some(format!("{err:#}")),
            },
        });
    }
    outcomes
        .into_iter()
        .enumerate()
        .map(|(index, o)| {
            o.unwrap_or_else(|| BulkOutcome {
                approval_id: ids[index].clone(),
                status: None,
                error: Some("the decision task failed".into()),
                exit_code: exit::FAILURE,
            })
        })
        .collect()
}

fn report(app: &App, record: &ApprovalRecord) -> anyhow::Result<()> {
    output::one(app.output, record, || {
        output::line(format_args!(
            "{} {} (decided by {})",
            record.status,
            output::one_line(&record.approval_id),
            output::one_line(record.decided_by.as_deref().unwrap_or("unknown"))
        ))
    })
}

#[cfg(test)]
mod tests {
    //! AWS answers `CallbackTimeoutException` where the emulator answers 404;
    //! these run the whole decision against mocked AWS answers.

    use aws_sdk_lambda::operation::get_durable_execution_history::GetDurableExecutionHistoryOutput;
    use aws_sdk_lambda::operation::send_durable_execution_callback_success::SendDurableExecutionCallbackSuccessError;
    use aws_sdk_lambda::types::error::CallbackTimeoutException;
    use aws_sdk_lambda::types::{Event, EventType};
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;
    use aws_smithy_types::DateTime;
    use hitl_approvals::ApprovalStore;

    use super::*;
    use crate::exit;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22T10:30:00Z").unwrap()
    }

    fn pending() -> ApprovalRecord {
        crate::fixtures::record("req-1", Status::Pending)
    }

    use hitl_approvals::test_util::{get_item, update_item};

    fn history(kind: EventType) -> Rule {
        mock!(aws_sdk_lambda::Client::get_durable_execution_history).then_output(move || {
            GetDurableExecutionHistoryOutput::builder()
                .events(
                    Event::builder()
                        .event_type(EventType::CallbackStarted)
                        .event_timestamp(DateTime::from_secs(1_795_000_000))
                        .build(),
                )
                .events(
                    Event::builder()
                        .event_type(kind.clone())
                        .event_timestamp(DateTime::from_secs(1_795_000_100))
                        .build(),
                )
                .build()
                .unwrap()
        })
    }

    async fn approve_against(closed_by: EventType) -> anyhow::Error {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(|| {
                SendDurableExecutionCallbackSuccessError::CallbackTimeoutException(
                    CallbackTimeoutException::builder()
                        .message("Callback timed out or was already completed")
                        .meta(
                            ErrorMetadata::builder()
                                .code("CallbackTimeoutException")
                                .build(),
                        )
                        .build(),
                )
            });
        let history = history(closed_by);
        // Claim, then read after the refusal: still pending, in time.
        let (claimed, read) = (update_item(&pending()), get_item(&pending()));
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&claimed, &read]);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&send, &history]);
        let decider = Decider::new(ApprovalStore::new(dynamodb, "t"), lambda.clone());
        let decision = Decision {
            approval_id: "req-1".into(),
            outcome: Outcome::Approved,
            decided_by: "bob".into(),
            comment: None,
            proof: None,
            on_behalf_of: None,
        };
        decide_one(&decider, &lambda, &decision, now())
            .await
            .unwrap_err()
    }

    #[test]
    fn the_bulk_prompt_shows_ids_escaped() {
        let ids: Vec<String> = crate::fixtures::CORPUS
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let shown = prompt("Approve", &ids);
        assert_eq!(crate::fixtures::raw_control(&shown), None, "{shown:?}");
        assert!(!shown.contains('\n'), "{shown:?}");
        assert!(
            shown.starts_with("Approve 8 requests (evil \\e[2J"),
            "{shown}"
        );
    }

    #[tokio::test]
    async fn callback_timeout_is_explained_by_the_history() {
        let err = approve_against(EventType::CallbackTimedOut).await;
        assert_eq!(exit::code_for(&err), exit::EXPIRED, "{err}");
        assert!(err.to_string().contains("timed out at"), "{err}");

        let err = approve_against(EventType::CallbackSucceeded).await;
        assert_eq!(exit::code_for(&err), exit::ALREADY_DECIDED, "{err}");
        assert!(err.to_string().contains("was already APPROVED"), "{err}");

        let err = approve_against(EventType::ExecutionStopped).await;
        assert_eq!(exit::code_for(&err), exit::ENDED, "{err}");
        assert!(err.to_string().contains("was stopped at"), "{err}");
    }
}
