//! template.yaml's operator policies against what each `hitl` command
//! calls: every policy allows exactly the actions of its commands, no fewer
//! (a command would fail) and no more (least privilege).
//!
//! `CALLS` is the one list of the AWS actions each command makes, read from
//! the CLI's code (`cli/src/commands/*.rs`, and `hitl-approvals`' store
//! and decider they use). Add to it when a command makes a new call.

use std::collections::BTreeSet;

use serde_yaml::Value;

/// What every command calls first: DescribeStacks, to find the stack.
const FIND_THE_STACK: &str = "cloudformation:DescribeStacks";

/// The AWS actions each command calls, besides [`FIND_THE_STACK`].
/// (STS `GetCallerIdentity` needs no permission.)
const CALLS: &[(&str, &[&str])] = &[
    (
        "submit",
        &[
            "dynamodb:GetItem",
            "lambda:PublishVersion",
            "lambda:InvokeFunction",
            // --wait: whether the execution refused the request
            "lambda:GetDurableExecution",
        ],
    ),
    // Not a `hitl` command: a request over HTTPS to the stack's SubmitUrl
    // (README, "Submit over HTTPS"); the function URL needs both actions.
    (
        "submit over HTTPS",
        &["lambda:InvokeFunctionUrl", "lambda:InvokeFunction"],
    ),
    ("list", &["dynamodb:Query"]),
    (
        "list --executions",
        &[
            "dynamodb:Query",
            "dynamodb:GetItem",
            "lambda:ListVersionsByFunction",
            "lambda:ListDurableExecutionsByFunction",
        ],
    ),
    ("show", &["dynamodb:GetItem", "lambda:GetDurableExecution"]),
    (
        "wait",
        &["dynamodb:GetItem", "lambda:GetDurableExecutionHistory"],
    ),
    // `cancel` also tries `lambda:SendDurableExecutionCallbackFailure`, so
    // the workflow closes and announces the cancellation, and stops the
    // execution when that is refused: RequesterPolicy leaves it out on
    // purpose (README, "When a request closes").
    (
        "cancel",
        &[
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
            "lambda:StopDurableExecution",
            "lambda:GetDurableExecution",
        ],
    ),
    (
        "approve",
        &[
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "lambda:SendDurableExecutionCallbackSuccess",
            "lambda:GetDurableExecutionHistory",
        ],
    ),
    (
        "reject",
        &[
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:UpdateItem",
            "lambda:SendDurableExecutionCallbackFailure",
            "lambda:GetDurableExecutionHistory",
        ],
    ),
    (
        "heartbeat",
        &[
            "dynamodb:GetItem",
            "lambda:SendDurableExecutionCallbackHeartbeat",
            "lambda:GetDurableExecutionHistory",
        ],
    ),
    (
        "history",
        &["dynamodb:GetItem", "lambda:GetDurableExecutionHistory"],
    ),
    ("history --audit", &["dynamodb:GetItem"]),
    (
        "tail-logs",
        &[
            "dynamodb:GetItem",
            "lambda:GetDurableExecutionHistory",
            "logs:FilterLogEvents",
        ],
    ),
];

/// Each policy and the commands it is for (the README says the same).
const POLICIES: &[(&str, &[&str])] = &[
    (
        "RequesterPolicy",
        &[
            "submit",
            "submit over HTTPS",
            "list",
            "show",
            "wait",
            "cancel",
        ],
    ),
    (
        "ApproverPolicy",
        &["list", "show", "approve", "reject", "heartbeat"],
    ),
    (
        "AuditorPolicy",
        &[
            "list",
            "list --executions",
            "show",
            "wait",
            "history",
            "history --audit",
            "tail-logs",
        ],
    ),
];

/// The actions a policy's statements allow, with its customer-key
/// statement (which only applies with `KmsKeyArn`) left out.
fn allowed(template: &Value, policy: &str) -> BTreeSet<String> {
    let statements = template["Resources"][policy]["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .unwrap_or_else(|| panic!("template.yaml has no policy {policy}"));
    statements
        .iter()
        .flat_map(|statement| crate::least_privilege::strings(statement.get("Action")))
        .collect()
}

fn needed(commands: &[&str]) -> BTreeSet<String> {
    let mut actions = BTreeSet::from([FIND_THE_STACK.to_owned()]);
    for command in commands {
        let (_, calls) = CALLS
            .iter()
            .find(|(name, _)| name == command)
            .unwrap_or_else(|| panic!("no calls listed for `hitl {command}`"));
        actions.extend(calls.iter().map(|a| (*a).to_owned()));
    }
    actions
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paths::Paths;

    #[test]
    fn each_operator_policy_allows_exactly_what_its_commands_call() {
        let path = Paths::discover().repo.join("template.yaml");
        let template: Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for (policy, commands) in POLICIES {
            let allowed = allowed(&template, policy);
            let needed = needed(commands);
            let missing: Vec<_> = needed.difference(&allowed).collect();
            let extra: Vec<_> = allowed.difference(&needed).collect();
            assert!(
                missing.is_empty() && extra.is_empty(),
                "{policy} (for {commands:?}) misses {missing:?} and allows beyond them {extra:?}"
            );
        }
    }

    #[test]
    fn every_command_an_operator_runs_has_a_policy() {
        for (command, _) in CALLS {
            assert!(
                POLICIES
                    .iter()
                    .any(|(_, commands)| commands.contains(command)),
                "no operator policy covers `hitl {command}`"
            );
        }
    }
}
