//! The durable approval workflow Lambda, on hitl-durable (this repository's
//! runtime) through its official-SDK-shaped API. `src/official.rs` builds
//! the same workflow on AWS's official Rust SDK; the two differ in this one
//! `use` (see the README's "Durable runtime" section).

use hitl_durable::sdk as durable;

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
