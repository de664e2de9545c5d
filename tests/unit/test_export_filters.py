"""An export takes the very query parameters its list route takes, with the same bounds: the filter models of
crm.exports.lists against the routes' parameters in the generated OpenAPI document (which test_template keeps
current). A filter added to a list route and not to its export fails here."""

import json
from pathlib import Path
from typing import Any

import pytest
from crm.exports.lists import LISTS

OPENAPI = json.loads((Path(__file__).resolve().parents[2] / "schemas" / "openapi.json").read_text())
ROUTES = {
    "customers": "/customers",
    "orders": "/orders",
    "visits": "/visits",
    "flow-loads": "/flow-loads",
    "approvals": "/approvals/inbox",
}
PAGING = {"limit", "cursor"}
BOUNDS = ("type", "pattern", "maxLength", "minLength", "format", "$ref")


def bounds(schema: dict[str, Any]) -> dict[str, Any]:
    """What a parameter accepts: its non-null branch's type and limits; a reference by its name."""
    branch = next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)
    found = {k: branch[k] for k in BOUNDS if k in branch}
    if "$ref" in found:
        found["$ref"] = found["$ref"].rsplit("/", 1)[-1]
    return found


@pytest.mark.parametrize("name", sorted(LISTS))
def test_an_exports_filters_are_its_list_routes_query_parameters(name: str) -> None:
    route = OPENAPI["paths"][ROUTES[name]]["get"]
    route_params = {p["name"]: bounds(p["schema"]) for p in route.get("parameters", []) if p["in"] == "query"}
    model = LISTS[name].filters.model_json_schema()["properties"]
    assert {k: bounds(v) for k, v in model.items()} == {k: v for k, v in route_params.items() if k not in PAGING}
