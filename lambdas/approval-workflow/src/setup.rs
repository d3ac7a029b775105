//! What both builds of the workflow read from their deployment, and how
//! they log.

use std::sync::Arc;
use std::time::Duration;

use hitl_contract::outputs::env;
use hitl_contract::ApprovalStore;

use crate::notify::Notifier;
use crate::workflow::Settings;

pub async fn settings_from_env() -> Result<Settings, lambda_runtime::Error> {
    let table = std::env::var(env::APPROVALS_TABLE).map_err(|_| {
        format!(
            "{} is not set: the function needs the approvals table's name",
            env::APPROVALS_TABLE
        )
    })?;
    let seconds = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("{name} must be a number of seconds"))
    };
    let max = seconds(env::MAX_REQUEST_TIMEOUT_SECONDS)?;
    let default = seconds(env::DEFAULT_REQUEST_TIMEOUT_SECONDS)?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let notifier = match std::env::var(env::NOTIFICATION_TOPIC_ARN) {
        Ok(topic_arn) if !topic_arn.is_empty() => {
            let var = |name: &str| {
                std::env::var(name).map_err(|_| {
                    format!("{name} is not set: notifications need it (see template.yaml)")
                })
            };
            Some(Arc::new(Notifier {
                sns: aws_sdk_sns::Client::new(&config),
                topic_arn,
                links_base_url: var(env::LINKS_BASE_URL)?,
                secrets: aws_sdk_secretsmanager::Client::new(&config),
                secret_id: var(env::LINK_SIGNING_SECRET)?,
                key: Default::default(),
            }))
        }
        _ => None,
    };
    Ok(Settings {
        store: ApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), table),
        max_request_timeout: Duration::from_secs(max),
        default_request_timeout: Duration::from_secs(default),
        notifier,
    })
}

/// One JSON object per line on stdout, which Lambda ships to CloudWatch Logs.
pub fn init_logging() {
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
