//! The submit function's IAM-authorised function URL, as Lambda serves it.
//!
//! On AWS the submit function sits behind a function URL with `AuthType:
//! AWS_IAM`: Lambda checks the caller's SigV4 signature (service `lambda`,
//! the stack's region), then invokes the function with a function-URL event
//! (payload format 2.0) whose `requestContext.authorizer.iam` names the
//! caller, and the function takes the requester from its `userArn`.
//! `cargo lambda watch` serves function URLs only without auth (its events
//! have no authorizer), so the door plays Lambda's part at
//! `/lambda-url/submit-api/`
//! ([`iam_function_url`](crate::local::provision::iam_function_url)): it
//! checks the signature as AWS does (`sigv4`), asks moto's STS who the
//! access key belongs to, invokes the function through `cargo lambda
//! watch`'s Invoke API with the event Lambda would build, and turns its
//! answer into HTTP as Lambda does.
//!
//! What it cannot imitate:
//!
//! - a signature made with a key whose secret it does not know. It knows the
//!   people's (`cargo xtask local up` writes them to `people.json`) and the
//!   operator profile's; temporary credentials from moto's STS (assume-role
//!   profiles) it only identifies, unchecked, like the STS proofs the
//!   workflow checks locally (moto checks no signature);
//! - IAM policy: any caller moto's STS can name may invoke the function (on
//!   AWS they also need `lambda:InvokeFunctionUrl`);
//! - query-string (presigned) authentication, which it refuses as unsigned.
//!
//! A request whose key neither the door nor moto knows is refused, as AWS
//! refuses an unknown key.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use base64::Engine as _;
use time::OffsetDateTime;

use super::sigv4::{self, query_pairs, SignatureError, Signer, ALGORITHM, TERMINATOR};
use super::Door;
use crate::local::provision::{Person, ACCOUNT, OPERATOR_KEY_ID, OPERATOR_SECRET, SUBMIT_FUNCTION};

/// Lambda's limit on a synchronous invocation's payload (6 MB).
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the \
     signature you provided. Check your AWS Secret Access Key and signing method. Consult the \
     service documentation for details.";
/// The UserId moto's STS gives a key it did not issue (with the ARN of its
/// default user): AWS would not know such a key.
const MOTO_UNKNOWN_KEY: &str = "AKIAIOSFODNN7EXAMPLE";

/// The local URL's path: the function URL's root, then the path the caller asked for.
fn url_root() -> String {
    format!("/lambda-url/{SUBMIT_FUNCTION}")
}

/// The routes of the function URL: its root and every path under it.
pub(super) fn routes() -> Router<Door> {
    let root = url_root();
    Router::new()
        .route(&root, any(invoke))
        .route(&format!("{root}/"), any(invoke))
        .route(&format!("{root}/{{*rest}}"), any(invoke))
}

async fn invoke(State(door): State<Door>, request: Request) -> Response {
    let request_id = uuid::Uuid::new_v4().to_string();
    let mut response = match answer(&door, request, &request_id).await {
        Ok(response) => response,
        Err(refusal) => {
            eprintln!(
                "function URL {request_id}: {} {}",
                refusal.status, refusal.message
            );
            refusal.into_response()
        }
    };
    if let Ok(id) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("x-amzn-RequestId", id);
    }
    response
}

async fn answer(door: &Door, request: Request, request_id: &str) -> Result<Response, Refusal> {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_PAYLOAD)
        .await
        .map_err(|_| Refusal::too_large())?;
    let incoming = Incoming {
        method: &parts.method,
        uri: &parts.uri,
        headers: &parts.headers,
        body: &body,
        protocol: format!("{:?}", parts.version),
    };
    let now = OffsetDateTime::now_utc();
    let secrets = Secrets::read(&door.people_file);
    let signer = sigv4::check(&incoming.signed(), |key_id| secrets.get(key_id), now)?;
    let caller = identify(door, &signer, &parts.headers).await?;
    let event = event(
        &incoming,
        &caller,
        &signer.credential.key_id,
        request_id,
        now,
    );
    let event = serde_json::to_vec(&event).map_err(|_| Refusal::internal())?;
    if event.len() > MAX_PAYLOAD {
        return Err(Refusal::too_large());
    }
    let answer = door
        .http
        .post(format!(
            "{}/2015-03-31/functions/{SUBMIT_FUNCTION}/invocations",
            door.functions
        ))
        .header("Content-Type", "application/json")
        .body(event)
        .send()
        .await
        .map_err(|err| {
            eprintln!("function URL {request_id}: cargo lambda watch did not answer: {err}");
            Refusal::internal()
        })?;
    let status = answer.status().as_u16();
    let function_error = answer.headers().contains_key("x-amz-function-error");
    let payload = answer.bytes().await.map_err(|_| Refusal::internal())?;
    if !(200..300).contains(&status) || function_error {
        eprintln!(
            "function URL {request_id}: the function failed ({status}): {}",
            String::from_utf8_lossy(&payload)
        );
        return Err(Refusal::internal());
    }
    http_answer(&payload)
}

/// The parts of an HTTP request the door reads.
struct Incoming<'a> {
    method: &'a Method,
    uri: &'a Uri,
    headers: &'a HeaderMap,
    body: &'a [u8],
    protocol: String,
}

impl Incoming<'_> {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The parts of the request its signature covers.
    fn signed(&self) -> sigv4::Request<'_> {
        sigv4::Request {
            method: self.method,
            uri: self.uri,
            headers: self.headers,
            body: self.body,
        }
    }
}

/// An answer Lambda gives instead of invoking the function.
#[derive(Debug, PartialEq, Eq)]
struct Refusal {
    status: StatusCode,
    /// The `x-amzn-ErrorType` header, when Lambda sends one.
    error_type: Option<&'static str>,
    /// The body's one key: `Message` in Lambda's own refusals, `message` in
    /// SigV4's.
    key: &'static str,
    message: String,
}

impl Refusal {
    /// No signature, or one that cannot be read.
    fn forbidden() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error_type: Some("AccessDeniedException"),
            key: "Message",
            message: "Forbidden".into(),
        }
    }

    fn signature(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error_type: Some("InvalidSignatureException"),
            key: "message",
            message: message.into(),
        }
    }

    fn mismatch() -> Self {
        Self::signature(SIGNATURE_MISMATCH)
    }

    fn unknown_key() -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error_type: Some("UnrecognizedClientException"),
            key: "message",
            message: "The security token included in the request is invalid.".into(),
        }
    }

    fn too_large() -> Self {
        Self {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            error_type: Some("RequestEntityTooLargeException"),
            key: "Message",
            message: format!(
                "Request must be smaller than {MAX_PAYLOAD} bytes for the InvokeFunction operation"
            ),
        }
    }

    /// The function failed, or its answer is not one Lambda can send.
    fn internal() -> Self {
        Self {
            status: StatusCode::BAD_GATEWAY,
            error_type: None,
            key: "Message",
            message: "Internal Server Error".into(),
        }
    }
}

/// Lambda's answer to a signature it refuses: `Forbidden` when there is
/// none it can read, SigV4's message otherwise.
impl From<SignatureError> for Refusal {
    fn from(error: SignatureError) -> Self {
        match error {
            SignatureError::Unreadable => Self::forbidden(),
            SignatureError::Mismatch => Self::mismatch(),
            SignatureError::Malformed(message)
            | SignatureError::Scope(message)
            | SignatureError::Skewed(message) => Self::signature(message),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ self.key: self.message }).to_string();
        let mut response = (self.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static("application/json"));
        if let Some(error_type) = self.error_type {
            headers.insert("x-amzn-ErrorType", HeaderValue::from_static(error_type));
        }
        response
    }
}

/// The secret access keys the door knows, by key id: the people's, read
/// anew for each request (`cargo xtask local up` writes them after the door
/// starts), and the operator profile's.
struct Secrets(HashMap<String, String>);

impl Secrets {
    fn read(people_file: &Path) -> Self {
        let people: Vec<Person> = match std::fs::read(people_file) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|err| {
                eprintln!("function URL: {} unreadable: {err}", people_file.display());
                Vec::new()
            }),
            // Not provisioned yet.
            Err(_) => Vec::new(),
        };
        let mut secrets: HashMap<String, String> =
            people.into_iter().map(|p| (p.key_id, p.secret)).collect();
        secrets.insert(OPERATOR_KEY_ID.into(), OPERATOR_SECRET.into());
        Self(secrets)
    }

    fn get(&self, key_id: &str) -> Option<&str> {
        self.0.get(key_id).map(String::as_str)
    }
}

/// The principal moto's STS names for an access key.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Caller {
    arn: String,
    account: String,
    user_id: String,
}

/// Asks moto's STS who the signer's access key belongs to. moto routes a
/// request by its credential scope's service and reads the key from it,
/// checking no signature: the door sends the caller's own credential,
/// scoped to `sts`, and their session token.
async fn identify(door: &Door, signer: &Signer, headers: &HeaderMap) -> Result<Caller, Refusal> {
    use hitl_contract::proof::{BODY, CONTENT_TYPE};
    let credential = &signer.credential;
    let authorization = format!(
        "{ALGORITHM} Credential={}/{}/{}/sts/{TERMINATOR}, SignedHeaders={}, Signature={}",
        credential.key_id,
        credential.date,
        credential.region,
        credential.signed_headers.join(";"),
        credential.signature
    );
    let mut request = door
        .http
        .post(format!("{}/", door.moto))
        .header("Authorization", authorization)
        .header("Content-Type", CONTENT_TYPE)
        .body(BODY);
    if let Some(token) = headers.get("x-amz-security-token") {
        request = request.header("X-Amz-Security-Token", token.as_bytes());
    }
    let answer = request.send().await.map_err(|err| {
        eprintln!("function URL: moto's STS did not answer: {err}");
        Refusal::internal()
    })?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    let caller = status
        .is_success()
        .then(|| read_caller(&text))
        .flatten()
        .ok_or_else(Refusal::unknown_key)?;
    if !signer.verified && caller.user_id == MOTO_UNKNOWN_KEY {
        return Err(Refusal::unknown_key());
    }
    Ok(caller)
}

/// The caller in STS's `GetCallerIdentity` answer.
fn read_caller(xml: &str) -> Option<Caller> {
    Some(Caller {
        arn: xml_element(xml, "Arn")?,
        account: xml_element(xml, "Account")?,
        user_id: xml_element(xml, "UserId")?,
    })
}

/// The text of the first `<name>` element, unescaped; STS's answers are
/// flat and fixed.
fn xml_element(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let len = xml[start..].find(&format!("</{name}>"))?;
    Some(
        xml[start..start + len]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// The function-URL event (payload format 2.0) Lambda sends the function
/// for `request`, signed by `caller` with `access_key`.
fn event(
    request: &Incoming<'_>,
    caller: &Caller,
    access_key: &str,
    request_id: &str,
    now: OffsetDateTime,
) -> serde_json::Value {
    use serde_json::{json, Value};
    let raw_path = request
        .uri
        .path()
        .strip_prefix(&url_root())
        .filter(|rest| rest.starts_with('/'))
        .unwrap_or("/");
    let raw_query = request.uri.query().unwrap_or_default();
    let domain = request.header("host").unwrap_or_default();
    let domain_prefix = domain.split(['.', ':']).next().unwrap_or_default();
    let time_format = time::macros::format_description!(
        "[day]/[month repr:short]/[year]:[hour]:[minute]:[second] +0000"
    );
    let mut event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": event_headers(request.headers),
        "requestContext": {
            // The function owner's account.
            "accountId": ACCOUNT,
            "apiId": domain_prefix,
            "authentication": null,
            "authorizer": { "iam": {
                "accessKey": access_key,
                "accountId": caller.account,
                "callerId": caller.user_id,
                "cognitoIdentity": null,
                "principalOrgId": null,
                "userArn": caller.arn,
                "userId": caller.user_id,
            } },
            "domainName": domain,
            "domainPrefix": domain_prefix,
            "http": {
                "method": request.method.as_str(),
                "path": raw_path,
                "protocol": request.protocol,
                "sourceIp": "127.0.0.1",
                "userAgent": request.header("user-agent").unwrap_or_default(),
            },
            "requestId": request_id,
            "routeKey": "$default",
            "stage": "$default",
            "time": now.format(&time_format).unwrap_or_default(),
            "timeEpoch": now.unix_timestamp_nanos() / 1_000_000,
        },
        "pathParameters": null,
        "isBase64Encoded": false,
        "stageVariables": null,
    });
    let cookies: Vec<String> = request
        .headers
        .get_all("cookie")
        .iter()
        .flat_map(|value| {
            String::from_utf8_lossy(value.as_bytes())
                .split(';')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    let mut parameters: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in query_pairs(raw_query) {
        let value = String::from_utf8_lossy(&value).into_owned();
        parameters
            .entry(String::from_utf8_lossy(&name).into_owned())
            .and_modify(|joined| {
                joined.push(',');
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    if !parameters.is_empty() {
        event["queryStringParameters"] = json!(parameters);
    }
    if !request.body.is_empty() {
        event["body"] = match std::str::from_utf8(request.body) {
            Ok(text) => Value::from(text),
            Err(_) => {
                event["isBase64Encoded"] = Value::Bool(true);
                Value::from(base64::engine::general_purpose::STANDARD.encode(request.body))
            }
        };
    }
    event
}

/// Request headers as the event carries them: names in lower case, a
/// repeated header's values joined by commas.
fn event_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .keys()
        .map(|name| {
            let values: Vec<String> = headers
                .get_all(name)
                .iter()
                .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                .collect();
            (name.as_str().to_owned(), values.join(","))
        })
        .collect()
}

/// The HTTP answer Lambda makes of a function's result: an object with a
/// `statusCode` says status, headers, cookies and body; anything else is
/// the body of a 200 JSON answer.
fn http_answer(payload: &[u8]) -> Result<Response, Refusal> {
    let result: serde_json::Value =
        serde_json::from_slice(payload).map_err(|_| Refusal::internal())?;
    let Some(answer) = result.as_object().filter(|o| o.contains_key("statusCode")) else {
        let mut response = (StatusCode::OK, payload.to_vec()).into_response();
        response
            .headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        return Ok(response);
    };
    let status = answer
        .get("statusCode")
        .and_then(serde_json::Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or_else(Refusal::internal)?;
    let body = match answer.get("body") {
        None | Some(serde_json::Value::Null) => Vec::new(),
        Some(serde_json::Value::String(text))
            if answer.get("isBase64Encoded") == Some(&serde_json::Value::Bool(true)) =>
        {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| Refusal::internal())?
        }
        Some(serde_json::Value::String(text)) => text.clone().into_bytes(),
        Some(other) => other.to_string().into_bytes(),
    };
    let mut response = (status, Body::from(body)).into_response();
    let headers = response.headers_mut();
    for (name, value) in answer
        .get("headers")
        .and_then(|h| h.as_object())
        .into_iter()
        .flatten()
    {
        let value = match value {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            if name != "content-length" && name != "transfer-encoding" {
                headers.insert(name, value);
            }
        }
    }
    for cookie in answer
        .get("cookies")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
    {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            headers.append("set-cookie", value);
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use aws_credential_types::Credentials;
    use aws_sigv4::http_request::SigningSettings;
    use serde_json::{json, Value};

    use super::*;
    use crate::local::front_door::sigv4::tests::{
        alice, signature_headers, Received, BODY, HOST, KEY, SECRET,
    };
    use crate::local::front_door::sigv4::SERVICE;
    use crate::local::provision::REGION;

    const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

    impl Received {
        fn incoming(&self) -> Incoming<'_> {
            Incoming {
                method: &self.method,
                uri: &self.uri,
                headers: &self.headers,
                body: &self.body,
                protocol: "HTTP/1.1".into(),
            }
        }
    }

    fn caller() -> Caller {
        Caller {
            arn: ALICE.into(),
            account: "123456789012".into(),
            user_id: "AIDAALICE".into(),
        }
    }

    #[test]
    fn the_event_is_a_function_url_request_lambda_http_reads() {
        use lambda_http::request::{LambdaRequest, RequestContext};
        use lambda_http::RequestExt;

        let mut headers = HeaderMap::new();
        headers.insert("host", HeaderValue::from_static(HOST));
        headers.insert("user-agent", HeaderValue::from_static("hitl/test"));
        headers.append("x-repeated", HeaderValue::from_static("one"));
        headers.append("x-repeated", HeaderValue::from_static("two"));
        headers.insert("cookie", HeaderValue::from_static("a=1; b=2"));
        let request = Received {
            method: Method::POST,
            uri: "/lambda-url/submit-api/requests/42?tag=a&tag=b&q=x+y"
                .parse()
                .unwrap(),
            headers,
            body: BODY.to_vec(),
        };
        let now = OffsetDateTime::from_unix_timestamp(1_583_348_638).unwrap();
        let event = event(&request.incoming(), &caller(), KEY, "request-1", now);

        assert_eq!(event["rawPath"], "/requests/42");
        assert_eq!(event["rawQueryString"], "tag=a&tag=b&q=x+y");
        assert_eq!(
            event["queryStringParameters"],
            json!({ "tag": "a,b", "q": "x y" })
        );
        assert_eq!(event["headers"]["x-repeated"], "one,two");
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(event["body"], r#"{"title":"Deploy"}"#);
        assert_eq!(event["isBase64Encoded"], false);
        let context = &event["requestContext"];
        assert_eq!(context["accountId"], ACCOUNT);
        assert_eq!(context["time"], "04/Mar/2020:19:03:58 +0000");
        assert_eq!(context["timeEpoch"], 1_583_348_638_000_i64);
        assert_eq!(context["http"]["path"], "/requests/42");
        assert_eq!(
            context["authorizer"]["iam"],
            json!({
                "accessKey": KEY,
                "accountId": "123456789012",
                "callerId": "AIDAALICE",
                "cognitoIdentity": null,
                "principalOrgId": null,
                "userArn": ALICE,
                "userId": "AIDAALICE",
            })
        );

        // lambda_http reads function URL events as API Gateway's payload
        // format 2.0 (it has no variant of their own).
        let parsed: LambdaRequest = serde_json::from_value(event.clone()).unwrap();
        assert!(
            matches!(parsed, LambdaRequest::ApiGatewayV2(_)),
            "{parsed:?}"
        );
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        assert_eq!(request.method(), Method::POST);
        assert_eq!(request.uri().path(), "/requests/42");
        assert_eq!(request.uri().host(), Some("127.0.0.1"));
        let user_arn = match request.request_context() {
            RequestContext::ApiGatewayV2(context) => context
                .authorizer
                .and_then(|a| a.iam)
                .and_then(|iam| iam.user_arn),
            other => panic!("not a function URL's context: {other:?}"),
        };
        assert_eq!(user_arn.as_deref(), Some(ALICE));
        assert_eq!(
            request.query_string_parameters().all("tag"),
            Some(vec!["a", "b"])
        );
    }

    #[test]
    fn a_body_that_is_not_text_goes_in_base64_and_the_root_is_slash() {
        let request = Received {
            method: Method::POST,
            uri: "/lambda-url/submit-api".parse().unwrap(),
            headers: HeaderMap::new(),
            body: vec![0xff, 0x00, 0xfe],
        };
        let event = event(
            &request.incoming(),
            &caller(),
            KEY,
            "r",
            OffsetDateTime::now_utc(),
        );
        assert_eq!(event["rawPath"], "/");
        assert_eq!(event["body"], "/wD+");
        assert_eq!(event["isBase64Encoded"], true);
        assert!(event.get("queryStringParameters").is_none());
        assert!(event.get("cookies").is_none());
    }

    async fn into_parts(response: Response) -> (StatusCode, HeaderMap, String) {
        let (parts, body) = response.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn the_functions_answer_becomes_http_as_lambda_makes_it() {
        let custom = json!({
            "statusCode": 201,
            "headers": { "Content-Type": "text/plain", "X-Custom": "yes", "content-length": "1" },
            "cookies": ["a=1; Max-Age=60", "b=2"],
            "body": "aGVsbG8=",
            "isBase64Encoded": true,
        });
        let (status, headers, body) =
            into_parts(http_answer(custom.to_string().as_bytes()).unwrap()).await;
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers["content-type"], "text/plain");
        assert_eq!(headers["x-custom"], "yes");
        let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
        assert_eq!(cookies, ["a=1; Max-Age=60", "b=2"]);
        assert_eq!(body, "hello");

        // Anything but an object with a statusCode is a 200 JSON body.
        for plain in [r#"{"message":"Hello"}"#, r#""Hello""#, "[1,2]"] {
            let (status, headers, body) = into_parts(http_answer(plain.as_bytes()).unwrap()).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(headers["content-type"], "application/json");
            assert_eq!(body, plain);
        }

        for broken in [
            r#"{"statusCode":"teapot"}"#,
            r#"{"statusCode":99}"#,
            "not json",
        ] {
            assert_eq!(
                http_answer(broken.as_bytes()).err(),
                Some(Refusal::internal()),
                "{broken}"
            );
        }
    }

    #[tokio::test]
    async fn refusals_are_json_as_lambda_sends_them() {
        let (status, headers, body) = into_parts(Refusal::forbidden().into_response()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["x-amzn-ErrorType"], "AccessDeniedException");
        assert_eq!(body, r#"{"Message":"Forbidden"}"#);

        let (status, _, body) = into_parts(Refusal::mismatch().into_response()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["message"], SIGNATURE_MISMATCH);
    }

    #[test]
    fn signature_errors_are_refused_as_lambda_refuses_them() {
        assert_eq!(
            Refusal::from(SignatureError::Unreadable),
            Refusal::forbidden()
        );
        assert_eq!(Refusal::from(SignatureError::Mismatch), Refusal::mismatch());
        let host = "'Host' must be a 'SignedHeader' in the AWS Authorization.";
        let region = "Credential should be scoped to a valid region, not 'eu-west-1'. ";
        let expired = "Signature expired: 20260101T000000Z is now earlier than \
                       20260101T000100Z (20260101T000600Z - 5 min.)";
        for (error, message) in [
            (SignatureError::Malformed(host.into()), host),
            (SignatureError::Scope(region.into()), region),
            (SignatureError::Skewed(expired.into()), expired),
        ] {
            let refusal = Refusal::from(error);
            assert_eq!(refusal.status, StatusCode::FORBIDDEN);
            assert_eq!(refusal.error_type, Some("InvalidSignatureException"));
            assert_eq!(refusal.key, "message");
            assert_eq!(refusal.message, message);
        }
    }

    #[test]
    fn sts_answers_name_the_caller() {
        let answer = r#"<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <GetCallerIdentityResult>
    <UserId>AROAROLE:alice&amp;co</UserId>
    <Account>123456789012</Account>
    <Arn>arn:aws:sts::123456789012:assumed-role/approvers/alice&amp;co</Arn>
  </GetCallerIdentityResult>
</GetCallerIdentityResponse>"#;
        assert_eq!(
            read_caller(answer),
            Some(Caller {
                arn: "arn:aws:sts::123456789012:assumed-role/approvers/alice&co".into(),
                account: "123456789012".into(),
                user_id: "AROAROLE:alice&co".into(),
            })
        );
        assert_eq!(read_caller("<ErrorResponse/>"), None);
    }

    /// moto's STS as the door meets it: it names alice's key, a role
    /// session's temporary key (with its token), and its default user for
    /// any other key.
    async fn fake_sts(headers: HeaderMap, body: String) -> String {
        assert_eq!(body, hitl_contract::proof::BODY);
        let authorization = headers["authorization"].to_str().unwrap();
        assert!(
            authorization.contains("/sts/aws4_request"),
            "{authorization}"
        );
        let key = authorization
            .split("Credential=")
            .nth(1)
            .and_then(|c| c.split('/').next())
            .unwrap();
        let token = headers
            .get("x-amz-security-token")
            .map(|t| t.to_str().unwrap());
        let (user_id, arn) = match (key, token) {
            (KEY, None) => ("AIDAALICE", ALICE.to_owned()),
            ("ASIATEMPORARY", Some("the-token")) => (
                "AROAROLE:session",
                "arn:aws:sts::123456789012:assumed-role/approvers/session".to_owned(),
            ),
            _ => (
                MOTO_UNKNOWN_KEY,
                "arn:aws:sts::123456789012:user/moto".to_owned(),
            ),
        };
        format!(
            "<GetCallerIdentityResponse><GetCallerIdentityResult><UserId>{user_id}</UserId>\
             <Account>123456789012</Account><Arn>{arn}</Arn></GetCallerIdentityResult>\
             </GetCallerIdentityResponse>"
        )
    }

    /// `cargo lambda watch`'s Invoke API: the function answers with what it
    /// was told, and fails when the body says so.
    async fn fake_function(
        axum::extract::Path(function): axum::extract::Path<String>,
        axum::Json(event): axum::Json<Value>,
    ) -> Response {
        if event["body"] == "fail" {
            let error = json!({ "errorType": "Boom", "errorMessage": "failed" });
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response();
        }
        let told = json!({
            "function": function,
            "userArn": event["requestContext"]["authorizer"]["iam"]["userArn"],
            "rawPath": event["rawPath"],
            "body": event["body"],
        });
        axum::Json(json!({ "statusCode": 202, "body": told.to_string() })).into_response()
    }

    async fn listen(app: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{address}")
    }

    /// The door with a fake moto and a fake `cargo lambda watch`, on ports
    /// of their own.
    async fn door(people_file: std::path::PathBuf) -> String {
        let moto = listen(Router::new().route("/", axum::routing::post(fake_sts))).await;
        let functions = listen(Router::new().route(
            "/2015-03-31/functions/{function}/invocations",
            axum::routing::post(fake_function),
        ))
        .await;
        let door = Door {
            http: reqwest::Client::new(),
            emulator: "http://127.0.0.1:9".into(),
            functions,
            python_functions: "http://127.0.0.1:9".into(),
            moto,
            people_file,
            workflow_binary: "approval-workflow".into(),
            started: Default::default(),
            faults: Default::default(),
            calls: Default::default(),
        };
        listen(super::super::app(door)).await
    }

    /// POSTs `body` to the door's function URL at `path`, signed by
    /// `credentials` when there are some.
    async fn post(
        door: &str,
        path: &str,
        credentials: Option<&Credentials>,
        body: Vec<u8>,
    ) -> (StatusCode, HeaderMap, Value) {
        let url = format!("{door}{path}");
        let mut request = reqwest::Client::new().post(&url).body(body.clone());
        if let Some(credentials) = credentials {
            let signing = ("POST", url.as_str(), &[][..], &body[..]);
            let at = SystemTime::now();
            for (name, value) in signature_headers(
                credentials,
                REGION,
                SERVICE,
                at,
                SigningSettings::default(),
                signing,
            ) {
                request = request.header(name, value);
            }
        }
        let answer = request.send().await.unwrap();
        let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
        let headers = answer.headers().clone();
        let body = answer.json().await.unwrap_or(Value::Null);
        (status, headers, body)
    }

    #[tokio::test]
    async fn the_door_invokes_the_function_as_sts_names_the_signer() {
        let dir = std::env::temp_dir().join(format!("hitl-function-url-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let people_file = dir.join("people.json");
        let alice_person = Person {
            name: "alice".into(),
            key_id: KEY.into(),
            secret: SECRET.into(),
        };
        crate::local::provision::write_people(&people_file, &[alice_person]).unwrap();
        let door = door(people_file).await;
        let root = url_root();

        let (status, headers, told) = post(
            &door,
            &format!("{root}/requests?x=1"),
            Some(&alice()),
            b"hi".to_vec(),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{told}");
        assert!(headers.contains_key("x-amzn-requestid"));
        assert_eq!(told["function"], SUBMIT_FUNCTION);
        assert_eq!(told["userArn"], ALICE);
        assert_eq!(told["rawPath"], "/requests");
        assert_eq!(told["body"], "hi");

        // The URL's root, with and without its slash.
        for path in [root.clone(), format!("{root}/")] {
            let (status, _, told) = post(&door, &path, Some(&alice()), Vec::new()).await;
            assert_eq!(status, StatusCode::ACCEPTED, "{path}");
            assert_eq!(told["rawPath"], "/", "{path}");
        }

        // Temporary credentials: named by STS, their signature unchecked.
        let session = Credentials::new("ASIATEMPORARY", "?", Some("the-token".into()), None, "t");
        let (status, _, told) = post(&door, &root, Some(&session), Vec::new()).await;
        assert_eq!(status, StatusCode::ACCEPTED);
        assert_eq!(
            told["userArn"],
            "arn:aws:sts::123456789012:assumed-role/approvers/session"
        );

        // A key neither the door nor STS knows.
        let stranger = Credentials::new("AKIASTRANGER", "?", None, None, "t");
        let (status, headers, body) = post(&door, &root, Some(&stranger), Vec::new()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["x-amzn-ErrorType"], "UnrecognizedClientException");
        assert_eq!(
            body["message"],
            "The security token included in the request is invalid."
        );

        // A forged signature: alice's key, someone else's secret.
        let forger = Credentials::new(KEY, "a guess", None, None, "t");
        let (status, _, body) = post(&door, &root, Some(&forger), Vec::new()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["message"], SIGNATURE_MISMATCH);

        let (status, headers, body) = post(&door, &root, None, Vec::new()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(headers["content-type"], "application/json");
        assert!(headers.contains_key("x-amzn-requestid"));
        assert_eq!(body, json!({ "Message": "Forbidden" }));

        let (status, _, body) = post(&door, &root, Some(&alice()), b"fail".to_vec()).await;
        assert_eq!(status, StatusCode::BAD_GATEWAY);
        assert_eq!(body, json!({ "Message": "Internal Server Error" }));

        let (status, _, _) = post(&door, &root, None, vec![b'x'; MAX_PAYLOAD + 1]).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

        std::fs::remove_dir_all(dir).ok();
    }
}
