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


STORABLE = AfterValidator(_stored)


def within(ge: float, le: float, description: str | None = None) -> Any:
    """The bounds of a measure: `Annotated[float, within(ge, le), STORABLE]` is a float from ge to le, storable
    as it is (spelled out at each use, so type checkers see a type alias)."""
    return Field(ge=ge, le=le, allow_inf_nan=False, description=description)


Lat = Annotated[float, within(-90, 90, "WGS84 latitude, degrees"), STORABLE]
Lng = Annotated[float, within(-180, 180, "WGS84 longitude, degrees"), STORABLE]
