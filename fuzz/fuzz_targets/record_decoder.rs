//! The approval record's DynamoDB decoder (`ApprovalRecord::from_item`), on
//! items of any shape: the table is shared with whatever else writes to it.
//!
//! An input that starts with `{` is an item in DynamoDB's JSON form (as
//! `aws dynamodb get-item` prints it; the seeds are such items); any other
//! input is a list of edits to a valid record's item: remove an attribute,
//! or put a value under a name, either of the type and shape the decoder
//! expects there or any value from a small mirror of `AttributeValue`.
//! Names lean towards the attributes the decoder reads. A record it accepts must
//! survive what the CLI does with one (display its times, print it as JSON)
//! and what the store does (write it back as an item, which decodes to the
//! same record).
#![no_main]

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use hitl_contract::record::{attr, Item};
use hitl_contract::{ApprovalRecord, Claim, Outcome, Status, SubmitRequest, Timestamp};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;

/// Every attribute the decoder reads, and one it does not.
const NAMES: [&str; 26] = [
    attr::APPROVAL_ID,
    attr::TITLE,
    attr::DESCRIPTION,
    attr::REQUESTER,
    attr::AMOUNT,
    attr::DETAILS,
    attr::STATUS,
    attr::CALLBACK_ID,
    attr::EXECUTION_ARN,
    attr::CREATED_AT,
    attr::EXPIRES_AT,
    attr::DECIDED_AT,
    attr::DECIDED_BY,
    attr::COMMENT,
    attr::TTL,
    attr::CLAIM_OUTCOME,
    attr::CLAIM_BY,
    attr::CLAIM_AT,
    attr::CLAIM_COMMENT,
    attr::LINKS,
    attr::LINKS_USED,
    attr::REMINDERS,
    attr::REMINDED,
    attr::ESCALATION,
    attr::ESCALATED,
    "unrelated",
];

#[derive(Debug, Arbitrary)]
enum Key {
    Known(u8),
    Other(String),
}

impl Key {
    fn name(&self) -> String {
        match self {
            Key::Known(i) => NAMES[usize::from(*i) % NAMES.len()].to_owned(),
            Key::Other(name) => name.clone(),
        }
    }
}

/// The date and time of an RFC 3339 timestamp, without its offset.
#[derive(Debug, Arbitrary)]
enum DateTime {
    /// The first and last times a timestamp holds, and two ordinary ones.
    Edge(u8),
    /// Any, from its parts, in range or not.
    Parts {
        year: u16,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        millis: u16,
    },
}

impl DateTime {
    fn render(&self) -> String {
        const EDGES: [&str; 4] = [
            "0000-01-01T00:00:00.000",
            "9999-12-31T23:59:59.999",
            "1970-01-01T00:00:00.000",
            "2026-11-22T10:15:00.123",
        ];
        match self {
            DateTime::Edge(i) => EDGES[usize::from(*i) % EDGES.len()].to_owned(),
            DateTime::Parts {
                year,
                month,
                day,
                hour,
                minute,
                second,
                millis,
            } => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}",
                year % 10_000,
                month % 13,
                day % 32,
                hour % 24,
                minute % 60,
                second % 61,
                millis % 1000
            ),
        }
    }
}

/// Text that is often what the decoder hopes for.
#[derive(Debug, Arbitrary)]
enum Text {
    Raw(String),
    Status(u8, bool),
    /// An RFC 3339 time from its parts, in range or not.
    Time {
        at: DateTime,
        /// Minutes east of UTC; 0 writes `Z`.
        offset_minutes: i16,
    },
    Number(i64),
}

impl Text {
    fn render(&self) -> String {
        match self {
            Text::Raw(text) => text.clone(),
            Text::Status(i, lower) => {
                let status = Status::ALL[usize::from(*i) % Status::ALL.len()].as_str();
                if *lower {
                    status.to_lowercase()
                } else {
                    status.to_owned()
                }
            }
            Text::Time { at, offset_minutes } => {
                let offset = if *offset_minutes == 0 {
                    "Z".to_owned()
                } else {
                    let sign = if *offset_minutes < 0 { '-' } else { '+' };
                    let m = offset_minutes.unsigned_abs() % (24 * 60);
                    format!("{sign}{:02}:{:02}", m / 60, m % 60)
                };
                format!("{}{offset}", at.render())
            }
            Text::Number(n) => n.to_string(),
        }
    }
}

#[derive(Debug, Arbitrary)]
enum Value {
    S(Text),
    N(Text),
    Bool(bool),
    Null,
    M(Vec<(Key, Value)>),
    L(Vec<Value>),
    Ss(Vec<String>),
}

impl Value {
    fn to_sdk(&self) -> AttributeValue {
        match self {
            Value::S(text) => AttributeValue::S(text.render()),
            Value::N(text) => AttributeValue::N(text.render()),
            Value::Bool(b) => AttributeValue::Bool(*b),
            Value::Null => AttributeValue::Null(true),
            Value::M(entries) => AttributeValue::M(
                entries
                    .iter()
                    .map(|(k, v)| (k.name(), v.to_sdk()))
                    .collect::<HashMap<_, _>>(),
            ),
            Value::L(values) => AttributeValue::L(values.iter().map(Value::to_sdk).collect()),
            Value::Ss(values) => AttributeValue::Ss(values.clone()),
        }
    }
}

/// A value to put under a name.
#[derive(Debug, Arbitrary)]
enum Put {
    /// Of the type and shape the decoder expects under that name.
    Expected(Shape),
    Any(Value),
}

/// One change to a record's item.
#[derive(Debug, Arbitrary)]
enum Edit {
    Put(Key, Put),
    Remove(Key),
}

/// A record's item, changed.
#[derive(Debug, Arbitrary)]
struct Input {
    base: Base,
    edits: Vec<Edit>,
}

/// The records edits start from.
#[derive(Debug, Arbitrary)]
enum Base {
    Pending,
    DecidedThroughLink,
    Claimed,
    Empty,
}

impl Base {
    fn item(&self) -> Item {
        let created_at = Timestamp::from_unix_millis(1_795_341_600_123).expect("in range");
        let expires_at = Timestamp::from_unix_millis(1_795_428_000_123).expect("in range");
        // A request with every optional part, so each attribute is there
        // to be edited; fields added later take the record's defaults.
        let request = SubmitRequest {
            description: Some("Roll out 1.2.3".into()),
            amount: Some("1250.50".into()),
            details: Some(serde_json::json!({"ticket": "OPS-7", "regions": ["eu-west-1"]})),
            timeout_seconds: Some(86_400),
            reminders: Some(vec![3_600]),
            escalate_after_seconds: Some(1_800),
            escalate_to: Some(vec!["carol@example.com".into()]),
            ..SubmitRequest::new("req-42", "Deploy <b>prod</b>", "alice")
        };
        let mut record = ApprovalRecord::pending(
            &request,
            "arn:aws:lambda:eu-west-1:123456789012:function:wf:1/durable-execution/req-42/abc",
            created_at,
        );
        debug_assert_eq!(record.expires_at, expires_at);
        record.callback_id = Some("cb/with+odd=chars".into());
        record.links = ["a".repeat(64), "b".repeat(64)].into();
        record.reminded = vec![expires_at.minus(Duration::from_secs(3_600))];
        record.escalated = Some(created_at.plus(Duration::from_secs(1_800)));
        record.ttl = 1_803_290_400;
        match self {
            Base::Pending => {}
            Base::DecidedThroughLink => {
                record.status = Status::Approved;
                record.decided_at = Some(created_at.plus(Duration::from_secs(600)));
                record.decided_by = Some("link".into());
                record.comment = Some("ship it".into());
                record.links_used = ["a".repeat(64)].into();
            }
            Base::Claimed => {
                record.claim = Some(Claim {
                    outcome: Outcome::Rejected,
                    by: "carol".into(),
                    at: created_at.plus(Duration::from_secs(60)),
                    comment: Some("not now".into()),
                    proof: None,
                });
            }
            Base::Empty => return Item::new(),
        }
        record.to_item()
    }
}

/// The parts of a well-shaped value; each attribute takes the part it needs.
#[derive(Debug, Arbitrary)]
struct Shape {
    text: String,
    status: Text,
    at: Text,
    number: i64,
}

impl Shape {
    fn value(&self, name: &str) -> AttributeValue {
        match name {
            attr::STATUS | attr::CLAIM_OUTCOME => AttributeValue::S(self.status.render()),
            attr::CREATED_AT | attr::EXPIRES_AT | attr::DECIDED_AT | attr::CLAIM_AT => {
                AttributeValue::S(self.at.render())
            }
            attr::TTL => AttributeValue::N(self.number.to_string()),
            attr::LINKS | attr::LINKS_USED => AttributeValue::Ss(vec![self.text.clone()]),
            attr::AMOUNT => AttributeValue::N(self.text.clone()),
            // Details are JSON text.
            attr::DETAILS => {
                AttributeValue::S(serde_json::Value::from(self.text.as_str()).to_string())
            }
            _ => AttributeValue::S(self.text.clone()),
        }
    }
}

/// One attribute value in DynamoDB's JSON form (`{"S": "text"}`, ...).
fn from_dynamodb_json(value: &serde_json::Value) -> Option<AttributeValue> {
    let serde_json::Value::Object(map) = value else {
        return None;
    };
    let (kind, inner) = map.iter().next()?;
    let strings = |v: &serde_json::Value| -> Option<Vec<String>> {
        v.as_array()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    };
    Some(match kind.as_str() {
        "S" => AttributeValue::S(inner.as_str()?.to_owned()),
        "N" => AttributeValue::N(inner.as_str()?.to_owned()),
        "BOOL" => AttributeValue::Bool(inner.as_bool()?),
        "NULL" => AttributeValue::Null(inner.as_bool()?),
        "SS" => AttributeValue::Ss(strings(inner)?),
        "NS" => AttributeValue::Ns(strings(inner)?),
        "L" => AttributeValue::L(
            inner
                .as_array()?
                .iter()
                .map(from_dynamodb_json)
                .collect::<Option<_>>()?,
        ),
        "M" => AttributeValue::M(item_from_dynamodb_json(inner)?),
        _ => return None,
    })
}

fn item_from_dynamodb_json(value: &serde_json::Value) -> Option<Item> {
    value
        .as_object()?
        .iter()
        .map(|(k, v)| Some((k.clone(), from_dynamodb_json(v)?)))
        .collect()
}

fn item(data: &[u8]) -> Option<Item> {
    if data.first() == Some(&b'{') {
        let json: serde_json::Value = serde_json::from_slice(data).ok()?;
        return item_from_dynamodb_json(&json);
    }
    let input = Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)).ok()?;
    let mut item = input.base.item();
    for edit in &input.edits {
        match edit {
            Edit::Put(key, put) => {
                let name = key.name();
                let value = match put {
                    Put::Expected(shape) => shape.value(&name),
                    Put::Any(value) => value.to_sdk(),
                };
                item.insert(name, value);
            }
            Edit::Remove(key) => {
                item.remove(&key.name());
            }
        }
    }
    Some(item)
}

fuzz_target!(|data: &[u8]| {
    let Some(item) = item(data) else {
        return;
    };
    let Ok(record) = ApprovalRecord::from_item(&item) else {
        return;
    };

    // What `hitl list` and `hitl show` print.
    let now = Timestamp::now();
    let mut times = vec![record.created_at, record.expires_at];
    times.extend(record.decided_at);
    times.extend(record.claim.as_ref().map(|c| c.at));
    for at in times {
        let text = at.to_string();
        // Fixed width, so the by-status index sorts newest first as text.
        assert_eq!(text.len(), "2026-11-22T10:15:00.123Z".len(), "{text}");
        assert_eq!(Timestamp::parse(&text).ok(), Some(at), "{text}");
        let _ = now.seconds_until(at);
        let _ = at.seconds_until(now);
    }
    let _ = record.is_past_expiry(now);
    let json = serde_json::to_string_pretty(&record).expect("a record serialises");
    let mut shown = record.clone();
    shown.links = Default::default();
    shown.links_used = Default::default();
    let read_back: ApprovalRecord = serde_json::from_str(&json).expect("printed JSON reads back");
    assert_eq!(read_back, shown);

    // What the store writes back decodes to the same record.
    let again = ApprovalRecord::from_item(&record.to_item()).expect("a written record reads back");
    assert_eq!(again, record);
});
