//! Where the door injects faults (see `super::super::faults`): the
//! checkpoints and decision callbacks it passes on, and the `/_local/faults`
//! and `/_local/callback-faults` endpoints the tests arm them through.

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::super::faults::{crash, percent_decode, CallbackFault, Fault, Then};
use super::{error, Door, HOLD};

/// The callback id of a decision sent to a callback (success or failure),
/// from its path.
pub(super) fn sent_callback(method: &Method, path: &str) -> Option<String> {
    let rest = path.strip_prefix("/2025-12-01/durable-execution-callbacks/")?;
    let (id, operation) = rest.rsplit_once('/')?;
    (method == Method::POST && matches!(operation, "succeed" | "fail")).then(|| percent_decode(id))
}

/// The execution ARN of a checkpoint call, from its path.
pub(super) fn checkpointed_execution(method: &Method, path: &str) -> Option<String> {
    let rest = path.strip_prefix("/2025-12-01/durable-executions/")?;
    let arn = rest.strip_suffix("/checkpoint")?;
    (method == Method::POST).then(|| percent_decode(arn))
}

impl Door {
    /// Kills the function at this checkpoint. Nobody reads the answer: the
    /// process that asked is gone, which also cancels this request, so the
    /// crash runs as a task of its own.
    pub(super) async fn crashed(&self, fault: &Fault) -> Response {
        let door = self.clone();
        let fault = fault.clone();
        let task = tokio::spawn(async move {
            let message = match crash(door.binary(&fault.function)).await {
                Ok(killed) => {
                    door.faults
                        .lock()
                        .await
                        .record_kill(&fault.execution_name, killed);
                    format!("killed {killed} process(es) of {}", fault.function)
                }
                Err(err) => format!("the injected crash failed: {err:#}"),
            };
            eprintln!(
                "fault {} at checkpoint {}: {message}",
                fault.execution_name, fault.checkpoint
            );
            message
        });
        let message = task
            .await
            .unwrap_or_else(|err| format!("the injected crash failed: {err}"));
        error(StatusCode::SERVICE_UNAVAILABLE, "ServiceException", message)
    }

    /// A callback fault fires: noted first (a test polls for it), then the
    /// caller is held unanswered or its function is killed.
    pub(super) async fn callback_fired(&self, mut fault: CallbackFault) -> Response {
        eprintln!(
            "callback fault on {} ({:?}, {:?})",
            fault.callback_id, fault.when, fault.then
        );
        match (fault.then, fault.function.clone()) {
            (Then::Crash, Some(function)) => {
                // Its own task: the killed caller's request is cancelled.
                let door = self.clone();
                let task = tokio::spawn(async move {
                    let message = match crash(door.binary(&function)).await {
                        Ok(killed) => {
                            fault.killed = killed;
                            format!("killed {killed} process(es) of {function}")
                        }
                        Err(err) => format!("the injected crash failed: {err:#}"),
                    };
                    door.faults.lock().await.callback_fired(fault);
                    message
                });
                let message = task
                    .await
                    .unwrap_or_else(|err| format!("the injected crash failed: {err}"));
                error(StatusCode::SERVICE_UNAVAILABLE, "ServiceException", message)
            }
            (Then::Crash, None) => {
                self.faults.lock().await.callback_fired(fault);
                error(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameterValueException",
                    "a crash fault names no function",
                )
            }
            (Then::Hold, _) => {
                self.faults.lock().await.callback_fired(fault);
                tokio::time::sleep(HOLD).await;
                error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceException",
                    "the callback was held by an injected fault",
                )
            }
        }
    }

    /// Counts a checkpoint of the execution and returns the fault armed for it.
    pub(super) async fn fault_for(&self, arn: &str) -> Option<Fault> {
        let name = self
            .started
            .lock()
            .await
            .iter()
            .find(|(_, (_, started))| started == arn)
            .map(|(name, _)| name.clone())?;
        self.faults.lock().await.on_checkpoint(&name)
    }
}

pub(super) async fn arm_fault(
    State(door): State<Door>,
    axum::Json(fault): axum::Json<Fault>,
) -> StatusCode {
    door.faults.lock().await.arm(fault);
    StatusCode::NO_CONTENT
}

pub(super) async fn arm_callback_fault(
    State(door): State<Door>,
    axum::Json(fault): axum::Json<CallbackFault>,
) -> StatusCode {
    door.faults.lock().await.arm_callback(fault);
    StatusCode::NO_CONTENT
}

pub(super) async fn fired_callback_faults(State(door): State<Door>) -> Response {
    let fired = door.faults.lock().await.fired_callbacks.clone();
    axum::Json(fired).into_response()
}

pub(super) async fn fired_faults(State(door): State<Door>) -> Response {
    let fired = door.faults.lock().await.fired.clone();
    axum::Json(fired).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decisions_are_read_from_their_callback_paths() {
        let (post, get) = (Method::POST, Method::GET);
        assert_eq!(
            sent_callback(
                &post,
                "/2025-12-01/durable-execution-callbacks/cb%2Fx%3D/fail"
            ),
            Some("cb/x=".into())
        );
        assert_eq!(
            sent_callback(
                &post,
                "/2025-12-01/durable-execution-callbacks/cb/heartbeat"
            ),
            None
        );
        assert_eq!(
            sent_callback(&get, "/2025-12-01/durable-execution-callbacks/cb/succeed"),
            None
        );
    }
}
