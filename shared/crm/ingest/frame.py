"""Grid below the header → a pyarrow table of canonical text columns, blank and totals rows dropped."""

import re
from functools import reduce

import pyarrow as pa
import pyarrow.compute as pc

from crm.ingest.mapping import Col, HeaderMatch, MappingTemplate

# Where a totals row says so: the first text columns, not the numbers.
TOTAL_LABEL_COLUMNS = (Col.DATE, Col.PRODUCT_CODE, Col.PRODUCT_NAME, Col.BUYER_NAME)


def build_table(body: list[tuple[int, list[str]]], header: HeaderMatch) -> pa.Table:
    """All cells as strings ('' for absent): typing and checking happen column-wise in validate."""
    lines = pa.array([line for line, _ in body], pa.int32())
    columns = {
        col.value: pa.array([cells[i] if i < len(cells) else "" for _, cells in body], pa.string())
        for col, i in header.columns.items()
    }
    return pa.table({"line": lines, **columns})


def build_table_from_lines(lines: pa.Array, first_line: int, delimiter: str, header: HeaderMatch) -> pa.Table:
    """build_table for unquoted text: lines[k] is physical line first_line + k; cells split in Arrow.

    Each line gets enough trailing delimiters that every mapped index exists ('' for an absent cell).
    """
    width = max(header.columns.values(), default=-1) + 1
    padded = pc.binary_join_element_wise(lines, pa.scalar(delimiter * width, lines.type), pa.scalar("", lines.type))
    cells = pc.split_pattern(padded, delimiter)
    del padded
    numbers = pa.array(range(first_line, first_line + len(lines)), pa.int32())
    columns = {col.value: pc.cast(pc.list_element(cells, i), pa.string()) for col, i in header.columns.items()}
    return pa.table({"line": numbers, **columns})


def drop_blank_and_totals(table: pa.Table, template: MappingTemplate) -> pa.Table:
    """Keep data rows only, then number them 1..n: the row numbers the distributor's data rows have."""
    text_cols = [c for c in table.column_names if c != "line"]
    trimmed = {c: pc.utf8_trim_whitespace(table[c]) for c in text_cols}
    never = pc.is_null(table["line"])  # all False, the neutral start for the OR below
    blank = reduce(pc.and_, [pc.equal(column, "") for column in trimmed.values()], pc.invert(never))
    total = never
    if template.total_markers:
        pattern = "^(" + "|".join(re.escape(m) for m in template.total_markers) + ")"
        for col in TOTAL_LABEL_COLUMNS:
            if col.value in trimmed:
                total = pc.or_(total, pc.match_substring_regex(trimmed[col.value], pattern))
    kept = table.filter(pc.invert(pc.or_(blank, total)))
    ones = pc.add(pc.cast(pc.is_null(kept["line"]), pa.int32()), 1)
    rows = pc.cumulative_sum(ones)
    return kept.add_column(0, "row", rows)
