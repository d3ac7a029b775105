//! Developer tasks for hitl (`cargo xtask ...`): the local stack of
//! emulators, the end-to-end demo, and everything CI checks.

mod bench;
mod checks;
mod demo;
mod dist;
mod fuzz;
#[cfg(test)]
mod least_privilege;
mod local;
#[cfg(test)]
mod operator_policies;
mod paths;
mod setup;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::paths::Paths;

#[derive(Parser)]
#[command(name = "cargo xtask", about = "hitl developer tasks")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Bring up the local stack and run the approval loop with `hitl`: submit, list, approve, show.
    Demo {
        #[arg(long, env = "HITL_LOCAL_BASE_PORT", default_value_t = local::ports::DEFAULT_BASE)]
        base_port: u16,
    },
    /// Everything CI checks: formatting, lints, all tests on the local stack, cfn-lint, the release archive, a short fuzz run.
    Test {
        #[arg(long, env = "HITL_LOCAL_BASE_PORT", default_value_t = local::ports::DEFAULT_BASE)]
        base_port: u16,
    },
    /// Benchmarks on the local stack: hitl beside the AWS CLI, the workflow
    /// function beside its Python SDK twin; one table, also target/bench/results.json.
    Bench {
        #[arg(long, env = "HITL_LOCAL_BASE_PORT", default_value_t = local::ports::DEFAULT_BASE)]
        base_port: u16,
        /// Timed runs per side of the rows that report medians.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..=1000))]
        runs: u16,
        /// Only the rows whose name contains this (repeatable), e.g. `--only "CLI start"`.
        #[arg(long)]
        only: Vec<String>,
    },
    /// Fuzz the parsers of outside input (the invocation envelope, table
    /// items, approval links) for a bounded time each; fails on any crash.
    Fuzz {
        /// Seconds per target.
        #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=86_400))]
        seconds: u64,
        /// Only this target (repeatable); all of them by default.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(fuzz::TARGETS))]
        target: Vec<String>,
    },
    /// Release archives of `hitl` for operators, target/dist/hitl-<version>-<target>.tar.gz
    /// (binary, completions, man page, README), each unpacked and run to check it.
    Dist {
        /// Only this target (repeatable); by default x86_64, and aarch64
        /// when its standard library and a linker for it are installed.
        #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(dist::TARGETS))]
        target: Vec<String>,
    },
    /// The local stack of emulators.
    Local {
        #[command(subcommand)]
        command: LocalTask,
    },
}

#[derive(Subcommand)]
enum LocalTask {
    /// Install what is missing, start every emulator, create the table, stack and profile.
    Up {
        /// First of the five consecutive ports the stack uses.
        #[arg(long, env = "HITL_LOCAL_BASE_PORT", default_value_t = local::ports::DEFAULT_BASE)]
        base_port: u16,
    },
    /// Stop everything the stack started.
    Down,
    /// Which services run, on which ports, with their logs.
    Status,
    #[command(hide = true)]
    FrontDoor {
        #[arg(long)]
        port: u16,
        #[arg(long)]
        emulator_port: u16,
        #[arg(long)]
        functions_port: u16,
        #[arg(long)]
        python_functions_port: u16,
        /// moto_server, whose STS names the callers of IAM function URLs.
        #[arg(long)]
        moto_port: u16,
        #[arg(long)]
        workflow_binary: String,
        /// The people's access keys, which `local up` writes once they exist.
        #[arg(long)]
        people_file: PathBuf,
    },
    /// Restart `cargo lambda watch` (after a crash test killed a function).
    #[command(hide = true)]
    RestartFunctions,
    /// Kill one service outright (SIGKILL), as a crash would (fault tests).
    #[command(hide = true)]
    Kill { service: String },
    /// Start one killed service again with its data (fault tests).
    #[command(hide = true)]
    Start { service: String },
    #[command(hide = true)]
    ForwardLogs {
        #[arg(long)]
        moto_port: u16,
        #[arg(long)]
        source: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(task: Task) -> anyhow::Result<()> {
    let paths = Paths::discover();
    match task {
        Task::Demo { base_port } => demo::run(&paths, base_port).await,
        Task::Test { base_port } => checks::run(&paths, base_port).await,
        Task::Bench {
            base_port,
            runs,
            only,
        } => {
            bench::run(
                &paths,
                bench::Options {
                    base_port,
                    runs: usize::from(runs),
                    only,
                },
            )
            .await
        }
        Task::Fuzz { seconds, target } => fuzz::run(
            &paths,
            &fuzz::Options {
                seconds,
                targets: target,
            },
        ),
        Task::Dist { target } => dist::run(&paths, &dist::Options { targets: target }),
        Task::Local { command } => match command {
            LocalTask::Up { base_port } => {
                local::up(&paths, base_port).await?;
                eprintln!(
                    "Try: AWS_PROFILE={} cargo run -q -p hitl -- list",
                    local::provision::PROFILE
                );
                eprintln!("Stop it with: cargo xtask local down");
                Ok(())
            }
            LocalTask::Down => local::down(&paths),
            LocalTask::Status => local::status(&paths),
            LocalTask::RestartFunctions => local::restart_functions(&paths).await,
            LocalTask::Kill { service } => local::kill(&paths, &service),
            LocalTask::Start { service } => local::start(&paths, &service).await,
            LocalTask::FrontDoor {
                port,
                emulator_port,
                functions_port,
                python_functions_port,
                moto_port,
                workflow_binary,
                people_file,
            } => {
                local::front_door::serve(
                    port,
                    emulator_port,
                    functions_port,
                    python_functions_port,
                    moto_port,
                    workflow_binary,
                    people_file,
                )
                .await
            }
            LocalTask::ForwardLogs { moto_port, source } => {
                local::logs::forward(&source, moto_port).await
            }
        },
    }
}
