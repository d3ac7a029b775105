//! `hitl submit`: publish the workflow's version and start its execution.

use std::path::Path;

use anyhow::Context;
use aws_sdk_lambda::error::ProvideErrorMetadata;
use aws_sdk_lambda::types::InvocationType;
use aws_smithy_types::Blob;
use hitl_contract::proof::Purpose;
use hitl_contract::{ApprovalRecord, ApproverPolicy, StoreError, SubmitRequest};
use serde::Serialize;

use crate::app::App;
use crate::cli::{OutputFormat, SubmitArgs};
use crate::exit::InvalidInput;
use crate::output;

#[derive(Debug, Serialize)]
struct Submitted {
    approval_id: String,
    /// `submitted`, or `already_submitted` when the same request exists.
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    execution_arn: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    function_version: Option<String>,
}

pub async fn run(app: &App, args: SubmitArgs) -> anyhow::Result<()> {
    let wait = args.wait;
    let details = args.details_file.as_deref().map(read_details).transpose()?;
    // The workflow records the principal the proof proves; `--requester`
    // is a note beside it.
    let caller = app.caller().await?;
    let approval_id = args.id.unwrap_or_else(new_approval_id);
    let policy = policy(args.approvers, args.required);
    let request = SubmitRequest {
        requester_proof: Some(caller.prove(Purpose::Submit(&approval_id))?),
        approval_id,
        title: args.title,
        description: args.description,
        requester: caller.arn,
        amount: args.amount,
        details,
        timeout_seconds: args.timeout.map(|t| t.as_secs()),
        policy,
        on_behalf_of: args.requester,
        reminders: args.remind.map(|r| r.0),
        escalate_after_seconds: args.escalate_after.map(|a| a.0),
        escalate_to: (!args.escalate_to.is_empty()).then_some(args.escalate_to),
    };
    request.validate(app.stack.max_request_timeout)?;

    let submitted = match app.store().get(&request.approval_id).await? {
        Some(existing) if same_request(&existing, &request) => Submitted {
            approval_id: existing.approval_id,
            outcome: "already_submitted",
            execution_arn: existing.execution_arn,
            function_version: None,
        },
        Some(_) => return Err(StoreError::IdInUse(request.approval_id).into()),
        None => start(&app.lambda(), &app.stack.workflow_function, &request).await?,
    };

    if wait {
        // With --wait, scripts get one document: the request as it ended.
        if app.output == OutputFormat::Table {
            report(&submitted)?;
        }
        let record = super::wait::wait_for_record(
            app,
            &submitted.approval_id,
            submitted.execution_arn.as_deref(),
        )
        .await?;
        let record = super::wait::wait(app, &record.approval_id, None).await?;
        return super::wait::finish(app, record);
    }
    output::one(app.output, &submitted, || report(&submitted))
}

fn report(submitted: &Submitted) -> anyhow::Result<()> {
    let verb = if submitted.outcome == "submitted" {
        "Submitted"
    } else {
        "Already submitted"
    };
    output::line(format_args!(
        "{verb} approval request {}",
        output::one_line(&submitted.approval_id)
    ))?;
    match &submitted.execution_arn {
        Some(arn) => output::line(format_args!("  execution: {}", output::one_line(arn))),
        None => Ok(()),
    }
}

/// Publishes the function's current code as a version (Lambda returns the
/// latest version when nothing changed) and starts the execution on it.
async fn start(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
    request: &SubmitRequest,
) -> anyhow::Result<Submitted> {
    let published = lambda
        .publish_version()
        .function_name(function)
        .send()
        .await
        .map_err(crate::exit::aws_call)
        .with_context(|| format!("publishing a version of function `{function}`"))?;
    let version = published
        .version()
        .with_context(|| format!("PublishVersion of `{function}` returned no version"))?
        .to_owned();

    let payload = serde_json::to_vec(request)?;
    let invoked = lambda
        .invoke()
        .function_name(function)
        .qualifier(&version)
        .invocation_type(InvocationType::Event)
        .durable_execution_name(&request.approval_id)
        .payload(Blob::new(payload))
        .send()
        .await;
    let out = match invoked {
        Ok(out) => out,
        Err(err) => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            let code = err.as_service_error().and_then(|e| e.code());
            if code == Some("DurableExecutionAlreadyStartedException") || status == Some(409) {
                return Err(StoreError::IdInUse(request.approval_id.clone()).into());
            }
            let transient = err.as_service_error().is_none()
                || status.is_some_and(|s| s >= 500 || s == 429)
                || code.is_some_and(|c| c.contains("Throttl") || c == "TooManyRequestsException");
            let mut message = hitl_contract::sdk_error::summary(&err);
            if transient {
                message.push_str(&format!(
                    "\nLambda could not be reached or did not answer: try again with `--id {}`, \
                     which starts a request at most once.",
                    request.approval_id
                ));
            }
            return Err(anyhow::anyhow!(message))
                .with_context(|| format!("starting the workflow `{function}:{version}`"));
        }
    };
    Ok(Submitted {
        approval_id: request.approval_id.clone(),
        outcome: "submitted",
        execution_arn: out.durable_execution_arn().map(str::to_owned),
        function_version: Some(version),
    })
}

/// A short, random, typeable id.
fn new_approval_id() -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("apr-{}", &uuid[..12])
}

/// Files larger than this are refused unread: details hold at most
/// `MAX_DETAILS_BYTES` of compact JSON, and this leaves room for layout.
const MAX_DETAILS_FILE_BYTES: u64 = 1024 * 1024;

fn read_details(path: &Path) -> anyhow::Result<serde_json::Value> {
    use std::io::Read;
    let unreadable = |e: std::io::Error| {
        InvalidInput(format!("cannot read details file {}: {e}", path.display()))
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| {
            file.take(MAX_DETAILS_FILE_BYTES + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_DETAILS_FILE_BYTES {
        return Err(InvalidInput(format!(
            "details file {} is over {} bytes: the limit is {} bytes of JSON",
            path.display(),
            MAX_DETAILS_FILE_BYTES,
            hitl_contract::payload::MAX_DETAILS_BYTES
        ))
        .into());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        InvalidInput(format!(
            "details file {} is not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })?;
    serde_json::from_str(&text).map_err(|e| {
        InvalidInput(format!(
            "details file {} is not valid JSON: {e}",
            path.display()
        ))
        .into()
    })
}

/// Whether an existing record holds this very request (a retried submit).
/// The request's own approver policy, when it names one; the workflow
/// holds it within the stack's.
fn policy(approvers: Vec<String>, required: Option<u32>) -> Option<ApproverPolicy> {
    (!approvers.is_empty() || required.is_some()).then(|| ApproverPolicy {
        approvers: approvers
            .into_iter()
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())
            .collect(),
        required: required.unwrap_or(1),
    })
}

fn same_request(existing: &ApprovalRecord, request: &SubmitRequest) -> bool {
    existing.title == request.title
        && existing.description == request.description
        && existing.requester == request.requester
        && existing.details == request.details
        && existing.amount.as_deref().map(normalise_decimal)
            == request.amount.as_deref().map(normalise_decimal)
}

/// `1250.50` and `1250.5` are the same amount (DynamoDB drops the zero).
fn normalise_decimal(text: &str) -> String {
    match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_owned()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use aws_sdk_lambda::operation::invoke::{InvokeError, InvokeOutput};
    use aws_sdk_lambda::operation::publish_version::PublishVersionOutput;
    use aws_sdk_lambda::types::error::DurableExecutionAlreadyStartedException;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    fn request() -> SubmitRequest {
        SubmitRequest {
            timeout_seconds: Some(3600),
            ..SubmitRequest::new("req-7", "Deploy", "alice")
        }
    }

    fn published() -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_lambda::Client::publish_version)
            .match_requests(|req| req.function_name() == Some("wf"))
            .then_output(|| PublishVersionOutput::builder().version("3").build())
    }

    #[tokio::test]
    async fn starts_the_published_version_asynchronously_named_by_the_id() {
        let invoke = mock!(aws_sdk_lambda::Client::invoke)
            .match_requests(|req| {
                let payload: SubmitRequest =
                    serde_json::from_slice(req.payload().map(|b| b.as_ref()).unwrap_or_default())
                        .unwrap();
                req.function_name() == Some("wf")
                    && req.qualifier() == Some("3")
                    && req.invocation_type() == Some(&InvocationType::Event)
                    && req.durable_execution_name() == Some("req-7")
                    && payload == request()
            })
            .then_output(|| {
                InvokeOutput::builder()
                    .status_code(202)
                    .durable_execution_arn("arn:exec")
                    .build()
            });
        let publish = published();
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&publish, &invoke]);
        let submitted = start(&client, "wf", &request()).await.unwrap();
        assert_eq!(submitted.execution_arn.as_deref(), Some("arn:exec"));
        assert_eq!(submitted.function_version.as_deref(), Some("3"));
        assert_eq!(invoke.num_calls(), 1);
    }

    #[tokio::test]
    async fn an_execution_name_taken_by_other_input_is_an_id_in_use() {
        let invoke = mock!(aws_sdk_lambda::Client::invoke).then_error(|| {
            InvokeError::DurableExecutionAlreadyStartedException(
                DurableExecutionAlreadyStartedException::builder()
                    .message("exists")
                    .meta(
                        aws_smithy_types::error::ErrorMetadata::builder()
                            .code("DurableExecutionAlreadyStartedException")
                            .build(),
                    )
                    .build(),
            )
        });
        let publish = published();
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&publish, &invoke]);
        let err = start(&client, "wf", &request()).await.unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::ALREADY_DECIDED);
        assert!(
            err.to_string()
                .contains("approval id `req-7` is already used"),
            "{err}"
        );
    }

    #[test]
    fn generated_ids_are_valid() {
        let id = new_approval_id();
        assert!(hitl_contract::payload::is_valid_approval_id(&id), "{id}");
        assert_ne!(id, new_approval_id());
    }

    #[test]
    fn amounts_compare_as_numbers() {
        assert_eq!(normalise_decimal("1250.50"), "1250.5");
        assert_eq!(normalise_decimal("10.0"), "10");
        assert_eq!(normalise_decimal("7"), "7");
    }

    #[test]
    fn unreadable_details_file_is_invalid_input() {
        let err = read_details(Path::new("/nonexistent/details.json")).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::INVALID_INPUT);
        assert!(err.to_string().contains("cannot read details file"));
    }
}
