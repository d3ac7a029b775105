//! Shell completions and the man page, generated from the command line
//! definition and checked in under `completions/` (a test keeps them current).

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

pub fn print(shell: Shell) {
    clap_complete::generate(shell, &mut Cli::command(), "hitl", &mut std::io::stdout());
}

/// Every generated file: its name under `completions/` and its content.
#[cfg(test)]
pub fn generated() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "hitl", &mut out);
        let name = match shell {
            Shell::Bash => "hitl.bash".to_owned(),
            Shell::Zsh => "_hitl".to_owned(),
            Shell::Fish => "hitl.fish".to_owned(),
            Shell::PowerShell => "_hitl.ps1".to_owned(),
            Shell::Elvish => "hitl.elv".to_owned(),
            other => format!("hitl.{other}"),
        };
        files.push((name, out));
    }
    let mut man = Vec::new();
    if clap_mangen::Man::new(Cli::command())
        .render(&mut man)
        .is_ok()
    {
        files.push(("hitl.1".to_owned(), man));
    }
    files
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Fails when `completions/` is stale; `UPDATE_COMPLETIONS=1 cargo test -p hitl` rewrites it.
    #[test]
    fn checked_in_completions_are_current() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../completions");
        let update = std::env::var_os("UPDATE_COMPLETIONS").is_some();
        let mut stale = Vec::new();
        for (name, content) in super::generated() {
            let path = dir.join(&name);
            if update {
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(&path, &content).unwrap();
            } else if std::fs::read(&path).ok().as_deref() != Some(content.as_slice()) {
                stale.push(name);
            }
        }
        assert!(
            stale.is_empty(),
            "completions/ is stale ({stale:?}): run `UPDATE_COMPLETIONS=1 cargo test -p hitl completions` and commit"
        );
    }
}
