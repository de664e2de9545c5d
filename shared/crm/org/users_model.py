"""The users API's request and reply shapes."""

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from crm.auth import Role
from crm.customers.model import Strict
from crm.org.tree_model import UnitId
from crm.text import FreeText

# Lower case only: Cognito compares usernames case-insensitively (the pool says so), and one spelling is kept.
USERNAME_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$"
Username = Annotated[str, StringConstraints(pattern=USERNAME_PATTERN)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]  # E.164, as Cognito stores it
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Roles = Annotated[list[Role], Field(min_length=1, max_length=len(Role))]


class UserCreate(Strict):
    username: Username = Field(description="Sign-in name: lower-case letters, digits, . _ -; unique")
    name: Annotated[str, FreeText(100, min_length=1)]
    email: Email = Field(description="The invitation (a temporary password) goes here; also a sign-in alias")
    phone: Phone | None = Field(
        None, description="E.164, e.g. +8613800000000; required for hq_admin and finance (their sign-in codes go there)"
    )
    org_unit_id: UnitId | None = Field(None, description="Required, except for a distributor user (its customer's)")
    roles: Roles
    distributor_code: Annotated[str, FreeText(64, min_length=1)] | None = Field(
        None, description="A distributor user's distributor: the distributor customer's ERP code ..."
    )
    distributor_id: Annotated[str, StringConstraints(max_length=64)] | None = Field(None, description="... or its id")


class UserPatch(Strict):
    org_unit_id: UnitId | None = None
    roles: Roles | None = None


class UserView(BaseModel):
    id: str = Field(description="The user's id (the identity provider's sub)")
    username: str
    name: str
    email: str | None
    phone: str | None
    org_unit_id: str
    roles: list[Role]
    distributor_id: str | None
    status: Literal["active", "disabled"]
    version: int


class UserPage(BaseModel):
    items: list[UserView]
    next_cursor: str | None = None
