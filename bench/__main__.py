"""`python -m bench`: cold import of every API function, then the warm customers API on DynamoDB Local."""

import platform
import sys

from bench import cold_import, warm_api


def main() -> None:
    print(f"Channel CRM benchmarks (Python {platform.python_version()}, {platform.machine()}); "
          "numbers are for comparison within this run only\n")
    cold_import.run()
    print()
    warm_api.run()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
