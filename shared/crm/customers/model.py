"""The customer archive (客户档案): what a customer is, and the request and reply shapes.

Type-specific fields live in `profile`, a union keyed by `profile.type`, so a distributor's
warehouse and a person's employer are each validated where they belong.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from crm.audit import ChangeEntry  # re-exported: the history pages of every record use it
from crm.clock import IsoDate
from crm.decimals import DecimalText
from crm.ids import ULID_PATTERN
from crm.measures import Lat, Lng
from crm.text import FreeText

CustomerId = Annotated[str, StringConstraints(pattern=ULID_PATTERN)]
Name = Annotated[str, FreeText(200, min_length=1)]
ShortText = Annotated[str, FreeText(200)]
LongText = Annotated[str, FreeText(2000, multiline=True, strip=False)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9][0-9\- ]{4,24}$")]
# Amounts travel as decimal strings ("1234567.89") so no client rounds them through a float.
Amount = Annotated[Decimal, DecimalText(2, 16, "1250000.00"), PlainSerializer(str, return_type=str)]
Area = Annotated[Decimal, DecimalText(2, 8, "1200.5", power_of_ten_max=7), PlainSerializer(str, return_type=str)]
Percent = Annotated[Decimal, DecimalText(2, 3, "35.5", power_of_ten_max=2), PlainSerializer(str, return_type=str)]


class Strict(BaseModel):
    """Requests reject unknown fields: a typo must not be silently dropped."""

    model_config = ConfigDict(extra="forbid")


class CustomerType(StrEnum):
    DISTRIBUTOR = "distributor"
    TERMINAL = "terminal"
    PERSON = "person"
    OTHER = "other"


class Status(StrEnum):
    PROSPECT = "prospect"
    OPPORTUNITY = "opportunity"
    ACTIVE = "active"
    LOST = "lost"
    STOPPED = "stopped"
    CLOSED = "closed"


class Level(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"


class Trade(StrEnum):
    DIRECT = "direct"
    INDIRECT = "indirect"


PlaceName = Annotated[str, FreeText(50, min_length=1)]


class Territory(Strict):
    """Where a distributor may sell under its agreement (its 区域). Cities, when listed, are the territory
    (the provinces then say where those cities are); provinces alone mean the whole provinces. A buyer is
    judged by the most precise level both sides know (crm.channel.diversion.judge)."""

    provinces: list[PlaceName] = Field(default_factory=list, max_length=50, description='e.g. ["江苏"]')
    cities: list[PlaceName] = Field(default_factory=list, max_length=200, description='e.g. ["苏州", "无锡"]')

    @field_validator("provinces", "cities")
    @classmethod
    def _distinct(cls, names: list[str]) -> list[str]:
        return list(dict.fromkeys(names))

    @model_validator(mode="after")
    def _not_empty(self) -> "Territory":
        if not self.provinces and not self.cities:
            raise ValueError("name at least one province or city (or send null for no territory)")
        return self


class DistributorProfile(Strict):
    type: Literal["distributor"] = "distributor"
    tier: Literal["tier1", "tier2", "chain_hq"]
    territory: Territory | None = Field(
        default=None,
        description="Where it may sell, from before agreements held it: 窜货 checks use it only for a month in "
        "which no agreement (/agreements) with a territory is in force",
    )
    warehouse_address: ShortText | None = None
    warehouse_area_m2: Area | None = None
    annual_sales: Amount | None = None
    credit_limit: Amount | None = None  # orders beyond it (with those approved, not yet closed) need more approval
    is_pharmaceutical: bool | None = None
    hospital_sales_share: Percent | None = None
    license_no: ShortText | None = None


class TerminalProfile(Strict):
    type: Literal["terminal"] = "terminal"
    kind: Literal["pharmacy", "hospital", "clinic", "retail_store"]
    chain_name: ShortText | None = None
    hospital_grade: ShortText | None = None
    beds: Annotated[int, Field(ge=0, le=100_000)] | None = None
    medical_insurance: bool | None = None
    license_no: ShortText | None = None
    credit_limit: Amount | None = None  # orders beyond it (with those approved, not yet closed) need more approval


class PersonProfile(Strict):
    type: Literal["person"] = "person"
    kind: Literal["key_person", "member", "intermediary"]
    employer_customer_id: CustomerId | None = None
    employer_name: ShortText | None = None
    position: ShortText | None = None
    department: ShortText | None = None
    birthday: IsoDate | None = None


class OtherProfile(Strict):
    type: Literal["other"] = "other"
    description: ShortText | None = None


Profile = Annotated[DistributorProfile | TerminalProfile | PersonProfile | OtherProfile, Field(discriminator="type")]


class Region(Strict):
    province: ShortText | None = None
    city: ShortText | None = None
    county: ShortText | None = None


class GeoPoint(Strict):
    lat: Lat
    lng: Lng


class Contact(Strict):
    name: Name
    role: ShortText | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=5)
    birthday: IsoDate | None = None
    notes: LongText | None = None


Alias = Annotated[str, FreeText(200, min_length=1)]


class _Editable(Strict):
    """Fields a user may set on create and change later."""

    code: ShortText | None = Field(default=None, description="The customer's code in the ERP, if any")
    trade: Trade | None = None
    region: Region | None = None
    address: ShortText | None = None
    location: GeoPoint | None = None
    phone: Phone | None = None
    contacts: list[Contact] | None = Field(default=None, max_length=50)
    aliases: list[Alias] | None = Field(default=None, max_length=50)
    upstream_id: CustomerId | None = Field(default=None, description="Who supplies this customer")
    remarks: LongText | None = None


class CustomerCreate(_Editable):
    name: Name
    profile: Profile
    status: Status = Status.PROSPECT
    level: Level | None = Field(default=None, description="Initial level, recorded in the level history")
    owner_id: ShortText | None = Field(default=None, description="Owner rep; defaults to the caller")
    org_unit_id: ShortText | None = Field(default=None, description="Defaults to the owner's org unit")


class CustomerPatch(_Editable):
    """Only the fields present change; `null` clears an optional field. The type cannot change."""

    # SkipJsonSchema: the document says these may be left out, not sent as null (which _not_null refuses)
    name: Name | SkipJsonSchema[None] = None
    profile: Profile | SkipJsonSchema[None] = None
    status: Status | SkipJsonSchema[None] = None
    owner_id: ShortText | SkipJsonSchema[None] = None
    org_unit_id: ShortText | SkipJsonSchema[None] = None

    @field_validator("name", "profile", "status", "owner_id", "org_unit_id")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be changed but not cleared")
        return value


class LevelChange(Strict):
    level: Level
    reason: Annotated[str, FreeText(500, min_length=2, multiline=True)]
    effective_from: IsoDate


class ActivationRequest(Strict):
    comment: Annotated[str, FreeText(500, multiline=True)] | None = None


class VoidRequest(Strict):
    reason: Annotated[str, FreeText(500, min_length=2, multiline=True)]


class Customer(BaseModel):
    """The record as stored and as returned."""

    id: str
    tenant_id: str
    name: str
    type: CustomerType
    profile: Profile
    status: Status
    level: Level | None = None
    next_level_change: "ScheduledLevel | None" = None
    code: str | None = None
    trade: Trade | None = None
    region: Region = Field(default_factory=Region)
    address: str | None = None
    location: GeoPoint | None = None
    phone: str | None = None
    contacts: list[Contact] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    upstream_id: str | None = None
    remarks: str | None = None
    owner_id: str | None = None
    org_unit_id: str
    org_path: str
    voided: bool = False
    void_reason: str | None = None
    created_at: datetime
    created_by: str
    updated_at: datetime
    updated_by: str
    version: int = 0


class ScheduledLevel(BaseModel):
    level: Level
    effective_from: date


Customer.model_rebuild()


class LevelEntry(BaseModel):
    level: Level
    effective_from: date
    reason: str
    changed_by: str
    changed_at: datetime


class LevelOnDate(BaseModel):
    on: date
    level: Level | None = Field(description="null: the customer had no level on that date")
    effective_from: date | None = None
    reason: str | None = None


class DuplicateCandidate(BaseModel):
    customer_id: str
    matched: str = Field(description="The name or alias that collided")
    kind: Literal["name", "alias"]


class CustomerPage(BaseModel):
    items: list[Customer]
    next_cursor: str | None = None


class HistoryPage(BaseModel):
    items: list[ChangeEntry]
    next_cursor: str | None = None


class LevelHistory(BaseModel):
    items: list[LevelEntry]
    next_cursor: str | None = None


@dataclass(frozen=True)
class Filters:
    owner_id: str | None = None
    org_unit_id: str | None = None
    type: str | None = None
    status: str | None = None
    level: str | None = None
    city: str | None = None
    q: str | None = None
    include_voided: bool = False


class FlowFromDistributor(BaseModel):
    distributor_id: str
    load_id: str
    rows: int
    base_qty_by_sku: dict[str, float]


class CustomerFlow(BaseModel):
    period: str
    items: list[FlowFromDistributor] = Field(description="One per distributor that reported selling to this customer")
