"""Product master imports: where the files live in S3 and the import record, from upload link to result.

No pyarrow here: the products API hands out links and reads records with this module; only the
import function (crm.products.importer) reads files.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from pynamodb.exceptions import PutError

from crm import clock
from crm.db import keys
from crm.db.models import ProductImportItem
from crm.products.model import ProductImport, ReportLinks

UPLOAD_PREFIX = "imports/products/"
URL_SECONDS = 15 * 60
_UNSAFE = re.compile(r"[^\w.\-()（）]+")


def safe_file_name(name: str) -> str:
    """Keeps the file name recognisable in the key, without slashes or control characters."""
    return _UNSAFE.sub("_", name).strip("._")[:120] or "upload"


@dataclass(frozen=True)
class ImportKey:
    """imports/products/<tenant>/<import id>/<file name>: the import trusts the key our API signed."""

    tenant_id: str
    import_id: str
    file_name: str

    def __str__(self) -> str:
        return f"{UPLOAD_PREFIX}{self.tenant_id}/{self.import_id}/{self.file_name}"

    @classmethod
    def parse(cls, raw_key: str) -> "ImportKey":
        parts = unquote_plus(raw_key).removeprefix(UPLOAD_PREFIX).split("/")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a product import key: {raw_key!r}")
        return cls(*parts)


def report_key(tenant_id: str, import_id: str, fmt: str) -> str:
    return f"reports/products/{tenant_id}/{import_id}/errors.{fmt}"


@lru_cache(maxsize=1)
def s3():  # type: ignore[no-untyped-def]
    import boto3  # only upload and report links need S3 in the API

    return boto3.client("s3")


def presigned(bucket: str, method: str, key: str) -> str:
    return str(s3().generate_presigned_url(method, Params={"Bucket": bucket, "Key": key}, ExpiresIn=URL_SECONDS))


# ----------------------------------------------------------------------------- records

def create(key: ImportKey, file_name: str, requested_by: str) -> ProductImportItem:
    item = ProductImportItem(keys.product_import_pk(key.tenant_id, key.import_id), keys.META,
                             tenant_id=key.tenant_id, id=key.import_id, file_name=file_name, source_key=str(key),
                             status="awaiting_upload", requested_by=requested_by, requested_at=clock.now_iso(),
                             summary={})
    item.save()
    return item


def get(tenant_id: str, import_id: str) -> ProductImportItem | None:
    try:
        return ProductImportItem.get(keys.product_import_pk(tenant_id, import_id), keys.META)
    except ProductImportItem.DoesNotExist:
        return None


def start(key: ImportKey) -> ProductImportItem | None:
    """awaiting_upload → processing, once: None for a repeated S3 event, an unknown import or another key."""
    item = get(key.tenant_id, key.import_id)
    if item is None or item.status != "awaiting_upload" or item.source_key != str(key):
        return None
    item.status, item.started_at = "processing", clock.now_iso()
    try:
        item.save()  # conditional on the version read: of two deliveries of one event, one starts
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise
    return item


def finish(item: ProductImportItem, status: str, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(item, name, value)
    item.status, item.finished_at = status, clock.now_iso()
    item.save()


def to_model(item: ProductImportItem, uploads_bucket: str) -> ProductImport:
    summary = {k: int(v) for k, v in (item.summary.as_dict() if item.summary else {}).items()}
    links = None
    if item.report_key:
        csv_key = report_key(item.tenant_id, item.id, "csv")
        links = ReportLinks(csv=presigned(uploads_bucket, "get_object", csv_key),
                            xlsx=presigned(uploads_bucket, "get_object", report_key(item.tenant_id, item.id, "xlsx")),
                            expires_in=URL_SECONDS)
    return ProductImport(
        id=item.id, file_name=item.file_name, status=item.status, requested_by=item.requested_by,
        requested_at=item.requested_at, finished_at=item.finished_at, **summary,
        rejection=item.rejection.as_dict() if item.rejection else None, error_report=links,
        version=item.version or 0,
    )
