from collections.abc import Iterator
from pathlib import Path

import pytest
from localcloud import LocalCloud

FIXTURE_TEMPLATE = Path(__file__).with_name("fixture_template.yaml")


@pytest.fixture(scope="package")
def small_cloud() -> Iterator[LocalCloud]:
    """The fixture template running on free ports, as its own stack next to any other in this process.
    Its schedules do not fire by themselves: tests fire them with run_schedule()."""
    with LocalCloud(FIXTURE_TEMPLATE, api_port=0, stack_name="lc-test", schedules=False).start() as cloud:
        yield cloud
