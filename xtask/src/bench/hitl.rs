//! `hitl` as an operator runs it against the local stack.

use std::path::PathBuf;
use std::process::Command;

#[derive(Debug, Clone)]
pub struct Hitl {
    pub program: PathBuf,
    /// Its stack-outputs cache, kept apart from the user's.
    pub cache_dir: PathBuf,
    /// Extra environment, e.g. a DynamoDB endpoint through a counting proxy.
    pub env: Vec<(String, String)>,
    /// The AWS profile it runs with: whose identity it proves.
    pub profile: String,
}

impl Hitl {
    pub fn command(&self, args: &[&str]) -> Command {
        self.prepare(Command::new(&self.program), args)
    }

    /// `hitl args...` under GNU time, which writes its peak RSS to `report`.
    pub fn under_gnu_time(&self, args: &[&str], report: &std::path::Path) -> Command {
        let mut command = super::measure::gnu_time(report);
        command.arg(&self.program);
        self.prepare(command, args)
    }

    fn prepare(&self, mut command: Command, args: &[&str]) -> Command {
        hitl_e2e::through_profile(&mut command, &self.profile)
            .args(args)
            .env("HITL_CACHE_DIR", &self.cache_dir);
        for (key, value) in &self.env {
            command.env(key, value);
        }
        command
    }

    /// The same, run by one of the local stack's people (their profile).
    pub fn as_person(&self, person: &str) -> Self {
        Self {
            profile: hitl_e2e::person_profile(person),
            ..self.clone()
        }
    }

    /// The same, with some extra environment.
    pub fn with_env(&self, key: &str, value: String) -> Self {
        let mut hitl = self.clone();
        hitl.env.push((key.to_owned(), value));
        hitl
    }
}
