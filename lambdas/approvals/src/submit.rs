//! Starting a request's workflow, as both front ends do it: `hitl submit`
//! and the submit function behind the stack's IAM-authorised URL.
//!
//! A request is started at most once for its id. A retry of the very same
//! request answers what the first start did; another request under a used id
//! is refused. The workflow's execution is named by the id, so even two
//! starts that race are one execution (Lambda refuses the second name for
//! other input).

use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::types::InvocationType;
use aws_smithy_types::Blob;
use serde::Serialize;

use hitl_contract::{ApprovalRecord, SubmitRequest};

use crate::store::{ApprovalStore, StoreError};

/// What a submit did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub approval_id: String,
    /// `submitted`, or `already_submitted` when the same request exists.
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_version: Option<String>,
}

impl Submitted {
    pub fn is_new(&self) -> bool {
        self.outcome == "submitted"
    }
}

/// Why a request was not started.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The id is used by another request (`StoreError::IdInUse`), or the
    /// table could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing a version of function `{function}` failed: {message}")]
    Publish { function: String, message: String },
    #[error("PublishVersion of `{function}` returned no version")]
    NoVersion { function: String },
    /// `transient`: Lambda could not be reached or did not answer, and the
    /// same request may be sent again (it starts at most once).
    #[error("starting the workflow `{function}:{version}` failed: {message}")]
    Start {
        function: String,
        version: String,
        message: String,
        transient: bool,
    },
}

impl SubmitError {
    /// Whether sending the same request again may start it.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            SubmitError::Start {
                transient: true,
                ..
            }
        )
    }
}

/// Starts `request` on the workflow `function`, unless a request of that id
/// exists: the same one answers `already_submitted`, another is
/// `StoreError::IdInUse`. The request must be valid already.
pub async fn submit(
    store: &ApprovalStore,
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    request: &SubmitRequest,
) -> Result<Submitted, SubmitError> {
    match store.get(&request.approval_id).await? {
        Some(existing) if same_request(&existing, request) => Ok(Submitted {
            approval_id: existing.approval_id,
            outcome: "already_submitted",
            execution_arn: existing.execution_arn,
            function_version: None,
        }),
        Some(_) => Err(StoreError::IdInUse(request.approval_id.clone()).into()),
        None => start(lambda, function, request).await,
    }
}

/// Publishes the function's current code as a version (Lambda returns the
/// latest version when nothing changed) and starts the execution on it.
pub async fn start(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    request: &SubmitRequest,
) -> Result<Submitted, SubmitError> {
    let published = lambda
        .publish_version()
        .function_name(function)
        .send()
        .await
        .map_err(|err| SubmitError::Publish {
            function: function.to_owned(),
            message: crate::sdk_error::summary(&err),
        })?;
    let version = published
        .version()
        .ok_or_else(|| SubmitError::NoVersion {
            function: function.to_owned(),
        })?
        .to_owned();

    // Serialising a request (strings, numbers, JSON values) cannot fail.
    let payload = serde_json::to_vec(request).unwrap_or_default();
    let invoked = lambda
        .invoke()
        .function_name(function)
        .qualifier(&version)
        .invocation_type(InvocationType::Event)
        .durable_execution_name(&request.approval_id)
        .payload(Blob::new(payload))
        .send()
        .await;
    let out = match invoked {
        Ok(out) => out,
        Err(err) => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            let code = err.as_service_error().and_then(|e| e.code());
            if code == Some("DurableExecutionAlreadyStartedException") || status == Some(409) {
                return Err(StoreError::IdInUse(request.approval_id.clone()).into());
            }
            let transient = err.as_service_error().is_none()
                || status.is_some_and(|s| s >= 500 || s == 429)
                || code.is_some_and(|c| c.contains("Throttl") || c == "TooManyRequestsException");
            return Err(SubmitError::Start {
                function: function.to_owned(),
                version,
                message: crate::sdk_error::summary(&err),
                transient,
            });
        }
    };
    Ok(Submitted {
        approval_id: request.approval_id.clone(),
        outcome: "submitted",
        execution_arn: out.durable_execution_arn().map(str::to_owned),
        function_version: Some(version),
    })
}

/// A short, random, typeable id.
pub fn new_approval_id() -> String {
    let mut bytes = [0u8; 6];
    // Without the OS's randomness nothing else works either; the id then
    // falls back to the clock, still unique enough to retry.
    if getrandom::getrandom(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes.copy_from_slice(&nanos.to_le_bytes()[..6]);
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("apr-{hex}")
}

/// Whether an existing record holds this very request (a retried submit).
pub fn same_request(existing: &ApprovalRecord, request: &SubmitRequest) -> bool {
    existing.title == request.title
        && existing.description == request.description
        && existing.requester == request.requester
        && existing.details == request.details
        && existing.amount.as_deref().map(normalise_decimal)
            == request.amount.as_deref().map(normalise_decimal)
}

/// `1250.50` and `1250.5` are the same amount (DynamoDB drops the zero).
fn normalise_decimal(text: &str) -> String {
    match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use aws_sdk_lambda::operation::invoke::{InvokeError, InvokeOutput};
    use aws_sdk_lambda::operation::publish_version::PublishVersionOutput;
    use aws_sdk_lambda::types::error::DurableExecutionAlreadyStartedException;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn request() -> SubmitRequest {
        SubmitRequest {
            timeout_seconds: Some(3600),
            ..SubmitRequest::new("req-7", "Deploy", "alice")
        }
    }

    fn published() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_lambda::Client::publish_version)
            .match_requests(|req| req.function_name() == Some("wf"))
            .then_output(|| PublishVersionOutput::builder().version("3").build())
    }

    #[tokio::test]
    async fn starts_the_published_version_asynchronously_named_by_the_id() {
        let invoke = mock!(aws_sdk_lambda::Client::invoke)
            .match_requests(|req| {
                let payload: SubmitRequest =
                    serde_json::from_slice(req.payload().map(|b| b.as_ref()).unwrap_or_default())
                        .unwrap();
                req.function_name() == Some("wf")
                    && req.qualifier() == Some("3")
                    && req.invocation_type() == Some(&InvocationType::Event)
                    && req.durable_execution_name() == Some("req-7")
                    && payload == request()
            })
            .then_output(|| {
                InvokeOutput::builder()
                    .status_code(202)
                    .durable_execution_arn("arn:exec")
                    .build()
            });
        let publish = published();
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&publish, &invoke]);
        let submitted = start(&client, "wf", &request()).await.unwrap();
        assert_eq!(submitted.execution_arn.as_deref(), Some("arn:exec"));
        assert_eq!(submitted.function_version.as_deref(), Some("3"));
        assert!(submitted.is_new());
        assert_eq!(invoke.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_execution_name_taken_by_other_input_is_an_id_in_use() {
        let invoke = mock!(aws_sdk_lambda::Client::invoke).then_error(|| {
            InvokeError::DurableExecutionAlreadyStartedException(
                DurableExecutionAlreadyStartedException::builder()
                    .message("exists")
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("DurableExecutionAlreadyStartedException")
                            .build(),
                    )
                    .build(),
            )
        });
        let publish = published();
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&publish, &invoke]);
        let err = start(&client, "wf", &request()).await.unwrap_err();
        assert!(
            matches!(&err, SubmitError::Store(StoreError::IdInUse(id)) if id == "req-7"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn throttling_is_transient_and_a_refusal_is_not() {
        for (code, transient) in [
            ("TooManyRequestsException", true),
            ("ResourceNotFoundException", false),
        ] {
            let invoke = mock!(aws_sdk_lambda::Client::invoke).then_error(move || {
                InvokeError::generic(
                    aws_smithy_types::error::ErrorMetadata::builder()
                        .code(code)
                        .message("no")
                        .build(),
                )
            });
            let publish = published();
            let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&publish, &invoke]);
            let err = start(&client, "wf", &request()).await.unwrap_err();
            assert_eq!(err.is_transient(), transient, "{code}: {err}");
            assert!(err.to_string().contains(code), "{err}");
        }
    }

    #[test]
    fn generated_ids_are_valid() {
        let id = new_approval_id();
        assert!(hitl_contract::payload::is_valid_approval_id(&id), "{id}");
        assert_eq!(id.len(), "apr-".len() + 12);
        assert_ne!(id, new_approval_id());
    }

    #[test]
    fn amounts_compare_as_numbers() {
        assert_eq!(normalise_decimal("1250.50"), "1250.5");
        assert_eq!(normalise_decimal("10.0"), "10");
        assert_eq!(normalise_decimal("7"), "7");
    }
}
