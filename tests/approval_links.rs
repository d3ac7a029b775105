//! Approval links, end to end on the local stack: the notification read back
//! from SNS, the approval page served by `cargo lambda watch` over real HTTP.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use hitl_e2e::{hitl, report, sdk_config, submit_and_wait, unique_id, wait_for_show, Inbox};
use reqwest::StatusCode;

/// The token in a link, and the origin a browser on the page would send.
fn token_and_origin(link: &str) -> (String, String) {
    let url = reqwest::Url::parse(link).expect("the link is a URL");
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("the link carries a token");
    let origin = url.origin().ascii_serialization();
    (token, origin)
}

/// Presses a button on the page: a form POST back to the link.
async fn post(link: &str, token: &str, comment: &str) -> (StatusCode, String) {
    let (_, origin) = token_and_origin(link);
    let response = reqwest::Client::new()
        .post(link)
        .header("origin", origin)
        .form(&[("token", token), ("comment", comment)])
        .send()
        .await
        .expect("the approval page answers");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

async fn get(link: &str) -> (StatusCode, String) {
    let response = reqwest::get(link).await.expect("the approval page answers");
    let status = response.status();
    (status, response.text().await.unwrap_or_default())
}

fn record_status(id: &str) -> serde_json::Value {
    hitl(&["show", id, "--output", "json"]).ok().json()["record"].clone()
}

/// A pending request and its notification's two links.
async fn submitted_with_links(prefix: &str, extra: &[&str]) -> (String, String, String) {
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
    (id, approve, reject)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_shows_on_get_decides_on_post_and_only_once() {
    let script = "<script>alert('pwned')</script> rotate keys";
    let (id, approve, reject) = submitted_with_links(
        "links",
        &["--description", script, "--title", "Rotate <b>keys</b>"],
    )
    .await;
    assert_ne!(approve, reject);

    // GET, as a mail scanner or a person opening the link: nothing changes.
    for link in [&approve, &reject] {
        let (status, page) = get(link).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; rotate keys"));
        assert!(page.contains("Rotate &lt;b&gt;keys&lt;/b&gt;"));
        assert!(!page.contains("<script") && !page.contains("<b>"), "{page}");
    }
    let record = record_status(&id);
    assert_eq!(record["status"], "PENDING");
    assert!(record.get("claim").is_none(), "a GET claimed: {record}");

    // A tampered token decides nothing.
    let (token, _) = token_and_origin(&approve);
    let tampered = format!("{}A", &token[..token.len() - 1]).replace(".a.", ".r.");
    let (status, _) = post(&approve, &tampered, "").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(record_status(&id)["status"], "PENDING");

    // POST: approved, and the execution resumes and succeeds.
    let (status, page) = post(&approve, &token, "read it, fine").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(page.contains("Approved"), "{page}");
    let shown = wait_for_show(&id, "APPROVED and SUCCEEDED", |v| {
        v["record"]["status"] == "APPROVED" && v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["record"]["decided_by"], "approval link");
    assert_eq!(shown["record"]["comment"], "read it, fine");
    assert_eq!(shown["execution"]["result"]["status"], "APPROVED");

    // The same POST again: refused, and nothing changes.
    let (status, page) = post(&approve, &token, "again").await;
    assert_eq!(status, StatusCode::GONE, "{page}");
    assert!(page.contains("Link already used"));
    // The other link: the request is decided.
    let (reject_token, _) = token_and_origin(&reject);
    let (status, page) = post(&reject, &reject_token, "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("Already approved"));
    let record = record_status(&id);
    assert_eq!(record["status"], "APPROVED");
    assert_eq!(record["comment"], "read it, fine");
    // The page function's log names the decision; tail-logs finds it (the
    // local forwarder ships lines within a moment).
    let logs_id = id.clone();
    let found = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            let lines = hitl(&[
                "tail-logs",
                "--approval",
                &logs_id,
                "--function",
                "api",
                "--since",
                "5m",
                "--output",
                "json",
            ])
            .ok()
            .json_lines();
            let decided = lines.iter().any(|l| {
                l["function"] == "api"
                    && l["message"]
                        .as_str()
                        .is_some_and(|m| m.contains("decided through a link"))
            });
            if decided || std::time::Instant::now() > deadline {
                return (decided, lines);
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    })
    .await
    .expect("tail-logs");
    assert!(
        found.0,
        "no api log line about the decision: {:#?}",
        found.1
    );
    report(format!(
        "approval links: GET x2 changed nothing, tampered POST 403, POST 200 → APPROVED/SUCCEEDED, replay 410, other link 409 ({id})"
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cli_decision_and_a_link_cannot_both_win() {
    let (id, approve, _) = submitted_with_links("links-race", &[]).await;
    let cli_id = id.clone();
    tokio::task::spawn_blocking(move || {
        hitl(&["reject", &cli_id, "--as", "bob", "--reason", "not now"]).ok()
    })
    .await
    .expect("rejecting");
    let (token, _) = token_and_origin(&approve);
    let (status, page) = post(&approve, &token, "").await;
    assert_eq!(status, StatusCode::CONFLICT, "{page}");
    assert!(page.contains("decided by bob"), "{page}");
    let shown = wait_for_show(&id, "REJECTED and SUCCEEDED", |v| {
        v["record"]["status"] == "REJECTED" && v["execution"]["status"] == "SUCCEEDED"
    });
    assert_eq!(shown["record"]["decided_by"], "bob");
}

/// Opens the approve link in headless Chromium (as a person would, and as
/// a scanner might) and saves a screenshot of the page for people to look
/// at: `target/screenshots/approval-page.png`. The request stays pending.
#[tokio::test(flavor = "multi_thread")]
async fn headless_chromium_renders_the_page_and_decides_nothing() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .expect("headless Chromium is needed (Debian package `chromium`; `cargo xtask test` installs it)");
    let (id, approve, _) = submitted_with_links(
        "links-page",
        &[
            "--title",
            "Raise the payments API rate limit",
            "--amount",
            "1250.50",
            "--description",
            "Black Friday traffic: raise the limit from 2k to 5k requests/s until Monday.\n<script>alert(1)</script> stays text.",
        ],
    )
    .await;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let tests = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
            tests.parent().unwrap_or(tests).join("target")
        });
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("creating the screenshot folder");
    let path = dir.join("approval-page.png");
    std::fs::remove_file(&path).ok();
    let profile = dir.join(format!("chromium-profile-{}", std::process::id()));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(chromium)
            // No network but loopback here: keep Chromium from calling home.
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                "--window-size=900,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("--screenshot={}", path.display()))
            .arg(&approve)
            .output()
            .map(|o| (o, path))
    })
    .await
    .expect("joining")
    .expect("chromium runs");
    let (output, path) = output;
    std::fs::remove_dir_all(dir.join(format!("chromium-profile-{}", std::process::id()))).ok();
    assert!(
        path.exists(),
        "no screenshot at {}: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 10_000,
        "the screenshot is suspiciously small ({size} bytes)"
    );
    assert_eq!(record_status(&id)["status"], "PENDING");
    report(format!(
        "approval page screenshot: {} ({size} bytes)",
        path.display()
    ));
}
