"""Column-wise checks and typing of flow rows with pyarrow compute: no Python loop per row.

Every failed check becomes an error row (row, line, the file's header, value, reason); a data row
is valid when no check failed. Valid rows get typed values: date, sku, quantity in base units.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from crm.ingest.arrow import (
    Distinct,
    clean_text,
    dictionary_rows,
    map_unique,
    mask_or,
    normalize_names,
    repeated_text,
    unique_values,
)
from crm.ingest.mapping import KIND_RULES, Col, FileKind, HeaderMatch, KindRules, MappingTemplate
from crm.ingest.model import (
    BUYER_MISSING,
    DATE_INVALID,
    DATE_MISSING,
    DATE_OUTSIDE,
    DISTRIBUTOR_UNKNOWN,
    ERRORS_SCHEMA,
    MAX_QUANTITY,
    PRODUCT_UNKNOWN,
    QTY_MISSING,
    QTY_NEGATIVE,
    QTY_NOT_NUMBER,
    QTY_TOO_LARGE,
    QTY_ZERO,
    QUANTITY_DECIMALS,
    UNIT_UNKNOWN,
    Period,
    Product,
)
from crm.text import normalize_name

NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"
KEY_SEP = "\x1f"  # joins name and spec into one lookup key; cannot occur in normalised text


class ProductCatalog:
    """The product master as lookup arrays: by code, or by normalised name + spec."""

    def __init__(self, products: list[Product]) -> None:
        self.skus = pa.array([p.sku for p in products], pa.string())
        self.keys = pa.array([name_spec_key(p.name, p.spec) for p in products], pa.string())
        self.base_units = pa.array([p.base_unit for p in products], pa.string())
        self.case_sizes = pa.array([float(p.case_size) for p in products], pa.float64())


def name_spec_key(name: str, spec: str) -> str:
    return normalize_name(name) + KEY_SEP + normalize_name(spec)


@dataclass(frozen=True)
class Checked:
    table: pa.Table  # input rows plus typed columns (sale_date, sku, quantity_value, base_quantity, ...)
    valid: pa.Array  # bool per row
    errors: pa.Table  # ERRORS_SCHEMA


class Checks:
    """Collects (mask, column, reason) per check, then turns them into the error table. A check no row
    fails is not kept: it adds no error row and takes no row out."""

    def __init__(self, table: pa.Table, header: HeaderMatch) -> None:
        self.table = table
        self.header = header
        self.failed: list[tuple[pa.Array, Col, str]] = []

    def add(self, mask: pa.Array, col: Col, reason: str) -> None:
        mask = pc.fill_null(mask, False)
        if pc.any(mask).as_py():
            self.failed.append((mask, col, reason))

    def add_per_value(self, per_value: pa.Array, values: Distinct, col: Col, reason: str) -> None:
        """add() for a check decided per distinct value: spread to the rows only when some value fails."""
        per_value = pc.fill_null(per_value, False)
        if pc.any(per_value).as_py():
            self.failed.append((values.spread(per_value), col, reason))

    def valid(self) -> pa.Array:
        return pc.invert(mask_or([m for m, _, _ in self.failed], self.table["row"]))

    def errors(self) -> pa.Table:
        parts = [self.error_rows(mask, col, reason) for mask, col, reason in self.failed]
        if not parts:
            return ERRORS_SCHEMA.empty_table()
        errors = pa.concat_tables(parts)
        # Row order for the reader; the stable sort keeps the check order within a row.
        return errors.take(pc.sort_indices(errors, [("row", "ascending")]))

    def error_rows(self, mask: pa.Array, col: Col, reason: str) -> pa.Table:
        present = col.value in self.table.column_names
        rows = self.table.select(["row", "line", *([col.value] if present else [])]).filter(mask)
        n = rows.num_rows
        values = rows[col.value].cast(pa.string()) if present else pa.nulls(n, pa.string())
        return pa.table(
            {
                "row": rows["row"],
                "line": rows["line"],
                "column": pa.repeat(pa.scalar(self.header.header_text(col)), n),
                "value": values,
                "reason": pa.repeat(pa.scalar(reason), n),
            },
            schema=ERRORS_SCHEMA,
        )


def text(table: pa.Table, col: Col) -> pa.ChunkedArray | pa.DictionaryArray:
    """The column cleaned (dictionary-encoded: cleaned per distinct value), or '' everywhere when the file
    has no such column."""
    if col.value in table.column_names:
        return clean_text(table[col.value])
    return repeated_text("", table.num_rows)


def check_dates(
    table: pa.Table, checks: Checks, template: MappingTemplate, period: Period, required: bool = True
) -> pa.Array:
    dates = Distinct(text(table, Col.DATE))  # a month of dates: parse and check each spelling once
    day = pc.cast(pc.coalesce(*[parse_date(dates.values, f) for f in template.date_formats]), pa.date32())
    missing = pc.equal(dates.values, "")
    if required:
        checks.add_per_value(missing, dates, Col.DATE, DATE_MISSING)
    checks.add_per_value(pc.and_(pc.invert(missing), pc.is_null(day)), dates, Col.DATE, DATE_INVALID)
    start, end = pa.scalar(period.start, pa.date32()), pa.scalar(period.end, pa.date32())
    checks.add_per_value(pc.or_(pc.less(day, start), pc.greater_equal(day, end)), dates, Col.DATE, DATE_OUTSIDE)
    return dates.spread(day)


def parse_date(raw: pa.Array, fmt: str) -> pa.Array:
    """strptime that refuses impossible dates: Arrow rolls 2026-09-31 over to 2026-10-01, which would
    smuggle a September row into October. The written year/month/day must equal the parsed ones."""
    stamp = pc.strptime(raw, format=fmt, unit="s", error_is_null=True)
    pattern = date_regex(fmt)
    if pattern is None:
        return stamp
    written = pc.extract_regex(raw, pattern)
    same = [
        pc.equal(pc.cast(pc.struct_field(written, part), pa.int64()), getter(stamp))
        for part, getter in (("Y", pc.year), ("m", pc.month), ("d", pc.day))
        if f"%{part}" in fmt
    ]
    ok = same[0]
    for mask in same[1:]:
        ok = pc.and_(ok, mask)
    return pc.if_else(pc.fill_null(ok, False), stamp, pa.scalar(None, stamp.type))


DATE_PARTS = {"%Y": r"(?P<Y>\d{4})", "%m": r"(?P<m>\d{1,2})", "%d": r"(?P<d>\d{1,2})"}
TIME_PARTS = {"%H": r"\d{1,2}", "%M": r"\d{1,2}", "%S": r"\d{1,2}"}


def date_regex(fmt: str) -> str | None:
    """A regex capturing Y, m, d as written, or None when the format has directives we do not check."""
    out, i = [], 0
    while i < len(fmt):
        token = fmt[i : i + 2]
        if token in DATE_PARTS or token in TIME_PARTS:
            out.append(DATE_PARTS.get(token) or TIME_PARTS[token])
            i += 2
        elif fmt[i] == "%":
            return None
        else:
            out.append(re.escape(fmt[i]))
            i += 1
    return "^" + "".join(out) + "$" if "%d" in fmt else None


def check_quantity(table: pa.Table, checks: Checks, rules: KindRules) -> pa.Array:
    quantities = Distinct(text(table, Col.QUANTITY))
    raw = pc.replace_substring(quantities.values, ",", "")  # thousands separators
    missing = pc.equal(raw, "")
    numeric = pc.match_substring_regex(raw, NUMBER)
    checks.add_per_value(missing, quantities, Col.QUANTITY, QTY_MISSING)
    checks.add_per_value(pc.and_(pc.invert(missing), pc.invert(numeric)), quantities, Col.QUANTITY, QTY_NOT_NUMBER)
    value = pc.round(pc.cast(pc.if_else(numeric, raw, pa.scalar(None, pa.string())), pa.float64()), QUANTITY_DECIMALS)
    checks.add_per_value(pc.greater(pc.abs(value), MAX_QUANTITY), quantities, Col.QUANTITY, QTY_TOO_LARGE)
    if rules.quantity == "non_zero":  # a movement of nothing is a mistake; a count of nothing is a count
        checks.add_per_value(pc.equal(value, 0.0), quantities, Col.QUANTITY, QTY_ZERO)
    else:
        checks.add_per_value(pc.less(value, 0.0), quantities, Col.QUANTITY, QTY_NEGATIVE)
    return quantities.spread(value)


def signed_returns(quantity: pa.Array, txn_type: pa.Array, template: MappingTemplate) -> pa.Array:
    """Returns reduce what was sold: a row whose transaction type names a return (销售退货, 退回...) counts
    negative, however its quantity is written (some files write returns positive beside their type)."""
    types = Distinct(txn_type)
    norms = normalize_names(types.values)
    is_return = mask_or([pc.match_substring(norms, normalize_name(m)) for m in template.return_types if m], norms)
    if not pc.any(is_return).as_py():
        return quantity
    return pc.if_else(types.spread(is_return), pc.negate(pc.abs(quantity)), quantity)


def product_index(table: pa.Table, catalog: ProductCatalog) -> pa.Array:
    """Index into the catalog, null when unknown. A code given wins; name + spec only when no code."""
    codes = Distinct(text(table, Col.PRODUCT_CODE))
    by_code = codes.spread(pc.index_in(codes.values, value_set=catalog.skus))
    no_code = pc.equal(codes.values, "")
    if Col.PRODUCT_NAME.value not in table.column_names or not pc.any(no_code).as_py():
        return by_code
    rows = pc.indices_nonzero(codes.spread(no_code))  # name + spec only where needed
    names, specs = Distinct(text(table, Col.PRODUCT_NAME)), Distinct(text(table, Col.SPEC))
    name, spec = (pc.take(d.values, pc.take(d.indices, rows)) for d in (names, specs))
    joined = pc.binary_join_element_wise(name, spec, KEY_SEP)
    keys = map_unique(joined, lambda k: name_spec_key(*k.split(KEY_SEP, 1)))
    by_name = pc.index_in(keys, value_set=catalog.keys)
    whole = [a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in (by_code, codes.spread(no_code))]
    return pc.replace_with_mask(*whole, by_name)  # (takes no chunked mask)


def unit_factor(
    unit: pa.Array | pa.ChunkedArray,
    idx: pa.Array | pa.ChunkedArray,
    catalog: ProductCatalog,
    template: MappingTemplate,
) -> pa.Array | pa.ChunkedArray:
    """Base units per written unit: 1 for the product's base unit, the case size for 件/箱, a template's fixed
    factor. The rules are looked up per distinct unit; the rows only compare and pick numbers."""
    units = Distinct(unique_values(unit))  # each text once: the same unit is the same index
    rules = template.units
    keys = pa.array(list(rules), pa.string())
    fixed = pa.array([1.0 if r == "base" else None if r == "case" else float(r) for r in rules.values()], pa.float64())
    is_case = pa.array([r == "case" for r in rules.values()], pa.bool_())
    rule = pc.index_in(units.values, value_set=keys)
    case = units.spread(pc.fill_null(pc.take(is_case, rule), False))
    by_rule = pc.if_else(case, pc.take(catalog.case_sizes, idx), units.spread(pc.take(fixed, rule)))
    base = pc.index_in(catalog.base_units, value_set=units.values)  # each product's base unit among the units
    is_base = pc.fill_null(pc.equal(pc.take(base, idx), units.indices), False)
    if template.blank_unit_is_base:
        is_base = pc.or_(is_base, units.spread(pc.equal(units.values, "")))
    return pc.if_else(is_base, pa.scalar(1.0), by_rule)


def validate(
    table: pa.Table,
    header: HeaderMatch,
    template: MappingTemplate,
    period: Period,
    catalog: ProductCatalog,
    kind: FileKind = FileKind.FLOW,
    distributors: Callable[[list[str]], Mapping[str, str]] | None = None,
) -> Checked:
    """The kind's rules decide which checks apply (crm.ingest.mapping.KIND_RULES); distributors: the
    distributor (customer id) each code a shipments file names stands for (asked once, distinct codes)."""
    rules = KIND_RULES[kind]
    if Col.UNIT.value not in table.column_names and header.quantity_unit:  # 数量(盒): every row is in 盒
        table = table.append_column(Col.UNIT.value, repeated_text(header.quantity_unit, table.num_rows))
    checks = Checks(table, header)
    if rules.dates == "ignored":
        day = pa.nulls(table.num_rows, pa.date32())
    else:
        day = check_dates(table, checks, template, period, required=rules.dates == "in_period")
    quantity = check_quantity(table, checks, rules)
    if rules.quantity == "non_zero" and Col.TXN_TYPE.value in table.column_names:
        quantity = signed_returns(quantity, text(table, Col.TXN_TYPE), template)
    idx = product_index(table, catalog)
    known = pc.is_valid(idx)
    unit = text(table, Col.UNIT)
    factor = unit_factor(unit, idx, catalog, template)
    checks.add(pc.and_(known, pc.is_null(factor)), Col.UNIT, UNIT_UNKNOWN)
    checks.add(pc.invert(known), product_column(table), PRODUCT_UNKNOWN)
    if rules.match_buyers:
        # Per spelling, trimmed as written: blank once cleaned (NFKC) is blank as written (test_blank_even_as_nfkc).
        buyers = Distinct(table[Col.BUYER_NAME.value])
        blank = pc.equal(pc.utf8_trim_whitespace(buyers.values), "")
        checks.add_per_value(blank, buyers, Col.BUYER_NAME, BUYER_MISSING)
    typed = {
        "sale_date": day,
        "sku": dictionary_rows(idx, catalog.skus),  # rows point into the catalog: no text copied per row
        "quantity_value": quantity,
        "unit_clean": unit,
        "base_quantity": pc.multiply(quantity, factor),
        "base_unit": dictionary_rows(idx, catalog.base_units),
    }
    if Col.DISTRIBUTOR in rules.required:
        written = text(table, Col.DISTRIBUTOR)
        resolved = distributors([d for d in pc.unique(written).to_pylist() if d]) if distributors else {}
        codes, ids = pa.array(list(resolved), pa.string()), pa.array(list(resolved.values()), pa.string())
        distributor = pc.take(ids, pc.index_in(written, value_set=codes))
        checks.add(pc.is_null(distributor), Col.DISTRIBUTOR, DISTRIBUTOR_UNKNOWN)
        typed["distributor_id"] = distributor
    for name, column in typed.items():
        table = table.append_column(name, column)
    return Checked(table=table, valid=checks.valid(), errors=checks.errors())


def product_column(table: pa.Table) -> Col:
    """Which column to blame for an unknown product: the code when the row has one."""
    return Col.PRODUCT_CODE if Col.PRODUCT_CODE.value in table.column_names else Col.PRODUCT_NAME
