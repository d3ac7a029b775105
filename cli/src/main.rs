//! `hitl`: the operator CLI for human approvals on AWS Lambda durable functions.

mod app;
mod cli;
mod commands;
mod completions;
mod duration;
mod exit;
#[cfg(test)]
mod fixtures;
mod identity;
mod output;
mod stack;
mod stack_cache;
mod tracing;

use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse_with_build_version();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::from(exit::FAILURE);
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}", output::error_message(&err));
            ExitCode::from(exit::code_for(&err))
        }
    }
}

/// The reader of our output went away (`hitl list | head`): not an error.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
