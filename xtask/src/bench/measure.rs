//! Timing child processes and reading their peak memory.
//!
//! Peak memory is never read from the benchmark's own `wait4`/`getrusage`:
//! Linux carries the spawning process's high-water RSS into a child's
//! `ru_maxrss` across `exec` (std spawns with `posix_spawn`, which shares
//! our address space until then), so a child of this large process would
//! report at least our own size. Instead a process that exits by itself runs
//! under GNU time, which forks it from its own small process and reports its
//! `ru_maxrss`; a process we stop ourselves has its `VmHWM` (the high-water
//! RSS of its own image) read from /proc just before it is killed.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// GNU time, which the benchmark installs from Debian when it is missing.
pub const GNU_TIME: &str = "/usr/bin/time";

/// A finished child process: how long it ran and what it printed (when
/// asked to keep it).
#[derive(Debug)]
pub struct Finished {
    pub elapsed: Duration,
    pub success: bool,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Finished {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
}

/// Runs `command` to its end, timing it from just before the spawn to the
/// moment it has been reaped. `keep_stdout` captures its output (else it goes
/// to /dev/null); stderr is always kept, to explain failures.
pub fn run(command: &mut Command, keep_stdout: bool) -> anyhow::Result<Finished> {
    command.stdin(Stdio::null()).stderr(Stdio::piped());
    command.stdout(if keep_stdout {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("starting {:?}", command.get_program()))?;
    let stdout = child.stdout.take().map(read_in_background);
    let stderr = child.stderr.take().map(read_in_background);
    let success = child.wait()?.success();
    let elapsed = started.elapsed();
    let joined = |reader: Option<std::thread::JoinHandle<Vec<u8>>>| {
        reader
            .map(|r| r.join().unwrap_or_default())
            .unwrap_or_default()
    };
    Ok(Finished {
        elapsed,
        success,
        stdout: joined(stdout),
        stderr: joined(stderr),
    })
}

/// Like [`run`], failing unless the command succeeds.
pub fn run_ok(command: &mut Command, keep_stdout: bool) -> anyhow::Result<Finished> {
    let program = command.get_program().to_string_lossy().into_owned();
    let args: Vec<String> = command
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let finished = run(command, keep_stdout)?;
    if !finished.success {
        bail!(
            "`{program} {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&finished.stdout),
            String::from_utf8_lossy(&finished.stderr)
        );
    }
    Ok(finished)
}

/// Runs a fresh command `runs` times in a row; the wall time of each.
pub fn time_runs(
    runs: usize,
    mut command: impl FnMut(usize) -> Command,
) -> anyhow::Result<Vec<Duration>> {
    (0..runs)
        .map(|i| Ok(run_ok(&mut command(i), false)?.elapsed))
        .collect()
}

fn read_in_background(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        pipe.read_to_end(&mut bytes).ok();
        bytes
    })
}

/// `/usr/bin/time -f %M -o report`: put the measured program and its
/// arguments after it; [`gnu_time_peak`] then reads its peak RSS.
pub fn gnu_time(report: &Path) -> Command {
    let mut command = Command::new(GNU_TIME);
    command.arg("-f").arg("%M").arg("-o").arg(report);
    command
}

/// The peak RSS (KiB) GNU time wrote to `report`: its last line.
pub fn gnu_time_peak(report: &Path) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(report)
        .with_context(|| format!("reading GNU time's report {}", report.display()))?;
    parse_last_number(&text).with_context(|| format!("GNU time reported no peak RSS: {text}"))
}

fn parse_last_number(text: &str) -> Option<u64> {
    text.lines().rev().find_map(|l| l.trim().parse().ok())
}

/// The high-water RSS (KiB) of a running process's own image: `VmHWM`.
pub fn peak_of_running(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    vm_hwm(&status).context("no VmHWM in /proc/PID/status")
}

fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Kills `child` (SIGKILL) and waits for it.
pub fn kill(child: &mut Child) {
    child.kill().ok();
    child.wait().ok();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_is_timed_and_its_output_kept() {
        let finished = run(Command::new("sh").args(["-c", "echo hello; exit 0"]), true).unwrap();
        assert!(finished.success);
        assert_eq!(finished.stdout_text(), "hello\n");
        assert!(finished.elapsed > Duration::ZERO);
        assert!(!run(&mut Command::new("false"), false).unwrap().success);
    }

    #[test]
    fn peaks_are_read_from_gnu_time_and_proc() {
        assert_eq!(parse_last_number("13208\n"), Some(13208));
        assert_eq!(
            parse_last_number("Command exited with non-zero status 3\n2048\n"),
            Some(2048)
        );
        assert_eq!(
            vm_hwm("Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t   12352 kB\nVmRSS:\t 1 kB\n"),
            Some(12352)
        );
        assert!(peak_of_running(std::process::id()).unwrap() > 0);
    }
}
