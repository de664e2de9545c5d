"""The month's channel inventory as an XLSX download (openpyxl imported here only)."""

import io

from crm.inventory.model import Figures, InventoryLine
from crm.text import neutralise

FIGURES = (
    "期初 opening",
    "入库 in",
    "出库(流向) out",
    "调整 adjustments",
    "计算期末 expected closing",
    "上报期末 reported closing",
    "差异 variance",
    "差异% variance %",
    "动销率% sell-through %",
    "标记 flags",
)
HEADER = ("经销商 distributor", "商品 sku", *FIGURES)
BATCH_HEADER = ("经销商 distributor", "商品 sku", "批号 batch", *FIGURES)


def _figures(line: Figures) -> list[object]:
    return [
        line.opening,
        line.inbound,
        line.outbound,
        line.adjustments,
        line.expected_closing,
        line.reported_closing,
        line.variance,
        line.variance_pct,
        line.sell_through_pct,
        ", ".join(line.flags),
    ]


def report_xlsx(period: str, source: str, threshold_pct: float, lines: list[InventoryLine]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(f"渠道库存 {period}")
    state = "已关账 closed (frozen)" if source == "frozen" else "未关账 open (computed now)"
    sheet.append([f"渠道库存计算单 channel inventory {period}", state, f"差异阈值 threshold {threshold_pct}%"])
    sheet.append(list(HEADER))
    for line in lines:
        sheet.append([neutralise(line.distributor_id), neutralise(line.sku), *_figures(line)])
    by_batch = workbook.create_sheet(f"批号 batches {period}")  # products whose batches are all known
    by_batch.append(list(BATCH_HEADER))
    for line in lines:
        for batch in line.batches:
            by_batch.append(
                [neutralise(line.distributor_id), neutralise(line.sku), neutralise(batch.batch), *_figures(batch)]
            )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
