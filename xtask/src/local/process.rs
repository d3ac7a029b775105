//! Background processes of the local stack: started in their own process
//! groups, remembered by pid files, stopped group and all.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// One supervised process: its pid file and log file in the run directory.
pub struct Service {
    pub name: &'static str,
    run_dir: PathBuf,
}

impl Service {
    pub fn new(run_dir: &Path, name: &'static str) -> Self {
        Self {
            name,
            run_dir: run_dir.to_path_buf(),
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.run_dir.join(format!("{}.log", self.name))
    }

    fn pid_path(&self) -> PathBuf {
        self.run_dir.join(format!("{}.pid", self.name))
    }

    /// Starts `command` detached in a new process group, output to its log.
    pub fn start(&self, command: &mut Command) -> anyhow::Result<()> {
        // Appended: a restarted service keeps its earlier lines.
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {} ({:?})", self.name, command.get_program()))?;
        std::fs::write(self.pid_path(), child.id().to_string())?;
        Ok(())
    }

    /// Kills the whole process group at once (SIGKILL), as a crash would.
    pub fn kill(&self) {
        if let Some(pid) = self.pid() {
            signal_group(pid, "KILL");
            let deadline = Instant::now() + Duration::from_secs(5);
            while group_alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        std::fs::remove_file(self.pid_path()).ok();
    }

    pub fn pid(&self) -> Option<i32> {
        std::fs::read_to_string(self.pid_path())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    pub fn is_running(&self) -> bool {
        self.pid().is_some_and(is_alive)
    }

    /// The last lines of its log, to show why it failed.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Stops the whole process group: TERM, then KILL after a grace period.
    pub fn stop(&self) {
        if let Some(pid) = self.pid() {
            signal_group(pid, "TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while group_alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            if group_alive(pid) {
                signal_group(pid, "KILL");
            }
        }
        std::fs::remove_file(self.pid_path()).ok();
    }
}

fn is_alive(pid: i32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

/// Whether any process is left in the group `pgid`.
fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries.flatten().any(|entry| {
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // Fields after the command name: state ppid pgrp ...
        stat.rsplit_once(") ")
            .map(|(_, rest)| rest.split(' ').collect::<Vec<_>>())
            .is_some_and(|fields| {
                fields.len() > 2 && fields[0] != "Z" && fields[2] == pgid.to_string()
            })
    })
}

fn signal_group(pgid: i32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stderr(Stdio::null())
        .status();
}

/// Waits until `ready` holds, failing early if the service died.
pub async fn wait_until<F, Fut>(
    service: &Service,
    timeout: Duration,
    mut ready: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if ready().await {
            return Ok(());
        }
        if !service.is_running() {
            bail!(
                "{} exited while starting; its log ({}) ends with:\n{}",
                service.name,
                service.log_path().display(),
                service.log_tail()
            );
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not answer within {}s; its log ({}) ends with:\n{}",
                service.name,
                timeout.as_secs(),
                service.log_path().display(),
                service.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Whether an HTTP GET on `url` gets any answer at all.
pub async fn answers(http: reqwest::Client, url: String) -> bool {
    http.get(&url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .is_ok()
}
