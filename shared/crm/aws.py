"""One cached boto3 client per service and warm container: the single home for client factories.

Built at first use, never at import (cold starts stay lean, tests set the environment first).
"""

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from crm import tenancy

# Every S3 client signs with SigV4 on the regional endpoint. Without this the SDK presigns in the old SigV2 form
# on the global endpoint (us-east-1), which buckets in newer regions refuse. "auto" addressing is virtual-hosted
# on AWS and path-style for an endpoint that is an IP address (the local runtime's).
S3_CONFIG = Config(signature_version="s3v4", s3={"addressing_style": "auto", "us_east_1_regional_endpoint": "regional"})


# Tenant data lives in these: their clients sign as the current tenant (crm.tenancy), the rest as the function.
TENANT_DATA_SERVICES = frozenset({"dynamodb", "s3"})


@lru_cache(maxsize=16)
def client(service: str, config: Config | None = None) -> Any:
    if service in TENANT_DATA_SERVICES:
        return boto3.Session(botocore_session=tenancy.data_session()).client(service, config=config)
    return boto3.client(service, config=config)


def s3() -> Any:
    """The S3 client: every presigned URL and upload form comes from it."""
    return client("s3", S3_CONFIG)


def forget_clients() -> None:
    """Drops every client and connection this process has cached (these boto3 clients, pynamodb's connections) and
    the tenant sessions they signed with: after a SnapStart restore (each copy makes its own), or when the endpoints
    they were made for go away (a local system started or stopped in the same process)."""
    from crm.db.base import reset_connections

    client.cache_clear()
    reset_connections()
    tenancy.forget_sessions()
