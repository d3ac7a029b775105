//! `hitl show ID`: the record and its durable execution.

use anyhow::Context;
use aws_sdk_lambda::error::DisplayErrorContext;
use hitl_contract::Timestamp;
use serde::Serialize;

use crate::app::App;
use crate::cli::{OutputFormat, ShowArgs};
use crate::output;

#[derive(Debug, Serialize)]
struct ExecutionView {
    arn: String,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

pub async fn run(app: &App, args: ShowArgs) -> anyhow::Result<()> {
    let record = app.store().fetch(&args.id).await?;
    let execution = match &record.execution_arn {
        None => None,
        Some(arn) => Some(
            execution(app, arn)
                .await
                .with_context(|| format!("reading execution {arn}"))?,
        ),
    };
    match app.output {
        OutputFormat::Json | OutputFormat::Jsonl => output::print_one(
            app.output,
            &serde_json::json!({
                "record": record,
                "execution": execution,
            }),
        ),
        OutputFormat::Table => {
            let mut table = output::record_table(&record, Timestamp::now());
            if let Some(execution) = execution {
                table.add_row(["Execution status".to_owned(), execution.status]);
                if let Some(result) = execution.result {
                    table.add_row(["Execution result".to_owned(), result.to_string()]);
                }
                if let Some(error) = execution.error {
                    table.add_row(["Execution error".to_owned(), error]);
                }
            }
            output::line(table)
        }
    }
}

async fn execution(app: &App, arn: &str) -> anyhow::Result<ExecutionView> {
    let out = app
        .lambda()
        .get_durable_execution()
        .durable_execution_arn(arn)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!(DisplayErrorContext(e).to_string()))?;
    Ok(ExecutionView {
        arn: arn.to_owned(),
        status: out.status().as_str().to_owned(),
        result: out.result().map(|text| {
            serde_json::from_str(text)
                .unwrap_or_else(|_| serde_json::Value::String(text.to_owned()))
        }),
        error: out.error().map(|e| {
            format!(
                "{}: {}",
                e.error_type().unwrap_or("Error"),
                e.error_message().unwrap_or_default()
            )
        }),
    })
}
