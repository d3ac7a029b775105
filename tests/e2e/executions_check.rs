//! `hitl list --executions` on the local stack: a pending request whose
//! execution was stopped behind the table's back, an execution that never
//! wrote its record, and a request whose execution does not exist.

use std::time::Duration;

use hitl_contract::{ApprovalRecord, SubmitRequest, Timestamp};

use hitl_approvals::ApprovalStore;
use hitl_e2e::{
    eventually_async, executions_checked, hitl, sdk_config, start_raw, submit_and_wait, unique_id,
    PATIENCE, TABLE,
};
use serde_json::Value;

fn row<'a>(rows: &'a [Value], id: &str) -> Option<&'a Value> {
    rows.iter().find(|r| r["approval_id"] == id)
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_requests_and_executions_are_cross_checked() {
    let config = sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);

    // A healthy request, and one whose execution is stopped directly.
    let (healthy, stopped) = (unique_id("healthy"), unique_id("stopped"));
    let shown = tokio::task::spawn_blocking({
        let (healthy, stopped) = (healthy.clone(), stopped.clone());
        move || {
            submit_and_wait(&healthy, &["--timeout", "1h"]);
            submit_and_wait(&stopped, &["--timeout", "1h"])
        }
    })
    .await
    .unwrap();
    let arn = shown["record"]["execution_arn"]
        .as_str()
        .unwrap()
        .to_owned();
    lambda
        .stop_durable_execution()
        .durable_execution_arn(&arn)
        .send()
        .await
        .unwrap();

    // An execution whose input the workflow refuses: it never writes a record.
    let orphan = unique_id("orphan");
    start_raw(
        serde_json::json!({"approval_id": orphan, "title": "", "requester": "r"}),
        &orphan,
    )
    .await;

    // A pending record whose execution never existed.
    let lost = unique_id("lost");
    let request = SubmitRequest {
        timeout_seconds: Some(3600),
        ..SubmitRequest::new(&lost, "Lost", "alice")
    };
    ApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), TABLE)
        .create(&ApprovalRecord::pending(
            &request,
            "no-such-execution",
            Timestamp::now(),
        ))
        .await
        .unwrap();

    let rows = eventually_async(
        "the stopped execution and the orphan showing",
        PATIENCE,
        Duration::from_millis(300),
        || async {
            let rows = tokio::task::spawn_blocking(executions_checked)
                .await
                .unwrap();
            let settled = row(&rows, &stopped)
                .is_some_and(|r| r["execution"]["status"] != "RUNNING")
                && row(&rows, &orphan).is_some();
            if settled {
                Ok(rows)
            } else {
                Err(rows)
            }
        },
    )
    .await;

    let healthy = row(&rows, &healthy).unwrap();
    assert_eq!(healthy["execution"]["status"], "RUNNING");
    assert!(healthy.get("problem").is_none(), "{healthy}");

    let stopped = row(&rows, &stopped).unwrap();
    assert_eq!(stopped["status"], "PENDING");
    assert_eq!(stopped["problem"], "execution_ended", "{stopped}");

    let orphan = row(&rows, &orphan).unwrap();
    assert!(orphan.get("status").is_none(), "{orphan}");
    assert_eq!(orphan["problem"], "no_record", "{orphan}");

    let lost = row(&rows, &lost).unwrap();
    assert_eq!(lost["problem"], "execution_not_found", "{lost}");

    let table =
        tokio::task::spawn_blocking(|| hitl(&["list", "--executions", "--output", "table"]).ok())
            .await
            .unwrap();
    assert!(
        table.stderr.contains("qualifiers ($LATEST, 1)"),
        "{table:?}"
    );
}
