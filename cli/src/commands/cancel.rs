//! `hitl cancel ID`: withdraw a pending request and end its execution.
//!
//! The workflow is told through the decision callback it waits on (a
//! failure of type [`CANCELLED_ERROR_TYPE`]), so it closes the request
//! itself and announces the cancellation like any other outcome. Only when
//! no callback takes it is the execution stopped, with no announcement.

use anyhow::Context;
use aws_sdk_lambda::types::{ErrorObject, ExecutionStatus};
use hitl_contract::payload::CANCELLED_ERROR_TYPE;
use hitl_contract::{ApprovalRecord, Timestamp};

use crate::app::App;
use crate::cli::CancelArgs;
use crate::output;

pub async fn run(app: &App, args: CancelArgs) -> anyhow::Result<()> {
    // Who cancels is the caller's verified identity; `--as` is a note.
    let by = app.caller().await?.arn;
    // The record first: once it says CANCELLED no decision can win, and a
    // stop that fails below is finished by running the command again.
    let record = app
        .store()
        .cancel(
            &args.id,
            &by,
            args.as_name.as_deref(),
            args.reason.as_deref(),
            Timestamp::now(),
        )
        .await?;
    let message = args
        .reason
        .clone()
        .unwrap_or_else(|| format!("Cancelled by {by}"));
    end(&app.lambda(), &record, &message)
        .await
        .with_context(|| format!("request `{}` is cancelled, but stopping its execution failed; run `hitl cancel {}` again", args.id, args.id))?;
    output::one(app.output, &record, || {
        output::line(format_args!(
            "CANCELLED {} (by {})",
            output::one_line(&record.approval_id),
            output::one_line(&by)
        ))
    })
}

/// Ends the cancelled request's execution: through the callback the record
/// names, else by stopping it. A record without a callback needs neither:
/// its workflow finds it cancelled when it publishes one, and closes.
async fn end(
    lambda: &aws_sdk_lambda::Client,
    record: &ApprovalRecord,
    message: &str,
) -> anyhow::Result<()> {
    let Some(arn) = &record.execution_arn else {
        return Ok(());
    };
    let Some(callback_id) = &record.callback_id else {
        return Ok(());
    };
    let told = lambda
        .send_durable_execution_callback_failure()
        .callback_id(callback_id)
        .error(cancellation(message))
        .send()
        .await;
    match told {
        Ok(_) => Ok(()),
        // The callback is gone (a newer one replaced it, or it timed out):
        // stopping is the sure way left.
        Err(_) => stop(lambda, arn, message).await,
    }
}

fn cancellation(message: &str) -> ErrorObject {
    ErrorObject::builder()
        .error_type(CANCELLED_ERROR_TYPE)
        .error_message(message)
        .build()
}

/// Stops the execution unless it has already ended.
async fn stop(lambda: &aws_sdk_lambda::Client, arn: &str, message: &str) -> anyhow::Result<()> {
    let stopped = lambda
        .stop_durable_execution()
        .durable_execution_arn(arn)
        .error(cancellation(message))
        .send()
        .await;
    let Err(err) = stopped else { return Ok(()) };
    let status = lambda
        .get_durable_execution()
        .durable_execution_arn(arn)
        .send()
        .await
        .map(|e| e.status().clone());
    match status {
        Ok(status) if status != ExecutionStatus::Running => Ok(()),
        _ => Err(crate::exit::aws_call(err)),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::get_durable_execution::GetDurableExecutionOutput;
    use aws_sdk_lambda::operation::send_durable_execution_callback_failure::{
        SendDurableExecutionCallbackFailureError, SendDurableExecutionCallbackFailureOutput,
    };
    use aws_sdk_lambda::operation::stop_durable_execution::{
        StopDurableExecutionError, StopDurableExecutionOutput,
    };
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::DateTime;

    use super::*;

    fn execution(status: ExecutionStatus) -> GetDurableExecutionOutput {
        GetDurableExecutionOutput::builder()
            .durable_execution_arn("arn")
            .durable_execution_name("req-1")
            .function_arn("fn")
            .start_timestamp(DateTime::from_secs(0))
            .status(status)
            .build()
            .unwrap()
    }

    fn refused() -> StopDurableExecutionError {
        StopDurableExecutionError::generic(
            aws_smithy_types::error::ErrorMetadata::builder()
                .code("ResourceConflictException")
                .message("ended")
                .build(),
        )
    }

    fn cancelled(callback_id: Option<&str>) -> ApprovalRecord {
        let mut record = crate::fixtures::record("req-1", hitl_contract::Status::Cancelled);
        record.execution_arn = Some("arn".into());
        record.callback_id = callback_id.map(str::to_owned);
        record
    }

    #[tokio::test]
    async fn the_workflow_is_told_through_its_callback() {
        let told = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_failure)
            .match_requests(|req| {
                req.callback_id() == Some("cb-1")
                    && req.error().and_then(|e| e.error_type()) == Some(CANCELLED_ERROR_TYPE)
                    && req.error().and_then(|e| e.error_message()) == Some("wrong ticket")
            })
            .then_output(|| SendDurableExecutionCallbackFailureOutput::builder().build());
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&told]);
        end(&client, &cancelled(Some("cb-1")), "wrong ticket")
            .await
            .unwrap();
        assert_eq!(told.num_calls(), 1);
    }

    /// AWS answers a callback that already ended with
    /// `CallbackTimeoutException`: the execution is stopped instead.
    #[tokio::test]
    async fn a_callback_that_is_gone_means_a_stop() {
        let told = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_failure)
            .then_error(|| {
                SendDurableExecutionCallbackFailureError::CallbackTimeoutException(
                    aws_sdk_lambda::types::error::CallbackTimeoutException::builder()
                        .message("timed out")
                        .build(),
                )
            });
        let stop_rule = mock!(aws_sdk_lambda::Client::stop_durable_execution).then_output(|| {
            StopDurableExecutionOutput::builder()
                .stop_timestamp(DateTime::from_secs(1))
                .build()
                .unwrap()
        });
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&told, &stop_rule]);
        end(&client, &cancelled(Some("cb-old")), "late")
            .await
            .unwrap();
        assert_eq!(stop_rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_record_without_a_callback_is_left_to_its_workflow() {
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, []);
        end(&client, &cancelled(None), "early").await.unwrap();
    }

    #[tokio::test]
    async fn stops_with_the_reason() {
        let stop_rule = mock!(aws_sdk_lambda::Client::stop_durable_execution)
            .match_requests(|req| {
                let error = req.error().unwrap();
                error.error_type() == Some(CANCELLED_ERROR_TYPE)
                    && error.error_message() == Some("wrong ticket")
            })
            .then_output(|| {
                StopDurableExecutionOutput::builder()
                    .stop_timestamp(DateTime::from_secs(1))
                    .build()
                    .unwrap()
            });
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&stop_rule]);
        stop(&client, "arn", "wrong ticket").await.unwrap();
        assert_eq!(stop_rule.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_refused_stop_of_an_ended_execution_is_fine() {
        let stop_rule = mock!(aws_sdk_lambda::Client::stop_durable_execution).then_error(refused);
        let get = mock!(aws_sdk_lambda::Client::get_durable_execution)
            .then_output(|| execution(ExecutionStatus::Succeeded));
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&stop_rule, &get]);
        stop(&client, "arn", "late").await.unwrap();
    }

    #[tokio::test]
    async fn a_refused_stop_of_a_running_execution_is_an_error() {
        let stop_rule = mock!(aws_sdk_lambda::Client::stop_durable_execution).then_error(refused);
        let get = mock!(aws_sdk_lambda::Client::get_durable_execution)
            .then_output(|| execution(ExecutionStatus::Running));
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&stop_rule, &get]);
        assert!(stop(&client, "arn", "no").await.is_err());
    }
}
