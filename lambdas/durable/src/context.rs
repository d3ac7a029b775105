//! The durable context: the operations workflow code calls.
//!
//! Every operation gets a deterministic id from its position in the
//! workflow. On replay, a recorded operation returns its recorded outcome
//! without running again; a new one is checkpointed before its outcome is
//! used. When an operation cannot complete in this invocation (a callback
//! not yet answered, a timer not yet elapsed, a retry delay) the context
//! *suspends*: the handler future is dropped and the invocation answers
//! `PENDING`, and the service invokes the function again when there is news.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_lambda::types::{
    CallbackOptions, ContextOptions, OperationAction, OperationType as SdkType, OperationUpdate,
    StepOptions, WaitOptions,
};
use blake2::{Blake2b512, Digest};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::checkpoint::Shared;
use crate::error::{DurableError, ErrorObject};
use crate::state::{OperationState, OperationStatus, OperationType};

/// The id of the operation at `position` (1-based) under `parent`, as the
/// official SDKs derive it, so histories line up across SDKs.
pub fn operation_id(parent: Option<&str>, position: u64) -> String {
    let key = match parent {
        Some(parent) => format!("{parent}-{position}"),
        None => position.to_string(),
    };
    let digest = Blake2b512::digest(key.as_bytes());
    // Hex of the first 32 bytes: the 64 characters the SDKs keep.
    digest.iter().take(32).map(|b| format!("{b:02x}")).collect()
}

/// A child context's result above this size is not kept; replay re-runs
/// its children instead (the official SDKs' checkpoint size limit).
pub const CHILD_RESULT_LIMIT: usize = 256 * 1024;

/// The SubType of the child context behind `wait_for_callback`.
const WAIT_FOR_CALLBACK: &str = "WaitForCallback";

/// How a step's attempts are retried. The default matches the official
/// SDKs' (6 attempts, 5 s doubling) without their jitter.
#[derive(Debug, Clone)]
pub struct RetryStrategy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub initial_delay: Duration,
    pub backoff_rate: f64,
    pub max_delay: Duration,
}

impl Default for RetryStrategy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            initial_delay: Duration::from_secs(5),
            backoff_rate: 2.0,
            max_delay: Duration::from_secs(300),
        }
    }
}

impl RetryStrategy {
    /// No retries: the first failure is final.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay before attempt `attempt + 1`, after `attempt` failed.
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = self
            .backoff_rate
            .powi(attempt.saturating_sub(1).min(30) as i32);
        let delay = self.initial_delay.mul_f64(factor.max(1.0));
        delay.clamp(
            Duration::from_secs(1),
            self.max_delay.max(Duration::from_secs(1)),
        )
    }
}

/// Whether a step may run more than once per attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StepSemantics {
    /// The step may run again if the function dies mid-attempt (the default).
    #[default]
    AtLeastOncePerRetry,
    /// The attempt's start is checkpointed first; an attempt found started
    /// but unfinished on replay counts as failed and is not run again.
    AtMostOncePerRetry,
}

#[derive(Debug, Clone, Default)]
pub struct StepConfig {
    pub retry: RetryStrategy,
    pub semantics: StepSemantics,
}

#[derive(Debug, Clone, Default)]
pub struct CallbackConfig {
    /// How long the callback may stay unanswered; unlimited when `None`.
    pub timeout: Option<Duration>,
    /// How long between heartbeats before the callback times out.
    pub heartbeat_timeout: Option<Duration>,
}

/// What a step closure sees.
#[derive(Debug, Clone)]
pub struct StepContext {
    /// 1 for the first attempt.
    pub attempt: u32,
    pub operation_id: String,
}

fn sdk_type(kind: OperationType) -> SdkType {
    SdkType::from(kind.as_str())
}

/// The handle workflow code uses for durable operations.
#[derive(Clone)]
pub struct DurableContext {
    shared: Arc<Shared>,
    parent_id: Option<String>,
    counter: Arc<AtomicU64>,
}

impl DurableContext {
    pub(crate) fn root(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            parent_id: None,
            counter: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The ARN of this durable execution.
    pub fn execution_arn(&self) -> &str {
        &self.shared.arn
    }

    /// True while the handler is re-running operations recorded by earlier
    /// invocations, until it reaches a new one; use it to keep side effects
    /// such as log lines to once per execution.
    pub fn is_replaying(&self) -> bool {
        self.shared.replaying.load(Ordering::SeqCst)
    }

    fn next_id(&self) -> String {
        let position = self.counter.fetch_add(1, Ordering::SeqCst) + 1;
        let id = operation_id(self.parent_id.as_deref(), position);
        if !self.shared.replayed_ids.contains(&id) {
            self.shared.replaying.store(false, Ordering::SeqCst);
        }
        id
    }

    fn update(
        &self,
        id: &str,
        name: &str,
        kind: OperationType,
        action: OperationAction,
    ) -> aws_sdk_lambda::types::builders::OperationUpdateBuilder {
        self.update_with_sub_type(id, name, kind, kind.sub_type(), action)
    }

    fn update_with_sub_type(
        &self,
        id: &str,
        name: &str,
        kind: OperationType,
        sub_type: &str,
        action: OperationAction,
    ) -> aws_sdk_lambda::types::builders::OperationUpdateBuilder {
        OperationUpdate::builder()
            .id(id)
            .set_parent_id(self.parent_id.clone())
            .name(name)
            .r#type(sdk_type(kind))
            .sub_type(sub_type)
            .action(action)
    }

    /// The recorded operation at `id`, checked against what the handler asks
    /// for now: a different type or name means the code changed underneath
    /// a running execution.
    async fn replay(
        &self,
        id: &str,
        name: &str,
        kind: OperationType,
    ) -> Result<Option<OperationState>, DurableError> {
        self.replay_with_sub_type(id, name, kind, kind.sub_type())
            .await
    }

    async fn replay_with_sub_type(
        &self,
        id: &str,
        name: &str,
        kind: OperationType,
        sub_type: &str,
    ) -> Result<Option<OperationState>, DurableError> {
        let Some(op) = self.shared.recorded(id).await else {
            return Ok(None);
        };
        let differs = op.kind != kind
            || op.name.as_deref().is_some_and(|recorded| recorded != name)
            || op
                .sub_type
                .as_deref()
                .is_some_and(|recorded| recorded != sub_type)
            || op.parent_id != self.parent_id;
        if differs {
            return Err(DurableError::NonDeterministic(format!(
                "operation {id} was recorded as {} `{}` but the workflow now asks for {} `{name}`; \
                 keep the order of durable operations stable, or publish a new version for the change",
                op.sub_type.as_deref().unwrap_or(op.kind.as_str()),
                op.name.as_deref().unwrap_or(""),
                sub_type,
            )));
        }
        Ok(Some(op))
    }

    /// Runs `f` as a checkpointed step with the default retry strategy.
    pub async fn step<T, E, F, Fut>(&self, name: &str, f: F) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        E: std::fmt::Display,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.step_with(name, StepConfig::default(), f).await
    }

    /// Runs `f` as a checkpointed step. Its result is recorded, so on replay
    /// it is returned without running `f` again.
    pub async fn step_with<T, E, F, Fut>(
        &self,
        name: &str,
        config: StepConfig,
        f: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        E: std::fmt::Display,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        self.step_recording(name, config, f, |err| {
            ErrorObject::new(short_type_name::<E>(), err.to_string())
        })
        .await
    }

    /// [`Self::step_with`], with the error a failed attempt records made
    /// by `describe`.
    pub(crate) async fn step_recording<T, E, F, Fut>(
        &self,
        name: &str,
        config: StepConfig,
        f: F,
        describe: impl FnOnce(&E) -> ErrorObject,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(StepContext) -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let id = self.next_id();
        let recorded = self.replay(&id, name, OperationType::Step).await?;
        let attempt = next_attempt(recorded.as_ref());
        let mut status = recorded.as_ref().map(|op| op.status);
        if let Some(op) = &recorded {
            match op.status {
                OperationStatus::Succeeded => {
                    let result = op.step_details.as_ref().and_then(|d| d.result.as_deref());
                    return decode(name, result);
                }
                OperationStatus::Failed
                | OperationStatus::Cancelled
                | OperationStatus::TimedOut
                | OperationStatus::Stopped => {
                    let error = op
                        .step_details
                        .as_ref()
                        .and_then(|d| d.error.clone())
                        .unwrap_or_default();
                    return Err(DurableError::StepFailed {
                        name: name.to_owned(),
                        error,
                    });
                }
                // A retry is scheduled and its delay has not elapsed.
                OperationStatus::Pending => self.shared.suspend().await,
                OperationStatus::Started
                    if config.semantics == StepSemantics::AtMostOncePerRetry =>
                {
                    // The attempt began and its outcome is unknown: it must
                    // not run again, so it counts as a failed attempt.
                    let error = ErrorObject::new(
                        "StepInterruptedError",
                        format!("step `{name}` was interrupted during attempt {attempt}"),
                    );
                    return self
                        .fail_attempt(&id, name, &config, attempt, error, Vec::new())
                        .await;
                }
                // Started (at least once: run it again, no new START) or
                // Ready (a retry is due: START the next attempt).
                OperationStatus::Started | OperationStatus::Ready => {}
            }
        }

        // START precedes every new attempt. At most once, it is recorded
        // before the body runs; at least once, it travels in the same
        // checkpoint as the attempt's outcome, saving a round trip.
        let mut leading = Vec::new();
        if status != Some(OperationStatus::Started) {
            let start = self
                .update(&id, name, OperationType::Step, OperationAction::Start)
                .build()
                .map_err(build_error)?;
            match config.semantics {
                StepSemantics::AtMostOncePerRetry => self.shared.checkpoint(vec![start]).await?,
                StepSemantics::AtLeastOncePerRetry => leading.push(start),
            }
            status = Some(OperationStatus::Started);
        }
        debug_assert_eq!(status, Some(OperationStatus::Started));

        let outcome = f(StepContext {
            attempt,
            operation_id: id.clone(),
        })
        .await;
        match outcome {
            Ok(value) => {
                let payload = encode(name, &value)?;
                leading.push(
                    self.update(&id, name, OperationType::Step, OperationAction::Succeed)
                        .payload(payload)
                        .build()
                        .map_err(build_error)?,
                );
                self.shared.checkpoint(leading).await?;
                Ok(value)
            }
            Err(err) => {
                let error = describe(&err);
                self.fail_attempt(&id, name, &config, attempt, error, leading)
                    .await
            }
        }
    }

    /// Records a failed attempt, after any `leading` updates: a `RETRY`
    /// after a delay while attempts remain (and suspends), else `FAIL`.
    async fn fail_attempt<T>(
        &self,
        id: &str,
        name: &str,
        config: &StepConfig,
        attempt: u32,
        error: ErrorObject,
        mut leading: Vec<OperationUpdate>,
    ) -> Result<T, DurableError> {
        if attempt < config.retry.max_attempts {
            let delay = config.retry.delay_after(attempt);
            leading.push(
                self.update(id, name, OperationType::Step, OperationAction::Retry)
                    .error(error.to_sdk())
                    .step_options(
                        StepOptions::builder()
                            .next_attempt_delay_seconds(
                                i32::try_from(delay.as_secs()).unwrap_or(i32::MAX),
                            )
                            .build(),
                    )
                    .build()
                    .map_err(build_error)?,
            );
            self.shared.checkpoint(leading).await?;
            self.shared.suspend().await
        }
        leading.push(
            self.update(id, name, OperationType::Step, OperationAction::Fail)
                .error(error.to_sdk())
                .build()
                .map_err(build_error)?,
        );
        self.shared.checkpoint(leading).await?;
        Err(DurableError::StepFailed {
            name: name.to_owned(),
            error,
        })
    }

    /// Runs `f` in a named child context: its operations are grouped under
    /// one CONTEXT operation, and once it finishes its result is replayed
    /// without re-running them.
    pub async fn run_in_child_context<T, F, Fut>(&self, name: &str, f: F) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, DurableError>>,
    {
        self.child_context(name, OperationType::Context.sub_type(), f)
            .await
    }

    async fn child_context<T, F, Fut>(
        &self,
        name: &str,
        sub_type: &str,
        f: F,
    ) -> Result<T, DurableError>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce(DurableContext) -> Fut,
        Fut: Future<Output = Result<T, DurableError>>,
    {
        let id = self.next_id();
        let recorded = self
            .replay_with_sub_type(&id, name, OperationType::Context, sub_type)
            .await?;
        let details = recorded
            .as_ref()
            .and_then(|op| op.context_details.clone())
            .unwrap_or_default();
        let replay_children = details.replay_children == Some(true);
        match recorded.as_ref().map(|op| op.status) {
            Some(OperationStatus::Succeeded) if !replay_children => {
                return decode(name, details.result.as_deref());
            }
            Some(OperationStatus::Failed) => {
                return Err(DurableError::ChildContextFailed {
                    name: name.to_owned(),
                    error: details.error.unwrap_or_default(),
                });
            }
            // Started earlier, or finished with a result too large to keep:
            // run the children again; they replay from their own records.
            Some(_) => {}
            None => self.shared.queue(
                self.update_with_sub_type(
                    &id,
                    name,
                    OperationType::Context,
                    sub_type,
                    OperationAction::Start,
                )
                .build()
                .map_err(build_error)?,
            ),
        }
        let finished = recorded
            .as_ref()
            .is_some_and(|op| op.status == OperationStatus::Succeeded);

        let child = DurableContext {
            shared: self.shared.clone(),
            parent_id: Some(id.clone()),
            counter: Arc::new(AtomicU64::new(0)),
        };
        match f(child).await {
            Ok(value) if finished => Ok(value),
            Ok(value) => {
                let mut payload = encode(name, &value)?;
                let too_large = payload.len() > CHILD_RESULT_LIMIT;
                if too_large {
                    payload.clear();
                }
                self.shared
                    .checkpoint(vec![self
                        .update_with_sub_type(
                            &id,
                            name,
                            OperationType::Context,
                            sub_type,
                            OperationAction::Succeed,
                        )
                        .payload(payload)
                        .context_options(
                            ContextOptions::builder().replay_children(too_large).build(),
                        )
                        .build()
                        .map_err(build_error)?])
                    .await?;
                Ok(value)
            }
            Err(err) => {
                if !err.is_retryable() && !matches!(err, DurableError::NonDeterministic(_)) {
                    self.shared
                        .checkpoint(vec![self
                            .update_with_sub_type(
                                &id,
                                name,
                                OperationType::Context,
                                sub_type,
                                OperationAction::Fail,
                            )
                            .error(err.to_error_object().to_sdk())
                            .build()
                            .map_err(build_error)?])
                        .await?;
                }
                Err(err)
            }
        }
    }

    /// Creates a callback, hands its id to `submitter` in a step (to send it
    /// to whoever will answer), and waits for the answer; all in one child
    /// context, as the official SDKs do.
    pub async fn wait_for_callback<E, F, Fut>(
        &self,
        name: &str,
        config: CallbackConfig,
        submitter: F,
    ) -> Result<Option<String>, DurableError>
    where
        E: std::fmt::Display,
        F: FnOnce(String) -> Fut,
        Fut: Future<Output = Result<(), E>>,
    {
        let name = name.to_owned();
        self.child_context(&name.clone(), WAIT_FOR_CALLBACK, move |ctx| async move {
            let callback = ctx
                .create_callback(&format!("{name} create callback id"), config)
                .await?;
            let callback_id = callback.callback_id().to_owned();
            ctx.step(&format!("{name} submitter"), move |_| {
                submitter(callback_id)
            })
            .await?;
            callback.result().await
        })
        .await
    }

    /// Creates a callback that an outside party completes through
    /// `SendDurableExecutionCallbackSuccess`/`Failure`, with the id returned.
    pub async fn create_callback(
        &self,
        name: &str,
        config: CallbackConfig,
    ) -> Result<Callback, DurableError> {
        let id = self.next_id();
        if self
            .replay(&id, name, OperationType::Callback)
            .await?
            .is_none()
        {
            // Both options are always sent, 0 meaning none, as the official SDKs do.
            let options = CallbackOptions::builder()
                .timeout_seconds(config.timeout.map_or(0, seconds))
                .heartbeat_timeout_seconds(config.heartbeat_timeout.map_or(0, seconds));
            self.shared
                .checkpoint(vec![self
                    .update(&id, name, OperationType::Callback, OperationAction::Start)
                    .callback_options(options.build())
                    .build()
                    .map_err(build_error)?])
                .await?;
        }
        let op = self.shared.recorded(&id).await;
        let callback_id = op
            .as_ref()
            .and_then(|op| op.callback_details.as_ref()?.callback_id.clone())
            .ok_or_else(|| DurableError::Checkpoint {
                message: format!("the service returned no callback id for callback `{name}`"),
                retryable: false,
            })?;
        Ok(Callback {
            shared: self.shared.clone(),
            operation_id: id,
            name: name.to_owned(),
            callback_id,
        })
    }

    /// Waits durably: the function does not run while the timer is pending.
    pub async fn wait(&self, name: &str, duration: Duration) -> Result<(), DurableError> {
        let id = self.next_id();
        match self.replay(&id, name, OperationType::Wait).await? {
            Some(op) if op.status == OperationStatus::Succeeded => Ok(()),
            Some(_) => self.shared.suspend().await,
            None => {
                self.shared
                    .checkpoint(vec![self
                        .update(&id, name, OperationType::Wait, OperationAction::Start)
                        .wait_options(
                            WaitOptions::builder()
                                .wait_seconds(seconds(duration))
                                .build(),
                        )
                        .build()
                        .map_err(build_error)?])
                    .await?;
                self.shared.suspend().await
            }
        }
    }
}

/// A callback created by [`DurableContext::create_callback`].
pub struct Callback {
    shared: Arc<Shared>,
    operation_id: String,
    name: String,
    callback_id: String,
}

impl Callback {
    /// The id to hand to whoever will answer; opaque, may contain `/`, `+`, `=`.
    pub fn callback_id(&self) -> &str {
        &self.callback_id
    }

    pub fn operation_id(&self) -> &str {
        &self.operation_id
    }

    /// The payload the callback was completed with; suspends until then.
    pub async fn result(&self) -> Result<Option<String>, DurableError> {
        let op = self.shared.recorded(&self.operation_id).await;
        let details = op
            .as_ref()
            .and_then(|op| op.callback_details.clone())
            .unwrap_or_default();
        match op.map(|op| op.status) {
            Some(OperationStatus::Succeeded) => Ok(details.result),
            Some(OperationStatus::Failed) => Err(DurableError::CallbackFailed {
                name: self.name.clone(),
                error: details.error.unwrap_or_default(),
            }),
            Some(OperationStatus::TimedOut) => Err(DurableError::CallbackTimedOut {
                name: self.name.clone(),
                error: details.error.unwrap_or_default(),
            }),
            Some(OperationStatus::Cancelled | OperationStatus::Stopped) => {
                Err(DurableError::CallbackFailed {
                    name: self.name.clone(),
                    error: details.error.unwrap_or_default(),
                })
            }
            _ => self.shared.suspend().await,
        }
    }
}

fn seconds(duration: Duration) -> i32 {
    i32::try_from(duration.as_secs().max(1)).unwrap_or(i32::MAX)
}

/// The attempt a step is on: the service counts finished attempts, so the
/// next one. An absurd count (the invocation's JSON carries any `u32`) stays
/// at the largest, which has no attempts left, instead of overflowing.
fn next_attempt(recorded: Option<&OperationState>) -> u32 {
    recorded
        .and_then(|op| op.step_details.as_ref()?.attempt)
        .unwrap_or(0)
        .saturating_add(1)
}

fn build_error(err: aws_sdk_lambda::error::BuildError) -> DurableError {
    DurableError::Checkpoint {
        message: format!("invalid operation update: {err}"),
        retryable: false,
    }
}

fn encode<T: Serialize>(name: &str, value: &T) -> Result<String, DurableError> {
    serde_json::to_string(value).map_err(|e| DurableError::Serialization {
        name: name.to_owned(),
        message: e.to_string(),
    })
}

fn decode<T: DeserializeOwned>(name: &str, payload: Option<&str>) -> Result<T, DurableError> {
    serde_json::from_str(payload.unwrap_or("null")).map_err(|e| DurableError::Serialization {
        name: name.to_owned(),
        message: e.to_string(),
    })
}

/// `MyError` for `my_crate::errors::MyError`: the error type recorded with a failure.
fn short_type_name<E>() -> &'static str {
    let full = std::any::type_name::<E>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_the_official_sdks() {
        // blake2b("1").hexdigest()[:64], as the Python SDK computes it.
        assert_eq!(
            operation_id(None, 1),
            "1ced8f5be2db23a6513eba4d819c73806424748a7bc6fa0d792cc1c7d1775a97"
        );
        assert_eq!(
            operation_id(Some("p"), 1),
            "d34d85f2aecbebcea69fbebbefdc391d610a4c9c1d2a164031193d51e964a059"
        );
    }

    #[test]
    fn retry_delays_back_off_within_bounds() {
        let retry = RetryStrategy::default();
        assert_eq!(retry.max_attempts, 6, "the official SDKs' default");
        assert_eq!(retry.delay_after(1), Duration::from_secs(5));
        assert_eq!(retry.delay_after(2), Duration::from_secs(10));
        assert_eq!(retry.delay_after(3), Duration::from_secs(20));
        assert_eq!(retry.delay_after(40), Duration::from_secs(300));
    }

    fn step_after(attempt: Option<u32>) -> OperationState {
        serde_json::from_value(serde_json::json!({
            "Id": operation_id(None, 1),
            "Type": "STEP",
            "Status": "READY",
            "StepDetails": {"Attempt": attempt},
        }))
        .unwrap()
    }

    #[test]
    fn the_attempt_after_the_recorded_ones() {
        assert_eq!(next_attempt(None), 1);
        assert_eq!(next_attempt(Some(&step_after(None))), 1);
        assert_eq!(next_attempt(Some(&step_after(Some(2)))), 3);
        // This overflowed: a panic with overflow checks, and without them
        // attempt 0, which always has attempts left (fuzz seed
        // invocation_envelope/step-attempt-u32-max.json).
        let last = next_attempt(Some(&step_after(Some(u32::MAX))));
        assert_eq!(last, u32::MAX);
        assert!(last >= RetryStrategy::default().max_attempts);
    }

    #[test]
    fn error_type_names_are_short() {
        assert_eq!(short_type_name::<std::io::Error>(), "Error");
        assert_eq!(short_type_name::<String>(), "String");
    }
}
