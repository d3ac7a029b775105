//! `hitl history ID`: the durable execution's events as a timeline;
//! `hitl history ID --audit`: the request's audit trail, from its record.

use anyhow::Context;
use aws_sdk_lambda::types::{ErrorObject, Event};
use comfy_table::Table;
use hitl_contract::trail::{trail, Happening, Step};
use hitl_contract::{Evidence, Timestamp};
use serde::Serialize;

use crate::app::App;
use crate::cli::HistoryArgs;
use crate::exit::InvalidInput;
use crate::output;

/// One event, as people and scripts see it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub at: Timestamp,
    pub event: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// How long the operation took, on the event that ends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub took_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

pub async fn run(app: &App, args: HistoryArgs) -> anyhow::Result<()> {
    let record = app.store().fetch(&args.id).await?;
    if args.audit {
        let steps = trail(&record);
        return output::many(app.output, &steps, || output::line(audit_table(&steps)));
    }
    let arn = record.execution_arn.ok_or_else(|| {
        InvalidInput(format!(
            "request `{}` has no durable execution recorded",
            args.id
        ))
    })?;
    let events = fetch(&app.lambda(), &arn)
        .await
        .with_context(|| format!("reading the history of execution {arn}"))?;
    let entries = timeline(&events);
    output::many(app.output, &entries, || output::line(table(&entries)))
}

/// Every event of the execution, with payloads.
pub async fn fetch(lambda: &aws_sdk_lambda::Client, arn: &str) -> anyhow::Result<Vec<Event>> {
    let mut events = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = lambda
            .get_durable_execution_history()
            .durable_execution_arn(arn)
            .include_execution_data(true)
            .set_marker(marker.clone())
            .send()
            .await
            .map_err(crate::exit::aws_call)?;
        events.extend(page.events().iter().cloned());
        match page.next_marker().filter(|m| !m.is_empty()) {
            Some(next) => marker = Some(next.to_owned()),
            None => return Ok(events),
        }
    }
}

/// When a history event happened.
pub fn timestamp(event: &Event) -> Option<Timestamp> {
    event
        .event_timestamp()
        .and_then(|t| t.to_millis().ok())
        .and_then(Timestamp::from_unix_millis)
}

/// At most `max` characters of `text`, marked when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}…", text.chars().take(max).collect::<String>())
    }
}

fn error_text(error: Option<&ErrorObject>) -> String {
    let error = error.and_then(|e| e.error_message().or(e.error_type()));
    format!("error: {}", error.unwrap_or("(none)"))
}

/// What an event says, in a phrase.
fn detail(event: &Event) -> Option<String> {
    let result = |payload: Option<&str>| payload.map(|p| format!("result: {}", shorten(p, 120)));
    if let Some(d) = event.execution_started_details() {
        return d
            .input()
            .and_then(|i| i.payload())
            .map(|p| format!("input: {}", shorten(p, 120)));
    }
    if let Some(d) = event.step_succeeded_details() {
        return result(d.result().and_then(|r| r.payload()));
    }
    if let Some(d) = event.step_failed_details() {
        let error = error_text(d.error().and_then(|e| e.payload()));
        return Some(match d.retry_details() {
            Some(retry) => match retry.next_attempt_delay_seconds() {
                Some(delay) => format!(
                    "{error} (attempt {}, retry in {delay}s)",
                    retry.current_attempt()
                ),
                None => format!("{error} (attempt {})", retry.current_attempt()),
            },
            None => error,
        });
    }
    if let Some(d) = event.wait_started_details() {
        return Some(format!("for {}s", d.duration()));
    }
    if event.callback_started_details().is_some() {
        return Some("waiting for the callback".into());
    }
    if let Some(d) = event.callback_succeeded_details() {
        return result(d.result().and_then(|r| r.payload()));
    }
    if let Some(d) = event.callback_failed_details() {
        return Some(error_text(d.error().and_then(|e| e.payload())));
    }
    if let Some(d) = event.callback_timed_out_details() {
        return Some(error_text(d.error().and_then(|e| e.payload())));
    }
    if let Some(d) = event.context_succeeded_details() {
        return result(d.result().and_then(|r| r.payload()));
    }
    if let Some(d) = event.context_failed_details() {
        return Some(error_text(d.error().and_then(|e| e.payload())));
    }
    if let Some(d) = event.execution_succeeded_details() {
        return result(d.result().and_then(|r| r.payload()));
    }
    if let Some(d) = event.execution_failed_details() {
        return Some(error_text(d.error().and_then(|e| e.payload())));
    }
    if let Some(d) = event.execution_stopped_details() {
        return Some(error_text(d.error().and_then(|e| e.payload())));
    }
    if let Some(d) = event.execution_timed_out_details() {
        return Some(error_text(d.error().and_then(|e| e.payload())));
    }
    None
}

/// The events in order, each ending event with the time its operation took.
pub fn timeline(events: &[Event]) -> Vec<Entry> {
    let mut started: std::collections::HashMap<String, Timestamp> =
        std::collections::HashMap::new();
    let mut entries = Vec::new();
    for event in events {
        let kind = event
            .event_type()
            .map(|t| t.as_str().to_owned())
            .unwrap_or_default();
        let Some(at) = timestamp(event) else { continue };
        let id = event.id().map(str::to_owned);
        let mut took_ms = None;
        if let Some(id) = &id {
            if kind.ends_with("Started") {
                started.insert(id.clone(), at);
            } else if let Some(start) = started.get(id) {
                took_ms = Some(at.unix_millis() - start.unix_millis());
            }
        }
        entries.push(Entry {
            at,
            name: event
                .name()
                .filter(|_| !kind.starts_with("Execution"))
                .map(str::to_owned),
            took_ms,
            detail: detail(event),
            event: kind,
        });
    }
    entries
}

fn seconds(ms: i64) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

/// The timeline; every cell made safe (payloads and errors are anyone's text).
pub fn table(entries: &[Entry]) -> Table {
    let mut table = output::new_table();
    table.set_header(["AT", "EVENT", "OPERATION", "TOOK", "DETAIL"]);
    let first = entries
        .first()
        .map(|e| e.at.unix_millis())
        .unwrap_or_default();
    for entry in entries {
        table.add_row(
            [
                format!("+{}", seconds(entry.at.unix_millis() - first)),
                entry.event.clone(),
                entry.name.clone().unwrap_or_default(),
                entry.took_ms.map(seconds).unwrap_or_default(),
                entry.detail.clone().unwrap_or_default(),
            ]
            .map(|cell| output::one_line(&cell).into_owned()),
        );
    }
    table
}

/// The audit trail; every cell made safe (names, comments and reasons are
/// anyone's text).
pub fn audit_table(steps: &[Step]) -> Table {
    let mut table = output::new_table();
    table.set_header(["AT", "WHAT", "BY", "CHANNEL", "DETAIL"]);
    for step in steps {
        let mut detail = Vec::new();
        if let (Happening::Refused, Some(outcome)) = (step.what, step.outcome) {
            let wanted = match outcome {
                hitl_contract::Outcome::Approved => "to approve",
                hitl_contract::Outcome::Rejected => "to reject",
            };
            detail.push(format!(
                "{wanted}: {}",
                step.reason.as_deref().unwrap_or("no reason recorded")
            ));
        }
        if !step.to.is_empty() {
            detail.push(format!("to {}", step.to.join(", ")));
        }
        if let Some(claimed) = &step.claimed_by {
            detail.push(format!("claimed to be {claimed}"));
        }
        if step.evidence == Some(Evidence::Unverified) {
            detail.push("unverified".into());
        }
        if let Some(note) = &step.on_behalf_of {
            detail.push(format!("on behalf of {note}"));
        }
        if let Some(comment) = &step.comment {
            detail.push(format!("comment: {comment}"));
        }
        table.add_row(
            [
                step.at.to_string(),
                step.what.as_str().to_owned(),
                step.by.clone().unwrap_or_default(),
                step.channel
                    .map(|c| c.as_str())
                    .unwrap_or_default()
                    .to_owned(),
                detail.join("; "),
            ]
            .map(|cell| output::one_line(&cell).into_owned()),
        );
    }
    table
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::types::{
        CallbackStartedDetails, CallbackSucceededDetails, EventInput, EventResult, EventType,
        ExecutionStartedDetails, ExecutionSucceededDetails, StepStartedDetails,
        StepSucceededDetails,
    };
    use aws_smithy_types::DateTime;

    use super::*;

    fn event(
        kind: EventType,
        millis: i64,
        id: Option<&str>,
        name: Option<&str>,
    ) -> aws_sdk_lambda::types::builders::EventBuilder {
        Event::builder()
            .event_type(kind)
            .event_timestamp(DateTime::from_millis(1_795_000_000_000 + millis))
            .set_id(id.map(str::to_owned))
            .set_name(name.map(str::to_owned))
    }

    fn payload(text: &str) -> EventResult {
        EventResult::builder()
            .payload(text)
            .truncated(false)
            .build()
    }

    pub fn approval_history() -> Vec<Event> {
        vec![
            event(EventType::ExecutionStarted, 0, Some("exec"), Some("req-1"))
                .execution_started_details(
                    ExecutionStartedDetails::builder()
                        .input(
                            EventInput::builder()
                                .payload(r#"{"approval_id":"req-1","title":"Deploy"}"#)
                                .truncated(false)
                                .build(),
                        )
                        .execution_timeout(3600)
                        .build()
                        .unwrap(),
                )
                .build(),
            event(
                EventType::StepStarted,
                10,
                Some("s1"),
                Some("record-request"),
            )
            .step_started_details(StepStartedDetails::builder().build())
            .build(),
            event(
                EventType::StepSucceeded,
                42,
                Some("s1"),
                Some("record-request"),
            )
            .step_succeeded_details(
                StepSucceededDetails::builder()
                    .result(payload("{\"Recorded\":{}}"))
                    .build(),
            )
            .build(),
            event(EventType::CallbackStarted, 50, Some("c1"), Some("decision"))
                .callback_started_details(
                    CallbackStartedDetails::builder()
                        .callback_id("cb")
                        .build()
                        .unwrap(),
                )
                .build(),
            event(EventType::InvocationCompleted, 60, None, None).build(),
            event(
                EventType::CallbackSucceeded,
                95_050,
                Some("c1"),
                Some("decision"),
            )
            .callback_succeeded_details(
                CallbackSucceededDetails::builder()
                    .result(payload("{\"decided_by\":\"bob\"}"))
                    .build(),
            )
            .build(),
            event(
                EventType::ExecutionSucceeded,
                95_100,
                Some("exec"),
                Some("req-1"),
            )
            .execution_succeeded_details(
                ExecutionSucceededDetails::builder()
                    .result(payload("{\"status\":\"APPROVED\"}"))
                    .build(),
            )
            .build(),
        ]
    }

    #[test]
    fn ending_events_carry_their_duration() {
        let entries = timeline(&approval_history());
        assert_eq!(entries.len(), 7);
        assert_eq!(entries[2].took_ms, Some(32), "record-request took 32 ms");
        assert_eq!(
            entries[5].took_ms,
            Some(95_000),
            "the decision came 95 s after the callback"
        );
        assert_eq!(
            entries[0].name, None,
            "the execution's name is the approval id; not repeated"
        );
        assert_eq!(
            entries[5].detail.as_deref(),
            Some("result: {\"decided_by\":\"bob\"}")
        );
    }

    #[test]
    fn timeline_snapshot() {
        let mut table = table(&timeline(&approval_history()));
        table.set_width(120).force_no_tty();
        insta::assert_snapshot!(table.to_string());
    }

    #[test]
    fn no_escape_sequence_reaches_the_timeline() {
        use aws_sdk_lambda::types::{ErrorObject, EventError, ExecutionFailedDetails};
        for text in crate::fixtures::CORPUS {
            let failed = event(EventType::ExecutionFailed, 200, Some("exec"), Some(text))
                .execution_failed_details(
                    ExecutionFailedDetails::builder()
                        .error(
                            EventError::builder()
                                .payload(ErrorObject::builder().error_message(text).build())
                                .build(),
                        )
                        .build(),
                )
                .build();
            let mut events = approval_history();
            events.push(failed);
            let mut entries = timeline(&events);
            entries.push(Entry {
                at: entries[0].at,
                event: text.into(),
                name: Some(text.into()),
                took_ms: None,
                detail: Some(text.into()),
            });
            let shown = table(&entries).to_string();
            assert_eq!(crate::fixtures::raw_control(&shown), None, "{shown:?}");
        }
    }

    /// A 2-of-3 request: one approval by CLI, the requester refused, the
    /// closing approval through a link; every text field attacker-written.
    fn audited(text: &str) -> hitl_contract::ApprovalRecord {
        use hitl_contract::{Approval, Channel, Outcome, Refusal};
        let at = |minutes: u64| {
            Timestamp::parse(crate::fixtures::CREATED)
                .unwrap()
                .plus(std::time::Duration::from_secs(minutes * 60))
        };
        let mut record = crate::fixtures::record("apr-1", hitl_contract::Status::Approved);
        record.requester = "arn:aws:iam::123456789012:user/alice@example.com".into();
        record.audit.requester_evidence = Evidence::Sts;
        record.decided_by = Some("carol@example.com".into());
        record.decided_at = Some(at(30));
        record.audit.decision_evidence = Some(Evidence::ApprovalLink);
        record.audit.approvals = vec![
            Approval {
                by: "arn:aws:iam::123456789012:user/bob".into(),
                evidence: Evidence::Sts,
                at: at(10),
                comment: Some(text.into()),
                on_behalf_of: Some("ops team".into()),
            },
            Approval {
                by: "carol@example.com".into(),
                evidence: Evidence::ApprovalLink,
                at: at(30),
                comment: None,
                on_behalf_of: None,
            },
        ];
        record.audit.refusals = vec![Refusal {
            at: at(20),
            outcome: Outcome::Approved,
            principal: Some(record.requester.clone()),
            claimed_by: Some(text.into()),
            reason: "its sender requested it, and this stack does not allow self-approval".into(),
            channel: Some(Channel::Cli),
            comment: None,
        }];
        // Carol was escalated to, and closed it.
        record.escalation = Some(hitl_contract::escalation::Escalation {
            after_seconds: 25 * 60,
            to: vec!["carol@example.com".into()],
        });
        record.escalated = Some(at(25));
        record
    }

    #[test]
    fn audit_trail_snapshot() {
        let mut table = audit_table(&trail(&audited("looks good")));
        table.set_width(160).force_no_tty();
        insta::assert_snapshot!(table.to_string());
    }

    #[test]
    fn no_escape_sequence_reaches_the_audit_trail() {
        for text in crate::fixtures::CORPUS {
            let shown = audit_table(&trail(&audited(text))).to_string();
            assert_eq!(crate::fixtures::raw_control(&shown), None, "{shown:?}");
        }
    }

    #[test]
    fn long_payloads_are_cut() {
        assert_eq!(shorten("abcdef", 3), "abc…");
        assert_eq!(shorten("abc", 3), "abc");
    }
}
