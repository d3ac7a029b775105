//! Ships the functions' log lines into CloudWatch Logs (moto), as Lambda
//! does on AWS, so `hitl tail-logs` reads the same log groups everywhere.
//!
//! `cargo lambda watch` prints every function's output into one stream. Our
//! functions log one JSON object per line with a `target` naming the module
//! that logged it; its first segment is the binary's crate, which names the
//! function (the workflow's official-SDK build logs to the workflow's
//! group). Other lines (the watcher's own, compiler output) stay in the
//! local log file only.

use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::Path;
use std::time::Duration;

use aws_sdk_cloudwatchlogs::types::InputLogEvent;

use super::provision::{
    log_group, API_FUNCTION, OFFICIAL_WORKFLOW_FUNCTION, SUBMIT_FUNCTION, WORKFLOW_FUNCTION,
};

const STREAM: &str = "local";

/// The function a log line belongs to, from its tracing target.
pub fn function_of(line: &str) -> Option<&'static str> {
    let value: serde_json::Value = serde_json::from_str(line).ok()?;
    let target = value.get("target")?.as_str()?;
    let krate = target.split("::").next()?;
    if krate == OFFICIAL_WORKFLOW_FUNCTION.replace('-', "_") {
        return Some(WORKFLOW_FUNCTION);
    }
    [WORKFLOW_FUNCTION, API_FUNCTION, SUBMIT_FUNCTION]
        .into_iter()
        .find(|function| function.replace('-', "_") == krate)
}

fn timestamp_of(line: &str) -> i64 {
    serde_json::from_str::<serde_json::Value>(line)
        .ok()
        .and_then(|v| v.get("timestamp")?.as_str().map(str::to_owned))
        .and_then(|t| hitl_contract::Timestamp::parse(&t).ok())
        .unwrap_or_else(hitl_contract::Timestamp::now)
        .unix_millis()
}

pub async fn forward(source: &Path, moto_port: u16) -> anyhow::Result<()> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{moto_port}"))
        .load()
        .await;
    let client = aws_sdk_cloudwatchlogs::Client::new(&config);
    let mut created = std::collections::HashSet::new();
    let mut offset = 0u64;
    let mut partial = String::new();
    loop {
        let mut batch: Vec<(&'static str, InputLogEvent)> = Vec::new();
        if let Ok(mut file) = std::fs::File::open(source) {
            if file.metadata().map(|m| m.len()).unwrap_or(0) < offset {
                offset = 0; // the file was recreated: a new stack
            }
            file.seek(SeekFrom::Start(offset))?;
            let mut reader = BufReader::new(file);
            let mut line = String::new();
            while reader.read_line(&mut line)? > 0 {
                offset += line.len() as u64;
                if !line.ends_with('\n') {
                    partial.push_str(&line);
                    line.clear();
                    continue;
                }
                let full = std::mem::take(&mut partial) + line.trim_end();
                if let Some(function) = function_of(&full) {
                    let event = InputLogEvent::builder()
                        .timestamp(timestamp_of(&full))
                        .message(full)
                        .build()?;
                    batch.push((function, event));
                }
                line.clear();
            }
        }
        for (function, event) in batch {
            let group = log_group(function);
            if created.insert(group.clone()) {
                let _ = client
                    .create_log_group()
                    .log_group_name(&group)
                    .send()
                    .await;
                let _ = client
                    .create_log_stream()
                    .log_group_name(&group)
                    .log_stream_name(STREAM)
                    .send()
                    .await;
            }
            if let Err(err) = client
                .put_log_events()
                .log_group_name(&group)
                .log_stream_name(STREAM)
                .log_events(event)
                .send()
                .await
            {
                eprintln!(
                    "could not forward a log line to {group}: {}",
                    aws_sdk_cloudwatchlogs::error::DisplayErrorContext(err)
                );
            }
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_attributed_by_their_crate() {
        let line = r#"{"timestamp":"2026-11-22T10:00:00.000Z","level":"INFO","fields":{"message":"hi"},"target":"approval_workflow::workflow"}"#;
        assert_eq!(function_of(line), Some("approval-workflow"));
        assert_eq!(timestamp_of(line), 1_795_341_600_000);
        assert_eq!(function_of(r#"{"target":"aws_config::profile"}"#), None);
        assert_eq!(function_of("   Compiling approval-workflow v0.1.0"), None);
    }
}
