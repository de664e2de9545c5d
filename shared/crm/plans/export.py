"""XLSX files of the plans API: the blank import template and the plan vs actual report.

openpyxl is imported inside each call: only these two routes need it, and the plans API's other
routes keep their cold start. Text cells a spreadsheet would run as a formula are neutralised.
"""

import io
from decimal import Decimal
from typing import Any

from crm.plans.model import PlanReport, ReportRow
from crm.text import neutralise

CENT = Decimal("0.01")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_HEADER = ("商品编码/SKU", "客户编码(optional)", "数量")
REPORT_HEADER = {
    "product": ("商品编码 sku", "商品名称 product"),
    "customer": ("客户编码 customer id", "客户名称 customer"),
    "org_unit": ("组织编码 org unit id", "组织名称 org unit"),
}
FIGURES = ("计划数量 plan qty", "实际数量 actual qty", "实际金额 actual amount", "达成率% attainment")


def _save(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def template_xlsx() -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "订货计划"
    sheet.append(list(TEMPLATE_HEADER))
    for column, width in zip("ABC", (20, 30, 12), strict=True):
        sheet.column_dimensions[column].width = width
    notes = workbook.create_sheet("说明")
    for text in (
        "每行一个商品 (可按客户拆分): 商品编码必填且须为启用商品; "
        "客户编码选填 (本系统的客户 ID); 数量为非负整数 (基本单位).",
        "One line per product (optionally per customer): SKU required (an active product); customer id "
        "optional (the CRM's id); quantity a whole number >= 0 in the base unit.",
        "上传即整体替换该组织该月的计划; 任一行有误则整份文件不导入, 错误报告列出每一行.",
        "An upload replaces the unit's plan for the month as a whole; any bad row rejects the whole file.",
    ):
        notes.append([text])
    return _save(workbook)


def _cells(row: ReportRow) -> list[Any]:
    """Numbers stay numbers (quantities, the amount to the cent, attainment to 0.1 %; blank when plan is 0)."""
    return [
        neutralise(row.key or ""),
        neutralise(row.label),
        row.plan_quantity,
        row.actual_quantity,
        row.actual_amount.quantize(CENT),
        row.attainment_percent,
    ]


def report_xlsx(report: PlanReport) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(f"计划达成 {report.month}")
    sheet.append(
        [
            f"计划 vs 实际 plan vs actual {report.month}",
            f"按 by {report.group_by.value}",
            f"组织 org unit: {report.org_unit_id or '全部 all'}",
        ]
    )
    sheet.append([neutralise(f"实际口径 actual: {report.actual_basis}")])
    sheet.append([*REPORT_HEADER[report.group_by.value], *FIGURES])
    for row in report.rows:
        sheet.append(_cells(row))
    sheet.append(_cells(report.total))
    return _save(workbook)
