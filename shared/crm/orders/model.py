"""Orders (订货单) and return requests (退货申请): states, the transition tables, request and reply shapes.

Every change of an order or a return goes through `next_state(...)` with one of the two tables
below; nothing else decides which action is allowed in which state.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer, StringConstraints, field_validator
from pydantic.json_schema import SkipJsonSchema

from crm.customers.model import CustomerId, Strict
from crm.decimals import DecimalText
from crm.errors import Conflict
from crm.text import FreeText

SKU_PATTERN = r"^[A-Za-z0-9._-]{1,40}$"  # as the product master spells skus
CENT = Decimal("0.01")
MAX_LINES = 200

Sku = Annotated[str, StringConstraints(strip_whitespace=True, pattern=SKU_PATTERN)]
Batch = Annotated[str, FreeText(40, min_length=1)]
DocNo = Annotated[str, FreeText(64, min_length=1)]
Reason = Annotated[str, FreeText(500, min_length=1, multiline=True)]
Comment = Annotated[str, FreeText(500, multiline=True)]
# strict: "3" or 3.0 would be guessed into 3; a quantity in base units is a JSON integer or nothing
Quantity = Annotated[int, Field(strict=True, gt=0, le=10_000_000, description="In the product's base unit")]


def money(value: Decimal) -> Decimal:
    """Exact to the cent, half up: how every line amount and total is rounded."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price_text(value: Decimal) -> str:
    """At least two places ("12.5" → "12.50"); a list price may carry up to four ("11.1234")."""
    return str(value.quantize(CENT) if value.as_tuple().exponent > -2 else value)  # type: ignore[operator]


UnitPriceIn = Annotated[
    Decimal, DecimalText(4, 12, "12.50", positive=True, description="Unit price per base unit, a decimal string")
]
UnitPrice = Annotated[Decimal, PlainSerializer(price_text, return_type=str)]
Amount = Annotated[Decimal, PlainSerializer(lambda d: str(money(d)), return_type=str)]


# ------------------------------------------------------------------ states and transitions


class OrderState(StrEnum):
    SAVED = "saved"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    PROCESSED = "processed"  # taken over by the ERP
    SHIPPED = "shipped"
    CLOSED = "closed"
    VOID = "void"


class OrderAction(StrEnum):
    EDIT = "edit"
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REJECT = "reject"
    EXPIRE = "expire"  # nobody decided within the approval policy's time: back to the submitter
    PROCESS = "process"  # ERP: its order number
    SHIP = "ship"  # ERP: one delivery (more may follow)
    CLOSE = "close"
    VOID = "void"
    RETURN = "return"  # a return request reserves quantity against what was shipped
    RETURN_RELEASED = "return_released"  # a rejected return gives it back


S, A = OrderState, OrderAction
ORDER_TRANSITIONS: dict[tuple[OrderState, OrderAction], OrderState] = {
    (S.SAVED, A.EDIT): S.SAVED,
    (S.SAVED, A.SUBMIT): S.SUBMITTED,
    (S.SAVED, A.VOID): S.VOID,
    (S.SUBMITTED, A.WITHDRAW): S.SAVED,
    (S.SUBMITTED, A.APPROVE): S.APPROVED,
    (S.SUBMITTED, A.REJECT): S.SAVED,
    (S.SUBMITTED, A.EXPIRE): S.SAVED,
    (S.SUBMITTED, A.VOID): S.VOID,
    (S.APPROVED, A.PROCESS): S.PROCESSED,
    (S.PROCESSED, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.CLOSE): S.CLOSED,
    (S.SHIPPED, A.RETURN): S.SHIPPED,
    (S.CLOSED, A.RETURN): S.CLOSED,
    (S.SHIPPED, A.RETURN_RELEASED): S.SHIPPED,
    (S.CLOSED, A.RETURN_RELEASED): S.CLOSED,
}


class ReturnState(StrEnum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"  # nobody decided in time; its quantities went back to the order
    CLOSED = "closed"


class ReturnAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    REJECT = "reject"
    EXPIRE = "expire"
    CLOSE = "close"


R, RA = ReturnState, ReturnAction
# A return request is submitted when it is made (there is nothing to edit first); `None` is "not yet there".
RETURN_TRANSITIONS: dict[tuple[ReturnState | None, ReturnAction], ReturnState] = {
    (None, RA.SUBMIT): R.SUBMITTED,
    (R.SUBMITTED, RA.APPROVE): R.APPROVED,
    (R.SUBMITTED, RA.REJECT): R.REJECTED,
    (R.SUBMITTED, RA.EXPIRE): R.EXPIRED,
    (R.APPROVED, RA.CLOSE): R.CLOSED,
}


class IllegalTransition(Conflict):
    def __init__(self, kind: str, state: str | None, action: str) -> None:
        super().__init__(
            f"The {kind} is {state}; '{action}' is not possible in that state.", state=state, action=action
        )


def next_state[St: StrEnum, Ac: StrEnum](table: dict[tuple[Any, Ac], St], kind: str, state: Any, action: Ac) -> St:
    """The state after `action`, or 409 naming the current state and the action."""
    try:
        return table[(state, action)]
    except KeyError:
        raise IllegalTransition(kind, str(state) if state is not None else None, str(action)) from None


# ------------------------------------------------------------------ orders


class LineIn(Strict):
    sku: Sku
    quantity: Quantity
    unit_price: UnitPriceIn | None = Field(
        default=None, description="Omit to take the price list's; a different price is an override"
    )
    price_override_reason: Reason | None = None


def distinct_skus(lines: list[LineIn]) -> list[LineIn]:
    seen: set[str] = set()
    for n, line in enumerate(lines):
        if line.sku in seen:
            raise ValueError(f"sku {line.sku} appears twice (line {n}); put it on one line")
        seen.add(line.sku)
    return lines


class OrderCreate(Strict):
    customer_id: CustomerId | None = Field(
        default=None,
        description="Required for office users; a distributor user orders for itself (omit it or send its own id)",
    )
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    remarks: Comment | None = None

    @field_validator("lines")
    @classmethod
    def _check(cls, lines: list[LineIn]) -> list[LineIn]:
        return distinct_skus(lines)


class OrderPatch(Strict):
    """Replaces the lines (and remarks); only while the order is saved."""

    lines: Annotated[list[LineIn], Field(min_length=1, max_length=MAX_LINES)] | SkipJsonSchema[None] = None
    remarks: Comment | None = None

    @field_validator("lines")
    @classmethod
    def _check(cls, lines: list[LineIn] | None) -> list[LineIn] | None:
        if lines is None:
            raise ValueError("may be replaced but not cleared")
        return distinct_skus(lines)


class ActionBody(Strict):
    comment: Comment | None = None


class ReasonBody(Strict):
    reason: Reason


class OrderLine(BaseModel):
    line_no: int
    sku: str
    name: str
    spec: str
    base_unit: str
    quantity: int
    list_price: UnitPrice | None = Field(description="The price list's price for this customer, if it has one")
    unit_price: UnitPrice
    price_override_reason: str | None = None
    amount: Amount


class SkuBatchQuantity(BaseModel):
    sku: str
    batch: str
    quantity: int


class Shipment(BaseModel):
    delivery_no: str
    outbound_no: str
    lines: list[SkuBatchQuantity]
    reported_at: datetime
    reported_by: str


class Order(BaseModel):
    id: str
    tenant_id: str
    customer_id: str
    customer_name: str
    customer_type: str
    customer_level: str | None
    owner_id: str | None = Field(
        description="The customer's owner when the order was made (a hand-over of the "
        "customer moves its open orders to the new owner)"
    )
    org_unit_id: str
    org_path: str
    state: OrderState
    lines: list[OrderLine]
    total: Amount
    remarks: str | None = None
    erp_order_no: str | None = None
    shipments: list[Shipment] = Field(default_factory=list)
    shipped: list[SkuBatchQuantity] = Field(default_factory=list, description="Per sku and batch, all deliveries")
    returned: list[SkuBatchQuantity] = Field(
        default_factory=list, description="Per sku and batch: in return requests not rejected (pending included)"
    )
    submitted_by: str | None = None
    submitted_at: datetime | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 0


class OrderPage(BaseModel):
    items: list[Order]
    next_cursor: str | None = None


class Transition(BaseModel):
    """One entry of an order's or a return's history."""

    id: str
    action: str
    from_state: str | None
    to_state: str
    by: str
    at: datetime
    comment: str | None = None


class TransitionPage(BaseModel):
    items: list[Transition]
    next_cursor: str | None = None


@dataclass(frozen=True)
class OrderFilters:
    state: str | None = None
    customer_id: str | None = None
    month: str | None = None  # yyyy-mm, of created_at (UTC)


# ------------------------------------------------------------------ ERP


class ProcessedReport(Strict):
    erp_order_no: DocNo


class ShipLine(Strict):
    sku: Sku
    batch: Batch
    quantity: Quantity


class ShipmentReport(Strict):
    delivery_no: DocNo
    outbound_no: DocNo
    lines: list[ShipLine] = Field(min_length=1, max_length=MAX_LINES)


# ------------------------------------------------------------------ returns


class ReturnLineIn(Strict):
    sku: Sku
    batch: Batch
    quantity: Quantity


class ReturnCreate(Strict):
    lines: list[ReturnLineIn] = Field(min_length=1, max_length=MAX_LINES)
    reason: Reason

    @field_validator("lines")
    @classmethod
    def _distinct(cls, lines: list[ReturnLineIn]) -> list[ReturnLineIn]:
        seen: set[tuple[str, str]] = set()
        for n, line in enumerate(lines):
            if (line.sku, line.batch) in seen:
                raise ValueError(f"sku {line.sku} batch {line.batch} appears twice (line {n})")
            seen.add((line.sku, line.batch))
        return lines


class ReturnLine(BaseModel):
    sku: str
    batch: str
    quantity: int
    unit_price: UnitPrice
    amount: Amount


class ReturnRequest(BaseModel):
    id: str
    tenant_id: str
    order_id: str
    customer_id: str
    owner_id: str | None
    org_path: str
    state: ReturnState
    lines: list[ReturnLine]
    total: Amount
    reason: str
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 0


class ReturnPage(BaseModel):
    items: list[ReturnRequest]
    next_cursor: str | None = None
