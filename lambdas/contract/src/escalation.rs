//! Escalation: a request still pending some time after it was made is
//! taken to a second audience.
//!
//! A request names when (`hitl submit --escalate-after 4h`, seconds after
//! it was made) and to whom (`--escalate-to`, comma-separated); what it
//! leaves out comes from the stack's parameters `EscalateAfter` and
//! `EscalateTo`. Each target is either
//!
//! - an approver entry, as a policy names them (an email address, a
//!   principal ARN or a role ARN): when the request names its approvers it
//!   is added to them, so it may decide from then on, and it is told (an
//!   address with links of its own); the stack's approver policy must admit
//!   it, as it must every approver a request names; or
//! - an SNS topic ARN among the stack's `EscalationTopics` (the only topics
//!   the workflow may publish to besides its own): its subscribers are told,
//!   without links, since who reads a topic is not known.
//!
//! The workflow wakes for it as for a reminder (the decision callback's
//! timeout), and one durable step records it on the record (`escalated`,
//! with the widened policy) and sends it, once.

use serde::{Deserialize, Serialize};

use crate::policy::{is_approver_entry, ApproverPolicy, PolicyError};
use crate::timestamp::{parse_duration, Timestamp};

/// The most targets one escalation names.
pub const MAX_TARGETS: usize = 10;

/// When a pending request is escalated and to whom; stored in its record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// Seconds after the request was made.
    pub after_seconds: u64,
    /// Approver entries and SNS topic ARNs, as given.
    pub to: Vec<String>,
}

/// One target of an escalation, read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target<'a> {
    Approver(&'a str),
    Topic(&'a str),
}

impl<'a> Target<'a> {
    pub fn parse(text: &'a str) -> Option<Self> {
        if is_topic_arn(text) {
            Some(Target::Topic(text))
        } else {
            is_approver_entry(text).then_some(Target::Approver(text))
        }
    }
}

/// `arn:PARTITION:sns:REGION:ACCOUNT:NAME`.
fn is_topic_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    matches!(parts.as_slice(), ["arn", _, "sns", region, account, name]
        if !region.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.'))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EscalationError {
    #[error("escalation target `{0}` is neither an approver (an email address, a principal ARN or a role ARN) nor an SNS topic ARN")]
    Target(String),
    #[error("{0} escalation targets are named; the limit is {MAX_TARGETS}")]
    TooManyTargets(usize),
    #[error("an escalation {after}s after the request falls outside its {timeout}s: escalate from 1s to {}s after it is made", timeout.saturating_sub(1))]
    After { after: u64, timeout: u64 },
    #[error("the request escalates after {0}s but names nobody to escalate to: add --escalate-to (or set the stack's EscalateTo)")]
    NoTargets(u64),
    #[error("the request names whom to escalate to but not when: add --escalate-after (or set the stack's EscalateAfter)")]
    NoTime,
    #[error("escalation topic `{0}` is not among the stack's EscalationTopics, the only topics the workflow may publish to; name one of them, or add it to the template parameter")]
    TopicNotAllowed(String),
    #[error("escalation target: {0}")]
    Policy(#[from] PolicyError),
}

impl Escalation {
    /// The stack's escalation from its parameters (`EscalateAfter`: a
    /// duration, empty or `none`; `EscalateTo`: comma-separated targets).
    pub fn from_parameters(after: &str, to: &str) -> Result<Option<Self>, String> {
        let after = after.trim();
        let to = split_targets(to);
        if after.is_empty() || after.eq_ignore_ascii_case("none") {
            return match to.is_empty() {
                true => Ok(None),
                false => Err(EscalationError::NoTime.to_string()),
            };
        }
        let after_seconds = parse_duration(after)?.as_secs();
        let escalation = Self { after_seconds, to };
        escalation.check_targets().map_err(|e| e.to_string())?;
        if escalation.to.is_empty() {
            return Err(EscalationError::NoTargets(after_seconds).to_string());
        }
        Ok(Some(escalation))
    }

    /// A request's escalation: what it names, the stack's for what it
    /// leaves out. `after` 0 is never.
    pub fn for_request(
        after: Option<u64>,
        to: Option<&[String]>,
        stack: Option<&Escalation>,
    ) -> Result<Option<Self>, EscalationError> {
        let names_targets = to.is_some();
        let after = after.or(stack.map(|s| s.after_seconds));
        let to = to
            .map(<[String]>::to_vec)
            .or_else(|| stack.map(|s| s.to.clone()));
        match (after, to) {
            (Some(0), _) => Ok(None),
            (None, _) if names_targets => Err(EscalationError::NoTime),
            (None, _) => Ok(None),
            (Some(after), None) => Err(EscalationError::NoTargets(after)),
            (Some(after), Some(to)) if to.is_empty() => Err(EscalationError::NoTargets(after)),
            (Some(after_seconds), Some(to)) => Ok(Some(Self { after_seconds, to })),
        }
    }

    /// Checks each target's form and their number.
    pub fn check_targets(&self) -> Result<(), EscalationError> {
        if self.to.len() > MAX_TARGETS {
            return Err(EscalationError::TooManyTargets(self.to.len()));
        }
        match self.to.iter().find(|t| Target::parse(t).is_none()) {
            Some(bad) => Err(EscalationError::Target(bad.clone())),
            None => Ok(()),
        }
    }

    /// Checks the escalation against a request of `timeout` seconds on a
    /// stack whose approver policy is `stack` and which allows `topics`.
    pub fn validate(
        &self,
        timeout: u64,
        stack: &ApproverPolicy,
        topics: &[String],
        account: Option<&str>,
    ) -> Result<(), EscalationError> {
        self.check_targets()?;
        if self.after_seconds == 0 || self.after_seconds >= timeout {
            return Err(EscalationError::After {
                after: self.after_seconds,
                timeout,
            });
        }
        if let Some(topic) = self.topics().find(|t| !topics.iter().any(|a| a == t)) {
            return Err(EscalationError::TopicNotAllowed(topic.to_owned()));
        }
        let approvers: Vec<String> = self.approvers().map(str::to_owned).collect();
        if !approvers.is_empty() {
            let named = ApproverPolicy {
                approvers,
                required: 1,
            };
            stack.narrowed_by(Some(&named), account)?;
        }
        Ok(())
    }

    /// The targets that are approvers.
    pub fn approvers(&self) -> impl Iterator<Item = &str> {
        self.to.iter().filter_map(|t| match Target::parse(t) {
            Some(Target::Approver(entry)) => Some(entry),
            _ => None,
        })
    }

    /// The targets that are topics.
    pub fn topics(&self) -> impl Iterator<Item = &str> {
        self.to.iter().filter_map(|t| match Target::parse(t) {
            Some(Target::Topic(arn)) => Some(arn),
            _ => None,
        })
    }

    /// When it is due, for a request of `timeout` seconds that expires at
    /// `expires_at`.
    pub fn due(&self, expires_at: Timestamp, timeout: u64) -> Timestamp {
        expires_at.minus(std::time::Duration::from_secs(
            timeout.saturating_sub(self.after_seconds),
        ))
    }

    /// `policy` once escalated: a policy that names its approvers gains the
    /// approvers escalated to; an open one admits them already.
    pub fn widened(&self, policy: &ApproverPolicy) -> ApproverPolicy {
        let mut widened = policy.clone();
        if policy.is_open() {
            return widened;
        }
        for entry in self.approvers() {
            if !widened
                .approvers
                .iter()
                .any(|a| crate::policy::same_name(a, entry))
            {
                widened.approvers.push(entry.to_owned());
            }
        }
        widened
    }

    /// The targets, as one line.
    pub fn targets(&self) -> String {
        self.to.join(", ")
    }
}

/// Comma-separated targets, trimmed, without empty ones.
pub fn split_targets(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "111122223333";
    const TOPIC: &str = "arn:aws:sns:eu-west-1:111122223333:managers";

    fn escalation(after: u64, to: &[&str]) -> Escalation {
        Escalation {
            after_seconds: after,
            to: to.iter().map(|t| t.to_string()).collect(),
        }
    }

    fn policy(approvers: &[&str]) -> ApproverPolicy {
        ApproverPolicy {
            approvers: approvers.iter().map(|a| a.to_string()).collect(),
            required: 1,
        }
    }

    #[test]
    fn targets_are_approvers_or_topics() {
        assert_eq!(Target::parse(TOPIC), Some(Target::Topic(TOPIC)));
        for approver in [
            "carol@example.com",
            "arn:aws:iam::111122223333:role/managers",
            "arn:aws:iam::111122223333:user/dave",
        ] {
            assert_eq!(Target::parse(approver), Some(Target::Approver(approver)));
        }
        for bad in [
            "carol",
            "arn:aws:sqs:eu-west-1:111122223333:q",
            "arn:aws:sns:eu-west-1:1:t",
            "arn:aws:sns:eu-west-1:111122223333:",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_stacks_parameters_give_both_or_neither() {
        assert_eq!(Escalation::from_parameters("", ""), Ok(None));
        assert_eq!(Escalation::from_parameters("none", ""), Ok(None));
        assert_eq!(
            Escalation::from_parameters("4h", &format!("carol@example.com, {TOPIC}")),
            Ok(Some(escalation(14_400, &["carol@example.com", TOPIC])))
        );
        for (after, to) in [
            ("4h", ""),
            ("", "carol@example.com"),
            ("soon", "carol@example.com"),
            ("4h", "carol"),
        ] {
            assert!(
                Escalation::from_parameters(after, to).is_err(),
                "{after} {to}"
            );
        }
    }

    #[test]
    fn a_request_takes_the_stacks_escalation_for_what_it_leaves_out() {
        let stack = escalation(3_600, &["carol@example.com"]);
        let to = vec!["dave@example.com".to_owned()];
        assert_eq!(
            Escalation::for_request(None, None, Some(&stack)),
            Ok(Some(stack.clone()))
        );
        assert_eq!(
            Escalation::for_request(Some(60), None, Some(&stack)),
            Ok(Some(escalation(60, &["carol@example.com"])))
        );
        assert_eq!(
            Escalation::for_request(None, Some(&to), Some(&stack)),
            Ok(Some(escalation(3_600, &["dave@example.com"])))
        );
        assert_eq!(
            Escalation::for_request(Some(0), None, Some(&stack)),
            Ok(None),
            "--escalate-after none"
        );
        assert_eq!(Escalation::for_request(None, None, None), Ok(None));
        assert_eq!(
            Escalation::for_request(Some(60), None, None),
            Err(EscalationError::NoTargets(60))
        );
        assert_eq!(
            Escalation::for_request(None, Some(&to), None),
            Err(EscalationError::NoTime)
        );
    }

    #[test]
    fn an_escalation_falls_within_the_request_and_the_stacks_policy() {
        let open = ApproverPolicy::default();
        let topics = vec![TOPIC.to_owned()];
        let ok = escalation(60, &["carol@example.com", TOPIC]);
        ok.validate(3_600, &open, &topics, Some(ACCOUNT)).unwrap();
        for (bad, want) in [
            (escalation(3_600, &["carol@example.com"]), "1s to 3599s"),
            (escalation(0, &["carol@example.com"]), "1s to 3599s"),
            (
                escalation(60, &["arn:aws:sns:eu-west-1:111122223333:other"]),
                "EscalationTopics",
            ),
            (escalation(60, &["carol"]), "neither an approver"),
            (escalation(60, &["a@example.com"; 11]), "limit is 10"),
        ] {
            let err = bad
                .validate(3_600, &open, &topics, Some(ACCOUNT))
                .unwrap_err()
                .to_string();
            assert!(err.contains(want), "{bad:?}: {err}");
        }
        let stack = policy(&["bob@example.com", "carol@example.com"]);
        ok.validate(3_600, &stack, &topics, Some(ACCOUNT)).unwrap();
        let err = escalation(60, &["mallory@example.com"])
            .validate(3_600, &stack, &topics, Some(ACCOUNT))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not among the stack's approvers"), "{err}");
    }

    #[test]
    fn escalating_adds_its_approvers_to_a_named_policy_once() {
        let e = escalation(60, &["Carol@example.com", TOPIC, "bob@example.com"]);
        assert_eq!(
            e.widened(&policy(&["bob@example.com"])).approvers,
            ["bob@example.com", "Carol@example.com"]
        );
        assert!(e.widened(&ApproverPolicy::default()).is_open());
        assert_eq!(e.topics().collect::<Vec<_>>(), [TOPIC]);
        let expires = Timestamp::parse("2026-12-01T12:00:00Z").unwrap();
        assert_eq!(
            e.due(expires, 3_600),
            Timestamp::parse("2026-12-01T11:01:00Z").unwrap()
        );
    }
}
