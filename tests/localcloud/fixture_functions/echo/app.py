"""Answers an API request with the event it got and the environment it ran in."""

import json
import os

import helper  # a sibling module; OtherFunction has a helper.py of its own
import layer_state  # from the layer, which OtherFunction uses too

ROLE_AT_IMPORT = os.environ.get("ROLE")


def handler(event, context):
    layer_state.SEEN.append("echo")
    body = {
        "event": event,
        "role_at_import": ROLE_AT_IMPORT,
        "role": os.environ.get("ROLE"),
        "shared": os.environ.get("SHARED"),
        "helper": helper.NAME,
        "layer_seen": layer_state.SEEN,
        "function_name": context.function_name,
        "remaining_ms": context.get_remaining_time_in_millis(),
    }
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json", "X-Echo": "yes"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }
