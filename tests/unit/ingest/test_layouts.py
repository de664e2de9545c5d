"""Layouts not among the samples: handled by a mapping template or the built-in headers, no code change."""

import io
from datetime import date, datetime

import openpyxl
from crm.ingest.mapping import MappingTemplate

from .conftest import Ingest

# An invented distributor: its own headers, tab-separated, yyyymmdd dates, quantities in cases (件).
INVENTED = (
    "华东医药物流 2026年10月 出货明细\n"
    "\n"
    "出货日\t物料号\t货品\t包装\t出货件数\t计量\t收货客户\t收货地址\t出库单\t单据行\n"
    "20261003\tP1001\t阿莫西林胶囊\t0.25g*24粒\t2\t件\t杭州康宁诊所\t杭州市西湖区\tCK001\t1\n"
    "20261015\tP1003\t复方甘草片\t100片\t-1\t件\t南京市鼓楼区恒安医院\t\tCK002\t1\n"
    "20261131\tP1003\t复方甘草片\t100片\t1\t件\t南京市鼓楼区恒安医院\t\tCK003\t1\n"
    "20261020\tP1003\t复方甘草片\t100片\t0\t件\t南京市鼓楼区恒安医院\t\tCK004\t1\n"
    "20261021\tP1003\t复方甘草片\t100片\t1\t打\t南京市鼓楼区恒安医院\t\tCK005\t1\n"
).encode("gb18030")

TEMPLATE = MappingTemplate.model_validate(
    {
        "version": "D009-v2",
        "headers": {
            "date": ["出货日"],
            "product_code": ["物料号"],
            "product_name": ["货品"],
            "spec": ["包装"],
            "quantity": ["出货件数"],
            "unit": ["计量"],
            "buyer_name": ["收货客户"],
            "buyer_address": ["收货地址"],
            "document_no": ["出库单"],
            "line_no": ["单据行"],
        },
        "delimiter": "\t",
        "date_formats": ["%Y%m%d"],
        "units": {"件": "case"},
    }
)


def test_invented_layout_maps_through_a_template(ingest: Ingest) -> None:
    result = ingest(INVENTED, name="出货.txt", template=TEMPLATE)
    assert result.status == "accepted", result.rejection
    assert (result.data_rows, result.valid_rows, result.header_line) == (5, 2, 3)
    lines = result.lines.to_pylist()
    assert [(x["sku"], x["quantity"], x["unit"], x["base_quantity"]) for x in lines] == [
        ("P1001", 2.0, "件", 120.0),
        ("P1003", -1.0, "件", -40.0),  # a return: negative, still case → base
    ]
    assert [(x["customer_id"], x["match_kind"]) for x in lines] == [("T1", "alias"), ("T2", "exact")]
    assert lines[0]["sale_date"] == date(2026, 10, 3)
    assert (lines[0]["document_no"], lines[0]["line_no"], lines[0]["mapping_version"]) == ("CK001", "1", "D009-v2")
    assert [(e["line"], e["column"], e["reason"]) for e in result.errors.to_pylist()] == [
        (6, "出货日", "date not recognised"),  # 20261131 is no date
        (7, "出货件数", "quantity is zero"),
        (8, "计量", "unknown unit"),
    ]


def test_same_file_without_template_names_the_missing_columns(ingest: Ingest) -> None:
    result = ingest(INVENTED, name="出货.txt")
    assert result.status == "rejected"
    assert result.rejection is not None and result.rejection.code == "missing columns"
    assert set(result.rejection.detail["missing"]) == {"date", "quantity", "buyer_name", "product_code"}
    assert "出货件数" in result.rejection.detail["headers_found"]
    assert "Columns not found" in result.rejection.message


def test_builtin_headers_product_by_name_and_spec_and_slash_dates(ingest: Ingest) -> None:
    data = (
        "日期,品名,规格,数量,单位,客户名称\n"
        "2026/10/5,复方甘草片,100片,3,瓶,杭州市西湖区康宁诊所（西湖店）\n"
        "2026/10/6,复方甘草片,200片,3,瓶,杭州市西湖区康宁诊所(西湖店)\n"
        "合计,,,6,,\n"
    ).encode()
    result = ingest(data)
    assert (result.data_rows, result.valid_rows) == (2, 1)
    line = result.lines.to_pylist()[0]
    assert (line["sku"], line["customer_id"], line["match_kind"]) == ("P1003", "T1", "normalized")
    assert [(e["row"], e["reason"]) for e in result.errors.to_pylist()] == [(2, "unknown product")]


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_detail_on_second_sheet_with_date_cells(ingest: Ingest) -> None:
    data = workbook_bytes(
        {
            "说明": [["本表由系统导出"], ["制表人", "张三"]],
            "明细": [
                ["销售流向 2026-10"],
                ["销售日期", "商品编码", "数量", "单位", "客户名称"],
                [datetime(2026, 10, 9), "P1001", 1, "件", "南京市鼓楼区恒安医院"],
                [None, None, None, None, None],
                [datetime(2026, 10, 10), "P1001", 5.0, "盒", "南京市鼓楼区恒安医院"],
            ],
        }
    )
    result = ingest(data, name="flow.xlsx")
    assert result.status == "accepted", result.rejection
    assert (result.sheet, result.header_line, result.valid_rows) == ("明细", 2, 2)
    assert result.lines.column("base_quantity").to_pylist() == [60.0, 5.0]
    assert result.lines.column("source_line").to_pylist() == [3, 5]


def test_headers_with_a_bracketed_qualifier_map_and_a_quantitys_is_its_unit(ingest: Ingest) -> None:
    # ERP exports often write the unit or currency after the header: 数量(件), 金额（元）, 客户名称[全称]
    data = (
        "销售日期,商品编码,数量(件),金额（元）,客户名称[全称]\n"
        '2026年10月9日,P1001,2,"1,200.00",南京市鼓楼区恒安医院\n'
        "2026/10/10 14:05,P1001,1,600,南京市鼓楼区恒安医院\n"
    ).encode()
    result = ingest(data)
    assert result.status == "accepted", result.rejection
    lines = result.lines.to_pylist()
    assert [(x["sale_date"], x["unit"], x["base_quantity"], float(x["amount"])) for x in lines] == [
        (date(2026, 10, 9), "件", 120.0, 1200.0),  # no unit column: the quantity's header says 件, a case of 60
        (date(2026, 10, 10), "件", 60.0, 600.0),
    ]
    assert {x["customer_id"] for x in lines} == {"T2"}


def test_a_unit_in_the_quantity_header_that_nobody_knows_is_reported_not_guessed(ingest: Ingest) -> None:
    data = "销售日期,商品编码,数量（支）,客户名称\n2026-10-09,P1001,10,南京市鼓楼区恒安医院\n".encode()
    result = ingest(data)
    assert result.valid_rows == 0
    assert [(e["column"], e["value"], e["reason"]) for e in result.errors.to_pylist()] == [
        ("数量（支）", "支", "unknown unit")
    ]


def test_a_header_as_written_wins_over_one_read_past_its_qualifier(ingest: Ingest) -> None:
    data = "销售日期,商品编码,数量(赠品),数量,客户名称\n2026-10-09,P1001,1,10,南京市鼓楼区恒安医院\n".encode()
    assert [(x["quantity"], x["unit"]) for x in ingest(data).lines.to_pylist()] == [(10.0, "")]


def test_a_unit_column_wins_over_the_quantity_headers_qualifier(ingest: Ingest) -> None:
    data = "销售日期,商品编码,数量(件),单位,客户名称\n2026-10-09,P1001,10,盒,南京市鼓楼区恒安医院\n".encode()
    assert [(x["unit"], x["base_quantity"]) for x in ingest(data).lines.to_pylist()] == [("盒", 10.0)]


def test_a_return_written_positive_beside_its_type_counts_negative(ingest: Ingest) -> None:
    # Some ERPs write every quantity positive and say what the row is in a type column
    data = (
        "销售日期,商品编码,数量,单位,业务类型,客户名称\n"
        "2026-10-09,P1001,2,件,销售出库,南京市鼓楼区恒安医院\n"
        "2026-10-10,P1001,1,件,销售退货,南京市鼓楼区恒安医院\n"
        "2026-10-11,P1001,-3,盒,退 回,南京市鼓楼区恒安医院\n"
    ).encode()  # already negative: stays so
    lines = ingest(data).lines.to_pylist()
    assert [(x["txn_type"], x["quantity"], x["base_quantity"]) for x in lines] == [
        ("销售出库", 2.0, 120.0),
        ("销售退货", -1.0, -60.0),
        ("退 回", -3.0, -3.0),
    ]
    mine = MappingTemplate(return_types=["冲红"])  # a distributor's own word for it
    data = "销售日期,商品编码,数量,业务类型,客户名称\n2026-10-09,P1001,2,冲红,南京市鼓楼区恒安医院\n".encode()
    assert [x["base_quantity"] for x in ingest(data, template=mine).lines.to_pylist()] == [-2.0]


def test_a_long_workbook_is_read_in_batches_with_every_row_where_it_was(ingest: Ingest, monkeypatch) -> None:
    # Past the head, rows go to Arrow a batch at a time: here batches of 7, widths differing between them
    monkeypatch.setattr("crm.ingest.read.XLSX_BATCH", 7)
    rows: list[list[object]] = [["销售流向 2026-10"], ["销售日期", "商品编码", "数量", "单位", "客户名称"]]
    for n in range(1, 201):
        rows.append([datetime(2026, 10, 1 + n % 28), "P1001", n, "盒", "南京市鼓楼区恒安医院"])
    rows[150] = [None, None, None, None, None]  # a blank row among the data
    rows[170][2] = "n/a"  # a bad quantity far from the head, in a later batch
    rows[180].append("备注: 加急")  # one row wider than the rest
    rows.append(["合计", None, 20000])
    result = ingest(workbook_bytes({"明细": rows}), name="flow.xlsx")
    assert result.status == "accepted", result.rejection
    assert (result.data_rows, result.valid_rows) == (199, 198)
    assert [(e["line"], e["column"], e["value"], e["reason"]) for e in result.errors.to_pylist()] == [
        (171, "数量", "n/a", "quantity not a number")
    ]
    lines = result.lines.to_pylist()
    assert [x["source_line"] for x in lines] == [n for n in range(3, 203) if n not in (151, 171)]
    assert sum(x["base_quantity"] for x in lines) == sum(range(1, 201)) - 149 - 169


def test_quantities_beyond_any_count_or_too_fine_to_mean_anything_are_rejected(ingest: Ingest) -> None:
    tiny, huge = "0." + "0" * 150 + "1", "1" + "0" * 200  # numbers by the regex; unstorable as they are
    data = (
        f"销售日期,商品编码,数量,客户名称\n2026-10-09,P1001,{tiny},x\n2026-10-09,P1001,{huge},x\n"
        "2026-10-09,P1001,0.5,x\n"
    ).encode()
    result = ingest(data)
    assert [(e["row"], e["reason"]) for e in result.errors.to_pylist()] == [
        (1, "quantity is zero"),
        (2, "quantity too large"),
    ]
    assert [x["quantity"] for x in result.lines.to_pylist()] == [0.5]


def test_impossible_dates_are_not_rolled_into_the_period(ingest: Ingest) -> None:
    # Arrow's strptime turns 2026-09-31 into 2026-10-01; that September row must not land in October.
    data = "销售日期,商品编码,数量,客户名称\n2026-09-31,P1001,1,x\n2026/10/31,P1001,1,x\n2026-11-01,P1001,1,x\n"
    result = ingest(data.encode())
    assert [(e["row"], e["reason"]) for e in result.errors.to_pylist()] == [
        (1, "date not recognised"),
        (3, "date outside period"),
    ]


def test_fixed_header_row_and_named_sheet(ingest: Ingest) -> None:
    data = workbook_bytes(
        {
            "汇总": [["销售日期", "商品编码", "数量", "客户名称"], [datetime(2026, 10, 1), "P1001", 9, "x"]],
            "明细": [
                ["销售日期", "商品编码", "数量", "客户名称"],  # a decoy: the template says row 3
                ["说明"],
                ["销售日期", "商品编码", "数量", "客户名称"],
                [datetime(2026, 10, 1, 13, 45), "P1001", 2, "南京市鼓楼区恒安医院"],
            ],
        }
    )
    result = ingest(data, name="f.xlsx", template=MappingTemplate(sheet="明细", header_row=3))
    assert (result.sheet, result.header_line, result.data_rows) == ("明细", 3, 1)
    assert result.lines.column("sale_date").to_pylist() == [date(2026, 10, 1)]


def test_a_template_header_row_that_is_blank_or_past_the_end_names_the_problem(ingest: Ingest) -> None:
    data = "销售日期,商品编码,数量,客户名称\n\n2026-10-01,P1001,1,x\n".encode()
    for row in (2, 9):  # a blank line; no such line
        result = ingest(data, template=MappingTemplate(header_row=row))
        assert (result.status, result.rejection.code) == ("rejected", "missing columns"), row
        assert f"Line {row}, the template's header row, is blank or past the end" in result.rejection.message
