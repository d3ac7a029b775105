//! The conformance workflows on hitl-durable (see `src/workflows.rs`).

use hitl_durable::sdk as durable;

mod workflows;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    durable::run(workflows::run).await
}
