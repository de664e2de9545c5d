"""Records each event it gets as events/<tag>/<request id>.json and returns it; relays one if asked.

The tag is the event's detail.tag (EventBridge envelope) or its own tag (an Input or InputPath).
A detail with relay: true puts an OrderPlaced event tagged <tag>-relayed on the stack's bus.
"""

import json
import os

import boto3


def handler(event, context):
    body = event if isinstance(event, dict) else {}
    detail = body.get("detail") if isinstance(body.get("detail"), dict) else {}
    tag = detail.get("tag") or body.get("tag") or "untagged"
    key = f"events/{tag}/{context.aws_request_id}.json"
    boto3.client("s3").put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(event))
    if detail.get("relay"):
        entry = {"Source": "lc.orders", "DetailType": "OrderPlaced", "Detail": json.dumps({"tag": f"{tag}-relayed"})}
        boto3.client("events").put_events(Entries=[{**entry, "EventBusName": os.environ["BUS_NAME"]}])
    return event
