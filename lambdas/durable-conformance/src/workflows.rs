//! The conformance workflows, in the official Rust SDK's API, built twice:
//! on hitl-durable (`src/main.rs`) and on AWS's official Rust SDK
//! (`src/official.rs`). `python_workflows.py` beside this crate holds the
//! same workflows on the official Python SDK; the differential test runs all
//! of them under the durable execution emulator and compares their
//! histories. Keep them in step: same workflow names, operation names, order
//! and results.

use std::time::Duration;

use crate::durable::builders::{JitterStrategy, RetryStrategyConfig};
use crate::durable::serdes::SerdesContext;
use crate::durable::{BoxError, DurableContext, Serdes, TypedError};
use serde_json::{json, Value};

/// The timeouts of the timeout workflows: long enough that the first
/// invocation has always completed before they fire (a loaded machine can
/// take over 2 s), so the history's order does not depend on timing. Their
/// Python twins use the same values.
const TIMEOUT_SECONDS: u64 = 6;
const HEARTBEAT_SECONDS: u64 = 6;

#[derive(Debug, serde::Deserialize)]
pub struct Input {
    pub workflow: String,
}

/// A callback's payload as the text its sender sent (the SDK's default
/// decodes it as JSON into a typed value; the twins return it verbatim).
#[derive(Debug, Clone, Copy)]
pub struct Text;

impl Serdes<String> for Text {
    async fn serialize(&self, value: String, _: SerdesContext) -> Result<String, BoxError> {
        Ok(value)
    }

    async fn deserialize(&self, wire: String, _: SerdesContext) -> Result<String, BoxError> {
        Ok(wire)
    }
}

pub async fn run(input: Input, ctx: DurableContext) -> Result<Value, BoxError> {
    match input.workflow.as_str() {
        "steps_only" => steps_only(ctx).await,
        "step_retry_then_success" => step_retry_then_success(ctx).await,
        "callback_success" | "callback_failure" => callback(ctx, 60, 0).await,
        "callback_timeout" => callback(ctx, TIMEOUT_SECONDS, 0).await,
        "heartbeat_timeout" => callback(ctx, 60, HEARTBEAT_SECONDS).await,
        "wait_then_step" => wait_then_step(ctx).await,
        "child_context" => child_context(ctx).await,
        "wait_for_callback" => wait_for_callback(ctx).await,
        other => Err(Box::new(TypedError::with_type(
            "UnknownWorkflow",
            format!("no conformance workflow named {other}"),
        ))),
    }
}

async fn steps_only(ctx: DurableContext) -> Result<Value, BoxError> {
    let first: i64 = ctx.step(|_| async { Ok(2) }).name("first").await?;
    let second: i64 = ctx
        .step(move |_| async move { Ok(first * 10) })
        .name("second")
        .await?;
    let label: String = ctx
        .step(move |_| async move { Ok(format!("total {}", first + second)) })
        .name("label")
        .await?;
    Ok(json!({ "first": first, "second": second, "label": label }))
}

async fn step_retry_then_success(ctx: DurableContext) -> Result<Value, BoxError> {
    let retry = RetryStrategyConfig::builder()
        .max_attempts(3)
        .initial_delay(Duration::from_secs(1))
        .backoff_rate(2.0)
        .max_delay(Duration::from_secs(10))
        .jitter(JitterStrategy::None)
        .build();
    let result: String = ctx
        .step(|step| async move {
            let attempt = step.attempt();
            if attempt < 2 {
                Err(format!("not yet (attempt {attempt})").into())
            } else {
                Ok(format!("done on attempt {attempt}"))
            }
        })
        .name("flaky")
        .retry_strategy_config(retry)
        .await?;
    Ok(json!(result))
}

async fn callback(ctx: DurableContext, timeout: u64, heartbeat: u64) -> Result<Value, BoxError> {
    let mut builder = ctx
        .create_callback::<String>()
        .name("approval")
        .serdes(Text)
        .timeout(Duration::from_secs(timeout));
    if heartbeat > 0 {
        builder = builder.heartbeat(Duration::from_secs(heartbeat));
    }
    let callback = builder.await?;
    let answer = callback.result().await?;
    Ok(json!(answer))
}

async fn wait_then_step(ctx: DurableContext) -> Result<Value, BoxError> {
    ctx.wait(Duration::from_secs(1)).name("pause").await?;
    let after: String = ctx
        .step(|_| async { Ok("awake".to_owned()) })
        .name("after")
        .await?;
    Ok(json!(after))
}

async fn child_context(ctx: DurableContext) -> Result<Value, BoxError> {
    let inner: i64 = ctx
        .run_in_child_context(|child| async move {
            let a: i64 = child.step(|_| async { Ok(20) }).name("load").await?;
            let b: i64 = child
                .step(move |_| async move { Ok(a + 1) })
                .name("check")
                .await?;
            Ok(b)
        })
        .name("prepare")
        .await?;
    let outer: i64 = ctx
        .step(move |_| async move { Ok(inner * 2) })
        .name("finish")
        .await?;
    Ok(json!(outer))
}

async fn wait_for_callback(ctx: DurableContext) -> Result<Value, BoxError> {
    let answer: String = ctx
        .wait_for_callback(|_, _callback_id| async { Ok(()) })
        .name("approval")
        .serdes(Text)
        .timeout(Duration::from_secs(30))
        .await?;
    Ok(json!(answer))
}
