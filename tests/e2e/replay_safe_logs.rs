//! The workflow logs each event of a request once, however often it is
//! replayed: the lines reach the function's CloudWatch Logs log group once.

use std::time::Duration;

use hitl_e2e::{eventually_async, hitl_as, sdk_config, submit_and_wait, unique_id, wait_for_show};

/// The workflow's log lines about one request, from its log group.
async fn lines_about(logs: &aws_sdk_cloudwatchlogs::Client, id: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = logs
            .filter_log_events()
            .log_group_name("/aws/lambda/approval-workflow")
            .set_next_token(token.clone())
            .send()
            .await
            .unwrap();
        lines.extend(
            page.events()
                .iter()
                .filter_map(|e| e.message())
                .filter(|m| m.contains(&format!("\"approval_id\":\"{id}\"")))
                .map(str::to_owned),
        );
        match page.next_token() {
            Some(next) if Some(next) != token.as_deref() => token = Some(next.to_owned()),
            _ => return lines,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_event_is_logged_once_across_replays() {
    let id = unique_id("logs");
    let moved = id.clone();
    tokio::task::spawn_blocking(move || {
        submit_and_wait(&moved, &["--timeout", "1h"]);
        hitl_as("bob", &["approve", &moved]).ok();
        wait_for_show(&moved, "SUCCEEDED", |v| {
            v["execution"]["status"] == "SUCCEEDED"
        });
    })
    .await
    .unwrap();

    let logs = aws_sdk_cloudwatchlogs::Client::new(&sdk_config().await);
    let lines = eventually_async(
        "the request's closing log line",
        Duration::from_secs(20),
        Duration::from_millis(250),
        || async {
            let lines = lines_about(&logs, &id).await;
            if lines.iter().any(|l| l.contains("request closed")) {
                Ok(lines)
            } else {
                Err(lines)
            }
        },
    )
    .await;
    let count = |text: &str| lines.iter().filter(|l| l.contains(text)).count();
    assert_eq!(count("waiting for a decision"), 1, "{lines:#?}");
    assert_eq!(count("request closed"), 1, "{lines:#?}");
    assert!(
        lines
            .iter()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "JSON lines: {lines:#?}"
    );
}
