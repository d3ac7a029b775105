//! The runtime against recorded invocation payloads and mocked service calls.

// Test helpers fail loudly; clippy.toml allows this in #[test] functions only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use aws_sdk_lambda::operation::checkpoint_durable_execution::CheckpointDurableExecutionOutput;
use aws_sdk_lambda::operation::get_durable_execution_state::GetDurableExecutionStateOutput;
use aws_sdk_lambda::types::{
    CallbackDetails, CheckpointUpdatedExecutionState, Operation, OperationAction,
    OperationStatus as SdkStatus, OperationType as SdkType,
};
use aws_sdk_lambda::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;
use hitl_durable::{
    handle, operation_id, CallbackConfig, DurableContext, DurableError, Envelope, InvocationStatus,
    RetryStrategy, StepConfig,
};
use serde_json::{json, Value};

const ARN: &str =
    "arn:aws:lambda:us-east-1:123456789012:function:wf:1/durable-execution/req-1/exec-1";

fn execution_op(input: &str) -> Value {
    json!({"Id": "exec-1", "Type": "EXECUTION", "Status": "STARTED", "Name": "req-1",
           "StartTimestamp": 1795388303352u64, "ExecutionDetails": {"InputPayload": input}})
}

fn invocation(operations: Vec<Value>) -> Value {
    json!({"DurableExecutionArn": ARN, "CheckpointToken": "token-0",
           "InitialExecutionState": {"Operations": operations, "NextMarker": ""}})
}

fn checkpointed(ops: Vec<Operation>, token: &str) -> CheckpointDurableExecutionOutput {
    CheckpointDurableExecutionOutput::builder()
        .checkpoint_token(token)
        .new_execution_state(
            CheckpointUpdatedExecutionState::builder()
                .set_operations(Some(ops))
                .build(),
        )
        .build()
}

fn callback_op(id: &str, status: SdkStatus) -> Operation {
    Operation::builder()
        .id(id)
        .name("decision")
        .r#type(SdkType::Callback)
        .status(status)
        .start_timestamp(aws_smithy_types::DateTime::from_secs(0))
        .callback_details(
            CallbackDetails::builder()
                .callback_id("cb/id+with=odd")
                .build(),
        )
        .build()
        .unwrap()
}

/// A step, then a callback whose answer is returned.
async fn approval(ctx: DurableContext, input: Value) -> Result<String, DurableError> {
    let who: String = ctx
        .step("greet", |_| async move {
            Ok::<_, std::io::Error>(format!("hello {}", input["name"]))
        })
        .await?;
    let callback = ctx
        .create_callback(
            "decision",
            CallbackConfig {
                timeout: Some(std::time::Duration::from_secs(60)),
                heartbeat_timeout: None,
            },
        )
        .await?;
    let answer = callback.result().await?;
    Ok(format!("{who}: {}", answer.unwrap_or_default()))
}

fn rules_client(rules: &[&Rule]) -> Client {
    mock_client!(aws_sdk_lambda, RuleMode::Sequential, rules)
}

#[tokio::test]
async fn first_invocation_records_step_and_callback_then_suspends() {
    let step_id = operation_id(None, 1);
    let callback_id = operation_id(None, 2);
    let step_checkpoint = mock!(Client::checkpoint_durable_execution)
        .match_requests(move |req| {
            let updates = req.updates();
            // At least once: START and SUCCEED travel together, chained on the invocation's token.
            req.checkpoint_token() == Some("token-0")
                && updates.len() == 2
                && updates[0].action() == &OperationAction::Start
                && updates[1].action() == &OperationAction::Succeed
                && updates[1].payload() == Some("\"hello \\\"ada\\\"\"")
                && updates
                    .iter()
                    .all(|u| u.id() == step_id && u.sub_type() == Some("Step"))
        })
        .then_output(|| checkpointed(vec![], "token-1"));
    let cb_id = callback_id.clone();
    let callback_checkpoint = mock!(Client::checkpoint_durable_execution)
        .match_requests(move |req| {
            let update = &req.updates()[0];
            let options = update.callback_options().unwrap();
            req.checkpoint_token() == Some("token-1")
                && update.r#type() == &SdkType::Callback
                && options.timeout_seconds() == 60
                && options.heartbeat_timeout_seconds() == 0
        })
        .then_output(move || {
            checkpointed(vec![callback_op(&cb_id, SdkStatus::Started)], "token-2")
        });
    let client = rules_client(&[&step_checkpoint, &callback_checkpoint]);

    let envelope = handle(
        client,
        invocation(vec![execution_op(r#"{"name":"ada"}"#)]),
        approval,
    )
    .await
    .unwrap();
    assert_eq!(envelope, Envelope::pending());
    assert_eq!(step_checkpoint.num_calls(), 1);
    assert_eq!(callback_checkpoint.num_calls(), 1);
}

#[tokio::test]
async fn replay_returns_recorded_results_without_running_or_checkpointing() {
    let runs = Arc::new(AtomicU32::new(0));
    let counted = runs.clone();
    let ops = vec![
        execution_op(r#"{"name":"ada"}"#),
        json!({"Id": operation_id(None, 1), "Type": "STEP", "SubType": "Step", "Name": "greet", "Status": "SUCCEEDED",
               "StartTimestamp": 1, "StepDetails": {"Attempt": 1, "Result": "\"hello from before\""}}),
        json!({"Id": operation_id(None, 2), "Type": "CALLBACK", "SubType": "Callback", "Name": "decision",
               "Status": "SUCCEEDED", "StartTimestamp": 2,
               "CallbackDetails": {"CallbackId": "cb", "Result": "yes"}}),
    ];
    let client = rules_client(&[]);
    let envelope = handle(
        client,
        invocation(ops),
        move |ctx: DurableContext, input: Value| {
            let runs = counted.clone();
            async move {
                let who: String = ctx
                    .step("greet", |_| async move {
                        runs.fetch_add(1, Ordering::SeqCst);
                        Ok::<_, std::io::Error>(format!("hello {}", input["name"]))
                    })
                    .await?;
                let answer = ctx
                    .create_callback("decision", CallbackConfig::default())
                    .await?
                    .result()
                    .await?;
                Ok::<_, DurableError>(format!("{who}: {}", answer.unwrap_or_default()))
            }
        },
    )
    .await
    .unwrap();
    assert_eq!(
        envelope,
        Envelope::succeeded("\"hello from before: yes\"".into())
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        0,
        "a recorded step never runs again"
    );
}

#[tokio::test]
async fn callback_failure_and_timeout_reach_the_workflow() {
    for (status, expected) in [
        (
            json!({"Status": "FAILED", "CallbackDetails": {"CallbackId": "cb",
                   "Error": {"ErrorType": "Rejected", "ErrorMessage": "no"}}}),
            "callback `decision` failed: Rejected: no",
        ),
        (
            json!({"Status": "TIMED_OUT", "CallbackDetails": {"CallbackId": "cb",
                   "Error": {"ErrorType": "Callback.Timeout", "ErrorMessage": "Callback timed out"}}}),
            "callback `decision` timed out",
        ),
    ] {
        let mut op = json!({"Id": operation_id(None, 1), "Type": "CALLBACK", "Name": "decision", "StartTimestamp": 2});
        op.as_object_mut()
            .unwrap()
            .extend(status.as_object().unwrap().clone());
        let envelope = handle(
            rules_client(&[]),
            invocation(vec![execution_op("{}"), op]),
            |ctx: DurableContext, _: Value| async move {
                let callback = ctx
                    .create_callback("decision", CallbackConfig::default())
                    .await?;
                match callback.result().await {
                    Ok(_) => Ok::<_, DurableError>("approved".to_owned()),
                    Err(err) => Ok(err.to_string()),
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(
            envelope.result.as_deref(),
            Some(serde_json::to_string(expected).unwrap().as_str())
        );
    }
}

#[tokio::test]
async fn a_changed_workflow_is_detected_not_replayed() {
    let ops = vec![
        execution_op("{}"),
        json!({"Id": operation_id(None, 1), "Type": "WAIT", "Name": "pause", "Status": "SUCCEEDED", "StartTimestamp": 1}),
    ];
    let envelope = handle(
        rules_client(&[]),
        invocation(ops),
        |ctx: DurableContext, _: Value| async move {
            ctx.step("greet", |_| async { Ok::<_, std::io::Error>(1) })
                .await
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope.status, InvocationStatus::Failed);
    let error = envelope.error.unwrap();
    assert_eq!(
        error.error_type.as_deref(),
        Some("NonDeterministicExecution")
    );
    assert!(error
        .error_message
        .unwrap()
        .contains("recorded as WAIT `pause`"));
}

#[tokio::test]
async fn a_failed_attempt_is_retried_after_a_delay() {
    let retry = mock!(Client::checkpoint_durable_execution)
        .match_requests(|req| {
            let updates = req.updates();
            updates.len() == 2
                && updates[1].action() == &OperationAction::Retry
                && updates[1]
                    .step_options()
                    .and_then(|o| o.next_attempt_delay_seconds())
                    == Some(2)
                && updates[1].error().and_then(|e| e.error_message()) == Some("flaky")
        })
        .then_output(|| checkpointed(vec![], "token-1"));
    let config = StepConfig {
        retry: RetryStrategy {
            max_attempts: 2,
            initial_delay: std::time::Duration::from_secs(2),
            ..RetryStrategy::default()
        },
        ..StepConfig::default()
    };
    let envelope = handle(
        rules_client(&[&retry]),
        invocation(vec![execution_op("{}")]),
        move |ctx: DurableContext, _: Value| async move {
            ctx.step_with("flaky", config, |_| async {
                Err::<u32, _>("flaky".to_owned())
            })
            .await
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope, Envelope::pending());
    assert_eq!(retry.num_calls(), 1);
}

#[tokio::test]
async fn the_last_attempt_fails_the_step() {
    let fail = mock!(Client::checkpoint_durable_execution)
        .match_requests(|req| {
            req.updates()[0].action() == &OperationAction::Start
                && req.updates()[1].action() == &OperationAction::Fail
        })
        .then_output(|| checkpointed(vec![], "token-1"));
    let ops = vec![
        execution_op("{}"),
        json!({"Id": operation_id(None, 1), "Type": "STEP", "Name": "flaky", "Status": "READY", "StartTimestamp": 1,
               "StepDetails": {"Attempt": 1, "Error": {"ErrorType": "String", "ErrorMessage": "flaky"}}}),
    ];
    let config = StepConfig {
        retry: RetryStrategy {
            max_attempts: 2,
            ..RetryStrategy::default()
        },
        ..StepConfig::default()
    };
    let envelope = handle(
        rules_client(&[&fail]),
        invocation(ops),
        move |ctx: DurableContext, _: Value| async move {
            ctx.step_with("flaky", config, |step| async move {
                Err::<u32, _>(format!("still flaky on attempt {}", step.attempt))
            })
            .await
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope.status, InvocationStatus::Failed);
    assert_eq!(
        envelope.error.unwrap().error_message.as_deref(),
        Some("still flaky on attempt 2")
    );
}

#[tokio::test]
async fn a_throttled_checkpoint_fails_only_the_invocation() {
    let throttled = mock!(Client::checkpoint_durable_execution).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(429).unwrap(),
            SdkBody::from(r#"{"Type":"TooManyRequestsException"}"#),
        )
    });
    let client = mock_client!(aws_sdk_lambda, RuleMode::MatchAny, [&throttled], |c| c
        .retry_config(aws_sdk_lambda::config::retry::RetryConfig::disabled()));
    let result = handle(
        client,
        invocation(vec![execution_op("{}")]),
        |ctx: DurableContext, _: Value| async move {
            ctx.step("work", |_| async { Ok::<_, std::io::Error>(1) })
                .await
        },
    )
    .await;
    assert!(
        result.is_err(),
        "a passing service failure is retried by a new invocation"
    );
}

#[tokio::test]
async fn a_rejected_checkpoint_fails_the_execution() {
    let rejected = mock!(Client::checkpoint_durable_execution).then_http_response(|| {
        HttpResponse::new(
            StatusCode::try_from(400).unwrap(),
            SdkBody::from(r#"{"Type":"InvalidParameterValueException","message":"Inconsistent operation name."}"#),
        )
    });
    let envelope = handle(
        rules_client(&[&rejected]),
        invocation(vec![execution_op("{}")]),
        |ctx: DurableContext, _: Value| async move {
            ctx.step("work", |_| async { Ok::<_, std::io::Error>(1) })
                .await
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope.status, InvocationStatus::Failed);
    assert_eq!(
        envelope.error.unwrap().error_type.as_deref(),
        Some("CheckpointFailed")
    );
}

#[tokio::test]
async fn further_state_pages_are_fetched_before_the_handler_runs() {
    let page = mock!(Client::get_durable_execution_state)
        .match_requests(|req| {
            req.marker() == Some("page-2") && req.checkpoint_token() == Some("token-0")
        })
        .then_output(|| {
            GetDurableExecutionStateOutput::builder()
                .operations(callback_op(&operation_id(None, 1), SdkStatus::Succeeded))
                .build()
                .unwrap()
        });
    let mut event = invocation(vec![execution_op("{}")]);
    event["InitialExecutionState"]["NextMarker"] = json!("page-2");
    let envelope = handle(
        rules_client(&[&page]),
        event,
        |ctx: DurableContext, _: Value| async move {
            let callback = ctx
                .create_callback("decision", CallbackConfig::default())
                .await?;
            callback.result().await.map(|r| r.is_none())
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope, Envelope::succeeded("true".into()));
    assert_eq!(page.num_calls(), 1);
}

#[tokio::test]
async fn bad_events_and_inputs_fail_clearly() {
    let envelope = handle(
        rules_client(&[]),
        json!({"hello": "world"}),
        |_: DurableContext, _: Value| async { Ok::<_, DurableError>(()) },
    )
    .await
    .unwrap();
    assert_eq!(
        envelope.error.unwrap().error_type.as_deref(),
        Some("InvalidInvocation")
    );

    let envelope = handle(
        rules_client(&[]),
        invocation(vec![execution_op("[1,2]")]),
        |_: DurableContext, _: u32| async { Ok::<_, DurableError>(()) },
    )
    .await
    .unwrap();
    assert_eq!(
        envelope.error.unwrap().error_type.as_deref(),
        Some("InvalidInput")
    );
}

#[tokio::test]
async fn wait_for_callback_groups_callback_and_submitter_in_a_child_context() {
    let context_id = operation_id(None, 1);
    let callback_id = operation_id(Some(&context_id), 1);
    let submitter_id = operation_id(Some(&context_id), 2);
    let (ctx_a, cb_a) = (context_id.clone(), callback_id.clone());
    // The CONTEXT START does not block: it travels with the CALLBACK START.
    let start = mock!(Client::checkpoint_durable_execution)
        .match_requests(move |req| {
            let u = req.updates();
            u.len() == 2
                && u[0].id() == ctx_a
                && u[0].r#type() == &SdkType::Context
                && u[0].sub_type() == Some("WaitForCallback")
                && u[0].name() == Some("approval")
                && u[1].id() == cb_a
                && u[1].parent_id() == Some(ctx_a.as_str())
                && u[1].name() == Some("approval create callback id")
        })
        .then_output({
            let id = callback_id.clone();
            move || checkpointed(vec![callback_op(&id, SdkStatus::Started)], "token-1")
        });
    let (ctx_b, sub_b) = (context_id.clone(), submitter_id.clone());
    let submit = mock!(Client::checkpoint_durable_execution)
        .match_requests(move |req| {
            let u = req.updates();
            u.len() == 2
                && u.iter()
                    .all(|u| u.id() == sub_b && u.parent_id() == Some(ctx_b.as_str()))
                && u[1].name() == Some("approval submitter")
        })
        .then_output(|| checkpointed(vec![], "token-2"));
    let sent = Arc::new(std::sync::Mutex::new(String::new()));
    let seen = sent.clone();
    let envelope = handle(
        rules_client(&[&start, &submit]),
        invocation(vec![execution_op("{}")]),
        move |ctx: DurableContext, _: Value| async move {
            ctx.wait_for_callback(
                "approval",
                CallbackConfig::default(),
                |callback_id| async move {
                    *seen.lock().unwrap() = callback_id;
                    Ok::<_, std::io::Error>(())
                },
            )
            .await
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope, Envelope::pending());
    assert_eq!(
        *sent.lock().unwrap(),
        "cb/id+with=odd",
        "the submitter got the callback id"
    );
    assert_eq!((start.num_calls(), submit.num_calls()), (1, 1));
}

#[tokio::test]
async fn a_finished_child_context_replays_its_result_without_running() {
    let ops = vec![
        execution_op("{}"),
        json!({"Id": operation_id(None, 1), "Type": "CONTEXT", "SubType": "RunInChildContext", "Name": "prepare",
               "Status": "SUCCEEDED", "StartTimestamp": 1, "ContextDetails": {"Result": "42"}}),
    ];
    let envelope = handle(
        rules_client(&[]),
        invocation(ops),
        |ctx: DurableContext, _: Value| async move {
            ctx.run_in_child_context("prepare", |_child| async {
                panic!("a finished child context never runs again")
            })
            .await
            .map(|n: u32| n + 1)
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope, Envelope::succeeded("43".into()));
}

#[tokio::test]
async fn a_failing_child_context_records_its_error() {
    let context_id = operation_id(None, 1);
    let step_id = operation_id(Some(&context_id), 1);
    let fail = mock!(Client::checkpoint_durable_execution)
        .match_requests(move |req| {
            let u = req.updates();
            // CONTEXT START (queued), then the step's START and FAIL.
            u.len() == 3
                && u[0].id() == context_id
                && u[2].id() == step_id
                && u[2].action() == &OperationAction::Fail
        })
        .then_output(|| checkpointed(vec![], "token-1"));
    let context_fail = mock!(Client::checkpoint_durable_execution)
        .match_requests(|req| {
            let u = &req.updates()[0];
            u.r#type() == &SdkType::Context
                && u.action() == &OperationAction::Fail
                && u.error().and_then(|e| e.error_message()) == Some("no disk")
        })
        .then_output(|| checkpointed(vec![], "token-2"));
    let envelope = handle(
        rules_client(&[&fail, &context_fail]),
        invocation(vec![execution_op("{}")]),
        |ctx: DurableContext, _: Value| async move {
            ctx.run_in_child_context("prepare", |child| async move {
                child
                    .step_with(
                        "copy",
                        StepConfig {
                            retry: RetryStrategy::none(),
                            ..StepConfig::default()
                        },
                        |_| async { Err::<u32, _>("no disk".to_owned()) },
                    )
                    .await
            })
            .await
        },
    )
    .await
    .unwrap();
    assert_eq!(envelope.status, InvocationStatus::Failed);
    assert_eq!(context_fail.num_calls(), 1);
}

#[tokio::test]
async fn a_result_too_large_for_the_envelope_is_checkpointed_on_the_execution() {
    let large = "x".repeat(hitl_durable::INLINE_RESULT_LIMIT + 10);
    let expected = serde_json::to_string(&large).unwrap();
    let succeed = mock!(Client::checkpoint_durable_execution)
        .match_requests(move |req| {
            let u = &req.updates()[0];
            u.r#type() == &SdkType::Execution
                && u.action() == &OperationAction::Succeed
                && u.id().starts_with("execution-result-")
                && u.payload() == Some(expected.as_str())
        })
        .then_output(|| checkpointed(vec![], "token-1"));
    let envelope = handle(
        rules_client(&[&succeed]),
        invocation(vec![execution_op("{}")]),
        move |_: DurableContext, _: Value| async move { Ok::<_, DurableError>(large) },
    )
    .await
    .unwrap();
    assert_eq!(envelope, Envelope::succeeded(String::new()));
    assert_eq!(succeed.num_calls(), 1);
}

#[tokio::test]
async fn a_child_result_too_large_to_keep_is_replayed_from_its_children() {
    let succeed = mock!(Client::checkpoint_durable_execution)
        .match_requests(|req| {
            let u = req.updates().last().unwrap();
            u.r#type() == &SdkType::Context
                && u.action() == &OperationAction::Succeed
                && u.payload() == Some("")
                && u.context_options().and_then(|o| o.replay_children()) == Some(true)
        })
        .then_output(|| checkpointed(vec![], "token-1"));
    let envelope = handle(
        rules_client(&[&succeed]),
        invocation(vec![execution_op("{}")]),
        |ctx: DurableContext, _: Value| async move {
            let big: String = ctx
                .run_in_child_context("big", |_| async {
                    Ok("y".repeat(hitl_durable::CHILD_RESULT_LIMIT + 1))
                })
                .await?;
            Ok::<_, DurableError>(big.len())
        },
    )
    .await
    .unwrap();
    assert_eq!(
        envelope,
        Envelope::succeeded((hitl_durable::CHILD_RESULT_LIMIT + 1).to_string())
    );
    assert_eq!(succeed.num_calls(), 1);
}
