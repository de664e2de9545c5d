"""Reports when it ran, in which process and with which environment; on request it first sets variables,
prints, meets another invocation, invokes a function synchronously, sleeps or exits.

The event (or an API request's JSON body) may hold: set {NAME: value} (into os.environ), print (a line
to stdout), meet {"me": tag, "other": tag} (puts meet/<me> in the bucket, then waits up to 20 s for
meet/<other>: only two invocations running at the same time both meet), invoke (a function name, with
payload), sleep (seconds), exit (a status: the process ends at once, as a crash would).
"""

import json
import os
import time

import boto3

INVOCATIONS = 0  # module state: counts the invocations this process has run


def handler(event, context):
    global INVOCATIONS
    api = "httpMethod" in event
    body = json.loads(event["body"] or "{}") if api else event
    INVOCATIONS += 1
    started = time.time()
    os.environ.update(body.get("set", {}))
    if "print" in body:
        print(body["print"])
    if "exit" in body:
        os._exit(body["exit"])
    met = meet(**body["meet"]) if "meet" in body else None
    invoked = None
    if "invoke" in body:
        response = boto3.client("lambda").invoke(
            FunctionName=body["invoke"], Payload=json.dumps(body.get("payload", {})).encode()
        )
        invoked = json.loads(response["Payload"].read())
    time.sleep(body.get("sleep", 0))
    report = {
        "role": os.environ.get("ROLE"),
        "marker": os.environ.get("MARKER"),
        "pid": os.getpid(),
        "invocations": INVOCATIONS,
        "met": met,
        "invoked": invoked,
        "started": started,
        "ended": time.time(),
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    return {"statusCode": 200, "body": json.dumps(report)} if api else report


def meet(me: str, other: str) -> bool:
    s3, bucket = boto3.client("s3"), os.environ["BUCKET"]
    s3.put_object(Bucket=bucket, Key=f"meet/{me}", Body=b"")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if s3.list_objects_v2(Bucket=bucket, Prefix=f"meet/{other}").get("KeyCount"):
            return True
        time.sleep(0.05)
    return False
