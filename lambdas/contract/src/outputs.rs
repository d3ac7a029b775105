//! Names the deployed stack and the functions' environment agree on.
//!
//! The CLI finds every resource through these CloudFormation output keys;
//! `template.yaml` and the local stack both publish exactly this set (a test
//! in the CLI crate checks the template).

/// Output: the approvals table's name.
pub const APPROVALS_TABLE: &str = "ApprovalsTableName";
/// Output: the durable workflow function's name.
pub const WORKFLOW_FUNCTION: &str = "WorkflowFunctionName";
/// Output: the workflow function's CloudWatch Logs log group.
pub const WORKFLOW_LOG_GROUP: &str = "WorkflowLogGroupName";
/// Output: the longest request timeout the workflow accepts, in seconds.
pub const MAX_REQUEST_TIMEOUT: &str = "MaxRequestTimeoutSeconds";

/// Every output key the CLI reads.
pub const ALL: [&str; 4] = [
    APPROVALS_TABLE,
    WORKFLOW_FUNCTION,
    WORKFLOW_LOG_GROUP,
    MAX_REQUEST_TIMEOUT,
];

/// Environment variables of the workflow function.
pub mod env {
    /// The approvals table's name.
    pub const APPROVALS_TABLE: &str = "APPROVALS_TABLE";
    /// The longest request timeout, in seconds; requests asking for more are refused.
    pub const MAX_REQUEST_TIMEOUT_SECONDS: &str = "MAX_REQUEST_TIMEOUT_SECONDS";
}
