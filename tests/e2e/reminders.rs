//! Reminders and escalation: the workflow wakes before the deadline (its
//! callback times out then, and it waits on a fresh one), reminds only the
//! approvers who have not decided, each reminder once, and none after the
//! request closes; it escalates a request still pending to the approvers
//! and topics named, once, and never one already decided. Approvers'
//! inboxes are SQS queues subscribed with their own filter policies, as
//! their email would be.

use std::time::{Duration, Instant};

use hitl_e2e::browser::Browser;
use hitl_e2e::{
    audit_trail, history_events, hitl, hitl_as, principal, report, sdk_config, submit_and_wait,
    topic_arn, unique_id, wait_for_show, Inbox, Notification, ESCALATION_TOPIC,
};
use serde_json::Value;

const BOB: &str = "bob@example.com";
const CAROL: &str = "carol@example.com";

/// How long a message may take to arrive once due.
const ARRIVAL: Duration = Duration::from_secs(20);
/// How long we listen for a message that must not come.
const SILENCE: Duration = Duration::from_secs(4);

fn shown(id: &str) -> Value {
    hitl(&["show", id, "--output", "json"]).ok().json()
}

/// How often the execution's history has a succeeded step whose name
/// starts with `prefix`.
fn steps_named(id: &str, prefix: &str) -> usize {
    history_events(id)
        .iter()
        .filter(|e| {
            e["event"] == "StepSucceeded"
                && e["name"].as_str().is_some_and(|n| n.starts_with(prefix))
        })
        .count()
}

fn is_reminder(message: &Notification) -> bool {
    message.subject.starts_with("Reminder: ")
}

#[tokio::test(flavor = "multi_thread")]
async fn only_approvers_who_have_not_decided_are_reminded_each_time_once() {
    let config = sdk_config().await;
    let id = unique_id("remind");
    let bob = Inbox::for_approver(&config, &id, BOB).await.unwrap();
    let carol = Inbox::for_approver(&config, &id, CAROL).await.unwrap();
    let browser = Browser::start().await;
    let submitted = id.clone();
    let pending = tokio::task::spawn_blocking(move || {
        let approvers = format!("{BOB},{CAROL}");
        submit_and_wait(
            &submitted,
            &[
                "--approvers",
                &approvers,
                "--required",
                "2",
                "--timeout",
                "20s",
                "--remind",
                "16s,6s",
            ],
        )
    })
    .await
    .unwrap();
    assert_eq!(pending["record"]["reminders"], serde_json::json!([16, 6]));

    let mut first = Vec::new();
    for inbox in [&bob, &carol] {
        let message = inbox.next(ARRIVAL).await.unwrap();
        assert!(
            message.subject.starts_with("Approval needed: "),
            "{message:?}"
        );
        assert_eq!(message.attributes["event"], "requested");
        first.push(message);
    }
    // The first reminder, 16 s before the deadline, to both, with fresh links.
    let mut arrivals = Vec::new();
    let mut reminders = Vec::new();
    for inbox in [&bob, &carol] {
        let reminder = inbox.next(ARRIVAL).await.unwrap();
        arrivals.push(hitl_contract::Timestamp::now());
        assert!(is_reminder(&reminder), "{reminder:?}");
        assert_eq!(reminder.attributes["event"], "reminder");
        assert!(
            reminder.body.contains("are left to decide"),
            "{}",
            reminder.body
        );
        reminders.push(reminder);
    }
    // Bob approves with his reminder's link, in a real browser.
    let link = reminders[0].link("Approve:").expect("a fresh approve link");
    browser.open(&link).await;
    browser.press("button.approve").await;
    let counted = id.clone();
    tokio::task::spawn_blocking(move || {
        wait_for_show(&counted, "bob's approval counted", |v| {
            v["record"]["approvals"].as_array().map(Vec::len) == Some(1)
        })
    })
    .await
    .unwrap();
    // The second reminder goes to carol alone.
    let second = carol.next(ARRIVAL).await.unwrap();
    arrivals.push(hitl_contract::Timestamp::now());
    assert!(is_reminder(&second), "{second:?}");
    assert!(
        bob.next(SILENCE).await.is_err(),
        "bob approved: no reminder for him"
    );

    // Carol approves with the first notification's link: a reminder's links
    // are added beside those, not instead of them.
    let link = first[1]
        .link("Approve:")
        .expect("carol's first approve link");
    browser.open(&link).await;
    browser.press("button.approve").await;
    browser.close().await;
    let closing = id.clone();
    tokio::task::spawn_blocking(move || {
        wait_for_show(&closing, "APPROVED", |v| {
            v["record"]["status"] == "APPROVED"
        })
    })
    .await
    .unwrap();
    // Past the deadline: nothing more for anyone.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for inbox in [&bob, &carol] {
        assert!(
            inbox.next(Duration::from_secs(1)).await.is_err(),
            "no reminder once decided"
        );
    }

    let show_id = id.clone();
    let (record, reminded_steps) = tokio::task::spawn_blocking(move || {
        (
            shown(&show_id)["record"].clone(),
            steps_named(&show_id, "remind"),
        )
    })
    .await
    .unwrap();
    assert_eq!(record["status"], "APPROVED");
    let reminded: Vec<&str> = record["reminded"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(reminded.len(), 2, "{record}");
    assert_eq!(reminded_steps, 2, "each reminder is one step, run once");
    // How late each reminder reached an inbox after it was due.
    let due: Vec<hitl_contract::Timestamp> = reminded
        .iter()
        .map(|t| hitl_contract::Timestamp::parse(t).unwrap())
        .collect();
    let late: Vec<i64> = [due[0], due[0], due[1]]
        .iter()
        .zip(&arrivals)
        .map(|(due, got)| got.unix_millis() - due.unix_millis())
        .collect();
    report(format_args!(
        "reminders: due → in the approver's inbox after {late:?} ms (bob, carol, then carol alone)"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_stacks_schedule_applies_unless_a_request_says_none() {
    let config = sdk_config().await;
    // The stack's ReminderSchedule is 50%,1h: a 6 s request is reminded
    // once, at 3 s (an hour before would be before it started).
    let id = unique_id("remind-default");
    let inbox = Inbox::for_approver(&config, &id, BOB).await.unwrap();
    let silent = unique_id("remind-none");
    let quiet = Inbox::for_approver(&config, &silent, BOB).await.unwrap();
    let (a, b) = (id.clone(), silent.clone());
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        submit_and_wait(&a, &["--approvers", BOB, "--timeout", "6s"]);
        submit_and_wait(
            &b,
            &["--approvers", BOB, "--timeout", "6s", "--remind", "none"],
        );
    })
    .await
    .unwrap();

    assert!(!is_reminder(&inbox.next(ARRIVAL).await.unwrap()));
    assert!(is_reminder(&inbox.next(ARRIVAL).await.unwrap()));
    assert!(!is_reminder(&quiet.next(ARRIVAL).await.unwrap()));
    let rest = Duration::from_secs(9).saturating_sub(started.elapsed());
    assert!(inbox.next(rest).await.is_err(), "one reminder");
    assert!(
        quiet.next(Duration::from_secs(1)).await.is_err(),
        "--remind none: no reminder"
    );

    let (a, b) = (id.clone(), silent.clone());
    let (reminded, none) = tokio::task::spawn_blocking(move || (shown(&a), shown(&b)))
        .await
        .unwrap();
    assert_eq!(reminded["record"]["status"], "EXPIRED");
    assert_eq!(reminded["record"]["reminders"], serde_json::json!([3]));
    assert_eq!(
        reminded["record"]["reminded"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(none["record"].get("reminders").is_none(), "{none}");
}

fn is_escalation(message: &Notification) -> bool {
    message.subject.starts_with("Escalated: ") && message.attributes["event"] == "escalated"
}

/// The managers' list: a queue on the escalation topic, for one request.
async fn managers(config: &aws_config::SdkConfig, id: &str) -> Inbox {
    let filter = serde_json::json!({ "approval_id": [id] });
    let topic = topic_arn(ESCALATION_TOPIC);
    Inbox::subscribe_to(config, &topic, &format!("{id}-managers"), filter)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_still_pending_is_escalated_once_to_a_new_approver_and_a_topic() {
    let config = sdk_config().await;
    let id = unique_id("escalate");
    let bob = Inbox::for_approver(&config, &id, BOB).await.unwrap();
    let carol = Inbox::for_approver(&config, &id, CAROL).await.unwrap();
    let managers = managers(&config, &id).await;
    let browser = Browser::start().await;
    let submitted = id.clone();
    let pending = tokio::task::spawn_blocking(move || {
        let to = format!("{CAROL},{}", topic_arn(ESCALATION_TOPIC));
        let pending = submit_and_wait(
            &submitted,
            &[
                "--approvers",
                BOB,
                "--timeout",
                "40s",
                "--remind",
                "none",
                "--escalate-after",
                "8s",
                "--escalate-to",
                &to,
            ],
        );
        // Before the escalation carol is no approver: refused before
        // anything is claimed or sent, through her own credentials.
        let early = hitl_as(CAROL, &["approve", &submitted]);
        (pending, early)
    })
    .await
    .unwrap();
    let (pending, early) = pending;
    assert_eq!(early.code, 9, "{early:?}");
    assert!(early.stderr.contains("not among"), "{early:?}");
    assert_eq!(
        pending["record"]["escalation"],
        serde_json::json!({"after_seconds": 8, "to": [CAROL, topic_arn(ESCALATION_TOPIC)]})
    );

    let first = bob.next(ARRIVAL).await.unwrap();
    assert!(first.subject.starts_with("Approval needed: "), "{first:?}");
    // The escalation: carol's own links, the managers' list without links.
    let escalated = carol.next(ARRIVAL).await.unwrap();
    let arrived = hitl_contract::Timestamp::now();
    assert!(is_escalation(&escalated), "{escalated:?}");
    assert_eq!(escalated.attributes["approver"], CAROL);
    let told = managers.next(ARRIVAL).await.unwrap();
    assert!(is_escalation(&told), "{told:?}");
    assert_eq!(
        told.link("Approve:"),
        None,
        "no links on a topic: {}",
        told.body
    );
    assert!(
        told.body.contains(&format!("hitl approve {id}")),
        "{}",
        told.body
    );
    assert!(
        bob.next(SILENCE).await.is_err(),
        "bob, already an approver, is not escalated to"
    );

    // Carol approves with her escalation link, in a real browser.
    let link = escalated.link("Approve:").expect("carol's approve link");
    browser.open(&link).await;
    browser.press("button.approve").await;
    browser.close().await;
    let closing = id.clone();
    let record = tokio::task::spawn_blocking(move || {
        wait_for_show(&closing, "APPROVED", |v| {
            v["record"]["status"] == "APPROVED"
        })["record"]
            .clone()
    })
    .await
    .unwrap();
    assert_eq!(record["decided_by"], CAROL);
    assert_eq!(
        record["policy"]["approvers"],
        serde_json::json!([BOB, CAROL]),
        "carol was added"
    );
    for inbox in [&carol, &managers] {
        assert!(inbox.next(Duration::from_secs(1)).await.is_err(), "once");
    }

    let trail_id = id.clone();
    let (steps, escalations) = tokio::task::spawn_blocking(move || {
        let trail = audit_trail(&trail_id);
        let steps: Vec<String> = trail.steps().iter().map(|s| s.0.to_owned()).collect();
        let escalations = history_events(&trail_id)
            .iter()
            .filter(|e| {
                e["event"] == "StepSucceeded"
                    && e["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("escalate") && !n.ends_with("-notify"))
            })
            .count();
        (steps, escalations)
    })
    .await
    .unwrap();
    assert_eq!(steps, ["requested", "escalated", "approved"], "{steps:?}");
    assert_eq!(escalations, 1, "one escalation step, run once");
    let due = hitl_contract::Timestamp::parse(record["escalated"].as_str().unwrap()).unwrap();
    report(format_args!(
        "escalation: due → in the new approver's inbox after {} ms",
        arrived.unix_millis() - due.unix_millis()
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_decided_in_time_is_never_escalated() {
    let config = sdk_config().await;
    let id = unique_id("escalate-none");
    let carol = Inbox::for_approver(&config, &id, CAROL).await.unwrap();
    let managers = managers(&config, &id).await;
    let decided = id.clone();
    let started = Instant::now();
    tokio::task::spawn_blocking(move || {
        let to = format!("{CAROL},{}", topic_arn(ESCALATION_TOPIC));
        // Bob by his IAM user, who decides with hitl through his profile.
        let bob = principal("bob");
        submit_and_wait(
            &decided,
            &[
                "--approvers",
                &bob,
                "--timeout",
                "20s",
                "--escalate-after",
                "4s",
                "--escalate-to",
                &to,
            ],
        );
        hitl_as("bob", &["approve", &decided]).ok();
    })
    .await
    .unwrap();
    // Carol may get the first message (for everyone: bob is named by ARN),
    // never an escalation.
    let until = started + Duration::from_secs(7);
    while let Ok(message) = carol
        .next(until.saturating_duration_since(Instant::now()))
        .await
    {
        assert!(!is_escalation(&message), "decided: nobody escalated to");
    }
    assert!(managers.next(Duration::from_secs(1)).await.is_err());
    let shown_id = id.clone();
    let record = tokio::task::spawn_blocking(move || shown(&shown_id)["record"].clone())
        .await
        .unwrap();
    assert_eq!(record["status"], "APPROVED");
    assert!(record.get("escalated").is_none(), "{record}");
}
