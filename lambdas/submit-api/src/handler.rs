//! A submit over HTTPS: who asks is the IAM principal Lambda verified
//! (the function URL's `AWS_IAM` auth puts it in the request context), never
//! a name in the body.
//!
//! The body is a JSON object of the request's fields, as `hitl submit`
//! sends them to the workflow (`approval_id`, `title`, `description`,
//! `amount`, `details`, `timeout_seconds`, `policy`, `reminders`,
//! `escalate_after_seconds`, `escalate_to`, `on_behalf_of`), without
//! `requester`. The function vouches for the principal to the workflow with
//! the link key ([`hitl_approvals::links::LinkKey::vouch_requester`]) and
//! starts it exactly as `hitl submit` does
//! ([`hitl_approvals::submit::submit`]): at most once per id, the same request
//! again answering what the first start did.
//!
//! Answers are JSON: `202` with what was started, `200` for the same request
//! again, and for a refusal `{"error": <code>, "message": <what to do>}`.

use std::time::Duration;

use hitl_approvals::links::KeySource;
use hitl_approvals::submit::{new_approval_id, SubmitError, Submitted};
use hitl_approvals::{ApprovalStore, StoreError};
use hitl_contract::SubmitRequest;
use lambda_http::aws_lambda_events::apigw::ApiGatewayRequestAuthorizerIamDescription;
use lambda_http::http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use lambda_http::http::{Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde_json::{json, Value};
use tracing::{info, warn};

/// The largest body accepted: the request's own limits (details 32 KiB,
/// description 10,000 characters) with room for layout and escapes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Fields the body must not carry: the requester is whoever signed.
const SIGNER_FIELDS: [&str; 3] = ["requester", "requester_proof", "requester_voucher"];

pub struct SubmitApi {
    pub store: ApprovalStore,
    pub lambda: aws_sdk_lambda::Client,
    pub workflow_function: String,
    pub max_timeout: Duration,
    pub key: KeySource,
}

/// Why a submit was refused: an HTTP status, a stable code and what to do.
#[derive(Debug)]
struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequest", message)
    }
}

impl SubmitApi {
    pub async fn handle(&self, request: Request) -> Response<Body> {
        match self.submit(&request).await {
            Ok(submitted) => {
                let status = if submitted.is_new() {
                    StatusCode::ACCEPTED
                } else {
                    StatusCode::OK
                };
                respond(status, &json!(submitted))
            }
            Err(refusal) => {
                warn!(
                    status = refusal.status.as_u16(),
                    error = refusal.code,
                    reason = %refusal.message,
                    "submit refused"
                );
                let mut response = respond(
                    refusal.status,
                    &json!({ "error": refusal.code, "message": refusal.message }),
                );
                if refusal.status == StatusCode::METHOD_NOT_ALLOWED {
                    response
                        .headers_mut()
                        .insert(ALLOW, HeaderValue::from_static("POST"));
                }
                response
            }
        }
    }

    async fn submit(&self, request: &Request) -> Result<Submitted, Refusal> {
        if request.method() != Method::POST {
            return Err(Refusal::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!(
                    "{} is not served here: POST the request as JSON",
                    request.method()
                ),
            ));
        }
        let requester = signer(request)?;
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.split(';').next())
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"));
        if !is_json {
            return Err(Refusal::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UnsupportedMediaType",
                "send the request as JSON, with `Content-Type: application/json`",
            ));
        }
        let body = request.body().as_ref();
        if body.len() > MAX_BODY_BYTES {
            return Err(Refusal::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PayloadTooLarge",
                format!(
                    "the body is {} bytes; the limit is {MAX_BODY_BYTES} (details hold at most {} bytes of JSON)",
                    body.len(),
                    hitl_contract::payload::MAX_DETAILS_BYTES
                ),
            ));
        }
        let mut submit = read_request(body, &requester)?;
        submit
            .validate(self.max_timeout)
            .map_err(|e| Refusal::invalid(e.to_string()))?;

        let key = self.key.key().await.map_err(|e| {
            Refusal::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "KeyUnavailable",
                format!("{e}; nothing was started, try again later"),
            )
        })?;
        submit.requester_voucher = Some(key.vouch_requester(&submit.approval_id, &requester));
        let submitted = hitl_approvals::submit::submit(
            &self.store,
            &self.lambda,
            &self.workflow_function,
            &submit,
        )
        .await
        .map_err(|err| refusal_of(err, &submit.approval_id))?;
        info!(
            approval_id = %submitted.approval_id,
            requester = %requester,
            outcome = submitted.outcome,
            "submitted"
        );
        Ok(submitted)
    }
}

/// The ARN of the principal that signed the request, which Lambda checked
/// before invoking the function.
fn signer(request: &Request) -> Result<String, Refusal> {
    let iam: Option<ApiGatewayRequestAuthorizerIamDescription> = match request.request_context_ref()
    {
        // Function URLs send payload format 2.0, which lambda_http reads
        // as an HTTP API request.
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.authorizer.as_ref().and_then(|a| a.iam.clone())
        }
        _ => None,
    };
    iam.and_then(|iam| iam.user_arn)
        .filter(|arn| !arn.is_empty())
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::FORBIDDEN,
                "NotSigned",
                "the request carries no verified IAM identity: this function must sit behind a function URL with AuthType AWS_IAM (see template.yaml)",
            )
        })
}

/// The request the body asks for, with `requester` as its requester and a
/// new id when it names none.
fn read_request(body: &[u8], requester: &str) -> Result<SubmitRequest, Refusal> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::invalid(format!("the body is not JSON: {e}")))?;
    let Value::Object(mut fields) = value else {
        return Err(Refusal::invalid(
            "the body must be a JSON object of the request's fields (at least `title`)",
        ));
    };
    if let Some(field) = SIGNER_FIELDS.iter().find(|f| fields.contains_key(**f)) {
        return Err(Refusal::invalid(format!(
            "`{field}` is not sent: the requester is the IAM principal that signed the request"
        )));
    }
    fields
        .entry("approval_id")
        .or_insert_with(|| Value::String(new_approval_id()));
    fields.insert("requester".into(), Value::String(requester.to_owned()));
    serde_json::from_value(Value::Object(fields))
        .map_err(|e| Refusal::invalid(format!("the body is not a request: {e}")))
}

fn refusal_of(err: SubmitError, approval_id: &str) -> Refusal {
    match &err {
        SubmitError::Store(StoreError::IdInUse(_)) => Refusal::new(
            StatusCode::CONFLICT,
            "ApprovalIdInUse",
            format!(
                "approval_id `{approval_id}` is used by another request: send another, or leave it out for a new one"
            ),
        ),
        _ if err.is_transient() => Refusal::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            format!(
                "{err}; send the same request again with approval_id `{approval_id}`, which starts it at most once"
            ),
        ),
        _ => Refusal::new(
            StatusCode::BAD_GATEWAY,
            "StartFailed",
            format!("{err}; send the same request again with approval_id `{approval_id}`, which starts it at most once"),
        ),
    }
}

fn respond(status: StatusCode, body: &Value) -> Response<Body> {
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
    use aws_sdk_lambda::operation::invoke::InvokeOutput;
    use aws_sdk_lambda::operation::publish_version::PublishVersionOutput;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use hitl_approvals::links::LinkKey;
    use hitl_contract::{ApprovalRecord, Timestamp};

    const ALICE: &str = "arn:aws:iam::123456789012:user/alice";

    fn key() -> LinkKey {
        LinkKey::new("k".repeat(40)).unwrap()
    }

    /// A function URL's event (payload format 2.0) as Lambda sends it for
    /// an `AWS_IAM` URL: `signer` is the principal it verified, if any.
    fn event(method: &str, content_type: &str, body: &str, signer: Option<&str>) -> Request {
        let authorizer = signer.map(|arn| {
            json!({ "iam": {
                "accessKey": "AKIA", "accountId": "123456789012", "callerId": "AIDA",
                "cognitoIdentity": null, "principalOrgId": null,
                "userArn": arn, "userId": "AIDA"
            }})
        });
        let event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": "/",
            "rawQueryString": "",
            "headers": { "content-type": content_type, "host": "abc.lambda-url.us-east-1.on.aws" },
            "requestContext": {
                "accountId": "123456789012",
                "apiId": "abc",
                "authorizer": authorizer,
                "domainName": "abc.lambda-url.us-east-1.on.aws",
                "domainPrefix": "abc",
                "http": { "method": method, "path": "/", "protocol": "HTTP/1.1",
                          "sourceIp": "192.0.2.1", "userAgent": "curl/8" },
                "requestId": "r-1",
                "routeKey": "$default",
                "stage": "$default",
                "time": "07/Dec/2026:10:00:00 +0000",
                "timeEpoch": 1_796_637_600_000_i64
            },
            "body": body,
            "isBase64Encoded": false
        });
        lambda_http::request::from_str(&event.to_string()).unwrap()
    }

    fn api(dynamodb: &[&Rule], lambda: &[&Rule]) -> SubmitApi {
        SubmitApi {
            store: ApprovalStore::new(
                mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, dynamodb),
                "approvals",
            ),
            lambda: mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda),
            workflow_function: "wf".into(),
            max_timeout: Duration::from_secs(7 * 24 * 3600),
            key: KeySource::Fixed(key()),
        }
    }

    fn no_record() -> Rule {
        mock!(aws_sdk_dynamodb::Client::get_item).then_output(|| GetItemOutput::builder().build())
    }

    async fn answered(api: &SubmitApi, request: Request) -> (StatusCode, Value) {
        let response = api.handle(request).await;
        let status = response.status();
        let body = serde_json::from_slice(response.body().as_ref()).unwrap();
        (status, body)
    }

    #[tokio::test]
    async fn a_signed_request_starts_the_workflow_for_its_signer_with_a_voucher() {
        let publish = mock!(aws_sdk_lambda::Client::publish_version)
            .then_output(|| PublishVersionOutput::builder().version("4").build());
        let invoke = mock!(aws_sdk_lambda::Client::invoke)
            .match_requests(|req| {
                let sent: SubmitRequest =
                    serde_json::from_slice(req.payload().unwrap().as_ref()).unwrap();
                let voucher = sent.requester_voucher.as_deref().unwrap_or_default();
                req.durable_execution_name() == Some("apr-http-1")
                    && sent.requester == ALICE
                    && sent.on_behalf_of.as_deref() == Some("the release train")
                    && key().confirms_requester(voucher, "apr-http-1", ALICE)
            })
            .then_output(|| {
                InvokeOutput::builder()
                    .status_code(202)
                    .durable_execution_arn("arn:exec")
                    .build()
            });
        let get = no_record();
        let api = api(&[&get], &[&publish, &invoke]);
        let body =
            r#"{"approval_id":"apr-http-1","title":"Deploy","on_behalf_of":"the release train"}"#;
        let (status, answer) =
            answered(&api, event("POST", "application/json", body, Some(ALICE))).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        assert_eq!(
            answer,
            json!({"approval_id": "apr-http-1", "outcome": "submitted",
                   "execution_arn": "arn:exec", "function_version": "4"})
        );
        assert_eq!(invoke.num_calls(), 1);
    }

    #[tokio::test]
    async fn the_same_request_again_answers_what_was_started_and_starts_nothing() {
        let request = SubmitRequest::new("apr-http-2", "Deploy", ALICE);
        let mut record = ApprovalRecord::pending(&request, "arn:exec", Timestamp::now());
        record.execution_arn = Some("arn:exec".into());
        let get = mock!(aws_sdk_dynamodb::Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(record.to_item()))
                .build()
        });
        let api = api(&[&get], &[]);
        let body = r#"{"approval_id":"apr-http-2","title":"Deploy"}"#;
        let (status, answer) =
            answered(&api, event("POST", "application/json", body, Some(ALICE))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["outcome"], "already_submitted");

        // Another requester under that id is another request.
        let bob = "arn:aws:iam::123456789012:user/bob";
        let (status, answer) =
            answered(&api, event("POST", "application/json", body, Some(bob))).await;
        assert_eq!(status, StatusCode::CONFLICT, "{answer}");
        assert_eq!(answer["error"], "ApprovalIdInUse");
    }

    #[tokio::test]
    async fn bad_input_gets_a_clear_refusal_and_starts_nothing() {
        let api = api(&[], &[]);
        let signed = |body: &str| event("POST", "application/json", body, Some(ALICE));
        let cases = [
            (
                event("POST", "application/json", r#"{"title":"x"}"#, None),
                StatusCode::FORBIDDEN,
                "AWS_IAM",
            ),
            (
                event("GET", "application/json", "", Some(ALICE)),
                StatusCode::METHOD_NOT_ALLOWED,
                "POST",
            ),
            (
                event("POST", "text/plain", r#"{"title":"x"}"#, Some(ALICE)),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Content-Type: application/json",
            ),
            (signed("title=x"), StatusCode::BAD_REQUEST, "not JSON"),
            (signed(r#"["x"]"#), StatusCode::BAD_REQUEST, "JSON object"),
            (
                signed(r#"{"title":"x","requester":"bob"}"#),
                StatusCode::BAD_REQUEST,
                "`requester` is not sent",
            ),
            (
                signed(r#"{"title":"x","colour":"red"}"#),
                StatusCode::BAD_REQUEST,
                "unknown field `colour`",
            ),
            (
                signed(r#"{"description":"no title"}"#),
                StatusCode::BAD_REQUEST,
                "missing field `title`",
            ),
            (
                signed(r#"{"title":"x","timeout_seconds":99999999}"#),
                StatusCode::BAD_REQUEST,
                "timeout",
            ),
            (
                signed(&format!(r#"{{"title":"{}"}}"#, "x".repeat(MAX_BODY_BYTES))),
                StatusCode::PAYLOAD_TOO_LARGE,
                "limit",
            ),
        ];
        for (request, status, says) in cases {
            let (got, answer) = answered(&api, request).await;
            assert_eq!(got, status, "{answer}");
            let message = answer["message"].as_str().unwrap();
            assert!(message.contains(says), "{message}");
        }
    }

    #[tokio::test]
    async fn a_request_without_an_id_gets_a_new_one() {
        let publish = mock!(aws_sdk_lambda::Client::publish_version)
            .then_output(|| PublishVersionOutput::builder().version("1").build());
        let invoke = mock!(aws_sdk_lambda::Client::invoke)
            .then_output(|| InvokeOutput::builder().status_code(202).build());
        let get = no_record();
        let api = api(&[&get], &[&publish, &invoke]);
        let (status, answer) = answered(
            &api,
            event(
                "POST",
                "application/json; charset=utf-8",
                r#"{"title":"Deploy"}"#,
                Some(ALICE),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
        let id = answer["approval_id"].as_str().unwrap();
        assert!(
            hitl_contract::payload::is_valid_approval_id(id) && id.starts_with("apr-"),
            "{id}"
        );
    }
}
