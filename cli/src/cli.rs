//! The command line: every flag and subcommand of `hitl`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::parse_duration;

/// Human approvals for AWS Lambda durable functions.
///
/// Credentials, region and endpoints come from the standard AWS settings
/// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>, ~/.aws/config).
#[derive(Debug, Parser)]
#[command(name = "hitl", version, about, after_help = crate::exit::help())]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// What `hitl --version` prints after the name: the package version, then
/// the commit when built from a git checkout (`0.1.0 (5fa132b 2026-12-03)`;
/// see build.rs).
pub fn build_version() -> &'static str {
    static VERSION: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    VERSION.get_or_init(|| {
        let package = env!("CARGO_PKG_VERSION");
        match (option_env!("HITL_COMMIT"), option_env!("HITL_COMMIT_DATE")) {
            (Some(commit), Some(date)) => format!("{package} ({commit} {date})"),
            (Some(commit), None) => format!("{package} ({commit})"),
            (None, _) => package.to_owned(),
        }
    })
}

impl Cli {
    /// The command line the binary parses. `Cli::command()` itself keeps the
    /// plain package version: the man page (its VERSION section) and the help
    /// snapshots are generated from it and must not change with every commit.
    pub fn command_with_build_version() -> clap::Command {
        <Self as clap::CommandFactory>::command().version(build_version())
    }

    /// `Cli::parse()`, with the commit in `--version`.
    pub fn parse_with_build_version() -> Self {
        let mut command = Self::command_with_build_version();
        let matches = command.get_matches_mut();
        <Self as clap::FromArgMatches>::from_arg_matches(&matches)
            .unwrap_or_else(|err| err.format(&mut command).exit())
    }
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// CloudFormation stack that runs the approval workflow.
    #[arg(
        long,
        global = true,
        env = "HITL_STACK",
        hide_env_values = true,
        default_value = "hitl",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub stack: String,
    /// Output format; `table` on a terminal, `json` otherwise; `jsonl` puts
    /// one object per line.
    #[arg(
        long,
        short,
        global = true,
        value_enum,
        env = "HITL_OUTPUT",
        hide_env_values = true
    )]
    pub output: Option<OutputFormat>,
    /// AWS profile to use (as AWS_PROFILE).
    #[arg(long, global = true)]
    pub profile: Option<String>,
    /// AWS region to use (as AWS_REGION).
    #[arg(long, global = true)]
    pub region: Option<String>,
    /// Read the stack's outputs from CloudFormation, not from the cache
    /// (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or
    /// ~/.cache/hitl).
    #[arg(long, global = true)]
    pub refresh: bool,
    /// How tables show times.
    #[arg(
        long,
        global = true,
        value_enum,
        env = "HITL_TIME_FORMAT",
        hide_env_values = true,
        default_value_t
    )]
    pub time_format: crate::output::TimeFormat,
    /// Log each AWS request to stderr (-v); -vv adds the SDK's internals.
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Json,
    /// One JSON object per line (lists and streams).
    Jsonl,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Submit a request for approval: starts a durable workflow execution.
    Submit(SubmitArgs),
    /// List approval requests, newest first.
    List(ListArgs),
    /// Show one request and its execution.
    Show(ShowArgs),
    /// The request's durable execution as a timeline of events, or its
    /// audit trail (--audit).
    History(HistoryArgs),
    /// Approve a pending request.
    Approve(ApproveArgs),
    /// Reject a pending request.
    Reject(RejectArgs),
    /// Cancel a pending request and stop its execution.
    Cancel(CancelArgs),
    /// Send a heartbeat to a pending request's callback (for callbacks with a
    /// heartbeat timeout).
    Heartbeat(HeartbeatArgs),
    /// Wait until a request is decided; the exit code tells the outcome.
    Wait(WaitArgs),
    /// The functions' logs from CloudWatch Logs, merged in time order.
    TailLogs(TailLogsArgs),
    /// The stack's resolved outputs and where they came from.
    Stack,
    /// Check credentials, region, stack, outputs, function, table and log
    /// group; says what to fix. Exits 8 when a check fails.
    Doctor,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Args)]
pub struct SubmitArgs {
    /// What is to be approved, in one line.
    #[arg(long)]
    pub title: String,
    /// More about the request.
    #[arg(long)]
    pub description: Option<String>,
    /// An amount, as a non-negative decimal (e.g. 1250.50).
    #[arg(long, allow_negative_numbers = true)]
    pub amount: Option<String>,
    /// Whom you ask for: a note kept beside your AWS identity, which is the
    /// requester the workflow records.
    #[arg(long, value_name = "NAME")]
    pub requester: Option<String>,
    /// A JSON file with free-form details to store with the request.
    #[arg(long, value_name = "FILE")]
    pub details_file: Option<PathBuf>,
    /// How long approvers have, e.g. 30m, 24h, 7d [default: the stack's
    /// DefaultRequestTimeoutSeconds]
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// Who may decide, comma-separated: principal ARNs, role ARNs (any
    /// session of the role) and email addresses, all within the stack's
    /// Approvers [default: the stack's]
    #[arg(long, value_delimiter = ',', value_name = "APPROVER")]
    pub approvers: Vec<String>,
    /// How many distinct approvals close the request; any one rejection
    /// rejects it [default: the stack's RequiredApprovals, which is also the
    /// least]
    #[arg(long, value_name = "N")]
    pub required: Option<u32>,
    /// When to remind approvers who have not decided: times before the
    /// deadline, comma-separated (e.g. 2h,30m), or `none` [default: the
    /// stack's ReminderSchedule]
    #[arg(long, value_name = "TIMES", value_parser = parse_reminders)]
    pub remind: Option<Reminders>,
    /// Escalate the request if it is still pending this long after it is
    /// made (e.g. 4h), or `none` [default: the stack's EscalateAfter]
    #[arg(long, value_name = "DURATION", value_parser = parse_escalate_after)]
    pub escalate_after: Option<EscalateAfter>,
    /// Whom to escalate to, comma-separated: approvers (email addresses,
    /// principal or role ARNs, within the stack's Approvers), added to the
    /// request's approvers, and SNS topic ARNs (among the stack's
    /// EscalationTopics), told [default: the stack's EscalateTo]
    #[arg(long, value_delimiter = ',', value_name = "TARGET", value_parser = escalation_target)]
    pub escalate_to: Vec<String>,
    /// The request's id (letters, digits, - and _); generated when absent.
    #[arg(long)]
    pub id: Option<String>,
    /// Then wait until the request is decided, as `hitl wait` does.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFilter {
    Pending,
    Approved,
    Rejected,
    Expired,
    Cancelled,
    All,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Which requests to list.
    #[arg(long, value_enum, default_value = "pending")]
    pub status: StatusFilter,
    /// Only requests from this requester (an ARN), or submitted on their
    /// behalf (`submit --requester`).
    #[arg(long)]
    pub requester: Option<String>,
    /// Only requests created within this long (e.g. 2h, 7d).
    #[arg(long, value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// At most this many requests, newest first.
    #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
    pub limit: Option<usize>,
    /// Check each request against its durable execution, on every published
    /// version of the workflow: flags pending requests whose execution has
    /// ended and executions that have no request.
    #[arg(long)]
    pub executions: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The approval id.
    #[arg(value_parser = approval_id)]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// The approval id.
    #[arg(value_parser = approval_id)]
    pub id: String,
    /// The request's audit trail instead: who asked, every decision counted
    /// or refused (and why), and how it closed, from the record alone.
    #[arg(long)]
    pub audit: bool,
}

#[derive(Debug, Args)]
pub struct DeciderArgs {
    /// The approval ids (one or more).
    #[arg(required_unless_present = "all", conflicts_with = "all", value_parser = approval_id)]
    pub ids: Vec<String>,
    /// Every pending request (narrowed by --requester and --since).
    #[arg(long)]
    pub all: bool,
    /// With --all: only requests from this requester.
    #[arg(long, requires = "all")]
    pub requester: Option<String>,
    /// With --all: only requests created within this long (e.g. 2h).
    #[arg(long, requires = "all", value_parser = parse_duration)]
    pub since: Option<Duration>,
    /// Do not ask for confirmation before deciding several requests.
    #[arg(long, short)]
    pub yes: bool,
    /// How many requests to decide at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Whom you decide for: a note kept beside your AWS identity, which is
    /// who the workflow records as the decider.
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,
}

#[derive(Debug, Args)]
pub struct ApproveArgs {
    #[command(flatten)]
    pub decider: DeciderArgs,
    /// A comment stored with the approval.
    #[arg(long)]
    pub comment: Option<String>,
}

#[derive(Debug, Args)]
pub struct RejectArgs {
    #[command(flatten)]
    pub decider: DeciderArgs,
    /// Why the request is rejected.
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FunctionFilter {
    /// The durable workflow.
    Workflow,
    /// The approval page behind the notification links.
    Api,
    /// The submit function behind the IAM-authorised submit URL.
    Submit,
    All,
}

#[derive(Debug, Args)]
pub struct TailLogsArgs {
    /// Start this long ago (15m, 2h) or at this time (RFC 3339).
    #[arg(long, default_value = "10m")]
    pub since: String,
    /// Keep printing new lines until interrupted.
    #[arg(long, short)]
    pub follow: bool,
    /// A CloudWatch Logs filter pattern.
    #[arg(long)]
    pub filter: Option<String>,
    /// Only the lines about this approval request.
    #[arg(long, value_name = "ID", value_parser = approval_id)]
    pub approval: Option<String>,
    /// Which function's logs.
    #[arg(long, value_enum, default_value = "all")]
    pub function: FunctionFilter,
    /// No colours (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,
}

#[derive(Debug, Args)]
pub struct WaitArgs {
    /// The approval id.
    #[arg(value_parser = approval_id)]
    pub id: String,
    /// Give up after this long (e.g. 10m); by default wait until the request ends.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
}

#[derive(Debug, Args)]
pub struct HeartbeatArgs {
    /// The approval id.
    #[arg(value_parser = approval_id)]
    pub id: String,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The approval id.
    #[arg(value_parser = approval_id)]
    pub id: String,
    /// Why the request is withdrawn.
    #[arg(long)]
    pub reason: Option<String>,
    /// Whom you cancel for: a note kept beside your AWS identity, which is
    /// who the record names as the canceller.
    #[arg(long = "as", value_name = "NAME")]
    pub as_name: Option<String>,
}

/// `--remind`: seconds before the deadline, earliest reminder first;
/// empty for none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminders(pub Vec<u64>);

fn parse_reminders(text: &str) -> Result<Reminders, String> {
    use hitl_contract::reminder::{offsets, parse_schedule, Before};
    let schedule = parse_schedule(text)?;
    if schedule.iter().any(|b| matches!(b, Before::Percent(_))) {
        return Err(format!(
            "`{text}`: give times before the deadline, such as 2h,30m (shares of the timeout are for the stack's ReminderSchedule)"
        ));
    }
    Ok(Reminders(offsets(&schedule, std::time::Duration::MAX)))
}

/// `--escalate-after`: seconds after the request is made; 0 for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EscalateAfter(pub u64);

fn parse_escalate_after(text: &str) -> Result<EscalateAfter, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(EscalateAfter(0));
    }
    Ok(EscalateAfter(parse_duration(text)?.as_secs()))
}

fn escalation_target(text: &str) -> Result<String, String> {
    let text = text.trim();
    match hitl_contract::escalation::Target::parse(text) {
        Some(_) => Ok(text.to_owned()),
        None => Err(format!(
            "`{text}` is neither an approver (an email address, arn:aws:iam::ACCOUNT:user/NAME, a role ARN) nor an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
        )),
    }
}

/// An approval id as `hitl submit` and the workflow accept them: anything
/// else cannot name a request, so it is refused before any AWS call.
fn approval_id(text: &str) -> Result<String, String> {
    if hitl_contract::payload::is_valid_approval_id(text) {
        Ok(text.to_owned())
    } else {
        let shown: String = text.chars().take(80).collect();
        let more = if shown.len() < text.len() { "..." } else { "" };
        Err(hitl_contract::ValidationError::ApprovalId(format!("{shown}{more}")).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn version_names_the_commit_it_was_built_from() {
        let parsed = Cli::command_with_build_version().try_get_matches_from(["hitl", "--version"]);
        let shown = match parsed {
            Err(err) if err.kind() == clap::error::ErrorKind::DisplayVersion => err.to_string(),
            other => panic!("--version did not print the version: {other:?}"),
        };
        assert!(
            shown.starts_with(concat!("hitl ", env!("CARGO_PKG_VERSION"))),
            "{shown}"
        );
        if let Some(commit) = option_env!("HITL_COMMIT") {
            assert!(shown.contains(commit), "{shown} lacks {commit}");
        }
        // What the man page and help snapshots are rendered from: no commit.
        let plain = Some(env!("CARGO_PKG_VERSION"));
        assert_eq!(Cli::command().get_version(), plain);
    }

    /// Help texts are interface: a change shows up in review as a snapshot diff.
    #[test]
    fn help_texts() {
        let mut top = Cli::command().term_width(100);
        top.build();
        insta::assert_snapshot!("help", top.render_long_help().to_string());
        for sub in top.get_subcommands() {
            let mut sub = sub.clone().term_width(100);
            let text = sub.render_long_help().to_string();
            insta::assert_snapshot!(format!("help_{}", sub.get_name()), text);
        }
    }
}
