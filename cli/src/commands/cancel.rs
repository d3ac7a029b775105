//! `hitl cancel ID`: withdraw a pending request and stop its execution.

use anyhow::Context;
use aws_sdk_lambda::types::{ErrorObject, ExecutionStatus};
use hitl_contract::Timestamp;

use crate::app::App;
use crate::cli::{CancelArgs, OutputFormat};
use crate::output;

/// The error a cancelled execution is stopped with.
pub const CANCELLED_ERROR_TYPE: &str = "Cancelled";

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
    if let Some(arn) = &record.execution_arn {
        let message = args
            .reason
            .clone()
            .unwrap_or_else(|| format!("Cancelled by {by}"));
        stop(&app.lambda(), arn, &message)
            .await
            .with_context(|| format!("request `{}` is cancelled, but stopping its execution failed; run `hitl cancel {}` again", args.id, args.id))?;
    }
    match app.output {
        OutputFormat::Json | OutputFormat::Jsonl => output::print_one(app.output, &record),
        OutputFormat::Table => output::line(format_args!(
            "CANCELLED {} (by {})",
            output::one_line(&record.approval_id),
            output::one_line(&by)
        )),
    }
}

/// Stops the execution unless it has already ended.
pub async fn stop(lambda: &aws_sdk_lambda::Client, arn: &str, message: &str) -> anyhow::Result<()> {
    let error = ErrorObject::builder()
        .error_type(CANCELLED_ERROR_TYPE)
        .error_message(message)
        .build();
    let stopped = lambda
        .stop_durable_execution()
        .durable_execution_arn(arn)
        .error(error)
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
        _ => Err(anyhow::anyhow!(hitl_contract::sdk_error::summary(&err))),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::get_durable_execution::GetDurableExecutionOutput;
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
