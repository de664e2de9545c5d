"""DynamoDB Local and the template's table, for `python -m bench` and tests/data (which imports it so both
build the same world). The launcher itself is localcloud's (`make dev` keeps its tables in one).
Nothing here talks to AWS: endpoints are always 127.0.0.1.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from localcloud.dynamodb_local import JAR_GLOB, find_jar, free_port, running, unavailable_reason

__all__ = [
    "JAR_GLOB",
    "create_table",
    "find_jar",
    "free_port",
    "running",
    "serving",
    "table_properties",
    "unavailable_reason",
]

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


@contextmanager
def serving() -> Iterator[str]:
    """DynamoDB Local for one bench, named by AWS_ENDPOINT_URL (pynamodb and boto3 read it). The clients crm caches
    per process would still point at an earlier bench's DynamoDB Local, gone by now: they are forgotten first."""
    from crm import aws

    with running() as endpoint:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        aws.forget_clients()
        try:
            yield endpoint
        finally:
            os.environ.pop("AWS_ENDPOINT_URL", None)


# ------------------------------------------------------------------------------------- the table


def table_properties(template: Path = TEMPLATE) -> dict[str, Any]:
    """Resources.Table.Properties of template.yaml: the single source of truth for the table."""
    from samtranslator.yaml_helper import yaml_parse  # dev-only dependency, imported when needed

    return yaml_parse(template.read_text())["Resources"]["Table"]["Properties"]


def create_table(client: Any, name: str, template: Path = TEMPLATE) -> None:
    """Creates the table exactly as the template declares it (keys, GSIs, billing, TTL)."""
    props = table_properties(template)
    client.create_table(TableName=name, **{k: props[k] for k in TABLE_KEYS if k in props})
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.2, "MaxAttempts": 100})
    ttl = props.get("TimeToLiveSpecification")
    if ttl:
        with suppress(client.exceptions.ClientError):  # an emulator without TTL still serves every other call
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
