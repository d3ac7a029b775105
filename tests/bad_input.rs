//! Bad input that gets past the CLI (any Lambda client can start the
//! workflow) ends the execution FAILED with a clear error and writes nothing.

use std::time::{Duration, Instant};

use aws_sdk_lambda::types::{ExecutionStatus, InvocationType};
use aws_smithy_types::Blob;
use hitl_e2e::{sdk_config, unique_id, TABLE};

async fn start_raw(payload: serde_json::Value, id: &str) -> (aws_sdk_lambda::Client, String) {
    let config = sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let version = lambda
        .publish_version()
        .function_name("approval-workflow")
        .send()
        .await
        .unwrap()
        .version
        .unwrap();
    let invoked = lambda
        .invoke()
        .function_name("approval-workflow")
        .qualifier(version)
        .invocation_type(InvocationType::Event)
        .durable_execution_name(id)
        .payload(Blob::new(payload.to_string()))
        .send()
        .await
        .unwrap();
    (lambda, invoked.durable_execution_arn.unwrap())
}

async fn failure_of(lambda: &aws_sdk_lambda::Client, arn: &str) -> (String, String) {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let execution = lambda
            .get_durable_execution()
            .durable_execution_arn(arn)
            .send()
            .await
            .unwrap();
        if execution.status() != &ExecutionStatus::Running {
            assert_eq!(
                execution.status(),
                &ExecutionStatus::Failed,
                "{execution:?}"
            );
            let error = execution.error().unwrap();
            return (
                error.error_type().unwrap_or_default().to_owned(),
                error.error_message().unwrap_or_default().to_owned(),
            );
        }
        assert!(Instant::now() < deadline, "execution {arn} never ended");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn assert_no_record(id: &str) {
    let config = sdk_config().await;
    let item = aws_sdk_dynamodb::Client::new(&config)
        .get_item()
        .table_name(TABLE)
        .key(
            "approval_id",
            aws_sdk_dynamodb::types::AttributeValue::S(id.to_owned()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(
        item.item.is_none(),
        "bad input must write nothing, found {:?}",
        item.item
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_submit_payloads_fail_the_execution_and_write_nothing() {
    let cases = [
        (
            serde_json::json!({"title": "t", "requester": "r", "colour": "red"}),
            "InvalidInput",
            "unknown field `colour`",
        ),
        (
            serde_json::json!({"approval_id": "ID", "title": "", "requester": "r"}),
            "InvalidRequest",
            "title must not be empty",
        ),
        (
            serde_json::json!({"approval_id": "ID", "title": "t", "requester": "r", "timeout_seconds": 99_999_999}),
            "InvalidRequest",
            "out of range",
        ),
        (
            serde_json::json!({"approval_id": "ID", "title": "t", "requester": "r", "amount": "lots"}),
            "InvalidRequest",
            "amount `lots` is not",
        ),
    ];
    for (mut payload, error_type, message) in cases {
        let id = unique_id("bad");
        if payload.get("approval_id").is_some() {
            payload["approval_id"] = serde_json::Value::String(id.clone());
        }
        let (lambda, arn) = start_raw(payload, &id).await;
        let (kind, text) = failure_of(&lambda, &arn).await;
        assert_eq!(kind, error_type, "{text}");
        assert!(text.contains(message), "{text:?} should say {message:?}");
        assert_no_record(&id).await;
    }
}
