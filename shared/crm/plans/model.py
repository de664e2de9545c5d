"""Order plans (订货计划): per org unit and month, lines of product (and optionally customer) and quantity.

Request and reply shapes of the plans API, its file import and the plan vs actual report.
Quantities are in the product's base unit; amounts are exact decimals sent as strings.
"""

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from crm.customers.model import CustomerId, Strict
from crm.products.model import SKU_PATTERN, ImportTicket, ReportLinks  # noqa: F401 (re-exported)
from crm.text import FreeText
from pydantic import BaseModel, Field, PlainSerializer, StringConstraints

MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
UNIT_PATTERN = r"^[A-Za-z0-9._-]{1,40}$"
MAX_LINES = 2000  # a department's month: a few hundred products x key customers, far below the 400 KB item limit

Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
UnitId = Annotated[str, StringConstraints(pattern=UNIT_PATTERN)]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SKU_PATTERN)]
# strict: "3" or 3.5 would be guessed; a planned quantity in base units is a JSON integer
PlanQuantity = Annotated[int, Field(strict=True, ge=0, le=1_000_000_000, description="In the product's base unit")]
Amount = Annotated[Decimal, PlainSerializer(lambda d: str(d.quantize(Decimal("0.01"))), return_type=str)]
Percent = Annotated[Decimal, PlainSerializer(lambda d: str(d.quantize(Decimal("0.1"))), return_type=str)]


class PlanLineIn(Strict):
    sku: Sku = Field(description="A known, active product")
    customer_id: CustomerId | None = Field(
        default=None, description="Optional: a plan line for one customer (in the plan's org unit subtree)"
    )
    quantity: PlanQuantity


class PlanBody(Strict):
    """The whole plan of one org unit and month; it replaces the stored lines."""

    lines: list[PlanLineIn] = Field(max_length=MAX_LINES)


class PlanLine(BaseModel):
    sku: str
    customer_id: str | None = None
    quantity: int


class Plan(BaseModel):
    org_unit_id: str
    org_unit_name: str
    month: str
    lines: list[PlanLine]
    total_quantity: int
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = Field(0, description='0: no plan yet (send If-Match: "0" to create it)')


class PlanSummary(BaseModel):
    org_unit_id: str
    org_unit_name: str
    month: str
    line_count: int
    total_quantity: int
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int


class PlanList(BaseModel):
    items: list[PlanSummary]
    next_cursor: str | None = Field(None, description="Always null: a month has one plan per org unit")


# ------------------------------------------------------------------ imports


class PlanImportRequest(Strict):
    org_unit_id: UnitId
    month: Month
    file_name: Annotated[str, FreeText(200, min_length=1)]


ImportStatus = Literal["awaiting_upload", "processing", "completed", "rejected"]


class PlanImport(BaseModel):
    id: str
    org_unit_id: str
    month: str
    file_name: str
    status: ImportStatus = Field(
        description="completed: the plan's lines were replaced; rejected: the plan is "
        "untouched (any bad row rejects the whole file)"
    )
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None = None
    rows: int = 0
    rejected: int = 0
    plan_version: int | None = Field(default=None, description="The plan's version after the import")
    rejection: dict[str, str] | None = Field(default=None, description="Why the file was refused")
    error_report: ReportLinks | None = Field(default=None, description="The bad rows, with reasons")
    version: int


# ------------------------------------------------------------------ plan vs actual


class GroupBy(StrEnum):
    PRODUCT = "product"
    CUSTOMER = "customer"
    ORG_UNIT = "org_unit"


class ReportRow(BaseModel):
    key: str | None = Field(description="sku, customer id or org unit id; null: plan lines for no customer")
    label: str = Field(description="Product name, customer name or org unit name")
    plan_quantity: int
    actual_quantity: int
    actual_amount: Amount
    attainment_percent: Percent | None = Field(description="actual / plan x 100, one decimal; null when plan is 0")


class PlanReport(BaseModel):
    month: str
    group_by: GroupBy
    org_unit_id: str | None = Field(description="The subtree reported on; null: the whole tenant")
    actual_basis: str = Field(description="Which orders count as actual")
    rows: list[ReportRow]
    total: ReportRow
