//! `hitl submit`: publish the workflow's version and start its execution.

use std::path::Path;

use hitl_approvals::submit::Submitted;
use hitl_contract::proof::Purpose;
use hitl_contract::{ApproverPolicy, SubmitRequest};

use crate::app::App;
use crate::cli::{OutputFormat, SubmitArgs};
use crate::exit::InvalidInput;
use crate::output;

pub async fn run(app: &App, args: SubmitArgs) -> anyhow::Result<()> {
    let wait = args.wait;
    let details = args.details_file.as_deref().map(read_details).transpose()?;
    // The workflow records the principal the proof proves; `--requester`
    // is a note beside it.
    let caller = app.caller().await?;
    let approval_id = args
        .id
        .unwrap_or_else(hitl_approvals::submit::new_approval_id);
    let policy = policy(args.approvers, args.required);
    let request = SubmitRequest {
        requester_proof: Some(caller.prove(Purpose::Submit(&approval_id))?),
        requester_voucher: None,
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

    let submitted = hitl_approvals::submit::submit(
        &app.store(),
        &app.lambda(),
        &app.stack.workflow_function,
        &request,
    )
    .await
    .map_err(|err| {
        if err.is_transient() {
            // Said after Lambda's answer, so the line ends with what to do.
            anyhow::anyhow!(
                "{err}\nLambda could not be reached or did not answer: try again with `--id {}`, \
                 which starts a request at most once.",
                request.approval_id
            )
        } else {
            err.into()
        }
    })?;

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
    let verb = if submitted.is_new() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreadable_details_file_is_invalid_input() {
        let err = read_details(Path::new("/nonexistent/details.json")).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), crate::exit::INVALID_INPUT);
        assert!(err.to_string().contains("cannot read details file"));
    }
}
