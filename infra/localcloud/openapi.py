"""The OpenAPI document of the whole HTTP API, generated from the code of every API function.

Each function's Powertools resolver knows its routes and models; this merges them into one
document with the Cognito bearer scheme, and checks that the template and the code agree on
the routes. `python -m localcloud.openapi --write` refreshes schemas/openapi.json; a test fails
when the checked-in copy differs from what the code says.
"""

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

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


def build_document() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for fn in api_functions().values():
        doc = json.loads(load_resolver(fn["code"], fn["module"]).get_openapi_json_schema(title=TITLE, version=VERSION))
        for path, ops in doc.get("paths", {}).items():
            paths.setdefault(path, {}).update(ops)
        schemas.update(doc.get("components", {}).get("schemas", {}))
    for ops in paths.values():
        for op in ops.values():
            op.setdefault("security", [{"cognito": []}])
            op["responses"] = dict(sorted(op["responses"].items()))
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)  # Powertools' own error shapes; ours is Problem
    return {
        "openapi": "3.1.0",
        "info": {
            "title": TITLE,
            "version": VERSION,
            "description": "Every request carries a Cognito ID token as a bearer token. Errors are RFC 9457 "
            "problem+json. Lists page with limit and an opaque cursor.",
        },
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "securitySchemes": {"cognito": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


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
