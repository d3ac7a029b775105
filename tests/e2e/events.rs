//! The outcome reaches whoever waits for it: each way a request closes
//! (approved, rejected, expired, cancelled) puts one `Approval Decided`
//! event on the local stack's bus (moto's EventBridge, delivering to an SQS
//! target through a rule, as a consumer's rule would) and sends the
//! requester one message on the notification topic.

use std::time::{Duration, Instant};

use hitl_e2e::{hitl_as, principal, report, sdk_config, submit_and_wait, unique_id, Inbox};
use serde_json::Value;

/// How long an event may take to arrive once the request closed.
const DELIVERY: Duration = Duration::from_secs(60);
/// How long a second (duplicate) event is waited for.
const NO_SECOND: Duration = Duration::from_secs(3);

/// What one closing was seen to send.
struct Announced {
    event: Value,
    message: hitl_e2e::Notification,
    /// From the command that closed it returning to the event's arrival.
    latency: Duration,
}

/// Opens the queues, submits `id` as alice, runs `close` (the command that
/// ends it, or nothing to let it expire), and reads what was announced.
async fn closing(id: &str, submit: &[&str], close: impl FnOnce() + Send + 'static) -> Announced {
    let config = sdk_config().await;
    let events = Inbox::events(&config, id).await.expect("an event queue");
    let filter = serde_json::json!({"event": ["closed"], "approval_id": [id]});
    let requester = Inbox::subscribe(&config, &format!("{id}-requester"), filter)
        .await
        .expect("the requester's inbox");
    let (id_, submit) = (
        id.to_owned(),
        submit.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
    );
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = submit.iter().map(String::as_str).collect();
        submit_and_wait(&id_, &args);
        close();
    })
    .await
    .expect("the request is submitted and closed");
    let closed = Instant::now();
    let event = events.next_message(DELIVERY).await.expect("an event");
    let latency = closed.elapsed();
    let message = requester
        .next(DELIVERY)
        .await
        .expect("the requester's message");
    assert!(
        events.next_message(NO_SECOND).await.is_err(),
        "one event per closing"
    );
    assert!(
        requester.next(NO_SECOND).await.is_err(),
        "one message to the requester per closing"
    );
    Announced {
        event,
        message,
        latency,
    }
}

fn assert_announces(announced: &Announced, id: &str, status: &str) {
    let event = &announced.event;
    assert_eq!(event["source"], "hitl", "{event}");
    assert_eq!(event["detail-type"], "Approval Decided", "{event}");
    let detail = &event["detail"];
    assert_eq!(detail["approval_id"], id, "{event}");
    assert_eq!(detail["status"], status, "{event}");
    assert_eq!(
        detail["requester"],
        principal("alice@example.com"),
        "{event}"
    );
    assert_eq!(detail["show"], format!("hitl show {id}"), "{event}");
    assert!(
        detail["execution_arn"]
            .as_str()
            .is_some_and(|arn| event["resources"][0] == arn),
        "the execution is the event's resource: {event}"
    );

    let message = &announced.message;
    assert_eq!(message.attributes["event"], "closed", "{message:?}");
    assert_eq!(message.attributes["status"], status, "{message:?}");
    assert_eq!(
        message.attributes["requester"],
        principal("alice@example.com")
    );
    assert!(!message.attributes.contains_key("approver"), "{message:?}");
    assert!(
        message
            .body
            .contains(&format!("Your request is {}", status.to_lowercase())),
        "{message:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approval_is_announced_once_with_who_decided() {
    let id = unique_id("event-approved");
    let decider = id.clone();
    let announced = closing(&id, &["--timeout", "1h"], move || {
        hitl_as("bob", &["approve", &decider, "--comment", "ship it"]).ok();
    })
    .await;
    assert_announces(&announced, &id, "APPROVED");
    let detail = &announced.event["detail"];
    assert_eq!(detail["decided_by"], principal("bob"));
    assert_eq!(detail["comment"], "ship it");
    assert_eq!(detail["policy"]["required"], 1);
    assert_eq!(detail["policy"]["approved_by"][0], principal("bob"));
    assert!(announced
        .message
        .subject
        .starts_with("Approved: Deploy payments-api"));
    report(format_args!(
        "event delivery: `hitl approve` returned → event on the queue in {} ms",
        announced.latency.as_millis()
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejection_is_announced() {
    let id = unique_id("event-rejected");
    let decider = id.clone();
    let announced = closing(&id, &["--timeout", "1h"], move || {
        hitl_as("carol", &["reject", &decider, "--reason", "not this week"]).ok();
    })
    .await;
    assert_announces(&announced, &id, "REJECTED");
    assert_eq!(announced.event["detail"]["decided_by"], principal("carol"));
    assert_eq!(announced.event["detail"]["comment"], "not this week");
    assert!(announced.message.body.contains("not this week"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expiry_is_announced_with_nobody_deciding() {
    let id = unique_id("event-expired");
    let announced = closing(&id, &["--timeout", "3s"], || {}).await;
    assert_announces(&announced, &id, "EXPIRED");
    assert!(announced.event["detail"].get("decided_by").is_none());
    assert!(announced.message.body.contains("Nobody decided before"));
    // The event's own time against the deadline: how late the workflow woke.
    let expires = announced.event["detail"]["expires_at"]
        .as_str()
        .unwrap_or_default();
    let sent = announced.event["time"].as_str().unwrap_or_default();
    report(format_args!(
        "expiry announced: deadline {expires}, event time {sent}"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancellation_is_announced_by_the_workflow() {
    let id = unique_id("event-cancelled");
    let canceller = id.clone();
    let announced = closing(&id, &["--timeout", "1h"], move || {
        hitl_as("carol", &["cancel", &canceller, "--reason", "wrong ticket"]).ok();
    })
    .await;
    assert_announces(&announced, &id, "CANCELLED");
    assert_eq!(announced.event["detail"]["decided_by"], principal("carol"));
    assert_eq!(announced.event["detail"]["comment"], "wrong ticket");
}
