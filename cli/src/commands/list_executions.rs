//! `hitl list --executions`: the approvals table checked against the
//! workflow's durable executions.
//!
//! Lambda lists durable executions one qualifier at a time (`$LATEST` when
//! none is given), and each request runs on the version `submit` published,
//! so every published version is asked in turn. Executions are keyed by
//! ARN, so one listed under several qualifiers counts once. The records are
//! then streamed as `hitl list` streams them, each joined with its execution;
//! executions left over have their record looked up by name (the execution
//! name is the approval id).

use std::collections::HashMap;

use anyhow::Context;
use comfy_table::{ColumnConstraint, Table};
use hitl_approvals::ApprovalStore;
use hitl_contract::{ApprovalRecord, Claim, Outcome, Status, Timestamp, CLAIM_LEASE};
use serde::Serialize;
use tokio::task::JoinSet;

use super::list::{query, statuses, Merged, Writer};
use crate::app::App;
use crate::cli::ListArgs;
use crate::output;

/// Executions may start a little before their record is written, so with
/// `--since` they are listed from this much earlier.
const START_SLACK: std::time::Duration = std::time::Duration::from_secs(3600);
/// Records looked up at once for executions nobody listed.
const LOOKUPS_AT_ONCE: usize = 8;

/// One durable execution of the workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Execution {
    pub arn: String,
    pub name: String,
    pub status: String,
    /// The function version it runs on.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<Timestamp>,
}

impl Execution {
    fn running(&self) -> bool {
        self.status == "RUNNING"
    }
}

/// What the cross-check found wrong with a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The record is still PENDING but its execution has ended.
    ExecutionEnded,
    /// The record is still PENDING but no version lists its execution.
    ExecutionNotFound,
    /// An execution of the workflow has no record in the table.
    NoRecord,
    /// The record is still PENDING with a claim older than the lease: a
    /// decision that was claimed but whose callback was not delivered.
    StaleClaim,
}

impl Problem {
    fn explain(self, execution: Option<&Execution>) -> String {
        match self {
            Problem::ExecutionEnded => format!(
                "still PENDING, but its execution {} (run `hitl history` to see why)",
                execution.map_or("ended", |e| e.status.as_str())
            ),
            Problem::ExecutionNotFound => {
                "still PENDING, but no version of the workflow lists its execution".into()
            }
            Problem::NoRecord => "an execution with no request in the table".into(),
            Problem::StaleClaim => "claimed, but the decision was not delivered".into(),
        }
    }
}

/// The claim of a pending `record` that is older than the lease at `now`.
pub fn stale_claim(record: &ApprovalRecord, now: Timestamp) -> Option<&Claim> {
    record
        .claim
        .as_ref()
        .filter(|claim| record.status == Status::Pending && claim.is_stale(now))
}

/// What a stale claim means and what to do about it.
pub fn explain_stale_claim(record: &ApprovalRecord, claim: &Claim) -> String {
    let verb = match claim.outcome {
        Outcome::Approved => "approve",
        Outcome::Rejected => "reject",
    };
    format!(
        "claimed by {} at {} ({}), not delivered: run `hitl {verb} {} --as {}` to deliver it; \
         past the {}s lease another approver may decide instead, and if nobody does the \
         workflow records this claim at the deadline ({})",
        claim.by,
        claim.at,
        claim.outcome,
        record.approval_id,
        shell_word(&claim.by),
        CLAIM_LEASE.as_secs(),
        record.expires_at
    )
}

/// `word` as one shell word: quoted unless it is plainly safe.
fn shell_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@%+=:,./-_".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// One row of the cross-check: a record, its execution, or both.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub approval_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<Execution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Row {
    #[cfg(test)]
    fn new(record: Option<&ApprovalRecord>, name: &str, execution: Option<Execution>) -> Self {
        Self::at(record, name, execution, Timestamp::now())
    }

    fn at(
        record: Option<&ApprovalRecord>,
        name: &str,
        execution: Option<Execution>,
        now: Timestamp,
    ) -> Self {
        let mut problem = check(record, execution.as_ref());
        let mut detail = problem.map(|p| p.explain(execution.as_ref()));
        if problem.is_none() {
            if let Some((record, claim)) = record.and_then(|r| Some((r, stale_claim(r, now)?))) {
                problem = Some(Problem::StaleClaim);
                detail = Some(explain_stale_claim(record, claim));
            }
        }
        Self {
            approval_id: name.to_owned(),
            status: record.map(|r| r.status),
            created_at: record.map(|r| r.created_at),
            detail,
            execution,
            problem,
        }
    }
}

/// The problem a record and its execution (either may be missing) show.
pub fn check(record: Option<&ApprovalRecord>, execution: Option<&Execution>) -> Option<Problem> {
    match (record, execution) {
        (None, Some(_)) => Some(Problem::NoRecord),
        (Some(r), Some(e)) if r.status == Status::Pending && !e.running() => {
            Some(Problem::ExecutionEnded)
        }
        (Some(r), None) if r.status == Status::Pending => Some(Problem::ExecutionNotFound),
        _ => None,
    }
}

fn sdk_error<E: std::error::Error + aws_sdk_lambda::error::ProvideErrorMetadata + 'static>(
    err: aws_sdk_lambda::error::SdkError<E, aws_sdk_lambda::config::http::HttpResponse>,
) -> anyhow::Error {
    crate::exit::aws_call(err)
}

/// Every qualifier executions can run on: `$LATEST` and each published version.
pub async fn qualifiers(
    lambda: &aws_sdk_lambda::Client,
    function: &str,
) -> anyhow::Result<Vec<String>> {
    let mut versions = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = lambda
            .list_versions_by_function()
            .function_name(function)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(sdk_error)
            .with_context(|| format!("listing the versions of function `{function}`"))?;
        versions.extend(
            page.versions()
                .iter()
                .filter_map(|v| v.version().map(str::to_owned)),
        );
        match page.next_marker().filter(|m| !m.is_empty()) {
            Some(next) if Some(next) != marker.as_deref() => marker = Some(next.to_owned()),
            _ => break,
        }
    }
    if !versions.iter().any(|v| v == "$LATEST") {
        versions.insert(0, "$LATEST".to_owned());
    }
    Ok(versions)
}

/// The version in an execution ARN (`...:function:F:VERSION/durable-execution/...`).
fn version_in_arn(arn: &str) -> Option<&str> {
    let (function, _) = arn.split_once("/durable-execution/")?;
    let (_, qualified) = function.split_once(":function:")?;
    let (_, version) = qualified.split_once(':')?;
    (!version.is_empty()).then_some(version)
}

fn timestamp(at: &aws_smithy_types::DateTime) -> Option<Timestamp> {
    at.to_millis().ok().and_then(Timestamp::from_unix_millis)
}

/// The workflow's executions on every qualifier, keyed by ARN.
#[derive(Debug, Default)]
pub struct Executions {
    by_arn: HashMap<String, Execution>,
    by_name: HashMap<String, String>,
}

impl Executions {
    pub async fn list(
        lambda: &aws_sdk_lambda::Client,
        function: &str,
        qualifiers: &[String],
        started_after: Option<Timestamp>,
    ) -> anyhow::Result<Self> {
        let mut all = Self::default();
        for qualifier in qualifiers {
            let mut marker: Option<String> = None;
            loop {
                let page = lambda
                    .list_durable_executions_by_function()
                    .function_name(function)
                    .qualifier(qualifier)
                    .set_started_after(
                        started_after
                            .map(|t| aws_smithy_types::DateTime::from_millis(t.unix_millis())),
                    )
                    .set_marker(marker.clone())
                    .send()
                    .await
                    .map_err(sdk_error)
                    .with_context(|| {
                        format!("listing the durable executions of `{function}:{qualifier}`")
                    })?;
                for e in page.durable_executions() {
                    all.add(Execution {
                        arn: e.durable_execution_arn().to_owned(),
                        name: e.durable_execution_name().to_owned(),
                        status: e.status().as_str().to_owned(),
                        version: version_in_arn(e.durable_execution_arn())
                            .unwrap_or(qualifier)
                            .to_owned(),
                        started_at: timestamp(e.start_timestamp()),
                        ended_at: e.end_timestamp().and_then(timestamp),
                    });
                }
                match page.next_marker().filter(|m| !m.is_empty()) {
                    Some(next) if Some(next) != marker.as_deref() => marker = Some(next.to_owned()),
                    _ => break,
                }
            }
        }
        Ok(all)
    }

    fn add(&mut self, execution: Execution) {
        match self.by_arn.get_mut(&execution.arn) {
            // Listed again under another qualifier: a published version
            // says more than `$LATEST`.
            Some(seen) => {
                if seen.version == "$LATEST" {
                    seen.version = execution.version;
                }
            }
            None => {
                self.by_name
                    .insert(execution.name.clone(), execution.arn.clone());
                self.by_arn.insert(execution.arn.clone(), execution);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_arn.len()
    }

    /// The record's execution, removed from those left to check.
    fn take(&mut self, record: &ApprovalRecord) -> Option<Execution> {
        let arn = record
            .execution_arn
            .clone()
            .filter(|arn| self.by_arn.contains_key(arn))
            .or_else(|| self.by_name.get(&record.approval_id).cloned())?;
        let execution = self.by_arn.remove(&arn)?;
        self.by_name.remove(&execution.name);
        Some(execution)
    }

    /// The executions no listed record claimed, newest first.
    fn rest(self) -> Vec<Execution> {
        let mut rest: Vec<Execution> = self.by_arn.into_values().collect();
        rest.sort_by(|a, b| (b.started_at, &b.arn).cmp(&(a.started_at, &a.arn)));
        rest
    }
}

pub async fn run(app: &App, args: ListArgs) -> anyhow::Result<()> {
    let now = Timestamp::now();
    let lambda = app.lambda();
    let function = &app.stack.workflow_function;
    let qualifiers = qualifiers(&lambda, function).await?;
    let since = query(None, args.since, None, now).created_since;
    let started_after = since.and_then(|since| {
        Timestamp::from_unix_millis(since.unix_millis() - START_SLACK.as_millis() as i64)
    });
    let mut executions = Executions::list(&lambda, function, &qualifiers, started_after).await?;
    let listed = executions.len();

    let store = app.store();
    let query = query(args.requester.as_deref(), args.since, args.limit, now);
    let mut records = Merged::new(&store, &statuses(args.status), &query);
    let mut out = Writer::new(app.output, std::io::stdout(), |rows| {
        table(rows).to_string()
    });
    let room = |out: &Writer<_, _>| args.limit.is_none_or(|limit| out.written() < limit);
    let mut problems = 0usize;
    while room(&out) {
        let Some(record) = records
            .next()
            .await
            .context("listing requests from the approvals table")?
        else {
            break;
        };
        let execution = executions.take(&record);
        let row = Row::at(Some(&record), &record.approval_id, execution, now);
        problems += usize::from(row.problem.is_some());
        out.push(row)?;
    }

    // Executions nobody listed: those whose record is missing are flagged.
    // A requester filter selects records, which such executions lack.
    if args.requester.is_none() {
        let rest: Vec<Execution> = executions
            .rest()
            .into_iter()
            .filter(|e| since.is_none_or(|since| e.started_at.is_none_or(|at| at >= since)))
            .collect();
        for chunk in rest.chunks(LOOKUPS_AT_ONCE) {
            for (execution, record) in chunk.iter().zip(lookup(&store, chunk).await?) {
                if record.is_none() && room(&out) {
                    problems += 1;
                    out.push(Row::at(None, &execution.name, Some(execution.clone()), now))?;
                }
            }
        }
    }
    let rows = out.written();
    out.finish()?;
    eprintln!(
        "Checked {rows} rows against {listed} executions on {} ({}): {problems} {}.",
        if qualifiers.len() == 1 {
            "1 qualifier".to_owned()
        } else {
            format!("{} qualifiers", qualifiers.len())
        },
        qualifiers.join(", "),
        if problems == 1 { "problem" } else { "problems" }
    );
    Ok(())
}

/// The records named by `executions`, looked up at once, in order.
async fn lookup(
    store: &ApprovalStore,
    executions: &[Execution],
) -> anyhow::Result<Vec<Option<ApprovalRecord>>> {
    let mut tasks = JoinSet::new();
    for (index, execution) in executions.iter().enumerate() {
        let (store, name) = (store.clone(), execution.name.clone());
        tasks.spawn(async move { (index, store.get(&name).await) });
    }
    let mut found: Vec<Option<ApprovalRecord>> = executions.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        let (index, record) = joined.context("looking up a record")?;
        found[index] = record.context("looking up the record of an execution")?;
    }
    Ok(found)
}

fn table(rows: &[Row]) -> Table {
    let now = Timestamp::now();
    let mut table = output::new_table();
    table.set_header(["ID", "RECORD", "EXECUTION", "VERSION", "CREATED", "CHECK"]);
    for row in rows {
        let created = row
            .created_at
            .or_else(|| row.execution.as_ref().and_then(|e| e.started_at));
        table.add_row(
            [
                row.approval_id.clone(),
                row.status
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "-".into()),
                row.execution
                    .as_ref()
                    .map_or_else(|| "-".into(), |e| e.status.clone()),
                row.execution
                    .as_ref()
                    .map_or_else(String::new, |e| e.version.clone()),
                created
                    .map(|at| output::relative(at, now))
                    .unwrap_or_default(),
                row.detail.clone().unwrap_or_else(|| "ok".into()),
            ]
            .map(|cell| output::one_line(&cell).into_owned()),
        );
    }
    // Ids are copied into `hitl show`: never wrapped.
    if let Some(id) = table.column_mut(0) {
        id.set_constraint(ColumnConstraint::ContentWidth);
    }
    table
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::operation::list_durable_executions_by_function::ListDurableExecutionsByFunctionOutput;
    use aws_sdk_lambda::operation::list_versions_by_function::ListVersionsByFunctionOutput;
    use aws_sdk_lambda::types::{Execution as Summary, ExecutionStatus, FunctionConfiguration};
    use aws_smithy_mocks::{mock, mock_client, RuleMode};
    use aws_smithy_types::DateTime;

    use super::*;

    fn arn(version: &str, name: &str) -> String {
        format!("arn:aws:lambda:eu-west-1:123456789012:function:wf:{version}/durable-execution/{name}/0a1b")
    }

    fn summary(version: &str, name: &str, status: ExecutionStatus) -> Summary {
        Summary::builder()
            .durable_execution_arn(arn(version, name))
            .durable_execution_name(name)
            .function_arn("arn:aws:lambda:eu-west-1:123456789012:function:wf")
            .status(status)
            .start_timestamp(DateTime::from_secs(1_795_000_000))
            .build()
            .unwrap()
    }

    fn record(id: &str, status: Status, version: &str) -> ApprovalRecord {
        let mut record = crate::fixtures::record(id, status);
        record.execution_arn = Some(arn(version, id));
        record
    }

    #[tokio::test]
    async fn every_published_version_is_listed_one_qualifier_at_a_time() {
        let versions_1 = mock!(aws_sdk_lambda::Client::list_versions_by_function)
            .match_requests(|r| r.function_name() == Some("wf") && r.marker().is_none())
            .then_output(|| {
                ListVersionsByFunctionOutput::builder()
                    .versions(FunctionConfiguration::builder().version("$LATEST").build())
                    .versions(FunctionConfiguration::builder().version("1").build())
                    .next_marker("more")
                    .build()
            });
        let versions_2 = mock!(aws_sdk_lambda::Client::list_versions_by_function)
            .match_requests(|r| r.marker() == Some("more"))
            .then_output(|| {
                ListVersionsByFunctionOutput::builder()
                    .versions(FunctionConfiguration::builder().version("2").build())
                    .build()
            });
        let on = |qualifier: &'static str, executions: Vec<Summary>| {
            mock!(aws_sdk_lambda::Client::list_durable_executions_by_function)
                .match_requests(move |r| {
                    r.function_name() == Some("wf") && r.qualifier() == Some(qualifier)
                })
                .then_output(move || {
                    ListDurableExecutionsByFunctionOutput::builder()
                        .set_durable_executions(Some(executions.clone()))
                        .build()
                })
        };
        let latest = on("$LATEST", vec![]);
        let v1 = on(
            "1",
            vec![
                summary("1", "req-ended", ExecutionStatus::Succeeded),
                summary("1", "req-ok", ExecutionStatus::Running),
            ],
        );
        let v2 = on("2", vec![summary("2", "orphan", ExecutionStatus::Running)]);
        let client = mock_client!(
            aws_sdk_lambda,
            RuleMode::MatchAny,
            [&versions_1, &versions_2, &latest, &v1, &v2]
        );
        let qualifiers = qualifiers(&client, "wf").await.unwrap();
        assert_eq!(qualifiers, ["$LATEST", "1", "2"]);
        let mut executions = Executions::list(&client, "wf", &qualifiers, None)
            .await
            .unwrap();
        assert_eq!(executions.len(), 3);
        assert_eq!(
            (latest.num_calls(), v1.num_calls(), v2.num_calls()),
            (1, 1, 1)
        );

        let ended = record("req-ended", Status::Pending, "1");
        let found = executions.take(&ended).unwrap();
        assert_eq!(found.version, "1");
        assert_eq!(
            check(Some(&ended), Some(&found)),
            Some(Problem::ExecutionEnded)
        );

        let ok = record("req-ok", Status::Pending, "1");
        let found = executions.take(&ok);
        assert_eq!(check(Some(&ok), found.as_ref()), None);

        let lost = record("req-lost", Status::Pending, "1");
        assert_eq!(
            check(Some(&lost), executions.take(&lost).as_ref()),
            Some(Problem::ExecutionNotFound)
        );
        let decided = record("req-old", Status::Approved, "1");
        assert_eq!(
            check(Some(&decided), None),
            None,
            "only pending ones matter"
        );

        let rest = executions.rest();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].name, "orphan");
        assert_eq!(rest[0].version, "2");
        assert_eq!(check(None, Some(&rest[0])), Some(Problem::NoRecord));
    }

    #[test]
    fn an_execution_listed_under_several_qualifiers_counts_once() {
        let mut executions = Executions::default();
        let opaque = |version: &str| Execution {
            arn: "opaque-arn".into(),
            name: "req-1".into(),
            status: "RUNNING".into(),
            version: version.into(),
            started_at: None,
            ended_at: None,
        };
        executions.add(opaque("$LATEST"));
        executions.add(opaque("1"));
        assert_eq!(executions.len(), 1);
        assert_eq!(executions.rest()[0].version, "1");
    }

    #[test]
    fn versions_are_read_from_execution_arns() {
        assert_eq!(version_in_arn(&arn("7", "x")), Some("7"));
        assert_eq!(version_in_arn(&arn("$LATEST", "x")), Some("$LATEST"));
        assert_eq!(version_in_arn("opaque"), None);
        assert_eq!(
            version_in_arn("arn:aws:lambda:r:1:function:wf/durable-execution/a/b"),
            None
        );
    }

    #[test]
    fn a_claim_older_than_the_lease_is_reported_with_what_to_run() {
        let now = Timestamp::parse("2026-11-22T10:30:00Z").unwrap();
        let running = Execution {
            arn: arn("1", "req-1"),
            name: "req-1".into(),
            status: "RUNNING".into(),
            version: "1".into(),
            started_at: None,
            ended_at: None,
        };
        let claimed = |at: Timestamp| {
            let mut record = record("req-1", Status::Pending, "1");
            record.expires_at = now.plus(std::time::Duration::from_secs(3600));
            record.claim = Some(Claim {
                outcome: Outcome::Rejected,
                by: "approval link".into(),
                at,
                comment: None,
                proof: None,
            });
            record
        };
        let fresh = claimed(
            now.minus(CLAIM_LEASE)
                .plus(std::time::Duration::from_secs(1)),
        );
        let row = Row::at(Some(&fresh), "req-1", Some(running.clone()), now);
        assert_eq!(row.problem, None, "a claim within its lease is fine");

        let stale = claimed(now.minus(CLAIM_LEASE));
        let row = Row::at(Some(&stale), "req-1", Some(running), now);
        assert_eq!(row.problem, Some(Problem::StaleClaim));
        let detail = row.detail.unwrap();
        assert!(
            detail.contains("claimed by approval link at 2026-11-22T10:28:00.000Z"),
            "{detail}"
        );
        assert!(
            detail.contains("run `hitl reject req-1 --as 'approval link'`"),
            "{detail}"
        );
        assert!(
            detail.contains("at the deadline (2026-11-22T11:30:00.000Z)"),
            "{detail}"
        );
        let json = serde_json::to_value(Row::at(Some(&stale), "req-1", None, now)).unwrap();
        assert_eq!(
            json["problem"], "execution_not_found",
            "the worse problem first"
        );
    }

    #[test]
    fn rows_explain_their_problem() {
        let row = Row::new(
            Some(&record("req-1", Status::Pending, "1")),
            "req-1",
            Some(Execution {
                arn: arn("1", "req-1"),
                name: "req-1".into(),
                status: "STOPPED".into(),
                version: "1".into(),
                started_at: None,
                ended_at: None,
            }),
        );
        let json = serde_json::to_value(&row).unwrap();
        assert_eq!(json["problem"], "execution_ended");
        assert!(json["detail"].as_str().unwrap().contains("STOPPED"));
    }
}
