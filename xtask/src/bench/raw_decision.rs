//! Decisions as a script sends them: a raw callback from boto3 carrying the
//! payload `hitl approve` sends. The workflow verifies deciders, so the
//! payload carries an identity proof signed beforehand, in Rust, with the
//! approver's own credentials, exactly as `hitl` signs it (a payload
//! without one is refused and the execution goes on waiting).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::SystemTime;

use anyhow::{bail, Context};
use aws_config::BehaviorVersion;
use aws_credential_types::provider::ProvideCredentials;
use hitl_contract::proof::{DecisionProof, IdentityProof, Purpose};
use hitl_contract::{DecisionPayload, Outcome};

use crate::local::ports::Ports;
use crate::local::provision::REGION;

/// One of the local stack's people, ready to sign their decisions.
pub struct Approver {
    pub arn: String,
    credentials: aws_credential_types::Credentials,
    /// The STS endpoint the local workflow trusts (moto's).
    sts_endpoint: String,
}

impl Approver {
    /// `person`, through their own profile, as `hitl` would run for them.
    pub async fn of(person: &str, ports: &Ports) -> anyhow::Result<Self> {
        let profile = hitl_e2e::person_profile(person);
        let config = aws_config::defaults(BehaviorVersion::latest())
            .profile_name(&profile)
            .load()
            .await;
        let credentials = config
            .credentials_provider()
            .context("the person's profile has no credentials")?
            .provide_credentials()
            .await
            .with_context(|| format!("loading the credentials of profile {profile}"))?;
        let arn = aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .with_context(|| format!("asking the local STS who profile {profile} is"))?
            .arn
            .context("STS named no ARN")?;
        Ok(Self {
            arn,
            credentials,
            sts_endpoint: format!("http://127.0.0.1:{}", ports.moto),
        })
    }

    /// The callback result approving `approval_id`, proof included.
    pub fn approval(&self, approval_id: &str) -> anyhow::Result<String> {
        let proof = IdentityProof::sign(
            &self.credentials,
            REGION,
            &self.sts_endpoint,
            Purpose::Decide(approval_id, Outcome::Approved),
            SystemTime::now(),
        )
        .map_err(|e| anyhow::anyhow!("signing a proof of identity: {e}"))?;
        Ok(DecisionPayload {
            outcome: Outcome::Approved,
            decided_by: Some(self.arn.clone()),
            decided_at: None,
            comment: None,
            proof: Some(DecisionProof::Sts(proof)),
            on_behalf_of: None,
        }
        .to_json())
    }
}

/// Runs `script` in the local stack's Python (boto3, the local profile),
/// `input` as JSON on its stdin; returns its stdout. `what` names the job
/// in the error when it fails.
pub async fn boto3(
    python: &Path,
    script: &str,
    input: &impl serde::Serialize,
    what: &str,
) -> anyhow::Result<Vec<u8>> {
    let mut child = super::aws_cli::environment(&mut Command::new(python))
        .args(["-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running boto3")?;
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin.write_all(&serde_json::to_vec(input)?)?;
    }
    let output = tokio::task::spawn_blocking(move || child.wait_with_output()).await??;
    if !output.status.success() {
        bail!("{what} failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(output.stdout)
}
