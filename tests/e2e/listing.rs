//! `hitl list` against DynamoDB Local: every status merged newest first,
//! `--requester` and `--since` asked of DynamoDB, `--limit`, and the streamed
//! JSON, JSON lines and table forms.

use std::time::Duration;

use hitl_contract::{ApprovalRecord, Status, SubmitRequest, Timestamp};

use hitl_approvals::ApprovalStore;
use hitl_e2e::{hitl, sdk_config, unique_id, TABLE};

/// Writes records straight into the table: `count` of them for one
/// requester, one minute apart, spread over every status, newest last.
async fn seed(requester: &str, count: usize) -> Vec<ApprovalRecord> {
    let store = ApprovalStore::new(aws_sdk_dynamodb::Client::new(&sdk_config().await), TABLE);
    let start = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - count as i64 * 60_000)
        .unwrap();
    let mut records = Vec::new();
    for n in 0..count {
        let request = SubmitRequest {
            timeout_seconds: Some(86_400),
            ..SubmitRequest::new(
                unique_id(&format!("seed{n}")),
                format!("Seeded {n}"),
                requester,
            )
        };
        let created = start.plus(Duration::from_secs(60 * n as u64));
        let mut record = ApprovalRecord::pending(&request, "arn:seeded", created);
        record.status = Status::ALL[n % Status::ALL.len()];
        store.create(&record).await.unwrap();
        records.push(record);
    }
    records
}

fn ids(values: &[serde_json::Value]) -> Vec<String> {
    values
        .iter()
        .map(|v| v["approval_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_status_merges_newest_first_filtered_by_dynamodb() {
    let requester = unique_id("lister");
    let mut seeded = seed(&requester, 23).await;
    seeded.reverse();
    let newest_first: Vec<String> = seeded.iter().map(|r| r.approval_id.clone()).collect();

    let all = tokio::task::spawn_blocking({
        let requester = requester.clone();
        move || {
            hitl(&[
                "list",
                "--status",
                "all",
                "--requester",
                &requester,
                "--output",
                "jsonl",
            ])
            .ok()
            .json_lines()
        }
    })
    .await
    .unwrap();
    assert_eq!(ids(&all), newest_first);

    let run = |args: Vec<String>| {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            hitl(&args).ok()
        })
    };
    let strings = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();

    // --since 10m30s keeps the ten newest (one a minute, the newest a minute ago).
    let recent = run(strings(&[
        "list",
        "--status",
        "all",
        "--requester",
        &requester,
        "--since",
        "10m30s",
        "--output",
        "json",
    ]))
    .await
    .unwrap()
    .json();
    assert_eq!(ids(recent.as_array().unwrap()), newest_first[..10]);

    let limited = run(strings(&[
        "list",
        "--status",
        "all",
        "--requester",
        &requester,
        "--limit",
        "4",
        "--output",
        "jsonl",
    ]))
    .await
    .unwrap()
    .json_lines();
    assert_eq!(ids(&limited), newest_first[..4]);

    let pending = run(strings(&[
        "list",
        "--status",
        "pending",
        "--requester",
        &requester,
        "--output",
        "jsonl",
    ]))
    .await
    .unwrap()
    .json_lines();
    assert!(pending.iter().all(|r| r["status"] == "PENDING"));
    assert_eq!(pending.len(), 5, "23 records over five statuses: 5 pending");

    let table = run(strings(&[
        "list",
        "--status",
        "all",
        "--requester",
        &requester,
        "--output",
        "table",
    ]))
    .await
    .unwrap();
    assert!(table.stdout.contains(&newest_first[0]), "{table:?}");

    let none = run(strings(&[
        "list",
        "--requester",
        "nobody-at-all",
        "--output",
        "json",
    ]))
    .await
    .unwrap()
    .json();
    assert_eq!(none, serde_json::json!([]));
}
