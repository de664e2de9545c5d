"""The S3-triggered import of one filled-in plan template (XLSX, or CSV): read, validate, replace the plan.

All or nothing: a template upload is the planner's whole plan for the unit and month, so a file with
any bad row is rejected as a whole, the plan stays as it was, and the error report lists every bad
row (a plan silently missing the rows that failed would be worse than no change). A valid file
replaces the plan's lines with the API's own write: versioned and audited.

The hostile-file checks (size, encodings, zip bombs) are the flow ingest's reader's
(crm.ingest.read); the error report is its writer's (formula cells neutralised).
"""

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from crm import file_imports
from crm.errors import DomainError
from crm.ingest.model import NO_DATA, IngestRejected, Limits
from crm.ingest.template import WHOLE_NUMBER, Header, Layout, find_header, rows
from crm.org import directory
from crm.plans import imports
from crm.plans import repository as repo
from crm.plans.imports import ImportKey
from crm.plans.model import MAX_LINES, PlanLineIn
from crm.plans.service import check_lines, write_lines
from pydantic import ValidationError

log = logging.getLogger(__name__)

BAD_ROWS = "bad rows"

SYNONYMS: dict[str, tuple[str, ...]] = {
    "sku": ("商品编码/SKU", "商品编码", "产品编码", "货品编码", "物料编码", "sku", "product code"),
    "customer_id": ("客户编码(optional)", "客户编码", "客户ID", "客户编号", "customer id", "customer"),
    "quantity": ("数量", "计划数量", "订货数量", "quantity", "qty"),
}
LAYOUT = Layout(
    SYNONYMS,
    required=("sku", "quantity"),
    limits=Limits(max_bytes=5 * 1024 * 1024, max_rows=MAX_LINES + 50, max_columns=30),
    header_scan=20,
)


@dataclass
class Outcome:
    lines: list[PlanLineIn] = field(default_factory=list)
    lines_at: list[tuple[int, int]] = field(default_factory=list)  # (data row, file line) of each valid line
    rows: int = 0
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
    unit = directory.find_unit(key.tenant_id, record.org_unit_id)
    if unit is None:
        imports.finish(record, "rejected", rejection={"code": "unknown org unit", "message": "The org unit is gone."})
        return "rejected"
    try:
        outcome = read(key.tenant_id, unit, data, key.file_name)
    except IngestRejected as exc:
        imports.finish(record, "rejected", rejection={"code": exc.rejection.code, "message": exc.rejection.message})
        return "rejected"
    summary = {"rows": outcome.rows, "rejected": outcome.rejected}
    if outcome.errors:
        report = file_imports.write_reports(bucket, key, outcome.errors)
        imports.finish(
            record,
            "rejected",
            summary=summary,
            report_key=report,
            rejection={
                "code": BAD_ROWS,
                "message": f"{outcome.rejected} of {outcome.rows} rows are not "
                "valid; the plan was not changed. Fix them (see the report) and upload again.",
            },
        )
        return "rejected"
    before = repo.get(key.tenant_id, record.month, unit.id)
    try:
        plan = write_lines(
            key.tenant_id,
            record.requested_by,
            unit,
            record.month,
            before,
            outcome.lines,
            "import",
            f"plan import {key.import_id}",
        )
    except DomainError as exc:  # the plan changed between our read and the write
        imports.finish(record, "rejected", summary=summary, rejection={"code": "conflict", "message": exc.detail})
        return "rejected"
    imports.finish(record, "completed", summary={**summary, "plan_version": plan.version})
    return "completed"


def read(tenant_id: str, unit: Any, data: bytes, file_name: str) -> Outcome:
    """Every row parsed and checked; raises IngestRejected when the file as a whole cannot be used."""
    sheet, header = find_header(data, file_name, LAYOUT, _missing_message)
    outcome = Outcome()
    for file_line, values in rows(sheet, header):
        outcome.rows += 1
        line = _parse(values, header, outcome, file_line)
        if line is not None:
            outcome.lines.append(line)
            outcome.lines_at.append((outcome.rows, file_line))
    if outcome.rows == 0:
        raise IngestRejected(NO_DATA, "The file has a header but no plan lines.")
    for problem in check_lines(tenant_id, unit, outcome.lines, lambda i, f: f"{i}|{f or ''}"):
        index, name = problem["field"].split("|")
        row, file_line = outcome.lines_at[int(index)]
        value = getattr(outcome.lines[int(index)], name or "sku") or ""
        outcome.errors.append(
            {
                "row": row,
                "line": file_line,
                "column": header.text(name or "sku"),
                "value": str(value),
                "reason": _row_message(problem["message"], outcome.lines_at),
            }
        )
    outcome.errors.sort(key=lambda e: (e["row"], e["column"]))
    return outcome


def _row_message(message: str, lines_at: list[tuple[int, int]]) -> str:
    """check_lines names a repeated line by its index among valid lines; the planner knows file lines."""
    found = re.search(r"repeats line (\d+)\|$", message)
    if found:
        return message[: found.start()] + f"repeats file line {lines_at[int(found.group(1))][1]}"
    return message


def _missing_message(missing: list[str]) -> str:
    return (
        "No header row with the template's columns; missing: "
        + ", ".join(SYNONYMS[f][0] for f in missing)
        + ". Start from GET /plans/template.xlsx."
    )


def _parse(values: dict[str, str], header: Header, outcome: Outcome, line: int) -> PlanLineIn | None:
    data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
    quantity = data.get("quantity")
    if quantity is not None:
        whole = WHOLE_NUMBER.match(quantity)  # "60.0" from a spreadsheet is 60; "-1", "1.5", "十" are not quantities
        data["quantity"] = int(whole.group(1)) if whole else quantity
    try:
        return PlanLineIn.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            name = str(err["loc"][0]) if err.get("loc") else "sku"
            message = (
                "required"
                if err["type"] == "missing"
                else ("a whole number >= 0" if name == "quantity" else err["msg"])
            )
            outcome.errors.append(
                {
                    "row": outcome.rows,
                    "line": line,
                    "column": header.text(name),
                    "value": values.get(name, ""),
                    "reason": message,
                }
            )
        return None
