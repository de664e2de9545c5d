"""Imports of one uploaded file that changes master data (the product master, an order plan): the upload
key, the import record's life (awaiting_upload → processing → its outcome, once however often S3 repeats
the event) and the error report. What the file does, and the record's own fields, are the caller's.

No pyarrow here at import time: the APIs hand out links and read records with this module; only the import
functions write error reports (pyarrow and the report renderers are imported there, on first use).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar, Self
from urllib.parse import unquote_plus

from pynamodb.exceptions import PutError
from pynamodb.models import Model

from crm import clock, tenancy
from crm import upload_links as links
from crm.db import keys
from crm.upload_links import URL_SECONDS, download_url

_UNSAFE = re.compile(r"[^\w.\-()（）]+")


def safe_file_name(name: str) -> str:
    """Keeps the uploader's file name recognisable in a key, without slashes or control characters."""
    return _UNSAFE.sub("_", name).strip("._")[:120] or "upload"


def s3() -> Any:
    from crm import aws  # only upload and report links need S3 in the APIs

    return aws.s3()


def presigned(bucket: str, key: str) -> str:
    """A download link (presigned GET, SigV4)."""
    return download_url(bucket, key)


def upload_form(bucket: str, key: "ImportKey") -> dict[str, Any]:
    """The UploadForm fields for an import's file (CSV, text or XLSX, at most MAX_FILE_BYTES)."""
    return links.upload_form(bucket, str(key), links.content_type_for(key.file_name))


@dataclass(frozen=True)
class ImportKey:
    """imports/<area>/<tenant>/<import id>/<file name>: the import trusts the key our API signed. Each area
    (a subclass) says its AREA."""

    AREA: ClassVar[str] = ""
    tenant_id: str
    import_id: str
    file_name: str

    def __str__(self) -> str:
        return f"imports/{self.AREA}/{self.tenant_id}/{self.import_id}/{self.file_name}"

    @classmethod
    def parse(cls, raw_key: str) -> Self:
        parts = unquote_plus(raw_key).removeprefix(f"imports/{cls.AREA}/").split("/")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a {cls.AREA} import key: {raw_key!r}")
        return cls(*parts)

    def report_key(self, fmt: str) -> str:
        return f"reports/{self.AREA}/{self.tenant_id}/{self.import_id}/errors.{fmt}"

    def report_urls(self, bucket: str) -> dict[str, Any]:
        """Download links of the error report, as CSV and XLSX."""
        return {
            "csv": presigned(bucket, self.report_key("csv")),
            "xlsx": presigned(bucket, self.report_key("xlsx")),
            "expires_in": URL_SECONDS,
        }


class Records[M: Model]:
    """The import records of one area: a model whose items have id, tenant_id, source_key, status, started_at,
    finished_at, stored under pk(tenant, import id) / META."""

    def __init__(self, model: type[M], pk: Callable[[str, str], str]) -> None:
        self.model, self.pk = model, pk

    def get(self, tenant_id: str, import_id: str) -> M | None:
        try:
            return self.model.get(self.pk(tenant_id, import_id), keys.META)
        except self.model.DoesNotExist:
            return None

    def start(self, key: ImportKey, version: str | None = None) -> M | None:
        """awaiting_upload → processing, once per object version: None for a repeated S3 event, an unknown
        import or another key. The same form sent again (a later version of the object, once the import of the
        earlier one has ended) is imported again: the record then says what the latest file did."""
        item: Any = self.get(key.tenant_id, key.import_id)
        if item is None or item.source_key != str(key):
            return None
        later = version is not None and item.object_version not in (None, version)
        if not (item.status == "awaiting_upload" or (later and item.status != "processing")):
            return None
        item.status, item.started_at, item.object_version = "processing", clock.now_iso(), version
        try:
            item.save()  # conditional on the version read: of two deliveries of one event, one starts
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return None
            raise
        return item


def finish(item: Any, status: str, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(item, name, value)
    item.status, item.finished_at = status, clock.now_iso()
    item.save()


def run(
    uploads_bucket: str,
    key: ImportKey,
    records: Records[Any],
    process: Callable[[Any, bytes], str],
    log: Any,
    version: str | None = None,
) -> str:
    """Imports one uploaded object (the version the event names) with `process(record, bytes)`; returns the
    import's final status ('ignored' for a repeated event)."""
    with tenancy.acting_for(key.tenant_id):  # the key's tenant, whose credentials reach only its own data
        return _run(uploads_bucket, key, records, process, log, version)


def _run(
    uploads_bucket: str,
    key: ImportKey,
    records: Records[Any],
    process: Callable[[Any, bytes], str],
    log: Any,
    version: str | None,
) -> str:
    record = records.start(key, version)
    if record is None:
        return "ignored"  # S3 delivers at least once; the first delivery does the work
    try:
        where = {"VersionId": version} if version else {}
        data = s3().get_object(Bucket=uploads_bucket, Key=str(key), **where)["Body"].read()
        return process(record, data)
    except Exception:  # a bug or an outage must not leave the import 'processing' for ever
        log.exception(f"{key.AREA} import failed")
        finish(
            record,
            "rejected",
            rejection={
                "code": "internal",
                "message": "The import failed on our side; it has been logged. Upload the file again later.",
            },
        )
        return "rejected"


def write_reports(bucket: str, key: ImportKey, errors: list[dict[str, Any]]) -> str:
    """The bad rows as CSV and XLSX beside the upload; returns the CSV's key."""
    import pyarrow as pa

    from crm.ingest.model import ERRORS_SCHEMA
    from crm.ingest.report import errors_csv_bytes, errors_xlsx_bytes

    table = pa.Table.from_pylist(errors, schema=ERRORS_SCHEMA)
    for fmt, render in (("csv", errors_csv_bytes), ("xlsx", errors_xlsx_bytes)):
        s3().put_object(Bucket=bucket, Key=key.report_key(fmt), Body=render(table))
    return key.report_key("csv")
