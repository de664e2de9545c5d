"""Presigned links and upload forms: SigV4 on the regional endpoint, from the one S3 client (crm.aws.s3), with the
size and type bound in the form's policy. The e2e tests use them through the local S3; these pin what AWS sees."""

import base64
import json
from pathlib import Path

import boto3
import pytest
from crm import aws, upload_links

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def aws_s3(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """An S3 client configured as crm.aws's, pointing at AWS itself (no local endpoint), for signing only."""
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = boto3.client("s3", config=aws.S3_CONFIG, region_name="us-east-1")
    monkeypatch.setattr(aws, "s3", lambda: client)
    return client


def test_links_are_sigv4_on_the_regional_endpoint(aws_s3) -> None:  # type: ignore[no-untyped-def]
    url = upload_links.download_url("crm-uploads", "reports/x/errors.csv")
    assert url.startswith("https://crm-uploads.s3.us-east-1.amazonaws.com/reports/x/errors.csv?")
    assert "X-Amz-Algorithm=AWS4-HMAC-SHA256" in url and "AWSAccessKeyId" not in url


def test_an_upload_form_binds_key_type_and_size(aws_s3) -> None:  # type: ignore[no-untyped-def]
    form = upload_links.upload_form("crm-uploads", "flow/t/d/2026-10/L/流向.csv", "text/csv", 1234)
    assert form["url"] == "https://crm-uploads.s3.us-east-1.amazonaws.com/"
    assert form["fields"]["x-amz-algorithm"] == "AWS4-HMAC-SHA256" and form["fields"]["Content-Type"] == "text/csv"
    policy = json.loads(base64.b64decode(form["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"Content-Type": "text/csv"} in conditions and ["content-length-range", 1, 1234] in conditions
    assert {"key": "flow/t/d/2026-10/L/流向.csv"} in conditions and {"bucket": "crm-uploads"} in conditions
    assert (form["content_type"], form["max_bytes"], form["expires_in"]) == ("text/csv", 1234, 15 * 60)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("流向.CSV", "text/csv"),
        ("a.txt", "text/plain"),
        ("a.xlsx", upload_links.XLSX),
        ("a.xls", "application/octet-stream"),
        ("noext", "application/octet-stream"),
    ],
)
def test_the_content_type_follows_the_file_name(name: str, expected: str) -> None:
    assert upload_links.content_type_for(name) == expected


def test_nothing_presigns_with_a_client_of_its_own() -> None:
    """A module that presigns takes its client from crm.aws (SigV4), never from boto3 directly."""
    presigning = [
        p
        for d in ("shared", "functions")
        for p in (ROOT / d).rglob("*.py")
        if "generate_presigned" in p.read_text(encoding="utf-8")
    ]
    assert presigning, "the check found no presigning module at all"
    for path in presigning:
        text = path.read_text(encoding="utf-8")
        assert "boto3.client(" not in text, path
        assert "aws.s3()" in text or "from crm.aws import s3" in text, path
