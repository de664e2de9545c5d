"""Uploading a file the way a client does with an upload ticket (POST /flow-uploads, /product-imports,
/plan-imports, /visits/{id}/photos): a multipart/form-data POST of the ticket's signed fields, then the file."""

import time
from typing import Any

import requests

SIGV4 = "AWS4-HMAC-SHA256"


def send(ticket: dict[str, Any], data: bytes, fields: dict[str, str] | None = None) -> requests.Response:
    """POSTs the bytes with the ticket's form; `fields` overrides some of them (a client that edits the form)."""
    form = {**ticket["fields"], **(fields or {})}
    return requests.post(
        ticket["url"], data=form, files={"file": ("upload", data, ticket["content_type"])}, timeout=300
    )


def sent(ticket: dict[str, Any], data: bytes) -> None:
    """send(), which S3 must accept (204)."""
    r = send(ticket, data)
    assert r.status_code == 204, r.text


def is_sigv4(url: str) -> bool:
    """A presigned GET in the SigV4 form, for the region (not SigV2's AWSAccessKeyId=...&Signature=...)."""
    return (
        f"X-Amz-Algorithm={SIGV4}" in url
        and "AWSAccessKeyId=" not in url
        and "/us-east-1/s3/" in url.replace("%2F", "/")
    )


def finished_load(client: Any, load_id: str, deadline_s: float = 60) -> dict[str, Any]:
    """The load once its import has ended (a 404 until the S3 event has created it)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        r = client.get(f"/flow-loads/{load_id}")
        if r.status_code == 200 and r.json()["status"] not in ("received", "processing"):
            return dict(r.json())
        time.sleep(0.3)
    raise AssertionError(f"load {load_id} did not finish in {deadline_s}s")


def upload_flow(
    client: Any, distributor_id: str, period: str, data: bytes, kind: str = "flow", file_name: str = "流向.csv"
) -> dict[str, Any]:
    """A file through POST /flow-uploads and its form; the load once imported."""
    r = client.post(
        "/flow-uploads", {"kind": kind, "period": period, "file_name": file_name, "distributor_id": distributor_id}
    )
    assert r.status_code == 201, r.text
    sent(r.json(), data)
    return finished_load(client, r.json()["load_id"])
