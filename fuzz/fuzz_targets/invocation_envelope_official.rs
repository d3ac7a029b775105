//! The invocation envelope again, read by AWS's official Rust SDK
//! (`aws-durable-execution-sdk`), through its public entry point
//! `durable::wrap`: arbitrary bytes are read as the Lambda runtime reads
//! them, then the SDK parses the envelope, finds the input, and replays a
//! workflow shaped like the approval workflow (in the SDK's API) against the
//! recorded operations. Its Lambda client never reaches a network: an
//! operation that is not in the history fails its checkpoint at once.
//! Nothing may panic, and every answer must serialise.
#![no_main]

#[path = "no_network.rs"]
mod no_network;

use std::time::Duration;

use aws_durable_execution_sdk::{
    self as durable, BoxError, CallbackErrorKind, DurableContext, OperationErrorKind,
};
use hitl_contract::{DecisionPayload, Outcome, SubmitRequest, Timestamp, WorkflowResult};
use libfuzzer_sys::fuzz_target;
use no_network::{client, runtime};

/// The longest request the workflow accepts in the template's default.
const MAX_REQUEST_TIMEOUT: Duration = Duration::from_secs(7 * 24 * 3600);

/// The approval workflow's sequence of operations, without its AWS calls.
async fn workflow(
    input: serde_json::Value,
    ctx: DurableContext,
) -> Result<WorkflowResult, BoxError> {
    let request: SubmitRequest = serde_json::from_value(input)?;
    let valid = request.validate(MAX_REQUEST_TIMEOUT).is_ok();
    let timeout = request.timeout();
    let expires_at: Timestamp = ctx
        .step(move |_| async move { Ok(Timestamp::now().plus(timeout)) })
        .name("record-request")
        .await?;
    let timeout = Duration::from_secs(Timestamp::now().seconds_until(expires_at).max(1));
    let callback = ctx
        .create_callback::<serde_json::Value>()
        .name("decision")
        .timeout(timeout)
        .await?;
    let callback_id = callback.id().to_owned();
    ctx.step(move |_| async move { Ok(callback_id.len()) })
        .name("publish-callback")
        .await?;
    let notified: Result<Option<String>, _> = ctx
        .step(|_| async { Ok(None) })
        .name("notify-approvers")
        .await;
    if let Err(err) = notified {
        let _ = format!("{err:#}");
    }
    let _ = ctx.is_replaying();
    let decision = match callback.result().await {
        Ok(payload) => Some(DecisionPayload::from_callback(
            Outcome::Approved,
            Some(&payload.to_string()),
            None,
        )),
        Err(err) => match err.kind() {
            OperationErrorKind::Callback(callback) => match callback.kind() {
                CallbackErrorKind::TimedOut { .. } => None,
                _ => {
                    let wire = err.wire();
                    Some(DecisionPayload::from_callback(
                        Outcome::Rejected,
                        wire.and_then(|w| w.error_data()),
                        wire.and_then(|w| w.error_message()),
                    ))
                }
            },
            _ => return Err(err.into()),
        },
    };
    let _: Option<String> = ctx
        .run_in_child_context(|child| async move {
            Ok(child
                .step(|_| async { Ok(None) })
                .name("audit-entry")
                .await?)
        })
        .name("audit")
        .await?;
    ctx.wait(Duration::from_secs(1)).name("cool-down").await?;
    Ok(ctx
        .step(move |_| async move {
            Ok(WorkflowResult {
                approval_id: String::from(if valid { "valid" } else { "invalid" }),
                status: hitl_contract::Status::Expired,
                decided_by: decision.as_ref().and_then(|d| d.decided_by.clone()),
                decided_at: decision.as_ref().and_then(|d| d.decided_at),
                comment: decision.and_then(|d| d.comment),
            })
        })
        .name("record-outcome")
        .await?)
}

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = serde_json::from_slice::<durable::InvocationPayload>(data) else {
        return;
    };
    let options = durable::Options::builder()
        .lambda_client(client())
        .build()
        .expect("options with a client are valid");
    let service = durable::wrap(workflow, options);
    let event = lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default());
    match runtime().block_on(service(event)) {
        Ok(response) => {
            serde_json::to_string(&response).expect("an answer serialises");
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
