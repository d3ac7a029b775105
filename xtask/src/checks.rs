//! `cargo xtask test`: every check CI runs, in the order that fails fastest.

use std::process::Command;

use anyhow::{bail, Context};

use crate::local;
use crate::paths::{clean_cargo_env, Paths};

fn step(title: &str, command: &mut Command) -> anyhow::Result<()> {
    eprintln!("==> {title}");
    let status = command
        .status()
        .with_context(|| format!("{title}: could not start"))?;
    if !status.success() {
        bail!("{title} failed ({status})");
    }
    Ok(())
}

fn cargo(paths: &Paths, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO"));
    clean_cargo_env(&mut command)
        .args(args)
        .current_dir(&paths.repo);
    command
}

pub async fn run(paths: &Paths, base_port: u16) -> anyhow::Result<()> {
    step(
        "cargo fmt --check",
        &mut cargo(paths, &["fmt", "--all", "--check"]),
    )?;
    step(
        "cargo clippy -D warnings",
        &mut cargo(
            paths,
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--quiet",
                "--",
                "-D",
                "warnings",
            ],
        ),
    )?;
    eprintln!("==> local stack up");
    local::up(paths, base_port).await?;
    let tested = step(
        "cargo test (unit, integration and end-to-end)",
        cargo(paths, &["test", "--workspace"]).env("HITL_LOCAL_BASE_PORT", base_port.to_string()),
    )
    .and_then(|()| {
        step(
            "cfn-lint template.yaml",
            Command::new(paths.venv_bin("cfn-lint"))
                .arg("template.yaml")
                .current_dir(&paths.repo),
        )
    });
    eprintln!("==> local stack down");
    local::down(paths)?;
    tested
}
