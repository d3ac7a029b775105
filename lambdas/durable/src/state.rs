//! The execution state the service hands us: operations and their outcomes.
//!
//! Operations arrive in two dialects: as JSON inside the invocation payload,
//! and as SDK types from `CheckpointDurableExecution` and
//! `GetDurableExecutionState`. Both become one [`OperationState`].

use serde::{Deserialize, Serialize};

use crate::error::ErrorObject;

/// The event a durable function is invoked with.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct DurableInvocation {
    pub durable_execution_arn: String,
    pub checkpoint_token: String,
    #[serde(default)]
    pub initial_execution_state: InitialState,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InitialState {
    #[serde(default)]
    pub operations: Vec<OperationState>,
    #[serde(default)]
    pub next_marker: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationType {
    Execution,
    Context,
    Step,
    Wait,
    Callback,
    ChainedInvoke,
}

impl OperationType {
    pub fn as_str(self) -> &'static str {
        match self {
            OperationType::Execution => "EXECUTION",
            OperationType::Context => "CONTEXT",
            OperationType::Step => "STEP",
            OperationType::Wait => "WAIT",
            OperationType::Callback => "CALLBACK",
            OperationType::ChainedInvoke => "CHAINED_INVOKE",
        }
    }

    /// The `SubType` the official SDKs record for a plain operation of this type.
    pub fn sub_type(self) -> &'static str {
        match self {
            OperationType::Execution => "Execution",
            OperationType::Context => "RunInChildContext",
            OperationType::Step => "Step",
            OperationType::Wait => "Wait",
            OperationType::Callback => "Callback",
            OperationType::ChainedInvoke => "ChainedInvoke",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationStatus {
    Started,
    Pending,
    Ready,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Stopped,
}

/// One operation as the service last recorded it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct OperationState {
    pub id: String,
    #[serde(default)]
    pub parent_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "Type")]
    pub kind: OperationType,
    #[serde(default)]
    pub sub_type: Option<String>,
    pub status: OperationStatus,
    #[serde(default)]
    pub execution_details: Option<ExecutionDetails>,
    #[serde(default)]
    pub step_details: Option<StepDetails>,
    #[serde(default)]
    pub callback_details: Option<CallbackDetails>,
    #[serde(default)]
    pub wait_details: Option<WaitDetails>,
    #[serde(default)]
    pub context_details: Option<ContextDetails>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecutionDetails {
    #[serde(default)]
    pub input_payload: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StepDetails {
    #[serde(default)]
    pub attempt: Option<u32>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorObject>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallbackDetails {
    #[serde(default)]
    pub callback_id: Option<String>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorObject>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct WaitDetails {}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContextDetails {
    /// The result was too large to keep, so replay re-runs the children.
    #[serde(default)]
    pub replay_children: Option<bool>,
    #[serde(default)]
    pub result: Option<String>,
    #[serde(default)]
    pub error: Option<ErrorObject>,
}

impl OperationState {
    /// The execution's input, carried by the EXECUTION operation.
    pub fn input_payload(&self) -> Option<&str> {
        self.execution_details.as_ref()?.input_payload.as_deref()
    }
}

mod from_sdk {
    use aws_sdk_lambda::types as sdk;

    use super::*;

    fn kind(t: &sdk::OperationType) -> Option<OperationType> {
        Some(match t {
            sdk::OperationType::Execution => OperationType::Execution,
            sdk::OperationType::Context => OperationType::Context,
            sdk::OperationType::Step => OperationType::Step,
            sdk::OperationType::Wait => OperationType::Wait,
            sdk::OperationType::Callback => OperationType::Callback,
            sdk::OperationType::ChainedInvoke => OperationType::ChainedInvoke,
            _ => return None,
        })
    }

    fn status(s: &sdk::OperationStatus) -> Option<OperationStatus> {
        Some(match s {
            sdk::OperationStatus::Started => OperationStatus::Started,
            sdk::OperationStatus::Pending => OperationStatus::Pending,
            sdk::OperationStatus::Ready => OperationStatus::Ready,
            sdk::OperationStatus::Succeeded => OperationStatus::Succeeded,
            sdk::OperationStatus::Failed => OperationStatus::Failed,
            sdk::OperationStatus::Cancelled => OperationStatus::Cancelled,
            sdk::OperationStatus::TimedOut => OperationStatus::TimedOut,
            sdk::OperationStatus::Stopped => OperationStatus::Stopped,
            _ => return None,
        })
    }

    impl OperationState {
        /// Converts the SDK's form; `None` for types or statuses this
        /// runtime does not know (a newer service), which callers report.
        pub fn from_sdk(op: &sdk::Operation) -> Option<Self> {
            Some(Self {
                id: op.id().to_owned(),
                parent_id: op.parent_id().map(str::to_owned),
                name: op.name().map(str::to_owned),
                kind: kind(op.r#type())?,
                sub_type: op.sub_type().map(str::to_owned),
                status: status(op.status())?,
                execution_details: op.execution_details().map(|d| ExecutionDetails {
                    input_payload: d.input_payload().map(str::to_owned),
                }),
                step_details: op.step_details().map(|d| StepDetails {
                    attempt: u32::try_from(d.attempt()).ok(),
                    result: d.result().map(str::to_owned),
                    error: d.error().map(ErrorObject::from_sdk),
                }),
                callback_details: op.callback_details().map(|d| CallbackDetails {
                    callback_id: d.callback_id().map(str::to_owned),
                    result: d.result().map(str::to_owned),
                    error: d.error().map(ErrorObject::from_sdk),
                }),
                wait_details: op.wait_details().map(|_| WaitDetails {}),
                context_details: op.context_details().map(|d| ContextDetails {
                    replay_children: d.replay_children(),
                    result: d.result().map(str::to_owned),
                    error: d.error().map(ErrorObject::from_sdk),
                }),
            })
        }
    }
}
