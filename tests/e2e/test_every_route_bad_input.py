"""Every route of the OpenAPI document, sent the bad input clients really send, answers a problem: never a 500.

The routes come from schemas/openapi.json (so a new route is covered the day it is added); the inputs are the
kinds that once got a 500 somewhere (a body that is not UTF-8, numbers DynamoDB cannot store, NaN) and the
usual ones (broken JSON, every field of the wrong type, strange path and query values). A fresh tenant, as
an HQ admin (the widest rights: the deepest reach into each handler).
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from crm.text import MULTI_LINE, SINGLE_LINE
from localcloud.tokens import mint_token

from tests.e2e.conftest import World, new_tenant

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "openapi.json").read_text())
SCHEMAS = OPENAPI["components"]["schemas"]
ROUTES = [(path, method) for path, ops in OPENAPI["paths"].items() for method in ops]
PATH_VALUES = {"period": "2026-10", "month": "2026-10", "sku": "P1001", "kind": "order", "org_unit_id": "EAST"}
MISSING_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
WRONG = {
    "string": 12345,
    "number": "lots",
    "integer": 1.5,
    "boolean": "yes",
    "array": {"not": "a list"},
    "object": ["not", "an", "object"],
}


def resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    for choice in schema.get("anyOf", []):
        if choice.get("type") != "null":
            return resolved(choice)
    return schema


def properties(path: str, method: str) -> dict[str, dict[str, Any]]:
    content = OPENAPI["paths"][path][method].get("requestBody", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema")
    return {name: resolved(p) for name, p in resolved(schema).get("properties", {}).items()} if schema else {}


def bodies(path: str, method: str) -> list[bytes]:
    props = properties(path, method)
    numbers = [name for name, p in props.items() if p.get("type") in ("number", "integer")]
    return [
        b'\xff\xfe{"name": "x"}',  # not UTF-8
        b'{"name": "x",',  # not JSON
        json.dumps({name: WRONG.get(p.get("type", "string")) for name, p in props.items()}).encode(),
        ("{" + ", ".join(f'"{n}": NaN' for n in numbers) + "}").encode(),  # Python's json reads NaN
        json.dumps({n: 1e-300 for n in numbers}).encode(),  # below what DynamoDB stores
        json.dumps({name: "长" * 5000 for name in props}, ensure_ascii=False).encode(),
    ]


def url(path: str, value: str | None = None) -> str:
    for part in [p for p in path.split("/") if p.startswith("{")]:
        name = part.strip("{}")
        path = path.replace(part, value or PATH_VALUES.get(name, MISSING_ID), 1)
    return path


@pytest.fixture(scope="module")
def admin(cloud: Any) -> Any:
    return World(new_tenant(cloud), cloud.api_url, mint_token).as_user("admin")


def assert_problem_or_fine(r: requests.Response, what: str) -> None:
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        assert r.headers["Content-Type"].startswith("application/problem+json"), what


@pytest.mark.parametrize(("path", "method"), ROUTES, ids=[f"{m.upper()} {p}" for p, m in ROUTES])
def test_bad_input_is_a_problem_never_a_500(admin: Any, path: str, method: str) -> None:
    headers = {"Content-Type": "application/json", "If-Match": '"1"'}
    for value in (None, "%00", "..%2F..%2Fetc", "x" * 300):  # path values: plausible, then strange
        r = admin.request(method.upper(), url(path, value), headers=headers, data=b"{}")
        assert_problem_or_fine(r, f"{method.upper()} {url(path, value)}")
    query = {
        p["name"]: "\u0000\u202e" + "9" * 40
        for p in OPENAPI["paths"][path][method].get("parameters", [])
        if p["in"] == "query"
    }
    if query:
        assert_problem_or_fine(
            admin.request(method.upper(), url(path), params=query, headers=headers),
            f"{method.upper()} {path} ?{list(query)}",
        )
    if method in ("post", "put", "patch"):
        for body in bodies(path, method):
            r = admin.request(method.upper(), url(path), data=body, headers=headers)
            assert_problem_or_fine(r, f"{method.upper()} {path} with {body[:60]!r}")


def query_params(path: str, method: str) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in OPENAPI["paths"][path][method].get("parameters", []) if p["in"] == "query"}


PAGED = [(path, method) for path, method in ROUTES if "cursor" in query_params(path, method)]
REQUIRED_QUERY = {"period": "2026-10", "month": "2026-10", "on": "2026-10-05"}
# Valid base64 of valid JSON that is not the object a cursor is: 1, [1], null, "s", and {"k": 1}.
ODD_CURSORS = ("MQ", "WzFd", "bnVsbA", "InMi", "eyJrIjoxfQ")


@pytest.mark.parametrize(("path", "method"), PAGED, ids=[f"{m.upper()} {p}" for p, m in PAGED])
def test_a_cursor_of_another_shape_is_a_400(admin: Any, path: str, method: str) -> None:
    required = {n: REQUIRED_QUERY[n] for n, p in query_params(path, method).items() if p.get("required")}
    # A list under a record that is not there may answer 404 before it reads the cursor; never a page.
    expected = {400} if "{" not in path else {400, 404}
    for cursor in ODD_CURSORS:
        r = admin.request(method.upper(), url(path), params={**required, "cursor": cursor})
        assert r.status_code in expected, f"{path}?cursor={cursor}: {r.status_code} {r.text[:300]}"
        assert r.headers["Content-Type"].startswith("application/problem+json")


WRITES = [(path, method) for path, method in ROUTES if method in ("post", "put", "patch")]


@pytest.mark.parametrize(("path", "method"), WRITES, ids=[f"{m.upper()} {p}" for p, m in WRITES])
def test_json_too_deep_or_a_number_too_long_is_a_400(admin: Any, path: str, method: str) -> None:
    headers = {"Content-Type": "application/json", "If-Match": '"1"'}
    deep = b"[" * 10_000 + b"]" * 10_000  # ~20 KB; Python's parser gives up (RecursionError) near 1,000
    deep_object = b'{"a":' * 5_000 + b"1" + b"}" * 5_000
    long_int = b'{"quantity": ' + b"7" * 5_000 + b"}"  # int() refuses more than 4,300 digits (ValueError)
    for body in (deep, deep_object, long_int):
        r = admin.request(method.upper(), url(path), data=body, headers=headers)
        assert r.status_code == 400, f"{method.upper()} {path} with {body[:20]!r}: {r.status_code} {r.text[:300]}"
        assert r.headers["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(("path", "method"), WRITES, ids=[f"{m.upper()} {p}" for p, m in WRITES])
def test_a_body_that_is_not_json_is_a_415(admin: Any, path: str, method: str) -> None:
    takes_body = "requestBody" in OPENAPI["paths"][path][method]
    for content_type, body in (
        ("multipart/form-data", b""),
        ("multipart/form-data", b"x"),  # no boundary
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n',
        ),
        ("application/x-www-form-urlencoded", b"name=x"),
        ("text/plain", b"{}"),
    ):
        r = admin.request(
            method.upper(), url(path), data=body, headers={"Content-Type": content_type, "If-Match": '"1"'}
        )
        what = f"{method.upper()} {path} as {content_type}"
        if takes_body:
            assert r.status_code == 415, f"{what}: {r.status_code} {r.text[:300]}"
        assert_problem_or_fine(r, what)  # a route without a body never reads it, whatever its type


def probes(
    schema: dict[str, Any], value: Any, leaf: Callable[[dict[str, Any]], bool], path: str = ""
) -> list[tuple[Any, str]]:
    """(a body holding `value` where the schema has a leaf the test is about, the field's path) for every such
    field, through nested objects, lists and each choice of a union (its const tag set)."""
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]
    found: list[tuple[Any, str]] = []
    for choice in schema.get("anyOf", []) + schema.get("oneOf", []):
        found += probes(choice, value, leaf, path)
    if leaf(schema):
        found.append((value, path))
    if schema.get("type") == "array" and "items" in schema:
        found += [([inner], where) for inner, where in probes(schema["items"], value, leaf, f"{path}.0")]
    tags = {n: p["const"] for n, p in schema.get("properties", {}).items() if "const" in p}
    for name, prop in schema.get("properties", {}).items():
        found += [
            ({**tags, name: inner}, where) for inner, where in probes(prop, value, leaf, f"{path}.{name}".lstrip("."))
        ]
    return found


def is_date(schema: dict[str, Any]) -> bool:
    return schema.get("format") in ("date", "date-time")


def date_probes(schema: dict[str, Any], value: Any) -> list[tuple[Any, str]]:
    return probes(schema, value, is_date)


def field_errors(reply: Any) -> list[dict[str, str]]:
    """Every {field, message} in a reply, however deep (a sync batch reports each action's own)."""
    if isinstance(reply, list):
        return [e for item in reply for e in field_errors(item)]
    if not isinstance(reply, dict):
        return []
    own = [e for e in reply.get("errors") or [] if isinstance(e, dict) and "field" in e]
    return own + [e for key, value in reply.items() if key != "errors" for e in field_errors(value)]


def body_schema(path: str, method: str) -> dict[str, Any]:
    content = OPENAPI["paths"][path][method].get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema") or {}


DATED = [
    (path, method, index, where)
    for path, method in ROUTES
    for index, (_, where) in enumerate(date_probes(body_schema(path, method), 0))
]
DATED_QUERY = [
    (path, method, p["name"])
    for path, method in ROUTES
    for p in OPENAPI["paths"][path][method].get("parameters", [])
    if p["in"] == "query" and date_probes(p["schema"], 0)
]
NOT_DATES = (0, 1_790_000_000, "0", "20261005", "1790000000")  # pydantic reads each as seconds since 1970


def test_every_date_field_is_found() -> None:
    assert len(DATED) >= 20 and len(DATED_QUERY) >= 2  # the walk reaches them: a schema change cannot hide them


@pytest.mark.parametrize(
    ("path", "method", "index", "where"), DATED, ids=[f"{m.upper()} {p} {w}" for p, m, _, w in DATED]
)
def test_a_number_is_no_date(admin: Any, path: str, method: str, index: int, where: str) -> None:
    """Dates and instants are ISO 8601 text only, in every body (a sync batch refuses the action)."""
    for number in NOT_DATES:
        body = date_probes(body_schema(path, method), number)[index][0]
        r = admin.request(method.upper(), url(path), json=body, headers={"If-Match": '"1"'})
        assert r.status_code in (200, 422), f"{method.upper()} {path} {body}: {r.status_code} {r.text[:300]}"
        name = where.rsplit(".", 1)[-1]
        refused = [e for e in field_errors(r.json()) if name in e["field"].split(".") and "ISO 8601" in e["message"]]
        assert refused, f"{method.upper()} {path} {body}: {where} not refused: {r.text[:400]}"


@pytest.mark.parametrize(("path", "method", "name"), DATED_QUERY, ids=[f"{p}?{n}" for p, _, n in DATED_QUERY])
def test_a_number_is_no_date_in_a_query(admin: Any, path: str, method: str, name: str) -> None:
    for number in NOT_DATES:
        r = admin.request(method.upper(), url(path), params={name: number})
        assert r.status_code == 422, f"{path}?{name}={number}: {r.status_code} {r.text[:300]}"
        assert [e for e in r.json()["errors"] if e["field"] == name and "ISO 8601" in e["message"]], r.text


def is_free_text(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string" and schema.get("pattern") in (SINGLE_LINE, MULTI_LINE)


FREE_TEXT = [
    (path, method, index, where)
    for path, method in ROUTES
    for index, (_, where) in enumerate(probes(body_schema(path, method), "", is_free_text))
]


def test_every_free_text_field_is_found() -> None:
    assert len(FREE_TEXT) >= 60  # names, addresses, reasons, comments, notes: every stored text of every body


@pytest.mark.parametrize(
    ("path", "method", "index", "where"), FREE_TEXT, ids=[f"{m.upper()} {p} {w}" for p, m, _, w in FREE_TEXT]
)
def test_stored_text_refuses_control_characters(admin: Any, path: str, method: str, index: int, where: str) -> None:
    """A name with a control character was stored (201) and then broke every XLSX export that showed it."""
    for text in ("康宁\x00诊所", "康宁\x07诊所", "康宁\x1b[31m诊所", "康宁\x7f诊所"):
        body = probes(body_schema(path, method), text, is_free_text)[index][0]
        r = admin.request(method.upper(), url(path), json=body, headers={"If-Match": '"1"'})
        assert r.status_code in (200, 422), f"{method.upper()} {path} {body}: {r.status_code} {r.text[:300]}"
        name = where.rsplit(".", 1)[-1]
        refused = [e for e in field_errors(r.json()) if name in e["field"].split(".") and "control" in e["message"]]
        assert refused, f"{method.upper()} {path} {body}: {where} not refused: {r.text[:400]}"
