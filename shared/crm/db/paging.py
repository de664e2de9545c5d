"""One page of a Query at a time, with an opaque cursor the caller cannot point elsewhere.

We call the low-level query page by page (pynamodb's iterator would keep fetching until the
limit is met, however much a filter discards); a page is bounded in reads, may come back
short, and the cursor says where to go on.
"""

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import QueryError
from pynamodb.expressions.condition import Condition
from pynamodb.models import Model

from crm.errors import BadRequest

MAX_PAGES_PER_REQUEST = 4  # bounds the reads one list request may cost when filters are selective
IN_OPERANDS = 100  # DynamoDB's most for one IN
MAX_ONE_OF = 400  # values one_of takes: its filter stays well inside DynamoDB's 4 KB per expression


def all_of(*conditions: Condition | None) -> Condition | None:
    """The conditions given (None: a filter not asked for) joined by AND; None when there are none."""
    result = None
    for condition in conditions:
        if condition is not None:
            result = condition if result is None else result & condition
    return result


def one_of(attribute: Any, values: set[str]) -> Condition:
    """attribute IN values, for up to MAX_ONE_OF values: INs of IN_OPERANDS joined by OR."""
    ordered = sorted(values)
    if not ordered or len(ordered) > MAX_ONE_OF:
        raise ValueError(f"one_of takes 1 to {MAX_ONE_OF} values, not {len(ordered)}")
    chunks = [attribute.is_in(*ordered[i : i + IN_OPERANDS]) for i in range(0, len(ordered), IN_OPERANDS)]
    condition = chunks[0]
    for chunk in chunks[1:]:
        condition |= chunk
    return condition


@dataclass
class Page[T]:
    items: list[T]
    cursor: str | None


def list_identity(*parts: Any) -> str:
    """What a cursor is bound to: the index, partition, key condition and filter of one list."""
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:16]


def encode_cursor(key: dict[str, Any] | None, identity: str = "") -> str | None:
    if not key:
        return None
    data = {"k": {k: v["S"] for k, v in key.items()}, "l": identity}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, identity: str = "") -> dict[str, Any] | None:
    """A cursor works only for the very list that gave it out, or it is refused (400).

    Otherwise a cursor from another list on the same partition (another org unit, another
    index) would reach DynamoDB, which rejects a start key outside the key condition.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadRequest("The cursor is not one this API gave out.") from exc
    if not isinstance(data, dict):  # valid base64 JSON, but a number, a list or null
        raise BadRequest("The cursor is not one this API gave out.")
    key = data.get("k")
    if (
        data.get("l") != identity
        or not isinstance(key, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in key.items())
    ):
        raise BadRequest("The cursor is not one this API gave out for this list.")
    return {k: {"S": v} for k, v in key.items()}


def offset_of(cursor: str | None, identity: str) -> int:
    """Where a page of a computed list (not a DynamoDB query) starts: 0 without a cursor."""
    key = decode_cursor(cursor, identity)
    if key is None:
        return 0
    offset = key.get("o", {}).get("S", "")
    if not (offset.isascii() and offset.isdecimal()):  # "²".isdigit() is True, and int() refuses it
        raise BadRequest("The cursor is not one this API gave out for this list.")
    return int(offset)


def offset_cursor(offset: int, total: int, identity: str) -> str | None:
    """The cursor of the page starting at `offset`, None past the end."""
    return encode_cursor({"o": {"S": str(offset)}}, identity) if offset < total else None


def _fits(start: dict[str, Any], hash_attr: str, hash_value: str) -> bool:
    """A start key shaped like the ones this list gives out: the table's keys and the index's, in its partition
    (anything else is refused by DynamoDB, or by an emulator with a 500)."""
    index_keys = {hash_attr, hash_attr.removesuffix("pk") + "sk"}
    return set(start) == {"pk", "sk"} | index_keys and start[hash_attr] == {"S": hash_value}


def query_page[M: Model](
    model: type[M],
    hash_attr: str,
    hash_value: str,
    *,
    limit: int,
    cursor: str | None,
    range_condition: Condition | None = None,
    filter_condition: Condition | None = None,
    index_name: str | None = None,
    forward: bool = True,
) -> Page[M]:
    identity = list_identity(
        model.__name__, index_name, hash_attr, hash_value, range_condition, filter_condition, forward
    )
    start = decode_cursor(cursor, identity)
    if start is not None and not _fits(start, hash_attr, hash_value):
        raise BadRequest("The cursor is not one this API gave out for this list.")
    conn = model._get_connection()
    items: list[M] = []
    for attempt in range(MAX_PAGES_PER_REQUEST):
        try:
            page = conn.query(
                hash_value,
                range_key_condition=range_condition,
                filter_condition=filter_condition,
                index_name=index_name,
                exclusive_start_key=start,
                limit=limit - len(items),  # never more than asked, so the last key is exact
                scan_index_forward=forward,
            )
        except QueryError as exc:  # a cursor made to fit this list's identity, holding a key DynamoDB refuses
            if attempt == 0 and start is not None and exc.cause_response_code == "ValidationException":
                raise BadRequest("The cursor is not one this API gave out for this list.") from None
            raise
        items.extend(model.from_raw_data(raw) for raw in page.get("Items", []))
        start = page.get("LastEvaluatedKey")
        if start is None or len(items) >= limit:
            break
    return Page(items=items, cursor=encode_cursor(start, identity))
