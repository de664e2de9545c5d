"""Buyer matching: only sure hits set a customer; fuzzy look-alikes become review items."""

import pyarrow as pa
from crm.ingest.match import AMBIGUOUS, CustomerIndex
from crm.ingest.model import Customer
from crm.text import normalize_name

from .conftest import CUSTOMERS, Ingest


def flow(*buyers: str) -> bytes:
    lines = ["销售日期,商品编码,数量,单位,客户名称,客户地址"]
    lines += [f"2026-10-0{i + 1},P1001,2,盒,{b},南京市鼓楼区中山路1号" for i, b in enumerate(buyers)]
    return ("\n".join(lines) + "\n").encode()


def test_match_kinds() -> None:
    index = CustomerIndex(CUSTOMERS)
    assert index.match("南京市鼓楼区恒安医院").kind == "exact"
    assert index.match(" 南京市 鼓楼区恒安医院　").kind == "normalized"
    assert index.match("杭州市西湖区康宁诊所（西湖店）").kind == "normalized"
    assert index.match("杭州康宁诊所").kind == "alias"
    assert index.match("").kind == "unknown"


def test_fuzzy_name_is_a_review_item_not_a_match(ingest: Ingest) -> None:
    result = ingest(flow("南京市鼓楼区恒安医院", "南京鼓楼恒安医院", "南京鼓楼恒安医院"))
    kinds = result.lines.select(["customer_id", "match_kind"]).to_pylist()
    assert kinds[0] == {"customer_id": "T2", "match_kind": "exact"}
    assert kinds[1:] == [{"customer_id": None, "match_kind": "unknown"}] * 2
    (item,) = result.review
    assert (item.buyer_name, item.row_count, item.base_quantity) == ("南京鼓楼恒安医院", 2, 4.0)
    assert item.candidates[0].customer_id == "T2"
    assert item.candidates[0].same_city and 60 <= item.candidates[0].score <= 100


def test_distributor_alias_wins_over_tenant_alias() -> None:
    customers = [*CUSTOMERS, Customer("T3", "杭州市康宁大药房", "杭州", ("康宁",))]
    tenant_only = CustomerIndex(customers)
    assert tenant_only.match("康宁").customer_id == "T3"
    index = CustomerIndex(customers, distributor_aliases={"康宁": "T1"})
    assert index.match("康宁").customer_id == "T1"


def test_ambiguous_alias_is_never_guessed(ingest: Ingest) -> None:
    customers = [Customer("A", "甲诊所", "杭州", ("康宁",)), Customer("B", "乙诊所", "南京", ("康宁",))]
    result = ingest(flow("康宁"), customers=CustomerIndex(customers))
    assert result.lines.column("customer_id").to_pylist() == [None]
    assert result.review[0].ambiguous


def test_resolve_is_the_rules_in_order() -> None:
    """Column-wise resolution (each rule on what earlier ones left) gives what applying every rule to every
    spelling and taking the first hit gives, ambiguous keys included."""
    customers = [
        *CUSTOMERS,
        Customer("T3", "杭州市康宁大药房", "杭州", ("康宁", "恒安")),
        Customer("T4", "杭州市康宁大药房", "杭州"),  # the same registered name twice: ambiguous as written
        Customer("T5", "乙诊所", "南京", ("康宁",)),  # an alias two customers share
        Customer("T6", "（丙）诊所", "南京", ("丁诊所",)),
    ]
    index = CustomerIndex(customers, distributor_aliases={"恒安": "T2", "丙诊所": "T5"})
    written = [" 南京市 鼓楼区恒安医院　", "杭州市康宁大药房 ", "恒安", "丙诊所", "(丙)诊所"]
    written += ["ＡＢＣ", "", "　", "无名"]
    spellings = [c.name for c in customers] + [a for c in customers for a in c.aliases] + written
    norms, customer_id, kind, ambiguous = index.resolve(pa.array(spellings, pa.string()))
    expected = []
    for spelling in spellings:
        norm = normalize_name(spelling)
        found, how = None, "unknown"
        for rule_kind, normalised, keys, ids in index.rules:
            table = dict(zip(keys.to_pylist(), ids.to_pylist(), strict=True))
            key = norm if normalised else spelling
            if key in table:
                found, how = table[key], rule_kind
                break
        unsure = norm == "" or found is None or found == AMBIGUOUS
        ambiguous_ = norm != "" and found == AMBIGUOUS
        expected.append((norm, None if unsure else found, "unknown" if unsure else how, ambiguous_))
    got = zip(norms.to_pylist(), customer_id.to_pylist(), kind.to_pylist(), ambiguous.to_pylist(), strict=True)
    assert list(got) == expected
