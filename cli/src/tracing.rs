//! `-v`: the AWS SDK's request-level logs on stderr, for seeing which call
//! went where and what came back.

/// What each `-v` shows; nothing without one.
fn filter(verbosity: u8) -> Option<&'static str> {
    match verbosity {
        0 => None,
        // Each operation, its endpoint, attempts and the response status.
        1 => Some("warn,aws_smithy_runtime::client::orchestrator=debug,aws_smithy_runtime::client::retries=debug"),
        // Everything the SDK says, down to headers and connection reuse.
        _ => Some("debug,hyper_util=info,rustls=info,h2=info"),
    }
}

/// Starts logging to stderr when `-v` was given.
pub fn init(verbosity: u8) {
    let Some(filter) = filter(verbosity) else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_target(true)
        .with_ansi(
            std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        )
        .try_init();
}

#[cfg(test)]
mod tests {
    #[test]
    fn quiet_unless_asked_and_every_filter_parses() {
        assert_eq!(super::filter(0), None);
        for verbosity in 1..=3 {
            let filter = super::filter(verbosity).unwrap();
            assert!(
                tracing_subscriber::EnvFilter::try_new(filter).is_ok(),
                "{filter}"
            );
        }
    }
}
