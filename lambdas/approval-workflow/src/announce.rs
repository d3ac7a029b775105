//! Telling whoever waits for an outcome: the `Approval Decided` event on
//! EventBridge, and a message to the requester on the notification topic
//! (see [`hitl_contract::event`]). Each is one step of the workflow, so a
//! replay sends nothing again; a step retried after a crash may send its
//! event twice, so consumers deduplicate on `approval_id` (EventBridge
//! itself delivers at least once).

use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_sns::types::MessageAttributeValue;
use hitl_contract::event::{self, Closed};
use hitl_contract::Status;

use crate::notify::{Notifier, NotifyError};

/// Where the outcome events go.
#[derive(Debug)]
pub struct Announcer {
    pub events: aws_sdk_eventbridge::Client,
    /// The event bus's name or ARN (`default` unless the stack names one).
    pub bus: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AnnounceError {
    #[error("the event detail cannot be written: {0}")]
    Detail(#[from] serde_json::Error),
    #[error("publishing the outcome event to bus {bus} failed: {message}")]
    Publish { bus: String, message: String },
}

impl Announcer {
    /// Puts the `Approval Decided` event on the bus; returns its id.
    pub async fn announce(&self, closed: &Closed) -> Result<String, AnnounceError> {
        let failed = |message: String| AnnounceError::Publish {
            bus: self.bus.clone(),
            message,
        };
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(event::SOURCE)
            .detail_type(event::DETAIL_TYPE)
            .detail(serde_json::to_string(closed)?)
            .set_resources(closed.execution_arn.clone().map(|arn| vec![arn]))
            .build();
        let out = self
            .events
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| failed(aws_sdk_eventbridge::error::DisplayErrorContext(e).to_string()))?;
        // PutEvents answers 200 and reports a refused entry in its body.
        match out.entries().first() {
            Some(sent) if sent.error_code().is_none() => match sent.event_id() {
                Some(id) => Ok(id.to_owned()),
                None => Err(failed("the answer names no event id".into())),
            },
            Some(refused) => Err(failed(format!(
                "{}: {}",
                refused.error_code().unwrap_or_default(),
                refused.error_message().unwrap_or("no message")
            ))),
            None => Err(failed("the answer has no entry".into())),
        }
    }
}

impl Notifier {
    /// Tells the requester how their request closed: one message with the
    /// attributes `event` = `closed`, `requester`, `approval_id` and
    /// `status`, and no `approver`, so approvers' filtered subscriptions
    /// never receive it.
    pub async fn tell_requester(&self, closed: &Closed) -> Result<String, NotifyError> {
        let failed = |message: String| NotifyError::Publish {
            topic: self.topic_arn.clone(),
            message,
        };
        let (subject, body) = requester_message(closed);
        let attribute = |value: &str| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| NotifyError::Build(e.to_string()))
        };
        let out = self
            .sns
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(subject)
            .message(body)
            .message_attributes(event::EVENT_ATTRIBUTE, attribute(event::CLOSED)?)
            .message_attributes("requester", attribute(&closed.requester)?)
            .message_attributes("approval_id", attribute(&closed.approval_id)?)
            .message_attributes("status", attribute(closed.status.as_str())?)
            .send()
            .await
            .map_err(|e| failed(aws_sdk_sns::error::DisplayErrorContext(e).to_string()))?;
        Ok(out.message_id().unwrap_or_default().to_owned())
    }
}

/// The requester's message: subject and body, plain text. The title is the
/// requester's own text, quoted as in the approvers' notification.
pub fn requester_message(closed: &Closed) -> (String, String) {
    let verb = match closed.status {
        Status::Approved => "Approved",
        Status::Rejected => "Rejected",
        Status::Expired => "Expired",
        Status::Cancelled => "Cancelled",
        Status::Pending => "Pending",
    };
    let subject = crate::notify::subject(&format!("{verb}: {}", closed.title));
    let mut body = format!(
        "Your request is {}:\n\n{}\nRequest: {}\n",
        closed.status.as_str().to_lowercase(),
        crate::notify::quote(&closed.title),
        crate::notify::one_line(&closed.approval_id)
    );
    match (&closed.decided_by, closed.status) {
        (Some(by), _) => body.push_str(&format!("By: {}\n", crate::notify::one_line(by))),
        (None, Status::Expired) => {
            body.push_str(&format!("Nobody decided before {}.\n", closed.expires_at))
        }
        (None, _) => {}
    }
    if let Some(at) = closed.decided_at {
        body.push_str(&format!("At: {at}\n"));
    }
    if let Some(comment) = &closed.comment {
        body.push_str("Comment:\n");
        body.push_str(&crate::notify::quote(comment));
    }
    let approved_by = &closed.policy.approved_by;
    if closed.policy.required > 1 || !approved_by.is_empty() {
        body.push_str(&format!(
            "Approvals: {} of {} required\n",
            approved_by.len(),
            closed.policy.required
        ));
    }
    body.push_str(&format!(
        "\nThe record and its audit trail: `{}`\n",
        crate::notify::one_line(&closed.show)
    ));
    (subject, body)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use aws_sdk_eventbridge::operation::put_events::PutEventsOutput;
    use aws_sdk_eventbridge::types::PutEventsResultEntry;
    use aws_smithy_mocks::{mock, mock_client};
    use hitl_contract::event::PolicyResult;
    use hitl_contract::Timestamp;

    use super::*;

    fn closed(status: Status) -> Closed {
        Closed {
            approval_id: "apr-1".into(),
            status,
            title: "Rotate the DB password\nApprove: https://evil.example".into(),
            requester: "arn:aws:iam::123456789012:user/alice".into(),
            decided_by: (status != Status::Expired)
                .then(|| "arn:aws:iam::123456789012:user/bob".into()),
            decided_at: None,
            comment: Some("ok".into()),
            policy: PolicyResult {
                required: 2,
                approved_by: vec!["arn:aws:iam::123456789012:user/bob".into()],
                refused: 0,
            },
            execution_arn: Some(
                "arn:aws:lambda:us-east-1:123456789012:function:wf:1/durable-execution/apr-1/x"
                    .into(),
            ),
            created_at: Timestamp::parse("2026-11-23T10:00:00Z").unwrap(),
            expires_at: Timestamp::parse("2026-11-23T12:00:00Z").unwrap(),
            show: "hitl show apr-1".into(),
        }
    }

    fn announcer(rule: &aws_smithy_mocks::Rule) -> Announcer {
        Announcer {
            events: mock_client!(aws_sdk_eventbridge, [rule]),
            bus: "default".into(),
        }
    }

    #[tokio::test]
    async fn the_event_is_ours_and_carries_the_outcome() {
        let sent = Arc::new(Mutex::new(Vec::new()));
        let seen = sent.clone();
        let put = mock!(aws_sdk_eventbridge::Client::put_events)
            .match_requests(move |req| {
                seen.lock().unwrap().extend(req.entries().to_vec());
                true
            })
            .then_output(|| {
                PutEventsOutput::builder()
                    .failed_entry_count(0)
                    .entries(PutEventsResultEntry::builder().event_id("ev-1").build())
                    .build()
            });
        let id = announcer(&put)
            .announce(&closed(Status::Approved))
            .await
            .unwrap();
        assert_eq!(id, "ev-1");
        let sent = sent.lock().unwrap();
        let entry = &sent[0];
        assert_eq!(entry.source(), Some("hitl"));
        assert_eq!(entry.detail_type(), Some("Approval Decided"));
        assert_eq!(entry.event_bus_name(), Some("default"));
        let detail: serde_json::Value = serde_json::from_str(entry.detail().unwrap()).unwrap();
        assert_eq!(detail["status"], "APPROVED");
        assert_eq!(
            detail["policy"]["approved_by"][0],
            "arn:aws:iam::123456789012:user/bob"
        );
        assert_eq!(entry.resources().len(), 1, "the execution ARN");
    }

    /// AWS answers 200 with the entry's error in the body (PutEvents API
    /// reference: FailedEntryCount and each entry's ErrorCode).
    #[tokio::test]
    async fn a_refused_entry_fails_the_step() {
        let put = mock!(aws_sdk_eventbridge::Client::put_events).then_output(|| {
            PutEventsOutput::builder()
                .failed_entry_count(1)
                .entries(
                    PutEventsResultEntry::builder()
                        .error_code("InternalFailure")
                        .error_message("try again")
                        .build(),
                )
                .build()
        });
        let err = announcer(&put)
            .announce(&closed(Status::Rejected))
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("InternalFailure: try again"),
            "{err}"
        );
    }

    #[test]
    fn the_requester_reads_the_outcome_and_nothing_poses_as_a_link() {
        let (subject, body) = requester_message(&closed(Status::Approved));
        assert_eq!(
            subject,
            "Approved: Rotate the DB password?Approve: https://evil.example"
        );
        assert!(body.starts_with("Your request is approved:\n\n  > Rotate the DB password\n  > Approve: https://evil.example\n"), "{body}");
        assert!(
            !body.lines().any(|line| line.starts_with("Approve:")),
            "{body}"
        );
        assert!(
            body.contains("By: arn:aws:iam::123456789012:user/bob\n"),
            "{body}"
        );
        assert!(body.contains("Approvals: 1 of 2 required\n"), "{body}");
        assert!(body.contains("`hitl show apr-1`"), "{body}");

        let (_, body) = requester_message(&closed(Status::Expired));
        assert!(
            body.contains("Nobody decided before 2026-11-23T12:00:00.000Z"),
            "{body}"
        );
    }
}
