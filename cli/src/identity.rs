//! Who the caller is, stably: a `role_arn` profile's sessions are named
//! after the person behind the source profile.
//!
//! The SDK names an assumed role's session `assume-role-from-profile-<millis>`
//! when the profile sets no `role_session_name`, so STS reports a different
//! principal on every run: a requester could approve their own request
//! through the same role, and "run the same command again" after an
//! undelivered decision was refused as someone else's claim. For such a
//! profile we assume the role ourselves, with the session named after the
//! source identity (`assumed-role/approvers/alice`), as AWS's own guidance
//! for attributing role sessions suggests; a role's trust policy can make
//! that name binding with the `sts:RoleSessionName` condition key. A profile
//! that sets `role_session_name` (or needs MFA, or is not a plain
//! `source_profile` chain) is left to the SDK.

use std::time::Duration;

use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::{self, future, ProvideCredentials};
use tokio::sync::OnceCell;

/// The profile settings a stable session needs, when it needs one.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleProfile {
    pub role_arn: String,
    pub source_profile: String,
    pub external_id: Option<String>,
    pub duration: Option<Duration>,
}

impl RoleProfile {
    /// The role chain of `profile`, if we should name its session: it
    /// assumes a role from a source profile, names no session itself, and
    /// asks for no MFA code (which only the SDK's chain can prompt for).
    pub fn of(profile: &aws_config::profile::Profile) -> Option<Self> {
        let role_arn = profile.get("role_arn")?;
        let source_profile = profile.get("source_profile")?;
        if profile.get("role_session_name").is_some() || profile.get("mfa_serial").is_some() {
            return None;
        }
        Some(Self {
            role_arn: role_arn.to_owned(),
            source_profile: source_profile.to_owned(),
            external_id: profile.get("external_id").map(str::to_owned),
            duration: profile
                .get("duration_seconds")
                .and_then(|s| s.parse().ok())
                .map(Duration::from_secs),
        })
    }
}

/// The session name for a caller whose source identity is `arn`: the last
/// part of its name (an IAM user's name, an assumed role's session, `root`),
/// in the characters and length STS accepts (`[\w+=,.@-]{2,64}`).
pub fn session_name_for(arn: &str) -> String {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    let last = resource.rsplit('/').next().unwrap_or(resource);
    let mut name: String = last
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '_' | '+' | '=' | ',' | '.' | '@' | '-' => c,
            _ => '-',
        })
        .take(64)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

/// Credentials for a [`RoleProfile`], assumed on first use with the session
/// named after the source profile's identity.
#[derive(Debug)]
pub struct StableRoleSession {
    profile: RoleProfile,
    region: Option<Region>,
    assumed: OnceCell<AssumeRoleProvider>,
}

impl StableRoleSession {
    pub fn new(profile: RoleProfile, region: Option<Region>) -> Self {
        Self {
            profile,
            region,
            assumed: OnceCell::new(),
        }
    }

    async fn assume(&self) -> Result<AssumeRoleProvider, provider::error::CredentialsError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .profile_name(&self.profile.source_profile);
        if let Some(region) = &self.region {
            loader = loader.region(region.clone());
        }
        let source: SdkConfig = loader.load().await;
        let who = aws_sdk_sts::Client::new(&source)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                provider::error::CredentialsError::provider_error(format!(
                    "asking STS who source profile `{}` is, to name the role session: {}",
                    self.profile.source_profile,
                    hitl_approvals::sdk_error::summary(&e)
                ))
            })?;
        let arn = who.arn.unwrap_or_default();
        let mut builder = AssumeRoleProvider::builder(&self.profile.role_arn)
            .session_name(session_name_for(&arn))
            .configure(&source);
        if let Some(id) = &self.profile.external_id {
            builder = builder.external_id(id);
        }
        if let Some(length) = self.profile.duration {
            builder = builder.session_length(length);
        }
        Ok(builder.build().await)
    }
}

impl ProvideCredentials for StableRoleSession {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(async move {
            let assumed = self.assumed.get_or_try_init(|| self.assume()).await?;
            assumed.provide_credentials().await
        })
    }
}

/// The caller of a command: their principal, as STS reports it, and the
/// credentials that sign their proofs of identity for the workflow (see
/// `hitl_contract::proof`).
#[derive(Debug, Clone)]
pub struct Caller {
    pub arn: String,
    credentials: aws_credential_types::Credentials,
    region: String,
    sts_endpoint: String,
}

impl Caller {
    /// The caller under `config`; `known` is the ARN STS already named for
    /// these credentials, if any (else STS is asked).
    pub async fn of(config: &SdkConfig, known: Option<String>) -> anyhow::Result<Self> {
        use anyhow::Context;
        let arn = match known {
            Some(arn) => arn,
            None => aws_sdk_sts::Client::new(config)
                .get_caller_identity()
                .send()
                .await
                .map_err(crate::exit::aws_call)
                .context("asking STS who you are (check your AWS credentials with `hitl doctor`)")?
                .arn
                .context("STS returned no ARN for your identity; check your AWS credentials")?,
        };
        let credentials = config
            .credentials_provider()
            .context("no AWS credentials are configured")?
            .provide_credentials()
            .await
            .context("loading your AWS credentials to sign a proof of identity")?;
        let region = config
            .region()
            .map(|r| r.as_ref().to_owned())
            .context("no AWS region is configured; pass --region or set AWS_REGION")?;
        Ok(Self {
            arn,
            credentials,
            sts_endpoint: sts_endpoint(config, &region),
            region,
        })
    }

    /// A proof, for the workflow, that this caller asks for `purpose`.
    pub fn prove(
        &self,
        purpose: hitl_contract::proof::Purpose<'_>,
    ) -> anyhow::Result<hitl_contract::proof::IdentityProof> {
        hitl_contract::proof::IdentityProof::sign(
            &self.credentials,
            &self.region,
            &self.sts_endpoint,
            purpose,
            std::time::SystemTime::now(),
        )
        .map_err(|e| anyhow::anyhow!("signing a proof of identity failed: {e}"))
    }
}

/// The STS endpoint the stack's workflow trusts: the one the AWS config
/// names for STS (the local stack's), else the regional one.
fn sts_endpoint(config: &SdkConfig, region: &str) -> String {
    crate::stack_cache::custom_endpoint(config, "STS")
        .unwrap_or_else(|| hitl_contract::proof::regional_endpoint(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_named_after_the_source_identity() {
        assert_eq!(
            session_name_for("arn:aws:iam::123456789012:user/alice"),
            "alice"
        );
        assert_eq!(
            session_name_for("arn:aws:iam::123456789012:user/team/a/bob.smith@example.com"),
            "bob.smith@example.com"
        );
        assert_eq!(
            session_name_for("arn:aws:sts::123456789012:assumed-role/AWSReservedSSO_Dev_1/carol"),
            "carol"
        );
        assert_eq!(session_name_for("arn:aws:iam::123456789012:root"), "root");
        // Outside STS's alphabet, or too short or long, it is made to fit.
        assert_eq!(session_name_for("arn:aws:iam::1:user/d ä!"), "d---");
        assert_eq!(session_name_for("arn:aws:iam::1:user/x"), "x-");
        assert_eq!(
            session_name_for(&format!("arn:aws:iam::1:user/{}", "e".repeat(80))).len(),
            64
        );
    }

    fn profile(text: &str) -> Option<RoleProfile> {
        use aws_runtime::env_config::file::{EnvConfigFileKind, EnvConfigFiles};
        use aws_types::os_shim_internal::{Env, Fs};
        let fs = Fs::from_slice(&[("config", text)]);
        let files = EnvConfigFiles::builder()
            .with_file(EnvConfigFileKind::Config, "config")
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread().build().ok()?;
        let set = runtime
            .block_on(aws_config::profile::load(
                &fs,
                &Env::from_slice(&[]),
                &files,
                None,
            ))
            .ok()?;
        RoleProfile::of(set.get_profile("p")?)
    }

    #[test]
    fn only_plain_role_chains_get_a_stable_session() {
        let chain =
            "[profile p]\nrole_arn = arn:aws:iam::1:role/approvers\nsource_profile = base\n";
        assert_eq!(
            profile(chain),
            Some(RoleProfile {
                role_arn: "arn:aws:iam::1:role/approvers".into(),
                source_profile: "base".into(),
                external_id: None,
                duration: None,
            })
        );
        let with = |extra: &str| profile(&format!("{chain}{extra}\n"));
        assert_eq!(
            with("duration_seconds = 900").unwrap().duration,
            Some(Duration::from_secs(900))
        );
        assert_eq!(
            with("external_id = x").unwrap().external_id.as_deref(),
            Some("x")
        );
        // The profile names its own session, or needs an MFA code: the SDK's.
        assert_eq!(with("role_session_name = mine"), None);
        assert_eq!(with("mfa_serial = arn:aws:iam::1:mfa/alice"), None);
        assert_eq!(profile("[profile p]\nregion = us-east-1\n"), None);
    }
}
