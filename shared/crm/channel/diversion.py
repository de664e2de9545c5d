"""Diversion signals (窜货) from flow, shipments and territories, column-wise with pyarrow.

Two signals, each with the flow rows that raised it as evidence (the first EVIDENCE_LIMIT, and a count):

- Batch crossing: a product batch we shipped, in the period or the two months before, to some
  distributors and never to distributor X (nor to X's upstream supplier, which legitimately passes it
  on), appears in X's flow of the period.
- Out of territory: a distributor's flow sold to a matched customer whose region lies outside its territory
  (crm.customers.model.Territory: the agreement's in force for the month, else its profile's).

The functions below are pure (tables in, signals out); `shipped_lines` and `flow_lines` read the inputs.
Python loops run over groups (distinct batches, distributor × customer pairs), never over the rows.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from crm.channel.model import EVIDENCE_LIMIT, BatchCrossing, Evidence, OutOfTerritory, Skipped, Unjudged
from crm.channel.tables import plain
from crm.customers.model import Region, Territory
from crm.ingest.mapping import FileKind
from crm.inventory import shipments
from crm.inventory.lines import read_lines

SEP = "\x1f"  # joins key parts; never inside an id, sku or batch
FLOW_COLUMNS = [
    "load_id",
    "source_row",
    "source_line",
    "sale_date",
    "sku",
    "batch",
    "base_quantity",
    "buyer_name",
    "customer_id",
]
SHIPPED_SCHEMA = pa.schema(
    [("distributor_id", pa.string()), ("sku", pa.string()), ("batch", pa.string()), ("quantity", pa.float64())]
)
_EVIDENCE_ORDER = [("sale_date", "ascending"), ("load_id", "ascending"), ("source_row", "ascending")]
NO_TERRITORY = "no territory (no agreement in force names one, nor its profile)"
NOT_A_DISTRIBUTOR = "not a distributor on record"


# ----------------------------------------------------------------------------- reading the inputs


def shipped_batches(tenant_id: str, periods: Iterable[str]) -> pa.Table:
    """What the ERP reported we shipped (ShipmentItem, one item per delivery) in these months:
    distributor_id, sku, batch, quantity (base units), one row per delivery line."""
    columns: dict[str, list] = {name: [] for name in SHIPPED_SCHEMA.names}
    for period in periods:
        for line in shipments.delivered(shipments.of_period(tenant_id, period)):
            for name in SHIPPED_SCHEMA.names:
                columns[name].append(getattr(line, name))
    return pa.Table.from_pydict(columns, schema=SHIPPED_SCHEMA)


def shipped_lines(bucket: str, tenant_id: str, periods: list[str]) -> pa.Table:
    """Our shipments of these months: the shipments files' current lines and the ERP's reports together."""
    parts = [shipped_batches(tenant_id, periods)]
    for period in periods:
        lines = plain(
            read_lines(
                bucket, FileKind.SHIPMENTS, tenant_id, period, ["distributor_id", "sku", "batch", "base_quantity"]
            )
        )
        parts.append(
            pa.Table.from_arrays(
                [
                    pc.cast(lines[c], t)
                    for c, t in zip(
                        ["distributor_id", "sku", "batch", "base_quantity"], SHIPPED_SCHEMA.types, strict=True
                    )
                ],
                schema=SHIPPED_SCHEMA,
            )
        )
    return pa.concat_tables(parts)


def flow_lines(bucket: str, tenant_id: str, period: str) -> pa.Table:
    """The month's current flow lines of every distributor, with `party` (whose file), plain-typed."""
    return plain(read_lines(bucket, FileKind.FLOW, tenant_id, period, FLOW_COLUMNS))


# ----------------------------------------------------------------------------- territory

_REGION_SUFFIXES = ("特别行政区", "自治区", "自治州", "地区", "省", "市", "盟")
_AUTONOMOUS = {"广西壮族": "广西", "宁夏回族": "宁夏", "新疆维吾尔": "新疆"}


def place_key(name: str | None) -> str | None:
    """'江苏省' and '江苏', '苏州市' and '苏州' are the same place."""
    text = "".join((name or "").split())
    for suffix in _REGION_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            text = text[: -len(suffix)]
            break
    return _AUTONOMOUS.get(text, text) or None


def judge(territory: Territory, province: str | None, city: str | None) -> bool | None:
    """True: outside the territory; False: inside; None: the region lacks the level needed to tell.

    Cities, when the territory lists any, decide for a buyer whose city is known; a known province outside
    the listed provinces is outside whatever the city; provinces alone decide only for a territory that
    lists no cities (a buyer in 江苏 with no city on record may or may not be in 苏州)."""
    city, province = place_key(city), place_key(province)
    cities = {place_key(c) for c in territory.cities}
    provinces = {place_key(p) for p in territory.provinces}
    city_out = city not in cities if cities and city else None
    province_out = province not in provinces if provinces and province else None
    if city_out or province_out:
        return True
    if city_out is False or (province_out is False and not cities):
        return False
    return None


@dataclass(frozen=True)
class Party:
    """What the checks need of a distributor (from its customer record)."""

    upstream_id: str | None = None
    territory: Territory | None = None
    is_distributor: bool = True


@dataclass(frozen=True)
class Buyer:
    name: str
    region: Region


# ----------------------------------------------------------------------------- helpers


def _key(*columns: pa.Array | pa.ChunkedArray) -> pa.ChunkedArray | pa.Array:
    return pc.binary_join_element_wise(*columns, SEP)


def text_array(values: Iterable[str]) -> pa.Array:
    return pa.array(sorted(set(values)), pa.string())


def _evidence(lines: pa.Table, group_keys: list[str], limit: int) -> dict[tuple, tuple[list[Evidence], int]]:
    """Group key → (its first `limit` lines by date, file and row, the group's line count).

    Sorted by the keys, each group is one contiguous slice; only the kept slices become Python objects."""
    ordered = lines.sort_by([*((k, "ascending") for k in group_keys), *_EVIDENCE_ORDER])
    counts = ordered.group_by(group_keys, use_threads=False).aggregate([("source_row", "count")])
    counts = counts.sort_by([(k, "ascending") for k in group_keys])
    found: dict[tuple, tuple[list[Evidence], int]] = {}
    offset = 0
    for group in counts.to_pylist():  # one per signal
        total = group["source_row_count"]
        rows = ordered.slice(offset, min(total, limit)).to_pylist()
        found[tuple(group[k] for k in group_keys)] = ([Evidence.model_validate(r) for r in rows], total)
        offset += total
    return found


def _has_batch(table: pa.Table) -> pa.Table:
    batch = table["batch"]
    return table.filter(
        pc.fill_null(pc.and_(pc.is_valid(batch), pc.not_equal(pc.utf8_trim_whitespace(batch), "")), False)
    )


# ----------------------------------------------------------------------------- the two signals


def batch_crossings(
    shipped: pa.Table, flow: pa.Table, parties: Mapping[str, Party] | None = None, limit: int = EVIDENCE_LIMIT
) -> list[BatchCrossing]:
    """shipped: distributor_id, sku, batch, quantity; flow: FLOW_COLUMNS and party. Sorted by sku, batch,
    found_in. A batch we did not ship to anyone in the window proves nothing and raises nothing."""
    shipped, flow = _has_batch(shipped), _has_batch(flow)
    if not shipped.num_rows or not flow.num_rows:
        return []
    upstream = {p: info.upstream_id for p, info in (parties or {}).items() if info.upstream_id}
    supplier = pc.take(
        pa.array(list(upstream.values()), pa.string()),
        pc.index_in(flow["party"], value_set=pa.array(list(upstream), pa.string())),
    )
    shipped_pairs = pc.unique(_key(shipped["sku"], shipped["batch"]))
    shipped_to = pc.unique(_key(shipped["sku"], shipped["batch"], shipped["distributor_id"]))
    ours = pc.is_in(_key(flow["sku"], flow["batch"]), value_set=shipped_pairs)
    own = pc.is_in(_key(flow["sku"], flow["batch"], flow["party"]), value_set=shipped_to)
    via_supplier = pc.fill_null(pc.is_in(_key(flow["sku"], flow["batch"], supplier), value_set=shipped_to), False)
    crossing = flow.filter(pc.and_(ours, pc.invert(pc.or_(own, via_supplier))))
    if not crossing.num_rows:
        return []
    group_keys = ["sku", "batch", "party"]
    sums = crossing.group_by(group_keys, use_threads=False).aggregate([("base_quantity", "sum")])
    sums = sums.sort_by([(k, "ascending") for k in group_keys])
    crossed = shipped.filter(
        pc.is_in(_key(shipped["sku"], shipped["batch"]), value_set=pc.unique(_key(crossing["sku"], crossing["batch"])))
    )
    sent = {
        (r["sku"], r["batch"]): (sorted(r["distributor_id_distinct"]), r["quantity_sum"])
        for r in crossed.group_by(["sku", "batch"], use_threads=False)
        .aggregate([("distributor_id", "distinct"), ("quantity", "sum")])
        .to_pylist()
    }  # one per crossed batch
    evidence = _evidence(crossing, group_keys, limit)
    signals = []
    for row in sums.to_pylist():  # one per batch × distributor it crossed into
        rows, total = evidence[(row["sku"], row["batch"], row["party"])]
        shipped_to, shipped_quantity = sent[(row["sku"], row["batch"])]
        signals.append(
            BatchCrossing(
                sku=row["sku"],
                batch=row["batch"],
                found_in=row["party"],
                shipped_to=shipped_to,
                shipped_quantity=shipped_quantity,
                quantity=row["base_quantity_sum"],
                rows=total,
                evidence=rows,
                evidence_total=total,
            )
        )
    return signals


def out_of_territory(
    flow: pa.Table, parties: Mapping[str, Party], buyers: Mapping[str, Buyer], limit: int = EVIDENCE_LIMIT
) -> tuple[list[OutOfTerritory], list[Skipped], list[Unjudged]]:
    """flow: FLOW_COLUMNS and party; parties: every party of the flow; buyers: the matched customers.

    Returns the signals (by distributor, then customer), the distributors skipped (no territory, or not a
    distributor on record) and, per judged distributor, the rows that could not be judged."""
    present = sorted(pc.unique(flow["party"]).to_pylist())
    skipped = _skipped(present, parties)
    judged = [p for p in present if p not in {s.distributor_id for s in skipped}]
    flow = flow.filter(pc.is_in(flow["party"], value_set=text_array(judged)))
    unmatched = {
        r["party"]: r["party_count"]
        for r in flow.filter(pc.is_null(flow["customer_id"]))
        .group_by(["party"], use_threads=False)
        .aggregate([("party", "count")])
        .to_pylist()
    }
    matched = flow.filter(pc.is_valid(flow["customer_id"]))
    outside, unknown = _judge_pairs(matched, parties, buyers)
    unjudged = [
        Unjudged(distributor_id=p, unmatched_rows=unmatched.get(p, 0), unknown_region_rows=unknown.get(p, 0))
        for p in judged
        if unmatched.get(p) or unknown.get(p)
    ]
    if not outside:
        return [], skipped, unjudged
    return _signals(matched, outside, parties, buyers, limit), skipped, unjudged


def _skipped(present: list[str], parties: Mapping[str, Party]) -> list[Skipped]:
    """The parties no territory check applies to: not a distributor on record, or one without a territory."""
    found = []
    for p in present:
        if p not in parties or not parties[p].is_distributor:
            found.append(Skipped(distributor_id=p, reason=NOT_A_DISTRIBUTOR))
        elif parties[p].territory is None:
            found.append(Skipped(distributor_id=p, reason=NO_TERRITORY))
    return found


def _judge_pairs(
    matched: pa.Table, parties: Mapping[str, Party], buyers: Mapping[str, Buyer]
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """(distributor, customer) pairs sold outside the territory; rows per distributor whose region is too vague."""
    pairs = matched.group_by(["party", "customer_id"], use_threads=False).aggregate([("base_quantity", "count")])
    outside: list[tuple[str, str]] = []
    unknown: dict[str, int] = {}
    for pair in pairs.to_pylist():  # one per distributor × customer it sold to
        territory, buyer = parties[pair["party"]].territory, buyers.get(pair["customer_id"])
        verdict = judge(territory, buyer.region.province, buyer.region.city) if buyer and territory else None
        if verdict:
            outside.append((pair["party"], pair["customer_id"]))
        elif verdict is None:
            unknown[pair["party"]] = unknown.get(pair["party"], 0) + pair["base_quantity_count"]
    return outside, unknown


def _signals(
    matched: pa.Table,
    outside: list[tuple[str, str]],
    parties: Mapping[str, Party],
    buyers: Mapping[str, Buyer],
    limit: int,
) -> list[OutOfTerritory]:
    lines = matched.filter(
        pc.is_in(
            _key(matched["party"], matched["customer_id"]), value_set=text_array(SEP.join(pair) for pair in outside)
        )
    )
    by_sku: dict[tuple[str, str], dict[str, float]] = {}
    for row in (
        lines.group_by(["party", "customer_id", "sku"], use_threads=False)
        .aggregate([("base_quantity", "sum")])
        .sort_by([("sku", "ascending")])
        .to_pylist()
    ):
        by_sku.setdefault((row["party"], row["customer_id"]), {})[row["sku"]] = row["base_quantity_sum"]
    evidence = _evidence(lines, ["party", "customer_id"], limit)
    signals = []
    for party, customer_id in sorted(outside):
        rows, total = evidence[(party, customer_id)]
        quantities, buyer, territory = by_sku[(party, customer_id)], buyers[customer_id], parties[party].territory
        assert territory is not None
        signals.append(
            OutOfTerritory(
                distributor_id=party,
                customer_id=customer_id,
                customer_name=buyer.name,
                region=buyer.region,
                territory=territory,
                quantity=sum(quantities.values()),
                base_qty_by_sku=quantities,
                rows=total,
                evidence=rows,
                evidence_total=total,
            )
        )
    return signals
