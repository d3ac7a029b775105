//! The Lambda API front door of the local stack.
//!
//! `hitl` talks to "Lambda" exactly as it does on AWS. On this machine that
//! API is split between two emulators, and this small server joins them, the
//! job `sam local start-lambda` does for SAM. This module is the Lambda API
//! itself; `meter` counts the calls it serves (`GET /_local/calls`, and each
//! execution's checkpoints, `GET /_local/checkpoints`) and `fault_points`
//! injects faults at checkpoints and decision callbacks (`/_local/faults`,
//! `/_local/callback-faults`, see `faults.rs`).
//!
//! What it imitates, and where AWS's own answer is held by a test with a
//! mocked SDK client (the AWS behaviour the local stack cannot show):
//!
//! - `Invoke` with a durable execution name starts an execution on the
//!   durable emulator (`/start-durable-execution`) and answers 202 with the
//!   `X-Amz-Durable-Execution-Arn` header (AWS's answer:
//!   `starts_the_published_version_asynchronously_named_by_the_id` in
//!   `cli/src/commands/submit.rs`);
//! - a second start with the same name returns the first execution for the
//!   same input and 409 `DurableExecutionAlreadyStartedException` for
//!   another, as AWS does (the emulator starts a second one; AWS's answer:
//!   `an_execution_name_taken_by_other_input_is_an_id_in_use`, same file);
//! - like AWS it takes a version, an alias or `$LATEST` and refuses an
//!   unqualified name with 400 (`tests/e2e/bad_input.rs` checks both here);
//! - `Invoke` without a name (the emulator calling the function) goes to
//!   `cargo lambda watch`, which routes by the unqualified function name
//!   (or, for the Python conformance twins, to `python_workflows.py`);
//! - `PublishVersion` answers a version, and `ListVersionsByFunction` lists
//!   `$LATEST` and that version;
//! - every durable execution API call passes through to the emulator, with
//!   two fixes where the emulator departs from the AWS wire format: error
//!   codes are put in the `x-amzn-ErrorType` header the SDKs read, and the
//!   `StopDurableExecution` body and list filters are translated (AWS's
//!   answers to a stop: the `cancel` tests in `cli/src/commands/cancel.rs`);
//! - the submit function's IAM-authorised function URL (`function_url`):
//!   SigV4 checked as Lambda checks it (`sigv4`), the caller named by
//!   moto's STS and handed to the function in
//!   `requestContext.authorizer.iam`. Only keys whose secret the door knows
//!   (the people's, the operator's) have their signature checked; temporary
//!   credentials from moto's STS are only identified: like the STS proofs
//!   the workflow checks locally, moto checks no signature.
//!
//! Where the emulator answers differently from AWS and the door does not
//! translate, our own state decides and mocked tests hold AWS's answer: a
//! callback sent twice or after its timeout is `CallbackTimeoutException`
//! (400) on AWS and `ResourceNotFoundException` (404) here
//! (`aws_callback_timeout_*` in `lambdas/approvals/src/decide.rs`).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Mutex;

use super::faults::{Faults, When};
use super::provision::{ACCOUNT, REGION, WORKFLOW_FUNCTION};

mod fault_points;
mod function_url;
mod meter;
mod sigv4;

use fault_points::{
    arm_callback_fault, arm_fault, checkpointed_execution, fired_callback_faults, fired_faults,
    sent_callback,
};
use meter::{checkpoints_by_execution, count_call, served_calls};

/// How long a held callback goes unanswered: far longer than a test takes
/// to kill the caller, short enough not to pile up.
const HOLD: std::time::Duration = std::time::Duration::from_secs(300);

/// A durable execution runs for at most a year (the DurableConfig maximum).
const EXECUTION_TIMEOUT_SECONDS: u64 = 31_622_400;

#[derive(Clone)]
struct Door {
    http: reqwest::Client,
    emulator: String,
    functions: String,
    python_functions: String,
    /// moto_server, whose STS names the callers of the function URL.
    moto: String,
    /// The people's access keys (`cargo xtask local up` writes them).
    people_file: PathBuf,
    /// The binary that serves the workflow function: ours, or the same
    /// workflow on the official Rust SDK (`HITL_LOCAL_WORKFLOW_RUNTIME`).
    workflow_binary: String,
    /// Durable execution name → (input, execution ARN), as AWS keeps it.
    started: Arc<Mutex<HashMap<String, (Bytes, String)>>>,
    faults: Arc<Mutex<Faults>>,
    /// Lambda API calls served since the door started, by operation.
    calls: Arc<Mutex<BTreeMap<&'static str, u64>>>,
}

/// The function served by `python_workflows.py` rather than `cargo lambda watch`.
pub const PYTHON_CONFORMANCE: &str = "durable-conformance-python";

pub async fn serve(
    port: u16,
    emulator_port: u16,
    functions_port: u16,
    python_functions_port: u16,
    moto_port: u16,
    workflow_binary: String,
    people_file: PathBuf,
) -> anyhow::Result<()> {
    let door = Door {
        http: reqwest::Client::builder().build()?,
        emulator: format!("http://127.0.0.1:{emulator_port}"),
        functions: format!("http://127.0.0.1:{functions_port}"),
        python_functions: format!("http://127.0.0.1:{python_functions_port}"),
        moto: format!("http://127.0.0.1:{moto_port}"),
        people_file,
        workflow_binary,
        started: Arc::default(),
        faults: Arc::default(),
        calls: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    axum::serve(listener, app(door)).await?;
    Ok(())
}

fn app(door: Door) -> Router {
    Router::new()
        .route("/2015-03-31/functions/{function}/invocations", post(invoke))
        .route(
            "/2015-03-31/functions/{function}/versions",
            post(publish_version).get(list_versions),
        )
        .route("/health", get(|| async { "ok" }))
        .route("/_local/faults", post(arm_fault).get(fired_faults))
        .route(
            "/_local/callback-faults",
            post(arm_callback_fault).get(fired_callback_faults),
        )
        .route("/_local/calls", get(served_calls))
        .route("/_local/checkpoints", get(checkpoints_by_execution))
        .merge(function_url::routes())
        .fallback(pass_through)
        .layer(axum::middleware::from_fn_with_state(
            door.clone(),
            count_call,
        ))
        .with_state(door)
}

/// `name`, `name:qualifier` or a function ARN → (name, qualifier).
fn split_function(function: &str, query_qualifier: Option<&str>) -> (String, Option<String>) {
    let tail = function.rsplit(":function:").next().unwrap_or(function);
    let (name, qualifier) = match tail.split_once(':') {
        Some((name, qualifier)) => (name, Some(qualifier.to_owned())),
        None => (tail, None),
    };
    (
        name.to_owned(),
        qualifier.or_else(|| query_qualifier.map(str::to_owned)),
    )
}

fn query_param(uri: &Uri, key: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| v.to_owned())
    })
}

fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = serde_json::json!({ "Type": "User", "message": message.into() });
    let mut response = (status, body.to_string()).into_response();
    if let Ok(value) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-amzn-ErrorType", value);
    }
    response
}

async fn publish_version(Path(function): Path<String>) -> Response {
    let (name, _) = split_function(&function, None);
    let body = serde_json::json!({
        "FunctionName": name,
        "FunctionArn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:1"),
        "Version": "1",
        "State": "Active",
        "LastUpdateStatus": "Successful",
    });
    (StatusCode::CREATED, body.to_string()).into_response()
}

/// `$LATEST` and the one version `publish_version` answers.
async fn list_versions(Path(function): Path<String>) -> Response {
    let (name, _) = split_function(&function, None);
    let versions: Vec<serde_json::Value> = ["$LATEST", "1"]
        .iter()
        .map(|version| {
            serde_json::json!({
                "FunctionName": name,
                "FunctionArn": format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}:{version}"),
                "Version": version,
            })
        })
        .collect();
    let body = serde_json::json!({ "Versions": versions });
    (StatusCode::OK, body.to_string()).into_response()
}

async fn invoke(
    State(door): State<Door>,
    Path(function): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let qualifier = query_param(&uri, "Qualifier");
    let (name, qualifier) = split_function(&function, qualifier.as_deref());
    match headers
        .get("X-Amz-Durable-Execution-Name")
        .and_then(|v| v.to_str().ok())
    {
        Some(execution_name) => {
            start_execution(&door, &name, qualifier, execution_name, &headers, body).await
        }
        None => invoke_function(&door, &name, &headers, body).await,
    }
}

async fn start_execution(
    door: &Door,
    name: &str,
    qualifier: Option<String>,
    execution_name: &str,
    headers: &HeaderMap,
    body: Bytes,
) -> Response {
    let asynchronous = headers
        .get("X-Amz-Invocation-Type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t == "Event");
    // As AWS: a durable function runs only qualified, by a version, an
    // alias or `$LATEST` (which AWS accepts and discourages in production).
    let Some(qualifier) = qualifier else {
        return error(
            StatusCode::BAD_REQUEST,
            "InvalidParameterValueException",
            "a durable function must be invoked with a qualified ARN (a published version, an alias or $LATEST)",
        );
    };
    let mut started = door.started.lock().await;
    if let Some((input, arn)) = started.get(execution_name) {
        if *input == body {
            return accepted(arn, &qualifier, asynchronous);
        }
        return error(
            StatusCode::CONFLICT,
            "DurableExecutionAlreadyStartedException",
            format!(
                "a durable execution named {execution_name} already exists with a different input"
            ),
        );
    }
    let request = serde_json::json!({
        "AccountId": ACCOUNT,
        "FunctionName": name,
        "FunctionQualifier": qualifier,
        "ExecutionName": execution_name,
        "ExecutionTimeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
        "ExecutionRetentionPeriodDays": 7,
        "Input": String::from_utf8_lossy(&body),
    });
    let answer = door
        .http
        .post(format!("{}/start-durable-execution", door.emulator))
        .json(&request)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(err) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "ServiceException",
                format!("the durable emulator did not answer: {err}"),
            )
        }
    };
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    let arn = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| {
            v.get("ExecutionArn")
                .and_then(|a| a.as_str())
                .map(str::to_owned)
        });
    match arn {
        Some(arn) if status.is_success() => {
            started.insert(execution_name.to_owned(), (body, arn.clone()));
            accepted(&arn, &qualifier, asynchronous)
        }
        _ => error(
            StatusCode::from_u16(status.as_u16()).unwrap_or(StatusCode::BAD_GATEWAY),
            "ServiceException",
            format!("the durable emulator refused the start: {text}"),
        ),
    }
}

fn accepted(arn: &str, version: &str, asynchronous: bool) -> Response {
    let status = if asynchronous {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    let mut response = (status, Body::empty()).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(arn) {
        headers.insert("X-Amz-Durable-Execution-Arn", value);
    }
    if let Ok(value) = HeaderValue::from_str(version) {
        headers.insert("X-Amz-Executed-Version", value);
    }
    response
}

impl Door {
    /// The binary `cargo lambda watch` runs for `function`.
    fn binary<'a>(&'a self, function: &'a str) -> &'a str {
        if function == WORKFLOW_FUNCTION {
            &self.workflow_binary
        } else {
            function
        }
    }
}

async fn invoke_function(door: &Door, name: &str, headers: &HeaderMap, body: Bytes) -> Response {
    let name = door.binary(name);
    let host = if name == PYTHON_CONFORMANCE {
        &door.python_functions
    } else {
        &door.functions
    };
    let mut request = door
        .http
        .post(format!("{host}/2015-03-31/functions/{name}/invocations"))
        .body(body);
    for header in [
        "X-Amz-Invocation-Type",
        "X-Amz-Client-Context",
        "Content-Type",
    ] {
        if let Some(value) = headers.get(header) {
            request = request.header(header, value.as_bytes());
        }
    }
    relay(request.send().await, false).await
}

/// Everything else is a durable execution API call for the emulator.
async fn pass_through(
    State(door): State<Door>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    let mut query = uri.query().map(str::to_owned);
    let mut body = body;
    if method == Method::POST && path.ends_with("/stop") {
        // The API sends the ErrorObject as the body; the emulator reads {"Error": ...}.
        let error: serde_json::Value =
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        if !error.is_null() && error.get("Error").is_none() {
            body = Bytes::from(serde_json::json!({ "Error": error }).to_string());
        }
    }
    if path.ends_with("/durable-executions") {
        // The API filters with `Statuses`; the emulator reads `StatusFilter`.
        query = query.map(|q| q.replace("Statuses=", "StatusFilter="));
    }
    let fault = match checkpointed_execution(&method, path) {
        Some(arn) => door.fault_for(&arn).await,
        None => None,
    };
    if let Some(fault) = fault.as_ref().filter(|f| f.when == When::Before) {
        return door.crashed(fault).await;
    }
    let callback_fault = match sent_callback(&method, path) {
        Some(id) => door.faults.lock().await.take_callback(&id),
        None => None,
    };
    if let Some(fault) = callback_fault.clone().filter(|f| f.when == When::Before) {
        return door.callback_fired(fault).await;
    }
    let url = match &query {
        Some(q) => format!("{}{path}?{q}", door.emulator),
        None => format!("{}{path}", door.emulator),
    };
    let mut request = door.http.request(method, url).body(body);
    if let Some(value) = headers.get("Content-Type") {
        request = request.header("Content-Type", value.as_bytes());
    }
    let answer = relay(request.send().await, true).await;
    match (fault, callback_fault) {
        (Some(fault), _) => door.crashed(&fault).await,
        (None, Some(fault)) => door.callback_fired(fault).await,
        (None, None) => answer,
    }
}

/// Hands an upstream answer back, naming its error code the way AWS does.
async fn relay(answer: reqwest::Result<reqwest::Response>, name_errors: bool) -> Response {
    let answer = match answer {
        Ok(answer) => answer,
        Err(err) => {
            return error(
                StatusCode::BAD_GATEWAY,
                "ServiceException",
                format!("upstream did not answer: {err}"),
            )
        }
    };
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let mut headers = HeaderMap::new();
    for (name, value) in answer.headers() {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_str().as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            headers.insert(name, value);
        }
    }
    let bytes = answer.bytes().await.unwrap_or_default();
    if name_errors && !status.is_success() && !headers.contains_key("x-amzn-ErrorType") {
        let code = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("Type").and_then(|t| t.as_str()).map(str::to_owned));
        if let Some(value) = code.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert("x-amzn-ErrorType", value);
        }
    }
    headers.remove("content-length");
    headers.remove("transfer-encoding");
    let mut response = (status, bytes).into_response();
    response.headers_mut().extend(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_are_split_from_qualifiers_and_arns() {
        assert_eq!(
            split_function("wf", Some("3")),
            ("wf".into(), Some("3".into()))
        );
        assert_eq!(
            split_function("wf:7", None),
            ("wf".into(), Some("7".into()))
        );
        assert_eq!(
            split_function("arn:aws:lambda:us-east-1:123456789012:function:wf:2", None),
            ("wf".into(), Some("2".into()))
        );
        assert_eq!(split_function("wf", None), ("wf".into(), None));
    }
}
