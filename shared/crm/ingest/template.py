"""Files filled in from one of our templates (the product master, an order plan): a header row whose cells
name fields by any of their spellings, then a row per record. The header search and the rows as field → text;
what the fields mean is the caller's. Hostile-file checks are the reader's (crm.ingest.read).
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from crm.ingest.mapping import MappingTemplate
from crm.ingest.model import NO_HEADER, IngestRejected, Limits
from crm.ingest.read import Sheet, read_sheets
from crm.text import normalize_name

WHOLE_NUMBER = re.compile(r"^\s*(\d+)(\.0+)?\s*$")  # "60.0" from a spreadsheet is 60


@dataclass(frozen=True)
class Layout:
    synonyms: dict[str, tuple[str, ...]]  # field → header spellings (compared normalised)
    required: tuple[str, ...]
    limits: Limits
    header_scan: int  # rows searched for the header
    lookup: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        lookup = {normalize_name(s): f for f, names in self.synonyms.items() for s in names}
        object.__setattr__(self, "lookup", lookup)


@dataclass(frozen=True)
class Header:
    index: int  # row index in the sheet
    columns: dict[str, int]  # field → column index
    texts: list[str]  # the file's own header cells
    required: tuple[str, ...]

    def missing(self) -> list[str]:
        return [f for f in self.required if f not in self.columns]

    def text(self, name: str) -> str:
        return self.texts[self.columns[name]] if name in self.columns else name


def find_header(
    data: bytes, file_name: str, layout: Layout, missing_message: Callable[[list[str]], str]
) -> tuple[Sheet, Header]:
    """The first row (of the first sheet that has one) naming every required field; else IngestRejected with
    `missing_message` of what the best candidate row lacked."""
    best: Header | None = None
    for sheet in read_sheets(data, file_name, MappingTemplate(), layout.limits):
        for index in range(min(layout.header_scan, sheet.count())):
            header = _match(index, sheet.cells_at(index), layout)
            if not header.missing():
                return sheet, header
            if best is None or len(header.columns) > len(best.columns):
                best = header
    raise IngestRejected(NO_HEADER, missing_message(best.missing() if best else list(layout.required)))


def _match(index: int, cells: list[str], layout: Layout) -> Header:
    columns: dict[str, int] = {}
    for i, cell in enumerate(cells):
        name = layout.lookup.get(normalize_name(cell))
        if name is not None and name not in columns:  # a repeated header: the first one counts
            columns[name] = i
    return Header(index, columns, [c.strip() for c in cells], layout.required)


def rows(sheet: Sheet, header: Header) -> Iterator[tuple[int, dict[str, str]]]:
    """(file line, field → trimmed text) of every row below the header that is not blank."""
    for index in range(header.index + 1, sheet.count()):
        cells = sheet.cells_at(index)
        if any(c.strip() for c in cells):
            yield (
                sheet.line_at(index),
                {f: (cells[i].strip() if i < len(cells) else "") for f, i in header.columns.items()},
            )
