//! The official Rust SDK's API over this runtime: the subset of
//! `aws-durable-execution-sdk` our workflows use, with its names, builders
//! and error kinds, so one workflow source builds on either runtime by
//! changing the `use` that names it (`use hitl_durable::sdk as durable` or
//! `use aws_durable_execution_sdk as durable`).
//!
//! Where the two differ (see the crate docs for the histories):
//! - retry strategies have no jitter (a [`builders::JitterStrategy`] is
//!   accepted and ignored), and the default strategy is this runtime's;
//! - a callback's timeout is [`CallbackErrorKind::TimedOut`] whether the
//!   overall or the heartbeat timeout fired;
//! - only the operations below exist: no `invoke`, `map`, `parallel`,
//!   `wait_for_condition` or combinators, and no per-step serdes.

use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::context::{CallbackConfig, StepConfig};
use crate::error::{DurableError, ErrorObject};
use crate::runtime::HandlerError;

pub use crate::context::StepContext;
pub use serdes::{JsonSerdes, Serdes};

/// The error type handlers and step closures return.
pub type BoxError = Box<dyn Error + Send + Sync>;

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Serves `handler` as a durable Lambda function until the runtime stops.
pub async fn run<F, E, Fut, O>(handler: F) -> Result<(), lambda_runtime::Error>
where
    F: Fn(E, DurableContext) -> Fut + Send + Sync + 'static,
    E: DeserializeOwned + Send + 'static,
    Fut: Future<Output = Result<O, BoxError>> + Send,
    O: Serialize + Send + 'static,
{
    let handler = Arc::new(handler);
    crate::run(move |ctx, input: E| {
        let handler = handler.clone();
        async move {
            handler(input, DurableContext(ctx))
                .await
                .map_err(handler_error)
        }
    })
    .await
}

/// A handler's error as the execution ends with it: an operation's error
/// keeps the runtime's meaning (a passing service failure retries the
/// invocation); any other is recorded under its [`TypedError`] name.
fn handler_error(err: BoxError) -> HandlerError {
    match err.downcast::<OperationError>() {
        Ok(op) => HandlerError::from(op.cause),
        Err(other) => HandlerError::new(error_object(&*other)),
    }
}

/// The error record of a user error: the first [`TypedError`]'s name (or
/// `Error`), and the messages of the whole chain.
fn error_object(err: &(dyn Error + 'static)) -> ErrorObject {
    let mut message = err.to_string();
    let mut error_type = None;
    let mut link = Some(err);
    while let Some(e) = link {
        if let Some(typed) = e.downcast_ref::<TypedError>() {
            error_type.get_or_insert_with(|| typed.error_type.clone());
        }
        if let Some(source) = e.source() {
            message.push_str(": ");
            message.push_str(&source.to_string());
        }
        link = e.source();
    }
    ErrorObject::new(error_type.unwrap_or_else(|| "Error".into()), message)
}

/// An error with the `ErrorType` the execution records for it.
#[derive(Debug)]
pub struct TypedError {
    error_type: String,
    inner: BoxError,
}

impl TypedError {
    pub fn with_type(error_type: impl Into<String>, err: impl Into<BoxError>) -> Self {
        Self {
            error_type: error_type.into(),
            inner: err.into(),
        }
    }

    pub fn error_type(&self) -> &str {
        &self.error_type
    }
}

impl fmt::Display for TypedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.error_type)
    }
}

impl Error for TypedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.inner)
    }
}

/// A durable operation's failure.
#[derive(Debug)]
pub struct OperationError {
    kind: OperationErrorKind,
    cause: DurableError,
}

impl OperationError {
    pub fn kind(&self) -> &OperationErrorKind {
        &self.kind
    }

    /// The failure's record, as the service holds it.
    pub fn wire(&self) -> Option<&WireError> {
        match &self.cause {
            DurableError::StepFailed { error, .. }
            | DurableError::ChildContextFailed { error, .. }
            | DurableError::CallbackFailed { error, .. }
            | DurableError::CallbackTimedOut { error, .. } => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for OperationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.cause.fmt(f)
    }
}

impl Error for OperationError {}

impl From<DurableError> for OperationError {
    fn from(cause: DurableError) -> Self {
        let kind = match &cause {
            DurableError::StepFailed { .. } => OperationErrorKind::Step(StepError),
            DurableError::ChildContextFailed { .. } => {
                OperationErrorKind::ChildContext(ChildContextError)
            }
            DurableError::CallbackFailed { .. } => OperationErrorKind::Callback(CallbackError {
                kind: CallbackErrorKind::ExternalFailure,
            }),
            DurableError::CallbackTimedOut { .. } => OperationErrorKind::Callback(CallbackError {
                kind: CallbackErrorKind::TimedOut,
            }),
            DurableError::Serialization { .. } => OperationErrorKind::Serialization,
            DurableError::NonDeterministic(_) => OperationErrorKind::NonDeterministicExecution,
            DurableError::Checkpoint { .. } => OperationErrorKind::Checkpoint,
        };
        Self { kind, cause }
    }
}

/// What kind of operation failed, and how.
#[derive(Debug)]
#[non_exhaustive]
pub enum OperationErrorKind {
    Step(StepError),
    Callback(CallbackError),
    ChildContext(ChildContextError),
    /// A result could not be turned to or from its payload.
    Serialization,
    /// The workflow asked for operations its history contradicts.
    NonDeterministicExecution,
    /// Talking to the durable execution service failed.
    Checkpoint,
}

/// A step that exhausted its retries.
#[derive(Debug)]
#[non_exhaustive]
pub struct StepError;

/// A child context that ended with an error.
#[derive(Debug)]
#[non_exhaustive]
pub struct ChildContextError;

#[derive(Debug)]
pub struct CallbackError {
    kind: CallbackErrorKind,
}

impl CallbackError {
    pub fn kind(&self) -> &CallbackErrorKind {
        &self.kind
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackErrorKind {
    /// Nobody completed the callback in time.
    #[non_exhaustive]
    TimedOut,
    /// Never reported by this runtime (see the module docs); the official
    /// SDK's name for a heartbeat timeout.
    #[non_exhaustive]
    HeartbeatTimedOut,
    /// The callback was completed with a failure.
    #[non_exhaustive]
    ExternalFailure,
    /// The payload did not decode.
    #[non_exhaustive]
    DeserializationFailed,
}

/// A failure's record: type, message, data and stack trace.
pub type WireError = ErrorObject;

impl ErrorObject {
    pub fn error_type(&self) -> Option<&str> {
        self.error_type.as_deref()
    }

    pub fn error_message(&self) -> Option<&str> {
        self.error_message.as_deref()
    }

    pub fn error_data(&self) -> Option<&str> {
        self.error_data.as_deref()
    }
}

impl StepContext {
    /// 1 for the first attempt.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }
}

/// The context a handler runs durable operations on.
#[derive(Clone)]
pub struct DurableContext(crate::DurableContext);

impl DurableContext {
    pub fn execution_arn(&self) -> &str {
        self.0.execution_arn()
    }

    pub fn is_replaying(&self) -> bool {
        self.0.is_replaying()
    }

    /// A checkpointed step running `f`.
    pub fn step<O, F, Fut>(&self, f: F) -> builders::StepBuilder<O, F>
    where
        F: FnOnce(StepContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
        O: Send + 'static,
    {
        builders::StepBuilder {
            ctx: self.0.clone(),
            f,
            name: None,
            config: StepConfig::default(),
            _output: PhantomData,
        }
    }

    /// A durable timer.
    pub fn wait(&self, duration: Duration) -> builders::WaitBuilder {
        builders::WaitBuilder {
            ctx: self.0.clone(),
            duration,
            name: None,
        }
    }

    /// Runs `f` on a child context, its operations grouped under one.
    pub fn run_in_child_context<O, F, Fut>(&self, f: F) -> builders::ChildBuilder<O, F>
    where
        F: FnOnce(DurableContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
        O: Send + 'static,
    {
        builders::ChildBuilder {
            ctx: self.0.clone(),
            f,
            name: None,
            _output: PhantomData,
        }
    }

    /// A callback an outside party completes; its id is known at once.
    pub fn create_callback<O>(&self) -> builders::CreateCallbackBuilder<O>
    where
        O: Send + 'static,
    {
        builders::CreateCallbackBuilder {
            ctx: self.0.clone(),
            name: None,
            config: CallbackConfig::default(),
            serdes: JsonSerdes,
            _output: PhantomData,
        }
    }

    /// Creates a callback, hands its id to `submitter` in a step, and waits
    /// for the answer.
    pub fn wait_for_callback<O, F, Fut>(
        &self,
        submitter: F,
    ) -> builders::WaitForCallbackBuilder<O, F>
    where
        F: FnOnce(StepContext, String) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
        O: DeserializeOwned + Send + 'static,
    {
        builders::WaitForCallbackBuilder {
            ctx: self.0.clone(),
            submitter,
            name: None,
            config: CallbackConfig::default(),
            serdes: JsonSerdes,
            _output: PhantomData,
        }
    }
}

/// A callback made by [`DurableContext::create_callback`].
pub struct Callback<O, S = JsonSerdes> {
    inner: crate::Callback,
    arn: String,
    serdes: S,
    _output: PhantomData<fn() -> O>,
}

impl<O, S: Serdes<O>> Callback<O, S> {
    /// The id to hand to whoever will answer.
    pub fn id(&self) -> &str {
        self.inner.callback_id()
    }

    /// The answer; suspends the execution until there is one.
    pub async fn result(&self) -> Result<O, OperationError> {
        let payload = self.inner.result().await?;
        let context = serdes::SerdesContext {
            operation_id: self.inner.operation_id().to_owned(),
            execution_arn: self.arn.clone(),
        };
        decode_payload(&self.serdes, payload, context, self.inner.operation_id()).await
    }
}

/// A callback's payload through `serdes`; an absent one reads as `null`,
/// as in the official SDK.
async fn decode_payload<O, S: Serdes<O>>(
    serdes: &S,
    payload: Option<String>,
    context: serdes::SerdesContext,
    name: &str,
) -> Result<O, OperationError> {
    let payload = payload.unwrap_or_else(|| "null".into());
    serdes
        .deserialize(payload, context)
        .await
        .map_err(|err| OperationError {
            kind: OperationErrorKind::Callback(CallbackError {
                kind: CallbackErrorKind::DeserializationFailed,
            }),
            cause: DurableError::Serialization {
                name: name.to_owned(),
                message: err.to_string(),
            },
        })
}

/// An error a child context's body ended with, as the runtime records it.
fn into_durable(err: BoxError, name: &str) -> DurableError {
    match err.downcast::<OperationError>() {
        Ok(op) => op.cause,
        Err(other) => DurableError::ChildContextFailed {
            name: name.to_owned(),
            error: error_object(&*other),
        },
    }
}

pub mod builders {
    //! The operations' builders: set options, then `.await` to run.

    use super::*;

    /// How a step's failed attempts are retried.
    #[derive(Debug, Clone)]
    pub struct RetryStrategyConfig(crate::RetryStrategy);

    impl RetryStrategyConfig {
        pub fn builder() -> RetryStrategyConfigBuilder {
            RetryStrategyConfigBuilder(crate::RetryStrategy::default())
        }
    }

    #[derive(Debug, Clone)]
    pub struct RetryStrategyConfigBuilder(crate::RetryStrategy);

    impl RetryStrategyConfigBuilder {
        /// Attempts in all, the first included.
        pub fn max_attempts(mut self, max_attempts: u32) -> Self {
            self.0.max_attempts = max_attempts;
            self
        }

        pub fn initial_delay(mut self, delay: Duration) -> Self {
            self.0.initial_delay = delay;
            self
        }

        pub fn max_delay(mut self, delay: Duration) -> Self {
            self.0.max_delay = delay;
            self
        }

        pub fn backoff_rate(mut self, rate: f64) -> Self {
            self.0.backoff_rate = rate;
            self
        }

        /// Accepted for the official SDK's sake; this runtime never jitters.
        pub fn jitter(self, _jitter: JitterStrategy) -> Self {
            self
        }

        pub fn build(self) -> RetryStrategyConfig {
            RetryStrategyConfig(self.0)
        }
    }

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[non_exhaustive]
    pub enum JitterStrategy {
        None,
        Half,
        Full,
    }

    pub struct StepBuilder<O, F> {
        pub(super) ctx: crate::DurableContext,
        pub(super) f: F,
        pub(super) name: Option<String>,
        pub(super) config: StepConfig,
        pub(super) _output: PhantomData<fn() -> O>,
    }

    impl<O, F> StepBuilder<O, F> {
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.name = Some(name.into());
            self
        }

        pub fn retry_strategy_config(mut self, config: RetryStrategyConfig) -> Self {
            self.config.retry = config.0;
            self
        }
    }

    impl<O, F, Fut> IntoFuture for StepBuilder<O, F>
    where
        O: Serialize + DeserializeOwned + Send + 'static,
        F: FnOnce(StepContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    {
        type Output = Result<O, OperationError>;
        type IntoFuture = Boxed<'static, Self::Output>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let name = self.name.unwrap_or_default();
                let describe = |err: &BoxError| error_object(&**err);
                Ok(self
                    .ctx
                    .step_recording(&name, self.config, self.f, describe)
                    .await?)
            })
        }
    }

    pub struct WaitBuilder {
        pub(super) ctx: crate::DurableContext,
        pub(super) duration: Duration,
        pub(super) name: Option<String>,
    }

    impl WaitBuilder {
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.name = Some(name.into());
            self
        }
    }

    impl IntoFuture for WaitBuilder {
        type Output = Result<(), OperationError>;
        type IntoFuture = Boxed<'static, Self::Output>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let name = self.name.unwrap_or_default();
                Ok(self.ctx.wait(&name, self.duration).await?)
            })
        }
    }

    pub struct ChildBuilder<O, F> {
        pub(super) ctx: crate::DurableContext,
        pub(super) f: F,
        pub(super) name: Option<String>,
        pub(super) _output: PhantomData<fn() -> O>,
    }

    impl<O, F> ChildBuilder<O, F> {
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.name = Some(name.into());
            self
        }
    }

    impl<O, F, Fut> IntoFuture for ChildBuilder<O, F>
    where
        O: Serialize + DeserializeOwned + Send + 'static,
        F: FnOnce(DurableContext) -> Fut + Send + 'static,
        Fut: Future<Output = Result<O, BoxError>> + Send + 'static,
    {
        type Output = Result<O, OperationError>;
        type IntoFuture = Boxed<'static, Self::Output>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let name = self.name.unwrap_or_default();
                let f = self.f;
                let child_name = name.clone();
                Ok(self
                    .ctx
                    .run_in_child_context(&name, move |child| async move {
                        f(DurableContext(child))
                            .await
                            .map_err(|err| into_durable(err, &child_name))
                    })
                    .await?)
            })
        }
    }

    pub struct CreateCallbackBuilder<O, S = JsonSerdes> {
        pub(super) ctx: crate::DurableContext,
        pub(super) name: Option<String>,
        pub(super) config: CallbackConfig,
        pub(super) serdes: S,
        pub(super) _output: PhantomData<fn() -> O>,
    }

    impl<O, S> CreateCallbackBuilder<O, S> {
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.name = Some(name.into());
            self
        }

        /// How long the callback may stay unanswered.
        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.config.timeout = Some(timeout);
            self
        }

        /// How long between heartbeats before the callback times out.
        pub fn heartbeat(mut self, interval: Duration) -> Self {
            self.config.heartbeat_timeout = Some(interval);
            self
        }

        /// How the answer's payload is decoded.
        pub fn serdes<S2>(self, serdes: S2) -> CreateCallbackBuilder<O, S2> {
            CreateCallbackBuilder {
                ctx: self.ctx,
                name: self.name,
                config: self.config,
                serdes,
                _output: PhantomData,
            }
        }
    }

    impl<O, S> IntoFuture for CreateCallbackBuilder<O, S>
    where
        O: Send + 'static,
        S: Serdes<O>,
    {
        type Output = Result<Callback<O, S>, OperationError>;
        type IntoFuture = Boxed<'static, Self::Output>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let name = self.name.unwrap_or_default();
                let inner = self.ctx.create_callback(&name, self.config).await?;
                Ok(Callback {
                    inner,
                    arn: self.ctx.execution_arn().to_owned(),
                    serdes: self.serdes,
                    _output: PhantomData,
                })
            })
        }
    }

    pub struct WaitForCallbackBuilder<O, F, S = JsonSerdes> {
        pub(super) ctx: crate::DurableContext,
        pub(super) submitter: F,
        pub(super) name: Option<String>,
        pub(super) config: CallbackConfig,
        pub(super) serdes: S,
        pub(super) _output: PhantomData<fn() -> O>,
    }

    impl<O, F, S> WaitForCallbackBuilder<O, F, S> {
        pub fn name(mut self, name: impl Into<String>) -> Self {
            self.name = Some(name.into());
            self
        }

        pub fn timeout(mut self, timeout: Duration) -> Self {
            self.config.timeout = Some(timeout);
            self
        }

        pub fn heartbeat(mut self, interval: Duration) -> Self {
            self.config.heartbeat_timeout = Some(interval);
            self
        }

        pub fn serdes<S2>(self, serdes: S2) -> WaitForCallbackBuilder<O, F, S2> {
            WaitForCallbackBuilder {
                ctx: self.ctx,
                submitter: self.submitter,
                name: self.name,
                config: self.config,
                serdes,
                _output: PhantomData,
            }
        }
    }

    impl<O, F, Fut, S> IntoFuture for WaitForCallbackBuilder<O, F, S>
    where
        O: Send + 'static,
        F: FnOnce(StepContext, String) -> Fut + Send + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
        S: Serdes<O>,
    {
        type Output = Result<O, OperationError>;
        type IntoFuture = Boxed<'static, Self::Output>;

        fn into_future(self) -> Self::IntoFuture {
            Box::pin(async move {
                let name = self.name.unwrap_or_default();
                let submitter = self.submitter;
                let payload = self
                    .ctx
                    .wait_for_callback(&name, self.config, move |callback_id| {
                        let step = StepContext {
                            attempt: 1,
                            operation_id: String::new(),
                        };
                        submitter(step, callback_id)
                    })
                    .await?;
                let context = serdes::SerdesContext {
                    operation_id: String::new(),
                    execution_arn: self.ctx.execution_arn().to_owned(),
                };
                decode_payload(&self.serdes, payload, context, &name).await
            })
        }
    }
}

pub mod serdes {
    //! How payloads are turned to and from the text the service stores.

    use super::*;

    /// Where a payload belongs.
    #[derive(Debug, Clone)]
    pub struct SerdesContext {
        pub(super) operation_id: String,
        pub(super) execution_arn: String,
    }

    impl SerdesContext {
        pub fn operation_id(&self) -> &str {
            &self.operation_id
        }

        pub fn durable_execution_arn(&self) -> &str {
            &self.execution_arn
        }
    }

    /// Turns values of `T` to and from their stored text.
    pub trait Serdes<T>: Send + Sync + 'static {
        fn serialize(
            &self,
            value: T,
            context: SerdesContext,
        ) -> impl Future<Output = Result<String, BoxError>> + Send;

        fn deserialize(
            &self,
            wire: String,
            context: SerdesContext,
        ) -> impl Future<Output = Result<T, BoxError>> + Send;
    }

    /// JSON, with serde: the default.
    #[derive(Debug, Clone, Copy, Default)]
    pub struct JsonSerdes;

    impl<T> Serdes<T> for JsonSerdes
    where
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        async fn serialize(&self, value: T, _: SerdesContext) -> Result<String, BoxError> {
            Ok(serde_json::to_string(&value)?)
        }

        async fn deserialize(&self, wire: String, _: SerdesContext) -> Result<T, BoxError> {
            Ok(serde_json::from_str(&wire)?)
        }
    }
}
