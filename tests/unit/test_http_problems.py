"""One place turns domain errors into problems: a write that lost its version race is a 412 when the request named
that version (If-Match), a 409 when it did not."""

import json
from typing import Any

import pytest
from crm.api import http
from crm.config import Settings
from crm.errors import Conflict, Stale


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(http, "get_settings", lambda: Settings(table_name="unit"))
    resolver = http.make_resolver()

    @resolver.patch("/things/<thing_id>")
    def lost(thing_id: str) -> dict[str, str]:
        raise Stale("The record changed while this request ran; read it again and retry.")

    @resolver.post("/things/<thing_id>/close")
    def busy(thing_id: str) -> dict[str, str]:
        raise Conflict("The thing is closed already.")

    return resolver


def call(app: Any, method: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    event = {
        "httpMethod": method,
        "path": path,
        "resource": path,
        "headers": headers,
        "body": "{}",
        "requestContext": {"requestId": "r", "stage": "v1"},
        "isBase64Encoded": False,
    }
    reply = app.resolve(event, None)
    return reply["statusCode"], json.loads(reply["body"])


def test_a_lost_version_race_is_412_when_the_request_named_the_version(app: Any) -> None:
    status, body = call(app, "PATCH", "/things/1", {"If-Match": '"3"', "Content-Type": "application/json"})
    assert (status, body["title"]) == (412, "Precondition failed")
    assert call(app, "PATCH", "/things/1", {"if-match": '"3"'})[0] == 412  # header names are case-insensitive


def test_without_if_match_it_stays_a_409_and_business_conflicts_too(app: Any) -> None:
    assert call(app, "PATCH", "/things/1", {"Content-Type": "application/json"})[0] == 409
    assert call(app, "POST", "/things/1/close", {"If-Match": '"3"'})[0] == 409
