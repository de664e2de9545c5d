"""The fuzzy pre-filter (bigram postings built column-wise) picks what the plain Python rule picks."""

import random
from collections import Counter, defaultdict

import pytest
from crm.ingest.match import POSTINGS_BUDGET, SHORTLIST, Postings, gram_code, grams


def python_postings(keys: list[str]) -> dict[str, list[int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for pos, key in enumerate(keys):
        for gram in grams(key):
            postings[gram].append(pos)
    return postings


def reference(postings: dict[str, list[int]], norm: str) -> list[int]:
    """The rule in plain Python: count the rarest bigrams' postings first (equally rare ones by code) while
    they fit the budget, keep the SHORTLIST keys counted most (ties: the key counted first)."""
    lists = sorted((g for g in grams(norm) if g in postings), key=lambda g: (len(postings[g]), gram_code(g)))
    counts: Counter[int] = Counter()
    budget = POSTINGS_BUDGET
    for gram in lists:
        if budget < len(postings[gram]) and counts:
            break
        counts.update(postings[gram])
        budget -= len(postings[gram])
    return sorted(pos for pos, _ in counts.most_common(SHORTLIST))


def names(rng: random.Random, n: int) -> list[str]:
    parts = ["杭州", "南京", "市", "区", "西湖", "康宁", "恒安", "药店", "诊所", "大药房", "第2", "分店", "a", "1"]
    return ["".join(rng.choice(parts) for _ in range(rng.randint(0, 6))) for _ in range(n)]


@pytest.mark.parametrize("seed", range(4))
def test_same_shortlist_as_the_python_rule(seed: int) -> None:
    rng = random.Random(seed)
    keys = [*names(rng, 30_000), "", "康", "康", "药药药店药药", "😀x😀x"]  # empty, one-character, repeated grams
    postings, expected = Postings.build(keys), python_postings(keys)
    for norm in [*names(rng, 40), "康", "药药", "x😀", "zz", "康宁康宁"]:
        assert postings.shortlist(norm) == reference(expected, norm), norm


def test_no_keys() -> None:
    assert Postings.build([]).shortlist("康宁") == []
