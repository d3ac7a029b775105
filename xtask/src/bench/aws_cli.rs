//! The AWS CLI (v1), as an operator would run it against the same stack.
//!
//! It gets the same profile as `hitl` (`AWS_PROFILE=hitl-local` in the same
//! AWS config file), whose `services` section names each service's endpoint.
//! The AWS CLI v1 honours that section (botocore reads `services` and
//! `AWS_ENDPOINT_URL_<SERVICE>`), which [`check_endpoints`] proves before any
//! figure is taken, so no `--endpoint-url` is passed.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use crate::local::provision::{PROFILE, TABLE, WORKFLOW_FUNCTION};

#[derive(Debug, Clone)]
pub struct AwsCli {
    pub program: PathBuf,
}

impl AwsCli {
    pub fn new(program: PathBuf) -> Self {
        Self { program }
    }

    /// `aws args...` with the local profile and nothing else from the
    /// environment that could point it elsewhere.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.program);
        command.args(args);
        environment(&mut command);
        command
    }

    /// `aws dynamodb get-item` of one record's callback id.
    pub fn get_callback_id(&self, approval_id: &str) -> Command {
        let key = serde_json::json!({ "approval_id": { "S": approval_id } }).to_string();
        self.command(&[
            "dynamodb",
            "get-item",
            "--table-name",
            TABLE,
            "--key",
            &key,
            "--consistent-read",
            "--projection-expression",
            "callback_id",
            "--query",
            "Item.callback_id.S",
            "--output",
            "text",
        ])
    }

    /// `aws lambda send-durable-execution-callback-success` with the decision
    /// payload `hitl approve` sends (so the workflow records who decided).
    pub fn send_success(&self, callback_id: &str, decided_by: &str) -> Command {
        let result = serde_json::json!({
            "outcome": "APPROVED",
            "decided_by": decided_by,
        })
        .to_string();
        self.command(&[
            "lambda",
            "send-durable-execution-callback-success",
            "--callback-id",
            callback_id,
            "--result",
            &result,
        ])
    }

    /// `aws dynamodb query` of the pending records on the `by-status` index,
    /// newest first, filtered by requester as `hitl list --requester` is.
    pub fn query_pending(&self, requester: &str) -> Command {
        let values = serde_json::json!({
            ":status": { "S": "PENDING" },
            ":requester": { "S": requester },
        })
        .to_string();
        self.command(&[
            "dynamodb",
            "query",
            "--table-name",
            TABLE,
            "--index-name",
            hitl_contract::record::STATUS_INDEX,
            "--key-condition-expression",
            "#status = :status",
            "--filter-expression",
            "#requester = :requester OR #for = :requester",
            "--expression-attribute-names",
            r##"{"#status":"status","#requester":"requester","#for":"requested_on_behalf_of"}"##,
            "--expression-attribute-values",
            &values,
            "--no-scan-index-forward",
            "--output",
            "json",
        ])
    }
}

/// The environment the AWS CLI runs in: the local profile, and nothing
/// else that could point it elsewhere.
pub fn environment(command: &mut Command) -> &mut Command {
    hitl_e2e::through_profile(command, PROFILE).env("AWS_PAGER", "")
}

/// Fails unless the AWS CLI reaches the local stack through the profile
/// alone: DynamoDB Local's table and the Lambda front door.
pub fn check_endpoints(cli: &AwsCli) -> anyhow::Result<()> {
    let tables = cli
        .command(&["dynamodb", "list-tables", "--output", "json"])
        .output()
        .context("running the AWS CLI")?;
    let text = String::from_utf8_lossy(&tables.stdout);
    if !tables.status.success() || !text.contains(TABLE) {
        bail!(
            "the AWS CLI did not reach DynamoDB Local through profile {PROFILE}: {}{}",
            text,
            String::from_utf8_lossy(&tables.stderr)
        );
    }
    let versions = cli
        .command(&[
            "lambda",
            "list-versions-by-function",
            "--function-name",
            WORKFLOW_FUNCTION,
            "--output",
            "json",
        ])
        .output()
        .context("running the AWS CLI")?;
    if !versions.status.success() {
        bail!(
            "the AWS CLI did not reach the Lambda front door through profile {PROFILE}: {}",
            String::from_utf8_lossy(&versions.stderr)
        );
    }
    Ok(())
}
