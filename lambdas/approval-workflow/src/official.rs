//! The durable approval workflow Lambda on AWS's official Rust SDK
//! (`aws-durable-execution-sdk`): the same sources as `src/main.rs`, which
//! builds them on hitl-durable. The differential test runs both; the
//! README's "Durable runtime" section says which one ships and why.

use aws_durable_execution_sdk as durable;

mod announce;
mod judge;
mod notify;
mod setup;
mod workflow;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    hitl_approvals::logging::init();
    let settings = setup::settings_from_env().await?;
    durable::run(move |input, ctx| {
        let settings = settings.clone();
        async move { workflow::run(ctx, settings, input).await }
    })
    .await
}
