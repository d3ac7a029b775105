//! The durable approval workflow Lambda.

mod workflow;

use std::time::Duration;

use hitl_contract::outputs::env;
use hitl_contract::ApprovalStore;

use crate::workflow::Settings;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let settings = settings_from_env().await?;
    hitl_durable::run(move |ctx, request| {
        let settings = settings.clone();
        async move { workflow::run(ctx, settings, request).await }
    })
    .await
}

async fn settings_from_env() -> Result<Settings, lambda_runtime::Error> {
    let table = std::env::var(env::APPROVALS_TABLE).map_err(|_| {
        format!(
            "{} is not set: the function needs the approvals table's name",
            env::APPROVALS_TABLE
        )
    })?;
    let max = std::env::var(env::MAX_REQUEST_TIMEOUT_SECONDS)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| {
            format!(
                "{} must be a number of seconds",
                env::MAX_REQUEST_TIMEOUT_SECONDS
            )
        })?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Ok(Settings {
        store: ApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), table),
        max_request_timeout: Duration::from_secs(max),
    })
}

/// One JSON object per line on stdout, which Lambda ships to CloudWatch Logs.
fn init_logging() {
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .init();
}
