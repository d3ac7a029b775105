//! The submit function, behind the stack's IAM-authorised function URL:
//! a `POST` of a request's fields starts its workflow, as `hitl submit`
//! does, for the IAM principal that signed the HTTPS request.

mod handler;

use std::sync::Arc;
use std::time::Duration;

use hitl_approvals::links::KeySource;
use hitl_approvals::ApprovalStore;
use hitl_contract::outputs::env;
use lambda_http::{service_fn, Error, Request};

use crate::handler::SubmitApi;

#[tokio::main]
async fn main() -> Result<(), Error> {
    hitl_approvals::logging::init();
    let api = Arc::new(api_from_env().await?);
    lambda_http::run(service_fn(move |request: Request| {
        let api = Arc::clone(&api);
        async move { Ok::<_, Error>(api.handle(request).await) }
    }))
    .await
}

async fn api_from_env() -> Result<SubmitApi, Error> {
    let var = env::required;
    let table = var(env::APPROVALS_TABLE)?;
    let workflow_function = var(env::WORKFLOW_FUNCTION)?;
    let secret_id = var(env::LINK_SIGNING_SECRET)?;
    let max = var(env::MAX_REQUEST_TIMEOUT_SECONDS)?;
    let max_timeout = max.parse::<u64>().map(Duration::from_secs).map_err(|_| {
        format!(
            "{} is `{max}`, not a number of seconds",
            env::MAX_REQUEST_TIMEOUT_SECONDS
        )
    })?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    Ok(SubmitApi {
        store: ApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), table),
        lambda: aws_sdk_lambda::Client::new(&config),
        workflow_function,
        max_timeout,
        key: KeySource::secret(aws_sdk_secretsmanager::Client::new(&config), secret_id),
    })
}
