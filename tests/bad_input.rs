//! Bad input that gets past the CLI (any Lambda client can start the
//! workflow) ends the execution FAILED with a clear error and writes nothing.

use hitl_e2e::{assert_no_record, failure_of, start_raw, unique_id};

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
