"""Plan template imports: where the files live in S3 and the import record, from upload link to result.

No pyarrow here: the plans API hands out links and reads records with this module; only the import
function (crm.plans.importer) reads files. The S3 client and presigning are the product imports'.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from crm import clock
from crm.db import keys
from crm.db.models import PlanImportItem
from crm.plans.model import PlanImport, ReportLinks
from crm.products.imports import URL_SECONDS, presigned, s3, safe_file_name  # noqa: F401 (re-exported)
from pynamodb.exceptions import PutError

UPLOAD_PREFIX = "imports/plans/"


@dataclass(frozen=True)
class ImportKey:
    """imports/plans/<tenant>/<import id>/<file name>: the unit and month are on the record the API wrote."""

    tenant_id: str
    import_id: str
    file_name: str

    def __str__(self) -> str:
        return f"{UPLOAD_PREFIX}{self.tenant_id}/{self.import_id}/{self.file_name}"

    @classmethod
    def parse(cls, raw_key: str) -> "ImportKey":
        parts = unquote_plus(raw_key).removeprefix(UPLOAD_PREFIX).split("/")
        if len(parts) != 3 or not all(parts):
            raise ValueError(f"not a plan import key: {raw_key!r}")
        return cls(*parts)


def report_key(tenant_id: str, import_id: str, fmt: str) -> str:
    return f"reports/plans/{tenant_id}/{import_id}/errors.{fmt}"


def create(key: ImportKey, org_unit_id: str, month: str, file_name: str, requested_by: str) -> PlanImportItem:
    item = PlanImportItem(keys.plan_import_pk(key.tenant_id, key.import_id), keys.META, tenant_id=key.tenant_id,
                          id=key.import_id, org_unit_id=org_unit_id, month=month, file_name=file_name,
                          source_key=str(key), status="awaiting_upload", requested_by=requested_by,
                          requested_at=clock.now_iso(), summary={})
    item.save()
    return item


def get(tenant_id: str, import_id: str) -> PlanImportItem | None:
    try:
        return PlanImportItem.get(keys.plan_import_pk(tenant_id, import_id), keys.META)
    except PlanImportItem.DoesNotExist:
        return None


def start(key: ImportKey) -> PlanImportItem | None:
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


def finish(item: PlanImportItem, status: str, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(item, name, value)
    item.status, item.finished_at = status, clock.now_iso()
    item.save()


def to_model(item: PlanImportItem, uploads_bucket: str) -> PlanImport:
    summary = {k: int(v) for k, v in (item.summary.as_dict() if item.summary else {}).items()}
    links = None
    if item.report_key:
        links = ReportLinks(csv=presigned(uploads_bucket, "get_object", report_key(item.tenant_id, item.id, "csv")),
                            xlsx=presigned(uploads_bucket, "get_object", report_key(item.tenant_id, item.id, "xlsx")),
                            expires_in=URL_SECONDS)
    return PlanImport(
        id=item.id, org_unit_id=item.org_unit_id, month=item.month, file_name=item.file_name, status=item.status,
        requested_by=item.requested_by, requested_at=item.requested_at, finished_at=item.finished_at,
        rows=summary.get("rows", 0), rejected=summary.get("rejected", 0), plan_version=summary.get("plan_version"),
        rejection=item.rejection.as_dict() if item.rejection else None, error_report=links,
        version=item.version or 0,
    )
