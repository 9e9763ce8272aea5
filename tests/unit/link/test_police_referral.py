"""The police-referral comparison: a child in a police notification and a child the police referred
to children's social care within the week after it, at other addresses or at one."""

from __future__ import annotations

import pytest
from tests.lib.comparison_levels import level_of

from daeval.link.model import default_model
from daeval.link.records import REFERRAL_WITHIN_DAYS

NOTIFIED = 100  # the day of the police child's notification


def _window(referral_day: int) -> list[int]:
    """The days a notification could have had for a police referral on ``referral_day``."""
    return [referral_day - k for k in range(REFERRAL_WITHIN_DAYS + 1)]


COLUMNS = {
    "notified_days": "INTEGER[]",
    "referred_windows": "INTEGER[]",
    "postcode": "VARCHAR",
    "postcodes": "VARCHAR[]",
}


def _level(left: dict, right: dict) -> str:
    return level_of("police_referral", COLUMNS, left, right, missing={"postcodes": []})


POLICE = {"notified_days": [NOTIFIED], "postcode": "FY1 2AB", "postcodes": ["FY1 2AB"]}


@pytest.mark.parametrize(
    "referral_day, csc, expected",
    [
        (NOTIFIED, {"postcode": "FY8 1XY"}, "other addresses"),
        (NOTIFIED + REFERRAL_WITHIN_DAYS, {"postcode": "FY8 1XY"}, "other addresses"),
        (NOTIFIED + REFERRAL_WITHIN_DAYS + 1, {"postcode": "FY8 1XY"}, "All other"),
        (NOTIFIED - 1, {"postcode": "FY8 1XY"}, "All other"),  # referred before the incident
        (NOTIFIED + 3, {"postcode": None}, "other addresses"),  # no postcode to share
        (NOTIFIED + 3, {"postcode": "FY1 2AB"}, "one address"),
        (NOTIFIED + 3, {"postcode": "FY8 1XY", "postcodes": ["FY1 2AB"]}, "one address"),
    ],
)
def test_a_police_referral_within_the_week_of_a_notification(referral_day, csc, expected):
    referred = {"referred_windows": _window(referral_day), **csc}
    assert _level(POLICE, referred).startswith(expected)
    assert _level(referred, POLICE).startswith(expected)  # either way round


def test_pairs_without_a_notified_and_a_referred_child_are_not_judged():
    other_police = {"notified_days": [NOTIFIED], "postcode": "FY8 1XY"}
    assert _level(POLICE, other_police) == "null"
    assert (
        _level(POLICE, {"postcode": "FY8 1XY"}) == "null"
    )  # a CSC child the police never referred
    referred = {"referred_windows": _window(NOTIFIED)}
    assert _level(referred, referred) == "null"


def test_events_weigh_for_a_match_only_at_other_addresses():
    comparison = next(
        c for c in default_model()["comparisons"] if c["output_column_name"] == "police_referral"
    )
    levels = {lv["label_for_charts"].split(",")[0]: lv for lv in comparison["comparison_levels"]}
    one = levels["one address"]
    assert one["fix_m_probability"] and one["fix_u_probability"]
    assert one["m_probability"] == one["u_probability"]  # a weight of 0, whatever training sees
    other = levels["other addresses"]
    assert other["m_probability"] > other["u_probability"]
