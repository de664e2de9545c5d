"""The org tree API's request and reply shapes: org units, the tree, and the job that moves a unit."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.customers.model import HistoryPage, Strict  # noqa: F401 (re-exported for the unit history)
from crm.text import FreeText

# Unit ids are codes the admin chooses (HQ, EAST-RX): capitals, digits and inner hyphens. Paths are built from
# them, so "/" and "#" (the key separators) can never appear in one.
UNIT_ID_PATTERN = r"^[A-Z0-9](?:[A-Z0-9-]{0,30}[A-Z0-9])?$"
UnitId = Annotated[str, StringConstraints(pattern=UNIT_ID_PATTERN)]
UnitName = Annotated[str, FreeText(100, min_length=1)]
Reason = Annotated[str, FreeText(500, min_length=2, multiline=True)]


class UnitKind(StrEnum):
    HQ = "hq"
    BRANCH = "branch"
    DEPARTMENT = "department"


class OrgUnitCreate(Strict):
    id: UnitId = Field(description="The unit's code, chosen by the admin (capitals, digits, hyphens)")
    name: UnitName
    kind: Literal["branch", "department"] = Field(
        description="A branch sits under HQ; a department under a branch or another department"
    )
    parent_id: UnitId


class OrgUnitPatch(Strict):
    name: UnitName


class MoveRequest(Strict):
    parent_id: UnitId = Field(description="The unit to move under")
    reason: Reason | None = None


class CloseRequest(Strict):
    reason: Reason


class OrgUnitView(BaseModel):
    id: str
    name: str
    kind: UnitKind
    parent_id: str | None
    path: str = Field(description="Ids from the root down, e.g. /HQ/EAST/EAST-RX/; a subtree is a path prefix")
    status: Literal["active", "closed"]
    closed_at: datetime | None = None
    version: int


class OrgTreeNode(OrgUnitView):
    children: list["OrgTreeNode"]


class OrgTree(BaseModel):
    items: list[OrgTreeNode] = Field(description="The root unit (HQ) with its children, and theirs, by id")


class OrgMove(BaseModel):
    id: str
    unit_id: str
    from_parent_id: str
    to_parent_id: str
    old_path: str
    new_path: str
    reason: str | None = None
    status: Literal["running", "completed", "failed"]
    phase: str = Field(description="units, settling, customers, orders, visits, plans, then done")
    moved: dict[str, int] = Field(description="Records re-scoped so far, per kind")
    requested_by: str
    requested_at: datetime
    finished_at: datetime | None = None
    error: str | None = None
    version: int
