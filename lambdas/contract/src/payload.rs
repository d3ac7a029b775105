//! The payloads that cross process boundaries: what starts a workflow, what a
//! decision callback carries, and what the workflow returns.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::escalation::{Escalation, EscalationError};
use crate::policy::{ApproverPolicy, PolicyError};
use crate::proof::{DecisionProof, IdentityProof};
use crate::record::{Claim, Outcome, Status};
use crate::timestamp::Timestamp;

/// A request's lifetime when the submitter names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(24 * 3600);
/// The shortest lifetime a request may have.
pub const MIN_TIMEOUT: Duration = Duration::from_secs(1);
/// The callback error type a rejection is sent with.
pub const REJECTED_ERROR_TYPE: &str = "Rejected";

pub const MAX_ID_LEN: usize = 64;
pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 10_000;
pub const MAX_REQUESTER_LEN: usize = 256;
pub const MAX_COMMENT_LEN: usize = 2_000;
/// Details are stored inline in the record; DynamoDB items are capped at 400 KB.
pub const MAX_DETAILS_BYTES: usize = 32 * 1024;
/// DynamoDB refuses items nested more than 32 levels deep; the record's
/// `details` attribute is the first of them.
pub const MAX_DETAILS_DEPTH: usize = 31;

/// The error type of the callback failure `hitl cancel` sends: the workflow
/// closes the request as cancelled when its record says so.
pub const CANCELLED_ERROR_TYPE: &str = "Cancelled";

/// The input of one workflow execution: a request for approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitRequest {
    pub approval_id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Who the sender says asks. The workflow records instead the principal
    /// `requester_proof` proves, when it comes with one.
    pub requester: String,
    /// A signed `GetCallerIdentity` for [`crate::proof::Purpose::Submit`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_proof: Option<IdentityProof>,
    /// The submit function's voucher that Lambda verified `requester` behind
    /// its IAM-authorised URL (see `hitl_approvals::links::LinkKey::vouch_requester`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester_voucher: Option<String>,
    /// Whom the requester asks for (`hitl submit --requester`): a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// A non-negative decimal, as text (`"1250.50"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
    /// How long approvers have to decide; the stack's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u64>,
    /// Who may decide and how many approvals it needs, within the stack's
    /// policy (see [`crate::policy`]); the stack's own when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<ApproverPolicy>,
    /// When pending approvers are reminded, in seconds before the deadline
    /// (empty: never); the stack's schedule when absent (see
    /// [`crate::reminder`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminders: Option<Vec<u64>>,
    /// How long after it is made the request is escalated, in seconds (0:
    /// never); the stack's `EscalateAfter` when absent (see
    /// [`crate::escalation`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_after_seconds: Option<u64>,
    /// Whom it is escalated to: approvers and SNS topic ARNs; the stack's
    /// `EscalateTo` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub escalate_to: Option<Vec<String>>,
}

/// Why a submit request cannot be accepted; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("approval id `{0}` is invalid: use 1 to {MAX_ID_LEN} letters, digits, `-` or `_`")]
    ApprovalId(String),
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} is {len} characters long; the limit is {max}")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field} holds {} at character {position}, which a terminal or mail reader would act on rather than show; {}", crate::text::describe(*.found), fix_for(.field))]
    ControlCharacter {
        field: &'static str,
        position: usize,
        found: char,
    },
    #[error("amount `{0}` is not a non-negative decimal number such as 1250.50")]
    Amount(String),
    #[error("details are {0} bytes as JSON; the limit is {MAX_DETAILS_BYTES} bytes")]
    DetailsTooLarge(usize),
    #[error("details are nested {0} levels deep; the limit is {MAX_DETAILS_DEPTH} levels (DynamoDB stores at most 32)")]
    DetailsTooDeep(usize),
    #[error("timeout of {seconds}s is out of range: use {min}s to {max}s (the workflow function's execution timeout)")]
    Timeout { seconds: u64, min: u64, max: u64 },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error("a reminder {before}s before the deadline falls outside the request's {timeout}s: remind from 1s to {}s before it", timeout.saturating_sub(1))]
    Reminder { before: u64, timeout: u64 },
    #[error("{count} reminders; at most {max}", max = crate::reminder::MAX_REMINDERS)]
    TooManyReminders { count: usize },
    #[error(transparent)]
    Escalation(#[from] EscalationError),
}

/// What to do about a control character in `field`.
fn fix_for(field: &str) -> &'static str {
    if field == "description" {
        "remove it: a description may hold line breaks (\\n, not \\r\\n) and tabs, but no other control characters"
    } else {
        "remove it: it must be one line of plain text (put longer text in the description)"
    }
}

/// Controls a description may hold: it is printed as lines of text.
const DESCRIPTION_CONTROLS: [char; 2] = ['\n', '\t'];

/// How deeply `value` nests arrays and objects (a scalar is 0). Parsed JSON
/// is at most 128 levels deep, so the recursion is bounded.
fn nesting(value: &serde_json::Value) -> usize {
    match value {
        serde_json::Value::Array(items) => 1 + items.iter().map(nesting).max().unwrap_or(0),
        serde_json::Value::Object(map) => 1 + map.values().map(nesting).max().unwrap_or(0),
        _ => 0,
    }
}

/// Whether `id` can name a request and its durable execution.
pub fn is_valid_approval_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks a text field: present when `required`, at most `max` characters,
/// and no control or bidirectional character other than `allowed`.
fn check_text(
    field: &'static str,
    value: &str,
    max: usize,
    required: bool,
    allowed: &[char],
) -> Result<(), ValidationError> {
    if required && value.trim().is_empty() {
        return Err(ValidationError::Empty { field });
    }
    let len = value.chars().count();
    if len > max {
        return Err(ValidationError::TooLong { field, len, max });
    }
    if let Some((position, found)) = crate::text::first_unsafe(value, allowed) {
        return Err(ValidationError::ControlCharacter {
            field,
            position,
            found,
        });
    }
    Ok(())
}

fn is_decimal(text: &str) -> bool {
    let (whole, fraction) = match text.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (text, None),
    };
    let digits = |s: &str, max: usize| {
        !s.is_empty() && s.len() <= max && s.bytes().all(|b| b.is_ascii_digit())
    };
    digits(whole, 20) && fraction.is_none_or(|f| digits(f, 6))
}

impl SubmitRequest {
    /// A request with what every request has, and nothing else named: the
    /// stack's timeout, policy, reminders and escalation apply.
    pub fn new(
        approval_id: impl Into<String>,
        title: impl Into<String>,
        requester: impl Into<String>,
    ) -> Self {
        Self {
            approval_id: approval_id.into(),
            title: title.into(),
            description: None,
            requester: requester.into(),
            requester_proof: None,
            requester_voucher: None,
            on_behalf_of: None,
            amount: None,
            details: None,
            timeout_seconds: None,
            policy: None,
            reminders: None,
            escalate_after_seconds: None,
            escalate_to: None,
        }
    }

    /// Checks every field; `max_timeout` is the longest lifetime the
    /// deployed function allows.
    pub fn validate(&self, max_timeout: Duration) -> Result<(), ValidationError> {
        if !is_valid_approval_id(&self.approval_id) {
            return Err(ValidationError::ApprovalId(self.approval_id.clone()));
        }
        check_text("title", &self.title, MAX_TITLE_LEN, true, &[])?;
        if let Some(description) = &self.description {
            check_text(
                "description",
                description,
                MAX_DESCRIPTION_LEN,
                false,
                &DESCRIPTION_CONTROLS,
            )?;
        }
        check_text("requester", &self.requester, MAX_REQUESTER_LEN, true, &[])?;
        if let Some(note) = &self.on_behalf_of {
            check_text("on_behalf_of", note, MAX_REQUESTER_LEN, true, &[])?;
        }
        if let Some(amount) = &self.amount {
            if !is_decimal(amount) {
                return Err(ValidationError::Amount(amount.clone()));
            }
        }
        if let Some(details) = &self.details {
            let len = details.to_string().len();
            if len > MAX_DETAILS_BYTES {
                return Err(ValidationError::DetailsTooLarge(len));
            }
            let depth = nesting(details);
            if depth > MAX_DETAILS_DEPTH {
                return Err(ValidationError::DetailsTooDeep(depth));
            }
        }
        let seconds = self.timeout().as_secs();
        if seconds < MIN_TIMEOUT.as_secs() || seconds > max_timeout.as_secs() {
            return Err(ValidationError::Timeout {
                seconds,
                min: MIN_TIMEOUT.as_secs(),
                max: max_timeout.as_secs(),
            });
        }
        if let Some(policy) = &self.policy {
            policy.validate()?;
        }
        if let Some(reminders) = &self.reminders {
            if reminders.len() > crate::reminder::MAX_REMINDERS {
                return Err(ValidationError::TooManyReminders {
                    count: reminders.len(),
                });
            }
            if let Some(&before) = reminders.iter().find(|&&b| b == 0 || b >= seconds) {
                return Err(ValidationError::Reminder {
                    before,
                    timeout: seconds,
                });
            }
        }
        if let Some(to) = &self.escalate_to {
            Escalation {
                after_seconds: 0,
                to: to.clone(),
            }
            .check_targets()?;
        }
        if let Some(after) = self.escalate_after_seconds.filter(|&a| a >= seconds) {
            return Err(EscalationError::After {
                after,
                timeout: seconds,
            }
            .into());
        }
        Ok(())
    }

    pub fn timeout(&self) -> Duration {
        self.timeout_seconds
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_TIMEOUT)
    }
}

/// What a decision callback carries: the result of a success callback, or the
/// `ErrorData` of a failure callback.
///
/// Decisions sent by other clients of the callback API (the AWS CLI, the
/// console) carry whatever they carry, so every field is optional on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionPayload {
    pub outcome: Outcome,
    /// Who the sender says decided; a rule reads it only when the stack's
    /// verification is off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<DecisionProof>,
    /// Whom the decider decided for (`hitl approve --as`): a note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// The lenient reading of a decision payload: any JSON object with any of our
/// fields; everything else is ignored.
#[derive(Deserialize)]
struct LooseDecision {
    #[serde(default)]
    decided_by: Option<String>,
    #[serde(default)]
    decided_at: Option<String>,
    /// A proof that does not read is no proof; the rest of the payload stays.
    #[serde(default, deserialize_with = "lenient")]
    proof: Option<DecisionProof>,
    #[serde(default)]
    on_behalf_of: Option<String>,
    #[serde(default)]
    comment: Option<String>,
}

impl DecisionPayload {
    /// The decision a claim stands for, as its claimant would have sent it
    /// (the workflow judges it at the deadline when it was never sent).
    pub fn claimed(claim: &Claim) -> Self {
        DecisionPayload {
            outcome: claim.outcome,
            decided_by: Some(claim.by.clone()),
            proof: claim.proof.clone(),
            on_behalf_of: None,
            decided_at: Some(claim.at),
            comment: claim.comment.clone(),
        }
    }

    /// Reads the payload a callback delivered. The outcome is set by which
    /// callback arrived (success or failure), never by the payload, so a
    /// payload cannot turn a failure callback into an approval.
    pub fn from_callback(
        outcome: Outcome,
        payload: Option<&str>,
        fallback_comment: Option<&str>,
    ) -> Self {
        let loose = payload
            .and_then(|text| serde_json::from_str::<LooseDecision>(text).ok())
            .unwrap_or(LooseDecision {
                decided_by: None,
                decided_at: None,
                proof: None,
                on_behalf_of: None,
                comment: None,
            });
        Self {
            outcome,
            decided_by: loose.decided_by.filter(|s| !s.trim().is_empty()),
            proof: loose.proof,
            on_behalf_of: loose.on_behalf_of.filter(|s| !s.trim().is_empty()),
            decided_at: loose.decided_at.and_then(|t| Timestamp::parse(&t).ok()),
            comment: loose
                .comment
                .or_else(|| fallback_comment.map(str::to_owned))
                .filter(|s| !s.is_empty()),
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising a struct of strings cannot fail.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }
}

/// Reads a value of `T`, or `None` when it does not fit.
fn lenient<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    Ok(serde_json::from_value(value).ok())
}

/// What the workflow execution returns when it ends: the request's final status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkflowResult {
    pub approval_id: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SubmitRequest {
        SubmitRequest {
            amount: Some("10.5".into()),
            timeout_seconds: Some(3600),
            ..SubmitRequest::new("req-1", "Deploy", "alice")
        }
    }

    #[test]
    fn an_escalation_falls_within_the_request_and_names_real_targets() {
        let mut r = request();
        r.escalate_after_seconds = Some(1_800);
        r.escalate_to = Some(vec!["carol@example.com".into()]);
        r.validate(MAX).unwrap();
        r.escalate_after_seconds = Some(0);
        r.validate(MAX).expect("0: never");
        r.escalate_after_seconds = Some(3_600);
        let err = r.validate(MAX).unwrap_err().to_string();
        assert!(err.contains("from 1s to 3599s after"), "{err}");
        r.escalate_after_seconds = None;
        r.escalate_to = Some(vec!["carol".into()]);
        let err = r.validate(MAX).unwrap_err().to_string();
        assert!(err.contains("`carol` is neither an approver"), "{err}");
    }

    #[test]
    fn reminders_fall_within_the_request() {
        let mut r = request();
        r.reminders = Some(vec![1_800, 60]);
        r.validate(MAX).unwrap();
        for bad in [vec![3_600], vec![0], vec![7_200, 60]] {
            r.reminders = Some(bad.clone());
            let err = r.validate(MAX).unwrap_err().to_string();
            assert!(err.contains("remind from 1s to 3599s"), "{bad:?}: {err}");
        }
        r.reminders = Some(vec![60; 11]);
        assert!(r
            .validate(MAX)
            .unwrap_err()
            .to_string()
            .contains("at most 10"));
    }

    const MAX: Duration = Duration::from_secs(7 * 86_400);

    #[test]
    fn accepts_a_good_request() {
        request().validate(MAX).unwrap();
    }

    fn nested(depth: usize) -> serde_json::Value {
        let text = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn details_nest_no_deeper_than_dynamodb_stores() {
        let mut ok = request();
        ok.details = Some(nested(MAX_DETAILS_DEPTH));
        ok.validate(MAX).unwrap();
        let mut deep = request();
        deep.details = Some(nested(MAX_DETAILS_DEPTH + 1));
        assert_eq!(
            deep.validate(MAX),
            Err(ValidationError::DetailsTooDeep(MAX_DETAILS_DEPTH + 1))
        );
        assert!(deep
            .validate(MAX)
            .unwrap_err()
            .to_string()
            .contains("nested 32 levels"));
    }

    #[test]
    fn rejects_each_bad_field_with_a_message() {
        type Mutation = fn(&mut SubmitRequest);
        let cases: Vec<(Mutation, &str)> = vec![
            (
                |r| r.approval_id = "has space".into(),
                "approval id `has space` is invalid",
            ),
            (|r| r.approval_id = "x".repeat(65), "is invalid"),
            (|r| r.approval_id = String::new(), "is invalid"),
            (|r| r.title = "  ".into(), "title must not be empty"),
            (
                |r| r.title = "t".repeat(201),
                "title is 201 characters long; the limit is 200",
            ),
            (
                |r| r.requester = String::new(),
                "requester must not be empty",
            ),
            (|r| r.amount = Some("-1".into()), "amount `-1` is not"),
            (
                |r| r.amount = Some("1e9".into()),
                "is not a non-negative decimal",
            ),
            (
                |r| r.amount = Some("1.".into()),
                "is not a non-negative decimal",
            ),
            (
                |r| r.timeout_seconds = Some(0),
                "timeout of 0s is out of range",
            ),
            (
                |r| r.timeout_seconds = Some(8 * 86_400),
                "out of range: use 1s to 604800s",
            ),
            (
                |r| r.details = Some(serde_json::json!({"blob": "x".repeat(40_000)})),
                "details are",
            ),
        ];
        for (mutate, expected) in cases {
            let mut r = request();
            mutate(&mut r);
            let err = r.validate(MAX).unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{err:?} should contain {expected:?}"
            );
        }
    }

    #[test]
    fn one_line_fields_refuse_control_and_bidi_characters() {
        let corpus = [
            "evil \u{1b}[2J\u{1b}[31mRED\u{1b}]0;pwned\u{7} title",
            "osc \u{1b}]0;pwned\u{7}",
            "csi \u{9b}2J",
            "del \u{7f}",
            "nul \0",
            "cr \rApproved",
            "lf \nApprove: https://evil",
            "tab \t",
            "rlo \u{202e}gpj.exe",
            "isolate \u{2066}x\u{2069}",
            "mark \u{200f}",
        ];
        for text in corpus {
            let mut titled = request();
            titled.title = text.into();
            let err = titled.validate(MAX).unwrap_err();
            assert!(
                matches!(
                    err,
                    ValidationError::ControlCharacter { field: "title", .. }
                ),
                "{text:?}: {err:?}"
            );
            let mut by = request();
            by.requester = text.into();
            let err = by.validate(MAX).unwrap_err();
            assert!(
                matches!(
                    err,
                    ValidationError::ControlCharacter {
                        field: "requester",
                        ..
                    }
                ),
                "{text:?}: {err:?}"
            );
        }
        let mut r = request();
        r.title = "evil \u{1b}[2J".into();
        assert_eq!(
            r.validate(MAX).unwrap_err().to_string(),
            "title holds U+001B (ESC) at character 6, which a terminal or mail reader would act \
             on rather than show; remove it: it must be one line of plain text (put longer text \
             in the description)"
        );
        r.title = "Déploy ✓ 1.2.3 — €10".into();
        r.validate(MAX).unwrap();
    }

    #[test]
    fn a_description_keeps_lines_and_tabs_only() {
        let mut r = request();
        r.description = Some("line one\n\tindented\nline three".into());
        r.validate(MAX).unwrap();
        for bad in ["a\r\nb", "\u{1b}[2J", "x\u{9b}y", "\u{202e}", "\u{7f}"] {
            r.description = Some(bad.into());
            let err = r.validate(MAX).unwrap_err();
            assert!(
                matches!(
                    err,
                    ValidationError::ControlCharacter {
                        field: "description",
                        ..
                    }
                ),
                "{bad:?}: {err:?}"
            );
            assert!(err.to_string().contains("line breaks"), "{err}");
        }
    }

    #[test]
    fn default_timeout_is_a_day() {
        let mut r = request();
        r.timeout_seconds = None;
        assert_eq!(r.timeout(), Duration::from_secs(86_400));
    }

    #[test]
    fn unknown_submit_fields_are_refused() {
        let err = serde_json::from_str::<SubmitRequest>(
            r#"{"approval_id":"a","title":"t","requester":"r","colour":"red"}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("unknown field `colour`"));
    }

    #[test]
    fn decision_payload_round_trip() {
        let d = DecisionPayload {
            outcome: Outcome::Rejected,
            decided_by: Some("bob".into()),
            decided_at: Some(Timestamp::parse("2026-11-22T10:00:00Z").unwrap()),
            comment: Some("too expensive".into()),
            proof: None,
            on_behalf_of: None,
        };
        let back = DecisionPayload::from_callback(Outcome::Rejected, Some(&d.to_json()), None);
        assert_eq!(back, d);
    }

    #[test]
    fn foreign_callback_payloads_are_read_leniently() {
        let d = DecisionPayload::from_callback(Outcome::Approved, Some("\"ok\""), None);
        assert_eq!(d.decided_by, None);
        let d = DecisionPayload::from_callback(
            Outcome::Approved,
            Some(r#"{"outcome":"REJECTED","decided_by":"ops@example.com"}"#),
            None,
        );
        assert_eq!(d.outcome, Outcome::Approved, "the callback kind decides");
        assert_eq!(d.decided_by.as_deref(), Some("ops@example.com"));
        let d = DecisionPayload::from_callback(Outcome::Rejected, None, Some("no budget"));
        assert_eq!(d.comment.as_deref(), Some("no budget"));
    }
}
