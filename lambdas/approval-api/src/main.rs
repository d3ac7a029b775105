//! The approval page Lambda, behind a function URL: the links in
//! notifications open it (`GET`), and its form decides (`POST`).

mod handler;
mod http;
mod page;

use std::sync::Arc;

use hitl_approvals::{ApprovalStore, Decider};
use hitl_contract::outputs::env;
use lambda_http::{service_fn, Error, Request};

use hitl_approvals::links::KeySource;

use crate::handler::ApprovalPages;

#[tokio::main]
async fn main() -> Result<(), Error> {
    hitl_approvals::logging::init();
    let pages = Arc::new(pages_from_env().await?);
    lambda_http::run(service_fn(move |request: Request| {
        let pages = Arc::clone(&pages);
        async move { Ok::<_, Error>(pages.handle(request).await) }
    }))
    .await
}

async fn pages_from_env() -> Result<ApprovalPages, Error> {
    let var = env::required;
    let table = var(env::APPROVALS_TABLE)?;
    let secret_id = var(env::LINK_SIGNING_SECRET)?;
    let allow_self_approval = std::env::var(env::ALLOW_SELF_APPROVAL).is_ok_and(|v| v == "true");
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = ApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), table);
    Ok(ApprovalPages {
        decider: Decider::new(store, aws_sdk_lambda::Client::new(&config))
            .allow_self_approval(allow_self_approval),
        key: KeySource::secret(aws_sdk_secretsmanager::Client::new(&config), secret_id),
    })
}
