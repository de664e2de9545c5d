"""Buyer matching: only sure hits set a customer; fuzzy look-alikes become review items."""

from crm.ingest.match import CustomerIndex
from crm.ingest.model import Customer

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
