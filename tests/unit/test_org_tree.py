"""The org tree's pure rules: what a cycle is, how a moved subtree's paths read, how units nest into a tree."""

import pytest
from crm.db.models import OrgUnitItem
from crm.org.tree import build_tree, is_cycle, moved_path


@pytest.mark.parametrize(
    ("unit", "parent", "cycle"),
    [
        ("/HQ/EAST/EAST-RX/", "/HQ/EAST/EAST-RX/", True),  # under itself
        ("/HQ/EAST/", "/HQ/EAST/EAST-RX/", True),  # under its own child
        ("/HQ/EAST/", "/HQ/EAST/EAST-RX/TEAM-1/", True),  # deeper down
        ("/HQ/EAST/EAST-RX/", "/HQ/SOUTH/", False),
        ("/HQ/EAST/", "/HQ/EASTERN/", False),  # a sibling whose id starts the same: paths end in "/"
        ("/HQ/EAST-RX/", "/HQ/EAST/", False),
    ],
)
def test_a_cycle_is_a_parent_at_or_below_the_moved_unit(unit: str, parent: str, cycle: bool):
    assert is_cycle(unit, parent) is cycle


def test_paths_under_the_moved_unit_keep_their_tail():
    old, new = "/HQ/EAST/EAST-RX/", "/HQ/NORTH/EAST-RX/"
    assert moved_path("/HQ/EAST/EAST-RX/", old, new) == "/HQ/NORTH/EAST-RX/"
    assert moved_path("/HQ/EAST/EAST-RX/TEAM-1/", old, new) == "/HQ/NORTH/EAST-RX/TEAM-1/"
    with pytest.raises(ValueError):
        moved_path("/HQ/EAST/EAST-OTC/", old, new)  # not under the moved unit: never rewritten


def test_units_nest_by_parent_each_level_by_id():
    def item(unit_id: str, parent: str | None, path: str) -> OrgUnitItem:
        return OrgUnitItem("T#t#ORG", f"UNIT#{unit_id}", name=unit_id, kind="branch", parent_id=parent, path=path)

    tree = build_tree(
        [
            item("SOUTH", "HQ", "/HQ/SOUTH/"),
            item("EAST-RX", "EAST", "/HQ/EAST/EAST-RX/"),
            item("HQ", None, "/HQ/"),
            item("EAST", "HQ", "/HQ/EAST/"),
        ]
    )
    assert [n.id for n in tree] == ["HQ"]
    assert [c.id for c in tree[0].children] == ["EAST", "SOUTH"]
    assert [c.id for c in tree[0].children[0].children] == ["EAST-RX"]
    assert tree[0].children[1].children == []
