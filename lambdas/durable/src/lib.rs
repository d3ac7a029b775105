//! A small runtime for AWS Lambda durable functions.
//!
//! It speaks the durable execution protocol for what an approval workflow
//! needs. It was written before AWS published a Rust SDK; it stays while that
//! SDK (`aws-durable-execution-sdk` 0.1.0) fails cases of the differential
//! test that this runtime passes (the README's "Durable runtime" section).
//!
//! # Operations
//!
//! | operation | what it records |
//! |---|---|
//! | [`DurableContext::step`], [`DurableContext::step_with`] | a STEP; retries with a [`RetryStrategy`] (`RETRY` + `NextAttemptDelaySeconds`), at-least-once or at-most-once per attempt ([`StepSemantics`]) |
//! | [`DurableContext::create_callback`], [`Callback::result`] | a CALLBACK with `TimeoutSeconds` and `HeartbeatTimeoutSeconds`; its answer, failure or timeout |
//! | [`DurableContext::wait_for_callback`] | a `WaitForCallback` CONTEXT holding the callback and a submitter step |
//! | [`DurableContext::wait`] | a WAIT (durable timer) |
//! | [`DurableContext::run_in_child_context`] | a named CONTEXT grouping operations |
//! | [`DurableContext::is_replaying`] | nothing: tells side effects such as log lines to happen once |
//!
//! Around them: the EXECUTION input, paging of the execution state (in the
//! invocation and in checkpoint answers), checkpoint-token chaining,
//! suspension (`PENDING`) when an operation cannot finish in this invocation,
//! the final `SUCCEEDED`/`FAILED` envelope, results over the inline limit
//! checkpointed on the EXECUTION operation (6 MiB) or replayed from a child
//! context's children (256 KiB), non-determinism detection (an operation's
//! type, sub type, name or parent changed between invocations), and service
//! failures split into retryable (throttling, 5xx, stale token: the
//! invocation fails and Lambda invokes again) and final (the execution fails).
//! User code never runs past a checkpoint that failed.
//!
//! Workflows use it through [`sdk`]: the subset of AWS's official Rust SDK
//! (`aws-durable-execution-sdk`) they need, with that SDK's names and
//! builders, so a workflow's source builds on either runtime (the approval
//! workflow and the conformance workflows are built on both).
//!
//! Operation ids are the official SDKs' (`blake2b` of the position, per
//! context), and the conformance workflows in `lambdas/durable-conformance`
//! produce histories identical to the official Python SDK's under AWS's
//! durable execution emulator (the differential test).
//!
//! # Intended differences from the official SDKs
//!
//! - **Payloads are plain JSON** (serde). The Python SDK wraps step and
//!   context results in a typed envelope (`{"t": "m", "v": ...}`); histories
//!   match once that envelope is decoded. A function's executions are always
//!   replayed by the SDK that wrote them, so the two never read each other's
//!   payloads.
//! - **`ErrorType` names are short Rust names**: a failing step records its
//!   error type's last path segment (`String`, `StoreError`), and callback
//!   failures end the execution as `CallbackExternalError` /
//!   `CallbackTimeoutError` without the Python module path. Messages and
//!   data are the same.
//! - **No jitter in the default retry strategy** (6 attempts, 5 s doubling to
//!   300 s, like the SDKs' defaults otherwise), so retry delays are exact.
//! - **One operation at a time**: operations are awaited in sequence; there
//!   is no `parallel`, `map`, chained invoke or `wait_for_condition`.
//! - **Batching**: a step's `START` (at least once) and a child context's
//!   `START` travel with the next checkpoint, as in the SDKs; other updates
//!   are sent one call each, as the workflow reaches them.
//!
//! ```no_run
//! use hitl_durable::{DurableContext, DurableError};
//!
//! async fn workflow(ctx: DurableContext, name: String) -> Result<String, DurableError> {
//!     let greeting = ctx
//!         .step("greet", |_| async move { Ok::<_, std::io::Error>(format!("hello {name}")) })
//!         .await?;
//!     let callback = ctx.create_callback("approval", Default::default()).await?;
//!     let answer = callback.result().await?;
//!     Ok(format!("{greeting}: {}", answer.unwrap_or_default()))
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), lambda_runtime::Error> {
//!     hitl_durable::run(workflow).await
//! }
//! ```

mod checkpoint;
mod context;
mod error;
mod runtime;
pub mod sdk;
mod state;

pub use context::{
    operation_id, Callback, CallbackConfig, DurableContext, RetryStrategy, StepConfig, StepContext,
    StepSemantics, CHILD_RESULT_LIMIT,
};
pub use error::{DurableError, ErrorObject};
pub use runtime::{
    handle, run, Envelope, HandlerError, InvocationStatus, RetryInvocation, INLINE_RESULT_LIMIT,
};
pub use state::{DurableInvocation, OperationState, OperationStatus, OperationType};
