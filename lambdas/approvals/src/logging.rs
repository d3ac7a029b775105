//! How every function logs: one JSON object per line on stdout, which
//! Lambda ships to CloudWatch Logs, each with its `target` (the crate and
//! module that logged it: the local stack files lines under their
//! function's log group by it, and `hitl tail-logs` shows it).
//!
//! The level is Lambda's own setting when the function's `LoggingConfig`
//! names an `ApplicationLogLevel` (Lambda passes it as
//! `AWS_LAMBDA_LOG_LEVEL`), else `RUST_LOG`, else `info`. `lambda_runtime`'s
//! own set-up reads the same variable, but drops the target and the
//! timestamp, so the functions do not use it.

use tracing_subscriber::EnvFilter;

/// Lambda's variable for the function's application log level.
pub const LAMBDA_LOG_LEVEL: &str = "AWS_LAMBDA_LOG_LEVEL";

/// Installs the subscriber; call once, first thing in `main`.
pub fn init() {
    let filter = filter(
        std::env::var(LAMBDA_LOG_LEVEL).ok().as_deref(),
        std::env::var("RUST_LOG").ok().as_deref(),
    );
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(true)
        .init();
}

/// The filter for Lambda's level (`TRACE` … `FATAL`) or a `RUST_LOG`
/// directive; `info` when neither reads.
fn filter(lambda_level: Option<&str>, rust_log: Option<&str>) -> EnvFilter {
    let lambda = lambda_level.and_then(|level| match level.to_ascii_uppercase().as_str() {
        "TRACE" => Some("trace"),
        "DEBUG" => Some("debug"),
        "INFO" => Some("info"),
        "WARN" => Some("warn"),
        // tracing has no level above error.
        "ERROR" | "FATAL" => Some("error"),
        _ => None,
    });
    lambda
        .map(EnvFilter::new)
        .or_else(|| rust_log.and_then(|d| EnvFilter::try_new(d).ok()))
        .unwrap_or_else(|| EnvFilter::new("info"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambdas_level_comes_first_then_rust_log_then_info() {
        let shown = |lambda, rust| filter(lambda, rust).to_string();
        assert_eq!(shown(Some("DEBUG"), Some("warn")), "debug");
        assert_eq!(shown(Some("FATAL"), None), "error");
        assert_eq!(
            shown(Some("nonsense"), Some("approval_api=trace")),
            "approval_api=trace"
        );
        assert_eq!(shown(None, None), "info");
        assert_eq!(shown(None, Some("=bad=")), "info");
    }
}
