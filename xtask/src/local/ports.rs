//! The local stack's ports: consecutive from a base, recorded while it runs.

use std::net::TcpListener;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

/// The first port when none is configured (`--base-port`, `HITL_LOCAL_BASE_PORT`).
pub const DEFAULT_BASE: u16 = 4700;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub dynamodb: u16,
    pub moto: u16,
    pub emulator: u16,
    /// `cargo lambda watch`: the Lambda runtime and Invoke APIs of our functions.
    pub functions: u16,
    /// The Lambda API front door `hitl` talks to.
    pub front_door: u16,
    /// The Python SDK twins of the conformance workflows (differential tests).
    pub python_functions: u16,
}

impl Ports {
    pub fn from_base(base: u16) -> Self {
        Self {
            dynamodb: base,
            moto: base.saturating_add(1),
            emulator: base.saturating_add(2),
            functions: base.saturating_add(3),
            front_door: base.saturating_add(4),
            python_functions: base.saturating_add(5),
        }
    }

    pub fn named(&self) -> [(&'static str, u16); 6] {
        [
            ("DynamoDB Local", self.dynamodb),
            ("moto_server", self.moto),
            ("dex-local-runner", self.emulator),
            ("cargo lambda watch", self.functions),
            ("Lambda front door", self.front_door),
            ("Python conformance functions", self.python_functions),
        ]
    }

    /// Fails with the first port that something else listens on.
    pub fn check_free(&self) -> anyhow::Result<()> {
        for (service, port) in self.named() {
            if TcpListener::bind(("127.0.0.1", port)).is_err() {
                bail!(
                    "port {port} (for {service}) is in use by another process: stop it, or move the local stack \
                     with --base-port N or HITL_LOCAL_BASE_PORT=N (it uses N to N+5)"
                );
            }
        }
        Ok(())
    }

    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_string_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }

    pub fn load(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!(
                "the local stack is not running (no {}): start it with `cargo xtask local up`",
                path.display()
            )
        })?;
        Ok(serde_json::from_str(&text)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_is_named() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = listener.local_addr().unwrap().port();
        let err = Ports::from_base(base).check_free().unwrap_err().to_string();
        assert!(
            err.contains(&format!("port {base} (for DynamoDB Local) is in use")),
            "{err}"
        );
    }
}
