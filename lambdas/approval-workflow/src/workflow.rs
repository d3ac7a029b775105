//! The approval workflow: record the request, wait for a decision or the
//! deadline, record the outcome. At the deadline a decision claimed before
//! it but never delivered (its decider crashed between claim and callback)
//! is recorded as the outcome: no claim made in time is lost to `EXPIRED`.

use std::time::Duration;

use hitl_approvals::{ApprovalStore, Closing, Created, StoreError};
use hitl_contract::escalation::Escalation;
use hitl_contract::event::Closed;
use hitl_contract::payload::CANCELLED_ERROR_TYPE;
use hitl_contract::policy::account_of;
use hitl_contract::record::MAX_REFUSALS;
use hitl_contract::reminder;
use hitl_contract::{
    Approval, ApprovalRecord, ApproverPolicy, DecisionPayload, Outcome, Status, SubmitRequest,
    Timestamp, ValidationError, WorkflowResult,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tracing::{info, warn};

use crate::announce::Announcer;
use crate::durable::serdes::SerdesContext;
use crate::durable::{
    BoxError, CallbackErrorKind, DurableContext, OperationError, OperationErrorKind, Serdes,
    TypedError,
};
use crate::judge::{Accepted, Judge, Requester, Standing, Verdict};
use crate::notify::{Audience, Notified, Notifier, Occasion};

/// Why a workflow ends `FAILED`; the variant names the execution's
/// `ErrorType`.
#[derive(Debug, thiserror::Error)]
pub enum WorkflowError {
    #[error("the execution input does not fit the workflow: {0}")]
    InvalidInput(serde_json::Error),
    #[error("invalid approval request: {0}")]
    Invalid(#[from] hitl_contract::ValidationError),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unproven(String),
}

impl WorkflowError {
    /// The error as the execution records it, under its `ErrorType`.
    fn typed(self) -> TypedError {
        let error_type = match self {
            WorkflowError::InvalidInput(_) => "InvalidInput",
            WorkflowError::Invalid(_) => "InvalidRequest",
            WorkflowError::Conflict(_) => "ApprovalIdInUse",
            WorkflowError::Unproven(_) => "RequesterUnproven",
        };
        TypedError::with_type(error_type, self)
    }
}

/// What the workflow needs from its deployment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub store: ApprovalStore,
    pub max_request_timeout: Duration,
    /// The timeout of requests that name none.
    pub default_request_timeout: Duration,
    /// How long records are kept after their deadline (the audit retention).
    pub record_retention: Duration,
    /// Absent when the deployment has no notification topic.
    pub notifier: Option<std::sync::Arc<Notifier>>,
    /// Absent when the deployment names no event bus.
    pub announcer: Option<std::sync::Arc<Announcer>>,
    pub judge: std::sync::Arc<Judge>,
    /// Who may decide and how many approvals close a request, unless the
    /// request narrows it (template parameters `Approvers`,
    /// `RequiredApprovals`).
    pub policy: ApproverPolicy,
    /// When to remind approvers of requests that name no times (template
    /// parameter `ReminderSchedule`).
    pub reminders: Vec<reminder::Before>,
    /// When and to whom requests that name neither are escalated
    /// (template parameters `EscalateAfter`, `EscalateTo`).
    pub escalation: Option<Escalation>,
    /// The topics an escalation may be published to besides the
    /// notification topic (template parameter `EscalationTopics`).
    pub escalation_topics: Vec<String>,
}

/// The outcome of the step that writes the record. A conflict is a result,
/// not an error, so the step is not retried for it.
#[derive(Debug, Serialize, Deserialize)]
enum Recording {
    Recorded {
        expires_at: Timestamp,
        requester: Requester,
    },
    Conflict(String),
    /// The request came with a proof of identity that does not hold.
    Refused(String),
}

/// A decision callback's payload as its sender sent it. The SDK's default
/// would decode it as JSON into a type, and a payload that is not (any
/// Lambda client can send one) would fail the workflow and lose the
/// decision; which callback arrived decides, the payload only says who.
#[derive(Debug, Clone, Copy)]
struct Verbatim;

impl Serdes<String> for Verbatim {
    async fn serialize(&self, value: String, _: SerdesContext) -> Result<String, BoxError> {
        Ok(value)
    }

    async fn deserialize(&self, wire: String, _: SerdesContext) -> Result<String, BoxError> {
        Ok(wire)
    }
}

/// The workflow's handler. It takes its input as JSON and reads the request
/// itself, so input that does not fit ends the execution `FAILED` with
/// `InvalidInput` (the SDK fails the invocation instead, which the service
/// retries).
pub async fn run(
    ctx: DurableContext,
    settings: Settings,
    input: Value,
) -> Result<WorkflowResult, BoxError> {
    let mut request: SubmitRequest =
        serde_json::from_value(input).map_err(|e| WorkflowError::InvalidInput(e).typed())?;
    let id = request.approval_id.clone();
    request
        .timeout_seconds
        .get_or_insert(settings.default_request_timeout.as_secs());
    let timeout = request.timeout();
    request
        .reminders
        .get_or_insert_with(|| reminder::offsets(&settings.reminders, timeout));
    request
        .validate(settings.max_request_timeout)
        .map_err(|e| WorkflowError::Invalid(e).typed())?;
    let account = account_of(ctx.execution_arn()).map(str::to_owned);
    let mut policy = settings
        .policy
        .narrowed_by(request.policy.as_ref(), account.as_deref())
        .map_err(|e| WorkflowError::Invalid(ValidationError::Policy(e)).typed())?;
    request.policy = Some(policy.clone());
    let escalation = escalation_of(&request, &settings, &policy, account.as_deref())
        .map_err(|e| WorkflowError::Invalid(e).typed())?;
    // The record keeps what applies, the stack's defaults filled in.
    request.escalate_after_seconds = Some(escalation.as_ref().map_or(0, |e| e.after_seconds));
    request.escalate_to = escalation.as_ref().map(|e| e.to.clone());

    let store = settings.store.clone();
    let arn = ctx.execution_arn().to_owned();
    let notify_request = request.clone();
    let judge = settings.judge.clone();
    let recording = ctx
        .step(move |_| async move {
            let now = Timestamp::now();
            let requester = match judge.requester(&request, now).await? {
                Ok(requester) => requester,
                Err(refused) => {
                    return Ok(Recording::Refused(format!(
                        "the requester's identity is not proven: {refused}"
                    )))
                }
            };
            let retention = settings.record_retention;
            Ok(record_request(&store, &request, &requester, &arn, retention, now).await?)
        })
        .name("record-request")
        .await?;
    let (expires_at, requester) = match recording {
        Recording::Recorded {
            expires_at,
            requester,
        } => (expires_at, requester),
        Recording::Conflict(message) => {
            return Err(WorkflowError::Conflict(message).typed().into())
        }
        Recording::Refused(message) => return Err(WorkflowError::Unproven(message).typed().into()),
    };

    // Until the request closes, each refused decision and each approval
    // short of the policy's count is recorded, and the workflow waits on a
    // fresh callback (bounded, see MAX_REFUSALS).
    // A reminder or the escalation is a wake-up: the callback times out
    // when one is due, and the workflow acts and waits on a fresh callback
    // (a decider who claimed with the old one sends to the new one, see
    // `Decider`).
    let wakes = wakes(
        &notify_request,
        escalation.as_ref(),
        expires_at,
        settings.notifier.is_some(),
    );
    let mut next_wake = 0;
    let mut round = 0;
    let mut approvals: Vec<Approval> = Vec::new();
    let max_rounds = MAX_REFUSALS + policy.required as usize + wakes.len();
    let closed: Closed = loop {
        let named = |name: &str| match round {
            0 => name.to_owned(),
            n => format!("{name}-{n}"),
        };
        // The callback's own timeout enforces the deadline (or wakes the
        // workflow for the next reminder): the service wakes the workflow
        // with TIMED_OUT when it passes.
        let wake = wakes.get(next_wake).map_or(expires_at, Wake::at);
        let timeout = Duration::from_secs(Timestamp::now().seconds_until_ceil(wake).max(1));
        let callback = ctx
            .create_callback::<String>()
            .name(named("decision"))
            .serdes(Verbatim)
            .timeout(timeout)
            .await?;

        let store = settings.store.clone();
        let callback_id = callback.id().to_owned();
        let attach_id = id.clone();
        let pending: bool = ctx
            .step(move |_| async move {
                match store.attach_callback(&attach_id, &callback_id).await {
                    Ok(()) => Ok(true),
                    // Cancelled before we got here: nothing to publish.
                    Err(StoreError::NotPending(_)) => Ok(false),
                    Err(err) => Err(err.into()),
                }
            })
            .name(named("publish-callback"))
            .await?;
        if !pending {
            break close(&ctx, &settings, &id, &requester.name, Ending::Meanwhile).await?;
        }
        if round == 0 {
            let audience =
                Audience::of(&policy, &requester.name, settings.judge.allow_self_approval);
            notify(
                &ctx,
                &settings,
                &notify_request,
                &requester.name,
                audience,
                expires_at,
            )
            .await?;
            if !ctx.is_replaying() {
                info!(approval_id = %id, expires_at = %expires_at, "waiting for a decision");
            }
        }

        // Which callback arrived says the outcome; its payload says who.
        let decision = match arrived(callback.result().await)? {
            Arrival::Decision(decision) => decision,
            Arrival::Deadline if next_wake < wakes.len() => {
                match wakes[next_wake] {
                    Wake::Remind(due) => {
                        remind(
                            &ctx,
                            &settings,
                            &notify_request,
                            &requester.name,
                            &policy,
                            due,
                            expires_at,
                            &named("remind"),
                        )
                        .await?
                    }
                    Wake::Escalate(due) => {
                        if let Some(escalation) = &escalation {
                            let widened = escalation.widened(&policy);
                            let escalating = Escalating {
                                request: &notify_request,
                                requester: &requester.name,
                                escalation,
                                policy: &widened,
                                due,
                                expires_at,
                            };
                            if escalate(&ctx, &settings, escalating, &named("escalate")).await? {
                                policy = widened;
                            }
                        }
                    }
                }
                next_wake += 1;
                round += 1;
                continue;
            }
            Arrival::Deadline => {
                break close(&ctx, &settings, &id, &requester.name, Ending::AtDeadline).await?
            }
            Arrival::Cancellation(decision) => {
                // `hitl cancel` wrote CANCELLED first; a sender who did not
                // is judged as the rejection their callback is.
                let store = settings.store.clone();
                let cancelled_id = id.clone();
                let cancelled: bool = ctx
                    .step(move |_| async move {
                        Ok(store.fetch(&cancelled_id).await?.status == Status::Cancelled)
                    })
                    .name(named("check-cancellation"))
                    .await?;
                if cancelled {
                    break close(&ctx, &settings, &id, &requester.name, Ending::Meanwhile).await?;
                }
                decision
            }
        };
        let judge = settings.judge.clone();
        let (judge_id, judged_requester, judged) =
            (id.clone(), requester.name.clone(), decision.clone());
        let (judged_policy, counted, judged_account) =
            (policy.clone(), approvals.clone(), account.clone());
        let verdict: Verdict = ctx
            .step(move |_| async move {
                let standing = Standing {
                    approval_id: &judge_id,
                    requester: &judged_requester,
                    policy: &judged_policy,
                    approvals: &counted,
                    account: judged_account.as_deref(),
                };
                Ok(judge.decision(standing, &judged, Timestamp::now()).await?)
            })
            .name(named("judge-decision"))
            .await?;
        let store = settings.store.clone();
        let record_id = id.clone();
        match verdict {
            Verdict::Accepted(accepted)
                if decision.outcome == Outcome::Approved
                    && approvals.len() + 1 < policy.required as usize =>
            {
                // Counted; the request needs more approvals.
                let approval = accepted.approval(&decision);
                let counted = approval.clone();
                ctx.step(move |_| async move {
                    match store.record_approval(&record_id, &counted).await {
                        Ok(_) | Err(StoreError::NotPending(_)) => Ok(()),
                        Err(err) => Err(err.into()),
                    }
                })
                .name(named("record-approval"))
                .await?;
                if !ctx.is_replaying() {
                    info!(approval_id = %id, approver = %approval.by, counted = approvals.len() + 1, required = policy.required, "approval counted");
                }
                approvals.push(approval);
            }
            Verdict::Accepted(accepted) => {
                let ending = Ending::Decided(accepted, Box::new(decision));
                break close(&ctx, &settings, &id, &requester.name, ending).await?;
            }
            Verdict::Refused(refusal) => {
                if !ctx.is_replaying() {
                    warn!(approval_id = %id, reason = %refusal.reason, "decision refused");
                }
                ctx.step(move |_| async move {
                    match store.record_refusal(&record_id, &refusal).await {
                        Ok(_) | Err(StoreError::NotPending(_)) => Ok(()),
                        Err(err) => Err(err.into()),
                    }
                })
                .name(named("record-refusal"))
                .await?;
            }
        }
        round += 1;
        if round >= max_rounds {
            break close(
                &ctx,
                &settings,
                &id,
                &requester.name,
                Ending::TooManyRefusals,
            )
            .await?;
        }
    };
    if !ctx.is_replaying() {
        info!(
            approval_id = %id,
            status = %closed.status,
            decided_by = closed.decided_by.as_deref().unwrap_or(""),
            "request closed"
        );
    }
    announce(&ctx, &settings, &closed).await?;
    Ok(closed.result())
}

/// Tells whoever waits for the outcome: the event on the bus, then the
/// requester. Each is a step of its own, so one that fails for good (it is
/// logged) neither fails the request nor stops the other.
async fn announce(
    ctx: &DurableContext,
    settings: &Settings,
    closed: &Closed,
) -> Result<(), OperationError> {
    let id = &closed.approval_id;
    if let Some(announcer) = settings.announcer.clone() {
        let event = closed.clone();
        let published = ctx
            .step(move |_| async move { Ok(announcer.announce(&event).await?) })
            .name("publish-outcome-event")
            .await;
        if let Some(event_id) = best_effort(ctx, published, id, "the outcome event")? {
            if !ctx.is_replaying() {
                info!(approval_id = %id, event_id = %event_id, "outcome event published");
            }
        }
    }
    if let Some(notifier) = settings.notifier.clone() {
        let event = closed.clone();
        let told = ctx
            .step(move |_| async move { Ok(notifier.tell_requester(&event).await?) })
            .name("notify-requester")
            .await;
        if best_effort(ctx, told, id, "the requester's message")?.is_some() && !ctx.is_replaying() {
            info!(approval_id = %id, "requester notified");
        }
    }
    Ok(())
}

/// A step that tells someone: its value, or `None` (logged) when it failed
/// for good; the durable runtime's own errors pass through.
#[allow(clippy::result_large_err)]
fn best_effort<T>(
    ctx: &DurableContext,
    result: Result<T, OperationError>,
    id: &str,
    what: &str,
) -> Result<Option<T>, OperationError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err) if matches!(err.kind(), OperationErrorKind::Step(_)) => {
            if !ctx.is_replaying() {
                warn!(approval_id = %id, error = %format_args!("{err:#}"), "{what} could not be sent");
            }
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// Sends the approvers their notification. After the callback is published,
/// so the links work at once. A notification that cannot be sent does not
/// fail the request: approvers can still decide with `hitl`.
async fn notify(
    ctx: &DurableContext,
    settings: &Settings,
    request: &SubmitRequest,
    requester: &str,
    audience: Audience,
    expires_at: Timestamp,
) -> Result<(), OperationError> {
    let Some(notifier) = settings.notifier.clone() else {
        return Ok(());
    };
    let store = settings.store.clone();
    let request = request.clone();
    let requester = requester.to_owned();
    let id = request.approval_id.clone();
    let notified = ctx
        .step(move |_| async move {
            let notified = notifier
                .notify(
                    &store,
                    &request,
                    &requester,
                    &audience,
                    expires_at,
                    Occasion::Request,
                )
                .await?;
            Ok(notified)
        })
        .name("notify-approvers")
        .await;
    if let Some(Notified::Sent {
        message_ids,
        addressees,
    }) = best_effort(ctx, notified, &id, "the approvers' notification")?
    {
        if !ctx.is_replaying() {
            info!(approval_id = %id, messages = message_ids.len(), addressees = %addressees.join(", "), "approvers notified");
        }
    }
    Ok(())
}

/// Reminds the approvers who have not decided, once for the reminder due
/// at `due` (the step marks it sent on the record, so a retry sends it at
/// most once more and a replay never). Nothing goes out once the request is
/// closed or its deadline has passed; a reminder that cannot be sent does
/// not fail the request.
#[allow(clippy::too_many_arguments)]
async fn remind(
    ctx: &DurableContext,
    settings: &Settings,
    request: &SubmitRequest,
    requester: &str,
    policy: &ApproverPolicy,
    due: Timestamp,
    expires_at: Timestamp,
    name: &str,
) -> Result<(), OperationError> {
    let Some(notifier) = settings.notifier.clone() else {
        return Ok(());
    };
    let store = settings.store.clone();
    let request = request.clone();
    let requester = requester.to_owned();
    let id = request.approval_id.clone();
    let audience = Audience::of(policy, &requester, settings.judge.allow_self_approval);
    let reminded = ctx
        .step(move |_| async move {
            let now = Timestamp::now();
            if now >= expires_at {
                return Ok(Notified::NotNeeded);
            }
            let record = match store.record_reminder(&request.approval_id, due).await {
                Ok(record) => record,
                Err(StoreError::NotPending(_)) => return Ok(Notified::NotNeeded),
                Err(err) => return Err(err.into()),
            };
            let audience = audience.not_yet(&record.audit.approvals);
            let left = Duration::from_secs(now.seconds_until(expires_at));
            let occasion = Occasion::Reminder { left };
            Ok(notifier
                .notify(
                    &store, &request, &requester, &audience, expires_at, occasion,
                )
                .await?)
        })
        .name(name)
        .await;
    if let Some(Notified::Sent { addressees, .. }) = best_effort(ctx, reminded, &id, "a reminder")?
    {
        if !ctx.is_replaying() {
            info!(approval_id = %id, due = %due, addressees = %addressees.join(", "), "approvers reminded");
        }
    }
    Ok(())
}

/// The escalation that applies to `request`: what it names, the stack's
/// for what it leaves out; checked against the request's timeout, the
/// stack's approvers and topics, and the size of the widened `policy`.
fn escalation_of(
    request: &SubmitRequest,
    settings: &Settings,
    policy: &ApproverPolicy,
    account: Option<&str>,
) -> Result<Option<Escalation>, ValidationError> {
    let escalation = Escalation::for_request(
        request.escalate_after_seconds,
        request.escalate_to.as_deref(),
        settings.escalation.as_ref(),
    )?;
    if let Some(escalation) = &escalation {
        escalation.validate(
            request.timeout().as_secs(),
            &settings.policy,
            &settings.escalation_topics,
            account,
        )?;
        escalation.widened(policy).validate()?;
    }
    Ok(escalation)
}

/// A time the workflow wakes before the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wake {
    Remind(Timestamp),
    Escalate(Timestamp),
}

impl Wake {
    fn at(&self) -> Timestamp {
        match *self {
            Wake::Remind(at) | Wake::Escalate(at) => at,
        }
    }
}

/// When the workflow wakes, earliest first: each reminder (only with a
/// notification topic to send them on) and the escalation.
fn wakes(
    request: &SubmitRequest,
    escalation: Option<&Escalation>,
    expires_at: Timestamp,
    notifies: bool,
) -> Vec<Wake> {
    let mut wakes: Vec<Wake> = match notifies {
        true => reminder::due(expires_at, request.reminders.as_deref().unwrap_or_default())
            .into_iter()
            .map(Wake::Remind)
            .collect(),
        false => Vec::new(),
    };
    if let Some(escalation) = escalation {
        let timeout = request.timeout().as_secs();
        wakes.push(Wake::Escalate(escalation.due(expires_at, timeout)));
    }
    // Stable: a reminder due with the escalation goes first.
    wakes.sort_by_key(Wake::at);
    wakes
}

/// What an escalation step needs to know.
struct Escalating<'a> {
    request: &'a SubmitRequest,
    requester: &'a str,
    escalation: &'a Escalation,
    /// The request's policy once escalated.
    policy: &'a ApproverPolicy,
    due: Timestamp,
    expires_at: Timestamp,
}

/// Escalates the request: one step records it with the widened policy
/// (once; nothing once the request has closed or its deadline passed),
/// another tells the approvers added and the topics named. Whether it was
/// recorded, so that the workflow judges with the widened policy exactly
/// when the record shows it; a message that cannot be sent does not fail
/// the request.
async fn escalate(
    ctx: &DurableContext,
    settings: &Settings,
    escalating: Escalating<'_>,
    name: &str,
) -> Result<bool, OperationError> {
    let Escalating {
        request,
        requester,
        escalation,
        policy,
        due,
        expires_at,
    } = escalating;
    let id = request.approval_id.clone();
    let (store, record_id, widened) = (settings.store.clone(), id.clone(), policy.clone());
    let recorded = ctx
        .step(move |_| async move {
            if Timestamp::now() >= expires_at {
                return Ok(false);
            }
            match store.record_escalation(&record_id, due, &widened).await {
                Ok(_) => Ok(true),
                Err(StoreError::NotPending(_)) => Ok(false),
                Err(err) => Err(err.into()),
            }
        })
        .name(name)
        .await;
    if best_effort(ctx, recorded, &id, "the escalation")? != Some(true) {
        return Ok(false);
    }
    if !ctx.is_replaying() {
        info!(approval_id = %id, due = %due, to = %escalation.targets(), "request escalated");
    }
    let Some(notifier) = settings.notifier.clone() else {
        return Ok(true);
    };
    let store = settings.store.clone();
    let request = request.clone();
    let requester = requester.to_owned();
    let added = ApproverPolicy {
        approvers: escalation.approvers().map(str::to_owned).collect(),
        required: 1,
    };
    let audience = (!added.is_open())
        .then(|| Audience::of(&added, &requester, settings.judge.allow_self_approval));
    let topics: Vec<String> = escalation.topics().map(str::to_owned).collect();
    let told = ctx
        .step(move |_| async move {
            let left = Duration::from_secs(Timestamp::now().seconds_until(expires_at));
            let occasion = Occasion::Escalation { left };
            let mut message_ids = Vec::new();
            if let Some(audience) = &audience {
                if let Notified::Sent {
                    message_ids: sent, ..
                } = notifier
                    .notify(&store, &request, &requester, audience, expires_at, occasion)
                    .await?
                {
                    message_ids.extend(sent);
                }
            }
            for topic in &topics {
                message_ids.push(
                    notifier
                        .tell_topic(topic, &request, &requester, expires_at, occasion)
                        .await?,
                );
            }
            Ok(message_ids)
        })
        .name(format!("{name}-notify"))
        .await;
    best_effort(ctx, told, &id, "the escalation's messages")?;
    Ok(true)
}

/// What ended a wait on the decision callback.
enum Arrival {
    Decision(DecisionPayload),
    /// A failure sent with the error type `hitl cancel` uses: a cancellation
    /// when the record says so, else the rejection it carries.
    Cancellation(DecisionPayload),
    Deadline,
}

// The error is the durable SDK's own, passed through as the SDK returns it.
#[allow(clippy::result_large_err)]
fn arrived(result: Result<String, OperationError>) -> Result<Arrival, OperationError> {
    match result {
        Ok(payload) => Ok(Arrival::Decision(DecisionPayload::from_callback(
            Outcome::Approved,
            Some(&payload),
            None,
        ))),
        Err(err) => match callback_failure(&err) {
            Some(CallbackErrorKind::ExternalFailure { .. }) => {
                let wire = err.wire();
                let decision = DecisionPayload::from_callback(
                    Outcome::Rejected,
                    wire.and_then(|w| w.error_data()),
                    wire.and_then(|w| w.error_message()),
                );
                Ok(
                    match wire.and_then(|w| w.error_type()) == Some(CANCELLED_ERROR_TYPE) {
                        true => Arrival::Cancellation(decision),
                        false => Arrival::Decision(decision),
                    },
                )
            }
            Some(CallbackErrorKind::TimedOut { .. }) => Ok(Arrival::Deadline),
            _ => Err(err),
        },
    }
}

/// How a request ends.
enum Ending {
    Decided(Accepted, Box<DecisionPayload>),
    AtDeadline,
    TooManyRefusals,
    /// Closed by someone else meanwhile (cancelled): the record says how.
    Meanwhile,
}

/// Records the outcome in one step. The step keeps only the outcome (the
/// event announcing it), not the whole record: checkpoints stay small
/// whatever the request's description and details hold.
async fn close(
    ctx: &DurableContext,
    settings: &Settings,
    id: &str,
    requester: &str,
    ending: Ending,
) -> Result<Closed, OperationError> {
    let store = settings.store.clone();
    let judge = settings.judge.clone();
    let (id, requester) = (id.to_owned(), requester.to_owned());
    ctx.step(move |_| async move {
        let record = match ending {
            Ending::Decided(accepted, decision) => {
                record_decision(&store, &id, &accepted, &decision).await?
            }
            Ending::AtDeadline => record_deadline(&store, &judge, &id, &requester).await?,
            Ending::TooManyRefusals => {
                let closing = Closing::nobody(Status::Expired, Timestamp::now());
                finish_or_keep(&store, &id, &closing).await?
            }
            Ending::Meanwhile => store.fetch(&id).await?,
        };
        Closed::of(&record).ok_or_else(|| -> BoxError {
            format!("the record `{id}` is still PENDING after its outcome was written; the step is retried").into()
        })
    })
    .name("record-outcome")
    .await
}

/// How a callback ended, when the error is a callback's.
fn callback_failure(err: &OperationError) -> Option<&CallbackErrorKind> {
    match err.kind() {
        OperationErrorKind::Callback(callback) => Some(callback.kind()),
        _ => None,
    }
}

/// Writes the pending record, or finds the one an earlier attempt of this
/// step wrote: then its deadline is the stored one, never a new one, so the
/// callback, the links and the email end when the record does.
async fn record_request(
    store: &ApprovalStore,
    request: &SubmitRequest,
    requester: &Requester,
    execution_arn: &str,
    retention: Duration,
    now: Timestamp,
) -> Result<Recording, StoreError> {
    let mut record = ApprovalRecord::pending(request, execution_arn, now).retained_for(retention);
    record.requester = requester.name.clone();
    record.audit.requester_evidence = requester.evidence;
    match store.create(&record).await {
        Ok(Created::New) => Ok(Recording::Recorded {
            expires_at: record.expires_at,
            requester: requester.clone(),
        }),
        Ok(Created::AlreadyThere) => {
            let stored = store.fetch(&record.approval_id).await?;
            Ok(Recording::Recorded {
                expires_at: stored.expires_at,
                requester: Requester {
                    name: stored.requester,
                    evidence: stored.audit.requester_evidence,
                },
            })
        }
        Err(err @ StoreError::IdInUse(_)) => Ok(Recording::Conflict(err.to_string())),
        Err(err) => Err(err),
    }
}

/// Records the decision a callback delivered, as the judge accepted it.
async fn record_decision(
    store: &ApprovalStore,
    id: &str,
    accepted: &Accepted,
    decision: &DecisionPayload,
) -> Result<ApprovalRecord, StoreError> {
    let approval = accepted.approval(decision);
    let closing = Closing {
        status: decision.outcome.status(),
        decided_by: Some(&accepted.decided_by),
        decided_at: accepted.decided_at,
        comment: decision.comment.as_deref(),
        evidence: Some(accepted.evidence),
        on_behalf_of: decision.on_behalf_of.as_deref(),
        approval: (decision.outcome == Outcome::Approved).then_some(&approval),
    };
    finish_or_keep(store, id, &closing).await
}

/// Writes `closing`, or keeps the status a record closed meanwhile has
/// (cancelled).
async fn finish_or_keep(
    store: &ApprovalStore,
    id: &str,
    closing: &Closing<'_>,
) -> Result<ApprovalRecord, StoreError> {
    match store.finish(id, closing).await {
        Ok(record) => Ok(record),
        Err(StoreError::NotPending(record)) => Ok(*record),
        Err(err) => Err(err),
    }
}

/// How often the deadline path re-reads a record that a claim keeps changing.
const DEADLINE_ATTEMPTS: usize = 5;

/// The longest the deadline path waits for the record's own deadline: the
/// callback's timeout is whole seconds, so it may fire just before it.
const DEADLINE_SLACK: Duration = Duration::from_secs(2);

/// The callback timed out: record the decision claimed before the deadline
/// (by its claimant, at its claim's time, with its comment) if the judge
/// accepts its proof, or `Expired` when nobody claimed one. A claim is never
/// erased here, unless it was made after the deadline or the judge refused
/// it (then the refusal is in the audit trail).
async fn record_deadline(
    store: &ApprovalStore,
    judge: &Judge,
    id: &str,
    requester: &str,
) -> Result<ApprovalRecord, BoxError> {
    let mut last = None;
    let mut waited = false;
    for _ in 0..DEADLINE_ATTEMPTS {
        let record = store.fetch(id).await?;
        if record.status != Status::Pending {
            return Ok(record);
        }
        let now = Timestamp::now();
        if !waited && now < record.expires_at {
            // Woken a moment early: let a decision claimed in time land first.
            waited = true;
            let early = record.expires_at.unix_millis() - now.unix_millis();
            let early = Duration::from_millis(u64::try_from(early).unwrap_or(0));
            tokio::time::sleep(early.min(DEADLINE_SLACK)).await;
            continue;
        }
        let written = match &record.claim {
            Some(claim) if claim.at < record.expires_at => {
                let decision = DecisionPayload::claimed(claim);
                let policy = record.policy.clone().unwrap_or_default();
                let standing = Standing {
                    approval_id: id,
                    requester,
                    policy: &policy,
                    approvals: &record.audit.approvals,
                    account: record.execution_arn.as_deref().and_then(account_of),
                };
                match judge.decision(standing, &decision, now).await? {
                    Verdict::Accepted(accepted) => {
                        // Decided when claimed, not when the deadline woke us.
                        let accepted = Accepted {
                            decided_at: claim.at,
                            ..accepted
                        };
                        let short = decision.outcome == Outcome::Approved
                            && record.audit.approvals.len() + 1 < policy.required as usize;
                        if short {
                            // Counted, but too few approvals came in time.
                            let approval = accepted.approval(&decision);
                            let closing = Closing {
                                approval: Some(&approval),
                                ..Closing::nobody(Status::Expired, now)
                            };
                            store.finish(id, &closing).await
                        } else {
                            record_decision(store, id, &accepted, &decision).await
                        }
                    }
                    Verdict::Refused(refusal) => {
                        store.record_refusal(id, &refusal).await?;
                        store
                            .finish(id, &Closing::nobody(Status::Expired, now))
                            .await
                    }
                }
            }
            Some(_) => {
                store
                    .finish(id, &Closing::nobody(Status::Expired, now))
                    .await
            }
            None => store.expire_unclaimed(id, now).await,
        };
        match written {
            Ok(record) => return Ok(record),
            Err(StoreError::NotPending(record)) => return Ok(*record),
            // A claim arrived between the read and the write: read it.
            Err(err @ StoreError::ClaimedByOther { .. }) => last = Some(err),
            Err(err) => return Err(err.into()),
        }
    }
    Err(last
        .unwrap_or_else(|| StoreError::Aws {
            operation: "UpdateItem",
            table: store.table().to_owned(),
            message: format!(
                "the record `{id}` kept changing at its deadline; the step is retried"
            ),
            status: None,
        })
        .into())
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use hitl_approvals::test_util::condition_check_failed;
    use hitl_contract::Claim;

    use super::*;
    use hitl_approvals::test_util::get_item;

    const ARN: &str =
        "arn:aws:lambda:eu-west-1:123456789012:function:wf:1/durable-execution/req-1/a";

    /// A stack's audit retention: a year.
    const RETENTION: Duration = Duration::from_secs(365 * 86_400);

    fn request() -> SubmitRequest {
        SubmitRequest {
            timeout_seconds: Some(3600),
            ..SubmitRequest::new("req-1", "Deploy", "alice")
        }
    }

    fn at(text: &str) -> Timestamp {
        Timestamp::parse(text).unwrap()
    }

    #[test]
    fn the_workflow_wakes_for_each_reminder_and_the_escalation_in_time_order() {
        let expires = at("2026-11-22T12:00:00Z");
        let request = SubmitRequest {
            reminders: Some(vec![1_800, 600]),
            ..request()
        };
        let escalation = Escalation {
            after_seconds: 2_400,
            to: vec!["carol@example.com".into()],
        };
        assert_eq!(
            wakes(&request, Some(&escalation), expires, true),
            [
                Wake::Remind(at("2026-11-22T11:30:00Z")),
                Wake::Escalate(at("2026-11-22T11:40:00Z")),
                Wake::Remind(at("2026-11-22T11:50:00Z")),
            ]
        );
        // Without a topic nobody is reminded; the escalation still widens
        // the policy.
        assert_eq!(
            wakes(&request, Some(&escalation), expires, false),
            [Wake::Escalate(at("2026-11-22T11:40:00Z"))]
        );
        assert_eq!(wakes(&request, None, expires, false), []);
    }

    fn pending(created: Timestamp) -> ApprovalRecord {
        ApprovalRecord::pending(&request(), ARN, created)
    }

    fn store(rules: &[&Rule]) -> ApprovalStore {
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules);
        ApprovalStore::new(client, "approvals")
    }

    #[tokio::test]
    async fn a_new_record_is_kept_for_the_stacks_retention_after_its_deadline() {
        let now = at("2026-11-22T10:00:00Z");
        // One hour to decide, then a year of audit.
        let kept_until = now
            .plus(Duration::from_secs(3600))
            .plus(RETENTION)
            .unix_seconds();
        let put = mock!(aws_sdk_dynamodb::Client::put_item)
            .match_requests(move |req| {
                req.item().and_then(|item| item.get("ttl"))
                    == Some(&aws_sdk_dynamodb::types::AttributeValue::N(
                        kept_until.to_string(),
                    ))
            })
            .then_output(|| {
                aws_sdk_dynamodb::operation::put_item::PutItemOutput::builder().build()
            });
        let store = store(&[&put]);
        record_request(&store, &request(), &requester(), ARN, RETENTION, now)
            .await
            .unwrap();
        assert_eq!(put.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_retried_record_request_keeps_the_stored_deadline() {
        // The first attempt wrote the record an hour ago, then its
        // checkpoint was lost; the retry must not move the deadline.
        let first = pending(at("2026-11-22T09:00:00Z"));
        let exists = mock!(aws_sdk_dynamodb::Client::put_item)
            .then_error(|| PutItemError::ConditionalCheckFailedException(condition_check_failed()));
        let (found, read) = (get_item(&first), get_item(&first));
        let store = store(&[&exists, &found, &read]);
        let recording = record_request(
            &store,
            &request(),
            &requester(),
            ARN,
            RETENTION,
            at("2026-11-22T10:00:00Z"),
        )
        .await
        .unwrap();
        match recording {
            Recording::Recorded {
                expires_at,
                requester,
            } => {
                assert_eq!(expires_at, first.expires_at);
                assert_eq!(expires_at, at("2026-11-22T10:00:00Z"));
                assert_eq!(requester.name, "alice");
            }
            other => panic!("{other:?}"),
        }
    }

    fn requester() -> Requester {
        Requester {
            name: "alice".into(),
            evidence: hitl_contract::Evidence::Unverified,
        }
    }

    /// A judge that checks nobody (a stack with `VerifyDeciders` false).
    fn unverified() -> Judge {
        Judge {
            verification: crate::judge::Verification::Off,
            allow_self_approval: false,
            notifier: None,
        }
    }

    #[tokio::test]
    async fn with_verification_on_a_claim_without_proof_expires_at_the_deadline_and_says_why() {
        let stuck = claimed(
            "mallory",
            Outcome::Approved,
            Timestamp::now().minus(Duration::from_secs(5000)),
        );
        let mut expired = stuck.clone();
        expired.status = Status::Expired;
        expired.claim = None;
        let read = get_item(&stuck);
        let refusal = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.update_expression()
                    .is_some_and(|e| e.contains("list_append"))
            })
            .then_output(move || {
                UpdateItemOutput::builder()
                    .set_attributes(Some(stuck.to_item()))
                    .build()
            });
        let expire = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.expression_attribute_values()
                    .and_then(|v| v.get(":status"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|s| s == "EXPIRED")
                    && req
                        .expression_attribute_values()
                        .is_some_and(|v| !v.contains_key(":dby"))
            })
            .then_output(move || {
                UpdateItemOutput::builder()
                    .set_attributes(Some(expired.to_item()))
                    .build()
            });
        let store = store(&[&read, &refusal, &expire]);
        let judge = Judge {
            verification: crate::judge::Verification::On(crate::judge::Sts::new(
                "http://127.0.0.1:9",
            )),
            allow_self_approval: false,
            notifier: None,
        };
        let record = record_deadline(&store, &judge, "req-1", "alice")
            .await
            .unwrap();
        assert_eq!(record.status, Status::Expired);
        assert_eq!(record.decided_by, None);
        assert_eq!((refusal.num_calls(), expire.num_calls()), (1, 1));
    }

    fn claimed(by: &str, outcome: Outcome, claim_at: Timestamp) -> ApprovalRecord {
        // Created two hours ago with a one-hour timeout: past its deadline.
        let created = Timestamp::now().minus(Duration::from_secs(7200));
        let mut record = pending(created);
        record.claim = Some(Claim {
            outcome,
            by: by.into(),
            at: claim_at,
            comment: Some("ship it".into()),
            proof: None,
        });
        record
    }

    #[tokio::test]
    async fn at_the_deadline_a_claim_made_in_time_is_recorded_as_the_decision() {
        let stuck = claimed(
            "bob",
            Outcome::Approved,
            Timestamp::now().minus(Duration::from_secs(5000)),
        );
        let claim_at = stuck.claim.as_ref().unwrap().at;
        let mut approved = stuck.clone();
        approved.status = Status::Approved;
        approved.decided_by = Some("bob".into());
        approved.decided_at = Some(claim_at);
        approved.comment = Some("ship it".into());
        approved.claim = None;
        let read = get_item(&stuck);
        let finish = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(move |req| {
                let value = |k: &str| {
                    req.expression_attribute_values()
                        .and_then(|v| v.get(k))
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                };
                value(":status").as_deref() == Some("APPROVED")
                    && value(":dby").as_deref() == Some("bob")
                    && value(":dat") == Some(claim_at.to_string())
                    && value(":comment").as_deref() == Some("ship it")
            })
            .then_output(move || {
                UpdateItemOutput::builder()
                    .set_attributes(Some(approved.to_item()))
                    .build()
            });
        let store = store(&[&read, &finish]);
        let record = record_deadline(&store, &unverified(), "req-1", "alice")
            .await
            .unwrap();
        assert_eq!(record.status, Status::Approved);
        assert_eq!(record.decided_by.as_deref(), Some("bob"));
        assert_eq!(finish.num_calls(), 1);
    }

    #[tokio::test]
    async fn at_the_deadline_a_claim_short_of_the_quorum_is_counted_and_the_request_expires() {
        let mut stuck = claimed(
            "bob",
            Outcome::Approved,
            Timestamp::now().minus(Duration::from_secs(5000)),
        );
        stuck.policy = Some(ApproverPolicy {
            approvers: Vec::new(),
            required: 2,
        });
        let mut expired = stuck.clone();
        expired.status = Status::Expired;
        expired.claim = None;
        let read = get_item(&stuck);
        let expire = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                let values = req.expression_attribute_values();
                values
                    .and_then(|v| v.get(":status"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|s| s == "EXPIRED")
                    && values.is_some_and(|v| v.contains_key(":ap") && !v.contains_key(":dby"))
            })
            .then_output(move || {
                UpdateItemOutput::builder()
                    .set_attributes(Some(expired.to_item()))
                    .build()
            });
        let store = store(&[&read, &expire]);
        let record = record_deadline(&store, &unverified(), "req-1", "alice")
            .await
            .unwrap();
        assert_eq!(record.status, Status::Expired);
        assert_eq!(expire.num_calls(), 1, "one write: counted, and expired");
    }

    #[tokio::test]
    async fn a_claim_that_lands_during_expiry_is_recorded_not_erased() {
        let unclaimed = claimed("x", Outcome::Approved, Timestamp::now());
        let mut unclaimed = unclaimed;
        unclaimed.claim = None;
        let racing = claimed(
            "carol",
            Outcome::Rejected,
            Timestamp::now().minus(Duration::from_secs(4000)),
        );
        let mut rejected = racing.clone();
        rejected.status = Status::Rejected;
        rejected.decided_by = Some("carol".into());
        rejected.claim = None;
        let first = get_item(&unclaimed);
        let refused = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.expression_attribute_values()
                    .and_then(|v| v.get(":expired"))
                    .is_some()
            })
            .then_error(|| {
                UpdateItemError::ConditionalCheckFailedException(condition_check_failed())
            });
        let (explained, reread) = (get_item(&racing), get_item(&racing));
        let finish = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.expression_attribute_values()
                    .and_then(|v| v.get(":status"))
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|s| s == "REJECTED")
            })
            .then_output(move || {
                UpdateItemOutput::builder()
                    .set_attributes(Some(rejected.to_item()))
                    .build()
            });
        let store = store(&[&first, &refused, &explained, &reread, &finish]);
        let record = record_deadline(&store, &unverified(), "req-1", "alice")
            .await
            .unwrap();
        assert_eq!(record.status, Status::Rejected);
        assert_eq!(record.decided_by.as_deref(), Some("carol"));
        assert_eq!((refused.num_calls(), finish.num_calls()), (1, 1));
    }

    #[tokio::test]
    async fn at_the_deadline_an_unclaimed_request_expires() {
        let mut open = claimed("x", Outcome::Approved, Timestamp::now());
        open.claim = None;
        let mut expired = open.clone();
        expired.status = Status::Expired;
        let read = get_item(&open);
        let expire = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.condition_expression()
                    .is_some_and(|c| c.contains("attribute_not_exists(#co)"))
            })
            .then_output(move || {
                UpdateItemOutput::builder()
                    .set_attributes(Some(expired.to_item()))
                    .build()
            });
        let store = store(&[&read, &expire]);
        let record = record_deadline(&store, &unverified(), "req-1", "alice")
            .await
            .unwrap();
        assert_eq!(record.status, Status::Expired);
    }
}
