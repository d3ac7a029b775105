//! Differential test: each conformance workflow runs under AWS's durable
//! execution emulator on every Rust runtime we judge (hitl-durable,
//! src/main.rs, and AWS's official Rust SDK, src/official.rs) and on the
//! official Python SDK (python_workflows.py), and each Rust history must
//! match the Python one once normalised.
//!
//! Normalised away, as intended differences (see hitl-durable's docs):
//! operation ids (compared by first appearance instead), callback ids,
//! chained invokes' child execution ARNs, timestamps, event ids,
//! `ErrorType` (a language's class name) and stack traces. Everything else is compared: event types, names, sub types,
//! parents, order, statuses, results, error messages and data, retry details.
//! Where branches run concurrently (parallel, map) their events interleave
//! by timing, so those scenarios compare each operation's events by its
//! name path instead of by global order.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_lambda::types::{ErrorObject, InvocationType};
use aws_smithy_types::Blob;
use hitl_e2e::{
    eventually_async, hitl_as, local_ports, percent_encode, report, sdk_config, unique_id,
    wait_for_show,
};
use serde_json::{json, Value};

/// A Rust runtime under judgement: the conformance function built on it,
/// and the approval workflow built on it (when one is).
struct Runtime {
    label: &'static str,
    conformance: &'static str,
    approval: Option<&'static str>,
    /// The scenarios it has no operations for (shown, not run).
    unsupported: &'static [&'static str],
    /// The scenarios whose histories it is known not to match, and how. The
    /// test fails when one of them starts to match, too: then it comes off
    /// this list and the README's "Durable runtime" section, and the case
    /// for switching runtimes is one step closer.
    known_differences: &'static [(&'static str, &'static str)],
}

const RUNTIMES: [Runtime; 2] = [
    Runtime {
        label: "hitl-durable",
        conformance: "durable-conformance",
        approval: Some("approval-workflow"),
        // No parallel, map or invoke (see hitl_durable::sdk).
        unsupported: &[
            "race_timer_wins",
            "race_callback_wins",
            "quorum_2_of_3",
            "chained_invoke",
        ],
        known_differences: &[],
    },
    Runtime {
        label: "aws-durable-execution-sdk 0.1.0",
        conformance: "durable-conformance-official",
        approval: Some("approval-workflow-official"),
        unsupported: &[],
        known_differences: &[
            (
                "callback_timeout",
                "the execution fails with the SDK's own message `operation error: callback: \
                 callback timed out`, not the service's `Callback timed out`",
            ),
            (
                "heartbeat_timeout",
                "the execution fails with `operation error: callback: callback timed out`, \
                 not `Callback timed out on heartbeat`: a heartbeat timeout reads as a timeout",
            ),
            (
                "wait_for_callback",
                "the callback and the submitter step inside it have no names (the Python SDK \
                 names them `approval create callback id` and `approval submitter`)",
            ),
            (
                "race_timer_wins",
                "the winning branch is unnamed: a parallel branch's SUCCEED update carries no \
                 name, and the emulator stores each update's name; the parallel's result record \
                 is the SDK's own (`reason` and the settled branches' JSON-encoded results, where \
                 the Python SDK records every branch and its status in its typed envelope)",
            ),
            (
                "race_callback_wins",
                "as race_timer_wins: the winning branch unnamed, the result record the SDK's own",
            ),
            (
                "quorum_2_of_3",
                "the execution FAILS on the first replay after an approval: a map item's SUCCEED \
                 update carries no name, the emulator stores it nameless, and the SDK's \
                 determinism check then refuses its own item: `non_deterministic_execution: ... \
                 expected CONTEXT/MapIteration, got Context/MapIteration named \"approver-bob\"`",
            ),
        ],
    },
];

/// The twins on the official Python SDK: the reference.
const PYTHON: &str = "durable-conformance-python";

/// What the test does while an execution runs.
#[derive(Clone, Copy)]
enum Drive {
    Nothing,
    Succeed,
    Fail,
    /// Succeeds the callbacks of these names, one per invocation: each
    /// after the execution has suspended again since the last answer, so
    /// the number of invocations does not depend on timing.
    Answer(&'static [&'static str]),
    /// `hitl approve`, by one of the local stack's people: the approval
    /// workflows count only decisions whose sender they verify.
    Approve(&'static str),
}

/// How a scenario's histories are compared.
#[derive(Clone, Copy, PartialEq)]
enum Order {
    /// Event for event, in order.
    Strict,
    /// Per operation, named by its path of names: concurrent branches.
    PerOperation,
}

/// What the approval scenario's approver sends (a fixed time, so results compare).
const DECISION: &str = r#"{"outcome":"APPROVED","decided_by":"bob","decided_at":"2026-11-22T10:00:00.000Z","comment":"ok"}"#;

const SCENARIOS: [(&str, Drive, Order); 14] = [
    ("steps_only", Drive::Nothing, Order::Strict),
    ("step_retry_then_success", Drive::Nothing, Order::Strict),
    ("callback_success", Drive::Succeed, Order::Strict),
    ("callback_failure", Drive::Fail, Order::Strict),
    ("callback_timeout", Drive::Nothing, Order::Strict),
    ("heartbeat_timeout", Drive::Nothing, Order::Strict),
    ("wait_then_step", Drive::Nothing, Order::Strict),
    ("child_context", Drive::Nothing, Order::Strict),
    ("wait_for_callback", Drive::Succeed, Order::Strict),
    // The approval workflow itself: lambdas/approval-workflow against its
    // Python twin, on the same table.
    ("approval", Drive::Approve("bob"), Order::Strict),
    // The shapes of what comes next: a reminder timer raced against the
    // decision (each side winning once), approver quorum, and an approval
    // called from another workflow.
    ("race_timer_wins", Drive::Nothing, Order::PerOperation),
    (
        "race_callback_wins",
        Drive::Answer(&["approval"]),
        Order::PerOperation,
    ),
    (
        "quorum_2_of_3",
        Drive::Answer(&["approval-bob", "approval-carol"]),
        Order::PerOperation,
    ),
    ("chained_invoke", Drive::Nothing, Order::Strict),
];

/// The function that runs `workflow` on `runtime` (None: the Python twin),
/// or None when that runtime has no such function.
fn function(workflow: &str, runtime: Option<&Runtime>) -> Option<&'static str> {
    match (runtime, workflow) {
        (None, _) => Some(PYTHON),
        (Some(runtime), _) if runtime.unsupported.contains(&workflow) => None,
        (Some(runtime), "approval") => runtime.approval,
        (Some(runtime), _) => Some(runtime.conformance),
    }
}

/// The input of one run, and its unique execution name (the one string
/// that legitimately differs between the runs of a scenario).
fn input(workflow: &str) -> (String, Value) {
    let execution = unique_id(&format!("diff-{}", &workflow[..workflow.len().min(20)]));
    let input = if workflow == "approval" {
        json!({
            "approval_id": execution,
            "title": "Rotate the signing key",
            "requester": "alice",
            "timeout_seconds": 3600,
        })
    } else {
        json!({ "workflow": workflow })
    };
    (execution, input)
}

/// One execution of a scenario: its ARN and execution name.
struct Run {
    arn: String,
    name: String,
}

struct Harness {
    lambda: aws_sdk_lambda::Client,
    http: reqwest::Client,
    endpoint: String,
}

impl Harness {
    async fn new() -> Self {
        let ports = tokio::task::spawn_blocking(local_ports).await.unwrap();
        Self {
            lambda: aws_sdk_lambda::Client::new(&sdk_config().await),
            http: reqwest::Client::new(),
            endpoint: format!("http://127.0.0.1:{}", ports["front_door"]),
        }
    }

    /// Starts `workflow` on `function`.
    async fn run(&self, function: &str, workflow: &str) -> Run {
        let (name, payload) = input(workflow);
        let arn = self.start(function, &name, payload).await;
        Run { arn, name }
    }

    /// How the run ended and its history, normalised and anonymised.
    async fn outcome(&self, run: &Run, order: Order) -> (Value, Vec<Value>) {
        let end = anonymise(self.finished(&run.arn).await, &run.name);
        let history = self.history(&run.arn).await;
        let events = match order {
            Order::Strict => normalise(&history),
            Order::PerOperation => normalise_per_operation(&history),
        };
        (end, anonymise_all(events, &run.name))
    }

    async fn start(&self, function: &str, name: &str, payload: Value) -> String {
        let out = self
            .lambda
            .invoke()
            .function_name(function)
            .qualifier("1")
            .invocation_type(InvocationType::Event)
            .durable_execution_name(name)
            .payload(Blob::new(payload.to_string()))
            .send()
            .await
            .unwrap();
        out.durable_execution_arn.unwrap()
    }

    /// The execution's events, through the Lambda API's history call.
    async fn history(&self, arn: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut url = format!(
                "{}/2025-12-01/durable-executions/{}/history?IncludeExecutionData=true&MaxItems=100",
                self.endpoint,
                percent_encode(arn)
            );
            if let Some(marker) = &marker {
                url.push_str(&format!("&Marker={}", percent_encode(marker)));
            }
            let page: Value = self
                .http
                .get(url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            events.extend(page["Events"].as_array().cloned().unwrap_or_default());
            match page["NextMarker"].as_str().filter(|m| !m.is_empty()) {
                Some(next) => marker = Some(next.to_owned()),
                None => return events,
            }
        }
    }

    /// The id of the callback named `name` (None: the first one), once the
    /// execution has suspended more than `invocations` times: a person
    /// answers later than a workflow runs its next steps, and an answer
    /// racing them would make the history's order a matter of timing.
    /// Returns how many times it had suspended.
    async fn callback_after(
        &self,
        arn: &str,
        name: Option<&str>,
        invocations: usize,
    ) -> (String, usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let events = self.history(arn).await;
            let suspended = events
                .iter()
                .filter(|event| event["EventType"] == "InvocationCompleted")
                .count();
            let callback_id = events
                .iter()
                .filter(|event| event["EventType"] == "CallbackStarted")
                .filter(|event| name.is_none_or(|name| event["Name"] == name))
                .find_map(|event| event["CallbackStartedDetails"]["CallbackId"].as_str());
            if let (true, Some(id)) = (suspended > invocations, callback_id) {
                return (id.to_owned(), suspended);
            }
            assert!(
                Instant::now() < deadline,
                "no callback {name:?} after invocation {invocations} in {arn}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn drive(&self, run: &Run, drive: Drive) {
        let arn = run.arn.as_str();
        match drive {
            Drive::Nothing => {}
            Drive::Answer(names) => {
                let mut invocations = 0;
                for name in names {
                    let (callback_id, seen) =
                        self.callback_after(arn, Some(name), invocations).await;
                    invocations = seen;
                    self.lambda
                        .send_durable_execution_callback_success()
                        .callback_id(callback_id)
                        .result(Blob::new(format!(r#"{{"answer":"{name}"}}"#)))
                        .send()
                        .await
                        .unwrap();
                }
            }
            Drive::Approve(person) => {
                self.callback_after(arn, None, 0).await;
                let id = run.name.clone();
                tokio::task::spawn_blocking(move || {
                    wait_for_show(&id, "PENDING with a callback", |v| {
                        v["record"]["callback_id"].is_string()
                    });
                    hitl_as(person, &["approve", &id]).ok();
                })
                .await
                .unwrap();
            }
            Drive::Succeed => {
                let (callback_id, _) = self.callback_after(arn, None, 0).await;
                self.lambda
                    .send_durable_execution_callback_success()
                    .callback_id(callback_id)
                    .result(Blob::new(DECISION))
                    .send()
                    .await
                    .unwrap();
            }
            Drive::Fail => {
                let (callback_id, _) = self.callback_after(arn, None, 0).await;
                self.lambda
                    .send_durable_execution_callback_failure()
                    .callback_id(callback_id)
                    .error(
                        ErrorObject::builder()
                            .error_type("Rejected")
                            .error_message("not this week")
                            .error_data("{\"by\":\"carol\"}")
                            .build(),
                    )
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    async fn finished(&self, arn: &str) -> Value {
        let what = format!("execution {arn} finishing");
        let execution = eventually_async(
            &what,
            Duration::from_secs(90),
            Duration::from_millis(200),
            || async {
                let execution = self
                    .lambda
                    .get_durable_execution()
                    .durable_execution_arn(arn)
                    .send()
                    .await
                    .unwrap();
                if execution.status().as_str() != "RUNNING" {
                    Ok(execution)
                } else {
                    Err(execution)
                }
            },
        )
        .await;
        json!({
            "Status": execution.status().as_str(),
            "Result": execution.result().map(parse_payload),
            "ErrorMessage": execution.error().and_then(|e| e.error_message()),
        })
    }
}

/// Payloads are JSON text; compare them as JSON values.
fn parse_payload(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// One event with everything that legitimately differs between runs and
/// languages taken out.
fn normalise(events: &[Value]) -> Vec<Value> {
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut label = |id: &Value| -> Value {
        match id.as_str() {
            None => Value::Null,
            Some(id) => {
                let next = format!("op{}", labels.len() + 1);
                Value::String(labels.entry(id.to_owned()).or_insert(next).clone())
            }
        }
    };
    events
        .iter()
        .map(|event| {
            let event_type = event["EventType"].as_str().unwrap_or_default();
            let mut details = event[format!("{event_type}Details")].clone();
            scrub(&mut details);
            let execution_event =
                event_type.starts_with("Execution") || event_type == "InvocationCompleted";
            json!({
                "type": event_type,
                // The EXECUTION operation's name is the (unique) execution name.
                "name": if execution_event { Value::Null } else { event["Name"].clone() },
                "sub_type": event["SubType"],
                "op": if execution_event { Value::Null } else { label(&event["Id"]) },
                "parent": label(&event["ParentId"]),
                "details": details,
            })
        })
        .collect()
}

/// The events keyed by operation instead of by order: each operation is
/// named by the path of names from the root (`race/timer/reminder-due`),
/// and the events are sorted, so concurrent branches compare whatever
/// order their events were recorded in.
fn normalise_per_operation(events: &[Value]) -> Vec<Value> {
    let mut names: HashMap<&str, (&str, Option<&str>)> = HashMap::new();
    for event in events {
        if let Some(id) = event["Id"].as_str() {
            let name = event["Name"].as_str().unwrap_or("?");
            names.insert(id, (name, event["ParentId"].as_str()));
        }
    }
    let path = |id: Option<&str>| -> Value {
        let mut parts = Vec::new();
        let mut next = id;
        while let Some((name, parent)) = next.and_then(|id| names.get(id)) {
            parts.push(*name);
            next = *parent;
        }
        match parts.is_empty() {
            true => Value::Null,
            false => Value::String(parts.into_iter().rev().collect::<Vec<_>>().join("/")),
        }
    };
    let mut normalised: Vec<Value> = normalise(events)
        .into_iter()
        .zip(events)
        .map(|(mut normal, event)| {
            if !normal["op"].is_null() {
                normal["op"] = path(event["Id"].as_str());
            }
            normal["parent"] = path(event["ParentId"].as_str());
            normal
        })
        .collect();
    normalised.sort_by_key(Value::to_string);
    normalised
}

fn scrub(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for key in [
                "CallbackId",
                "ScheduledEndTimestamp",
                "ErrorType",
                "StackTrace",
                "StartTimestamp",
                "EndTimestamp",
                "RequestId",
                // A chained invoke's child execution, unique per run.
                "DurableExecutionArn",
            ] {
                map.remove(key);
            }
            if let Some(Value::String(payload)) = map.get("Payload") {
                let parsed = untag(parse_payload(payload));
                map.insert("Payload".into(), parsed);
            }
            for child in map.values_mut() {
                scrub(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(scrub),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn histories_match_the_official_python_sdk() {
    let harness = Harness::new().await;
    // Start everything at once: the scenarios are independent and mostly wait.
    let mut scenarios = Vec::new();
    for (workflow, drive, order) in SCENARIOS {
        let python = harness.run(PYTHON, workflow).await;
        let mut rust = Vec::new();
        for runtime in &RUNTIMES {
            rust.push(match function(workflow, Some(runtime)) {
                Some(function) => Some(harness.run(function, workflow).await),
                None => None,
            });
        }
        scenarios.push((workflow, drive, order, python, rust));
    }
    let mut summary = Vec::new();
    let mut mismatches = Vec::new();
    for (workflow, drive, order, python, rust) in &scenarios {
        // The executions already run side by side: drive them one by one.
        for run in std::iter::once(python).chain(rust.iter().flatten()) {
            harness.drive(run, *drive).await;
        }
        let (python_end, python_events) = harness.outcome(python, *order).await;
        let mut cells = Vec::new();
        for (runtime, run) in RUNTIMES.iter().zip(rust) {
            let Some(run) = run else {
                cells.push(format!("{:<37}", "(not supported)"));
                continue;
            };
            let (end, events) = harness.outcome(run, *order).await;
            let same = events == python_events && end == python_end;
            let known = runtime
                .known_differences
                .iter()
                .find(|(known, _)| known == workflow);
            cells.push(format!(
                "{:<10} {:>3} events {:<17}",
                end["Status"].as_str().unwrap_or("?"),
                events.len(),
                match (same, known) {
                    (true, _) => "identical",
                    (false, Some(_)) => "different (known)",
                    (false, None) => "DIFFERENT",
                }
            ));
            if std::env::var_os("DIFFERENTIAL_VERBOSE").is_some() {
                println!(
                    "== {workflow} on {}: {end}\n{}",
                    runtime.label,
                    lines(&events)
                );
            }
            match (same, known) {
                (false, None) => mismatches.push(format!(
                    "== {workflow}\n-- {}: {end}\n{}\n-- Python SDK: {python_end}\n{}",
                    runtime.label,
                    lines(&events),
                    lines(&python_events)
                )),
                (true, Some((_, how))) => mismatches.push(format!(
                    "== {workflow} on {} now matches the Python SDK, which it was known not to \
                     ({how}): take it off `known_differences` and the README's runtime section",
                    runtime.label
                )),
                _ => {}
            }
        }
        summary.push(format!("{workflow:<24} {}", cells.join("  ")));
    }
    let header: Vec<String> = RUNTIMES
        .iter()
        .map(|runtime| format!("{:<39}", runtime.label))
        .collect();
    report(format_args!(
        "differential: vs the Python SDK    {}",
        header.join("")
    ));
    for line in &summary {
        report(format_args!("differential: {line}"));
    }
    assert!(
        mismatches.is_empty(),
        "histories differ:\n{}",
        mismatches.join("\n")
    );
}

/// The Python SDK wraps step and context results in a typed envelope
/// (`{"t": "m", "v": {...}}`); this is the plain JSON inside it.
fn untag(value: Value) -> Value {
    let Value::Object(map) = &value else {
        return value;
    };
    let (Some(Value::String(tag)), Some(inner), 2) = (map.get("t"), map.get("v"), map.len()) else {
        return value;
    };
    match (tag.as_str(), inner) {
        ("m", Value::Object(entries)) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), untag(v.clone())))
                .collect(),
        ),
        ("l" | "t", Value::Array(items)) => {
            Value::Array(items.iter().cloned().map(untag).collect())
        }
        ("s" | "i" | "f" | "b" | "n" | "d" | "u" | "dt" | "D", inner) => inner.clone(),
        _ => value,
    }
}

/// Replaces the side's unique execution name (also within text, as in
/// `hitl show NAME`), its execution ARN, any timestamp, any random id (SNS
/// message and EventBridge event ids) and a decision's identity proof (a
/// signature over the time and the request), which differ between runs by
/// nature.
fn anonymise(value: Value, name: &str) -> Value {
    match value {
        Value::String(text) if text == name => Value::String("<name>".into()),
        Value::String(text) if text.contains(name) => Value::String(text.replace(name, "<name>")),
        Value::String(text) if looks_like_timestamp(&text) => Value::String("<timestamp>".into()),
        Value::String(text) if looks_like_uuid(&text) => Value::String("<uuid>".into()),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| anonymise(v, name)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| match k.as_str() {
                    "proof" => (k, Value::String("<proof>".into())),
                    "execution_arn" => (k, Value::String("<execution arn>".into())),
                    _ => (k, anonymise(v, name)),
                })
                .collect(),
        ),
        other => other,
    }
}

fn anonymise_all(events: Vec<Value>, name: &str) -> Vec<Value> {
    events.into_iter().map(|e| anonymise(e, name)).collect()
}

/// A random id such as an SNS message id (8-4-4-4-12 hex digits).
fn looks_like_uuid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn looks_like_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() >= 20
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && text.ends_with('Z')
}

fn lines(events: &[Value]) -> String {
    events
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
