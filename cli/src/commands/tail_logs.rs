//! `hitl tail-logs`: the functions' CloudWatch Logs, merged in time order.

use std::collections::{HashSet, VecDeque};
use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use hitl_contract::Timestamp;
use serde::Serialize;

use crate::app::App;
use crate::cli::{FunctionFilter, OutputFormat, TailLogsArgs};
use crate::duration::parse_duration;
use crate::exit::InvalidInput;
use crate::output;

/// How far back `--follow` looks again on every poll: CloudWatch Logs makes
/// events searchable a little after their timestamp, so a window that only
/// moved forward would miss late ones. Seen ids are skipped.
const FOLLOW_OVERLAP: Duration = Duration::from_secs(10);
const FOLLOW_EVERY: Duration = Duration::from_millis(500);

/// One log line, with the function it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Line {
    pub timestamp: Timestamp,
    pub function: String,
    pub message: String,
    #[serde(skip)]
    pub event_id: String,
}

/// `15m`, `2h` (that long ago) or an RFC 3339 time.
pub fn parse_since(text: &str, now: Timestamp) -> Result<Timestamp, String> {
    if let Ok(at) = Timestamp::parse(text) {
        return Ok(at);
    }
    let ago = parse_duration(text).map_err(|_| {
        format!("`{text}` is neither a duration (15m, 2h) nor a time (2026-11-22T10:00:00Z)")
    })?;
    Timestamp::from_unix_millis(
        now.unix_millis() - i64::try_from(ago.as_millis()).unwrap_or(i64::MAX),
    )
    .ok_or_else(|| format!("`{text}` reaches too far back"))
}

/// How many `--follow` polls between re-reads of the execution's history
/// (new invocations bring new request ids).
const HISTORY_EVERY_POLLS: u32 = 10;

/// A filter pattern for one approval's lines: its id, or the request id of
/// any of its invocations (CloudWatch's `?term` alternatives).
fn approval_pattern(id: &str, request_ids: &[String]) -> String {
    let quoted = |term: &str| format!("\"{}\"", term.replace('"', ""));
    if request_ids.is_empty() {
        return quoted(id);
    }
    std::iter::once(id)
        .chain(request_ids.iter().map(String::as_str))
        .map(|term| format!("?{}", quoted(term)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The request ids of the invocations of a request's execution, as its
/// history's InvocationCompleted events list them. Lines that carry only a
/// request id (Lambda's START/END/REPORT, a crash) belong to the request too.
async fn invocation_request_ids(app: &App, approval_id: &str) -> anyhow::Result<Vec<String>> {
    let Some(arn) = app
        .store()
        .get(approval_id)
        .await?
        .and_then(|record| record.execution_arn)
    else {
        return Ok(Vec::new());
    };
    let events = crate::commands::history::fetch(&app.lambda(), &arn)
        .await
        .with_context(|| format!("reading the history of execution {arn}"))?;
    Ok(request_ids(&events))
}

fn request_ids(events: &[aws_sdk_lambda::types::Event]) -> Vec<String> {
    let mut ids: Vec<String> = events
        .iter()
        .filter_map(|e| e.invocation_completed_details())
        .map(|d| d.request_id().to_owned())
        .filter(|id| !id.is_empty())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

pub async fn run(app: &App, args: TailLogsArgs) -> anyhow::Result<()> {
    let since = parse_since(&args.since, Timestamp::now()).map_err(InvalidInput)?;
    let groups = groups(&app.stack, args.function);
    if groups.is_empty() {
        return Err(crate::stack::StackError::MissingOutput {
            stack: app.stack.name.clone(),
            key: hitl_contract::outputs::SUBMIT_LOG_GROUP,
        }
        .into());
    }
    if args.filter.is_some() && args.approval.is_some() {
        return Err(InvalidInput("use --filter or --approval, not both".into()).into());
    }
    let mut pattern = match &args.approval {
        Some(id) => Some(approval_pattern(
            id,
            &invocation_request_ids(app, id).await?,
        )),
        None => args.filter.clone(),
    };
    let mut polls = 0u32;
    let client = aws_sdk_cloudwatchlogs::Client::new(&app.config);
    let style = Style::for_output(args.no_color);
    let mut seen = Seen::default();
    let mut from = since;
    loop {
        let mut lines = Vec::new();
        for (function, group) in &groups {
            lines.extend(
                fetch(&client, function, group, from, pattern.as_deref())
                    .await
                    .with_context(|| format!("reading log group {group}"))?,
            );
        }
        lines.sort_by_key(|l| l.timestamp);
        for line in lines.into_iter().filter(|l| seen.first_time(&l.event_id)) {
            match app.output {
                // Log lines stream: one object per line in either machine format.
                OutputFormat::Json | OutputFormat::Jsonl => {
                    output::line(serde_json::to_string(&line)?)?
                }
                OutputFormat::Table => output::line(render(&line, style))?,
            }
        }
        if !args.follow {
            return Ok(());
        }
        tokio::time::sleep(FOLLOW_EVERY).await;
        polls += 1;
        if let Some(id) = args
            .approval
            .as_deref()
            .filter(|_| polls.is_multiple_of(HISTORY_EVERY_POLLS))
        {
            pattern = Some(approval_pattern(
                id,
                &invocation_request_ids(app, id).await?,
            ));
        }
        let overlap = i64::try_from(FOLLOW_OVERLAP.as_millis()).unwrap_or(i64::MAX);
        from = Timestamp::from_unix_millis(Timestamp::now().unix_millis() - overlap)
            .unwrap_or(from)
            .max(since);
    }
}

/// The functions' log groups, from the stack's outputs; a stack deployed
/// before the submit function has none for it.
fn groups(stack: &crate::stack::Stack, filter: FunctionFilter) -> Vec<(String, String)> {
    let all = [
        ("workflow", Some(&stack.workflow_log_group)),
        ("api", Some(&stack.api_log_group)),
        ("submit", stack.submit_log_group.as_ref()),
    ];
    all.into_iter()
        .filter(|(name, _)| match filter {
            FunctionFilter::All => true,
            FunctionFilter::Workflow => *name == "workflow",
            FunctionFilter::Api => *name == "api",
            FunctionFilter::Submit => *name == "submit",
        })
        .filter_map(|(name, group)| Some((name.to_owned(), group?.clone())))
        .collect()
}

async fn fetch(
    client: &aws_sdk_cloudwatchlogs::Client,
    function: &str,
    group: &str,
    from: Timestamp,
    pattern: Option<&str>,
) -> anyhow::Result<Vec<Line>> {
    let mut lines = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .filter_log_events()
            .log_group_name(group)
            .start_time(from.unix_millis())
            .set_filter_pattern(pattern.map(str::to_owned))
            .set_next_token(token.clone())
            .send()
            .await
            .map_err(crate::exit::aws_call)?;
        for event in page.events() {
            let (Some(message), Some(at)) = (
                event.message(),
                event.timestamp().and_then(Timestamp::from_unix_millis),
            ) else {
                continue;
            };
            lines.push(Line {
                timestamp: at,
                function: function.to_owned(),
                message: message.trim_end().to_owned(),
                event_id: event
                    .event_id()
                    .map(str::to_owned)
                    .unwrap_or_else(|| format!("{at}{message}")),
            });
        }
        match page.next_token() {
            Some(next) if Some(next) != token.as_deref() => token = Some(next.to_owned()),
            _ => return Ok(lines),
        }
    }
}

/// Event ids already printed; bounded, as `--follow` runs for hours.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    const LIMIT: usize = 100_000;

    fn first_time(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > Self::LIMIT {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Style {
    colour: bool,
}

impl Style {
    /// Colours on a terminal, unless `--no-color` or `NO_COLOR` says otherwise.
    fn for_output(no_color: bool) -> Self {
        let disabled = no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            colour: !disabled && std::io::stdout().is_terminal(),
        }
    }

    fn level(self, level: &str) -> String {
        if !self.colour {
            return format!("{level:<5}");
        }
        let code = match level {
            "ERROR" => "31",
            "WARN" => "33",
            "INFO" => "32",
            "DEBUG" | "TRACE" => "34",
            _ => "0",
        };
        format!("\x1b[{code}m{level:<5}\x1b[0m")
    }
}

/// A line for people: a JSON log line becomes `time function LEVEL message
/// key=value...`; anything else is shown as it is. Either way its text is
/// made safe: JSON's `\u001b` decodes to a real escape character, and a
/// log line holds whatever a request held.
pub fn render(line: &Line, style: Style) -> String {
    let prefix = format!("{} {:<8}", line.timestamp, output::one_line(&line.function));
    let Ok(serde_json::Value::Object(json)) =
        serde_json::from_str::<serde_json::Value>(&line.message)
    else {
        return format!("{prefix} {}", output::one_line(&line.message));
    };
    let level = json.get("level").and_then(|l| l.as_str()).unwrap_or("");
    let fields = json.get("fields").and_then(|f| f.as_object());
    let message = fields
        .and_then(|f| f.get("message"))
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    let mut text = format!(
        "{prefix} {} {}",
        style.level(&output::one_line(level)),
        output::one_line(message)
    );
    for (key, value) in fields
        .into_iter()
        .flatten()
        .filter(|(k, _)| *k != "message")
    {
        let value = value
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| value.to_string());
        text.push_str(&format!(
            " {}={}",
            output::one_line(key),
            output::one_line(&value)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_submit_functions_group_is_tailed_where_the_stack_has_one() {
        let mut stack = crate::stack::Stack {
            name: "hitl".into(),
            table: "t".into(),
            workflow_function: "wf".into(),
            workflow_log_group: "/aws/lambda/wf".into(),
            api_log_group: "/aws/lambda/api".into(),
            submit_log_group: None,
            links_base_url: "https://x/".into(),
            max_request_timeout: std::time::Duration::from_secs(60),
            allow_self_approval: false,
        };
        let names = |stack: &crate::stack::Stack, filter| {
            groups(stack, filter)
                .into_iter()
                .map(|(name, _)| name)
                .collect::<Vec<_>>()
        };
        // A stack deployed before the submit function.
        assert_eq!(names(&stack, FunctionFilter::All), ["workflow", "api"]);
        assert!(names(&stack, FunctionFilter::Submit).is_empty());
        stack.submit_log_group = Some("/aws/lambda/submit".into());
        assert_eq!(
            names(&stack, FunctionFilter::All),
            ["workflow", "api", "submit"]
        );
        assert_eq!(
            groups(&stack, FunctionFilter::Submit)[0].1,
            "/aws/lambda/submit"
        );
    }

    fn line(message: &str) -> Line {
        Line {
            timestamp: Timestamp::parse("2026-11-22T10:00:00.250Z").unwrap(),
            function: "workflow".into(),
            message: message.into(),
            event_id: "1".into(),
        }
    }

    #[test]
    fn json_lines_read_as_sentences() {
        let text = render(
            &line(
                r#"{"timestamp":"x","level":"INFO","fields":{"message":"waiting for a decision","approval_id":"req-1","attempt":2},"target":"approval_workflow::workflow"}"#,
            ),
            Style { colour: false },
        );
        assert_eq!(
            text,
            "2026-11-22T10:00:00.250Z workflow INFO  waiting for a decision approval_id=req-1 attempt=2"
        );
    }

    #[test]
    fn levels_are_coloured_only_when_asked() {
        let coloured = render(
            &line(r#"{"level":"ERROR","fields":{"message":"boom"}}"#),
            Style { colour: true },
        );
        assert!(coloured.contains("\x1b[31mERROR"), "{coloured:?}");
        let plain = render(&line("START RequestId: abc"), Style { colour: true });
        assert_eq!(
            plain,
            "2026-11-22T10:00:00.250Z workflow START RequestId: abc"
        );
    }

    #[test]
    fn no_escape_sequence_reaches_a_log_line() {
        for text in crate::fixtures::CORPUS {
            let json = serde_json::to_string(&serde_json::json!({
                "level": text,
                "fields": { "message": text, "title": text, text: 1, "nested": { "t": text } },
            }))
            .unwrap();
            assert!(!json.contains('\u{1b}'), "JSON escapes ESC as \\u001b");
            for message in [json.as_str(), text] {
                for colour in [false, true] {
                    let shown = render(&line(message), Style { colour });
                    let ours = if colour && message.starts_with('{') {
                        2
                    } else {
                        0
                    };
                    assert_eq!(shown.matches('\u{1b}').count(), ours, "{shown:?}");
                    let rest = shown.replace('\u{1b}', "");
                    assert_eq!(crate::fixtures::raw_control(&rest), None, "{shown:?}");
                    assert!(!shown.contains('\n'), "one line each: {shown:?}");
                }
            }
        }
        let shown = render(
            &line(r#"{"level":"INFO","fields":{"message":"title \u001b[2J"}}"#),
            Style { colour: false },
        );
        assert!(shown.ends_with("INFO  title \\e[2J"), "{shown}");
    }

    #[test]
    fn since_takes_durations_and_times() {
        let now = Timestamp::parse("2026-11-22T10:00:00Z").unwrap();
        assert_eq!(
            parse_since("15m", now).unwrap(),
            Timestamp::parse("2026-11-22T09:45:00Z").unwrap()
        );
        assert_eq!(
            parse_since("2026-11-22T08:00:00Z", now).unwrap(),
            Timestamp::parse("2026-11-22T08:00:00Z").unwrap()
        );
        assert!(parse_since("yesterday", now)
            .unwrap_err()
            .contains("neither a duration"));
    }

    #[test]
    fn followed_ids_are_printed_once_and_memory_stays_bounded() {
        let mut seen = Seen::default();
        assert!(seen.first_time("a"));
        assert!(!seen.first_time("a"));
        for i in 0..Seen::LIMIT + 10 {
            seen.first_time(&i.to_string());
        }
        assert!(seen.ids.len() <= Seen::LIMIT);
    }

    #[test]
    fn approval_ids_are_searched_as_phrases() {
        assert_eq!(approval_pattern("apr-1", &[]), "\"apr-1\"");
    }

    #[test]
    fn the_invocations_request_ids_are_alternatives_to_the_approval_id() {
        use aws_sdk_lambda::types::{Event, EventType, InvocationCompletedDetails};
        use aws_smithy_types::DateTime;
        let invocation = |id: &str| {
            Event::builder()
                .event_type(EventType::InvocationCompleted)
                .invocation_completed_details(
                    InvocationCompletedDetails::builder()
                        .start_timestamp(DateTime::from_secs(1))
                        .end_timestamp(DateTime::from_secs(2))
                        .request_id(id)
                        .build()
                        .unwrap(),
                )
                .build()
        };
        let events = [
            Event::builder()
                .event_type(EventType::ExecutionStarted)
                .build(),
            invocation("7f3a-req-1"),
            invocation("9c1b-req-2"),
            invocation("7f3a-req-1"),
        ];
        let ids = request_ids(&events);
        assert_eq!(ids, ["7f3a-req-1", "9c1b-req-2"]);
        assert_eq!(
            approval_pattern("apr-1", &ids),
            "?\"apr-1\" ?\"7f3a-req-1\" ?\"9c1b-req-2\""
        );
    }
}
