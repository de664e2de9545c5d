from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.customers.model import CustomerId, Strict
from crm.ingest.mapping import FileKind, MappingTemplate

Period = Annotated[str, StringConstraints(pattern=r"^20[0-9]{2}-(0[1-9]|1[0-2])$")]
LoadStatus = Literal["received", "processing", "accepted", "accepted_with_errors", "rejected", "held", "superseded"]
FINISHED = ("accepted", "accepted_with_errors", "rejected", "held")


class UploadRequest(Strict):
    kind: FileKind = Field(
        default=FileKind.FLOW,
        description="flow (流向), sellout (终端销货), inventory (closing stock, 库存), opening (opening balance, 期初: "
        "the stock when the period opened), shipments (our shipments to distributors, history)",
    )
    period: Period = Field(description="The month the file reports, YYYY-MM (an opening balance: the month it opens)")
    file_name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    distributor_id: CustomerId | None = Field(
        default=None,
        description="Office users upload on behalf of a distributor in scope; distributor users omit it; "
        "a shipments file names no one (its rows name the distributors)",
    )


class UploadTicket(BaseModel):
    load_id: str
    key: str
    url: str = Field(description="PUT the file's bytes here (no other headers needed) before it expires")
    expires_in: int


class Load(BaseModel):
    id: str
    distributor_id: str
    period: str
    kind: FileKind
    file_name: str
    status: LoadStatus
    sha256: str | None = None
    size: int | None = None
    received_at: datetime
    finished_at: datetime | None = None
    summary: dict[str, Any] = Field(default_factory=dict)
    rejection: dict[str, Any] | None = None
    superseded_by: str | None = None
    has_error_report: bool = False
    version: int


class LoadPage(BaseModel):
    items: list[Load]
    next_cursor: str | None = None


class ReportLink(BaseModel):
    url: str
    expires_in: int
    format: Literal["csv", "xlsx"]


class NewTerminal(Strict):
    kind: Literal["pharmacy", "hospital", "clinic", "retail_store"]
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None


class ReviewDecision(Strict):
    """Exactly one of: the customer the name means, or a new prospect terminal to create for it."""

    customer_id: CustomerId | None = None
    new_terminal: NewTerminal | None = None


class MappingRequest(Strict):
    distributor_id: CustomerId
    kind: FileKind = FileKind.FLOW
    template: MappingTemplate = Field(description="How this distributor's files map (schemas/flow-mapping.schema.json)")
