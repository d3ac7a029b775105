//! The event the workflow publishes when a request closes, for whoever acts
//! on the outcome: an EventBridge event (`source` [`SOURCE`], `detail-type`
//! [`DETAIL_TYPE`]) whose `detail` is a [`Closed`], and an SNS message to the
//! requester whose attribute [`EVENT_ATTRIBUTE`] is [`CLOSED`].
//!
//! Only the workflow's role publishes them (the template denies every other
//! publisher on the topic; the bus is the account's, so rules should match
//! on the workflow's own `source`), and they hold no requester text but the
//! title, so a consumer can act on the status without reading the record.

use serde::{Deserialize, Serialize};

use crate::payload::WorkflowResult;
use crate::record::{ApprovalRecord, Status};
use crate::timestamp::Timestamp;

/// The EventBridge `source` of hitl's events.
pub const SOURCE: &str = "hitl";
/// The EventBridge `detail-type` of a request's closing.
pub const DETAIL_TYPE: &str = "Approval Decided";

/// The SNS message attribute that says what a message is about, so a
/// subscription can filter (`{"event": ["closed"]}`).
pub const EVENT_ATTRIBUTE: &str = "event";
/// Its value on an approver's notification.
pub const REQUESTED: &str = "requested";
/// Its value on a reminder to approvers who have not decided.
pub const REMINDER: &str = "reminder";
/// Its value on an escalation, to the approvers added and the topics named.
pub const ESCALATED: &str = "escalated";
/// Its value on the requester's message that their request closed.
pub const CLOSED: &str = "closed";

/// The `detail` of an `Approval Decided` event (README, "Events").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Closed {
    pub approval_id: String,
    /// `APPROVED`, `REJECTED`, `EXPIRED` or `CANCELLED`.
    pub status: Status,
    pub title: String,
    /// The verified requester.
    pub requester: String,
    /// Who decided (or cancelled); absent when the request expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// What the approver policy asked for and what it got.
    pub policy: PolicyResult,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// The command that shows the whole record and its audit trail.
    pub show: String,
}

/// The approver policy's result when the request closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyResult {
    /// Approvals the policy required.
    pub required: u32,
    /// The approvers counted, in the order they approved.
    pub approved_by: Vec<String>,
    /// Decisions the workflow refused (self-approvals, outsiders, forged).
    pub refused: usize,
}

impl Closed {
    /// The event for a closed record; `None` while it is still open.
    pub fn of(record: &ApprovalRecord) -> Option<Self> {
        if record.status == Status::Pending {
            return None;
        }
        Some(Closed {
            approval_id: record.approval_id.clone(),
            status: record.status,
            title: record.title.clone(),
            requester: record.requester.clone(),
            decided_by: record.decided_by.clone(),
            decided_at: record.decided_at,
            comment: record.comment.clone(),
            policy: PolicyResult {
                required: record.policy.as_ref().map_or(1, |p| p.required),
                approved_by: record
                    .audit
                    .approvals
                    .iter()
                    .map(|a| a.by.clone())
                    .collect(),
                refused: record.audit.refusals.len(),
            },
            execution_arn: record.execution_arn.clone(),
            created_at: record.created_at,
            expires_at: record.expires_at,
            show: format!("hitl show {}", record.approval_id),
        })
    }

    /// The execution's result: the same outcome, without the audit.
    pub fn result(&self) -> WorkflowResult {
        WorkflowResult {
            approval_id: self.approval_id.clone(),
            status: self.status,
            decided_by: self.decided_by.clone(),
            decided_at: self.decided_at,
            comment: self.comment.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::sample;

    #[test]
    fn an_open_request_has_no_event() {
        assert_eq!(Closed::of(&sample()), None);
    }

    #[test]
    fn the_detail_names_the_outcome_and_who_decided() {
        let mut record = sample();
        record.status = Status::Approved;
        record.decided_by = Some("arn:aws:iam::123456789012:user/bob".into());
        let detail = serde_json::to_value(Closed::of(&record).unwrap()).unwrap();
        assert_eq!(detail["approval_id"], "req-42");
        assert_eq!(detail["status"], "APPROVED");
        assert_eq!(detail["decided_by"], "arn:aws:iam::123456789012:user/bob");
        assert_eq!(detail["policy"]["required"], 1);
        assert_eq!(detail["show"], "hitl show req-42");
        assert!(detail.get("comment").is_none());
    }
}
