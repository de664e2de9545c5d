from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.customers.model import CustomerId, Strict
from crm.ingest.mapping import FileKind, MappingTemplate
from crm.upload_links import UploadForm

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


class UploadTicket(UploadForm):
    """Where to upload the file: a presigned POST form for exactly this key, its content type and at most
    max_bytes. The load's status is at GET /flow-loads/{load_id} once the file is in."""

    load_id: str
    key: str


class LoadSummary(BaseModel):
    """What an import found (empty while the file is received or processing)."""

    rows: int | None = Field(default=None, description="Data rows in the file")
    accepted: int | None = Field(default=None, description="Rows stored")
    rejected: int | None = Field(default=None, description="Rows refused (see the error report)")
    mapping_version: str | None = Field(default=None, description="The mapping used, its lineage stamp (builtin-2)")
    base_qty_by_sku: dict[str, float] | None = Field(default=None, description="Base quantity per product")
    matched: int | None = Field(default=None, description="Rows whose buyer is a known customer")
    match_rate: float | None = Field(default=None, description="matched / stored rows, 0 to 1")
    review_names: int | None = Field(default=None, description="Buyer names waiting for a person")
    reason: str | None = Field(default=None, description="Why a load was held (the same content as an earlier one)")


class Rejection(BaseModel):
    code: str = Field(description="e.g. empty, encoding, too large, no valid rows, period closed")
    message: str
    detail: dict[str, Any] | None = Field(default=None, description="What was found (headers, sizes), bounded")


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
    summary: LoadSummary = Field(default_factory=LoadSummary)
    rejection: Rejection | None = None
    superseded_by: str | None = None
    has_error_report: bool = False
    object_version: str | None = Field(
        default=None, description="The S3 version of the uploaded object this load read (its sha256 is that version's)"
    )
    upload_id: str = Field(
        description="The load id its upload link was issued with: the same as id, unless the "
        "form was sent again and this load read the later version"
    )
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
