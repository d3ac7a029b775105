//! `hitl doctor`: checks everything hitl depends on, one line each, with
//! what to do about each failure.
//!
//! Every check asks the service with a read the operator's commands also
//! need, so a passing check also shows that permission is there. A check a
//! configured custom endpoint cannot answer (an emulator that does not serve
//! the operation) is reported as skipped, with the endpoint's answer; on AWS
//! the same answer is a failure.

use aws_config::SdkConfig;
use aws_sdk_lambda::error::{ProvideErrorMetadata, SdkError};
use hitl_approvals::{ApprovalStore, ListQuery};
use hitl_contract::record::STATUS_INDEX;
use hitl_contract::{Status, Timestamp};
use serde::Serialize;

use crate::cli::{GlobalArgs, OutputFormat};
use crate::stack::{self, Stack};
use crate::stack_cache::custom_endpoint;
use crate::{app, output};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CheckOutcome {
    Ok,
    Failed,
    Skipped,
}

/// One line of the checklist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    pub check: &'static str,
    pub outcome: CheckOutcome,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Check {
    fn ok(check: &'static str, detail: impl Into<String>) -> Self {
        Self {
            check,
            outcome: CheckOutcome::Ok,
            detail: detail.into(),
            fix: None,
        }
    }

    fn failed(check: &'static str, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            check,
            outcome: CheckOutcome::Failed,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }

    fn skipped(check: &'static str, why: impl Into<String>) -> Self {
        Self {
            check,
            outcome: CheckOutcome::Skipped,
            detail: why.into(),
            fix: None,
        }
    }
}

/// Some checks failed (exit code 8).
#[derive(Debug, thiserror::Error)]
#[error("{0} of hitl's checks failed (see above)")]
pub struct DoctorFailed(pub usize);

pub async fn run(global: &GlobalArgs) -> anyhow::Result<()> {
    let checks = checks(global).await;
    let format = app::output_format(global.output);
    match format {
        OutputFormat::Json | OutputFormat::Jsonl => output::print_one(
            format,
            &serde_json::json!({
                "ok": checks.iter().all(|c| c.outcome != CheckOutcome::Failed),
                "checks": checks,
            }),
        )?,
        OutputFormat::Table => {
            for check in &checks {
                output::line(render(check))?;
            }
        }
    }
    match checks
        .iter()
        .filter(|c| c.outcome == CheckOutcome::Failed)
        .count()
    {
        0 => Ok(()),
        failed => Err(DoctorFailed(failed).into()),
    }
}

/// `✓ name: detail`, `✗ name: detail` and its fix, `- name: skipped, why`.
pub fn render(check: &Check) -> String {
    match check.outcome {
        CheckOutcome::Ok => format!("✓ {}: {}", check.check, output::one_line(&check.detail)),
        CheckOutcome::Failed => format!(
            "✗ {}: {}\n    → {}",
            check.check,
            output::one_line(&check.detail),
            output::one_line(check.fix.as_deref().unwrap_or_default())
        ),
        CheckOutcome::Skipped => format!(
            "- {}: skipped, {}",
            check.check,
            output::one_line(&check.detail)
        ),
    }
}

/// The service's answer to a failed call, and whether it says the
/// operation is not served at all by a custom endpoint.
struct Failure {
    code: Option<String>,
    message: String,
    unserved: Option<String>,
}

fn failure<E, R>(err: &SdkError<E, R>, endpoint: Option<String>) -> Failure
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let code = err
        .as_service_error()
        .and_then(|e| e.code())
        .map(str::to_owned);
    let server_side = matches!(err, SdkError::ServiceError(_) | SdkError::ResponseError(_))
        && !matches!(
            code.as_deref(),
            Some("ResourceNotFoundException" | "AccessDeniedException" | "AccessDenied")
        );
    let message = hitl_approvals::sdk_error::summary(err);
    Failure {
        unserved: endpoint
            .filter(|_| server_side)
            .map(|e| format!("the endpoint {e} could not answer ({message})")),
        code,
        message,
    }
}

async fn checks(global: &GlobalArgs) -> Vec<Check> {
    let mut checks = Vec::new();
    let config = stack::load_config_unchecked(global).await;
    let Some(region) = config.region().map(ToString::to_string) else {
        checks.push(Check::failed(
            "region",
            "no AWS region is configured",
            "set AWS_REGION, pass --region, or choose a profile with a region (AWS_PROFILE)",
        ));
        return checks;
    };
    checks.push(Check::ok("region", region.clone()));

    let identity = aws_sdk_sts::Client::new(&config)
        .get_caller_identity()
        .send()
        .await;
    match identity {
        Ok(out) => checks.push(Check::ok(
            "credentials",
            format!(
                "{} (account {})",
                out.arn().unwrap_or("unknown identity"),
                out.account().unwrap_or("unknown")
            ),
        )),
        Err(err) => {
            checks.push(Check::failed(
                "credentials",
                format!(
                    "STS GetCallerIdentity failed: {}",
                    aws_sdk_sts::error::DisplayErrorContext(&err)
                ),
                "configure credentials (AWS_PROFILE, `aws sso login`, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)",
            ));
            return checks;
        }
    }

    let cloudformation = aws_sdk_cloudformation::Client::new(&config);
    let described = match stack::describe(&cloudformation, &global.stack).await {
        Ok(described) => {
            checks.push(Check::ok(
                "stack",
                format!("`{}` in {region} (DescribeStacks)", global.stack),
            ));
            described
        }
        Err(err) => {
            checks.push(Check::failed(
                "stack",
                err.to_string(),
                format!(
                    "check the stack's name and region; the caller needs \
                     cloudformation:DescribeStacks on `{}`",
                    global.stack
                ),
            ));
            return checks;
        }
    };
    let stack = match Stack::from_map(&global.stack, &described.outputs) {
        Ok(stack) => {
            checks.push(Check::ok(
                "outputs",
                format!(
                    "table {}, function {}, log group {}",
                    stack.table, stack.workflow_function, stack.workflow_log_group
                ),
            ));
            stack
        }
        Err(err) => {
            checks.push(Check::failed(
                "outputs",
                err.to_string(),
                "redeploy the stack from this version's template.yaml",
            ));
            return checks;
        }
    };
    let lambda = aws_sdk_lambda::Client::new(&config);
    let lambda_endpoint = custom_endpoint(&config, "Lambda");
    checks.push(function(&lambda, lambda_endpoint.clone(), &stack.workflow_function).await);
    checks.push(durable_api(&lambda, lambda_endpoint, &stack.workflow_function).await);
    let dynamodb = aws_sdk_dynamodb::Client::new(&config);
    let table_check = table(
        &dynamodb,
        custom_endpoint(&config, "DynamoDB"),
        &stack.table,
    )
    .await;
    let table_ok = table_check.outcome == CheckOutcome::Ok;
    checks.push(table_check);
    checks.push(if table_ok {
        claims(
            &ApprovalStore::new(dynamodb, &stack.table),
            Timestamp::now(),
        )
        .await
    } else {
        Check::skipped(CLAIMS, "the approvals table cannot be read")
    });
    checks.push(log_group(&config, &stack).await);
    checks
}

/// The workflow function exists and is a durable function.
async fn function(lambda: &aws_sdk_lambda::Client, endpoint: Option<String>, name: &str) -> Check {
    const CHECK: &str = "workflow function";
    let answer = lambda
        .get_function_configuration()
        .function_name(name)
        .send()
        .await;
    match answer {
        Ok(out) => match out.durable_config() {
            Some(durable) => Check::ok(
                CHECK,
                format!(
                    "`{name}` is durable (execution timeout {}s, retention {} days)",
                    durable
                        .execution_timeout()
                        .map_or("default".into(), |t| t.to_string()),
                    durable
                        .retention_period_in_days()
                        .map_or("default".into(), |d| d.to_string())
                ),
            ),
            None => Check::failed(
                CHECK,
                format!("`{name}` has no DurableConfig"),
                "redeploy the stack from template.yaml (the workflow needs DurableConfig)",
            ),
        },
        Err(err) => {
            let failed = failure(&err, endpoint);
            match (failed.unserved, failed.code.as_deref()) {
                (Some(why), _) => Check::skipped(CHECK, format!("GetFunctionConfiguration: {why}")),
                (None, Some("ResourceNotFoundException")) => Check::failed(
                    CHECK,
                    format!("function `{name}` does not exist"),
                    "redeploy the stack; its WorkflowFunctionName output names a missing function",
                ),
                (None, _) => Check::failed(
                    CHECK,
                    format!("GetFunctionConfiguration failed: {}", failed.message),
                    format!(
                        "allow lambda:GetFunctionConfiguration on `{name}`, or check the region"
                    ),
                ),
            }
        }
    }
}

/// The durable execution APIs answer for the function (one listing).
async fn durable_api(
    lambda: &aws_sdk_lambda::Client,
    endpoint: Option<String>,
    name: &str,
) -> Check {
    const CHECK: &str = "durable executions";
    let answer = lambda
        .list_durable_executions_by_function()
        .function_name(name)
        .max_items(1)
        .send()
        .await;
    match answer {
        Ok(_) => Check::ok(
            CHECK,
            format!("ListDurableExecutionsByFunction answers for `{name}`"),
        ),
        Err(err) => {
            let failed = failure(&err, endpoint);
            match failed.unserved {
                Some(why) => {
                    Check::skipped(CHECK, format!("ListDurableExecutionsByFunction: {why}"))
                }
                None => Check::failed(
                    CHECK,
                    format!("ListDurableExecutionsByFunction failed: {}", failed.message),
                    format!(
                        "allow the durable execution actions (lambda:GetDurableExecution, \
                         lambda:ListDurableExecutionsByFunction, ...) on `{name}:*` (see README)"
                    ),
                ),
            }
        }
    }
}

/// The approvals table exists, is active, and has the by-status index.
async fn table(dynamodb: &aws_sdk_dynamodb::Client, endpoint: Option<String>, name: &str) -> Check {
    const CHECK: &str = "approvals table";
    let answer = dynamodb.describe_table().table_name(name).send().await;
    let out = match answer {
        Ok(out) => out,
        Err(err) => {
            let failed = failure(&err, endpoint);
            return match (failed.unserved, failed.code.as_deref()) {
                (Some(why), _) => Check::skipped(CHECK, format!("DescribeTable: {why}")),
                (None, Some("ResourceNotFoundException")) => Check::failed(
                    CHECK,
                    format!("table `{name}` does not exist"),
                    "redeploy the stack; its ApprovalsTableName output names a missing table",
                ),
                (None, _) => Check::failed(
                    CHECK,
                    format!("DescribeTable failed: {}", failed.message),
                    format!("allow dynamodb:DescribeTable, GetItem, Query and UpdateItem on `{name}` and its indexes"),
                ),
            };
        }
    };
    let Some(table) = out.table() else {
        return Check::failed(CHECK, "DescribeTable returned no table", "try again");
    };
    let status = table
        .table_status()
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let index = table
        .global_secondary_indexes()
        .iter()
        .find(|i| i.index_name() == Some(STATUS_INDEX));
    match index {
        None => Check::failed(
            CHECK,
            format!("table `{name}` has no `{STATUS_INDEX}` index"),
            "redeploy the stack from template.yaml (listing needs the index)",
        ),
        Some(index) => {
            let index_status = index
                .index_status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_else(|| "unknown".into());
            if status == "ACTIVE" && index_status == "ACTIVE" {
                Check::ok(
                    CHECK,
                    format!("`{name}` is ACTIVE with index `{STATUS_INDEX}`"),
                )
            } else {
                Check::failed(
                    CHECK,
                    format!("table `{name}` is {status}, index `{STATUS_INDEX}` is {index_status}"),
                    "wait until the table and its index are ACTIVE, then run `hitl doctor` again",
                )
            }
        }
    }
}

const CLAIMS: &str = "undelivered claims";

/// No pending request holds a claim older than the lease: a decision that
/// was claimed but never delivered (its decider was interrupted).
async fn claims(store: &ApprovalStore, now: Timestamp) -> Check {
    let mut pages = store.pages(Status::Pending, &ListQuery::default());
    let mut stale = Vec::new();
    loop {
        match pages.next_page().await {
            Ok(Some(page)) => stale.extend(page.into_iter().filter_map(|record| {
                let claim = super::list_executions::stale_claim(&record, now)?;
                let advice = super::list_executions::explain_stale_claim(&record, claim);
                Some((record.approval_id, advice))
            })),
            Ok(None) => break,
            Err(err) => {
                return Check::failed(
                    CLAIMS,
                    format!("listing the pending requests failed: {err}"),
                    "allow dynamodb:Query on the table's `by-status` index, then run `hitl doctor` again",
                )
            }
        }
    }
    if stale.is_empty() {
        return Check::ok(
            CLAIMS,
            format!(
                "no pending request holds a claim older than the {}s lease",
                hitl_contract::CLAIM_LEASE.as_secs()
            ),
        );
    }
    let ids: Vec<&str> = stale.iter().map(|(id, _)| id.as_str()).collect();
    let advice: Vec<String> = stale.iter().map(|(id, a)| format!("{id}: {a}")).collect();
    Check::failed(
        CLAIMS,
        format!(
            "{} pending request{} claimed but not delivered: {}",
            ids.len(),
            if ids.len() == 1 { " is" } else { "s are" },
            ids.join(", ")
        ),
        advice.join("\n      "),
    )
}

/// The workflow's log group exists (`tail-logs` reads it).
async fn log_group(config: &SdkConfig, stack: &Stack) -> Check {
    const CHECK: &str = "log group";
    let name = &stack.workflow_log_group;
    let answer = aws_sdk_cloudwatchlogs::Client::new(config)
        .describe_log_groups()
        .log_group_name_prefix(name)
        .send()
        .await;
    match answer {
        Ok(out)
            if out
                .log_groups()
                .iter()
                .any(|g| g.log_group_name() == Some(name)) =>
        {
            Check::ok(CHECK, format!("`{name}` exists"))
        }
        Ok(_) => Check::failed(
            CHECK,
            format!("log group `{name}` does not exist"),
            "redeploy the stack; tail-logs reads this group",
        ),
        Err(err) => {
            let failed = failure(&err, custom_endpoint(config, "CloudWatch Logs"));
            match failed.unserved {
                Some(why) => Check::skipped(CHECK, format!("DescribeLogGroups: {why}")),
                None => Check::failed(
                    CHECK,
                    format!("DescribeLogGroups failed: {}", failed.message),
                    format!("allow logs:DescribeLogGroups and logs:FilterLogEvents on `{name}`"),
                ),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput;
    use aws_sdk_dynamodb::types::{
        GlobalSecondaryIndexDescription, IndexStatus, TableDescription, TableStatus,
    };
    use aws_sdk_lambda::operation::get_function_configuration::{
        GetFunctionConfigurationError, GetFunctionConfigurationOutput,
    };
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_sdk_lambda::types::DurableConfig;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::error::ErrorMetadata;

    use super::*;

    #[tokio::test]
    async fn the_workflow_function_must_be_durable() {
        let durable = mock!(aws_sdk_lambda::Client::get_function_configuration)
            .match_requests(|r| r.function_name() == Some("wf"))
            .then_output(|| {
                GetFunctionConfigurationOutput::builder()
                    .durable_config(
                        DurableConfig::builder()
                            .execution_timeout(31_622_400)
                            .retention_period_in_days(30)
                            .build(),
                    )
                    .build()
            });
        let plain = mock!(aws_sdk_lambda::Client::get_function_configuration)
            .then_output(|| GetFunctionConfigurationOutput::builder().build());
        let missing = mock!(aws_sdk_lambda::Client::get_function_configuration).then_error(|| {
            GetFunctionConfigurationError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Function not found")
                    .meta(
                        ErrorMetadata::builder()
                            .code("ResourceNotFoundException")
                            .build(),
                    )
                    .build(),
            )
        });
        let client = mock_client!(
            aws_sdk_lambda,
            RuleMode::Sequential,
            [&durable, &plain, &missing]
        );
        let ok = function(&client, None, "wf").await;
        assert_eq!(ok.outcome, CheckOutcome::Ok, "{ok:?}");
        assert!(ok
            .detail
            .contains("execution timeout 31622400s, retention 30 days"));
        let plain = function(&client, None, "wf").await;
        assert_eq!(plain.outcome, CheckOutcome::Failed);
        assert!(plain.detail.contains("no DurableConfig"), "{plain:?}");
        let missing = function(&client, Some("http://127.0.0.1:1".into()), "wf").await;
        assert_eq!(
            missing.outcome,
            CheckOutcome::Failed,
            "a clear not-found is never skipped"
        );
        assert!(missing.detail.contains("does not exist"), "{missing:?}");
    }

    #[tokio::test]
    async fn an_operation_a_custom_endpoint_does_not_serve_is_skipped_not_failed() {
        let unserved = || {
            mock!(aws_sdk_lambda::Client::get_function_configuration).then_error(|| {
                GetFunctionConfigurationError::generic(
                    ErrorMetadata::builder()
                        .code("ServiceException")
                        .message("Unknown path pattern: GET /2015-03-31/functions/wf/configuration")
                        .build(),
                )
            })
        };
        let (local, aws) = (unserved(), unserved());
        let client = mock_client!(aws_sdk_lambda, RuleMode::Sequential, [&local, &aws]);
        let skipped = function(&client, Some("http://127.0.0.1:4804".into()), "wf").await;
        assert_eq!(skipped.outcome, CheckOutcome::Skipped, "{skipped:?}");
        assert!(skipped
            .detail
            .contains("http://127.0.0.1:4804 could not answer"));
        let failed = function(&client, None, "wf").await;
        assert_eq!(
            failed.outcome,
            CheckOutcome::Failed,
            "on AWS the same answer is a failure"
        );
    }

    #[tokio::test]
    async fn the_table_needs_its_status_index() {
        let described = |index: Option<&'static str>| {
            mock!(aws_sdk_dynamodb::Client::describe_table).then_output(move || {
                let mut table = TableDescription::builder()
                    .table_name("approvals")
                    .table_status(TableStatus::Active);
                if let Some(index) = index {
                    table = table.global_secondary_indexes(
                        GlobalSecondaryIndexDescription::builder()
                            .index_name(index)
                            .index_status(IndexStatus::Active)
                            .build(),
                    );
                }
                DescribeTableOutput::builder().table(table.build()).build()
            })
        };
        let (good, bad) = (described(Some("by-status")), described(None));
        let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, [&good, &bad]);
        assert_eq!(
            table(&client, None, "approvals").await.outcome,
            CheckOutcome::Ok
        );
        let missing = table(&client, None, "approvals").await;
        assert_eq!(missing.outcome, CheckOutcome::Failed);
        assert!(
            missing.detail.contains("no `by-status` index"),
            "{missing:?}"
        );
        assert!(missing.fix.unwrap().contains("template.yaml"));
    }

    #[tokio::test]
    async fn a_claim_older_than_the_lease_fails_the_claims_check() {
        use aws_sdk_dynamodb::operation::query::QueryOutput;
        let now = Timestamp::parse("2026-11-22T10:30:00Z").unwrap();
        let mut stale = crate::fixtures::record("req-stuck", Status::Pending);
        stale.claim = Some(hitl_contract::Claim {
            outcome: hitl_contract::Outcome::Approved,
            by: "bob".into(),
            at: now.minus(hitl_contract::CLAIM_LEASE),
            comment: None,
            proof: None,
        });
        let mut fresh = crate::fixtures::record("req-live", Status::Pending);
        fresh.claim = stale.claim.clone().map(|mut c| {
            c.at = now;
            c
        });
        let page = |records: Vec<hitl_contract::ApprovalRecord>| {
            mock!(aws_sdk_dynamodb::Client::query).then_output(move || {
                QueryOutput::builder()
                    .set_items(Some(records.iter().map(|r| r.to_item()).collect()))
                    .build()
            })
        };
        let (with_stale, without) = (page(vec![fresh.clone(), stale]), page(vec![fresh]));
        let client = mock_client!(
            aws_sdk_dynamodb,
            RuleMode::Sequential,
            [&with_stale, &without]
        );
        let store = ApprovalStore::new(client, "approvals");
        let check = claims(&store, now).await;
        assert_eq!(check.outcome, CheckOutcome::Failed, "{check:?}");
        assert!(
            check
                .detail
                .contains("1 pending request is claimed but not delivered: req-stuck"),
            "{check:?}"
        );
        let fix = check.fix.unwrap();
        assert!(
            fix.contains("run `hitl approve req-stuck --as bob`"),
            "{fix}"
        );
        assert_eq!(claims(&store, now).await.outcome, CheckOutcome::Ok);
    }

    #[test]
    fn checklist_lines_say_what_to_fix() {
        assert_eq!(
            render(&Check::ok("region", "eu-west-1")),
            "✓ region: eu-west-1"
        );
        assert_eq!(
            render(&Check::failed("stack", "not found", "deploy it")),
            "✗ stack: not found\n    → deploy it"
        );
        assert_eq!(
            render(&Check::skipped("workflow function", "not served here")),
            "- workflow function: skipped, not served here"
        );
    }
}
