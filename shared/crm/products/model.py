"""The product master (商品档案), its price lists and available stock: request and reply shapes.

Prices are exact decimals that travel as strings ("12.50"): a JSON number would pass through a
float on the way in, so numbers are refused rather than rounded.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    Field,
    PlainSerializer,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from crm.clock import IsoDateTime
from crm.customers.model import ChangeEntry, CustomerType, HistoryPage, Level, Strict  # noqa: F401 (re-exported)
from crm.decimals import DecimalText
from crm.text import FreeText
from crm.upload_links import UploadForm

SKU_PATTERN = r"^[A-Za-z0-9._-]{1,40}$"

Sku = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SKU_PATTERN)]
Text = Annotated[str, FreeText(200, min_length=1)]
Unit = Annotated[str, FreeText(20, min_length=1)]
Category = Annotated[str, FreeText(50, min_length=1)]
CaseSize = Annotated[int, Field(gt=0, le=1_000_000, description="Base units per case (件装量/箱规)")]


class ProductStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"


def price_text(value: Decimal) -> str:
    """At least two decimal places, at most the four a price may carry: 12.5 → "12.50", 3.1416 stays."""
    return str(value.quantize(Decimal("0.01")) if value.as_tuple().exponent > -2 else value)  # type: ignore[operator]


Price = Annotated[
    Decimal,
    DecimalText(4, 12, "12.50", positive=True, description="Unit price per base unit, a decimal string"),
    PlainSerializer(price_text, return_type=str),
]


# ------------------------------------------------------------------ product


class _Fields(Strict):
    name: Text
    spec: Text
    base_unit: Unit
    case_size: CaseSize
    category: Category | None = None
    status: ProductStatus = ProductStatus.ACTIVE


class ProductCreate(_Fields):
    sku: Sku = Field(description="The product code, as the ERP and distributors' files know it; cannot change")


class ProductPatch(Strict):
    """Only the fields present change; `null` clears the category. The sku cannot change."""

    name: Text | SkipJsonSchema[None] = None  # SkipJsonSchema: may be left out, never null (see _not_null)
    spec: Text | SkipJsonSchema[None] = None
    base_unit: Unit | SkipJsonSchema[None] = None
    case_size: CaseSize | SkipJsonSchema[None] = None
    category: Category | None = None
    status: ProductStatus | SkipJsonSchema[None] = None

    @field_validator("name", "spec", "base_unit", "case_size", "status")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be changed but not cleared")
        return value


class Stock(BaseModel):
    available: int = Field(description="Available quantity in the product's base unit, as the ERP reported it")
    as_of: datetime = Field(description="When the ERP counted it")


class Product(BaseModel):
    """The record as stored and as returned; `stock` is null until the ERP first reports it."""

    sku: str
    name: str
    spec: str
    base_unit: str
    case_size: int
    category: str | None = None
    status: ProductStatus = ProductStatus.ACTIVE
    stock: Stock | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = 0


class ProductPage(BaseModel):
    items: list[Product]
    next_cursor: str | None = None


@dataclass(frozen=True)
class ProductFilters:
    q: str | None = None
    category: str | None = None
    status: str | None = None


# ------------------------------------------------------------------ prices


class PriceEntry(Strict):
    customer_type: CustomerType
    level: Level | None = Field(default=None, description="null: the default for every level of this type")
    unit_price: Price


class PriceListBody(Strict):
    """The whole price list of one product; it replaces the stored one."""

    items: list[PriceEntry] = Field(max_length=len(CustomerType) * (len(Level) + 1))

    @model_validator(mode="after")
    def _one_price_per_type_and_level(self) -> "PriceListBody":
        seen: set[tuple[str, str | None]] = set()
        for entry in self.items:
            key = (entry.customer_type.value, entry.level.value if entry.level else None)
            if key in seen:
                raise ValueError(f"two prices for {key[0]} level {key[1] or 'default'}")
            seen.add(key)
        return self


class PriceList(BaseModel):
    sku: str
    items: list[PriceEntry]
    updated_at: datetime | None = None
    updated_by: str | None = None
    version: int = Field(0, description='0: no price list yet (send If-Match: "0" to create it)')


class PriceQuote(BaseModel):
    sku: str
    customer_type: CustomerType
    level: Level | None = None
    unit_price: Price
    matched: Literal["level", "type_default"] = Field(description="Which entry of the price list gave the price")


# ------------------------------------------------------------------ stock from the ERP


class StockReport(Strict):
    sku: Sku
    available: Annotated[int, Field(ge=0, le=10**12)]
    as_of: IsoDateTime = Field(description="When the ERP counted it, with a time zone")


class StockUpdate(Strict):
    items: list[StockReport] = Field(min_length=1, max_length=500)


class StockOutcome(BaseModel):
    sku: str
    outcome: Literal["updated", "stale", "unknown_sku"] = Field(
        description="stale: a report at least as recent is already stored, this one is ignored"
    )


class StockResult(BaseModel):
    updated: int
    stale: int
    unknown: int
    items: list[StockOutcome]


def as_of_text(value: datetime) -> str:
    """UTC with microseconds, fixed width: text order is time order, so DynamoDB can compare it."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


# ------------------------------------------------------------------ imports


class ImportRequest(Strict):
    file_name: Annotated[str, FreeText(200, min_length=1)]


class ImportTicket(UploadForm):
    """Where to upload the file (a presigned POST form) and the import it starts."""

    import_id: str
    key: str


ImportStatus = Literal["awaiting_upload", "processing", "completed", "completed_with_errors", "rejected"]


class ReportLinks(BaseModel):
    csv: str
    xlsx: str
    expires_in: int


class ProductImport(BaseModel):
    id: str
    file_name: str
    status: ImportStatus
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    rejection: dict[str, Any] | None = Field(default=None, description="Why the whole file was refused")
    error_report: ReportLinks | None = Field(default=None, description="The rejected rows, with reasons")
    version: int
