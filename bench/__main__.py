"""`python -m bench`: package sizes, cold import of every API function, the warm customers API on DynamoDB Local,
flow ingest, an inventory period, a month's rebate accrual, a list export, a customer import, the web console and
the reps' phone app in a browser."""

import platform
import sys

from bench import (
    accrual,
    cold_import,
    console,
    customer_import,
    flow_ingest,
    inventory_period,
    list_export,
    package_size,
    rep_app,
    warm_api,
)


def main() -> None:
    print(
        f"Channel CRM benchmarks (Python {platform.python_version()}, {platform.machine()}); "
        "numbers are for comparison within this run only\n"
    )
    package_size.run()
    print()
    cold_import.run()
    print()
    warm_api.run()
    print()
    flow_ingest.run()
    print()
    inventory_period.run()
    print()
    accrual.run()
    print()
    list_export.run()
    print()
    customer_import.run()
    print()
    console.run()
    print()
    rep_app.run()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
