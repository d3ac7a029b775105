//! `hitl show ID`: the record and its durable execution.

use anyhow::Context;
use hitl_contract::Timestamp;
use serde::Serialize;

use crate::app::App;
use crate::cli::ShowArgs;
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
    let region = app
        .config
        .region()
        .map(ToString::to_string)
        .unwrap_or_default();
    let console = console_url(
        &region,
        &app.stack.workflow_function,
        record.execution_arn.as_deref(),
    );
    let document = serde_json::json!({
        "record": record,
        "execution": execution,
        "console_url": console,
    });
    output::one(app.output, &document, || {
        let mut fields = output::record_fields(&record, Timestamp::now());
        fields.whole("Console", console);
        if let Some(execution) = execution {
            fields.whole("Execution status", execution.status);
            if let Some(result) = execution.result {
                fields.lines(
                    "Execution result",
                    serde_json::to_string_pretty(&result).unwrap_or_default(),
                );
            }
            if let Some(error) = execution.error {
                fields.text("Execution error", error);
            }
        }
        output::record_text(&mut fields, &record);
        output::line(fields.render(output::terminal_width()))
    })
}

/// The execution `arn` as the Lambda API describes it.
pub async fn get_execution(
    app: &App,
    arn: &str,
) -> anyhow::Result<aws_sdk_lambda::operation::get_durable_execution::GetDurableExecutionOutput> {
    app.lambda()
        .get_durable_execution()
        .durable_execution_arn(arn)
        .send()
        .await
        .map_err(crate::exit::aws_call)
}

async fn execution(app: &App, arn: &str) -> anyhow::Result<ExecutionView> {
    let out = get_execution(app, arn).await?;
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

/// The console page of an execution: its Execution Details page when the
/// ARN has AWS's shape
/// (`arn:P:lambda:R:A:function:F:VERSION/durable-execution/NAME/ID`),
/// else the function's page (an emulator's ARNs are opaque).
pub fn console_url(region: &str, function: &str, execution_arn: Option<&str>) -> String {
    let parsed = execution_arn.and_then(parse_execution_arn);
    let (partition, region) = match &parsed {
        Some(p) => (p.partition, p.region),
        None => ("aws", region),
    };
    let host = match partition {
        "aws-cn" => "console.amazonaws.cn".to_owned(),
        "aws-us-gov" => "console.amazonaws-us-gov.com".to_owned(),
        _ => format!("{region}.console.aws.amazon.com"),
    };
    let base = format!("https://{host}/lambda/home?region={region}#/functions");
    match parsed {
        Some(p) => format!(
            "{base}/{}/versions/{}/executions/{}/{}",
            p.function, p.version, p.name, p.id
        ),
        None => format!("{base}/{function}"),
    }
}

struct ExecutionArn<'a> {
    partition: &'a str,
    region: &'a str,
    function: &'a str,
    version: &'a str,
    name: &'a str,
    id: &'a str,
}

fn parse_execution_arn(arn: &str) -> Option<ExecutionArn<'_>> {
    let (qualified, execution) = arn.split_once("/durable-execution/")?;
    let (name, id) = execution.split_once('/')?;
    let mut parts = qualified.split(':');
    let (
        Some("arn"),
        Some(partition),
        Some("lambda"),
        Some(region),
        Some(_account),
        Some("function"),
    ) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    )
    else {
        return None;
    };
    let (function, version) = (parts.next()?, parts.next()?);
    let valid = |s: &str| !s.is_empty() && !s.contains(['/', '#', '?']);
    (parts.next().is_none()
        && [region, function, version, name, id]
            .iter()
            .all(|s| valid(s)))
    .then_some(ExecutionArn {
        partition,
        region,
        function,
        version,
        name,
        id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_link_to_their_execution_details_page() {
        assert_eq!(
            console_url(
                "us-east-1",
                "ignored",
                Some("arn:aws:lambda:eu-west-1:123456789012:function:hitl-workflow:3/durable-execution/apr-1/9f8e7d")
            ),
            "https://eu-west-1.console.aws.amazon.com/lambda/home?region=eu-west-1#/functions/hitl-workflow/versions/3/executions/apr-1/9f8e7d"
        );
        assert_eq!(
            console_url(
                "cn-north-1",
                "f",
                Some("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:1/durable-execution/a/b")
            ),
            "https://console.amazonaws.cn/lambda/home?region=cn-north-1#/functions/f/versions/1/executions/a/b"
        );
    }

    #[test]
    fn opaque_arns_link_to_the_function() {
        for arn in [
            None,
            Some("13e9410c/ce0a0752"),
            Some("arn:aws:lambda:r:1:function:f/durable-execution/a/b"),
        ] {
            assert_eq!(
                console_url("us-east-1", "hitl-workflow", arn),
                "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/hitl-workflow"
            );
        }
    }
}
