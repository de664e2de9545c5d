"""Deploy-time custom resource: the built console (web/dist, bundled in this function's site/ folder by
`make deploy`) is copied into the console bucket under console/, and console/config.json is written with
the stack's own URLs and Cognito ids. Delete empties console/ so the stack can remove the bucket.

CloudFormation waits for our answer on the presigned ResponseURL: every path, failures too, answers it.
"""

from __future__ import annotations

import json
import mimetypes
import urllib.request
from pathlib import Path
from typing import Any

import boto3

SITE = Path(__file__).parent / "site"
PREFIX = "console/"
s3 = boto3.client("s3")


def lambda_handler(event: dict[str, Any], context: Any) -> None:
    props = event["ResourceProperties"]
    physical_id = f"{props['Bucket']}/{PREFIX}"
    try:
        if event["RequestType"] == "Delete":
            _empty(props["Bucket"])
        else:
            _publish(props["Bucket"], props["Config"])
        _answer(event, context, "SUCCESS", physical_id)
    except Exception as err:  # the stack must hear of any failure, or it waits an hour
        _answer(event, context, "FAILED", physical_id, reason=f"{type(err).__name__}: {err}")


def _publish(bucket: str, config: dict[str, str]) -> None:
    if not (SITE / "index.html").is_file():
        raise FileNotFoundError("the console is not bundled: run make deploy (it copies web/dist into site/)")
    for file in sorted(p for p in SITE.rglob("*") if p.is_file()):
        name = file.relative_to(SITE).as_posix()
        s3.put_object(
            Bucket=bucket,
            Key=PREFIX + name,
            Body=file.read_bytes(),
            ContentType=mimetypes.guess_type(name)[0] or "application/octet-stream",
            # Hashed asset names change with their content: cached for good; index.html is always revalidated.
            CacheControl="public, max-age=31536000, immutable" if name.startswith("assets/") else "no-cache",
        )
    s3.put_object(
        Bucket=bucket,
        Key=PREFIX + "config.json",
        Body=json.dumps(config).encode(),
        ContentType="application/json",
        CacheControl="no-cache",
    )


def _empty(bucket: str) -> None:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=PREFIX):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})


def _answer(event: dict[str, Any], context: Any, status: str, physical_id: str, reason: str = "") -> None:
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason or f"see log stream {getattr(context, 'log_stream_name', '')}",
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
        }
    ).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    with urllib.request.urlopen(request, timeout=30):  # CloudFormation's presigned https URL
        pass
