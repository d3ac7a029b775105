
use builtin;
use str;

set edit:completion:arg-completer[hitl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'hitl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'hitl'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand submit 'Submit a request for approval: starts a durable workflow execution'
            cand list 'List approval requests, newest first'
            cand show 'Show one request and its execution'
            cand history 'The request''s durable execution as a timeline of events, or its audit trail (--audit)'
            cand approve 'Approve a pending request'
            cand reject 'Reject a pending request'
            cand cancel 'Cancel a pending request and stop its execution'
            cand heartbeat 'Send a heartbeat to a pending request''s callback (for callbacks with a heartbeat timeout)'
            cand wait 'Wait until a request is decided; the exit code tells the outcome'
            cand tail-logs 'The functions'' logs from CloudWatch Logs, merged in time order'
            cand stack 'The stack''s resolved outputs and where they came from'
            cand doctor 'Check credentials, region, stack, outputs, function, table and log group; says what to fix. Exits 8 when a check fails'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hitl;submit'= {
            cand --title 'What is to be approved, in one line'
            cand --description 'More about the request'
            cand --amount 'An amount, as a non-negative decimal (e.g. 1250.50)'
            cand --requester 'Whom you ask for: a note kept beside your AWS identity, which is the requester the workflow records'
            cand --details-file 'A JSON file with free-form details to store with the request'
            cand --timeout 'How long approvers have, e.g. 30m, 24h, 7d [default: the stack''s DefaultRequestTimeoutSeconds]'
            cand --approvers 'Who may decide, comma-separated: principal ARNs, role ARNs (any session of the role) and email addresses, all within the stack''s Approvers [default: the stack''s]'
            cand --required 'How many distinct approvals close the request; any one rejection rejects it [default: the stack''s RequiredApprovals, which is also the least]'
            cand --remind 'When to remind approvers who have not decided: times before the deadline, comma-separated (e.g. 2h,30m), or `none` [default: the stack''s ReminderSchedule]'
            cand --escalate-after 'Escalate the request if it is still pending this long after it is made (e.g. 4h), or `none` [default: the stack''s EscalateAfter]'
            cand --escalate-to 'Whom to escalate to, comma-separated: approvers (email addresses, principal or role ARNs, within the stack''s Approvers), added to the request''s approvers, and SNS topic ARNs (among the stack''s EscalationTopics), told [default: the stack''s EscalateTo]'
            cand --id 'The request''s id (letters, digits, - and _); generated when absent'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --wait 'Then wait until the request is decided, as `hitl wait` does'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;list'= {
            cand --status 'Which requests to list'
            cand --requester 'Only requests from this requester (an ARN), or submitted on their behalf (`submit --requester`)'
            cand --since 'Only requests created within this long (e.g. 2h, 7d)'
            cand --limit 'At most this many requests, newest first'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --executions 'Check each request against its durable execution, on every published version of the workflow: flags pending requests whose execution has ended and executions that have no request'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;show'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;history'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --audit 'The request''s audit trail instead: who asked, every decision counted or refused (and why), and how it closed, from the record alone'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;approve'= {
            cand --requester 'With --all: only requests from this requester'
            cand --since 'With --all: only requests created within this long (e.g. 2h)'
            cand --concurrency 'How many requests to decide at once'
            cand --as 'Whom you decide for: a note kept beside your AWS identity, which is who the workflow records as the decider'
            cand --comment 'A comment stored with the approval'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --all 'Every pending request (narrowed by --requester and --since)'
            cand -y 'Do not ask for confirmation before deciding several requests'
            cand --yes 'Do not ask for confirmation before deciding several requests'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;reject'= {
            cand --requester 'With --all: only requests from this requester'
            cand --since 'With --all: only requests created within this long (e.g. 2h)'
            cand --concurrency 'How many requests to decide at once'
            cand --as 'Whom you decide for: a note kept beside your AWS identity, which is who the workflow records as the decider'
            cand --reason 'Why the request is rejected'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --all 'Every pending request (narrowed by --requester and --since)'
            cand -y 'Do not ask for confirmation before deciding several requests'
            cand --yes 'Do not ask for confirmation before deciding several requests'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;cancel'= {
            cand --reason 'Why the request is withdrawn'
            cand --as 'Whom you cancel for: a note kept beside your AWS identity, which is who the record names as the canceller'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;heartbeat'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;wait'= {
            cand --timeout 'Give up after this long (e.g. 10m); by default wait until the request ends'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;tail-logs'= {
            cand --since 'Start this long ago (15m, 2h) or at this time (RFC 3339)'
            cand --filter 'A CloudWatch Logs filter pattern'
            cand --approval 'Only the lines about this approval request'
            cand --function 'Which function''s logs'
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand -f 'Keep printing new lines until interrupted'
            cand --follow 'Keep printing new lines until interrupted'
            cand --no-color 'No colours (also when NO_COLOR is set)'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;stack'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;doctor'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;completions'= {
            cand --stack 'CloudFormation stack that runs the approval workflow'
            cand -o 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --output 'Output format; `table` on a terminal, `json` otherwise; `jsonl` puts one object per line'
            cand --profile 'AWS profile to use (as AWS_PROFILE)'
            cand --region 'AWS region to use (as AWS_REGION)'
            cand --time-format 'How tables show times'
            cand --refresh 'Read the stack''s outputs from CloudFormation, not from the cache (kept 5 minutes under HITL_CACHE_DIR, $XDG_CACHE_HOME/hitl or ~/.cache/hitl)'
            cand -v 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand --verbose 'Log each AWS request to stderr (-v); -vv adds the SDK''s internals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'hitl;help'= {
            cand submit 'Submit a request for approval: starts a durable workflow execution'
            cand list 'List approval requests, newest first'
            cand show 'Show one request and its execution'
            cand history 'The request''s durable execution as a timeline of events, or its audit trail (--audit)'
            cand approve 'Approve a pending request'
            cand reject 'Reject a pending request'
            cand cancel 'Cancel a pending request and stop its execution'
            cand heartbeat 'Send a heartbeat to a pending request''s callback (for callbacks with a heartbeat timeout)'
            cand wait 'Wait until a request is decided; the exit code tells the outcome'
            cand tail-logs 'The functions'' logs from CloudWatch Logs, merged in time order'
            cand stack 'The stack''s resolved outputs and where they came from'
            cand doctor 'Check credentials, region, stack, outputs, function, table and log group; says what to fix. Exits 8 when a check fails'
            cand completions 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'hitl;help;submit'= {
        }
        &'hitl;help;list'= {
        }
        &'hitl;help;show'= {
        }
        &'hitl;help;history'= {
        }
        &'hitl;help;approve'= {
        }
        &'hitl;help;reject'= {
        }
        &'hitl;help;cancel'= {
        }
        &'hitl;help;heartbeat'= {
        }
        &'hitl;help;wait'= {
        }
        &'hitl;help;tail-logs'= {
        }
        &'hitl;help;stack'= {
        }
        &'hitl;help;doctor'= {
        }
        &'hitl;help;completions'= {
        }
        &'hitl;help;help'= {
        }
    ]
    $completions[$command]
}
