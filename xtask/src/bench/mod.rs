//! `cargo xtask bench`: hitl beside what an operator would otherwise use,
//! on the local stack, one table of medians and ratios.
//!
//! | module         | concern                                               |
//! |----------------|-------------------------------------------------------|
//! | [`operator`]   | the CLI rows: start, decide one, approve → SUCCEEDED, decide one (quorum), list, decide many, list 100,000 |
//! | [`raw_decision`] | decisions as a script sends them, proof signed as `hitl` signs it |
//! | [`function`]   | the workflow function beside its Python SDK twin      |
//! | [`round_trip`] | submit → listed → approved → SUCCEEDED, and its calls |
//! | [`seed`]       | records written straight to DynamoDB, real requests   |
//! | [`soak`]       | 2,000 requests submitted and decided at once           |
//! | [`counting`]   | a counting proxy in front of DynamoDB Local           |
//! | [`measure`]    | timing child processes, their peak RSS                |
//! | [`report`]     | the table and results.json                            |

mod aws_cli;
mod counting;
mod function;
mod hitl;
mod measure;
mod operator;
mod raw_decision;
mod report;
mod round_trip;
mod seed;
mod soak;

use std::future::Future;
use std::process::Command;
use std::time::Instant;

use anyhow::Context;

use crate::local::{self, ports::Ports};
use crate::paths::{clean_cargo_env, Paths};
use crate::setup;
use hitl_e2e::target_dir;
use report::Row;

/// Who decides in the benchmark: one of the local stack's people, through
/// their own profile; never the requester, as self-approval is off.
pub const APPROVER: &str = "hitl-bench-approver";

/// The requesters of the benchmark's real requests (one per row).
const REQUESTERS: [&str; 8] = [
    "bench-one-hitl",
    "bench-one-aws",
    "bench-fast-hitl",
    "bench-fast-raw",
    "bench-many-hitl",
    "bench-many-aws",
    "bench-round-trip",
    "bench-counted",
];

pub struct Options {
    pub base_port: u16,
    /// Timed runs per side for the rows that take medians.
    pub runs: usize,
    /// Only the rows whose name contains one of these (all when empty).
    pub only: Vec<String>,
}

impl Options {
    fn wants(&self, row: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| row.contains(o.as_str()))
    }
}

pub async fn run(paths: &Paths, options: Options) -> anyhow::Result<()> {
    let started = Instant::now();
    let was_running = Ports::load(&local::ports_file(paths)).is_ok();
    let ports = local::up(paths, options.base_port).await?;
    let result = run_rows(paths, &ports, &options).await;
    if was_running {
        eprintln!("The local stack was running before the benchmark: it is left running.");
    } else {
        eprintln!("Stopping the local stack the benchmark started...");
        local::down(paths)?;
    }
    let rows = result?;
    let out = target_dir().join("bench/results.json");
    report::write_json(
        &out,
        &rows,
        serde_json::json!({
            "runs": options.runs,
            "machine": machine(),
            "elapsed_s": started.elapsed().as_secs(),
        }),
    )?;
    println!("\n{}", report::table(&rows));
    println!("How each row is measured:\n{}", report::explanations(&rows));
    println!("Written to {}", out.display());
    Ok(())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_default();
    format!("{cpus} CPUs, {model}")
}

/// A row, or "not measured" with the reason when it fails.
async fn measured<F>(what: &str, goal: &str, row: F) -> Row
where
    F: Future<Output = anyhow::Result<Row>>,
{
    eprintln!("==> {what}");
    let started = Instant::now();
    match row.await {
        Ok(row) => {
            eprintln!("    {} ({}s)", row.ours, started.elapsed().as_secs());
            row
        }
        Err(err) => {
            eprintln!("    not measured: {err:#}");
            Row::not_measured(what, goal, err)
        }
    }
}

async fn run_rows(paths: &Paths, ports: &Ports, options: &Options) -> anyhow::Result<Vec<Row>> {
    setup::ensure_gnu_time()?;
    let aws = aws_cli::AwsCli::new(setup::ensure_aws_cli(paths)?);
    aws_cli::check_endpoints(&aws)?;
    eprintln!(
        "The AWS CLI reaches the local stack through profile {} alone (its `services` section): no --endpoint-url is passed.",
        local::provision::PROFILE
    );
    eprintln!("Building hitl and both builds of the approval workflow in release mode (start time and binary size are measured on release builds)...");
    let status = clean_cargo_env(&mut Command::new(env!("CARGO")))
        .args([
            "build",
            "--release",
            "--quiet",
            "--bin",
            "hitl",
            "--bin",
            local::provision::WORKFLOW_FUNCTION,
            "--bin",
            local::provision::OFFICIAL_WORKFLOW_FUNCTION,
        ])
        .current_dir(&paths.repo)
        .status()
        .context("running cargo build --release")?;
    anyhow::ensure!(status.success(), "the release build failed");
    let release = target_dir().join("release");
    let hitl = hitl::Hitl {
        program: release.join("hitl"),
        cache_dir: target_dir().join("bench/hitl-cache"),
        env: Vec::new(),
        profile: local::provision::PROFILE.to_owned(),
    };
    let ddb = aws_sdk_dynamodb::Client::new(
        &local::sdk_config(format!("http://127.0.0.1:{}", ports.dynamodb)).await,
    );
    let runs = options.runs;

    let mut rows = Vec::new();
    if options.wants("CLI start") {
        rows.push(
            measured("CLI start (--version)", "≥ 50× faster", async {
                operator::cli_start(&hitl, &aws, runs)
            })
            .await,
        );
    }
    if options.wants("decide one") {
        rows.push(
            measured(
                "decide one request by id",
                "≥ 8× faster",
                operator::decide_one(&hitl, &aws, &ddb, runs),
            )
            .await,
        );
    }
    if options.wants("approve → SUCCEEDED") {
        let python = paths.venv_bin("python");
        rows.push(
            measured(
                "approve → SUCCEEDED",
                "≤ 1.3× a raw callback",
                operator::decide_to_succeeded(&hitl, &python, &ddb, ports, runs),
            )
            .await,
        );
    }
    if options.wants("decide one (quorum 2 of 3)") {
        rows.push(
            measured(
                "decide one (quorum 2 of 3)",
                "≥ 8× faster",
                operator::decide_quorum(&hitl, &aws, &ddb, runs),
            )
            .await,
        );
    }
    if options.wants("list 1000") {
        rows.push(
            measured(
                "list 1000 pending requests",
                "≥ 5× faster",
                operator::list_pending(&hitl, &aws, &ddb, 1000, runs.min(10)),
            )
            .await,
        );
    }
    if options.wants("decide 500") {
        rows.push(
            measured(
                "decide 500 pending requests",
                "≥ 20× faster",
                operator::decide_many(&hitl, &aws, &ddb, 500, 50),
            )
            .await,
        );
    }
    let python = paths.venv_bin("python");
    let module_dir = paths.repo.join("lambdas/durable-conformance");
    let function_binary = release.join(local::provision::WORKFLOW_FUNCTION);
    let pycache = target_dir().join("bench/pycache");
    let inputs = function::Inputs {
        release_binary: &function_binary,
        python: &python,
        module_dir: &module_dir,
        pycache: &pycache,
        ports,
        runs,
    };
    if options.wants("workflow function") {
        rows.push(
            measured(
                "workflow function: start, memory",
                "≥ 10× faster start, ≤ ½ memory",
                async {
                    let (row, ids) = function::row(&inputs).await?;
                    seed::delete_all(&ddb, &ids).await?;
                    Ok(row)
                },
            )
            .await,
        );
    }
    if options.wants("durable runtimes") {
        let official = release.join(local::provision::OFFICIAL_WORKFLOW_FUNCTION);
        rows.push(
            measured(
                "durable runtimes: the workflow on each",
                "official SDK within 1.5× of ours",
                async {
                    let (row, ids) = function::runtimes_row(&inputs, &official).await?;
                    seed::delete_all(&ddb, &ids).await?;
                    Ok(row)
                },
            )
            .await,
        );
    }
    if options.wants("round trip (p50") {
        rows.push(
            measured(
                "round trip (p50 / p95)",
                "report p50/p95",
                round_trip::timed(&hitl, &ddb, runs),
            )
            .await,
        );
    }
    if options.wants("calls per round trip") {
        rows.push(
            measured(
                "calls per round trip",
                "report",
                round_trip::counted(paths, &hitl, &ddb, ports),
            )
            .await,
        );
    }
    if options.wants("list 100000") {
        rows.push(
            measured(
                "list 100000 records: peak memory",
                "≤ 50 MiB",
                operator::list_huge(&hitl, &ddb, 100_000),
            )
            .await,
        );
    }
    if options.wants("soak") {
        let lambda = aws_sdk_lambda::Client::new(
            &local::sdk_config(format!("http://127.0.0.1:{}", ports.front_door)).await,
        );
        // The local stack's virtualenv has boto3 (moto needs it).
        let python = paths.venv_bin("python");
        rows.push(
            measured(
                "soak: 2000 requests, 50 submitters, 20 deciders",
                "0 double, 0 lost, 0 orphaned",
                soak::row(&hitl, &ddb, &lambda, &python, ports),
            )
            .await,
        );
    }
    cleanup(&hitl, &ddb).await;
    Ok(rows)
}

/// Decides whatever a failed row left pending, so no execution keeps waiting.
async fn cleanup(hitl: &hitl::Hitl, ddb: &aws_sdk_dynamodb::Client) {
    for requester in REQUESTERS {
        match seed::pending_of(ddb, requester).await {
            Ok(left) if !left.is_empty() => {
                eprintln!(
                    "Approving {} leftover requests of {requester}...",
                    left.len()
                );
                if let Err(err) = seed::approve_leftovers(hitl, requester) {
                    eprintln!("    could not: {err:#}");
                }
            }
            _ => {}
        }
    }
}
