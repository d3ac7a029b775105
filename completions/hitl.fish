# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_hitl_global_optspecs
    string join \n stack= o/output= profile= region= refresh time-format= v/verbose h/help V/version
end

function __fish_hitl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_hitl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_hitl_using_subcommand
    set -l cmd (__fish_hitl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c hitl -n "__fish_hitl_needs_command" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_needs_command" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_needs_command" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_needs_command" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_needs_command" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_needs_command" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_needs_command" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_needs_command" -s V -l version -d 'Print version'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "submit" -d 'Submit a request for approval: starts a durable workflow execution'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "list" -d 'List approval requests, newest first'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "show" -d 'Show one request and its execution'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "history" -d 'The request\'s durable execution as a timeline of events, or its audit trail (--audit)'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "approve" -d 'Approve a pending request'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "reject" -d 'Reject a pending request'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "cancel" -d 'Cancel a pending request and stop its execution'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "heartbeat" -d 'Send a heartbeat to a pending request\'s callback (for callbacks with a heartbeat timeout)'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "wait" -d 'Wait until a request is decided; the exit code tells the outcome'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "tail-logs" -d 'The functions\' logs from CloudWatch Logs, merged in time order'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "stack" -d 'The stack\'s resolved outputs and where they came from'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "doctor" -d 'Check credentials, region, stack, outputs, function, table and log group; says what to fix. Exits 8 when a check fails'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c hitl -n "__fish_hitl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l title -d 'What is to be approved, in one line' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l description -d 'More about the request' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l amount -d 'An amount, as a non-negative decimal (e.g. 1250.50)' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l requester -d 'Whom you ask for: a note kept beside your AWS identity, which is the requester the workflow records' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l details-file -d 'A JSON file with free-form details to store with the request' -r -F
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l timeout -d 'How long approvers have, e.g. 30m, 24h, 7d [default: the stack\'s DefaultRequestTimeoutSeconds]' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l approvers -d 'Who may decide, comma-separated: principal ARNs, role ARNs (any session of the role) and email addresses, all within the stack\'s Approvers [default: the stack\'s]' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l required -d 'How many distinct approvals close the request; any one rejection rejects it [default: the stack\'s RequiredApprovals, which is also the least]' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l remind -d 'When to remind approvers who have not decided: times before the deadline, comma-separated (e.g. 2h,30m), or `none` [default: the stack\'s ReminderSchedule]' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l escalate-after -d 'Escalate the request if it is still pending this long after it is made (e.g. 4h), or `none` [default: the stack\'s EscalateAfter]' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l escalate-to -d 'Whom to escalate to, comma-separated: approvers (email addresses, principal or role ARNs, within the stack\'s Approvers), added to the request\'s approvers, and SNS topic ARNs (among the stack\'s EscalationTopics), told [default: the stack\'s EscalateTo]' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l id -d 'The request\'s id (letters, digits, - and _); generated when absent' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l wait -d 'Then wait until the request is decided, as `hitl wait` does'
complete -c hitl -n "__fish_hitl_using_subcommand submit" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand submit" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand list" -l status -d 'Which requests to list' -r -f -a "pending\t''
approved\t''
rejected\t''
expired\t''
cancelled\t''
all\t''"
complete -c hitl -n "__fish_hitl_using_subcommand list" -l requester -d 'Only requests from this requester (an ARN), or submitted on their behalf (`submit --requester`)' -r
complete -c hitl -n "__fish_hitl_using_subcommand list" -l since -d 'Only requests created within this long (e.g. 2h, 7d)' -r
complete -c hitl -n "__fish_hitl_using_subcommand list" -l limit -d 'At most this many requests, newest first' -r
complete -c hitl -n "__fish_hitl_using_subcommand list" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand list" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand list" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand list" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand list" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand list" -l executions -d 'Check each request against its durable execution, on every published version of the workflow: flags pending requests whose execution has ended and executions that have no request'
complete -c hitl -n "__fish_hitl_using_subcommand list" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand list" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand show" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand show" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand show" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand show" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand show" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand show" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand show" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand history" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand history" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand history" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand history" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand history" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand history" -l audit -d 'The request\'s audit trail instead: who asked, every decision counted or refused (and why), and how it closed, from the record alone'
complete -c hitl -n "__fish_hitl_using_subcommand history" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand history" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand history" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l requester -d 'With --all: only requests from this requester' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l since -d 'With --all: only requests created within this long (e.g. 2h)' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l concurrency -d 'How many requests to decide at once' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l as -d 'Whom you decide for: a note kept beside your AWS identity, which is who the workflow records as the decider' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l comment -d 'A comment stored with the approval' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l all -d 'Every pending request (narrowed by --requester and --since)'
complete -c hitl -n "__fish_hitl_using_subcommand approve" -s y -l yes -d 'Do not ask for confirmation before deciding several requests'
complete -c hitl -n "__fish_hitl_using_subcommand approve" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand approve" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand approve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l requester -d 'With --all: only requests from this requester' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l since -d 'With --all: only requests created within this long (e.g. 2h)' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l concurrency -d 'How many requests to decide at once' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l as -d 'Whom you decide for: a note kept beside your AWS identity, which is who the workflow records as the decider' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l reason -d 'Why the request is rejected' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l all -d 'Every pending request (narrowed by --requester and --since)'
complete -c hitl -n "__fish_hitl_using_subcommand reject" -s y -l yes -d 'Do not ask for confirmation before deciding several requests'
complete -c hitl -n "__fish_hitl_using_subcommand reject" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand reject" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand reject" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l reason -d 'Why the request is withdrawn' -r
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l as -d 'Whom you cancel for: a note kept beside your AWS identity, which is who the record names as the canceller' -r
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand heartbeat" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand wait" -l timeout -d 'Give up after this long (e.g. 10m); by default wait until the request ends' -r
complete -c hitl -n "__fish_hitl_using_subcommand wait" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand wait" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand wait" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand wait" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand wait" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand wait" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand wait" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand wait" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l since -d 'Start this long ago (15m, 2h) or at this time (RFC 3339)' -r
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l filter -d 'A CloudWatch Logs filter pattern' -r
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l approval -d 'Only the lines about this approval request' -r
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l function -d 'Which function\'s logs' -r -f -a "workflow\t'The durable workflow'
api\t'The approval page behind the notification links'
submit\t'The submit function behind the IAM-authorised submit URL'
all\t''"
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -s f -l follow -d 'Keep printing new lines until interrupted'
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l no-color -d 'No colours (also when NO_COLOR is set)'
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand tail-logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand stack" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand stack" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand stack" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand stack" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand stack" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand stack" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand stack" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand stack" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand doctor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand completions" -l stack -d 'CloudFormation stack that runs the approval workflow' -r
complete -c hitl -n "__fish_hitl_using_subcommand completions" -s o -l output -d 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line' -r -f -a "table\t''
json\t''
jsonl\t'One JSON object per line (lists and streams)'"
complete -c hitl -n "__fish_hitl_using_subcommand completions" -l profile -d 'AWS profile to use (as AWS_PROFILE)' -r
complete -c hitl -n "__fish_hitl_using_subcommand completions" -l region -d 'AWS region to use (as AWS_REGION)' -r
complete -c hitl -n "__fish_hitl_using_subcommand completions" -l time-format -d 'How tables show times' -r -f -a "relative\t'`in 3h 12m`, `5m ago`'
iso\t'RFC 3339, UTC'"
complete -c hitl -n "__fish_hitl_using_subcommand completions" -l refresh -d 'Read the stack\'s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
complete -c hitl -n "__fish_hitl_using_subcommand completions" -s v -l verbose -d 'Log each AWS request to stderr (-v); -vv adds the SDK\'s internals'
complete -c hitl -n "__fish_hitl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "submit" -d 'Submit a request for approval: starts a durable workflow execution'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "list" -d 'List approval requests, newest first'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "show" -d 'Show one request and its execution'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "history" -d 'The request\'s durable execution as a timeline of events, or its audit trail (--audit)'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "approve" -d 'Approve a pending request'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "reject" -d 'Reject a pending request'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "cancel" -d 'Cancel a pending request and stop its execution'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "heartbeat" -d 'Send a heartbeat to a pending request\'s callback (for callbacks with a heartbeat timeout)'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "wait" -d 'Wait until a request is decided; the exit code tells the outcome'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "tail-logs" -d 'The functions\' logs from CloudWatch Logs, merged in time order'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "stack" -d 'The stack\'s resolved outputs and where they came from'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "doctor" -d 'Check credentials, region, stack, outputs, function, table and log group; says what to fix. Exits 8 when a check fails'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c hitl -n "__fish_hitl_using_subcommand help; and not __fish_seen_subcommand_from submit list show history approve reject cancel heartbeat wait tail-logs stack doctor completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
