"""Grid below the header → a pyarrow table of canonical text columns, blank and totals rows dropped."""

from collections.abc import Callable
from functools import reduce

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crm.ingest.arrow import in_chunks, repeated_text
from crm.ingest.mapping import Col, HeaderMatch, MappingTemplate

# Where a totals row says so: the first text columns, not the numbers.
TOTAL_LABEL_COLUMNS = (Col.DATE, Col.PRODUCT_CODE, Col.PRODUCT_NAME, Col.BUYER_NAME)


TEXT = pa.dictionary(pa.int32(), pa.string())  # every text column: distinct values + an index per row


def build_table(body: list[tuple[int, list[str]]], header: HeaderMatch) -> pa.Table:
    """All cells as strings ('' for absent): typing and checking happen column-wise in validate."""
    lines = pa.array([line for line, _ in body], pa.int32())
    columns = {
        col.value: pc.dictionary_encode(pa.array([c[i] if i < len(c) else "" for _, c in body], pa.string()))
        for col, i in header.columns.items()
    }
    return pa.table({"line": lines, **columns})


def build_table_from_cells(
    head: list[tuple[int, list[str]]], cells: pa.Table, cells_from: int, start: int, header: HeaderMatch
) -> pa.Table:
    """build_table for a sheet whose lines cells_from.. are parsed already (read.regular_sheet): the rows from
    index start on, those before cells_from from the head's Python cells."""
    rest = cells.slice(max(0, start - cells_from))
    n = rest.num_rows
    columns = {
        col.value: rest.column(i) if i < rest.num_columns else repeated_text("", n) for col, i in header.columns.items()
    }
    table = pa.table({"line": line_numbers(max(start, cells_from) + 1, n), **columns})
    if start < cells_from:  # a few rows between the header and the parsed lines (a title, a blank line...)
        table = pa.concat_tables([build_table(head[start:cells_from], header), table])
        table = table.unify_dictionaries().combine_chunks()
    return table


def build_table_from_lines(
    lines: pa.Array, first_line: int, delimiter: str, header: HeaderMatch, source: memoryview | None = None
) -> pa.Table:
    """build_table for unquoted text: lines[k] is physical line first_line + k; source, when given, is
    the same lines as UTF-8 bytes (the file from the first body line on).

    Cells are parsed by Arrow's CSV reader, all columns as text. When every line has as many cells as
    the first, the source bytes go to it as they are; otherwise the lines with the usual cell count go
    to it as one buffer and the rest (a short totals row, a blank line among data) are split in Python
    like the grid path, merged back in line order.
    """
    if len(lines) == 0:
        return build_table([], header)
    counts = pc.count_substring(lines, delimiter)
    widths = pc.min_max(counts)
    if source is not None and widths["min"] == widths["max"]:  # else Arrow's reader would stop at the first odd line
        try:
            parsed = parse_cells(source, delimiter, lines[0].as_py().count(delimiter) + 1, header, len(lines))
        except pa.ArrowInvalid:  # whatever Arrow's reader objects to, the line-wise way below handles
            parsed = None
        if parsed is not None:
            return parsed.add_column(0, "line", line_numbers(first_line, len(lines)))
    numbers = line_numbers(first_line, len(lines))
    tally = pa.Table.from_struct_array(pc.value_counts(counts))
    usual = tally.sort_by([("counts", "descending"), ("values", "ascending")])["values"][0].as_py()
    regular = pc.equal(counts, usual)
    table = parse_cells(as_text(lines.filter(regular)), delimiter, usual + 1, header, pc.sum(regular).as_py())
    assert table is not None  # every line given has usual + 1 cells
    table = table.add_column(0, "line", numbers.filter(regular))
    others = pc.invert(regular)
    if pc.any(others).as_py():
        rest = zip(numbers.filter(others).to_pylist(), lines.filter(others).to_pylist(), strict=True)
        split = build_table([(n, line.split(delimiter) if line else []) for n, line in rest], header)
        in_order = pc.min(split["line"]).as_py() > pc.max(table["line"]).as_py()  # odd lines at the end (totals)
        table = pa.concat_tables([table, split]).unify_dictionaries().combine_chunks()
        if not in_order:
            table = table.take(pc.sort_indices(table["line"]))
    return table


def line_numbers(first: int, count: int) -> pa.Array:
    """first, first + 1, ... as int32, without a Python int per row."""
    return pc.cast(pc.add(pc.indices_nonzero(pa.repeat(pa.scalar(True), count)), first), pa.int32())


def as_text(lines: pa.Array) -> pa.Buffer:
    """The lines as one LF-separated UTF-8 buffer."""
    lf = pa.scalar("\n", lines.type)
    joined = pc.binary_join_element_wise(lines, pa.scalar("", lines.type), lf)  # each line + LF
    if isinstance(joined, pa.ChunkedArray):
        joined = joined.combine_chunks()
    offsets = memoryview(joined.buffers()[1]).cast("q" if pa.types.is_large_string(joined.type) else "i")
    start, end = offsets[joined.offset], offsets[joined.offset + len(joined)]
    return joined.buffers()[2].slice(start, end - start)


class RowsOfAnotherWidth:
    """pyarrow.csv's invalid_row_handler: notes that some row has another cell count, and skips it."""

    def __init__(self) -> None:
        self.seen = False

    def __call__(self, row: object) -> str:
        self.seen = True
        return "skip"


def parse_cells(
    source: bytes | pa.Buffer, delimiter: str, width: int, header: HeaderMatch, rows: int
) -> pa.Table | None:
    """The mapped columns of `rows` lines of `width` cells each; None when some line has another width."""
    names = [f"c{i}" for i in range(width)]
    present = {col: names[i] for col, i in header.columns.items() if i < width}
    other_width = RowsOfAnotherWidth()
    cells = pa_csv.read_csv(
        pa.BufferReader(pa.py_buffer(source)),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(
            delimiter=delimiter, quote_char=False, ignore_empty_lines=False, invalid_row_handler=other_width
        ),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: TEXT for n in names},
            include_columns=sorted(set(present.values())) or names[:1],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if other_width.seen or cells.num_rows != rows:
        return None
    cells = cells.unify_dictionaries().combine_chunks()
    return pa.table(
        {col.value: cells[present[col]] if col in present else repeated_text("", rows) for col in header.columns}
    )


def drop_blank_and_totals(table: pa.Table, template: MappingTemplate) -> pa.Table:
    """Keep data rows only, then number them 1..n: the row numbers the distributor's data rows have.

    Decided per distinct value (trimmed blank? starts with a totals marker?) and spread to the rows only
    when some value is: usually none is, and no row is looked at.
    """
    trimmed = {c: per_value(table[c], pc.utf8_trim_whitespace) for c in table.column_names if c != "line"}
    blank = [spread_if_any(pc.equal(values, ""), column) for column, values in trimmed.values()]
    dropped = None if not blank or any(b is None for b in blank) else reduce(pc.and_, blank)  # all text blank
    for marker in template.total_markers:
        for col in TOTAL_LABEL_COLUMNS:
            if col.value in trimmed:
                column, values = trimmed[col.value]
                total = spread_if_any(pc.starts_with(values, marker), column)
                if total is not None:
                    dropped = total if dropped is None else pc.or_(dropped, total)
    if dropped is not None and pc.any(dropped).as_py():
        table = table.filter(pc.invert(dropped))
    return in_chunks(table.add_column(0, "row", line_numbers(1, table.num_rows)))


def per_value(column: pa.ChunkedArray, fn: Callable[[pa.Array], pa.Array]) -> tuple[pa.DictionaryArray, pa.Array]:
    """A text column as one dictionary array, and fn of its dictionary."""
    array = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not pa.types.is_dictionary(array.type):
        array = pc.dictionary_encode(array)
    return array, fn(array.dictionary)


def spread_if_any(per_value_mask: pa.Array, column: pa.DictionaryArray) -> pa.Array | None:
    """The mask for the rows, or None when no value (so no row) is True."""
    if not pc.any(per_value_mask).as_py():
        return None
    return pc.fill_null(pc.take(per_value_mask, column.indices), False)
