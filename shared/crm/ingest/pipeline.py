"""The ingest core end to end: bytes in, IngestResult out, never an exception.

One pipeline for every kind of file (crm.ingest.mapping.FileKind): reading, header mapping, validation
and the error report are shared; the kind picks the required columns and checks, whether buyer names are
matched to customers, and the shape of the lines (flow_lines, stock_lines, shipment_lines).

Callers (the S3-triggered function) pass what they already know: the key's kind, period and distributor,
the distributor's template, the tenant's product master and customer index.
"""

import contextvars
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crm.ingest.arrow import Distinct, dictionary_parts, unique_values
from crm.ingest.frame import build_table, build_table_from_cells, build_table_from_lines, drop_blank_and_totals
from crm.ingest.mapping import KIND_RULES, Col, FileKind, HeaderMatch, MappingTemplate, locate_header
from crm.ingest.match import Buyers, CustomerIndex, match_buyers, review_items
from crm.ingest.model import (
    FLOW_LINES_SCHEMA,
    INTERNAL,
    NO_DATA,
    NO_HEADER,
    NO_SHEET,
    SHIPMENT_LINES_SCHEMA,
    STOCK_LINES_SCHEMA,
    IngestRejected,
    IngestResult,
    Limits,
    Period,
    Product,
    Rejection,
)
from crm.ingest.read import HEAD_ROWS, Sheet, read_sheets
from crm.ingest.validate import ProductCatalog, validate

HEADER_SCAN = 30  # rows searched for the header when the template does not say where it is
assert HEADER_SCAN <= HEAD_ROWS  # the text fast path parses only HEAD_ROWS rows up front


@dataclass(frozen=True)
class IngestRequest:
    data: bytes
    file_name: str
    period: str  # 'YYYY-MM', from the upload key, never from the file
    load_id: str
    source_key: str
    template: MappingTemplate = field(default_factory=MappingTemplate)
    limits: Limits = field(default_factory=Limits)
    kind: FileKind = FileKind.FLOW


class _OtherThread(ThreadPoolExecutor):
    """One worker thread whose tasks see the context variables of the thread that submits them: the tenant whose
    credentials sign their DynamoDB reads (crm.tenancy) is the file's tenant there too."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


def ingest_file(
    request: IngestRequest,
    products: ProductCatalog | Iterable[Product],
    customers: CustomerIndex | None = None,
    distributors: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> IngestResult:
    """Read, map, validate, match. File-level problems come back as status 'rejected' with a reason.

    customers: needed by kinds that match buyer names; distributors: the customer id each distributor
    code in a shipments file stands for."""
    template = request.template
    try:
        catalog = products if isinstance(products, ProductCatalog) else ProductCatalog(list(products))
        return run(request, catalog, customers or CustomerIndex([]), distributors)
    except IngestRejected as exc:
        return IngestResult.rejected(exc.rejection, template.version)
    except Exception as exc:  # the contract: a bad file never escapes as an exception
        message = f"The file could not be read ({type(exc).__name__})."
        return IngestResult.rejected(Rejection(INTERNAL, message), template.version)


def run(
    request: IngestRequest,
    catalog: ProductCatalog,
    customers: CustomerIndex,
    distributors: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> IngestResult:
    """Kinds that match buyer names use a second thread (Arrow releases the GIL): the customer index is built while
    the file is read, half the buyer spellings are matched while the rows are checked (the checks leave the buyer
    column as it is), the review queue is searched while the lines are built."""
    template, kind = request.template, request.kind
    period = Period.parse(request.period)
    matching = KIND_RULES[kind].match_buyers
    with _OtherThread() as other_thread:  # its tasks run one after the other, in order
        if matching:
            index_built = other_thread.submit(customers.prepare)
        sheet, header = find_detail(request)
        sheet_name, header_line = sheet.name or None, sheet.line_at(header.row_index)
        table = drop_blank_and_totals(body_table(sheet, header), template)
        del sheet  # the grid is not needed past here: let it go before validation and matching allocate
        if table.num_rows == 0:
            raise IngestRejected(NO_DATA, "The file has a header but no data rows.", headers_found=header.headers)
        if matching:  # resolve goes spelling by spelling: the first half there, the second here after the checks
            spellings, rows = dictionary_parts(table["buyer_name"])
            half = len(spellings) // 2
            first_half = other_thread.submit(customers.resolve, spellings.slice(0, half))
        checked = validate(table, header, template, period, catalog, kind, distributors)
        review: tuple = ()
        if matching:
            index_built.result()
            second_half = customers.resolve(spellings.slice(half))
            resolved = zip(first_half.result(), second_half, strict=True)
            buyers = Buyers(rows, *(pa.concat_arrays(list(halves)) for halves in resolved))
            other_thread.submit(prepare_review, buyers, customers)
            matched, ambiguous = match_buyers(checked.table, customers, buyers)
            good = valid_rows(matched, checked.valid)
            good = good.append_column("buyer_name_raw", good["buyer_name"])
            items = other_thread.submit(review_items, good, customers, ambiguous)
            lines = flow_lines(good, request, period)
            review = items.result()
        else:
            good = valid_rows(checked.table, checked.valid)
            lines = (shipment_lines if kind == FileKind.SHIPMENTS else stock_lines)(good, request, period)
    return IngestResult(
        status="accepted",
        lines=lines,
        errors=checked.errors,
        review=review,
        data_rows=table.num_rows,
        valid_rows=good.num_rows,
        mapping_version=template.version,
        sheet=sheet_name,
        header_line=header_line,
    )


def valid_rows(table: pa.Table, valid: pa.Array) -> pa.Table:
    """The valid rows, without the text the lines carry checked instead (sale_date, sku, quantity_value, unit_clean)."""
    checked = [c.value for c in (Col.DATE, Col.PRODUCT_CODE, Col.QUANTITY, Col.UNIT) if c.value in table.column_names]
    return table.drop_columns(checked).filter(valid)


def prepare_review(buyers: Buyers, customers: CustomerIndex) -> None:
    """The fuzzy pre-filter, built ahead when some name will need candidates (an empty name gets none)."""
    if any(buyers.unmatched()):
        customers.prepare_candidates()


def body_table(sheet: Sheet, header: HeaderMatch) -> pa.Table:
    """The rows below the header as a table of text columns plus each row's physical line."""
    start = header.row_index + 1
    if sheet.cells is not None:  # a regular text file: parsed once, while reading
        return build_table_from_cells(sheet.rows, sheet.cells, sheet.cells_from, start, header)
    if sheet.lines is not None:
        source = sheet.source_from(start)
        return build_table_from_lines(sheet.lines.slice(start), start + 1, sheet.delimiter, header, source)
    return build_table(sheet.rows[start:], header)


def find_detail(request: IngestRequest) -> tuple[Sheet, HeaderMatch]:
    """The first sheet whose header maps every required column (the detail is not always on sheet one)."""
    template = request.template
    best: tuple[Sheet, HeaderMatch] | None = None
    for sheet in read_sheets(request.data, request.file_name, template, request.limits):
        header = header_of(sheet, template, request.kind)
        if header is None:
            continue
        if not header.missing():
            return sheet, header
        if best is None or len(header.columns) > len(best[1].columns):
            best = (sheet, header)
    if best is None:
        if template.sheet:
            raise IngestRejected(NO_SHEET, f"The workbook has no sheet named {template.sheet!r}.")
        if template.header_row is not None:
            raise IngestRejected(
                NO_HEADER,
                f"Line {template.header_row}, the template's header row, is blank or past the end of the file.",
                missing=[],
            )
        raise IngestRejected(NO_HEADER, "No header row found: the file has no non-blank rows.", missing=[])
    missing = [c.value for c in best[1].missing()]
    raise IngestRejected(
        NO_HEADER,
        f"Columns not found: {', '.join(missing)}. Headers found: {', '.join(h for h in best[1].headers if h)}.",
        missing=missing,
        headers_found=[h for h in best[1].headers if h],
        sheet=best[0].name or None,
    )


def header_of(sheet: Sheet, template: MappingTemplate, kind: FileKind) -> HeaderMatch | None:
    if template.header_row is None:
        return locate_header([c for _, c in sheet.rows[:HEADER_SCAN]], template, scan=HEADER_SCAN, kind=kind)
    index = sheet.index_of_line(template.header_row)
    header = None if index is None else locate_header([sheet.cells_at(index)], template, scan=1, kind=kind)
    return None if header is None else header.model_copy(update={"row_index": index})  # None: past the end, blank


def optional(table: pa.Table, col: Col) -> pa.ChunkedArray | pa.Array:
    if col.value in table.column_names:
        return table[col.value]
    return pa.nulls(table.num_rows, pa.string())


def flow_lines(table: pa.Table, request: IngestRequest, period: Period) -> pa.Table:
    n = table.num_rows
    absent = pa.DictionaryArray.from_arrays(pa.nulls(n, pa.int32()), pa.array([], pa.string()))

    def text(col: Col) -> pa.ChunkedArray | pa.Array:  # dictionary-encoded, as the file's text columns are
        return table[col.value] if col.value in table.column_names else absent

    amount = pa.nulls(n, pa.decimal128(18, 2))
    if Col.AMOUNT.value in table.column_names:
        amounts = Distinct(table[Col.AMOUNT.value])  # parse each distinct spelling once
        amount_text = pc.replace_substring(pc.utf8_trim_whitespace(amounts.values), ",", "")
        number = pc.match_substring_regex(amount_text, r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
        amount = amounts.spread(pc.cast(pc.if_else(number, amount_text, None), pa.decimal128(18, 2)))
    columns = {
        **lineage(table, request, period),
        "sale_date": table["sale_date"],
        "sku": table["sku"],
        "product_name": text(Col.PRODUCT_NAME),
        "spec": text(Col.SPEC),
        "batch": text(Col.BATCH),
        "quantity": table["quantity_value"],
        "unit": unique_values(table["unit_clean"]),  # cleaned per value: two spellings may have become one
        "base_quantity": table["base_quantity"],
        "base_unit": table["base_unit"],
        "buyer_name": table["buyer_name_raw"],
        "buyer_name_normalized": table["buyer_name_normalized"],
        "buyer_address": text(Col.BUYER_ADDRESS),
        "customer_id": table["customer_id"],
        "match_kind": table["match_kind"],
        "amount": amount,
        "document_no": text(Col.DOCUMENT_NO),
        "line_no": text(Col.LINE_NO),
        "txn_type": text(Col.TXN_TYPE),
    }
    return pa.table(columns).cast(FLOW_LINES_SCHEMA)


def lineage(table: pa.Table, request: IngestRequest, period: Period) -> dict[str, pa.Array]:
    """The columns every kind's lines carry: which load, file, row and template, and the period."""
    zeros = pa.repeat(pa.scalar(0, pa.int32()), table.num_rows)  # one array: every constant column points at it

    def one(text: str) -> pa.DictionaryArray:
        return pa.DictionaryArray.from_arrays(zeros, pa.array([text], pa.string()))

    return {
        "load_id": one(request.load_id),
        "source_key": one(request.source_key),
        "source_row": table["row"],
        "source_line": table["line"],
        "mapping_version": one(request.template.version),
        "period": one(period.key),
    }


def product_quantity(table: pa.Table) -> dict[str, pa.Array]:
    return {
        "sku": table["sku"],
        "product_name": optional(table, Col.PRODUCT_NAME),
        "spec": optional(table, Col.SPEC),
        "batch": optional(table, Col.BATCH),
        "quantity": table["quantity_value"],
        "unit": table["unit_clean"],
        "base_quantity": table["base_quantity"],
        "base_unit": table["base_unit"],
    }


def stock_lines(table: pa.Table, request: IngestRequest, period: Period) -> pa.Table:
    columns = {**lineage(table, request, period), "stock_date": table["sale_date"], **product_quantity(table)}
    return pa.table(columns).cast(STOCK_LINES_SCHEMA)


def shipment_lines(table: pa.Table, request: IngestRequest, period: Period) -> pa.Table:
    columns = {
        **lineage(table, request, period),
        "ship_date": table["sale_date"],
        "distributor_id": table["distributor_id"],
        **product_quantity(table),
        "document_no": optional(table, Col.DOCUMENT_NO),
    }
    return pa.table(columns).cast(SHIPMENT_LINES_SCHEMA)
