//! The approval loop, end to end on the local stack, as a new user runs it.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context};

use crate::local;
use crate::paths::{clean_cargo_env, Paths};

pub fn build_hitl(paths: &Paths) -> anyhow::Result<PathBuf> {
    let status = clean_cargo_env(&mut Command::new(env!("CARGO")))
        .args(["build", "--quiet", "--bin", "hitl"])
        .current_dir(&paths.repo)
        .status()?;
    anyhow::ensure!(status.success(), "building hitl failed");
    Ok(hitl_e2e::target_dir().join("debug/hitl"))
}

/// Who asks and who decides in the demo: two of the local stack's people.
const REQUESTER: &str = "alice@example.com";
const APPROVER: &str = "bob@example.com";

/// Runs `hitl args...` against the local profile, echoing the command line.
fn hitl(binary: &Path, args: &[&str]) -> anyhow::Result<String> {
    hitl_with(binary, local::provision::PROFILE, args)
}

/// Runs `hitl args...` as one of the local stack's people, through their
/// own profile: the identity the workflow verifies and records.
fn hitl_as(binary: &Path, person: &str, args: &[&str]) -> anyhow::Result<String> {
    hitl_with(binary, &hitl_e2e::person_profile(person), args)
}

fn hitl_with(binary: &Path, profile: &str, args: &[&str]) -> anyhow::Result<String> {
    let shown: Vec<String> = args
        .iter()
        .map(|a| {
            if a.contains(' ') {
                format!("\"{a}\"")
            } else {
                (*a).to_owned()
            }
        })
        .collect();
    println!("\n$ AWS_PROFILE={profile} hitl {}", shown.join(" "));
    let output = hitl_e2e::through_profile(&mut Command::new(binary), profile)
        .args(args)
        .output()
        .context("running hitl")?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    print!("{stdout}");
    eprint!("{}", String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        bail!("hitl {} failed ({})", args.join(" "), output.status);
    }
    Ok(stdout)
}

pub async fn run(paths: &Paths, base_port: u16) -> anyhow::Result<()> {
    local::up(paths, base_port).await?;
    let binary = build_hitl(paths)?;

    let submitted = hitl_as(
        &binary,
        REQUESTER,
        &[
            "submit",
            "--title",
            "Deploy payments-api 1.4.2 to production",
            "--description",
            "Canary at 5% for an hour without errors.",
            "--amount",
            "1250.00",
            "--timeout",
            "1h",
            "--output",
            "json",
        ],
    )?;
    let id = serde_json::from_str::<serde_json::Value>(&submitted)?
        .get("approval_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .context("submit printed no approval_id")?;

    // The workflow records the request within a moment of the start.
    wait_for(&binary, &id, "PENDING", |record| {
        record["record"]["callback_id"].is_string()
    })?;
    hitl(&binary, &["list", "--output", "table"])?;
    hitl_as(
        &binary,
        APPROVER,
        &["approve", &id, "--comment", "Canary looks healthy"],
    )?;
    wait_for(&binary, &id, "SUCCEEDED", |record| {
        record["execution"]["status"] == "SUCCEEDED"
    })?;
    hitl(&binary, &["show", &id, "--output", "table"])?;

    decide_through_the_link(&binary).await?;
    println!("\nThe local stack is still up: try `AWS_PROFILE=hitl-local target/debug/hitl list --status all`.");
    println!("Stop it with `cargo xtask local down`.");
    Ok(())
}

/// The approver's side: the notification's link opens a page (GET decides
/// nothing); the page's Approve button (a POST) decides.
async fn decide_through_the_link(binary: &Path) -> anyhow::Result<()> {
    let id = format!("apr-demo-link-{}", std::process::id());
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .profile_name(local::provision::PROFILE)
        .load()
        .await;
    let inbox = hitl_e2e::Inbox::open(&config, &id)
        .await
        .map_err(anyhow::Error::msg)?;
    hitl_as(
        binary,
        REQUESTER,
        &[
            "submit",
            "--id",
            &id,
            "--title",
            "Rotate the payments DB password",
            "--timeout",
            "2h",
        ],
    )?;
    let notification = inbox
        .next(Duration::from_secs(60))
        .await
        .map_err(anyhow::Error::msg)?;
    println!(
        "\n# The approvers' notification (SNS), as an email would show it:\nSubject: {}\n\n{}",
        notification.subject, notification.body
    );
    let link = notification
        .link("Approve:")
        .context("the notification has no approve link")?;
    let page = reqwest::get(&link).await.context("opening the link")?;
    println!(
        "# GET the approve link: {} (a page with the request and its buttons; nothing decided)",
        page.status()
    );
    wait_for(binary, &id, "PENDING", |v| {
        v["record"]["status"] == "PENDING"
    })?;
    let url = reqwest::Url::parse(&link)?;
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .context("the link has no token")?;
    // The form's own post; a browser adds its Origin and Sec-Fetch-Site
    // headers, which the page checks (tests/e2e/approval_links.rs presses the
    // button in Chromium).
    let pressed = reqwest::Client::new()
        .post(url.as_str())
        .form(&[
            ("token", token.as_str()),
            ("comment", "Rotated in the vault"),
        ])
        .send()
        .await
        .context("pressing Approve")?;
    println!(
        "# POST (the Approve button): {} (then the link's page, showing the decision)",
        pressed.status()
    );
    wait_for(binary, &id, "SUCCEEDED", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    })?;
    hitl(binary, &["show", &id, "--output", "table"])?;
    Ok(())
}

/// Polls `hitl show` quietly until `done` holds for its JSON.
fn wait_for(
    binary: &Path,
    id: &str,
    what: &str,
    done: impl Fn(&serde_json::Value) -> bool,
) -> anyhow::Result<()> {
    hitl_e2e::poll(Duration::from_secs(60), Duration::from_millis(250), || {
        let output =
            hitl_e2e::through_profile(&mut Command::new(binary), local::provision::PROFILE)
                .args(["show", id, "--output", "json"])
                .output()
                .map_err(|e| e.to_string())?;
        let value: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_default();
        if output.status.success() && done(&value) {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&output.stderr).into_owned())
        }
    })
    .map_err(|stderr| {
        anyhow::anyhow!(
            "request {id} did not reach {what} within 60s; see .local-stack/run/*.log\n{stderr}"
        )
    })
}
