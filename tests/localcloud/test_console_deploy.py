"""The deploy-time custom resource that publishes the console: files and config.json land in the bucket, and
CloudFormation always hears back (a failure too, or the stack would wait an hour)."""

from __future__ import annotations

import importlib.util
import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest

APP = Path(__file__).resolve().parents[2] / "functions" / "console_deploy" / "app.py"


class _CloudFormation(BaseHTTPRequestHandler):
    answers: ClassVar[list[dict[str, Any]]] = []

    def do_PUT(self) -> None:
        _CloudFormation.answers.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def response_url() -> Iterator[str]:
    _CloudFormation.answers = []
    server = HTTPServer(("127.0.0.1", 0), _CloudFormation)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/presigned"
    server.shutdown()


def _load(cloud: Any, monkeypatch: pytest.MonkeyPatch, site: Path) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL", cloud.endpoint_url)
    spec = importlib.util.spec_from_file_location(f"console_deploy_{uuid.uuid4().hex}", APP)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.SITE = site
    return module


def _event(request_type: str, bucket: str, response_url: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": response_url,
        "StackId": "stack",
        "RequestId": "r1",
        "LogicalResourceId": "ConsoleDeployment",
        "ResourceProperties": {"Bucket": bucket, "Config": {"apiUrl": "https://d1.example", "clientId": "abc"}},
    }


def test_the_console_and_its_config_are_published_and_removed(cloud: Any, monkeypatch, tmp_path, response_url) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    app = _load(cloud, monkeypatch, tmp_path)
    s3 = boto3.client("s3", endpoint_url=cloud.endpoint_url)
    bucket = f"console-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)

    app.lambda_handler(_event("Create", bucket, response_url), None)
    assert _CloudFormation.answers[-1]["Status"] == "SUCCESS"
    script = s3.get_object(Bucket=bucket, Key="console/assets/index-abc123.js")
    assert script["ContentType"] == "text/javascript" and "immutable" in script["CacheControl"]
    assert s3.get_object(Bucket=bucket, Key="console/index.html")["CacheControl"] == "no-cache"
    config = json.loads(s3.get_object(Bucket=bucket, Key="console/config.json")["Body"].read())
    assert config == {"apiUrl": "https://d1.example", "clientId": "abc"}

    app.lambda_handler(_event("Delete", bucket, response_url), None)
    assert _CloudFormation.answers[-1]["Status"] == "SUCCESS"
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


def test_a_deploy_without_the_bundled_console_fails_with_its_reason(cloud: Any, monkeypatch, tmp_path, response_url):
    app = _load(cloud, monkeypatch, tmp_path / "missing")
    app.lambda_handler(_event("Update", "any-bucket", response_url), None)
    answer = _CloudFormation.answers[-1]
    assert answer["Status"] == "FAILED" and "make deploy" in answer["Reason"]
