//! The approval workflow: record the request, wait for a decision or the
//! deadline, record the outcome.

use std::time::Duration;

use hitl_contract::{
    ApprovalRecord, ApprovalStore, Created, DecisionPayload, Outcome, Status, StoreError,
    SubmitRequest, Timestamp, WorkflowResult,
};
use hitl_durable::{CallbackConfig, DurableContext, DurableError, ErrorObject, HandlerError};
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use crate::notify::{Notified, Notifier};

/// Why a workflow ends `FAILED`.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("invalid approval request: {0}")]
    Invalid(#[from] hitl_contract::ValidationError),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Durable(#[from] DurableError),
}

impl From<WorkflowError> for HandlerError {
    fn from(err: WorkflowError) -> Self {
        match err {
            WorkflowError::Invalid(_) => {
                HandlerError::new(ErrorObject::new("InvalidRequest", err.to_string()))
            }
            WorkflowError::Conflict(_) => {
                HandlerError::new(ErrorObject::new("ApprovalIdInUse", err.to_string()))
            }
            WorkflowError::Durable(err) => err.into(),
        }
    }
}

/// What the workflow needs from its deployment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store: ApprovalStore,
    pub max_request_timeout: Duration,
    /// The timeout of requests that name none.
    pub default_request_timeout: Duration,
    /// Absent when the deployment has no notification topic.
    pub notifier: Option<std::sync::Arc<Notifier>>,
}

/// The outcome of the step that writes the record. A conflict is a result,
/// not an error, so the step is not retried for it.
#[derive(Debug, Serialize, Deserialize)]
enum Recording {
    Recorded { expires_at: Timestamp },
    Conflict(String),
}

pub async fn run(
    ctx: DurableContext,
    settings: Settings,
    mut request: SubmitRequest,
) -> Result<WorkflowResult, WorkflowError> {
    let id = request.approval_id.clone();
    request
        .timeout_seconds
        .get_or_insert(settings.default_request_timeout.as_secs());
    request.validate(settings.max_request_timeout)?;

    let store = settings.store.clone();
    let arn = ctx.execution_arn().to_owned();
    let notify_request = request.clone();
    let recording = ctx
        .step("record-request", |_| async move {
            let now = Timestamp::now();
            let record = ApprovalRecord::pending(&request, &arn, now);
            match store.create(&record).await {
                Ok(Created::New) | Ok(Created::AlreadyThere) => Ok(Recording::Recorded {
                    expires_at: record.expires_at,
                }),
                Err(err @ StoreError::IdInUse(_)) => Ok(Recording::Conflict(err.to_string())),
                Err(err) => Err(err),
            }
        })
        .await?;
    let expires_at = match recording {
        Recording::Recorded { expires_at } => expires_at,
        Recording::Conflict(message) => return Err(WorkflowError::Conflict(message)),
    };

    // The callback's own timeout enforces the deadline: the service wakes
    // the workflow with TIMED_OUT when it passes.
    let timeout = Duration::from_secs(Timestamp::now().seconds_until(expires_at).max(1));
    let callback = ctx
        .create_callback(
            "decision",
            CallbackConfig {
                timeout: Some(timeout),
                heartbeat_timeout: None,
            },
        )
        .await?;

    let store = settings.store.clone();
    let callback_id = callback.callback_id().to_owned();
    let attach_id = id.clone();
    ctx.step("publish-callback", |_| async move {
        match store.attach_callback(&attach_id, &callback_id).await {
            // Cancelled or decided before we got here: nothing to publish.
            Ok(()) | Err(StoreError::NotPending(_)) => Ok(()),
            Err(err) => Err(err),
        }
    })
    .await?;
    if let Some(notifier) = settings.notifier.clone() {
        // After the callback is published, so the links work at once. A
        // notification that cannot be sent does not fail the request:
        // approvers can still decide with `hitl`.
        let store = settings.store.clone();
        let notified = ctx
            .step("notify-approvers", |_| async move {
                notifier.notify(&store, &notify_request, expires_at).await
            })
            .await;
        match notified {
            Ok(Notified::Sent { message_id }) if !ctx.is_replaying() => {
                info!(approval_id = %id, message_id = message_id.as_deref().unwrap_or(""), "approvers notified");
            }
            Ok(_) => {}
            Err(DurableError::StepFailed { error, .. }) => {
                if !ctx.is_replaying() {
                    warn!(approval_id = %id, error = %error, "approvers could not be notified");
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    if !ctx.is_replaying() {
        info!(approval_id = %id, expires_at = %expires_at, "waiting for a decision");
    }

    // Which callback arrived decides the outcome; its payload only says who.
    let (status, decision) = match callback.result().await {
        Ok(payload) => (
            Status::Approved,
            Some(DecisionPayload::from_callback(
                Outcome::Approved,
                payload.as_deref(),
                None,
            )),
        ),
        Err(DurableError::CallbackFailed { error, .. }) => (
            Status::Rejected,
            Some(DecisionPayload::from_callback(
                Outcome::Rejected,
                error.error_data.as_deref(),
                error.error_message.as_deref(),
            )),
        ),
        Err(DurableError::CallbackTimedOut { .. }) => (Status::Expired, None),
        Err(err) => return Err(err.into()),
    };

    let store = settings.store.clone();
    let finish_id = id.clone();
    // The step keeps only the outcome, not the whole record: checkpoints
    // stay small whatever the request's details hold.
    let outcome: WorkflowResult = ctx
        .step("record-outcome", |_| async move {
            let decided_at = decision
                .as_ref()
                .and_then(|d| d.decided_at)
                .unwrap_or_else(Timestamp::now);
            let decided_by = decision.as_ref().and_then(|d| d.decided_by.as_deref());
            let comment = decision.as_ref().and_then(|d| d.comment.as_deref());
            let record = match store
                .finish(&finish_id, status, decided_by, decided_at, comment)
                .await
            {
                Ok(record) => record,
                // Cancelled meanwhile: the record keeps the status it has.
                Err(StoreError::NotPending(record)) => *record,
                Err(err) => return Err(err),
            };
            Ok(WorkflowResult {
                approval_id: record.approval_id,
                status: record.status,
                decided_by: record.decided_by,
                decided_at: record.decided_at,
                comment: record.comment,
            })
        })
        .await?;
    if !ctx.is_replaying() {
        info!(
            approval_id = %id,
            status = %outcome.status,
            decided_by = outcome.decided_by.as_deref().unwrap_or(""),
            "request closed"
        );
    }
    Ok(outcome)
}
