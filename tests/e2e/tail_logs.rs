//! `hitl tail-logs` reads the workflow's CloudWatch Logs group: one
//! request's lines with --approval, and new lines as they come with --follow.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hitl_e2e::{
    hitl, hitl_as, hitl_binary, submit_and_wait, unique_id, wait_for_log_line, wait_for_show,
    PROFILE,
};

#[test]
fn one_requests_lines_in_time_order() {
    let id = unique_id("tail");
    submit_and_wait(&id, &["--timeout", "1h"]);
    hitl_as("bob", &["approve", &id]).ok();
    wait_for_show(&id, "SUCCEEDED", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });

    let lines = wait_for_log_line(&id, "all", "request closed");
    assert!(lines.len() >= 2, "{lines:#?}");
    assert!(lines
        .iter()
        .all(|l| l["function"] == "workflow" && l["message"].as_str().unwrap().contains(&id)));
    let times: Vec<&str> = lines
        .iter()
        .map(|l| l["timestamp"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "time order: {times:?}"
    );

    let text = hitl(&[
        "tail-logs",
        "--approval",
        &id,
        "--since",
        "5m",
        "--output",
        "table",
    ])
    .ok()
    .stdout;
    assert!(
        text.contains("workflow INFO  waiting for a decision approval_id="),
        "{text}"
    );
}

#[test]
fn follow_prints_new_lines_as_they_come() {
    let id = unique_id("follow");
    let mut follow = Command::new(hitl_binary())
        .args([
            "tail-logs",
            "--follow",
            "--since",
            "1m",
            "--approval",
            &id,
            "--output",
            "json",
        ])
        .env("AWS_PROFILE", PROFILE)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = follow.stdout.take().unwrap();
    submit_and_wait(&id, &["--timeout", "1h"]);
    let reader =
        std::thread::spawn(move || BufReader::new(stdout).lines().next().map(|l| l.unwrap()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reader.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    follow.kill().unwrap();
    follow.wait().unwrap();
    let first = reader
        .join()
        .unwrap()
        .expect("--follow printed the workflow's line");
    assert!(
        first.contains("\"function\":\"workflow\"") && first.contains(&id),
        "{first}"
    );
    hitl_as("cleanup", &["cancel", &id]).ok();
}
