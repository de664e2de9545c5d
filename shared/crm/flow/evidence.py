"""A distributor's file as it was sent is evidence: rebates are paid and diversion penalties charged on what it
reported. Each version the importer receives is locked against deletion and change (S3 Object Lock in GOVERNANCE
mode; no role of the stack holds s3:BypassGovernanceRetention) for the years the tenant's channel policy keeps
files (`InventoryPolicy.raw_files_kept_years`), counted from its upload. A version replaced by a later upload of
the same form stays locked too; the bucket's lifecycle removes it only once its lock has ended.
"""

from datetime import datetime

from crm import aws, policies
from crm.db import keys
from crm.inventory.model import InventoryPolicy

MODE = "GOVERNANCE"


def keep(tenant_id: str, bucket: str, key: str, version_id: str, uploaded_at: datetime) -> datetime:
    """Locks this version of the file for the tenant's years; returns until when."""
    policy, _ = policies.read(keys.inventory_policy_pk(tenant_id), InventoryPolicy)
    until = years_after(uploaded_at, policy.raw_files_kept_years)
    version = {"VersionId": version_id} if version_id != "null" else {}
    retention = {"Mode": MODE, "RetainUntilDate": until}
    aws.s3().put_object_retention(Bucket=bucket, Key=key, Retention=retention, **version)
    return until


def years_after(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February, in a year without one
        return moment.replace(year=moment.year + years, day=28)
