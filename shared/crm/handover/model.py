from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.customers.model import Strict
from crm.text import FreeText

UserId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class HandoverRequest(Strict):
    from_user_id: UserId = Field(description="The leaving rep")
    to_user_id: UserId = Field(description="The rep who takes over")
    reason: Annotated[str, FreeText(500, min_length=2, multiline=True)]


class Handover(BaseModel):
    id: str
    from_user_id: str
    to_user_id: str
    to_org_unit_id: str
    reason: str
    status: Literal["running", "completed", "failed"]
    moved: int = Field(description="Customers moved so far")
    skipped: list[str] = Field(
        description="Customers of the leaving rep outside the requester's scope, left as they were"
    )
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    version: int
