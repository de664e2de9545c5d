"""Links into the uploads bucket: the presigned POST form a client uploads one file with, and presigned GETs.

A presigned PUT URL binds neither size nor type and can be used again until it expires. A presigned POST carries
a signed policy: S3 itself refuses a file over `max_bytes` (EntityTooLarge) or under 1 byte, a Content-Type other
than the one given, and any other key. Sending the same form twice still stores a second version of the object;
the importers treat a later version as a new upload (crm.flow.importer).

No boto3 at import time: the API functions load it with the first link.
"""

from pathlib import PurePosixPath
from typing import Any

from pydantic import BaseModel, Field

URL_SECONDS = 15 * 60
MAX_FILE_BYTES = 50 * 1024 * 1024  # a monthly file of one distributor; the ingest reader's limit too
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORTS_PREFIX = "exports/"  # template.yaml expires these objects after a few days
_BY_SUFFIX = {".csv": "text/csv", ".txt": "text/plain", ".tsv": "text/tab-separated-values", ".xlsx": XLSX}


class UploadForm(BaseModel):
    """How to upload the file: an HTML-form style POST to `url` (multipart/form-data), every entry of `fields` as
    a form field, then the file's bytes as the last field, named `file`."""

    url: str = Field(
        description="POST a multipart/form-data form here: the `fields`, then the file as `file` "
        "(last). S3 answers 204; 400 EntityTooLarge over max_bytes, 403 for a changed field or once "
        "expired"
    )
    fields: dict[str, str] = Field(
        description="Form fields covered by the signed policy (key, Content-Type, policy, "
        "x-amz-* signature fields): send each one unchanged"
    )
    content_type: str = Field(description="The Content-Type the policy requires (it is in `fields` already)")
    max_bytes: int = Field(description="The largest file the policy lets S3 accept")
    expires_in: int = Field(description="Seconds the form stays valid")


def content_type_for(file_name: str) -> str:
    """The type a file is stored with, from its name (an unknown suffix is plain bytes)."""
    return _BY_SUFFIX.get(PurePosixPath(file_name).suffix.lower(), "application/octet-stream")


def upload_form(bucket: str, key: str, content_type: str, max_bytes: int = MAX_FILE_BYTES) -> dict[str, Any]:
    """The fields of an UploadForm: a presigned POST for exactly this key, type and size range."""
    from crm import aws

    post = aws.s3().generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=URL_SECONDS,
    )
    return {
        "url": post["url"],
        "fields": post["fields"],
        "content_type": content_type,
        "max_bytes": max_bytes,
        "expires_in": URL_SECONDS,
    }


def download_url(bucket: str, key: str) -> str:
    """A presigned GET (SigV4), valid for URL_SECONDS."""
    from crm import aws

    return str(
        aws.s3().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=URL_SECONDS)
    )


def workbook_link(bucket: str, tenant_id: str, file_name: str, data: bytes) -> str:
    """A workbook made for one request (a month's report) stored under the tenant's exports, and a presigned GET
    of it: a month can be far bigger than an API reply may be."""
    from crm import aws
    from crm.ids import new_id

    key = f"{EXPORTS_PREFIX}tenant={tenant_id}/{new_id()}/{file_name}"
    aws.s3().put_object(
        Bucket=bucket, Key=key, Body=data, ContentType=XLSX, ContentDisposition=f'attachment; filename="{file_name}"'
    )
    return download_url(bucket, key)
