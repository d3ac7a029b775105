//! A callback the service calls closed while our table still says the
//! request is pending and in time, explained from the execution's history.
//!
//! AWS answers `CallbackTimeoutException` for a callback that timed out (its
//! deadline or its heartbeat timeout), that someone already completed, or
//! whose execution stopped; the local emulator answers 404 for all three.
//! Our record is read first (see `hitl_approvals::decide`); when it cannot
//! tell, the history's last callback or execution event does.

use aws_sdk_lambda::types::{Event, EventType};
use hitl_approvals::DecideError;
use hitl_contract::{ApprovalRecord, DecisionPayload, Outcome, Timestamp};

use crate::app::App;

/// What the history says about a closed callback.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallbackClosed {
    #[error("the callback of `{id}` timed out{}: the request can no longer be decided", at_time(.at))]
    TimedOut { id: String, at: Option<Timestamp> },
    #[error("`{id}` was already {outcome}{}{}; run `hitl show {id}`", by_whom(.by), at_time(.at))]
    AlreadyDecided {
        id: String,
        outcome: Outcome,
        by: Option<String>,
        at: Option<Timestamp>,
    },
    #[error("the execution of `{id}` {how}{} without a decision; run `hitl history {id}` to see why", at_time(.at))]
    ExecutionEnded {
        id: String,
        how: &'static str,
        at: Option<Timestamp>,
    },
}

fn at_time(at: &Option<Timestamp>) -> String {
    at.map(|at| format!(" at {at}")).unwrap_or_default()
}

fn by_whom(by: &Option<String>) -> String {
    by.as_ref()
        .map(|by| format!(" by {by}"))
        .unwrap_or_default()
}

/// The error to report for `record`'s closed callback.
pub async fn explain(app: &App, record: &ApprovalRecord) -> anyhow::Error {
    explain_with(&app.lambda(), record).await
}

pub async fn explain_with(
    lambda: &aws_sdk_lambda::Client,
    record: &ApprovalRecord,
) -> anyhow::Error {
    let unexplained =
        || anyhow::Error::from(DecideError::ExecutionClosed(Box::new(record.clone())));
    let Some(arn) = &record.execution_arn else {
        return unexplained();
    };
    match super::history::fetch(lambda, arn).await {
        Ok(events) => match from_history(&record.approval_id, &events) {
            Some(closed) => closed.into(),
            None => unexplained(),
        },
        Err(err) => {
            unexplained().context(format!("(its history could not be read either: {err:#})"))
        }
    }
}

/// The latest event that closes a callback or ends the execution, read.
pub fn from_history(id: &str, events: &[Event]) -> Option<CallbackClosed> {
    let id = id.to_owned();
    events.iter().rev().find_map(|event| {
        let at = super::history::timestamp(event);
        match event.event_type()? {
            EventType::CallbackTimedOut => Some(CallbackClosed::TimedOut { id: id.clone(), at }),
            EventType::CallbackSucceeded => {
                let payload = event
                    .callback_succeeded_details()
                    .and_then(|d| d.result())
                    .and_then(|r| r.payload());
                Some(decided(&id, Outcome::Approved, payload, at))
            }
            EventType::CallbackFailed => {
                let payload = event
                    .callback_failed_details()
                    .and_then(|d| d.error())
                    .and_then(|e| e.payload())
                    .and_then(|e| e.error_data());
                Some(decided(&id, Outcome::Rejected, payload, at))
            }
            EventType::ExecutionStopped => Some(ended(&id, "was stopped", at)),
            EventType::ExecutionFailed => Some(ended(&id, "failed", at)),
            EventType::ExecutionTimedOut => Some(ended(&id, "timed out", at)),
            _ => None,
        }
    })
}

fn decided(
    id: &str,
    outcome: Outcome,
    payload: Option<&str>,
    at: Option<Timestamp>,
) -> CallbackClosed {
    let decision = DecisionPayload::from_callback(outcome, payload, None);
    CallbackClosed::AlreadyDecided {
        id: id.to_owned(),
        outcome,
        by: decision.decided_by,
        at: decision.decided_at.or(at),
    }
}

fn ended(id: &str, how: &'static str, at: Option<Timestamp>) -> CallbackClosed {
    CallbackClosed::ExecutionEnded {
        id: id.to_owned(),
        how,
        at,
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::get_durable_execution_history::GetDurableExecutionHistoryOutput;
    use aws_sdk_lambda::types::{
        CallbackFailedDetails, CallbackSucceededDetails, CallbackTimedOutDetails, ErrorObject,
        EventError, EventResult, ExecutionStoppedDetails,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::DateTime;

    use super::*;
    use crate::exit;

    const AT: i64 = 1_795_000_000_000;

    fn event(kind: EventType) -> aws_sdk_lambda::types::builders::EventBuilder {
        Event::builder()
            .event_type(kind)
            .event_timestamp(DateTime::from_millis(AT))
            .id("c1")
            .name("decision")
    }

    fn started() -> Event {
        event(EventType::CallbackStarted).build()
    }

    fn record() -> ApprovalRecord {
        crate::fixtures::record("req-1", hitl_contract::Status::Pending)
    }

    /// The error `explain` gives when the history holds `events`.
    async fn explained(events: Vec<Event>) -> anyhow::Error {
        let rule = mock!(aws_sdk_lambda::Client::get_durable_execution_history)
            .match_requests(|r| {
                r.durable_execution_arn() == Some("arn:exec")
                    && r.include_execution_data() == Some(true)
            })
            .then_output(move || {
                GetDurableExecutionHistoryOutput::builder()
                    .set_events(Some(events.clone()))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&rule]);
        explain_with(&client, &record()).await
    }

    #[tokio::test]
    async fn a_timed_out_callback_reads_as_expired() {
        let err = explained(vec![
            started(),
            event(EventType::CallbackTimedOut)
                .callback_timed_out_details(CallbackTimedOutDetails::builder().build())
                .build(),
        ])
        .await;
        assert_eq!(exit::code_for(&err), exit::EXPIRED);
        assert_eq!(
            err.to_string(),
            "the callback of `req-1` timed out at 2026-11-18T11:06:40.000Z: the request can no longer be decided"
        );
    }

    #[tokio::test]
    async fn a_callback_completed_elsewhere_names_who_decided() {
        let approved = event(EventType::CallbackSucceeded)
            .callback_succeeded_details(
                CallbackSucceededDetails::builder()
                    .result(
                        EventResult::builder()
                            .payload(r#"{"outcome":"APPROVED","decided_by":"carol","decided_at":"2026-11-22T10:05:00Z"}"#)
                            .build(),
                    )
                    .build(),
            )
            .build();
        let err = explained(vec![started(), approved]).await;
        assert_eq!(exit::code_for(&err), exit::ALREADY_DECIDED);
        assert_eq!(
            err.to_string(),
            "`req-1` was already APPROVED by carol at 2026-11-22T10:05:00.000Z; run `hitl show req-1`"
        );

        let rejected = event(EventType::CallbackFailed)
            .callback_failed_details(
                CallbackFailedDetails::builder()
                    .error(
                        EventError::builder()
                            .payload(
                                ErrorObject::builder()
                                    .error_type("Rejected")
                                    .error_data(r#"{"decided_by":"dave"}"#)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            )
            .build();
        let err = explained(vec![started(), rejected]).await;
        assert!(
            err.to_string()
                .starts_with("`req-1` was already REJECTED by dave at 2026-11-18"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_stopped_execution_reads_as_ended() {
        let stopped = Event::builder()
            .event_type(EventType::ExecutionStopped)
            .event_timestamp(DateTime::from_millis(AT))
            .execution_stopped_details(
                ExecutionStoppedDetails::builder()
                    .error(EventError::builder().build())
                    .build(),
            )
            .build();
        let err = explained(vec![started(), stopped]).await;
        assert_eq!(exit::code_for(&err), exit::ENDED);
        assert!(err.to_string().contains("was stopped at"), "{err}");
    }

    #[tokio::test]
    async fn a_silent_history_keeps_the_generic_answer() {
        let err = explained(vec![started()]).await;
        assert_eq!(exit::code_for(&err), exit::ENDED);
        assert!(
            err.to_string().contains("no longer accepts a decision"),
            "{err}"
        );
    }
}
