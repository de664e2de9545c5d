"""Plan template imports: the upload key and the import record (crm.file_imports keeps their life); the unit
and month are on the record the API wrote."""

from crm import clock
from crm.db import keys
from crm.db.models import PlanImportItem
from crm.file_imports import URL_SECONDS, Records, finish, safe_file_name, upload_form  # noqa: F401 (the API's)
from crm.file_imports import ImportKey as FileImportKey
from crm.plans.model import PlanImport, ReportLinks


class ImportKey(FileImportKey):
    """imports/plans/<tenant>/<import id>/<file name>."""

    AREA = "plans"


records = Records(PlanImportItem, keys.plan_import_pk)
get, start = records.get, records.start


def create(key: ImportKey, org_unit_id: str, month: str, file_name: str, requested_by: str) -> PlanImportItem:
    item = PlanImportItem(
        keys.plan_import_pk(key.tenant_id, key.import_id),
        keys.META,
        tenant_id=key.tenant_id,
        id=key.import_id,
        org_unit_id=org_unit_id,
        month=month,
        file_name=file_name,
        source_key=str(key),
        status="awaiting_upload",
        requested_by=requested_by,
        requested_at=clock.now_iso(),
        summary={},
    )
    item.save()
    return item


def to_model(item: PlanImportItem, uploads_bucket: str) -> PlanImport:
    summary = {k: int(v) for k, v in (item.summary.as_dict() if item.summary else {}).items()}
    key = ImportKey(item.tenant_id, item.id, item.file_name)
    links = ReportLinks(**key.report_urls(uploads_bucket)) if item.report_key else None
    return PlanImport(
        id=item.id,
        org_unit_id=item.org_unit_id,
        month=item.month,
        file_name=item.file_name,
        status=item.status,
        requested_by=item.requested_by,
        requested_at=item.requested_at,
        finished_at=item.finished_at,
        rows=summary.get("rows", 0),
        rejected=summary.get("rejected", 0),
        plan_version=summary.get("plan_version"),
        rejection=item.rejection.as_dict() if item.rejection else None,
        error_report=links,
        version=item.version or 0,
    )
