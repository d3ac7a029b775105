//! A small runtime for AWS Lambda durable functions.
//!
//! It speaks the durable execution protocol for what an approval workflow
//! needs: the EXECUTION input, checkpointed steps with retries, callbacks
//! with timeouts, durable waits, suspension (`PENDING`), paging of the
//! execution state and checkpoint-token chaining. Its API follows the
//! official SDKs (`step`, `create_callback`, `wait`), so a workflow can move
//! to an official Rust SDK when one is published.
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

mod context;
mod error;
mod runtime;
mod state;

pub use context::{
    operation_id, Callback, CallbackConfig, DurableContext, RetryStrategy, StepConfig, StepContext,
    StepSemantics,
};
pub use error::{DurableError, ErrorObject};
pub use runtime::{
    handle, run, Envelope, HandlerError, InvocationStatus, RetryInvocation, INLINE_RESULT_LIMIT,
};
pub use state::{DurableInvocation, OperationState, OperationStatus, OperationType};
