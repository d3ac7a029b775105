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

/// See [`hitl_e2e::clean_cargo_env`]: the test harness and the dev tool
/// start nested cargo runs alike.
pub use hitl_e2e::clean_cargo_env;

/// `cargo ARGS` in the repository, free of the running cargo's variables.
pub(crate) fn cargo(paths: &Paths, args: &[&str]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO"));
    clean_cargo_env(&mut command)
        .args(args)
        .current_dir(&paths.repo);
    command
}
