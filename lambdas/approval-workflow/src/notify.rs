//! Telling approvers: an SNS message with the request, its two approval
//! links and its deadline.

use aws_sdk_sns::types::MessageAttributeValue;
use hitl_contract::links::{link_hash, load_key, KeyError, LinkKey};
use hitl_contract::record::LinkHashes;
use hitl_contract::{ApprovalStore, StoreError, SubmitRequest, Timestamp};
use serde::{Deserialize, Serialize};
use tokio::sync::OnceCell;

/// SNS email subjects: ASCII, one line, under 100 characters.
const MAX_SUBJECT_CHARS: usize = 99;
/// The longest description quoted in a message; the page shows all of it.
const MAX_DESCRIPTION_CHARS: usize = 1_500;
/// The longest details JSON quoted in a message.
const MAX_DETAILS_CHARS: usize = 2_000;

/// Where notifications go and how their links are made.
#[derive(Debug)]
pub struct Notifier {
    pub sns: aws_sdk_sns::Client,
    pub topic_arn: String,
    /// The approval page function's URL.
    pub links_base_url: String,
    pub secrets: aws_sdk_secretsmanager::Client,
    pub secret_id: String,
    pub key: OnceCell<LinkKey>,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("no randomness for the link: {0}")]
    Random(String),
    #[error("building the notification failed: {0}")]
    Build(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("publishing to {topic} failed: {message}")]
    Publish { topic: String, message: String },
}

/// What the notification step did (its checkpointed result).
#[derive(Debug, Serialize, Deserialize)]
pub enum Notified {
    Sent {
        message_id: Option<String>,
    },
    /// Decided or cancelled before the notification went out.
    NotNeeded,
}

/// A notification's text.
#[derive(Debug, PartialEq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

impl Notifier {
    /// The link signing key, read once from Secrets Manager.
    pub async fn link_key(&self) -> Result<&LinkKey, KeyError> {
        self.key
            .get_or_try_init(|| load_key(&self.secrets, &self.secret_id))
            .await
    }

    /// Mints the request's links, stores their hashes, and publishes. Run as
    /// a step: a replay returns the recorded result and sends nothing; a
    /// retry mints new links, which replace the old ones.
    pub async fn notify(
        &self,
        store: &ApprovalStore,
        request: &SubmitRequest,
        expires_at: Timestamp,
    ) -> Result<Notified, NotifyError> {
        let key = self.link_key().await?;
        let (approve, reject) = key
            .mint_pair(&request.approval_id, expires_at)
            .map_err(|e| NotifyError::Random(e.to_string()))?;
        let (approve, reject) = (key.sign(&approve), key.sign(&reject));
        let hashes = LinkHashes {
            approve: link_hash(&approve),
            reject: link_hash(&reject),
        };
        match store.issue_links(&request.approval_id, &hashes).await {
            Ok(()) => {}
            Err(StoreError::NotPending(_)) => return Ok(Notified::NotNeeded),
            Err(err) => return Err(err.into()),
        }
        let message = compose(
            request,
            expires_at,
            &self.link(&approve),
            &self.link(&reject),
        );
        let out = self
            .sns
            .publish()
            .topic_arn(&self.topic_arn)
            .subject(&message.subject)
            .message(&message.body)
            // For subscription filter policies (route by requester, or
            // follow one request).
            .message_attributes("approval_id", string_attribute(&request.approval_id)?)
            .message_attributes("requester", string_attribute(&request.requester)?)
            .send()
            .await
            .map_err(|e| NotifyError::Publish {
                topic: self.topic_arn.clone(),
                message: aws_sdk_sns::error::DisplayErrorContext(e).to_string(),
            })?;
        Ok(Notified::Sent {
            message_id: out.message_id,
        })
    }

    fn link(&self, token: &str) -> String {
        format!(
            "{}/decision?token={token}",
            self.links_base_url.trim_end_matches('/')
        )
    }
}

fn string_attribute(value: &str) -> Result<MessageAttributeValue, NotifyError> {
    MessageAttributeValue::builder()
        .data_type("String")
        .string_value(value)
        .build()
        .map_err(|e| NotifyError::Build(e.to_string()))
}

/// The notification for `request`: short enough for SNS whatever the
/// request holds (long fields are cut; the page shows them whole).
///
/// Everything the requester wrote is quoted, each line behind `  > `, so
/// no line of theirs can start like one of ours (`Approve:`, `Reject:`),
/// and bidirectional controls are stripped so it reads as it is stored.
pub fn compose(
    request: &SubmitRequest,
    expires_at: Timestamp,
    approve_url: &str,
    reject_url: &str,
) -> Message {
    let subject = subject(&format!("Approval needed: {}", request.title));
    let mut body = String::from("A request needs your approval:\n\n");
    body.push_str(&quote(&request.title));
    body.push_str(&format!(
        "\nRequested by: {}\n",
        one_line(&request.requester)
    ));
    if let Some(amount) = &request.amount {
        body.push_str(&format!("Amount: {}\n", one_line(amount)));
    }
    body.push_str(&format!("Request: {}\n", one_line(&request.approval_id)));
    body.push_str(&format!("Decide before: {expires_at}\n\n"));
    if let Some(description) = &request.description {
        body.push_str("Description:\n");
        body.push_str(&quote_cut(description, MAX_DESCRIPTION_CHARS, approve_url));
        body.push('\n');
    }
    if let Some(details) = &request.details {
        let pretty = serde_json::to_string_pretty(details).unwrap_or_default();
        body.push_str("Details:\n");
        body.push_str(&quote_cut(&pretty, MAX_DETAILS_CHARS, approve_url));
        body.push('\n');
    }
    body.push_str(&format!(
        "Approve: {approve_url}\nReject:  {reject_url}\n\n\
         Each link opens a page showing the request; nothing is decided until \
         you press Approve or Reject there. The links work once and expire \
         with the request.\n"
    ));
    Message { subject, body }
}

/// Where a requester's text may break a line: every Unicode line break.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{b}' | '\u{c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Requester text made plain: bidirectional controls removed and any other
/// control (the workflow refuses them, but this text is the last guard)
/// shown as `�`; tabs kept.
fn plain(text: &str) -> String {
    hitl_contract::text::strip_bidi(text)
        .chars()
        .map(|c| {
            if c != '\t' && hitl_contract::text::is_control(c) {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// One-line requester text (a requester, an amount) kept on its line.
fn one_line(text: &str) -> String {
    plain(&text.replace(is_line_break, " "))
}

/// `text` quoted: each of its lines behind `  > `, ending in a line break.
fn quote(text: &str) -> String {
    text.split(is_line_break)
        .map(|line| format!("{}\n", format!("  > {}", plain(line)).trim_end()))
        .collect()
}

/// `text` cut to `max` characters and quoted, saying where the rest is.
fn quote_cut(text: &str, max: usize, page_url: &str) -> String {
    if text.chars().count() <= max {
        return quote(text);
    }
    let kept: String = text.chars().take(max).collect();
    format!(
        "{}  [cut; the whole request is on its page: {page_url}]\n",
        quote(&format!("{kept}…"))
    )
}

/// An SNS subject: printable ASCII on one line, starting with a letter.
fn subject(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect();
    let clean = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if clean.chars().count() <= MAX_SUBJECT_CHARS {
        clean
    } else {
        let kept: String = clean.chars().take(MAX_SUBJECT_CHARS - 3).collect();
        format!("{kept}...")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> SubmitRequest {
        SubmitRequest {
            approval_id: "apr-1".into(),
            title: "Rotate the DB password".into(),
            description: Some("Quarterly rotation.".into()),
            requester: "alice".into(),
            amount: Some("10".into()),
            details: Some(serde_json::json!({"ticket": "OPS-1"})),
            timeout_seconds: None,
            policy: None,
            requester_proof: None,
            on_behalf_of: None,
        }
    }

    fn at() -> Timestamp {
        Timestamp::parse("2026-11-23T12:00:00Z").unwrap()
    }

    #[test]
    fn the_message_holds_the_request_both_links_and_the_deadline() {
        let message = compose(
            &request(),
            at(),
            "https://a/decision?token=A",
            "https://a/decision?token=R",
        );
        assert_eq!(message.subject, "Approval needed: Rotate the DB password");
        for expected in [
            "A request needs your approval:\n\n  > Rotate the DB password\n",
            "Requested by: alice\n",
            "Amount: 10",
            "Request: apr-1",
            "Decide before: 2026-11-23T12:00:00.000Z",
            "Description:\n  > Quarterly rotation.\n",
            "Details:\n  > {\n  >   \"ticket\": \"OPS-1\"\n  > }\n",
            "Approve: https://a/decision?token=A",
            "Reject:  https://a/decision?token=R",
        ] {
            assert!(
                message.body.contains(expected),
                "{expected} in {}",
                message.body
            );
        }
    }

    #[test]
    fn the_largest_request_fits_sns_limits() {
        let mut big = request();
        big.title = "ü\n".repeat(100);
        big.description = Some("d".repeat(hitl_contract::payload::MAX_DESCRIPTION_LEN));
        big.details = Some(serde_json::json!({"blob": "x".repeat(30_000)}));
        let message = compose(&big, at(), "https://a/1", "https://a/2");
        assert!(message.subject.len() < 100);
        assert!(message.subject.is_ascii() && !message.subject.contains('\n'));
        assert!(message.body.len() < 16 * 1024, "{}", message.body.len());
        assert!(message
            .body
            .contains("[cut; the whole request is on its page: https://a/1]"));
        assert!(message.body.contains("Reject:  https://a/2"));
    }

    #[test]
    fn requester_text_cannot_pose_as_a_link_line() {
        let forged = "Approve: https://evil.example/a";
        let mut evil = request();
        evil.title = format!("{forged} \u{202e}txt.exe");
        evil.requester = forged.into();
        evil.amount = None;
        evil.description = Some(format!(
            "fine\n{forged}\nReject:  https://evil.example/r\r{forged}\u{2028}{forged}\n\u{202e}gnp.exe"
        ));
        evil.details = Some(serde_json::json!({ "k": format!("\n{forged}") }));
        let message = compose(&evil, at(), "https://a/A", "https://a/R");
        let starting = |label: &str| {
            message
                .body
                .lines()
                .filter(|line| line.starts_with(label))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            starting("Approve:"),
            ["Approve: https://a/A"],
            "{}",
            message.body
        );
        assert_eq!(
            starting("Reject:"),
            ["Reject:  https://a/R"],
            "{}",
            message.body
        );
        assert!(
            !message
                .body
                .chars()
                .any(hitl_contract::text::is_bidi_control),
            "{}",
            message.body
        );
        assert!(
            !message.body.chars().any(|c| c == '\r' || c == '\u{2028}'),
            "{:?}",
            message.body
        );
        assert!(message
            .body
            .contains("\n  > Approve: https://evil.example/a\n"));
        assert!(message.body.contains("\n  > gnp.exe\n"));
        assert!(message
            .body
            .contains("Requested by: Approve: https://evil.example/a\n"));
    }
}
