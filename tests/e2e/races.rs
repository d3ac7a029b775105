//! Races: many `hitl approve` and `hitl reject` processes on one request at
//! once, round after round. Exactly one wins each round, every other gets
//! the "already decided" exit code, and the record, the execution's result
//! and its history all name the same winner.

use std::collections::HashMap;
use std::process::{Child, Stdio};

use hitl_e2e::{
    decisions_received, hitl_command_as, principal, report, submit_and_wait, unique_id,
    wait_for_show, Run,
};

const ROUNDS: usize = 50;
const RACERS: usize = 20;
/// `hitl`'s exit code for a request someone else decided (README).
const ALREADY_DECIDED: i32 = 4;

/// One racer, started but not waited on.
fn spawn_racer(id: &str, racer: usize) -> (String, &'static str, Child) {
    let name = format!("racer-{racer:02}");
    let (verb, outcome) = if racer.is_multiple_of(2) {
        ("approve", "APPROVED")
    } else {
        ("reject", "REJECTED")
    };
    let mut command = hitl_command_as(&name, &[verb, id, "--output", "json"]);
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    if verb == "reject" {
        command.args(["--reason", "racing"]);
    }
    (name, outcome, command.spawn().expect("hitl starts"))
}

struct Round {
    id: String,
    winner: String,
    outcome: &'static str,
    losers: usize,
}

fn race(id: String) -> Round {
    let racers: Vec<_> = (0..RACERS).map(|racer| spawn_racer(&id, racer)).collect();
    let mut winners = Vec::new();
    let mut losers = 0;
    for (name, outcome, child) in racers {
        let run = Run::from(child.wait_with_output().expect("hitl runs"));
        match run.code {
            0 => winners.push((name, outcome, run)),
            ALREADY_DECIDED => {
                assert!(
                    run.stderr.contains("already"),
                    "{id}: a loser must say the request is already decided: {run:?}"
                );
                losers += 1;
            }
            _ => panic!("{id}: {name} neither won nor lost cleanly: {run:?}"),
        }
    }
    assert_eq!(
        winners.len(),
        1,
        "{id}: exactly one racer wins; won: {:?}",
        winners
    );
    let (winner, outcome, run) = winners.remove(0);
    let decided = run.json();
    assert_eq!(decided["status"], outcome, "{id}: {decided}");
    assert_eq!(decided["decided_by"], principal(&winner), "{id}: {decided}");
    Round {
        id,
        winner,
        outcome,
        losers,
    }
}

/// Record, execution result and history agree on the round's winner.
fn check_agreement(round: &Round) {
    let id = &round.id;
    let shown = wait_for_show(id, "an ended execution", |v| {
        v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["record"]["status"], round.outcome, "{id}: {shown}");
    assert_eq!(
        shown["record"]["decided_by"],
        principal(&round.winner),
        "{id}"
    );
    let result = &shown["execution"]["result"];
    assert_eq!(result["status"], round.outcome, "{id}: {result}");
    assert_eq!(result["decided_by"], principal(&round.winner), "{id}");

    let decisions = decisions_received(id);
    assert_eq!(decisions.len(), 1, "{id}: one decision in the history");
    // An approval is the callback's success, a rejection its failure.
    let expected = if round.outcome == "APPROVED" {
        "CallbackSucceeded"
    } else {
        "CallbackFailed"
    };
    assert_eq!(decisions[0]["event"], expected, "{id}: {}", decisions[0]);
}

#[test]
fn twenty_racers_on_one_request_make_exactly_one_decision() {
    // Requests are submitted a few at a time, then raced one by one.
    let ids: Vec<String> = (0..ROUNDS)
        .map(|n| unique_id(&format!("race-{n}")))
        .collect();
    for batch in ids.chunks(10) {
        std::thread::scope(|scope| {
            for id in batch {
                scope.spawn(|| submit_and_wait(id, &["--timeout", "1h"]));
            }
        });
    }

    let rounds: Vec<Round> = ids.into_iter().map(race).collect();
    for round in &rounds {
        check_agreement(round);
    }

    let mut wins: HashMap<&str, usize> = HashMap::new();
    for round in &rounds {
        *wins.entry(round.outcome).or_default() += 1;
    }
    let losers: usize = rounds.iter().map(|r| r.losers).sum();
    report(format_args!(
        "races: {ROUNDS} rounds of {RACERS} concurrent approve/reject processes: \
         {} winners ({} approved, {} rejected), {losers} told `already decided` (exit 4), \
         0 other outcomes; record, execution result and history agree in {}/{ROUNDS} rounds",
        rounds.len(),
        wins.get("APPROVED").copied().unwrap_or(0),
        wins.get("REJECTED").copied().unwrap_or(0),
        rounds.len(),
    ));
}
