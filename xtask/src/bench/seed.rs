//! Requests for the benchmark: records written straight into DynamoDB Local,
//! and real requests submitted through `hitl submit` whose executions wait on
//! their callbacks.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use hitl_contract::record::{attr, ApprovalRecord, Status, STATUS_INDEX};
use hitl_contract::{SubmitRequest, Timestamp};

use super::hitl::Hitl;
use super::measure;
use crate::local::provision::TABLE;

/// How many BatchWriteItem calls run at once.
const CONCURRENT_BATCHES: usize = 8;

/// A record as the workflow writes it, `status` and `created_at` as given.
/// Its `ttl` lies 90 days past its expiry, so DynamoDB Local keeps it.
pub fn record(id: &str, requester: &str, status: Status, created_at: Timestamp) -> ApprovalRecord {
    let request = SubmitRequest {
        description: Some("Canary at 5% for an hour without errors.".into()),
        amount: Some("1250.00".into()),
        timeout_seconds: Some(7 * 24 * 3600),
        ..SubmitRequest::new(
            id.to_owned(),
            format!("Deploy payments-api build {id} to production"),
            requester.to_owned(),
        )
    };
    let arn = format!(
        "arn:aws:lambda:us-east-1:123456789012:function:approval-workflow:1/durable-execution/{id}/{id}-0"
    );
    let mut record = ApprovalRecord::pending(&request, &arn, created_at);
    record.status = status;
    if status == Status::Pending {
        record.callback_id = Some(format!("seeded-callback-{id}"));
    } else {
        record.decided_at = Some(created_at.plus(Duration::from_secs(60)));
        record.decided_by = Some("bench-approver".into());
    }
    record
}

/// Writes `records` with BatchWriteItem, 25 a call, several calls at once.
pub async fn put_all(
    ddb: &aws_sdk_dynamodb::Client,
    records: impl Iterator<Item = ApprovalRecord>,
) -> anyhow::Result<usize> {
    let requests = records.map(|r| {
        WriteRequest::builder()
            .put_request(
                PutRequest::builder()
                    .set_item(Some(r.to_item()))
                    .build()
                    .expect("an item is set"),
            )
            .build()
    });
    write_all(ddb, requests).await
}

/// Deletes the records of `ids` with BatchWriteItem.
pub async fn delete_all(ddb: &aws_sdk_dynamodb::Client, ids: &[String]) -> anyhow::Result<usize> {
    let requests = ids.iter().map(|id| {
        WriteRequest::builder()
            .delete_request(
                DeleteRequest::builder()
                    .key(attr::APPROVAL_ID, AttributeValue::S(id.clone()))
                    .build()
                    .expect("a key is set"),
            )
            .build()
    });
    write_all(ddb, requests).await
}

async fn write_all(
    ddb: &aws_sdk_dynamodb::Client,
    requests: impl Iterator<Item = WriteRequest>,
) -> anyhow::Result<usize> {
    let mut written = 0;
    let mut tasks = tokio::task::JoinSet::new();
    let mut batch = Vec::with_capacity(25);
    let mut requests = requests.peekable();
    while requests.peek().is_some() || !batch.is_empty() {
        batch.extend(requests.by_ref().take(25 - batch.len()));
        if batch.is_empty() {
            break;
        }
        written += batch.len();
        let ddb = ddb.clone();
        let items = std::mem::take(&mut batch);
        tasks.spawn(async move { write_batch(&ddb, items).await });
        while tasks.len() >= CONCURRENT_BATCHES {
            tasks.join_next().await.context("a batch task")???;
        }
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(written)
}

async fn write_batch(
    ddb: &aws_sdk_dynamodb::Client,
    items: Vec<WriteRequest>,
) -> anyhow::Result<()> {
    let mut pending = items;
    for _ in 0..20 {
        let out = ddb
            .batch_write_item()
            .request_items(TABLE, pending)
            .send()
            .await
            .context("BatchWriteItem on DynamoDB Local")?;
        pending = out
            .unprocessed_items
            .and_then(|mut u| u.remove(TABLE))
            .unwrap_or_default();
        if pending.is_empty() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("DynamoDB Local kept items unprocessed")
}

/// The pending records of `requester` (read straight from DynamoDB Local).
pub async fn pending_of(
    ddb: &aws_sdk_dynamodb::Client,
    requester: &str,
) -> anyhow::Result<Vec<ApprovalRecord>> {
    let mut records = Vec::new();
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    loop {
        let out = ddb
            .query()
            .table_name(TABLE)
            .index_name(STATUS_INDEX)
            .key_condition_expression("#s = :s")
            .filter_expression("#r = :r OR #for = :r")
            .expression_attribute_names("#s", attr::STATUS)
            .expression_attribute_names("#r", attr::REQUESTER)
            .expression_attribute_names("#for", attr::REQUESTED_ON_BEHALF_OF)
            .expression_attribute_values(":s", AttributeValue::S("PENDING".into()))
            .expression_attribute_values(":r", AttributeValue::S(requester.into()))
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .context("querying DynamoDB Local")?;
        for item in out.items() {
            records.push(ApprovalRecord::from_item(item)?);
        }
        start = out.last_evaluated_key.filter(|k| !k.is_empty());
        if start.is_none() {
            return Ok(records);
        }
    }
}

/// Submits `count` real requests from `requester` through `hitl submit`,
/// `parallel` at a time, and waits until every execution has created and
/// published its callback. Returns their ids.
pub async fn submit_real(
    hitl: &Hitl,
    ddb: &aws_sdk_dynamodb::Client,
    requester: &str,
    count: usize,
    parallel: usize,
) -> anyhow::Result<Vec<String>> {
    submit_real_with(hitl, ddb, requester, count, parallel, &[]).await
}

/// [`submit_real`], each `hitl submit` given `extra` arguments too (an
/// approver policy).
pub async fn submit_real_with(
    hitl: &Hitl,
    ddb: &aws_sdk_dynamodb::Client,
    requester: &str,
    count: usize,
    parallel: usize,
    extra: &[&str],
) -> anyhow::Result<Vec<String>> {
    // Unique per run: a stack left running keeps earlier runs' requests.
    let run = std::process::id();
    let ids: Vec<String> = (0..count)
        .map(|i| format!("{requester}-{run}-{i:04}"))
        .collect();
    for chunk in ids.chunks(parallel.max(1)) {
        let children = chunk
            .iter()
            .map(|id| {
                hitl.command(&[
                    "submit",
                    "--id",
                    id,
                    "--title",
                    "Benchmark request",
                    "--requester",
                    requester,
                    "--timeout",
                    "2h",
                    "--output",
                    "json",
                ])
                .args(extra)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .context("running hitl submit")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for child in children {
            let output = child.wait_with_output()?;
            if !output.status.success() {
                bail!(
                    "hitl submit failed: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
        }
    }
    wait_for_callbacks(ddb, requester, count).await?;
    Ok(ids)
}

/// Waits until `count` pending records of `requester` carry a callback id.
pub async fn wait_for_callbacks(
    ddb: &aws_sdk_dynamodb::Client,
    requester: &str,
    count: usize,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60 + count as u64);
    loop {
        let ready = pending_of(ddb, requester)
            .await?
            .iter()
            .filter(|r| r.callback_id.is_some())
            .count();
        if ready >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("only {ready} of {count} requests from {requester} got a callback; see .local-stack/run/*.log");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Waits until `requester` has no pending record left.
pub async fn wait_until_none_pending(
    ddb: &aws_sdk_dynamodb::Client,
    requester: &str,
    within: Duration,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + within;
    loop {
        let left = pending_of(ddb, requester).await?.len();
        if left == 0 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{left} requests from {requester} are still pending after {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Decides whatever `requester` still has pending with `hitl`, so no
/// execution keeps waiting on this benchmark's account.
pub fn approve_leftovers(hitl: &Hitl, requester: &str) -> anyhow::Result<()> {
    measure::run_ok(
        &mut hitl.as_person(super::APPROVER).command(&[
            "approve",
            "--all",
            "--requester",
            requester,
            "--yes",
        ]),
        false,
    )?;
    Ok(())
}
