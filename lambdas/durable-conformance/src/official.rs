//! The conformance workflows on AWS's official Rust SDK (see
//! `src/workflows.rs`).

use aws_durable_execution_sdk as durable;

mod workflows;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    durable::run(workflows::run).await
}
