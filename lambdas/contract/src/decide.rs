//! Deciding a request: the one code path every approver's client goes through.
//!
//! Claim, then send, then confirm. The conditional claim picks exactly one
//! winner; the callback wakes the workflow; the final write records the
//! status. A crash after the claim leaves a pending record that names its
//! claimant, and the same decider running the same decision again finishes it.
//! Whether a request can still be decided is read from our table, never
//! inferred from the callback API's answer (which differs between AWS and the
//! local emulator).

use aws_sdk_lambda::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
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
}

impl Decider {
    pub fn new(store: ApprovalStore, lambda: aws_sdk_lambda::Client) -> Self {
        Self { store, lambda }
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
        let id = decision.approval_id.as_str();
        let record = self.store.fetch(id).await?;
        if record.status != Status::Pending {
            return Err(StoreError::NotPending(Box::new(record)).into());
        }
        if record.is_past_expiry(now) {
            return Err(StoreError::PastExpiry(Box::new(record)).into());
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
        self.store.claim(id, &claim, now).await?;

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
            message: DisplayErrorContext(&err).to_string(),
            status,
        }
    }
}
