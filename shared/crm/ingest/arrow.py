"""Small pyarrow helpers shared by the modules of the core."""

from collections.abc import Callable
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from crm.text import normalize_name

STRING = pa.string()

# Text where Arrow's NFKC + lower-case + RE2 give exactly what crm.text.normalize_name gives: ASCII, CJK
# punctuation, CJK ideographs, full-width ASCII. Anything else (accents, Greek, compatibility ideographs...)
# goes through the Python rule itself, so the two can never disagree; tests compare them code point by code point.
ARROW_SAFE = r"^[\x00-\x7f\x{3000}-\x{303f}\x{4e00}-\x{9fff}\x{ff01}-\x{ff5e}]*$"
# Text NFKC leaves as it is: ASCII, CJK unified ideographs (no decompositions, nothing composes with them).
ARROW_PLAIN = r"^[\x00-\x7f\x{4e00}-\x{9fff}]*$"
# crm.text._DROP for that range. RE2's \s is ASCII-only and lacks \v, hence the explicit class.
ARROW_DROP = r"[\t\n\x0b\x0c\r\x1c-\x1f ()\[\]{}<>【】〔〕〈〉《》「」·•.,，。、'\"“”‘’_\-—–\x{3000}]+"


def as_dictionary(column: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray:
    """A text column as one dictionary array: as it is when it is one (the ingest reads text that way),
    else dictionary-encoded. Its dictionary may repeat a value (text cleaned per value, say)."""
    if isinstance(column, pa.ChunkedArray):
        column = column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column if pa.types.is_dictionary(column.type) else pc.dictionary_encode(column)


def dictionary_parts(column: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array | pa.ChunkedArray]:
    """(dictionary, indices) of a text column; a chunked column whose chunks share one dictionary (slices of
    one array, as the ingest's tables are) keeps its chunks: the indices are chunked alike."""
    if isinstance(column, pa.ChunkedArray) and column.num_chunks > 1 and pa.types.is_dictionary(column.type):
        first = column.chunk(0).dictionary
        shared = first.buffers()
        if all(
            c.dictionary.offset == first.offset
            and len(c.dictionary) == len(first)
            and [b and b.address for b in c.dictionary.buffers()] == [b and b.address for b in shared]
            for c in column.chunks
        ):
            return first, pa.chunked_array([c.indices for c in column.chunks], column.type.index_type)
    encoded = as_dictionary(column)
    return encoded.dictionary, encoded.indices


def repeated_text(value: str, rows: int) -> pa.DictionaryArray:
    """value on every row, as a text column (one dictionary entry)."""
    return pa.DictionaryArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), rows), pa.array([value], pa.string()))


def dictionary_rows(indices: pa.Array | pa.ChunkedArray, values: pa.Array) -> pa.DictionaryArray | pa.ChunkedArray:
    """Rows pointing into values, chunked as the indices are."""
    if isinstance(indices, pa.ChunkedArray):
        chunks = [pa.DictionaryArray.from_arrays(i, values) for i in indices.chunks]
        return pa.chunked_array(chunks, pa.dictionary(indices.type, values.type))
    return pa.DictionaryArray.from_arrays(indices, values)


class Distinct:
    """A column as its distinct values plus each row's index into them: compute on the few values, then
    spread the results to the rows. Flow columns repeat a lot (31 dates, a few hundred products, one
    name per buyer), so per-value work (NFKC, date parsing, regexes) shrinks by orders of magnitude."""

    def __init__(self, column: pa.Array | pa.ChunkedArray) -> None:
        self.values, self.indices = dictionary_parts(column)

    def spread(self, per_value: pa.Array) -> pa.Array | pa.ChunkedArray:
        """Row i gets per_value[index of row i's value]; a null row gets null."""
        return pc.take(per_value, self.indices)

    def rows(self, per_value: pa.Array) -> pa.DictionaryArray | pa.ChunkedArray:
        """per_value for the rows without copying it per row: the rows' indices over it as the dictionary."""
        return dictionary_rows(self.indices, per_value)


def clean_text(column: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray | pa.ChunkedArray:
    """NFKC (full-width digits and letters → ASCII) and trimmed; null stays null. Per distinct value: the
    result is dictionary-encoded (rows keep their indices; two spellings may clean to one text)."""
    distinct = Distinct(column)
    return distinct.rows(pc.utf8_trim_whitespace(nfkc(distinct.values)))


CHUNK_ROWS = 1 << 18


def in_chunks(table: pa.Table) -> pa.Table:
    """The table as zero-copy slices of CHUNK_ROWS rows: what a kernel makes of a column (a filter, a take,
    a comparison decoding a dictionary) is then allocated a slice at a time, in memory the allocator reuses,
    not a whole fresh column at once."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=CHUNK_ROWS), table.schema)


def unique_values(column: pa.Array | pa.ChunkedArray) -> pa.DictionaryArray | pa.ChunkedArray:
    """The same text with each value once in the dictionary (for output: readers may group by it)."""
    dictionary, indices = dictionary_parts(column)
    values = pc.dictionary_encode(dictionary)
    if len(values.dictionary) == len(dictionary):
        return dictionary_rows(indices, dictionary)
    return dictionary_rows(pc.take(values.indices, indices), values.dictionary)


def map_unique(column: pa.Array | pa.ChunkedArray, fn: Callable[[str], Any], type_: pa.DataType = STRING) -> pa.Array:
    """Apply a Python function once per distinct value, then spread the results back column-wise.

    The way to reuse Python rules (normalize_name) without a loop per row: distinct values are few.
    """
    distinct = Distinct(column)
    return distinct.spread(pa.array([None if v is None else fn(v) for v in distinct.values.to_pylist()], type_))


def mask_or(masks: list[pa.Array], like: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """OR of masks (null counts as False); all False, as long as `like`, when there are none."""
    result = pc.and_(pc.is_null(like), pc.is_valid(like))  # all False
    for mask in masks:
        result = pc.or_(result, pc.fill_null(mask, False))
    return result


def normalize_names(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """crm.text.normalize_name for a whole column: in Arrow where that is exact, in Python elsewhere.

    Text of ASCII and CJK ideographs only (most names) is what NFKC makes of it: only the rest is normalised.
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    plain = nfkc_invariant(column)
    names = pc.ascii_lower(pc.replace_substring_regex(column, ARROW_DROP, ""))  # right for the plain ones
    if pc.all(plain).as_py() is not False:
        return names
    rest = column.filter(pc.invert(plain))
    fast = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_normalize(rest, form="NFKC"), ARROW_DROP, ""))
    unsafe = pc.invert(pc.fill_null(pc.match_substring_regex(rest, ARROW_SAFE), True))
    if pc.any(unsafe).as_py():
        fast = pc.replace_with_mask(fast, unsafe, map_unique(rest.filter(unsafe), normalize_name))
    return pc.replace_with_mask(names, pc.invert(plain), fast)


def nfkc_invariant(values: pa.Array) -> pa.Array:
    """True where NFKC changes nothing for sure: ASCII and CJK unified ideographs only (null counts as True)."""
    return pc.fill_null(pc.match_substring_regex(values, ARROW_PLAIN), True)


def nfkc(values: pa.Array) -> pa.Array:
    """utf8_normalize NFKC, run on the values that need it only."""
    if pc.all(pc.string_is_ascii(values)).as_py() is not False:  # the cheapest check first
        return values
    plain = nfkc_invariant(values)
    if pc.all(plain).as_py() is not False:
        return values
    changed = pc.utf8_normalize(values.filter(pc.invert(plain)), form="NFKC")
    return pc.replace_with_mask(values, pc.invert(plain), changed)
