"""Visit photos in the uploads bucket: where they go, the presigned PUT, and whether one arrived.

The phone PUTs the image through a presigned URL (15 minutes); the visit links the photo once the
object is there (HEAD), so a listed photo always has its bytes in the bucket.
"""

from dataclasses import dataclass
from functools import lru_cache

PREFIX = "visits/"
URL_SECONDS = 15 * 60
MAX_BYTES = 15 * 1024 * 1024  # a phone camera's JPEG/HEIC; bigger is not a site photo
_EXTENSION = {"image/jpeg": "jpg", "image/png": "png", "image/heic": "heic"}


@lru_cache(maxsize=1)
def _s3():  # type: ignore[no-untyped-def]
    import boto3  # only photo routes need S3; the rest of the visits API starts without it

    return boto3.client("s3")


def photo_key(tenant_id: str, visit_id: str, photo_id: str, content_type: str) -> str:
    return f"{PREFIX}{tenant_id}/{visit_id}/{photo_id}.{_EXTENSION[content_type]}"


def upload_url(bucket: str, key: str, content_type: str) -> str:
    """Signed with the content type: the phone sends the same Content-Type header with the bytes."""
    return str(_s3().generate_presigned_url("put_object", ExpiresIn=URL_SECONDS,
                                            Params={"Bucket": bucket, "Key": key, "ContentType": content_type}))


def view_url(bucket: str, key: str) -> str:
    return str(_s3().generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key},
                                            ExpiresIn=URL_SECONDS))


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
