//! Fault injection for crash-recovery tests. The front door sees every
//! checkpoint on its way to the emulator, so it can kill a function's
//! process exactly before or after the Nth checkpoint of one execution
//! reaches the service: the points where a Lambda can die.
//!
//! It sees every callback a decider sends, too, so it can stop one at the
//! points where a decider can die between its claim and reading the outcome:
//! before the callback reaches the service, or after the service recorded
//! it but before the decider sees the answer. There it either holds the
//! request (the test then kills the decider, e.g. `hitl`) or kills the
//! function that sent it (the approval page).
//!
//! After the kill, `cargo lambda watch` is restarted: it never starts a new
//! instance of a function whose process died (its pending invocation would
//! hang), while Lambda would start a new sandbox. The emulator then sees the
//! invocation fail and invokes again, as Lambda does.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// The checkpoint never reaches the service.
    Before,
    /// The service records the checkpoint; the function never sees the answer.
    After,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    pub execution_name: String,
    /// 1 for the execution's first checkpoint call.
    pub checkpoint: usize,
    pub when: When,
    /// The function (binary) whose processes are killed.
    pub function: String,
    /// How many processes the fault killed, once it fired.
    #[serde(default)]
    pub killed: usize,
}

/// What a callback fault does to the decider once it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Then {
    /// Never answer (for a while): the caller is killed by the test.
    Hold,
    /// Kill the function's processes, as for a checkpoint fault.
    Crash,
}

/// A fault on the callback sent to one callback id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackFault {
    /// The callback id as the record holds it (not percent-encoded).
    pub callback_id: String,
    pub when: When,
    pub then: Then,
    /// The function (binary) killed by [`Then::Crash`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<String>,
    /// How many processes the fault killed, once it fired.
    #[serde(default)]
    pub killed: usize,
}

#[derive(Debug, Default)]
pub struct Faults {
    armed: Vec<Fault>,
    /// Checkpoint calls so far, by execution name.
    pub checkpoints: HashMap<String, usize>,
    pub fired: Vec<Fault>,
    armed_callbacks: Vec<CallbackFault>,
    pub fired_callbacks: Vec<CallbackFault>,
}

impl Faults {
    pub fn arm(&mut self, fault: Fault) {
        self.armed.push(fault);
    }

    /// Counts one checkpoint call of `execution_name`; returns the fault that
    /// fires on it, which is then disarmed.
    pub fn on_checkpoint(&mut self, execution_name: &str) -> Option<Fault> {
        let count = self
            .checkpoints
            .entry(execution_name.to_owned())
            .or_default();
        *count += 1;
        let count = *count;
        let index = self
            .armed
            .iter()
            .position(|f| f.execution_name == execution_name && f.checkpoint == count)?;
        let fault = self.armed.remove(index);
        self.fired.push(fault.clone());
        Some(fault)
    }

    pub fn arm_callback(&mut self, fault: CallbackFault) {
        self.armed_callbacks.push(fault);
    }

    /// The fault armed for a callback sent to `callback_id`, disarmed. It
    /// counts as fired once [`Faults::callback_fired`] notes it.
    pub fn take_callback(&mut self, callback_id: &str) -> Option<CallbackFault> {
        let index = self
            .armed_callbacks
            .iter()
            .position(|f| f.callback_id == callback_id)?;
        Some(self.armed_callbacks.remove(index))
    }

    pub fn callback_fired(&mut self, fault: CallbackFault) {
        self.fired_callbacks.push(fault);
    }

    /// Notes how many processes a fired fault killed.
    pub fn record_kill(&mut self, execution_name: &str, killed: usize) {
        if let Some(fault) = self
            .fired
            .iter_mut()
            .rev()
            .find(|f| f.execution_name == execution_name)
        {
            fault.killed = killed;
        }
    }
}

/// Kills (SIGKILL) every process running `function`'s binary, which sits
/// beside this one in the target directory, then restarts the functions'
/// runtime. Returns how many processes were killed.
pub async fn crash(function: &str) -> anyhow::Result<usize> {
    let function = function.to_owned();
    // Plain blocking waits: they reap children whatever the async runtime's
    // signal handling is.
    tokio::task::spawn_blocking(move || crash_blocking(&function)).await?
}

fn crash_blocking(function: &str) -> anyhow::Result<usize> {
    let binary = running_path(&std::env::current_exe()?).with_file_name(function);
    let mut killed = 0;
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let exe = std::fs::read_link(entry.path().join("exe")).ok();
        if exe.as_deref().map(running_path) == Some(binary.clone()) {
            let status = std::process::Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status()?;
            killed += usize::from(status.success());
        }
    }
    // This very binary, even when a rebuild has replaced its file since the
    // stack started (cargo does when the e2e harness changes).
    let restarted = std::process::Command::new("/proc/self/exe")
        .args(["local", "restart-functions"])
        .status()?;
    anyhow::ensure!(
        restarted.success(),
        "restarting the functions' runtime failed"
    );
    Ok(killed)
}

/// The path a running binary was started from. Linux adds " (deleted)" to
/// it once a rebuild has replaced the file.
fn running_path(exe: &Path) -> PathBuf {
    let text = exe.to_string_lossy();
    PathBuf::from(text.strip_suffix(" (deleted)").unwrap_or(&text))
}

/// `%2F` and friends back to bytes, for the ARN in a request path.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_fires_once_on_its_checkpoint() {
        let mut faults = Faults::default();
        faults.arm(Fault {
            execution_name: "req-1".into(),
            checkpoint: 2,
            when: When::After,
            function: "wf".into(),
            killed: 0,
        });
        assert!(faults.on_checkpoint("other").is_none());
        assert!(faults.on_checkpoint("req-1").is_none());
        assert_eq!(faults.on_checkpoint("req-1").unwrap().when, When::After);
        assert!(faults.on_checkpoint("req-1").is_none());
        assert_eq!(faults.fired.len(), 1);
    }

    #[test]
    fn a_callback_fault_fires_once_for_its_callback() {
        let mut faults = Faults::default();
        faults.arm_callback(CallbackFault {
            callback_id: "cb/1+=".into(),
            when: When::Before,
            then: Then::Hold,
            function: None,
            killed: 0,
        });
        assert!(faults.take_callback("cb/2").is_none());
        let fault = faults.take_callback("cb/1+=").unwrap();
        assert!(faults.take_callback("cb/1+=").is_none());
        assert!(faults.fired_callbacks.is_empty(), "fired once noted");
        faults.callback_fired(fault);
        assert_eq!(faults.fired_callbacks.len(), 1);
    }

    #[test]
    fn arns_are_decoded_from_paths() {
        assert_eq!(percent_decode("abc%2Fdef%3D"), "abc/def=");
        assert_eq!(percent_decode("100%"), "100%");
    }

    #[test]
    fn a_binary_replaced_by_a_rebuild_is_still_found_by_its_path() {
        let built = Path::new("/repo/target/debug/approval-workflow");
        let replaced = Path::new("/repo/target/debug/approval-workflow (deleted)");
        assert_eq!(running_path(built), built);
        assert_eq!(running_path(replaced), built);
    }
}
