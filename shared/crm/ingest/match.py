"""Buyer names → customers. Only sure hits are accepted; everything else waits for a person.

Order: registered name as written (exact) → normalised name (normalized) → the distributor's own
aliases, then the tenant's (alias). A key that fits several customers is not a sure hit either.
Fuzzy scores only rank candidates for the review queue; they never set a customer id.
"""

import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from crm.ingest.arrow import dictionary_parts, dictionary_rows, normalize_names
from crm.ingest.model import Candidate, Customer, MatchKind, ReviewItem
from crm.text import normalize_name

FUZZY_CUTOFF = 60.0  # below this a candidate only distracts the reviewer
SAME_CITY_BONUS = 5.0  # "prefer same city": enough to reorder close scores, not to lift a weak one
FULL_SCAN_CHOICES = 2000  # up to this many choices every one is scored; above, a bigram pre-filter picks a shortlist
SHORTLIST = 400  # choices scored per name after the pre-filter (those sharing the most rare bigrams)
POSTINGS_BUDGET = 20000  # bigram postings counted per name; the rarest bigrams are counted first


NO_CHAR = 0x1FFFFF  # above every code point: the second half of a one-character text's gram


def grams(text: str) -> set[str]:
    """Character bigrams (a one-character text is its own gram): the pre-filter's unit of overlap."""
    return {text[i : i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


def gram_code(gram: str) -> int:
    """A gram as one integer: its two code points side by side (21 bits each)."""
    return (ord(gram[0]) << 21 | (ord(gram[1]) if len(gram) > 1 else NO_CHAR)) if gram else NO_CHAR << 21 | NO_CHAR


@dataclass(frozen=True)
class Postings:
    """bigram → positions in keys, for every gram at once: `positions` grouped by gram, each group in key
    order, and per gram code its (start, end) in them."""

    positions: pa.Array
    spans: dict[int, tuple[int, int]]

    @classmethod
    def build(cls, keys: list[str]) -> "Postings":
        """Column-wise: every key's code points in one array, a gram per pair of neighbours in one key."""
        lengths = [len(k) for k in keys]
        points = "".join(keys).encode("utf-32-le")
        chars = pa.Array.from_buffers(pa.uint32(), len(points) // 4, [None, pa.py_buffer(points)])
        ends = pa.array([0, *itertools.accumulate(lengths)], pa.int64())
        owner = pc.cast(pc.list_parent_indices(pa.LargeListArray.from_arrays(ends, chars)), pa.int32())
        n = len(chars)
        pair = pc.equal(owner.slice(0, n - 1), owner.slice(1)) if n > 1 else pa.array([], pa.bool_())
        first, second = (pc.cast(chars.slice(i, n - 1 if n else 0), pa.int64()) for i in (0, 1 if n else 0))
        codes = pc.bit_wise_or(pc.shift_left(first, 21), second).filter(pair)
        owners = owner.slice(0, max(n - 1, 0)).filter(pair)
        short = [(pos, key) for pos, key in enumerate(keys) if len(key) < 2]  # their own gram
        if short:
            codes = pa.concat_arrays([codes, pa.array([gram_code(k) for _, k in short], pa.int64())])
            owners = pa.concat_arrays([owners, pa.array([pos for pos, _ in short], pa.int32())])
        grams_ = pc.dictionary_encode(codes)  # few distinct grams: small ids, sorted by counting
        order = pc.sort_indices(grams_.indices)  # stable: each gram's positions stay in key order
        ids, owners = pc.take(grams_.indices, order), pc.take(owners, order)
        if len(ids) > 1:  # a gram twice in one key counts once (grams() is a set)
            again = pc.and_(
                pc.equal(ids.slice(1), ids.slice(0, len(ids) - 1)),
                pc.equal(owners.slice(1), owners.slice(0, len(ids) - 1)),
            )
            keep = pa.concat_arrays([pa.array([True]), pc.invert(again)])
            ids, owners = ids.filter(keep), owners.filter(keep)
        runs = pc.run_end_encode(ids)
        run_ends, run_ids = runs.run_ends.to_pylist(), runs.values.to_pylist()
        code_of = grams_.dictionary.to_pylist()
        starts = [0, *run_ends][: len(run_ends)]
        spans = {code_of[g]: (start, end) for g, start, end in zip(run_ids, starts, run_ends, strict=True)}
        return cls(owners, spans)

    def shortlist(self, norm: str) -> list[int]:
        """Positions of the keys sharing the most bigrams with norm: the rarest bigrams' postings are counted
        first (equally rare ones by code), while they fit POSTINGS_BUDGET (at least one); ties go to the key
        counted first."""
        found = [(code, self.spans[code]) for code in map(gram_code, grams(norm)) if code in self.spans]
        chosen: list[tuple[int, Any]] = []
        budget = POSTINGS_BUDGET
        for _, (start, end) in sorted(found, key=lambda f: (f[1][1] - f[1][0], f[0])):
            if budget < end - start and chosen:
                break
            chosen.append(self.positions.slice(start, end - start))
            budget -= end - start
        if not chosen:
            return []
        counted = pc.value_counts(pa.concat_arrays(chosen))  # in order of first appearance
        positions, counts = counted.field("values"), counted.field("counts")
        if len(positions) > SHORTLIST:  # the SHORTLIST most shared; the stable sort keeps ties in first-seen order
            positions = pc.take(positions, pc.array_sort_indices(counts, order="descending").slice(0, SHORTLIST))
        return sorted(positions.to_pylist())


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    customer_id: str | None
    ambiguous: bool = False


AMBIGUOUS = "\x00ambiguous"  # a lookup key that fits several customers: never a customer id


def lookup(keys: pa.Array, ids: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(distinct non-empty keys, the one customer id of each or AMBIGUOUS), for pc.index_in + pc.take."""
    pairs = pa.table({"key": keys, "id": ids}).filter(pc.not_equal(keys, ""))
    if len(pc.unique(pairs["key"])) == pairs.num_rows:  # usually: every key is one customer's (no null: filtered)
        return pairs["key"].combine_chunks(), pairs["id"].combine_chunks().cast(pa.string())
    groups = pairs.group_by("key", use_threads=False).aggregate([("id", "count_distinct"), ("id", "min")])
    one = pc.equal(groups["id_count_distinct"], 1)
    return groups["key"].combine_chunks(), pc.if_else(one, groups["id_min"], AMBIGUOUS).combine_chunks()


@dataclass(frozen=True)
class Lookups:
    rules: list[tuple[MatchKind, bool, pa.Array, pa.Array]]  # (kind, on normalised names?, keys, ids), in order
    exact_norms: pa.Array  # the normalised name of each exact key
    choices: pa.Array  # fuzzy choices: every normalised name and alias...
    choice_ids: pa.Array  # ...and the customer each points at


class CustomerIndex:
    """Lookup tables over the tenant's customers, as Arrow arrays; build once per load (or cache per tenant).

    Matching is column-wise (index_in per rule), so a load with 100,000 distinct spellings costs a few
    Arrow calls, not 100,000 Python lookups. The tables are built on first use (or by prepare(), on whichever
    thread calls it); the fuzzy pre-filter only when a name needs it.
    """

    def __init__(self, customers: Iterable[Customer], distributor_aliases: Mapping[str, str] | None = None) -> None:
        self.customers = {c.id: c for c in customers}
        self.distributor_aliases = dict(distributor_aliases or {})

    def prepare(self) -> None:
        """Build the lookup tables now, not on the first match."""
        _ = self.lookups

    @cached_property
    def lookups(self) -> Lookups:
        ids = pa.array(list(self.customers), pa.string())
        names = pa.array([c.name for c in self.customers.values()], pa.string())
        alias_ids = pa.array([c.id for c in self.customers.values() for _ in c.aliases], pa.string())
        alias_names = normalize_names(pa.array([a for c in self.customers.values() for a in c.aliases], pa.string()))
        own = self.distributor_aliases
        norms = normalize_names(names)
        rules: list[tuple[MatchKind, bool, pa.Array, pa.Array]] = [
            ("exact", False, *lookup(names, ids)),
            ("normalized", True, *lookup(norms, ids)),
            ("alias", True, *lookup(normalize_names(pa.array(list(own), pa.string())), pa.array(list(own.values())))),
            ("alias", True, *lookup(alias_names, alias_ids)),
        ]
        # A spelling that is a registered name needs no normalising: its normalised name is known.
        exact_norms = pc.take(norms, pc.index_in(rules[0][2], value_set=names))
        return Lookups(rules, exact_norms, pa.concat_arrays([norms, alias_names]), pa.concat_arrays([ids, alias_ids]))

    @property
    def rules(self) -> list[tuple[MatchKind, bool, pa.Array, pa.Array]]:
        return self.lookups.rules

    @cached_property
    def keys(self) -> list[str]:
        """The fuzzy choices as Python text, for rapidfuzz."""
        return self.lookups.choices.to_pylist()

    @cached_property
    def key_ids(self) -> list[str]:
        return self.lookups.choice_ids.to_pylist()

    def resolve(self, spellings: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        """For each spelling: (normalised name, customer id or null, match kind, ambiguous?).

        Each rule looks up only the spellings no earlier rule found; only spellings that are not a registered
        name as written are normalised (a registered name's normalised form is known)."""
        (rule_kind, _, keys, ids), *rules = self.lookups.rules  # the first: exact, the spelling as written
        position = pc.index_in(spellings, value_set=keys)
        exact = pc.is_valid(position)
        norms = pc.take(self.lookups.exact_norms, position)
        if pc.any(pc.invert(exact)).as_py():
            norms = pc.replace_with_mask(norms, pc.invert(exact), normalize_names(spellings.filter(pc.invert(exact))))
        found = pc.take(ids, position)
        none = pa.scalar(None, pa.string())
        kind = pc.if_else(exact, rule_kind, none)
        for rule_kind, normalised, keys, ids in rules:
            todo = pc.is_null(found)
            if not pc.any(todo).as_py():
                break
            hit = pc.take(ids, pc.index_in((norms if normalised else spellings).filter(todo), value_set=keys))
            found = pc.replace_with_mask(found, todo, hit)
            kind = pc.replace_with_mask(kind, todo, pc.if_else(pc.is_valid(hit), rule_kind, none))
        usable = pc.fill_null(pc.not_equal(norms, ""), False)
        ambiguous = pc.and_(usable, pc.fill_null(pc.equal(found, AMBIGUOUS), False))
        sure = pc.and_(pc.and_(usable, pc.is_valid(found)), pc.invert(ambiguous))
        customer_id = pc.if_else(sure, found, pa.scalar(None, pa.string()))
        return norms, customer_id, pc.if_else(sure, kind, "unknown"), ambiguous

    def match(self, name: str) -> Match:
        """One name through the same rules (for callers with a single name at hand)."""
        _, customer_id, kind, ambiguous = self.resolve(pa.array([name], pa.string()))
        return Match(kind[0].as_py(), customer_id[0].as_py(), ambiguous[0].as_py())

    @cached_property
    def postings(self) -> Postings:
        """The fuzzy pre-filter, built the first time a name needs candidates."""
        return Postings.build(self.keys)

    def prepare_candidates(self) -> None:
        """Build the fuzzy pre-filter now, not on the first candidates() call."""
        if len(self.keys) > FULL_SCAN_CHOICES:
            _ = self.postings, self.key_ids

    def shortlist(self, norm: str) -> list[int] | None:
        """Positions of the keys sharing the most (rarest-first) bigrams with norm; None means score all."""
        if len(self.keys) <= FULL_SCAN_CHOICES:
            return None
        return self.postings.shortlist(norm)

    def candidates(self, name: str, address: str = "", limit: int = 5) -> tuple[Candidate, ...]:
        """Top fuzzy candidates, best first, one per customer; same-city customers get a small bonus."""
        norm = normalize_name(name)
        if not norm or not self.keys:
            return ()
        positions = self.shortlist(norm)
        keys = self.keys if positions is None else [self.keys[p] for p in positions]
        hits = process.extract(
            norm, keys, scorer=fuzz.WRatio, processor=None, limit=limit * 4, score_cutoff=FUZZY_CUTOFF
        )
        best: dict[str, Candidate] = {}
        for _, score, i in hits:
            pos = i if positions is None else positions[i]
            customer = self.customers[self.key_ids[pos]]
            same_city = bool(customer.city) and (customer.city in name or customer.city in address)
            boosted = min(100.0, score + (SAME_CITY_BONUS if same_city else 0.0))
            if customer.id not in best or best[customer.id].score < boosted:
                best[customer.id] = Candidate(customer.id, customer.name, round(boosted, 1), same_city)
        return tuple(sorted(best.values(), key=lambda c: (-c.score, c.customer_id))[:limit])


@dataclass(frozen=True)
class Buyers:
    """A buyer column resolved once per distinct spelling (CustomerIndex.resolve): rows index the spellings."""

    rows: pa.Array | pa.ChunkedArray
    norms: pa.Array
    customer_id: pa.Array
    kind: pa.Array
    ambiguous: pa.Array

    def unmatched(self) -> dict[str, bool]:
        """Per normalised unmatched name, whether it was ambiguous (spellings no row has any more, too:
        review_items asks by name)."""
        unknown = pc.equal(self.kind, "unknown")
        names, ambiguous = self.norms.filter(unknown).to_pylist(), self.ambiguous.filter(unknown).to_pylist()
        return dict(zip(names, ambiguous, strict=True))


def resolve_buyers(column: pa.Array | pa.ChunkedArray, index: CustomerIndex) -> Buyers:
    spellings, rows = dictionary_parts(column)
    return Buyers(rows, *index.resolve(spellings))


def match_buyers(
    table: pa.Table, index: CustomerIndex, buyers: Buyers | None = None
) -> tuple[pa.Table, dict[str, bool]]:
    """Adds buyer_name_normalized, customer_id, match_kind; resolved once per distinct spelling, not per row.

    buyers: the table's buyer_name resolved already (resolve_buyers of it, or of a column with the same rows).
    The new columns are dictionary-encoded: the rows' indices into the per-spelling (for the normalised name,
    per distinct name) results. Returns the table and Buyers.unmatched().
    """
    buyers = buyers or resolve_buyers(table["buyer_name"], index)
    names = pc.dictionary_encode(buyers.norms)  # spellings that normalise alike share one entry
    spread = {
        "buyer_name_normalized": dictionary_rows(pc.take(names.indices, buyers.rows), names.dictionary),
        "customer_id": dictionary_rows(buyers.rows, buyers.customer_id),
        "match_kind": dictionary_rows(buyers.rows, buyers.kind),
    }
    for name, values in spread.items():
        table = table.append_column(name, values)
    return table, buyers.unmatched()


def review_items(table: pa.Table, index: CustomerIndex, ambiguous: dict[str, bool]) -> tuple[ReviewItem, ...]:
    """One item per unmatched normalised name: rows, base quantity and candidates for the reviewer."""
    address = "buyer_address" if "buyer_address" in table.column_names else "buyer_name"
    columns = {"buyer_name_normalized", "buyer_name", address, "base_quantity"}
    kinds, rows = dictionary_parts(table["match_kind"])
    unknown_rows = pc.take(pc.equal(kinds, "unknown"), rows)  # decided per kind, not per row's text
    unknown = table.select(list(columns)).filter(unknown_rows)  # only what is needed
    if unknown.num_rows == 0:
        return ()
    unknown = pa.table({c: unknown[c].cast(pa.string()) if c != "base_quantity" else unknown[c] for c in columns})
    groups = unknown.group_by("buyer_name_normalized", use_threads=False).aggregate(
        [("buyer_name", "first"), (address, "first"), ("base_quantity", "sum"), ("base_quantity", "count")]
    )
    items = [
        ReviewItem(
            buyer_name=g["buyer_name_first"].strip(),
            normalized_name=g["buyer_name_normalized"],
            row_count=g["base_quantity_count"],
            base_quantity=g["base_quantity_sum"],
            candidates=index.candidates(g["buyer_name_first"], g[f"{address}_first"] or ""),
            ambiguous=ambiguous.get(g["buyer_name_normalized"], False),
        )
        for g in groups.to_pylist()
    ]
    return tuple(sorted(items, key=lambda i: (-i.row_count, i.normalized_name)))
