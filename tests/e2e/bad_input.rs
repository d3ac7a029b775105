//! Bad input that gets past the CLI (any Lambda client can start the
//! workflow) ends the execution FAILED with a clear error and writes nothing.

use hitl_e2e::{assert_no_record, failure_of, sdk_config, start_raw, unique_id};

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
        (
            // Only the stack's EscalationTopics may be told.
            serde_json::json!({"approval_id": "ID", "title": "t", "requester": "r",
                "escalate_after_seconds": 60,
                "escalate_to": ["arn:aws:sns:us-east-1:123456789012:somebody-elses"]}),
            "InvalidRequest",
            "not among the stack's EscalationTopics",
        ),
        (
            serde_json::json!({"approval_id": "ID", "title": "t", "requester": "r",
                "escalate_after_seconds": 60}),
            "InvalidRequest",
            "names nobody to escalate to",
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

/// AWS runs a durable function only by a qualified ARN: a version, an alias,
/// or `$LATEST` (accepted, and discouraged in production); an unqualified
/// name is refused before anything starts.
#[tokio::test(flavor = "multi_thread")]
async fn a_durable_start_takes_latest_and_refuses_an_unqualified_name() {
    let config = sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let start = |id: &str, qualifier: Option<&str>| {
        lambda
            .invoke()
            .function_name("approval-workflow")
            .set_qualifier(qualifier.map(str::to_owned))
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .durable_execution_name(id)
            .payload(aws_smithy_types::Blob::new(
                serde_json::json!({"approval_id": id, "title": "", "requester": "r"}).to_string(),
            ))
            .send()
    };

    let unqualified = unique_id("unqualified");
    let refused = start(&unqualified, None).await.unwrap_err();
    let status = refused.raw_response().map(|r| r.status().as_u16());
    assert_eq!(status, Some(400), "{refused:?}");
    assert_no_record(&unqualified).await;

    let latest = unique_id("latest");
    let started = start(&latest, Some("$LATEST")).await.unwrap();
    let arn = started.durable_execution_arn.unwrap();
    // The workflow ran and refused the empty title: it started on $LATEST.
    let (error_type, _) = failure_of(&lambda, &arn).await;
    assert_eq!(error_type, "InvalidRequest");
}

/// `hitl submit --wait` on a request the workflow refuses says why at once
/// (exit 2), rather than waiting for a record that never comes.
#[tokio::test(flavor = "multi_thread")]
async fn submit_and_wait_reports_the_workflows_refusal() {
    sdk_config().await;
    let id = unique_id("refused");
    let submitted = id.clone();
    let run = tokio::task::spawn_blocking(move || {
        hitl_e2e::hitl(&[
            "submit",
            "--id",
            &submitted,
            "--title",
            "Escalate to a stranger",
            "--escalate-after",
            "1m",
            "--escalate-to",
            "arn:aws:sns:us-east-1:123456789012:somebody-elses",
            "--wait",
        ])
    })
    .await
    .unwrap();
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("the workflow refused request")
            && run.stderr.contains("InvalidRequest")
            && run.stderr.contains("EscalationTopics"),
        "{run:?}"
    );
    assert_no_record(&id).await;
}
