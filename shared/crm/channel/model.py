"""Reply shapes of the channel analysis: terminal sell-out (终端销货) and diversion signals (窜货).

Pure pydantic (no pyarrow): the API function imports this at cold start, the compute modules lazily.
Quantities are in each product's base unit, as the ingest converted them.
"""

from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from crm.customers.model import Region, Territory

MONTH_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"
GroupBy = Literal["terminal", "product", "terminal_product"]
EVIDENCE_LIMIT = 20  # evidence rows per signal; `evidence_total` says how many there are


class SellOutRow(BaseModel):
    terminal_id: str | None = Field(
        None, description="The matched customer; null: a store name nobody matched (shown to HQ roles only)"
    )
    store_name: str | None = Field(None, description="The store name as a file wrote it (the first spelling)")
    sku: str | None = Field(None, description="null when grouped by terminal")
    product_name: str | None = Field(None, description="As a file wrote it, if it did")
    base_unit: str | None = Field(None, description="null when grouped by terminal (products differ)")
    base_quantity: float = Field(description="Sum in base units; by terminal, over all its products")
    base_qty_by_sku: dict[str, float] | None = Field(None, description="Grouped by terminal: per product")
    rows: int
    reported_by: list[str] = Field(description="Whose files reported it (distributor or terminal customer ids)")


class SellOutReport(BaseModel):
    period: str
    group_by: GroupBy
    items: list[SellOutRow]
    next_cursor: str | None = None


class SellOutMonth(BaseModel):
    period: str
    sku: str
    product_name: str | None = None
    base_unit: str
    base_quantity: float
    rows: int
    reported_by: list[str]


class CustomerSellOut(BaseModel):
    customer_id: str
    from_period: str
    to_period: str
    items: list[SellOutMonth] = Field(description="Per month and product, months ascending")


class Evidence(BaseModel):
    """One flow line as the distributor's file had it: enough to find the row and show it to them."""

    load_id: str
    source_row: int = Field(description="n-th data row of the file")
    source_line: int = Field(description="Physical line / row in the file")
    sale_date: date
    sku: str
    batch: str | None = None
    buyer_name: str
    customer_id: str | None = None
    base_quantity: float


class BatchCrossing(BaseModel):
    """A batch we shipped (in the window) only to other distributors, sold by `found_in` this month."""

    sku: str
    batch: str
    found_in: str = Field(description="The distributor whose flow sold it")
    shipped_to: list[str] = Field(description="The distributors we shipped this sku+batch to in the window")
    shipped_quantity: float = Field(description="What we shipped of it in the window, base units")
    quantity: float = Field(description="What found_in's flow sold of it this month, base units")
    rows: int
    evidence: list[Evidence]
    evidence_total: int


class OutOfTerritory(BaseModel):
    """A distributor's flow sold to a buyer whose region lies outside its agreement's territory."""

    distributor_id: str
    customer_id: str
    customer_name: str
    region: Region
    territory: Territory
    quantity: float = Field(description="Sum of base quantities over its products")
    base_qty_by_sku: dict[str, float]
    rows: int
    evidence: list[Evidence]
    evidence_total: int


class Skipped(BaseModel):
    distributor_id: str
    reason: str


class Unjudged(BaseModel):
    """Flow rows the territory check could not judge (they are no signal, and no clean bill either)."""

    distributor_id: str
    unmatched_rows: int = Field(description="Buyer name matched to no customer")
    unknown_region_rows: int = Field(description="The buyer's region lacks the level the territory needs")


class DiversionReport(BaseModel):
    period: str
    shipment_window: list[str] = Field(description="The months whose shipments count as 'shipped to'")
    batch_crossings: list[BatchCrossing]
    out_of_territory: list[OutOfTerritory]
    skipped: list[Skipped] = Field(description="Distributors with flow this month the territory check skipped")
    unjudged: list[Unjudged]
