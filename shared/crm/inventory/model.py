"""Request and reply shapes of the channel inventory API. Quantities are in the product's base unit."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.customers.model import CustomerId, Strict
from crm.flow.model import Period
from crm.measures import STORABLE, within
from crm.products.model import SKU_PATTERN
from crm.text import FreeText

Sku = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SKU_PATTERN)]
# Batch codes are kept trimmed and upper-case, as the calculation compares them (crm.inventory.reconcile).
Batch = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, min_length=1, max_length=64, pattern=r"^[^\x00-\x1f#]+$"),
]
Flag = Literal["negative_expected", "over_threshold", "no_stock_report", "flow_without_inbound"]
Held = Annotated[float, within(0, 1e12, "Base units the distributor holds"), STORABLE]
Signed = Annotated[float, within(-1e12, 1e12), STORABLE]
Percent = Annotated[float, within(0, 1000), STORABLE]
MAX_OPENING_LINES = 5000  # a distributor's product range; with long batch codes, 150 KB of lines comes first


class InventoryPolicy(Strict):
    variance_threshold_pct: Percent = Field(
        5.0, description="A variance beyond this % of the expected closing is flagged"
    )
    carry_forward: Literal["reported", "computed"] = Field(
        "reported",
        description="Closing a month carries this into the next month's opening: the closing the "
        "distributor reported (the computed one where it sent no report) or the computed one",
    )
    raw_files_kept_years: int = Field(
        5,
        ge=1,
        le=30,
        description="Each file a distributor sends (flow, sell-out, stock, openings, shipments) is kept as it "
        "was sent and cannot be deleted for this many years from its upload (S3 Object Lock): the evidence "
        "rebates and diversion penalties rest on. A change applies to files received from then on",
    )


class StoredPolicy(InventoryPolicy):
    version: int = Field(0, description='0: the default policy (send If-Match: "0" to set it the first time)')


class Figures(BaseModel):
    """A line of the calculation: a product of a distributor, or one batch of it."""

    opening: float
    inbound: float = Field(description="Our shipments to it in the month (ERP reports and shipments files)")
    outbound: float = Field(description="Its accepted flow in the month; returns reduce it")
    adjustments: float = Field(description="Approved adjustments (调整单)")
    expected_closing: float = Field(description="opening + inbound − outbound + adjustments")
    reported_closing: float | None = Field(description="From its stock report; null: no report for the month")
    variance: float | None = Field(description="reported − expected")
    variance_pct: float | None = Field(description="variance as % of |expected| (null when expected is 0)")
    flags: list[Flag]
    sell_through_pct: float | None = Field(
        None, description="outbound as % of what it could sell (opening + inbound + adjustments)"
    )


class InventoryBatchLine(Figures):
    batch: str


class InventoryLine(Figures):
    distributor_id: str
    sku: str
    batches: list[InventoryBatchLine] = Field(
        default_factory=list,
        description="The same figures by batch, when every figure of the product named its "
        "batch (opening, shipments, flow, stock report, adjustments); empty when any did not",
    )


class InventoryReport(BaseModel):
    period: str
    status: Literal["open", "closed"]
    source: Literal["computed", "frozen"] = Field(description="frozen: the figures stored when the month closed")
    variance_threshold_pct: float
    items: list[InventoryLine] = Field(description="A page of product lines, in distributor, sku order")
    next_cursor: str | None = None


class ExportLink(BaseModel):
    url: str = Field(description="GET the XLSX here before it expires")
    expires_in: int
    file_name: str
    lines: int = Field(description="Product lines in the file (its second sheet holds their batch lines)")


class PeriodState(BaseModel):
    period: str
    status: Literal["open", "closed"]
    closed_at: datetime | None = None
    closed_by: str | None = None
    carried: Literal["reported", "computed"] | None = None
    version: int = 0


class PeriodPage(BaseModel):
    items: list[PeriodState]


class OpeningLineIn(Strict):
    sku: Sku
    batch: Batch | None = None
    quantity: Held


class OpeningBody(Strict):
    """A distributor's whole opening stock for the month (期初), set by hand: it replaces earlier hand entries."""

    lines: list[OpeningLineIn] = Field(min_length=1, max_length=MAX_OPENING_LINES)


class OpeningLine(BaseModel):
    distributor_id: str
    sku: str
    batch: str | None = None
    quantity: float
    source: Literal["manual", "file", "carried"]


class OpeningPage(BaseModel):
    period: str
    items: list[OpeningLine]


class AdjustmentIn(Strict):
    period: Period
    distributor_id: CustomerId
    sku: Sku
    batch: Batch | None = Field(None, description="The batch adjusted, when known")
    quantity: Signed = Field(description="Signed, base units: + adds to what the distributor holds, − removes")
    reason: Annotated[str, FreeText(500, min_length=2, multiline=True)]


class Adjustment(BaseModel):
    id: str
    period: str
    distributor_id: str
    sku: str
    batch: str | None = None
    quantity: float
    reason: str
    status: Literal["pending", "approved", "rejected", "withdrawn", "expired"]
    requested_by: str
    requested_at: datetime
    decided_at: datetime | None = None
    approval_id: str | None = None
    version: int = 0


class AdjustmentPage(BaseModel):
    items: list[Adjustment]
