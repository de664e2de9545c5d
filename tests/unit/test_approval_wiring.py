"""The approval engine stays generic: it imports no domain package, and the composition root wires every kind."""

import ast
import importlib.util
import sys
from pathlib import Path

from crm.approvals.model import Kind
from crm.approvals.subjects import Registry, Subject

ROOT = Path(__file__).resolve().parents[2]
ENGINE = ROOT / "shared" / "crm" / "approvals"
# What the engine may lean on: infrastructure and the org tree (who approves), never what it approves.
ALLOWED = {
    "crm.approvals",
    "crm.auth",
    "crm.audit",
    "crm.aws",
    "crm.clock",
    "crm.config",
    "crm.db",
    "crm.decimals",
    "crm.errors",
    "crm.events",
    "crm.ids",
    "crm.org",
    "crm.tenancy",
    "crm.text",
    "crm.versions",
}


def _crm_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("crm"):
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names if node.module == "crm"}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("crm")}
    return found


def test_the_approval_engine_imports_no_domain_package():
    offending = {}
    for path in ENGINE.glob("*.py"):
        outside = {
            m
            for m in _crm_imports(path)
            if m != "crm" and not any(m == allowed or m.startswith(allowed + ".") for allowed in ALLOWED)
        }
        if outside:
            offending[path.name] = sorted(outside)
    assert offending == {}, f"the approval engine imports domain packages: {offending}"


def test_the_worker_wires_a_subject_for_every_kind():
    spec = importlib.util.spec_from_file_location("approval_worker_app", ROOT / "functions/approval_worker/app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("approval_worker_app", module)
    spec.loader.exec_module(module)
    registry = module.subjects()
    assert isinstance(registry, Registry)
    assert all(isinstance(registry[kind], Subject) for kind in Kind)
