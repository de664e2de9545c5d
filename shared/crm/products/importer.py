"""The S3-triggered import of one product master file (CSV or XLSX): read, map, validate, upsert, report.

The hostile-file checks (size, encodings, zip bombs, formulas) are the flow ingest's reader's
(crm.ingest.read); the error report is its writer's (formula cells neutralised). A master file
has hundreds of rows, so rows are validated one by one with the same pydantic model as the API,
and every upsert is the API's own write: versioned and audited.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from crm import file_imports
from crm.db import keys
from crm.db.models import ProductItem
from crm.errors import DomainError
from crm.ingest.model import NO_DATA, IngestRejected, Limits
from crm.ingest.template import WHOLE_NUMBER, Header, Layout, find_header, rows
from crm.products import imports
from crm.products import repository as repo
from crm.products.imports import ImportKey
from crm.products.model import Product, ProductCreate
from crm.products.service import write_changes, write_new

log = logging.getLogger(__name__)

NO_VALID_ROWS = "no valid rows"

# Field → header spellings (compared normalised: case, spaces, brackets and punctuation ignored).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": (
        "商品编码",
        "产品编码",
        "货品编码",
        "物料编码",
        "商品编号",
        "产品编号",
        "货品编号",
        "编码",
        "sku",
        "product code",
        "code",
    ),
    "name": ("商品名称", "品名", "产品名称", "货品名称", "药品名称", "名称", "name", "product name"),
    "spec": ("规格", "规格型号", "商品规格", "产品规格", "spec", "specification"),
    "base_unit": ("基本单位", "单位", "计量单位", "最小单位", "base unit", "unit"),
    "case_size": ("件装量", "箱规", "装箱数", "每箱数量", "包装数量", "case size", "units per case"),
    "category": ("类别", "分类", "商品类别", "产品类别", "商品分类", "category"),
    "status": ("状态", "商品状态", "status"),
}
LAYOUT = Layout(
    SYNONYMS,
    required=("sku", "name", "spec", "base_unit", "case_size"),
    limits=Limits(max_bytes=10 * 1024 * 1024, max_rows=20_000, max_columns=50),
    header_scan=30,
)
STATUS_WORDS = {
    "active": "active",
    "启用": "active",
    "在售": "active",
    "正常": "active",
    "有效": "active",
    "inactive": "inactive",
    "停用": "inactive",
    "停售": "inactive",
    "禁用": "inactive",
    "无效": "inactive",
}


@dataclass
class Outcome:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # ERRORS_SCHEMA rows

    @property
    def rejected(self) -> int:
        return len({e["row"] for e in self.errors})


def import_object(uploads_bucket: str, raw_key: str, version: str | None = None) -> str:
    """Imports one uploaded object; returns the import's final status ('ignored' for a repeated event)."""
    key = ImportKey.parse(raw_key)
    return file_imports.run(
        uploads_bucket,
        key,
        imports.records,
        lambda record, data: _process(uploads_bucket, key, record, data),
        log,
        version,
    )


def _process(bucket: str, key: ImportKey, record: Any, data: bytes) -> str:
    try:
        outcome = run(key.tenant_id, record.requested_by, key.import_id, data, key.file_name)
    except IngestRejected as exc:
        imports.finish(record, "rejected", rejection={"code": exc.rejection.code, "message": exc.rejection.message})
        return "rejected"
    report = file_imports.write_reports(bucket, key, outcome.errors) if outcome.errors else None
    summary = {
        "rows": outcome.rows,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "rejected": outcome.rejected,
    }
    if outcome.rejected == outcome.rows:
        imports.finish(
            record,
            "rejected",
            summary=summary,
            report_key=report,
            rejection={"code": NO_VALID_ROWS, "message": "No row of the file is valid; see the report."},
        )
        return "rejected"
    status = "completed_with_errors" if outcome.rejected else "completed"
    imports.finish(record, status, summary=summary, report_key=report)
    return status


def run(tenant_id: str, actor_id: str, import_id: str, data: bytes, file_name: str) -> Outcome:
    """Reads, validates and upserts; raises IngestRejected when the file as a whole cannot be used."""
    sheet, header = find_header(data, file_name, LAYOUT, _missing_message)
    existing = _master(tenant_id)
    outcome = Outcome()
    first_line: dict[str, int] = {}
    for line, values in rows(sheet, header):
        outcome.rows += 1
        body = _validate(values, header, outcome, line)
        if body is None:
            continue
        if body.sku in first_line:
            _error(
                outcome,
                line,
                header.text("sku"),
                body.sku,
                f"sku repeated in this file (first on line {first_line[body.sku]})",
            )
            continue
        first_line[body.sku] = line
        _upsert(tenant_id, actor_id, import_id, body, header, existing, outcome, line)
    if outcome.rows == 0:
        raise IngestRejected(NO_DATA, "The file has a header but no data rows.")
    return outcome


def _missing_message(missing: list[str]) -> str:
    names = ", ".join("/".join(SYNONYMS[f][:2] + SYNONYMS[f][-1:]) for f in missing)
    return f"No header row with the required columns; missing: {names}."


def _validate(values: dict[str, str], header: Header, outcome: Outcome, line: int) -> ProductCreate | None:
    data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
    if "case_size" in data and (whole := WHOLE_NUMBER.match(data["case_size"])):
        data["case_size"] = whole.group(1)  # "60.0" from a spreadsheet is 60
    if "status" in data:
        data["status"] = STATUS_WORDS.get(data["status"].casefold(), data["status"])
    try:
        return ProductCreate.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err.get("loc") else "row"
            message = "required" if err["type"] == "missing" else err["msg"]
            _error(outcome, line, header.text(name), values.get(name, ""), message)
        return None


def _upsert(
    tenant_id: str,
    actor_id: str,
    import_id: str,
    body: ProductCreate,
    header: Header,
    existing: dict[str, Product],
    outcome: Outcome,
    line: int,
) -> None:
    reason = f"product import {import_id}"
    before = existing.get(body.sku)
    try:
        if before is None:
            existing[body.sku] = write_new(tenant_id, actor_id, body, "import", reason)
            outcome.created += 1
            return
        # Columns the file does not have keep their stored values (a file without 状态 changes no status).
        given = body.model_dump(include={f for f in header.columns if f != "sku"})
        after = write_changes(
            tenant_id, actor_id, before, Product.model_validate({**before.model_dump(), **given}), "import", reason
        )
    except DomainError as exc:  # changed by someone else meanwhile: this row is not applied
        _error(outcome, line, header.text("sku"), body.sku, f"not saved: {exc.detail}")
        return
    if after.version == before.version:
        outcome.unchanged += 1
    else:
        existing[body.sku] = after
        outcome.updated += 1


def _master(tenant_id: str) -> dict[str, Product]:
    """The whole master, one Query: what each row is compared with."""
    items = ProductItem.query(keys.products_pk(tenant_id), ProductItem.sk.startswith("SKU#"))
    return {item.sku: repo.from_item(item) for item in items}


def _error(outcome: Outcome, line: int, column: str, value: str, reason: str) -> None:
    outcome.errors.append({"row": outcome.rows, "line": line, "column": column, "value": value, "reason": reason})
