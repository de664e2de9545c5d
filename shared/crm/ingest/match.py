"""Buyer names → customers. Only sure hits are accepted; everything else waits for a person.

Order: registered name as written (exact) → normalised name (normalized) → the distributor's own
aliases, then the tenant's (alias). A key that fits several customers is not a sure hit either.
Fuzzy scores only rank candidates for the review queue; they never set a customer id.
"""

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from crm.ingest.model import Candidate, Customer, MatchKind, ReviewItem
from crm.text import normalize_name

FUZZY_CUTOFF = 60.0  # below this a candidate only distracts the reviewer
SAME_CITY_BONUS = 5.0  # "prefer same city": enough to reorder close scores, not to lift a weak one
FULL_SCAN_CHOICES = 2000  # up to this many choices every one is scored; above, a bigram pre-filter picks a shortlist
SHORTLIST = 400  # choices scored per name after the pre-filter (those sharing the most rare bigrams)
POSTINGS_BUDGET = 20000  # bigram postings counted per name; the rarest bigrams are counted first


def grams(text: str) -> set[str]:
    """Character bigrams (a one-character text is its own gram): the pre-filter's unit of overlap."""
    return {text[i : i + 2] for i in range(len(text) - 1)} if len(text) > 1 else {text}


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    customer_id: str | None
    ambiguous: bool = False


class CustomerIndex:
    """Lookup tables over the tenant's customers; build once per load (or cache per tenant)."""

    def __init__(self, customers: Iterable[Customer], distributor_aliases: Mapping[str, str] | None = None) -> None:
        self.customers = {c.id: c for c in customers}
        self.by_name: dict[str, set[str]] = defaultdict(set)
        self.by_norm: dict[str, set[str]] = defaultdict(set)
        self.tenant_aliases: dict[str, set[str]] = defaultdict(set)
        self.distributor_aliases: dict[str, set[str]] = defaultdict(set)
        for c in self.customers.values():
            self.by_name[c.name].add(c.id)
            self.by_norm[normalize_name(c.name)].add(c.id)
            for alias in c.aliases:
                self.tenant_aliases[normalize_name(alias)].add(c.id)
        for alias, customer_id in (distributor_aliases or {}).items():
            self.distributor_aliases[normalize_name(alias)].add(customer_id)
        # Fuzzy choices: every normalised name and alias, each pointing at its customer.
        self.choices: list[tuple[str, str]] = [
            (k, i) for table in (self.by_norm, self.tenant_aliases) for k, ids in table.items() for i in ids
        ]
        self.keys: list[str] = [k for k, _ in self.choices]  # built once, not per candidates() call
        self.postings: dict[str, list[int]] = defaultdict(list)  # bigram → positions in choices
        if len(self.choices) > FULL_SCAN_CHOICES:
            for pos, key in enumerate(self.keys):
                for gram in grams(key):
                    self.postings[gram].append(pos)

    def shortlist(self, norm: str) -> list[int] | None:
        """Positions of the choices sharing the most (rarest-first) bigrams with norm; None means score all."""
        if len(self.choices) <= FULL_SCAN_CHOICES:
            return None
        lists = sorted((self.postings[g] for g in grams(norm) if g in self.postings), key=len)
        counts: Counter[int] = Counter()
        budget = POSTINGS_BUDGET
        for positions in lists:
            if budget < len(positions) and counts:
                break
            counts.update(positions)  # C-speed counting
            budget -= len(positions)
        return sorted(pos for pos, _ in counts.most_common(SHORTLIST))

    def match(self, name: str, norm: str | None = None) -> Match:
        """norm: normalize_name(name), when the caller already has it."""
        norm = normalize_name(name) if norm is None else norm
        if not norm:
            return Match("unknown", None)
        steps: list[tuple[MatchKind, set[str]]] = [
            ("exact", self.by_name.get(name, set())),
            ("normalized", self.by_norm.get(norm, set())),
            ("alias", self.distributor_aliases.get(norm, set())),
            ("alias", self.tenant_aliases.get(norm, set())),
        ]
        for kind, ids in steps:
            if len(ids) == 1:
                return Match(kind, next(iter(ids)))
            if len(ids) > 1:
                return Match("unknown", None, ambiguous=True)  # never guess between two customers
        return Match("unknown", None)

    def candidates(self, name: str, address: str = "", limit: int = 5) -> tuple[Candidate, ...]:
        """Top fuzzy candidates, best first, one per customer; same-city customers get a small bonus."""
        norm = normalize_name(name)
        if not norm or not self.choices:
            return ()
        positions = self.shortlist(norm)
        keys = self.keys if positions is None else [self.keys[p] for p in positions]
        hits = process.extract(
            norm, keys, scorer=fuzz.WRatio, processor=None, limit=limit * 4, score_cutoff=FUZZY_CUTOFF
        )
        best: dict[str, Candidate] = {}
        for _, score, i in hits:
            pos = i if positions is None else positions[i]
            customer = self.customers[self.choices[pos][1]]
            same_city = bool(customer.city) and (customer.city in name or customer.city in address)
            boosted = min(100.0, score + (SAME_CITY_BONUS if same_city else 0.0))
            if customer.id not in best or best[customer.id].score < boosted:
                best[customer.id] = Candidate(customer.id, customer.name, round(boosted, 1), same_city)
        return tuple(sorted(best.values(), key=lambda c: (-c.score, c.customer_id))[:limit])


def match_buyers(table: pa.Table, index: CustomerIndex) -> tuple[pa.Table, dict[str, bool]]:
    """Adds buyer_name_normalized, customer_id, match_kind; one lookup per distinct spelling, not per row.

    Returns the table and, per normalised unmatched name, whether it was ambiguous.
    """
    encoded = pc.dictionary_encode(table["buyer_name"]).combine_chunks()
    spellings = encoded.dictionary.to_pylist()
    norms = [normalize_name(s) for s in spellings]  # once per distinct spelling, shared with match()
    matches = [index.match(s, n) for s, n in zip(spellings, norms, strict=True)]
    spread = {
        "buyer_name_normalized": pa.array(norms, pa.string()),
        "customer_id": pa.array([m.customer_id for m in matches], pa.string()),
        "match_kind": pa.array([m.kind for m in matches], pa.string()),
    }
    for name, values in spread.items():
        table = table.append_column(name, pc.take(values, encoded.indices))
    ambiguous = {n: m.ambiguous for n, m in zip(norms, matches, strict=True) if m.kind == "unknown"}
    return table, ambiguous


def review_items(table: pa.Table, index: CustomerIndex, ambiguous: dict[str, bool]) -> tuple[ReviewItem, ...]:
    """One item per unmatched normalised name: rows, base quantity and candidates for the reviewer."""
    unknown = table.filter(pc.equal(table["match_kind"], "unknown"))
    if unknown.num_rows == 0:
        return ()
    address = "buyer_address" if "buyer_address" in unknown.column_names else "buyer_name"
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
