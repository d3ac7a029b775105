//! Submit over HTTPS (README, "Submit over HTTPS"): requests to the stack's
//! `SubmitUrl`, signed with SigV4 by the clients people use — the Rust SDK's
//! signer, curl's `--aws-sigv4` with the keys the AWS CLI reads, and the
//! AWS CLI's own signer (its botocore) through an assume-role profile — and
//! the requester recorded is whoever signed. Bad requests start nothing.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Instant, SystemTime};

use aws_credential_types::provider::ProvideCredentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use hitl_e2e::{
    assert_no_record, hitl, hitl_as, person_profile, principal, report, unique_id,
    wait_for_log_line, wait_for_show, RoleProfiles, ACCOUNT, REGION,
};
use serde_json::{json, Value};

/// The stack's `SubmitUrl` output, as a caller finds it.
async fn submit_url() -> String {
    let config = hitl_e2e::sdk_config().await;
    let stacks = aws_sdk_cloudformation::Client::new(&config)
        .describe_stacks()
        .stack_name("hitl")
        .send()
        .await
        .expect("DescribeStacks");
    stacks.stacks()[0]
        .outputs()
        .iter()
        .find(|o| o.output_key() == Some("SubmitUrl"))
        .and_then(|o| o.output_value())
        .expect("the stack has a SubmitUrl output")
        .to_owned()
}

/// The headers the Rust SDK's SigV4 signer adds to a `POST` of `body` (of
/// `content_type`) to `url` as `person`'s profile, for `region` and service
/// `lambda`.
async fn signature(
    person: &str,
    url: &str,
    content_type: &str,
    body: &[u8],
    region: &str,
) -> Vec<(String, String)> {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .profile_name(person_profile(person))
        .load()
        .await;
    let credentials = config
        .credentials_provider()
        .expect("the profile has credentials")
        .provide_credentials()
        .await
        .expect("credentials");
    let identity = credentials.into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name("lambda")
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .expect("signing parameters")
        .into();
    let host = reqwest::Url::parse(url).expect("a URL");
    let host = format!("{}:{}", host.host_str().unwrap(), host.port().unwrap());
    let headers = [("host", host.as_str()), ("content-type", content_type)];
    let request = SignableRequest::new("POST", url, headers.into_iter(), SignableBody::Bytes(body))
        .expect("a signable request");
    let (instructions, _) = sign(request, &params).expect("signed").into_parts();
    instructions
        .headers()
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

const JSON: &str = "application/json";

/// An answer: its status and JSON body.
struct Answer {
    status: u16,
    body: Value,
}

/// `POST`s `body` to `url` with `headers` (a signature or none) and
/// `content_type`.
async fn post(
    url: &str,
    headers: &[(String, String)],
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let mut request = reqwest::Client::new()
        .post(url)
        .header("content-type", content_type)
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.expect("the submit URL answers");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{status} {text}: {e}"));
    Answer { status, body }
}

/// `POST`s `body` to `url`, signed by the Rust SDK as `person`.
async fn signed_post(person: &str, url: &str, body: &Value) -> Answer {
    let body = body.to_string().into_bytes();
    let headers = signature(person, url, JSON, &body, REGION).await;
    post(url, &headers, "application/json", body).await
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests folder sits in the repository")
        .to_owned()
}

/// The AWS CLI `cargo xtask test` installs (`.local-stack/awscli-venv`).
fn aws_cli_bin(name: &str) -> PathBuf {
    let bin = repo().join(".local-stack/awscli-venv/bin").join(name);
    assert!(
        bin.exists(),
        "{} is missing: `cargo xtask test` installs the AWS CLI there",
        bin.display()
    );
    bin
}

#[tokio::test]
async fn a_request_signed_by_the_rust_sdk_is_its_signers_and_starts_once() {
    let url = submit_url().await;
    let id = unique_id("https");
    let body =
        json!({ "approval_id": id, "title": "Rotate the partner API key", "amount": "1250.50" });

    let started = Instant::now();
    let answer = signed_post("alice", &url, &body).await;
    let round_trip = started.elapsed();
    assert_eq!(answer.status, 202, "{}", answer.body);
    assert_eq!(answer.body["outcome"], "submitted");
    let execution = answer.body["execution_arn"]
        .as_str()
        .expect("an execution")
        .to_owned();

    let pending = wait_for_show(&id, "PENDING with a callback", |v| {
        v["record"]["status"] == "PENDING" && v["record"]["callback_id"].is_string()
    });
    assert_eq!(pending["record"]["requester"], principal("alice"));
    assert_eq!(pending["record"]["requester_evidence"], "function_url");
    assert_eq!(pending["record"]["amount"], "1250.50");
    let shown = hitl(&["show", &id, "--output", "table"]);
    assert!(
        shown
            .stdout
            .contains("by IAM: submitted through the stack's IAM-authorised submit URL"),
        "{shown:?}"
    );

    // The submit function's line about it, as `hitl tail-logs` reads it.
    let lines = wait_for_log_line(&id, "submit", "submitted");
    let line = lines
        .iter()
        .find(|l| {
            l["message"]
                .as_str()
                .is_some_and(|m| m.contains("submitted"))
        })
        .expect("the line waited for");
    assert_eq!(line["function"], "submit", "{line}");

    // The same request again is the same request; someone else's under its
    // id is not.
    let again = signed_post("alice", &url, &body).await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.body["outcome"], "already_submitted");
    assert_eq!(again.body["execution_arn"], execution.as_str());
    let other = signed_post("bob", &url, &body).await;
    assert_eq!(other.status, 409, "{}", other.body);
    assert_eq!(other.body["error"], "ApprovalIdInUse");

    // The signer is the requester: Alice may not approve it, Bob may.
    let own = hitl_as("alice", &["approve", &id]);
    assert_eq!(own.code, 9, "{own:?}");
    let approved = hitl_as("bob", &["approve", &id]);
    assert_eq!(approved.code, 0, "{approved:?}");
    wait_for_show(&id, "APPROVED", |v| v["record"]["status"] == "APPROVED");
    report(format_args!(
        "https submit: signed POST → 202 in {} ms",
        round_trip.as_millis()
    ));
}

#[tokio::test]
async fn curl_signs_with_the_keys_the_aws_cli_reads() {
    let url = submit_url().await;
    let id = unique_id("https-curl");
    let profile = person_profile("carol");
    let key = |name: &str| {
        let out = Command::new(aws_cli_bin("aws"))
            .args(["configure", "get", name, "--profile", &profile])
            .output()
            .expect("the AWS CLI runs");
        assert!(out.status.success(), "aws configure get {name}: {out:?}");
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let user = format!(
        "{}:{}",
        key("aws_access_key_id"),
        key("aws_secret_access_key")
    );
    let body = json!({ "approval_id": id, "title": "Open port 443 to the partner" });
    // As the README shows it.
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--write-out", "\n%{http_code}"])
        .args(["--aws-sigv4", &format!("aws:amz:{REGION}:lambda")])
        .args(["--user", &user])
        .args(["-H", "content-type: application/json"])
        .args(["--data", &body.to_string()])
        .arg(&url)
        .output()
        .expect("curl runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (text, status) = stdout.rsplit_once('\n').expect("a status line");
    assert_eq!(
        status,
        "202",
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_str::<Value>(text).unwrap()["outcome"],
        "submitted"
    );
    let pending = wait_for_show(&id, "PENDING", |v| v["record"]["status"] == "PENDING");
    assert_eq!(pending["record"]["requester"], principal("carol"));
    assert_eq!(pending["record"]["requester_evidence"], "function_url");
}

#[test]
fn the_aws_clis_signer_through_an_assume_role_profile_makes_the_session_the_requester() {
    let profiles = RoleProfiles::create(&["dave"], &["submitters"]);
    let url = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(submit_url());
    let id = unique_id("https-role");
    // The AWS CLI's own botocore (it ships one inside, `awscli.botocore`):
    // the profile's credential chain (AssumeRole through moto's STS) and
    // its SigV4 signer.
    const SCRIPT: &str = r#"
import sys, urllib.request, urllib.error
from awscli.botocore.session import Session
from awscli.botocore.auth import SigV4Auth
from awscli.botocore.awsrequest import AWSRequest
profile, url, body, region = sys.argv[1:5]
credentials = Session(profile=profile).get_credentials().get_frozen_credentials()
request = AWSRequest(method="POST", url=url, data=body.encode(), headers={"content-type": "application/json"})
SigV4Auth(credentials, "lambda", region).add_auth(request)
sent = urllib.request.Request(url, data=request.body, headers=dict(request.headers), method="POST")
try:
    answer = urllib.request.urlopen(sent)
    print(answer.status); print(answer.read().decode())
except urllib.error.HTTPError as e:
    print(e.code); print(e.read().decode())
"#;
    let body = json!({ "approval_id": id, "title": "Renew the TLS certificate" });
    let out = Command::new(aws_cli_bin("python"))
        .args([
            "-c",
            SCRIPT,
            "dave-submitters",
            &url,
            &body.to_string(),
            REGION,
        ])
        .env("AWS_CONFIG_FILE", profiles.config_file())
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            profiles.config_file().with_extension("none"),
        )
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let (status, text) = stdout.split_once('\n').unwrap_or(("", ""));
    assert_eq!(
        status,
        "202",
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        serde_json::from_str::<Value>(text.trim()).unwrap()["outcome"],
        "submitted"
    );
    let pending = wait_for_show(&id, "PENDING", |v| v["record"]["status"] == "PENDING");
    let requester = pending["record"]["requester"].as_str().unwrap();
    assert!(
        requester.starts_with(&format!("arn:aws:sts::{ACCOUNT}:assumed-role/submitters/")),
        "{requester}"
    );
    assert_eq!(pending["record"]["requester_evidence"], "function_url");
}

#[tokio::test]
async fn unsigned_forged_and_malformed_requests_start_nothing() {
    let url = submit_url().await;
    let request = |id: &str| json!({ "approval_id": id, "title": "Deploy" });

    // Unsigned: Lambda refuses before the function runs.
    let id = unique_id("https-unsigned");
    let answer = post(&url, &[], JSON, request(&id).to_string().into_bytes()).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_eq!(answer.body["Message"], "Forbidden");
    assert_no_record(&id).await;

    // Forged: a real signature over one body, sent with another.
    let id = unique_id("https-forged");
    let signed_body = request(&unique_id("https-other")).to_string().into_bytes();
    let headers = signature("alice", &url, JSON, &signed_body, REGION).await;
    let answer = post(&url, &headers, JSON, request(&id).to_string().into_bytes()).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_no_record(&id).await;

    // Signed for another region than the URL's.
    let id = unique_id("https-region");
    let body = request(&id).to_string().into_bytes();
    let headers = signature("alice", &url, JSON, &body, "eu-west-1").await;
    let answer = post(&url, &headers, JSON, body).await;
    assert_eq!(answer.status, 403, "{}", answer.body);
    assert_no_record(&id).await;

    // Signed, but not a request the function takes: each says why.
    let id = unique_id("https-bad");
    let oversized =
        json!({ "approval_id": id, "title": "Deploy", "description": "x".repeat(300 * 1024) });
    let cases: [(Value, u16, &str); 5] = [
        (json!(["not", "an", "object"]), 400, "JSON object"),
        (
            json!({ "approval_id": id, "title": "Deploy", "requester": principal("bob") }),
            400,
            "`requester` is not sent",
        ),
        (
            json!({ "approval_id": id, "description": "no title" }),
            400,
            "missing field `title`",
        ),
        (
            json!({ "approval_id": id, "title": "Deploy", "timeout_seconds": 99_999_999 }),
            400,
            "timeout",
        ),
        (oversized, 413, "limit"),
    ];
    for (body, status, says) in cases {
        let answer = signed_post("alice", &url, &body).await;
        assert_eq!(answer.status, status, "{says}: {}", answer.body);
        let message = answer.body["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{message}");
    }
    let body = request(&id).to_string().into_bytes();
    let headers = signature("alice", &url, "text/plain", &body, REGION).await;
    let answer = post(&url, &headers, "text/plain", body).await;
    assert_eq!(answer.status, 415, "{}", answer.body);
    assert_no_record(&id).await;
}

#[tokio::test]
async fn a_voucher_not_made_by_the_submit_function_is_refused_and_records_nothing() {
    // A forged request sent straight to the workflow by someone allowed to
    // invoke it: Bob named as the requester, with a voucher the submit
    // function never made.
    let id = unique_id("https-forged-voucher");
    let payload = json!({
        "approval_id": id,
        "title": "Disable the audit log",
        "requester": principal("bob"),
        "requester_voucher": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    });
    let (lambda, arn) = hitl_e2e::start_raw(payload, &id).await;
    let (error_type, message) = hitl_e2e::failure_of(&lambda, &arn).await;
    assert_eq!(error_type, "RequesterUnproven", "{message}");
    assert!(message.contains("voucher"), "{message}");
    assert_no_record(&id).await;
}
