//! A request's audit trail: everything that happened to it, in time order,
//! as its record proves it — who asked, each approval counted, each
//! decision refused and why, and how it closed (decided, expired,
//! cancelled), each with the principal, how it came and what was said.
//!
//! It is read from the record alone (no execution history), so it lasts as
//! long as the record does (`RecordRetentionDays`).

use serde::Serialize;

use crate::record::{ApprovalRecord, Channel, Evidence, Outcome, Status};
use crate::timestamp::Timestamp;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Happening {
    Requested,
    /// An approval counted (the closing one of an approved request too).
    Approved,
    Rejected,
    /// A decision that reached the workflow and did not count.
    Refused,
    /// Still pending, it was taken to a second audience.
    Escalated,
    Expired,
    Cancelled,
}

impl Happening {
    pub fn as_str(self) -> &'static str {
        match self {
            Happening::Requested => "requested",
            Happening::Approved => "approved",
            Happening::Rejected => "rejected",
            Happening::Refused => "refused",
            Happening::Escalated => "escalated",
            Happening::Expired => "expired",
            Happening::Cancelled => "cancelled",
        }
    }
}

/// One entry of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    pub at: Timestamp,
    pub what: Happening,
    /// The verified principal (or link address); for an unverified step,
    /// the name its sender gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    /// Whom they said they acted for: a note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// A refused decision: the outcome it asked for, the name it claimed,
    /// and why it did not count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// An escalation: whom it went to (approvers added, topics told).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
}

impl Step {
    fn new(at: Timestamp, what: Happening) -> Self {
        Step {
            at,
            what,
            by: None,
            evidence: None,
            channel: None,
            on_behalf_of: None,
            comment: None,
            outcome: None,
            claimed_by: None,
            reason: None,
            to: Vec::new(),
        }
    }
}

/// The trail of `record`, oldest first.
pub fn trail(record: &ApprovalRecord) -> Vec<Step> {
    let audit = &record.audit;
    let mut steps = vec![Step {
        by: Some(record.requester.clone()),
        evidence: Some(audit.requester_evidence),
        on_behalf_of: audit.requested_on_behalf_of.clone(),
        ..Step::new(record.created_at, Happening::Requested)
    }];
    steps.extend(audit.approvals.iter().map(|a| Step {
        by: Some(a.by.clone()),
        evidence: Some(a.evidence),
        channel: Some(Channel::of(a.evidence)),
        on_behalf_of: a.on_behalf_of.clone(),
        comment: a.comment.clone(),
        ..Step::new(a.at, Happening::Approved)
    }));
    steps.extend(audit.refusals.iter().map(|r| Step {
        by: r.principal.clone(),
        channel: r.channel,
        comment: r.comment.clone(),
        outcome: Some(r.outcome),
        claimed_by: r.claimed_by.clone(),
        reason: Some(r.reason.clone()),
        ..Step::new(r.at, Happening::Refused)
    }));
    if let (Some(at), Some(escalation)) = (record.escalated, &record.escalation) {
        steps.push(Step {
            to: escalation.to.clone(),
            ..Step::new(at, Happening::Escalated)
        });
    }
    let at = record.decided_at.unwrap_or(record.expires_at);
    let closing = match record.status {
        Status::Pending => None,
        // Records from before approvals were kept name only the decider.
        Status::Approved if !audit.approvals.is_empty() => None,
        Status::Approved => Some(Happening::Approved),
        Status::Rejected => Some(Happening::Rejected),
        Status::Expired => Some(Happening::Expired),
        Status::Cancelled => Some(Happening::Cancelled),
    };
    if let Some(what) = closing {
        let evidence = audit.decision_evidence;
        steps.push(Step {
            by: record.decided_by.clone(),
            evidence,
            channel: evidence
                .filter(|_| matches!(what, Happening::Approved | Happening::Rejected))
                .map(Channel::of),
            on_behalf_of: audit.decided_on_behalf_of.clone(),
            comment: record.comment.clone(),
            ..Step::new(at, what)
        });
    }
    // Stable: a step recorded in the same instant keeps the order above.
    steps.sort_by_key(|step| step.at);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Approval, Refusal};
    use crate::test_util::sample;

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn a_quorum_request_reads_as_what_happened_in_order() {
        let mut record = sample();
        record.status = Status::Approved;
        record.decided_by = Some("carol@example.com".into());
        record.decided_at = Some(at("2026-11-22T10:40:00Z"));
        record.audit.decision_evidence = Some(Evidence::ApprovalLink);
        record.audit.approvals = vec![
            Approval {
                by: "arn:aws:iam::123456789012:user/bob".into(),
                evidence: Evidence::Sts,
                at: at("2026-11-22T10:20:00Z"),
                comment: Some("fine".into()),
                on_behalf_of: Some("ops".into()),
            },
            Approval {
                by: "carol@example.com".into(),
                evidence: Evidence::ApprovalLink,
                at: at("2026-11-22T10:40:00Z"),
                comment: None,
                on_behalf_of: None,
            },
        ];
        record.audit.refusals = vec![Refusal {
            at: at("2026-11-22T10:30:00Z"),
            outcome: Outcome::Approved,
            principal: Some(record.requester.clone()),
            claimed_by: Some("someone else".into()),
            reason: "its sender requested it".into(),
            channel: Some(Channel::Cli),
            comment: Some("please".into()),
        }];
        let trail = trail(&record);
        let read: Vec<(Happening, Option<&str>, Option<Channel>)> = trail
            .iter()
            .map(|s| (s.what, s.by.as_deref(), s.channel))
            .collect();
        assert_eq!(
            read,
            [
                (Happening::Requested, Some(record.requester.as_str()), None),
                (
                    Happening::Approved,
                    Some("arn:aws:iam::123456789012:user/bob"),
                    Some(Channel::Cli)
                ),
                (
                    Happening::Refused,
                    Some(record.requester.as_str()),
                    Some(Channel::Cli)
                ),
                (
                    Happening::Approved,
                    Some("carol@example.com"),
                    Some(Channel::Link)
                ),
            ]
        );
        assert_eq!(trail[1].on_behalf_of.as_deref(), Some("ops"));
        assert_eq!(trail[2].reason.as_deref(), Some("its sender requested it"));
        assert_eq!(trail[2].comment.as_deref(), Some("please"));
        assert_eq!(trail[2].claimed_by.as_deref(), Some("someone else"));
    }

    #[test]
    fn a_request_closes_with_its_rejection_expiry_or_cancel() {
        for (status, what) in [
            (Status::Rejected, Happening::Rejected),
            (Status::Expired, Happening::Expired),
            (Status::Cancelled, Happening::Cancelled),
        ] {
            let mut record = sample();
            record.status = status;
            record.decided_at = Some(at("2026-11-22T11:00:00Z"));
            record.decided_by = (status != Status::Expired).then(|| "ops".into());
            record.comment = Some("because".into());
            let trail = trail(&record);
            assert_eq!(trail.len(), 2, "{trail:?}");
            let last = &trail[1];
            assert_eq!(last.what, what);
            assert_eq!(last.at, at("2026-11-22T11:00:00Z"));
            assert_eq!(last.comment.as_deref(), Some("because"));
        }
        assert_eq!(trail(&sample()).len(), 1, "pending: only the request");
    }

    #[test]
    fn an_escalation_stands_where_it_happened_with_whom_it_went_to() {
        let mut record = sample();
        record.escalation = Some(crate::escalation::Escalation {
            after_seconds: 600,
            to: vec!["carol@example.com".into()],
        });
        let escalated = record.created_at.plus(std::time::Duration::from_secs(600));
        assert_eq!(trail(&record).len(), 1, "not escalated yet");
        record.escalated = Some(escalated);
        record.status = Status::Approved;
        record.decided_by = Some("carol@example.com".into());
        record.decided_at = Some(escalated.plus(std::time::Duration::from_secs(60)));
        let trail = trail(&record);
        let read: Vec<Happening> = trail.iter().map(|s| s.what).collect();
        assert_eq!(
            read,
            [
                Happening::Requested,
                Happening::Escalated,
                Happening::Approved
            ]
        );
        assert_eq!(trail[1].at, escalated);
        assert_eq!(trail[1].to, ["carol@example.com"]);
    }
}
