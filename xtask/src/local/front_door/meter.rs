//! The call meter: each Lambda API call the door serves, counted by
//! operation (`GET /_local/calls`), and each execution's checkpoint calls
//! (`GET /_local/checkpoints`), for the benchmark's per-round-trip figures
//! and the crash tests' kill points.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Door;

/// Counts each Lambda API call by its operation, before serving it.
pub(super) async fn count_call(State(door): State<Door>, request: Request, next: Next) -> Response {
    let starts_execution = request
        .headers()
        .contains_key("X-Amz-Durable-Execution-Name");
    if let Some(operation) = api_operation(request.method(), request.uri().path(), starts_execution)
    {
        *door.calls.lock().await.entry(operation).or_default() += 1;
    }
    next.run(request).await
}

/// The Lambda API operation a request is, from its method and path; `None`
/// for the door's own paths.
fn api_operation(method: &Method, path: &str, starts_execution: bool) -> Option<&'static str> {
    let get = method == Method::GET;
    let operation = if path.starts_with("/2015-03-31/functions/") {
        if path.ends_with("/invocations") {
            if starts_execution {
                "Invoke (starts a durable execution)"
            } else {
                "Invoke (runs the function)"
            }
        } else if path.ends_with("/versions") {
            if get {
                "ListVersionsByFunction"
            } else {
                "PublishVersion"
            }
        } else {
            "other"
        }
    } else if let Some(rest) = path.strip_prefix("/2025-12-01/durable-executions/") {
        match rest.rsplit_once('/').map(|(_, last)| last) {
            Some("checkpoint") => "CheckpointDurableExecution",
            Some("state") => "GetDurableExecutionState",
            Some("history") => "GetDurableExecutionHistory",
            Some("stop") => "StopDurableExecution",
            _ => "GetDurableExecution",
        }
    } else if let Some(rest) = path.strip_prefix("/2025-12-01/durable-execution-callbacks/") {
        match rest.rsplit_once('/').map(|(_, last)| last) {
            Some("succeed") => "SendDurableExecutionCallbackSuccess",
            Some("fail") => "SendDurableExecutionCallbackFailure",
            Some("heartbeat") => "SendDurableExecutionCallbackHeartbeat",
            _ => "other",
        }
    } else if path.starts_with("/2025-12-01/functions/") && path.ends_with("/durable-executions") {
        "ListDurableExecutionsByFunction"
    } else {
        return None;
    };
    Some(operation)
}

pub(super) async fn served_calls(State(door): State<Door>) -> Response {
    axum::Json(door.calls.lock().await.clone()).into_response()
}

/// Checkpoint calls so far, by execution name: how many points a crash
/// test can kill a function at.
pub(super) async fn checkpoints_by_execution(State(door): State<Door>) -> Response {
    axum::Json(door.faults.lock().await.checkpoints.clone()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_are_named_by_their_lambda_operation() {
        let arn =
            "arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Awf%3A1%2Fdurable-execution%2Fa%2Fb";
        let post = Method::POST;
        let get = Method::GET;
        let named = |method: &Method, path: &str| api_operation(method, path, false);
        assert_eq!(
            named(
                &post,
                &format!("/2025-12-01/durable-executions/{arn}/checkpoint")
            ),
            Some("CheckpointDurableExecution")
        );
        assert_eq!(
            named(&get, &format!("/2025-12-01/durable-executions/{arn}")),
            Some("GetDurableExecution")
        );
        assert_eq!(
            named(
                &post,
                "/2025-12-01/durable-execution-callbacks/cb%2Fx/succeed"
            ),
            Some("SendDurableExecutionCallbackSuccess")
        );
        assert_eq!(
            api_operation(&post, "/2015-03-31/functions/wf%3A1/invocations", true),
            Some("Invoke (starts a durable execution)")
        );
        assert_eq!(
            named(&get, "/2025-12-01/functions/wf/durable-executions"),
            Some("ListDurableExecutionsByFunction")
        );
        assert_eq!(named(&get, "/_local/calls"), None);
        assert_eq!(named(&get, "/health"), None);
    }
}
