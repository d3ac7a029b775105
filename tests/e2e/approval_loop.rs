//! The approval loop, end to end: the built `hitl` binary against the local
//! stack (DynamoDB Local, the durable execution emulator, the workflow
//! function under `cargo lambda watch`, moto).

use hitl_e2e::{hitl, hitl_as, principal, submit_and_wait, unique_id, wait_for_show, OPERATOR};

#[test]
fn approve_completes_the_execution_with_the_decision() {
    let id = unique_id("approve");
    submit_and_wait(
        &id,
        &[
            "--amount",
            "1250.50",
            "--description",
            "Canary was clean",
            "--timeout",
            "1h",
        ],
    );

    let listed = hitl(&["list", "--status", "pending", "--output", "json"])
        .ok()
        .json();
    let mine = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["approval_id"] == id.as_str())
        .unwrap_or_else(|| panic!("{id} is not listed as pending: {listed}"));
    assert_eq!(mine["status"], "PENDING");
    assert_eq!(mine["amount"], "1250.50", "as submitted");

    let decided = hitl_as(
        "bob@example.com",
        &["approve", &id, "--comment", "ship it", "--output", "json"],
    )
    .ok()
    .json();
    assert_eq!(decided["status"], "APPROVED");
    assert_eq!(decided["decided_by"], principal("bob@example.com"));

    let shown = wait_for_show(&id, "SUCCEEDED", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["record"]["status"], "APPROVED");
    assert_eq!(shown["record"]["comment"], "ship it");
    let console = shown["console_url"].as_str().unwrap();
    assert!(
        console.starts_with(
            "https://us-east-1.console.aws.amazon.com/lambda/home?region=us-east-1#/functions/"
        ),
        "the emulator's ARNs are opaque, so the link is the function's page: {console}"
    );
    assert!(
        shown["record"].get("claim").is_none(),
        "the claim is cleared once confirmed"
    );
    let result = &shown["execution"]["result"];
    assert_eq!(result["status"], "APPROVED");
    assert_eq!(result["decided_by"], principal("bob@example.com"));
    assert_eq!(result["approval_id"], id.as_str());

    let history = hitl(&["history", &id, "--output", "json"]).ok().json();
    let events: Vec<(String, String)> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] != "InvocationCompleted")
        .map(|e| {
            let name = e["name"].as_str().unwrap_or_default().to_owned();
            (e["event"].as_str().unwrap().to_owned(), name)
        })
        .collect();
    let expected = [
        ("ExecutionStarted", ""),
        ("StepStarted", "record-request"),
        ("StepSucceeded", "record-request"),
        ("CallbackStarted", "decision"),
        ("StepStarted", "publish-callback"),
        ("StepSucceeded", "publish-callback"),
        ("StepStarted", "notify-approvers"),
        ("StepSucceeded", "notify-approvers"),
        ("CallbackSucceeded", "decision"),
        ("StepStarted", "judge-decision"),
        ("StepSucceeded", "judge-decision"),
        ("StepStarted", "record-outcome"),
        ("StepSucceeded", "record-outcome"),
        ("StepStarted", "publish-outcome-event"),
        ("StepSucceeded", "publish-outcome-event"),
        ("StepStarted", "notify-requester"),
        ("StepSucceeded", "notify-requester"),
        ("ExecutionSucceeded", ""),
    ];
    let expected: Vec<(String, String)> = expected
        .iter()
        .map(|(e, n)| ((*e).to_owned(), (*n).to_owned()))
        .collect();
    assert_eq!(events, expected);
    let decision = history
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "CallbackSucceeded")
        .unwrap();
    assert!(
        decision["took_ms"].is_number(),
        "the wait for the decision is timed: {decision}"
    );

    let listed = hitl(&["list", "--status", "approved", "--output", "json"])
        .ok()
        .json();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["approval_id"] == id.as_str()));
}

#[test]
fn reject_completes_the_execution_with_the_reason() {
    let id = unique_id("reject");
    submit_and_wait(&id, &["--timeout", "1h"]);

    let decided = hitl_as(
        "carol@example.com",
        &[
            "reject",
            &id,
            "--reason",
            "not this week",
            "--output",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(decided["status"], "REJECTED");

    let shown = wait_for_show(&id, "SUCCEEDED", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["record"]["status"], "REJECTED");
    assert_eq!(
        shown["record"]["decided_by"],
        principal("carol@example.com")
    );
    assert_eq!(shown["record"]["comment"], "not this week");
    assert_eq!(shown["execution"]["result"]["status"], "REJECTED");
}

#[test]
fn an_unanswered_request_expires() {
    let id = unique_id("expire");
    submit_and_wait(&id, &["--timeout", "3s"]);

    let shown = wait_for_show(&id, "EXPIRED", |v| v["execution"]["status"] == "SUCCEEDED");
    assert_eq!(shown["record"]["status"], "EXPIRED");
    assert!(shown["record"].get("decided_by").is_none());
    assert_eq!(shown["execution"]["result"]["status"], "EXPIRED");

    let late = hitl_as("bob", &["approve", &id]);
    assert_eq!(
        late.code, 5,
        "deciding an expired request has its own exit code: {late:?}"
    );
    assert!(late.stderr.contains("EXPIRED"), "{late:?}");
}

#[test]
fn one_decision_wins_and_the_loser_is_told() {
    let id = unique_id("twice");
    submit_and_wait(&id, &["--timeout", "1h"]);
    hitl_as("bob", &["approve", &id]).ok();

    let second = hitl_as("carol", &["reject", &id]);
    assert_eq!(second.code, 4, "{second:?}");
    assert!(second.stderr.contains("already APPROVED"), "{second:?}");
    let shown = wait_for_show(&id, "SUCCEEDED", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["record"]["decided_by"], principal("bob"));
}

#[test]
fn resubmitting_an_id_is_reported_not_duplicated() {
    let id = unique_id("resubmit");
    let first = submit_and_wait(&id, &["--timeout", "1h"]);
    let execution = first["record"]["execution_arn"].clone();

    let again = hitl_as(
        "alice@example.com",
        &[
            "submit",
            "--id",
            &id,
            "--title",
            "Deploy payments-api 1.4.2",
            "--output",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(again["outcome"], "already_submitted");
    assert_eq!(again["execution_arn"], execution);

    let different = hitl_as(
        "alice@example.com",
        &["submit", "--id", &id, "--title", "Something else"],
    );
    assert_eq!(different.code, 4, "{different:?}");
    assert!(different.stderr.contains("already used"), "{different:?}");
    hitl_as("cleanup", &["reject", &id]).ok();
}

#[test]
fn unknown_requests_and_stacks_get_their_own_exit_codes() {
    let unknown = hitl_as("bob", &["approve", "no-such-request"]);
    assert_eq!(unknown.code, 3, "{unknown:?}");
    assert!(
        unknown
            .stderr
            .contains("no approval request `no-such-request` exists"),
        "{unknown:?}"
    );

    let stack = hitl(&["--stack", "no-such-stack", "list"]);
    assert_eq!(stack.code, 8, "{stack:?}");
    assert!(
        stack.stderr.contains("stack `no-such-stack` was not found"),
        "{stack:?}"
    );

    let invalid = hitl_as("alice", &["submit", "--title", " "]);
    assert_eq!(invalid.code, 2, "{invalid:?}");
    assert!(
        invalid.stderr.contains("title must not be empty"),
        "{invalid:?}"
    );
}

#[test]
fn the_decider_is_the_callers_identity_whatever_as_says() {
    let id = unique_id("identity");
    submit_and_wait(&id, &["--timeout", "1h"]);
    // `--as` names the requester herself: a note, not an identity.
    let decided = hitl(&[
        "approve",
        &id,
        "--as",
        "ALICE@example.com",
        "--output",
        "json",
    ])
    .ok()
    .json();
    // moto's STS answers for its default user.
    assert_eq!(decided["decided_by"], OPERATOR);
    assert_eq!(decided["decided_on_behalf_of"], "ALICE@example.com");
    assert_eq!(decided["decision_evidence"], "sts");
}

#[test]
fn cancel_ends_the_execution_and_no_decision_can_follow() {
    let id = unique_id("cancel");
    submit_and_wait(&id, &["--timeout", "1h"]);

    let cancelled = hitl_as(
        "carol",
        &[
            "cancel",
            &id,
            "--reason",
            "wrong ticket",
            "--output",
            "json",
        ],
    )
    .ok()
    .json();
    assert_eq!(cancelled["status"], "CANCELLED");
    assert_eq!(cancelled["comment"], "wrong ticket");
    // The workflow is told through its callback and closes the request
    // itself, so the execution succeeds with the cancellation as its result.
    let shown = wait_for_show(&id, "an ended execution", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["execution"]["result"]["status"], "CANCELLED");
    assert_eq!(shown["record"]["decided_by"], principal("carol"));

    let late = hitl_as("bob", &["approve", &id]);
    assert_eq!(
        late.code, 6,
        "a cancelled request cannot be decided: {late:?}"
    );
    hitl_as("carol", &["cancel", &id]).ok(); // again: nothing left to do, still a success

    let decided = unique_id("cancel-late");
    submit_and_wait(&decided, &["--timeout", "1h"]);
    hitl_as("bob", &["approve", &decided]).ok();
    let refused = hitl(&["cancel", &decided]);
    assert_eq!(refused.code, 4, "{refused:?}");
}

#[test]
fn wait_ends_with_the_outcome_in_its_exit_code() {
    // Approved while waiting: 0.
    let id = unique_id("wait-ok");
    submit_and_wait(&id, &["--timeout", "1h"]);
    let approver = {
        let id = id.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(1500));
            hitl_as("bob", &["approve", &id]).ok();
        })
    };
    let waited = hitl(&["wait", &id, "--output", "json"]).ok().json();
    approver.join().unwrap();
    assert_eq!(waited["status"], "APPROVED");

    // Rejected: 10.
    let id = unique_id("wait-no");
    submit_and_wait(&id, &["--timeout", "1h"]);
    hitl_as("bob", &["reject", &id, "--reason", "no budget"]).ok();
    let rejected = hitl(&["wait", &id]);
    assert_eq!(rejected.code, 10, "{rejected:?}");
    assert!(
        rejected
            .stderr
            .contains(&format!("rejected by {}: no budget", principal("bob"))),
        "{rejected:?}"
    );

    // Still pending when --timeout runs out: 11.
    let id = unique_id("wait-slow");
    submit_and_wait(&id, &["--timeout", "1h"]);
    let slow = hitl(&["wait", &id, "--timeout", "1s"]);
    assert_eq!(slow.code, 11, "{slow:?}");
    hitl_as("cleanup", &["cancel", &id]).ok();

    // submit --wait on a request nobody answers: it expires, 5.
    let id = unique_id("wait-expire");
    let expired = hitl_as(
        "alice",
        &[
            "submit",
            "--id",
            &id,
            "--title",
            "Nobody answers",
            "--timeout",
            "2s",
            "--wait",
            "--output",
            "json",
        ],
    );
    assert_eq!(expired.code, 5, "{expired:?}");
    assert_eq!(expired.json()["status"], "EXPIRED");
}

#[test]
fn bulk_decisions_report_each_request() {
    let requester = unique_id("team");
    let ids: Vec<String> = (0..3).map(|i| unique_id(&format!("bulk{i}"))).collect();
    for id in &ids {
        submit_and_wait(id, &["--timeout", "1h", "--requester", &requester]);
    }
    // Without a terminal, several decisions need --yes.
    let unconfirmed = hitl_as("bob", &["approve", &ids[0], &ids[1]]);
    assert_eq!(unconfirmed.code, 2, "{unconfirmed:?}");
    assert!(unconfirmed.stderr.contains("pass --yes"), "{unconfirmed:?}");

    // One of them is decided by someone else first.
    hitl_as("carol", &["reject", &ids[2]]).ok();
    let mut args = vec!["approve", "--yes", "--output", "json"];
    args.extend(ids.iter().map(String::as_str));
    let run = hitl(&args);
    assert_eq!(run.code, 4, "the first failure's exit code: {run:?}");
    let outcomes = run.json();
    assert_eq!(outcomes[0]["status"], "APPROVED");
    assert_eq!(outcomes[1]["status"], "APPROVED");
    assert_eq!(outcomes[2]["exit_code"], 4);
    assert!(outcomes[2]["error"]
        .as_str()
        .unwrap()
        .contains("already REJECTED"));

    // --all narrowed to one requester.
    let more: Vec<String> = (0..2).map(|i| unique_id(&format!("all{i}"))).collect();
    for id in &more {
        submit_and_wait(id, &["--timeout", "1h", "--requester", &requester]);
    }
    let all = hitl_as(
        "dave",
        &[
            "reject",
            "--all",
            "--requester",
            &requester,
            "--yes",
            "--output",
            "json",
        ],
    )
    .ok()
    .json();
    let decided: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["approval_id"].as_str().unwrap())
        .collect();
    assert_eq!(decided.len(), 2, "only the two still pending: {all}");
    assert!(more.iter().all(|id| decided.contains(&id.as_str())));
}

#[test]
fn list_filters_by_requester_age_and_count_and_streams_jsonl() {
    let requester = unique_id("lister");
    let ids: Vec<String> = (0..3).map(|i| unique_id(&format!("list{i}"))).collect();
    for id in &ids {
        submit_and_wait(id, &["--timeout", "1h", "--requester", &requester]);
    }
    let run = hitl(&[
        "list",
        "--requester",
        &requester,
        "--since",
        "10m",
        "--limit",
        "2",
        "--output",
        "jsonl",
    ])
    .ok();
    let lines = run.json_lines();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert_eq!(lines[0]["approval_id"], ids[2].as_str(), "newest first");
    assert_eq!(lines[1]["approval_id"], ids[1].as_str());
    assert!(lines
        .iter()
        .all(|r| r["requested_on_behalf_of"] == requester.as_str()));

    for id in &ids {
        hitl_as("cleanup", &["cancel", id]).ok();
    }
}

#[test]
fn heartbeats_reach_a_pending_callback_and_not_a_decided_one() {
    let id = unique_id("heartbeat");
    submit_and_wait(&id, &["--timeout", "1h"]);
    let sent = hitl(&["heartbeat", &id, "--output", "json"]).ok().json();
    assert_eq!(sent["approval_id"], id.as_str());
    assert!(sent["sent_at"].is_string(), "{sent}");

    hitl_as("bob@example.com", &["approve", &id]).ok();
    let decided = hitl(&["heartbeat", &id]);
    assert_eq!(decided.code, 4, "{decided:?}");
    assert!(decided.stderr.contains("already APPROVED"), "{decided:?}");

    let unknown = hitl(&["heartbeat", &unique_id("nobody")]);
    assert_eq!(unknown.code, 3, "{unknown:?}");
}

#[test]
fn stack_shows_its_outputs_and_where_they_came_from() {
    let asked = hitl(&["stack", "--refresh", "--output", "json"])
        .ok()
        .json();
    assert_eq!(asked["source"], "DescribeStacks");
    assert_eq!(asked["stack"], "hitl");
    assert_eq!(asked["region"], "us-east-1");
    assert_eq!(asked["account"], "123456789012");
    assert_eq!(asked["outputs"]["ApprovalsTableName"], "hitl-approvals");
    let file = asked["cache_file"].as_str().unwrap();
    assert!(
        file.starts_with(hitl_e2e::cache_dir().to_str().unwrap()),
        "{file}"
    );

    let cached = hitl(&["stack", "--output", "json"]).ok().json();
    assert_eq!(cached["source"], "cache");
    assert_eq!(cached["outputs"], asked["outputs"]);
    assert_eq!(cached["fetched_at"], asked["fetched_at"]);
}

#[test]
fn doctor_passes_on_the_local_stack_and_names_what_is_wrong() {
    let run = hitl(&["doctor", "--output", "json"]).ok();
    let report = run.json();
    assert_eq!(report["ok"], true, "{report}");
    let outcome = |name: &str| {
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == name)
            .unwrap_or_else(|| panic!("no {name} check: {report}"))["outcome"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    for name in [
        "region",
        "credentials",
        "stack",
        "outputs",
        "durable executions",
        "approvals table",
        "log group",
    ] {
        assert_eq!(outcome(name), "ok", "{name}: {report}");
    }
    // The local front door does not serve GetFunctionConfiguration: skipped, with why.
    assert_ne!(outcome("workflow function"), "failed", "{report}");

    let missing = hitl(&["doctor", "--stack", "no-such-stack", "--output", "table"]);
    assert_eq!(missing.code, 8, "{missing:?}");
    assert!(
        missing
            .stdout
            .contains("✗ stack: stack `no-such-stack` was not found"),
        "{missing:?}"
    );
}

#[test]
fn requesters_cannot_approve_their_own_requests_but_may_reject_them() {
    let id = unique_id("self");
    submit_and_wait(&id, &["--requester", "carol", "--timeout", "1h"]);
    let refused = hitl_as("carol", &["approve", &id]);
    assert_eq!(refused.code, 9, "{refused:?}");
    assert!(
        refused.stderr.contains("AllowSelfApproval"),
        "the message names the stack parameter: {refused:?}"
    );
    let shown = hitl(&["show", &id, "--output", "json"]).ok().json();
    assert_eq!(shown["record"]["status"], "PENDING");
    assert!(shown["record"].get("claim").is_none());
    hitl_as("carol", &["reject", &id, "--reason", "withdrawn"]).ok();
    wait_for_show(&id, "REJECTED", |v| v["record"]["status"] == "REJECTED");
}

/// Another durable workflow (the official Python SDK's) waits for an
/// approval as one operation, a chained invoke of the approval workflow,
/// and goes on with the `WorkflowResult`: deploys when approved, stops when
/// rejected. The approver uses `hitl` as for any request.
#[tokio::test(flavor = "multi_thread")]
async fn another_durable_workflow_waits_for_an_approval_by_chained_invoke() {
    use aws_smithy_types::Blob;
    use std::time::{Duration, Instant};

    let lambda = aws_sdk_lambda::Client::new(&hitl_e2e::sdk_config().await);
    let version = hitl_e2e::publish_workflow(&lambda).await;
    for (decision, deployed) in [("approve", true), ("reject", false)] {
        let id = unique_id(&format!("inside-{decision}"));
        let parent = lambda
            .invoke()
            .function_name("durable-conformance-python")
            .qualifier("1")
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .durable_execution_name(format!("parent-{id}"))
            .payload(Blob::new(
                serde_json::json!({
                    "workflow": "approval_inside",
                    "function": format!("approval-workflow:{version}"),
                    "request": {
                        "approval_id": id,
                        "title": "Deploy payments-api 1.4.2",
                        "requester": "alice@example.com",
                        "timeout_seconds": 3600,
                    },
                })
                .to_string(),
            ))
            .send()
            .await
            .unwrap()
            .durable_execution_arn
            .unwrap();
        let pending = {
            let id = id.clone();
            tokio::task::spawn_blocking(move || {
                wait_for_show(&id, "PENDING with a callback", |v| {
                    v["record"]["status"] == "PENDING" && v["record"]["callback_id"].is_string()
                })
            })
            .await
            .unwrap()
        };
        // The parent names the requester without a proof: kept, as unverified.
        assert_eq!(pending["record"]["requester_evidence"], "unverified");
        assert_eq!(pending["record"]["requester"], "alice@example.com");

        let decided_at = Instant::now();
        let decide = id.clone();
        tokio::task::spawn_blocking(move || hitl_as("bob@example.com", &[decision, &decide]).ok())
            .await
            .unwrap();
        let (status, result) = loop {
            let execution = lambda
                .get_durable_execution()
                .durable_execution_arn(&parent)
                .send()
                .await
                .unwrap();
            if execution.status().as_str() != "RUNNING" {
                let result = execution.result().unwrap_or("null").to_owned();
                break (execution.status().as_str().to_owned(), result);
            }
            assert!(
                decided_at.elapsed() < Duration::from_secs(90),
                "the parent of {id} never resumed"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let result: serde_json::Value = serde_json::from_str(&result).unwrap();
        assert_eq!(status, "SUCCEEDED", "{result}");
        assert_eq!(result["deployed"], deployed, "{result}");
        assert_eq!(result["approval"]["approval_id"], id.as_str());
        assert_eq!(
            result["approval"]["decided_by"],
            principal("bob@example.com")
        );
        hitl_e2e::report(format_args!(
            "chained invoke: `hitl {decision}` to the parent workflow resumed with {} in {} ms",
            result["approval"]["status"],
            decided_at.elapsed().as_millis()
        ));
    }
}
