//! The contract between the `hitl` CLI and the approval Lambdas.
//!
//! One crate owns every name both sides depend on: the approval record as it
//! is stored in DynamoDB, its status machine, the payload that starts a
//! workflow, the payload that carries a decision, and the store operations
//! that move a record from one status to the next. Neither side spells a
//! field name of its own.
//!
//! It also holds what both sides must do the same way: starting a request
//! ([`submit`]: `hitl submit` and the submit function), deciding one
//! ([`decide`]: `hitl approve` and the approval page), proving who asked or
//! decided ([`proof`], [`links`]), and who may ([`policy`]). Its errors are
//! worded for `hitl`, which prints them as they are; the approval page and
//! the submit function match on them and word their own answers.

pub mod decide;
pub mod escalation;
pub mod event;
pub mod links;
#[cfg(feature = "logging")]
pub mod logging;
pub mod outputs;
pub mod payload;
pub mod policy;
pub mod proof;
pub mod record;
pub mod reminder;
pub mod sdk_error;
pub mod store;
pub mod submit;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod text;
pub mod timestamp;
pub mod trail;

pub use decide::{DecideError, Decider, Decision};
pub use payload::{DecisionPayload, SubmitRequest, ValidationError, WorkflowResult};
pub use policy::{ApproverPolicy, PolicyError};
pub use record::{
    Approval, ApprovalRecord, Audit, Channel, Claim, Evidence, Outcome, RecordError, Refusal,
    Status, CLAIM_LEASE,
};
pub use store::{ApprovalStore, Closing, Created, ListQuery, RecordPages, StoreError};
pub use submit::{SubmitError, Submitted};
pub use timestamp::Timestamp;
