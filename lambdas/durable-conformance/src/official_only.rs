//! The conformance workflows for operations hitl-durable does not have:
//! parallel branches with a completion rule, a map of callbacks of which K
//! must succeed, and a chained invoke. They are the shapes reminders
//! (a timer raced against the decision), approver quorum and approvals
//! inside other workflows will take, so they are judged now, on AWS's
//! official Rust SDK only (`src/official.rs`). Their Python twins are in
//! `python_workflows.py`; keep names, order and results in step.

use std::time::Duration;

use aws_durable_execution_sdk::builders::map_parallel::CompletionConfig;
use aws_durable_execution_sdk::{BoxError, Branch, DurableContext};
use serde_json::{json, Value};

use crate::workflows::Text;

/// The approvers of the quorum workflow, of whom two must answer.
pub const QUORUM_APPROVERS: [&str; 3] = ["bob", "carol", "dave"];

/// The workflows of this module, or None when `workflow` is not one of them.
pub async fn run(workflow: &str, ctx: DurableContext) -> Option<Result<Value, BoxError>> {
    Some(match workflow {
        "race_timer_wins" => race(ctx, 2).await,
        "race_callback_wins" => race(ctx, 300).await,
        "quorum_2_of_3" => quorum(ctx).await,
        "chained_invoke" => chained_invoke(ctx).await,
        _ => return None,
    })
}

/// A timer raced against a callback: the first branch to succeed ends the
/// race, and the loser stays open (as a reminder loop would leave it).
async fn race(ctx: DurableContext, timer_seconds: u64) -> Result<Value, BoxError> {
    let branches = vec![
        Branch::new("timer", move |child: DurableContext| async move {
            child
                .wait(Duration::from_secs(timer_seconds))
                .name("reminder-due")
                .await?;
            Ok("timer".to_owned())
        }),
        Branch::new("decision", |child: DurableContext| async move {
            let callback = child
                .create_callback::<String>()
                .name("approval")
                .serdes(Text)
                .timeout(Duration::from_secs(600))
                .await?;
            Ok(callback.result().await?)
        }),
    ];
    let batch = ctx
        .parallel(branches)
        .name("race")
        .completion(CompletionConfig::with_min_successful(1))
        .await_batch()
        .await?;
    Ok(json!(batch.results()))
}

/// One callback per approver; the map ends once two have succeeded.
async fn quorum(ctx: DurableContext) -> Result<Value, BoxError> {
    let approvers: Vec<String> = QUORUM_APPROVERS.iter().map(|a| (*a).to_owned()).collect();
    let batch = ctx
        .map(approvers, |child, approver: String, _| async move {
            let callback = child
                .create_callback::<String>()
                .name(format!("approval-{approver}"))
                .serdes(Text)
                .timeout(Duration::from_secs(600))
                .await?;
            Ok(callback.result().await?)
        })
        .name("quorum")
        .item_namer(|index| format!("approver-{}", QUORUM_APPROVERS[index]))
        .completion(CompletionConfig::with_min_successful(2))
        .await_batch()
        .await?;
    Ok(json!(batch.results()))
}

/// Another durable function called as one operation: the Python twin's
/// `steps_only`, whichever runtime calls it, so the results compare.
async fn chained_invoke(ctx: DurableContext) -> Result<Value, BoxError> {
    let result: Value = ctx
        .invoke::<Value, _>(
            "durable-conformance-python",
            json!({ "workflow": "steps_only" }),
        )
        .name("child")
        .await?;
    Ok(json!({ "child": result }))
}
