//! Deciding a request: the one code path every approver's client goes through.
//!
//! Claim, then send, then confirm. The conditional claim picks exactly one
//! winner; the callback wakes the workflow; the final write records the
//! status. A crash after the claim leaves a pending record that names its
//! claimant, and the same decider running the same decision again finishes it.
//! Whether a request can still be decided is read from our table, never
//! inferred from the callback API's answer (which differs between AWS and the
//! local emulator).

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::types::ErrorObject;
use aws_smithy_types::Blob;

use crate::payload::{DecisionPayload, REJECTED_ERROR_TYPE};
use crate::record::{ApprovalRecord, Claim, Outcome, Status};
use crate::store::{ApprovalStore, StoreError};
use crate::timestamp::Timestamp;

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("approval request `{0}` has no callback yet: its workflow is still starting; try again in a few seconds")]
    NotReady(String),
    #[error("the decision on `{approval_id}` is claimed but its callback was not delivered ({message}); run the same command again to deliver it")]
    Undelivered {
        approval_id: String,
        message: String,
        status: Option<u16>,
    },
    #[error("`{requester}` requested `{approval_id}` and so cannot approve it: this stack does not allow self-approval (template parameter AllowSelfApproval); ask another approver")]
    SelfApproval {
        approval_id: String,
        requester: String,
    },
    #[error("the durable execution of `{}` no longer accepts a decision: it has ended without one; run `hitl show {}` to see why", .0.approval_id, .0.approval_id)]
    ExecutionClosed(Box<ApprovalRecord>),
}

/// One person's decision on one request.
#[derive(Debug, Clone)]
pub struct Decision {
    pub approval_id: String,
    pub outcome: Outcome,
    pub decided_by: String,
    pub comment: Option<String>,
}

/// Decides requests: the approvals table plus the durable callback API.
#[derive(Debug, Clone)]
pub struct Decider {
    store: ApprovalStore,
    lambda: aws_sdk_lambda::Client,
    allow_self_approval: bool,
}

impl Decider {
    /// A decider that refuses self-approval; see [`Decider::allow_self_approval`].
    pub fn new(store: ApprovalStore, lambda: aws_sdk_lambda::Client) -> Self {
        Self {
            store,
            lambda,
            allow_self_approval: false,
        }
    }

    /// Whether a requester may approve their own request (the stack's
    /// `AllowSelfApproval` parameter). Rejecting one's own is always allowed.
    pub fn allow_self_approval(mut self, allowed: bool) -> Self {
        self.allow_self_approval = allowed;
        self
    }

    pub fn store(&self) -> &ApprovalStore {
        &self.store
    }

    /// Records `decision` and delivers it to the waiting execution. Returns
    /// the record in its final status.
    pub async fn decide(
        &self,
        decision: &Decision,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        self.decide_with(decision, None, now).await
    }

    /// Like [`Decider::decide`], through the approval link whose hash is
    /// `link_hash` (see [`crate::links`]): the link must be the record's
    /// current one for the outcome and unused, and it is used up by the same
    /// conditional write that claims the request. Repeating it is refused.
    pub async fn decide_by_link(
        &self,
        decision: &Decision,
        link_hash: &str,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        self.decide_with(decision, Some(link_hash), now).await
    }

    async fn decide_with(
        &self,
        decision: &Decision,
        link_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        let id = decision.approval_id.as_str();
        let record = self.store.fetch(id).await?;
        if let Some(hash) = link_hash {
            if record.link_used.as_deref() == Some(hash) {
                return Err(StoreError::LinkUsed(Box::new(record)).into());
            }
        } else if repeats(&record, decision) {
            // The same decider repeating the decision that won: done already.
            return Ok(record);
        }
        if record.status != Status::Pending {
            return Err(StoreError::NotPending(Box::new(record)).into());
        }
        if record.is_past_expiry(now) {
            return Err(StoreError::PastExpiry(Box::new(record)).into());
        }
        if let Some(hash) = link_hash {
            if record
                .links
                .as_ref()
                .map(|l| l.for_outcome(decision.outcome))
                != Some(hash)
            {
                return Err(StoreError::LinkUnknown(id.to_owned()).into());
            }
        }
        if decision.outcome == Outcome::Approved
            && !self.allow_self_approval
            && decision.decided_by == record.requester
        {
            return Err(DecideError::SelfApproval {
                approval_id: id.to_owned(),
                requester: record.requester,
            });
        }
        let Some(callback_id) = record.callback_id.clone() else {
            return Err(DecideError::NotReady(id.to_owned()));
        };

        let claim = Claim {
            outcome: decision.outcome,
            by: decision.decided_by.clone(),
            at: now,
            comment: decision.comment.clone(),
        };
        match link_hash {
            Some(hash) => self.store.claim_by_link(id, &claim, hash, now).await?,
            None => self.store.claim(id, &claim, now).await?,
        };

        let payload = DecisionPayload {
            outcome: decision.outcome,
            decided_by: Some(decision.decided_by.clone()),
            decided_at: Some(now),
            comment: decision.comment.clone(),
        };
        if let Err(err) = self.send(&callback_id, &payload).await {
            return Err(self.explain_undelivered(id, err, now).await);
        }

        let record = self
            .store
            .finish(
                id,
                decision.outcome.status(),
                Some(&decision.decided_by),
                now,
                decision.comment.as_deref(),
            )
            .await?;
        Ok(record)
    }

    async fn send(&self, callback_id: &str, payload: &DecisionPayload) -> Result<(), SendError> {
        let result = match payload.outcome {
            Outcome::Approved => self
                .lambda
                .send_durable_execution_callback_success()
                .callback_id(callback_id)
                .result(Blob::new(payload.to_json()))
                .send()
                .await
                .map(drop)
                .map_err(SendError::from_sdk),
            Outcome::Rejected => {
                let message = payload.comment.clone().unwrap_or_else(|| {
                    format!(
                        "Rejected by {}",
                        payload.decided_by.as_deref().unwrap_or("an approver")
                    )
                });
                let error = ErrorObject::builder()
                    .error_type(REJECTED_ERROR_TYPE)
                    .error_message(message)
                    .error_data(payload.to_json())
                    .build();
                self.lambda
                    .send_durable_execution_callback_failure()
                    .callback_id(callback_id)
                    .error(error)
                    .send()
                    .await
                    .map(drop)
                    .map_err(SendError::from_sdk)
            }
        };
        result
    }

    /// The callback was refused or not delivered: say why from our own record.
    async fn explain_undelivered(&self, id: &str, err: SendError, now: Timestamp) -> DecideError {
        if !err.callback_closed {
            return DecideError::Undelivered {
                approval_id: id.to_owned(),
                message: err.message,
                status: err.status,
            };
        }
        match self.store.fetch(id).await {
            Err(err) => err.into(),
            Ok(record) if record.status != Status::Pending => {
                StoreError::NotPending(Box::new(record)).into()
            }
            Ok(record) if record.is_past_expiry(now) => {
                StoreError::PastExpiry(Box::new(record)).into()
            }
            Ok(record) => DecideError::ExecutionClosed(Box::new(record)),
        }
    }
}

/// Whether `record` already holds `decision` as its final outcome.
fn repeats(record: &ApprovalRecord, decision: &Decision) -> bool {
    record.status == decision.outcome.status()
        && record.decided_by.as_deref() == Some(decision.decided_by.as_str())
}

/// A failed callback delivery, reduced to what decides the next step.
struct SendError {
    /// The service said the callback cannot take a decision any more: AWS
    /// answers `CallbackTimeoutException` (timed out or already completed),
    /// the local emulator 404.
    callback_closed: bool,
    message: String,
    status: Option<u16>,
}

impl SendError {
    fn from_sdk<E>(err: SdkError<E, aws_sdk_lambda::config::http::HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err
            .as_service_error()
            .and_then(|e| e.code())
            .map(str::to_owned);
        let callback_closed = matches!(
            code.as_deref(),
            Some("CallbackTimeoutException" | "ResourceNotFoundException")
        ) || (code.is_none() && status == Some(404));
        Self {
            callback_closed,
            message: crate::sdk_error::summary(&err),
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The callback API's answers on AWS, which the local emulator does not
    //! reproduce (it answers 404 where AWS answers `CallbackTimeoutException`).

    use std::time::Duration;

    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_lambda::operation::send_durable_execution_callback_failure::SendDurableExecutionCallbackFailureOutput;
    use aws_sdk_lambda::operation::send_durable_execution_callback_success::{
        SendDurableExecutionCallbackSuccessError, SendDurableExecutionCallbackSuccessOutput,
    };
    use aws_sdk_lambda::types::error::CallbackTimeoutException;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;
    use crate::record::tests::sample;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22T10:30:00Z").unwrap()
    }

    fn get(record: ApprovalRecord) -> Rule {
        mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(record.to_item()))
                .build()
        })
    }

    fn update(record: ApprovalRecord) -> Rule {
        mock!(aws_sdk_dynamodb::Client::update_item).then_output(move || {
            UpdateItemOutput::builder()
                .set_attributes(Some(record.to_item()))
                .build()
        })
    }

    fn decider(dynamodb: &[&Rule], lambda: &[&Rule]) -> Decider {
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, dynamodb);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda);
        Decider::new(ApprovalStore::new(dynamodb, "approvals"), lambda)
    }

    fn decision(outcome: Outcome) -> Decision {
        Decision {
            approval_id: "req-42".into(),
            outcome,
            decided_by: "bob".into(),
            comment: Some("looks right".into()),
        }
    }

    fn decided(status: Status) -> ApprovalRecord {
        let mut record = sample();
        record.status = status;
        record.decided_by = Some("bob".into());
        record.decided_at = Some(now());
        record
    }

    fn callback_timeout() -> SendDurableExecutionCallbackSuccessError {
        SendDurableExecutionCallbackSuccessError::CallbackTimeoutException(
            CallbackTimeoutException::builder()
                .message("callback is not active")
                .meta(
                    ErrorMetadata::builder()
                        .code("CallbackTimeoutException")
                        .build(),
                )
                .build(),
        )
    }

    #[tokio::test]
    async fn approval_claims_sends_the_decision_then_records_it() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .match_requests(|req| {
                let payload: serde_json::Value =
                    serde_json::from_slice(req.result().map(|b| b.as_ref()).unwrap_or_default())
                        .unwrap();
                req.callback_id() == Some("cb/with+odd=chars")
                    && payload["outcome"] == "APPROVED"
                    && payload["decided_by"] == "bob"
                    && payload["comment"] == "looks right"
            })
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let (get, claim, finish) = (
            get(sample()),
            update(sample()),
            update(decided(Status::Approved)),
        );
        let decider = decider(&[&get, &claim, &finish], &[&send]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!(
            (claim.num_calls(), send.num_calls(), finish.num_calls()),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn rejection_is_a_callback_failure_carrying_the_decision() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_failure)
            .match_requests(|req| {
                let error = req.error().unwrap();
                let data: serde_json::Value =
                    serde_json::from_str(error.error_data().unwrap()).unwrap();
                error.error_type() == Some(REJECTED_ERROR_TYPE)
                    && error.error_message() == Some("looks right")
                    && data["outcome"] == "REJECTED"
            })
            .then_output(|| SendDurableExecutionCallbackFailureOutput::builder().build());
        let (get, claim, finish) = (
            get(sample()),
            update(sample()),
            update(decided(Status::Rejected)),
        );
        let decider = decider(&[&get, &claim, &finish], &[&send]);
        let record = decider
            .decide(&decision(Outcome::Rejected), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Rejected);
        assert_eq!(send.num_calls(), 1);
    }

    #[tokio::test]
    async fn aws_callback_timeout_after_the_deadline_reads_as_expired() {
        // The workflow recorded EXPIRED between our read and our callback.
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let (first, claim, second) = (
            get(sample()),
            update(sample()),
            get(decided(Status::Expired)),
        );
        let decider = decider(&[&first, &claim, &second], &[&send]);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Store(StoreError::NotPending(ref r)) if r.status == Status::Expired),
            "{err}"
        );
    }

    #[tokio::test]
    async fn aws_callback_timeout_on_a_live_request_says_the_execution_ended() {
        // Still pending and in time, yet the callback is closed: the execution was stopped.
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let (first, claim, second) = (get(sample()), update(sample()), get(sample()));
        let decider = decider(&[&first, &claim, &second], &[&send]);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::ExecutionClosed(_)), "{err}");
        assert!(err.to_string().contains("run `hitl show req-42`"), "{err}");
    }

    #[tokio::test]
    async fn an_undelivered_decision_says_to_run_the_command_again() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_http_response(|| {
                aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(503).unwrap(),
                    aws_smithy_types::body::SdkBody::from("{}"),
                )
            });
        let (first, claim) = (get(sample()), update(sample()));
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&first, &claim]);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&send], |c| c
            .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled()));
        let decider = Decider::new(ApprovalStore::new(dynamodb, "approvals"), lambda);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DecideError::Undelivered {
                    status: Some(503),
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("run the same command again"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn repeating_the_decision_that_won_is_a_success() {
        let read = get(decided(Status::Approved));
        let decider = decider(&[&read], &[]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
    }

    #[tokio::test]
    async fn nothing_is_claimed_for_a_decided_expired_or_unready_request() {
        type Expect = fn(&DecideError) -> bool;
        let cases: [(ApprovalRecord, Expect); 3] = [
            (
                {
                    let mut r = decided(Status::Approved);
                    r.decided_by = Some("carol".into());
                    r
                },
                |e| matches!(e, DecideError::Store(StoreError::NotPending(_))),
            ),
            (
                {
                    let mut r = sample();
                    r.expires_at = now().plus(Duration::ZERO);
                    r
                },
                |e| matches!(e, DecideError::Store(StoreError::PastExpiry(_))),
            ),
            (
                {
                    let mut r = sample();
                    r.callback_id = None;
                    r
                },
                |e| matches!(e, DecideError::NotReady(_)),
            ),
        ];
        for (record, expected) in cases {
            let read = get(record);
            let decider = decider(&[&read], &[]);
            let err = decider
                .decide(&decision(Outcome::Approved), now())
                .await
                .unwrap_err();
            assert!(expected(&err), "unexpected {err}");
        }
    }
}
