//! Fixtures the crates' unit tests share (feature `test-util`): one
//! approval record, with every field a test may need.

// Test fixtures only: a fixed timestamp that parses.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use crate::record::{ApprovalRecord, Audit, Status, RETENTION_AFTER_EXPIRY};
use crate::timestamp::Timestamp;

/// A pending request, `req-42`, with text that needs escaping, an amount,
/// details, a callback id with odd characters and an execution ARN.
pub fn sample() -> ApprovalRecord {
    let created = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
    let expires = created.plus(Duration::from_secs(86_400));
    ApprovalRecord {
        approval_id: "req-42".into(),
        title: "Deploy <b>prod</b>".into(),
        description: Some("Roll out 1.2.3".into()),
        requester: "alice".into(),
        amount: Some("1250.50".into()),
        details: Some(serde_json::json!({"ticket": "OPS-7", "regions": ["eu-west-1"]})),
        status: Status::Pending,
        callback_id: Some("cb/with+odd=chars".into()),
        execution_arn: Some(
            "arn:aws:lambda:eu-west-1:123456789012:function:wf:1/durable-execution/req-42/abc"
                .into(),
        ),
        created_at: created,
        expires_at: expires,
        decided_at: None,
        decided_by: None,
        comment: None,
        claim: None,
        links: BTreeSet::new(),
        links_used: BTreeSet::new(),
        policy: None,
        reminders: Vec::new(),
        reminded: Vec::new(),
        escalation: None,
        escalated: None,
        ttl: expires.plus(RETENTION_AFTER_EXPIRY).unix_seconds(),
        audit: Audit::default(),
    }
}
