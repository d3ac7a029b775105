//! The end-to-end tests: the built `hitl` binary, the approval page in
//! headless Chromium and the AWS clients people use, against the local
//! stack. One test binary (as uv keeps `tests/it`): the AWS SDK is linked
//! once, not once per file. The tests that kill the stack's services are
//! apart, in `tests/faults`.

mod approval_links;
mod approval_loop;
mod bad_input;
mod bad_input_corpus;
mod events;
mod executions_check;
mod foreign_decisions;
mod https_submit;
mod identity;
mod listing;
mod quorum;
mod races;
mod reminders;
mod replay_safe_logs;
mod tail_logs;
