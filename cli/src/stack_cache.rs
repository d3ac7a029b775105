//! The stack's outputs, cached on disk for a few minutes so that ordinary
//! commands do not call DescribeStacks every time.
//!
//! One file per stack, region, CloudFormation endpoint and credentials (the
//! access key id, hashed, never stored), under `HITL_CACHE_DIR`, else
//! `$XDG_CACHE_HOME/hitl`, else `~/.cache/hitl`. Only successful answers are
//! cached; `--refresh` asks CloudFormation again. The endpoint is part of the
//! key, so a local stack and AWS never share an entry. The entry also keeps
//! the principal STS named for those credentials (an access key id belongs
//! to one principal), so a decision makes no `GetCallerIdentity` call of its
//! own: the workflow learns who decided from the decision's proof anyway.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_sts::config::ProvideCredentials;
use aws_types::service_config::ServiceConfigKey;
use hitl_contract::Timestamp;
use serde::{Deserialize, Serialize};

use crate::stack::{describe, Stack};

/// How long a cached answer is used.
pub const TTL: Duration = Duration::from_secs(300);

/// What one cache entry is for.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub stack: String,
    pub region: String,
    /// The CloudFormation endpoint, when one is configured.
    pub endpoint: Option<String>,
    /// Who asks: the credentials' access key id.
    pub identity: String,
}

impl Key {
    /// The key for `stack` under `config`; `None` without credentials (the
    /// call that follows will say what is wrong with them).
    pub async fn for_config(config: &SdkConfig, stack: &str) -> Option<Self> {
        let credentials = config
            .credentials_provider()?
            .provide_credentials()
            .await
            .ok()?;
        let endpoint = custom_endpoint(config, "CloudFormation");
        Some(Self {
            stack: stack.to_owned(),
            region: config.region()?.to_string(),
            endpoint,
            identity: credentials.access_key_id().to_owned(),
        })
    }

    /// The entry's file name: the stack's name and a stable hash of the rest.
    fn file_name(&self) -> String {
        let text = format!(
            "{}\0{}\0{}\0{}",
            self.stack,
            self.region,
            self.endpoint.as_deref().unwrap_or_default(),
            self.identity
        );
        // FNV-1a: stable across builds, unlike std's hasher.
        let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        let safe: String = self
            .stack
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}-{hash:016x}.json")
    }
}

/// The endpoint configured for a service (`AWS_ENDPOINT_URL_<SERVICE>`, a
/// profile's `services` section, or `AWS_ENDPOINT_URL`), resolved as the
/// SDK's clients resolve it; `None` for the service's AWS endpoint.
pub fn custom_endpoint(config: &SdkConfig, service_id: &str) -> Option<String> {
    let key = ServiceConfigKey::builder()
        .service_id(service_id)
        .env("AWS_ENDPOINT_URL")
        .profile("endpoint_url")
        .build()
        .ok()?;
    config
        .service_config()
        .and_then(|c| c.load_config(key))
        .or_else(|| config.endpoint_url().map(str::to_owned))
}

/// One cached answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub stack: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    pub fetched_at: Timestamp,
    pub outputs: BTreeMap<String, String>,
    /// The caller's ARN, as STS named it for the key's credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    pub fn at(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// `HITL_CACHE_DIR`, `$XDG_CACHE_HOME/hitl` or `~/.cache/hitl`.
    pub fn from_env() -> Option<Self> {
        let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let dir = non_empty("HITL_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| non_empty("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("hitl")))
            .or_else(|| non_empty("HOME").map(|d| PathBuf::from(d).join(".cache/hitl")))?;
        Some(Self::at(dir.join("stacks")))
    }

    pub fn path(&self, key: &Key) -> PathBuf {
        self.dir.join(key.file_name())
    }

    /// A fresh entry for `key`, if there is one.
    pub fn read(&self, key: &Key, now: Timestamp) -> Option<Entry> {
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        let entry: Entry = serde_json::from_str(&text).ok()?;
        let fresh = entry.fetched_at <= now
            && entry.fetched_at.seconds_until(now) < TTL.as_secs()
            && entry.stack == key.stack
            && entry.region == key.region
            && entry.endpoint == key.endpoint;
        fresh.then_some(entry)
    }

    /// Writes the entry (through a temporary file, so readers never see half).
    pub fn write(&self, key: &Key, entry: &Entry) -> anyhow::Result<PathBuf> {
        std::fs::create_dir_all(&self.dir)
            .with_context(|| format!("creating {}", self.dir.display()))?;
        let path = self.path(key);
        write_entry(&path, entry)?;
        Ok(path)
    }
}

fn write_entry(path: &std::path::Path, entry: &Entry) -> anyhow::Result<()> {
    let partial = path.with_extension(format!("{}.tmp", std::process::id()));
    std::fs::write(&partial, serde_json::to_vec_pretty(entry)?)
        .with_context(|| format!("writing {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("writing {}", path.display()))
}

/// Keeps `caller` in the entry `resolved` came from, for the commands that
/// follow with the same credentials. A cache that cannot be written only
/// costs the next command a call.
pub fn remember_caller(resolved: &Resolved, caller: &str) {
    if let Some(path) = &resolved.cache_file {
        let entry = Entry {
            caller: Some(caller.to_owned()),
            ..resolved.entry.clone()
        };
        let _ = write_entry(path, &entry);
    }
}

/// Where the resolved outputs came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Source {
    #[serde(rename = "cache")]
    Cache,
    DescribeStacks,
}

/// The stack, and how it was found.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub stack: Stack,
    pub entry: Entry,
    pub source: Source,
    /// The cache file read or written, if any.
    pub cache_file: Option<PathBuf>,
}

/// Resolves the stack from a fresh cache entry, else from DescribeStacks
/// (then cached). `refresh` skips the cache read.
pub async fn resolve(
    client: &aws_sdk_cloudformation::Client,
    cache: Option<&Cache>,
    key: Option<&Key>,
    name: &str,
    refresh: bool,
    now: Timestamp,
) -> anyhow::Result<Resolved> {
    let cached = match (cache, key) {
        (Some(cache), Some(key)) if !refresh => cache.read(key, now).map(|e| (e, cache.path(key))),
        _ => None,
    };
    if let Some((entry, path)) = cached {
        // A cached entry whose outputs no longer make a stack is ignored.
        if let Ok(stack) = Stack::from_map(name, &entry.outputs) {
            return Ok(Resolved {
                stack,
                entry,
                source: Source::Cache,
                cache_file: Some(path),
            });
        }
    }
    let described = describe(client, name).await?;
    let stack = Stack::from_map(name, &described.outputs).context("reading the stack's outputs")?;
    let region = client
        .config()
        .region()
        .map(ToString::to_string)
        .unwrap_or_default();
    let entry = Entry {
        stack: name.to_owned(),
        region,
        endpoint: key.and_then(|k| k.endpoint.clone()),
        account: described.account,
        fetched_at: now,
        outputs: described.outputs,
        caller: None,
    };
    // A cache that cannot be written only costs the next command a call.
    let cache_file = match (cache, key) {
        (Some(cache), Some(key)) => cache.write(key, &entry).ok(),
        _ => None,
    };
    Ok(Resolved {
        stack,
        entry,
        source: Source::DescribeStacks,
        cache_file,
    })
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::operation::describe_stacks::DescribeStacksOutput;
    use aws_smithy_mocks::{mock, mock_client, RuleMode};

    use super::*;

    fn key(endpoint: Option<&str>) -> Key {
        Key {
            stack: "hitl".into(),
            region: "eu-west-1".into(),
            endpoint: endpoint.map(str::to_owned),
            identity: "AKIAEXAMPLE".into(),
        }
    }

    fn described() -> DescribeStacksOutput {
        crate::fixtures::described_stack()
    }

    /// An empty directory of its own for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hitl-cache-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_unix_seconds(1_795_000_000 + seconds).unwrap()
    }

    #[tokio::test]
    async fn describe_stacks_is_asked_once_then_the_cache_answers_until_it_expires() {
        let rule = mock!(aws_sdk_cloudformation::Client::describe_stacks).then_output(described);
        let client = mock_client!(aws_sdk_cloudformation, RuleMode::MatchAny, [&rule], |c| c
            .region(aws_sdk_cloudformation::config::Region::new("eu-west-1")));
        let cache = Cache::at(scratch("ttl"));
        let key = key(None);

        let first = resolve(&client, Some(&cache), Some(&key), "hitl", false, at(0))
            .await
            .unwrap();
        assert_eq!(first.source, Source::DescribeStacks);
        assert_eq!(first.entry.account.as_deref(), Some("123456789012"));
        assert_eq!(first.cache_file, Some(cache.path(&key)));

        let second = resolve(&client, Some(&cache), Some(&key), "hitl", false, at(299))
            .await
            .unwrap();
        assert_eq!(second.source, Source::Cache);
        assert_eq!(second.stack, first.stack);
        assert_eq!(second.entry.caller, None, "nobody asked STS yet");
        remember_caller(&second, "arn:aws:iam::123456789012:user/bob");
        let third = resolve(&client, Some(&cache), Some(&key), "hitl", false, at(299))
            .await
            .unwrap();
        assert_eq!(
            third.entry.caller.as_deref(),
            Some("arn:aws:iam::123456789012:user/bob")
        );
        assert_eq!(
            third.entry.fetched_at, first.entry.fetched_at,
            "as fresh as before"
        );
        assert_eq!(second.entry.fetched_at, at(0));
        assert_eq!(rule.num_calls(), 1);

        let expired = resolve(&client, Some(&cache), Some(&key), "hitl", false, at(300))
            .await
            .unwrap();
        assert_eq!(expired.source, Source::DescribeStacks);
        let refreshed = resolve(&client, Some(&cache), Some(&key), "hitl", true, at(301))
            .await
            .unwrap();
        assert_eq!(refreshed.source, Source::DescribeStacks);
        assert_eq!(rule.num_calls(), 3);
    }

    #[test]
    fn entries_are_kept_apart_by_endpoint_and_credentials() {
        let local = key(Some("http://127.0.0.1:4801"));
        let aws = key(None);
        let other_account = Key {
            identity: "AKIAOTHER".into(),
            ..key(None)
        };
        let names = [
            local.file_name(),
            aws.file_name(),
            other_account.file_name(),
        ];
        assert!(names
            .iter()
            .all(|n| n.starts_with("hitl-") && n.ends_with(".json")));
        assert_ne!(names[0], names[1]);
        assert_ne!(names[1], names[2]);
        assert!(!names[1].contains("AKIA"), "credentials are never written");

        let cache = Cache::at(scratch("apart"));
        let entry = Entry {
            stack: "hitl".into(),
            region: "eu-west-1".into(),
            endpoint: local.endpoint.clone(),
            account: None,
            fetched_at: at(0),
            outputs: BTreeMap::new(),
            caller: None,
        };
        cache.write(&local, &entry).unwrap();
        assert_eq!(cache.read(&local, at(1)), Some(entry));
        assert_eq!(cache.read(&aws, at(1)), None);
        assert_eq!(
            cache.read(&local, at(-1)),
            None,
            "a future entry is not trusted"
        );
    }

    #[test]
    fn unreadable_entries_are_ignored() {
        let dir = scratch("garbage");
        let cache = Cache::at(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(cache.path(&key(None)), "not json").unwrap();
        assert_eq!(cache.read(&key(None), at(0)), None);
    }
}
