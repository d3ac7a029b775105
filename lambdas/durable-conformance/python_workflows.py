"""The conformance workflows, written with the official Python SDK.

Twins of src/main.rs: same workflow names, operation names, order and
results. The differential test runs both under the durable execution emulator
and compares the executions' histories.

Run as a script, this serves the workflows behind the Lambda Invoke API
(POST /2015-03-31/functions/<name>/invocations), the way `cargo lambda watch`
serves the Rust functions, so the emulator can invoke them:

    python python_workflows.py --port 4705
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
from aws_durable_execution_sdk_python import DurableContext, durable_execution
from aws_durable_execution_sdk_python.exceptions import CallbackError, CallbackTimeoutError
from aws_durable_execution_sdk_python.config import (
    CallbackConfig,
    CompletionConfig,
    Duration,
    JitterStrategy,
    MapConfig,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from aws_durable_execution_sdk_python.retries import (
    RetryStrategyConfig,
    create_retry_strategy,
)


def steps_only(ctx: DurableContext):
    first = ctx.step(lambda _: 2, name="first")
    second = ctx.step(lambda _: first * 10, name="second")
    label = ctx.step(lambda _: f"total {first + second}", name="label")
    return {"first": first, "second": second, "label": label}


def step_retry_then_success(ctx: DurableContext):
    def flaky(step):
        if step.attempt < 2:
            raise ValueError(f"not yet (attempt {step.attempt})")
        return f"done on attempt {step.attempt}"

    retry = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=3,
            initial_delay=Duration.from_seconds(1),
            max_delay=Duration.from_seconds(10),
            backoff_rate=2.0,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    return ctx.step(flaky, name="flaky", config=StepConfig(retry_strategy=retry))


def callback(ctx: DurableContext, timeout: int, heartbeat: int):
    config = CallbackConfig(
        timeout=Duration.from_seconds(timeout),
        heartbeat_timeout=Duration.from_seconds(heartbeat),
    )
    cb = ctx.create_callback(name="approval", config=config)
    return cb.result()


def wait_then_step(ctx: DurableContext):
    ctx.wait(Duration.from_seconds(1), name="pause")
    return ctx.step(lambda _: "awake", name="after")


def child_context(ctx: DurableContext):
    def prepare(child: DurableContext):
        a = child.step(lambda _: 20, name="load")
        return child.step(lambda _: a + 1, name="check")

    inner = ctx.run_in_child_context(prepare, name="prepare")
    return ctx.step(lambda _: inner * 2, name="finish")


def wait_for_callback(ctx: DurableContext):
    config = WaitForCallbackConfig(timeout=Duration.from_seconds(30))
    return ctx.wait_for_callback(lambda callback_id, _: None, name="approval", config=config)


# The workflows only the official Rust SDK has twins for (src/official_only.rs).

QUORUM_APPROVERS = ["bob", "carol", "dave"]


def race(ctx: DurableContext, timer_seconds: int):
    def timer(child: DurableContext):
        child.wait(Duration.from_seconds(timer_seconds), name="reminder-due")
        return "timer"

    def decision(child: DurableContext):
        config = CallbackConfig(timeout=Duration.from_seconds(600))
        return child.create_callback(name="approval", config=config).result()

    batch = ctx.parallel(
        [ParallelBranch(timer, name="timer"), ParallelBranch(decision, name="decision")],
        name="race",
        config=ParallelConfig(completion_config=CompletionConfig(min_successful=1)),
    )
    return [item.result for item in batch.succeeded()]


def quorum(ctx: DurableContext):
    def approval(child: DurableContext, approver: str, _index, _items):
        config = CallbackConfig(timeout=Duration.from_seconds(600))
        return child.create_callback(name=f"approval-{approver}", config=config).result()

    batch = ctx.map(
        QUORUM_APPROVERS,
        approval,
        name="quorum",
        config=MapConfig(
            completion_config=CompletionConfig(min_successful=2),
            item_namer=lambda approver, _index: f"approver-{approver}",
        ),
    )
    return [item.result for item in batch.succeeded()]


def chained_invoke(ctx: DurableContext):
    return {"child": ctx.invoke("durable-conformance-python", {"workflow": "steps_only"}, name="child")}


def approval_inside(ctx: DurableContext, function: str, request: dict):
    """Another team's durable workflow that waits for a hitl approval as one
    operation: a chained invoke of the approval workflow (README, "Approvals
    inside other workflows"), whose WorkflowResult it receives."""
    ctx.step(lambda _: f"prepared {request['title']}", name="prepare")
    result = ctx.invoke(function, request, name="approval")
    if result["status"] != "APPROVED":
        return {"deployed": False, "approval": result}
    ctx.step(lambda _: "deployed", name="deploy")
    return {"deployed": True, "approval": result}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _timestamp(moment: datetime) -> str:
    """The records' fixed-width UTC form, as hitl-contract writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def approval(ctx: DurableContext, request: dict):
    """The approval workflow (lambdas/approval-workflow) on the Python SDK:
    the same operations on the same table."""
    table = boto3.resource("dynamodb").Table(os.environ["APPROVALS_TABLE"])
    approval_id = request["approval_id"]
    arn = ctx.execution_context.durable_execution_arn

    def record_request(_):
        now = datetime.now(timezone.utc)
        expires_at = now + timedelta(seconds=request.get("timeout_seconds", 86400))
        item = {
            "approval_id": approval_id,
            "title": request["title"],
            "requester": request["requester"],
            "status": "PENDING",
            "execution_arn": arn,
            "created_at": _timestamp(now),
            "expires_at": _timestamp(expires_at),
            "ttl": int(expires_at.timestamp()) + 90 * 86400,
        }
        try:
            table.put_item(Item=item, ConditionExpression="attribute_not_exists(approval_id)")
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            existing = table.get_item(Key={"approval_id": approval_id}, ConsistentRead=True)["Item"]
            if existing.get("execution_arn") != arn:
                return {"Conflict": f"approval id `{approval_id}` is already used by another request"}
        # No requester proof in this input: recorded as the name it gives.
        requester = {"name": request["requester"], "evidence": "unverified"}
        return {"Recorded": {"expires_at": _timestamp(expires_at), "requester": requester}}

    recording = ctx.step(record_request, name="record-request")
    expires_at = datetime.strptime(recording["Recorded"]["expires_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=timezone.utc
    )
    timeout = max(1, int((expires_at - datetime.now(timezone.utc)).total_seconds()))
    callback = ctx.create_callback(name="decision", config=CallbackConfig(timeout=Duration.from_seconds(timeout)))

    def publish_callback(_):
        table.update_item(
            Key={"approval_id": approval_id},
            UpdateExpression="SET callback_id = :cb",
            ConditionExpression="attribute_exists(approval_id) AND #s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":cb": callback.callback_id, ":pending": "PENDING"},
        )
        return True

    ctx.step(publish_callback, name="publish-callback")

    def notify_approvers(_):
        # The same links as hitl-approvals' links module, for an open
        # policy (one message for everyone, unaddressed links); a shorter
        # message.
        key = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["LINK_SIGNING_SECRET"])
        nonce = _b64(secrets.token_bytes(16))
        expiry = int(expires_at.timestamp())

        def sign(action):
            payload = f"v2.{_b64(approval_id.encode())}.{action}.{expiry}..{nonce}"
            tag = hmac.new(key["SecretString"].encode(), payload.encode(), hashlib.sha256).digest()
            return f"{payload}.{_b64(tag)}"

        approve, reject = sign("a"), sign("r")
        try:
            table.update_item(
                Key={"approval_id": approval_id},
                UpdateExpression="SET #links = :links",
                ConditionExpression="attribute_exists(approval_id) AND #s = :pending",
                ExpressionAttributeNames={"#s": "status", "#links": "links"},
                ExpressionAttributeValues={
                    ":links": {hashlib.sha256(t.encode()).hexdigest() for t in (approve, reject)},
                    ":pending": "PENDING",
                },
            )
        except table.meta.client.exceptions.ConditionalCheckFailedException:
            return "NotNeeded"
        base = os.environ["LINKS_BASE_URL"].rstrip("/")
        sent = boto3.client("sns").publish_batch(
            TopicArn=os.environ["NOTIFICATION_TOPIC_ARN"],
            PublishBatchRequestEntries=[
                {
                    "Id": "m0",
                    "Subject": f"Approval needed: {request['title']}"[:99],
                    "Message": f"Approve: {base}/decision?token={approve}\nReject:  {base}/decision?token={reject}\n",
                    "MessageAttributes": {
                        "approver": {"DataType": "String", "StringValue": "everyone"},
                        "approval_id": {"DataType": "String", "StringValue": approval_id},
                        "requester": {"DataType": "String", "StringValue": request["requester"]},
                    },
                }
            ],
        )
        return {
            "Sent": {
                "message_ids": [entry["MessageId"] for entry in sent["Successful"]],
                "addressees": [],
            }
        }

    ctx.step(notify_approvers, name="notify-approvers")
    decision = {}
    try:
        decision = json.loads(callback.result() or "{}")
        status = "APPROVED"
    except CallbackTimeoutError:
        status = "EXPIRED"
    except CallbackError as error:
        status = "REJECTED"
        decision = json.loads(error.data or "{}")
        decision.setdefault("comment", error.message)

    def judge_decision(_):
        # As lambdas/approval-workflow/src/judge.rs does for `hitl approve`'s
        # proof (its binding and age checks left out): STS names the signer.
        headers = decision["proof"]["sts"]["headers"]
        sent = urllib.request.Request(
            os.environ["AWS_ENDPOINT_URL_STS"].rstrip("/") + "/",
            data=b"Action=GetCallerIdentity&Version=2011-06-15",
            headers={name: value for name, value in headers.items() if name != "host"},
            method="POST",
        )
        with urllib.request.urlopen(sent) as answer:
            arn = re.search(r"<Arn>([^<]+)</Arn>", answer.read().decode()).group(1)
        now = _timestamp(datetime.now(timezone.utc))
        return {"Accepted": {"decided_by": arn, "evidence": "sts", "decided_at": now}}

    accepted = {}
    if status != "EXPIRED":
        accepted = ctx.step(judge_decision, name="judge-decision")["Accepted"]

    def record_outcome(_):
        outcome = {
            "approval_id": approval_id,
            "status": status,
            "decided_by": accepted.get("decided_by"),
            "decided_at": accepted.get("decided_at") or _timestamp(datetime.now(timezone.utc)),
            "comment": decision.get("comment"),
        }
        outcome = {k: v for k, v in outcome.items() if v is not None}
        # As hitl-approvals' store `finish`: the outcome, its evidence, no claim.
        written = {k: v for k, v in outcome.items() if k not in ("approval_id", "status")}
        if accepted:
            written["decision_evidence"] = accepted["evidence"]
        names = {"#s": "status", **{f"#{k}": k for k in written}}
        values = {":s": status, ":pending": "PENDING", **{f":{k}": v for k, v in written.items()}}
        sets = ", ".join(["#s = :s"] + [f"#{k} = :{k}" for k in written])
        table.update_item(
            Key={"approval_id": approval_id},
            UpdateExpression=f"SET {sets} REMOVE claim_outcome, claim_by, claim_at, claim_comment, claim_proof",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        # The step keeps the event announcing the outcome (hitl-contract's
        # event::Closed), as the workflow's does.
        record = table.get_item(Key={"approval_id": approval_id}, ConsistentRead=True)["Item"]
        closed = {
            **outcome,
            "title": record["title"],
            "requester": record["requester"],
            "policy": {
                "required": 1,
                "approved_by": [accepted["decided_by"]] if status == "APPROVED" else [],
                "refused": 0,
            },
            "execution_arn": arn,
            "created_at": record["created_at"],
            "expires_at": record["expires_at"],
            "show": f"hitl show {approval_id}",
        }
        return closed

    closed = ctx.step(record_outcome, name="record-outcome")

    def publish_outcome_event(_):
        sent = boto3.client("events").put_events(
            Entries=[
                {
                    "EventBusName": os.environ["EVENT_BUS_NAME"],
                    "Source": "hitl",
                    "DetailType": "Approval Decided",
                    "Detail": json.dumps(closed),
                    "Resources": [arn],
                }
            ]
        )
        return sent["Entries"][0]["EventId"]

    if os.environ.get("EVENT_BUS_NAME"):
        ctx.step(publish_outcome_event, name="publish-outcome-event")

    def notify_requester(_):
        sent = boto3.client("sns").publish(
            TopicArn=os.environ["NOTIFICATION_TOPIC_ARN"],
            Subject=f"{status.capitalize()}: {closed['title']}"[:99],
            Message=f"Your request is {status.lower()}.\n",
            MessageAttributes={
                "event": {"DataType": "String", "StringValue": "closed"},
                "requester": {"DataType": "String", "StringValue": closed["requester"]},
                "approval_id": {"DataType": "String", "StringValue": approval_id},
                "status": {"DataType": "String", "StringValue": status},
            },
        )
        return sent["MessageId"]

    ctx.step(notify_requester, name="notify-requester")
    result = {k: closed[k] for k in ("approval_id", "status", "decided_by", "decided_at", "comment") if k in closed}
    return result


WORKFLOWS = {
    "steps_only": steps_only,
    "step_retry_then_success": step_retry_then_success,
    "callback_success": lambda ctx: callback(ctx, 60, 0),
    "callback_failure": lambda ctx: callback(ctx, 60, 0),
    "callback_timeout": lambda ctx: callback(ctx, 6, 0),
    "heartbeat_timeout": lambda ctx: callback(ctx, 60, 6),
    "wait_then_step": wait_then_step,
    "child_context": child_context,
    "wait_for_callback": wait_for_callback,
    "race_timer_wins": lambda ctx: race(ctx, 2),
    "race_callback_wins": lambda ctx: race(ctx, 300),
    "quorum_2_of_3": quorum,
    "chained_invoke": chained_invoke,
}


@durable_execution
def handler(event, ctx: DurableContext):
    if "approval_id" in event:  # a SubmitRequest: the approval workflow's input
        return approval(ctx, event)
    if event.get("workflow") == "approval_inside":
        return approval_inside(ctx, event["function"], event["request"])
    return WORKFLOWS[event["workflow"]](ctx)


class LambdaContext:
    """What the SDK reads of the Lambda context object."""

    def __init__(self, function_name: str):
        self.aws_request_id = str(uuid.uuid4())
        self.function_name = function_name
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


class InvokeApi(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (the http.server naming)
        parts = self.path.split("?")[0].strip("/").split("/")
        if len(parts) != 4 or parts[1] != "functions" or parts[3] != "invocations":
            self.send_error(404, "unknown path")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            result = handler(json.loads(body), LambdaContext(parts[2].split(":")[0]))
            status, answer = 200, json.dumps(result).encode()
        except Exception as error:  # the Lambda runtime reports it as a function error
            status, answer = 200, json.dumps({"errorMessage": str(error), "errorType": type(error).__name__}).encode()
            self.send_response(status)
            self.send_header("X-Amz-Function-Error", "Unhandled")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def do_GET(self):  # noqa: N802
        answer = b'{"status":"ok"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format, *args):  # noqa: A002
        pass


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), InvokeApi).serve_forever()
