//! Crash recovery: the workflow function's process is killed before or after
//! each of its checkpoints reaches the service, and the request still ends
//! with exactly one record, one callback and one decision.
//!
//! The local stack's front door does the killing at the chosen point (see
//! xtask/src/local/faults.rs); the emulator invokes again, as Lambda does,
//! and the workflow replays.

use std::collections::HashMap;

use hitl_e2e::{
    history_events, hitl, hitl_as, local_ports, principal, report, submit_and_wait, unique_id,
    wait_for_show,
};
use serde_json::{json, Value};

/// The checkpoint calls the front door has seen from `execution_name`.
async fn checkpoints_of(front_door: &str, execution_name: &str) -> u64 {
    let counts: Value = reqwest::get(format!("{front_door}/_local/checkpoints"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    counts[execution_name].as_u64().unwrap_or(0)
}

async fn arm(front_door: &str, execution_name: &str, checkpoint: usize, when: &str) {
    let response = reqwest::Client::new()
        .post(format!("{front_door}/_local/faults"))
        .json(&json!({
            "execution_name": execution_name,
            "checkpoint": checkpoint,
            "when": when,
            "function": "approval-workflow",
        }))
        .send()
        .await
        .unwrap();
    assert!(
        response.status().is_success(),
        "arming a fault: {response:?}"
    );
}

async fn fired(front_door: &str) -> Vec<Value> {
    reqwest::get(format!("{front_door}/_local/faults"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// How often each (event type, operation name) occurs in the execution's
/// history, as `hitl history` reports it.
fn history_counts(id: &str) -> HashMap<(String, String), usize> {
    let mut counts = HashMap::new();
    for entry in history_events(id) {
        let key = (
            entry["event"].as_str().unwrap_or_default().to_owned(),
            entry["name"].as_str().unwrap_or_default().to_owned(),
        );
        *counts.entry(key).or_default() += 1;
    }
    counts
}

async fn round_trip(id: String) -> Value {
    tokio::task::spawn_blocking(move || {
        submit_and_wait(&id, &["--timeout", "1h"]);
        hitl_as("bob", &["approve", &id, "--output", "json"]).ok();
        wait_for_show(&id, "SUCCEEDED", |v| {
            v["execution"]["status"] == "SUCCEEDED"
        })
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_checkpoint_survives_a_killed_process() {
    let _alone = crate::alone_async().await;
    let ports = tokio::task::spawn_blocking(local_ports).await.unwrap();
    let front_door = format!("http://127.0.0.1:{}", ports["front_door"]);

    // The workflow's checkpoints in one undisturbed round trip (hitl-durable
    // makes 8: record-request, the callback, publish-callback,
    // notify-approvers, then after the decision judge-decision,
    // record-outcome, publish-outcome-event and notify-requester; the
    // official SDK checkpoints more often).
    let counted = unique_id("crash-count");
    round_trip(counted.clone()).await;
    let checkpoints = checkpoints_of(&front_door, &counted).await;
    assert!(
        checkpoints >= 8,
        "{checkpoints} checkpoints in a round trip"
    );
    report(format_args!(
        "crash recovery: {checkpoints} checkpoints in one round trip, killed before and after each"
    ));

    let mut points = Vec::new();
    for checkpoint in 1..=checkpoints as usize {
        for when in ["before", "after"] {
            let id = unique_id(&format!("crash-{checkpoint}-{when}"));
            arm(&front_door, &id, checkpoint, when).await;
            points.push((checkpoint, when, id));
        }
    }
    // One at a time: a crash restarts the functions' runtime, which would
    // also interrupt whatever else runs.
    let mut shown = Vec::new();
    for (_, _, id) in &points {
        shown.push(round_trip(id.clone()).await);
    }

    let fired = fired(&front_door).await;
    for ((checkpoint, when, id), shown) in points.iter().zip(&shown) {
        let point = format!("{when} checkpoint {checkpoint}");
        let fault = fired
            .iter()
            .find(|f| f["execution_name"] == id.as_str())
            .unwrap_or_else(|| panic!("the fault {point} never fired for {id}"));
        assert!(
            fault["killed"].as_u64() >= Some(1),
            "{point}: no process was killed: {fault}"
        );
        assert_eq!(shown["record"]["status"], "APPROVED", "{point}: {shown}");
        assert_eq!(shown["record"]["decided_by"], principal("bob"), "{point}");
        assert_eq!(
            shown["execution"]["result"]["status"], "APPROVED",
            "{point}"
        );

        let moved = id.clone();
        let counts = tokio::task::spawn_blocking(move || history_counts(&moved))
            .await
            .unwrap();
        let count = |event: &str, name: &str| {
            counts
                .get(&(event.to_owned(), name.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        assert_eq!(
            count("CallbackStarted", "decision"),
            1,
            "{point}: one callback"
        );
        assert_eq!(
            count("CallbackSucceeded", "decision"),
            1,
            "{point}: one decision"
        );
        for step in [
            "record-request",
            "publish-callback",
            "record-outcome",
            "publish-outcome-event",
            "notify-requester",
        ] {
            assert_eq!(
                count("StepSucceeded", step),
                1,
                "{point}: {step} succeeded once"
            );
        }
        report(format_args!(
            "crash recovery: killed {point:<22} recovered: one record, one callback, one decision"
        ));
    }

    // Exactly one record per request.
    let approved = tokio::task::spawn_blocking(|| {
        hitl(&["list", "--status", "approved", "--output", "json"])
            .ok()
            .json()
    })
    .await
    .unwrap();
    for (_, _, id) in &points {
        let copies = approved
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["approval_id"] == id.as_str())
            .count();
        assert_eq!(copies, 1, "{id} is recorded once");
    }
}
