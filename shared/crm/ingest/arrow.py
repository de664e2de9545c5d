"""Small pyarrow helpers shared by the modules of the core."""

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

STRING = pa.string()


def clean_text(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """NFKC (full-width digits and letters → ASCII) and trimmed; null stays null."""
    return pc.utf8_trim_whitespace(pc.utf8_normalize(column, form="NFKC"))


def map_unique(column: pa.Array | pa.ChunkedArray, fn: Callable[[str], Any], type_: pa.DataType = STRING) -> pa.Array:
    """Apply a Python function once per distinct value, then spread the results back column-wise.

    The way to reuse Python rules (normalize_name) without a loop per row: distinct values are few.
    """
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    values = pa.array([None if v is None else fn(v) for v in encoded.dictionary.to_pylist()], type_)
    return pc.take(values, encoded.indices)


def mask_or(masks: list[pa.Array], like: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """OR of masks (null counts as False); all False, as long as `like`, when there are none."""
    result = pc.and_(pc.is_null(like), pc.is_valid(like))  # all False
    for mask in masks:
        result = pc.or_(result, pc.fill_null(mask, False))
    return result
