//! Requests to the approval page: `GET` shows a request, only `POST` decides.
//!
//! Email scanners open every link in a message, so a `GET` never changes
//! anything. A `POST` goes through the same claim → callback → confirm path
//! as `hitl approve` ([`Decider`]), with the link's hash used up by the
//! claim's conditional write: a link decides at most once, and a click and a
//! CLI decision can never both win.

use hitl_approvals::links::{link_hash, KeySource, LinkError, LinkKey, LinkToken};
use hitl_approvals::{DecideError, Decider, Decision, StoreError};
use hitl_contract::payload::MAX_COMMENT_LEN;
use hitl_contract::proof::DecisionProof;
use hitl_contract::record::LINK_DECIDER;
use hitl_contract::{ApprovalRecord, Outcome, Status, Timestamp};
use lambda_http::http::header::{HeaderValue, ALLOW};
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Request, Response};
use tracing::{error, info, warn};

use crate::http::{form_value, refuse_foreign_post, respond, Page, MAX_FORM_BYTES};
use crate::page;

/// Whether a link was opened (`GET`) or its button pressed (`POST`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Visit {
    Opened,
    Pressed,
}

/// The approval page's state: how to decide, and how to check links.
pub struct ApprovalPages {
    pub decider: Decider,
    pub key: KeySource,
}

impl ApprovalPages {
    pub async fn handle(&self, request: Request) -> Response<Body> {
        let now = Timestamp::now();
        let page = match *request.method() {
            Method::GET | Method::HEAD => self.show(&request, now).await,
            Method::POST => self.decide(&request, now).await,
            _ => {
                let mut response = respond(Page::message(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "Method not allowed",
                    "Open the link from your notification in a browser.",
                ));
                response
                    .headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("GET, HEAD, POST"));
                return response;
            }
        };
        if page.status.is_client_error() || page.status.is_server_error() {
            info!(status = page.status.as_u16(), method = %request.method(), "refused");
        }
        respond(page)
    }

    /// `GET`: the request and the form; nothing is written.
    async fn show(&self, request: &Request, now: Timestamp) -> Page {
        let Some(text) = request
            .uri()
            .query()
            .and_then(|query| form_value(query.as_bytes(), "token"))
        else {
            return Page::message(
                StatusCode::BAD_REQUEST,
                "Link incomplete",
                "This page needs the link from an approval notification; copy the whole link into your browser.",
            );
        };
        let (_, token) = match self.check(&text, now).await {
            Ok(checked) => checked,
            Err(page) => return page,
        };
        let record = match self.decider.store().get(&token.approval_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return no_such_request(),
            Err(err) => return unavailable(&err.to_string()),
        };
        let hash = link_hash(&text);
        if let Some(page) = closed_page(&record, &token, &hash, Visit::Opened, now) {
            return page;
        }
        // A link decides only its own action: the page never mints the
        // other one (that takes the notification's other link).
        Page::new(
            StatusCode::OK,
            page::decision_form(&record, &token, &text, now),
        )
    }

    /// `POST`: decide, through the shared decision path.
    async fn decide(&self, request: &Request, now: Timestamp) -> Page {
        if let Some(page) = refuse_foreign_post(request) {
            return page;
        }
        let body = request.body().as_ref();
        if body.len() > MAX_FORM_BYTES {
            return Page::message(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Too much text",
                "The form was larger than this page accepts; shorten the comment and try again.",
            );
        }
        let Some(text) = form_value(body, "token") else {
            return Page::message(
                StatusCode::BAD_REQUEST,
                "Nothing to decide",
                "The form did not say which decision to make; open the link again and press Approve or Reject.",
            );
        };
        let comment = form_value(body, "comment")
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty());
        if comment
            .as_ref()
            .is_some_and(|c| c.chars().count() > MAX_COMMENT_LEN)
        {
            return Page::message(
                StatusCode::BAD_REQUEST,
                "Comment too long",
                &format!("Comments are limited to {MAX_COMMENT_LEN} characters; shorten it and try again."),
            );
        }
        let (key, token) = match self.check(&text, now).await {
            Ok(checked) => checked,
            Err(page) => return page,
        };
        let hash = link_hash(&text);
        let addressee = token.addressee.as_deref();
        // The workflow counts the decision on the page's word, signed with
        // the link key only the page and the workflow hold, that this link
        // of this addressee was used.
        let proof = DecisionProof::ApprovalLink {
            voucher: key.vouch(&token.approval_id, token.action, &hash, addressee),
            link_hash: hash.clone(),
            addressee: token.addressee.clone(),
        };
        let decision = Decision {
            approval_id: token.approval_id.clone(),
            outcome: token.action,
            decided_by: addressee.unwrap_or(LINK_DECIDER).to_owned(),
            comment,
            proof: Some(proof),
            on_behalf_of: None,
        };
        match self.decider.decide_by_link(&decision, &hash, now).await {
            Ok(record) => {
                info!(approval_id = %record.approval_id, status = %record.status, "decided through a link");
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("token", &text)
                    .finish();
                // Relative: the browser keeps the path it posted to, which
                // behind a proxy may not be the path this function sees.
                Page::see_other(format!("?{query}"), &title_case(record.status))
            }
            Err(err) => decide_error_page(err, &token, &hash, now),
        }
    }

    /// The signing key, and the token checked against it.
    async fn check(&self, text: &str, now: Timestamp) -> Result<(&LinkKey, LinkToken), Page> {
        let key = self.key.key().await.map_err(|err| {
            let message = err.to_string();
            error!(%message, "link signing key unavailable");
            Page::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Approval page unavailable",
                "This approval page cannot check links right now; try again later or ask an operator to decide with hitl.",
            )
        })?;
        let token = key.verify(text, now).map_err(|err| match err {
            LinkError::Malformed(_) | LinkError::WeakKey => Page::message(
                StatusCode::BAD_REQUEST,
                "Link damaged",
                "This link is incomplete or damaged; copy the whole link from the notification.",
            ),
            LinkError::BadSignature => Page::message(
                StatusCode::FORBIDDEN,
                "Link not valid",
                "This link was altered or was not issued by this approval service; nothing was changed.",
            ),
            LinkError::Expired(at) => Page::message(
                StatusCode::GONE,
                "Link expired",
                &format!("This request expired at {at}; it can no longer be decided."),
            ),
        })?;
        Ok((key, token))
    }
}

/// The page for a request that this link cannot decide, or `None` when it can.
fn closed_page(
    record: &ApprovalRecord,
    token: &LinkToken,
    hash: &str,
    visit: Visit,
    now: Timestamp,
) -> Option<Page> {
    let action = token.action;
    let addressee = token.addressee.as_deref().unwrap_or(LINK_DECIDER);
    // A link whose own claim is still undelivered shows its form again:
    // pressing the button delivers it.
    let own_claim = record.status == Status::Pending
        && record
            .claim
            .as_ref()
            .is_some_and(|c| c.outcome == action && c.by == addressee);
    if record.links_used.contains(hash) && !own_claim {
        // Opening a link whose decision stands (as the browser does right
        // after deciding) shows that decision; pressing it again is refused.
        if visit == Visit::Opened && record.status == action.status() {
            return Some(Page::new(
                StatusCode::OK,
                page::closed(
                    record,
                    &title_case(record.status),
                    "your decision is recorded and the workflow has resumed",
                    now,
                ),
            ));
        }
        // An approval counted toward a quorum: the request waits for more.
        if visit == Visit::Opened
            && action == Outcome::Approved
            && record.status == Status::Pending
            && record.counts_approval_of(addressee)
        {
            return Some(Page::new(
                StatusCode::OK,
                page::closed(
                    record,
                    "Approval counted",
                    &format!(
                        "your approval is counted ({} of {} needed); the request waits for the others",
                        record.audit.approvals.len(),
                        record.required_approvals()
                    ),
                    now,
                ),
            ));
        }
        if let Some(refusal) = record
            .audit
            .refusals
            .iter()
            .rev()
            .filter(|_| visit == Visit::Opened)
            .find(|r| r.outcome == action && r.principal.as_deref() == Some(addressee))
        {
            return Some(Page::new(
                StatusCode::FORBIDDEN,
                page::closed(
                    record,
                    "Not counted",
                    &format!("the workflow refused this decision: {}", refusal.reason),
                    now,
                ),
            ));
        }
        return Some(Page::new(
            StatusCode::GONE,
            page::closed(record, "Link already used", "each link decides once", now),
        ));
    }
    if record.status == Status::Pending && !record.links.contains(hash) {
        return Some(unknown_link());
    }
    match record.status {
        Status::Pending if record.is_past_expiry(now) => Some(Page::new(
            StatusCode::GONE,
            page::closed(
                record,
                "Expired",
                "this request can no longer be decided",
                now,
            ),
        )),
        Status::Pending => None,
        Status::Expired | Status::Cancelled => Some(Page::new(
            StatusCode::GONE,
            page::closed(
                record,
                &title_case(record.status),
                "this request can no longer be decided",
                now,
            ),
        )),
        Status::Approved | Status::Rejected => Some(Page::new(
            StatusCode::CONFLICT,
            page::closed(
                record,
                &format!("Already {}", record.status.as_str().to_lowercase()),
                &format!(
                    "decided by {}",
                    record.decided_by.as_deref().unwrap_or("someone else")
                ),
                now,
            ),
        )),
    }
}

fn decide_error_page(err: DecideError, token: &LinkToken, hash: &str, now: Timestamp) -> Page {
    match err {
        DecideError::Store(
            StoreError::LinkUsed(record)
            | StoreError::NotPending(record)
            | StoreError::PastExpiry(record),
        ) => closed_page(&record, token, hash, Visit::Pressed, now).unwrap_or_else(|| {
            Page::message(
                StatusCode::CONFLICT,
                "Not decided",
                "This request can no longer be decided here.",
            )
        }),
        DecideError::Store(StoreError::ClaimedByOther { claim, .. }) => Page::message(
            StatusCode::CONFLICT,
            "Already being decided",
            &format!(
                "{} is recording a decision ({}) on this request; nothing was changed. \
                 If that decision is not delivered, it stops blocking others at {}: \
                 try again then.",
                claim.by, claim.outcome, claim.released_at()
            ),
        ),
        DecideError::Store(StoreError::NotFound(_)) => no_such_request(),
        DecideError::Store(StoreError::LinkUnknown(_)) => unknown_link(),
        DecideError::SelfApproval { .. } => Page::message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "Requesters may not approve their own requests on this deployment.",
        ),
        DecideError::NotAnApprover { .. } => Page::message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            "This request names its approvers, and this link is not one of theirs.",
        ),
        DecideError::Refused { reason, .. } => Page::message(
            StatusCode::FORBIDDEN,
            "Not allowed",
            &format!("The workflow did not count this decision: {reason}."),
        ),
        DecideError::NotReady(_) => Page::message(
            StatusCode::SERVICE_UNAVAILABLE,
            "Not ready yet",
            "This request's workflow is still starting; wait a few seconds and press the button again.",
        ),
        DecideError::ExecutionClosed(record) => Page::new(
            StatusCode::GONE,
            page::closed(
                &record,
                "Workflow ended",
                "the workflow of this request has ended without a decision",
                now,
            ),
        ),
        DecideError::Undelivered { approval_id, message, released_at, expires_at, .. } => {
            warn!(%approval_id, %message, "link decision claimed but not delivered");
            Page::message(
                StatusCode::BAD_GATEWAY,
                "Decision recorded, not yet delivered",
                &format!(
                    "Your decision is recorded but the workflow could not be told yet. \
                     Open the link again and press the button again to deliver it. \
                     Until {released_at} nobody else can decide this request; if nobody \
                     delivers or replaces your decision, the workflow records it at the \
                     deadline ({expires_at})."
                ),
            )
        }
        other @ DecideError::Store(_) => unavailable(&other.to_string()),
    }
}

fn no_such_request() -> Page {
    Page::message(
        StatusCode::NOT_FOUND,
        "No such request",
        "This approval request does not exist (any more); nothing was changed.",
    )
}

fn unknown_link() -> Page {
    Page::message(
        StatusCode::NOT_FOUND,
        "Link not current",
        "This link is not the current one for this request (a newer notification replaced it); use the newest notification.",
    )
}

fn unavailable(message: &str) -> Page {
    error!(%message, "approval store unavailable");
    Page::message(
        StatusCode::SERVICE_UNAVAILABLE,
        "Try again",
        "The approval service could not read or write the request just now; nothing was decided. Try again in a minute.",
    )
}

fn title_case(status: Status) -> String {
    let lower = status.as_str().to_lowercase();
    let mut chars = lower.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Refuses form posts from other sites (a page elsewhere posting to ours)
/// and bodies that are not a form.
///
#[cfg(test)]
mod tests {
    use std::time::Duration;

    use aws_sdk_dynamodb::operation::update_item::{UpdateItemError, UpdateItemOutput};
    use aws_sdk_lambda::operation::send_durable_execution_callback_success::SendDurableExecutionCallbackSuccessOutput;
    use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
    use hitl_approvals::test_util::condition_check_failed_on;
    use hitl_approvals::ApprovalStore;
    use hitl_contract::{Claim, SubmitRequest};

    use super::*;
    use hitl_approvals::test_util::get_item;

    const HOST: &str = "abc.lambda-url.eu-west-1.on.aws";

    fn key() -> LinkKey {
        LinkKey::new("test-signing-key-of-forty-bytes-or-more!").unwrap()
    }

    /// A pending request whose links are `approve` and `reject`.
    fn pending(title: &str) -> (ApprovalRecord, String, String) {
        pending_for(title, None)
    }

    /// A pending request whose links to `addressee` are `approve` and `reject`.
    fn pending_for(title: &str, addressee: Option<&str>) -> (ApprovalRecord, String, String) {
        let request = SubmitRequest {
            description: Some("line one\n<img src=x onerror=alert(1)>".into()),
            amount: Some("12.50".into()),
            details: Some(serde_json::json!({"note": "<b>bold</b>"})),
            timeout_seconds: Some(3600),
            ..SubmitRequest::new("apr-1", title, "alice")
        };
        let mut record = ApprovalRecord::pending(&request, "arn:exec", Timestamp::now());
        record.callback_id = Some("cb-1".into());
        let (approve, reject) = key()
            .mint_pair("apr-1", addressee, record.expires_at)
            .unwrap();
        let (approve, reject) = (key().sign(&approve), key().sign(&reject));
        record.links = [link_hash(&approve), link_hash(&reject)].into();
        (record, approve, reject)
    }

    /// UpdateItem's answer to a claim that took: the claimed `record`.
    fn claimed(record: &ApprovalRecord) -> impl Fn() -> UpdateItemOutput + Send + Sync + 'static {
        let item = record.to_item();
        move || {
            UpdateItemOutput::builder()
                .set_attributes(Some(item.clone()))
                .build()
        }
    }

    /// A claim that lost to `record`, which DynamoDB returns with the error.
    fn claim_lost_to(record: &ApprovalRecord) -> Rule {
        let record = record.clone();
        mock!(aws_sdk_dynamodb::Client::update_item).then_error(move || {
            UpdateItemError::ConditionalCheckFailedException(condition_check_failed_on(&record))
        })
    }

    fn pages(dynamodb: &[&Rule], lambda: &[&Rule]) -> ApprovalPages {
        let dynamodb = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, dynamodb);
        let lambda = mock_client!(aws_sdk_lambda, RuleMode::Sequential, lambda);
        ApprovalPages {
            decider: Decider::new(ApprovalStore::new(dynamodb, "approvals"), lambda),
            key: KeySource::Fixed(key()),
        }
    }

    fn get_request(token: &str) -> Request {
        lambda_http::http::Request::builder()
            .method("GET")
            .uri(format!("https://{HOST}/decision?token={token}"))
            .header("host", HOST)
            .body(Body::Empty)
            .unwrap()
    }

    /// A form post as a client that is not a browser sends it: no `Origin`,
    /// no `Sec-Fetch-*` (the real browser's post is tested end to end in
    /// tests/e2e/approval_links.rs).
    fn post_request(body: &str) -> Request {
        lambda_http::http::Request::builder()
            .method("POST")
            .uri(format!("https://{HOST}/decision"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    }

    /// A post carrying the given headers, as a forger would set them.
    fn forged_post(body: &str, headers: &[(&'static str, &str)]) -> Request {
        let mut request = post_request(body);
        request
            .headers_mut()
            .insert("host", HeaderValue::from_static(HOST));
        for (name, value) in headers {
            request
                .headers_mut()
                .append(*name, HeaderValue::from_str(value).unwrap());
        }
        request
    }

    fn form(token: &str, comment: &str) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("comment", comment)
            .finish()
    }

    fn html(response: &Response<Body>) -> String {
        String::from_utf8(response.body().as_ref().to_vec()).unwrap()
    }

    #[tokio::test]
    async fn get_shows_the_request_escaped_with_its_own_button_and_writes_nothing() {
        let (record, approve, reject) = pending("<script>alert('x')</script> deploy");
        let read = get_item(&record);
        let pages = pages(&[&read], &[]);
        let response = pages.handle(get_request(&approve)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = html(&response);
        assert!(
            body.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; deploy"),
            "{body}"
        );
        assert!(
            body.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{body}"
        );
        assert!(
            !body.contains("<script") && !body.contains("<img"),
            "{body}"
        );
        // Only the link's own action, with its own token: the page never
        // offers the other one.
        assert!(body.contains(&format!(
            "class=\"approve\" type=\"submit\" name=\"token\" value=\"{approve}\""
        )));
        assert!(
            !body.contains(&reject) && !body.contains("class=\"reject\""),
            "{body}"
        );
        assert!(body.contains("<form method=\"post\">"));
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store");
        assert_eq!(headers["referrer-policy"], "same-origin");
        assert!(headers["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'"));
        // One read; a mocked client with no update rule would fail any write.
        assert_eq!(read.num_calls(), 1);
    }

    #[tokio::test]
    async fn the_reject_link_offers_only_reject() {
        let (record, approve, reject) = pending("t");
        let read = get_item(&record);
        let body = html(&pages(&[&read], &[]).handle(get_request(&reject)).await);
        assert!(body.contains(&format!(
            "class=\"reject\" type=\"submit\" name=\"token\" value=\"{reject}\""
        )));
        assert!(
            !body.contains(&approve) && !body.contains("class=\"approve\""),
            "{body}"
        );
        assert!(
            body.contains("use the Approve link in the same notification"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn bad_links_are_refused_before_any_read() {
        let (_, approve, _) = pending("t");
        let tampered = approve.replacen(".a.", ".r.", 1);
        let expired = key().sign(
            &key()
                .mint_pair("apr-1", None, Timestamp::now().plus(Duration::ZERO))
                .unwrap()
                .0,
        );
        let cases = [
            ("", StatusCode::BAD_REQUEST),
            ("garbage", StatusCode::BAD_REQUEST),
            (tampered.as_str(), StatusCode::FORBIDDEN),
            (expired.as_str(), StatusCode::GONE),
        ];
        for (token, expected) in cases {
            let pages = pages(&[], &[]);
            let response = pages.handle(get_request(token)).await;
            assert_eq!(response.status(), expected, "{token}");
            let response = pages.handle(post_request(&form(token, ""))).await;
            assert_eq!(response.status(), expected, "POST {token}");
        }
    }

    #[tokio::test]
    async fn a_link_from_an_older_notification_is_not_current() {
        let (record, _, _) = pending("t");
        let (older, _) = key().mint_pair("apr-1", None, record.expires_at).unwrap();
        let read = get_item(&record);
        let response = pages(&[&read], &[])
            .handle(get_request(&key().sign(&older)))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(html(&response).contains("Link not current"));
    }

    #[tokio::test]
    async fn post_decides_through_the_claim_that_uses_up_the_link() {
        let (record, approve, _) = pending("t");
        let hash = link_hash(&approve);
        let expected_hash = hash.clone();
        let claim = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(move |req| {
                let condition = req.condition_expression().unwrap_or_default();
                let update = req.update_expression().unwrap_or_default();
                condition.contains("contains(#links, :lh)")
                    && condition.contains("NOT contains(#used, :lh)")
                    && update.ends_with("ADD #used :used")
                    && req.expression_attribute_values().unwrap()[":lh"]
                        .as_s()
                        .unwrap()
                        == &expected_hash
            })
            .then_output(claimed(&record));
        let mut approved = record.clone();
        approved.status = Status::Approved;
        approved.decided_by = Some("approval link".into());
        approved.links_used = [hash.clone()].into();
        // The workflow records it; the page reads that back.
        let recorded = get_item(&approved);
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .match_requests(move |req| {
                // The page vouches, with the link key, for the link used.
                let payload: hitl_contract::DecisionPayload =
                    serde_json::from_slice(req.result().map(|b| b.as_ref()).unwrap_or_default())
                        .unwrap();
                let vouched = match payload.proof {
                    Some(DecisionProof::ApprovalLink {
                        link_hash,
                        voucher,
                        addressee: None,
                    }) => {
                        link_hash == hash
                            && key().confirms(
                                &voucher,
                                "apr-1",
                                Outcome::Approved,
                                &link_hash,
                                None,
                            )
                    }
                    _ => false,
                };
                req.callback_id() == Some("cb-1") && vouched
            })
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let pages = pages(&[&claim, &recorded], &[&send]);
        let response = pages
            .handle(post_request(&form(&approve, "fine by me")))
            .await;
        // Post, then redirect to the link's own page (a reload never posts again).
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{}",
            html(&response)
        );
        let location = response.headers()["location"].to_str().unwrap();
        let query = location.strip_prefix('?').unwrap();
        assert_eq!(form_value(query.as_bytes(), "token"), Some(approve.clone()));
        assert_eq!(
            (claim.num_calls(), send.num_calls(), recorded.num_calls()),
            (1, 1, 1)
        );
    }

    #[tokio::test]
    async fn an_addressed_link_decides_as_its_addressee_and_then_shows_their_approval_counted() {
        let bob = "bob@example.com";
        let (mut record, approve, _) = pending_for("t", Some(bob));
        record.policy = Some(hitl_contract::ApproverPolicy {
            approvers: vec![bob.into(), "carol@example.com".into()],
            required: 2,
        });
        let read = get_item(&record);
        let response = pages(&[&read], &[]).handle(get_request(&approve)).await;
        assert!(
            html(&response).contains("This link was sent to <strong>bob@example.com</strong>"),
            "{}",
            html(&response)
        );

        let claim = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(|req| {
                req.expression_attribute_values().unwrap()[":cby"]
                    .as_s()
                    .unwrap()
                    == "bob@example.com"
            })
            .then_output(claimed(&record));
        let mut counted = record.clone();
        counted.links_used = [link_hash(&approve)].into();
        counted.audit.approvals.push(hitl_contract::Approval {
            by: bob.into(),
            evidence: hitl_contract::Evidence::ApprovalLink,
            at: Timestamp::now(),
            comment: None,
            on_behalf_of: None,
        });
        let recorded = get_item(&counted);
        let hash = link_hash(&approve);
        let send = mock!(aws_sdk_lambda::Client::send_durable_execution_callback_success)
            .match_requests(move |req| {
                let payload: hitl_contract::DecisionPayload =
                    serde_json::from_slice(req.result().map(|b| b.as_ref()).unwrap_or_default())
                        .unwrap();
                payload.decided_by.as_deref() == Some("bob@example.com")
                    && matches!(payload.proof, Some(DecisionProof::ApprovalLink { ref voucher, ref addressee, .. })
                        if addressee.as_deref() == Some("bob@example.com")
                            && key().confirms(voucher, "apr-1", Outcome::Approved, &hash, Some("bob@example.com")))
            })
            .then_output(|| SendDurableExecutionCallbackSuccessOutput::builder().build());
        let response = pages(&[&claim, &recorded], &[&send])
            .handle(post_request(&form(&approve, "")))
            .await;
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{}",
            html(&response)
        );
        assert_eq!(send.num_calls(), 1);

        // The browser follows the redirect: Bob's approval is one of two.
        let read = get_item(&counted);
        let response = pages(&[&read], &[]).handle(get_request(&approve)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = html(&response);
        assert!(body.contains("Approval counted"), "{body}");
        assert!(
            body.contains("1 of 2 needed: bob@example.com via link"),
            "{body}"
        );
    }

    #[tokio::test]
    async fn opening_a_link_whose_decision_stands_shows_it_and_pressing_again_is_refused() {
        let (mut record, approve, _) = pending("t");
        record.status = Status::Approved;
        record.decided_by = Some("approval link".into());
        record.comment = Some("fine by me".into());
        record.links_used = [link_hash(&approve)].into();
        let (read, lost) = (get_item(&record), claim_lost_to(&record));
        let pages = pages(&[&read, &lost], &[]);
        let opened = pages.handle(get_request(&approve)).await;
        assert_eq!(opened.status(), StatusCode::OK);
        let body = html(&opened);
        assert!(
            body.contains("Approved: your decision is recorded"),
            "{body}"
        );
        assert!(body.contains("fine by me"), "{body}");
        assert!(!body.contains("<form"), "{body}");
        let pressed = pages.handle(post_request(&form(&approve, ""))).await;
        assert_eq!(pressed.status(), StatusCode::GONE);
        assert!(html(&pressed).contains("Link already used"));
    }

    #[tokio::test]
    async fn a_replayed_post_is_refused_and_sends_nothing() {
        let (mut record, approve, _) = pending("t");
        record.status = Status::Approved;
        record.decided_by = Some("approval link".into());
        record.links_used = [link_hash(&approve)].into();
        let lost = claim_lost_to(&record);
        let response = pages(&[&lost], &[])
            .handle(post_request(&form(&approve, "")))
            .await;
        assert_eq!(response.status(), StatusCode::GONE);
        assert!(html(&response).contains("Link already used"));
    }

    #[tokio::test]
    async fn a_link_whose_own_claim_was_not_delivered_offers_its_button_again() {
        let (mut record, approve, reject) = pending("t");
        record.links_used = [link_hash(&approve)].into();
        record.claim = Some(Claim {
            outcome: Outcome::Approved,
            by: "approval link".into(),
            at: Timestamp::now(),
            comment: None,
            proof: None,
        });
        let read = get_item(&record);
        let response = pages(&[&read], &[]).handle(get_request(&approve)).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", html(&response));
        assert!(html(&response).contains(">Approve</button>"));
        // The other link is not the one that claimed: it is told to wait.
        let read = get_item(&record);
        let response = pages(&[&read], &[]).handle(get_request(&reject)).await;
        assert_eq!(response.status(), StatusCode::OK, "{}", html(&response));

        // A failed delivery says how to deliver it, and what happens if nobody does.
        let page = decide_error_page(
            DecideError::Undelivered {
                approval_id: "apr-1".into(),
                message: "throttled".into(),
                status: Some(429),
                released_at: Timestamp::parse("2026-11-22T10:32:00Z").unwrap(),
                expires_at: Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
            },
            &key().verify(&approve, Timestamp::now()).unwrap(),
            &link_hash(&approve),
            Timestamp::now(),
        );
        assert_eq!(page.status, StatusCode::BAD_GATEWAY);
        assert!(
            page.html.contains("press the button again to deliver it"),
            "{}",
            page.html
        );
        assert!(
            page.html.contains("2026-11-22T10:32:00.000Z"),
            "{}",
            page.html
        );
        assert!(
            page.html
                .contains("at the deadline (2026-11-23T10:00:00.000Z)"),
            "{}",
            page.html
        );
    }

    #[tokio::test]
    async fn a_cli_decision_that_claimed_first_wins_the_race() {
        // The CLI's claim landed before ours; it is older than a decision
        // takes to record, so the page does not wait for it.
        let (mut claimed, approve, _) = pending("t");
        claimed.claim = Some(Claim {
            outcome: Outcome::Rejected,
            by: "bob".into(),
            at: Timestamp::now().minus(std::time::Duration::from_secs(30)),
            comment: None,
            proof: None,
        });
        let lost = claim_lost_to(&claimed);
        let response = pages(&[&lost], &[])
            .handle(post_request(&form(&approve, "")))
            .await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(html(&response).contains("bob is recording a decision (REJECTED)"));
    }

    #[tokio::test]
    async fn a_request_decided_elsewhere_shows_who_decided() {
        let (mut record, approve, _) = pending("t");
        record.status = Status::Rejected;
        record.decided_by = Some("carol".into());
        let read = get_item(&record);
        let response = pages(&[&read], &[]).handle(get_request(&approve)).await;
        assert_eq!(response.status(), StatusCode::CONFLICT);
        assert!(html(&response).contains("decided by carol"));
    }

    #[tokio::test]
    async fn forged_cross_site_and_non_form_posts_are_refused() {
        let (_, approve, _) = pending("t");
        let body = form(&approve, "");
        let own = format!("https://{HOST}");
        let joined = format!("{own}, https://evil.example");
        let forgeries: [&[(&'static str, &str)]; 8] = [
            // Another site's page, as every current browser labels it.
            &[
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            &[("sec-fetch-site", "cross-site"), ("origin", "null")],
            // A sibling subdomain is another function's URL, not ours.
            &[
                ("sec-fetch-site", "same-site"),
                ("origin", "https://evil.lambda-url.eu-west-1.on.aws"),
            ],
            // A browser without Fetch Metadata: judged by Origin alone.
            &[("origin", "https://evil.example")],
            &[("origin", "null")],
            // Repeated headers, separate or joined with a comma (as Function
            // URLs pass repeated headers on), whatever the first one says.
            &[("origin", own.as_str()), ("origin", "https://evil.example")],
            &[("origin", joined.as_str())],
            &[
                ("sec-fetch-site", "same-origin"),
                ("sec-fetch-site", "cross-site"),
            ],
        ];
        let pages = pages(&[], &[]);
        for headers in forgeries {
            let response = pages.handle(forged_post(&body, headers)).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{headers:?}");
            assert!(html(&response).contains("nothing was changed"));
        }
        let mut json = post_request("{}");
        json.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        assert_eq!(
            pages.handle(json).await.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        );
    }

    #[tokio::test]
    async fn other_methods_are_not_allowed() {
        let request = lambda_http::http::Request::builder()
            .method("PUT")
            .uri(format!("https://{HOST}/decision"))
            .body(Body::Empty)
            .unwrap();
        let response = pages(&[], &[]).handle(request).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD, POST");
    }

    #[tokio::test]
    async fn an_overlong_comment_is_refused() {
        let (_, approve, _) = pending("t");
        let response = pages(&[], &[])
            .handle(post_request(&form(
                &approve,
                &"x".repeat(MAX_COMMENT_LEN + 1),
            )))
            .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }
}
