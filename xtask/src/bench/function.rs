//! The workflow function row: our Rust `approval-workflow` (release build)
//! beside its twin on the official Python SDK.
//!
//! Both run one real first invocation of the approval workflow: the durable
//! invocation envelope of a new execution, whose input is a submit request.
//! Their DynamoDB (and, for ours, SNS and Secrets Manager) calls go to the
//! local stack; their Lambda API calls (checkpoints) go to [`Mock`], a tiny
//! server of this benchmark that also plays the Lambda runtime API for the
//! Rust binary. It answers checkpoints as the service does (a new token, and
//! a callback id for a CALLBACK start), so each workflow records the request,
//! creates its callback, publishes it and suspends (`PENDING`).

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tokio::sync::mpsc;

use super::measure;
use super::report::{human, median, mib, millis, Row};
use crate::local::ports::Ports;
use crate::local::provision::{ACCOUNT, REGION, WORKFLOW_FUNCTION};

/// What the mock saw, in order.
#[derive(Debug)]
enum Seen {
    /// The Nth `GET /runtime/invocation/next`, and when it arrived.
    Next(usize, Instant),
    /// The function's answer to the invocation.
    Answer(String),
}

#[derive(Clone)]
struct Mock {
    invocation: Option<Arc<String>>,
    nexts: Arc<AtomicUsize>,
    checkpoints: Arc<AtomicUsize>,
    /// Every operation as the last checkpoint answer had it, in order of
    /// first appearance: the state a next invocation would replay.
    operations: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
    seen: mpsc::UnboundedSender<Seen>,
}

/// A started mock: its address, what it saw, and what it recorded.
struct Started {
    addr: SocketAddr,
    seen: mpsc::UnboundedReceiver<Seen>,
    checkpoints: Arc<AtomicUsize>,
    operations: Arc<std::sync::Mutex<Vec<serde_json::Value>>>,
}

const EXECUTION_ARN_PREFIX: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:approval-workflow:1/durable-execution";

/// Starts the mock on an ephemeral port; it serves until the runtime stops.
async fn start_mock(invocation: Option<String>) -> anyhow::Result<Started> {
    let (tx, rx) = mpsc::unbounded_channel();
    let mock = Mock {
        invocation: invocation.map(Arc::new),
        nexts: Arc::default(),
        checkpoints: Arc::default(),
        operations: Arc::default(),
        seen: tx,
    };
    let (checkpoints, operations) = (mock.checkpoints.clone(), mock.operations.clone());
    let app = Router::new().fallback(serve).with_state(mock);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(Started {
        addr,
        seen: rx,
        checkpoints,
        operations,
    })
}

async fn serve(State(mock): State<Mock>, uri: Uri, body: Bytes) -> Response {
    let path = uri.path();
    if path == "/2018-06-01/runtime/invocation/next" {
        let n = mock.nexts.fetch_add(1, Ordering::SeqCst) + 1;
        mock.seen.send(Seen::Next(n, Instant::now())).ok();
        if let (Some(invocation), 1) = (&mock.invocation, n) {
            {
                let mut headers = HeaderMap::new();
                let deadline = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    + Duration::from_secs(900);
                for (name, value) in [
                    (
                        "lambda-runtime-aws-request-id",
                        "bench-request-1".to_owned(),
                    ),
                    (
                        "lambda-runtime-deadline-ms",
                        deadline.as_millis().to_string(),
                    ),
                    (
                        "lambda-runtime-invoked-function-arn",
                        format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{WORKFLOW_FUNCTION}:1"),
                    ),
                    (
                        "lambda-runtime-trace-id",
                        "Root=1-00000000-000000000000000000000000".to_owned(),
                    ),
                    ("content-type", "application/json".to_owned()),
                ] {
                    if let Ok(value) = value.parse() {
                        headers.insert(name, value);
                    }
                }
                return (StatusCode::OK, headers, invocation.as_str().to_owned()).into_response();
            }
        }
        // The runtime is ready for more: hold it there until it is killed.
        return std::future::pending::<Response>().await;
    }
    if path.starts_with("/2018-06-01/runtime/") {
        // An invocation's response or error, or an init error.
        mock.seen
            .send(Seen::Answer(String::from_utf8_lossy(&body).into_owned()))
            .ok();
        return (StatusCode::ACCEPTED, "{}").into_response();
    }
    if path.starts_with("/2025-12-01/durable-executions/") && path.ends_with("/checkpoint") {
        let n = mock.checkpoints.fetch_add(1, Ordering::SeqCst) + 1;
        let answer = checkpoint_answer(&body, n);
        if let Ok(mut log) = mock.operations.lock() {
            remember(&mut log, &answer);
        }
        return answer.into_response();
    }
    if path.starts_with("/2025-12-01/durable-executions/") && path.ends_with("/state") {
        return r#"{"Operations":[]}"#.into_response();
    }
    (
        StatusCode::NOT_FOUND,
        format!("the benchmark's mock does not serve {path}"),
    )
        .into_response()
}

/// The service's answer to a checkpoint: a new token, and each updated
/// operation in its new state (a CALLBACK start with its callback id).
fn checkpoint_answer(body: &[u8], n: usize) -> String {
    let request: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64();
    let operations: Vec<serde_json::Value> = request["Updates"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|update| update["Type"] != "EXECUTION")
        .map(|update| {
            let status = match update["Action"].as_str() {
                Some("SUCCEED") => "SUCCEEDED",
                Some("FAIL") => "FAILED",
                Some("RETRY") => "PENDING",
                _ => "STARTED",
            };
            let mut operation = serde_json::json!({
                "Id": update["Id"],
                "Type": update["Type"],
                "Status": status,
                "StartTimestamp": now,
            });
            for key in ["ParentId", "Name", "SubType"] {
                if !update[key].is_null() {
                    operation[key] = update[key].clone();
                }
            }
            match update["Type"].as_str() {
                Some("CALLBACK") => {
                    operation["CallbackDetails"] =
                        serde_json::json!({ "CallbackId": format!("bench-callback-{n}") });
                }
                Some("STEP") => {
                    let mut details = serde_json::json!({ "Attempt": 1 });
                    if !update["Payload"].is_null() {
                        details["Result"] = update["Payload"].clone();
                    }
                    operation["StepDetails"] = details;
                }
                _ => {}
            }
            operation
        })
        .collect();
    serde_json::json!({
        "CheckpointToken": format!("bench-token-{n}"),
        "NewExecutionState": { "Operations": operations },
    })
    .to_string()
}

/// Folds a checkpoint answer's operations into `log`: a later state of an
/// operation replaces its earlier one, keeping what only its start carried
/// (a callback's id).
fn remember(log: &mut Vec<serde_json::Value>, answer: &str) {
    let answer: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
    for operation in answer["NewExecutionState"]["Operations"]
        .as_array()
        .into_iter()
        .flatten()
    {
        match log.iter_mut().find(|known| known["Id"] == operation["Id"]) {
            Some(known) => {
                let callback = known["CallbackDetails"].clone();
                *known = operation.clone();
                if known["CallbackDetails"].is_null() && !callback.is_null() {
                    known["CallbackDetails"] = callback;
                }
            }
            None => log.push(operation.clone()),
        }
    }
}

/// The envelope of the invocation after a rejection: the execution of
/// `approval_id` with the operations its first invocation recorded, its
/// callback now FAILED as `hitl reject` fails it.
fn rejection(approval_id: &str, recorded: &[serde_json::Value]) -> String {
    let mut envelope: serde_json::Value =
        serde_json::from_str(&invocation(approval_id)).unwrap_or_default();
    let decision = serde_json::json!({
        "outcome": "REJECTED",
        "decided_by": "bench-function",
        "comment": "not this time",
    });
    let mut operations = envelope["InitialExecutionState"]["Operations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for operation in recorded {
        let mut operation = operation.clone();
        if operation["Type"] == "CALLBACK" {
            operation["Status"] = "FAILED".into();
            operation["CallbackDetails"]["Error"] = serde_json::json!({
                "ErrorType": "Rejected",
                "ErrorMessage": "not this time",
                "ErrorData": decision.to_string(),
            });
        }
        operations.push(operation);
    }
    envelope["InitialExecutionState"]["Operations"] = operations.into();
    envelope["CheckpointToken"] = "bench-token-rejection".into();
    envelope.to_string()
}

/// The durable invocation envelope of a new execution of `approval_id`.
fn invocation(approval_id: &str) -> String {
    let input = serde_json::json!({
        "approval_id": approval_id,
        "title": "Benchmark: one invocation of the workflow",
        "requester": "bench-function",
        "timeout_seconds": 3600,
    });
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    serde_json::json!({
        // The EXECUTION operation's id is the ARN's last part, as the service has it.
        "DurableExecutionArn": format!("{EXECUTION_ARN_PREFIX}/{approval_id}/bench-execution"),
        "CheckpointToken": "bench-token-0",
        "InitialExecutionState": {
            "Operations": [{
                "Id": "bench-execution",
                "Type": "EXECUTION",
                "Status": "STARTED",
                "Name": approval_id,
                "StartTimestamp": now_ms,
                "ExecutionDetails": { "InputPayload": input.to_string() },
            }],
            "NextMarker": "",
        },
    })
    .to_string()
}

/// What both sides get: the functions' environment on the local stack, with
/// the Lambda API (checkpoints) pointed at the mock.
fn environment(command: &mut Command, ports: &Ports, mock: SocketAddr) {
    command.env_clear();
    for key in ["PATH", "HOME", "LANG"] {
        if let Some(value) = std::env::var_os(key) {
            command.env(key, value);
        }
    }
    command
        .envs(crate::local::function_env(ports))
        // What Lambda sets besides AWS_REGION; boto3 reads only this one.
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_ENDPOINT_URL_LAMBDA", format!("http://{mock}"))
        .env("RUST_LOG", "warn");
}

fn rust_command(binary: &Path, ports: &Ports, mock: SocketAddr) -> Command {
    let mut command = Command::new(binary);
    environment(&mut command, ports, mock);
    command
        .env("AWS_LAMBDA_RUNTIME_API", mock.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", WORKFLOW_FUNCTION)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/approval-workflow")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// The Python twin: import the module (which builds the SDK's handler) and
/// say `ready`; with an event on stdin, then run one invocation of it.
const PYTHON_SCRIPT: &str = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
import python_workflows
sys.stdout.write("ready\n")
sys.stdout.flush()
if len(sys.argv) > 2:
    event = json.loads(sys.argv[2])
    result = python_workflows.handler(event, python_workflows.LambdaContext("approval-workflow"))
    sys.stdout.write(json.dumps(result) + "\n")
"#;

/// The Python twin; under GNU time writing to `report` when one is given.
fn python_command(
    inputs: &Inputs<'_>,
    mock: SocketAddr,
    event: Option<&str>,
    report: Option<&Path>,
) -> Command {
    let mut command = match report {
        Some(report) => {
            let mut command = measure::gnu_time(report);
            command.arg(inputs.python);
            command
        }
        None => Command::new(inputs.python),
    };
    environment(&mut command, inputs.ports, mock);
    command
        // Bytecode is cached (as a deployed package would ship it), outside the repository.
        .env("PYTHONPYCACHEPREFIX", inputs.pycache)
        .arg("-c")
        .arg(PYTHON_SCRIPT)
        .arg(inputs.module_dir)
        .args(event)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Spawn to the runtime's first `GET /next`: the Rust binary's start.
async fn rust_start(binary: &Path, ports: &Ports) -> anyhow::Result<Duration> {
    let mut mock = start_mock(None).await?;
    let started = Instant::now();
    let mut child = rust_command(binary, ports, mock.addr).spawn()?;
    let ready = tokio::time::timeout(Duration::from_secs(30), mock.seen.recv()).await;
    measure::kill(&mut child);
    match ready {
        Ok(Some(Seen::Next(_, at))) => Ok(at - started),
        _ => bail!("the workflow function never asked for an invocation"),
    }
}

/// One invocation of a Rust binary, in a fresh process.
struct Invocation {
    answer: String,
    /// Peak RSS, KiB.
    rss: u64,
    checkpoints: usize,
    /// The operations it recorded, as the service would keep them.
    recorded: Vec<serde_json::Value>,
}

async fn rust_invocation(
    binary: &Path,
    ports: &Ports,
    envelope: String,
) -> anyhow::Result<Invocation> {
    let mut mock = start_mock(Some(envelope)).await?;
    let mut child = rust_command(binary, ports, mock.addr).spawn()?;
    let outcome = wait_for_answer(&mut mock.seen, &mut child).await;
    // Waiting for its next invocation: the peak of this one is in.
    let rss = measure::peak_of_running(child.id());
    measure::kill(&mut child);
    let recorded = mock
        .operations
        .lock()
        .map(|log| log.clone())
        .unwrap_or_default();
    Ok(Invocation {
        answer: outcome?,
        rss: rss?,
        checkpoints: mock.checkpoints.load(Ordering::SeqCst),
        recorded,
    })
}

async fn wait_for_answer(
    seen: &mut mpsc::UnboundedReceiver<Seen>,
    child: &mut Child,
) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut answer = None;
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(200), seen.recv()).await {
            Ok(Some(Seen::Answer(text))) => answer = Some(text),
            // Asking for the next invocation: the first one is done.
            Ok(Some(Seen::Next(n, _))) if n >= 2 => {
                return answer.context("the function asked for more without answering");
            }
            Ok(Some(_)) => {}
            Ok(None) => bail!("the mock stopped"),
            Err(_) => {
                if let Ok(Some(status)) = child.try_wait() {
                    bail!("the workflow function exited ({status}) during its invocation");
                }
            }
        }
    }
    bail!("the workflow function did not finish its invocation within 60s")
}

/// Spawn to the `ready` line: Python's start, the import and the handler.
fn python_start(inputs: &Inputs<'_>) -> anyhow::Result<Duration> {
    use std::io::BufRead;
    let mock: SocketAddr = ([127, 0, 0, 1], 9).into();
    let started = Instant::now();
    let mut child = python_command(inputs, mock, None, None).spawn()?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut line = String::new();
    std::io::BufReader::new(stdout).read_line(&mut line)?;
    let elapsed = started.elapsed();
    let ok = child.wait()?.success();
    if !ok || line.trim() != "ready" {
        let mut err = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            std::io::Read::read_to_string(&mut stderr, &mut err).ok();
        }
        bail!("the Python twin did not start: {line}{err}");
    }
    Ok(elapsed)
}

async fn python_invocation(inputs: &Inputs<'_>, id: &str) -> anyhow::Result<(String, u64, usize)> {
    let mock = start_mock(None).await?;
    let checkpoints = mock.checkpoints.clone();
    let report = inputs.pycache.with_file_name("python-invocation.time");
    let mut command = python_command(inputs, mock.addr, Some(&invocation(id)), Some(&report));
    let finished = tokio::task::spawn_blocking(move || measure::run(&mut command, true)).await??;
    let text = finished.stdout_text();
    let answer = text.lines().nth(1).unwrap_or_default().to_owned();
    if !finished.success || answer.is_empty() {
        bail!(
            "the Python twin's invocation failed: {text}{}",
            String::from_utf8_lossy(&finished.stderr)
        );
    }
    let rss = measure::gnu_time_peak(&report)?;
    Ok((answer, rss, checkpoints.load(Ordering::SeqCst)))
}

pub struct Inputs<'a> {
    pub release_binary: &'a Path,
    pub python: &'a Path,
    pub module_dir: &'a Path,
    /// Where Python caches the twin's bytecode.
    pub pycache: &'a Path,
    pub ports: &'a Ports,
    pub runs: usize,
}

/// Measures both sides; returns the row and the approval ids it recorded.
pub async fn row(inputs: &Inputs<'_>) -> anyhow::Result<(Row, Vec<String>)> {
    let mut row = Row::new(
        "workflow function: start, memory",
        "≥ 10× faster start, ≤ ½ memory",
    );
    let size = std::fs::metadata(inputs.release_binary)?.len();
    let mut rust_starts = Vec::new();
    let mut python_starts = Vec::new();
    // Alternating, so both see the same machine; the first of each warms the page cache.
    for i in 0..=inputs.runs {
        let rust = rust_start(inputs.release_binary, inputs.ports).await?;
        let python = python_start(inputs)?;
        if i > 0 {
            rust_starts.push(rust);
            python_starts.push(python);
        }
    }
    let pid = std::process::id();
    let rust_id = format!("bench-function-rust-{pid}");
    let python_id = format!("bench-function-python-{pid}");
    let first = rust_invocation(inputs.release_binary, inputs.ports, invocation(&rust_id)).await?;
    let (rust_answer, rust_rss, rust_checkpoints) = (first.answer, first.rss, first.checkpoints);
    let (python_answer, python_rss, python_checkpoints) =
        python_invocation(inputs, &python_id).await?;
    for (side, answer) in [("ours", &rust_answer), ("the Python twin", &python_answer)] {
        let value: serde_json::Value = serde_json::from_str(answer).unwrap_or_default();
        if value["Status"] != "PENDING" {
            bail!("{side} did not suspend on its callback: {answer}");
        }
    }
    let (rust_start, python_start) = (median(&rust_starts), median(&python_starts));
    let start_ratio = python_start.as_secs_f64() / rust_start.as_secs_f64().max(1e-9);
    let memory_ratio = python_rss as f64 / rust_rss.max(1) as f64;
    row.ours = format!(
        "{:.1} MiB binary; start {}; {} MiB peak",
        size as f64 / 1_048_576.0,
        human(rust_start),
        mib(rust_rss)
    );
    row.theirs = format!(
        "Python SDK twin: start {}; {} MiB peak",
        human(python_start),
        mib(python_rss)
    );
    row.ratio = Some(start_ratio);
    row.met = Some(start_ratio >= 10.0 && memory_ratio >= 2.0);
    row.note(format!(
        "start {start_ratio:.0}× faster, {memory_ratio:.1}× less memory (median of {} starts each; one invocation each)",
        inputs.runs
    ));
    if start_ratio < 10.0 {
        row.note("start short of 10×");
    }
    if memory_ratio < 2.0 {
        row.note("memory short of ½");
    }
    row.measured = format!(
        "ours: size of the stripped release binary `approval-workflow`; start = spawn until its Lambda \
         runtime client's first GET /2018-06-01/runtime/invocation/next reaches a mock runtime API in the \
         benchmark (so it includes loading the AWS config and building its clients); peak RSS (VmHWM \
         read from /proc just before it is stopped) of the process over one real first invocation (a new execution's envelope: record \
         the request in DynamoDB Local, create the callback, publish it, notify through SNS/moto, suspend; \
         {rust_checkpoints} checkpoint calls answered by the mock). Python twin \
         (lambdas/durable-conformance/python_workflows.py on aws-durable-execution-sdk-python): start = spawn \
         of `python -c` until it prints `ready` after `import python_workflows` (interpreter start, imports \
         of boto3 and the SDK, the @durable_execution handler built; its boto3 clients are built lazily, \
         during the invocation); peak RSS (GNU time's %M) of the process over the same invocation \
         through its handler \
         ({python_checkpoints} checkpoint calls; the twin sends no notification)"
    );
    row.figures = serde_json::json!({
        "binary_bytes": size,
        "rust_start_ms": rust_starts.iter().map(|d| millis(*d)).collect::<Vec<_>>(),
        "python_start_ms": python_starts.iter().map(|d| millis(*d)).collect::<Vec<_>>(),
        "rust_start_median_ms": millis(rust_start),
        "python_start_median_ms": millis(python_start),
        "rust_peak_rss_kib": rust_rss,
        "python_peak_rss_kib": python_rss,
        "start_ratio": start_ratio,
        "memory_ratio": memory_ratio,
        "rust_checkpoints": rust_checkpoints,
        "python_checkpoints": python_checkpoints,
    });
    Ok((row, vec![rust_id, python_id]))
}

/// What one Rust build of the workflow measured.
struct Build {
    size: u64,
    starts: Vec<Duration>,
    first: Invocation,
    rejected: Invocation,
}

impl Build {
    fn summary(&self) -> String {
        format!(
            "{:.1} MiB binary; start {}; peak {} MiB first invocation, {} MiB rejection; {} checkpoint calls",
            self.size as f64 / 1_048_576.0,
            human(median(&self.starts)),
            mib(self.first.rss),
            mib(self.rejected.rss),
            self.first.checkpoints + self.rejected.checkpoints,
        )
    }

    fn figures(&self) -> serde_json::Value {
        serde_json::json!({
            "binary_bytes": self.size,
            "start_ms": self.starts.iter().map(|d| millis(*d)).collect::<Vec<_>>(),
            "start_median_ms": millis(median(&self.starts)),
            "first_invocation_peak_rss_kib": self.first.rss,
            "rejection_peak_rss_kib": self.rejected.rss,
            "checkpoints_first_invocation": self.first.checkpoints,
            "checkpoints_rejection": self.rejected.checkpoints,
        })
    }
}

/// A first invocation of `binary` (record, callback, publish, notify,
/// suspend), then, in a new process, the invocation after a rejection of
/// that callback (replay, record the outcome, end).
async fn rejection_round_trip(
    binary: &Path,
    ports: &Ports,
    id: &str,
) -> anyhow::Result<(Invocation, Invocation)> {
    let first = rust_invocation(binary, ports, invocation(id)).await?;
    let answer: serde_json::Value = serde_json::from_str(&first.answer).unwrap_or_default();
    if answer["Status"] != "PENDING" {
        bail!(
            "{} did not suspend on its callback: {}",
            binary.display(),
            first.answer
        );
    }
    let rejected = rust_invocation(binary, ports, rejection(id, &first.recorded)).await?;
    let answer: serde_json::Value = serde_json::from_str(&rejected.answer).unwrap_or_default();
    let result: serde_json::Value =
        serde_json::from_str(answer["Result"].as_str().unwrap_or_default()).unwrap_or_default();
    if answer["Status"] != "SUCCEEDED" || result["status"] != "REJECTED" {
        bail!(
            "{} did not record the rejection: {}",
            binary.display(),
            rejected.answer
        );
    }
    Ok((first, rejected))
}

/// The approval workflow on each Rust runtime, in one run: hitl-durable
/// (`approval-workflow`) and AWS's official Rust SDK
/// (`approval-workflow-official`), release builds of one source.
pub async fn runtimes_row(
    inputs: &Inputs<'_>,
    official: &Path,
) -> anyhow::Result<(Row, Vec<String>)> {
    let mut row = Row::new(
        "durable runtimes: the workflow on each",
        "official SDK within 1.5× of ours",
    );
    let binaries = [inputs.release_binary, official];
    let mut starts = [Vec::new(), Vec::new()];
    // Alternating, so both see the same machine; the first of each warms the page cache.
    for i in 0..=inputs.runs {
        for (binary, starts) in binaries.iter().zip(starts.iter_mut()) {
            let start = rust_start(binary, inputs.ports).await?;
            if i > 0 {
                starts.push(start);
            }
        }
    }
    let pid = std::process::id();
    let ids = [
        format!("bench-runtime-ours-{pid}"),
        format!("bench-runtime-official-{pid}"),
    ];
    let mut builds = Vec::new();
    for ((binary, starts), id) in binaries.iter().zip(starts).zip(&ids) {
        let (first, rejected) = rejection_round_trip(binary, inputs.ports, id).await?;
        builds.push(Build {
            size: std::fs::metadata(binary)?.len(),
            starts,
            first,
            rejected,
        });
    }
    let (ours, official) = (&builds[0], &builds[1]);
    let start_ratio =
        median(&official.starts).as_secs_f64() / median(&ours.starts).as_secs_f64().max(1e-9);
    let peak = |build: &Build| build.first.rss.max(build.rejected.rss);
    let memory_ratio = peak(official) as f64 / peak(ours).max(1) as f64;
    row.ours = format!("hitl-durable: {}", ours.summary());
    row.theirs = format!("aws-durable-execution-sdk 0.1.0: {}", official.summary());
    row.ratio = Some(start_ratio);
    row.met = Some(start_ratio <= 1.5 && memory_ratio <= 1.5);
    row.note(format!(
        "the official SDK's start is {start_ratio:.2}× ours, its peak memory {memory_ratio:.2}× (median of {} starts each)",
        inputs.runs
    ));
    row.measured = "both: stripped release builds of lambdas/approval-workflow (one source; src/main.rs on \
         hitl-durable, src/official.rs on aws-durable-execution-sdk); start = spawn until the Lambda runtime \
         client's first GET /runtime/invocation/next reaches the benchmark's mock runtime API; peak RSS \
         (VmHWM) of a fresh process over one first invocation (record the request in DynamoDB Local, create \
         the callback, publish it, notify through SNS/moto, suspend), and of another over the invocation \
         after a rejection (the first one's operations replayed with the callback FAILED as `hitl reject` \
         fails it; record the outcome, end); checkpoint calls of both invocations, answered by the mock"
        .into();
    row.figures =
        serde_json::json!({ "hitl_durable": ours.figures(), "official": official.figures() });
    Ok((row, ids.to_vec()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_callback_start_is_answered_with_a_callback_id() {
        let body = serde_json::json!({
            "CheckpointToken": "t0",
            "Updates": [
                {"Id": "s1", "Type": "STEP", "SubType": "Step", "Action": "SUCCEED", "Name": "record", "Payload": "1"},
                {"Id": "c1", "Type": "CALLBACK", "Action": "START", "Name": "decision"},
            ],
        });
        let answer: serde_json::Value =
            serde_json::from_str(&checkpoint_answer(body.to_string().as_bytes(), 3)).unwrap();
        assert_eq!(answer["CheckpointToken"], "bench-token-3");
        let ops = answer["NewExecutionState"]["Operations"]
            .as_array()
            .unwrap();
        assert_eq!(ops[0]["Status"], "SUCCEEDED");
        assert_eq!(ops[0]["StepDetails"]["Result"], "1");
        assert_eq!(ops[1]["CallbackDetails"]["CallbackId"], "bench-callback-3");
        assert_eq!(ops[1]["Status"], "STARTED");
    }

    #[test]
    fn a_rejection_replays_what_the_first_invocation_recorded_with_its_callback_failed() {
        let mut log = Vec::new();
        for (n, updates) in [
            json!([{"Id": "s1", "Type": "STEP", "Action": "START", "Name": "record"}]),
            json!([
                {"Id": "s1", "Type": "STEP", "Action": "SUCCEED", "Name": "record", "Payload": "1"},
                {"Id": "c1", "Type": "CALLBACK", "Action": "START", "Name": "decision"},
            ]),
        ]
        .into_iter()
        .enumerate()
        {
            let body = json!({ "Updates": updates }).to_string();
            remember(&mut log, &checkpoint_answer(body.as_bytes(), n + 1));
        }
        assert_eq!(log.len(), 2, "{log:?}");
        assert_eq!(log[0]["Status"], "SUCCEEDED");
        let envelope: serde_json::Value = serde_json::from_str(&rejection("req-1", &log)).unwrap();
        let ops = envelope["InitialExecutionState"]["Operations"]
            .as_array()
            .unwrap();
        assert_eq!(ops[0]["Type"], "EXECUTION");
        assert_eq!(ops[2]["Status"], "FAILED");
        assert_eq!(ops[2]["CallbackDetails"]["CallbackId"], "bench-callback-2");
        assert_eq!(ops[2]["CallbackDetails"]["Error"]["ErrorType"], "Rejected");
    }
}
