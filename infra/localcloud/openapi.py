"""The OpenAPI document of the whole HTTP API, generated from the code of every API function.

Each function's Powertools resolver knows its routes and models; this merges them into one
document with the Cognito bearer scheme, and checks that the template and the code agree on
the routes. `python -m localcloud.openapi --write` refreshes schemas/openapi.json; a test fails
when the checked-in copy differs from what the code says.
"""

import argparse
import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from crm.api.docs import PROBLEM_JSON, problem_response
from samtranslator.yaml_helper import yaml_parse

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
DOCUMENT = REPO / "schemas" / "openapi.json"
TITLE = "Channel CRM API"
VERSION = "1.0.0"


def api_functions(template_path: Path = TEMPLATE) -> dict[str, dict[str, Any]]:
    """Functions with Api events: logical id -> {"code": dir, "module": name, "routes": {(METHOD, path)}}."""
    template = yaml_parse(template_path.read_text())
    found = {}
    for logical_id, resource in template["Resources"].items():
        props = resource.get("Properties", {})
        events = [e["Properties"] for e in props.get("Events", {}).values() if e.get("Type") == "Api"]
        if resource["Type"] == "AWS::Serverless::Function" and events:
            found[logical_id] = {
                "code": REPO / props["CodeUri"],
                "module": props["Handler"].rsplit(".", 1)[0],
                "routes": {(e["Method"].upper(), e["Path"]) for e in events},
            }
    return found


def load_resolver(code_dir: Path, module: str) -> Any:
    spec = importlib.util.spec_from_file_location(f"openapi_{code_dir.name}_{module}", code_dir / f"{module}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.app


DESCRIPTION = """\
Every request carries a Cognito ID token as a bearer token. JSON in snake_case; amounts and prices are decimal
strings; ids are ULIDs.

- **Errors** are RFC 9457 `application/problem+json` (`Problem`), validation errors with `errors: [{field, message}]`.
- **Versions**: a reply that carries a record carries its `ETag`; a change (PATCH, PUT, DELETE and the actions that
  say so) requires it back as `If-Match`: a missing one is 428, a stale one 412. Where a record may not exist yet
  (a policy, a plan, a price list), its ETag is `"0"` and `If-Match: "0"` creates it.
- **Creates** answer 201 (or 202 for work that goes on) with a `Location` header and a link to the read.
  `Idempotency-Key` (where listed) replays the first reply on a retry; the same key with another body is 422.
- **Lists** take `limit` (default 50, max 200) and an opaque `cursor`, and answer `{items, next_cursor}`; a page may
  come back short when filters are selective: keep following `next_cursor` until it is null.
- **Dates**: instants are ISO 8601 UTC; business dates (a level's effective date, a visit's day, "today", months)
  are the tenant's local date: Asia/Shanghai (UTC+8) for every current tenant.
- **Downloads** (`.xlsx` routes) answer the file's bytes: in AWS send `Accept` with the XLSX media type, as the
  Api lists it among its binary media types, or API Gateway answers the bytes base64-encoded.
- **Limits**: a body over 256 KiB is 413 (configurable per function: MAX_BODY_BYTES); a route that takes a body reads
  JSON only (else 415); JSON nested deeper than 32 levels or with a number of more than 64 digits is 400.
"""
IF_MATCH = {"type": "string", "pattern": '^(W/)?"[0-9]+"$', "examples": ['"3"']}
PROBLEM_CODES_FOR_BODIES = (415,)
_QUALIFIED = re.compile(r"^crm__([a-z]+)__(?:[a-z_]+__)*([A-Za-z0-9]+)$")


def build_document() -> dict[str, Any]:
    """One pass of pydantic's schema generator over every function's routes (so a model shared by two functions
    has one name), then what holds for every route: readable operation ids, distinct schema names, 415 where a
    route reads a body, If-Match required where a missing one is 428, links by operation id."""
    combined = APIGatewayRestResolver(enable_validation=True)
    for fn in api_functions().values():
        app = load_resolver(fn["code"], fn["module"])
        for route in app._static_routes + app._dynamic_routes:
            if route.operation_id == route._generate_operation_id():
                route.operation_id = _camel(route.func.__name__)
        combined._static_routes += app._static_routes
        combined._dynamic_routes += app._dynamic_routes
    _refuse_duplicate_ids(combined._static_routes + combined._dynamic_routes)
    doc = json.loads(combined.get_openapi_json_schema(title=TITLE, version=VERSION))
    schemas = doc.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)  # Powertools' own error shapes; ours is Problem
    paths: dict[str, Any] = json.loads(json.dumps(doc["paths"]))
    renames = _schema_names(schemas)
    schemas = {renames.get(k, k): {**v, "title": renames.get(k, k)} for k, v in schemas.items()}
    paths, schemas = _renamed_refs(paths, renames), _renamed_refs(schemas, renames)
    _required_discriminators(schemas, schemas)
    ids = {
        f"#/paths/{_pointer(path)}/{method}": op["operationId"]
        for path, ops in paths.items()
        for method, op in ops.items()
    }
    for ops in paths.values():
        for op in ops.values():
            _complete(op, ids)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION, "description": DESCRIPTION},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _camel(name: str) -> str:
    head, *rest = name.strip("_").split("_")
    return head + "".join(word.title() for word in rest)


def _refuse_duplicate_ids(routes: list[Any]) -> None:
    seen: dict[str, str] = {}
    for route in routes:
        where = f"{route.method} {route.openapi_path}"
        if route.operation_id in seen:
            raise SystemExit(
                f"operation id {route.operation_id} of {where} is also {seen[route.operation_id]}'s: "
                "name one of them (operation_id=...) in its route decorator"
            )
        seen[route.operation_id] = where


def _schema_names(schemas: dict[str, Any]) -> dict[str, str]:
    """Pydantic's names that clients trip on: `X-Input` / `X-Output` pairs share a title (a generated client drops
    both), and a name two modules use comes out as `crm__customers__model__Status`. The output keeps `X`, the input
    becomes `XInput`; a qualified name takes its package's name (`CustomerStatus`); a lone `X-Input` that is another
    schema under a second name becomes that schema. Two different schemas under one name are refused."""
    renames: dict[str, str] = {}
    for key in schemas:
        name = key.removesuffix("-Output")
        if key.endswith("-Input"):
            base = key.removesuffix("-Input")
            name = base + "Input" if f"{base}-Output" in schemas else base
        if match := _QUALIFIED.match(name):
            package, short = match.groups()
            name = package.removesuffix("s").title() + short
        renames[key] = name
    for key in schemas:
        if key.endswith("-Input") and key.removesuffix("-Input") + "-Output" not in schemas:
            twin = next(
                (other for other in schemas if other != key and _bare(schemas[other]) == _bare(schemas[key])), None
            )
            if twin:
                renames[key] = renames[twin]
    keys_by_name: dict[str, list[str]] = {}
    for key, name in renames.items():
        keys_by_name.setdefault(name, []).append(key)
    clashes = sorted(
        name for name, keys in keys_by_name.items() if any(_bare(schemas[k]) != _bare(schemas[keys[0]]) for k in keys)
    )
    if clashes:
        raise SystemExit(f"different schemas would share the names {clashes}: rename the models")
    return {k: v for k, v in renames.items() if k != v}


def _bare(schema: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in schema.items() if k != "title"}


def _renamed_refs(node: Any, renames: dict[str, str]) -> Any:
    """$refs, and the refs a discriminator's mapping holds as strings, to the new names."""
    if isinstance(node, dict):
        return {k: _renamed_refs(v, renames) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed_refs(v, renames) for v in node]
    if isinstance(node, str) and node.startswith("#/components/schemas/"):
        return _renamed_ref(node, renames)
    return node


def _renamed_ref(ref: str, renames: dict[str, str]) -> str:
    prefix, _, name = ref.rpartition("/")
    return f"{prefix}/{renames.get(name, name)}" if prefix == "#/components/schemas" else ref


def _pointer(path: str) -> str:
    return quote(path.replace("~", "~0").replace("/", "~1"), safe="~")


def _complete(op: dict[str, Any], ids: dict[str, str]) -> None:
    op.setdefault("security", [{"cognito": []}])
    responses = op["responses"]
    if "requestBody" in op:
        for code in PROBLEM_CODES_FOR_BODIES:
            responses.setdefault(str(code), _problem(code))
    for param in op.get("parameters", []):
        if param["in"] == "header":
            _header_parameter(param, required_if_match="428" in responses)
    for response in responses.values():
        for link in response.get("links", {}).values():
            target = link.pop("operationRef")
            if target not in ids:
                raise SystemExit(f"{op['operationId']} links to {target}, which no route answers")
            link["operationId"] = ids[target]
    op["responses"] = dict(sorted(responses.items()))


def _header_parameter(param: dict[str, Any], required_if_match: bool) -> None:
    """A header is a string or absent, never null; If-Match is one of our ETags, and required where the route
    answers 428 without it (it calls required_version: optional to the validator, required in effect)."""
    schema = param["schema"]
    choices = [c for c in schema.get("anyOf", []) if c.get("type") != "null"]
    if len(choices) == 1:
        param["schema"] = {**{k: v for k, v in schema.items() if k != "anyOf"}, **choices[0]}
    if param["name"].lower() == "if-match":
        param["schema"] = IF_MATCH
        if required_if_match:
            param["required"] = True
            param["description"] = "The ETag from your last read of the record (missing: 428, stale: 412)"
        else:
            param["description"] = "The ETag from your last read of the record: the change fails (412) if it is stale"


def _required_discriminators(node: Any, schemas: dict[str, Any]) -> None:
    """A discriminator's property must be sent: the server picks the variant by it (pydantic gives it a default,
    which leaves it out of `required`)."""
    if isinstance(node, dict):
        discriminator = node.get("discriminator")
        if isinstance(discriminator, dict):
            for ref in discriminator.get("mapping", {}).values():
                target = schemas[ref.rsplit("/", 1)[1]]
                required = target.setdefault("required", [])
                if discriminator["propertyName"] not in required:
                    required.insert(0, discriminator["propertyName"])
        for value in node.values():
            _required_discriminators(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _required_discriminators(value, schemas)


def _problem(code: int) -> dict[str, Any]:
    response = problem_response(code)
    content = response["content"][PROBLEM_JSON]
    content.pop("model")
    content["schema"] = {"$ref": "#/components/schemas/Problem"}
    return response


def routes_in_document(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in document["paths"].items() for method in ops}


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write schemas/openapi.json")
    args = parser.parse_args()
    text = render(build_document())
    if args.write:
        DOCUMENT.parent.mkdir(exist_ok=True)
        DOCUMENT.write_text(text)
        print(f"wrote {DOCUMENT.relative_to(REPO)}")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
