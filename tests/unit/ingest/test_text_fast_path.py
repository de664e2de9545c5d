"""The unquoted-text fast path (Arrow, no Python grid) gives what csv.reader gives: cells, lines, errors."""

import pytest
from crm.ingest.frame import build_table, build_table_from_lines
from crm.ingest.mapping import Col, HeaderMatch
from crm.ingest.model import IngestRejected, Limits
from crm.ingest.read import read_text, text_lines_sheet

TEXTS = [
    "title\r\n\r\nA,B,C\r\n1,2,3\r\n\r\n4,5\r\n6\r\n,,\r\n 7 ,8,9,10\r\n",
    "A;B;C\n1;2;3\n\n\n4;5;6",
    "A,B,C\r1,2,3\r\r4,,6\r",
    "A,B,C\n",
    "A,B,C\r\n1,2,3\r\n4,5,6\r\n",  # every line alike: the bytes go to Arrow's CSV reader as they are
    "x\nA,B,C\n1,2,3\n4,5,6",
    "A,B,C\n1,2,\x1e\n\n",  # the line splitter's own separator in the text
]


@pytest.mark.parametrize("text", TEXTS)
def test_same_table_as_csv_reader(text: str) -> None:
    delimiter = ";" if ";" in text else ","
    limits = Limits()
    grid = read_text(text, delimiter, limits)
    sheet = text_lines_sheet(text.encode(), delimiter, limits)
    assert sheet.count() == len(grid)
    assert sheet.rows == grid[: len(sheet.rows)]
    assert [sheet.cells_at(i) for i in range(sheet.count())] == [c for _, c in grid]
    header_index = next(i for i, (_, c) in enumerate(grid) if c[:1] == ["A"])
    header = HeaderMatch(row_index=header_index, columns={Col.DATE: 0, Col.QUANTITY: 2, Col.UNIT: 1}, headers=[])
    start = header_index + 1
    expected = build_table(grid[start:], header)
    for source in (None, sheet.source_from(start)):
        got = build_table_from_lines(sheet.lines.slice(start), start + 1, delimiter, header, source)
        assert got.to_pylist() == expected.to_pylist()


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        ("A,B\n1,2\n3,4\n", Limits(max_rows=2)),
        ("A,B\n1,xxxxxx\n3,4\n", Limits(max_field_chars=5)),
        ("A,B\n1,2\n3,xxxxxx\n", Limits(max_rows=2, max_field_chars=5)),
        ("A,B\n1,xxxxxx\n3,4\n", Limits(max_rows=2, max_field_chars=5)),
        ("A,B\n1,2\n3,4,xxx,yyyy\n", Limits(max_field_chars=3)),
    ],
)
def test_same_rejection_as_csv_reader(text: str, limits: Limits) -> None:
    with pytest.raises(IngestRejected) as slow:
        read_text(text, ",", limits)
    with pytest.raises(IngestRejected) as fast:
        text_lines_sheet(text.encode(), ",", limits)
    assert fast.value.rejection == slow.value.rejection
