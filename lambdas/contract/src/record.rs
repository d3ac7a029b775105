//! The approval record and its DynamoDB item form.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use crate::escalation::Escalation;
use crate::payload::SubmitRequest;
use crate::policy::ApproverPolicy;
use crate::proof::DecisionProof;
use crate::timestamp::Timestamp;

/// Attribute names of the DynamoDB item, in one place.
pub mod attr {
    pub const APPROVAL_ID: &str = "approval_id";
    pub const TITLE: &str = "title";
    pub const DESCRIPTION: &str = "description";
    pub const REQUESTER: &str = "requester";
    pub const AMOUNT: &str = "amount";
    /// The amount as it was submitted (`1250.00`): DynamoDB keeps a number
    /// without its trailing zeros, and people read it as they wrote it.
    pub const AMOUNT_AS_SUBMITTED: &str = "amount_as_submitted";
    pub const DETAILS: &str = "details";
    pub const STATUS: &str = "status";
    pub const CALLBACK_ID: &str = "callback_id";
    pub const EXECUTION_ARN: &str = "execution_arn";
    pub const CREATED_AT: &str = "created_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const DECIDED_AT: &str = "decided_at";
    pub const DECIDED_BY: &str = "decided_by";
    pub const COMMENT: &str = "comment";
    pub const TTL: &str = "ttl";
    pub const CLAIM_OUTCOME: &str = "claim_outcome";
    pub const CLAIM_BY: &str = "claim_by";
    pub const CLAIM_AT: &str = "claim_at";
    pub const CLAIM_COMMENT: &str = "claim_comment";
    pub const LINKS: &str = "links";
    pub const LINKS_USED: &str = "links_used";
    pub const CLAIM_PROOF: &str = "claim_proof";
    pub const REQUESTER_EVIDENCE: &str = "requester_evidence";
    pub const REQUESTED_ON_BEHALF_OF: &str = "requested_on_behalf_of";
    pub const DECISION_EVIDENCE: &str = "decision_evidence";
    pub const DECIDED_ON_BEHALF_OF: &str = "decided_on_behalf_of";
    pub const REFUSALS: &str = "refusals";
    pub const POLICY: &str = "policy";
    pub const APPROVALS: &str = "approvals";
    pub const REMINDERS: &str = "reminders";
    pub const REMINDED: &str = "reminded";
    pub const ESCALATION: &str = "escalation";
    pub const ESCALATED: &str = "escalated";
}

/// The table's secondary index that lists records of one status, newest first.
pub const STATUS_INDEX: &str = "by-status";

/// How long DynamoDB keeps a record after its request expired (the `ttl`
/// attribute) when the stack sets no retention (`RecordRetentionDays`).
pub const RETENTION_AFTER_EXPIRY: Duration = Duration::from_secs(90 * 24 * 3600);

/// Who a decision made through an unaddressed approval link (an open
/// policy's, sent to every subscriber) is recorded as: nobody in particular.
pub const LINK_DECIDER: &str = "approval link";

/// How long a claim blocks other deciders. A decision claimed but not
/// delivered within it (the decider crashed, was interrupted or throttled)
/// no longer blocks: another approver may claim the request, or `hitl
/// cancel` it. Until then the claimant, and only the claimant, can deliver
/// it by trying again; and whoever holds the claim when the deadline passes
/// has it recorded by the workflow.
pub const CLAIM_LEASE: Duration = Duration::from_secs(120);

/// Where a request stands. `Pending` is the only status that can change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pending,
    Approved,
    Rejected,
    Expired,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Approved,
        Status::Rejected,
        Status::Expired,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Approved => "APPROVED",
            Status::Rejected => "REJECTED",
            Status::Expired => "EXPIRED",
            Status::Cancelled => "CANCELLED",
        }
    }

    /// Whether the status machine allows `self → next`: only out of `Pending`.
    pub fn can_become(self, next: Status) -> bool {
        self == Status::Pending && next != Status::Pending
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|status| status.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| RecordError::Invalid {
                attribute: attr::STATUS,
                reason: format!("unknown status `{s}`"),
            })
    }
}

/// What a person decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Approved,
    Rejected,
}

impl Outcome {
    pub fn status(self) -> Status {
        match self {
            Outcome::Approved => Status::Approved,
            Outcome::Rejected => Status::Rejected,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status().as_str())
    }
}

impl FromStr for Outcome {
    type Err = RecordError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<Status>()? {
            Status::Approved => Ok(Outcome::Approved),
            Status::Rejected => Ok(Outcome::Rejected),
            other => Err(RecordError::Invalid {
                attribute: attr::CLAIM_OUTCOME,
                reason: format!("`{other}` is not a decision"),
            }),
        }
    }
}

/// A decision that won the conditional write but whose callback may not have
/// been delivered yet. The record stays `Pending` until the decision is
/// confirmed, so a crash between the write and the callback never leaves a
/// record that looks decided while its execution still waits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub outcome: Outcome,
    pub by: String,
    pub at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// The claimant's proof of identity, which the workflow checks before it
    /// records the claim at the deadline. Never shown.
    #[serde(skip)]
    pub proof: Option<DecisionProof>,
}

impl Claim {
    /// When the claim stops blocking other deciders (see [`CLAIM_LEASE`]).
    pub fn released_at(&self) -> Timestamp {
        self.at.plus(CLAIM_LEASE)
    }

    /// Whether the lease has passed at `now`, so the claim blocks nobody.
    pub fn is_stale(&self, now: Timestamp) -> bool {
        now >= self.released_at()
    }
}

/// One approval request, as stored in the approvals table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub approval_id: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub requester: String,
    /// A decimal number kept as its text, so no precision is lost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution_arn: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claim: Option<Claim>,
    /// The hashes of the approval links last sent out, every approver's
    /// two (see `hitl_approvals::links`); a string set, absent when empty.
    #[serde(skip)]
    pub links: BTreeSet<String>,
    /// The hashes of the links used to decide: each decides once.
    #[serde(skip)]
    pub links_used: BTreeSet<String>,
    /// Who may decide and how many approvals close it; absent on records
    /// written before policies existed (anyone but the requester, one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ApproverPolicy>,
    /// When pending approvers are reminded, in seconds before the deadline
    /// (see [`crate::reminder`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminders: Vec<u64>,
    /// The reminders sent so far, each by the time it was due.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reminded: Vec<Timestamp>,
    /// When and to whom the request is escalated while pending (see
    /// [`crate::escalation`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalation: Option<Escalation>,
    /// When it was escalated (the time it was due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalated: Option<Timestamp>,
    /// Epoch seconds after which DynamoDB may delete the item.
    pub ttl: i64,
    /// Who is proven to have asked and decided, and the attempts refused.
    #[serde(flatten)]
    pub audit: Audit,
}

/// How the record knows who asked or decided.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// STS named the principal whose signed proof came with it.
    Sts,
    /// The approval page vouched (with the link key) that one of the
    /// request's links was used.
    ApprovalLink,
    /// The submit function vouched (with the link key) for the principal
    /// Lambda verified behind its IAM-authorised function URL.
    FunctionUrl,
    /// Nobody checked: the name is what the sender wrote (the stack's
    /// verification is off, or a request came without a proof).
    #[default]
    Unverified,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Sts => "sts",
            Evidence::ApprovalLink => "approval_link",
            Evidence::FunctionUrl => "function_url",
            Evidence::Unverified => "unverified",
        }
    }
}

impl Evidence {
    /// The evidence stored in `item`'s attribute `name`, if any; an unknown
    /// value is an error naming that attribute.
    fn read(item: &Item, name: &'static str) -> Result<Option<Self>, RecordError> {
        optional_s(item, name)?
            .map(|text| {
                [
                    Evidence::Sts,
                    Evidence::ApprovalLink,
                    Evidence::FunctionUrl,
                    Evidence::Unverified,
                ]
                .into_iter()
                .find(|e| e.as_str() == text)
                .ok_or_else(|| RecordError::Invalid {
                    attribute: name,
                    reason: format!("unknown evidence `{text}`"),
                })
            })
            .transpose()
    }
}

/// The record's audit trail of identity: what was proven, what people said
/// they acted for, and every decision the workflow refused.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    #[serde(default)]
    pub requester_evidence: Evidence,
    /// Whom the requester said they asked for (`hitl submit --requester`):
    /// a note; no rule reads it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested_on_behalf_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_evidence: Option<Evidence>,
    /// Whom the decider said they decided for (`hitl approve --as`): a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_on_behalf_of: Option<String>,
    /// Every approval the workflow counted, the closing one last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvals: Vec<Approval>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub refusals: Vec<Refusal>,
}

/// An approval the workflow counted toward the request's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The verified principal (or, unverified, the name the sender gave).
    pub by: String,
    pub evidence: Evidence,
    /// The workflow's clock.
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
}

/// A decision that reached the workflow and did not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub at: Timestamp,
    pub outcome: Outcome,
    /// The principal STS named, when the proof got that far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal: Option<String>,
    /// The name the sender's payload gave, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    pub reason: String,
    /// How it came: absent on refusals recorded before channels were.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Channel>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// How a decision reached the workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// With an STS proof, as `hitl` sends it.
    Cli,
    /// Through an approval link, vouched for by the approval page.
    Link,
    /// A callback with no proof (any tool that can send it).
    Callback,
}

impl Channel {
    /// The channel a decision with this evidence came by.
    pub fn of(evidence: Evidence) -> Self {
        match evidence {
            // Only requests come through the function URL; like `hitl`'s
            // proofs, it is an IAM signature.
            Evidence::Sts | Evidence::FunctionUrl => Channel::Cli,
            Evidence::ApprovalLink => Channel::Link,
            Evidence::Unverified => Channel::Callback,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Cli => "cli",
            Channel::Link => "link",
            Channel::Callback => "callback",
        }
    }
}

/// How many refused decisions a request keeps waiting through. Each costs the
/// execution four operations (callback, judgement, refusal, new callback id),
/// so the bound keeps a request's history far below the service's 3,000.
pub const MAX_REFUSALS: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the approval record has no `{0}` attribute")]
    Missing(&'static str),
    #[error("the approval record's `{attribute}` attribute is invalid: {reason}")]
    Invalid {
        attribute: &'static str,
        reason: String,
    },
}

pub type Item = HashMap<String, AttributeValue>;

impl ApprovalRecord {
    /// The record kept until `retention` after its deadline (the stack's
    /// audit retention) instead of [`RETENTION_AFTER_EXPIRY`].
    pub fn retained_for(mut self, retention: Duration) -> Self {
        self.ttl = self.expires_at.plus(retention).unix_seconds();
        self
    }

    /// The record a new request starts as: pending, expiring after the
    /// request's timeout, kept by DynamoDB until its retention ends.
    pub fn pending(request: &SubmitRequest, execution_arn: &str, now: Timestamp) -> Self {
        let expires_at = now.plus(request.timeout());
        Self {
            approval_id: request.approval_id.clone(),
            title: request.title.clone(),
            description: request.description.clone(),
            requester: request.requester.clone(),
            amount: request.amount.clone(),
            details: request.details.clone(),
            status: Status::Pending,
            callback_id: None,
            execution_arn: Some(execution_arn.to_owned()),
            created_at: now,
            expires_at,
            decided_at: None,
            decided_by: None,
            comment: None,
            claim: None,
            links: BTreeSet::new(),
            links_used: BTreeSet::new(),
            ttl: expires_at.plus(RETENTION_AFTER_EXPIRY).unix_seconds(),
            policy: request.policy.clone(),
            reminders: request.reminders.clone().unwrap_or_default(),
            reminded: Vec::new(),
            escalation: match (request.escalate_after_seconds, &request.escalate_to) {
                (Some(after_seconds @ 1..), Some(to)) if !to.is_empty() => Some(Escalation {
                    after_seconds,
                    to: to.clone(),
                }),
                _ => None,
            },
            escalated: None,
            audit: Audit {
                requested_on_behalf_of: request.on_behalf_of.clone(),
                ..Audit::default()
            },
        }
    }

    /// How many approvals close the request (one on records from before
    /// policies existed).
    pub fn required_approvals(&self) -> u32 {
        self.policy.as_ref().map_or(1, |p| p.required)
    }

    /// Whether the workflow already counted `principal`'s approval.
    pub fn counts_approval_of(&self, principal: &str) -> bool {
        self.audit
            .approvals
            .iter()
            .any(|a| crate::policy::same_person(&a.by, principal))
    }

    /// Whether the request can no longer be decided because its time is up,
    /// even if the workflow has not recorded `Expired` yet (DynamoDB TTL is
    /// lazy, and the emulators do not enforce it at all).
    pub fn is_past_expiry(&self, now: Timestamp) -> bool {
        self.status == Status::Pending && now >= self.expires_at
    }

    pub fn to_item(&self) -> Item {
        let mut item = Item::new();
        let mut put_s = |name: &str, value: &str| {
            item.insert(name.to_owned(), AttributeValue::S(value.to_owned()));
        };
        put_s(attr::APPROVAL_ID, &self.approval_id);
        put_s(attr::TITLE, &self.title);
        put_s(attr::REQUESTER, &self.requester);
        put_s(attr::STATUS, self.status.as_str());
        put_s(attr::CREATED_AT, &self.created_at.to_string());
        put_s(attr::EXPIRES_AT, &self.expires_at.to_string());
        let optional = [
            (attr::DESCRIPTION, self.description.clone()),
            (attr::CALLBACK_ID, self.callback_id.clone()),
            (attr::EXECUTION_ARN, self.execution_arn.clone()),
            (attr::DECIDED_AT, self.decided_at.map(|t| t.to_string())),
            (attr::DECIDED_BY, self.decided_by.clone()),
            (attr::COMMENT, self.comment.clone()),
            (attr::DETAILS, self.details.as_ref().map(|d| d.to_string())),
            (
                attr::REQUESTED_ON_BEHALF_OF,
                self.audit.requested_on_behalf_of.clone(),
            ),
            (
                attr::DECISION_EVIDENCE,
                self.audit.decision_evidence.map(|e| e.as_str().to_owned()),
            ),
            (
                attr::DECIDED_ON_BEHALF_OF,
                self.audit.decided_on_behalf_of.clone(),
            ),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                put_s(name, &value);
            }
        }
        if let Some(claim) = &self.claim {
            put_s(attr::CLAIM_OUTCOME, claim.outcome.status().as_str());
            put_s(attr::CLAIM_BY, &claim.by);
            put_s(attr::CLAIM_AT, &claim.at.to_string());
            if let Some(comment) = &claim.comment {
                put_s(attr::CLAIM_COMMENT, comment);
            }
            if let Some(proof) = &claim.proof {
                put_s(attr::CLAIM_PROOF, &proof.to_json());
            }
        }
        put_s(
            attr::REQUESTER_EVIDENCE,
            self.audit.requester_evidence.as_str(),
        );
        if !self.audit.refusals.is_empty() {
            item.insert(
                attr::REFUSALS.to_owned(),
                AttributeValue::L(self.audit.refusals.iter().map(json_attribute).collect()),
            );
        }
        if !self.audit.approvals.is_empty() {
            item.insert(
                attr::APPROVALS.to_owned(),
                AttributeValue::L(self.audit.approvals.iter().map(json_attribute).collect()),
            );
        }
        if let Some(policy) = &self.policy {
            item.insert(attr::POLICY.to_owned(), json_attribute(policy));
        }
        if !self.reminders.is_empty() {
            item.insert(attr::REMINDERS.to_owned(), json_attribute(&self.reminders));
        }
        if !self.reminded.is_empty() {
            item.insert(
                attr::REMINDED.to_owned(),
                AttributeValue::L(self.reminded.iter().map(json_attribute).collect()),
            );
        }
        if let Some(escalation) = &self.escalation {
            item.insert(attr::ESCALATION.to_owned(), json_attribute(escalation));
        }
        if let Some(at) = self.escalated {
            item.insert(
                attr::ESCALATED.to_owned(),
                AttributeValue::S(at.to_string()),
            );
        }
        if let Some(amount) = &self.amount {
            item.insert(attr::AMOUNT.to_owned(), AttributeValue::N(amount.clone()));
            item.insert(
                attr::AMOUNT_AS_SUBMITTED.to_owned(),
                AttributeValue::S(amount.clone()),
            );
        }
        for (name, set) in [
            (attr::LINKS, &self.links),
            (attr::LINKS_USED, &self.links_used),
        ] {
            // DynamoDB holds no empty set: an empty one is left out.
            if !set.is_empty() {
                item.insert(
                    name.to_owned(),
                    AttributeValue::Ss(set.iter().cloned().collect()),
                );
            }
        }
        item.insert(
            attr::TTL.to_owned(),
            AttributeValue::N(self.ttl.to_string()),
        );
        item
    }

    pub fn from_item(item: &Item) -> Result<Self, RecordError> {
        let claim = match optional_s(item, attr::CLAIM_OUTCOME)? {
            None => None,
            Some(outcome) => Some(Claim {
                outcome: outcome.parse()?,
                by: required_s(item, attr::CLAIM_BY)?,
                at: timestamp(item, attr::CLAIM_AT)?,
                comment: optional_s(item, attr::CLAIM_COMMENT)?,
                // A proof that does not read is no proof: the claim stays,
                // and the workflow refuses it at the deadline.
                proof: optional_s(item, attr::CLAIM_PROOF)?
                    .and_then(|text| serde_json::from_str(&text).ok()),
            }),
        };
        let audit = Audit {
            requester_evidence: Evidence::read(item, attr::REQUESTER_EVIDENCE)?.unwrap_or_default(),
            requested_on_behalf_of: optional_s(item, attr::REQUESTED_ON_BEHALF_OF)?,
            decision_evidence: Evidence::read(item, attr::DECISION_EVIDENCE)?,
            decided_on_behalf_of: optional_s(item, attr::DECIDED_ON_BEHALF_OF)?,
            approvals: json_list(item, attr::APPROVALS)?,
            refusals: json_list(item, attr::REFUSALS)?,
        };
        let policy = item
            .get(attr::POLICY)
            .map(|value| from_json_attribute(value, attr::POLICY))
            .transpose()?;
        let details = optional_s(item, attr::DETAILS)?
            .map(|text| serde_json::from_str(&text))
            .transpose()
            .map_err(|e| RecordError::Invalid {
                attribute: attr::DETAILS,
                reason: e.to_string(),
            })?;
        let ttl =
            required_n(item, attr::TTL)?
                .parse::<i64>()
                .map_err(|e| RecordError::Invalid {
                    attribute: attr::TTL,
                    reason: e.to_string(),
                })?;
        Ok(Self {
            approval_id: required_s(item, attr::APPROVAL_ID)?,
            title: required_s(item, attr::TITLE)?,
            description: optional_s(item, attr::DESCRIPTION)?,
            requester: required_s(item, attr::REQUESTER)?,
            // Records written before it kept only the number.
            amount: match optional_s(item, attr::AMOUNT_AS_SUBMITTED)? {
                Some(text) => Some(text),
                None => optional_n(item, attr::AMOUNT)?,
            },
            details,
            status: required_s(item, attr::STATUS)?.parse()?,
            callback_id: optional_s(item, attr::CALLBACK_ID)?,
            execution_arn: optional_s(item, attr::EXECUTION_ARN)?,
            created_at: timestamp(item, attr::CREATED_AT)?,
            expires_at: timestamp(item, attr::EXPIRES_AT)?,
            decided_at: optional_s(item, attr::DECIDED_AT)?
                .map(|t| parse_timestamp(attr::DECIDED_AT, &t))
                .transpose()?,
            decided_by: optional_s(item, attr::DECIDED_BY)?,
            comment: optional_s(item, attr::COMMENT)?,
            claim,
            links: string_set(item, attr::LINKS)?,
            links_used: string_set(item, attr::LINKS_USED)?,
            policy,
            reminders: item
                .get(attr::REMINDERS)
                .map(|value| from_json_attribute(value, attr::REMINDERS))
                .transpose()?
                .unwrap_or_default(),
            reminded: json_list(item, attr::REMINDED)?,
            escalation: item
                .get(attr::ESCALATION)
                .map(|value| from_json_attribute(value, attr::ESCALATION))
                .transpose()?,
            escalated: optional_s(item, attr::ESCALATED)?
                .map(|t| parse_timestamp(attr::ESCALATED, &t))
                .transpose()?,
            ttl,
            audit,
        })
    }
}

/// A value kept as one JSON string attribute: a policy, or one element of
/// the record's `approvals` and `refusals` lists.
pub fn json_attribute(value: &impl Serialize) -> AttributeValue {
    // Serialising structs of strings and numbers cannot fail.
    AttributeValue::S(serde_json::to_string(value).unwrap_or_default())
}

fn from_json_attribute<T: serde::de::DeserializeOwned>(
    value: &AttributeValue,
    attribute: &'static str,
) -> Result<T, RecordError> {
    let invalid = |reason: String| RecordError::Invalid { attribute, reason };
    match value {
        AttributeValue::S(text) => serde_json::from_str(text).map_err(|e| invalid(e.to_string())),
        _ => Err(invalid("expected a JSON string".into())),
    }
}

/// The list attribute `name` of JSON strings, empty when absent.
fn json_list<T: serde::de::DeserializeOwned>(
    item: &Item,
    name: &'static str,
) -> Result<Vec<T>, RecordError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(Vec::new()),
        Some(AttributeValue::L(items)) => items
            .iter()
            .map(|value| from_json_attribute(value, name))
            .collect(),
        Some(_) => Err(RecordError::Invalid {
            attribute: name,
            reason: "expected a list".into(),
        }),
    }
}

/// The string set attribute `name`, empty when absent.
fn string_set(item: &Item, name: &'static str) -> Result<BTreeSet<String>, RecordError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(BTreeSet::new()),
        Some(AttributeValue::Ss(values)) => Ok(values.iter().cloned().collect()),
        Some(_) => Err(RecordError::Invalid {
            attribute: name,
            reason: "expected a string set".into(),
        }),
    }
}

fn optional_s(item: &Item, name: &'static str) -> Result<Option<String>, RecordError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(s)) => Ok(Some(s.clone())),
        Some(_) => Err(RecordError::Invalid {
            attribute: name,
            reason: "expected a string".into(),
        }),
    }
}

fn required_s(item: &Item, name: &'static str) -> Result<String, RecordError> {
    optional_s(item, name)?.ok_or(RecordError::Missing(name))
}

fn optional_n(item: &Item, name: &'static str) -> Result<Option<String>, RecordError> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(n)) => Ok(Some(n.clone())),
        Some(_) => Err(RecordError::Invalid {
            attribute: name,
            reason: "expected a number".into(),
        }),
    }
}

fn required_n(item: &Item, name: &'static str) -> Result<String, RecordError> {
    optional_n(item, name)?.ok_or(RecordError::Missing(name))
}

fn timestamp(item: &Item, name: &'static str) -> Result<Timestamp, RecordError> {
    parse_timestamp(name, &required_s(item, name)?)
}

fn parse_timestamp(name: &'static str, text: &str) -> Result<Timestamp, RecordError> {
    Timestamp::parse(text).map_err(|e| RecordError::Invalid {
        attribute: name,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::sample;

    #[test]
    fn item_round_trip_pending() {
        let record = sample();
        assert_eq!(
            ApprovalRecord::from_item(&record.to_item()).unwrap(),
            record
        );
    }

    #[test]
    fn item_round_trip_decided_with_claim() {
        let mut record = sample();
        record.status = Status::Approved;
        record.decided_at = Some(Timestamp::parse("2026-11-22T11:00:00Z").unwrap());
        record.decided_by = Some("arn:aws:iam::123456789012:user/bob".into());
        record.comment = Some("ship it".into());
        record.claim = Some(Claim {
            outcome: Outcome::Approved,
            by: "bob".into(),
            at: Timestamp::parse("2026-11-22T10:59:59Z").unwrap(),
            comment: None,
            proof: None,
        });
        record.links = ["a".repeat(64), "b".repeat(64)].into();
        record.links_used = ["a".repeat(64)].into();
        record.reminders = vec![7_200, 1_800];
        record.reminded = vec![Timestamp::parse("2026-11-22T10:30:00Z").unwrap()];
        record.escalation = Some(Escalation {
            after_seconds: 1_800,
            to: vec!["carol@example.com".into()],
        });
        record.escalated = Some(Timestamp::parse("2026-11-22T10:40:00Z").unwrap());
        assert_eq!(
            ApprovalRecord::from_item(&record.to_item()).unwrap(),
            record
        );
    }

    /// DynamoDB stores `1250.50` as the number `1250.5`; the record reads
    /// as submitted, and a record written before the text was kept reads
    /// the number.
    #[test]
    fn an_amount_reads_as_it_was_submitted() {
        let mut item = sample().to_item();
        item.insert(attr::AMOUNT.to_owned(), AttributeValue::N("1250.5".into()));
        let record = ApprovalRecord::from_item(&item).unwrap();
        assert_eq!(record.amount.as_deref(), Some("1250.50"));
        item.remove(attr::AMOUNT_AS_SUBMITTED);
        let older = ApprovalRecord::from_item(&item).unwrap();
        assert_eq!(older.amount.as_deref(), Some("1250.5"));
    }

    #[test]
    fn item_round_trip_minimal() {
        let mut record = sample();
        record.description = None;
        record.amount = None;
        record.details = None;
        record.callback_id = None;
        record.execution_arn = None;
        let item = record.to_item();
        assert!(!item.contains_key(attr::AMOUNT));
        assert!(!item.contains_key(attr::AMOUNT_AS_SUBMITTED));
        assert_eq!(ApprovalRecord::from_item(&item).unwrap(), record);
    }

    #[test]
    fn item_types_are_what_the_table_expects() {
        let item = sample().to_item();
        assert_eq!(item[attr::STATUS], AttributeValue::S("PENDING".into()));
        assert_eq!(
            item[attr::CREATED_AT],
            AttributeValue::S("2026-11-22T10:00:00.000Z".into())
        );
        assert!(matches!(item[attr::TTL], AttributeValue::N(_)));
        assert!(matches!(item[attr::AMOUNT], AttributeValue::N(_)));
    }

    #[test]
    fn missing_and_mistyped_attributes_are_named() {
        let mut item = sample().to_item();
        item.remove(attr::TITLE);
        let err = ApprovalRecord::from_item(&item).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the approval record has no `title` attribute"
        );

        let mut item = sample().to_item();
        item.insert(attr::STATUS.into(), AttributeValue::S("MAYBE".into()));
        let err = ApprovalRecord::from_item(&item).unwrap_err();
        assert!(err.to_string().contains("unknown status `MAYBE`"), "{err}");

        let mut item = sample().to_item();
        item.insert(attr::TTL.into(), AttributeValue::S("soon".into()));
        assert!(ApprovalRecord::from_item(&item).is_err());
    }

    #[test]
    fn details_numbers_read_back_as_written() {
        // Found by the record_decoder fuzz target: this number parsed to an
        // f64 whose shortest text parsed back one ulp off, so the details
        // changed between writing a record and reading it again.
        let mut item = sample().to_item();
        item.insert(
            attr::DETAILS.into(),
            AttributeValue::S(r#"{"budget": 666666666666666666666666666666666666666666}"#.into()),
        );
        let record = ApprovalRecord::from_item(&item).unwrap();
        assert_eq!(
            ApprovalRecord::from_item(&record.to_item()).unwrap(),
            record
        );
    }

    #[test]
    fn only_pending_can_change() {
        for from in Status::ALL {
            for to in Status::ALL {
                let allowed = from == Status::Pending && to != Status::Pending;
                assert_eq!(from.can_become(to), allowed, "{from} -> {to}");
            }
        }
    }

    #[test]
    fn status_parses_case_insensitively() {
        assert_eq!("approved".parse::<Status>().unwrap(), Status::Approved);
        assert!("EXPIRED".parse::<Outcome>().is_err());
    }

    #[test]
    fn past_expiry_only_for_pending() {
        let mut record = sample();
        let late = record.expires_at.plus(Duration::from_secs(1));
        assert!(record.is_past_expiry(late));
        record.status = Status::Approved;
        assert!(!record.is_past_expiry(late));
    }
}
