"""The unquoted-text fast path (Arrow, no Python grid) gives what csv.reader gives: cells, lines, errors."""

import pytest
from crm.ingest import arrow
from crm.ingest.frame import build_table, build_table_from_lines
from crm.ingest.mapping import Col, HeaderMatch
from crm.ingest.model import IngestRejected, Limits
from crm.ingest.pipeline import body_table
from crm.ingest.read import HEAD_ROWS, read_text, text_lines_sheet

from .conftest import Ingest

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


def long_text(rows: int = 150, extra: str = "", newline: str = "\n") -> str:
    """A title, a blank line, a header and `rows` data rows of three cells: past HEAD_ROWS, so the regular path."""
    body = (f"2026-10-{i % 28 + 1:02d},{' ' if i % 7 == 0 else ''}x{i % 9},{i}" for i in range(rows))
    lines = ["出货明细", "", "A,B,C", *body]
    return newline.join(lines) + newline + extra


REGULAR = [
    long_text(),
    long_text(newline="\r\n"),
    long_text(rows=HEAD_ROWS + 1),
    long_text(extra="1,2,3"),
    long_text(extra=",,\n"),
    long_text(newline="\r\n", extra=",,\r\n"),
    long_text(extra="a\x1eb,c,d\n"),
    long_text(extra="\n"),
    long_text(extra="\n\n4,5,6\n\n"),
    long_text(newline="\r", extra="\r"),
    long_text(newline="\r\n", extra="\r\n7,8,9"),
]  # blank lines: told from ",," by the bytes
IRREGULAR = [
    long_text(extra=",,\n\r\n"),
    long_text(extra="\n,,\n"),
    long_text(extra="1,2\n"),
    long_text(extra="合计,,\n4,5,6,7\n"),
]


@pytest.mark.parametrize("text", REGULAR + IRREGULAR)
def test_long_files_same_table_as_csv_reader(text: str) -> None:
    """Past HEAD_ROWS lines, a file whose lines all have one width is parsed once into columns (sheet.cells);
    any other goes through the line splitter (sheet.lines). Both give what csv.reader gives."""
    limits = Limits()
    grid = read_text(text, ",", limits)
    sheet = text_lines_sheet(text.encode(), ",", limits)
    assert (sheet.cells is not None) == (text in REGULAR)
    assert sheet.count() == len(grid)
    assert sheet.rows == grid[: len(sheet.rows)]
    assert [sheet.cells_at(i) for i in range(sheet.count())] == [c for _, c in grid]
    assert [sheet.line_at(i) for i in range(sheet.count())] == [n for n, _ in grid]
    header = HeaderMatch(row_index=2, columns={Col.DATE: 0, Col.QUANTITY: 2, Col.UNIT: 1, Col.BATCH: 5}, headers=[])
    for start in (3, 1, HEAD_ROWS + 5):  # below the header; above the parsed lines; inside them
        expected = build_table(grid[start:], header)
        assert body_table(sheet, header.model_copy(update={"row_index": start - 1})).to_pylist() == expected.to_pylist()


@pytest.mark.parametrize(
    ("text", "limits"),
    [
        (long_text(), Limits(max_rows=100)),
        (long_text(), Limits(max_rows=40)),
        (long_text().replace(",x5,", ",xxxxxx,", 1), Limits(max_field_chars=5)),
        (long_text().replace(",x5,", ",xxxxxx,", 1), Limits(max_rows=20, max_field_chars=5)),
        (long_text(rows=300).replace(",x5,", ",xxxxxx,").replace("明细", "明细xxxxxx"), Limits(max_field_chars=5)),
    ],
)
def test_long_files_same_rejection_as_csv_reader(text: str, limits: Limits) -> None:
    with pytest.raises(IngestRejected) as slow:
        read_text(text, ",", limits)
    with pytest.raises(IngestRejected) as fast:
        text_lines_sheet(text.encode(), ",", limits)
    assert fast.value.rejection == slow.value.rejection


def flow_file(rows: int) -> str:
    """Every check failing somewhere, products by code and by name + spec, buyers matched every way and not."""
    buyers = ["南京市鼓楼区恒安医院", " 南京市 鼓楼区恒安医院　", "杭州康宁诊所", "南京鼓楼恒安医院", ""]
    buyers += ["杭州市西湖区康宁诊所（西湖店）", "杭州市西湖区康宁诊所(西湖店)"]
    codes, quantities, units = ["P1001", "X9", "", "P1003"], ["2", "", "十", "1200", "0"], ["盒", "件", "瓶", "打"]
    body = [
        f"2026-{10 if i % 50 else 9}-{i % 28 + 1:02d},{codes[i % 4]},复方甘草片,100片,{quantities[i % 5]},"
        f"{units[i % 3 if i % 11 else 3]},{buyers[i % 7]},南京市"
        for i in range(rows)
    ]
    return "\n".join(["销售日期,商品编码,商品名称,规格,数量,单位,客户名称,客户地址", *body]) + "\n"


@pytest.mark.parametrize("tail", ["合计\n", "\n,,,,,,,\n"])  # a short totals row; a blank line and one of empty cells
def test_regular_and_irregular_files_ingest_alike(ingest: Ingest, tail: str) -> None:
    """The same rows through the one-parse path and, with a line of another width at the end, through the line
    splitter (the totals and blank rows dropped either way)."""
    text = flow_file(300)
    assert text_lines_sheet(text.encode(), ",", Limits()).cells is not None
    assert text_lines_sheet((text + tail).encode(), ",", Limits()).cells is None
    regular, irregular = ingest(text.encode()), ingest((text + tail).encode())
    assert regular.status == irregular.status == "accepted"
    assert regular.valid_rows and regular.errors.num_rows and regular.review
    assert (regular.data_rows, regular.valid_rows) == (irregular.data_rows, irregular.valid_rows)
    assert regular.lines.to_pylist() == irregular.lines.to_pylist()
    assert regular.lines.schema == irregular.lines.schema
    assert regular.errors.to_pylist() == irregular.errors.to_pylist()
    assert regular.review == irregular.review


def test_blank_lines_keep_the_one_parse_path(ingest: Ingest) -> None:
    lines = flow_file(300).splitlines(keepends=True)
    with_blanks = "".join([*lines[:100], "\n", *lines[100:200], "\n", "\n", *lines[200:]])
    sheet = text_lines_sheet(with_blanks.encode(), ",", Limits())
    assert sheet.cells is not None and len(sheet.blank) == 3
    plain, blank = ingest(flow_file(300).encode()), ingest(with_blanks.encode())
    assert blank.data_rows == plain.data_rows
    moved = [
        {**x, "source_line": x["source_line"] - (x["source_line"] > 101) - 2 * (x["source_line"] > 203)}
        for x in blank.lines.to_pylist()
    ]
    assert moved == plain.lines.to_pylist()


@pytest.mark.parametrize("irregular", [False, True])
def test_chunked_columns_change_nothing(ingest: Ingest, monkeypatch: pytest.MonkeyPatch, irregular: bool) -> None:
    """Tables are cut into slices of CHUNK_ROWS rows (for the allocator's sake): many small slices give the
    same lines, errors and review items as one."""
    data = (flow_file(300) + ("合计\n" if irregular else "")).encode()
    whole = ingest(data)
    monkeypatch.setattr(arrow, "CHUNK_ROWS", 7)
    sliced = ingest(data)
    assert sliced.status == whole.status == "accepted"
    assert sliced.lines.column("buyer_name").num_chunks > 10
    assert sliced.lines.to_pylist() == whole.lines.to_pylist()
    assert sliced.lines.schema == whole.lines.schema
    assert sliced.errors.to_pylist() == whole.errors.to_pylist()
    assert sliced.review == whole.review
