//! Approver policies and quorum, decided through each person's own profile:
//! who may decide is the request's list, how many approvals close it is its
//! count, every approval counts once, and one rejection rejects.

use std::collections::BTreeSet;
use std::process::Stdio;

use hitl_e2e::{
    hitl_as, hitl_command_as, principal, report, submit_and_wait, unique_id, wait_for_show, Run,
};
use serde_json::Value;

/// `hitl`'s exit codes (README).
const ALREADY_DECIDED: i32 = 4;
const NOT_ALLOWED: i32 = 9;

fn approvers(people: &[&str]) -> String {
    people
        .iter()
        .map(|p| principal(p))
        .collect::<Vec<_>>()
        .join(",")
}

fn counted(shown: &Value) -> Vec<String> {
    shown["record"]["approvals"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|a| a["by"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn two_of_three_named_approvers_close_a_request_and_nobody_else_counts() {
    let id = unique_id("quorum");
    let named = approvers(&["bob", "carol", "dave"]);
    let pending = submit_and_wait(&id, &["--approvers", &named, "--required", "2"]);
    let policy = &pending["record"]["policy"];
    assert_eq!(policy["required"], 2, "{pending}");
    assert_eq!(policy["approvers"].as_array().map(Vec::len), Some(3));

    // Erin is not on the list: told so before anything is claimed.
    let outsider = hitl_as("erin", &["approve", &id]);
    assert_eq!(outsider.code, NOT_ALLOWED, "{outsider:?}");
    assert!(
        outsider.stderr.contains("is not among the approvers"),
        "{outsider:?}"
    );

    // Bob's approval is one of two; running it again counts nothing more.
    for _ in 0..2 {
        let bob = hitl_as("bob", &["approve", &id, "--output", "json"]).ok();
        assert_eq!(bob.json()["status"], "PENDING", "{bob:?}");
    }
    let shown = wait_for_show(&id, "bob's approval counted", |v| !counted(v).is_empty());
    assert_eq!(counted(&shown), [principal("bob")], "{shown}");
    let listed = hitl_as("bob", &["list", "--output", "table"]).ok();
    assert!(listed.stdout.contains("PENDING 1/2"), "{listed:?}");

    // Carol's is the second: approved, by her, with both counted.
    let carol = hitl_as(
        "carol",
        &[
            "approve",
            &id,
            "--comment",
            "second pair of eyes",
            "--output",
            "table",
        ],
    )
    .ok();
    assert!(carol.stdout.starts_with("APPROVED"), "{carol:?}");
    let closed = wait_for_show(&id, "an ended execution", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(closed["record"]["status"], "APPROVED");
    assert_eq!(closed["record"]["decided_by"], principal("carol"));
    assert_eq!(counted(&closed), [principal("bob"), principal("carol")]);
    assert_eq!(
        closed["execution"]["result"]["decided_by"],
        principal("carol")
    );

    // Dave comes too late.
    let late = hitl_as("dave", &["approve", &id]);
    assert_eq!(late.code, ALREADY_DECIDED, "{late:?}");
    let text = hitl_as("dave", &["show", &id, "--output", "table"]).ok();
    assert!(text.stdout.contains("2 of 2 needed"), "{text:?}");
}

#[test]
fn one_rejection_rejects_a_quorum_request() {
    let id = unique_id("quorum-reject");
    let named = approvers(&["bob", "carol", "dave"]);
    submit_and_wait(&id, &["--approvers", &named, "--required", "2"]);
    hitl_as("bob", &["approve", &id]).ok();
    wait_for_show(&id, "bob's approval counted", |v| !counted(v).is_empty());
    let rejected = hitl_as(
        "dave",
        &[
            "reject",
            &id,
            "--reason",
            "not this week",
            "--output",
            "json",
        ],
    )
    .ok();
    assert_eq!(rejected.json()["status"], "REJECTED", "{rejected:?}");
    let closed = wait_for_show(&id, "REJECTED", |v| v["record"]["status"] == "REJECTED");
    assert_eq!(closed["record"]["decided_by"], principal("dave"));
    assert_eq!(
        counted(&closed),
        [principal("bob")],
        "bob's approval stays on record"
    );
}

#[test]
fn a_policy_outside_the_stacks_or_out_of_reach_is_refused_at_submit() {
    for (approvers, required, says) in [
        ("bob", "1", "is not a principal ARN"),
        ("bob@example.com", "2", "only 1 approvers are named"),
        ("", "0", "use 1 to 20"),
    ] {
        let id = unique_id("quorum-bad");
        let mut args = vec![
            "submit",
            "--id",
            &id,
            "--title",
            "x",
            "--required",
            required,
        ];
        if !approvers.is_empty() {
            args.extend(["--approvers", approvers]);
        }
        let run = hitl_as("alice", &args);
        assert_eq!(run.code, 2, "{approvers} {required}: {run:?}");
        assert!(run.stderr.contains(says), "{run:?}");
        let shown = hitl_as("alice", &["show", &id]);
        assert_eq!(shown.code, 3, "nothing was started: {shown:?}");
    }
}

const ROUNDS: usize = 50;
const APPROVERS: [&str; 5] = ["racer-00", "racer-01", "racer-02", "racer-03", "racer-04"];
const REQUIRED: usize = 3;

/// Ten `hitl approve` processes at once on a 3-of-5 request: each of the
/// five approvers twice.
fn race(id: &str) -> (Vec<Run>, Value) {
    let children: Vec<_> = APPROVERS
        .iter()
        .chain(APPROVERS.iter())
        .map(|person| {
            let mut command = hitl_command_as(person, &["approve", id, "--output", "json"]);
            command.stdout(Stdio::piped()).stderr(Stdio::piped());
            command.spawn().expect("hitl starts")
        })
        .collect();
    let runs: Vec<Run> = children
        .into_iter()
        .map(|c| Run::from(c.wait_with_output().expect("hitl runs")))
        .collect();
    let closed = wait_for_show(id, "an ended execution", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    (runs, closed)
}

#[test]
fn ten_concurrent_approvers_on_three_of_five_count_each_approval_once() {
    let ids: Vec<String> = (0..ROUNDS)
        .map(|n| unique_id(&format!("quorum-race-{n}")))
        .collect();
    let policy = approvers(&APPROVERS);
    let required = REQUIRED.to_string();
    for batch in ids.chunks(10) {
        std::thread::scope(|scope| {
            for id in batch {
                let args = [
                    "--approvers",
                    &policy,
                    "--required",
                    &required,
                    "--timeout",
                    "1h",
                ];
                scope.spawn(move || submit_and_wait(id, &args));
            }
        });
    }
    let (mut told_counted, mut told_late) = (0, 0);
    for id in &ids {
        let (runs, closed) = race(id);
        for run in &runs {
            match run.code {
                0 => told_counted += 1,
                ALREADY_DECIDED => {
                    // Late: the request closed, or its closing approval
                    // is still being delivered (claimed, APPROVED).
                    assert!(
                        run.stderr.contains("already APPROVED")
                            || run.stderr.contains("is already being decided (APPROVED by"),
                        "{id}: {run:?}"
                    );
                    told_late += 1;
                }
                _ => panic!("{id}: neither counted nor told it was late: {run:?}"),
            }
        }
        let record = &closed["record"];
        assert_eq!(record["status"], "APPROVED", "{id}: {closed}");
        let approvals = counted(&closed);
        let distinct: BTreeSet<&String> = approvals.iter().collect();
        assert_eq!(approvals.len(), REQUIRED, "{id}: {approvals:?}");
        assert_eq!(distinct.len(), REQUIRED, "{id}: each approver once");
        let closer = record["decided_by"].as_str().unwrap_or_default();
        assert_eq!(Some(&closer.to_owned()), approvals.last(), "{id}");
        assert_eq!(closed["execution"]["result"]["decided_by"], closer, "{id}");
    }
    report(format_args!(
        "quorum races: {ROUNDS} rounds of 10 concurrent approvals (5 approvers, each twice) \
         on 3-of-5 requests: every round APPROVED with exactly 3 distinct approvals counted; \
         {told_counted} processes told their approval counted, {told_late} told `already \
         APPROVED` (exit 4), 0 other outcomes"
    ));
}
