"""Pure rules, no AWS: name normalisation, who may do what, scope, cursors, ETags, audit diffs."""

import pytest
from crm.api.http import required_version
from crm.audit import diff
from crm.auth import Role, Scope, principal_from_claims, require, scope_for
from crm.db.paging import decode_cursor, encode_cursor, list_identity, offset_cursor, offset_of
from crm.errors import BadRequest, Forbidden, PreconditionFailed, PreconditionRequired
from crm.ids import is_ulid, new_id, stable_id
from crm.text import normalize_name


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("杭州市西湖区康宁诊所（西湖店）", "杭州市西湖区康宁诊所(西湖店)"),
        ("杭州市西湖区康宁诊所(西湖店)", "杭州市西湖区康宁诊所西湖店"),
        ("长青超市第２分店", "长青超市第2分店"),
        (" 苏州 安康药店　", "苏州安康药店"),
        ("ABC Pharmacy", "abc pharmacy"),
        ("【众康】医院", "众康医院"),
    ],
)
def test_spellings_of_one_name_normalise_alike(a, b):
    assert normalize_name(a) == normalize_name(b)


def test_different_names_stay_different():
    assert normalize_name("长青超市第2分店") != normalize_name("长青超市第3分店")


def claims(**extra):
    return {"sub": "u1", "custom:tenant_id": "t1", "custom:org_unit_id": "EAST", "custom:roles": "rep", **extra}


def test_principal_reads_cognito_claims_including_bracketed_role_lists():
    p = principal_from_claims(claims(**{"custom:roles": "[branch_head, rep]"}))
    assert p.roles == {Role.BRANCH_HEAD, Role.REP} and p.tenant_id == "t1"


@pytest.mark.parametrize("missing", ["sub", "custom:tenant_id", "custom:roles"])
def test_tokens_without_tenant_user_or_role_grant_nothing(missing):
    with pytest.raises(Forbidden):
        principal_from_claims({k: v for k, v in claims().items() if k != missing})


def test_unknown_roles_are_ignored_not_trusted():
    with pytest.raises(Forbidden):
        principal_from_claims(claims(**{"custom:roles": "superuser"}))


def test_role_matrix():
    rep = principal_from_claims(claims())
    head = principal_from_claims(claims(**{"custom:roles": "dept_head"}))
    distributor = principal_from_claims(claims(**{"custom:roles": "distributor", "custom:distributor_id": "D"}))
    require(rep, "customer:create")
    require(head, "customer:void")
    require(distributor, "customer:read")
    for who, action in ((rep, "customer:void"), (rep, "handover:start"), (distributor, "customer:create")):
        with pytest.raises(Forbidden):
            require(who, action)


class Rec:
    def __init__(self, id="c1", owner_id="u1", org_path="/HQ/EAST/EAST-RX/"):
        self.id, self.owner_id, self.org_path = id, owner_id, org_path


def test_scope_is_the_widest_role_and_a_subtree_is_a_prefix():
    head = principal_from_claims(claims(**{"custom:roles": "rep,branch_head"}))
    scope = scope_for(head, "/HQ/EAST/")
    assert scope.covers(Rec()) and not scope.covers(Rec(org_path="/HQ/EASTERN/"))
    assert scope_for(principal_from_claims(claims()), "/HQ/EAST/") == Scope(owner_id="u1")
    assert scope_for(principal_from_claims(claims(**{"custom:roles": "hq_admin"})), "/HQ/").covers(Rec(org_path="/X/"))
    distributor = principal_from_claims(claims(**{"custom:roles": "distributor", "custom:distributor_id": "c1"}))
    dist = scope_for(distributor, "/")
    assert dist.covers(Rec()) and not dist.covers(Rec(id="c2"))


def test_cursor_round_trip_and_refusals():
    key = {"gsi2pk": {"S": "T#t#OWNER#u"}, "gsi2sk": {"S": "CUST#1"}, "pk": {"S": "p"}, "sk": {"S": "META"}}
    mine, other = list_identity("gsi2", "T#t#OWNER#u"), list_identity("gsi2", "T#other#OWNER#u")
    cursor = encode_cursor(key, mine)
    assert decode_cursor(cursor, mine) == key
    with pytest.raises(BadRequest):
        decode_cursor(cursor, other)
    with pytest.raises(BadRequest):
        decode_cursor("%%%not-base64", mine)


@pytest.mark.parametrize("forged", ["²", "-1", "1e3", " 7", "x"])
def test_an_offset_cursor_gives_its_page_and_a_forged_offset_is_a_400(forged):
    mine = list_identity("inventory", "t", "u", "2026-10")
    assert offset_of(None, mine) == 0 and offset_of(offset_cursor(50, 120, mine), mine) == 50
    assert offset_cursor(150, 120, mine) is None  # past the end: no next page
    with pytest.raises(BadRequest):
        offset_of(encode_cursor({"o": {"S": forged}}, mine), mine)


def test_if_match_parsing():
    assert required_version('"3"') == 3 and required_version('W/"3"') == 3
    with pytest.raises(PreconditionRequired):
        required_version(None)
    for bad in ("*", "3", '"x"', '""', '"²"', '"-1"'):
        with pytest.raises(PreconditionFailed):
            required_version(bad)


def test_diff_lists_only_changed_fields():
    assert diff({"a": 1, "b": 2}, {"a": 1, "b": 3}) == {"b": {"before": 2, "after": 3}}
    assert diff(None, {"a": 1, "b": None, "c": []}) == {"a": {"before": None, "after": 1}}


def test_ids_are_ulids_sorted_by_time():
    a, b = new_id(now_ms=1), new_id(now_ms=2)
    assert is_ulid(a) and a < b
    assert stable_id("demo", "D001") == stable_id("demo", "D001") and is_ulid(stable_id("demo", "D001"))
