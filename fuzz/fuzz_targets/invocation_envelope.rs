//! The durable runtime's invocation envelope: the event the service invokes
//! a durable function with, carrying the execution's recorded operations.
//!
//! Arbitrary bytes go through what a real invocation goes through: they are
//! read as JSON (as the Lambda runtime does), decoded as a
//! `DurableInvocation`, and handed to `hitl_durable::handle`, which finds the
//! execution input on the EXECUTION operation and replays a workflow shaped
//! like the approval workflow against the recorded operations, decoding
//! their results, errors and callback payloads. The client it is given never
//! reaches a network: an operation that is not in the history fails its
//! checkpoint at once, as an unreachable service would. Nothing may panic,
//! and every outcome must be an envelope the runtime can send back.
#![no_main]

#[path = "no_network.rs"]
mod no_network;

use std::time::Duration;

use hitl_contract::{DecisionPayload, Outcome, SubmitRequest, Timestamp, WorkflowResult};
use hitl_durable::{
    CallbackConfig, DurableContext, DurableError, DurableInvocation, Envelope, InvocationStatus,
    OperationType,
};
use libfuzzer_sys::fuzz_target;
use no_network::{client, runtime};
use serde::{Deserialize, Serialize};

/// The longest request the workflow accepts in the template's default.
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The approval workflow's record step result, as it checkpoints it.
#[derive(Debug, Serialize, Deserialize)]
enum Recording {
    Recorded { expires_at: Timestamp },
    Conflict(String),
}

/// The approval workflow's sequence of operations, without its AWS calls.
async fn workflow(
    ctx: DurableContext,
    request: SubmitRequest,
) -> Result<WorkflowResult, DurableError> {
    let valid = request.validate(MAX_REQUEST_TIMEOUT).is_ok();
    let recording: Recording = ctx
        .step("record-request", |_| async move {
            Ok::<_, std::io::Error>(Recording::Recorded {
                expires_at: Timestamp::now().plus(request.timeout()),
            })
        })
        .await?;
    let expires_at = match recording {
        Recording::Recorded { expires_at } => expires_at,
        Recording::Conflict(message) => {
            return Err(DurableError::Serialization {
                name: message,
                message: String::new(),
            })
        }
    };
    let _ = expires_at.to_string();
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
    let callback_id = callback.callback_id().to_owned();
    ctx.step("publish-callback", |_| async move {
        Ok::<_, std::io::Error>(callback_id.len())
    })
    .await?;
    let notified: Result<Option<String>, DurableError> = ctx
        .step("notify-approvers", |_| async {
            Ok::<_, std::io::Error>(None)
        })
        .await;
    if let Err(err) = notified {
        let _ = err.to_error_object();
    }
    let _ = ctx.is_replaying();
    let decision = match callback.result().await {
        Ok(payload) => Some(DecisionPayload::from_callback(
            Outcome::Approved,
            payload.as_deref(),
            None,
        )),
        Err(DurableError::CallbackFailed { error, .. }) => Some(DecisionPayload::from_callback(
            Outcome::Rejected,
            error.error_data.as_deref(),
            error.error_message.as_deref(),
        )),
        Err(DurableError::CallbackTimedOut { .. }) => None,
        Err(err) => return Err(err),
    };
    if let Some(decision) = &decision {
        let _ = decision.to_json();
        if let Some(at) = decision.decided_at {
            let _ = at.to_string();
        }
    }
    // A child context and a durable wait, which the real workflow does not
    // use but the runtime replays the same way.
    let _: Option<String> = ctx
        .run_in_child_context("audit", |child| async move {
            child
                .step("audit-entry", |_| async { Ok::<_, std::io::Error>(None) })
                .await
        })
        .await?;
    ctx.wait("cool-down", Duration::from_secs(1)).await?;
    let result: WorkflowResult = ctx
        .step("record-outcome", |_| async move {
            Ok::<_, std::io::Error>(WorkflowResult {
                approval_id: String::from(if valid { "valid" } else { "invalid" }),
                status: hitl_contract::Status::Expired,
                decided_by: decision.as_ref().and_then(|d| d.decided_by.clone()),
                decided_at: decision.as_ref().and_then(|d| d.decided_at),
                comment: decision.and_then(|d| d.comment),
            })
        })
        .await?;
    if let Some(at) = result.decided_at {
        let _ = at.to_string();
    }
    Ok(result)
}

fuzz_target!(|data: &[u8]| {
    // The typed decoder straight from bytes, and what it carries.
    if let Ok(invocation) = serde_json::from_slice::<DurableInvocation>(data) {
        for op in &invocation.initial_execution_state.operations {
            if op.kind == OperationType::Execution {
                if let Some(input) = op.input_payload() {
                    let _ = serde_json::from_str::<SubmitRequest>(input);
                }
            }
        }
    }

    // The way a real invocation arrives: JSON first, then the runtime.
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let outcome = runtime().block_on(hitl_durable::handle(client(), event, workflow));
    match outcome {
        Ok(envelope) => {
            let text = serde_json::to_string(&envelope).expect("an envelope serialises");
            let back: Envelope = serde_json::from_str(&text).expect("an envelope reads back");
            assert_eq!(back, envelope);
            match envelope.status {
                InvocationStatus::Succeeded => assert!(envelope.result.is_some()),
                InvocationStatus::Failed => assert!(envelope.error.is_some()),
                InvocationStatus::Pending => {}
            }
        }
        Err(retry) => {
            let _ = retry.to_string();
        }
    }
});
