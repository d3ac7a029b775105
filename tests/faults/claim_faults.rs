//! Claim faults: a decider dies between its claim and its callback, or
//! after the service took its callback, and no decision is lost or
//! stuck. The local front door stops the decision's callback at the chosen
//! point (see xtask/src/local/faults.rs): it holds `hitl`'s request while the
//! test kills `hitl` (SIGKILL), or kills the approval page's function.
//!
//! Every case ends with the decision delivered exactly once: by the same
//! command run again, by the link pressed again, by the workflow when the
//! callback reached it, or by the workflow at the deadline, which records
//! the claim it finds.
//!
//! One test, run case by case: killing the page's function restarts the
//! functions' runtime, which would interrupt anything else running.

use std::process::{Child, Stdio};
use std::time::Duration;

use hitl_e2e::{
    decisions_received, eventually_async, hitl, hitl_as, hitl_command_as, local_ports, poll,
    principal, report, sdk_config, submit_and_wait, unique_id, Inbox, PATIENCE,
};
use reqwest::StatusCode;
use serde_json::{json, Value};

const PAGE_FUNCTION: &str = "approval-api";

fn front_door() -> String {
    format!("http://127.0.0.1:{}", local_ports()["front_door"])
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("the task runs")
}

fn show(id: &str) -> Value {
    hitl(&["show", id, "--output", "json"]).ok().json()
}

/// Arms a fault on the callback of `id`'s record.
async fn arm(door: &str, id: &str, when: &str, then: &str) -> String {
    let moved = id.to_owned();
    let callback_id = blocking(move || show(&moved)["record"]["callback_id"].clone())
        .await
        .as_str()
        .expect("the record has a callback")
        .to_owned();
    let response = reqwest::Client::new()
        .post(format!("{door}/_local/callback-faults"))
        .json(&json!({
            "callback_id": callback_id,
            "when": when,
            "then": then,
            "function": PAGE_FUNCTION,
        }))
        .send()
        .await
        .expect("the front door answers");
    assert!(
        response.status().is_success(),
        "arming a fault: {response:?}"
    );
    callback_id
}

/// Waits until the fault on `callback_id` has fired; returns it.
async fn fired(door: &str, callback_id: &str) -> Value {
    let what = format!("the fault on {callback_id} firing");
    eventually_async(
        &what,
        Duration::from_secs(60),
        Duration::from_millis(100),
        || async {
            let fired: Vec<Value> = reqwest::get(format!("{door}/_local/callback-faults"))
                .await
                .expect("the front door answers")
                .json()
                .await
                .expect("fired faults are JSON");
            let fault = fired
                .iter()
                .find(|f| f["callback_id"] == callback_id)
                .cloned();
            fault.ok_or(fired)
        },
    )
    .await
}

fn spawn_hitl_as(person: &str, args: &[&str]) -> Child {
    hitl_command_as(person, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("hitl starts")
}

/// SIGKILLs `hitl` while the front door holds its callback.
fn kill(mut child: Child) {
    child.kill().expect("hitl is killed");
    let status = child.wait().expect("hitl is reaped");
    assert!(!status.success(), "hitl was killed, not finished: {status}");
}

/// How one case ended.
#[derive(Debug, PartialEq)]
enum End {
    DeliveredOnce,
    Lost(String),
    Stuck(String),
}

/// Waits for the execution to end, then judges: the decision delivered
/// exactly once (the execution SUCCEEDED with it, the record names the
/// claimant, one callback completion), lost (EXPIRED, or another outcome),
/// or stuck (still PENDING).
fn judge(id: &str, status: &str, by: &str) -> End {
    // Still running after that is judged below, not a failure here.
    let shown = poll(Duration::from_secs(90), Duration::from_millis(200), || {
        let shown = show(id);
        if shown["execution"]["status"] != "RUNNING" {
            Ok(shown)
        } else {
            Err(shown)
        }
    })
    .unwrap_or_else(|running| running);
    let record = &shown["record"];
    if record["status"] == "PENDING" {
        return End::Stuck(shown.to_string());
    }
    let completions = decisions_received(id).len();
    let delivered = shown["execution"]["status"] == "SUCCEEDED"
        && shown["execution"]["result"]["status"] == status
        && record["status"] == status
        && record["decided_by"] == by
        && record.get("claim").is_none()
        && completions <= 1;
    if delivered {
        End::DeliveredOnce
    } else {
        End::Lost(format!("{completions} callback completions: {shown}"))
    }
}

/// A pending request with its notification's approve link.
async fn submitted_with_link(prefix: &str) -> (String, String) {
    let id = unique_id(prefix);
    let config = sdk_config().await;
    let inbox = Inbox::open(&config, &id)
        .await
        .expect("subscribing an inbox");
    let moved = id.clone();
    blocking(move || submit_and_wait(&moved, &["--timeout", "1h"])).await;
    let notification = inbox
        .next(Duration::from_secs(60))
        .await
        .expect("the workflow notifies approvers");
    let link = notification.link("Approve:").expect("an approve link");
    (id, link)
}

fn token(link: &str) -> String {
    reqwest::Url::parse(link)
        .expect("the link is a URL")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("the link carries a token")
}

/// Presses the button: a form POST as a non-browser client sends it (no
/// Origin, no Sec-Fetch-*). `None` when the function died under it.
async fn press(link: &str) -> Option<(StatusCode, String)> {
    let response = reqwest::Client::new()
        .post(link)
        .form(&[("token", token(link).as_str()), ("comment", "")])
        .timeout(Duration::from_secs(30))
        .send()
        .await
        .ok()?;
    let status = response.status();
    Some((status, response.text().await.unwrap_or_default()))
}

/// Presses the button until the restarted page answers with something other
/// than a server error.
async fn press_until_answered(link: &str) -> (StatusCode, String) {
    let what = "the approval page coming back";
    eventually_async(what, PATIENCE, Duration::from_millis(500), || async {
        match press(link).await {
            Some((status, page)) if !status.is_server_error() => Ok((status, page)),
            other => Err(other),
        }
    })
    .await
}

async fn get_until_answered(link: &str) -> (StatusCode, String) {
    let what = "the approval page coming back";
    eventually_async(what, PATIENCE, Duration::from_millis(500), || async {
        match reqwest::get(link).await {
            Ok(response) if !response.status().is_server_error() => {
                let status = response.status();
                Ok((status, response.text().await.unwrap_or_default()))
            }
            Ok(response) => Err(Some(response.status())),
            Err(_) => Err(None),
        }
    })
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decider_killed_between_claim_and_final_write_loses_nothing() {
    let _alone = crate::alone_async().await;
    let door = blocking(front_door).await;
    let mut ends: Vec<(&str, End)> = Vec::new();

    // 1. `hitl approve` killed between its claim and its callback.
    let point = "hitl killed between claim and send";
    let id = unique_id("claim-cli-before");
    let moved = id.clone();
    blocking(move || submit_and_wait(&moved, &["--timeout", "1h"])).await;
    let callback_id = arm(&door, &id, "before", "hold").await;
    let child = spawn_hitl_as("bob", &["approve", &id]);
    fired(&door, &callback_id).await;
    kill(child);
    let moved = id.clone();
    let end = blocking(move || {
        let record = show(&moved)["record"].clone();
        assert_eq!(record["status"], "PENDING", "{record}");
        assert_eq!(
            record["claim"]["by"],
            principal("bob"),
            "claimed, not sent: {record}"
        );
        // Within the lease nobody else can decide or cancel, and they are
        // told when the claim is released.
        for (person, args) in [
            ("carol", &["reject", &moved][..]),
            ("ops", &["cancel", &moved][..]),
        ] {
            let refused = hitl_as(person, args);
            assert_eq!(refused.code, 4, "{args:?}: {refused:?}");
            assert!(
                refused.stderr.contains("its claim is released at"),
                "{refused:?}"
            );
        }
        // The same command again delivers it.
        hitl_as("bob", &["approve", &moved]).ok();
        judge(&moved, "APPROVED", &principal("bob"))
    })
    .await;
    report(format_args!(
        "claim faults: {point}: {end:?} (the same command again)"
    ));
    ends.push((point, end));

    // 2. `hitl reject` killed after the service took its callback, before
    //    it reads the outcome back: the workflow records it; the command again
    //    says so.
    let point = "hitl killed after send, before reading the outcome";
    let id = unique_id("claim-cli-after");
    let moved = id.clone();
    blocking(move || submit_and_wait(&moved, &["--timeout", "1h"])).await;
    let callback_id = arm(&door, &id, "after", "hold").await;
    let child = spawn_hitl_as("bob", &["reject", &id, "--reason", "not now"]);
    fired(&door, &callback_id).await;
    kill(child);
    let moved = id.clone();
    let end = blocking(move || {
        let end = judge(&moved, "REJECTED", &principal("bob"));
        let again = hitl_as("bob", &["reject", &moved, "--output", "json"]).ok();
        assert_eq!(again.json()["status"], "REJECTED", "{again:?}");
        end
    })
    .await;
    report(format_args!(
        "claim faults: {point}: {end:?} (the workflow recorded it; the command again reports it)"
    ));
    ends.push((point, end));

    // 3. The page's function killed between its claim and its callback:
    //    the link shows its form again, and pressing it delivers.
    let point = "page function killed between claim and send";
    let (id, link) = submitted_with_link("claim-page-before").await;
    let callback_id = arm(&door, &id, "before", "crash").await;
    let died = press(&link).await;
    let fault = fired(&door, &callback_id).await;
    assert!(fault["killed"].as_u64() >= Some(1), "{fault}");
    assert!(
        died.as_ref()
            .is_none_or(|(status, _)| status.is_server_error()),
        "the page died under the press: {died:?}"
    );
    let moved = id.clone();
    let record = blocking(move || show(&moved)["record"].clone()).await;
    assert_eq!(record["status"], "PENDING", "{record}");
    assert_eq!(record["claim"]["by"], "approval link", "{record}");
    let (status, page) = get_until_answered(&link).await;
    assert_eq!(status, StatusCode::OK, "the form again: {page}");
    assert!(page.contains(">Approve</button>"), "{page}");
    let (status, page) = press_until_answered(&link).await;
    assert_eq!(status, StatusCode::OK, "pressed again: {page}");
    assert!(page.contains("Approved"), "{page}");
    let moved = id.clone();
    let end = blocking(move || judge(&moved, "APPROVED", "approval link")).await;
    report(format_args!(
        "claim faults: {point}: {end:?} (the link pressed again)"
    ));
    ends.push((point, end));

    // 4. The page's function killed after the service took its callback:
    //    the workflow records it, and the link says it was used for it.
    let point = "page function killed after send, before reading the outcome";
    let (id, link) = submitted_with_link("claim-page-after").await;
    let callback_id = arm(&door, &id, "after", "crash").await;
    press(&link).await;
    let fault = fired(&door, &callback_id).await;
    assert!(fault["killed"].as_u64() >= Some(1), "{fault}");
    let moved = id.clone();
    let end = blocking(move || judge(&moved, "APPROVED", "approval link")).await;
    let (status, page) = press_until_answered(&link).await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(page.contains("Link already used"), "{page}");
    report(format_args!(
        "claim faults: {point}: {end:?} (the workflow recorded it; the link says so)"
    ));
    ends.push((point, end));

    // 5. `hitl approve` killed between claim and send, and nobody tries
    //    again: at the deadline the workflow records the claim, by its
    //    claimant, at its time.
    let point = "hitl killed between claim and send, nobody retries";
    let id = unique_id("claim-cli-deadline");
    let moved = id.clone();
    blocking(move || submit_and_wait(&moved, &["--timeout", "20s"])).await;
    let callback_id = arm(&door, &id, "before", "hold").await;
    let child = spawn_hitl_as("bob", &["approve", &id, "--comment", "ship it"]);
    fired(&door, &callback_id).await;
    kill(child);
    let moved = id.clone();
    let end = blocking(move || {
        let claim = show(&moved)["record"]["claim"].clone();
        assert_eq!(claim["by"], principal("bob"), "{claim}");
        let end = judge(&moved, "APPROVED", &principal("bob"));
        let record = show(&moved)["record"].clone();
        assert_eq!(record["decided_at"], claim["at"], "{record}");
        assert_eq!(record["comment"], "ship it", "{record}");
        end
    })
    .await;
    report(format_args!(
        "claim faults: {point}: {end:?} (the workflow at the deadline)"
    ));
    ends.push((point, end));

    let delivered = ends
        .iter()
        .filter(|(_, e)| *e == End::DeliveredOnce)
        .count();
    let lost = ends
        .iter()
        .filter(|(_, e)| matches!(e, End::Lost(_)))
        .count();
    let stuck = ends
        .iter()
        .filter(|(_, e)| matches!(e, End::Stuck(_)))
        .count();
    report(format_args!(
        "claim faults: {} kill points, {delivered} delivered once, {lost} lost, {stuck} stuck",
        ends.len()
    ));
    for (point, end) in &ends {
        assert_eq!(*end, End::DeliveredOnce, "{point}");
    }
}
