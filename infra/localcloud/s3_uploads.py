"""S3 uploads as AWS handles them, where moto does not.

A browser-style POST upload (presigned POST) is stored by moto whatever its policy says. AWS checks the form
against its signed policy first: the SigV4 signature, the expiry, every condition (the bucket, the key, the
Content-Type, content-length-range). We check the same, with AWS's error codes: 403 AccessDenied for a policy
that does not hold, 400 EntityTooLarge / EntityTooSmall for a file outside content-length-range, 403
SignatureDoesNotMatch for a changed policy. Only the checks our forms use are emulated (exact-match and
starts-with conditions, content-length-range).

A presigned URL in the old SigV2 form (AWSAccessKeyId=...&Signature=...) is refused with 400, as regions and
buckets that accept only SigV4 do: a link our code signed the old way fails here, not first in AWS.

S3 event records of a versioned bucket carry the object's versionId (and a sequencer), as AWS's do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

_XML = {"content-type": "application/xml"}
_secret = {"key": ""}  # the secret every local client signs with (LocalCloud sets it before install)


def install() -> None:
    """Idempotent; call before the moto server handles requests, with the local credentials in os.environ."""
    from moto.s3 import notifications
    from moto.s3.responses import S3Response

    _secret["key"] = os.environ.get("AWS_SECRET_ACCESS_KEY", "")

    post, key_response = S3Response._bucket_response_post, S3Response.key_response
    if getattr(post, "_policy_checked", False):
        return

    def checked_post(self: Any, request: Any, bucket_name: str) -> Any:
        form = {k: v[0] for k, v in self.querystring.items()}
        if "policy" in form:
            refused = _refusal(form, bucket_name, _size(self.body)) or _not_authorized(form, bucket_name)
            if refused is not None:
                return refused
        return post(self, request, bucket_name)

    def sigv4_only(self: Any, request: Any, full_url: str, headers: Any) -> Any:
        query = getattr(request, "args", {})
        if "AWSAccessKeyId" in query and "Signature" in query:
            return _error(
                400,
                "InvalidRequest",
                "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
            )
        return key_response(self, request, full_url, headers)

    checked_post._policy_checked = True  # type: ignore[attr-defined]
    S3Response._bucket_response_post = checked_post  # type: ignore[method-assign]
    S3Response.key_response = sigv4_only  # type: ignore[method-assign]
    notifications._get_s3_event = _with_version(notifications._get_s3_event)


def _size(body: Any) -> int:
    return len(body.encode() if isinstance(body, str) else body or b"")


def _refusal(form: dict[str, str], bucket: str, size: int) -> tuple[int, dict[str, str], bytes] | None:
    """None when AWS would store the file; else the response it gives."""
    if form.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        return _error(400, "InvalidRequest", "Please use AWS4-HMAC-SHA256.")
    if not hmac.compare_digest(_signature(form), form.get("x-amz-signature", "")):
        return _error(
            403,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        )
    policy = json.loads(base64.b64decode(form["policy"]))
    if datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00")) < datetime.now(UTC):
        return _error(403, "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**{k.lower(): v for k, v in form.items()}, "bucket": bucket}
    for condition in policy.get("conditions", []):
        refused = _condition_refusal(condition, values, size)
        if refused is not None:
            return refused
    return None


def _condition_refusal(condition: Any, values: dict[str, str], size: int) -> tuple[int, dict[str, str], bytes] | None:
    if isinstance(condition, dict):
        ((name, expected),) = condition.items()
        ok = values.get(name.lower()) == expected
    elif condition[0] == "content-length-range":
        low, high = int(condition[1]), int(condition[2])
        if size > high:
            return _error(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
        if size < low:
            return _error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size")
        return None
    else:
        op, name, expected = condition
        value = values.get(name.lstrip("$").lower())
        ok = value is not None and (value == expected if op == "eq" else value.startswith(expected))
    if ok:
        return None
    return _error(403, "AccessDenied", f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}")


def _not_authorized(form: dict[str, str], bucket: str) -> tuple[int, dict[str, str], bytes] | None:
    """AWS authorizes a form's upload as the credential that signed it: the IAM guard checks s3:PutObject."""
    from .guard import upload_refusal

    refusal = upload_refusal(form.get("x-amz-credential", "").split("/")[0], bucket, form.get("key", ""))
    return None if refusal is None else _error(403, "AccessDenied", refusal)


def _secret_of(access_key: str) -> str:
    """The secret of an STS session's key (a tenant's credentials, crm.tenancy), else the local clients' one."""
    from moto.sts.models import sts_backends

    for backends in sts_backends.values():
        for backend in backends.values():
            for role in backend.assumed_roles:
                if role.access_key_id == access_key:
                    return str(role.secret_access_key)
    return _secret["key"]


def _signature(form: dict[str, str]) -> str:
    """SigV4 of a POST policy: the policy document signed with the key derived for its credential's scope."""
    access_key, date, region, service, _ = form.get("x-amz-credential", "////").split("/")
    key = f"AWS4{_secret_of(access_key)}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return hmac.new(key, form["policy"].encode(), hashlib.sha256).hexdigest()


def _error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{escape(message)}</Message></Error>"
    )
    return status, dict(_XML), body.encode()


def _with_version(get_event: Any) -> Any:
    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = get_event(event_name, bucket, key, notification_id)
        obj = event["Records"][0]["s3"]["object"]
        if getattr(bucket, "is_versioned", False) and getattr(key, "version_id", None):
            obj["versionId"] = key.version_id
        obj["sequencer"] = f"{int(datetime.now(UTC).timestamp() * 1e9):016X}"
        return event

    return get_s3_event
