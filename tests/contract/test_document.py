"""What schemas/openapi.json promises clients, checked on the document itself (the generated clients and the
schemathesis run check it against the server)."""

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

DOCUMENT = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "openapi.json").read_text())
OPERATIONS = [(f"{method.upper()} {path}", op) for path, ops in DOCUMENT["paths"].items() for method, op in ops.items()]
SCHEMAS = DOCUMENT["components"]["schemas"]


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


def test_operation_ids_are_readable_and_unique() -> None:
    ids = [op["operationId"] for _, op in OPERATIONS]
    assert not [i for i, n in Counter(ids).items() if n > 1]
    assert all(re.fullmatch(r"[a-z][A-Za-z0-9]*", i) for i in ids), ids


def test_schema_names_are_distinct_and_plain() -> None:
    assert not [k for k in SCHEMAS if "-" in k or "__" in k]
    assert all(schema.get("title") == name for name, schema in SCHEMAS.items())


def test_no_keyword_a_validator_would_ignore() -> None:
    ignored = {"decimal_places", "max_digits", "gt", "ge", "lt", "le"}
    assert not [n for n in walk(SCHEMAS) if ignored & set(n) and "type" in n]


def test_if_match_is_required_where_its_absence_is_428() -> None:
    for name, op in OPERATIONS:
        if_match = [p for p in op.get("parameters", []) if p["in"] == "header" and p["name"] == "if-match"]
        if "428" in op["responses"]:
            assert if_match and if_match[0]["required"], name
        for param in if_match:
            assert param["schema"]["pattern"] == '^(W/)?"[0-9]+"$', name


def test_bodies_document_413_and_415_and_creates_link_to_their_read() -> None:
    for name, op in OPERATIONS:
        assert "413" in op["responses"], name
        if "requestBody" in op:
            assert "415" in op["responses"], name
        for status, response in op["responses"].items():
            if "Location" in response.get("headers", {}):
                assert status in ("201", "202") and response["links"]["read"]["operationId"], name


def test_records_carry_their_etag_where_the_server_sends_one() -> None:
    with_etag = {name for name, op in OPERATIONS if "ETag" in op["responses"].get("200", {}).get("headers", {})}
    assert {
        "GET /customers/{customer_id}",
        "PATCH /customers/{customer_id}",
        "GET /orders/{order_id}",
        "POST /orders/{order_id}/submit",
        "GET /products/{sku}/prices",
        "GET /approval-policies/{kind}",
    } <= with_etag
