"""Numbers clients send as JSON numbers (coordinates, quantities, percentages), kept to what DynamoDB stores.

DynamoDB refuses a magnitude below 1e-130 (a 500 that a client's 1e-300 could provoke); nine decimals are finer than
anything measured here (the ninth decimal of a coordinate is a tenth of a millimetre), so a value is rounded to
them, and infinities and NaN are refused.
"""

from typing import Annotated, Any

from pydantic import AfterValidator, Field

DECIMALS = 9


def _stored(value: float) -> float:
    return round(value, DECIMALS) + 0.0  # + 0.0: -0.0 becomes 0.0


def measure(ge: float, le: float, description: str | None = None) -> Any:
    """A float from ge to le, storable as it is."""
    return Annotated[float, Field(ge=ge, le=le, allow_inf_nan=False, description=description),
                     AfterValidator(_stored)]


Lat = measure(-90, 90, "WGS84 latitude, degrees")
Lng = measure(-180, 180, "WGS84 longitude, degrees")
