"""A new tenant: its HQ unit and first HQ admin (a pool user and a directory entry). Everything after that is done
through the API by that admin. Called by the local runtime (POST /_local/tenants, `make tenant`) and by
scripts/create_tenant.py against a deployed stack."""

import re

from crm.db import keys
from crm.db.models import OrgUnitItem
from crm.db.transaction import Transaction
from crm.errors import Conflict, InvalidInput
from crm.org.identity import UserPool
from crm.org.tree import all_units, stage_unit
from crm.org.users import new_user
from crm.org.users_model import UserCreate, UserView

TENANT_ID_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
HQ_UNIT_ID = "HQ"
SETUP_ACTOR = "tenant-setup"  # the audit's actor: no user exists yet


def create_tenant(
    pool: UserPool,
    tenant_id: str,
    hq_name: str,
    admin_username: str,
    admin_name: str,
    admin_email: str,
    admin_mobile: str,
) -> UserView:
    """Writes the HQ unit, then creates its first HQ admin (who gets the invitation). Refuses a tenant that has
    any unit already; the admin's fields are checked as POST /users checks them (an HQ admin signs in with a code
    sent to their mobile: the mobile is needed)."""
    if not TENANT_ID_PATTERN.match(tenant_id):
        raise InvalidInput("A tenant id is lower-case letters, digits and inner hyphens (at most 32).")
    admin = UserCreate(
        username=admin_username,
        name=admin_name,
        email=admin_email,
        phone=admin_mobile,
        org_unit_id=HQ_UNIT_ID,
        roles=["hq_admin"],
    )
    if all_units(tenant_id):
        raise Conflict(f"The tenant {tenant_id!r} exists already.")
    hq = OrgUnitItem(
        keys.org_pk(tenant_id), f"UNIT#{HQ_UNIT_ID}", name=hq_name, kind="hq", parent_id=None, path=f"/{HQ_UNIT_ID}/"
    )
    tx = Transaction()
    stage_unit(tx, tenant_id, None, hq, action="tenant.created", actor_id=SETUP_ACTOR)
    tx.commit()  # conditional on the unit being new: a second set-up running beside this one gets a 409 here
    return new_user(pool, tenant_id, SETUP_ACTOR, admin, None)
