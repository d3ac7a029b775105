//! The checkpoint client: the chain of checkpoint tokens an invocation
//! holds, the operations the service has recorded, and the calls that move
//! them (`CheckpointDurableExecution`, `GetDurableExecutionState`). The
//! context (`context.rs`) is the workflow API over it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use aws_sdk_lambda::error::DisplayErrorContext;
use aws_sdk_lambda::types::OperationUpdate;
use tokio::sync::{Mutex, Notify};

use crate::error::DurableError;
use crate::state::{OperationState, OperationType};

/// The mutable part of an execution: the checkpoint chain and what the
/// service has recorded.
struct Chain {
    token: String,
    operations: HashMap<String, OperationState>,
}

pub(crate) struct Shared {
    pub(crate) arn: String,
    client: aws_sdk_lambda::Client,
    chain: Mutex<Chain>,
    suspended: AtomicBool,
    suspend: Notify,
    /// Ids recorded before this invocation started.
    pub(crate) replayed_ids: std::collections::HashSet<String>,
    /// True until the handler reaches its first operation that was not
    /// recorded before, as the official SDKs define replay.
    pub(crate) replaying: AtomicBool,
    /// Updates that need not block (a CONTEXT START): they travel with the
    /// next checkpoint.
    queued: std::sync::Mutex<Vec<OperationUpdate>>,
}

impl Shared {
    pub(crate) fn new(
        arn: String,
        token: String,
        client: aws_sdk_lambda::Client,
        operations: Vec<OperationState>,
    ) -> Arc<Self> {
        let replayed_ids: std::collections::HashSet<String> = operations
            .iter()
            .filter(|op| op.kind != OperationType::Execution)
            .map(|op| op.id.clone())
            .collect();
        Arc::new(Self {
            arn,
            client,
            chain: Mutex::new(Chain {
                token,
                operations: operations
                    .into_iter()
                    .map(|op| (op.id.clone(), op))
                    .collect(),
            }),
            suspended: AtomicBool::new(false),
            suspend: Notify::new(),
            replaying: AtomicBool::new(!replayed_ids.is_empty()),
            replayed_ids,
            queued: std::sync::Mutex::default(),
        })
    }

    /// Resolves once an operation has asked the invocation to suspend.
    pub(crate) async fn suspended(&self) {
        self.suspend.notified().await;
    }

    pub(crate) fn is_suspended(&self) -> bool {
        self.suspended.load(Ordering::SeqCst)
    }

    pub(crate) async fn recorded(&self, id: &str) -> Option<OperationState> {
        self.chain.lock().await.operations.get(id).cloned()
    }

    /// Sends updates, chains the token and merges the new state. Nothing
    /// after a failed checkpoint may run, so the error ends the invocation.
    pub(crate) async fn checkpoint(
        &self,
        updates: Vec<OperationUpdate>,
    ) -> Result<(), DurableError> {
        let mut chain = self.chain.lock().await;
        let updates = match self.queued.lock() {
            Ok(mut queued) => queued.drain(..).chain(updates).collect(),
            Err(_) => updates,
        };
        if updates.is_empty() {
            return Ok(());
        }
        let out = self
            .client
            .checkpoint_durable_execution()
            .durable_execution_arn(&self.arn)
            .checkpoint_token(&chain.token)
            .set_updates(Some(updates))
            .send()
            .await
            .map_err(checkpoint_error)?;
        if let Some(token) = out.checkpoint_token() {
            chain.token = token.to_owned();
        }
        if let Some(state) = out.new_execution_state() {
            merge(&mut chain.operations, state.operations())?;
            let marker = state.next_marker().map(str::to_owned);
            let more = remaining_pages(&self.client, &self.arn, &chain.token, marker).await?;
            chain
                .operations
                .extend(more.into_iter().map(|op| (op.id.clone(), op)));
        }
        Ok(())
    }

    /// Queues an update for the next checkpoint.
    pub(crate) fn queue(&self, update: OperationUpdate) {
        if let Ok(mut queued) = self.queued.lock() {
            queued.push(update);
        }
    }

    /// Sends whatever is queued.
    pub(crate) async fn flush(&self) -> Result<(), DurableError> {
        self.checkpoint(Vec::new()).await
    }

    /// Marks the invocation suspended and never returns: the runner drops
    /// the handler future and answers `PENDING`.
    pub(crate) async fn suspend(&self) -> ! {
        self.suspended.store(true, Ordering::SeqCst);
        self.suspend.notify_one();
        loop {
            std::future::pending::<()>().await;
        }
    }
}

/// A failed service call. Throttling, server errors, a stale token and no
/// answer at all are worth another invocation; other client errors are not.
pub(crate) fn checkpoint_error<E>(
    err: aws_sdk_lambda::error::SdkError<E, aws_sdk_lambda::config::http::HttpResponse>,
) -> DurableError
where
    E: std::error::Error + 'static,
{
    let status = err.raw_response().map(|r| r.status().as_u16());
    let message = DisplayErrorContext(&err).to_string();
    let retryable = match status {
        None => true,
        Some(429) | Some(500..) => true,
        Some(_) => message.contains("Invalid checkpoint token"),
    };
    DurableError::Checkpoint { message, retryable }
}

fn merge(
    operations: &mut HashMap<String, OperationState>,
    updated: &[aws_sdk_lambda::types::Operation],
) -> Result<(), DurableError> {
    for op in updated {
        let state = convert(op)?;
        operations.insert(state.id.clone(), state);
    }
    Ok(())
}

fn convert(op: &aws_sdk_lambda::types::Operation) -> Result<OperationState, DurableError> {
    OperationState::from_sdk(op).ok_or_else(|| DurableError::Checkpoint {
        message: format!(
            "operation {} has a type or status this runtime does not know ({:?}, {:?})",
            op.id(),
            op.r#type(),
            op.status()
        ),
        retryable: false,
    })
}

/// The operations on the pages after `marker` (none when it is absent or
/// empty, as the emulator sends it), through `GetDurableExecutionState`.
pub(crate) async fn remaining_pages(
    client: &aws_sdk_lambda::Client,
    arn: &str,
    token: &str,
    marker: Option<String>,
) -> Result<Vec<OperationState>, DurableError> {
    let mut operations = Vec::new();
    let mut marker = marker.filter(|m| !m.is_empty());
    while let Some(next) = marker.take() {
        let page = client
            .get_durable_execution_state()
            .durable_execution_arn(arn)
            .checkpoint_token(token)
            .marker(next)
            .send()
            .await
            .map_err(checkpoint_error)?;
        for op in page.operations() {
            operations.push(convert(op)?);
        }
        marker = page
            .next_marker()
            .map(str::to_owned)
            .filter(|m| !m.is_empty());
    }
    Ok(operations)
}
