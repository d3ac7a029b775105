//! What the `hitl` CLI and the approval Lambdas do to an approval, on AWS.
//!
//! The record and the payloads are [`hitl_contract`]'s; this crate moves
//! them. Both front ends go through the same code for each step, so they
//! cannot behave differently: storing a record and moving it from one status
//! to the next ([`store`], DynamoDB), starting a request ([`submit`]:
//! `hitl submit` and the submit function, through Lambda), deciding one
//! ([`decide`]: `hitl approve` and the approval page, a claim then the
//! durable callback), and signing and checking approval links ([`links`],
//! with the key from Secrets Manager).
//!
//! Its errors are worded for `hitl`, which prints them as they are; the
//! approval page and the submit function match on them and word their own
//! answers.

pub mod decide;
pub mod links;
#[cfg(feature = "logging")]
pub mod logging;
pub mod sdk_error;
pub mod store;
pub mod submit;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;

pub use decide::{DecideError, Decider, Decision};
pub use store::{ApprovalStore, Closing, Created, ListQuery, RecordPages, StoreError};
pub use submit::{SubmitError, Submitted};
