"""Fails: raises on /crash, returns a result API Gateway cannot use on /malformed."""


def handler(event, context):
    if event.get("path") == "/malformed":
        return {"statusCode": 200, "body": {"not": "a string"}}
    raise RuntimeError("boom")
