//! Who may decide a request, and how many approvals close it.
//!
//! A policy names its approvers three ways, as approval rules in CI systems
//! do (named people, groups, a minimum count):
//!
//! - a principal ARN (`arn:aws:iam::111122223333:user/bob`, or one role
//!   session `arn:aws:sts::111122223333:assumed-role/approvers/bob`);
//! - a role ARN (`arn:aws:iam::111122223333:role/approvers`): any session of
//!   that role, each session name a distinct approver;
//! - an email address: an IAM Identity Center (SSO) session of that address,
//!   or an IAM user of that name, in the stack's own account. Other role
//!   sessions do not match an address: whoever assumes a role picks its
//!   session name.
//!
//! `required` distinct approvals close a request approved; any one
//! rejection by an admitted approver closes it rejected. The stack's policy
//! (template parameters `Approvers`, `RequiredApprovals`) is the floor: a
//! request may name fewer approvers, all of them admitted by the stack's,
//! and ask for more approvals, never the other way.

use serde::{Deserialize, Serialize};

/// The most approvers a policy names.
pub const MAX_APPROVERS: usize = 50;

/// The most approvals a request can require.
pub const MAX_REQUIRED: u32 = 20;

/// Who may decide a request, and how many distinct approvals it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApproverPolicy {
    /// Empty: anyone who can send the callback, except the requester.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    #[serde(default = "one")]
    pub required: u32,
}

fn one() -> u32 {
    1
}

impl Default for ApproverPolicy {
    fn default() -> Self {
        Self {
            approvers: Vec::new(),
            required: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("approver `{0}` is not a principal ARN (arn:aws:iam::ACCOUNT:user/NAME, arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION), a role ARN (arn:aws:iam::ACCOUNT:role/NAME) or an email address")]
    Approver(String),
    #[error("{0} approvers are named; the limit is {MAX_APPROVERS}")]
    TooManyApprovers(usize),
    #[error("{0} approvals are required; use 1 to {MAX_REQUIRED}")]
    Required(u32),
    #[error("{required} approvals are required but only {named} approvers are named, none of them a role; name more approvers or require fewer")]
    Unreachable { required: u32, named: usize },
    #[error("approver `{0}` is not among the stack's approvers (template parameter Approvers); a request can only narrow the stack's list")]
    OutsideStack(String),
}

/// One entry of a policy, read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Approver<'a> {
    Principal(&'a str),
    Role { account: &'a str, name: &'a str },
    Email(&'a str),
}

impl<'a> Approver<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        if let Some(arn) = Arn::parse(text) {
            return match (arn.service, arn.kind) {
                ("iam", "role") => Some(Approver::Role {
                    account: arn.account,
                    // A role's path is not part of its sessions' ARNs.
                    name: arn.name.rsplit('/').next().unwrap_or(arn.name),
                }),
                ("iam", "user") | ("sts", "assumed-role") if !arn.name.is_empty() => {
                    Some(Approver::Principal(text))
                }
                _ => None,
            };
        }
        let (local, domain) = text.split_once('@')?;
        let plain = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| !c.is_whitespace() && !c.is_control() && c != '@' && c != ':')
        };
        (plain(local) && plain(domain) && domain.contains('.')).then_some(Approver::Email(text))
    }

    /// Whether the verified `principal` is this approver. `account` is the
    /// stack's own, which email addresses are read in.
    fn admits(&self, principal: &str, account: Option<&str>) -> bool {
        match *self {
            Approver::Principal(arn) => same_name(arn, principal),
            Approver::Role {
                account: role_account,
                name,
            } => Arn::parse(principal).is_some_and(|p| {
                p.service == "sts"
                    && p.kind == "assumed-role"
                    && p.account == role_account
                    && p.name
                        .split_once('/')
                        .is_some_and(|(role, _)| role.eq_ignore_ascii_case(name))
            }),
            // An approver's own link is addressed to them; their
            // credentials are theirs only in the stack's account.
            Approver::Email(address) => {
                same_name(address, principal)
                    || Arn::parse(principal).is_some_and(|p| {
                        account.is_some_and(|a| a == p.account)
                            && email_of(principal).is_some_and(|e| same_name(e, address))
                    })
            }
        }
    }
}

/// The email address a principal is named after, if it is an IAM user or
/// an IAM Identity Center (SSO) session whose name is one: the one name a
/// person's link and their own credentials share. Other role sessions are
/// not read: whoever assumes a role picks its session name.
pub fn email_of(principal: &str) -> Option<&str> {
    let p = Arn::parse(principal)?;
    let name = match (p.service, p.kind) {
        ("iam", "user") => p.name.rsplit('/').next(),
        ("sts", "assumed-role") => p
            .name
            .split_once('/')
            .filter(|(role, _)| role.starts_with(SSO_ROLE_PREFIX))
            .map(|(_, session)| session),
        _ => None,
    }?;
    matches!(Approver::parse(name), Some(Approver::Email(_))).then_some(name)
}

/// Whether two names are one: IAM names (users, roles, and so the
/// principals STS reports) and email addresses are not told apart by letter
/// case, nor by surrounding spaces.
pub fn same_name(a: &str, b: &str) -> bool {
    a.trim().to_lowercase() == b.trim().to_lowercase()
}

/// Whether two requesters or deciders are one person: the same name, or
/// named after the same email address (an IAM user or SSO session named
/// `bob@example.com` is the person that address's links were sent to; see
/// [`email_of`]).
pub fn same_person(a: &str, b: &str) -> bool {
    fn person(name: &str) -> &str {
        email_of(name.trim()).unwrap_or(name)
    }
    same_name(person(a), person(b))
}

/// The names IAM Identity Center gives the roles of its permission sets;
/// their sessions are named after the signed-in user, who cannot choose.
const SSO_ROLE_PREFIX: &str = "AWSReservedSSO_";

/// The parts of an ARN the policy reads.
struct Arn<'a> {
    service: &'a str,
    account: &'a str,
    /// `user`, `role`, `assumed-role`, ...
    kind: &'a str,
    /// After the kind: the name, with its path or session.
    name: &'a str,
}

impl<'a> Arn<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (arn, _partition, service, _region, account, resource) = (
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
            parts.next()?,
        );
        if arn != "arn" || account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (kind, name) = resource.split_once('/')?;
        Some(Self {
            service,
            account,
            kind,
            name,
        })
    }
}

/// Whether `text` names an approver as a policy may: an email address, a
/// principal ARN or a role ARN.
pub fn is_approver_entry(text: &str) -> bool {
    Approver::parse(text).is_some()
}

/// The account of an ARN, such as the workflow's own execution ARN.
pub fn account_of(arn: &str) -> Option<&str> {
    arn.split(':')
        .nth(4)
        .filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
}

impl ApproverPolicy {
    /// The policy from a comma-separated list (a template parameter) and a
    /// count.
    pub fn from_list(approvers: &str, required: u32) -> Result<Self, PolicyError> {
        let policy = Self {
            approvers: approvers
                .split(',')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            required,
        };
        policy.validate()?;
        Ok(policy)
    }

    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.approvers.len() > MAX_APPROVERS {
            return Err(PolicyError::TooManyApprovers(self.approvers.len()));
        }
        let mut roles = false;
        for entry in &self.approvers {
            match Approver::parse(entry) {
                None => return Err(PolicyError::Approver(entry.clone())),
                Some(Approver::Role { .. }) => roles = true,
                Some(_) => {}
            }
        }
        if !(1..=MAX_REQUIRED).contains(&self.required) {
            return Err(PolicyError::Required(self.required));
        }
        let named = self.approvers.len();
        if named > 0 && !roles && self.required as usize > named {
            return Err(PolicyError::Unreachable {
                required: self.required,
                named,
            });
        }
        Ok(())
    }

    /// The email addresses the policy names, lowercased: the approvers who
    /// get links of their own.
    pub fn addresses(&self) -> Vec<String> {
        self.approvers
            .iter()
            .filter(|entry| matches!(Approver::parse(entry), Some(Approver::Email(_))))
            .map(|entry| entry.trim().to_lowercase())
            .collect()
    }

    /// Whether the policy names approvers other than by address (principal
    /// and role ARNs), who decide with `hitl`.
    pub fn names_principals(&self) -> bool {
        self.approvers
            .iter()
            .any(|entry| !matches!(Approver::parse(entry), Some(Approver::Email(_))))
    }

    /// Whether anyone (but the requester) may decide.
    pub fn is_open(&self) -> bool {
        self.approvers.is_empty()
    }

    /// Whether the verified `principal` may decide. `account` is the stack's
    /// own (email addresses are read in it).
    pub fn admits(&self, principal: &str, account: Option<&str>) -> bool {
        self.is_open()
            || self
                .approvers
                .iter()
                .filter_map(|entry| Approver::parse(entry))
                .any(|approver| approver.admits(principal, account))
    }

    /// The policy a request gets on this stack: the request's approvers
    /// when it names some (each one the stack admits), the stack's
    /// otherwise; the larger of the two counts.
    pub fn narrowed_by(
        &self,
        request: Option<&ApproverPolicy>,
        account: Option<&str>,
    ) -> Result<ApproverPolicy, PolicyError> {
        let Some(request) = request else {
            return Ok(self.clone());
        };
        request.validate()?;
        if !self.is_open() {
            for entry in &request.approvers {
                let covered = self.approvers.iter().any(|s| same_name(s, entry))
                    || (matches!(Approver::parse(entry), Some(Approver::Principal(_)))
                        && self.admits(entry, account));
                if !covered {
                    return Err(PolicyError::OutsideStack(entry.clone()));
                }
            }
        }
        let narrowed = ApproverPolicy {
            approvers: if request.approvers.is_empty() {
                self.approvers.clone()
            } else {
                request.approvers.clone()
            },
            required: self.required.max(request.required),
        };
        narrowed.validate()?;
        Ok(narrowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCOUNT: &str = "111122223333";

    fn policy(approvers: &[&str], required: u32) -> ApproverPolicy {
        ApproverPolicy {
            approvers: approvers.iter().map(|a| a.to_string()).collect(),
            required,
        }
    }

    #[test]
    fn an_address_admits_its_own_links_and_its_people_in_the_stacks_account() {
        let named = policy(
            &["Bob@Example.com", "arn:aws:iam::111122223333:role/ops"],
            1,
        );
        assert_eq!(named.addresses(), ["bob@example.com"]);
        assert!(named.names_principals());
        assert!(!policy(&["bob@example.com"], 1).names_principals());
        let account = Some(ACCOUNT);
        assert!(named.admits("bob@example.com", account));
        assert!(named.admits("arn:aws:iam::111122223333:user/bob@example.com", account));
        assert!(!named.admits("arn:aws:iam::999988887777:user/bob@example.com", account));
        assert!(!named.admits("carol@example.com", account));
        assert!(!named.admits(crate::record::LINK_DECIDER, account));
    }

    #[test]
    fn a_role_admits_every_session_of_that_role_and_nothing_else() {
        let p = policy(&["arn:aws:iam::111122223333:role/teams/Approvers"], 1);
        assert!(p.admits("arn:aws:sts::111122223333:assumed-role/approvers/bob", None));
        assert!(!p.admits("arn:aws:sts::444455556666:assumed-role/approvers/bob", None));
        assert!(!p.admits(
            "arn:aws:sts::111122223333:assumed-role/approvers2/bob",
            None
        ));
        assert!(!p.admits("arn:aws:iam::111122223333:user/approvers", None));
    }

    #[test]
    fn a_principal_admits_itself_in_any_letter_case() {
        let p = policy(&["arn:aws:iam::111122223333:user/Bob"], 1);
        assert!(p.admits("arn:aws:iam::111122223333:user/bob", None));
        assert!(!p.admits("arn:aws:iam::111122223333:user/bobby", None));
    }

    #[test]
    fn an_address_admits_its_sso_session_and_iam_user_in_the_stacks_account_only() {
        let p = policy(&["Bob@Example.com"], 1);
        let sso =
            "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Approve_0123/bob@example.com";
        assert!(p.admits(sso, Some(ACCOUNT)));
        assert!(p.admits(
            "arn:aws:iam::111122223333:user/bob@example.com",
            Some(ACCOUNT)
        ));
        // Another account's user of that name, or a session whose name its
        // assumer chose, is not Bob.
        assert!(!p.admits(
            "arn:aws:iam::444455556666:user/bob@example.com",
            Some(ACCOUNT)
        ));
        assert!(!p.admits(
            "arn:aws:sts::111122223333:assumed-role/deployers/bob@example.com",
            Some(ACCOUNT)
        ));
        assert!(!p.admits(sso, None));
    }

    #[test]
    fn an_open_policy_admits_anyone() {
        assert!(ApproverPolicy::default().admits("arn:aws:iam::111122223333:user/x", None));
    }

    #[test]
    fn malformed_entries_and_counts_are_refused_with_what_to_write() {
        for bad in [
            "bob",
            "arn:aws:iam::1:user/bob",
            "arn:aws:s3:::bucket/key",
            "a@b",
            "two words@example.com",
        ] {
            let err = policy(&[bad], 1).validate().unwrap_err();
            assert_eq!(err, PolicyError::Approver(bad.into()), "{bad}");
        }
        assert_eq!(policy(&[], 0).validate(), Err(PolicyError::Required(0)));
        assert_eq!(
            policy(&["a@example.com", "b@example.com"], 3).validate(),
            Err(PolicyError::Unreachable {
                required: 3,
                named: 2
            })
        );
        // A role can supply any number of approvers.
        assert_eq!(
            policy(&["arn:aws:iam::111122223333:role/approvers"], 3).validate(),
            Ok(())
        );
    }

    #[test]
    fn a_request_narrows_the_stacks_policy_and_never_widens_it() {
        let stack = policy(
            &[
                "arn:aws:iam::111122223333:role/approvers",
                "carol@example.com",
            ],
            2,
        );
        let narrowed = stack
            .narrowed_by(
                Some(&policy(
                    &[
                        "arn:aws:sts::111122223333:assumed-role/approvers/bob",
                        "carol@example.com",
                    ],
                    1,
                )),
                Some(ACCOUNT),
            )
            .unwrap();
        assert_eq!(narrowed.required, 2, "the stack's count is the floor");
        assert_eq!(narrowed.approvers.len(), 2);
        assert_eq!(
            stack.narrowed_by(Some(&policy(&["mallory@example.com"], 1)), Some(ACCOUNT)),
            Err(PolicyError::OutsideStack("mallory@example.com".into()))
        );
        assert_eq!(
            stack.narrowed_by(None, Some(ACCOUNT)).unwrap(),
            stack,
            "a request that names none gets the stack's"
        );
        let open = ApproverPolicy::default();
        assert_eq!(
            open.narrowed_by(Some(&policy(&["dave@example.com"], 1)), None)
                .unwrap()
                .approvers,
            vec!["dave@example.com".to_owned()]
        );
    }

    #[test]
    fn the_template_parameter_reads_as_a_comma_separated_list() {
        let p = ApproverPolicy::from_list(" a@example.com, ,arn:aws:iam::111122223333:role/r ", 2)
            .unwrap();
        assert_eq!(
            p.approvers,
            ["a@example.com", "arn:aws:iam::111122223333:role/r"]
        );
        assert_eq!(
            ApproverPolicy::from_list("", 1).unwrap(),
            ApproverPolicy::default()
        );
    }

    #[test]
    fn people_are_the_same_whatever_the_letter_case() {
        assert!(same_person(
            "arn:aws:sts::1:assumed-role/Approvers/alice",
            "arn:aws:sts::1:assumed-role/approvers/Alice"
        ));
        assert!(same_person("Ünal@example.com", "ünal@EXAMPLE.com "));
        assert!(!same_person(
            "arn:aws:sts::1:assumed-role/approvers/alice",
            "arn:aws:sts::1:assumed-role/approvers/bob"
        ));
    }

    #[test]
    fn a_link_addressee_is_the_iam_user_or_sso_session_named_after_them() {
        for principal in [
            "arn:aws:iam::123456789012:user/Bob@example.com",
            "arn:aws:iam::123456789012:user/team/bob@example.com",
            "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approvers_0a1b/bob@example.com",
        ] {
            assert!(same_person(principal, "bob@example.com"), "{principal}");
            assert!(same_person("bob@example.com", principal), "{principal}");
        }
        // Whoever assumes an ordinary role names its session.
        assert!(!same_person(
            "arn:aws:sts::123456789012:assumed-role/approvers/bob@example.com",
            "bob@example.com"
        ));
        assert!(!same_person(
            "arn:aws:iam::123456789012:user/bob",
            "bob@example.com"
        ));
    }
}
