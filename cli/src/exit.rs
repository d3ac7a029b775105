//! Exit codes: each error a user can cause has its own (listed in `hitl --help`).

use hitl_contract::ValidationError;

use hitl_approvals::{DecideError, StoreError, SubmitError};

use crate::commands::{BulkFailed, CallbackClosed, DoctorFailed, WaitError};
use crate::stack::StackError;

pub const FAILURE: u8 = 1;
pub const INVALID_INPUT: u8 = 2;
pub const NOT_FOUND: u8 = 3;
pub const ALREADY_DECIDED: u8 = 4;
pub const EXPIRED: u8 = 5;
pub const ENDED: u8 = 6;
pub const NOT_READY: u8 = 7;
pub const CONFIGURATION: u8 = 8;
pub const NOT_ALLOWED: u8 = 9;
pub const REJECTED: u8 = 10;
pub const WAIT_TIMED_OUT: u8 = 11;

/// Every exit code and what it means: the one table `hitl --help`, the man
/// page and the README's table are made from (a test holds the README to it).
pub const TABLE: [(u8, &str); 12] = [
    (0, "success"),
    (
        FAILURE,
        "an AWS call failed (unreachable, throttled, refused): the message says which call, \
         the service's answer and what to do",
    ),
    (INVALID_INPUT, "invalid arguments or input"),
    (NOT_FOUND, "no such approval request"),
    (
        ALREADY_DECIDED,
        "already decided, or being decided by someone else; or an id already used",
    ),
    (EXPIRED, "the request has expired (`wait` too)"),
    (
        ENDED,
        "the request's execution ended without a decision: cancelled or stopped (`wait` too)",
    ),
    (
        NOT_READY,
        "not ready yet: the workflow has not created its callback; try again",
    ),
    (
        CONFIGURATION,
        "stack or AWS configuration problem (stack, outputs, credentials, region; a failed \
         `doctor` check)",
    ),
    (
        NOT_ALLOWED,
        "not allowed: the workflow refused the decision (the requester may not approve their \
         own request, stack parameter `AllowSelfApproval`; the caller is not among the \
         request's approvers; or its proof of identity failed)",
    ),
    (REJECTED, "`wait`: the request was rejected"),
    (
        WAIT_TIMED_OUT,
        "`wait`: still pending when `--timeout` ran out",
    ),
];

/// A failed AWS call as one readable line, for the exit code [`FAILURE`]:
/// the service's code and message, or why no answer came.
pub fn aws_call<E, R>(err: aws_sdk_lambda::error::SdkError<E, R>) -> anyhow::Error
where
    E: aws_sdk_lambda::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    anyhow::anyhow!(hitl_approvals::sdk_error::summary(&err))
}

/// The table as `hitl --help` ends.
pub fn help() -> String {
    let mut text = String::from("Exit codes:");
    for (code, meaning) in TABLE {
        text.push_str(&format!("\n {code:>2}  {meaning}"));
    }
    text
}

/// The table as the README shows it.
#[cfg(test)]
fn markdown() -> String {
    let mut text = String::from("| code | meaning |\n|---|---|\n");
    for (code, meaning) in TABLE {
        text.push_str(&format!("| {code} | {meaning} |\n"));
    }
    text
}

/// An error about what the user typed or supplied (exit code 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// The exit code for an error: the first cause in its chain that we know.
pub fn code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            if let Some(code) = store_code(e) {
                return code;
            }
        }
        if let Some(SubmitError::Store(e)) = cause.downcast_ref::<SubmitError>() {
            if let Some(code) = store_code(e) {
                return code;
            }
        }
        if let Some(e) = cause.downcast_ref::<DecideError>() {
            return match e {
                DecideError::Store(e) => store_code(e).unwrap_or(FAILURE),
                DecideError::NotReady(_) => NOT_READY,
                DecideError::SelfApproval { .. }
                | DecideError::NotAnApprover { .. }
                | DecideError::Refused { .. } => NOT_ALLOWED,
                DecideError::ExecutionClosed(_) => ENDED,
                DecideError::Undelivered { .. } => FAILURE,
            };
        }
        if let Some(e) = cause.downcast_ref::<CallbackClosed>() {
            return match e {
                CallbackClosed::TimedOut { .. } => EXPIRED,
                CallbackClosed::AlreadyDecided { .. } => ALREADY_DECIDED,
                CallbackClosed::ExecutionEnded { .. } => ENDED,
            };
        }
        if let Some(e) = cause.downcast_ref::<BulkFailed>() {
            return e.code;
        }
        if let Some(e) = cause.downcast_ref::<WaitError>() {
            return match e {
                WaitError::Rejected(_) => REJECTED,
                WaitError::Expired(_) => EXPIRED,
                WaitError::Cancelled(_) => ENDED,
                WaitError::TimedOut { .. } => WAIT_TIMED_OUT,
                WaitError::Refused { error_type, .. } if error_type == "ApprovalIdInUse" => {
                    ALREADY_DECIDED
                }
                WaitError::Refused { .. } => INVALID_INPUT,
            };
        }
        if cause.downcast_ref::<StackError>().is_some()
            || cause.downcast_ref::<DoctorFailed>().is_some()
        {
            return CONFIGURATION;
        }
        if cause.downcast_ref::<ValidationError>().is_some()
            || cause.downcast_ref::<InvalidInput>().is_some()
        {
            return INVALID_INPUT;
        }
    }
    FAILURE
}

fn store_code(err: &StoreError) -> Option<u8> {
    use hitl_contract::Status;
    Some(match err {
        StoreError::NotFound(_) | StoreError::LinkUnknown(_) => NOT_FOUND,
        StoreError::LinkUsed(_) => ALREADY_DECIDED,
        StoreError::IdInUse(_) | StoreError::ClaimedByOther { .. } => ALREADY_DECIDED,
        StoreError::PastExpiry(_) => EXPIRED,
        StoreError::NotPending(record) => match record.status {
            Status::Expired => EXPIRED,
            Status::Cancelled => ENDED,
            _ => ALREADY_DECIDED,
        },
        StoreError::Record(_) | StoreError::Changed(_) | StoreError::Aws { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_another_request_uses_is_code_4_however_it_is_found() {
        let used = || StoreError::IdInUse("apr-1".into());
        for err in [
            anyhow::Error::from(used()),
            anyhow::Error::from(SubmitError::Store(used())),
            anyhow::Error::from(SubmitError::Store(used())).context("submitting"),
        ] {
            assert_eq!(code_for(&err), ALREADY_DECIDED, "{err:#}");
        }
    }

    #[test]
    fn the_readme_shows_the_exit_code_table() {
        let readme = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"));
        assert!(
            readme.contains(&markdown()),
            "README.md's exit code table differs from exit::TABLE; replace it with:\n{}",
            markdown()
        );
    }

    #[test]
    fn each_code_has_one_meaning() {
        let codes: Vec<u8> = TABLE.iter().map(|(code, _)| *code).collect();
        assert_eq!(codes, (0..=11).collect::<Vec<u8>>());
    }
}
