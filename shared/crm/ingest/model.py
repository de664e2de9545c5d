"""Types in and out of the ingest core, the reason vocabulary and the fixed Parquet schema of flow lines."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import pyarrow as pa

from crm.upload_links import MAX_FILE_BYTES

# Row-level reasons (the error report's vocabulary). Order = priority when a caller wants one reason per row.
DATE_MISSING = "date missing"
DATE_INVALID = "date not recognised"
DATE_OUTSIDE = "date outside period"
QTY_MISSING = "quantity missing"
QTY_NOT_NUMBER = "quantity not a number"
QTY_ZERO = "quantity is zero"
QTY_NEGATIVE = "negative stock"
QTY_TOO_LARGE = "quantity too large"
MAX_QUANTITY = 1e12  # no file counts more; DynamoDB's summaries would refuse past 1e125
QUANTITY_DECIMALS = 9  # as crm.measures: a tinier magnitude cannot be stored, and means nothing
UNIT_UNKNOWN = "unknown unit"
PRODUCT_UNKNOWN = "unknown product"
BUYER_MISSING = "buyer name missing"
DISTRIBUTOR_UNKNOWN = "unknown distributor"

# File-level rejection codes: the whole file is refused, nothing is loaded.
EMPTY_FILE = "empty file"
TOO_LARGE = "file too large"
TOO_MANY_ROWS = "too many rows"
UNSUPPORTED = "unsupported file type"
BINARY = "binary file"
BAD_ENCODING = "unknown or wrong text encoding"
BAD_CSV = "malformed text file"
BAD_XLSX = "invalid xlsx"
ZIP_BOMB = "xlsx uncompressed size over limit"
FORMULAS = "formulas not allowed"
NO_HEADER = "missing columns"
NO_SHEET = "sheet not found"
NO_DATA = "no data rows"
INTERNAL = "unreadable file"

MatchKind = Literal["exact", "normalized", "alias", "unknown"]

# The lineage columns hold one value per load: dictionary-encoded they cost 4 bytes a row in memory, not a
# copy of the text (in Parquet they are plain strings with a one-entry dictionary either way).
CONSTANT_TEXT = pa.dictionary(pa.int32(), pa.string())
# Text from the file (names, specs, units...) repeats a lot: dictionary-encoded, each distinct value is held
# (and written to Parquet) once, each row is an index. Readers see plain strings.
TEXT = pa.dictionary(pa.int32(), pa.string())


def _lineage() -> list[pa.Field]:
    """Which load, file, row and template a line came from, and its period: on every kind's lines."""
    return [
        pa.field("load_id", CONSTANT_TEXT, nullable=False),
        pa.field("source_key", CONSTANT_TEXT, nullable=False),
        pa.field("source_row", pa.int32(), nullable=False),  # n-th data row of the file, 1-based
        pa.field("source_line", pa.int32(), nullable=False),  # physical line/row in the file, 1-based
        pa.field("mapping_version", CONSTANT_TEXT, nullable=False),
        pa.field("period", CONSTANT_TEXT, nullable=False),
    ]


# One schema, in code; schemas/flow-lines.parquet-schema.json mirrors it (tests/unit/ingest checks).
FLOW_LINES_SCHEMA = pa.schema(
    [
        *_lineage(),
        pa.field("sale_date", pa.date32(), nullable=False),
        pa.field("sku", pa.string(), nullable=False),
        pa.field("product_name", TEXT),
        pa.field("spec", TEXT),
        pa.field("batch", TEXT),
        pa.field("quantity", pa.float64(), nullable=False),  # as written, negative for returns
        pa.field("unit", TEXT),  # as written
        pa.field("base_quantity", pa.float64(), nullable=False),  # in the product's base unit
        pa.field("base_unit", pa.string(), nullable=False),
        pa.field("buyer_name", TEXT, nullable=False),  # as written
        pa.field("buyer_name_normalized", TEXT, nullable=False),
        pa.field("buyer_address", TEXT),
        pa.field("customer_id", pa.string()),  # null unless matched for sure
        pa.field("match_kind", pa.string(), nullable=False),
        pa.field("amount", pa.decimal128(18, 2)),
        pa.field("document_no", TEXT),
        pa.field("line_no", TEXT),
        pa.field("txn_type", TEXT),
    ]
)


def _product_quantity() -> list[pa.Field]:
    return [
        pa.field("sku", pa.string(), nullable=False),
        pa.field("product_name", pa.string()),
        pa.field("spec", pa.string()),
        pa.field("batch", pa.string()),
        pa.field("quantity", pa.float64(), nullable=False),
        pa.field("unit", pa.string()),
        pa.field("base_quantity", pa.float64(), nullable=False),
        pa.field("base_unit", pa.string(), nullable=False),
    ]


# Stock counts (closing, and opening balances): what a distributor holds of a product (and batch).
STOCK_LINES_SCHEMA = pa.schema(
    [*_lineage(), pa.field("stock_date", pa.date32()), *_product_quantity()]  # date: the count's, when given
)

# Our shipments to distributors (the history file; the ERP reports current ones through the API).
SHIPMENT_LINES_SCHEMA = pa.schema(
    [
        *_lineage(),
        pa.field("ship_date", pa.date32(), nullable=False),
        pa.field("distributor_id", pa.string(), nullable=False),
        *_product_quantity(),
        pa.field("document_no", pa.string()),
    ]
)

# Error report rows: one per failed check, so a row may appear more than once.
ERRORS_SCHEMA = pa.schema(
    [
        pa.field("row", pa.int32(), nullable=False),  # n-th data row, 1-based (as source_row)
        pa.field("line", pa.int32(), nullable=False),  # physical line/row the distributor sees in its file
        pa.field("column", pa.string(), nullable=False),  # the file's own header text
        pa.field("value", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Limits:
    """Guards against huge or hostile uploads; defaults suit a monthly file of one distributor."""

    max_bytes: int = MAX_FILE_BYTES  # what an upload form lets S3 accept
    max_rows: int = 500_000
    max_columns: int = 200
    max_uncompressed_bytes: int = 300 * 1024 * 1024  # sum over the zip members of an XLSX
    max_zip_members: int = 1_000
    max_field_chars: int = 10_000


@dataclass(frozen=True)
class Period:
    """A calendar month, 'YYYY-MM'; dates in [start, end) belong to it."""

    key: str
    start: date
    end: date

    @classmethod
    def parse(cls, key: str) -> "Period":
        year, month = (int(p) for p in key.split("-"))
        start = date(year, month, 1)
        end = date(year + month // 12, month % 12 + 1, 1)
        return cls(f"{year:04d}-{month:02d}", start, end)


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    spec: str
    base_unit: str
    case_size: float  # base units per case (件/箱)


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    city: str = ""
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Candidate:
    customer_id: str
    name: str
    score: float
    same_city: bool


@dataclass(frozen=True)
class ReviewItem:
    """A buyer name nobody can match for sure: a person picks the customer, the answer becomes an alias."""

    buyer_name: str  # first spelling seen
    normalized_name: str
    row_count: int
    base_quantity: float
    candidates: tuple[Candidate, ...]
    ambiguous: bool = False  # True: the name or alias fits several customers equally


@dataclass(frozen=True)
class Rejection:
    code: str  # one of the file-level codes above
    message: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IngestResult:
    status: Literal["accepted", "rejected"]
    lines: pa.Table  # FLOW_LINES_SCHEMA, valid rows only
    errors: pa.Table  # ERRORS_SCHEMA
    review: tuple[ReviewItem, ...] = ()
    rejection: Rejection | None = None
    data_rows: int = 0
    valid_rows: int = 0
    mapping_version: str = ""
    sheet: str | None = None
    header_line: int | None = None

    @property
    def rejected_rows(self) -> int:
        return self.data_rows - self.valid_rows

    @classmethod
    def rejected(cls, rejection: Rejection, mapping_version: str = "") -> "IngestResult":
        return cls(
            status="rejected",
            lines=FLOW_LINES_SCHEMA.empty_table(),
            errors=ERRORS_SCHEMA.empty_table(),
            rejection=rejection,
            mapping_version=mapping_version,
        )


class IngestRejected(Exception):
    """Raised inside the core, turned into a rejected IngestResult at the boundary."""

    def __init__(self, code: str, message: str, **detail: Any) -> None:
        super().__init__(message)
        self.rejection = Rejection(code, message, detail)
