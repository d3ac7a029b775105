//! What both builds of the workflow read from their deployment, and how
//! they log.

use std::sync::Arc;
use std::time::Duration;

use hitl_approvals::ApprovalStore;
use hitl_contract::outputs::env;

use crate::announce::Announcer;
use crate::judge::{Judge, Sts, Verification};
use crate::notify::Notifier;
use crate::workflow::Settings;

pub async fn settings_from_env() -> Result<Settings, lambda_runtime::Error> {
    let table = std::env::var(env::APPROVALS_TABLE).map_err(|_| {
        format!(
            "{} is not set: the function needs the approvals table's name",
            env::APPROVALS_TABLE
        )
    })?;
    let seconds = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .ok_or_else(|| format!("{name} must be a number of seconds"))
    };
    let max = seconds(env::MAX_REQUEST_TIMEOUT_SECONDS)?;
    let default = seconds(env::DEFAULT_REQUEST_TIMEOUT_SECONDS)?;
    let retention = record_retention(std::env::var(env::RECORD_RETENTION_DAYS).ok().as_deref())?;
    let config = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let notifier = match std::env::var(env::NOTIFICATION_TOPIC_ARN) {
        Ok(topic_arn) if !topic_arn.is_empty() => {
            let var = |name: &str| {
                std::env::var(name).map_err(|_| {
                    format!("{name} is not set: notifications need it (see template.yaml)")
                })
            };
            Some(Arc::new(Notifier {
                sns: aws_sdk_sns::Client::new(&config),
                topic_arn,
                links_base_url: var(env::LINKS_BASE_URL)?,
                key: hitl_approvals::links::KeySource::secret(
                    aws_sdk_secretsmanager::Client::new(&config),
                    var(env::LINK_SIGNING_SECRET)?,
                ),
            }))
        }
        _ => None,
    };
    let announcer = match std::env::var(env::EVENT_BUS_NAME) {
        Ok(bus) if !bus.is_empty() => Some(Arc::new(Announcer {
            events: aws_sdk_eventbridge::Client::new(&config),
            bus,
        })),
        _ => None,
    };
    let judge = Arc::new(Judge {
        verification: verification(&config)?,
        allow_self_approval: std::env::var(env::ALLOW_SELF_APPROVAL).is_ok_and(|v| v == "true"),
        notifier: notifier.clone(),
    });
    Ok(Settings {
        policy: stack_policy(
            std::env::var(env::APPROVERS).ok().as_deref(),
            std::env::var(env::REQUIRED_APPROVALS).ok().as_deref(),
        )?,
        store: ApprovalStore::new(aws_sdk_dynamodb::Client::new(&config), table),
        judge,
        max_request_timeout: Duration::from_secs(max),
        default_request_timeout: Duration::from_secs(default),
        record_retention: retention,
        notifier,
        announcer,
        reminders: hitl_contract::reminder::parse_schedule(
            &std::env::var(env::REMINDERS).unwrap_or_default(),
        )
        .map_err(|e| {
            format!(
                "{} is invalid (template parameter ReminderSchedule): {e}",
                env::REMINDERS
            )
        })?,
        escalation: escalation(
            &std::env::var(env::ESCALATE_AFTER).unwrap_or_default(),
            &std::env::var(env::ESCALATE_TO).unwrap_or_default(),
        )?,
        escalation_topics: hitl_contract::escalation::split_targets(
            &std::env::var(env::ESCALATION_TOPICS).unwrap_or_default(),
        ),
    })
}

/// The stack's escalation, from `ESCALATE_AFTER` and `ESCALATE_TO`.
fn escalation(
    after: &str,
    to: &str,
) -> Result<Option<hitl_contract::escalation::Escalation>, String> {
    hitl_contract::escalation::Escalation::from_parameters(after, to).map_err(|e| {
        format!(
            "the stack's escalation ({}, {}: template parameters EscalateAfter, EscalateTo) is invalid: {e}",
            env::ESCALATE_AFTER,
            env::ESCALATE_TO
        )
    })
}

/// Verification is on unless `VERIFY_DECIDERS` is `false`; proofs are sent
/// to the regional STS endpoint, or to the one the deployment names.
fn verification(config: &aws_config::SdkConfig) -> Result<Verification, String> {
    match std::env::var(env::VERIFY_DECIDERS).as_deref() {
        Ok("false") => return Ok(Verification::Off),
        Ok("true") | Err(_) => {}
        Ok(other) => {
            return Err(format!(
                "{} is `{other}`, not true or false (template parameter VerifyDeciders)",
                env::VERIFY_DECIDERS
            ))
        }
    }
    let endpoint = match std::env::var(env::STS_ENDPOINT) {
        Ok(endpoint) if !endpoint.is_empty() => endpoint,
        _ => {
            let region = config.region().ok_or_else(|| {
                "the function has no AWS region, so it cannot tell which STS endpoint to trust"
                    .to_owned()
            })?;
            hitl_contract::proof::regional_endpoint(region.as_ref())
        }
    };
    Ok(Verification::On(Sts::new(endpoint)))
}

/// The stack's approver policy, from `APPROVERS` and `REQUIRED_APPROVALS`.
fn stack_policy(
    approvers: Option<&str>,
    required: Option<&str>,
) -> Result<hitl_contract::ApproverPolicy, String> {
    let required = match required.map(str::trim).filter(|r| !r.is_empty()) {
        None => 1,
        Some(text) => text.parse::<u32>().map_err(|_| {
            format!(
                "{} is `{text}`, not a whole number (template parameter RequiredApprovals)",
                env::REQUIRED_APPROVALS
            )
        })?,
    };
    hitl_contract::ApproverPolicy::from_list(approvers.unwrap_or(""), required).map_err(|e| {
        format!(
            "the stack's approver policy ({}, {}: template parameters Approvers, RequiredApprovals) is invalid: {e}",
            env::APPROVERS,
            env::REQUIRED_APPROVALS
        )
    })
}

/// The audit retention `RECORD_RETENTION_DAYS` names: whole days, at least
/// one; the contract's default when unset.
fn record_retention(days: Option<&str>) -> Result<Duration, String> {
    match days.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(hitl_contract::record::RETENTION_AFTER_EXPIRY),
        Some(days) => match days.parse::<u64>() {
            Ok(days @ 1..=36_525) => Ok(Duration::from_secs(days * 86_400)),
            _ => Err(format!(
                "{} is `{days}`, not a number of days from 1 to 36525 (template parameter RecordRetentionDays)",
                env::RECORD_RETENTION_DAYS
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_is_whole_days_or_the_default() {
        assert_eq!(
            record_retention(Some("365")),
            Ok(Duration::from_secs(365 * 86_400))
        );
        assert_eq!(
            record_retention(None),
            Ok(hitl_contract::record::RETENTION_AFTER_EXPIRY)
        );
        assert_eq!(
            record_retention(Some("")),
            Ok(hitl_contract::record::RETENTION_AFTER_EXPIRY)
        );
        for bad in ["0", "-1", "1.5", "a year", "99999999"] {
            let err = record_retention(Some(bad)).unwrap_err();
            assert!(err.contains("RecordRetentionDays"), "{bad}: {err}");
        }
    }

    #[test]
    fn the_stacks_escalation_is_both_parameters_or_none() {
        assert_eq!(escalation("", ""), Ok(None));
        let stack = escalation("4h", "carol@example.com").unwrap().unwrap();
        assert_eq!(stack.after_seconds, 4 * 3_600);
        for (after, to) in [("4h", ""), ("", "carol@example.com"), ("4h", "carol")] {
            let err = escalation(after, to).unwrap_err();
            assert!(err.contains("EscalateTo"), "{after} {to}: {err}");
        }
    }

    #[test]
    fn the_stack_policy_is_its_two_parameters_or_anyone_once() {
        assert_eq!(
            stack_policy(None, None),
            Ok(hitl_contract::ApproverPolicy::default())
        );
        let policy = stack_policy(Some("bob@example.com,carol@example.com"), Some("2")).unwrap();
        assert_eq!((policy.approvers.len(), policy.required), (2, 2));
        for (approvers, required) in [
            ("bob", "1"),
            ("", "0"),
            ("", "two"),
            ("bob@example.com", "2"),
        ] {
            let err = stack_policy(Some(approvers), Some(required)).unwrap_err();
            assert!(
                err.contains("RequiredApprovals"),
                "{approvers} {required}: {err}"
            );
        }
    }
}
