//! Judging who sent a request or a decision, and whether they may decide.
//!
//! The workflow, not the client, is the judge: a decision counts only when
//! its proof of identity checks out (see [`hitl_contract::proof`]), and the
//! principal STS names is the one recorded. Requests and decisions that come
//! without a proof (other clients of the Lambda API) are recorded as
//! unverified when the stack turns verification off, and a decision without
//! one is refused when it is on.

use std::sync::Arc;

use hitl_contract::policy::same_person;
use hitl_contract::proof::{
    read_answer, DecisionProof, IdentityProof, Principal, ProofError, Purpose, BODY,
};
use hitl_contract::record::LINK_DECIDER;
use hitl_contract::{
    Approval, ApproverPolicy, Channel, DecisionPayload, Evidence, Outcome, Refusal, SubmitRequest,
    Timestamp,
};
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

impl Accepted {
    /// The approval as the record counts it.
    pub fn approval(&self, decision: &DecisionPayload) -> Approval {
        Approval {
            by: self.decided_by.clone(),
            evidence: self.evidence,
            at: self.decided_at,
            comment: decision.comment.clone(),
            on_behalf_of: decision.on_behalf_of.clone(),
        }
    }
}

/// Where a request stands when a decision on it arrives: what the judge
/// holds it against.
#[derive(Debug, Clone, Copy)]
pub struct Standing<'a> {
    pub approval_id: &'a str,
    pub requester: &'a str,
    pub policy: &'a ApproverPolicy,
    /// The approvals counted so far.
    pub approvals: &'a [Approval],
    /// The stack's own account, which the policy reads email addresses in.
    pub account: Option<&'a str>,
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
    /// Who asks: the principal the submit function vouches Lambda verified,
    /// or the one the request's proof proves, or, without either, the name
    /// it gives (unverified). A voucher or proof that fails refuses the
    /// request; a transient failure is an `Err` the step retries.
    pub async fn requester(
        &self,
        request: &SubmitRequest,
        now: Timestamp,
    ) -> Result<Result<Requester, ProofError>, ProofError> {
        if let Some(voucher) = &request.requester_voucher {
            // Lambda checked the IAM signature whatever VerifyDeciders says,
            // so a voucher is always held to the key.
            let Some(notifier) = &self.notifier else {
                return Ok(Err(ProofError::BadVoucher));
            };
            let key = notifier
                .link_key()
                .await
                .map_err(|e| ProofError::KeyUnavailable(e.to_string()))?;
            return Ok(
                if key.confirms_requester(voucher, &request.approval_id, &request.requester) {
                    Ok(Requester {
                        name: request.requester.clone(),
                        evidence: Evidence::FunctionUrl,
                    })
                } else {
                    Err(ProofError::BadVoucher)
                },
            );
        }
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

    /// Whether `decision` counts on a request standing as `standing` says:
    /// its proof holds, its sender is among the request's approvers, is not
    /// its requester (unless the stack allows self-approval), and has not
    /// approved it already. A transient failure to ask STS is an `Err`,
    /// which the step retries.
    pub async fn decision(
        &self,
        standing: Standing<'_>,
        decision: &DecisionPayload,
        now: Timestamp,
    ) -> Result<Verdict, ProofError> {
        let approval_id = standing.approval_id;
        let channel = match decision.proof {
            Some(DecisionProof::Sts(_)) => Channel::Cli,
            Some(DecisionProof::ApprovalLink { .. }) => Channel::Link,
            None => Channel::Callback,
        };
        let refuse = |principal: Option<String>, reason: String| {
            Verdict::Refused(Refusal {
                at: now,
                outcome: decision.outcome,
                principal,
                claimed_by: decision.decided_by.clone(),
                reason,
                channel: Some(channel),
                comment: decision.comment.clone(),
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
            (
                Verification::On(_),
                Some(DecisionProof::ApprovalLink {
                    link_hash,
                    voucher,
                    addressee,
                }),
            ) => {
                if !self
                    .vouched(
                        voucher,
                        approval_id,
                        decision.outcome,
                        link_hash,
                        addressee.as_deref(),
                    )
                    .await
                {
                    return Ok(refuse(
                        None,
                        "its approval-link voucher is not the approval page's".into(),
                    ));
                }
                // The link's addressee decided: nobody else holds it.
                let decided_by = addressee.clone().unwrap_or_else(|| LINK_DECIDER.to_owned());
                (decided_by, Evidence::ApprovalLink)
            }
        };
        let policy = standing.policy;
        if !policy.is_open() && decided_by == LINK_DECIDER && evidence == Evidence::ApprovalLink {
            return Ok(refuse(
                Some(decided_by),
                "the link was sent to every subscriber, and this request names its approvers; use the link sent to you, or `hitl`".into(),
            ));
        }
        if !policy.admits(&decided_by, standing.account) {
            return Ok(refuse(
                Some(decided_by),
                format!(
                    "its sender is not among the request's approvers ({})",
                    policy.approvers.join(", ")
                ),
            ));
        }
        if decision.outcome == Outcome::Approved
            && !self.allow_self_approval
            && same_person(&decided_by, standing.requester)
        {
            return Ok(refuse(
                Some(decided_by),
                "its sender requested it, and this stack does not allow self-approval (AllowSelfApproval)".into(),
            ));
        }
        if decision.outcome == Outcome::Approved
            && standing
                .approvals
                .iter()
                .any(|a| same_person(&a.by, &decided_by))
        {
            return Ok(refuse(
                Some(decided_by),
                format!(
                    "its sender's approval is already counted ({} of {} needed)",
                    standing.approvals.len(),
                    policy.required
                ),
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

    async fn vouched(
        &self,
        voucher: &str,
        id: &str,
        outcome: Outcome,
        link_hash: &str,
        addressee: Option<&str>,
    ) -> bool {
        let Some(notifier) = &self.notifier else {
            return false;
        };
        match notifier.link_key().await {
            Ok(key) => key.confirms(voucher, id, outcome, link_hash, addressee),
            Err(_) => false,
        }
    }
}

/// Who an unverified decision that names nobody is recorded as.
pub const UNNAMED_DECIDER: &str = "unknown (unverified)";

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use aws_credential_types::Credentials;
    use hitl_approvals::links::LinkKey;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    const BOB: &str = "arn:aws:iam::123456789012:user/bob";

    /// A stand-in for STS on a local port: it answers one request with
    /// `status` and `body`, and hands back the request it received.
    async fn sts(status: u16, body: String) -> (String, tokio::task::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let served = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0; 4096];
            while !String::from_utf8_lossy(&request).ends_with(BODY) {
                let n = socket.read(&mut buf).await.unwrap();
                assert!(n > 0, "the request ended early");
                request.extend_from_slice(&buf[..n]);
            }
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: text/xml\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            socket.write_all(answer.as_bytes()).await.unwrap();
            String::from_utf8_lossy(&request).into_owned()
        });
        (endpoint, served)
    }

    fn answer(arn: &str) -> String {
        format!(
            "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>{arn}</Arn>\
             <UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult>\
             </GetCallerIdentityResponse>"
        )
    }

    fn judge(endpoint: &str) -> Judge {
        Judge {
            verification: Verification::On(Sts::new(endpoint)),
            allow_self_approval: false,
            notifier: None,
        }
    }

    /// A decision as `hitl approve` sends it, signed for `endpoint`.
    fn approval(endpoint: &str, id: &str) -> DecisionPayload {
        let credentials = Credentials::new("AKIDBOB", "secret", None, None, "test");
        let proof = IdentityProof::sign(
            &credentials,
            "us-east-1",
            endpoint,
            Purpose::Decide(id, Outcome::Approved),
            SystemTime::now(),
        )
        .unwrap();
        let payload = serde_json::json!({
            "outcome": "APPROVED",
            "decided_by": "someone-else",
            "proof": DecisionProof::Sts(proof),
        });
        DecisionPayload::from_callback(Outcome::Approved, Some(&payload.to_string()), None)
    }

    fn standing<'a>(
        id: &'a str,
        requester: &'a str,
        policy: &'a ApproverPolicy,
        approvals: &'a [Approval],
    ) -> Standing<'a> {
        Standing {
            approval_id: id,
            requester,
            policy,
            approvals,
            account: Some("123456789012"),
        }
    }

    /// Bob's approval of `apr-1`, requested by `requester`, judged with STS
    /// at `endpoint`.
    async fn judged(endpoint: &str, requester: &str) -> Result<Verdict, ProofError> {
        judged_under(endpoint, requester, &ApproverPolicy::default(), &[]).await
    }

    async fn judged_under(
        endpoint: &str,
        requester: &str,
        policy: &ApproverPolicy,
        approvals: &[Approval],
    ) -> Result<Verdict, ProofError> {
        judge(endpoint)
            .decision(
                standing("apr-1", requester, policy, approvals),
                &approval(endpoint, "apr-1"),
                Timestamp::now(),
            )
            .await
    }

    /// A judge holding `key` as its link key.
    fn judge_with_key(key: &LinkKey, verification: Verification) -> Judge {
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::Config::builder()
                .behavior_version_latest()
                .region(aws_sdk_sns::config::Region::new("us-east-1"))
                .build(),
        );
        Judge {
            verification,
            allow_self_approval: false,
            notifier: Some(Arc::new(Notifier::with_key(sns, key.clone()))),
        }
    }

    #[tokio::test]
    async fn a_submit_function_voucher_names_the_requester_it_vouched_for() {
        let key = LinkKey::new("k".repeat(40)).unwrap();
        let mut request = SubmitRequest::new("apr-1", "Deploy", BOB);
        request.requester_voucher = Some(key.vouch_requester("apr-1", BOB));
        // Whatever VerifyDeciders says: Lambda checked the IAM signature.
        for verification in [
            Verification::Off,
            Verification::On(Sts::new("http://127.0.0.1:9")),
        ] {
            let requester = judge_with_key(&key, verification)
                .requester(&request, Timestamp::now())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                requester,
                Requester {
                    name: BOB.into(),
                    evidence: Evidence::FunctionUrl
                }
            );
        }
    }

    #[tokio::test]
    async fn a_forged_requester_voucher_refuses_the_request() {
        let key = LinkKey::new("k".repeat(40)).unwrap();
        let mut request = SubmitRequest::new("apr-1", "Deploy", BOB);
        // Alice's voucher, with Bob's name written over it.
        request.requester_voucher =
            Some(key.vouch_requester("apr-1", "arn:aws:iam::123456789012:user/alice"));
        let judge = judge_with_key(&key, Verification::Off);
        let refused = judge.requester(&request, Timestamp::now()).await.unwrap();
        assert_eq!(refused, Err(ProofError::BadVoucher));
        // Without a link key nothing can vouch.
        let keyless = Judge {
            notifier: None,
            ..judge
        };
        let refused = keyless.requester(&request, Timestamp::now()).await.unwrap();
        assert_eq!(refused, Err(ProofError::BadVoucher));
    }

    /// The verdict on a decision made through a link sent to `addressee`
    /// (vouched for with `vouched_for`), requested by `requester`.
    async fn by_link(
        addressee: Option<&str>,
        vouched_for: Option<&str>,
        requester: &str,
        policy: &ApproverPolicy,
        approvals: &[Approval],
    ) -> Verdict {
        let key = LinkKey::new("k".repeat(40)).unwrap();
        let sns = aws_sdk_sns::Client::from_conf(
            aws_sdk_sns::Config::builder()
                .behavior_version_latest()
                .region(aws_sdk_sns::config::Region::new("us-east-1"))
                .build(),
        );
        let judge = Judge {
            verification: Verification::On(Sts::new("http://127.0.0.1:9")),
            allow_self_approval: false,
            notifier: Some(Arc::new(Notifier::with_key(sns, key.clone()))),
        };
        let proof = DecisionProof::ApprovalLink {
            link_hash: "h".repeat(64),
            voucher: key.vouch("apr-1", Outcome::Approved, &"h".repeat(64), vouched_for),
            addressee: addressee.map(str::to_owned),
        };
        let payload = serde_json::json!({ "outcome": "APPROVED", "proof": proof });
        let decision =
            DecisionPayload::from_callback(Outcome::Approved, Some(&payload.to_string()), None);
        judge
            .decision(
                standing("apr-1", requester, policy, approvals),
                &decision,
                Timestamp::now(),
            )
            .await
            .unwrap()
    }

    fn refused_because(verdict: Verdict) -> String {
        match verdict {
            Verdict::Refused(refusal) => refusal.reason,
            Verdict::Accepted(accepted) => panic!("accepted: {accepted:?}"),
        }
    }

    #[tokio::test]
    async fn a_link_decision_is_its_addressees_and_counts_under_their_address() {
        const ALICE: &str = "arn:aws:iam::123456789012:user/alice@example.com";
        let policy = ApproverPolicy {
            approvers: vec!["bob@example.com".into(), "alice@example.com".into()],
            required: 2,
        };
        let bob = Some("bob@example.com");
        match by_link(bob, bob, ALICE, &policy, &[]).await {
            Verdict::Accepted(accepted) => {
                assert_eq!(accepted.decided_by, "bob@example.com");
                assert_eq!(accepted.evidence, Evidence::ApprovalLink);
            }
            refused => panic!("refused: {refused:?}"),
        }
        // Bob's approval with his own credentials counted already.
        let counted = Approval {
            by: "arn:aws:iam::123456789012:user/bob@example.com".into(),
            evidence: Evidence::Sts,
            at: Timestamp::now(),
            comment: None,
            on_behalf_of: None,
        };
        let reason = refused_because(by_link(bob, bob, ALICE, &policy, &[counted]).await);
        assert!(reason.contains("already counted"), "{reason}");
        // Alice's own link (were she sent one) approving her request.
        let alice = Some("alice@example.com");
        let reason = refused_because(by_link(alice, alice, ALICE, &policy, &[]).await);
        assert!(reason.contains("requested it"), "{reason}");
        // A link vouched for someone else, or sent to everyone.
        let reason =
            refused_because(by_link(bob, Some("carol@example.com"), ALICE, &policy, &[]).await);
        assert!(reason.contains("voucher"), "{reason}");
        let reason = refused_because(by_link(None, None, ALICE, &policy, &[]).await);
        assert!(reason.contains("every subscriber"), "{reason}");
        let carol = Some("carol@example.com");
        let reason = refused_because(by_link(carol, carol, ALICE, &policy, &[]).await);
        assert!(reason.contains("not among"), "{reason}");
    }

    #[tokio::test]
    async fn a_sender_outside_the_requests_approvers_is_refused() {
        let (endpoint, _served) = sts(200, answer(BOB)).await;
        let policy = ApproverPolicy {
            approvers: vec!["carol@example.com".into()],
            required: 1,
        };
        let verdict = judged_under(&endpoint, "alice", &policy, &[])
            .await
            .unwrap();
        let Verdict::Refused(refused) = verdict else {
            panic!("accepted: {verdict:?}");
        };
        assert_eq!(refused.principal.as_deref(), Some(BOB));
        assert!(refused.reason.contains("not among"), "{refused:?}");
    }

    #[tokio::test]
    async fn an_approver_named_by_address_or_role_is_admitted() {
        for entry in ["bob@example.com", "arn:aws:iam::123456789012:user/bob"] {
            let sso = format!(
                "arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Approvers_1a2b/{entry}"
            );
            let principal = if entry.contains('@') {
                sso.as_str()
            } else {
                BOB
            };
            let (endpoint, _served) = sts(200, answer(principal)).await;
            let policy = ApproverPolicy {
                approvers: vec![entry.into()],
                required: 2,
            };
            let verdict = judged_under(&endpoint, "alice", &policy, &[])
                .await
                .unwrap();
            assert!(
                matches!(verdict, Verdict::Accepted(_)),
                "{entry}: {verdict:?}"
            );
        }
    }

    #[tokio::test]
    async fn an_approval_already_counted_is_not_counted_again() {
        let (endpoint, _served) = sts(200, answer(BOB)).await;
        let policy = ApproverPolicy {
            approvers: Vec::new(),
            required: 2,
        };
        let counted = [Approval {
            by: "arn:aws:iam::123456789012:user/Bob".into(),
            evidence: Evidence::Sts,
            at: Timestamp::now(),
            comment: None,
            on_behalf_of: None,
        }];
        let verdict = judged_under(&endpoint, "alice", &policy, &counted)
            .await
            .unwrap();
        let Verdict::Refused(refused) = verdict else {
            panic!("accepted: {verdict:?}");
        };
        assert!(
            refused.reason.contains("already counted (1 of 2"),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn the_decider_is_whom_sts_names_not_whom_the_payload_names() {
        let (endpoint, served) = sts(200, answer(BOB)).await;
        let verdict = judged(&endpoint, "alice").await.unwrap();
        let Verdict::Accepted(accepted) = verdict else {
            panic!("refused: {verdict:?}");
        };
        assert_eq!(accepted.decided_by, BOB);
        assert_eq!(accepted.evidence, Evidence::Sts);
        let request = served.await.unwrap();
        assert!(request.starts_with("POST / "), "{request}");
        assert!(
            request.contains("x-hitl-binding: decide:apr-1:APPROVED"),
            "{request}"
        );
    }

    #[tokio::test]
    async fn a_signature_sts_refuses_is_a_recorded_refusal() {
        let refusal = "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>\
                       <Message>The request signature we calculated does not match</Message>\
                       </Error></ErrorResponse>";
        let (endpoint, _served) = sts(403, refusal.into()).await;
        let verdict = judged(&endpoint, "alice").await.unwrap();
        let Verdict::Refused(refused) = verdict else {
            panic!("accepted: {verdict:?}");
        };
        assert!(
            refused.reason.contains("SignatureDoesNotMatch"),
            "{refused:?}"
        );
        assert_eq!(refused.claimed_by.as_deref(), Some("someone-else"));
        assert_eq!(refused.principal, None);
    }

    #[tokio::test]
    async fn sts_throttling_is_retried_not_refused() {
        let busy = "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message>\
                    </Error></ErrorResponse>";
        let (endpoint, _served) = sts(400, busy.into()).await;
        let err = judged(&endpoint, "alice").await.unwrap_err();
        assert!(err.is_transient(), "{err}");
    }

    #[tokio::test]
    async fn the_requester_approving_is_refused_whatever_the_letter_case() {
        let (endpoint, _served) = sts(200, answer(BOB)).await;
        let verdict = judged(&endpoint, "arn:aws:iam::123456789012:user/BOB")
            .await
            .unwrap();
        let Verdict::Refused(refused) = verdict else {
            panic!("accepted: {verdict:?}");
        };
        assert_eq!(refused.principal.as_deref(), Some(BOB));
        assert!(refused.reason.contains("self-approval"), "{refused:?}");
    }

    #[tokio::test]
    async fn a_proof_for_another_request_is_refused_before_sts_is_asked() {
        // Nothing listens here: the judge must not need STS to refuse.
        let endpoint = "http://127.0.0.1:9";
        let open = ApproverPolicy::default();
        let verdict = judge(endpoint)
            .decision(
                standing("apr-2", "alice", &open, &[]),
                &approval(endpoint, "apr-1"),
                Timestamp::now(),
            )
            .await
            .unwrap();
        let Verdict::Refused(refused) = verdict else {
            panic!("accepted: {verdict:?}");
        };
        assert!(
            refused.reason.contains("decide:apr-2:APPROVED"),
            "{refused:?}"
        );
    }
}
