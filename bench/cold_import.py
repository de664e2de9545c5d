"""Cold start, the part we control: importing each API function's handler module in a fresh interpreter.

Compared with a fresh interpreter importing boto3 alone (what any Python Lambda that talks to AWS pays).
Runs are interleaved so drift on a busy machine hits both sides alike; the median is reported.
"""

import json
import os
import re
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ddblocal import ROOT, TEMPLATE

TARGET_RATIO = 1.5
HEAVY = ("pyarrow", "pandas")  # ingest-only dependencies; an API function must never load them
# What any API function on this stack imports before a line of ours: the floor the handlers are also shown against.
STACK = (
    "import boto3, pydantic, pynamodb.models; "
    "from aws_lambda_powertools import Logger, Metrics; "
    "from aws_lambda_powertools.event_handler import APIGatewayRestResolver; "
    "APIGatewayRestResolver(enable_validation=True)"
)
RUNS = 5

# Runs in the child: time the import alone (not interpreter start-up), then list heavy modules loaded.
_PROBE = """
import json, sys, time
sys.path[:0] = {paths!r}
t = time.perf_counter()
{statement}
took = time.perf_counter() - t
print(json.dumps({{"seconds": took, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""


@dataclass(frozen=True)
class ApiFunction:
    name: str
    code_dir: Path
    module: str
    env: dict[str, str]


def _env_value(value: Any, logical_id: str) -> str:
    # !Ref / !GetAtt have no value outside CloudFormation; a stand-in string is all an import needs.
    return value if isinstance(value, str) else f"bench-{logical_id}-{next(iter(value.values()))}"


def api_functions(template_path: Path = TEMPLATE) -> list[ApiFunction]:
    """Every AWS::Serverless::Function with at least one Api event, with its env from Globals + itself."""
    from samtranslator.yaml_helper import yaml_parse

    template = yaml_parse(template_path.read_text())
    global_env = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    found = []
    for logical_id, res in template["Resources"].items():
        props = res.get("Properties", {})
        events = props.get("Events", {}).values()
        if res["Type"] != "AWS::Serverless::Function" or not any(e.get("Type") == "Api" for e in events):
            continue
        env = {**global_env, **props.get("Environment", {}).get("Variables", {})}
        found.append(
            ApiFunction(
                name=logical_id,
                code_dir=ROOT / props["CodeUri"],
                module=props["Handler"].rsplit(".", 1)[0],
                env={k: _env_value(v, logical_id) for k, v in env.items()},
            )
        )
    return found


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    return {
        **keep,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    }


def _probe(statement: str, paths: list[str], env: dict[str, str]) -> dict[str, Any]:
    code = _PROBE.format(paths=paths, statement=statement, heavy=HEAVY)
    # -I: no user site or PYTHONPATH from the caller; -S is not used: site-packages are the layer.
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], env=_child_env(env), cwd="/", capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _paths_and_env(fn: ApiFunction) -> tuple[list[str], dict[str, str]]:
    paths = [str(fn.code_dir), str(ROOT / "shared")]  # handler dir, then the layer's content
    return paths, {**fn.env, "AWS_LAMBDA_FUNCTION_NAME": fn.name}  # as in Lambda: Powertools sees it is deployed


def largest_imports(fn: ApiFunction, top: int = 5) -> list[tuple[str, float]]:
    """The handler module's direct imports that cost most (ms, cumulative), from `python -X importtime`."""
    paths, env = _paths_and_env(fn)
    code = f"import sys; sys.path[:0] = {paths!r}; import {fn.module}"
    err = subprocess.run(
        [sys.executable, "-I", "-X", "importtime", "-c", code],
        env=_child_env(env),
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    rows = [(len(m[2]), m[3], int(m[1]) / 1000) for m in re.finditer(r"\| +(\d+) \|( +)(\S+)", err)]
    # Children are printed before their parent, one level (two spaces) deeper.
    handler_at = max(i for i, (_, name, _) in enumerate(rows) if name == fn.module)
    depth, children = rows[handler_at][0], []
    for indent, name, ms in reversed(rows[:handler_at]):
        if indent <= depth:
            break
        if indent == depth + 2:
            children.append((name, ms))
    return sorted(children, key=lambda c: -c[1])[:top]


def measure(fn: ApiFunction, runs: int = RUNS) -> dict[str, Any]:
    paths, env = _paths_and_env(fn)
    handler, baseline, stack, heavy = [], [], [], set()
    for _ in range(runs):
        result = _probe(f"import {fn.module}", paths, env)
        handler.append(result["seconds"])
        heavy.update(result["heavy"])
        baseline.append(_probe("import boto3", [], {})["seconds"])
        stack.append(_probe(STACK, [], env)["seconds"])
    h, b, s = statistics.median(handler), statistics.median(baseline), statistics.median(stack)
    return {
        "function": fn.name,
        "handler_s": h,
        "boto3_s": b,
        "stack_s": s,
        "ratio": h / b,
        "over_stack": h / s,
        "heavy": sorted(heavy),
        "largest": largest_imports(fn),
    }


def run() -> list[dict[str, Any]]:
    results = [measure(fn) for fn in api_functions()]
    print(f"Cold import (median of {RUNS} fresh interpreters; baseline: `import boto3` alone)")
    print("  stack: boto3, pydantic, pynamodb and Powertools' Logger, Metrics and validating resolver, no code of ours")
    header = f"{'function':<22}{'handler ms':>11}{'boto3 ms':>10}{'stack ms':>10}{'ratio':>8}"
    print(f"{header}  target      over stack  heavy deps")
    for r in results:
        verdict = "PASS" if r["ratio"] <= TARGET_RATIO else "FAIL"
        heavy = ", ".join(r["heavy"]) or "none (ok)"
        print(
            f"{r['function']:<22}{r['handler_s'] * 1000:>11.0f}{r['boto3_s'] * 1000:>10.0f}{r['stack_s'] * 1000:>10.0f}"
            f"{r['ratio']:>7.2f}x  <={TARGET_RATIO}x {verdict}  {r['over_stack']:>9.2f}x  {heavy}"
        )
        largest = ", ".join(f"{name} {ms:.0f} ms" for name, ms in r["largest"])
        print(f"  costliest direct imports (a module shared by two counts for the first): {largest}")
    stack_ratio = statistics.median(r["stack_s"] / r["boto3_s"] for r in results)
    floor = "above the target: no handler on this stack can meet it" if stack_ratio > TARGET_RATIO else "within it"
    print(f"  the stack alone imports in {stack_ratio:.2f}x boto3's time, {floor}")
    return results
