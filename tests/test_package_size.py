"""Every function, with its layers, fits Lambda's 250 MB (unzipped): `sam deploy` fails otherwise, and the
importers carry pyarrow (~170 MB) beside the shared layer, so one more heavy dependency would not fit."""

import pytest

from bench.package_size import LIMIT_MB, sizes

SIZES = {s.logical_id: s for s in sizes()}


@pytest.mark.parametrize("logical_id", sorted(SIZES))
def test_the_function_and_its_layers_fit_lambdas_limit(logical_id: str) -> None:
    size = SIZES[logical_id]
    assert size.total_mb < LIMIT_MB, f"{logical_id}: {size.total_mb:.0f} MB, carrying {size.largest}"


def test_the_measure_counts_what_the_importer_really_carries() -> None:
    flow_import = SIZES["FlowImportFunction"]
    assert dict(flow_import.largest).get("pyarrow", 0) > 100  # the wheel, not an empty stand-in
    assert flow_import.layers_mb > 20  # the shared layer: boto3, botocore, Powertools, pydantic, pynamodb
