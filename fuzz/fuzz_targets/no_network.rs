//! What both invocation envelope targets share: a Lambda client that never
//! reaches a network (an operation not in the history fails its checkpoint
//! at once, as an unreachable service would) and the runtime they block on.

use std::sync::OnceLock;

use aws_sdk_lambda::config::{BehaviorVersion, Credentials, Region};
use aws_smithy_runtime_api::client::http::{
    http_client_fn, HttpConnector, HttpConnectorFuture, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;

#[derive(Debug)]
struct NoNetwork;

impl HttpConnector for NoNetwork {
    fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
        HttpConnectorFuture::ready(Err(ConnectorError::io("no network while fuzzing".into())))
    }
}

pub fn client() -> aws_sdk_lambda::Client {
    static CLIENT: OnceLock<aws_sdk_lambda::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            let config = aws_sdk_lambda::Config::builder()
                .behavior_version(BehaviorVersion::latest())
                .region(Region::new("eu-west-1"))
                .credentials_provider(Credentials::new("AKIDFUZZ", "fuzz", None, None, "fuzz"))
                .http_client(http_client_fn(|_, _| SharedHttpConnector::new(NoNetwork)))
                .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled())
                .build();
            aws_sdk_lambda::Client::from_conf(config)
        })
        .clone()
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        // Timers on, as in the Lambda runtime: the SDK's identity cache uses them.
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime")
    })
}
