"""Rebate accrual at scale: 1,000 distributors × 500 products, a 10,000,000-row month, in one function.

The month is bench.inventory_period's (flow lines laid out as the import writes them, the stock reports and our
shipments file beside). Each distributor has an agreement in force covering all 500 products in two groups, with
a three-tier rule on verified flow (conditions: match rate and months of stock) and a per-unit rule on sell-in.
Two contenders, each in a fresh interpreter (ru_maxrss its own), three runs each, interleaved: the bare pyarrow
read + group-by of the flow rows (the floor, as in the inventory bench), and crm.rebates.vouchers.compute (every
basis read through crm.inventory.lines.read_lines over the temp dir; agreements, cases and ERP shipments
answered in process), which returns the 1,000 vouchers.

Rows: BENCH_ACCRUAL_ROWS, or `python -m bench.accrual --rows N`; default 10,000,000.
"""

import argparse
import os
import tempfile
import time
from typing import Any

from bench import inventory_period as month

RUNS = 3
GOAL_TIME = 2.0  # the accrual ≤ 2× the bare read + group-by
GOAL_RSS = 1.5  # and ≤ 1.5× its peak RSS


def agreements() -> list[Any]:
    """One agreement per distributor of the generated month, all products, two groups, two rules."""
    from crm.rebates.agreements import InForce
    from crm.rebates.model import Terms

    products = [
        {"sku": f"P{i:04d}", "group": "处方药" if i % 2 else "OTC", "price": f"{5 + (i * 37 % 200)}.5"}
        for i in range(1, month.PRODUCTS + 1)
    ]
    tiers = [
        {"threshold": "0", "percent": "1"},
        {"threshold": "5000", "percent": "2"},
        {"threshold": "9000", "percent": "3"},
    ]
    terms = Terms.model_validate(
        {
            "name": "年度协议",
            "valid_from": "2026-01",
            "valid_to": "2026-12",
            "products": products,
            "rules": [
                {
                    "name": "流向阶梯",
                    "basis": "flow",
                    "tiers": tiers,
                    "conditions": {"min_match_rate": "0.9", "max_stock_months": "3"},
                },
                {
                    "name": "进货",
                    "group": "处方药",
                    "basis": "sell_in",
                    "tiers": [{"threshold": "0", "per_unit": "0.2"}],
                },
            ],
        }
    )
    return [
        InForce(f"A{d:04d}", 1, f"D{d:04d}", f"经销商{d:04d}", "EAST", terms) for d in range(1, month.DISTRIBUTORS + 1)
    ]


def run_accrual(root: str) -> dict[str, Any]:
    """vouchers.compute over the temp dir: every voucher of the month."""
    from crm.inventory import shipments
    from crm.rebates import agreements as agreed
    from crm.rebates import cases, vouchers

    month.local_reads(root)
    in_force = agreements()
    agreed.in_force = lambda tenant_id, period, customer_ids=None: in_force  # type: ignore[assignment]
    cases.confirmed = lambda tenant_id, period: []  # type: ignore[assignment]
    shipments.of_period = lambda tenant_id, period, distributor_id=None: []  # type: ignore[assignment]
    t = time.perf_counter()
    found = vouchers.compute(month.BUCKET, month.TENANT, month.PERIOD)
    done = time.perf_counter()
    flow = [v.rules[0] for v in found]
    return {
        "seconds": done - t,
        "stages": {"compute": done - t},
        "vouchers": len(found),
        "rows": sum(r.counted.rows + r.counted.unverified_rows for r in flow),
        "verified_quantity": sum(r.quantity for r in flow),
        "net": float(sum(v.net for v in found)),
    }


def measure(kind: str, root: str) -> dict[str, Any]:
    """A contender in a fresh interpreter, through the inventory bench's harness (its floor is ours)."""
    imports = "import crm.rebates.vouchers\nfrom bench.accrual import run_accrual\nCHILDREN['accrual'] = run_accrual"
    return month.measure(kind, root, imports if kind == "accrual" else None)


def run(rows: int | None = None) -> dict[str, Any]:
    rows = rows or int(os.environ.get("BENCH_ACCRUAL_ROWS", month.ROWS))
    with tempfile.TemporaryDirectory(prefix="bench-accrual-") as tmp:
        t = time.perf_counter()
        gen = month._generate_in_child(tmp, rows)
        print(
            f"Rebate accrual ({gen.rows:,} flow rows in {gen.files:,} Parquet objects, {gen.bytes / 2**20:.0f} MB; "
            f"{month.DISTRIBUTORS:,} agreements × {month.PRODUCTS} products; generated in "
            f"{time.perf_counter() - t:.0f} s; each contender {RUNS}× in a fresh interpreter, interleaved)",
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {"groupby": [], "accrual": []}
        for _ in range(RUNS):
            for kind in runs:
                runs[kind].append(measure(kind, gen.root))
    results = {kind: month.median_run(r) for kind, r in runs.items()}
    floor, accrued = results["groupby"], results["accrual"]
    labels = {"groupby": "bare pyarrow: dataset read + group-by", "accrual": "vouchers.compute (1,000 vouchers)"}
    print(f"{'contender':<40}{'seconds':>9}{'rows/s':>13}{'peak RSS MB':>13}{'(imports)':>11}{'× time':>9}{'× RSS':>8}")
    for kind, r in results.items():
        print(
            f"{labels[kind]:<40}{r['seconds']:>9.2f}{gen.rows / r['seconds']:>13,.0f}{r['rss_mb']:>13,.0f}"
            f"{r['rss_imports_mb']:>11,.0f}{r['seconds'] / floor['seconds']:>8.2f}x"
            f"{r['rss_mb'] / floor['rss_mb']:>7.2f}x"
        )
    print(
        "  runs (s): "
        + "; ".join(f"{k} {' / '.join(f'{s:.2f}' for s in r['all_seconds'])}" for k, r in results.items())
    )
    agree = accrued["vouchers"] == month.DISTRIBUTORS and accrued["rows"] == gen.rows
    print(
        f"  every flow row counted once ({accrued['rows']:,} of {gen.rows:,}; verified quantity "
        f"{accrued['verified_quantity']:,.0f} of {gen.outbound:,.0f}), {accrued['vouchers']:,} vouchers, net "
        f"{accrued['net']:,.2f}: {'yes' if agree else 'NO'}"
    )
    time_ratio, rss_ratio = accrued["seconds"] / floor["seconds"], accrued["rss_mb"] / floor["rss_mb"]
    for goal, ok in (
        (f"accrual ≤ {GOAL_TIME:g}× the bare group-by's time: {time_ratio:.2f}×", time_ratio <= GOAL_TIME),
        (f"accrual ≤ {GOAL_RSS:g}× its peak RSS: {rss_ratio:.2f}×", rss_ratio <= GOAL_RSS),
    ):
        print(f"  goal {goal:<66}{'PASS' if ok else 'FAIL'}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.accrual", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=None, help=f"flow rows to generate (default {month.ROWS:,})")
    run(parser.parse_args().rows)
