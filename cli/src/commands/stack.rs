//! `hitl stack`: the stack's resolved outputs and where they came from.

use comfy_table::Table;
use hitl_contract::Timestamp;
use serde::Serialize;

use crate::app::App;
use crate::duration::human;
use crate::output;
use crate::stack_cache::{Resolved, Source, TTL};

#[derive(Debug, Serialize)]
struct View<'a> {
    stack: &'a str,
    region: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<&'a str>,
    source: Source,
    fetched_at: Timestamp,
    age_seconds: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_file: Option<String>,
    outputs: &'a std::collections::BTreeMap<String, String>,
}

pub fn run(app: &App) -> anyhow::Result<()> {
    let now = Timestamp::now();
    output::one(app.output, &view(&app.resolved, now), || {
        output::line(table(&app.resolved, now))
    })
}

fn view(resolved: &Resolved, now: Timestamp) -> View<'_> {
    let entry = &resolved.entry;
    View {
        stack: &entry.stack,
        region: &entry.region,
        account: entry.account.as_deref(),
        source: resolved.source,
        fetched_at: entry.fetched_at,
        age_seconds: entry.fetched_at.seconds_until(now),
        cache_file: resolved
            .cache_file
            .as_ref()
            .map(|p| p.display().to_string()),
        outputs: &entry.outputs,
    }
}

fn table(resolved: &Resolved, now: Timestamp) -> Table {
    let view = view(resolved, now);
    let mut table = output::new_table();
    let age = std::time::Duration::from_secs(view.age_seconds);
    let source = match view.source {
        Source::Cache => format!(
            "cache, fetched {} ago (kept {}; --refresh asks CloudFormation)",
            human(age),
            human(TTL)
        ),
        Source::DescribeStacks => "DescribeStacks, just now".to_owned(),
    };
    let mut rows = vec![
        ("Stack", view.stack.to_owned()),
        ("Region", view.region.to_owned()),
        ("Account", view.account.unwrap_or("unknown").to_owned()),
        ("Source", source),
    ];
    if let Some(file) = view.cache_file {
        rows.push(("Cache file", file));
    }
    for (key, value) in rows {
        table.add_row([key.to_owned(), output::one_line(&value).into_owned()]);
    }
    for (key, value) in view.outputs {
        table.add_row([
            format!("Output {}", output::one_line(key)),
            output::one_line(value).into_owned(),
        ]);
    }
    table
}
