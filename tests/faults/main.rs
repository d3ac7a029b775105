//! The tests that kill part of the local stack (a service, the workflow's
//! process, a decider): each would fail any other test running at the
//! time, so they run one at a time ([`alone`]), in a binary of their own,
//! which cargo runs after or before the other tests, never beside them.

mod claim_faults;
mod crash_recovery;
mod killed_services;

use tokio::sync::{Mutex, MutexGuard};

/// No other test of this binary runs while one holds it.
static STACK: Mutex<()> = Mutex::const_new(());

/// Held for a whole test ([`alone_async`] in async tests).
pub fn alone() -> MutexGuard<'static, ()> {
    STACK.blocking_lock()
}

pub async fn alone_async() -> MutexGuard<'static, ()> {
    STACK.lock().await
}
