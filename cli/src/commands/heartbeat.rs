//! `hitl heartbeat ID`: tell the waiting callback the request is still being
//! worked on, for callbacks created with a heartbeat timeout.

use aws_sdk_lambda::error::ProvideErrorMetadata;
use hitl_approvals::{ApprovalStore, DecideError, StoreError};
use hitl_contract::{ApprovalRecord, Status, Timestamp};
use serde::Serialize;

use crate::app::App;
use crate::cli::HeartbeatArgs;
use crate::output;

#[derive(Debug, Serialize)]
struct Sent {
    approval_id: String,
    sent_at: Timestamp,
    expires_at: Timestamp,
}

pub async fn run(app: &App, args: HeartbeatArgs) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let record = match heartbeat(&app.store(), &app.lambda(), &args.id, now).await {
        Ok(record) => record,
        Err(Refused::Closed(record)) => {
            return Err(super::callback_closed::explain(app, &record).await);
        }
        Err(Refused::Other(err)) => return Err(err),
    };
    let sent = Sent {
        approval_id: record.approval_id,
        sent_at: now,
        expires_at: record.expires_at,
    };
    output::one(app.output, &sent, || {
        output::line(format_args!(
            "Heartbeat sent for {} (it expires {})",
            output::one_line(&sent.approval_id),
            output::relative(sent.expires_at, now)
        ))
    })
}

/// Why a heartbeat was not delivered.
#[derive(Debug)]
pub enum Refused {
    /// The service says the callback is closed, yet our record is still
    /// pending and in time: the execution's history has to say why.
    Closed(Box<ApprovalRecord>),
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for Refused {
    fn from(err: E) -> Self {
        Refused::Other(err.into())
    }
}

/// Sends a heartbeat to the request's callback; the record it was sent for.
pub async fn heartbeat(
    store: &ApprovalStore,
    lambda: &aws_sdk_lambda::Client,
    id: &str,
    now: Timestamp,
) -> Result<ApprovalRecord, Refused> {
    let record = pending(store.fetch(id).await?, now)?;
    let Some(callback_id) = record.callback_id.clone() else {
        return Err(DecideError::NotReady(id.to_owned()).into());
    };
    let sent = lambda
        .send_durable_execution_callback_heartbeat()
        .callback_id(callback_id)
        .send()
        .await;
    let err = match sent {
        Ok(_) => return Ok(record),
        Err(err) => err,
    };
    let status = err.raw_response().map(|r| r.status().as_u16());
    let code = err.as_service_error().and_then(|e| e.code());
    let closed = matches!(
        code,
        Some("CallbackTimeoutException" | "ResourceNotFoundException")
    ) || (code.is_none() && status == Some(404));
    if !closed {
        return Err(Refused::Other(
            crate::exit::aws_call(err)
                .context(format!("sending a heartbeat for `{id}`; try again")),
        ));
    }
    // Our record decides what happened first; the history when it cannot.
    let record = pending(store.fetch(id).await?, now)?;
    Err(Refused::Closed(Box::new(record)))
}

/// The record, if it is still pending and in time.
fn pending(record: ApprovalRecord, now: Timestamp) -> Result<ApprovalRecord, StoreError> {
    if record.status != Status::Pending {
        Err(StoreError::NotPending(Box::new(record)))
    } else if record.is_past_expiry(now) {
        Err(StoreError::PastExpiry(Box::new(record)))
    } else {
        Ok(record)
    }
}

#[cfg(test)]
mod tests {

    use aws_sdk_lambda::operation::send_durable_execution_callback_heartbeat::{
        SendDurableExecutionCallbackHeartbeatError, SendDurableExecutionCallbackHeartbeatOutput,
    };
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use super::*;
    use crate::exit;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22T10:30:00Z").unwrap()
    }

    fn record(status: Status, callback: Option<&str>) -> ApprovalRecord {
        let mut record = crate::fixtures::record("req-1", status);
        record.callback_id = callback.map(str::to_owned);
        record
    }

    use hitl_approvals::test_util::{callback_timeout_exception, get_item};

    async fn send(dynamodb: &[&Rule], lambda: &[&Rule]) -> Result<ApprovalRecord, Refused> {
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, dynamodb);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda);
        heartbeat(&ApprovalStore::new(dynamodb, "t"), &lambda, "req-1", now()).await
    }

    fn code(refused: Refused) -> u8 {
        match refused {
            Refused::Other(err) => exit::code_for(&err),
            Refused::Closed(_) => panic!("expected an error the record explains"),
        }
    }

    #[tokio::test]
    async fn a_pending_request_gets_its_heartbeat() {
        let read = get_item(&record(Status::Pending, Some("cb/+=")));
        let beat = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_heartbeat)
            .match_requests(|r| r.callback_id() == Some("cb/+="))
            .then_output(|| SendDurableExecutionCallbackHeartbeatOutput::builder().build());
        send(&[&read], &[&beat]).await.unwrap();
        assert_eq!(beat.num_calls(), 1);
    }

    #[tokio::test]
    async fn nothing_is_sent_for_a_decided_unready_or_expired_request() {
        let mut late = record(Status::Pending, Some("cb"));
        late.expires_at = now();
        let cases = [
            (record(Status::Approved, Some("cb")), exit::ALREADY_DECIDED),
            (record(Status::Cancelled, Some("cb")), exit::ENDED),
            (record(Status::Pending, None), exit::NOT_READY),
            (late, exit::EXPIRED),
        ];
        for (record, expected) in cases {
            let read = get_item(&record);
            let refused = send(&[&read], &[]).await.unwrap_err();
            assert_eq!(code(refused), expected);
        }
    }

    fn timed_out() -> SendDurableExecutionCallbackHeartbeatError {
        SendDurableExecutionCallbackHeartbeatError::CallbackTimeoutException(
            callback_timeout_exception("callback timed out"),
        )
    }

    #[tokio::test]
    async fn a_closed_callback_is_explained_by_the_record_first() {
        let beat = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_heartbeat)
            .then_error(timed_out);
        let (first, second) = (
            get_item(&record(Status::Pending, Some("cb"))),
            get_item(&record(Status::Expired, Some("cb"))),
        );
        let refused = send(&[&first, &second], &[&beat]).await.unwrap_err();
        assert_eq!(code(refused), exit::EXPIRED);
    }

    #[tokio::test]
    async fn a_closed_callback_on_a_live_record_needs_the_history() {
        let beat = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_heartbeat)
            .then_error(timed_out);
        let (first, second) = (
            get_item(&record(Status::Pending, Some("cb"))),
            get_item(&record(Status::Pending, Some("cb"))),
        );
        let refused = send(&[&first, &second], &[&beat]).await.unwrap_err();
        assert!(matches!(refused, Refused::Closed(_)));
    }
}
