//! The local stack: real emulators standing in for AWS on one machine.
//!
//! | AWS                          | here                                   |
//! |------------------------------|----------------------------------------|
//! | DynamoDB                     | DynamoDB Local                         |
//! | Lambda durable execution API | `dex-local-runner` (AWS's emulator)    |
//! | Lambda runtime for our code  | `cargo lambda watch`                   |
//! | Lambda Invoke/PublishVersion | the front door ([`front_door`])        |
//! | CloudFormation, Logs, STS    | `moto_server`                          |
//! | (Python SDK conformance twins)| `python_workflows.py` for differential tests |

pub mod faults;
pub mod front_door;
pub mod logs;
pub mod ports;
pub mod process;
pub mod provision;

use std::process::Command;
use std::time::Duration;

use anyhow::Context;
use aws_config::{BehaviorVersion, Region};

use crate::paths::{clean_cargo_env, Paths};
use crate::setup;
use ports::Ports;
use process::{answers, wait_until, Service};
use provision::{Template, ACCOUNT, REGION};

/// Every service, in start order; stopped in reverse.
const SERVICES: [&str; 7] = [
    "dynamodb",
    "moto",
    "functions",
    "python-functions",
    "emulator",
    "front-door",
    "log-forwarder",
];

pub fn ports_file(paths: &Paths) -> std::path::PathBuf {
    paths.run.join("ports.json")
}

/// The people's access keys and secrets, for the front door to check
/// signatures made with them (only the owner may read it).
pub fn people_file(paths: &Paths) -> std::path::PathBuf {
    paths.run.join("people.json")
}

/// Environment every emulator and function gets: a region and dummy
/// credentials, so nothing ever reaches for real AWS ones.
fn local_env(command: &mut Command) -> &mut Command {
    command
        .env("AWS_REGION", REGION)
        .env("AWS_DEFAULT_REGION", REGION)
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
}

pub async fn up(paths: &Paths, base_port: u16) -> anyhow::Result<Ports> {
    paths.ensure_dirs()?;
    setup::ensure_all(paths)?;
    if let Ok(ports) = Ports::load(&ports_file(paths)) {
        if SERVICES
            .iter()
            .all(|name| Service::new(&paths.run, name).is_running())
        {
            eprintln!("The local stack is already running.");
            provision_all(paths, &ports).await?;
            return Ok(ports);
        }
        eprintln!("Cleaning up a local stack that is partly down...");
        down(paths)?;
    }
    let ports = Ports::from_base(base_port);
    ports.check_free()?;
    // A fresh stack starts fresh logs and data (services append their
    // logs and keep their data, to survive restarts).
    for name in SERVICES {
        std::fs::remove_file(Service::new(&paths.run, name).log_path()).ok();
        std::fs::remove_dir_all(data_dir(paths, name)).ok();
    }

    // Built exactly as `cargo lambda watch` will run it (`--bin`, whole
    // workspace features), so its first invocation finds it built.
    eprintln!("Building the functions...");
    let status = clean_cargo_env(&mut Command::new(env!("CARGO")))
        .args([
            "build",
            "--quiet",
            "--bin",
            provision::WORKFLOW_FUNCTION,
            "--bin",
            provision::API_FUNCTION,
            "--bin",
            provision::SUBMIT_FUNCTION,
            "--bin",
            provision::OFFICIAL_WORKFLOW_FUNCTION,
            "--bin",
            "durable-conformance",
            "--bin",
            "durable-conformance-official",
        ])
        .current_dir(&paths.repo)
        .status()
        .context("running cargo build")?;
    anyhow::ensure!(status.success(), "building the functions failed");

    ports.save(&ports_file(paths))?;
    let started = start_all(paths, &ports).await;
    if let Err(err) = started {
        down(paths).ok();
        return Err(err);
    }
    provision_all(paths, &ports).await?;
    Ok(ports)
}

async fn start_all(paths: &Paths, ports: &Ports) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let url = |port: u16, path: &str| format!("http://127.0.0.1:{port}{path}");
    let self_exe = std::env::current_exe().context("finding the xtask binary")?;

    eprintln!("Starting DynamoDB Local on port {}...", ports.dynamodb);
    let dynamodb = start_dynamodb(paths, ports)?;

    eprintln!("Starting moto_server on port {}...", ports.moto);
    let moto = Service::new(&paths.run, "moto");
    moto.start(local_env(
        Command::new(paths.venv_bin("moto_server")).args([
            "-H",
            "127.0.0.1",
            "-p",
            &ports.moto.to_string(),
        ]),
    ))?;

    eprintln!("Starting cargo lambda watch on port {}...", ports.functions);
    let functions = start_functions(paths, ports, &[])?;

    eprintln!(
        "Starting the Python conformance functions on port {}...",
        ports.python_functions
    );
    let python_functions = Service::new(&paths.run, "python-functions");
    python_functions.start(local_env(
        Command::new(paths.venv_bin("python"))
            .arg(
                paths
                    .repo
                    .join("lambdas/durable-conformance/python_workflows.py"),
            )
            .args(["--port", &ports.python_functions.to_string()])
            .envs(function_env(ports)),
    ))?;

    eprintln!(
        "Starting the durable execution emulator on port {}...",
        ports.emulator
    );
    let emulator = start_emulator(paths, ports)?;

    eprintln!(
        "Starting the Lambda front door on port {}...",
        ports.front_door
    );
    let door = Service::new(&paths.run, "front-door");
    door.start(
        Command::new(&self_exe)
            .args(["local", "front-door"])
            .args(["--port", &ports.front_door.to_string()])
            .args(["--emulator-port", &ports.emulator.to_string()])
            .args(["--functions-port", &ports.functions.to_string()])
            .args([
                "--python-functions-port",
                &ports.python_functions.to_string(),
            ])
            .args(["--moto-port", &ports.moto.to_string()])
            .args(["--workflow-binary", provision::workflow_binary()?])
            .arg("--people-file")
            .arg(people_file(paths)),
    )?;

    let forwarder = Service::new(&paths.run, "log-forwarder");
    forwarder.start(local_env(
        Command::new(&self_exe)
            .args([
                "local",
                "forward-logs",
                "--moto-port",
                &ports.moto.to_string(),
            ])
            .arg("--source")
            .arg(functions.log_path()),
    ))?;

    let minute = Duration::from_secs(60);
    wait_until(&dynamodb, minute, || {
        answers(http.clone(), url(ports.dynamodb, "/"))
    })
    .await?;
    wait_until(&moto, minute, || {
        answers(http.clone(), url(ports.moto, "/moto-api/"))
    })
    .await?;
    wait_until(&emulator, minute, || {
        answers(http.clone(), url(ports.emulator, "/health"))
    })
    .await?;
    wait_until(&functions, minute, || {
        answers(http.clone(), url(ports.functions, "/"))
    })
    .await?;
    wait_until(&python_functions, minute, || {
        answers(http.clone(), url(ports.python_functions, "/"))
    })
    .await?;
    wait_until(&door, minute, || {
        answers(http.clone(), url(ports.front_door, "/health"))
    })
    .await?;
    Ok(())
}

/// Where DynamoDB Local and the emulator keep their data, so that either
/// can be killed and restarted (as the fault tests do) without losing the
/// tables or executions, as AWS would not. A fresh stack starts empty.
fn data_dir(paths: &Paths, service: &str) -> std::path::PathBuf {
    paths.run.join(format!("{service}-data"))
}

fn start_dynamodb(paths: &Paths, ports: &Ports) -> anyhow::Result<Service> {
    let jar = setup::dynamodb_jar(paths)?;
    let jar_dir = jar.parent().context("DynamoDB Local jar has no folder")?;
    let data = data_dir(paths, "dynamodb");
    std::fs::create_dir_all(&data)?;
    let dynamodb = Service::new(&paths.run, "dynamodb");
    dynamodb.start(
        Command::new("java")
            .arg(format!(
                "-Djava.library.path={}",
                jar_dir.join("DynamoDBLocal_lib").display()
            ))
            .arg("-jar")
            .arg(&jar)
            .arg("-dbPath")
            .arg(&data)
            .args([
                "-sharedDb",
                "-disableTelemetry",
                "-port",
                &ports.dynamodb.to_string(),
            ])
            .current_dir(jar_dir),
    )?;
    Ok(dynamodb)
}

fn start_emulator(paths: &Paths, ports: &Ports) -> anyhow::Result<Service> {
    let front = format!("http://127.0.0.1:{}", ports.front_door);
    let emulator = Service::new(&paths.run, "emulator");
    emulator.start(local_env(
        Command::new(paths.venv_bin("dex-local-runner"))
            .args([
                "start-server",
                "--host",
                "127.0.0.1",
                "--port",
                &ports.emulator.to_string(),
            ])
            .args(["--lambda-endpoint", &front, "--local-runner-region", REGION])
            .args(["--function-configs", &chained_invoke_targets()])
            .args(["--store-type", "filesystem", "--store-path"])
            .arg(data_dir(paths, "emulator")),
    ))?;
    Ok(emulator)
}

/// The durable functions a workflow may call with a chained invoke
/// (`context.invoke`), in Lambda's configuration shape: the emulator fails
/// every chained invoke of a function it was not told of.
fn chained_invoke_targets() -> String {
    let durable = serde_json::json!({
        "DurableConfig": { "ExecutionTimeout": 3600, "RetentionPeriodInDays": 7 }
    });
    let targets: serde_json::Map<String, serde_json::Value> = [
        provision::WORKFLOW_FUNCTION,
        provision::OFFICIAL_WORKFLOW_FUNCTION,
        front_door::PYTHON_CONFORMANCE,
        "durable-conformance",
        "durable-conformance-official",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), durable.clone()))
    .collect();
    serde_json::Value::Object(targets).to_string()
}

/// Kills a service outright (SIGKILL, no clean shutdown), as a crash would.
pub fn kill(paths: &Paths, name: &str) -> anyhow::Result<()> {
    let name = service_name(name)?;
    Service::new(&paths.run, name).kill();
    Ok(())
}

/// Starts one stopped service of the running stack again, with the same
/// ports and data, and waits until it answers.
pub async fn start(paths: &Paths, name: &str) -> anyhow::Result<()> {
    let name = service_name(name)?;
    let ports = Ports::load(&ports_file(paths)).context("the local stack is not up")?;
    anyhow::ensure!(
        !Service::new(&paths.run, name).is_running(),
        "{name} is already running"
    );
    let http = reqwest::Client::new();
    let (service, port, path) = match name {
        "dynamodb" => (start_dynamodb(paths, &ports)?, ports.dynamodb, "/"),
        "emulator" => (start_emulator(paths, &ports)?, ports.emulator, "/health"),
        "functions" => (start_functions(paths, &ports, &[])?, ports.functions, "/"),
        other => anyhow::bail!("`{other}` cannot be started on its own"),
    };
    let url = format!("http://127.0.0.1:{port}{path}");
    wait_until(&service, Duration::from_secs(60), || {
        answers(http.clone(), url.clone())
    })
    .await
}

fn service_name(name: &str) -> anyhow::Result<&'static str> {
    SERVICES.into_iter().find(|s| *s == name).with_context(|| {
        format!(
            "no service `{name}`; the services are {}",
            SERVICES.join(", ")
        )
    })
}

/// Starts `cargo lambda watch` serving the workspace's functions, with
/// [`function_env`] and `overrides` of it.
fn start_functions(
    paths: &Paths,
    ports: &Ports,
    overrides: &[(&str, String)],
) -> anyhow::Result<Service> {
    let functions = Service::new(&paths.run, "functions");
    let mut watch = Command::new(paths.venv_bin("cargo-lambda"));
    watch
        .args([
            "lambda",
            "watch",
            "--ignore-changes",
            "--invoke-address",
            "127.0.0.1",
        ])
        .args(["--invoke-port", &ports.functions.to_string()])
        .current_dir(&paths.repo);
    // A file, not `--env-var`, which splits its value at commas (the
    // reminder schedule holds them).
    let mut env_file = String::new();
    for (key, value) in function_env(ports) {
        let value = overrides
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(value, |(_, v)| v.clone());
        env_file.push_str(&format!("{key}={value}\n"));
    }
    let env_path = paths.run.join("functions.env");
    std::fs::write(&env_path, env_file)
        .with_context(|| format!("writing {}", env_path.display()))?;
    watch.arg("--env-file").arg(&env_path);
    functions.start(clean_cargo_env(local_env(&mut watch)))?;
    Ok(functions)
}

/// Restarts `cargo lambda watch`, as Lambda starts a new sandbox after a
/// crash: it does not start a new instance of a function whose process died.
pub async fn restart_functions(paths: &Paths) -> anyhow::Result<()> {
    restart_functions_with(paths, &[]).await
}

/// Restarts `cargo lambda watch` with some of the functions' environment
/// replaced (the benchmark points their DynamoDB endpoint at a counting
/// proxy this way, then restarts them with none).
pub async fn restart_functions_with(
    paths: &Paths,
    overrides: &[(&str, String)],
) -> anyhow::Result<()> {
    let ports = Ports::load(&ports_file(paths))?;
    Service::new(&paths.run, "functions").stop();
    let functions = start_functions(paths, &ports, overrides)?;
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{}/", ports.functions);
    wait_until(&functions, Duration::from_secs(60), || {
        answers(http.clone(), url.clone())
    })
    .await
}

/// What the functions see: their configuration (as template.yaml sets it)
/// and the local endpoints.
pub fn function_env(ports: &Ports) -> Vec<(&'static str, String)> {
    use hitl_contract::outputs::env;
    vec![
        (env::APPROVALS_TABLE, provision::TABLE.to_owned()),
        (
            env::WORKFLOW_FUNCTION,
            provision::WORKFLOW_FUNCTION.to_owned(),
        ),
        (
            env::MAX_REQUEST_TIMEOUT_SECONDS,
            provision::MAX_REQUEST_TIMEOUT_SECONDS.to_owned(),
        ),
        (
            env::DEFAULT_REQUEST_TIMEOUT_SECONDS,
            provision::DEFAULT_REQUEST_TIMEOUT_SECONDS.to_owned(),
        ),
        (
            env::RECORD_RETENTION_DAYS,
            provision::RECORD_RETENTION_DAYS.to_owned(),
        ),
        (env::NOTIFICATION_TOPIC_ARN, provision::topic_arn()),
        (env::EVENT_BUS_NAME, provision::EVENT_BUS.to_owned()),
        (env::REMINDERS, provision::REMINDER_SCHEDULE.to_owned()),
        (env::ESCALATION_TOPICS, provision::escalation_topic_arn()),
        (
            env::LINKS_BASE_URL,
            provision::function_url(ports, provision::API_FUNCTION),
        ),
        (
            env::LINK_SIGNING_SECRET,
            provision::LINK_SIGNING_SECRET.to_owned(),
        ),
        (
            env::ALLOW_SELF_APPROVAL,
            provision::ALLOW_SELF_APPROVAL.to_owned(),
        ),
        (env::VERIFY_DECIDERS, provision::VERIFY_DECIDERS.to_owned()),
        (
            env::STS_ENDPOINT,
            format!("http://127.0.0.1:{}", ports.moto),
        ),
        (
            "AWS_ENDPOINT_URL_SNS",
            format!("http://127.0.0.1:{}", ports.moto),
        ),
        (
            "AWS_ENDPOINT_URL_EVENTBRIDGE",
            format!("http://127.0.0.1:{}", ports.moto),
        ),
        (
            "AWS_ENDPOINT_URL_SECRETS_MANAGER",
            format!("http://127.0.0.1:{}", ports.moto),
        ),
        (
            "AWS_ENDPOINT_URL_DYNAMODB",
            format!("http://127.0.0.1:{}", ports.dynamodb),
        ),
        (
            "AWS_ENDPOINT_URL_LAMBDA",
            format!("http://127.0.0.1:{}", ports.front_door),
        ),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ACCESS_KEY_ID", "local".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "local".to_owned()),
    ]
}

/// Clients for the emulators, configured like the profile but explicitly.
pub async fn sdk_config(endpoint: String) -> aws_config::SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local",
            "local",
            None,
            None,
            "hitl-local",
        ))
        .endpoint_url(endpoint)
        .load()
        .await
}

async fn provision_all(paths: &Paths, ports: &Ports) -> anyhow::Result<()> {
    let template = Template::load(&paths.repo.join("template.yaml"))?;
    let ddb = aws_sdk_dynamodb::Client::new(
        &sdk_config(format!("http://127.0.0.1:{}", ports.dynamodb)).await,
    );
    provision::create_table(&ddb, &template, provision::TABLE).await?;
    let moto = sdk_config(format!("http://127.0.0.1:{}", ports.moto)).await;
    provision::create_stack(
        &aws_sdk_cloudformation::Client::new(&moto),
        &template,
        ports,
    )
    .await?;
    provision::create_log_groups(&aws_sdk_cloudwatchlogs::Client::new(&moto)).await?;
    provision::create_signing_key(&aws_sdk_secretsmanager::Client::new(&moto)).await?;
    provision::create_topic(&aws_sdk_sns::Client::new(&moto)).await?;
    let config_file = provision::aws_config_file()?;
    let people = provision::create_people(paths, ports)?;
    provision::write_people(&people_file(paths), &people)?;
    provision::write_profile(&config_file, ports, &people)?;
    eprintln!(
        "Local stack ready: stack `{}` in account {ACCOUNT}, profile `{}` written to {}.",
        provision::STACK,
        provision::PROFILE,
        config_file.display()
    );
    eprintln!(
        "The submit function's IAM-authorised URL (sign with SigV4, service `lambda`): {}",
        provision::iam_function_url(ports, provision::SUBMIT_FUNCTION)
    );
    Ok(())
}

pub fn down(paths: &Paths) -> anyhow::Result<()> {
    for name in SERVICES.iter().rev() {
        Service::new(&paths.run, name).stop();
    }
    std::fs::remove_file(ports_file(paths)).ok();
    Ok(())
}

pub fn status(paths: &Paths) -> anyhow::Result<()> {
    let ports = Ports::load(&ports_file(paths)).ok();
    for name in SERVICES {
        let service = Service::new(&paths.run, name);
        let state = if service.is_running() {
            "running"
        } else {
            "stopped"
        };
        println!(
            "{name:<14} {state:<8} log: {}",
            service.log_path().display()
        );
    }
    if let Some(ports) = ports {
        for (service, port) in ports.named() {
            println!("{service:<20} 127.0.0.1:{port}");
        }
        let outputs = provision::local_outputs(&ports);
        for key in [
            hitl_contract::outputs::LINKS_BASE_URL,
            hitl_contract::outputs::SUBMIT_URL,
        ] {
            if let Some(url) = outputs.get(key) {
                println!("{key:<20} {url}");
            }
        }
    }
    Ok(())
}
