//! The contract between the `hitl` CLI and the approval Lambdas.
//!
//! One crate owns every name both sides depend on: the approval record as it
//! is stored in DynamoDB, its status machine, the payload that starts a
//! workflow, the payload that carries a decision, the event that announces
//! one, who may decide ([`policy`]) and how a principal proves who it is
//! ([`proof`]). Neither side spells a field name of its own.
//!
//! It holds data and the rules over it, and calls no AWS service: what the
//! CLI and the functions *do* with a record (store it, start a request,
//! decide one, sign its links) is the `hitl-approvals` crate's.

pub mod escalation;
pub mod event;
pub mod outputs;
pub mod payload;
pub mod policy;
pub mod proof;
pub mod record;
pub mod reminder;
#[cfg(any(test, feature = "test-util"))]
pub mod test_util;
pub mod text;
pub mod timestamp;
pub mod trail;

pub use payload::{DecisionPayload, SubmitRequest, ValidationError, WorkflowResult};
pub use policy::{ApproverPolicy, PolicyError};
pub use record::{
    Approval, ApprovalRecord, Audit, Channel, Claim, Evidence, Outcome, RecordError, Refusal,
    Status, CLAIM_LEASE,
};
pub use timestamp::Timestamp;
