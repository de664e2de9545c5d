"""The template is the single source of truth: it must lint, transform, and wire what the code relies on."""

import copy
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from localcloud.openapi import DOCUMENT, api_functions, build_document, render, routes_in_document
from samtranslator.model.exceptions import InvalidDocumentException
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = yaml_parse((REPO / "template.yaml").read_text())
RESOURCES = TEMPLATE["Resources"]
BIN = Path(sys.executable).parent


class _NoManagedPolicies:
    def load(self) -> dict:
        return {}


def _transformed() -> dict:
    """What CloudFormation would receive, produced offline (local paths become S3 URIs first)."""
    tpl = copy.deepcopy(TEMPLATE)
    for res in tpl["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                if key == "DefinitionUri":
                    props["Definition"] = json.loads((REPO / props.pop(key)).read_text())
                else:
                    props[key] = f"s3://bucket/{props[key].strip('/')}.zip"
    try:
        return transform(tpl, {}, _NoManagedPolicies())
    except InvalidDocumentException as exc:  # pragma: no cover - the message is the useful part
        pytest.fail("; ".join(str(e) for e in exc.causes))


def test_cfn_lint_passes():
    result = subprocess.run([str(BIN / "cfn-lint"), str(REPO / "template.yaml")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_sam_transform_wires_functions_routes_table_and_state_machine():
    cfn = _transformed()["Resources"]
    functions = {k for k, v in cfn.items() if v["Type"] == "AWS::Lambda::Function"}
    assert {"CustomersFunction", "HandoverWorkerFunction"} <= functions
    body = next(v for v in cfn.values() if v["Type"] == "AWS::ApiGateway::RestApi")["Properties"]["Body"]
    template_routes = {(m.upper(), p) for p, ops in body["paths"].items() for m in ops if m != "options"}
    code_routes = set().union(*(f["routes"] for f in api_functions().values()))
    assert template_routes == code_routes
    for path, ops in body["paths"].items():
        for method, op in ops.items():
            assert op.get("security") == [{"CognitoAuthorizer": []}], f"{method} {path} is not behind Cognito"
    table = cfn["Table"]["Properties"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3", "gsi4"}
    assert table["TimeToLiveSpecification"]["AttributeName"] == "expiration"  # Powertools idempotency records
    assert any(v["Type"] == "AWS::StepFunctions::StateMachine" for v in cfn.values())


def test_api_functions_start_from_a_snapstart_snapshot_and_the_api_calls_their_alias():
    cfn = _transformed()["Resources"]
    body = next(v for v in cfn.values() if v["Type"] == "AWS::ApiGateway::RestApi")["Properties"]["Body"]
    called = {op["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"].split("${")[-1].split("}")[0]
              for ops in body["paths"].values() for m, op in ops.items() if m != "options"}  # fmt: skip
    api_functions = {name.removesuffix("Aliaslive") for name in called}
    assert called == {f"{name}Aliaslive" for name in api_functions}  # every route, the published alias
    for name in api_functions:
        assert cfn[name]["Properties"]["SnapStart"] == {"ApplyOn": "PublishedVersions"}
        assert cfn[f"{name}Aliaslive"]["Type"] == "AWS::Lambda::Alias"
    assert "CustomersFunction" in api_functions and "FlowImportFunction" not in api_functions


def _references(node: object) -> set[str]:
    """The logical ids a CloudFormation value names (Ref, GetAtt, ${X} / ${X.Attr} in Sub)."""
    if isinstance(node, list):
        return set().union(set(), *map(_references, node))
    if not isinstance(node, dict):
        return set()
    found = set().union(set(), *map(_references, node.values()))
    if isinstance(node.get("Ref"), str):
        found.add(node["Ref"])
    if "Fn::GetAtt" in node:
        target = node["Fn::GetAtt"]
        found.add(target[0] if isinstance(target, list) else target.split(".")[0])
    if "Fn::Sub" in node:
        text = node["Fn::Sub"] if isinstance(node["Fn::Sub"], str) else node["Fn::Sub"][0]
        found |= {name.split(".")[0] for name in re.findall(r"\$\{([^!}][^}]*)\}", text)}
    return found


def test_the_transformed_template_has_no_dependency_cycle():
    """What CloudFormation checks at deploy and cfn-lint cannot see through SAM resources (it skips cycles through
    them, and reports one through the Api that the transform splits away: UserPoolClient's E3004 skip)."""
    cfn = _transformed()["Resources"]
    depends = {}
    for logical_id, resource in cfn.items():
        explicit = resource.get("DependsOn", [])
        named = _references(resource.get("Properties", {})) | set([explicit] if isinstance(explicit, str) else explicit)
        depends[logical_id] = named & cfn.keys()
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            pytest.fail("dependency cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node not in done:
            for target in sorted(depends[node]):
                visit(target, [*path, node])
            done.add(node)

    for logical_id in sorted(cfn):
        visit(logical_id, [])


def test_every_function_has_its_handler_module():
    for name, res in RESOURCES.items():
        if res["Type"] == "AWS::Serverless::Function":
            module, func = res["Properties"]["Handler"].rsplit(".", 1)
            source = REPO / res["Properties"]["CodeUri"] / f"{module}.py"
            assert source.exists(), f"{name}: {source} missing"
            assert f"def {func}(" in source.read_text()


def test_openapi_document_is_current():
    assert DOCUMENT.read_text() == render(build_document()), "run `make openapi` and commit schemas/openapi.json"


def test_openapi_document_covers_every_route_of_the_template():
    code_routes = set().union(*(f["routes"] for f in api_functions().values()))
    assert routes_in_document(json.loads(DOCUMENT.read_text())) == code_routes


@pytest.mark.parametrize("asl", sorted((REPO / "infra" / "statemachines").glob("*.asl.json")), ids=lambda p: p.name)
def test_state_machines_pass_statelint(asl, tmp_path):
    statelint = REPO / "node_modules" / ".bin" / "statelint"
    if not statelint.exists():
        if os.environ.get("CI"):
            pytest.fail("statelint is not installed (make setup installs it)")
        pytest.skip("statelint not installed; run make setup")
    text = asl.read_text()
    for placeholder in {p.split("}")[0] for p in text.split("${")[1:]}:
        text = text.replace("${" + placeholder + "}", f"arn:aws:lambda:us-east-1:123456789012:function:{placeholder}")
    resolved = tmp_path / asl.name
    resolved.write_text(text)
    result = subprocess.run([str(statelint), str(resolved)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_api_functions_do_not_import_pyarrow_or_pandas():
    for fn in api_functions().values():
        code = (
            "import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('h', {str(fn['code'] / (fn['module'] + '.py'))!r})\n"
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "print(sorted(m for m in ('pyarrow', 'pandas', 'numpy') if m in sys.modules))\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        assert out.stdout.strip() == "[]", f"{fn['code'].name} imports {out.stdout.strip()}"


def test_shared_layer_is_one_package_with_its_requirements():
    layer = REPO / RESOURCES["SharedLayer"]["Properties"]["ContentUri"]
    assert (layer / "crm" / "__init__.py").exists()
    lines = (layer / "requirements.txt").read_text().splitlines()
    layer_deps = {line.strip() for line in lines if line.strip() and not line.startswith("#")}
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert layer_deps == set(project)
    assert not any(d.startswith("pyarrow") for d in layer_deps)  # every function gets the layer; pyarrow stays out


GLUE_TYPES = {
    "string": "string",
    "int32": "int",
    "int64": "bigint",
    "float64": "double",
    "double": "double",
    "date32[day]": "date",
    "decimal128(18, 2)": "decimal(18,2)",
    "bool": "boolean",
}


GLUE_TABLES = {  # Glue table resource → (its S3 prefix, the published schema of its rows)
    "FlowLinesGlueTable": ("flow-lines", "flow-lines.parquet-schema.json"),
    "SellOutLinesGlueTable": ("sellout-lines", "flow-lines.parquet-schema.json"),
    "StockLinesGlueTable": ("stock-lines", "stock-lines.parquet-schema.json"),
    "OpeningLinesGlueTable": ("opening-lines", "stock-lines.parquet-schema.json"),
    "ShipmentLinesGlueTable": ("shipment-lines", "shipment-lines.parquet-schema.json"),
}


@pytest.mark.parametrize("resource", GLUE_TABLES)
def test_glue_table_mirrors_the_published_parquet_schema(resource: str):
    from crm.flow.keys import LINES_TABLE  # the prefixes the import writes to

    prefix, schema_file = GLUE_TABLES[resource]
    schema = json.loads((REPO / "schemas" / schema_file).read_text())
    table = RESOURCES[resource]["Properties"]["TableInput"]
    assert table["StorageDescriptor"]["Location"]["Fn::Sub"].endswith(f"/{prefix}/")
    assert prefix in LINES_TABLE.values()
    partitions = [k["Name"] for k in table["PartitionKeys"]]
    assert partitions == ["tenant", "period", "distributor"]  # as crm.flow.keys.parquet_key writes them
    expected = [
        {"Name": f["name"], "Type": GLUE_TYPES[f["type"]]} for f in schema["fields"] if f["name"] not in partitions
    ]  # Athena refuses a column that repeats a partition key
    assert table["StorageDescriptor"]["Columns"] == expected
