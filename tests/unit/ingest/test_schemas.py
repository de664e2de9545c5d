"""Published schemas agree with the code; the pyarrow-free parts stay pyarrow-free."""

import io
import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
from crm.ingest.mapping import MappingTemplate
from crm.ingest.model import FLOW_LINES_SCHEMA
from crm.ingest.schemas import LINES_FILE, MAPPING_FILE, rendered

from .conftest import Ingest

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def test_published_schemas_match_code() -> None:
    for name, text in rendered().items():
        assert (SCHEMAS / name).read_text(encoding="utf-8") == text, f"regenerate with make openapi ({name})"


def test_parquet_schema_json_lists_every_field() -> None:
    doc = json.loads((SCHEMAS / LINES_FILE).read_text(encoding="utf-8"))
    assert [f["name"] for f in doc["fields"]] == FLOW_LINES_SCHEMA.names


def test_mapping_schema_rejects_unknown_fields() -> None:
    doc = json.loads((SCHEMAS / MAPPING_FILE).read_text(encoding="utf-8"))
    assert doc["additionalProperties"] is False
    template = MappingTemplate.model_validate_json(json.dumps({"headers": {"quantity": ["件数"]}, "units": {"打": 12}}))
    assert template.units["打"] == 12


def test_lines_round_trip_through_parquet(ingest: Ingest) -> None:
    data = "销售日期,商品编码,数量,单位,客户名称,金额\n2026-10-01,P1001,1,件,南京市鼓楼区恒安医院,1234.50\n".encode()
    lines = ingest(data).lines
    buffer = io.BytesIO()
    pq.write_table(lines, buffer)
    back = pq.read_table(io.BytesIO(buffer.getvalue()))
    assert back.schema.equals(FLOW_LINES_SCHEMA) and back.to_pylist() == lines.to_pylist()
    assert str(back.column("amount")[0]) == "1234.50"


def test_mapping_module_does_not_load_pyarrow() -> None:
    code = "import sys, crm.ingest, crm.ingest.mapping; print('pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
