//! What the local stack holds once its emulators answer: the approvals table
//! (built from template.yaml's own definition), a CloudFormation stack whose
//! outputs carry template.yaml's keys, and the AWS profile that points at it all.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use serde_yaml::Value;

use super::ports::Ports;

/// The names the tests share are defined once, in the test harness.
pub use hitl_e2e::{ACCOUNT, ESCALATION_TOPIC, NOTIFICATION_TOPIC, PROFILE, REGION, TABLE};

pub const STACK: &str = "hitl";
/// Locally a function's name is its binary's name: that is how `cargo lambda watch` routes.
pub const WORKFLOW_FUNCTION: &str = "approval-workflow";
/// The same workflow built on AWS's official Rust SDK: the differential test
/// runs it beside ours, and `HITL_LOCAL_WORKFLOW_RUNTIME=official` makes it
/// serve the stack's workflow function, so every test judges it.
pub const OFFICIAL_WORKFLOW_FUNCTION: &str = "approval-workflow-official";

/// The binary that serves the stack's workflow function.
pub fn workflow_binary() -> anyhow::Result<&'static str> {
    match std::env::var("HITL_LOCAL_WORKFLOW_RUNTIME").as_deref() {
        Err(_) | Ok("" | "hitl-durable") => Ok(WORKFLOW_FUNCTION),
        Ok("official") => Ok(OFFICIAL_WORKFLOW_FUNCTION),
        Ok(other) => anyhow::bail!(
            "HITL_LOCAL_WORKFLOW_RUNTIME is `{other}`: use `hitl-durable` (the default) or `official`"
        ),
    }
}
pub const API_FUNCTION: &str = "approval-api";
/// The submit function: on AWS behind a function URL with `AuthType: AWS_IAM`,
/// here behind the front door's imitation of one ([`iam_function_url`]).
pub const SUBMIT_FUNCTION: &str = "submit-api";
pub const MAX_REQUEST_TIMEOUT_SECONDS: &str = "604800";
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: &str = "86400";
/// template.yaml's default `RecordRetentionDays`.
pub const RECORD_RETENTION_DAYS: &str = "365";
pub const ALLOW_SELF_APPROVAL: &str = "false";
/// template.yaml's default `VerifyDeciders`: the workflow checks every
/// decider's proof at moto's STS.
pub const VERIFY_DECIDERS: &str = "true";
/// The link signing key's secret, by name (GetSecretValue takes names too).
pub const LINK_SIGNING_SECRET: &str = "hitl-link-signing-key";
/// When approvers are reminded unless a request says (template.yaml's
/// `ReminderSchedule` default).
pub const REMINDER_SCHEDULE: &str = "50%,1h";
/// The bus the workflow announces outcomes on (template.yaml's
/// `EventBusName` default: the account's own).
pub const EVENT_BUS: &str = "default";
/// The workflow's dead-letter topic. Locally nothing publishes to it: the
/// durable execution emulator has no dead-letter queue.
pub const FAILURE_TOPIC: &str = "hitl-workflow-failures";
/// Template output: the workflow's dead-letter topic (no command reads it).
pub const FAILURE_TOPIC_OUTPUT: &str = "WorkflowFailureTopicArn";

pub fn topic_arn() -> String {
    hitl_e2e::topic_arn(NOTIFICATION_TOPIC)
}

pub fn escalation_topic_arn() -> String {
    hitl_e2e::topic_arn(ESCALATION_TOPIC)
}

pub fn failure_topic_arn() -> String {
    hitl_e2e::topic_arn(FAILURE_TOPIC)
}

/// Where cargo lambda watch serves a function's URL (with no auth, as the
/// approval page's public URL is).
pub fn function_url(ports: &Ports, function: &str) -> String {
    format!(
        "http://127.0.0.1:{}/lambda-url/{function}/",
        ports.functions
    )
}

/// Where the front door serves the URL of a function whose URL has
/// `AuthType: AWS_IAM`: it checks the caller's SigV4 signature and names
/// them to the function, as Lambda does (`front_door::function_url`).
pub fn iam_function_url(ports: &Ports, function: &str) -> String {
    format!(
        "http://127.0.0.1:{}/lambda-url/{function}/",
        ports.front_door
    )
}

/// The parsed template.yaml.
pub struct Template(Value);

impl Template {
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Self(
            serde_yaml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?,
        ))
    }

    fn table_properties(&self) -> anyhow::Result<&Value> {
        self.0
            .get("Resources")
            .and_then(|r| r.get("ApprovalsTable"))
            .and_then(|t| t.get("Properties"))
            .context("template.yaml has no Resources.ApprovalsTable.Properties")
    }

    /// template.yaml's operator policies (its `AWS::IAM::ManagedPolicy`
    /// resources), as moto's CloudFormation creates them for the local
    /// stack: the same statements, their references resolved to the local
    /// resources (no customer key, so its statements drop out).
    pub fn operator_policies(&self) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
        let resources = self
            .0
            .get("Resources")
            .and_then(Value::as_mapping)
            .context("template.yaml has no Resources")?;
        let mut policies = serde_json::Map::new();
        for (name, resource) in resources {
            if resource.get("Type").and_then(Value::as_str) != Some("AWS::IAM::ManagedPolicy") {
                continue;
            }
            let name = name.as_str().context("a resource name that is not text")?;
            let document = resource
                .get("Properties")
                .and_then(|p| p.get("PolicyDocument"))
                .with_context(|| format!("template.yaml: {name} has no PolicyDocument"))?;
            let document = local_value(document)
                .with_context(|| format!("template.yaml: resolving {name} for the local stack"))?
                .unwrap_or_default();
            policies.insert(
                name.to_owned(),
                serde_json::json!({
                    "Type": "AWS::IAM::ManagedPolicy",
                    "Properties": { "PolicyDocument": document },
                }),
            );
        }
        Ok(policies)
    }

    /// The resource an output is a `!Ref` of (`RequesterPolicyArn` is
    /// `!Ref RequesterPolicy`), if it is one.
    pub fn output_ref(&self, key: &str) -> Option<&str> {
        match self.0.get("Outputs")?.get(key)?.get("Value")? {
            Value::Tagged(tagged) if tagged.tag == "Ref" => tagged.value.as_str(),
            _ => None,
        }
    }

    /// The output keys template.yaml declares.
    pub fn output_keys(&self) -> anyhow::Result<Vec<String>> {
        self.keys("Outputs")
    }

    /// The parameters template.yaml declares.
    #[cfg(test)]
    pub fn parameter_keys(&self) -> anyhow::Result<Vec<String>> {
        self.keys("Parameters")
    }

    fn keys(&self, section: &str) -> anyhow::Result<Vec<String>> {
        let entries = self
            .0
            .get(section)
            .and_then(Value::as_mapping)
            .with_context(|| format!("template.yaml has no {section}"))?;
        Ok(entries
            .keys()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect())
    }
}

/// A template value with its intrinsic functions resolved as the local
/// stack names things; None for `AWS::NoValue`.
fn local_value(value: &Value) -> anyhow::Result<Option<serde_json::Value>> {
    use serde_json::Value as Json;
    let log_group_arn = |function: &str| {
        format!(
            "arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{}:*",
            log_group(function)
        )
    };
    let attribute = |name: &str| -> anyhow::Result<String> {
        Ok(match name {
            "ApprovalsTable.Arn" => format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"),
            "WorkflowLogGroup.Arn" => log_group_arn(WORKFLOW_FUNCTION),
            "ApprovalApiLogGroup.Arn" => log_group_arn(API_FUNCTION),
            "SubmitApiLogGroup.Arn" => log_group_arn(SUBMIT_FUNCTION),
            "SubmitApiFunction.Arn" => {
                format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:{SUBMIT_FUNCTION}")
            }
            other => anyhow::bail!("`!GetAtt {other}` has no local value"),
        })
    };
    Ok(Some(match value {
        Value::Tagged(tagged) => match (tagged.tag.to_string().as_str(), &tagged.value) {
            ("!Ref", Value::String(name)) => match name.as_str() {
                "AWS::NoValue" => return Ok(None),
                // moto's CloudFormation knows its own stack.
                "AWS::StackId" => serde_json::json!({ "Ref": "AWS::StackId" }),
                other => anyhow::bail!("`!Ref {other}` has no local value"),
            },
            ("!GetAtt", Value::String(name)) => Json::String(attribute(name)?),
            ("!Sub", Value::String(text)) => {
                let mut text = text
                    .replace("${AWS::Partition}", "aws")
                    .replace("${AWS::Region}", REGION)
                    .replace("${AWS::AccountId}", ACCOUNT)
                    .replace("${ApprovalsTable.Arn}", &attribute("ApprovalsTable.Arn")?);
                let workflow = "function:${AWS::StackName}-approval-workflow";
                text = text.replace(workflow, &format!("function:{WORKFLOW_FUNCTION}"));
                anyhow::ensure!(!text.contains("${"), "`!Sub {text}` has no local value");
                Json::String(text)
            }
            // The local stack has no customer key: HasKmsKey is false.
            ("!If", Value::Sequence(items)) if items.len() == 3 => {
                anyhow::ensure!(
                    items[0].as_str() == Some("HasKmsKey"),
                    "`!If {:?}` has no local value",
                    items[0]
                );
                return local_value(&items[2]);
            }
            (tag, _) => anyhow::bail!("`{tag}` has no local value"),
        },
        Value::Mapping(map) => {
            let mut object = serde_json::Map::new();
            for (key, child) in map {
                let key = key.as_str().context("a key that is not text")?;
                if let Some(child) = local_value(child)? {
                    object.insert(key.to_owned(), child);
                }
            }
            Json::Object(object)
        }
        Value::Sequence(items) => {
            let mut resolved = Vec::new();
            for item in items {
                resolved.extend(local_value(item)?);
            }
            Json::Array(resolved)
        }
        other => serde_json::to_value(other)?,
    }))
}

fn text<'a>(value: &'a Value, key: &str) -> anyhow::Result<&'a str> {
    value.get(key).and_then(Value::as_str).with_context(|| {
        format!("template.yaml: `{key}` missing or not text in the table definition")
    })
}

fn key_schema(value: &Value) -> anyhow::Result<Vec<KeySchemaElement>> {
    let elements = value
        .get("KeySchema")
        .and_then(Value::as_sequence)
        .context("KeySchema missing")?;
    elements
        .iter()
        .map(|e| {
            Ok(KeySchemaElement::builder()
                .attribute_name(text(e, "AttributeName")?)
                .key_type(KeyType::from(text(e, "KeyType")?))
                .build()?)
        })
        .collect()
}

/// Creates the approvals table exactly as template.yaml defines it (keys,
/// attribute types, indexes, billing, TTL), unless it exists.
pub async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    template: &Template,
    name: &str,
) -> anyhow::Result<()> {
    let existing = client
        .list_tables()
        .send()
        .await
        .context("listing DynamoDB Local's tables")?;
    if existing.table_names().iter().any(|t| t == name) {
        return Ok(());
    }
    let props = template.table_properties()?;
    let mut create = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::from(text(props, "BillingMode")?))
        .set_key_schema(Some(key_schema(props)?));
    for definition in props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .context("AttributeDefinitions missing")?
    {
        create = create.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(text(definition, "AttributeName")?)
                .attribute_type(ScalarAttributeType::from(text(
                    definition,
                    "AttributeType",
                )?))
                .build()?,
        );
    }
    for index in props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let projection = index
            .get("Projection")
            .context("index Projection missing")?;
        create = create.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(text(index, "IndexName")?)
                .set_key_schema(Some(key_schema(index)?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(text(projection, "ProjectionType")?))
                        .build(),
                )
                .build()?,
        );
    }
    create
        .send()
        .await
        .with_context(|| format!("creating table {name} in DynamoDB Local"))?;
    if let Some(ttl) = props.get("TimeToLiveSpecification") {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(text(ttl, "AttributeName")?)
                    .enabled(ttl.get("Enabled").and_then(Value::as_bool).unwrap_or(false))
                    .build()?,
            )
            .send()
            .await
            .context("enabling TTL on the local table")?;
    }
    Ok(())
}

/// The value each template output has on the local stack.
pub fn local_outputs(ports: &Ports) -> BTreeMap<&'static str, String> {
    use hitl_contract::outputs as keys;
    BTreeMap::from([
        (keys::APPROVALS_TABLE, TABLE.to_owned()),
        (keys::WORKFLOW_FUNCTION, WORKFLOW_FUNCTION.to_owned()),
        (keys::WORKFLOW_LOG_GROUP, log_group(WORKFLOW_FUNCTION)),
        (keys::API_LOG_GROUP, log_group(API_FUNCTION)),
        (keys::SUBMIT_LOG_GROUP, log_group(SUBMIT_FUNCTION)),
        (keys::LINKS_BASE_URL, function_url(ports, API_FUNCTION)),
        (keys::SUBMIT_URL, iam_function_url(ports, SUBMIT_FUNCTION)),
        (keys::NOTIFICATION_TOPIC, topic_arn()),
        (FAILURE_TOPIC_OUTPUT, failure_topic_arn()),
        (
            keys::MAX_REQUEST_TIMEOUT,
            MAX_REQUEST_TIMEOUT_SECONDS.to_owned(),
        ),
        (keys::ALLOW_SELF_APPROVAL, ALLOW_SELF_APPROVAL.to_owned()),
        ("VerifyDeciders", VERIFY_DECIDERS.to_owned()),
        ("EventBusName", EVENT_BUS.to_owned()),
    ])
}

pub fn log_group(function: &str) -> String {
    format!("/aws/lambda/{function}")
}

/// Creates (or replaces) the local CloudFormation stack: one placeholder
/// resource, and an output for every output key of template.yaml.
pub async fn create_stack(
    client: &aws_sdk_cloudformation::Client,
    template: &Template,
    ports: &Ports,
) -> anyhow::Result<()> {
    let values = local_outputs(ports);
    let mut resources = template.operator_policies()?;
    let mut outputs = serde_json::Map::new();
    for key in template.output_keys()? {
        let value = match values.get(key.as_str()) {
            Some(value) => serde_json::json!(value),
            None => {
                let policy = template
                    .output_ref(&key)
                    .filter(|p| resources.contains_key(*p));
                let policy = policy.with_context(|| {
                    format!("template.yaml output `{key}` has no local value; add it to the local stack")
                })?;
                serde_json::json!({ "Ref": policy })
            }
        };
        outputs.insert(key, serde_json::json!({ "Value": value }));
    }
    resources.insert(
        "Placeholder".into(),
        serde_json::json!({ "Type": "AWS::CloudFormation::WaitConditionHandle" }),
    );
    let body = serde_json::json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "hitl local stack: outputs and operator policies mirror template.yaml",
        "Resources": resources,
        "Outputs": outputs,
    });
    if client
        .describe_stacks()
        .stack_name(STACK)
        .send()
        .await
        .is_ok()
    {
        client
            .delete_stack()
            .stack_name(STACK)
            .send()
            .await
            .context("replacing the local stack")?;
    }
    client
        .create_stack()
        .stack_name(STACK)
        .template_body(body.to_string())
        .send()
        .await
        .context("creating the local CloudFormation stack in moto")?;
    Ok(())
}

pub async fn create_log_groups(client: &aws_sdk_cloudwatchlogs::Client) -> anyhow::Result<()> {
    for function in [WORKFLOW_FUNCTION, API_FUNCTION, SUBMIT_FUNCTION] {
        let group = log_group(function);
        let existing = client
            .describe_log_groups()
            .log_group_name_prefix(&group)
            .send()
            .await?;
        if !existing
            .log_groups()
            .iter()
            .any(|g| g.log_group_name() == Some(group.as_str()))
        {
            client
                .create_log_group()
                .log_group_name(&group)
                .send()
                .await
                .with_context(|| format!("creating the log group {group}"))?;
        }
    }
    Ok(())
}

/// The link signing key, as template.yaml's generated secret: 64 random
/// letters and digits, made once per local stack.
pub async fn create_signing_key(client: &aws_sdk_secretsmanager::Client) -> anyhow::Result<()> {
    if client
        .describe_secret()
        .secret_id(LINK_SIGNING_SECRET)
        .send()
        .await
        .is_ok()
    {
        return Ok(());
    }
    let random = client
        .get_random_password()
        .password_length(64)
        .exclude_punctuation(true)
        .send()
        .await
        .context("generating the link signing key in moto")?;
    client
        .create_secret()
        .name(LINK_SIGNING_SECRET)
        .secret_string(random.random_password().unwrap_or_default())
        .send()
        .await
        .context("storing the link signing key in moto")?;
    Ok(())
}

/// The notification topic (on AWS approvers subscribe their email; here the
/// tests and the demo subscribe a queue of their own, see hitl-e2e) and the
/// workflow's dead-letter topic, so that its output names a topic that
/// exists, and the escalation topic.
pub async fn create_topic(sns: &aws_sdk_sns::Client) -> anyhow::Result<()> {
    for name in [NOTIFICATION_TOPIC, FAILURE_TOPIC, ESCALATION_TOPIC] {
        sns.create_topic()
            .name(name)
            .send()
            .await
            .with_context(|| format!("creating the {name} topic in moto"))?;
    }
    Ok(())
}

/// The AWS config file the profile goes into: `AWS_CONFIG_FILE` or `~/.aws/config`.
pub fn aws_config_file() -> anyhow::Result<PathBuf> {
    if let Some(path) = std::env::var_os("AWS_CONFIG_FILE") {
        return Ok(PathBuf::from(path));
    }
    let home = std::env::var_os("HOME")
        .context("HOME is not set: set AWS_CONFIG_FILE to say where the AWS config lives")?;
    Ok(PathBuf::from(home).join(".aws/config"))
}

const BEGIN: &str = "# >>> hitl local stack (managed by `cargo xtask local up`) >>>";
const END: &str = "# <<< hitl local stack <<<";

/// The operator profile's access key and secret: dummy, but known, so the
/// front door checks signatures made with them (moto's STS, which did not
/// issue the key, names its default user for it).
pub const OPERATOR_KEY_ID: &str = "local";
pub const OPERATOR_SECRET: &str = "local";

/// One of the local stack's people (`hitl_e2e::PEOPLE`): an IAM user in
/// moto and its access key.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    pub name: String,
    pub key_id: String,
    pub secret: String,
}

/// Creates the people's IAM users and one access key each in moto, with
/// boto3 from the local stack's virtualenv (moto's STS then names each key's
/// user, as STS does).
pub fn create_people(paths: &crate::paths::Paths, ports: &Ports) -> anyhow::Result<Vec<Person>> {
    const SCRIPT: &str = r#"
import json, sys, boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="local", aws_secret_access_key="local")
people = []
for name in sys.argv[2:]:
    try:
        iam.create_user(UserName=name)
    except iam.exceptions.EntityAlreadyExistsException:
        for old in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=old["AccessKeyId"])
    key = iam.create_access_key(UserName=name)["AccessKey"]
    people.append({"name": name, "key_id": key["AccessKeyId"], "secret": key["SecretAccessKey"]})
print(json.dumps(people))
"#;
    let python = paths.venv_bin("python");
    let output = std::process::Command::new(&python)
        .args(["-c", SCRIPT, &format!("http://127.0.0.1:{}", ports.moto)])
        .args(hitl_e2e::PEOPLE)
        .output()
        .with_context(|| format!("running {}", python.display()))?;
    if !output.status.success() {
        bail!(
            "creating the local stack's IAM users failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    serde_json::from_slice(&output.stdout).context("reading the IAM users' keys")
}

/// Writes the people's keys where the front door reads them: readable by
/// the owner only (they hold secrets), and replaced whole, so that the door
/// never reads half a file.
pub fn write_people(path: &Path, people: &[Person]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let partial = path.with_extension("json.partial");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("writing {}", partial.display()))?;
    // `mode` applies only to a file it creates.
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(&serde_json::to_vec(people)?)?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))
}

/// The profile text: region, dummy credentials, and one endpoint per service;
/// then one profile per person, with their own keys and the same endpoints.
pub fn profile_text(ports: &Ports, people: &[Person]) -> String {
    let url = |port: u16| format!("http://127.0.0.1:{port}");
    let endpoints = [
        ("dynamodb", url(ports.dynamodb)),
        ("lambda", url(ports.front_door)),
        ("cloudformation", url(ports.moto)),
        ("sts", url(ports.moto)),
        // The documented key is `cloudwatch_logs` (the AWS CLI and boto3
        // read it); the Rust SDK looks up `cloudwatch-logs`.
        ("cloudwatch_logs", url(ports.moto)),
        ("cloudwatch-logs", url(ports.moto)),
        ("sns", url(ports.moto)),
        ("sqs", url(ports.moto)),
        ("eventbridge", url(ports.moto)),
        ("secrets_manager", url(ports.moto)),
        ("secrets-manager", url(ports.moto)),
    ];
    let mut text = format!(
        "{BEGIN}\n[profile {PROFILE}]\nregion = {REGION}\naws_access_key_id = {OPERATOR_KEY_ID}\n\
         aws_secret_access_key = {OPERATOR_SECRET}\nservices = {PROFILE}\n\n[services {PROFILE}]\n"
    );
    for (service, endpoint) in endpoints {
        text.push_str(&format!("{service} =\n  endpoint_url = {endpoint}\n"));
    }
    for person in people {
        text.push_str(&format!(
            "\n[profile {}]\nregion = {REGION}\naws_access_key_id = {}\n\
             aws_secret_access_key = {}\nservices = {PROFILE}\n",
            hitl_e2e::person_profile(&person.name),
            person.key_id,
            person.secret
        ));
    }
    text.push_str(END);
    text.push('\n');
    text
}

/// Writes (or rewrites) our managed block in the AWS config file, leaving
/// everything else in it as it was.
pub fn write_profile(path: &Path, ports: &Ports, people: &[Person]) -> anyhow::Result<()> {
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let mut kept = String::new();
    let mut inside = false;
    for line in existing.lines() {
        if line == BEGIN {
            inside = true;
        } else if line == END {
            inside = false;
        } else if !inside {
            kept.push_str(line);
            kept.push('\n');
        }
    }
    if inside {
        bail!(
            "{} has an unterminated hitl block; remove the lines from `{BEGIN}` on",
            path.display()
        );
    }
    if !kept.is_empty() && !kept.ends_with("\n\n") {
        kept.push('\n');
    }
    kept.push_str(&profile_text(ports, people));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, kept).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template() -> Template {
        let path = Paths::discover().repo.join("template.yaml");
        Template::load(&path).unwrap()
    }

    use crate::paths::Paths;

    #[test]
    fn the_operator_policies_resolve_to_the_local_resources() {
        let policies = template().operator_policies().unwrap();
        // Sorted: serde_json keeps insertion order when a dependency turns
        // on its `preserve_order`, and sorts keys when none does.
        let mut names: Vec<&str> = policies.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["ApproverPolicy", "AuditorPolicy", "RequesterPolicy"]
        );
        let text = serde_json::Value::Object(policies).to_string();
        assert!(
            text.contains(&format!("function:{WORKFLOW_FUNCTION}:*")),
            "{text}"
        );
        assert!(
            text.contains(&format!("table/{TABLE}/index/by-status")),
            "{text}"
        );
        assert!(text.contains(r#"{"Ref":"AWS::StackId"}"#), "{text}");
        // No customer key locally: the key statements are gone, nothing unresolved.
        assert!(!text.contains("kms:") && !text.contains("${"), "{text}");
    }

    /// The names in the first column of the README table whose header row
    /// is `header` (a cell may name several: `` `A`, `B` ``).
    fn readme_table(header: &str) -> std::collections::BTreeSet<String> {
        let readme = std::fs::read_to_string(Paths::discover().repo.join("README.md")).unwrap();
        let mut lines = readme.lines().skip_while(|line| *line != header).skip(2);
        let mut names = std::collections::BTreeSet::new();
        while let Some(row) = lines.next().filter(|line| line.starts_with('|')) {
            let first = row.split('|').nth(1).unwrap_or_default();
            names.extend(first.split('`').skip(1).step_by(2).map(str::to_owned));
        }
        names
    }

    #[test]
    fn the_readme_documents_every_parameter_and_output_of_the_template() {
        let set = |keys: Vec<String>| keys.into_iter().collect::<std::collections::BTreeSet<_>>();
        assert_eq!(
            readme_table("| parameter | default | meaning |"),
            set(template().parameter_keys().unwrap()),
            "README.md's parameter table and template.yaml's Parameters differ"
        );
        assert_eq!(
            readme_table("| output | value |"),
            set(template().output_keys().unwrap()),
            "README.md's output table and template.yaml's Outputs differ"
        );
    }

    #[test]
    fn every_template_output_has_a_local_value_and_the_cli_reads_them_all() {
        let keys = template().output_keys().unwrap();
        let local = local_outputs(&Ports::from_base(4700));
        let policies = template().operator_policies().unwrap();
        for key in &keys {
            assert!(
                local.contains_key(key.as_str())
                    || template()
                        .output_ref(key)
                        .is_some_and(|p| policies.contains_key(p)),
                "no local value for output {key}"
            );
        }
        for key in hitl_contract::outputs::ALL {
            assert!(
                keys.iter().any(|k| k == key),
                "template.yaml lacks output {key} that the CLI reads"
            );
        }
    }

    #[test]
    fn the_table_definition_is_read_from_the_template() {
        let t = template();
        let props = t.table_properties().unwrap();
        let keys = key_schema(props).unwrap();
        assert_eq!(
            keys[0].attribute_name(),
            hitl_contract::record::attr::APPROVAL_ID
        );
        let index = &props["GlobalSecondaryIndexes"][0];
        assert_eq!(
            text(index, "IndexName").unwrap(),
            hitl_contract::record::STATUS_INDEX
        );
        assert_eq!(
            text(&props["TimeToLiveSpecification"], "AttributeName").unwrap(),
            hitl_contract::record::attr::TTL
        );
    }

    #[test]
    fn the_people_file_is_the_owners_alone_and_reads_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("hitl-people-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("people.json");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let people = vec![Person {
            name: "bob".into(),
            key_id: "AKIABOB".into(),
            secret: "s".into(),
        }];
        write_people(&path, &people).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let read: Vec<Person> = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(read, people);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn profile_block_is_replaced_not_duplicated() {
        let dir = std::env::temp_dir().join(format!("hitl-profile-{}", std::process::id()));
        let path = dir.join("config");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&path, "[profile work]\nregion = eu-west-1\n").unwrap();
        let ports = Ports::from_base(4700);
        let bob = Person {
            name: "bob".into(),
            key_id: "AKIABOB".into(),
            secret: "s".into(),
        };
        write_profile(&path, &ports, &[]).unwrap();
        write_profile(&path, &Ports::from_base(4800), &[bob]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.matches(BEGIN).count(), 1);
        assert!(text.starts_with("[profile work]\nregion = eu-west-1\n"));
        assert!(text.contains("http://127.0.0.1:4800"));
        assert!(!text.contains("http://127.0.0.1:4700"));
        std::fs::remove_dir_all(dir).ok();
    }
}
