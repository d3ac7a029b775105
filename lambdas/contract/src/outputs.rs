//! Names the deployed stack and the functions' environment agree on.
//!
//! The CLI finds every resource through these CloudFormation output keys;
//! `template.yaml` and the local stack both publish exactly this set (a test
//! in the xtask crate checks the template).

/// Output: the approvals table's name.
pub const APPROVALS_TABLE: &str = "ApprovalsTableName";
/// Output: the durable workflow function's name.
pub const WORKFLOW_FUNCTION: &str = "WorkflowFunctionName";
/// Output: the workflow function's CloudWatch Logs log group.
pub const WORKFLOW_LOG_GROUP: &str = "WorkflowLogGroupName";
/// Output: the approval page function's CloudWatch Logs log group.
pub const API_LOG_GROUP: &str = "ApprovalApiLogGroupName";
/// Output: the base URL of the approval links (the approval page function's URL).
pub const LINKS_BASE_URL: &str = "ApprovalLinksBaseUrl";
/// Output: the SNS topic that notifies approvers.
pub const NOTIFICATION_TOPIC: &str = "NotificationTopicArn";
/// Output: the longest request timeout the workflow accepts, in seconds.
pub const MAX_REQUEST_TIMEOUT: &str = "MaxRequestTimeoutSeconds";
/// Output: `true` when requesters may approve their own requests.
pub const ALLOW_SELF_APPROVAL: &str = "AllowSelfApproval";

/// Output: the submit function's IAM-authorised URL (requests over HTTPS,
/// signed with SigV4).
pub const SUBMIT_URL: &str = "SubmitUrl";

/// Output: the submit function's CloudWatch Logs log group (absent from
/// stacks deployed before the submit function).
pub const SUBMIT_LOG_GROUP: &str = "SubmitApiLogGroupName";

/// Every output key the stack publishes.
pub const ALL: [&str; 10] = [
    APPROVALS_TABLE,
    WORKFLOW_FUNCTION,
    WORKFLOW_LOG_GROUP,
    API_LOG_GROUP,
    LINKS_BASE_URL,
    NOTIFICATION_TOPIC,
    MAX_REQUEST_TIMEOUT,
    ALLOW_SELF_APPROVAL,
    SUBMIT_URL,
    SUBMIT_LOG_GROUP,
];

/// Environment variables of the functions.
pub mod env {
    /// The approvals table's name.
    pub const APPROVALS_TABLE: &str = "APPROVALS_TABLE";
    /// The longest request timeout, in seconds; requests asking for more are refused.
    pub const MAX_REQUEST_TIMEOUT_SECONDS: &str = "MAX_REQUEST_TIMEOUT_SECONDS";
    /// A request's timeout when its submitter names none, in seconds.
    pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: &str = "DEFAULT_REQUEST_TIMEOUT_SECONDS";
    /// How many days DynamoDB keeps a record after its request's deadline
    /// (its `ttl`); 90 when unset.
    pub const RECORD_RETENTION_DAYS: &str = "RECORD_RETENTION_DAYS";
    /// The SNS topic the workflow notifies approvers on.
    pub const NOTIFICATION_TOPIC_ARN: &str = "NOTIFICATION_TOPIC_ARN";
    /// The EventBridge bus (name or ARN) the workflow announces closed
    /// requests on; no events when unset.
    pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";
    /// When to remind approvers of requests that name no times: times
    /// before the deadline and shares of the timeout (`50%,1h`); none when
    /// unset (see [`crate::reminder`]).
    pub const REMINDERS: &str = "REMINDERS";
    /// When pending requests are escalated (template parameter `EscalateAfter`).
    pub const ESCALATE_AFTER: &str = "ESCALATE_AFTER";
    /// To whom (template parameter `EscalateTo`).
    pub const ESCALATE_TO: &str = "ESCALATE_TO";
    /// The topics an escalation may go to (template parameter `EscalationTopics`).
    pub const ESCALATION_TOPICS: &str = "ESCALATION_TOPICS";
    /// Where approval links point: the approval page function's URL.
    pub const LINKS_BASE_URL: &str = "LINKS_BASE_URL";
    /// The workflow function the submit function starts (its name).
    pub const WORKFLOW_FUNCTION: &str = "WORKFLOW_FUNCTION";
    /// The Secrets Manager secret (ARN or name) holding the link signing key.
    pub const LINK_SIGNING_SECRET: &str = "LINK_SIGNING_SECRET";
    /// `true` when requesters may approve their own requests.
    pub const ALLOW_SELF_APPROVAL: &str = "ALLOW_SELF_APPROVAL";
    /// Who may decide requests that name no approvers: a comma-separated
    /// list of principal ARNs, role ARNs and email addresses; empty for
    /// anyone but the requester (see [`crate::policy`]).
    pub const APPROVERS: &str = "APPROVERS";
    /// How many distinct approvals close a request, at least.
    pub const REQUIRED_APPROVALS: &str = "REQUIRED_APPROVALS";
    /// `false` when the workflow counts decisions it has not verified.
    pub const VERIFY_DECIDERS: &str = "VERIFY_DECIDERS";
    /// The STS endpoint the workflow verifies proofs at, when not the
    /// regional one (the SDK's own variable; the local stack sets it).
    pub const STS_ENDPOINT: &str = "AWS_ENDPOINT_URL_STS";

    /// The variable `name`, which template.yaml sets, or what to do when it
    /// is missing.
    pub fn required(name: &str) -> Result<String, String> {
        std::env::var(name)
            .map_err(|_| format!("{name} is not set: deploy the function with template.yaml"))
    }
}
