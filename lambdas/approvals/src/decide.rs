//! Deciding a request: the one code path every approver's client goes through.
//!
//! Claim, then send, then confirm. The conditional claim picks exactly one
//! winner; the callback wakes the workflow, which judges the decision (is its
//! proof of identity good, may that principal decide?) and records it or the
//! refusal; the decider reads which. A crash after the claim leaves a
//! pending record that names its
//! claimant, and the same decider running the same decision again (or
//! pressing the same link's button again) finishes it; past the claim's lease
//! ([`hitl_contract::CLAIM_LEASE`]) another decider may take over, and
//! whatever claim the record holds at the deadline the workflow records as the decision.
//! Whether a request can still be decided is read from our table, never
//! inferred from the callback API's answer (which differs between AWS and the
//! local emulator).

use std::time::{Duration, Instant};

use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_lambda::types::ErrorObject;
use aws_smithy_types::Blob;

use hitl_contract::payload::{DecisionPayload, REJECTED_ERROR_TYPE};
use hitl_contract::policy::{account_of, same_person};
use hitl_contract::proof::DecisionProof;
use hitl_contract::record::{ApprovalRecord, Claim, Outcome, Status};
use hitl_contract::timestamp::Timestamp;

use crate::store::{ApprovalStore, Stale, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("approval request `{0}` has no callback yet: its workflow is still starting; try again in a few seconds")]
    NotReady(String),
    #[error("the decision on `{approval_id}` is claimed but its callback was not delivered ({message}); run the same command again to deliver it (others can take over the claim from {released_at}; if nobody does, the workflow records it at the deadline, {expires_at})")]
    Undelivered {
        approval_id: String,
        message: String,
        status: Option<u16>,
        /// When the claim stops blocking other deciders.
        released_at: Timestamp,
        /// When the workflow records whatever claim the record holds.
        expires_at: Timestamp,
    },
    #[error("`{requester}` requested `{approval_id}` and so cannot approve it: this stack does not allow self-approval (template parameter AllowSelfApproval); ask another approver")]
    SelfApproval {
        approval_id: String,
        requester: String,
    },
    #[error("`{decider}` is not among the approvers of `{approval_id}` ({}); ask one of them, or submit the request again naming its approvers (`hitl submit --approvers`)", .approvers.join(", "))]
    NotAnApprover {
        approval_id: String,
        decider: String,
        approvers: Vec<String>,
    },
    #[error("the workflow refused the decision on `{approval_id}`: {reason}")]
    Refused { approval_id: String, reason: String },
    #[error("the durable execution of `{}` no longer accepts a decision: it has ended without one; run `hitl show {}` to see why", .0.approval_id, .0.approval_id)]
    ExecutionClosed(Box<ApprovalRecord>),
}

/// One person's decision on one request.
#[derive(Debug, Clone)]
pub struct Decision {
    pub approval_id: String,
    pub outcome: Outcome,
    /// Who decides: the caller's AWS principal, or `approval link`. The
    /// workflow records the one the proof proves.
    pub decided_by: String,
    pub comment: Option<String>,
    pub proof: Option<DecisionProof>,
    /// Whom the decider says they decide for: a note.
    pub on_behalf_of: Option<String>,
}

/// How long a delivered decision waits for the workflow to record it (or
/// the refusal), by default; also when its callback was refused as closed (an
/// SDK retry after a first attempt that won, or the deadline passing with our
/// claim).
const CONFIRM_WAIT: Duration = Duration::from_secs(10);

/// How often the decider reads the record while it waits for the workflow:
/// every [`EAGER_POLL`] for the first [`EAGER_FOR`] (a resumed workflow
/// usually records a decision within tens of milliseconds, and each read
/// after that moment is time the decider waits for nothing), then every
/// [`CONFIRM_POLL`].
const CONFIRM_POLL: Duration = Duration::from_millis(50);
const EAGER_POLL: Duration = Duration::from_millis(10);
const EAGER_FOR: Duration = Duration::from_millis(300);

/// How many times one decision is sent: again when the workflow, having
/// refused someone else's decision meanwhile, waits on a fresh callback.
const MAX_SENDS: usize = 3;

/// Decides requests: the approvals table plus the durable callback API.
#[derive(Debug, Clone)]
pub struct Decider {
    store: ApprovalStore,
    lambda: aws_sdk_lambda::Client,
    allow_self_approval: bool,
    confirm_wait: Duration,
}

impl Decider {
    /// A decider that refuses self-approval; see [`Decider::allow_self_approval`].
    pub fn new(store: ApprovalStore, lambda: aws_sdk_lambda::Client) -> Self {
        Self {
            store,
            lambda,
            allow_self_approval: false,
            confirm_wait: CONFIRM_WAIT,
        }
    }

    /// How long to wait for the workflow to record our claimed decision when
    /// the callback answered that it is closed (5 seconds by default).
    pub fn confirm_wait(mut self, wait: Duration) -> Self {
        self.confirm_wait = wait;
        self
    }

    /// Whether a requester may approve their own request (the stack's
    /// `AllowSelfApproval` parameter). Rejecting one's own is always allowed.
    pub fn allow_self_approval(mut self, allowed: bool) -> Self {
        self.allow_self_approval = allowed;
        self
    }

    pub fn store(&self) -> &ApprovalStore {
        &self.store
    }

    /// Records `decision` and delivers it to the waiting execution. Returns
    /// the record in its final status.
    pub async fn decide(
        &self,
        decision: &Decision,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        self.decide_with(decision, None, now).await
    }

    /// Like [`Decider::decide`], through the approval link whose hash is
    /// `link_hash` (see [`crate::links`]): the link must be the record's
    /// current one for the outcome and unused, and it is used up by the same
    /// conditional write that claims the request. Repeating it delivers the
    /// link's own claim while the record still holds it undelivered, and is
    /// refused otherwise.
    pub async fn decide_by_link(
        &self,
        decision: &Decision,
        link_hash: &str,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        self.decide_with(decision, Some(link_hash), now).await
    }

    async fn decide_with(
        &self,
        decision: &Decision,
        link_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        let id = decision.approval_id.as_str();
        let claim = Claim {
            outcome: decision.outcome,
            by: decision.decided_by.clone(),
            at: now,
            comment: decision.comment.clone(),
            proof: decision.proof.clone(),
        };
        // Claim first: the write returns the record it won (or lost to), so
        // a decision costs one write and one callback, with no read before.
        let claimed = match self
            .claim_when_free(id, &claim, link_hash, Stale::Respect, now)
            .await
        {
            // Another decider's claim past its lease: replacing it erases
            // that undelivered decision, so only a decider the request
            // admits may.
            Err(DecideError::Store(StoreError::ClaimedByOther {
                record,
                claim: other,
            })) if other.is_stale(now) => match self.refusal(&record, decision) {
                Some(refused) => Err(refused),
                None => {
                    self.claim_when_free(id, &claim, link_hash, Stale::TakeOver, now)
                        .await
                }
            },
            claimed => claimed,
        };
        let claimed = match claimed {
            Ok(claimed) => claimed,
            Err(DecideError::Store(err)) => {
                return match err.record() {
                    // The same decider repeating the decision that won, or
                    // an approval the workflow already counted: done already.
                    Some(record)
                        if link_hash.is_none()
                            && (repeats(record, decision) || counted(record, decision)) =>
                    {
                        Ok(record.clone())
                    }
                    _ => Err(err.into()),
                };
            }
            Err(err) => return Err(err),
        };
        let mut callback_id = match self.next_step(&claimed, decision, link_hash.is_some()) {
            NextStep::Send(callback_id) => callback_id,
            // Nothing to send: the claim must not block anyone.
            NextStep::Done => {
                self.store.release_claim(id, &claim).await?;
                return Ok(ApprovalRecord {
                    claim: None,
                    ..claimed
                });
            }
            NextStep::Refuse(err) => {
                self.store.release_claim(id, &claim).await?;
                return Err(err);
            }
        };

        let payload = DecisionPayload {
            outcome: decision.outcome,
            decided_by: Some(decision.decided_by.clone()),
            decided_at: Some(now),
            comment: decision.comment.clone(),
            proof: decision.proof.clone(),
            on_behalf_of: decision.on_behalf_of.clone(),
        };
        let refused_before = claimed.audit.refusals.len();
        for _ in 0..MAX_SENDS {
            match self.send(&callback_id, &payload).await {
                Ok(()) => return self.confirmed(decision, claimed, refused_before).await,
                Err(err) => {
                    match self
                        .after_refused_send(
                            decision,
                            &claim,
                            claimed.expires_at,
                            err,
                            &callback_id,
                            now,
                        )
                        .await?
                    {
                        AfterRefusal::Recorded(record) => return Ok(*record),
                        AfterRefusal::SendTo(next) => callback_id = next,
                    }
                }
            }
        }
        Err(DecideError::Undelivered {
            approval_id: id.to_owned(),
            message: format!("the workflow replaced its callback {MAX_SENDS} times meanwhile"),
            status: None,
            released_at: claim.released_at(),
            expires_at: claimed.expires_at,
        })
    }

    /// What to do with a claimed decision.
    fn next_step(&self, claimed: &ApprovalRecord, decision: &Decision, by_link: bool) -> NextStep {
        if !by_link && counted(claimed, decision) {
            // Counted while we waited (a second run of the same approver).
            return NextStep::Done;
        }
        if let Some(refused) = self.refusal(claimed, decision) {
            return NextStep::Refuse(refused);
        }
        match &claimed.callback_id {
            Some(callback_id) => NextStep::Send(callback_id.clone()),
            None => NextStep::Refuse(DecideError::NotReady(decision.approval_id.clone())),
        }
    }

    /// Why `record` would refuse `decision`, if it would. The workflow
    /// judges self-approval and the policy too; judging here tells the
    /// decider at once, without a callback that would be refused.
    fn refusal(&self, record: &ApprovalRecord, decision: &Decision) -> Option<DecideError> {
        let id = decision.approval_id.as_str();
        if decision.outcome == Outcome::Approved
            && !self.allow_self_approval
            && same_person(&decision.decided_by, &record.requester)
        {
            return Some(DecideError::SelfApproval {
                approval_id: id.to_owned(),
                requester: record.requester.clone(),
            });
        }
        let policy = record.policy.as_ref()?;
        let account = record.execution_arn.as_deref().and_then(account_of);
        (!policy.admits(&decision.decided_by, account)).then(|| DecideError::NotAnApprover {
            approval_id: id.to_owned(),
            decider: decision.decided_by.clone(),
            approvers: policy.approvers.clone(),
        })
    }

    /// Claims the request. While another decider's fresh claim holds it (the
    /// workflow is judging that decision), waits for the workflow to record
    /// it: a request that needs more approvals is then free to claim, and a
    /// closed one says who decided. A claim older than the wait is taken as
    /// stuck, and the answer is who holds it and until when.
    async fn claim_when_free(
        &self,
        id: &str,
        claim: &Claim,
        link_hash: Option<&str>,
        stale: Stale,
        now: Timestamp,
    ) -> Result<ApprovalRecord, DecideError> {
        let give_up = Instant::now() + self.confirm_wait;
        loop {
            let claimed = self
                .store
                .claim_with(id, claim, link_hash, stale, now)
                .await;
            match claimed {
                Err(StoreError::ClaimedByOther { claim: other, .. })
                    if Instant::now() < give_up
                        && Timestamp::now() < other.at.plus(self.confirm_wait) =>
                {
                    tokio::time::sleep(CONFIRM_POLL).await;
                }
                // Released between our write and our read: claim again.
                Err(StoreError::Changed(_)) if Instant::now() < give_up => {}
                claimed => return Ok(claimed?),
            }
        }
    }

    /// The decision is delivered: wait for the workflow to record it, or to
    /// refuse it. The workflow writes the final status, not the decider, so
    /// the table never says decided before the workflow has judged.
    async fn confirmed(
        &self,
        decision: &Decision,
        claimed: ApprovalRecord,
        refused_before: usize,
    ) -> Result<ApprovalRecord, DecideError> {
        let id = decision.approval_id.as_str();
        let started = Instant::now();
        let give_up = started + self.confirm_wait;
        loop {
            tokio::time::sleep(if started.elapsed() < EAGER_FOR {
                EAGER_POLL
            } else {
                CONFIRM_POLL
            })
            .await;
            let record = self.store.fetch(id).await?;
            if repeats(&record, decision) || counted(&record, decision) {
                return Ok(record);
            }
            if record.status != Status::Pending {
                return Err(StoreError::NotPending(Box::new(record)).into());
            }
            let refusal = record
                .audit
                .refusals
                .get(refused_before..)
                .and_then(|new| new.iter().find(|r| r.outcome == decision.outcome));
            if let Some(refusal) = refusal {
                return Err(DecideError::Refused {
                    approval_id: id.to_owned(),
                    reason: refusal.reason.clone(),
                });
            }
            if Instant::now() >= give_up {
                // Delivered: the workflow records it when it runs.
                tracing::warn!(approval_id = %id, "decision delivered; the workflow has not recorded it yet");
                return Ok(as_delivered(claimed, decision));
            }
        }
    }

    async fn send(&self, callback_id: &str, payload: &DecisionPayload) -> Result<(), SendError> {
        let result = match payload.outcome {
            Outcome::Approved => self
                .lambda
                .send_durable_execution_callback_success()
                .callback_id(callback_id)
                .result(Blob::new(payload.to_json()))
                .send()
                .await
                .map(drop)
                .map_err(SendError::from_sdk),
            Outcome::Rejected => {
                let message = payload.comment.clone().unwrap_or_else(|| {
                    format!(
                        "Rejected by {}",
                        payload.decided_by.as_deref().unwrap_or("an approver")
                    )
                });
                let error = ErrorObject::builder()
                    .error_type(REJECTED_ERROR_TYPE)
                    .error_message(message)
                    .error_data(payload.to_json())
                    .build();
                self.lambda
                    .send_durable_execution_callback_failure()
                    .callback_id(callback_id)
                    .error(error)
                    .send()
                    .await
                    .map(drop)
                    .map_err(SendError::from_sdk)
            }
        };
        result
    }

    /// The callback was refused or not delivered: say why from our own
    /// record. A callback closed while the record holds our claim is most
    /// likely ours already (an SDK retry after a first attempt that won, or
    /// the deadline passing while the workflow records our claim): wait a
    /// little for the workflow to record it, and then it is our win. If the
    /// workflow meanwhile waits on a fresh callback (it refused another
    /// sender's decision), ours goes there.
    async fn after_refused_send(
        &self,
        decision: &Decision,
        claim: &Claim,
        expires_at: Timestamp,
        err: SendError,
        sent_to: &str,
        now: Timestamp,
    ) -> Result<AfterRefusal, DecideError> {
        let id = decision.approval_id.as_str();
        if !err.callback_closed {
            return Err(DecideError::Undelivered {
                approval_id: id.to_owned(),
                message: err.message,
                status: err.status,
                released_at: claim.released_at(),
                expires_at,
            });
        }
        let give_up = Instant::now() + self.confirm_wait;
        let poll = self.confirm_wait.min(Duration::from_millis(500));
        let record = loop {
            let record = self.store.fetch(id).await?;
            if repeats(&record, decision) || counted(&record, decision) {
                return Ok(AfterRefusal::Recorded(Box::new(record)));
            }
            let ours_pending = record.status == Status::Pending && holds_claim(&record, decision);
            if ours_pending {
                if let Some(next) = record.callback_id.as_deref().filter(|cb| *cb != sent_to) {
                    return Ok(AfterRefusal::SendTo(next.to_owned()));
                }
            }
            if !ours_pending || Instant::now() >= give_up {
                break record;
            }
            tokio::time::sleep(poll).await;
        };
        Err(if record.status != Status::Pending {
            StoreError::NotPending(Box::new(record)).into()
        } else if record.is_past_expiry(now) {
            StoreError::PastExpiry(Box::new(record)).into()
        } else {
            DecideError::ExecutionClosed(Box::new(record))
        })
    }
}

/// What a claimed decision does next.
enum NextStep {
    /// Send it to this callback.
    Send(String),
    /// Nothing: the workflow already counted it.
    Done,
    /// Tell the decider why not.
    Refuse(DecideError),
}

/// What to do after a callback was refused as closed.
enum AfterRefusal {
    /// The workflow recorded our decision.
    Recorded(Box<ApprovalRecord>),
    /// The workflow waits on this fresh callback: send there.
    SendTo(String),
}

/// Whether `record` holds `decision`'s own claim: same outcome, same decider.
fn holds_claim(record: &ApprovalRecord, decision: &Decision) -> bool {
    record
        .claim
        .as_ref()
        .is_some_and(|c| c.outcome == decision.outcome && c.by == decision.decided_by)
}

/// The record as the workflow will record a delivered decision.
fn as_delivered(mut record: ApprovalRecord, decision: &Decision) -> ApprovalRecord {
    record.status = decision.outcome.status();
    record.decided_by = Some(decision.decided_by.clone());
    record.decided_at = record.claim.as_ref().map(|c| c.at);
    record.comment = decision.comment.clone();
    record.claim = None;
    record
}

/// Whether `record` already holds `decision` as its final outcome.
fn repeats(record: &ApprovalRecord, decision: &Decision) -> bool {
    record.status == decision.outcome.status()
        && record.decided_by.as_deref() == Some(decision.decided_by.as_str())
}

/// Whether `record` is pending with `decision`'s approval counted toward
/// its policy: the approval is done, the request waits for others.
fn counted(record: &ApprovalRecord, decision: &Decision) -> bool {
    record.status == Status::Pending
        && decision.outcome == Outcome::Approved
        && record.counts_approval_of(&decision.decided_by)
}

/// A failed callback delivery, reduced to what decides the next step.
struct SendError {
    /// The service said the callback cannot take a decision any more: AWS
    /// answers `CallbackTimeoutException` (timed out or already completed),
    /// the local emulator 404.
    callback_closed: bool,
    message: String,
    status: Option<u16>,
}

impl SendError {
    fn from_sdk<E>(err: SdkError<E, aws_sdk_lambda::config::http::HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let status = err.raw_response().map(|r| r.status().as_u16());
        let code = err
            .as_service_error()
            .and_then(|e| e.code())
            .map(str::to_owned);
        let callback_closed = matches!(
            code.as_deref(),
            Some("CallbackTimeoutException" | "ResourceNotFoundException")
        ) || (code.is_none() && status == Some(404));
        Self {
            callback_closed,
            message: crate::sdk_error::summary(&err),
            status,
        }
    }
}

#[cfg(test)]
mod tests {
    //! The callback API's answers on AWS, which the local emulator does not
    //! reproduce (it answers 404 where AWS answers `CallbackTimeoutException`).

    use std::time::Duration;

    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
    use aws_sdk_lambda::operation::send_durable_execution_callback_failure::SendDurableExecutionCallbackFailureOutput;
    use aws_sdk_lambda::operation::send_durable_execution_callback_success::{
        SendDurableExecutionCallbackSuccessError, SendDurableExecutionCallbackSuccessOutput,
    };
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};

    use super::*;
    use crate::test_util::{callback_timeout_exception, get_item, update_item};
    use hitl_contract::test_util::sample;

    fn now() -> Timestamp {
        Timestamp::parse("2026-11-22T10:30:00Z").unwrap()
    }

    fn decider(dynamodb: &[&Rule], lambda: &[&Rule]) -> Decider {
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, dynamodb);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda);
        Decider::new(ApprovalStore::new(dynamodb, "approvals"), lambda)
    }

    fn decision(outcome: Outcome) -> Decision {
        Decision {
            approval_id: "req-42".into(),
            outcome,
            decided_by: "bob".into(),
            comment: Some("looks right".into()),
            proof: None,
            on_behalf_of: None,
        }
    }

    fn decided(status: Status) -> ApprovalRecord {
        let mut record = sample();
        record.status = status;
        record.decided_by = Some("bob".into());
        record.decided_at = Some(now());
        record
    }

    fn callback_timeout() -> SendDurableExecutionCallbackSuccessError {
        SendDurableExecutionCallbackSuccessError::CallbackTimeoutException(
            callback_timeout_exception("callback is not active"),
        )
    }

    #[tokio::test]
    async fn a_requester_cannot_approve_in_other_letter_case() {
        let mut record = sample();
        record.requester = "alice@example.com".into();
        let (claim, release) = (update_item(&record), update_item(&record));
        let decider = decider(&[&claim, &release], &[]);
        let mut shouting = decision(Outcome::Approved);
        shouting.decided_by = " ALICE@Example.com".into();
        let err = decider.decide(&shouting, now()).await.unwrap_err();
        assert!(matches!(err, DecideError::SelfApproval { .. }), "{err}");
        assert_eq!(release.num_calls(), 1, "the claim does not block others");
    }

    #[tokio::test]
    async fn approval_claims_sends_the_decision_then_reads_the_workflows_record() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .match_requests(|req| {
                let payload: serde_json::Value =
                    serde_json::from_slice(req.result().map(|b| b.as_ref()).unwrap_or_default())
                        .unwrap();
                req.callback_id() == Some("cb/with+odd=chars")
                    && payload["outcome"] == "APPROVED"
                    && payload["decided_by"] == "bob"
                    && payload["comment"] == "looks right"
            })
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let (claim, recorded) = (update_item(&sample()), get_item(&decided(Status::Approved)));
        let decider = decider(&[&claim, &recorded], &[&send]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        // The decider writes the claim only: the workflow writes the status.
        assert_eq!(
            (claim.num_calls(), send.num_calls(), recorded.num_calls()),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn rejection_is_a_callback_failure_carrying_the_decision() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_failure)
            .match_requests(|req| {
                let error = req.error().unwrap();
                let data: serde_json::Value =
                    serde_json::from_str(error.error_data().unwrap()).unwrap();
                error.error_type() == Some(REJECTED_ERROR_TYPE)
                    && error.error_message() == Some("looks right")
                    && data["outcome"] == "REJECTED"
            })
            .then_output(|| SendDurableExecutionCallbackFailureOutput::builder().build());
        let (claim, recorded) = (update_item(&sample()), get_item(&decided(Status::Rejected)));
        let decider = decider(&[&claim, &recorded], &[&send]);
        let record = decider
            .decide(&decision(Outcome::Rejected), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Rejected);
        assert_eq!(send.num_calls(), 1);
    }

    #[tokio::test]
    async fn aws_callback_timeout_after_the_deadline_reads_as_expired() {
        // The workflow recorded EXPIRED between our claim and our callback.
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let (claim, second) = (update_item(&sample()), get_item(&decided(Status::Expired)));
        let decider = decider(&[&claim, &second], &[&send]);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Store(StoreError::NotPending(ref r)) if r.status == Status::Expired),
            "{err}"
        );
    }

    #[tokio::test]
    async fn aws_callback_timeout_on_a_live_request_says_the_execution_ended() {
        // Still pending and in time, yet the callback is closed: the execution was stopped.
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let (claim, second) = (update_item(&sample()), get_item(&sample()));
        let decider = decider(&[&claim, &second], &[&send]);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::ExecutionClosed(_)), "{err}");
        assert!(err.to_string().contains("run `hitl show req-42`"), "{err}");
    }

    #[tokio::test]
    async fn an_undelivered_decision_says_to_run_the_command_again() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_http_response(|| {
                aws_smithy_runtime_api::client::orchestrator::HttpResponse::new(
                    aws_smithy_runtime_api::http::StatusCode::try_from(503).unwrap(),
                    aws_smithy_types::body::SdkBody::from("{}"),
                )
            });
        let claim = update_item(&sample());
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&claim]);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&send], |c| c
            .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled()));
        let decider = Decider::new(ApprovalStore::new(dynamodb, "approvals"), lambda);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DecideError::Undelivered {
                    status: Some(503),
                    ..
                }
            ),
            "{err}"
        );
        assert!(
            err.to_string().contains("run the same command again"),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("others can take over the claim from 2026-11-22T10:32:00.000Z"),
            "{err}"
        );
    }

    fn claimed_by(by: &str, outcome: Outcome) -> ApprovalRecord {
        let mut record = sample();
        record.claim = Some(Claim {
            outcome,
            by: by.into(),
            at: now(),
            comment: None,
            proof: None,
        });
        record
    }

    fn quick(decider: Decider) -> Decider {
        decider.confirm_wait(Duration::from_millis(300))
    }

    #[tokio::test]
    async fn a_delivered_decision_the_workflow_has_not_recorded_yet_is_reported_delivered() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let ours = claimed_by("bob", Outcome::Approved);
        let claim = update_item(&ours);
        let still_pending = mock!(aws_sdk_dynamodb::Client::get_item)
            .sequence()
            .output(move || {
                GetItemOutput::builder()
                    .set_item(Some(ours.to_item()))
                    .build()
            })
            .repeatedly()
            .build();
        let decider = quick(decider(&[&claim, &still_pending], &[&send]));
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .expect("delivered, so decided");
        assert_eq!(record.status, Status::Approved);
        assert_eq!(record.decided_by.as_deref(), Some("bob"));
        assert_eq!(record.comment.as_deref(), Some("looks right"));
        assert!(record.claim.is_none());
        assert_eq!(send.num_calls(), 1);
    }

    fn quorum(required: u32, approvers: &[&str]) -> ApprovalRecord {
        let mut record = sample();
        record.policy = Some(hitl_contract::ApproverPolicy {
            approvers: approvers.iter().map(|a| a.to_string()).collect(),
            required,
        });
        record
    }

    fn counted_for(mut record: ApprovalRecord, by: &str) -> ApprovalRecord {
        record.claim = None;
        record.audit.approvals.push(hitl_contract::Approval {
            by: by.into(),
            evidence: hitl_contract::Evidence::Sts,
            at: now(),
            comment: None,
            on_behalf_of: None,
        });
        record
    }

    /// A claim that lost to `record`, which DynamoDB returns with the error.
    fn claim_lost_to(record: ApprovalRecord) -> Rule {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || {
            UpdateItemError::ConditionalCheckFailedException(
                crate::test_util::condition_check_failed_on(&record),
            )
        })
    }

    #[tokio::test]
    async fn an_approval_short_of_the_quorum_is_done_once_the_workflow_counts_it() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let open = quorum(2, &[]);
        let claim = update_item(&open);
        let counted = get_item(&counted_for(open, "bob"));
        let decider = decider(&[&claim, &counted], &[&send]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Pending, "one of two approvals");
        assert!(record.counts_approval_of("bob"));
        // Approving again sends nothing and releases the claim it took.
        let (again, release) = (update_item(&record), update_item(&record));
        let record = self::decider(&[&again, &release], &[])
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.audit.approvals.len(), 1);
        assert!(record.claim.is_none());
        assert_eq!(release.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_decider_outside_the_requests_approvers_is_told_before_any_callback() {
        let record = quorum(1, &["carol@example.com"]);
        let (claim, release) = (update_item(&record), update_item(&record));
        let decider = decider(&[&claim, &release], &[]);
        let err = decider
            .decide(&decision(Outcome::Rejected), now())
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::NotAnApprover { .. }), "{err}");
        assert!(err.to_string().contains("carol@example.com"), "{err}");
        assert_eq!(release.num_calls(), 1, "the claim does not block others");
    }

    #[tokio::test]
    async fn a_claim_being_judged_is_waited_for_then_the_next_approval_claims() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let open = quorum(3, &[]);
        let mut judging = open.clone();
        judging.claim = Some(Claim {
            outcome: Outcome::Approved,
            by: "carol".into(),
            at: Timestamp::now(),
            comment: None,
            proof: None,
        });
        let carol_counted = counted_for(open, "carol");
        let lost = claim_lost_to(judging);
        let (claim, counted) = (
            update_item(&carol_counted),
            get_item(&counted_for(carol_counted, "bob")),
        );
        let decider = decider(&[&lost, &claim, &counted], &[&send]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.audit.approvals.len(), 2, "carol's, then bob's");
        assert_eq!((lost.num_calls(), claim.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_decision_the_workflow_refused_says_why() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let ours = claimed_by("bob", Outcome::Approved);
        let mut refused = ours.clone();
        refused.audit.refusals.push(hitl_contract::Refusal {
            at: now(),
            outcome: Outcome::Approved,
            principal: Some("bob".into()),
            claimed_by: Some("bob".into()),
            reason: "STS refused its proof of identity: ExpiredToken: expired".into(),
            channel: Some(hitl_contract::record::Channel::Cli),
            comment: None,
        });
        let (claim, judged) = (update_item(&ours), get_item(&refused));
        let decider = decider(&[&claim, &judged], &[&send]);
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "the workflow refused the decision on `req-42`: STS refused its proof of identity: ExpiredToken: expired"
        );
    }

    #[tokio::test]
    async fn a_closed_callback_our_own_first_attempt_won_is_our_win() {
        // An SDK retry (or the deadline) found the callback closed; the
        // workflow then records our claim.
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let claim = update_item(&claimed_by("bob", Outcome::Approved));
        let (still_ours, recorded) = (
            get_item(&claimed_by("bob", Outcome::Approved)),
            get_item(&decided(Status::Approved)),
        );
        let decider = quick(decider(&[&claim, &still_ours, &recorded], &[&send]));
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!((still_ours.num_calls(), recorded.num_calls()), (1, 1));
    }

    /// A reminder woke the workflow between our claim and our callback: it
    /// waits on a fresh callback, which the record names, and ours goes there.
    #[tokio::test]
    async fn a_decision_claimed_before_a_reminder_goes_to_the_fresh_callback() {
        let old = claimed_by("bob", Outcome::Approved);
        let mut fresh = old.clone();
        fresh.callback_id = Some("cb-after-the-reminder".into());
        let first = old.callback_id.clone();
        let to_old = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .match_requests(move |req| req.callback_id() == first.as_deref())
            .then_error(callback_timeout);
        let to_fresh = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .match_requests(|req| req.callback_id() == Some("cb-after-the-reminder"))
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let (claim, read, recorded) = (
            update_item(&old),
            get_item(&fresh),
            get_item(&decided(Status::Approved)),
        );
        let decider = quick(decider(&[&claim, &read, &recorded], &[&to_old, &to_fresh]));
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!((to_old.num_calls(), to_fresh.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_closed_callback_someone_else_won_is_not_ours() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let mut theirs = decided(Status::Approved);
        theirs.decided_by = Some("carol".into());
        let (claim, read) = (
            update_item(&claimed_by("bob", Outcome::Approved)),
            get_item(&theirs),
        );
        let decider = quick(decider(&[&claim, &read], &[&send]));
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Store(StoreError::NotPending(ref r)) if r.decided_by.as_deref() == Some("carol")),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_closed_callback_with_our_claim_unrecorded_gives_up_after_the_wait() {
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_error(callback_timeout);
        let claim = update_item(&claimed_by("bob", Outcome::Approved));
        let ours = mock!(aws_sdk_dynamodb::Client::get_item)
            .match_requests(|_| true)
            .sequence()
            .output(|| {
                GetItemOutput::builder()
                    .set_item(Some(claimed_by("bob", Outcome::Approved).to_item()))
                    .build()
            })
            .times(20)
            .build();
        let decider = quick(decider(&[&claim, &ours], &[&send]));
        let started = std::time::Instant::now();
        let err = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::ExecutionClosed(_)), "{err}");
        assert!(ours.num_calls() >= 2, "it waited: {}", ours.num_calls());
        assert!(started.elapsed() < Duration::from_secs(3), "a bounded wait");
    }

    fn with_links(mut record: ApprovalRecord) -> ApprovalRecord {
        record.links = ["a".repeat(64), "r".repeat(64)].into();
        record
    }

    #[tokio::test]
    async fn pressing_a_used_link_again_delivers_its_own_undelivered_claim() {
        let mut pending = with_links(claimed_by("bob", Outcome::Approved));
        pending.links_used = ["a".repeat(64)].into();
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let (claim, recorded) = (update_item(&pending), get_item(&decided(Status::Approved)));
        let decider = decider(&[&claim, &recorded], &[&send]);
        let record = decider
            .decide_by_link(&decision(Outcome::Approved), &"a".repeat(64), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!((claim.num_calls(), send.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_used_link_whose_claim_another_decider_took_over_is_used() {
        let mut taken = with_links(claimed_by("carol", Outcome::Rejected));
        taken.links_used = ["a".repeat(64)].into();
        let lost = claim_lost_to(taken);
        let decider = decider(&[&lost], &[]);
        let err = decider
            .decide_by_link(&decision(Outcome::Approved), &"a".repeat(64), now())
            .await
            .unwrap_err();
        assert!(
            matches!(err, DecideError::Store(StoreError::LinkUsed(_))),
            "{err}"
        );
    }

    #[tokio::test]
    async fn repeating_the_decision_that_won_is_a_success() {
        let lost = claim_lost_to(decided(Status::Approved));
        let decider = decider(&[&lost], &[]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
    }

    #[tokio::test]
    async fn a_stale_claim_is_replaced_only_by_a_decider_who_may_decide() {
        // Carol's claim was never delivered and its lease has passed.
        let mut stale = sample();
        stale.claim = Some(Claim {
            outcome: Outcome::Rejected,
            by: "carol".into(),
            at: now().minus(hitl_contract::CLAIM_LEASE + Duration::from_secs(1)),
            comment: None,
            proof: None,
        });
        // The requester may not approve: carol's claim stays for the
        // workflow to record at the deadline.
        let mut theirs = stale.clone();
        theirs.requester = "bob".into();
        let lost = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| !req.condition_expression().unwrap_or_default().contains(":stale"))
            .then_error({
                let theirs = theirs.clone();
                move || {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(
                        crate::test_util::condition_check_failed_on(&theirs),
                    )
                }
            });
        let err = decider(&[&lost], &[])
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::SelfApproval { .. }), "{err}");
        assert_eq!(lost.num_calls(), 1, "nothing replaced carol's claim");

        // An approver the request admits takes it over and delivers.
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let lost = claim_lost_to(stale);
        let take_over = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.condition_expression()
                    .unwrap_or_default()
                    .contains("#cat <= :stale")
            })
            .then_output(|| {
                UpdateItemOutput::builder()
                    .set_attributes(Some(claimed_by("bob", Outcome::Approved).to_item()))
                    .build()
            });
        let recorded = get_item(&decided(Status::Approved));
        let record = decider(&[&lost, &take_over, &recorded], &[&send])
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!((take_over.num_calls(), send.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn a_lost_claim_without_the_record_reads_it() {
        // DynamoDB returns no item when there is none, and an emulator may
        // not return it at all: the record is read instead.
        use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
        let lost = mock!(aws_sdk_dynamodb::Client::update_item).then_error(|| {
            UpdateItemError::ConditionalCheckFailedException(
                crate::test_util::condition_check_failed(),
            )
        });
        let read = get_item(&decided(Status::Approved));
        let decider = decider(&[&lost, &read], &[]);
        let record = decider
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!(read.num_calls(), 1);
    }

    #[tokio::test]
    async fn nothing_is_sent_for_a_decided_expired_or_unready_request() {
        type Expect = fn(&DecideError) -> bool;
        let cases: [(ApprovalRecord, Expect); 2] = [
            (
                {
                    let mut r = decided(Status::Approved);
                    r.decided_by = Some("carol".into());
                    r
                },
                |e| matches!(e, DecideError::Store(StoreError::NotPending(_))),
            ),
            (
                {
                    let mut r = sample();
                    r.expires_at = now().plus(Duration::ZERO);
                    r
                },
                |e| matches!(e, DecideError::Store(StoreError::PastExpiry(_))),
            ),
        ];
        for (record, expected) in cases {
            let lost = claim_lost_to(record);
            let decider = decider(&[&lost], &[]);
            let err = decider
                .decide(&decision(Outcome::Approved), now())
                .await
                .unwrap_err();
            assert!(expected(&err), "unexpected {err}");
        }
        // A request whose workflow has not yet published its callback is
        // claimed, and the claim released.
        let mut unready = sample();
        unready.callback_id = None;
        let (claim, release) = (update_item(&unready), update_item(&unready));
        let err = decider(&[&claim, &release], &[])
            .decide(&decision(Outcome::Approved), now())
            .await
            .unwrap_err();
        assert!(matches!(err, DecideError::NotReady(_)), "unexpected {err}");
        assert_eq!(release.num_calls(), 1);
    }
}
