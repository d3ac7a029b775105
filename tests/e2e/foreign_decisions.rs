//! Decisions sent by other clients of the callback API (the AWS CLI, the
//! console, another service) without an identity proof: anyone allowed to
//! call `SendDurableExecutionCallback*` could send one naming anyone, so the
//! workflow refuses them, records each refusal with the name it gave and why,
//! and keeps waiting on a fresh callback that a verified decision then wins.

use aws_sdk_lambda::types::ErrorObject;
use aws_smithy_types::Blob;
use hitl_e2e::{
    audit_trail, hitl, hitl_as, principal, sdk_config, submit_and_wait, unique_id, wait_for_show,
};
use serde_json::Value;

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&sdk_config().await)
}

/// Submits a request through `hitl` and returns its callback id.
async fn submitted(id: &str) -> String {
    let id = id.to_owned();
    let shown = tokio::task::spawn_blocking(move || submit_and_wait(&id, &["--timeout", "1h"]))
        .await
        .unwrap();
    callback_of(&shown)
}

fn callback_of(shown: &Value) -> String {
    shown["record"]["callback_id"].as_str().unwrap().to_owned()
}

/// Waits until the record holds `count` refusals and a callback other than
/// `previous`: the workflow has judged the decision and waits again.
async fn refused(id: &str, count: usize, previous: &str) -> Value {
    let (id, previous) = (id.to_owned(), previous.to_owned());
    tokio::task::spawn_blocking(move || {
        wait_for_show(&id, "a recorded refusal and a new callback", |v| {
            v["record"]["refusals"].as_array().map(Vec::len) == Some(count)
                && v["record"]["callback_id"]
                    .as_str()
                    .is_some_and(|c| c != previous)
        })
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn unproven_decisions_sent_directly_are_refused_recorded_and_outlived() {
    let id = unique_id("foreign");
    let first = submitted(&id).await;

    lambda()
        .await
        .send_durable_execution_callback_success()
        .callback_id(&first)
        .result(Blob::new(
            r#"{"decided_by":"ops-console","comment":"via the console"}"#,
        ))
        .send()
        .await
        .unwrap();
    let shown = refused(&id, 1, &first).await;
    let record = &shown["record"];
    assert_eq!(record["status"], "PENDING", "{record}");
    let refusal = &record["refusals"][0];
    assert_eq!(refusal["outcome"], "APPROVED", "{refusal}");
    assert_eq!(refusal["claimed_by"], "ops-console", "{refusal}");
    assert!(
        refusal["reason"].as_str().unwrap().contains("proof"),
        "says what was missing: {refusal}"
    );
    assert!(refusal.get("principal").is_none(), "nobody was verified");

    let second = callback_of(&shown);
    lambda()
        .await
        .send_durable_execution_callback_failure()
        .callback_id(&second)
        .error(
            ErrorObject::builder()
                .error_type("Denied")
                .error_message("budget frozen")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let shown = refused(&id, 2, &second).await;
    assert_eq!(shown["record"]["status"], "PENDING");
    assert_eq!(shown["record"]["refusals"][1]["outcome"], "REJECTED");

    // A verified decision still decides, on the workflow's current callback.
    let moved = id.clone();
    let shown = tokio::task::spawn_blocking(move || {
        hitl_as("bob", &["approve", &moved]).ok();
        wait_for_show(&moved, "SUCCEEDED", |v| {
            v["execution"]["status"] == "SUCCEEDED"
        })
    })
    .await
    .unwrap();
    assert_eq!(shown["record"]["status"], "APPROVED");
    assert_eq!(shown["record"]["decided_by"], principal("bob"));
    assert_eq!(shown["record"]["decision_evidence"], "sts");
    assert_eq!(
        shown["record"]["refusals"].as_array().map(Vec::len),
        Some(2),
        "the refusals stay on the record"
    );

    // The audit trail, as an auditor exports it: every attempt in order.
    let trail = audit_trail(&id);
    let alice = principal("alice@example.com");
    let bob = principal("bob");
    assert_eq!(
        trail.steps(),
        [
            ("requested", alice.as_str(), ""),
            ("refused", "", "callback"),
            ("refused", "", "callback"),
            ("approved", bob.as_str(), "cli"),
        ],
        "{trail}"
    );
    assert_eq!(trail.0[1]["comment"], "via the console", "{trail}");
    assert_eq!(trail.0[1]["claimed_by"], "ops-console", "{trail}");
    let table = hitl(&["history", &id, "--audit", "--output", "table"])
        .ok()
        .stdout;
    assert!(table.contains("to approve: "), "{table}");
}
