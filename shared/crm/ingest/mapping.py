"""Mapping templates: which header in a distributor's file means which canonical column, and the kinds
of file the one ingest pipeline reads (flow, terminal sell-out, stock counts, opening balances, shipments).

Pure pydantic and stdlib on purpose (no pyarrow): the HTTP API validates templates with this model.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm.text import normalize_name


class Col(StrEnum):
    """Canonical columns of a flow line."""

    DATE = "date"
    PRODUCT_CODE = "product_code"
    PRODUCT_NAME = "product_name"
    SPEC = "spec"
    BATCH = "batch"
    QUANTITY = "quantity"
    UNIT = "unit"
    BUYER_NAME = "buyer_name"
    BUYER_ADDRESS = "buyer_address"
    AMOUNT = "amount"
    DOCUMENT_NO = "document_no"
    LINE_NO = "line_no"
    TXN_TYPE = "txn_type"
    DISTRIBUTOR = "distributor"  # shipments files: which distributor we shipped to (its customer id)


# Common Chinese (and a few English) headers; most files map with these alone, no template needed.
BUILTIN_HEADERS: dict[Col, tuple[str, ...]] = {
    Col.DATE: ("销售日期", "单据日期", "日期", "出库日期", "开票日期", "业务日期", "发货日期", "date"),
    Col.PRODUCT_CODE: (
        "商品编码",
        "货品编号",
        "产品编码",
        "商品编号",
        "产品编号",
        "货品编码",
        "物料编码",
        "商品ID",
        "sku",
    ),
    Col.PRODUCT_NAME: ("商品名称", "品名", "产品名称", "货品名称", "药品名称", "通用名"),
    Col.SPEC: ("规格", "规格型号", "商品规格", "产品规格", "包装规格"),
    Col.BATCH: ("批号", "生产批号", "批次", "批次号", "batch", "lot"),
    Col.QUANTITY: ("数量", "销售数量", "出库数量", "发货数量", "qty", "quantity"),
    Col.UNIT: ("单位", "计量单位", "包装单位"),
    Col.BUYER_NAME: ("客户名称", "购货单位", "终端名称", "购买方", "客户", "收货单位", "购货方", "单位名称"),
    Col.BUYER_ADDRESS: ("客户地址", "地址", "收货地址", "终端地址"),
    Col.AMOUNT: ("金额", "销售金额", "含税金额", "价税合计"),
    Col.DOCUMENT_NO: ("单据编号", "单据号", "单号", "出库单号", "销售单号"),
    Col.LINE_NO: ("行号", "明细行号", "序号"),
    Col.TXN_TYPE: ("业务类型", "单据类型", "交易类型", "销售类型"),
    Col.DISTRIBUTOR: ("经销商编码", "经销商代码", "经销商", "distributor"),
}

# Every kind needs a product: a code or a name (a name then also uses the spec).
PRODUCT_KEYS: tuple[Col, ...] = (Col.PRODUCT_CODE, Col.PRODUCT_NAME)


class FileKind(StrEnum):
    """What a file reports. Each kind has its own rules, mapping template and Parquet table."""

    FLOW = "flow"  # 流向: what a distributor sold, to which buyer
    SELLOUT = "sellout"  # 终端销货: what terminals sold to consumers, per store
    INVENTORY = "inventory"  # 库存: the stock a distributor counted at the end of the period
    OPENING = "opening"  # 期初: the stock a distributor held when the period opened
    SHIPMENTS = "shipments"  # our own shipments to distributors (history; the ERP reports the current ones)


DateRule = Literal["in_period", "optional", "ignored"]


@dataclass(frozen=True)
class KindRules:
    required: tuple[Col, ...]  # besides a product key
    headers: dict[Col, tuple[str, ...]]  # this kind's own header synonyms, tried before the built-in ones
    dates: DateRule  # in_period: required, inside the period; optional: when given, inside; ignored
    quantity: Literal["non_zero", "non_negative"]  # movements are signed (returns < 0); stock counts are not
    match_buyers: bool  # buyer names are matched to customers (review queue, aliases)


STOCK_QUANTITY = ("库存数量", "结存数量", "期末库存", "期末数量", "库存", "结存", "现存数量", "实盘数量")
KIND_RULES: dict[FileKind, KindRules] = {
    FileKind.FLOW: KindRules((Col.DATE, Col.QUANTITY, Col.BUYER_NAME), {}, "in_period", "non_zero", True),
    FileKind.SELLOUT: KindRules(
        (Col.DATE, Col.QUANTITY, Col.BUYER_NAME),
        {Col.BUYER_NAME: ("门店名称", "门店", "药店名称", "终端名称"), Col.QUANTITY: ("零售数量", "销售数量")},
        "in_period",
        "non_zero",
        True,
    ),
    FileKind.INVENTORY: KindRules(
        (Col.QUANTITY,),
        {Col.QUANTITY: STOCK_QUANTITY, Col.DATE: ("盘点日期", "库存日期", "统计日期")},
        "optional",
        "non_negative",
        False,
    ),
    FileKind.OPENING: KindRules(
        (Col.QUANTITY,), {Col.QUANTITY: ("期初数量", "期初库存", *STOCK_QUANTITY)}, "ignored", "non_negative", False
    ),
    FileKind.SHIPMENTS: KindRules(
        (Col.DATE, Col.QUANTITY, Col.DISTRIBUTOR),
        {Col.QUANTITY: ("发货数量", "出库数量", "qty")},
        "in_period",
        "non_zero",
        False,
    ),
}

UnitRule = Literal["base", "case"] | Annotated[float, Field(gt=0)]


class MappingTemplate(BaseModel):
    """One distributor's file layout. Every field has a default: the empty template is the built-in one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(
        "builtin-2",
        min_length=1,
        max_length=64,
        description="The server's: stamped on every save and recorded on every imported line "
        "(lineage). Omit it when writing; one sent must be the stored template's (PUT: else 412; "
        "POST: 409)",
    )
    headers: dict[Col, list[str]] = Field(
        default_factory=dict, description="Header synonyms per canonical column, tried before the built-in ones"
    )
    use_builtin_headers: bool = True
    sheet: str | None = Field(None, description="XLSX sheet holding the detail; default: the first sheet that maps")
    header_row: int | None = Field(None, ge=1, description="Physical row of the header; default: detected")
    encoding: Literal["auto", "utf-8", "gb18030"] = "auto"
    delimiter: Literal[",", "\t", ";", "|"] | None = Field(None, description="Text files; default: detected")
    date_formats: list[str] = Field(
        default_factory=lambda: [
            "%Y-%m-%d",
            "%Y/%m/%d",
            "%Y%m%d",
            "%Y.%m.%d",
            "%Y年%m月%d日",
            "%Y-%m-%d %H:%M:%S",
            "%Y-%m-%d %H:%M",
            "%Y/%m/%d %H:%M:%S",
            "%Y/%m/%d %H:%M",
        ],
        min_length=1,
        description="strptime formats tried in order; XLSX date cells need none",
    )
    units: dict[str, UnitRule] = Field(
        default_factory=lambda: dict[str, UnitRule]({"件": "case", "箱": "case"}),
        description=(
            "Unit → 'base', 'case' (× product case size) or a fixed factor; the product's own base unit is always known"
        ),
    )
    blank_unit_is_base: bool = Field(True, description="An empty unit cell means the product's base unit")
    total_markers: list[str] = Field(default_factory=lambda: ["合计", "总计", "小计"])
    return_types: list[str] = Field(
        default_factory=lambda: ["退货", "退回", "销退"],
        description="A row whose transaction type contains one of these is a return: its quantity counts negative",
    )

    def synonyms(self, kind: FileKind = FileKind.FLOW) -> dict[str, Col]:
        """Normalised header text → canonical column: the template's own synonyms, then the kind's, then
        the built-in ones (a stock file's 库存数量 is its quantity; a flow file's 数量 is)."""
        table: dict[str, Col] = {}
        builtin = [KIND_RULES[kind].headers, BUILTIN_HEADERS] if self.use_builtin_headers else []
        sources: list[Mapping[Any, Sequence[str]]] = [self.headers, *builtin]
        for source in sources:
            for col, names in source.items():
                for name in names:
                    table.setdefault(normalize_name(name), Col(col))
        return table


# A bracketed qualifier after a header: 数量(盒), 金额（元）. The header is known without it; a quantity's is its unit.
QUALIFIER = re.compile(r"[(（\[【〔]([^()（）\[\]【】〔〕]*)[)）\]】〕]")


class HeaderMatch(BaseModel):
    """Where the header is and which file column feeds which canonical column."""

    row_index: int  # index into the grid given to locate_header
    columns: dict[Col, int]
    headers: list[str]
    required: tuple[Col, ...] = KIND_RULES[FileKind.FLOW].required
    quantity_unit: str | None = None  # 盒 from a quantity header 数量(盒): every row's unit when no column says

    def missing(self) -> list[Col]:
        missing = [c for c in self.required if c not in self.columns]
        if not any(c in self.columns for c in PRODUCT_KEYS):
            missing.append(Col.PRODUCT_CODE)
        return missing

    def header_text(self, col: Col) -> str:
        if col not in self.columns and col == Col.UNIT and self.quantity_unit:
            col = Col.QUANTITY  # the unit is written in the quantity's header
        return self.headers[self.columns[col]] if col in self.columns else col.value


def match_header(
    cells: list[str], synonyms: dict[str, Col], row_index: int, kind: FileKind = FileKind.FLOW
) -> HeaderMatch:
    """Each cell as written; then, for columns still unmapped, cells without their bracketed qualifiers (数量(盒)
    is a quantity in 盒, but a file with both 数量 and 数量(赠品) means 数量)."""
    columns: dict[Col, int] = {}
    qualifiers: dict[Col, str] = {}
    for i, cell in enumerate(cells):
        col = synonyms.get(normalize_name(cell))
        if col is not None and col not in columns:  # first occurrence wins, a repeated header is ignored
            columns[col] = i
    for i, cell in enumerate(cells):
        if i in columns.values() or not (found := QUALIFIER.findall(cell)):
            continue
        col = synonyms.get(normalize_name(QUALIFIER.sub("", cell)))
        if col is not None and col not in columns:
            columns[col], qualifiers[col] = i, found[-1].strip()
    unit = qualifiers.get(Col.QUANTITY) if Col.UNIT not in columns else None
    return HeaderMatch(
        row_index=row_index,
        columns=columns,
        headers=[c.strip() for c in cells],
        required=KIND_RULES[kind].required,
        quantity_unit=unit,
    )


def locate_header(
    rows: list[list[str]], template: MappingTemplate, scan: int = 30, kind: FileKind = FileKind.FLOW
) -> HeaderMatch | None:
    """The first row among the first `scan` that maps every required column, else the best-mapping row.

    Title rows above the header map nothing, so they lose; returns None only for an empty grid.
    """
    synonyms = template.synonyms(kind)
    candidates = [match_header(r, synonyms, i, kind) for i, r in enumerate(rows[:scan]) if any(c.strip() for c in r)]
    for candidate in candidates:
        if not candidate.missing():
            return candidate
    return max(candidates, key=lambda m: len(m.columns), default=None)


def mapping_json_schema() -> dict[str, Any]:
    """What schemas/flow-mapping.schema.json holds (a test keeps them equal)."""
    schema = MappingTemplate.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "flow-mapping.schema.json"
    return schema
