"""Measures counted together in one query (as ``daeval measures`` counts them) give each measure's
rows exactly as it gives them alone: the victims' three measures over the notifications, and the
three window measures over the index events."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from tests.lib import reference_engine, reference_pathways
from tests.spec.conftest import SPEC_ENGINES, _connected, _dated, _engine, reference_outcomes
from tests.spec.test_csc_outcome_within_window import ASSESSMENTS, EVENTS, PLANS, REFERRALS

from daeval.metrics.address_moves import MOVES, address_moves, moves
from daeval.metrics.csc_outcome import OUTCOMES, REACHED, csc_outcome_within_window, outcomes
from daeval.metrics.csc_referral import FOLLOWED_UP, csc_referral_within_window
from daeval.metrics.follow_up import followed, window_measures
from daeval.metrics.post_separation import post_separation_share, separations
from daeval.metrics.repeat_notification import repeat_notification_rate, repeats
from daeval.metrics.risk_trajectory import is_index, risk_trajectory, trajectories
from daeval.metrics.victims import domestic_abuse, notified, victim_rows

AS_OF = date(2021, 12, 31)
START, END = date(2020, 1, 1), date(2021, 12, 31)
NOTIFICATIONS = """
notification_id | notification_date | incident_type       | victim_id | victim_key | risk_level | post_separation
a1              | 2019-06-01        | domestic_abuse      | pa        | va         | standard   | N
a2              | 2020-01-01        | domestic_abuse      | pa        | va         | high       | Y
a3              | 2020-01-01        | domestic_abuse      | pa2       | va         | medium     |
a4              | 2020-05-01        | other_vulnerability | pa        | va         | high       | Y
b1              | 2020-02-01        | domestic_abuse      | pb        | vb         | medium     | Y
b2              | 2021-02-01        | domestic_abuse      | pb        | vb         |            | N
c1              | 2019-01-01        | domestic_abuse      |           |            | high       | Y
d1              | 2020-12-31        | domestic_abuse      | pd        | vd         | medium     | N
d2              | 2021-11-30        | domestic_abuse      | pd        | vd         | high       | N
"""
ADDRESSES = """
child_key | source | from_date
k1        | police | 2018-01-01
k1        | csc    | 2020-03-01
k2        | police | 2020-02-01
k2        | csc    | 2020-05-01
k3        | csc    | 2020-09-01
"""


def _rows(frame: pd.DataFrame) -> list[tuple]:
    def cell(value: object) -> object:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return None
        if isinstance(value, float):
            return round(value, 9)
        return value.isoformat() if hasattr(value, "isoformat") else value

    rows = (tuple(cell(v) for v in r) for r in frame[sorted(frame.columns)].itertuples(index=False))
    return sorted(rows, key=repr)


def _counts(frame: pd.DataFrame, measure: str, category: bool = False) -> dict:
    """{(group_by, group[, category]): (numerator, denominator)} of one measure's rows."""
    rows = frame[frame.measure == measure]
    return {
        (r.group_by, str(r.group), *((r.category,) if category else ())): (
            int(r.numerator),
            int(r.denominator),
        )
        for r in rows.itertuples()
    }


def _table(con, name: str, text: str, dated: str):
    return con.create_table(name, pd.DataFrame(_dated(text, dated)))


@pytest.fixture(params=[e for e in SPEC_ENGINES if e != "reference"])
def con(request):
    with _connected(_engine(request)) as connection:
        yield connection


@pytest.fixture(params=[e for e in SPEC_ENGINES if e not in ("reference", "sqlite")])
def measures_con(request):
    """The engines ``daeval measures`` runs on: SQLite's parser cannot take the three window
    measures' query as one (its nesting is too deep: "parser stack overflow"); each alone runs on
    SQLite in its own spec tests."""
    with _connected(_engine(request)) as connection:
        yield connection


def test_the_victims_measures_counted_together_are_each_as_alone(con):
    table = _table(con, "notifications", NOTIFICATIONS, "notification_date")
    first = date(2019, 6, 1)
    alone = pd.concat(
        [
            repeat_notification_rate(table, START, END).execute(),
            risk_trajectory(table, AS_OF).execute(),
            post_separation_share(table, first, AS_OF).execute(),
        ]
    )
    events = notified(domestic_abuse(table))
    shared = [repeats(START, END), trajectories(AS_OF), separations(first, AS_OF)]
    together = victim_rows(events, shared).execute()
    assert set(together.measure) == {
        "repeat_notification_rate",
        "risk_trajectory",
        "post_separation_share",
    }
    assert _rows(together) == _rows(alone)
    # And each measure's counts are the plain-Python reference's.
    notes = _dated(NOTIFICATIONS, "notification_date")
    assert _counts(together, "repeat_notification_rate") == (
        reference_engine.repeat_notification_counts(notes, START, END)
    )
    assert _counts(together, "risk_trajectory", category=True) == (
        reference_engine.risk_trajectory_counts(notes, AS_OF)
    )
    assert _counts(together, "post_separation_share") == (
        reference_engine.post_separation_counts(notes, first, AS_OF)
    )


def test_the_first_index_event_found_by_victim_id_gives_the_same_period(con):
    table = _table(con, "notifications", NOTIFICATIONS, "notification_date")
    last_index = AS_OF - timedelta(days=365)
    # c1, graded but with no victim, comes first; a1 is the first index event. The victim's id
    # is missing exactly when the person key is.
    da = domestic_abuse(table)
    first = da.aggregate(
        first=da.notification_date.min(where=is_index(da, last_index, "victim_id"))
    )
    found = pd.Timestamp(first.execute()["first"].iloc[0]).date()
    assert found == date(2019, 6, 1)
    given = victim_rows(notified(da), [trajectories(AS_OF, 365, found)]).execute()
    alone = risk_trajectory(table, AS_OF).execute()
    assert _rows(given) == _rows(alone)


def test_the_window_measures_counted_together_are_each_as_alone(measures_con):
    con = measures_con
    events = _table(con, "events", EVENTS, "notification_date")
    refs = _table(con, "referrals", REFERRALS, "referral_date")
    done = _table(con, "assessments", ASSESSMENTS, "start_date")
    plans = _table(con, "plans", PLANS, "start_date")
    homes = _table(con, "addresses", ADDRESSES, "from_date")
    found = outcomes(refs, done, plans)
    alone = pd.concat(
        [
            csc_referral_within_window(events, refs, AS_OF).execute(),
            csc_outcome_within_window(events, found, AS_OF).execute(),
            address_moves(events, homes, AS_OF).execute(),
        ]
    )
    later = found.union(moves(homes))
    flagged = followed(events, later, AS_OF, 365, OUTCOMES)
    together = window_measures(flagged, AS_OF, 365, [FOLLOWED_UP, REACHED, MOVES]).execute()
    assert _rows(together) == _rows(alone)
    # The figures themselves (the events of the csc_outcome_within_window spec): n1 and n3
    # referred in their windows, n2 referred before; n1's and n2's children moved once; n4's
    # window ends after as_of.
    within = together[together.measure == "csc_referral_within_window"]
    whole = within[within.group_by == "all"].iloc[0]
    assert (int(whole.numerator), int(whole.denominator)) == (2, 3)
    moved = together[(together.measure == "address_moves") & (together.group_by == "all")]
    assert int(moved[moved.category == "1"].numerator.iloc[0]) == 2
    # And each measure's counts are the plain-Python reference's.
    index = _dated(EVENTS, "notification_date")
    referrals = _dated(REFERRALS, "referral_date")
    assert _counts(together, "csc_referral_within_window") == (
        reference_engine.csc_referral_within_window_counts(index, referrals, AS_OF)
    )
    assert _counts(together, "csc_outcome_within_window", category=True) == (
        reference_engine.csc_outcome_counts(
            index, reference_outcomes(REFERRALS, ASSESSMENTS, PLANS), AS_OF
        )
    )
    assert _counts(together, "address_moves", category=True) == (
        reference_pathways.address_moves_counts(index, _dated(ADDRESSES, "from_date"), AS_OF)
    )
