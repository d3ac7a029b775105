//! Approval links, end to end on the local stack: the notification read back
//! from SNS, the approval page served by `cargo lambda watch`, and a real
//! headless Chromium opening the links and pressing the buttons.
//!
//! No test here sets a header a browser sets itself; the one forged request
//! (a page on another site posting our form) is made by the browser too.

use std::time::Duration;

use hitl_e2e::browser::{Browser, DESKTOP, PHONE};
use hitl_e2e::{
    audit_trail, hitl, hitl_as, principal, report, sdk_config, submit_and_wait, unique_id,
    wait_for_log_line, wait_for_show, Inbox,
};
use serde_json::Value;

fn record(id: &str) -> Value {
    hitl(&["show", id, "--output", "json"]).ok().json()["record"].clone()
}

async fn record_async(id: &str) -> Value {
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || record(&id))
        .await
        .expect("hitl show")
}

async fn settled(id: &str, status: &'static str) -> Value {
    let id = id.to_owned();
    tokio::task::spawn_blocking(move || {
        wait_for_show(&id, &format!("{status} and SUCCEEDED"), |v| {
            v["record"]["status"] == status && v["execution"]["status"] == "SUCCEEDED"
        })
    })
    .await
    .expect("hitl show")
}

/// A pending request, its notification's two links and every URL in it.
struct Notified {
    id: String,
    approve: String,
    reject: String,
    urls: Vec<String>,
}

async fn submitted(prefix: &str, extra: &[&str]) -> Notified {
    let id = unique_id(prefix);
    let config = sdk_config().await;
    let inbox = Inbox::open(&config, &id)
        .await
        .expect("subscribing an inbox");
    let owned_id = id.clone();
    let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        submit_and_wait(&owned_id, &extra)
    })
    .await
    .expect("submitting");
    let notification = inbox
        .next(Duration::from_secs(60))
        .await
        .expect("the workflow notifies approvers");
    assert!(
        notification.subject.starts_with("Approval needed: "),
        "{notification:?}"
    );
    assert!(notification.body.contains(&format!("Request: {id}")));
    let approve = notification.link("Approve:").expect("an approve link");
    let reject = notification.link("Reject:").expect("a reject link");
    assert_ne!(approve, reject);
    let urls = notification
        .body
        .split_whitespace()
        .filter(|word| word.starts_with("http://") || word.starts_with("https://"))
        .map(|word| word.trim_end_matches([']', ')', '.', ',']).to_owned())
        .collect();
    Notified {
        id,
        approve,
        reject,
        urls,
    }
}

fn assert_says(page: &str, phrases: &[&str]) {
    for phrase in phrases {
        assert!(
            page.contains(phrase),
            "the page should say {phrase:?}:\n{page}"
        );
    }
}

const TITLE: &str = "Raise the payments API rate limit";
const DESCRIPTION: &str = "Black Friday traffic: raise the limit from 2k to 5k requests/s until Monday.\n<script>alert(1)</script> stays text.";

#[tokio::test(flavor = "multi_thread")]
async fn an_approver_approves_in_a_real_browser_once_whatever_they_press_next() {
    let request = submitted(
        "page-approve",
        &[
            "--title",
            TITLE,
            "--amount",
            "1250.50",
            "--description",
            DESCRIPTION,
        ],
    )
    .await;
    let browser = Browser::start().await;

    // A second tab opened the same link before anyone decided.
    let first_tab = browser.client.window().await.expect("the window");
    let second_tab = browser
        .client
        .new_window(true)
        .await
        .expect("a second tab")
        .handle;
    browser
        .client
        .switch_to_window(second_tab.clone())
        .await
        .unwrap();
    browser.open(&request.approve).await;
    browser
        .client
        .switch_to_window(first_tab.clone())
        .await
        .unwrap();

    // What the approver sees before deciding.
    browser.open(&request.approve).await;
    let page = browser.text().await;
    assert_says(
        &page,
        &[
            TITLE,
            "Black Friday traffic: raise the limit from 2k to 5k requests/s until Monday.",
            "<script>alert(1)</script> stays text.",
            "1250.50",
            "alice@example.com",
            "Expires",
            "PENDING",
        ],
    );
    // An approve link can only approve: the other action takes the other link.
    assert!(browser.has("button.approve").await && !browser.has("button.reject").await);
    let mut shots = vec![browser.screenshot("approval-page-desktop-before").await];
    browser.resize(PHONE).await;
    shots.push(browser.screenshot("approval-page-phone-before").await);
    browser.resize(DESKTOP).await;
    assert_eq!(record_async(&request.id).await["status"], "PENDING");

    // Type a comment and press Approve.
    browser.type_into("#comment", "canary clean").await;
    browser.press("button.approve").await;
    let page = browser.text().await;
    assert_says(
        &page,
        &["Approved: your decision is recorded", "canary clean", TITLE],
    );
    assert!(!browser.has("form").await, "a decided page has no buttons");
    // Post, redirect, get: the address is the link again.
    assert_eq!(browser.url().await, request.approve);
    shots.push(browser.screenshot("approval-page-desktop-after").await);
    browser.resize(PHONE).await;
    shots.push(browser.screenshot("approval-page-phone-after").await);
    browser.resize(DESKTOP).await;

    let shown = settled(&request.id, "APPROVED").await;
    assert_eq!(shown["record"]["decided_by"], "approval link");
    assert_eq!(shown["record"]["comment"], "canary clean");
    assert_eq!(shown["execution"]["result"]["status"], "APPROVED");
    assert_eq!(shown["execution"]["result"]["comment"], "canary clean");
    let decided_at = shown["record"]["decided_at"].clone();

    // A reload shows the decision again and posts nothing.
    browser.client.refresh().await.expect("reloading");
    assert_says(
        &browser.text().await,
        &["Approved: your decision is recorded"],
    );
    // Back to the form: the page is not cached, so it shows the decision.
    browser.client.back().await.expect("going back");
    assert_says(
        &browser.text().await,
        &["Approved: your decision is recorded"],
    );
    assert!(!browser.has("form").await);

    // The tab opened earlier still shows the form: pressing Approve again
    // is refused, and the page reopened shows who decided.
    browser.client.switch_to_window(second_tab).await.unwrap();
    assert!(browser.has("button.approve").await);
    browser.press("button.approve").await;
    assert_says(&browser.text().await, &["Link already used", "APPROVED"]);
    // The sibling link after the decision.
    browser.open(&request.reject).await;
    assert_says(
        &browser.text().await,
        &["Already approved", "decided by approval link"],
    );
    assert!(!browser.has("form").await);
    browser.close().await;

    let after = record_async(&request.id).await;
    assert_eq!(after["status"], "APPROVED");
    assert_eq!(after["decided_at"], decided_at, "decided once");
    assert_eq!(after["comment"], "canary clean");
    for shot in &shots {
        let size = std::fs::metadata(shot).map(|m| m.len()).unwrap_or(0);
        assert!(size > 10_000, "{} is suspiciously small", shot.display());
    }
    report(format!(
        "approval page in Chromium: approved with a comment (303 → the link's page), reload, back, \
         a stale tab's second press (Link already used), the sibling link (Already approved); \
         screenshots: {}",
        shots
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_approver_rejects_in_a_real_browser() {
    let request = submitted("page-reject", &["--title", "Drop the legacy index"]).await;
    let browser = Browser::start().await;
    browser.open(&request.reject).await;
    assert_says(&browser.text().await, &["Drop the legacy index", "Reject"]);
    // A reject link can only reject.
    assert!(browser.has("button.reject").await && !browser.has("button.approve").await);
    browser.type_into("#comment", "not during the freeze").await;
    browser.press("button.reject").await;
    assert_says(
        &browser.text().await,
        &[
            "Rejected: your decision is recorded",
            "not during the freeze",
        ],
    );
    let shown = settled(&request.id, "REJECTED").await;
    assert_eq!(shown["record"]["comment"], "not during the freeze");
    assert_eq!(shown["execution"]["result"]["status"], "REJECTED");
    browser.open(&request.approve).await;
    assert_says(&browser.text().await, &["Already rejected"]);
    browser.close().await;
    assert_eq!(record_async(&request.id).await["status"], "REJECTED");
}

/// A mail scanner opens every link of a message, runs its scripts, follows
/// redirects and prefetches: none of it decides anything.
#[tokio::test(flavor = "multi_thread")]
async fn a_mail_scanner_opening_every_link_in_a_real_browser_decides_nothing() {
    let request = submitted("page-scanner", &[]).await;
    assert!(request.urls.len() >= 2, "{:?}", request.urls);
    let browser = Browser::start().await;
    for url in &request.urls {
        browser.open(url).await;
        browser.client.refresh().await.expect("reloading");
    }
    // Prefetch and prerender hints, as a scanner's or a mail client's page has them.
    let hints: String = request
        .urls
        .iter()
        .map(|url| {
            format!(
                "<link rel=\"prefetch\" href=\"{url}\"><link rel=\"prerender\" href=\"{url}\">\
                 <img src=\"{url}\"><iframe src=\"{url}\"></iframe>"
            )
        })
        .collect();
    browser
        .open(&format!(
            "data:text/html,{}",
            hitl_e2e::percent_encode(&hints)
        ))
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    // And a plain HTTP client, following redirects, with GET and HEAD.
    let http = reqwest::Client::new();
    for url in &request.urls {
        http.get(url).send().await.expect("GET");
        http.head(url).send().await.expect("HEAD");
    }
    let untouched = record_async(&request.id).await;
    assert_eq!(untouched["status"], "PENDING", "{untouched}");
    assert!(untouched.get("claim").is_none(), "{untouched}");
    assert!(untouched.get("link_used").is_none(), "{untouched}");

    // The links still work for the approver afterwards.
    browser.open(&request.approve).await;
    browser.press("button.approve").await;
    assert_says(
        &browser.text().await,
        &["Approved: your decision is recorded"],
    );
    browser.close().await;
    settled(&request.id, "APPROVED").await;
    report(format!(
        "mail scanner in Chromium: {} links opened and reloaded, prefetched, prerendered, embedded, \
         fetched with GET and HEAD: still PENDING; then approved by a press",
        request.urls.len()
    ));
}

/// Another site's page carrying our form (as if it had the token): the
/// browser labels the post cross-site and the page refuses it.
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_form_on_another_site_is_refused_in_a_real_browser() {
    let request = submitted("page-forged", &[]).await;
    let token = reqwest::Url::parse(&request.approve)
        .expect("a URL")
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("a token");
    let action = request.approve.split('?').next().unwrap_or_default();
    let forged = format!(
        "<form method=\"post\" action=\"{action}\"><input name=\"token\" value=\"{token}\">\
         <button id=\"go\" type=\"submit\">Win a prize</button></form>"
    );
    let browser = Browser::start().await;
    browser
        .open(&format!(
            "data:text/html,{}",
            hitl_e2e::percent_encode(&forged)
        ))
        .await;
    browser.press("#go").await;
    assert_says(&browser.text().await, &["Refused", "nothing was changed"]);
    browser.close().await;
    let untouched = record_async(&request.id).await;
    assert_eq!(untouched["status"], "PENDING", "{untouched}");
    assert!(untouched.get("claim").is_none(), "{untouched}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cli_decision_and_a_press_in_the_browser_cannot_both_win() {
    let request = submitted("page-race", &[]).await;
    let browser = Browser::start().await;
    browser.open(&request.approve).await;
    let id = request.id.clone();
    tokio::task::spawn_blocking(move || {
        hitl_as("bob", &["reject", &id, "--reason", "not now"]).ok()
    })
    .await
    .expect("rejecting");
    browser.press("button.approve").await;
    let decided_by = format!("decided by {}", principal("bob"));
    assert_says(&browser.text().await, &["Already rejected", &decided_by]);
    browser.close().await;
    let shown = settled(&request.id, "REJECTED").await;
    assert_eq!(shown["record"]["decided_by"], principal("bob"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decision_through_a_link_shows_in_tail_logs() {
    let request = submitted("page-logs", &[]).await;
    let browser = Browser::start().await;
    browser.open(&request.approve).await;
    browser.press("button.approve").await;
    browser.close().await;
    settled(&request.id, "APPROVED").await;
    // The page function's log names the decision; tail-logs finds it (the
    // local forwarder ships lines within a moment).
    let id = request.id.clone();
    tokio::task::spawn_blocking(move || wait_for_log_line(&id, "api", "decided through a link"))
        .await
        .expect("tail-logs");
}

/// Links that know whom they were sent to: on a 2-of-3 request each named
/// address gets a notification of its own (filtered as the README tells
/// approvers to subscribe), the requester gets none, and two approvers
/// pressing their own links in Chromium close it, each recorded by address.
#[tokio::test(flavor = "multi_thread")]
async fn each_approver_gets_links_of_their_own_and_two_of_three_approve_in_a_real_browser() {
    const BOB: &str = "bob@example.com";
    const CAROL: &str = "carol@example.com";
    let id = unique_id("page-quorum");
    let config = sdk_config().await;
    let inbox = |who: &'static str| {
        let (config, id) = (config.clone(), id.clone());
        async move {
            Inbox::for_approver(&config, &id, who)
                .await
                .expect("subscribing an approver's inbox")
        }
    };
    let (bob_inbox, carol_inbox, alice_inbox) = (
        inbox(BOB).await,
        inbox(CAROL).await,
        inbox("alice@example.com").await,
    );
    let owned_id = id.clone();
    tokio::task::spawn_blocking(move || {
        // Requested by alice@example.com, who is among the approvers.
        submit_and_wait(
            &owned_id,
            &[
                "--title",
                "Open the partner VPN",
                "--approvers",
                "alice@example.com,bob@example.com,carol@example.com",
                "--required",
                "2",
            ],
        )
    })
    .await
    .expect("submitting");

    let bob_message = bob_inbox
        .next(Duration::from_secs(60))
        .await
        .expect("bob's notification");
    let carol_message = carol_inbox
        .next(Duration::from_secs(60))
        .await
        .expect("carol's notification");
    assert!(
        bob_message
            .body
            .contains("These links are bob@example.com's alone"),
        "{bob_message:?}"
    );
    let bob_approve = bob_message.link("Approve:").expect("bob's approve link");
    let carol_approve = carol_message
        .link("Approve:")
        .expect("carol's approve link");
    assert_ne!(bob_approve, carol_approve);
    assert!(
        bob_inbox.next(Duration::from_secs(3)).await.is_err(),
        "bob receives his own notification only"
    );
    assert!(
        alice_inbox.next(Duration::from_secs(3)).await.is_err(),
        "the requester receives no approve link for her own request"
    );

    let browser = Browser::start().await;
    browser.open(&bob_approve).await;
    assert_says(
        &browser.text().await,
        &[
            "Open the partner VPN",
            "This link was sent to bob@example.com",
            "0 of 2 needed",
        ],
    );
    browser.press("button.approve").await;
    assert_says(
        &browser.text().await,
        &[
            "Approval counted",
            "1 of 2 needed: bob@example.com via link",
        ],
    );
    assert!(!browser.has("form").await, "Bob's link is spent");
    assert_eq!(record_async(&id).await["status"], "PENDING");

    browser.open(&carol_approve).await;
    assert_says(
        &browser.text().await,
        &["This link was sent to carol@example.com"],
    );
    browser.press("button.approve").await;
    assert_says(
        &browser.text().await,
        &["Approved: your decision is recorded"],
    );
    browser.close().await;

    let shown = settled(&id, "APPROVED").await;
    let record = &shown["record"];
    assert_eq!(record["decided_by"], CAROL);
    assert_eq!(record["decision_evidence"], "approval_link");
    let approvals: Vec<(&str, &str)> = record["approvals"]
        .as_array()
        .expect("the approvals counted")
        .iter()
        .map(|a| (a["by"].as_str().unwrap(), a["evidence"].as_str().unwrap()))
        .collect();
    assert_eq!(
        approvals,
        [(BOB, "approval_link"), (CAROL, "approval_link")]
    );
    let table = hitl(&["show", &id, "--output", "table"]).ok().stdout;
    assert!(table.contains("bob@example.com via link"), "{table}");
    let trail = audit_trail(&id);
    let alice = principal("alice@example.com");
    assert_eq!(
        trail.steps(),
        [
            ("requested", alice.as_str(), ""),
            ("approved", BOB, "link"),
            ("approved", CAROL, "link"),
        ],
        "{trail}"
    );
    report(format!(
        "per-approver links in Chromium: 2 of 3 approved by {BOB} and {CAROL} through their own links; \
         the requester was sent none"
    ));
}
