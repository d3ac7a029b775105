//! Records and mocked answers the unit tests share.

use std::time::Duration;

use hitl_contract::{ApprovalRecord, Status, Timestamp};

/// The creation time of [`record`]'s requests.
pub const CREATED: &str = "2026-11-22T10:00:00Z";

/// A request by alice created at [`CREATED`], an hour to live, its callback
/// `cb` published, execution `arn:exec`.
pub fn record(id: &str, status: Status) -> ApprovalRecord {
    let created = Timestamp::parse(CREATED).unwrap();
    ApprovalRecord {
        approval_id: id.into(),
        title: "Deploy".into(),
        description: None,
        requester: "alice".into(),
        amount: None,
        details: None,
        status,
        callback_id: Some("cb".into()),
        execution_arn: Some("arn:exec".into()),
        created_at: created,
        expires_at: created.plus(Duration::from_secs(3600)),
        decided_at: None,
        decided_by: None,
        comment: None,
        claim: None,
        links: Default::default(),
        links_used: Default::default(),
        policy: None,
        reminders: Vec::new(),
        reminded: Vec::new(),
        escalation: None,
        escalated: None,
        ttl: 0,
        audit: Default::default(),
    }
}

/// Escape sequences as an attacker writes them into a record.
pub const CORPUS: [&str; 8] = [
    "evil \u{1b}[2J\u{1b}[31mRED\u{1b}]0;pwned\u{7} title",
    "osc \u{1b}]8;;https://evil.example\u{1b}\\link\u{1b}]8;;\u{1b}\\",
    "c1 csi \u{9b}2J\u{9b}31m",
    "del \u{7f}\u{7f}",
    "rlo \u{202e}gpj.exe",
    "nul \0",
    "cr \rAPPROVED",
    "lf\nApprove: https://evil.example",
];

/// The first character of `text` that would act on a terminal.
pub fn raw_control(text: &str) -> Option<char> {
    text.chars()
        .find(|&c| c != '\n' && hitl_contract::text::is_unsafe(c))
}

/// CloudFormation's answer for a deployed `hitl` stack with every output
/// the CLI reads.
pub fn described_stack() -> aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput
{
    use aws_sdk_cloudformation::types::{Output, Stack, StackStatus};
    use hitl_contract::outputs;
    let output = |k: &str, v: &str| Output::builder().output_key(k).output_value(v).build();
    aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput::builder()
        .stacks(
            Stack::builder()
                .stack_name("hitl")
                .stack_id("arn:aws:cloudformation:eu-west-1:123456789012:stack/hitl/0f1e")
                .stack_status(StackStatus::CreateComplete)
                .creation_time(aws_smithy_types::DateTime::from_secs(0))
                .outputs(output(outputs::APPROVALS_TABLE, "hitl-approvals"))
                .outputs(output(outputs::WORKFLOW_FUNCTION, "hitl-workflow"))
                .outputs(output(
                    outputs::WORKFLOW_LOG_GROUP,
                    "/aws/lambda/hitl-workflow",
                ))
                .outputs(output(outputs::MAX_REQUEST_TIMEOUT, "604800"))
                .outputs(output(outputs::API_LOG_GROUP, "/aws/lambda/hitl-api"))
                .outputs(output(outputs::LINKS_BASE_URL, "https://x.lambda-url/"))
                .outputs(output(outputs::NOTIFICATION_TOPIC, "arn:aws:sns:r:1:t"))
                .outputs(output(outputs::ALLOW_SELF_APPROVAL, "false"))
                .build(),
        )
        .build()
}
