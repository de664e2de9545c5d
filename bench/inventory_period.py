"""Inventory period at scale: one month of 1,000 distributors × 500 products from 10,000,000 flow rows.

Parquet laid out as the import writes it (one zstd object per distributor and load, under
flow-lines/tenant=/period=/distributor=/<load>.parquet, FLOW_LINES_SCHEMA), plus the month's opening balances,
stock reports and our shipments file for the same keys. Two contenders, each in a fresh interpreter (so
ru_maxrss is its own peak), three runs each, interleaved: a bare pyarrow read + group-by of the flow rows (the
floor), and the month as the inventory service computes it (InventoryService.compute: every kind of file through
crm.inventory.lines.read_lines, over the temp dir instead of S3, DynamoDB answered in process; then flagged()).

Rows: BENCH_PERIOD_ROWS, or `python -m bench.inventory_period --rows N`; default 10,000,000.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bench.ddblocal import ROOT

ROWS = 10_000_000
DISTRIBUTORS = 1_000
PRODUCTS = 500
TERMINALS = 20_000  # buyers across the tenant; each distributor sells to a slice of them
TENANT, PERIOD = "T-bench", "2026-10"
BUCKET = "bench-analytics"  # never contacted: the reads are redirected to the temp dir
SEED = 20261031
RUNS = 3
THRESHOLD_PCT = 5.0
REPORTING = 0.98  # share of distributors that sent a stock report for the month
ADJUSTMENTS = 1_000  # approved adjustments in the month (DynamoDB items in the service: a small table here)
SHIPMENT_BATCH = 100  # distributors per row group of the shipments file (keeps the generator's memory flat)
GOAL_TIME = 2.0  # period computation ≤ 2× the bare read + group-by
GOAL_RSS = 1.5  # and ≤ 1.5× its peak RSS
QUANTITIES = [1, 2, 3, 5, 10, 12, 20, 24, 30, 50]


# --- the data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Generated:
    root: str
    rows: int
    keys: int  # distributor × product pairs with flow
    outbound: float  # sum of base_quantity over every flow row
    files: int  # flow objects
    bytes: int  # their size
    opening_rows: int
    report_rows: int
    report_objects: int  # distributors that sent a stock report
    shipment_rows: int


def _uniform(n: int, seed: int) -> Any:
    import pyarrow.compute as pc

    return pc.random(n, initializer=seed)


def _index(n: int, k: int, seed: int) -> Any:
    """n ints in [0, k), from a fixed seed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    return pc.cast(pc.floor(pc.multiply(_uniform(n, seed), k)), pa.int32())


def _key(kind: str, distributor: str, load: str) -> str:
    from crm.flow.keys import LINES_TABLE
    from crm.ingest.mapping import FileKind

    return f"{LINES_TABLE[FileKind(kind)]}/tenant={TENANT}/period={PERIOD}/distributor={distributor}/{load}.parquet"


def catalog() -> dict[str, Any]:
    """The product master and the terminal pool, as Arrow arrays to take() from."""
    import pyarrow as pa

    forms = ["片", "胶囊", "颗粒", "口服液", "软膏"]
    units = ["盒", "瓶", "支", "袋"]
    skus = [f"P{i:04d}" for i in range(1, PRODUCTS + 1)]
    cities = ["杭州", "苏州", "南京", "宁波", "合肥", "上海", "无锡", "绍兴"]
    brands = ["长青", "康宁", "惠民", "仁和", "永安", "众康", "天济", "恒安", "益丰", "德仁"]
    names = [f"{cities[i % 8]}市{brands[i // 8 % 10]}大药房有限公司第{i // 80 + 1}分店" for i in range(TERMINALS)]
    return {
        "sku": pa.array(skus),
        "product_name": pa.array([f"产品{i}{forms[i % 5]}" for i in range(PRODUCTS)]),
        "spec": pa.array([f"{(i % 9 + 1) * 5}mg×{(i % 4 + 1) * 12}{forms[i % 5][0]}" for i in range(PRODUCTS)]),
        "base_unit": pa.array([units[i % 4] for i in range(PRODUCTS)]),
        "case_size": pa.array([float((i % 5 + 1) * 10) for i in range(PRODUCTS)]),
        "price": pa.array([round(5 + (i * 37 % 200) + 0.5, 2) for i in range(PRODUCTS)]),
        "buyer_name": pa.array(names),
        "buyer_name_normalized": pa.array([n.replace("有限公司", "") for n in names]),
        "buyer_address": pa.array([f"{cities[i % 8]}市人民路{i % 997 + 1}号" for i in range(TERMINALS)]),
        "customer_id": pa.array([f"C{i:06d}" if i % 33 else None for i in range(TERMINALS)]),
        "match_kind": pa.array(["exact" if i % 10 else "alias" if i % 33 else "unknown" for i in range(TERMINALS)]),
        "batches": pa.array([f"B2610{i:02d}" for i in range(1, 10)]),
        "quantities": pa.array([float(q) for q in QUANTITIES]),
    }


def flow_lines(cat: dict[str, Any], d: int, n: int) -> Any:
    """One distributor's load: n rows of FLOW_LINES_SCHEMA (2% returns, 10% of rows written in cases)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from crm.ingest.model import FLOW_LINES_SCHEMA

    seed = SEED * 7919 + d * 16
    distributor, load = f"D{d:04d}", f"L{d:04d}-01"
    sku = _index(n, PRODUCTS, seed)
    buyer = pc.add(_index(n, 400, seed + 1), (d * 211) % (TERMINALS - 400))  # each sells to ~400 terminals
    cases = pc.less(_uniform(n, seed + 2), 0.10)
    returns = pc.less(_uniform(n, seed + 3), 0.02)
    quantity = pc.take(cat["quantities"], _index(n, len(QUANTITIES), seed + 4))
    quantity = pc.if_else(cases, pc.add(pc.floor(pc.multiply(_uniform(n, seed + 5), 5)), 1.0), quantity)
    quantity = pc.if_else(returns, pc.negate(quantity), quantity)
    base_quantity = pc.if_else(cases, pc.multiply(quantity, pc.take(cat["case_size"], sku)), quantity)
    constant = pa.repeat(pa.scalar(0, pa.int32()), n)
    row = pa.array(range(1, n + 1), pa.int32())
    documents = pa.array([f"SO{d:04d}{k:06d}" for k in range(n // 4 + 1)])
    n_in_doc = pc.cast(pc.divide(pc.cast(pc.subtract(row, 1), pa.int32()), 4), pa.int32())
    columns = {
        "load_id": pa.DictionaryArray.from_arrays(constant, pa.array([load])),
        "source_key": pa.DictionaryArray.from_arrays(constant, pa.array([f"uploads/{TENANT}/{distributor}/{load}"])),
        "source_row": row,
        "source_line": pc.add(row, 1),
        "mapping_version": pa.DictionaryArray.from_arrays(constant, pa.array(["3"])),
        "period": pa.DictionaryArray.from_arrays(constant, pa.array([PERIOD])),
        "sale_date": pc.add(
            _index(n, 31, seed + 6), pa.scalar((date(2026, 10, 1) - date(1970, 1, 1)).days, pa.int32())
        ).view(pa.date32()),
        "sku": pc.take(cat["sku"], sku),
        "product_name": pc.take(cat["product_name"], sku),
        "spec": pc.take(cat["spec"], sku),
        "batch": pc.take(cat["batches"], _index(n, 9, seed + 7)),
        "quantity": quantity,
        "unit": pc.if_else(cases, pa.scalar("箱"), pc.take(cat["base_unit"], sku)),
        "base_quantity": base_quantity,
        "base_unit": pc.take(cat["base_unit"], sku),
        "buyer_name": pc.take(cat["buyer_name"], buyer),
        "buyer_name_normalized": pc.take(cat["buyer_name_normalized"], buyer),
        "buyer_address": pc.take(cat["buyer_address"], buyer),
        "customer_id": pc.take(cat["customer_id"], buyer),
        "match_kind": pc.take(cat["match_kind"], buyer),
        "amount": pc.cast(
            pc.round(pc.multiply(base_quantity, pc.take(cat["price"], sku)), 2), pa.decimal128(18, 2), safe=False
        ),
        "document_no": pc.take(documents, n_in_doc),
        "line_no": pc.cast(pc.add(pc.subtract(row, pc.multiply(n_in_doc, 4)), 0), pa.string()),
        "txn_type": pc.if_else(returns, pa.scalar("退货"), pa.scalar("销售")),
    }
    table = pa.table(columns)
    return table.select(FLOW_LINES_SCHEMA.names).cast(FLOW_LINES_SCHEMA), sku, base_quantity


def stock_lines(cat: dict[str, Any], schema: Any, d: int, sku: Any, quantity: Any, day: date, load: str) -> Any:
    """A stock count (opening balance or closing report) of the products in `sku`: one line per product."""
    import pyarrow as pa

    n = len(sku)
    constant = pa.repeat(pa.scalar(0, pa.int32()), n)
    row = pa.array(range(1, n + 1), pa.int32())
    columns = {
        "load_id": pa.DictionaryArray.from_arrays(constant, pa.array([load])),
        "source_key": pa.DictionaryArray.from_arrays(constant, pa.array([f"uploads/{TENANT}/D{d:04d}/{load}.csv"])),
        "source_row": row,
        "source_line": row,
        "mapping_version": pa.DictionaryArray.from_arrays(constant, pa.array(["1"])),
        "period": pa.DictionaryArray.from_arrays(constant, pa.array([PERIOD])),
        "stock_date": pa.repeat(pa.scalar(day, pa.date32()), n),
        "sku": cat["sku"].take(sku),
        "product_name": cat["product_name"].take(sku),
        "spec": cat["spec"].take(sku),
        "batch": pa.repeat(pa.scalar("B261001"), n),
        "quantity": quantity,
        "unit": cat["base_unit"].take(sku),
        "base_quantity": quantity,
        "base_unit": cat["base_unit"].take(sku),
    }
    return pa.table(columns).select(schema.names).cast(schema)


def period_figures(d: int, sku: Any, base_quantity: Any) -> dict[str, list[Any]]:
    """Opening, shipments and the reported closing of one distributor, consistent with its flow (mostly)."""
    import random

    outbound = [0.0] * PRODUCTS
    for s, q in zip(sku.to_pylist(), base_quantity.to_pylist(), strict=True):
        outbound[s] += q
    rng = random.Random(SEED + d)
    opening, inbound, closing = [], [], []
    for s in range(PRODUCTS):
        o = float(rng.randrange(0, 400))
        i = 0.0 if rng.random() < 0.03 else float(max(0, round(outbound[s] * rng.uniform(0.7, 1.3))))
        expected = o + i - outbound[s]
        roll = rng.random()
        reported = (
            expected
            if roll < 0.90
            else round(expected * rng.uniform(0.97, 1.03))
            if roll < 0.97
            else round(expected * rng.uniform(0.5, 1.5))
        )
        opening.append(o)
        inbound.append(i)
        closing.append(float(max(0, reported)))
    return {"opening": opening, "inbound": inbound, "closing": closing}


def adjustments() -> list[tuple[str, str, float]]:
    """The month's approved adjustments (in the service, DynamoDB items): (distributor, sku, ± quantity)."""
    import random

    rng = random.Random(SEED - 1)
    return [
        (
            f"D{rng.randrange(DISTRIBUTORS) + 1:04d}",
            f"P{rng.randrange(PRODUCTS) + 1:04d}",
            float(rng.choice([-1, 1]) * rng.randrange(1, 20)),
        )
        for _ in range(ADJUSTMENTS)
    ]


def generate(root: Path, rows: int) -> Generated:
    """Flow, opening, stock-report and shipment objects under root, one distributor at a time."""
    import random

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    from crm.flow.keys import SHIPMENTS_PARTY
    from crm.ingest.model import SHIPMENT_LINES_SCHEMA, STOCK_LINES_SCHEMA

    cat = catalog()
    rng = random.Random(SEED)
    keys = files = size = opening_rows = report_rows = report_objects = shipment_rows = 0
    total = 0.0
    shipments: list[pa.Table] = []
    ship_path = root / _key("shipments", SHIPMENTS_PARTY, "S-2026-10")
    ship_path.parent.mkdir(parents=True)
    writer = pq.ParquetWriter(ship_path, SHIPMENT_LINES_SCHEMA, compression="zstd")
    for d in range(1, DISTRIBUTORS + 1):
        n = rows // DISTRIBUTORS + (d <= rows % DISTRIBUTORS)
        distributor = f"D{d:04d}"
        flow, sku, base_quantity = flow_lines(cat, d, n)
        path = root / _key("flow", distributor, f"L{d:04d}-01")
        path.parent.mkdir(parents=True)
        pq.write_table(flow, path, compression="zstd")  # as crm.flow.importer writes it
        files, size = files + 1, size + path.stat().st_size
        keys += len(pc.unique(sku))
        total += pc.sum(base_quantity).as_py() or 0.0
        del flow
        figures = period_figures(d, sku, base_quantity)
        every = pa.array(range(PRODUCTS), pa.int32())
        path = root / _key("opening", distributor, f"O{d:04d}-01")
        path.parent.mkdir(parents=True)
        pq.write_table(
            stock_lines(
                cat, STOCK_LINES_SCHEMA, d, every, pa.array(figures["opening"]), date(2026, 9, 30), f"O{d:04d}-01"
            ),
            path,
            compression="zstd",
        )
        opening_rows += PRODUCTS
        if rng.random() < REPORTING:  # a product it holds none of is left out of the report
            held = [s for s in range(PRODUCTS) if figures["closing"][s] > 0]
            path = root / _key("inventory", distributor, f"C{d:04d}-01")
            path.parent.mkdir(parents=True)
            pq.write_table(
                stock_lines(
                    cat,
                    STOCK_LINES_SCHEMA,
                    d,
                    pa.array(held, pa.int32()),
                    pa.array([figures["closing"][s] for s in held]),
                    date(2026, 10, 31),
                    f"C{d:04d}-01",
                ),
                path,
                compression="zstd",
            )
            report_rows, report_objects = report_rows + len(held), report_objects + 1
        shipped = [
            (s, part)
            for s in range(PRODUCTS)
            if (q := figures["inbound"][s]) > 0
            for part in ((q,) if q < 40 else (q // 2, q - q // 2))
        ]  # bigger amounts in two deliveries
        table = stock_lines(
            cat,
            STOCK_LINES_SCHEMA,
            d,
            pa.array([s for s, _ in shipped], pa.int32()),
            pa.array([q for _, q in shipped], pa.float64()),
            date(2026, 10, 15),
            "S-2026-10",
        )
        table = (
            table.append_column("ship_date", table["stock_date"])
            .append_column("distributor_id", pa.repeat(pa.scalar(distributor), table.num_rows))
            .append_column("document_no", pa.repeat(pa.scalar(f"DN{d:04d}"), table.num_rows))
        )
        shipments.append(table.select(SHIPMENT_LINES_SCHEMA.names).cast(SHIPMENT_LINES_SCHEMA))
        shipment_rows += table.num_rows
        if len(shipments) == SHIPMENT_BATCH or d == DISTRIBUTORS:
            writer.write_table(pa.concat_tables(shipments).combine_chunks())
            shipments = []
    writer.close()
    return Generated(
        str(root), rows, keys, total, files, size, opening_rows, report_rows, report_objects, shipment_rows
    )


# --- the contenders, each run in a fresh interpreter ----------------------------------------------


def run_groupby(root: str) -> dict[str, Any]:
    """The floor: pyarrow.dataset over the flow objects (distributor from the hive path), group by, sum."""
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    flow = Path(root) / f"flow-lines/tenant={TENANT}/period={PERIOD}"
    t = time.perf_counter()
    table = ds.dataset(flow, format="parquet", partitioning="hive").to_table(
        columns=["distributor", "sku", "base_quantity"]
    )
    read = time.perf_counter()
    sums = table.group_by(["distributor", "sku"], use_threads=False).aggregate([("base_quantity", "sum")])
    done = time.perf_counter()
    return {
        "seconds": done - t,
        "stages": {"read flow": read - t, "group by": done - read},
        "groups": sums.num_rows,
        "with_flow": pc.sum(pc.not_equal(sums["base_quantity_sum"], 0.0)).as_py(),
        "outbound": pc.sum(sums["base_quantity_sum"]).as_py() or 0.0,
    }


class _LocalS3:
    """get_object over the temp dir: read_lines reads each object's bytes whole, as it does from S3."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:  # boto3's spelling
        return {"Body": _Body((self.root / Key).read_bytes())}


class _Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self) -> bytes:
        return self.data


def local_reads(root: str) -> None:
    """Points crm.inventory.lines at the temp dir: the S3 listing and DynamoDB pointers become a directory glob."""
    from crm.flow.keys import lines_prefix
    from crm.ingest.mapping import FileKind
    from crm.inventory import lines

    base = Path(root)
    local = _LocalS3(base)

    def current_objects(bucket: str, kind: FileKind, tenant_id: str, period: str) -> dict[str, str]:
        prefix = lines_prefix(kind, tenant_id, period)
        return {
            p.parent.name.removeprefix("distributor="): str(p.relative_to(base))
            for p in sorted((base / prefix).glob("distributor=*/*.parquet"))
        }

    lines._s3 = lambda: local  # type: ignore[assignment]
    lines.current_objects = current_objects


def service_stubs(root: str, stages: dict[str, float]) -> Any:
    """crm.inventory.service with its S3 reads pointed at the temp dir and its DynamoDB reads answered here:
    no opening set by hand or carried (the opening files count), no shipment reported by the ERP (the shipments
    file counts), ADJUSTMENTS approved adjustments. The reads and reconcile() add their time to `stages`."""
    from types import SimpleNamespace

    from crm.flow.keys import LINES_TABLE
    from crm.inventory import adjustments as adjusted
    from crm.inventory import lines, openings, service, shipments

    local_reads(root)
    openings.carried_items = openings.manual_items = lambda tenant_id, period, distributors=None: []
    shipments.of_period = lambda tenant_id, period, distributor_id=None: []
    approved = [
        SimpleNamespace(status="approved", distributor_id=d, sku=k, batch=None, quantity=q) for d, k, q in adjustments()
    ]
    adjusted.of_period = lambda tenant_id, period, distributor_id=None: approved

    def timed(fn: Any, name: Any) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                label = name(*args)
                stages[label] = stages.get(label, 0.0) + time.perf_counter() - t

        return call

    reading = timed(lines.read_lines, lambda bucket, kind, *_: f"read {LINES_TABLE[kind]}")
    service.read_lines = openings.read_lines = reading
    service.reconcile = timed(service.reconcile, lambda *_: "reconcile")
    return service


def period_service(root: str, stages: dict[str, float]) -> Any:
    from crm.auth import Principal, Role

    service = service_stubs(root, stages)
    hq = Principal(tenant_id=TENANT, user_id="bench", org_unit_id="HQ", roles=frozenset({Role.HQ_ADMIN}))
    return service.InventoryService(hq, BUCKET)


def run_period(root: str) -> dict[str, Any]:
    """The inventory service's calculation of the month (InventoryService.compute), then flagged()."""
    import pyarrow.compute as pc
    from crm.inventory.model import StoredPolicy
    from crm.inventory.reconcile import FLAGS, flagged

    stages: dict[str, float] = {}
    inventory = period_service(root, stages)
    policy = StoredPolicy(variance_threshold_pct=THRESHOLD_PCT)
    t = time.perf_counter()
    result = inventory.compute(PERIOD, None, policy)
    computed = time.perf_counter()
    attention = flagged(result)
    done = time.perf_counter()
    stages["rest of compute"] = computed - t - sum(stages.values())
    stages["flagged"] = done - computed
    products = result.products
    return {
        "seconds": done - t,
        "stages": stages,
        "groups": products.num_rows,
        "batch_rows": result.batches.num_rows,
        "with_flow": pc.sum(pc.not_equal(products["outbound"], 0.0)).as_py(),
        "outbound": pc.sum(products["outbound"]).as_py(),
        "flagged": attention.num_rows,
        "flags": {f: pc.sum(attention[f]).as_py() for f in FLAGS},
    }


CONTENDERS = {"groupby": run_groupby, "period": run_period}
CHILDREN = CONTENDERS

_CHILD = """
import json, resource, sys
sys.path[:0] = {paths!r}
import pyarrow, pyarrow.compute, pyarrow.dataset, pyarrow.parquet
pyarrow.set_cpu_count(1)  # a Lambda below 1,769 MB has less than one vCPU; steadier on a shared machine too
pyarrow.set_io_thread_count(1)
from bench.inventory_period import CHILDREN
{imports}
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
result = CHILDREN[{kind!r}]({root!r})
result["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
result["rss_imports_mb"] = before
print(json.dumps(result))
"""
# What each contender imports is loaded before the measured part, so the peak above it is the work's.
_IMPORTS = {"groupby": "", "period": "import crm.inventory.service"}


def measure(kind: str, root: str, imports: str | None = None) -> dict[str, Any]:
    """One contender in a fresh interpreter; `imports` (code run before the measured part) may add contenders of
    another bench to CHILDREN (bench.accrual does)."""
    code = _CHILD.format(
        paths=[str(ROOT / "shared"), str(ROOT)], kind=kind, root=root, imports=imports or _IMPORTS.get(kind, "")
    )
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    env["AWS_DEFAULT_REGION"] = "us-east-1"  # crm.db's models want a region at import; nothing is called
    out = subprocess.run([sys.executable, "-I", "-c", code], env=env, cwd="/", capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time, with median RSS and per-stage medians."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    mid = dict(ordered[len(ordered) // 2])
    mid["rss_mb"] = statistics.median(r["rss_mb"] for r in runs)
    mid["rss_imports_mb"] = statistics.median(r["rss_imports_mb"] for r in runs)
    mid["stages"] = {s: statistics.median(r["stages"][s] for r in runs) for s in mid["stages"]}
    mid["all_seconds"] = [r["seconds"] for r in runs]
    return mid


# --- the report -----------------------------------------------------------------------------------


def run(rows: int | None = None) -> dict[str, Any]:
    rows = rows or int(os.environ.get("BENCH_PERIOD_ROWS", ROWS))
    with tempfile.TemporaryDirectory(prefix="bench-period-") as tmp:
        t = time.perf_counter()
        gen = _generate_in_child(tmp, rows)
        print(
            f"Inventory period ({gen.rows:,} flow rows in {gen.files:,} Parquet objects, "
            f"{gen.bytes / 2**20:.0f} MB zstd; {DISTRIBUTORS:,} distributors × {PRODUCTS} products, "
            f"{gen.keys:,} pairs with flow; opening {gen.opening_rows:,} / stock-report {gen.report_rows:,} / "
            f"shipment {gen.shipment_rows:,} lines; generated in {time.perf_counter() - t:.0f} s; "
            f"each contender {RUNS}× in a fresh interpreter, interleaved)",
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in CONTENDERS}
        for _ in range(RUNS):
            for kind in CONTENDERS:
                runs[kind].append(measure(kind, gen.root))
    results = {kind: median_run(r) for kind, r in runs.items()}
    labels = {"groupby": "bare pyarrow: dataset read + group-by", "period": "InventoryService.compute + flagged"}
    floor = results["groupby"]
    print(f"{'contender':<40}{'seconds':>9}{'rows/s':>13}{'peak RSS MB':>13}{'(imports)':>11}{'× time':>9}{'× RSS':>8}")
    for kind, r in results.items():
        print(
            f"{labels[kind]:<40}{r['seconds']:>9.2f}{gen.rows / r['seconds']:>13,.0f}{r['rss_mb']:>13,.0f}"
            f"{r['rss_imports_mb']:>11,.0f}{r['seconds'] / floor['seconds']:>8.2f}x"
            f"{r['rss_mb'] / floor['rss_mb']:>7.2f}x"
        )
    for kind, r in results.items():
        parts = ", ".join(f"{s} {v:.2f}" for s, v in r["stages"].items())
        print(f"  {kind}: runs {' / '.join(f'{s:.2f}' for s in r['all_seconds'])} s; median stages (s): {parts}")
    period = results["period"]
    print(
        f"  period: {period['groups']:,} distributor × product rows ({period['batch_rows']:,} batch rows), "
        f"{period['flagged']:,} flagged ({', '.join(f'{k} {v:,}' for k, v in period['flags'].items())})"
    )
    agree = (
        floor["groups"] == gen.keys
        and floor["with_flow"] == period["with_flow"]
        and abs(floor["outbound"] - period["outbound"]) < 1e-6 * max(1.0, abs(gen.outbound))
        and abs(gen.outbound - period["outbound"]) < 1e-6 * max(1.0, abs(gen.outbound))
    )
    print(
        f"  outbound agrees with the generator ({gen.outbound:,.0f} base units, {gen.keys:,} pairs): "
        f"{'yes' if agree else 'NO'} (group-by {floor['groups']:,} pairs, {floor['with_flow']:,} with a sum ≠ 0, "
        f"{floor['outbound']:,.0f}; period {period['with_flow']:,} with outbound ≠ 0, {period['outbound']:,.0f})"
    )
    time_ratio, rss_ratio = period["seconds"] / floor["seconds"], period["rss_mb"] / floor["rss_mb"]
    above = (period["rss_mb"] - period["rss_imports_mb"]) / max(1.0, floor["rss_mb"] - floor["rss_imports_mb"])
    for goal, ok in (
        (f"period ≤ {GOAL_TIME:g}× the bare group-by's time: {time_ratio:.2f}×", time_ratio <= GOAL_TIME),
        (f"period ≤ {GOAL_RSS:g}× its peak RSS: {rss_ratio:.2f}× (above imports {above:.2f}×)", rss_ratio <= GOAL_RSS),
    ):
        print(f"  goal {goal:<66}{'PASS' if ok else 'FAIL'}")
    return results


_GENERATE = """
import json, sys
from dataclasses import asdict
from pathlib import Path
sys.path[:0] = {paths!r}
from bench.inventory_period import generate
print(json.dumps(asdict(generate(Path({root!r}), {rows!r}))))
"""


def _generate_in_child(root: str, rows: int) -> Generated:
    """Generated in its own interpreter: the parent stays free of pyarrow and of the generator's memory."""
    code = _GENERATE.format(paths=[str(ROOT / "shared"), str(ROOT)], root=root, rows=rows)
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
    out = subprocess.run([sys.executable, "-I", "-c", code], env=env, cwd="/", capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"generation failed:\n{out.stderr[-3000:]}")
    return Generated(**json.loads(out.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.inventory_period", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help=f"flow rows to generate (default {ROWS:,})")
    run(parser.parse_args().rows)
