"""Bytes → grids of text cells, one per sheet, each row with its physical line number.

Everything that can go wrong with an upload (size, type, encoding, zip bombs, formulas) is caught
here and raised as IngestRejected, before any parsing library sees hostile input.
"""

import csv
import io
import itertools
import re
import zipfile
from collections.abc import Iterator, Set
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import reduce

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from crm.ingest.arrow import repeated_text
from crm.ingest.mapping import MappingTemplate
from crm.ingest.model import (
    BAD_CSV,
    BAD_ENCODING,
    BAD_XLSX,
    BINARY,
    EMPTY_FILE,
    FORMULAS,
    TOO_LARGE,
    TOO_MANY_ROWS,
    UNSUPPORTED,
    ZIP_BOMB,
    IngestRejected,
    Limits,
)

ZIP_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls: not read, the distributor must save as XLSX
DELIMITERS = ("\t", ",", ";", "|")
HEAD_ROWS = 64  # rows parsed up front on the text fast path: more than locate_header scans
NOT_A_DELIMITER = "\x1e"  # ASCII record separator: splitting lines with Arrow needs a "delimiter" absent from the text
NEWLINE = r"\r\n|\r|\n"  # what csv.reader over StringIO(newline="") ends a row on
TEXT = pa.dictionary(pa.int32(), pa.string())  # text cells: each distinct value once, rows point at it


@dataclass(frozen=True)
class Sheet:
    """A grid of text cells. rows holds (physical line, cells) for every row, except on the text fast paths
    (no quote character anywhere, so one row is one physical line) and in sheets of over HEAD_ROWS rows,
    where rows holds only the first HEAD_ROWS lines, parsed, and the rest is in Arrow:

    - `cells` (the common case: every line past the head has the same number of cells): the lines from
      cells_from on (the head's trailing lines of that width too) as a table of dictionary-encoded text
      columns c0, c1, ..., line n at row n - 1 - cells_from;
    - `lines` (any other unquoted text): every line as Arrow text, line n at index n - 1.
    """

    name: str
    rows: list[tuple[int, list[str]]]  # (physical line, cells)
    lines: pa.Array | pa.ChunkedArray | None = None
    delimiter: str = ","
    max_columns: int = 0
    utf8: bytes | memoryview | None = None  # fast path: the whole text, handed to Arrow's CSV reader as it is
    cells: pa.Table | None = None  # lines cells_from.. as text columns, when they all have as many cells
    cells_from: int = 0
    blank: frozenset[int] = frozenset()  # rows of cells that are empty lines: no cells at all, as csv.reader says

    def count(self) -> int:
        if self.cells is not None:
            return self.cells_from + self.cells.num_rows
        return len(self.rows) if self.lines is None else len(self.lines)

    def line_at(self, index: int) -> int:
        return self.rows[index][0] if self.lines is None and self.cells is None else index + 1

    def cells_at(self, index: int) -> list[str]:
        if self.cells is not None and index >= len(self.rows):
            row = index - self.cells_from
            return [] if row in self.blank else [column[row].as_py() for column in self.cells.columns]
        if self.lines is None:
            return self.rows[index][1]
        return split_line(self.lines[index].as_py(), self.delimiter, self.max_columns)

    def source_from(self, index: int) -> memoryview | None:
        """The UTF-8 bytes from line index on (fast path only): the offset found by counting line breaks."""
        if self.utf8 is None:
            return None
        return memoryview(self.utf8)[line_offset(self.utf8, index) :]

    def index_of_line(self, line: int) -> int | None:
        if self.lines is None and self.cells is None:
            return next((i for i, (n, _) in enumerate(self.rows) if n == line), None)
        return line - 1 if line <= self.count() else None


def line_offset(utf8: bytes | memoryview, index: int) -> int:
    """Where line index (0-based) starts in the text: after `index` line breaks, or the end."""
    if not index:
        return 0
    breaks = re.finditer(NEWLINE.encode(), utf8)
    found = next(itertools.islice(breaks, index - 1, None), None)
    return len(utf8) if found is None else found.end()


def split_line(line: str, delimiter: str, max_columns: int) -> list[str]:
    """What csv.reader makes of a line without quote characters: a blank line is no cells at all."""
    return line.split(delimiter)[:max_columns] if line else []


def read_sheets(data: bytes, file_name: str, template: MappingTemplate, limits: Limits) -> Iterator[Sheet]:
    """Yield the file's sheets lazily (a text file is one sheet), so later sheets are read only if needed."""
    if not data or data.isspace():  # not data.strip(): that copies the whole file
        raise IngestRejected(EMPTY_FILE, "The file is empty.")
    if len(data) > limits.max_bytes:
        raise IngestRejected(TOO_LARGE, f"The file has {len(data)} bytes, more than {limits.max_bytes}.")
    if data.startswith(ZIP_MAGIC):
        yield from read_xlsx(data, template, limits)
    elif data.startswith(OLE_MAGIC) or file_name.lower().endswith((".xls", ".xlsx")):
        raise IngestRejected(UNSUPPORTED, "Only XLSX workbooks are read; save the file as .xlsx (Excel 2007+).")
    else:
        yield read_text_sheet(data, template, limits)


# --- text -----------------------------------------------------------------------------------------


def decode(data: bytes, encoding: str) -> tuple[str, bytes | memoryview]:
    """Strict decoding: a wrong guess must fail, not produce mojibake that then half-maps.

    Returns the text and the same text as UTF-8 without BOM (the file's own bytes when it was UTF-8).
    """
    text, codec = decode_as(data, encoding)
    if codec == "utf-8-sig":  # a view, not a copy: fresh memory is what large files pay for most
        return text, memoryview(data)[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else data
    return text, text.encode()


def decode_as(data: bytes, encoding: str) -> tuple[str, str]:
    if encoding != "auto":
        codec = "utf-8-sig" if encoding == "utf-8" else encoding
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            raise IngestRejected(BAD_ENCODING, f"The file is not valid {encoding} (byte {exc.start}).") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise IngestRejected(BAD_ENCODING, "The file claims UTF-16 but does not decode.") from None
    if b"\x00" in data[:65536]:
        raise IngestRejected(BINARY, "The file holds binary data, not text, CSV or XLSX.")
    for codec in ("utf-8-sig", "gb18030"):  # GB18030 is a superset of GBK and GB2312
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise IngestRejected(BAD_ENCODING, "The text is neither UTF-8 nor GBK/GB18030.")


def unquoted_utf8(data: bytes, encoding: str) -> memoryview | None:
    """The file as UTF-8 without BOM, when it may be UTF-8 text without quote characters; else None.

    Arrow's CSV reader checks the UTF-8 as it splits the lines (and raises if it is not), which saves
    decoding a large file into a Python str first.
    """
    if encoding not in ("auto", "utf-8") or b'"' in data or b"\x00" in data[:65536]:
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16
        return None
    return memoryview(data)[len(UTF8_BOM) :] if data.startswith(UTF8_BOM) else memoryview(data)


def looks_binary(text: str) -> bool:
    """Control characters other than tab/CR/LF: random bytes that happened to decode."""
    sample = text[:65536]
    controls = sum(1 for ch in sample if ch < " " and ch not in "\t\r\n")
    return controls > max(2, len(sample) // 1000)


def sniff_delimiter(text: str) -> str:
    """The delimiter seen most often in the first lines (title rows often hold none, hence the sum)."""
    head = text[:20000].splitlines()[:30]
    counts = {d: sum(line.count(d) for line in head) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_text_sheet(data: bytes, template: MappingTemplate, limits: Limits) -> Sheet:
    unquoted = unquoted_utf8(data, template.encoding)
    if unquoted is not None:  # the common case, without decoding the whole file into a Python str
        sample = bytes(unquoted[:65536]).decode("utf-8", errors="ignore")
        if looks_binary(sample):
            raise IngestRejected(BINARY, "The file holds binary data, not text, CSV or XLSX.")
        try:
            return text_lines_sheet(unquoted, template.delimiter or sniff_delimiter(sample), limits)
        except (pa.ArrowInvalid, UnicodeDecodeError):
            pass  # not UTF-8 after all: the strict decoding below finds out what it is
    text, utf8 = decode(data, template.encoding)
    if looks_binary(text):
        raise IngestRejected(BINARY, "The file holds binary data, not text, CSV or XLSX.")
    delimiter = template.delimiter or sniff_delimiter(text)
    if '"' not in text:  # no quoting: rows are lines, split column-wise in Arrow (no Python grid)
        del text  # the UTF-8 bytes say the same
        return text_lines_sheet(utf8, delimiter, limits)
    return Sheet("", read_text(text, delimiter, limits))


def text_lines_sheet(utf8: bytes | memoryview, delimiter: str, limits: Limits) -> Sheet:
    """The fast path, with read_text's checks in read_text's order: long cells before the row limit.

    A file whose lines past the head all have as many cells is parsed once, by Arrow's CSV reader, into
    columns; any other goes through the line splitter.
    """
    regular = regular_sheet(utf8, delimiter, limits)
    return regular if regular is not None else lines_sheet(utf8, delimiter, limits)


def regular_sheet(utf8: bytes | memoryview, delimiter: str, limits: Limits) -> Sheet | None:
    """The head parsed in Python; the lines from where they all have one width on, by Arrow's CSV reader as
    text cells. None when that does not fit the file (a short file, lines of another width, a cell that may be
    too long, not UTF-8...): the line splitter then decides."""
    utf8 = memoryview(utf8)
    found = _head_and_width(utf8, delimiter, limits)
    if found is None:
        return None
    lines, width = found
    first = len(lines)  # the parsed part starts at the head's trailing lines of that width
    while first and lines[first - 1].count(delimiter) + 1 == width:
        first -= 1
    source = utf8[line_offset(utf8, first) :]
    try:
        cells = read_cells(source, delimiter, width, mostly_distinct([line.split(delimiter) for line in lines[first:]]))
    except pa.ArrowException:  # another width somewhere, a line longer than Arrow's block, not UTF-8...
        return None
    blank = blank_lines(cells, source, width)
    if blank is None or not _within_limits(lines, first, cells, delimiter, limits):
        return None
    head = [(i + 1, split_line(line, delimiter, limits.max_columns)) for i, line in enumerate(lines)]
    return Sheet("", head, None, delimiter, limits.max_columns, utf8, cells, first, blank)


def _head_and_width(utf8: memoryview, delimiter: str, limits: Limits) -> tuple[list[str], int] | None:
    """The head's lines (decoded, strictly: not UTF-8 raises) and the width of the line after them; None when
    the file is that short, that line that long, or its width out of bounds."""
    head_end = line_offset(utf8, HEAD_ROWS)
    if head_end >= len(utf8):
        return None  # HEAD_ROWS lines or fewer: nothing worth parsing apart
    lines = re.split(NEWLINE, bytes(utf8[:head_end]).decode())[:HEAD_ROWS]
    window = utf8[head_end : head_end + limits.max_columns * (limits.max_field_chars + 1)]
    found = re.search(NEWLINE.encode(), window)
    if found is None and head_end + len(window) < len(utf8):
        return None  # a first line that long: the line splitter copes
    width = bytes(window[: found.start()] if found else window).count(delimiter.encode()) + 1
    return (lines, width) if 2 <= width <= limits.max_columns else None


def _within_limits(lines: list[str], first: int, cells: pa.Table, delimiter: str, limits: Limits) -> bool:
    """Rejects a file over the row limit or with a head cell too long; False when a parsed cell may be too long
    (in bytes; the line splitter then says on which line, in read_text's order)."""
    dictionaries = [chunk.dictionary for column in cells.columns for chunk in column.chunks]
    longest = max((pc.max(pc.binary_length(d)).as_py() or 0 for d in dictionaries), default=0)
    if longest > limits.max_field_chars:
        return False
    for index, line in enumerate(lines[: limits.max_rows]):
        if any(len(c) > limits.max_field_chars for c in line.split(delimiter)):
            raise IngestRejected(BAD_CSV, f"A cell on line {index + 1} is longer than {limits.max_field_chars}.")
    if first + cells.num_rows > limits.max_rows:
        raise IngestRejected(TOO_MANY_ROWS, f"The file has more than {limits.max_rows} rows.")
    return True


def blank_lines(cells: pa.Table, source: memoryview, width: int) -> frozenset[int] | None:
    """The rows of cells that are empty lines (Arrow reads one as a row of empty cells, csv.reader as no cells);
    None when that cannot be told apart from lines of empty cells (",,,").

    Every byte is a cell's, a delimiter (width - 1 on every line but an empty one) or a line break's: the bytes
    say how many empty lines there are. Only when that is the number of rows of empty cells are they those."""
    columns = [column.chunk(0) for column in cells.columns if column.num_chunks == 1]
    if len(columns) != cells.num_columns or cells.num_rows == 0:
        return None  # (not what read_cells gives): let the line splitter decide
    columns.sort(key=lambda c: len(c.dictionary))
    if not all(pc.any(pc.equal(c.dictionary, "")).as_py() for c in columns):
        return frozenset()  # some column has no empty cell: no row is all empty
    cell_bytes = sum(pc.sum(pc.take(pc.binary_length(c.dictionary), c.indices)).as_py() or 0 for c in columns)
    break_bytes = count_bytes(source, b"\r") + count_bytes(source, b"\n")
    blank, rest = divmod(cell_bytes + (width - 1) * cells.num_rows + break_bytes - len(source), width - 1)
    if blank == 0 and rest == 0:
        return frozenset()
    empty = reduce(pc.and_, [pc.take(pc.equal(c.dictionary, ""), c.indices) for c in columns])
    rows = pc.indices_nonzero(empty)
    return frozenset(rows.to_pylist()) if rest == 0 and len(rows) == blank else None


def count_bytes(view: memoryview, byte: bytes) -> int:
    """view.count(byte) without copying the view (bytes.count over the part of the object it shows)."""
    base = view.obj
    if isinstance(base, bytes) and view.contiguous:
        start = pa.py_buffer(view).address - pa.py_buffer(base).address
        return base.count(byte, start, start + view.nbytes)
    return bytes(view).count(byte)


def mostly_distinct(rows: list[list[str]]) -> set[int]:
    """Columns whose cells in these rows (a sample) are mostly different: names, document numbers..."""
    if len(rows) < 16:
        return set()
    return {i for i, column in enumerate(zip(*rows, strict=True)) if len(set(column)) > 0.8 * len(rows)}


def read_cells(source: memoryview, delimiter: str, width: int, distinct: Set[int] = frozenset()) -> pa.Table:
    """Lines of `width` cells each as dictionary-encoded text columns c0..; ArrowInvalid on any other width.

    The reader encodes each block apart, so a column with many distinct values (`distinct`: a guess, either
    way the result is the same) is read as plain text and encoded in one pass: cheaper than unifying the
    blocks' dictionaries.
    """
    names = [f"c{i}" for i in range(width)]
    table = pa_csv.read_csv(
        pa.BufferReader(pa.py_buffer(source)),
        read_options=pa_csv.ReadOptions(column_names=names),
        parse_options=pa_csv.ParseOptions(delimiter=delimiter, quote_char=False, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(
            column_types={n: pa.string() if i in distinct else TEXT for i, n in enumerate(names)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    encoded = {names[i]: pc.dictionary_encode(table[names[i]]).combine_chunks() for i in distinct}
    table = table.drop_columns(list(encoded)).unify_dictionaries().combine_chunks()
    return pa.table({n: encoded[n] if n in encoded else table[n] for n in names})


def lines_sheet(utf8: bytes | memoryview, delimiter: str, limits: Limits) -> Sheet:
    """Every line split apart (any unquoted text): checks as read_text, cells parsed when the body is read."""
    lines = split_lines(utf8)
    first_long = None
    maybe_long = pc.indices_nonzero(pc.greater(pc.utf8_length(lines), limits.max_field_chars))
    for index in maybe_long.to_pylist():  # only lines longer than a cell may be: usually none
        if index >= limits.max_rows:
            break
        if any(len(c) > limits.max_field_chars for c in lines[index].as_py().split(delimiter)):
            first_long = index
            break
    if first_long is not None:
        raise IngestRejected(BAD_CSV, f"A cell on line {first_long + 1} is longer than {limits.max_field_chars}.")
    if len(lines) > limits.max_rows:
        raise IngestRejected(TOO_MANY_ROWS, f"The file has more than {limits.max_rows} rows.")
    head = [
        (i + 1, split_line(line, delimiter, limits.max_columns))
        for i, line in enumerate(lines.slice(0, HEAD_ROWS).to_pylist())
    ]
    return Sheet("", head, lines, delimiter, limits.max_columns, utf8)


def split_lines(utf8: bytes | memoryview) -> pa.Array:
    """Every physical line of the text (CR, LF or CRLF ends one; a final line break starts no line).

    Arrow's CSV reader with one column and no quoting is exactly a multi-threaded line splitter, ~20×
    faster than a regex split; it needs a delimiter that does not occur (a control character: text holding
    it takes the regex).
    """
    if not utf8:
        return pa.array([], pa.string())
    if not re.search(NOT_A_DELIMITER.encode(), utf8):
        try:
            table = pa_csv.read_csv(
                pa.BufferReader(pa.py_buffer(utf8)),
                read_options=pa_csv.ReadOptions(column_names=["line"]),
                parse_options=pa_csv.ParseOptions(
                    delimiter=NOT_A_DELIMITER, quote_char=False, ignore_empty_lines=False
                ),
                convert_options=pa_csv.ConvertOptions(
                    column_types={"line": pa.string()}, strings_can_be_null=False, quoted_strings_can_be_null=False
                ),
            )
            return table["line"] if table.num_rows else pa.array([], pa.string())  # chunked: combining copies
        except pa.ArrowInvalid:
            pass  # not UTF-8 (the decode below says so), or a line longer than Arrow's block (the regex copes)
    text = bytes(utf8).decode()
    lines = pc.list_flatten(pc.split_pattern_regex(pa.array([text], pa.large_string()), NEWLINE))
    return lines.slice(0, len(lines) - 1) if len(lines) and lines[len(lines) - 1].as_py() == "" else lines


def read_text(text: str, delimiter: str, limits: Limits) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if len(rows) >= limits.max_rows:
                raise IngestRejected(TOO_MANY_ROWS, f"The file has more than {limits.max_rows} rows.")
            if any(len(c) > limits.max_field_chars for c in cells):
                raise IngestRejected(BAD_CSV, f"A cell on line {line} is longer than {limits.max_field_chars}.")
            rows.append((line, cells[: limits.max_columns]))
            line = reader.line_num + 1  # a quoted cell may span lines: the next row starts after it
    except csv.Error as exc:
        raise IngestRejected(BAD_CSV, f"The file cannot be read as delimited text near line {line}: {exc}.") from None
    return rows


# --- xlsx -----------------------------------------------------------------------------------------


def check_zip(data: bytes, limits: Limits) -> None:
    """Refuse zip bombs by the declared member sizes, before openpyxl inflates anything.

    Declared sizes are enough: Python's zipfile never yields more than a member's declared size,
    so a member that lies about its size is cut short (and then fails its CRC), not inflated.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, NotImplementedError):  # (an unknown zip version)
        raise IngestRejected(BAD_XLSX, "The file looks like a zip/XLSX but is damaged.") from None
    if len(members) > limits.max_zip_members:
        raise IngestRejected(ZIP_BOMB, f"The workbook has {len(members)} parts, more than {limits.max_zip_members}.")
    total = sum(m.file_size for m in members)
    if total > limits.max_uncompressed_bytes:
        raise IngestRejected(
            ZIP_BOMB, f"The workbook unpacks to {total} bytes, more than {limits.max_uncompressed_bytes}."
        )
    if not any(m.filename == "[Content_Types].xml" for m in members):
        raise IngestRejected(BAD_XLSX, "The zip file is not an XLSX workbook.")


def cell_text(value: object) -> str:
    """One spelling per value: dates as ISO, whole numbers without '.0', nothing as ''."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(data: bytes, template: MappingTemplate, limits: Limits) -> Iterator[Sheet]:
    check_zip(data, limits)
    import openpyxl  # ingest-only dependency, loaded when a workbook actually arrives

    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for broken parts
        raise IngestRejected(BAD_XLSX, f"The workbook cannot be opened: {type(exc).__name__}.") from None
    try:
        names = [template.sheet] if template.sheet else workbook.sheetnames
        for name in names:
            if name not in workbook.sheetnames:
                continue  # the pipeline reports a missing named sheet
            yield readable_sheet(workbook[name], name, limits)
    finally:
        workbook.close()


def readable_sheet(sheet: object, name: str, limits: Limits) -> Sheet:
    """sheet_of, with a damaged part (a broken XML or CRC, found only as the rows are read) as a rejection."""
    try:
        return sheet_of(sheet, name, limits)
    except IngestRejected:
        raise
    except Exception as exc:  # openpyxl and the XML and zip readers beneath it raise many types
        raise IngestRejected(
            BAD_XLSX, f"Sheet {name} cannot be read, the workbook is damaged: {type(exc).__name__}.", sheet=name
        ) from None


XLSX_BATCH = 20_000  # rows past the head turned into Arrow text columns at a time


def sheet_of(sheet: object, name: str, limits: Limits) -> Sheet:
    """The first HEAD_ROWS rows as Python cells (the header is among them); the rest as Arrow text columns,
    XLSX_BATCH rows at a time: a grid of Python strings took 1.2 GB at 400k rows (now 0.4), and the function
    has 2 GB."""
    head: list[tuple[int, list[str]]] = []
    batch: list[list[str]] = []
    parts: list[pa.Table] = []
    for number, cells in enumerate(sheet.iter_rows(max_col=limits.max_columns), start=1):  # type: ignore[attr-defined]
        if number > limits.max_rows:
            raise IngestRejected(TOO_MANY_ROWS, f"Sheet {name} has more than {limits.max_rows} rows.")
        formula = next((c for c in cells if getattr(c, "data_type", None) == "f"), None)
        if formula is not None:
            # A formula's value depends on the workbook, not on the cell: we cannot trust what we would read.
            raise IngestRejected(
                FORMULAS,
                f"Sheet {name} row {number} holds a formula; paste values only.",
                sheet=name,
                row=number,
            )
        texts = [cell_text(c.value) for c in cells]
        while texts and not texts[-1]:  # read-only rows come padded to max_col: 200 cells where 9 are written
            texts.pop()
        if number <= HEAD_ROWS:
            head.append((number, texts))
            continue
        batch.append(texts)
        if len(batch) == XLSX_BATCH:
            parts.append(text_columns(batch))
            batch = []
    if batch:
        parts.append(text_columns(batch))
    if not parts:
        return Sheet(name, head)
    width = max(part.num_columns for part in parts)
    parts = [widen(part, width) for part in parts]
    cells = pa.concat_tables(parts).unify_dictionaries().combine_chunks()
    return Sheet(name, head, max_columns=limits.max_columns, cells=cells, cells_from=len(head))


def text_columns(rows: list[list[str]]) -> pa.Table:
    """Rows of cells as dictionary-encoded text columns c0, c1, ... ('' where a row is shorter)."""
    width = max(map(len, rows))
    return pa.table(
        {
            f"c{i}": pc.dictionary_encode(pa.array([r[i] if i < len(r) else "" for r in rows], pa.string()))
            for i in range(width)
        }
    )


def widen(part: pa.Table, width: int) -> pa.Table:
    """part with empty text columns added up to `width` columns."""
    for i in range(part.num_columns, width):
        part = part.append_column(f"c{i}", repeated_text("", part.num_rows))
    return part
