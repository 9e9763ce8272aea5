"""time_to_first_referral: the Kaplan-Meier median time to a first CSC referral after an index
event (censored at as_of), and the median among children referred within a complete window."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from tests.lib import reference_survival
from tests.lib.survival_engines import frame_on, runner, tables
from tests.spec.conftest import SPEC_ENGINES, _dated, _engine
from tests.spec.test_km_csc_referral import (
    AS_OF,
    BASE,
    HEADER,
    TEXTBOOK,
    TEXTBOOK_REFERRALS,
    _drawn,
    child_event,
    referral,
)

from daeval.metrics.csc_referral import csc_referral_within_window

KM, AMONG = "kaplan_meier_median", "median_among_referred"


@pytest.fixture(params=SPEC_ENGINES)
def medians(request):
    """medians(events_text, referrals_text, as_of, window_days=365) on one engine:
    {(group_by, group, category): (numerator, denominator, median or None)}."""
    run = runner(_engine(request), "time_to_first_referral")
    return lambda events, referrals, *args: run(
        _dated(events, "notification_date"), _dated(referrals, "referral_date"), *args
    )


def test_the_textbook_example(medians):
    # The 6-MP example of test_km_csc_referral: S falls to 160/357 = 0.448 at day 230, having
    # been 64/119 = 0.538 at 220, so the Kaplan-Meier median is 230 days (23 weeks in the book).
    # The nine referred children were notified 2020-01-01 (d + 365 <= as_of); the twelve
    # censored ones after 2020-12-31, so not followed for a whole window. Among the nine, the
    # days 60 60 60 70 100 130 160 220 230 have median 100.
    got = medians(TEXTBOOK, TEXTBOOK_REFERRALS, AS_OF)
    assert got[("all", "all", KM)] == (9, 21, 230.0)
    assert got[("all", "all", AMONG)] == (9, 9, 100.0)
    assert got[("risk_level", "high", KM)] == (9, 21, 230.0)
    assert got[("risk_level", "high", AMONG)] == (9, 9, 100.0)
    assert len(got) == 4


EVENTS = """
notification_id | child_key | notification_date | risk_level
n1              | a1        | 2020-01-01        | high
n1              | a2        | 2020-01-01        | high
n1              | a3        | 2020-01-01        | high
n2              | a4        | 2020-12-31        | medium
n3              | a5        | 2020-01-01        | medium
n4              | a6        | 2020-06-01        |
n5              | b1        | 2021-06-01        | standard
"""
REFS = """
child_key | referral_date
a1        | 2020-01-11
a2        | 2020-01-21
a3        | 2020-02-10
a3        | 2020-01-01
a4        | 2021-12-31
a5        | 2021-02-04
b1        | 2021-06-02
"""


def test_the_median_among_referred_children_with_a_whole_window(medians):
    # Days to the first referral after d: a1 10, a2 20, a3 40 (its referral on d is not after
    # it), a4 365 (= W, on as_of; a4's window ends on as_of, so it is whole), a5 400 (after the
    # window), a6 none (censored at 578), b1 1 (d + 365 > as_of: not a whole window).
    # Whole windows: a1..a6 (6); referred within them: 10 20 40 365, median (20 + 40) / 2 = 30.
    got = medians(EVENTS, REFS, AS_OF)
    assert got[("all", "all", AMONG)] == (4, 6, 30.0)
    assert got[("risk_level", "high", AMONG)] == (3, 3, 20.0)
    assert got[("risk_level", "medium", AMONG)] == (1, 2, 365.0)
    assert ("risk_level", "standard", AMONG) not in got  # no whole window
    # Kaplan-Meier over all 7: day 1 7 at risk -> 6/7; 10: 6 -> 5/7; 20: 5 -> 4/7;
    # 40: 4 -> 3/7 <= 0.5, the median. 6 referred (a6 censored).
    assert got[("all", "all", KM)] == (6, 7, 40.0)
    # high: 10 -> 2/3, 20 -> 1/3; medium: 365 (2 at risk) -> 1/2, exactly a half; standard:
    # 1 -> 0.
    assert got[("risk_level", "high", KM)] == (3, 3, 20.0)
    assert got[("risk_level", "medium", KM)] == (2, 2, 365.0)
    assert got[("risk_level", "standard", KM)] == (1, 1, 1.0)
    assert not {k for k in got if k[1] in ("None", "nan", "")}  # a6 only in all


def test_an_estimate_of_exactly_a_half_is_the_median(medians):
    # S = 3/4 at day 10 and 3/4 * 2/3 = 1/2 at day 20 (in floating point 0.75 * 0.666...
    # need not be exactly 0.5): the median is 20, not the next referral at 30.
    events = HEADER + "\n".join(f"n{i} | k{i} | 2020-01-01 | high" for i in range(4))
    referrals = "child_key | referral_date\nk0 | 2020-01-11\nk1 | 2020-01-21\nk2 | 2020-01-31"
    assert medians(events, referrals, AS_OF)[("all", "all", KM)] == (3, 4, 20.0)


def test_the_median_is_blank_when_the_curve_stays_above_a_half(medians):
    events = HEADER + "\n".join(f"n{i} | k{i} | 2021-06-01 | high" for i in range(3))
    referrals = "child_key | referral_date\nk0 | 2021-07-01"
    # S = 2/3 after day 30 and no later referral. No whole window (2021-06-01 + 365 > as_of).
    got = medians(events, referrals, AS_OF)
    assert got == {("all", "all", KM): (1, 3, None), ("risk_level", "high", KM): (1, 3, None)}


def test_referrals_on_the_day_before_it_and_after_as_of_are_not_events(medians):
    events = HEADER + "n1 | k1 | 2020-06-01 | high"
    referrals = """
    child_key | referral_date
    k1        | 2020-06-01
    k1        | 2020-05-01
    k1        | 2022-01-05
    """
    got = medians(events, referrals, AS_OF)
    assert got[("all", "all", KM)] == (0, 1, None)
    assert got[("all", "all", AMONG)] == (0, 1, None)


def test_same_day_referrals_and_a_child_in_two_notifications(medians):
    events = """
    notification_id | child_key | notification_date | risk_level
    n1              | k1        | 2021-01-01        | high
    n2              | k1        | 2021-01-21        | high
    n2              | k2        | 2021-01-21        | high
    """
    referrals = """
    child_key | referral_date
    k1        | 2021-03-02
    k1        | 2021-01-31
    k1        | 2021-01-31
    k2        | 2021-01-31
    """
    # n1/k1: 30 days; n2/k1: 10 days (the same first referral, timed from its own
    # notification); n2/k2: 10 days. Day 10: 3 at risk, 2 referred -> S = 1/3, the median.
    # k1's two referrals on one day are one event; its later one (2021-03-02) is not its first.
    assert medians(events, referrals, AS_OF)[("all", "all", KM)] == (3, 3, 10.0)


def test_a_referral_on_as_of_is_an_event(medians):
    events = HEADER + "n1 | k1 | 2021-12-01 | high\nn2 | k2 | 2021-12-31 | high"
    referrals = "child_key | referral_date\nk1 | 2021-12-31\nk2 | 2021-12-31"
    # n1: referred on as_of, 30 days on. n2 is on as_of itself: no follow-up, not an index event.
    assert medians(events, referrals, AS_OF)[("all", "all", KM)] == (1, 1, 30.0)


@pytest.mark.parametrize("backend", ["duckdb", "sqlite"])
def test_the_referred_are_those_csc_referral_within_window_counts(backend):
    events, refs = _dated(EVENTS, "notification_date"), _dated(REFS, "referral_date")
    frame = frame_on(backend, "time_to_first_referral", events, refs, AS_OF)
    assert set(frame.period_start) == {date(2020, 1, 1)} and set(frame.period_end) == {AS_OF}
    among = frame[frame.category == AMONG]
    con = getattr(ibis, backend).connect()
    within = csc_referral_within_window(*tables(con, events, refs), AS_OF).execute()
    con.disconnect()
    key = ["group_by", "group", "numerator", "denominator"]
    assert (
        among[key].sort_values(key).values.tolist() == within[key].sort_values(key).values.tolist()
    )


def test_no_index_events_give_no_rows():
    frame = frame_on("duckdb", "time_to_first_referral", [], [], AS_OF)
    assert frame.empty and "value" in frame.columns


# A query takes a third of a second; 40 examples of up to 60 events and referrals each.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(child_event, min_size=1, max_size=60),
    refs=st.lists(referral, max_size=60),
    window=st.sampled_from([30, 100, 365, 500]),
)
def test_the_medians_match_lifelines_and_the_reference(rows, refs, window):
    events, referrals = _drawn(rows, refs)
    as_of = BASE + timedelta(days=730)
    got = runner("duckdb", "time_to_first_referral")(events, referrals, as_of, window)
    assert got == reference_survival.median_rows(events, referrals, as_of, window)

    index = [e for e in events if e["notification_date"] < as_of]
    for group in ("all", "standard", "medium", "high"):
        times = [
            reference_survival.time_to_referral(e, referrals, as_of)
            for e in index if group in ("all", e["risk_level"])
        ]  # fmt: skip
        key = ("all" if group == "all" else "risk_level", group, KM)
        if not times:
            assert key not in got
            continue
        fit = KaplanMeierFitter().fit([t for t, _ in times], [int(e) for _, e in times])
        # lifelines finds S as exp(sum of logs), where an exact 1/2 can come out a hair above
        # it: the smallest time with S <= 1/2, to 1e-9.
        curve = fit.survival_function_.iloc[:, 0]
        below = curve[curve <= 0.5 + 1e-9]
        median = float(below.index[0]) if len(below) else None
        if median is None:
            assert fit.median_survival_time_ == float("inf")
        elif fit.median_survival_time_ != median:  # only for such a near tie
            assert abs(curve[median] - 0.5) < 1e-9
        assert got[key] == (sum(e for _, e in times), len(times), median)
