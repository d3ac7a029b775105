//! What every command needs: AWS clients, the resolved stack, the output format.

use std::io::IsTerminal;

use anyhow::Context;
use aws_config::SdkConfig;
use hitl_approvals::{ApprovalStore, Decider};

use crate::cli::{GlobalArgs, OutputFormat};
use crate::identity::Caller;
use crate::stack::{load_config, Stack};
use crate::stack_cache::{self, Cache, Key, Resolved};

pub struct App {
    pub config: SdkConfig,
    pub stack: Stack,
    /// How the stack was found (`hitl stack` shows it).
    pub resolved: Resolved,
    pub output: OutputFormat,
}

impl App {
    pub async fn connect(global: &GlobalArgs) -> anyhow::Result<Self> {
        let config = load_config(global).await?;
        let cloudformation = aws_sdk_cloudformation::Client::new(&config);
        let key = Key::for_config(&config, &global.stack).await;
        let resolved = stack_cache::resolve(
            &cloudformation,
            Cache::from_env().as_ref(),
            key.as_ref(),
            &global.stack,
            global.refresh,
            hitl_contract::Timestamp::now(),
        )
        .await
        .with_context(|| format!("resolving stack `{}`", global.stack))?;
        Ok(Self {
            config,
            stack: resolved.stack.clone(),
            resolved,
            output: output_format(global.output),
        })
    }

    pub fn lambda(&self) -> aws_sdk_lambda::Client {
        aws_sdk_lambda::Client::new(&self.config)
    }

    pub fn store(&self) -> ApprovalStore {
        ApprovalStore::new(
            aws_sdk_dynamodb::Client::new(&self.config),
            &self.stack.table,
        )
    }

    pub fn decider(&self) -> Decider {
        Decider::new(self.store(), self.lambda())
            .allow_self_approval(self.stack.allow_self_approval)
    }

    /// The caller: the principal STS reports (asked once per credentials
    /// while the stack cache holds them), and what signs their proofs of
    /// identity (see [`crate::identity::Caller`]).
    pub async fn caller(&self) -> anyhow::Result<Caller> {
        let known = self.resolved.entry.caller.clone();
        let caller = Caller::of(&self.config, known.clone()).await?;
        if known.is_none() {
            stack_cache::remember_caller(&self.resolved, &caller.arn);
        }
        Ok(caller)
    }
}

/// The format asked for, else a table for people and JSON for pipes.
pub fn output_format(requested: Option<OutputFormat>) -> OutputFormat {
    requested.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            OutputFormat::Table
        } else {
            OutputFormat::Json
        }
    })
}
