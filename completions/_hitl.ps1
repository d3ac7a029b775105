
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'hitl' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'hitl'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'hitl' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Submit a request for approval: starts a durable workflow execution')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List approval requests, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one request and its execution')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'The request''s durable execution as a timeline of events, or its audit trail (--audit)')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request')
            [CompletionResult]::new('reject', 'reject', [CompletionResultType]::ParameterValue, 'Reject a pending request')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending request and stop its execution')
            [CompletionResult]::new('heartbeat', 'heartbeat', [CompletionResultType]::ParameterValue, 'Send a heartbeat to a pending request''s callback (for callbacks with a heartbeat timeout)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a request is decided; the exit code tells the outcome')
            [CompletionResult]::new('tail-logs', 'tail-logs', [CompletionResultType]::ParameterValue, 'The functions'' logs from CloudWatch Logs, merged in time order')
            [CompletionResult]::new('stack', 'stack', [CompletionResultType]::ParameterValue, 'The stack''s resolved outputs and where they came from')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check credentials, region, stack, outputs, function, table and log group; says what to fix. Exits 8 when a check fails')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hitl;submit' {
            [CompletionResult]::new('--title', '--title', [CompletionResultType]::ParameterName, 'What is to be approved, in one line')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'More about the request')
            [CompletionResult]::new('--amount', '--amount', [CompletionResultType]::ParameterName, 'An amount, as a non-negative decimal (e.g. 1250.50)')
            [CompletionResult]::new('--requester', '--requester', [CompletionResultType]::ParameterName, 'Whom you ask for: a note kept beside your AWS identity, which is the requester the workflow records')
            [CompletionResult]::new('--details-file', '--details-file', [CompletionResultType]::ParameterName, 'A JSON file with free-form details to store with the request')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long approvers have, e.g. 30m, 24h, 7d [default: the stack''s DefaultRequestTimeoutSeconds]')
            [CompletionResult]::new('--approvers', '--approvers', [CompletionResultType]::ParameterName, 'Who may decide, comma-separated: principal ARNs, role ARNs (any session of the role) and email addresses, all within the stack''s Approvers [default: the stack''s]')
            [CompletionResult]::new('--required', '--required', [CompletionResultType]::ParameterName, 'How many distinct approvals close the request; any one rejection rejects it [default: the stack''s RequiredApprovals, which is also the least]')
            [CompletionResult]::new('--remind', '--remind', [CompletionResultType]::ParameterName, 'When to remind approvers who have not decided: times before the deadline, comma-separated (e.g. 2h,30m), or `none` [default: the stack''s ReminderSchedule]')
            [CompletionResult]::new('--escalate-after', '--escalate-after', [CompletionResultType]::ParameterName, 'Escalate the request if it is still pending this long after it is made (e.g. 4h), or `none` [default: the stack''s EscalateAfter]')
            [CompletionResult]::new('--escalate-to', '--escalate-to', [CompletionResultType]::ParameterName, 'Whom to escalate to, comma-separated: approvers (email addresses, principal or role ARNs, within the stack''s Approvers), added to the request''s approvers, and SNS topic ARNs (among the stack''s EscalationTopics), told [default: the stack''s EscalateTo]')
            [CompletionResult]::new('--id', '--id', [CompletionResultType]::ParameterName, 'The request''s id (letters, digits, - and _); generated when absent')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Then wait until the request is decided, as `hitl wait` does')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;list' {
            [CompletionResult]::new('--status', '--status', [CompletionResultType]::ParameterName, 'Which requests to list')
            [CompletionResult]::new('--requester', '--requester', [CompletionResultType]::ParameterName, 'Only requests from this requester (an ARN), or submitted on their behalf (`submit --requester`)')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only requests created within this long (e.g. 2h, 7d)')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'At most this many requests, newest first')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--executions', '--executions', [CompletionResultType]::ParameterName, 'Check each request against its durable execution, on every published version of the workflow: flags pending requests whose execution has ended and executions that have no request')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;show' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;history' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--audit', '--audit', [CompletionResultType]::ParameterName, 'The request''s audit trail instead: who asked, every decision counted or refused (and why), and how it closed, from the record alone')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;approve' {
            [CompletionResult]::new('--requester', '--requester', [CompletionResultType]::ParameterName, 'With --all: only requests from this requester')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --all: only requests created within this long (e.g. 2h)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests to decide at once')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Whom you decide for: a note kept beside your AWS identity, which is who the workflow records as the decider')
            [CompletionResult]::new('--comment', '--comment', [CompletionResultType]::ParameterName, 'A comment stored with the approval')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every pending request (narrowed by --requester and --since)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation before deciding several requests')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation before deciding several requests')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;reject' {
            [CompletionResult]::new('--requester', '--requester', [CompletionResultType]::ParameterName, 'With --all: only requests from this requester')
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'With --all: only requests created within this long (e.g. 2h)')
            [CompletionResult]::new('--concurrency', '--concurrency', [CompletionResultType]::ParameterName, 'How many requests to decide at once')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Whom you decide for: a note kept beside your AWS identity, which is who the workflow records as the decider')
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the request is rejected')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every pending request (narrowed by --requester and --since)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation before deciding several requests')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation before deciding several requests')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;cancel' {
            [CompletionResult]::new('--reason', '--reason', [CompletionResultType]::ParameterName, 'Why the request is withdrawn')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'Whom you cancel for: a note kept beside your AWS identity, which is who the record names as the canceller')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;heartbeat' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;wait' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up after this long (e.g. 10m); by default wait until the request ends')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;tail-logs' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Start this long ago (15m, 2h) or at this time (RFC 3339)')
            [CompletionResult]::new('--filter', '--filter', [CompletionResultType]::ParameterName, 'A CloudWatch Logs filter pattern')
            [CompletionResult]::new('--approval', '--approval', [CompletionResultType]::ParameterName, 'Only the lines about this approval request')
            [CompletionResult]::new('--function', '--function', [CompletionResultType]::ParameterName, 'Which function''s logs')
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep printing new lines until interrupted')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep printing new lines until interrupted')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours (also when NO_COLOR is set)')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;stack' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;doctor' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;completions' {
            [CompletionResult]::new('--stack', '--stack', [CompletionResultType]::ParameterName, 'CloudFormation stack that runs the approval workflow')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'AWS profile to use (as AWS_PROFILE)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'AWS region to use (as AWS_REGION)')
            [CompletionResult]::new('--time-format', '--time-format', [CompletionResultType]::ParameterName, 'How tables show times')
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'hitl;help' {
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Submit a request for approval: starts a durable workflow execution')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List approval requests, newest first')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show one request and its execution')
            [CompletionResult]::new('history', 'history', [CompletionResultType]::ParameterValue, 'The request''s durable execution as a timeline of events, or its audit trail (--audit)')
            [CompletionResult]::new('approve', 'approve', [CompletionResultType]::ParameterValue, 'Approve a pending request')
            [CompletionResult]::new('reject', 'reject', [CompletionResultType]::ParameterValue, 'Reject a pending request')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a pending request and stop its execution')
            [CompletionResult]::new('heartbeat', 'heartbeat', [CompletionResultType]::ParameterValue, 'Send a heartbeat to a pending request''s callback (for callbacks with a heartbeat timeout)')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'Wait until a request is decided; the exit code tells the outcome')
            [CompletionResult]::new('tail-logs', 'tail-logs', [CompletionResultType]::ParameterValue, 'The functions'' logs from CloudWatch Logs, merged in time order')
            [CompletionResult]::new('stack', 'stack', [CompletionResultType]::ParameterValue, 'The stack''s resolved outputs and where they came from')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Check credentials, region, stack, outputs, function, table and log group; says what to fix. Exits 8 when a check fails')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script (bash, zsh, fish, powershell, elvish)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'hitl;help;submit' {
            break
        }
        'hitl;help;list' {
            break
        }
        'hitl;help;show' {
            break
        }
        'hitl;help;history' {
            break
        }
        'hitl;help;approve' {
            break
        }
        'hitl;help;reject' {
            break
        }
        'hitl;help;cancel' {
            break
        }
        'hitl;help;heartbeat' {
            break
        }
        'hitl;help;wait' {
            break
        }
        'hitl;help;tail-logs' {
            break
        }
        'hitl;help;stack' {
            break
        }
        'hitl;help;doctor' {
            break
        }
        'hitl;help;completions' {
            break
        }
        'hitl;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
