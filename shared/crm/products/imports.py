"""Product master imports: the upload key and the import record (crm.file_imports keeps their life)."""

from crm import clock
from crm.db import keys
from crm.db.models import ProductImportItem
from crm.file_imports import URL_SECONDS, Records, finish, safe_file_name, upload_form  # noqa: F401 (the API's)
from crm.file_imports import ImportKey as FileImportKey
from crm.products.model import ProductImport, ReportLinks


class ImportKey(FileImportKey):
    """imports/products/<tenant>/<import id>/<file name>."""

    AREA = "products"


records = Records(ProductImportItem, keys.product_import_pk)
get, start = records.get, records.start


def create(key: ImportKey, file_name: str, requested_by: str) -> ProductImportItem:
    item = ProductImportItem(
        keys.product_import_pk(key.tenant_id, key.import_id),
        keys.META,
        tenant_id=key.tenant_id,
        id=key.import_id,
        file_name=file_name,
        source_key=str(key),
        status="awaiting_upload",
        requested_by=requested_by,
        requested_at=clock.now_iso(),
        summary={},
    )
    item.save()
    return item


def to_model(item: ProductImportItem, uploads_bucket: str) -> ProductImport:
    summary = {k: int(v) for k, v in (item.summary.as_dict() if item.summary else {}).items()}
    key = ImportKey(item.tenant_id, item.id, item.file_name)
    links = ReportLinks(**key.report_urls(uploads_bucket)) if item.report_key else None
    return ProductImport(
        id=item.id,
        file_name=item.file_name,
        status=item.status,
        requested_by=item.requested_by,
        requested_at=item.requested_at,
        finished_at=item.finished_at,
        **summary,
        rejection=item.rejection.as_dict() if item.rejection else None,
        error_report=links,
        version=item.version or 0,
    )
