//! The approval round trip through `hitl`, timed; and one round trip whose
//! Lambda API calls and DynamoDB requests are counted.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::counting::{describe, difference, total, CountingProxy, Counts};
use super::hitl::Hitl;
use super::measure::run_ok;
use super::report::{human, millis, percentile, Row};
use super::seed;
use crate::local::ports::Ports;
use crate::paths::Paths;

const POLL: Duration = Duration::from_millis(20);

fn submit(hitl: &Hitl, id: &str, requester: &str) -> anyhow::Result<()> {
    run_ok(
        &mut hitl.command(&[
            "submit",
            "--id",
            id,
            "--title",
            "Benchmark round trip",
            "--requester",
            requester,
            "--timeout",
            "1h",
            "--output",
            "json",
        ]),
        false,
    )?;
    Ok(())
}

/// Polls `hitl args` (JSON) until `done` holds; fails after a minute.
fn poll_hitl(
    hitl: &Hitl,
    args: &[&str],
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> anyhow::Result<()> {
    hitl_e2e::poll(Duration::from_secs(60), POLL, || {
        let output = hitl.command(args).output().map_err(anyhow::Error::from)?;
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        if output.status.success() && done(&value) {
            Ok(())
        } else {
            Err(anyhow::anyhow!("{what} did not happen within 60s"))
        }
    })
}

/// `runs` round trips, one after the other.
pub async fn timed(
    hitl: &Hitl,
    ddb: &aws_sdk_dynamodb::Client,
    runs: usize,
) -> anyhow::Result<Row> {
    let mut row = Row::new("round trip (p50 / p95)", "report p50/p95");
    let requester = "bench-round-trip";
    let mut listed = Vec::new();
    let mut succeeded = Vec::new();
    for i in 0..runs {
        let id = format!("bench-rt-{}-{i:03}", std::process::id());
        let started = Instant::now();
        submit(hitl, &id, requester)?;
        poll_hitl(
            hitl,
            &["list", "--requester", requester, "--output", "json"],
            "the request being listed",
            |v| {
                v.as_array()
                    .is_some_and(|a| a.iter().any(|r| r["approval_id"] == id.as_str()))
            },
        )?;
        listed.push(started.elapsed());
        // `approve` needs the callback published; not part of either figure.
        seed::wait_for_callbacks(ddb, requester, 1).await?;
        let approving = Instant::now();
        run_ok(
            &mut hitl.as_person(super::APPROVER).command(&["approve", &id]),
            false,
        )?;
        poll_hitl(
            hitl,
            &["show", &id, "--output", "json"],
            "the execution succeeding",
            |v| v["execution"]["status"] == "SUCCEEDED",
        )?;
        succeeded.push(approving.elapsed());
    }
    let p = |samples: &[Duration], q: f64| human(percentile(samples, q));
    row.ours = format!(
        "listed {} / {}; SUCCEEDED {} / {}",
        p(&listed, 50.0),
        p(&listed, 95.0),
        p(&succeeded, 50.0),
        p(&succeeded, 95.0)
    );
    row.note(format!("{runs} round trips, one at a time"));
    row.measured = format!(
        "submit → listed: from spawning `hitl submit` until a `hitl list --requester R --output json` \
         (run every {}ms) first shows the request (hitl starts the execution; the emulator invokes the \
         workflow under cargo lambda watch; its first step writes the record); approve → SUCCEEDED: \
         from spawning `hitl approve ID` until `hitl show ID` (polled the same way) reports the \
         execution SUCCEEDED (the callback wakes the workflow, which records the outcome and ends). \
         Waiting for the callback to be published in between is not timed. Nearest-rank p50 and p95 \
         of {runs}",
        POLL.as_millis()
    );
    let ms = |s: &[Duration]| s.iter().map(|d| millis(*d)).collect::<Vec<_>>();
    row.figures = serde_json::json!({
        "runs": runs,
        "listed_ms": ms(&listed),
        "succeeded_ms": ms(&succeeded),
        "listed_p50_ms": millis(percentile(&listed, 50.0)),
        "listed_p95_ms": millis(percentile(&listed, 95.0)),
        "succeeded_p50_ms": millis(percentile(&succeeded, 50.0)),
        "succeeded_p95_ms": millis(percentile(&succeeded, 95.0)),
    });
    Ok(row)
}

/// The front door's Lambda API call counts so far.
async fn door_calls(http: &reqwest::Client, ports: &Ports) -> anyhow::Result<Counts> {
    Ok(http
        .get(format!(
            "http://127.0.0.1:{}/_local/calls",
            ports.front_door
        ))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Waits until the front door has served nothing new for a second: every
/// invocation the emulator started has ended.
async fn settle(http: &reqwest::Client, ports: &Ports) -> anyhow::Result<Counts> {
    let mut last = door_calls(http, ports).await?;
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = door_calls(http, ports).await?;
        if now == last || Instant::now() > deadline {
            return Ok(now);
        }
        last = now;
    }
}

/// Waits until the execution has SUCCEEDED, asking the emulator directly
/// (not through the front door, so the asking is not counted).
async fn wait_succeeded(http: &reqwest::Client, ports: &Ports, arn: &str) -> anyhow::Result<()> {
    let url = format!(
        "http://127.0.0.1:{}/2025-12-01/durable-executions/{}",
        ports.emulator,
        hitl_e2e::percent_encode(arn)
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status = http
            .get(&url)
            .send()
            .await?
            .json::<serde_json::Value>()
            .await
            .unwrap_or_default()["Status"]
            .as_str()
            .map(str::to_owned);
        if status.as_deref() == Some("SUCCEEDED") {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("execution {arn} is {status:?}, not SUCCEEDED, after 60s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// One round trip (`hitl submit`, `hitl approve`), with its Lambda API
/// calls counted by the front door and its DynamoDB requests by two counting
/// proxies: one for `hitl`, one for the functions (restarted to use it).
pub async fn counted(
    paths: &Paths,
    hitl: &Hitl,
    ddb: &aws_sdk_dynamodb::Client,
    ports: &Ports,
) -> anyhow::Result<Row> {
    let mut row = Row::new("calls per round trip", "report");
    let dynamodb = format!("http://127.0.0.1:{}", ports.dynamodb);
    let cli_proxy = CountingProxy::start(dynamodb.clone()).await?;
    let function_proxy = CountingProxy::start(dynamodb).await?;
    let http = reqwest::Client::new();
    settle(&http, ports).await?;
    crate::local::restart_functions_with(
        paths,
        &[("AWS_ENDPOINT_URL_DYNAMODB", function_proxy.url.clone())],
    )
    .await
    .context("restarting the functions with a counting DynamoDB proxy")?;
    let measured = async {
        let hitl = hitl.with_env("AWS_ENDPOINT_URL_DYNAMODB", cli_proxy.url.clone());
        let requester = "bench-counted";
        let id = format!("bench-counted-{}", std::process::id());
        let before = door_calls(&http, ports).await?;
        cli_proxy.take();
        function_proxy.take();
        submit(&hitl, &id, requester)?;
        seed::wait_for_callbacks(ddb, requester, 1).await?;
        let submitted_cli = cli_proxy.take();
        run_ok(
            &mut hitl.as_person(super::APPROVER).command(&["approve", &id]),
            false,
        )?;
        let decided_cli = cli_proxy.take();
        let record = hitl_contract::record::ApprovalRecord::from_item(
            &ddb.get_item()
                .table_name(crate::local::provision::TABLE)
                .key(
                    hitl_contract::record::attr::APPROVAL_ID,
                    aws_sdk_dynamodb::types::AttributeValue::S(id.clone()),
                )
                .send()
                .await?
                .item
                .context("the counted request has no record")?,
        )?;
        let arn = record
            .execution_arn
            .context("the record has no execution")?;
        wait_succeeded(&http, ports, &arn).await?;
        let after = settle(&http, ports).await?;
        Ok::<_, anyhow::Error>((
            difference(&before, &after),
            submitted_cli,
            decided_cli,
            function_proxy.take(),
        ))
    }
    .await;
    crate::local::restart_functions(paths)
        .await
        .context("restarting the functions with their own DynamoDB endpoint")?;
    let (lambda, submitted_cli, decided_cli, function_ddb) = measured?;
    let checkpoints = lambda
        .get("CheckpointDurableExecution")
        .copied()
        .unwrap_or(0);
    let cli_total = total(&submitted_cli) + total(&decided_cli);
    row.ours = format!(
        "{checkpoints} checkpoint calls; {} DynamoDB requests ({cli_total} from hitl, {} from the workflow)",
        cli_total + total(&function_ddb),
        total(&function_ddb)
    );
    row.note(format!(
        "Lambda API: {}; DynamoDB from hitl submit: {}; from hitl approve: {}; from the workflow: {}",
        describe(&lambda),
        describe(&submitted_cli),
        describe(&decided_cli),
        describe(&function_ddb)
    ));
    row.measured = "one round trip (`hitl submit`, then `hitl approve` once the callback is published, \
         until the execution SUCCEEDED), all counted, none derived: Lambda API calls by the front \
         door, which serves every one of them (hitl's PublishVersion and Invoke, the emulator's \
         invocations of the function, and the function's checkpoints, passed through to the emulator); \
         DynamoDB requests by two counting proxies in front of DynamoDB Local: hitl's through \
         AWS_ENDPOINT_URL_DYNAMODB, the functions' by restarting cargo lambda watch with its \
         AWS_ENDPOINT_URL_DYNAMODB on the other proxy for this round trip only. The benchmark's own \
         waiting reads DynamoDB Local and the emulator directly, so it is not counted"
        .into();
    row.figures = serde_json::json!({
        "lambda_api_calls": lambda,
        "checkpoint_calls": checkpoints,
        "dynamodb_hitl_submit": submitted_cli,
        "dynamodb_hitl_approve": decided_cli,
        "dynamodb_workflow": function_ddb,
    });
    Ok(row)
}
