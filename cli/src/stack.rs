//! Finding the deployed stack: AWS configuration and CloudFormation outputs.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use hitl_contract::outputs;

use crate::cli::GlobalArgs;
use crate::identity::{RoleProfile, StableRoleSession};

/// A problem with the stack or the AWS configuration (exit code 8).
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error("no AWS region is configured: set AWS_REGION, pass --region, or choose a profile with a region (AWS_PROFILE)")]
    NoRegion,
    #[error("AWS profile `{0}` is not defined in the AWS config or credentials file: check its name (`aws configure list-profiles`) or AWS_CONFIG_FILE")]
    NoProfile(String),
    #[error("stack `{stack}` was not found in {region}: deploy it (see README), or name another with --stack or HITL_STACK")]
    NotFound { stack: String, region: String },
    #[error("stack `{stack}` has no `{key}` output: is it a hitl stack? Redeploy it from this version's template.yaml")]
    MissingOutput { stack: String, key: &'static str },
    #[error(
        "stack `{stack}` output `{key}` is `{value}`, which is not {expected}; redeploy the stack"
    )]
    BadOutput {
        stack: String,
        key: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error("could not read stack `{stack}`: {message}\nCheck your AWS credentials (AWS_PROFILE) and region.")]
    Unreachable { stack: String, message: String },
}

/// Loads the AWS configuration the standard way, with our two overrides,
/// and checks that its profile exists and it names a region.
/// whether or not it names a region.
pub async fn load_config_unchecked(global: &GlobalArgs) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = &global.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(region) = &global.region {
        loader = loader.region(aws_config::Region::new(region.clone()));
    }
    if let Some((role, region)) = role_profile(global).await {
        let region = global
            .region
            .clone()
            .or(region)
            .map(aws_config::Region::new);
        loader = loader.credentials_provider(StableRoleSession::new(role, region));
    }
    loader.load().await
}

/// The chosen profile's role chain, when its session should be named after
/// its source identity (see [`crate::identity`]), and the profile's region.
async fn role_profile(global: &GlobalArgs) -> Option<(RoleProfile, Option<String>)> {
    let name = chosen_profile(global).unwrap_or_else(|| "default".to_owned());
    let profiles = profile_files().await?;
    let profile = profiles.get_profile(&name)?;
    Some((
        RoleProfile::of(profile)?,
        profile.get("region").map(str::to_owned),
    ))
}

/// The profile --profile or AWS_PROFILE names, if any.
fn chosen_profile(global: &GlobalArgs) -> Option<String> {
    global
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok())
        .filter(|name| !name.is_empty())
}

/// The profiles of the AWS config and credentials files, as the SDK reads them.
async fn profile_files() -> Option<aws_config::profile::ProfileSet> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    aws_config::profile::load(&Fs::real(), &Env::real(), &files, None)
        .await
        .ok()
}

/// Loads the AWS configuration the standard way, with our two overrides,
/// and checks that its profile exists and it names a region.
pub async fn load_config(global: &GlobalArgs) -> anyhow::Result<SdkConfig> {
    let config = load_config_unchecked(global).await;
    if let Some(profile) = missing_profile(global).await {
        return Err(StackError::NoProfile(profile).into());
    }
    if config.region().is_none() {
        return Err(StackError::NoRegion.into());
    }
    Ok(config)
}

/// The profile chosen by --profile or AWS_PROFILE when no config or
/// credentials file defines it (the SDK would quietly carry on without it).
async fn missing_profile(global: &GlobalArgs) -> Option<String> {
    let name = chosen_profile(global).filter(|name| name != "default")?;
    let profiles = profile_files().await?;
    profiles.get_profile(&name).is_none().then_some(name)
}

/// What DescribeStacks says about a stack: its outputs and its account.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    pub outputs: BTreeMap<String, String>,
    /// From the stack's id, an ARN naming the account.
    pub account: Option<String>,
}

/// Reads a stack's outputs with DescribeStacks.
pub async fn describe(
    client: &aws_sdk_cloudformation::Client,
    name: &str,
) -> Result<Described, StackError> {
    let region = client
        .config()
        .region()
        .map(ToString::to_string)
        .unwrap_or_default();
    let out = match client.describe_stacks().stack_name(name).send().await {
        Ok(out) => out,
        Err(err) => {
            let missing = err
                .as_service_error()
                .and_then(|e| e.message())
                .is_some_and(|m| m.contains("does not exist"));
            return Err(if missing {
                StackError::NotFound {
                    stack: name.to_owned(),
                    region,
                }
            } else {
                StackError::Unreachable {
                    stack: name.to_owned(),
                    message: hitl_approvals::sdk_error::summary(&err),
                }
            });
        }
    };
    let stack = out.stacks().first().ok_or_else(|| StackError::NotFound {
        stack: name.to_owned(),
        region: region.clone(),
    })?;
    Ok(Described {
        outputs: stack
            .outputs()
            .iter()
            .filter_map(|o| Some((o.output_key()?.to_owned(), o.output_value()?.to_owned())))
            .collect(),
        account: stack
            .stack_id()
            .and_then(|arn| arn.split(':').nth(4))
            .filter(|a| !a.is_empty())
            .map(str::to_owned),
    })
}

/// The resources of a deployed hitl stack, read from its outputs.
#[derive(Debug, Clone, PartialEq)]
pub struct Stack {
    pub name: String,
    pub table: String,
    pub workflow_function: String,
    pub workflow_log_group: String,
    pub api_log_group: String,
    /// Absent from stacks deployed before the submit function.
    pub submit_log_group: Option<String>,
    pub links_base_url: String,
    pub max_request_timeout: Duration,
    pub allow_self_approval: bool,
}

impl Stack {
    #[cfg(test)]
    pub async fn resolve(
        client: &aws_sdk_cloudformation::Client,
        name: &str,
    ) -> anyhow::Result<Self> {
        use anyhow::Context;
        let described = describe(client, name).await?;
        Self::from_map(name, &described.outputs).context("reading the stack's outputs")
    }

    /// The stack from its outputs, as a map of owned strings.
    pub fn from_map(name: &str, outputs: &BTreeMap<String, String>) -> Result<Self, StackError> {
        let outputs: HashMap<&str, &str> = outputs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Self::from_outputs(name, &outputs)
    }

    pub fn from_outputs(name: &str, outputs: &HashMap<&str, &str>) -> Result<Self, StackError> {
        let get = |key: &'static str| {
            outputs
                .get(key)
                .map(|v| (*v).to_owned())
                .ok_or_else(|| StackError::MissingOutput {
                    stack: name.to_owned(),
                    key,
                })
        };
        let table = get(outputs::APPROVALS_TABLE)?;
        let workflow_function = get(outputs::WORKFLOW_FUNCTION)?;
        let workflow_log_group = get(outputs::WORKFLOW_LOG_GROUP)?;
        let max = get(outputs::MAX_REQUEST_TIMEOUT)?;
        let max_seconds = max.parse::<u64>().map_err(|_| StackError::BadOutput {
            stack: name.to_owned(),
            key: outputs::MAX_REQUEST_TIMEOUT,
            value: max.clone(),
            expected: "a number of seconds",
        })?;
        let allow_self_approval = match get(outputs::ALLOW_SELF_APPROVAL)?.as_str() {
            "true" => true,
            "false" => false,
            other => {
                return Err(StackError::BadOutput {
                    stack: name.to_owned(),
                    key: outputs::ALLOW_SELF_APPROVAL,
                    value: other.to_owned(),
                    expected: "true or false",
                })
            }
        };
        Ok(Self {
            name: name.to_owned(),
            table,
            workflow_function,
            workflow_log_group,
            api_log_group: get(outputs::API_LOG_GROUP)?,
            submit_log_group: get(outputs::SUBMIT_LOG_GROUP).ok(),
            links_base_url: get(outputs::LINKS_BASE_URL)?,
            max_request_timeout: Duration::from_secs(max_seconds),
            allow_self_approval,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksError;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    #[tokio::test]
    async fn reads_every_output() {
        let rule = mock!(aws_sdk_cloudformation::Client::describe_stacks)
            .then_output(crate::fixtures::described_stack);
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&rule]);
        let stack = Stack::resolve(&client, "hitl").await.unwrap();
        assert_eq!(stack.table, "hitl-approvals");
        assert_eq!(stack.workflow_function, "hitl-workflow");
        assert_eq!(stack.max_request_timeout, Duration::from_secs(604_800));
        assert_eq!(stack.api_log_group, "/aws/lambda/hitl-api");
        assert!(!stack.allow_self_approval);
    }

    #[tokio::test]
    async fn missing_stack_error_is_visible() {
        let rule = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_error(|| {
            DescribeStacksError::generic(
                aws_smithy_types::error::ErrorMetadata::builder()
                    .code("ValidationError")
                    .message("Stack with id nope does not exist")
                    .build(),
            )
        });
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::Sequential, [&rule]);
        let err = Stack::resolve(&client, "nope").await.unwrap_err();
        let stack_error = err.downcast_ref::<StackError>().unwrap();
        assert!(matches!(stack_error, StackError::NotFound { .. }), "{err}");
        assert!(
            err.to_string().contains("stack `nope` was not found"),
            "{err}"
        );
    }

    #[test]
    fn missing_output_names_the_key() {
        let outputs = HashMap::from([(outputs::APPROVALS_TABLE, "t")]);
        let err = Stack::from_outputs("s", &outputs).unwrap_err();
        assert!(
            err.to_string()
                .contains("has no `WorkflowFunctionName` output"),
            "{err}"
        );
    }

    #[test]
    fn bad_timeout_output_is_reported() {
        let outputs = HashMap::from([
            (outputs::APPROVALS_TABLE, "t"),
            (outputs::WORKFLOW_FUNCTION, "f"),
            (outputs::WORKFLOW_LOG_GROUP, "g"),
            (outputs::MAX_REQUEST_TIMEOUT, "a week"),
        ]);
        let err = Stack::from_outputs("s", &outputs).unwrap_err();
        assert!(err.to_string().contains("`a week`"), "{err}");
    }
}
