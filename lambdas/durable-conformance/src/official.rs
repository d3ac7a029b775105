//! The conformance workflows on AWS's official Rust SDK (see
//! `src/workflows.rs`), and those only it can run (`src/official_only.rs`).

use aws_durable_execution_sdk as durable;

mod official_only;
mod workflows;

async fn run(
    input: workflows::Input,
    ctx: durable::DurableContext,
) -> Result<serde_json::Value, durable::BoxError> {
    match official_only::run(&input.workflow, ctx.clone()).await {
        Some(result) => result,
        None => workflows::run(input, ctx).await,
    }
}

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    durable::run(run).await
}
