//! Errors: the protocol's `ErrorObject`, and what the runtime reports.

use serde::{Deserialize, Serialize};

/// An error as the durable execution protocol carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorObject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_data: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stack_trace: Vec<String>,
}

impl ErrorObject {
    pub fn new(error_type: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error_type: Some(error_type.into()),
            error_message: Some(message.into()),
            ..Self::default()
        }
    }

    pub fn with_data(mut self, data: impl Into<String>) -> Self {
        self.error_data = Some(data.into());
        self
    }

    pub fn from_sdk(e: &aws_sdk_lambda::types::ErrorObject) -> Self {
        Self {
            error_type: e.error_type().map(str::to_owned),
            error_message: e.error_message().map(str::to_owned),
            error_data: e.error_data().map(str::to_owned),
            stack_trace: e.stack_trace().to_vec(),
        }
    }

    pub fn to_sdk(&self) -> aws_sdk_lambda::types::ErrorObject {
        aws_sdk_lambda::types::ErrorObject::builder()
            .set_error_type(self.error_type.clone())
            .set_error_message(self.error_message.clone())
            .set_error_data(self.error_data.clone())
            .set_stack_trace((!self.stack_trace.is_empty()).then(|| self.stack_trace.clone()))
            .build()
    }
}

impl std::fmt::Display for ErrorObject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            self.error_type.as_deref().unwrap_or("Error"),
            self.error_message.as_deref().unwrap_or("")
        )
    }
}

/// What a durable operation can fail with, as seen by workflow code.
#[derive(Debug, Clone, thiserror::Error)]
pub enum DurableError {
    /// A step exhausted its retries; the last attempt's error.
    #[error("step `{name}` failed: {error}")]
    StepFailed { name: String, error: ErrorObject },
    /// A child context ended with an error (recorded on its CONTEXT operation).
    #[error("child context `{name}` failed: {error}")]
    ChildContextFailed { name: String, error: ErrorObject },
    /// A callback was completed with a failure.
    #[error("callback `{name}` failed: {error}")]
    CallbackFailed { name: String, error: ErrorObject },
    /// Nobody completed the callback in time (overall or heartbeat timeout).
    #[error("callback `{name}` timed out")]
    CallbackTimedOut { name: String, error: ErrorObject },
    /// The handler asked for something the recorded history contradicts: the
    /// code changed between invocations of one execution.
    #[error("non-deterministic workflow: {0}")]
    NonDeterministic(String),
    /// Talking to the durable execution service failed; user code must not
    /// run past an unrecorded operation, so the invocation ends here.
    #[error("checkpoint failed: {message}")]
    Checkpoint { message: String, retryable: bool },
    /// A result could not be turned to or from JSON.
    #[error("serialization of `{name}` failed: {message}")]
    Serialization { name: String, message: String },
}

impl DurableError {
    /// Whether another invocation may succeed where this one failed (the
    /// service was throttling or briefly unavailable).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            DurableError::Checkpoint {
                retryable: true,
                ..
            }
        )
    }

    /// The protocol form, for the final `FAILED` envelope.
    pub fn to_error_object(&self) -> ErrorObject {
        match self {
            DurableError::StepFailed { error, .. }
            | DurableError::ChildContextFailed { error, .. } => error.clone(),
            // As the official SDKs report a callback's end: their error class,
            // the message and data the callback carried.
            DurableError::CallbackFailed { error, .. } => ErrorObject {
                error_type: Some("CallbackExternalError".into()),
                error_message: Some(
                    error
                        .error_message
                        .clone()
                        .unwrap_or_else(|| "Callback failed".into()),
                ),
                error_data: error.error_data.clone(),
                stack_trace: error.stack_trace.clone(),
            },
            DurableError::CallbackTimedOut { error, .. } => ErrorObject {
                error_type: Some("CallbackTimeoutError".into()),
                error_message: Some(
                    error
                        .error_message
                        .clone()
                        .unwrap_or_else(|| "Callback timed out".into()),
                ),
                error_data: error.error_data.clone(),
                stack_trace: error.stack_trace.clone(),
            },
            DurableError::NonDeterministic(_) => {
                ErrorObject::new("NonDeterministicExecution", self.to_string())
            }
            DurableError::Checkpoint { .. } => {
                ErrorObject::new("CheckpointFailed", self.to_string())
            }
            DurableError::Serialization { .. } => {
                ErrorObject::new("SerializationError", self.to_string())
            }
        }
    }
}
