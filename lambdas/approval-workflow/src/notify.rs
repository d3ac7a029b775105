//! Telling approvers: for each approver named by address, an SNS message of
//! their own with the request, their two approval links and the deadline;
//! for an open policy, one message with links for every subscriber.
//!
//! Each message carries the attribute `approver` (the address, or
//! [`EVERYONE`]), so that each approver's subscription filters to their own
//! (`{"approver": ["bob@example.com", "everyone"]}`; README, "Notifications").

use std::collections::BTreeSet;

use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry};
use hitl_approvals::links::{link_hash, KeyError, KeySource, LinkKey};
use hitl_approvals::{ApprovalStore, StoreError};
use hitl_contract::policy::same_person;
use hitl_contract::policy::ApproverPolicy;
use hitl_contract::{SubmitRequest, Timestamp};
use serde::{Deserialize, Serialize};

/// SNS email subjects: ASCII, one line, under 100 characters.
const MAX_SUBJECT_CHARS: usize = 99;
/// The longest description quoted in a message; the page shows all of it.
const MAX_DESCRIPTION_CHARS: usize = 1_500;
/// The longest details JSON quoted in a message.
const MAX_DETAILS_CHARS: usize = 2_000;
/// The most entries SNS takes in one `PublishBatch`.
const MAX_BATCH: usize = 10;

/// The message attribute that says whom a message is for.
pub const APPROVER_ATTRIBUTE: &str = "approver";
/// Its value on a message for every subscriber.
pub const EVERYONE: &str = "everyone";

/// Where notifications go and how their links are made.
#[derive(Debug)]
pub struct Notifier {
    pub sns: aws_sdk_sns::Client,
    pub topic_arn: String,
    /// The approval page function's URL.
    pub links_base_url: String,
    /// The link signing key, read once from Secrets Manager.
    pub key: KeySource,
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
        message_ids: Vec<String>,
        /// The approvers sent links of their own.
        #[serde(default)]
        addressees: Vec<String>,
    },
    /// Decided or cancelled before the notification went out.
    NotNeeded,
}

/// Whom a request's notification goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// An open policy: one message to every subscriber, with links anyone
    /// who holds them may use.
    Everyone,
    /// A policy that names approvers: a message of their own, with their
    /// own links, to each address (never the requester's, unless the stack
    /// allows self-approval); and, when `principals` (approvers named by
    /// ARN, who decide with `hitl`) or no address is left, one message to
    /// every subscriber without links.
    Approvers {
        addresses: Vec<String>,
        principals: bool,
    },
}

impl Audience {
    pub fn of(policy: &ApproverPolicy, requester: &str, allow_self_approval: bool) -> Self {
        if policy.is_open() {
            return Audience::Everyone;
        }
        Audience::Approvers {
            addresses: policy
                .addresses()
                .into_iter()
                .filter(|address| allow_self_approval || !same_person(address, requester))
                .collect(),
            principals: policy.names_principals(),
        }
    }
}

impl Audience {
    /// Those of the audience who have not approved yet (a reminder's).
    pub fn not_yet(self, approvals: &[hitl_contract::Approval]) -> Self {
        match self {
            Audience::Everyone => Audience::Everyone,
            Audience::Approvers {
                addresses,
                principals,
            } => Audience::Approvers {
                addresses: addresses
                    .into_iter()
                    .filter(|address| !approvals.iter().any(|a| same_person(&a.by, address)))
                    .collect(),
                principals,
            },
        }
    }
}

/// One message to publish: whom it is for and the links in it.
struct Letter {
    addressee: Option<String>,
    links: Option<(String, String)>,
}

/// A notification's text.
#[derive(Debug, PartialEq)]
pub struct Message {
    pub subject: String,
    pub body: String,
}

/// Why a notification goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occasion {
    /// The request was made.
    Request,
    /// A reminder to those who have not decided, with this long left.
    Reminder { left: std::time::Duration },
    /// An escalation to a second audience, with this long left.
    Escalation { left: std::time::Duration },
}

impl Occasion {
    /// The message attribute `event` for it.
    fn event(self) -> &'static str {
        match self {
            Occasion::Request => hitl_contract::event::REQUESTED,
            Occasion::Reminder { .. } => hitl_contract::event::REMINDER,
            Occasion::Escalation { .. } => hitl_contract::event::ESCALATED,
        }
    }
}

/// What a message says about deciding: the addressee's links, or `hitl`.
#[derive(Debug, Clone, Copy)]
pub enum Deciding<'a> {
    Links {
        approve: &'a str,
        reject: &'a str,
        /// Whom the links were made for; none when they go to everyone.
        addressee: Option<&'a str>,
    },
    WithHitl,
}

impl Notifier {
    /// The link signing key, read once from Secrets Manager.
    pub async fn link_key(&self) -> Result<&LinkKey, KeyError> {
        self.key.key().await
    }

    /// Mints each addressee's links, stores their hashes, and publishes.
    /// Run as a step: a replay returns the recorded result and sends
    /// nothing; a retry mints new links, which replace the old ones (a
    /// reminder's are added beside the first notification's).
    pub async fn notify(
        &self,
        store: &ApprovalStore,
        request: &SubmitRequest,
        requester: &str,
        audience: &Audience,
        expires_at: Timestamp,
        occasion: Occasion,
    ) -> Result<Notified, NotifyError> {
        let key = self.link_key().await?;
        let mint = |addressee: Option<&str>| -> Result<(String, String), NotifyError> {
            let (approve, reject) = key
                .mint_pair(&request.approval_id, addressee, expires_at)
                .map_err(|e| NotifyError::Random(e.to_string()))?;
            Ok((key.sign(&approve), key.sign(&reject)))
        };
        let mut letters = Vec::new();
        match audience {
            Audience::Everyone => letters.push(Letter {
                addressee: None,
                links: Some(mint(None)?),
            }),
            Audience::Approvers {
                addresses,
                principals,
            } => {
                for address in addresses {
                    letters.push(Letter {
                        addressee: Some(address.clone()),
                        links: Some(mint(Some(address))?),
                    });
                }
                if *principals || addresses.is_empty() {
                    letters.push(Letter {
                        addressee: None,
                        links: None,
                    });
                }
            }
        }
        let hashes: BTreeSet<String> = letters
            .iter()
            .filter_map(|letter| letter.links.as_ref())
            .flat_map(|(approve, reject)| [link_hash(approve), link_hash(reject)])
            .collect();
        let stored = match occasion {
            Occasion::Request => store.issue_links(&request.approval_id, &hashes).await,
            Occasion::Reminder { .. } | Occasion::Escalation { .. } => {
                store.add_links(&request.approval_id, &hashes).await
            }
        };
        match stored {
            Ok(()) => {}
            Err(StoreError::NotPending(_)) => return Ok(Notified::NotNeeded),
            Err(err) => return Err(err.into()),
        }

        let mut entries = Vec::with_capacity(letters.len());
        for (i, letter) in letters.iter().enumerate() {
            let (approve, reject) = match &letter.links {
                Some((approve, reject)) => (self.link(approve), self.link(reject)),
                None => Default::default(),
            };
            let deciding = match &letter.links {
                Some(_) => Deciding::Links {
                    approve: &approve,
                    reject: &reject,
                    addressee: letter.addressee.as_deref(),
                },
                None => Deciding::WithHitl,
            };
            let message = compose(request, requester, expires_at, deciding, occasion);
            let approver = letter.addressee.as_deref().unwrap_or(EVERYONE);
            entries.push(entry(
                format!("m{i}"),
                message,
                Some(approver),
                occasion,
                request,
                requester,
            )?);
        }
        let mut message_ids = Vec::with_capacity(entries.len());
        for batch in entries.chunks(MAX_BATCH) {
            message_ids.extend(self.publish(&self.topic_arn, batch).await?);
        }
        Ok(Notified::Sent {
            message_ids,
            addressees: letters.into_iter().filter_map(|l| l.addressee).collect(),
        })
    }

    /// Tells the subscribers of `topic` (an escalation's) about the
    /// request, without links: who reads a topic is not known, so they
    /// decide with `hitl` if they may. Returns the message's id.
    pub async fn tell_topic(
        &self,
        topic: &str,
        request: &SubmitRequest,
        requester: &str,
        expires_at: Timestamp,
        occasion: Occasion,
    ) -> Result<String, NotifyError> {
        let message = compose(request, requester, expires_at, Deciding::WithHitl, occasion);
        let entry = entry("m0".into(), message, None, occasion, request, requester)?;
        let ids = self.publish(topic, &[entry]).await?;
        Ok(ids.into_iter().next().unwrap_or_default())
    }

    /// Publishes one batch to `topic`; any entry SNS refuses fails the
    /// step, whose retry sends every message again with fresh links.
    async fn publish(
        &self,
        topic: &str,
        batch: &[PublishBatchRequestEntry],
    ) -> Result<Vec<String>, NotifyError> {
        let failed = |message: String| NotifyError::Publish {
            topic: topic.to_owned(),
            message,
        };
        let out = self
            .sns
            .publish_batch()
            .topic_arn(topic)
            .set_publish_batch_request_entries(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| failed(aws_sdk_sns::error::DisplayErrorContext(e).to_string()))?;
        if let Some(refused) = out.failed().first() {
            return Err(failed(format!(
                "{} message(s) refused, the first with {}: {}",
                out.failed().len(),
                refused.code(),
                refused.message().unwrap_or("no message")
            )));
        }
        Ok(out
            .successful()
            .iter()
            .filter_map(|sent| sent.message_id().map(str::to_owned))
            .collect())
    }

    fn link(&self, token: &str) -> String {
        format!(
            "{}/decision?token={token}",
            self.links_base_url.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
impl Notifier {
    /// A notifier publishing with `sns` whose link key is `key` (for the
    /// unit tests: Secrets Manager is never asked).
    pub fn with_key(sns: aws_sdk_sns::Client, key: LinkKey) -> Self {
        Notifier {
            sns,
            topic_arn: "arn:aws:sns:us-east-1:123456789012:hitl-notifications".into(),
            links_base_url: "https://page.example/".into(),
            key: KeySource::Fixed(key),
        }
    }
}

/// One message of a batch, with the attributes subscription filter
/// policies read: whom it is for (`approver`, an approver's own or
/// [`EVERYONE`]; none on another topic), why (`event`), and the request
/// and requester, to follow one of them.
fn entry(
    id: String,
    message: Message,
    approver: Option<&str>,
    occasion: Occasion,
    request: &SubmitRequest,
    requester: &str,
) -> Result<PublishBatchRequestEntry, NotifyError> {
    let mut entry = PublishBatchRequestEntry::builder()
        .id(id)
        .subject(message.subject)
        .message(message.body);
    if let Some(approver) = approver {
        entry = entry.message_attributes(APPROVER_ATTRIBUTE, string_attribute(approver)?);
    }
    entry
        .message_attributes(
            hitl_contract::event::EVENT_ATTRIBUTE,
            string_attribute(occasion.event())?,
        )
        .message_attributes("approval_id", string_attribute(&request.approval_id)?)
        .message_attributes("requester", string_attribute(requester)?)
        .build()
        .map_err(|e| NotifyError::Build(e.to_string()))
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
    requester: &str,
    expires_at: Timestamp,
    deciding: Deciding<'_>,
    occasion: Occasion,
) -> Message {
    let id = &request.approval_id;
    let (subject, mut body) = match occasion {
        Occasion::Request => (
            subject(&format!("Approval needed: {}", request.title)),
            String::from("A request needs your approval:\n\n"),
        ),
        Occasion::Reminder { left } => (
            subject(&format!("Reminder: approval needed: {}", request.title)),
            format!(
                "Reminder: a request still needs your approval, and {} are left to decide:\n\n",
                hitl_contract::timestamp::span(left)
            ),
        ),
        Occasion::Escalation { left } => (
            subject(&format!("Escalated: approval needed: {}", request.title)),
            format!(
                "A request still pending was escalated to you, and {} are left to decide:\n\n",
                hitl_contract::timestamp::span(left)
            ),
        ),
    };
    body.push_str(&quote(&request.title));
    body.push_str(&format!("\nRequested by: {}\n", one_line(requester)));
    if let Some(amount) = &request.amount {
        body.push_str(&format!("Amount: {}\n", one_line(amount)));
    }
    body.push_str(&format!("Request: {}\n", one_line(id)));
    body.push_str(&format!("Decide before: {expires_at}\n\n"));
    let whole = match deciding {
        Deciding::Links { approve, .. } => format!("its page: {approve}"),
        Deciding::WithHitl => format!("`hitl show {}`", one_line(id)),
    };
    if let Some(description) = &request.description {
        body.push_str("Description:\n");
        body.push_str(&quote_cut(description, MAX_DESCRIPTION_CHARS, &whole));
        body.push('\n');
    }
    if let Some(details) = &request.details {
        let pretty = serde_json::to_string_pretty(details).unwrap_or_default();
        body.push_str("Details:\n");
        body.push_str(&quote_cut(&pretty, MAX_DETAILS_CHARS, &whole));
        body.push('\n');
    }
    match deciding {
        Deciding::Links {
            approve,
            reject,
            addressee,
        } => {
            body.push_str(&format!("Approve: {approve}\nReject:  {reject}\n\n"));
            if let Some(addressee) = addressee {
                body.push_str(&format!(
                    "These links are {addressee}'s alone: a decision made with them is \
                     recorded as yours, so do not forward them. "
                ));
            }
            body.push_str(
                "Each link opens a page showing the request; nothing is decided until \
                 you press Approve or Reject there. The links work once and expire \
                 with the request.\n",
            );
        }
        Deciding::WithHitl => body.push_str(&format!(
            "Approvers named by their AWS identity decide with:\n\n  \
             hitl approve {id}\n  hitl reject {id}\n",
            id = one_line(id)
        )),
    }
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
pub(crate) fn one_line(text: &str) -> String {
    plain(&text.replace(is_line_break, " "))
}

/// `text` quoted: each of its lines behind `  > `, ending in a line break.
pub(crate) fn quote(text: &str) -> String {
    text.split(is_line_break)
        .map(|line| format!("{}\n", format!("  > {}", plain(line)).trim_end()))
        .collect()
}

/// `text` cut to `max` characters and quoted, saying where the rest is.
fn quote_cut(text: &str, max: usize, whole: &str) -> String {
    if text.chars().count() <= max {
        return quote(text);
    }
    let kept: String = text.chars().take(max).collect();
    format!(
        "{}  [cut; the whole request is on {whole}]\n",
        quote(&format!("{kept}…"))
    )
}

/// An SNS subject: printable ASCII on one line, starting with a letter.
pub(crate) fn subject(text: &str) -> String {
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
            description: Some("Quarterly rotation.".into()),
            amount: Some("10".into()),
            details: Some(serde_json::json!({"ticket": "OPS-1"})),
            ..SubmitRequest::new("apr-1", "Rotate the DB password", "alice")
        }
    }

    fn at() -> Timestamp {
        Timestamp::parse("2026-11-23T12:00:00Z").unwrap()
    }

    fn links<'a>(approve: &'a str, reject: &'a str) -> Deciding<'a> {
        Deciding::Links {
            approve,
            reject,
            addressee: None,
        }
    }

    fn named(approvers: &[&str]) -> ApproverPolicy {
        ApproverPolicy {
            approvers: approvers.iter().map(|a| a.to_string()).collect(),
            required: 1,
        }
    }

    const ALICE: &str = "arn:aws:iam::123456789012:user/alice@example.com";

    #[test]
    fn each_named_address_but_the_requesters_gets_links_of_its_own() {
        let policy = named(&["Bob@example.com", "alice@example.com", "carol@example.com"]);
        assert_eq!(
            Audience::of(&policy, ALICE, false),
            Audience::Approvers {
                addresses: vec!["bob@example.com".into(), "carol@example.com".into()],
                principals: false,
            }
        );
        let Audience::Approvers { addresses, .. } = Audience::of(&policy, ALICE, true) else {
            panic!("a named policy");
        };
        assert_eq!(addresses.len(), 3, "self-approval allowed: alice too");
        let mixed = named(&["bob@example.com", "arn:aws:iam::123456789012:role/ops"]);
        assert!(matches!(
            Audience::of(&mixed, ALICE, false),
            Audience::Approvers {
                principals: true,
                ..
            }
        ));
        assert_eq!(
            Audience::of(&ApproverPolicy::default(), ALICE, false),
            Audience::Everyone
        );
    }

    #[test]
    fn an_addressees_message_says_the_links_are_theirs() {
        let message = compose(
            &request(),
            ALICE,
            at(),
            Deciding::Links {
                approve: "https://a/A",
                reject: "https://a/R",
                addressee: Some("bob@example.com"),
            },
            Occasion::Request,
        );
        assert!(
            message
                .body
                .contains("These links are bob@example.com's alone"),
            "{}",
            message.body
        );
        assert!(message.body.contains(&format!("Requested by: {ALICE}\n")));
    }

    #[test]
    fn a_message_without_links_says_how_to_decide_with_hitl() {
        let mut long = request();
        long.description = Some("d".repeat(MAX_DESCRIPTION_CHARS + 1));
        let message = compose(&long, ALICE, at(), Deciding::WithHitl, Occasion::Request);
        assert!(!message.body.contains("Approve:"), "{}", message.body);
        assert!(message
            .body
            .contains("  hitl approve apr-1\n  hitl reject apr-1\n"));
        assert!(message
            .body
            .contains("[cut; the whole request is on `hitl show apr-1`]"));
    }

    /// A notifier whose SNS client is `publish`, and its link key.
    fn notifier(publish: &aws_smithy_mocks::Rule) -> (Notifier, LinkKey) {
        let key = LinkKey::new("k".repeat(40)).unwrap();
        let sns = aws_smithy_mocks::mock_client!(aws_sdk_sns, [publish]);
        (Notifier::with_key(sns, key.clone()), key)
    }

    #[tokio::test]
    async fn each_approver_is_published_their_own_links_under_their_own_attribute() {
        use aws_sdk_dynamodb::operation::update_item::UpdateItemOutput;
        use aws_sdk_sns::operation::publish_batch::PublishBatchOutput;
        use aws_sdk_sns::types::PublishBatchResultEntry;
        use aws_smithy_mocks::mock;
        use std::sync::{Arc, Mutex};

        let published = Arc::new(Mutex::new(Vec::new()));
        let seen = published.clone();
        let publish = mock!(aws_sdk_sns::Client::publish_batch)
            .match_requests(move |req| {
                seen.lock()
                    .unwrap()
                    .extend(req.publish_batch_request_entries().to_vec());
                true
            })
            .then_output(|| {
                PublishBatchOutput::builder()
                    .successful(
                        PublishBatchResultEntry::builder()
                            .id("m0")
                            .message_id("msg-0")
                            .build(),
                    )
                    .set_failed(Some(vec![]))
                    .build()
            });
        let stored = Arc::new(Mutex::new(Vec::new()));
        let kept = stored.clone();
        let issue = mock!(aws_sdk_dynamodb::Client::update_item)
            .match_requests(move |req| {
                if let Some(aws_sdk_dynamodb::types::AttributeValue::Ss(hashes)) = req
                    .expression_attribute_values()
                    .and_then(|v| v.get(":links"))
                {
                    kept.lock().unwrap().extend(hashes.clone());
                }
                true
            })
            .then_output(|| UpdateItemOutput::builder().build());
        let store = ApprovalStore::new(
            aws_smithy_mocks::mock_client!(aws_sdk_dynamodb, [&issue]),
            "approvals",
        );
        let (notifier, key) = notifier(&publish);
        let audience = Audience::of(
            &named(&[
                "bob@example.com",
                "carol@example.com",
                "arn:aws:iam::123456789012:user/ops",
            ]),
            ALICE,
            false,
        );
        let notified = notifier
            .notify(
                &store,
                &request(),
                ALICE,
                &audience,
                at(),
                Occasion::Request,
            )
            .await
            .unwrap();
        assert!(
            matches!(&notified, Notified::Sent { addressees, .. } if addressees == &["bob@example.com", "carol@example.com"]),
            "{notified:?}"
        );

        let published = published.lock().unwrap();
        let stored = stored.lock().unwrap();
        assert_eq!(published.len(), 3, "bob's, carol's, and one for hitl users");
        assert_eq!(stored.len(), 4, "two links each for bob and carol");
        for (entry, expected) in
            published
                .iter()
                .zip(["bob@example.com", "carol@example.com", EVERYONE])
        {
            let attributes = entry.message_attributes().unwrap();
            assert_eq!(
                attributes[APPROVER_ATTRIBUTE].string_value(),
                Some(expected)
            );
            assert_eq!(attributes["requester"].string_value(), Some(ALICE));
            let tokens: Vec<&str> = entry
                .message()
                .lines()
                .filter_map(|line| line.split("?token=").nth(1))
                .collect();
            if expected == EVERYONE {
                assert!(
                    tokens.is_empty(),
                    "no links for everyone: {}",
                    entry.message()
                );
                continue;
            }
            assert_eq!(tokens.len(), 2, "{}", entry.message());
            for token in tokens {
                let verified = key
                    .verify(token, Timestamp::parse("2026-11-23T10:00:00Z").unwrap())
                    .unwrap();
                assert_eq!(verified.addressee.as_deref(), Some(expected));
                assert!(stored.contains(&link_hash(token)), "its hash is stored");
            }
        }
    }

    #[tokio::test]
    async fn an_escalation_topic_is_told_without_links_on_its_own_topic() {
        use aws_sdk_sns::operation::publish_batch::PublishBatchOutput;
        use aws_sdk_sns::types::PublishBatchResultEntry;
        use aws_smithy_mocks::mock;

        const MANAGERS: &str = "arn:aws:sns:eu-west-1:123456789012:managers";
        let publish = mock!(aws_sdk_sns::Client::publish_batch)
            .match_requests(|req| {
                let entry = &req.publish_batch_request_entries()[0];
                let attributes = entry.message_attributes().unwrap();
                req.topic_arn() == Some(MANAGERS)
                    && req.publish_batch_request_entries().len() == 1
                    && attributes["event"].string_value() == Some("escalated")
                    && !attributes.contains_key(APPROVER_ATTRIBUTE)
                    && entry.subject() == Some("Escalated: approval needed: Rotate the DB password")
                    && !entry.message().contains("token=")
                    && entry.message().contains("hitl approve apr-1")
            })
            .then_output(|| {
                PublishBatchOutput::builder()
                    .successful(
                        PublishBatchResultEntry::builder()
                            .id("m0")
                            .message_id("msg-7")
                            .build(),
                    )
                    .set_failed(Some(vec![]))
                    .build()
            });
        let (notifier, _) = notifier(&publish);
        let occasion = Occasion::Escalation {
            left: std::time::Duration::from_secs(600),
        };
        let id = notifier
            .tell_topic(MANAGERS, &request(), ALICE, at(), occasion)
            .await
            .unwrap();
        assert_eq!((id.as_str(), publish.num_calls()), ("msg-7", 1));
    }

    #[test]
    fn the_message_holds_the_request_both_links_and_the_deadline() {
        let message = compose(
            &request(),
            "alice",
            at(),
            links("https://a/decision?token=A", "https://a/decision?token=R"),
            Occasion::Request,
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
    fn a_reminder_says_it_is_one_and_how_long_is_left() {
        let message = compose(
            &request(),
            "alice",
            at(),
            links("https://a/A", "https://a/R"),
            Occasion::Reminder {
                left: std::time::Duration::from_secs(5_400),
            },
        );
        assert_eq!(
            message.subject,
            "Reminder: approval needed: Rotate the DB password"
        );
        assert!(
            message.body.starts_with(
                "Reminder: a request still needs your approval, and 1h 30m are left to decide:\n\n  > Rotate the DB password\n"
            ),
            "{}",
            message.body
        );
        assert!(
            message.body.contains("Approve: https://a/A"),
            "{}",
            message.body
        );
    }

    #[test]
    fn the_largest_request_fits_sns_limits() {
        let mut big = request();
        big.title = "ü\n".repeat(100);
        big.description = Some("d".repeat(hitl_contract::payload::MAX_DESCRIPTION_LEN));
        big.details = Some(serde_json::json!({"blob": "x".repeat(30_000)}));
        let message = compose(
            &big,
            "alice",
            at(),
            links("https://a/1", "https://a/2"),
            Occasion::Request,
        );
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
        evil.amount = None;
        evil.description = Some(format!(
            "fine\n{forged}\nReject:  https://evil.example/r\r{forged}\u{2028}{forged}\n\u{202e}gnp.exe"
        ));
        evil.details = Some(serde_json::json!({ "k": format!("\n{forged}") }));
        let message = compose(
            &evil,
            forged,
            at(),
            links("https://a/A", "https://a/R"),
            Occasion::Request,
        );
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
