"""An export job as the API takes and returns it."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm.exports.lists import ListName

ExportFormat = Literal["xlsx", "csv"]
ExportStatus = Literal["queued", "running", "done", "failed"]


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    list: ListName = Field(description="Which list: the same one its GET route answers")
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="The list route's query parameters (without limit and cursor), checked as that route checks "
        "them: an unknown or bad one is a 422",
    )
    format: ExportFormat = "xlsx"


class Export(BaseModel):
    id: str
    list: ListName
    filters: dict[str, Any]
    format: ExportFormat
    status: ExportStatus = Field(description="queued → running → done, or failed (see error)")
    rows: int = Field(description="Rows in the file once done (0 until then)")
    file_name: str | None = Field(default=None, description="What and when: 客户_20261204-0930.xlsx")
    download_url: str | None = Field(
        default=None, description="Once done: a presigned GET of the file, valid for expires_in seconds"
    )
    expires_in: int | None = None
    error: str | None = Field(default=None, description="Why it failed")
    requested_at: datetime
    finished_at: datetime | None = None


class ExportPage(BaseModel):
    items: list[Export]
    next_cursor: str | None = None
