"""Distributor agreements (协议), their rebate rules as data, accrual vouchers (计提单) and diversion cases
(窜货查处): the shapes the API takes and gives. docs/rebates.md tells how an accrual is reckoned."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator

from crm.channel.model import MONTH_PATTERN, BatchCrossing, OutOfTerritory
from crm.customers.model import Amount, Territory
from crm.decimals import DecimalText
from crm.text import FreeText

Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
Name = Annotated[str, FreeText(100)]
Note = Annotated[str, FreeText(2000, multiline=True, strip=False)]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64, strip_whitespace=True)]
# A unit price or a per-unit rebate, and a rebate percentage (0 < p <= 100), as decimal strings.
Price = Annotated[Decimal, DecimalText(4, 12, "12.5"), PlainSerializer(str, return_type=str)]
Rate = Annotated[
    Decimal, DecimalText(2, 3, "3.5", positive=True, power_of_ten_max=2), PlainSerializer(str, return_type=str)
]
Quantity = Annotated[Decimal, DecimalText(2, 12, "1000"), PlainSerializer(str, return_type=str)]
Share = Annotated[Decimal, DecimalText(4, 1, "0.9", power_of_ten_max=0), PlainSerializer(str, return_type=str)]
Money = Annotated[Decimal, PlainSerializer(str, return_type=str)]  # output: two places, as text

Basis = Literal["sell_in", "flow", "sellout"]
Measure = Literal["quantity", "amount"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------- agreements


class ProductTerm(Strict):
    sku: Sku
    group: Name = Field(description="The product group its targets and rules name (e.g. 抗生素)")
    price: Price = Field(description="The agreed price per base unit; amounts are base quantity × this price")
    price_level: Name | None = Field(default=None, description="The price level it was agreed from, for the record")


class Target(Strict):
    group: Name
    period: Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2]|Q[1-4])$")] = Field(
        description="A month (yyyy-mm) or a quarter (yyyy-Qn); a quarter's target counts a third in each month"
    )
    quantity: Quantity | None = None
    amount: Amount | None = None

    @model_validator(mode="after")
    def _one_measure(self) -> "Target":
        if (self.quantity is None) == (self.amount is None):
            raise ValueError("give a quantity or an amount")
        return self


class Tier(Strict):
    """From `threshold` up (in the rule's measure, or % of target), this tier's rate applies to the whole
    month's volume (the highest tier reached wins)."""

    threshold: Quantity = Field(description="Quantity, amount, or % of the month's target (threshold_of)")
    percent: Rate | None = Field(default=None, description="% of the amount (quantity × agreed price)")
    per_unit: Price | None = Field(default=None, description="An amount per base unit")

    @model_validator(mode="after")
    def _one_rate(self) -> "Tier":
        if (self.percent is None) == (self.per_unit is None):
            raise ValueError("give a percent or a per_unit amount")
        return self


class Conditions(Strict):
    no_confirmed_diversion: bool = Field(default=False, description="No confirmed diversion case in the month")
    max_stock_months: Quantity | None = Field(
        default=None, description="Reported closing stock at most this many months of the month's flow"
    )
    min_match_rate: Share | None = Field(
        default=None, description="At least this share (0-1) of the distributor's flow rows matched to customers"
    )


class Rule(Strict):
    name: Name
    group: Name | None = Field(default=None, description="null: every product of the agreement")
    basis: Basis = Field(
        description="sell_in: our shipments to it (ERP and shipments files); flow: its verified flow (rows "
        "whose buyer matched a customer); sellout: terminal sell-out in its own files (matched stores)"
    )
    measure: Measure = "quantity"
    threshold_of: Literal["value", "target"] = Field(
        default="value", description="target: tier thresholds are % of the group's target for the month"
    )
    tiers: list[Tier] = Field(min_length=1, max_length=10)
    conditions: Conditions = Field(default_factory=Conditions)
    cap: Amount | None = Field(default=None, description="The most this rule accrues in a month")

    @model_validator(mode="after")
    def _ascending(self) -> "Rule":
        thresholds = [t.threshold for t in self.tiers]
        if thresholds != sorted(set(thresholds)):
            raise ValueError("tiers go up: each threshold above the one before")
        return self


class Terms(Strict):
    """What an agreement says; each change is a new version of it."""

    name: Name
    valid_from: Month
    valid_to: Month
    territory: Territory | None = Field(default=None, description="Where it may sell (窜货 checks use it)")
    products: list[ProductTerm] = Field(min_length=1, max_length=500)
    targets: list[Target] = Field(default_factory=list, max_length=200)
    rules: list[Rule] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> "Terms":
        if self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        skus = [p.sku for p in self.products]
        if len(set(skus)) != len(skus):
            raise ValueError("a product appears twice")
        groups = {p.group for p in self.products}
        named = {r.group for r in self.rules if r.group} | {t.group for t in self.targets}
        if unknown := sorted(named - groups):
            raise ValueError(f"no product is in group(s) {', '.join(unknown)}")
        return self


class AgreementIn(Terms):
    customer_id: str = Field(description="The distributor (or terminal chain) it is with")


VersionStatus = Literal["pending", "approved", "rejected", "expired", "superseded"]


class AgreementVersion(BaseModel):
    number: int
    status: VersionStatus
    terms: Terms
    requested_by: str
    requested_at: datetime
    decided_at: datetime | None = None
    approval_id: str | None = None


class Agreement(BaseModel):
    id: str
    customer_id: str
    customer_name: str
    current_version: int | None = Field(description="The approved version in force; null until one is approved")
    terms: Terms | None = Field(description="The current version's terms")
    versions: list[AgreementVersion] = Field(description="Every version, oldest first")
    version: int = Field(description="The record's version (If-Match for a new version)")


class AgreementPage(BaseModel):
    items: list[Agreement]


# ----------------------------------------------------------------------------- accruals


class ConditionCheck(BaseModel):
    name: Literal["no_confirmed_diversion", "max_stock_months", "min_match_rate"]
    met: bool
    value: float | None = Field(description="What the month showed (cases, months of stock, match rate)")
    limit: float | None = None
    note: str | None = None


class Counted(BaseModel):
    """Evidence: what the figure counted."""

    loads: list[str] = Field(description="The files (loads) whose rows were counted; shipments: ERP reports too")
    rows: int
    unverified_rows: int = Field(description="Rows left out: buyer or store not matched to a customer")
    quantity_by_sku: dict[str, float]


class RuleAccrual(BaseModel):
    rule: str
    group: str | None
    basis: Basis
    measure: Measure
    quantity: float = Field(description="Base units counted")
    amount: Money = Field(description="Quantity × agreed price")
    target: Money | None = Field(description="The group's target for the month, in the rule's measure")
    attainment_pct: float | None
    tier: int | None = Field(description="The tier reached (1 = first); null: none")
    rate: str | None = Field(description="The tier's rate: '3.5%' or '1.2/unit'")
    accrued: Money = Field(description="What this rule accrues, after its cap and conditions")
    capped: bool
    conditions: list[ConditionCheck]
    counted: Counted


class Penalty(BaseModel):
    case_id: str
    amount: Money | None = None
    forfeit: bool = False


VoucherStatus = Literal["preview", "pending", "approved", "rejected", "expired", "reversed", "reversal"]


class Voucher(BaseModel):
    id: str | None = Field(description="null in a preview")
    period: str
    agreement_id: str
    agreement_version: int
    customer_id: str
    customer_name: str
    status: VoucherStatus = Field(
        description="preview (not stored), pending (frozen with the month, awaiting approval), approved, "
        "rejected, expired, reversed (its month reopened), reversal (the entry cancelling a reversed one)"
    )
    groups: list[str] = Field(description="The product groups it counts")
    rules: list[RuleAccrual]
    gross: Money
    penalties: list[Penalty]
    net: Money = Field(description="gross − penalties (0 when the month's rebate is forfeit), never below 0")
    unabsorbed_penalty: Money = Field(description="Penalty beyond the gross, left to collect otherwise")
    computed_at: datetime
    round: int | None = Field(default=None, description="Which closing of the month computed it (1: the first)")
    reverses: str | None = None
    reversed_by: str | None = None
    approval_id: str | None = None


class VoucherPage(BaseModel):
    items: list[Voucher]
    total_net: Money


class AccrualRun(BaseModel):
    """A month's accrual: run when the month closes (each closing a new round), reversed when it reopens."""

    period: str
    round: int = Field(description="Closings of the month so far; each computes its own vouchers")
    status: Literal["running", "done", "failed"] = Field(description="This round's accrual")
    vouchers: int = Field(default=0, description="Vouchers this round computed")
    started_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    reversal: Literal["running", "done", "failed"] | None = Field(
        default=None, description="The round's reversal, once the month reopened (null: not reopened)"
    )
    reversed: int = Field(default=0, description="Vouchers the reversal reversed")
    reversal_error: str | None = None


# ----------------------------------------------------------------------------- diversion cases


class CaseIn(Strict):
    period: Month
    signal: Literal["batch_crossing", "out_of_territory"]
    distributor_id: str = Field(description="The distributor whose flow raised it (the offender if confirmed)")
    sku: Sku | None = Field(default=None, description="batch_crossing: the product")
    batch: Annotated[str, StringConstraints(min_length=1, max_length=64)] | None = None
    customer_id: str | None = Field(default=None, description="out_of_territory: the buyer")

    @model_validator(mode="after")
    def _names_the_signal(self) -> "CaseIn":
        if self.signal == "batch_crossing" and not (self.sku and self.batch):
            raise ValueError("a batch crossing names its sku and batch")
        if self.signal == "out_of_territory" and not self.customer_id:
            raise ValueError("an out-of-territory signal names its customer_id")
        return self


class NoteIn(Strict):
    text: Note


class CaseNote(BaseModel):
    text: str
    by: str
    at: datetime


class PenaltyIn(Strict):
    amount: Amount | None = Field(default=None, description="Netted against the month's accrual")
    forfeit_rebate: bool = Field(default=False, description="The month's rebate is forfeit")

    @model_validator(mode="after")
    def _something(self) -> "PenaltyIn":
        if self.amount is None and not self.forfeit_rebate:
            raise ValueError("give an amount, forfeit the rebate, or both")
        return self


class DecisionIn(Strict):
    decision: Literal["confirmed", "dismissed"]
    comment: Note
    penalty: PenaltyIn | None = Field(default=None, description="Confirmed cases only")

    @model_validator(mode="after")
    def _penalty_on_confirm(self) -> "DecisionIn":
        if self.penalty is not None and self.decision != "confirmed":
            raise ValueError("only a confirmed case carries a penalty")
        return self


CaseStatus = Literal["open", "pending", "confirmed", "dismissed"]


class DiversionCase(BaseModel):
    id: str
    period: str
    signal: Literal["batch_crossing", "out_of_territory"]
    distributor_id: str
    status: CaseStatus = Field(description="open; pending (a confirmation awaiting approval); confirmed; dismissed")
    batch_crossing: BatchCrossing | None = Field(
        default=None, description="The signal with its evidence rows, as they were when the case was opened"
    )
    out_of_territory: OutOfTerritory | None = None
    notes: list[CaseNote]
    decision: str | None = None
    decision_comment: str | None = None
    penalty: PenaltyIn | None = None
    opened_by: str
    opened_at: datetime
    decided_at: datetime | None = None
    approval_id: str | None = None
    version: int


class CasePage(BaseModel):
    items: list[DiversionCase]
