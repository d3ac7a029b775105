//! `cargo xtask test`: every check CI runs, in the order that fails fastest.

use std::process::Command;

use anyhow::{bail, Context};

use crate::local;
use crate::paths::{cargo, clean_cargo_env, Paths};
use crate::setup;

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

pub async fn run(paths: &Paths, base_port: u16) -> anyhow::Result<()> {
    setup::ensure_check_tools(paths)?;
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
    })
    .and_then(|()| step("checkov template.yaml", &mut checkov(paths)));
    eprintln!("==> local stack down");
    local::down(paths)?;
    tested?;
    // The archive operators install from, unpacked and run. x86_64 only:
    // aarch64 needs a standard library and a linker CI does not install.
    eprintln!("==> cargo xtask dist --target {}", crate::dist::X86_64);
    crate::dist::run(
        paths,
        &crate::dist::Options {
            targets: vec![crate::dist::X86_64.to_owned()],
        },
    )?;
    eprintln!(
        "==> cargo xtask fuzz --seconds {} (every target)",
        crate::fuzz::CI_SECONDS
    );
    crate::fuzz::run(
        paths,
        &crate::fuzz::Options {
            seconds: crate::fuzz::CI_SECONDS,
            targets: Vec::new(),
        },
    )?;
    step(
        "sam validate --lint",
        sam(paths).args(["validate", "--lint", "--template", "template.yaml"]),
    )?;
    // What `sam deploy` would upload, built the way SAM builds it (cargo
    // lambda, no Docker). Debug mode and x86_64: this machine has no aarch64
    // standard library, and a release build would only take longer to prove
    // the same thing.
    let build_dir = hitl_e2e::target_dir().join("sam-build");
    step(
        "sam build",
        sam(paths)
            .args(["build", "--beta-features", "--template", "template.yaml"])
            .arg("--build-dir")
            .arg(&build_dir)
            .args(["--parameter-overrides", "Architecture=x86_64"])
            .env("SAM_BUILD_MODE", "debug"),
    )?;
    for function in [
        "WorkflowFunction",
        "ApprovalApiFunction",
        "SubmitApiFunction",
    ] {
        let bootstrap = build_dir.join(function).join("bootstrap");
        anyhow::ensure!(
            bootstrap.exists(),
            "sam build left no {}",
            bootstrap.display()
        );
    }
    Ok(())
}

/// checkov on template.yaml: every check must pass or be skipped in the
/// template with its reason (`Metadata: checkov: skip:`), so a new finding
/// fails. Offline: no platform download, no update check.
fn checkov(paths: &Paths) -> Command {
    let mut command = Command::new(paths.checkov_venv().join("bin/checkov"));
    command
        .args(["--file", "template.yaml", "--framework", "cloudformation"])
        .args(["--compact", "--quiet", "--skip-download"])
        .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
        .current_dir(&paths.repo);
    command
}

/// AWS SAM CLI with cargo-lambda (and the zig it links with) on PATH.
fn sam(paths: &Paths) -> Command {
    let mut command = Command::new(paths.sam_venv().join("bin/sam"));
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![paths.venv.join("bin")];
    dirs.extend(std::env::split_paths(&path));
    if let Ok(joined) = std::env::join_paths(dirs) {
        command.env("PATH", joined);
    }
    command
        .env("SAM_CLI_TELEMETRY", "0")
        .current_dir(&paths.repo);
    clean_cargo_env(&mut command);
    command
}
