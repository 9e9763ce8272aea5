"""referrals_per_month and recruitment_funnel: a site's throughput, each stage among the episodes
whose outcome at it is known, follow-up by the person's own service record."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from tests.lib.tables import records
from tests.spec.conftest import SPEC_ENGINES, _connected, _engine

from daeval.metrics.recruitment import recruitment_rows

AS_OF = date(2021, 12, 31)
EPISODES = """
site_id | person_id | referral_date | eligibility | first_contact_date | offer    | evaluation_consent | end_date   | end_reason
fbs     | p1        | 2020-01-15    | eligible    | 2020-01-20         | accepted | Y                  | 2020-06-01 | completed
fbs     | p2        | 2020-02-01    | eligible    | 2020-02-05         | accepted | Y                  | 2020-03-01 | disengaged
fbs     | p3        | 2020-03-01    | eligible    | 2020-03-05         | declined |                    |            |
fbs     | p4        | 2020-04-01    | ineligible  |                    |          |                    |            |
fbs     | p5        | 2020-05-01    | pending     |                    |          |                    |            |
fbs     | p6        | 2020-06-10    | eligible    | 2020-06-12         | accepted | N                  |            |
fbs     | p7        | 2020-03-20    | eligible    | 2020-03-22         | accepted | Y                  |            |
fbs     | p8        | 2022-01-05    | eligible    |                    |          |                    |            |
sat     | q1        | 2020-02-01    | eligible    | 2020-02-02         | accepted | Y                  | 2020-08-01 | completed
sat     | q2        | 2021-01-10    | eligible    | 2021-01-11         | accepted | Y                  | 2021-05-01 | completed
"""
RESPONSES = """
source      | person_id | timepoint  | administered_date
service:fbs | p1        | end        | 2020-06-02
service:fbs | p2        | baseline   | 2020-02-02
service:sat | q1        | followup_6 | 2020-09-01
service:sat | q2        | end        | 2022-02-01
service:fbs | q2        | end        | 2021-06-01
"""


def _frame(text: str, dates: tuple[str, ...]) -> pd.DataFrame:
    rows = records(text)
    for r in rows:
        for column in dates:
            r[column] = date.fromisoformat(r[column]) if r.get(column) else None
    return pd.DataFrame(rows)


QUERY_ENGINES = [e for e in SPEC_ENGINES if e != "reference"]
"""The query engines (the expected figures are worked out by hand in the tests)."""


@pytest.fixture(params=QUERY_ENGINES)
def measured(request) -> dict[tuple[str, str, str | None], tuple[int, int]]:
    _engine(request)
    with _connected(request.param) as con:
        episodes = con.create_table(
            "service_episodes",
            _frame(EPISODES, ("referral_date", "first_contact_date", "end_date")),
        )
        responses = con.create_table("measure_responses", _frame(RESPONSES, ("administered_date",)))
        result = recruitment_rows(episodes, responses, AS_OF).execute()
    assert set(result.group_by) == {"site_id"}
    return {
        (r.measure, str(r.group), None if pd.isna(r.category) else r.category): (
            int(r.numerator),
            int(r.denominator),
        )
        for r in result.itertuples()
    }


def test_referrals_a_month_count_every_month_from_the_first_referral_to_the_last(measured):
    # fbs: 7 episodes by as_of (p8 is later), January to June 2020: 6 months.
    assert measured[("referrals_per_month", "fbs", None)] == (7, 6)
    # sat: February 2020 to January 2021, 12 months, most of them with no referral.
    assert measured[("referrals_per_month", "sat", None)] == (2, 12)


def test_each_stage_counts_among_the_episodes_whose_outcome_at_it_is_known(measured):
    fbs = {c: v for (m, g, c), v in measured.items() if m == "recruitment_funnel" and g == "fbs"}
    assert fbs == {
        "eligible": (5, 6),  # p5's decision is pending
        "contacted": (5, 5),
        "accepted": (4, 5),
        "consented": (3, 4),  # p3 declined before being asked
        "completed": (1, 2),  # p7 has not ended
        "followed_up": (1, 1),
    }


def test_follow_up_is_a_later_questionnaire_from_the_persons_own_record_by_as_of(measured):
    # q1 answered at 6 months; q2's end questionnaire comes after as_of, and the answers of an
    # fbs record that happens to share q2's id are not q2's.
    assert measured[("recruitment_funnel", "sat", "followed_up")] == (1, 2)
