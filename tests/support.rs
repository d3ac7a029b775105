//! Shared by the end-to-end tests: a running local stack, the built `hitl`
//! binary, and ways to run it and wait on what it reports.
//!
//! The first test to ask brings the local stack up (`cargo xtask local up`,
//! which returns at once when it already runs) and builds `hitl`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

pub mod browser;

// The local stack's names, defined here once for the tests, the demo, the
// benchmarks and `cargo xtask local` (which re-exports them).

/// The AWS profile `cargo xtask local up` writes.
pub const PROFILE: &str = "hitl-local";

/// The local stack's account.
pub const ACCOUNT: &str = "123456789012";

/// The local stack's region.
pub const REGION: &str = "us-east-1";

/// The approvals table of the local stack.
pub const TABLE: &str = "hitl-approvals";

/// The notification topic (template.yaml's NotificationTopic).
pub const NOTIFICATION_TOPIC: &str = "hitl-notifications";

/// The one topic escalations may go to besides the notification topic
/// (template.yaml's `EscalationTopics`, none by default; the local stack
/// names this one so that `--escalate-to` a topic can be tried).
pub const ESCALATION_TOPIC: &str = "hitl-escalations";

/// A topic of the local stack, by name.
pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{name}")
}

/// Who [`PROFILE`]'s credentials are: moto names unknown keys this user.
pub const OPERATOR: &str = "arn:aws:sts::123456789012:user/moto";

/// The people of the local stack: IAM users in moto, each with access keys
/// and an AWS profile of their own (see [`person_profile`]), which `cargo
/// xtask local up` creates. Tests decide and ask as them, so the workflow
/// verifies real principals.
pub const PEOPLE: [&str; 31] = [
    "alice",
    "bob",
    "carol",
    "dave",
    "erin",
    "ops",
    "cleanup",
    "alice@example.com",
    "bob@example.com",
    "carol@example.com",
    "hitl-bench-approver",
    "racer-00",
    "racer-01",
    "racer-02",
    "racer-03",
    "racer-04",
    "racer-05",
    "racer-06",
    "racer-07",
    "racer-08",
    "racer-09",
    "racer-10",
    "racer-11",
    "racer-12",
    "racer-13",
    "racer-14",
    "racer-15",
    "racer-16",
    "racer-17",
    "racer-18",
    "racer-19",
];

/// The AWS profile of one of [`PEOPLE`].
pub fn person_profile(person: &str) -> String {
    format!("{PROFILE}-{person}")
}

/// The principal STS reports for one of [`PEOPLE`]: what the workflow
/// records as the requester or decider.
pub fn principal(person: &str) -> String {
    format!("arn:aws:iam::{ACCOUNT}:user/{person}")
}

/// An AWS config file of its own: the local stack's (whose `services`
/// section points every client at the local endpoints, and which holds each
/// person's profile with their IAM user's keys), plus one profile per role a
/// person assumes from their own.
pub struct RoleProfiles {
    file: PathBuf,
}

impl RoleProfiles {
    /// Creates the roles in moto, with boto3 (the local stack's Python SDK),
    /// and writes the profiles that assume them. The people are the local
    /// stack's, whose users and keys `cargo xtask local up` created.
    pub fn create(people: &[&str], roles: &[&str]) -> Self {
        assert!(people.iter().all(|p| PEOPLE.contains(p)), "{people:?}");
        let ports = local_ports();
        let moto = format!("http://127.0.0.1:{}", ports["moto"]);
        let script = r#"
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "sts:AssumeRole"}]})
for role in sys.argv[2].split(","):
    try:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
    except iam.exceptions.EntityAlreadyExistsException:
        pass
"#;
        let python = repo().join(".local-stack/venv/bin/python");
        let output = Command::new(&python)
            .args(["-c", script, &moto, &roles.join(",")])
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", python.display()));
        assert!(
            output.status.success(),
            "creating IAM roles: {}",
            String::from_utf8_lossy(&output.stderr)
        );

        let local = std::env::var_os("AWS_CONFIG_FILE")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".aws/config"))
            })
            .expect("the local stack's AWS config file");
        let mut text = std::fs::read_to_string(&local)
            .unwrap_or_else(|e| panic!("reading {}: {e}", local.display()));
        text.push('\n');
        for person in people {
            let source = person_profile(person);
            for role in roles {
                text.push_str(&format!(
                    "[profile {person}-{role}]\nregion = us-east-1\n\
                     role_arn = arn:aws:iam::{ACCOUNT}:role/{role}\nsource_profile = {source}\n\
                     services = {PROFILE}\n\n"
                ));
            }
        }
        let file = std::env::temp_dir().join(format!("{}.config", unique_id("hitl-identity")));
        std::fs::write(&file, text).expect("writing the AWS config");
        Self { file }
    }

    /// The config file: point `AWS_CONFIG_FILE` at it.
    pub fn config_file(&self) -> &Path {
        &self.file
    }

    /// `hitl ARGS` as `profile` (only this file's profiles, no others).
    pub fn hitl(&self, profile: &str, args: &[&str]) -> Run {
        hitl_command(args)
            .env("AWS_CONFIG_FILE", &self.file)
            .env(
                "AWS_SHARED_CREDENTIALS_FILE",
                self.file.with_extension("none"),
            )
            .env("AWS_PROFILE", profile)
            .output()
            .expect("hitl runs")
            .into()
    }
}

impl Drop for RoleProfiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.file);
    }
}

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests folder sits in the repository")
}

/// `command` (a `cargo` run) free of the variables cargo sets for the
/// running package (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...): build
/// scripts such as ring's watch them, and inheriting them would rebuild the
/// AWS SDK for every nested build.
pub fn clean_cargo_env(command: &mut Command) -> &mut Command {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || matches!(
                key,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(key);
        }
    }
    command
}

fn cargo() -> Command {
    let mut command = Command::new(env!("CARGO"));
    command.current_dir(repo());
    clean_cargo_env(&mut command);
    command
}

/// `command` (`hitl`, or any AWS client) configured by `profile` alone:
/// none of the caller's own AWS or hitl settings (region, keys, endpoints,
/// stack, output format) reach it, as they would not a new user's shell.
pub fn through_profile<'a>(command: &'a mut Command, profile: &str) -> &'a mut Command {
    command.env("AWS_PROFILE", profile);
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("AWS_ENDPOINT_URL")
            || matches!(
                key,
                "AWS_REGION"
                    | "AWS_DEFAULT_REGION"
                    | "AWS_ACCESS_KEY_ID"
                    | "AWS_SECRET_ACCESS_KEY"
                    | "AWS_SESSION_TOKEN"
                    | "HITL_STACK"
                    | "HITL_OUTPUT"
            )
        {
            command.env_remove(key);
        }
    }
    command
}

/// Brings the local stack up once per test binary (at once if it runs).
pub fn local_stack() {
    static UP: OnceLock<()> = OnceLock::new();
    UP.get_or_init(|| {
        let up = cargo()
            .args(["run", "--quiet", "--bin", "xtask", "--", "local", "up"])
            .status()
            .expect("cargo runs");
        assert!(
            up.success(),
            "the local stack did not come up (see .local-stack/run/*.log)"
        );
    });
}

/// Runs `cargo xtask local ARGS` (e.g. `kill dynamodb`, `start dynamodb`)
/// and fails the test if it fails.
#[track_caller]
pub fn local_task(args: &[&str]) {
    // Up first: `local up` restarts a stack that is partly down.
    hitl_binary();
    let status = cargo()
        .args(["run", "--quiet", "--bin", "xtask", "--", "local"])
        .args(args)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "cargo xtask local {args:?} failed");
}

/// The `hitl` binary, built once, with the local stack running.
pub fn hitl_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        local_stack();
        let built = cargo()
            .args(["build", "--quiet", "--bin", "hitl"])
            .status()
            .expect("cargo runs");
        assert!(built.success(), "building hitl failed");
        target_dir().join("debug/hitl")
    })
}

/// The workspace's target directory (screenshots and other artifacts go there too).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target"))
}

/// What one `hitl` run did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:?}"))
    }

    /// Stdout as JSON lines (`--output jsonl`, `tail-logs`).
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))
            })
            .collect()
    }

    #[track_caller]
    pub fn ok(self) -> Self {
        assert_eq!(self.code, 0, "hitl failed: {self:?}");
        self
    }
}

impl From<Output> for Run {
    fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Where this test process's `hitl` runs cache the stack's outputs: its
/// own directory, so no run reads an entry left by an earlier local stack.
pub fn cache_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("hitl-e2e-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    })
}

/// Runs `hitl` against the local stack through its AWS profile, nothing else.
pub fn hitl(args: &[&str]) -> Run {
    hitl_command(args).output().expect("hitl runs").into()
}

/// Runs `hitl` as `person` (one of [`PEOPLE`]), through their own profile.
pub fn hitl_as(person: &str, args: &[&str]) -> Run {
    hitl_command_as(person, args)
        .output()
        .expect("hitl runs")
        .into()
}

/// `hitl ARGS` as [`hitl`] runs it, to add to (environment, stdin).
pub fn hitl_command(args: &[&str]) -> Command {
    hitl_command_with(PROFILE, args)
}

/// `hitl ARGS` as `person` runs it.
pub fn hitl_command_as(person: &str, args: &[&str]) -> Command {
    assert!(
        PEOPLE.contains(&person),
        "`{person}` is not one of the local stack's PEOPLE"
    );
    hitl_command_with(&person_profile(person), args)
}

fn hitl_command_with(profile: &str, args: &[&str]) -> Command {
    let mut command = Command::new(hitl_binary());
    through_profile(&mut command, profile)
        .args(args)
        .env("HITL_CACHE_DIR", cache_dir());
    command
}

/// A fresh approval id, unique across test runs on one stack.
pub fn unique_id(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{prefix}-{}-{}", std::process::id(), nanos % 1_000_000_000)
}

/// `text` percent-encoded for a URL path segment or a `data:` URL (every
/// byte but RFC 3986's unreserved ones).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// How long a test waits for the local stack to do something before it
/// fails: generous, since a loaded 2-core machine is slow, and a passing
/// test never waits it out.
pub const PATIENCE: Duration = Duration::from_secs(90);

/// Asks `check` every `every` until it answers `Ok`, for up to `within`;
/// then gives its last answer, `Err`. The one way the tests, the demo and
/// the benchmarks wait for the stack ([`eventually`] when not getting there
/// fails the test).
pub fn poll<T, E>(
    within: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let deadline = Instant::now() + within;
    loop {
        match check() {
            Err(_) if Instant::now() < deadline => std::thread::sleep(every),
            answer => return answer,
        }
    }
}

/// [`poll`] for checks that are futures.
pub async fn poll_async<T, E, F>(
    within: Duration,
    every: Duration,
    mut check: impl FnMut() -> F,
) -> Result<T, E>
where
    F: std::future::Future<Output = Result<T, E>>,
{
    let deadline = Instant::now() + within;
    loop {
        match check().await {
            Err(_) if Instant::now() < deadline => tokio::time::sleep(every).await,
            answer => return answer,
        }
    }
}

/// [`poll`], failing the test if `check` never answers `Ok`: the message
/// says what did not happen and the last answer.
#[track_caller]
pub fn eventually<T, E: std::fmt::Debug>(
    what: &str,
    within: Duration,
    every: Duration,
    check: impl FnMut() -> Result<T, E>,
) -> T {
    match poll(within, every, check) {
        Ok(found) => found,
        Err(last) => panic!("{what} did not happen within {within:?}; last: {last:?}"),
    }
}

/// [`eventually`] for checks that are futures.
pub async fn eventually_async<T, E: std::fmt::Debug, F>(
    what: &str,
    within: Duration,
    every: Duration,
    check: impl FnMut() -> F,
) -> T
where
    F: std::future::Future<Output = Result<T, E>>,
{
    poll_async(within, every, check)
        .await
        .unwrap_or_else(|last| panic!("{what} did not happen within {within:?}; last: {last:?}"))
}

/// The log lines `hitl tail-logs` finds about request `id` from the last
/// five minutes, of `function` (`workflow`, `api`, `submit` or `all`).
pub fn log_lines(id: &str, function: &str) -> Vec<Value> {
    hitl(&[
        "tail-logs",
        "--approval",
        id,
        "--function",
        function,
        "--since",
        "5m",
        "--output",
        "json",
    ])
    .ok()
    .json_lines()
}

/// Waits until one of [`log_lines`] says `text` (the local stack ships
/// lines to its log groups within a moment); returns them all.
#[track_caller]
pub fn wait_for_log_line(id: &str, function: &str, text: &str) -> Vec<Value> {
    eventually(
        &format!("a {function} log line about {id} saying `{text}`"),
        PATIENCE,
        Duration::from_millis(250),
        || {
            let lines = log_lines(id, function);
            let said = lines
                .iter()
                .any(|l| l["message"].as_str().is_some_and(|m| m.contains(text)));
            if said {
                Ok(lines)
            } else {
                Err(lines)
            }
        },
    )
}

/// Polls `hitl show ID --output json` until `done` holds; returns that JSON.
#[track_caller]
pub fn wait_for_show(id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let what = format!("request {id} reaching {what}");
    eventually(&what, PATIENCE, Duration::from_millis(200), || {
        let run = hitl(&["show", id, "--output", "json"]);
        match run.code {
            0 if done(&run.json()) => Ok(run.json()),
            _ => Err(run),
        }
    })
}

/// The execution's history as `hitl history ID --output jsonl` prints it:
/// one event a line.
pub fn history_events(id: &str) -> Vec<Value> {
    hitl(&["history", id, "--output", "jsonl"])
        .ok()
        .json_lines()
}

/// The history's events in which the decision callback completed
/// (`CallbackSucceeded` for an approval, `CallbackFailed` for a
/// rejection): one for each decision the workflow received.
pub fn decisions_received(id: &str) -> Vec<Value> {
    history_events(id)
        .into_iter()
        .filter(|e| {
            e["name"] == "decision"
                && matches!(
                    e["event"].as_str(),
                    Some("CallbackSucceeded" | "CallbackFailed")
                )
        })
        .collect()
}

/// Every request beside its durable execution, as `hitl list --executions
/// --status all --output jsonl` cross-checks them: one row each.
pub fn executions_checked() -> Vec<Value> {
    hitl(&[
        "list",
        "--executions",
        "--status",
        "all",
        "--output",
        "jsonl",
    ])
    .ok()
    .json_lines()
}

/// Submits a request and waits until the workflow has recorded it and
/// created its callback, so it can be decided. The requester is
/// `alice@example.com`, or whoever `--requester` names among [`PEOPLE`]
/// (submitting through their profile); any other `--requester` is kept as
/// the name the request is made on behalf of.
pub fn submit_and_wait(id: &str, extra: &[&str]) -> Value {
    let named = extra
        .iter()
        .position(|a| *a == "--requester")
        .and_then(|i| extra.get(i + 1))
        .filter(|name| PEOPLE.contains(name));
    let requester = named.copied().unwrap_or("alice@example.com");
    let mut args = vec!["submit", "--id", id, "--output", "json"];
    let mut rest = extra.iter();
    while let Some(arg) = rest.next() {
        if *arg == "--requester" && named.is_some() {
            rest.next();
        } else {
            args.push(arg);
        }
    }
    if !extra.contains(&"--title") {
        args.extend_from_slice(&["--title", "Deploy payments-api 1.4.2"]);
    }
    let submitted = hitl_as(requester, &args).ok().json();
    assert_eq!(submitted["approval_id"], id);
    assert_eq!(submitted["outcome"], "submitted");
    wait_for_show(id, "PENDING with a callback", |v| {
        v["record"]["status"] == "PENDING" && v["record"]["callback_id"].is_string()
    })
}

/// SDK clients for the local stack, configured by the same profile; the
/// stack is brought up first.
pub async fn sdk_config() -> aws_config::SdkConfig {
    tokio::task::spawn_blocking(local_stack)
        .await
        .expect("the stack comes up");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .profile_name(PROFILE)
        .load()
        .await
}

/// The running local stack's ports, as `cargo xtask local up` recorded them.
pub fn local_ports() -> Value {
    local_stack();
    let path = repo().join(".local-stack/run/ports.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).expect("ports.json is JSON")
}

/// `hitl history ID --audit --output json`.
pub fn audit_trail(id: &str) -> AuditTrail {
    AuditTrail(
        hitl(&["history", id, "--audit", "--output", "json"])
            .ok()
            .json(),
    )
}

/// A request's audit trail as `hitl history --audit` exports it.
pub struct AuditTrail(pub Value);

impl AuditTrail {
    /// Each step's (what, by, channel), empty where a step has none.
    pub fn steps(&self) -> Vec<(&str, &str, &str)> {
        self.0
            .as_array()
            .expect("the audit trail is a list of steps")
            .iter()
            .map(|step| {
                let text = |key: &str| step[key].as_str().unwrap_or("");
                (text("what"), text("by"), text("channel"))
            })
            .collect()
    }
}

impl std::fmt::Display for AuditTrail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Writes a report line straight to stderr, past the test harness's output
/// capture, so CI logs show what a suite checked even when it passes.
pub fn report(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// What approvers receive for one request: a queue subscribed to the
/// notification topic with a filter policy on the request's id, as an
/// approver's email would be (without the other requests' messages).
pub struct Inbox {
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

/// One notification, as SNS delivered it.
#[derive(Debug, Clone)]
pub struct Notification {
    pub subject: String,
    pub body: String,
    /// Its message attributes' string values.
    pub attributes: std::collections::BTreeMap<String, String>,
}

impl Notification {
    /// The URL on the line that starts with `label` (`Approve:`, `Reject:`).
    pub fn link(&self, label: &str) -> Option<String> {
        self.body
            .lines()
            .find_map(|line| line.strip_prefix(label))
            .map(|rest| rest.trim().to_owned())
    }
}

impl Inbox {
    /// Subscribes a fresh queue to the notifications about `approval_id`.
    pub async fn open(config: &aws_config::SdkConfig, approval_id: &str) -> Result<Self, String> {
        Self::open_filtered(config, "approval_id", approval_id).await
    }

    /// Subscribes a fresh queue to the notifications about `approval_id`
    /// for `approver`, as their email subscription is filtered (README,
    /// "Notifications"): their own, and those for everyone.
    pub async fn for_approver(
        config: &aws_config::SdkConfig,
        approval_id: &str,
        approver: &str,
    ) -> Result<Self, String> {
        let filter = serde_json::json!({
            "approval_id": [approval_id],
            "approver": [approver, "everyone"],
        });
        Self::subscribe(config, &format!("{approval_id}-{approver}"), filter).await
    }

    /// Subscribes a fresh queue to the notifications whose message
    /// attribute `attribute` (`approval_id`, `approver`) is `value`.
    pub async fn open_filtered(
        config: &aws_config::SdkConfig,
        attribute: &str,
        value: &str,
    ) -> Result<Self, String> {
        Self::subscribe(config, value, serde_json::json!({ attribute: [value] })).await
    }

    /// Subscribes a fresh queue named after `name` to the notification
    /// topic with `filter` as its subscription's filter policy.
    pub async fn subscribe(
        config: &aws_config::SdkConfig,
        name: &str,
        filter: Value,
    ) -> Result<Self, String> {
        Self::subscribe_to(config, &topic_arn(NOTIFICATION_TOPIC), name, filter).await
    }

    /// Subscribes a fresh queue named after `name` to `topic`, with
    /// `filter` as its subscription's filter policy.
    pub async fn subscribe_to(
        config: &aws_config::SdkConfig,
        topic: &str,
        name: &str,
        filter: Value,
    ) -> Result<Self, String> {
        let (sqs, queue_url, queue_arn) = queue(config, &format!("inbox-{name}")).await?;
        let filter = filter.to_string();
        aws_sdk_sns::Client::new(config)
            .subscribe()
            .topic_arn(topic)
            .protocol("sqs")
            .endpoint(queue_arn)
            .attributes("FilterPolicy", filter)
            .send()
            .await
            .map_err(|e| format!("subscribing queue {name}: {e:?}"))?;
        Ok(Self { sqs, queue_url })
    }

    /// A fresh queue that an EventBridge rule on the local stack's bus
    /// fills with hitl's `Approval Decided` events about `approval_id`, as
    /// a consumer's rule would (README, "Events").
    pub async fn events(config: &aws_config::SdkConfig, approval_id: &str) -> Result<Self, String> {
        let (sqs, queue_url, queue_arn) = queue(config, &format!("events-{approval_id}")).await?;
        let events = aws_sdk_eventbridge::Client::new(config);
        let rule: String = format!("events-{approval_id}").chars().take(64).collect();
        let pattern = serde_json::json!({
            "source": ["hitl"],
            "detail-type": ["Approval Decided"],
            "detail": {"approval_id": [approval_id]},
        });
        events
            .put_rule()
            .name(&rule)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .map_err(|e| format!("creating rule {rule}: {e:?}"))?;
        events
            .put_targets()
            .rule(&rule)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("queue")
                    .arn(queue_arn)
                    .build()
                    .map_err(|e| e.to_string())?,
            )
            .send()
            .await
            .map_err(|e| format!("targeting rule {rule}: {e:?}"))?;
        Ok(Self { sqs, queue_url })
    }

    /// The next notification, waiting up to `timeout`.
    pub async fn next(&self, timeout: Duration) -> Result<Notification, String> {
        // SNS wraps the message in a JSON envelope with its subject.
        let envelope = self.next_message(timeout).await?;
        let attributes = envelope["MessageAttributes"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(name, value)| Some((name.clone(), value["Value"].as_str()?.to_owned())))
            .collect();
        Ok(Notification {
            subject: envelope["Subject"].as_str().unwrap_or_default().to_owned(),
            body: envelope["Message"].as_str().unwrap_or_default().to_owned(),
            attributes,
        })
    }

    /// The next message's body as JSON (an SNS envelope, or an EventBridge
    /// event), waiting up to `timeout`.
    pub async fn next_message(&self, timeout: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let out = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(1)
                .wait_time_seconds(1)
                .send()
                .await
                .map_err(|e| format!("receiving from {}: {e:?}", self.queue_url))?;
            if let Some(message) = out.messages().first() {
                if let Some(handle) = message.receipt_handle() {
                    self.sqs
                        .delete_message()
                        .queue_url(&self.queue_url)
                        .receipt_handle(handle)
                        .send()
                        .await
                        .map_err(|e| format!("deleting a message: {e:?}"))?;
                }
                return serde_json::from_str(message.body().unwrap_or_default())
                    .map_err(|e| format!("the queued message is not JSON: {e}"));
            }
        }
        Err(format!("no message within {timeout:?}"))
    }
}

/// A fresh SQS queue named after `name`: its client, URL and ARN.
async fn queue(
    config: &aws_config::SdkConfig,
    name: &str,
) -> Result<(aws_sdk_sqs::Client, String, String), String> {
    let sqs = aws_sdk_sqs::Client::new(config);
    // Queue names: letters, digits, `-` and `_`, at most 80.
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let queue_url = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .map_err(|e| format!("creating queue {name}: {e:?}"))?
        .queue_url
        .ok_or("the new queue has no URL")?;
    let arn = format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}");
    Ok((sqs, queue_url, arn))
}

/// Publishes a version of the workflow function, as `hitl submit` does;
/// returns its number.
pub async fn publish_workflow(lambda: &aws_sdk_lambda::Client) -> String {
    lambda
        .publish_version()
        .function_name("approval-workflow")
        .send()
        .await
        .unwrap()
        .version
        .unwrap()
}

/// Starts the workflow directly, as any Lambda client can (without `hitl`'s
/// checks), on a freshly published version; returns the execution's ARN.
pub async fn start_raw(payload: serde_json::Value, id: &str) -> (aws_sdk_lambda::Client, String) {
    let config = sdk_config().await;
    let lambda = aws_sdk_lambda::Client::new(&config);
    let version = publish_workflow(&lambda).await;
    let invoked = lambda
        .invoke()
        .function_name("approval-workflow")
        .qualifier(version)
        .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
        .durable_execution_name(id)
        .payload(aws_smithy_types::Blob::new(payload.to_string()))
        .send()
        .await
        .unwrap();
    (lambda, invoked.durable_execution_arn.unwrap())
}

/// Waits for the execution to end FAILED; returns its error type and message.
pub async fn failure_of(lambda: &aws_sdk_lambda::Client, arn: &str) -> (String, String) {
    let what = format!("execution {arn} ending");
    let execution = eventually_async(&what, PATIENCE, Duration::from_millis(200), || async {
        let execution = lambda
            .get_durable_execution()
            .durable_execution_arn(arn)
            .send()
            .await
            .unwrap();
        match execution.status() {
            aws_sdk_lambda::types::ExecutionStatus::Running => Err(execution),
            _ => Ok(execution),
        }
    })
    .await;
    assert_eq!(
        execution.status(),
        &aws_sdk_lambda::types::ExecutionStatus::Failed,
        "{execution:?}"
    );
    let error = execution.error().unwrap();
    (
        error.error_type().unwrap_or_default().to_owned(),
        error.error_message().unwrap_or_default().to_owned(),
    )
}

/// Fails the test if the approvals table holds a record for `id`.
pub async fn assert_no_record(id: &str) {
    let config = sdk_config().await;
    let item = aws_sdk_dynamodb::Client::new(&config)
        .get_item()
        .table_name(TABLE)
        .key(
            "approval_id",
            aws_sdk_dynamodb::types::AttributeValue::S(id.to_owned()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert!(
        item.item.is_none(),
        "bad input must write nothing, found {:?}",
        item.item
    );
}
