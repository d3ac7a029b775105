//! Fault injection for crash-recovery tests. The front door sees every
//! checkpoint on its way to the emulator, so it can fail the invocation
//! exactly before or after the Nth checkpoint of one execution reaches the
//! service: the points where a Lambda invocation can die.
//!
//! The invocation fails rather than its process being killed:
//! `cargo lambda watch` does not start a new instance of a function whose
//! process was killed, and its pending invocation hangs. A failed checkpoint
//! leaves the runtime in the state a kill would (nothing after the
//! checkpoint runs, the invocation ends unanswered), and the emulator retries
//! the invocation as Lambda would.

use std::collections::HashMap;

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
}

#[derive(Debug, Default)]
pub struct Faults {
    armed: Vec<Fault>,
    checkpoints: HashMap<String, usize>,
    pub fired: Vec<Fault>,
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
        });
        assert!(faults.on_checkpoint("other").is_none());
        assert!(faults.on_checkpoint("req-1").is_none());
        assert_eq!(faults.on_checkpoint("req-1").unwrap().when, When::After);
        assert!(faults.on_checkpoint("req-1").is_none());
        assert_eq!(faults.fired.len(), 1);
    }

    #[test]
    fn arns_are_decoded_from_paths() {
        assert_eq!(percent_decode("abc%2Fdef%3D"), "abc/def=");
        assert_eq!(percent_decode("100%"), "100%");
    }
}
