"""Every measure by subgroup, area, comparison arm and calendar period, from an ingested workspace.

Nine referrals of four children, window 100 days, as_of 2020-06-30: the period runs from
2019-04-20 (the first referral, 2019-01-10, plus 100 days). Re-referrals in it (gap <= 100 days):
c1 2019-07-01; c2 2019-05-01; c3 2019-12-01 and 2020-02-15; the other five are not.
"""

from __future__ import annotations

from datetime import date

import pytest
from tests.lib.keys import TEST_KEY
from tests.lib.tables import write_table

from daeval.ingest.load import ingest_folder
from daeval.metrics.measures_table import compute_measures
from daeval.privacy.disclosure_control import DisclosurePolicy
from daeval.warehouse import Workspace

PEOPLE = """
source | person_id | first_name | last_name | date_of_birth | sex | ethnicity | disability | postcode
csc    | c1        | Amelia     | Quayle    | 2010-05-15    | F   | WBRI      | N          | ZX1 1AA
csc    | c2        | Ezra       | Villiers  | 2018-02-01    | M   | BAFR      | Y          | ZX5 5AB
csc    | c3        | Noor       | Rahman    | 2005-01-10    | F   | APKN      | N          | ZX2 2BB
csc    | c4        | Sam        | Okafor    |               | M   |           |            | ZY1 1AA
"""
REFERRALS = """
referral_id | child_id | la_code | referral_date
r1          | c1       | 990     | 2019-01-10
r2          | c1       | 990     | 2019-06-01
r3          | c1       | 990     | 2019-07-01
r4          | c1       | 990     | 2020-03-01
r5          | c2       | 990     | 2019-02-01
r6          | c2       | 990     | 2019-05-01
r7          | c2       | 990     | 2020-05-01
r8          | c3       | 990     | 2019-11-01
r9          | c3       | 990     | 2019-12-01
r10         | c3       | 990     | 2020-02-15
r11         | c4       | 990     | 2020-01-15
"""
STUDY = """
comparison:
  by: area
  intervention: [ZX1, ZX2]
  comparator: [ZX5, ZX6]
  service_start: 2019-10-01
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("breakdown")
    write_table(tmp / "raw", "people", PEOPLE)
    write_table(tmp / "raw", "csc_referrals", REFERRALS)
    ws = Workspace(tmp / "ws")
    ingest_folder(tmp / "raw", ws, TEST_KEY)
    ws.study_file.write_text(STUDY)
    return ws


def _measured(ws, engine="duckdb"):
    run = compute_measures(
        ws, date(2020, 6, 30), 100, DisclosurePolicy(enabled=False), "quarter", engine
    )
    return [r for r in run.rows if r.measure == "re_referral_rate"]


@pytest.fixture(scope="module")
def rows(workspace):
    return _measured(workspace)


def _whole(rows, group_by):
    return {
        r.group: (r.numerator, r.denominator)
        for r in rows
        if r.group_by == group_by and r.period_start == date(2019, 4, 20)
        and r.period_end == date(2020, 6, 30)
    }  # fmt: skip


@pytest.mark.parametrize(
    "group_by, expected",
    [
        ("all", {"all": (4, 9)}),
        ("la_code", {"990": (4, 9)}),
        ("sex", {"F": (3, 6), "M": (1, 3)}),
        ("area", {"ZX1": (1, 3), "ZX5": (1, 2), "ZX2": (2, 3), "ZY1": (0, 1)}),
        ("ethnicity_group", {"white": (1, 3), "black": (1, 2), "asian": (2, 3)}),
        ("disability", {"N": (3, 6), "Y": (1, 2)}),
        # Age in completed years at the referral, from the year-month of birth; c4's is unknown.
        ("age_band", {"5-9": (1, 3), "1-4": (1, 2), "10-15": (2, 3)}),
        ("arm", {"intervention": (3, 6), "comparator": (1, 2)}),
        (
            "arm_phase",
            {
                "intervention_before": (1, 2),
                "intervention_after": (2, 4),
                "comparator_before": (1, 1),
                "comparator_after": (0, 1),
            },
        ),
    ],
)
def test_each_grouping_counts_the_referrals_of_its_children(rows, group_by, expected):
    got = _whole(rows, group_by)
    got.pop("difference", None)
    got.pop("difference_in_differences", None)
    assert got == expected


def test_quarters_are_clipped_to_the_period_and_add_up_to_it(rows):
    quarters = sorted(
        (r.period_start, r.period_end, r.numerator, r.denominator)
        for r in rows
        if r.group_by == "all" and r.period_start != r.period_end and
        (r.period_start, r.period_end) != (date(2019, 4, 20), date(2020, 6, 30))
    )  # fmt: skip
    assert quarters == [
        (date(2019, 4, 20), date(2019, 6, 30), 1, 2),
        (date(2019, 7, 1), date(2019, 9, 30), 1, 1),
        (date(2019, 10, 1), date(2019, 12, 31), 1, 2),
        (date(2020, 1, 1), date(2020, 3, 31), 1, 3),
        (date(2020, 4, 1), date(2020, 6, 30), 0, 1),
    ]


def test_the_arms_are_compared(rows):
    whole = {
        r.group: r
        for r in rows
        if r.group_by in ("arm", "arm_phase") and r.period_start == date(2019, 4, 20)
        and r.period_end == date(2020, 6, 30)
    }  # fmt: skip
    diff = whole["difference"]
    assert diff.value == pytest.approx(3 / 6 - 1 / 2)
    assert diff.ci_lower < 0 < diff.ci_upper
    did = whole["difference_in_differences"]
    assert did.value == pytest.approx((2 / 4 - 1 / 2) - (0 / 1 - 1 / 1))
    # A comparator proportion of 1 before and 0 after has no binomial variance.
    assert did.ci_lower is None and did.ci_upper is None


@pytest.mark.xdist_group("spark")
@pytest.mark.spark
def test_spark_gives_the_same_rows(workspace, rows, spark_session):
    assert _measured(workspace, "spark") == rows
