"""The console's API types are generated from schemas/openapi.json, never written by hand: they must not drift."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
GENERATOR = REPO / "web" / "node_modules" / ".bin" / "openapi-typescript"
CHECKED_IN = REPO / "web" / "src" / "api" / "schema.d.ts"


def test_the_consoles_api_types_are_those_generated_from_the_spec(tmp_path: Path) -> None:
    if not GENERATOR.exists():
        pytest.fail("web/node_modules is not installed: run make setup")
    fresh = tmp_path / "schema.d.ts"
    subprocess.run(
        [str(GENERATOR), str(REPO / "schemas" / "openapi.json"), "-o", str(fresh)], check=True, capture_output=True
    )
    assert fresh.read_text() == CHECKED_IN.read_text(), (
        "web/src/api/schema.d.ts is stale: run make openapi (it regenerates the spec and the console's types)"
    )
