//! The conformance workflows: one durable function whose input names the
//! workflow to run. `python_workflows.py` beside this crate holds the same
//! workflows written with the official Python SDK; the differential test runs
//! both under the durable execution emulator and compares their histories.
//! Keep the two files in step: same workflow names, operation names, order
//! and results.

use std::time::Duration;

use hitl_durable::{
    CallbackConfig, DurableContext, DurableError, ErrorObject, HandlerError, RetryStrategy,
    StepConfig,
};
use serde_json::{json, Value};

/// The timeouts of the timeout workflows: long enough that the first
/// invocation has always completed before they fire (a loaded machine can
/// take over 2 s), so the history's order does not depend on timing. Their
/// Python twins use the same values.
const TIMEOUT_SECONDS: u64 = 6;
const HEARTBEAT_SECONDS: u64 = 6;

#[derive(Debug, serde::Deserialize)]
struct Input {
    workflow: String,
}

async fn run(ctx: DurableContext, input: Input) -> Result<Value, HandlerError> {
    Ok(match input.workflow.as_str() {
        "steps_only" => steps_only(ctx).await?,
        "step_retry_then_success" => step_retry_then_success(ctx).await?,
        "callback_success" | "callback_failure" => callback(ctx, 60, 0).await?,
        "callback_timeout" => callback(ctx, TIMEOUT_SECONDS, 0).await?,
        "heartbeat_timeout" => callback(ctx, 60, HEARTBEAT_SECONDS).await?,
        "wait_then_step" => wait_then_step(ctx).await?,
        "child_context" => child_context(ctx).await?,
        "wait_for_callback" => wait_for_callback(ctx).await?,
        other => {
            return Err(HandlerError::new(ErrorObject::new(
                "UnknownWorkflow",
                format!("no conformance workflow named {other}"),
            )))
        }
    })
}

async fn steps_only(ctx: DurableContext) -> Result<Value, DurableError> {
    let first: i64 = ctx.step("first", |_| async { Ok::<_, String>(2) }).await?;
    let second: i64 = ctx
        .step(
            "second",
            move |_| async move { Ok::<_, String>(first * 10) },
        )
        .await?;
    let label: String = ctx
        .step("label", move |_| async move {
            Ok::<_, String>(format!("total {}", first + second))
        })
        .await?;
    Ok(json!({ "first": first, "second": second, "label": label }))
}

async fn step_retry_then_success(ctx: DurableContext) -> Result<Value, DurableError> {
    let config = StepConfig {
        retry: RetryStrategy {
            max_attempts: 3,
            initial_delay: Duration::from_secs(1),
            backoff_rate: 2.0,
            max_delay: Duration::from_secs(10),
        },
        ..StepConfig::default()
    };
    let result: String = ctx
        .step_with("flaky", config, |step| async move {
            if step.attempt < 2 {
                Err(format!("not yet (attempt {})", step.attempt))
            } else {
                Ok(format!("done on attempt {}", step.attempt))
            }
        })
        .await?;
    Ok(json!(result))
}

async fn callback(
    ctx: DurableContext,
    timeout: u64,
    heartbeat: u64,
) -> Result<Value, DurableError> {
    let config = CallbackConfig {
        timeout: Some(Duration::from_secs(timeout)),
        heartbeat_timeout: (heartbeat > 0).then(|| Duration::from_secs(heartbeat)),
    };
    let callback = ctx.create_callback("approval", config).await?;
    let answer = callback.result().await?;
    Ok(json!(answer))
}

async fn wait_then_step(ctx: DurableContext) -> Result<Value, DurableError> {
    ctx.wait("pause", Duration::from_secs(1)).await?;
    let after: String = ctx
        .step("after", |_| async { Ok::<_, String>("awake".to_owned()) })
        .await?;
    Ok(json!(after))
}

async fn child_context(ctx: DurableContext) -> Result<Value, DurableError> {
    let inner: i64 = ctx
        .run_in_child_context("prepare", |child| async move {
            let a: i64 = child
                .step("load", |_| async { Ok::<_, String>(20) })
                .await?;
            let b: i64 = child
                .step("check", move |_| async move { Ok::<_, String>(a + 1) })
                .await?;
            Ok(b)
        })
        .await?;
    let outer: i64 = ctx
        .step("finish", move |_| async move { Ok::<_, String>(inner * 2) })
        .await?;
    Ok(json!(outer))
}

async fn wait_for_callback(ctx: DurableContext) -> Result<Value, DurableError> {
    let config = CallbackConfig {
        timeout: Some(Duration::from_secs(30)),
        heartbeat_timeout: None,
    };
    let answer = ctx
        .wait_for_callback("approval", config, |_callback_id| async {
            Ok::<_, String>(())
        })
        .await?;
    Ok(json!(answer))
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hitl_durable::run(run).await
}
