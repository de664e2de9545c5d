"""Records what it was told about: seen/<key> for an object uploaded under in/, seen/sqs/<body> for a message."""

import json
import os
from urllib.parse import unquote_plus

import boto3


def handler(event, context):
    s3 = boto3.client("s3")
    for record in event["Records"]:
        if record.get("eventSource") == "aws:sqs":
            s3.put_object(Bucket=os.environ["BUCKET"], Key=f"seen/sqs/{record['body']}", Body=b"")
            continue
        bucket = record["s3"]["bucket"]["name"]
        key = unquote_plus(record["s3"]["object"]["key"])
        s3.put_object(Bucket=bucket, Key=f"seen/{key}", Body=json.dumps({"bucket": bucket, "key": key}))
