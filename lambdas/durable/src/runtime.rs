//! The invocation loop: from the service's event to the final envelope.

use std::future::Future;

use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::types::{OperationAction, OperationType as SdkType, OperationUpdate};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::context::{DurableContext, Shared};
use crate::error::{DurableError, ErrorObject};
use crate::state::{DurableInvocation, OperationState, OperationType};

/// Results larger than this are checkpointed on the EXECUTION operation
/// instead of being returned inline in the envelope.
pub const INLINE_RESULT_LIMIT: usize = 256 * 1024;

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

    pub fn succeeded(result: Option<String>) -> Self {
        Self {
            status: InvocationStatus::Succeeded,
            result,
            error: None,
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
            async move { Ok::<_, lambda_runtime::Error>(handle(client, event.payload, handler).await) }
        },
    ))
    .await
}

/// An error a handler ends with: either a durable operation's failure or
/// the workflow's own error, reported as the execution's `ErrorObject`.
#[derive(Debug)]
pub struct HandlerError(pub ErrorObject);

impl From<DurableError> for HandlerError {
    fn from(err: DurableError) -> Self {
        HandlerError(err.to_error_object())
    }
}

impl From<ErrorObject> for HandlerError {
    fn from(err: ErrorObject) -> Self {
        HandlerError(err)
    }
}

/// Runs one invocation and answers with its envelope. Never fails: every
/// problem becomes a `FAILED` envelope that says what went wrong.
pub async fn handle<I, O, E, F, Fut>(
    client: aws_sdk_lambda::Client,
    event: serde_json::Value,
    handler: F,
) -> Envelope
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
            return Envelope::failed(ErrorObject::new(
                "InvalidInvocation",
                format!("not a durable execution invocation ({err}); invoke the function through a durable execution"),
            ))
        }
    };
    let arn = invocation.durable_execution_arn.clone();
    let token = invocation.checkpoint_token.clone();
    let operations = match all_operations(&client, invocation).await {
        Ok(operations) => operations,
        Err(err) => return Envelope::failed(err.to_error_object()),
    };
    let input_text = operations
        .iter()
        .find(|op| op.kind == OperationType::Execution)
        .and_then(|op| op.input_payload().map(str::to_owned));
    let execution_id = operations
        .iter()
        .find(|op| op.kind == OperationType::Execution)
        .map(|op| op.id.clone());
    let input: I = match serde_json::from_str(input_text.as_deref().unwrap_or("null")) {
        Ok(input) => input,
        Err(err) => {
            return Envelope::failed(ErrorObject::new(
                "InvalidInput",
                format!("the execution input does not match the workflow's input type: {err}"),
            ))
        }
    };

    let shared = Shared::new(arn, token, client, operations);
    let ctx = DurableContext::root(shared.clone());
    let outcome = tokio::select! {
        biased;
        outcome = handler(ctx, input) => Some(outcome),
        () = shared.suspended() => None,
    };
    let Some(outcome) = outcome else {
        return Envelope::pending();
    };
    if shared.is_suspended() {
        return Envelope::pending();
    }
    match outcome {
        Ok(output) => match serde_json::to_string(&output) {
            Ok(result) if result.len() <= INLINE_RESULT_LIMIT => Envelope::succeeded(Some(result)),
            Ok(result) => finish_large(&shared, execution_id, result).await,
            Err(err) => Envelope::failed(ErrorObject::new(
                "SerializationError",
                format!("the workflow's result cannot be serialised: {err}"),
            )),
        },
        Err(err) => Envelope::failed(err.into().0),
    }
}

/// A result too large for the envelope is checkpointed on the EXECUTION
/// operation; the envelope then carries no result.
async fn finish_large(shared: &Shared, execution_id: Option<String>, result: String) -> Envelope {
    let Some(id) = execution_id else {
        return Envelope::failed(ErrorObject::new(
            "InvalidState",
            "the execution has no EXECUTION operation",
        ));
    };
    let update = OperationUpdate::builder()
        .id(id)
        .r#type(SdkType::Execution)
        .action(OperationAction::Succeed)
        .payload(result)
        .build();
    let update = match update {
        Ok(update) => update,
        Err(err) => return Envelope::failed(ErrorObject::new("InvalidState", err.to_string())),
    };
    match shared.checkpoint(vec![update]).await {
        Ok(()) => Envelope::succeeded(None),
        Err(err) => Envelope::failed(err.to_error_object()),
    }
}

/// The invocation's operations, with every further page of state fetched.
async fn all_operations(
    client: &aws_sdk_lambda::Client,
    invocation: DurableInvocation,
) -> Result<Vec<OperationState>, DurableError> {
    let mut operations = invocation.initial_execution_state.operations;
    let mut marker = invocation
        .initial_execution_state
        .next_marker
        .filter(|m| !m.is_empty());
    while let Some(next) = marker.take() {
        let page = client
            .get_durable_execution_state()
            .durable_execution_arn(&invocation.durable_execution_arn)
            .checkpoint_token(&invocation.checkpoint_token)
            .marker(next)
            .send()
            .await
            .map_err(|e| DurableError::Checkpoint(DisplayErrorContext(e).to_string()))?;
        for op in page.operations() {
            operations.push(OperationState::from_sdk(op).ok_or_else(|| {
                DurableError::Checkpoint(format!(
                    "operation {} has a type or status this runtime does not know",
                    op.id()
                ))
            })?);
        }
        marker = page
            .next_marker()
            .map(str::to_owned)
            .filter(|m| !m.is_empty());
    }
    Ok(operations)
}
