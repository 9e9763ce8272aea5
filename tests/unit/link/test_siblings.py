"""The siblings comparison: brothers and sisters listed for each record (the other children of a
police notification, the other children a local authority referred with the child)."""

from __future__ import annotations

import math

import pytest
from tests.lib.comparison_levels import level_of

from daeval.link.model import DEFAULT_M_U

COLUMNS = {"first_name": "VARCHAR", "sibling_names": "VARCHAR[]"}


def _level(left: dict, right: dict) -> str:
    return level_of("siblings", COLUMNS, left, right)


AMY = {"first_name": "AMY", "sibling_names": ["BEN", "CARA"]}


@pytest.mark.parametrize(
    "other, expected",
    [
        ({"first_name": "AMY", "sibling_names": ["CARA"]}, "Array intersection"),
        ({"first_name": "AMY", "sibling_names": ["DAN", "EVE"]}, "All other"),
        ({"first_name": "AMY", "sibling_names": None}, "null"),  # an only child, or not known
        ({"first_name": "AMY"}, "null"),
        # Ben is listed as Amy's brother (and Amy as his sister): two children, whatever else
        # they share.
        ({"first_name": "BEN", "sibling_names": ["AMY", "CARA"]}, "one is a brother or sister"),
        ({"first_name": "BEN", "sibling_names": None}, "one is a brother or sister"),
        ({"first_name": None, "sibling_names": ["AMY"]}, "one is a brother or sister"),
    ],
)
def test_levels_either_way_round(other, expected):
    assert _level(AMY, other).startswith(expected)
    assert _level(other, AMY).startswith(expected)


def test_the_default_weights_favour_shared_names_and_count_against_brothers_and_sisters():
    listed, shared, other = (math.log2(m / u) for m, u in DEFAULT_M_U["siblings"])
    assert listed < other < 0 < shared
