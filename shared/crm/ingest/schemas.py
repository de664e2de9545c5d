"""The published JSON files under schemas/ are generated from code; tests check they still agree.

Regenerate: python -m crm.ingest.schemas /path/to/repo/schemas
"""

import json
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa

from crm.ingest.mapping import mapping_json_schema
from crm.ingest.model import FLOW_LINES_SCHEMA, SHIPMENT_LINES_SCHEMA, STOCK_LINES_SCHEMA

MAPPING_FILE = "flow-mapping.schema.json"
LINES_FILE = "flow-lines.parquet-schema.json"
# file → (title, what a row is, the schema in code)
LINES_FILES: dict[str, tuple[str, str, pa.Schema]] = {
    LINES_FILE: (
        "Flow lines (Parquet)",
        "One accepted row of a distributor flow file (and of a terminal sell-out "
        "file: the buyer is the store); mirrors crm.ingest.model.FLOW_LINES_SCHEMA.",
        FLOW_LINES_SCHEMA,
    ),
    "stock-lines.parquet-schema.json": (
        "Stock lines (Parquet)",
        "One accepted row of a stock report (closing) or "
        "an opening balance file; mirrors crm.ingest.model.STOCK_LINES_SCHEMA.",
        STOCK_LINES_SCHEMA,
    ),
    "shipment-lines.parquet-schema.json": (
        "Shipment lines (Parquet)",
        "One accepted row of our shipments file; mirrors crm.ingest.model.SHIPMENT_LINES_SCHEMA.",
        SHIPMENT_LINES_SCHEMA,
    ),
}


def lines_schema_json(title: str, description: str, schema: pa.Schema) -> dict[str, Any]:
    return {"title": title, "description": description, "fields": [field_json(f) for f in schema]}


def flow_lines_schema_json(schema: pa.Schema = FLOW_LINES_SCHEMA) -> dict[str, Any]:
    title, description, _ = LINES_FILES[LINES_FILE]
    return lines_schema_json(title, description, schema)


def field_json(field: pa.Field) -> dict[str, Any]:
    if pa.types.is_dictionary(field.type):  # an encoding, not another type: readers see the value type
        return {
            "name": field.name,
            "type": str(field.type.value_type),
            "nullable": field.nullable,
            "encoding": "dictionary",
        }
    return {"name": field.name, "type": str(field.type), "nullable": field.nullable}


def rendered() -> dict[str, str]:
    """File name → exact file text (stable key order, trailing newline)."""
    lines = {name: lines_schema_json(*spec) for name, spec in LINES_FILES.items()}
    docs = {MAPPING_FILE: mapping_json_schema(), **lines}
    return {name: json.dumps(doc, ensure_ascii=False, indent=2) + "\n" for name, doc in docs.items()}


def write(directory: Path) -> None:
    for name, text in rendered().items():
        (directory / name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write(Path(sys.argv[1]))
