"""Visit photos in the uploads bucket: where they go, the presigned POST form, and whether one arrived.

The phone POSTs the image with a presigned form (15 minutes; its policy binds the content type and at most
MAX_BYTES); the visit links the photo once the object is there (HEAD), so a listed photo always has its bytes in
the bucket.
"""

from dataclasses import dataclass
from typing import Any

from crm import upload_links
from crm.upload_links import URL_SECONDS  # noqa: F401 (the API's)

PREFIX = "visits/"
MAX_BYTES = 15 * 1024 * 1024  # a phone camera's JPEG/HEIC; bigger is not a site photo
_EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}


def _s3() -> Any:
    from crm import aws  # only photo routes need S3; the rest of the visits API starts without it

    return aws.s3()


def photo_key(tenant_id: str, visit_id: str, photo_id: str, content_type: str) -> str:
    return f"{PREFIX}{tenant_id}/{visit_id}/{photo_id}.{_EXTENSION[content_type]}"


def upload_form(bucket: str, key: str, content_type: str) -> dict[str, Any]:
    """The UploadForm fields: the phone sends the image with the signed fields (its Content-Type among them)."""
    return upload_links.upload_form(bucket, key, content_type, MAX_BYTES)


def view_url(bucket: str, key: str) -> str:
    return upload_links.download_url(bucket, key)


@dataclass(frozen=True)
class Stored:
    size: int
    content_type: str | None


def stored(bucket: str, key: str) -> Stored | None:
    """The object's size and type, or None when nothing was uploaded under the key."""
    from botocore.exceptions import ClientError

    try:
        head = _s3().head_object(Bucket=bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    return Stored(size=int(head.get("ContentLength", 0)), content_type=head.get("ContentType"))
