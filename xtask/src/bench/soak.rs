//! A bounded soak: many requests submitted and decided at once, through
//! the CLI and the approval page, then every request checked for exactly one
//! decision, and the emulator's own floor (raw callbacks from boto3, no
//! claim, no record) measured in the same run.

use std::collections::HashMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use hitl_approvals::ApprovalStore;
use hitl_contract::Status;
use hitl_e2e::Inbox;
use tokio::sync::{mpsc, Mutex, Semaphore};

use super::hitl::Hitl;
use super::report::Row;
use super::{seed, APPROVER};
use crate::local::ports::Ports;
use crate::local::provision::{PROFILE, TABLE};

pub const REQUESTER: &str = "bench-soak";
pub const FLOOR_REQUESTER: &str = "bench-soak-floor";

/// The soak's size: requests, concurrent submitters, concurrent deciders.
pub struct Load {
    pub requests: usize,
    pub submitters: usize,
    pub deciders: usize,
    /// Requests of the floor's raw-callback run.
    pub floor_requests: usize,
}

pub const LOAD: Load = Load {
    requests: 2000,
    submitters: 50,
    deciders: 20,
    floor_requests: 200,
};

/// How one decider's attempt on one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attempt {
    Won,
    Refused,
    Failed,
}

/// Every attempt on each request, by id.
type Attempts = HashMap<String, Vec<(Channel, Attempt)>>;

/// Who tries to decide a request: every request gets one decider, and
/// every tenth a second one of the other kind at the same moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Channel {
    Cli,
    Page,
}

pub async fn row(
    hitl: &Hitl,
    ddb: &aws_sdk_dynamodb::Client,
    lambda: &aws_sdk_lambda::Client,
    python: &Path,
    ports: &Ports,
) -> anyhow::Result<Row> {
    let load = LOAD;
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .profile_name(PROFILE)
        .load()
        .await;
    let run = std::process::id();
    let requester = format!("{REQUESTER}-{run}");
    // The run's requests, by id (the `requester` attribute is the verified
    // principal, the same for every run).
    let filter = serde_json::json!({ "approval_id": [{ "prefix": format!("{requester}-") }] });
    let inbox = Inbox::subscribe(&config, &requester, filter)
        .await
        .map_err(anyhow::Error::msg)?;
    let ids: Vec<String> = (0..load.requests)
        .map(|i| format!("{requester}-{i:05}"))
        .collect();

    let started = Instant::now();
    // Submitters: `hitl submit` processes, `submitters` at a time.
    let submitting = {
        let (hitl, ids, requester) = (hitl.clone(), ids.clone(), requester.clone());
        tokio::spawn(async move { submit_all(&hitl, &ids, &requester, load.submitters).await })
    };
    // The notifications name each request and its links: deciders start
    // on a request once its approvers could.
    let (to_deciders, mut work) = mpsc::channel::<(String, String)>(load.requests);
    let reading = tokio::spawn(async move {
        let mut seen = 0;
        let deadline = Instant::now() + Duration::from_secs(600);
        while seen < load.requests && Instant::now() < deadline {
            let Ok(notification) = inbox.next(Duration::from_secs(5)).await else {
                continue;
            };
            let id = notification
                .body
                .lines()
                .find_map(|l| l.strip_prefix("Request: "))
                .map(|s| s.trim().to_owned());
            if let (Some(id), Some(link)) = (id, notification.link("Approve:")) {
                seen += 1;
                if to_deciders.send((id, link)).await.is_err() {
                    break;
                }
            }
        }
        seen
    });
    let permits = Arc::new(Semaphore::new(load.deciders));
    let attempts: Arc<Mutex<Attempts>> = Arc::default();
    let http = reqwest::Client::new();
    let mut deciding = tokio::task::JoinSet::new();
    let mut index = 0usize;
    while let Some((id, link)) = work.recv().await {
        let mut channels = vec![if index.is_multiple_of(2) {
            Channel::Cli
        } else {
            Channel::Page
        }];
        if index.is_multiple_of(10) {
            channels.push(Channel::Page);
        }
        index += 1;
        for channel in channels {
            let permit = permits.clone().acquire_owned().await?;
            let (hitl, http, attempts, id, link) = (
                hitl.clone(),
                http.clone(),
                attempts.clone(),
                id.clone(),
                link.clone(),
            );
            deciding.spawn(async move {
                let attempt = match channel {
                    Channel::Cli => decide_by_cli(&hitl, &id).await,
                    Channel::Page => decide_by_page(&http, &link).await,
                };
                attempts
                    .lock()
                    .await
                    .entry(id)
                    .or_default()
                    .push((channel, attempt));
                drop(permit);
            });
        }
        if index == load.requests {
            break;
        }
    }
    while deciding.join_next().await.is_some() {}
    let submitted = submitting.await??;
    let notified = reading.await?;
    // Every decided request closes once its workflow has recorded it.
    seed::wait_until_none_pending(ddb, &requester, Duration::from_secs(300)).await?;
    let elapsed = started.elapsed();

    let checked = check(ddb, lambda, &ids, &*attempts.lock().await).await?;
    // The floor is a comparison: without it the soak's own counts still stand.
    let floor = floor(hitl, ddb, python, ports, load.floor_requests, load.deciders).await;

    let per_second = load.requests as f64 / elapsed.as_secs_f64();
    let decided_per_second =
        checked.decided as f64 / checked.decision_span.as_secs_f64().max(0.001);
    let mut row = Row::new(
        "soak: 2000 requests, 50 submitters, 20 deciders",
        "0 double, 0 lost, 0 orphaned",
    );
    row.ours = format!(
        "{submitted} submitted, {} decided, {} expired; double {}, lost {}, orphaned {}; \
         {per_second:.1} requests/s end to end, {decided_per_second:.1} decisions/s",
        checked.decided, checked.expired, checked.double, checked.lost, checked.orphaned
    );
    match &floor {
        Ok(floor) => {
            row.theirs = format!(
                "raw boto3 callbacks, {} at a time: {floor:.1} decisions/s",
                load.deciders
            );
            row.ratio = Some(decided_per_second / floor);
        }
        Err(err) => row.note(format!("floor not measured: {err:#}")),
    }
    row.met = Some(checked.double == 0 && checked.lost == 0 && checked.orphaned == 0);
    row.measured = format!(
        "{} requests submitted by {} concurrent `hitl submit` processes while {} concurrent deciders decide each one as \
         its notification arrives (read back from SNS): half with `hitl approve`, half by posting the approve link's form \
         to the approval page, and every tenth request by both at once (exactly one may win). Then every record and \
         execution is read: double = two winners, lost = a winner whose decision is not the record's and the execution's, \
         orphaned = a record and its execution that disagree (one closed, the other not). {notified} notifications read. \
         The floor: {} requests decided by raw SendDurableExecutionCallbackSuccess calls from boto3 threads, each payload with its identity proof signed beforehand (no claim, \
         no table write by the decider), from the first call to the last record closed by its workflow.",
        load.requests, load.submitters, load.deciders, load.floor_requests
    );
    row.figures = serde_json::json!({
        "submitted": submitted,
        "decided": checked.decided,
        "expired": checked.expired,
        "double": checked.double,
        "lost": checked.lost,
        "orphaned": checked.orphaned,
        "races": checked.races,
        "elapsed_s": elapsed.as_secs_f64(),
        "requests_per_second": per_second,
        "decisions_per_second": decided_per_second,
        "floor_decisions_per_second": floor.as_ref().ok(),
    });
    row.note(format!(
        "{} requests raced by a CLI and a page decider",
        checked.races
    ));
    Ok(row)
}

async fn submit_all(
    hitl: &Hitl,
    ids: &[String],
    requester: &str,
    parallel: usize,
) -> anyhow::Result<usize> {
    let permits = Arc::new(Semaphore::new(parallel));
    let mut tasks = tokio::task::JoinSet::new();
    for id in ids {
        let permit = permits.clone().acquire_owned().await?;
        let command = hitl.command(&[
            "submit",
            "--id",
            id,
            "--title",
            "Soak request",
            "--requester",
            requester,
            "--timeout",
            "2h",
            "--output",
            "json",
        ]);
        tasks.spawn(async move {
            let output = tokio::process::Command::from(command)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .output()
                .await;
            drop(permit);
            output
        });
    }
    let mut submitted = 0;
    while let Some(done) = tasks.join_next().await {
        let output = done?.context("running hitl submit")?;
        if !output.status.success() {
            bail!(
                "hitl submit failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        submitted += 1;
    }
    Ok(submitted)
}

async fn decide_by_cli(hitl: &Hitl, id: &str) -> Attempt {
    let command = hitl
        .as_person(super::APPROVER)
        .command(&["approve", id, "--output", "json"]);
    let output = tokio::process::Command::from(command)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .await;
    match output.map(|o| o.status.code()) {
        Ok(Some(0)) => Attempt::Won,
        // 4: decided by someone else, or being decided.
        Ok(Some(4)) => Attempt::Refused,
        _ => Attempt::Failed,
    }
}

/// Presses Approve as the page's form posts it (a client without a
/// browser's own headers; the browser tests press the real button).
async fn decide_by_page(http: &reqwest::Client, link: &str) -> Attempt {
    let Some(token) = reqwest::Url::parse(link).ok().and_then(|url| {
        url.query_pairs()
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
    }) else {
        return Attempt::Failed;
    };
    match http
        .post(link)
        .form(&[("token", token.as_str())])
        .send()
        .await
    {
        Ok(response) if response.status().is_success() => Attempt::Won,
        Ok(response) if response.status().as_u16() == 409 => Attempt::Refused,
        _ => Attempt::Failed,
    }
}

#[derive(Debug, Default)]
struct Checked {
    decided: usize,
    expired: usize,
    double: usize,
    lost: usize,
    orphaned: usize,
    races: usize,
    /// From the first decision to the last.
    decision_span: Duration,
}

async fn check(
    ddb: &aws_sdk_dynamodb::Client,
    lambda: &aws_sdk_lambda::Client,
    ids: &[String],
    attempts: &Attempts,
) -> anyhow::Result<Checked> {
    let store = ApprovalStore::new(ddb.clone(), TABLE);
    let mut checked = Checked::default();
    let (mut first, mut last) = (None, None);
    for id in ids {
        let record = store.fetch(id).await?;
        let tries = attempts.get(id).map(Vec::as_slice).unwrap_or_default();
        let winners: Vec<Channel> = tries
            .iter()
            .filter(|(_, a)| *a == Attempt::Won)
            .map(|(c, _)| *c)
            .collect();
        checked.races += usize::from(tries.len() > 1);
        checked.double += usize::from(winners.len() > 1);
        match record.status {
            Status::Approved => checked.decided += 1,
            Status::Expired => checked.expired += 1,
            _ => {}
        }
        if let Some(at) = record.decided_at {
            first = Some(first.map_or(at, |f: hitl_contract::Timestamp| f.min(at)));
            last = Some(last.map_or(at, |l: hitl_contract::Timestamp| l.max(at)));
        }
        let expected_by = match winners.first() {
            Some(Channel::Cli) => Some(hitl_e2e::principal(APPROVER)),
            Some(Channel::Page) => Some(hitl_contract::record::LINK_DECIDER.to_owned()),
            None => None,
        };
        if let Some(by) = expected_by {
            if record.status != Status::Approved
                || record.decided_by.as_deref() != Some(by.as_str())
            {
                checked.lost += 1;
            }
        }
        let execution = match &record.execution_arn {
            Some(arn) => Some(settled_execution(lambda, arn).await?),
            None => None,
        };
        let closed_together = execution.as_ref().is_some_and(|(status, result)| {
            status == "SUCCEEDED"
                && result.as_ref().and_then(|r| r["status"].as_str())
                    == Some(record.status.as_str())
        });
        if record.status == Status::Pending || record.claim.is_some() || !closed_together {
            checked.orphaned += 1;
        }
    }
    if let (Some(first), Some(last)) = (first, last) {
        let span = last.unix_millis().saturating_sub(first.unix_millis());
        checked.decision_span = Duration::from_millis(u64::try_from(span).unwrap_or(0));
    }
    Ok(checked)
}

/// An execution's status and result once it has left RUNNING (or after 30 s).
async fn settled_execution(
    lambda: &aws_sdk_lambda::Client,
    arn: &str,
) -> anyhow::Result<(String, Option<serde_json::Value>)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let execution = lambda
            .get_durable_execution()
            .durable_execution_arn(arn)
            .send()
            .await
            .context("GetDurableExecution")?;
        let status = execution.status().as_str().to_owned();
        if status != "RUNNING" || Instant::now() > deadline {
            let result = execution
                .result()
                .and_then(|r| serde_json::from_str(r).ok());
            return Ok((status, result));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The emulator's floor: `count` requests decided by raw callbacks from
/// boto3, `threads` at a time; decisions per second until the last closes.
async fn floor(
    hitl: &Hitl,
    ddb: &aws_sdk_dynamodb::Client,
    python: &Path,
    ports: &Ports,
    count: usize,
    threads: usize,
) -> anyhow::Result<f64> {
    let requester = format!("{FLOOR_REQUESTER}-{}", std::process::id());
    seed::submit_real(hitl, ddb, &requester, count, 50).await?;
    // Each callback with its proven payload: the workflow refuses a
    // decision without proof and goes on waiting.
    let approver = super::raw_decision::Approver::of(APPROVER, ports).await?;
    let callbacks: Vec<serde_json::Value> = seed::pending_of(ddb, &requester)
        .await?
        .into_iter()
        .filter_map(|r| Some((r.callback_id?, r.approval_id)))
        .map(|(callback_id, id)| {
            Ok(serde_json::json!({ "callback_id": callback_id, "result": approver.approval(&id)? }))
        })
        .collect::<anyhow::Result<_>>()?;
    let script = format!(
        r#"
import json, sys, boto3
from concurrent.futures import ThreadPoolExecutor
lam = boto3.client("lambda")
def send(job):
    lam.send_durable_execution_callback_success(
        CallbackId=job["callback_id"], Result=job["result"].encode())
with ThreadPoolExecutor({threads}) as pool:
    list(pool.map(send, json.load(sys.stdin)))
"#
    );
    let started = Instant::now();
    super::raw_decision::boto3(python, &script, &callbacks, "the raw callbacks").await?;
    seed::wait_until_none_pending(ddb, &requester, Duration::from_secs(120)).await?;
    Ok(callbacks.len() as f64 / started.elapsed().as_secs_f64())
}
