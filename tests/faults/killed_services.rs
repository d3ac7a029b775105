//! Faults: DynamoDB Local, the durable execution emulator and the functions'
//! runtime are each killed (SIGKILL) during `hitl submit`, `hitl approve` and
//! the workflow's steps, then started again with their data, as the AWS
//! services would come back. Every command either succeeds or fails with a
//! clear error and leaves nothing half done; after recovery the same command
//! succeeds; and no request is left PENDING with an ended execution.
//!
//! One test, run step by step: a killed service would fail anything else
//! running at the time.

use std::time::Duration;

use hitl_e2e::{
    executions_checked, history_events, hitl, hitl_as, local_task, principal, report,
    submit_and_wait, unique_id, wait_for_show, Run,
};
use serde_json::{json, Value};

/// Runs `f` with `service` killed, then starts the service again.
fn with_service_down<T>(service: &str, f: impl FnOnce() -> T) -> T {
    local_task(&["kill", service]);
    let result = f();
    local_task(&["start", service]);
    result
}

/// A failed command: exit 1, a message naming `what` went wrong and what to
/// do, and no panic.
#[track_caller]
fn assert_clear_failure(run: &Run, says: &[&str]) {
    assert_eq!(run.code, 1, "expected a clear failure: {run:?}");
    for phrase in says {
        assert!(
            run.stderr.contains(phrase),
            "the error should say {phrase:?}: {}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

fn submit(id: &str) -> Run {
    hitl_as(
        "alice@example.com",
        &[
            "submit",
            "--id",
            id,
            "--title",
            "Rotate the signing key",
            "--timeout",
            "1h",
            "--output",
            "json",
        ],
    )
}

fn show(id: &str) -> Value {
    hitl(&["show", id, "--output", "json"]).ok().json()
}

fn approve(id: &str, by: &str) -> Run {
    hitl_as(by, &["approve", id, "--output", "json"])
}

#[track_caller]
fn assert_approved(id: &str, by: &str) {
    let shown = wait_for_show(id, "SUCCEEDED", |v| v["execution"]["status"] == "SUCCEEDED");
    assert_eq!(shown["record"]["status"], "APPROVED", "{id}: {shown}");
    assert_eq!(shown["record"]["decided_by"], principal(by), "{id}");
    assert_eq!(shown["execution"]["result"]["status"], "APPROVED", "{id}");
}

/// Starts the workflow directly, without `hitl`, which would first read
/// DynamoDB.
fn start_raw(id: &str) {
    let payload = json!({
        "approval_id": id,
        "title": "Rotate the signing key",
        "requester": "alice@example.com",
        "timeout_seconds": 3600,
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(hitl_e2e::start_raw(payload, id));
}

#[test]
fn killed_services_lose_nothing_and_the_same_command_then_succeeds() {
    let _alone = crate::alone();
    let mut ids = Vec::new();
    let mut checked = 0;
    let mut line = |text: String| {
        checked += 1;
        report(format_args!("faults: {text}"));
    };

    // DynamoDB Local killed during submit: refused before anything starts.
    let id = unique_id("fault-ddb-submit");
    let refused = with_service_down("dynamodb", || submit(&id));
    assert_clear_failure(&refused, &["Could not reach DynamoDB", "try again"]);
    submit(&id).ok();
    wait_for_show(&id, "PENDING", |v| v["record"]["callback_id"].is_string());
    line(format!(
        "DynamoDB killed during submit: exit 1 ({}), nothing started; the same submit then succeeds",
        first_line(&refused.stderr)
    ));
    ids.push(id);

    // DynamoDB Local killed during approve: no claim, no decision.
    let id = unique_id("fault-ddb-approve");
    submit_and_wait(&id, &["--timeout", "1h"]);
    let refused = with_service_down("dynamodb", || approve(&id, "bob"));
    assert_clear_failure(&refused, &["Could not reach DynamoDB", "try again"]);
    let record = &show(&id)["record"];
    assert_eq!(record["status"], "PENDING", "{record}");
    assert!(
        record.get("claim").is_none(),
        "no claim was written: {record}"
    );
    approve(&id, "bob").ok();
    assert_approved(&id, "bob");
    line(format!(
        "DynamoDB killed during approve: exit 1 ({}), record untouched; the same approve then succeeds",
        first_line(&refused.stderr)
    ));
    ids.push(id);

    // DynamoDB Local killed under the workflow's first step: the step
    // fails, is retried by the durable runtime, and writes the record once
    // DynamoDB is back.
    let id = unique_id("fault-ddb-step");
    with_service_down("dynamodb", || {
        start_raw(&id);
        // Long enough for the step's first attempt to fail.
        std::thread::sleep(Duration::from_secs(3));
    });
    wait_for_show(&id, "PENDING", |v| v["record"]["callback_id"].is_string());
    let retried = history_events(&id)
        .iter()
        .filter(|e| e["name"] == "record-request" && e["event"] == "StepFailed")
        .count();
    assert!(
        retried >= 1,
        "{id}: the step failed while DynamoDB was down"
    );
    approve(&id, "bob").ok();
    assert_approved(&id, "bob");
    line(format!(
        "DynamoDB killed during the record-request step: {retried} failed attempt(s) retried; recorded once, then approved"
    ));
    ids.push(id);

    // The emulator killed during submit: no execution, no record.
    let id = unique_id("fault-dex-submit");
    let refused = with_service_down("emulator", || submit(&id));
    assert_clear_failure(&refused, &["starting the workflow", "try again"]);
    assert_eq!(hitl(&["show", &id]).code, 3, "{id}: no record was written");
    submit(&id).ok();
    wait_for_show(&id, "PENDING", |v| v["record"]["callback_id"].is_string());
    line(format!(
        "emulator killed during submit: exit 1 ({}), no record; the same submit then succeeds",
        first_line(&refused.stderr)
    ));
    ids.push(id);

    // The emulator killed during approve: the claim is kept so no other
    // decider can win, and repeating the command delivers the decision.
    let id = unique_id("fault-dex-approve");
    submit_and_wait(&id, &["--timeout", "1h"]);
    let (refused, other) =
        with_service_down("emulator", || (approve(&id, "bob"), approve(&id, "carol")));
    assert_clear_failure(&refused, &["not delivered", "run the same command again"]);
    assert_eq!(other.code, 4, "a second decider cannot win: {other:?}");
    assert_eq!(show(&id)["record"]["claim"]["by"], principal("bob"));
    approve(&id, "bob").ok();
    assert_approved(&id, "bob");
    line(format!(
        "emulator killed during approve: exit 1 ({}), another decider refused (exit 4); the same approve then delivers it",
        first_line(&refused.stderr)
    ));
    ids.push(id);

    // The functions' runtime killed during submit and during approve: the
    // emulator retries the invocations, as Lambda does, and they complete
    // once the runtime is back.
    let id = unique_id("fault-fn-submit");
    with_service_down("functions", || {
        submit(&id).ok();
        std::thread::sleep(Duration::from_secs(1));
    });
    wait_for_show(&id, "PENDING", |v| v["record"]["callback_id"].is_string());
    with_service_down("functions", || {
        approve(&id, "bob").ok();
        std::thread::sleep(Duration::from_secs(1));
    });
    assert_approved(&id, "bob");
    line("functions' runtime killed during submit and during approve: both succeed; the invocations are retried and the request ends APPROVED".to_owned());
    ids.push(id);

    // Nothing is left behind: every request matches its execution.
    let rows = executions_checked();
    for id in &ids {
        let row = rows
            .iter()
            .find(|r| r["approval_id"] == id.as_str())
            .unwrap_or_else(|| panic!("{id} is not listed"));
        assert!(row["problem"].is_null(), "{id}: {row}");
    }
    line(format!(
        "after recovery `hitl list --executions` finds no problem with the {} requests",
        ids.len()
    ));
    report(format_args!("faults: {checked} checks passed, 0 panics"));
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default()
}
