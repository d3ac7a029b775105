//! The invocation loop: from the service's event to the final envelope.

use std::future::Future;

use aws_sdk_lambda::types::{OperationAction, OperationType as SdkType, OperationUpdate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{remaining_pages, Shared};
use crate::context::DurableContext;
use crate::error::{DurableError, ErrorObject};
use crate::state::{DurableInvocation, OperationState, OperationType};

/// Results larger than this are checkpointed on the EXECUTION operation
/// instead of being returned inline (Lambda's response limit, less room for
/// the envelope, as the official SDKs reckon it).
pub const INLINE_RESULT_LIMIT: usize = 6 * 1024 * 1024 - 50;

/// What a durable function answers each invocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Envelope {
    pub status: InvocationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InvocationStatus {
    Succeeded,
    Failed,
    Pending,
}

impl Envelope {
    pub fn pending() -> Self {
        Self {
            status: InvocationStatus::Pending,
            result: None,
            error: None,
        }
    }

    pub fn failed(error: ErrorObject) -> Self {
        Self {
            status: InvocationStatus::Failed,
            result: None,
            error: Some(error),
        }
    }

    pub fn succeeded(result: String) -> Self {
        Self {
            status: InvocationStatus::Succeeded,
            result: Some(result),
            error: None,
        }
    }
}

/// An error a handler ends with, reported as the execution's `ErrorObject`;
/// a retryable one (the service was briefly unavailable) fails only this
/// invocation, so Lambda invokes again.
#[derive(Debug)]
pub struct HandlerError {
    pub error: ErrorObject,
    pub retryable: bool,
}

impl HandlerError {
    pub fn new(error: ErrorObject) -> Self {
        Self {
            error,
            retryable: false,
        }
    }
}

impl From<DurableError> for HandlerError {
    fn from(err: DurableError) -> Self {
        Self {
            retryable: err.is_retryable(),
            error: err.to_error_object(),
        }
    }
}

impl From<ErrorObject> for HandlerError {
    fn from(error: ErrorObject) -> Self {
        Self::new(error)
    }
}

/// This invocation failed for a passing reason; the execution goes on.
#[derive(Debug, thiserror::Error)]
#[error("invocation failed, to be retried: {0}")]
pub struct RetryInvocation(pub ErrorObject);

impl From<RetryInvocation> for lambda_runtime::Diagnostic {
    fn from(err: RetryInvocation) -> Self {
        lambda_runtime::Diagnostic {
            error_type: err
                .0
                .error_type
                .clone()
                .unwrap_or_else(|| "RetryInvocation".into()),
            error_message: err.to_string(),
        }
    }
}

/// Serves `handler` as a durable Lambda function until the runtime stops.
pub async fn run<I, O, E, F, Fut>(handler: F) -> Result<(), lambda_runtime::Error>
where
    I: DeserializeOwned + Send,
    O: Serialize + Send,
    E: Into<HandlerError> + Send,
    F: Fn(DurableContext, I) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<O, E>> + Send,
{
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_lambda::Client::new(&config);
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<serde_json::Value>| {
            let client = client.clone();
            let handler = handler.clone();
            async move { handle(client, event.payload, handler).await }
        },
    ))
    .await
}

/// Runs one invocation. Every outcome of the workflow becomes an envelope;
/// only a passing service failure is an `Err`, which fails the invocation
/// so that it is retried.
pub async fn handle<I, O, E, F, Fut>(
    client: aws_sdk_lambda::Client,
    event: serde_json::Value,
    handler: F,
) -> Result<Envelope, RetryInvocation>
where
    I: DeserializeOwned,
    O: Serialize,
    E: Into<HandlerError>,
    F: FnOnce(DurableContext, I) -> Fut,
    Fut: Future<Output = Result<O, E>>,
{
    let invocation: DurableInvocation = match serde_json::from_value(event) {
        Ok(invocation) => invocation,
        Err(err) => {
            return Ok(Envelope::failed(ErrorObject::new(
                "InvalidInvocation",
                format!("not a durable execution invocation ({err}); start the function as a durable execution"),
            )))
        }
    };
    let arn = invocation.durable_execution_arn.clone();
    let token = invocation.checkpoint_token.clone();
    let operations = match all_operations(&client, invocation).await {
        Ok(operations) => operations,
        Err(err) => return settle(err.into()),
    };
    let input_text = operations
        .iter()
        .find(|op| op.kind == OperationType::Execution)
        .and_then(OperationState::input_payload)
        .filter(|text| !text.is_empty())
        .unwrap_or("{}")
        .to_owned();
    let input: I = match serde_json::from_str(&input_text) {
        Ok(input) => input,
        Err(err) => {
            return Ok(Envelope::failed(ErrorObject::new(
                "InvalidInput",
                format!("the execution input does not fit the workflow: {err}"),
            )))
        }
    };

    let shared = Shared::new(arn, token, client, operations);
    let ctx = DurableContext::root(shared.clone());
    let outcome = tokio::select! {
        biased;
        outcome = handler(ctx, input) => Some(outcome),
        () = shared.suspended() => None,
    };
    // Nothing queued may be lost, whatever the invocation ends with.
    if let Err(err) = shared.flush().await {
        return settle(err.into());
    }
    let outcome = match outcome {
        Some(outcome) if !shared.is_suspended() => outcome,
        _ => return Ok(Envelope::pending()),
    };
    match outcome {
        Ok(output) => match serde_json::to_string(&output) {
            Ok(result) if result.len() <= INLINE_RESULT_LIMIT => Ok(Envelope::succeeded(result)),
            Ok(result) => finish_large(&shared, result).await,
            Err(err) => Ok(Envelope::failed(ErrorObject::new(
                "SerializationError",
                format!("the workflow's result cannot be serialised: {err}"),
            ))),
        },
        Err(err) => settle(err.into()),
    }
}

fn settle(err: HandlerError) -> Result<Envelope, RetryInvocation> {
    if err.retryable {
        Err(RetryInvocation(err.error))
    } else {
        Ok(Envelope::failed(err.error))
    }
}

/// A result too large for the envelope is checkpointed on the EXECUTION
/// operation; the envelope then carries an empty result.
async fn finish_large(shared: &Shared, result: String) -> Result<Envelope, RetryInvocation> {
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    let update = OperationUpdate::builder()
        .id(format!("execution-result-{millis}"))
        .r#type(SdkType::Execution)
        .action(OperationAction::Succeed)
        .payload(result)
        .build();
    let update = match update {
        Ok(update) => update,
        Err(err) => {
            return Ok(Envelope::failed(ErrorObject::new(
                "InvalidState",
                err.to_string(),
            )))
        }
    };
    match shared.checkpoint(vec![update]).await {
        Ok(()) => Ok(Envelope::succeeded(String::new())),
        Err(err) => settle(err.into()),
    }
}

/// The invocation's operations, with every further page of state fetched.
async fn all_operations(
    client: &aws_sdk_lambda::Client,
    invocation: DurableInvocation,
) -> Result<Vec<OperationState>, DurableError> {
    let state = invocation.initial_execution_state;
    let mut operations = state.operations;
    operations.extend(
        remaining_pages(
            client,
            &invocation.durable_execution_arn,
            &invocation.checkpoint_token,
            state.next_marker,
        )
        .await?,
    );
    Ok(operations)
}
