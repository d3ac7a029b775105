//! Judging who sent a request or a decision, and whether they may decide.
//!
//! The workflow, not the client, is the judge: a decision counts only when
//! its proof of identity checks out (see [`hitl_contract::proof`]), and the
//! principal STS names is the one recorded. Requests and decisions that come
//! without a proof (other clients of the Lambda API) are recorded as
//! unverified when the stack turns verification off, and a decision without
//! one is refused when it is on.

use std::sync::Arc;

use hitl_contract::decide::same_person;
use hitl_contract::links::LINK_DECIDER;
use hitl_contract::proof::{
    read_answer, DecisionProof, IdentityProof, Principal, ProofError, Purpose, BODY,
};
use hitl_contract::{DecisionPayload, Evidence, Outcome, Refusal, SubmitRequest, Timestamp};
use serde::{Deserialize, Serialize};

use crate::notify::Notifier;

/// Asks STS who signed a proof, at the one endpoint the deployment trusts.
#[derive(Debug, Clone)]
pub struct Sts {
    endpoint: String,
    http: reqwest::Client,
}

impl Sts {
    /// STS at `endpoint` (the regional one in AWS; the local stack's own
    /// when the deployment names it).
    pub fn new(endpoint: impl Into<String>) -> Self {
        Self {
            endpoint: endpoint.into().trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The principal who signed `proof` for `purpose`.
    pub async fn principal(
        &self,
        proof: &IdentityProof,
        purpose: Purpose<'_>,
        now: Timestamp,
    ) -> Result<Principal, ProofError> {
        proof.check(hitl_contract::proof::host_of(&self.endpoint), purpose, now)?;
        // The request goes where we say, with the body we say; only the
        // signed headers come from the proof (the host is checked above).
        let mut request = self.http.post(format!("{}/", self.endpoint)).body(BODY);
        for (name, value) in &proof.headers {
            if name != "host" {
                request = request.header(name, value);
            }
        }
        let response = request
            .send()
            .await
            .map_err(|e| ProofError::Unreachable(e.to_string()))?;
        let status = response.status().as_u16();
        let body = response
            .text()
            .await
            .map_err(|e| ProofError::Unreachable(e.to_string()))?;
        read_answer(status, &body)
    }
}

/// Whether the workflow checks who sent what (stack parameter
/// `VerifyDeciders`).
#[derive(Debug, Clone)]
pub enum Verification {
    Off,
    On(Sts),
}

/// A decision the workflow accepted, as it records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub decided_by: String,
    pub evidence: Evidence,
    /// The workflow's clock, never the sender's.
    pub decided_at: Timestamp,
}

/// What the workflow made of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    Accepted(Accepted),
    Refused(Refusal),
}

/// The requester as the workflow records them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requester {
    pub name: String,
    pub evidence: Evidence,
}

/// The workflow's rules for who may ask and who may decide.
#[derive(Debug, Clone)]
pub struct Judge {
    pub verification: Verification,
    pub allow_self_approval: bool,
    /// Holds the link key that vouchers from the approval page are checked
    /// with; absent when the deployment sends no links.
    pub notifier: Option<Arc<Notifier>>,
}

impl Judge {
    /// Who asks: the principal the request's proof proves, or, without a
    /// proof, the name it gives (unverified). A proof that fails refuses
    /// the request; a transient failure is an `Err` the step retries.
    pub async fn requester(
        &self,
        request: &SubmitRequest,
        now: Timestamp,
    ) -> Result<Result<Requester, ProofError>, ProofError> {
        let unverified = Requester {
            name: request.requester.clone(),
            evidence: Evidence::Unverified,
        };
        let (Verification::On(sts), Some(proof)) = (&self.verification, &request.requester_proof)
        else {
            return Ok(Ok(unverified));
        };
        match sts
            .principal(proof, Purpose::Submit(&request.approval_id), now)
            .await
        {
            Ok(principal) => Ok(Ok(Requester {
                name: principal.arn,
                evidence: Evidence::Sts,
            })),
            Err(err) if err.is_transient() => Err(err),
            Err(err) => Ok(Err(err)),
        }
    }

    /// Whether `decision` on `approval_id` (requested by `requester`) counts.
    /// A transient failure to ask STS is an `Err`, which the step retries.
    pub async fn decision(
        &self,
        approval_id: &str,
        requester: &str,
        decision: &DecisionPayload,
        now: Timestamp,
    ) -> Result<Verdict, ProofError> {
        let refuse = |principal: Option<String>, reason: String| {
            Verdict::Refused(Refusal {
                at: now,
                outcome: decision.outcome,
                principal,
                claimed_by: decision.decided_by.clone(),
                reason,
            })
        };
        let (decided_by, evidence) = match (&self.verification, &decision.proof) {
            (Verification::Off, _) => (
                decision.decided_by.clone().unwrap_or_default(),
                Evidence::Unverified,
            ),
            (Verification::On(_), None) => {
                return Ok(refuse(None, ProofError::Missing.to_string()))
            }
            (Verification::On(sts), Some(DecisionProof::Sts(proof))) => {
                let purpose = Purpose::Decide(approval_id, decision.outcome);
                match sts.principal(proof, purpose, now).await {
                    Ok(principal) => (principal.arn, Evidence::Sts),
                    Err(err) if err.is_transient() => return Err(err),
                    Err(err) => return Ok(refuse(None, err.to_string())),
                }
            }
            (Verification::On(_), Some(DecisionProof::ApprovalLink { link_hash, voucher })) => {
                if !self
                    .vouched(voucher, approval_id, decision.outcome, link_hash)
                    .await
                {
                    return Ok(refuse(
                        None,
                        "its approval-link voucher is not the approval page's".into(),
                    ));
                }
                (LINK_DECIDER.to_owned(), Evidence::ApprovalLink)
            }
        };
        if decision.outcome == Outcome::Approved
            && !self.allow_self_approval
            && evidence != Evidence::ApprovalLink
            && same_person(&decided_by, requester)
        {
            return Ok(refuse(
                Some(decided_by),
                "its sender requested it, and this stack does not allow self-approval (AllowSelfApproval)".into(),
            ));
        }
        Ok(Verdict::Accepted(Accepted {
            decided_by: if decided_by.trim().is_empty() {
                UNNAMED_DECIDER.to_owned()
            } else {
                decided_by
            },
            evidence,
            decided_at: now,
        }))
    }

    async fn vouched(&self, voucher: &str, id: &str, outcome: Outcome, link_hash: &str) -> bool {
        let Some(notifier) = &self.notifier else {
            return false;
        };
        match notifier.link_key().await {
            Ok(key) => key.confirms(voucher, id, outcome, link_hash),
            Err(_) => false,
        }
    }
}

/// Who an unverified decision that names nobody is recorded as.
pub const UNNAMED_DECIDER: &str = "unknown (unverified)";
