"""Sends failed asynchronous invocations again: each record in the stack's AsyncFailuresQueue (a file import that
failed after Lambda's retries) goes back to the function it names, with the event it had.

    python scripts/redrive.py --stack crm-prod            # what waits, and why (nothing is sent)
    python scripts/redrive.py --stack crm-prod --send     # after the cause is fixed: invoke each again

A record whose invocation succeeds now is deleted; one that fails again stays in the queue (its message comes
back after the visibility timeout) with the new error printed. docs/operations.md says when to use it.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

import boto3

QUEUE = "AsyncFailuresQueue"


def queue_url(stack: str, cloudformation: Any) -> str:
    found = cloudformation.describe_stack_resource(StackName=stack, LogicalResourceId=QUEUE)
    return str(found["StackResourceDetail"]["PhysicalResourceId"])  # a queue's physical id is its URL


def redrive(sqs: Any, lam: Any, url: str, send: bool, budget: int = 100, out: Any = print) -> Counter[str]:
    """Looks at (or sends again) up to `budget` records; counts what became of them."""
    counts, listed = Counter[str](), []
    while budget > 0:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, budget), VisibilityTimeout=120)
        messages = batch.get("Messages", [])
        if not messages:
            break
        budget -= len(messages)
        for message in messages:
            record = json.loads(message["Body"])
            function = record["requestContext"]["functionArn"].rsplit(":", 1)[0]  # without $LATEST
            error = record.get("responsePayload", {}).get("errorMessage", "")
            out(f"{function}: {record['requestContext']['condition']} after "
                f"{record['requestContext']['approximateInvokeCount']} tries: {error}")  # fmt: skip
            if not send:
                counts["waiting"] += 1
                listed.append(message["ReceiptHandle"])
                continue
            answer = lam.invoke(FunctionName=function, Payload=json.dumps(record["requestPayload"]).encode())
            if "FunctionError" in answer:
                out(f"  fails again: {json.loads(answer['Payload'].read()).get('errorMessage', '')}")
                counts["failed_again"] += 1
                continue
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            counts["redriven"] += 1
    for handle in listed:  # only looked at: back in the queue at once
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", required=True, help="the deployed stack's name")
    parser.add_argument("--send", action="store_true", help="invoke each function again (default: only list)")
    parser.add_argument("--budget", type=int, default=100, help="records to handle at most")
    args = parser.parse_args(argv)
    url = queue_url(args.stack, boto3.client("cloudformation"))
    counts = redrive(boto3.client("sqs"), boto3.client("lambda"), url, args.send, args.budget)
    print(dict(counts) or "nothing waits")
    return 1 if counts["failed_again"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
