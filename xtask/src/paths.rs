//! Where things live: the repository and its git-ignored `.local-stack/`.

use std::path::{Path, PathBuf};

pub struct Paths {
    pub repo: PathBuf,
    /// `.local-stack/`: installed tools, process state, logs.
    pub state: PathBuf,
    pub venv: PathBuf,
    /// Pid files, logs and the recorded ports of a running stack.
    pub run: PathBuf,
}

impl Paths {
    pub fn discover() -> Self {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        let state = repo.join(".local-stack");
        Self {
            venv: state.join("venv"),
            run: state.join("run"),
            state,
            repo,
        }
    }

    pub fn venv_bin(&self, name: &str) -> PathBuf {
        self.venv.join("bin").join(name)
    }

    /// AWS SAM CLI's own virtualenv.
    pub fn sam_venv(&self) -> PathBuf {
        self.state.join("sam-venv")
    }

    /// checkov's own virtualenv (for CI's check of template.yaml).
    pub fn checkov_venv(&self) -> PathBuf {
        self.state.join("checkov-venv")
    }

    /// The AWS CLI's own virtualenv (for the benchmark's comparisons).
    pub fn aws_cli_venv(&self) -> PathBuf {
        self.state.join("awscli-venv")
    }

    pub fn ensure_dirs(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.run)
    }
}

/// A `cargo` command free of the variables `cargo run` sets for the running
/// package (`CARGO_PKG_NAME`, `CARGO_MANIFEST_DIR`, ...). Build scripts such
/// as ring's watch those, so inheriting them would make every nested build
/// differ from a plain one and recompile the AWS SDK each time.
pub fn clean_cargo_env(command: &mut std::process::Command) -> &mut std::process::Command {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key.starts_with("CARGO_PKG_")
            || matches!(
                key,
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_MANIFEST_LINKS"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
            )
        {
            command.env_remove(key);
        }
    }
    command
}
