//! Decisions sent by other clients of the callback API (the AWS CLI, the
//! console, another service) are recorded too, with whatever identity their
//! payload carries.

use aws_sdk_lambda::types::ErrorObject;
use aws_smithy_types::Blob;
use hitl_e2e::{sdk_config, submit_and_wait, unique_id, wait_for_show};

async fn lambda() -> aws_sdk_lambda::Client {
    aws_sdk_lambda::Client::new(&sdk_config().await)
}

/// Submits a request through `hitl` and returns its callback id.
async fn submitted(id: &str) -> String {
    let id = id.to_owned();
    let shown = tokio::task::spawn_blocking(move || submit_and_wait(&id, &["--timeout", "1h"]))
        .await
        .unwrap();
    shown["record"]["callback_id"].as_str().unwrap().to_owned()
}

async fn finished(id: String) -> serde_json::Value {
    tokio::task::spawn_blocking(move || {
        wait_for_show(&id, "SUCCEEDED", |v| {
            v["execution"]["status"] == "SUCCEEDED"
        })
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_sent_directly_is_recorded_as_approved() {
    let id = unique_id("foreign-ok");
    let callback_id = submitted(&id).await;

    lambda()
        .await
        .send_durable_execution_callback_success()
        .callback_id(callback_id)
        .result(Blob::new(
            r#"{"decided_by":"ops-console","comment":"via the console"}"#,
        ))
        .send()
        .await
        .unwrap();

    let shown = finished(id).await;
    assert_eq!(shown["record"]["status"], "APPROVED");
    assert_eq!(shown["record"]["decided_by"], "ops-console");
    assert_eq!(shown["record"]["comment"], "via the console");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_sent_directly_is_recorded_as_rejected_with_its_message() {
    let id = unique_id("foreign-no");
    let callback_id = submitted(&id).await;

    lambda()
        .await
        .send_durable_execution_callback_failure()
        .callback_id(callback_id)
        .error(
            ErrorObject::builder()
                .error_type("Denied")
                .error_message("budget frozen")
                .build(),
        )
        .send()
        .await
        .unwrap();

    let shown = finished(id).await;
    assert_eq!(shown["record"]["status"], "REJECTED");
    assert_eq!(shown["record"]["comment"], "budget frozen");
    assert!(
        shown["record"].get("decided_by").is_none(),
        "no identity was sent"
    );
    assert_eq!(shown["execution"]["result"]["status"], "REJECTED");
}
