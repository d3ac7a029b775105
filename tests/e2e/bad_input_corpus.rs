//! The bad input corpus: what a user, a script, another Lambda client or a
//! browser can send that is wrong, each case with the exit code or HTTP
//! status and the words it must get back, and never a panic.
//!
//! - `hitl` arguments, `--details-file` contents, credentials, regions and
//!   stacks that are wrong, and AWS answering with throttling or expired
//!   credentials (from a stand-in endpoint that always answers that);
//! - submit payloads sent straight to the workflow function;
//! - HTTP requests to the approval page function.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hitl_approvals::links::LinkKey;
use hitl_contract::Timestamp;
use hitl_e2e::{
    assert_no_record, failure_of, hitl, hitl_as, hitl_command, person_profile, report, sdk_config,
    start_raw, submit_and_wait, unique_id, wait_for_show, Inbox, Run,
};
use serde_json::{json, Value};

/// One `hitl` run that must fail in a given way.
struct CliCase {
    name: &'static str,
    args: Vec<String>,
    env: Vec<(&'static str, String)>,
    /// Variables removed from `hitl`'s environment.
    unset: Vec<&'static str>,
    code: i32,
    says: Vec<&'static str>,
}

fn case(name: &'static str, args: &[&str], code: i32, says: &[&'static str]) -> CliCase {
    CliCase {
        name,
        args: args.iter().map(|a| (*a).to_owned()).collect(),
        env: Vec::new(),
        unset: Vec::new(),
        code,
        says: says.to_vec(),
    }
}

impl CliCase {
    fn env(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.env.push((key, value.into()));
        self
    }

    /// Runs it through `person`'s own profile (one of the stack's PEOPLE).
    fn by(self, person: &str) -> Self {
        self.env("AWS_PROFILE", person_profile(person))
    }

    fn unset(mut self, key: &'static str) -> Self {
        self.unset.push(key);
        self
    }

    fn run(&self) -> Run {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut command = hitl_command(&args);
        for key in &self.unset {
            command.env_remove(key);
        }
        command.envs(self.env.iter().map(|(k, v)| (k, v)));
        command.output().expect("hitl runs").into()
    }

    /// What is wrong with how `hitl` handled this case, if anything.
    fn check(&self) -> Result<(), String> {
        let run = self.run();
        let name = self.name;
        if run.stderr.contains("panicked") {
            return Err(format!("{name}: hitl panicked: {run:?}"));
        }
        if run.code != self.code {
            return Err(format!(
                "{name}: exit code {} instead of {}: {}",
                run.code, self.code, run.stderr
            ));
        }
        match self
            .says
            .iter()
            .find(|phrase| !run.stderr.contains(*phrase))
        {
            Some(phrase) => Err(format!(
                "{name}: stderr should say {phrase:?}: {}",
                run.stderr
            )),
            None => Ok(()),
        }
    }
}

/// A stand-in AWS endpoint that answers every request with one canned
/// response (throttling, expired credentials, ...), counting the requests.
struct CannedEndpoint {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl CannedEndpoint {
    fn start(status: u16, content_type: &'static str, body: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                read_request(&mut stream);
                let response = format!(
                    "HTTP/1.1 {status} Canned\r\ncontent-type: {content_type}\r\n\
                     x-amzn-requestid: canned\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Self { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

/// Reads one request's head and body (by content-length).
fn read_request(stream: &mut std::net::TcpStream) {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let Ok(n) = stream.read(&mut buf) else { return };
        if n == 0 {
            return;
        }
        data.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&data);
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return;
            }
        }
    }
}

fn temp_file(name: &str, contents: &[u8]) -> String {
    let dir = std::env::temp_dir().join(format!("hitl-corpus-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path: PathBuf = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path.display().to_string()
}

fn nested_json(depth: usize) -> String {
    format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth))
}

/// A config file with no profiles, for runs that must find no credentials
/// and no region.
fn empty_aws_files(case: CliCase) -> CliCase {
    let empty = temp_file("empty-aws-config", b"");
    case.unset("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", empty.clone())
        .env("AWS_SHARED_CREDENTIALS_FILE", empty)
        .env("AWS_EC2_METADATA_DISABLED", "true")
}

fn cli_cases(pending: &str, decided: &str) -> Vec<CliCase> {
    let long_id = "a".repeat(65);
    let huge_id = "x".repeat(10_000);
    let long_title = "t".repeat(201);
    fn submit<'a>(extra: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["submit", "--title", "Deploy", "--requester", "alice"];
        args.extend_from_slice(extra);
        args
    }
    let details = |name: &str, contents: &[u8]| temp_file(name, contents);
    let not_json = details("not-json.json", b"{ this is not json");
    let not_utf8 = details("not-utf8.json", b"{\"a\": \"\xff\xfe\"}");
    let too_big = details(
        "too-big.json",
        format!("{{\"blob\": \"{}\"}}", "x".repeat(40 * 1024)).as_bytes(),
    );
    let huge_file = details("huge.json", &vec![b' '; 2 * 1024 * 1024]);
    let too_deep = details("too-deep.json", nested_json(40).as_bytes());
    let very_deep = details("very-deep.json", nested_json(100_000).as_bytes());
    let empty = details("empty.json", b"");
    let folder = std::env::temp_dir().display().to_string();

    vec![
        // Arguments.
        case("no command", &[], 2, &["Usage"]),
        case(
            "unknown command",
            &["frobnicate"],
            2,
            &["unrecognized subcommand"],
        ),
        case("approve without an id", &["approve"], 2, &["<IDS>"]),
        case(
            "unknown flag",
            &["list", "--colour", "red"],
            2,
            &["--colour"],
        ),
        case(
            "unknown output format",
            &["list", "--output", "xml"],
            2,
            &["xml"],
        ),
        case(
            "unknown status",
            &["list", "--status", "weird"],
            2,
            &["weird"],
        ),
        case("list --limit 0", &["list", "--limit", "0"], 2, &["--limit"]),
        case(
            "list --since banana",
            &["list", "--since", "banana"],
            2,
            &["banana"],
        ),
        case(
            "tail-logs --since banana",
            &["tail-logs", "--since", "banana"],
            2,
            &["banana"],
        ),
        case(
            "approve --all with ids",
            &["approve", "--all", pending],
            2,
            &["cannot be used with"],
        ),
        case(
            "wait --timeout -1",
            &["wait", pending, "--timeout", "-1"],
            2,
            &["-1"],
        ),
        case(
            "id with a space",
            &["show", "has space"],
            2,
            &["is invalid"],
        ),
        case("id too long", &["show", &long_id], 2, &["is invalid"]),
        case(
            "id of 10,000 characters",
            &["show", &huge_id],
            2,
            &["is invalid"],
        ),
        case(
            "id with HTML",
            &["show", "<script>alert(1)</script>"],
            2,
            &["is invalid"],
        ),
        case(
            "unknown id",
            &["show", "no-such-request"],
            3,
            &["no-such-request", "hitl list --status all"],
        ),
        case(
            "approve an unknown id",
            &["approve", "no-such-request"],
            3,
            &["no approval request", "hitl list"],
        ),
        case(
            "reject an unknown id",
            &["reject", "no-such-request"],
            3,
            &["no approval request", "hitl list"],
        ),
        case(
            "history of an unknown id",
            &["history", "no-such-request"],
            3,
            &["no approval request", "hitl list"],
        ),
        case(
            "cancel an unknown id",
            &["cancel", "no-such-request"],
            3,
            &["no approval request", "hitl list"],
        ),
        case(
            "approve a decided request",
            &["approve", decided],
            4,
            &["already"],
        ),
        case(
            "cancel a decided request",
            &["cancel", decided],
            4,
            &["already"],
        ),
        case(
            "self-approval",
            &["approve", pending],
            9,
            &["cannot approve"],
        )
        .by("alice@example.com"),
        // Submit arguments.
        case(
            "empty title",
            &["submit", "--title", "", "--requester", "alice"],
            2,
            &["title must not be empty"],
        ),
        case(
            "title too long",
            &["submit", "--title", &long_title, "--requester", "alice"],
            2,
            &["limit is 200"],
        ),
        case(
            "negative amount",
            &submit(&["--amount", "-5"]),
            2,
            &["non-negative decimal"],
        ),
        case(
            "amount not a number",
            &submit(&["--amount", "lots"]),
            2,
            &["non-negative decimal"],
        ),
        case(
            "zero timeout",
            &submit(&["--timeout", "0s"]),
            2,
            &["above zero"],
        ),
        case(
            "timeout too long",
            &submit(&["--timeout", "400d"]),
            2,
            &["out of range"],
        ),
        case(
            "timeout not a duration",
            &submit(&["--timeout", "banana"]),
            2,
            &["banana"],
        ),
        case(
            "submit id with a slash",
            &submit(&["--id", "a/b"]),
            2,
            &["is invalid"],
        ),
        case(
            "submit an id in use",
            &submit(&["--id", decided]),
            4,
            &["already used"],
        ),
        // --details-file contents.
        case(
            "details file missing",
            &submit(&["--details-file", "/no/such/file.json"]),
            2,
            &["cannot read details file"],
        ),
        case(
            "details file is a folder",
            &submit(&["--details-file", &folder]),
            2,
            &["cannot read details file"],
        ),
        case(
            "details file empty",
            &submit(&["--details-file", &empty]),
            2,
            &["not valid JSON"],
        ),
        case(
            "details not JSON",
            &submit(&["--details-file", &not_json]),
            2,
            &["not valid JSON"],
        ),
        case(
            "details not UTF-8",
            &submit(&["--details-file", &not_utf8]),
            2,
            &["UTF-8"],
        ),
        case(
            "details over 32 KiB",
            &submit(&["--details-file", &too_big]),
            2,
            &["the limit is 32768 bytes"],
        ),
        case(
            "details file of 2 MiB",
            &submit(&["--details-file", &huge_file]),
            2,
            &["the limit is 32768 bytes"],
        ),
        case(
            "details nested 40 deep",
            &submit(&["--details-file", &too_deep]),
            2,
            &["nested", "32"],
        ),
        case(
            "details nested 100,000 deep",
            &submit(&["--details-file", &very_deep]),
            2,
            &["details file"],
        ),
        // Stacks, regions and credentials.
        case(
            "empty stack name",
            &["--stack", "", "list"],
            2,
            &["--stack"],
        ),
        case(
            "missing stack",
            &["--stack", "no-such-stack", "list"],
            8,
            &["no-such-stack", "--stack"],
        ),
        case(
            "wrong region",
            &["--region", "eu-west-3", "--refresh", "list"],
            8,
            &["eu-west-3"],
        ),
        empty_aws_files(case("no region", &["list"], 8, &["region"])),
        empty_aws_files(case(
            "no credentials",
            &["--refresh", "list"],
            8,
            &["credentials"],
        ))
        .env("AWS_REGION", "us-east-1"),
        case(
            "unknown profile",
            &["--profile", "no-such-profile", "list"],
            8,
            &["no-such-profile", "not defined"],
        ),
    ]
}

/// Cases answered by a stand-in endpoint: what AWS says when it throttles
/// or the credentials have expired.
fn canned_cases() -> Vec<(CliCase, CannedEndpoint)> {
    let expired = CannedEndpoint::start(
        403,
        "text/xml",
        "<ErrorResponse><Error><Type>Sender</Type><Code>ExpiredToken</Code>\
         <Message>The security token included in the request is expired</Message></Error>\
         <RequestId>canned</RequestId></ErrorResponse>",
    );
    let throttled = CannedEndpoint::start(
        400,
        "application/x-amz-json-1.0",
        r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#,
    );
    let denied = CannedEndpoint::start(
        400,
        "application/x-amz-json-1.0",
        r#"{"__type":"com.amazon.coral.service#AccessDeniedException","message":"User: arn:aws:iam::123456789012:user/ops is not authorized to perform: dynamodb:Query"}"#,
    );
    vec![
        (
            case(
                "expired credentials",
                &["--refresh", "list"],
                8,
                &["expired", "credentials"],
            )
            .env("AWS_ENDPOINT_URL_CLOUDFORMATION", expired.url.clone()),
            expired,
        ),
        (
            case(
                "throttled by DynamoDB",
                &["list"],
                1,
                &["throttl", "try again"],
            )
            .env("AWS_ENDPOINT_URL_DYNAMODB", throttled.url.clone()),
            throttled,
        ),
        (
            case(
                "not allowed by IAM",
                &["list"],
                1,
                &["not authorized", "permission"],
            )
            .env("AWS_ENDPOINT_URL_DYNAMODB", denied.url.clone()),
            denied,
        ),
    ]
}

/// Payloads any Lambda client could start the workflow with.
fn payload_cases(id: &str) -> Vec<(&'static str, Value, &'static str, &'static str)> {
    vec![
        (
            "payload is a string",
            json!("approve me"),
            "InvalidInput",
            "does not fit the workflow",
        ),
        (
            "payload is an array",
            json!([1, 2, 3]),
            "InvalidInput",
            "does not fit the workflow",
        ),
        (
            "unknown field",
            json!({"approval_id": id, "title": "t", "requester": "r", "colour": "red"}),
            "InvalidInput",
            "unknown field `colour`",
        ),
        (
            "title missing",
            json!({"approval_id": id, "requester": "r"}),
            "InvalidInput",
            "missing field `title`",
        ),
        (
            "title not a string",
            json!({"approval_id": id, "title": 5, "requester": "r"}),
            "InvalidInput",
            "invalid type",
        ),
        (
            "empty title",
            json!({"approval_id": id, "title": "", "requester": "r"}),
            "InvalidRequest",
            "title must not be empty",
        ),
        (
            "id with a slash",
            json!({"approval_id": "a/b", "title": "t", "requester": "r"}),
            "InvalidRequest",
            "is invalid",
        ),
        (
            "timeout out of range",
            json!({"approval_id": id, "title": "t", "requester": "r", "timeout_seconds": 99_999_999}),
            "InvalidRequest",
            "out of range",
        ),
        (
            "negative timeout",
            json!({"approval_id": id, "title": "t", "requester": "r", "timeout_seconds": -5}),
            "InvalidInput",
            "invalid value",
        ),
        (
            "amount not a number",
            json!({"approval_id": id, "title": "t", "requester": "r", "amount": "lots"}),
            "InvalidRequest",
            "amount `lots` is not",
        ),
        (
            "description too long",
            json!({"approval_id": id, "title": "t", "requester": "r", "description": "d".repeat(10_001)}),
            "InvalidRequest",
            "the limit is 10000",
        ),
        (
            "details nested 40 deep",
            json!({"approval_id": id, "title": "t", "requester": "r", "details": serde_json::from_str::<Value>(&nested_json(40)).unwrap()}),
            "InvalidRequest",
            "nested",
        ),
    ]
}

/// One HTTP request to the approval page function and what it must answer.
struct HttpCase {
    name: &'static str,
    request: reqwest::RequestBuilder,
    status: u16,
    says: &'static str,
}

/// What is wrong with the page function's answer, if anything: its
/// status and the `<title>` plus first paragraph of the page.
async fn check_http(case: HttpCase) -> Result<(), String> {
    let name = case.name;
    let response = case
        .request
        .send()
        .await
        .map_err(|e| format!("{name}: the page function did not answer: {e}"))?;
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let gist = gist(&body);
    if status != case.status {
        return Err(format!(
            "{name}: status {status} instead of {}: {gist}",
            case.status
        ));
    }
    if !body.contains(case.says) {
        return Err(format!(
            "{name}: the page should say {:?}: {gist}",
            case.says
        ));
    }
    Ok(())
}

/// A page's title and main text, without its markup.
fn gist(html: &str) -> String {
    let text = html
        .split("<main>")
        .nth(1)
        .unwrap_or(html)
        .split("</main>")
        .next()
        .unwrap_or_default();
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

async fn check_all(cases: Vec<HttpCase>) {
    let total = cases.len();
    let mut wrong = Vec::new();
    for case in cases {
        wrong.extend(check_http(case).await.err());
    }
    assert!(
        wrong.is_empty(),
        "{} of {total} HTTP cases went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The link signing key of the local stack, from its Secrets Manager.
async fn signing_key(config: &aws_config::SdkConfig) -> LinkKey {
    let secret = aws_sdk_secretsmanager::Client::new(config)
        .get_secret_value()
        .secret_id("hitl-link-signing-key")
        .send()
        .await
        .expect("the local stack's signing key");
    LinkKey::new(secret.secret_string().unwrap()).unwrap()
}

fn with_token(base: &str, token: &str) -> String {
    let mut url = reqwest::Url::parse(base).unwrap();
    url.query_pairs_mut().clear().append_pair("token", token);
    url.to_string()
}

async fn http_cases(config: &aws_config::SdkConfig) -> usize {
    // A pending request whose fields carry markup, and its notification.
    let id = unique_id("corpus-page");
    let inbox = Inbox::open(config, &id).await.expect("an inbox");
    let moved = id.clone();
    tokio::task::spawn_blocking(move || {
        submit_and_wait(
            &moved,
            &[
                "--title",
                "<script>alert('title')</script>",
                "--description",
                "\"><img src=x onerror=alert(1)>",
                "--requester",
                "alice@example.com",
                "--timeout",
                "1h",
            ],
        )
    })
    .await
    .unwrap();
    let notification = inbox
        .next(Duration::from_secs(60))
        .await
        .expect("a notification");
    let approve = notification.link("Approve:").expect("an approve link");
    let reject = notification.link("Reject:").expect("a reject link");
    let url = reqwest::Url::parse(&approve).unwrap();
    let token = url
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let base = {
        let mut base = url.clone();
        base.set_query(None);
        base.to_string()
    };

    let key = signing_key(config).await;
    let in_an_hour = Timestamp::now().plus(Duration::from_secs(3600));
    let (unknown_id, _) = key.mint_pair("no-such-request", None, in_an_hour).unwrap();
    let (not_issued, _) = key.mint_pair(&id, None, in_an_hour).unwrap();
    let an_hour_ago = Timestamp::from_unix_seconds(Timestamp::now().unix_seconds() - 3600).unwrap();
    let (expired, _) = key.mint_pair(&id, None, an_hour_ago).unwrap();
    let other_key = LinkKey::new([7u8; 32]).unwrap();
    let (foreign, _) = other_key.mint_pair(&id, None, in_an_hour).unwrap();
    // Alter the tag's first character: every base64url character there
    // decodes (only the last one carries padding bits that may not), so the
    // token stays well-formed and only its signature is wrong.
    let tampered = {
        let (payload, tag) = token.rsplit_once('.').unwrap();
        let first = if tag.starts_with('A') { 'B' } else { 'A' };
        format!("{payload}.{first}{}", &tag[1..])
    };
    let truncated = token.rsplit_once('.').unwrap().0.to_owned();
    let http = reqwest::Client::new();
    let form = |token: &str| format!("token={token}&comment=ok");
    // Posts as a client that is not a browser sends them (no Origin, no
    // Sec-Fetch-*): the page's real form is pressed in Chromium in
    // tests/e2e/approval_links.rs.
    let post = |body: String| {
        http.post(&base)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    };

    let cases = vec![
        HttpCase {
            name: "GET without a token",
            request: http.get(&base),
            status: 400,
            says: "Link incomplete",
        },
        HttpCase {
            name: "GET with a garbage token",
            request: http.get(with_token(&base, "garbage")),
            status: 400,
            says: "damaged",
        },
        HttpCase {
            name: "GET with a token cut short",
            request: http.get(with_token(&base, &truncated)),
            status: 400,
            says: "damaged",
        },
        HttpCase {
            name: "GET with a token of 600 characters",
            request: http.get(with_token(&base, &"a.".repeat(300))),
            status: 400,
            says: "damaged",
        },
        HttpCase {
            name: "GET with a tampered signature",
            request: http.get(with_token(&base, &tampered)),
            status: 403,
            says: "altered",
        },
        HttpCase {
            name: "GET with another deployment's token",
            request: http.get(with_token(&base, &other_key.sign(&foreign))),
            status: 403,
            says: "altered",
        },
        HttpCase {
            name: "GET for an unknown request",
            request: http.get(with_token(&base, &key.sign(&unknown_id))),
            status: 404,
            says: "No such request",
        },
        HttpCase {
            name: "GET with a link never sent",
            request: http.get(with_token(&base, &key.sign(&not_issued))),
            status: 404,
            says: "not the current one",
        },
        HttpCase {
            name: "GET with an expired link",
            request: http.get(with_token(&base, &key.sign(&expired))),
            status: 410,
            says: "expired",
        },
        HttpCase {
            name: "GET with invalid UTF-8 in the query",
            request: http.get(format!("{base}?token=%ff%fe")),
            status: 400,
            says: "damaged",
        },
        HttpCase {
            name: "PUT",
            request: http.put(&approve),
            status: 405,
            says: "Method not allowed",
        },
        HttpCase {
            name: "DELETE",
            request: http.delete(&approve),
            status: 405,
            says: "Method not allowed",
        },
        HttpCase {
            name: "POST as JSON",
            request: http.post(&base).json(&json!({"token": token})),
            status: 415,
            says: "Not a form",
        },
        HttpCase {
            name: "forged POST from another site",
            request: http
                .post(&base)
                .header("origin", "https://evil.example")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&token)),
            status: 403,
            says: "nothing was changed",
        },
        HttpCase {
            name: "POST of 1 MiB",
            request: post(format!("token={token}&comment={}", "c".repeat(1024 * 1024))),
            status: 413,
            says: "larger than this page accepts",
        },
        HttpCase {
            name: "POST without a token",
            request: post("comment=ok".into()),
            status: 400,
            says: "Nothing to decide",
        },
        HttpCase {
            name: "POST with invalid UTF-8",
            request: post("token=%ff%fe&comment=%c3%28".into()),
            status: 400,
            says: "damaged",
        },
        HttpCase {
            name: "POST with a tampered token",
            request: post(form(&tampered)),
            status: 403,
            says: "altered",
        },
        HttpCase {
            name: "POST with an expired token",
            request: post(form(&key.sign(&expired))),
            status: 410,
            says: "expired",
        },
    ];
    let count = cases.len();
    check_all(cases).await;
    // Nothing above changed the request; the page shows its markup inert.
    let page = http.get(&approve).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;"),
        "the title is shown as text: {html}"
    );
    assert!(
        html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"),
        "the description is shown as text: {html}"
    );
    assert!(!html.contains("<script>alert"), "markup is escaped: {html}");
    assert!(!html.contains("<img src=x"), "markup is escaped: {html}");
    let shown = tokio::task::spawn_blocking({
        let id = id.clone();
        move || hitl(&["show", &id, "--output", "json"]).ok().json()
    })
    .await
    .unwrap();
    assert_eq!(shown["record"]["status"], "PENDING", "{shown}");

    // The real link decides once; replays and the other link are refused.
    let decide = post;
    let reject_token = reqwest::Url::parse(&reject)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let decided = decide(form(&token)).send().await.unwrap();
    assert_eq!(decided.status().as_u16(), 200);
    let after = [
        HttpCase {
            name: "POST the used link again",
            request: decide(form(&token)),
            status: 410,
            says: "Link already used",
        },
        HttpCase {
            name: "POST the other link after a decision",
            request: decide(form(&reject_token)),
            status: 409,
            says: "Already approved",
        },
    ];
    let after_count = after.len();
    check_all(after.into()).await;
    tokio::task::spawn_blocking(move || {
        let shown = wait_for_show(&id, "SUCCEEDED", |v| {
            v["execution"]["status"] == "SUCCEEDED"
        });
        assert_eq!(shown["record"]["status"], "APPROVED", "{shown}");
    })
    .await
    .unwrap();
    count + after_count
}

#[tokio::test(flavor = "multi_thread")]
async fn every_bad_input_gets_its_exit_code_or_status_and_message() {
    let config = sdk_config().await;

    // A pending request and a decided one, for the cases that need them.
    let (pending, decided) = (unique_id("corpus-pending"), unique_id("corpus-decided"));
    {
        let (pending, decided) = (pending.clone(), decided.clone());
        tokio::task::spawn_blocking(move || {
            submit_and_wait(&pending, &["--timeout", "1h"]);
            submit_and_wait(&decided, &["--timeout", "1h"]);
            hitl_as("bob", &["approve", &decided]).ok();
        })
        .await
        .unwrap();
    }

    let cli = tokio::task::spawn_blocking(move || {
        let cases = cli_cases(&pending, &decided);
        let mut wrong: Vec<String> = cases.iter().filter_map(|c| c.check().err()).collect();
        let mut retried = Vec::new();
        let canned = canned_cases();
        for (case, endpoint) in &canned {
            wrong.extend(case.check().err());
            retried.push(format!("{}: {} requests", case.name, endpoint.requests()));
        }
        assert!(
            wrong.is_empty(),
            "{} of {} cases went wrong:\n{}",
            wrong.len(),
            cases.len() + canned.len(),
            wrong.join("\n")
        );
        (cases.len(), canned.len(), retried)
    })
    .await
    .unwrap();

    let payload_id = unique_id("corpus-payload");
    let payloads = payload_cases(&payload_id);
    for (name, payload, error_type, says) in &payloads {
        let (lambda, arn) = start_raw(payload.clone(), &unique_id("corpus-exec")).await;
        let (kind, message) = failure_of(&lambda, &arn).await;
        assert_eq!(&kind, error_type, "{name}: {message}");
        assert!(
            message.contains(says),
            "{name}: {message:?} should say {says:?}"
        );
    }
    assert_no_record(&payload_id).await;

    let http = http_cases(&config).await;

    let total = cli.0 + cli.1 + payloads.len() + http;
    report(format_args!(
        "bad input corpus: {total} cases, 0 panics: {} hitl argument, file, stack and credential cases; \
         {} answered by a stand-in AWS endpoint ({}); {} submit payloads sent straight to the workflow \
         (each execution FAILED with its error, no record written); {http} HTTP requests to the approval page",
        cli.0,
        cli.1,
        cli.2.join(", "),
        payloads.len(),
    ));
}
